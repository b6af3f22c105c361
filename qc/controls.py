"""Controls acceptance for one plate (DESIGN 4.5, methods 4.3): the 2/3-overall, 50 %-per-control rule.

Values are per-well control results in concentration units after dilution; limits share that unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from qc.arrays import one_dimensional
from qc.errors import QCError

#: Relative slack on the acceptance limits so that a result exactly on a limit passes despite
#: float rounding (e.g. 100 * 1.2).
LIMIT_RELATIVE_SLACK = 1e-9


def control_limits(
    conc: ArrayLike,
    conc_low: ArrayLike,
    conc_high: ArrayLike,
    tolerance_pct: float = 20.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Acceptance limits (low, high) per control, in the unit of ``conc``.

    The kit's range where ``conc_low`` or ``conc_high`` is given (a side left NaN is open:
    -inf or +inf); else ``conc * (1 -/+ tolerance_pct/100)``; else NaN (the control is not judged).
    Raises QCError for arrays of different lengths or a range with low > high.
    """
    conc_a = one_dimensional("conc", conc)
    low_a = one_dimensional("conc_low", conc_low)
    high_a = one_dimensional("conc_high", conc_high)
    if not (conc_a.size == low_a.size == high_a.size):
        raise QCError(
            "conc, conc_low and conc_high must have one entry per control; got lengths "
            f"{conc_a.size}, {low_a.size}, {high_a.size}"
        )
    if not (np.isfinite(tolerance_pct) and tolerance_pct >= 0):
        raise QCError(f"tolerance_pct must be a finite percentage >= 0, got {tolerance_pct}")
    has_low, has_high = ~np.isnan(low_a), ~np.isnan(high_a)
    if np.any(has_low & has_high & (low_a > high_a)):
        raise QCError("a control's conc_low is above its conc_high")

    has_range = has_low | has_high
    fraction = tolerance_pct / 100.0
    from_conc_1 = conc_a * (1.0 - fraction)
    from_conc_2 = conc_a * (1.0 + fraction)
    from_conc_low = np.fmin(from_conc_1, from_conc_2)  # NaN where conc is NaN
    from_conc_high = np.fmax(from_conc_1, from_conc_2)

    low = np.where(has_range, np.where(has_low, low_a, -np.inf), from_conc_low)
    high = np.where(has_range, np.where(has_high, high_a, np.inf), from_conc_high)
    return low, high


@dataclass(frozen=True, eq=False)
class ControlsOutcome:
    """Judgement of a plate's control results; ``result_passed`` is in the order of the results."""

    result_passed: np.ndarray  # bool per result; False for results that are not judged
    n_passed: int  # passing judged results
    n_total: int  # judged results
    judged: bool  # False when there are no judged results
    passed: bool | None  # None when not judged


def judge_controls(
    names: Sequence[str],
    values: ArrayLike,
    low: ArrayLike,
    high: ArrayLike,
) -> ControlsOutcome:
    """Judge per-well control results against their limits (inclusive).

    ``names`` gives each result's control name; a NaN value (no solution, saturated) is a failing
    result; a result whose ``low`` or ``high`` is NaN is not judged and not counted. Controls pass
    when >= 2/3 of all judged results pass and >= 50 % of each control's judged results pass.
    """
    if isinstance(names, str):
        raise QCError("names must be a sequence of control names, one per result, not a string")
    names_list = [str(name) for name in names]
    values_a = one_dimensional("values", values)
    low_a = one_dimensional("low", low)
    high_a = one_dimensional("high", high)
    n = len(names_list)
    if not (values_a.size == low_a.size == high_a.size == n):
        raise QCError(
            "names, values, low and high must have one entry per result; got lengths "
            f"{n}, {values_a.size}, {low_a.size}, {high_a.size}"
        )
    judged = ~np.isnan(low_a) & ~np.isnan(high_a)
    with np.errstate(invalid="ignore"):
        within = (values_a >= low_a - LIMIT_RELATIVE_SLACK * np.abs(low_a)) & (
            values_a <= high_a + LIMIT_RELATIVE_SLACK * np.abs(high_a)
        )
    result_passed = within & ~np.isnan(values_a) & judged
    n_total = int(judged.sum())
    n_passed = int(result_passed.sum())
    result_passed.setflags(write=False)
    if n_total == 0:
        return ControlsOutcome(result_passed, 0, 0, judged=False, passed=None)

    overall_ok = 3 * n_passed >= 2 * n_total  # exact integer form of n_passed / n_total >= 2/3
    per_control_ok = True
    names_arr = np.asarray(names_list, dtype=object)
    for name in dict.fromkeys(names_arr[judged]):
        mine = judged & (names_arr == name)
        if 2 * int(result_passed[mine].sum()) < int(mine.sum()):
            per_control_ok = False
            break
    return ControlsOutcome(
        result_passed=result_passed,
        n_passed=n_passed,
        n_total=n_total,
        judged=True,
        passed=bool(overall_ok and per_control_ok),
    )
