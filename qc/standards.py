"""Standards acceptance for one plate (DESIGN 4.5, methods 4.1): recovery per level, curve verdict.

Pure numpy; the back-fitted concentrations come from the caller. Concentrations are in-well, in
any unit as long as ``nominal`` and ``backfit`` share it; tolerances are in percent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from qc.arrays import one_dimensional
from qc.errors import QCError

#: Absolute slack (in percentage points) on the recovery tolerance, so that a level exactly at
#: the boundary passes despite float rounding of 100 * backfit / nominal.
RECOVERY_SLACK_PCT = 1e-9


@dataclass(frozen=True, eq=False, kw_only=True)
class StandardsOutcome:
    """Judgement of a plate's standard levels; arrays are in the order the levels were given."""

    recovery_pct: np.ndarray  # 100 * backfit / nominal per level (%), NaN where backfit is NaN
    passed: np.ndarray  # object array: True/False per non-anchor level, None for anchors
    n_passed: int  # passing non-anchor levels
    n_total: int  # non-anchor levels
    curve_passed: bool  # >= min_fraction of non-anchor levels and >= min_levels levels pass
    lloq: float  # smallest nominal of the passing non-anchor levels; NaN when fewer than 2 pass
    uloq: float  # largest nominal of the passing non-anchor levels; NaN when fewer than 2 pass


def judge_standards(
    nominal: ArrayLike,
    backfit: ArrayLike,
    anchor: ArrayLike,
    n_usable: ArrayLike,
    *,
    end_tolerance_pct: float = 25.0,
    tolerance_pct: float = 20.0,
    min_fraction: float = 0.75,
    min_levels: int = 6,
) -> StandardsOutcome:
    """Judge each standard level's recovery and the curve as a whole.

    ``nominal`` (> 0) and ``backfit`` are in-well concentrations per level, in any order;
    ``anchor`` marks levels that are fitted but never judged or counted; ``n_usable`` is the number
    of usable wells per level. A non-anchor level passes when it has a usable well, a finite
    backfit and |recovery - 100| <= tolerance (``end_tolerance_pct`` at the lowest and highest
    non-anchor nominal of the layout, ``tolerance_pct`` elsewhere), boundaries inclusive.
    """
    nominal_a = one_dimensional("nominal", nominal, float)
    backfit_a = one_dimensional("backfit", backfit, float)
    anchor_a = one_dimensional("anchor", anchor, bool)
    n_usable_a = one_dimensional("n_usable", n_usable, float)
    n = nominal_a.size
    if not (backfit_a.size == anchor_a.size == n_usable_a.size == n):
        raise QCError(
            "nominal, backfit, anchor and n_usable must have one entry per level; got lengths "
            f"{n}, {backfit_a.size}, {anchor_a.size}, {n_usable_a.size}"
        )
    if not np.all(np.isfinite(nominal_a) & (nominal_a > 0)):
        raise QCError(
            "standard nominal concentrations must be finite and > 0 (conc = 0 is a blank)"
        )
    if np.any(np.isnan(n_usable_a)) or np.any(n_usable_a < 0):
        raise QCError("n_usable must be a count of wells (>= 0) per level")
    if not (min_levels >= 0 and 0.0 <= min_fraction <= 1.0):
        raise QCError(
            f"min_fraction must be in [0, 1] and min_levels >= 0, got {min_fraction}, {min_levels}"
        )

    with np.errstate(invalid="ignore", over="ignore"):
        recovery = 100.0 * backfit_a / nominal_a

    judged = ~anchor_a
    passed = np.full(n, None, dtype=object)
    lloq = uloq = float("nan")
    n_total = int(judged.sum())
    n_passed = 0
    if n_total:
        judged_nominal = nominal_a[judged]
        low_end, high_end = judged_nominal.min(), judged_nominal.max()
        is_end = (nominal_a == low_end) | (nominal_a == high_end)
        tolerance = np.where(is_end, end_tolerance_pct, tolerance_pct)
        with np.errstate(invalid="ignore"):
            within = np.abs(recovery - 100.0) <= tolerance + RECOVERY_SLACK_PCT
        ok = within & np.isfinite(backfit_a) & (n_usable_a > 0) & judged
        for i in np.flatnonzero(judged):
            passed[i] = bool(ok[i])
        n_passed = int(ok.sum())
        if n_passed >= 2:
            lloq = float(nominal_a[ok].min())
            uloq = float(nominal_a[ok].max())

    curve_passed = bool(
        n_total > 0 and n_passed >= min_levels and n_passed >= min_fraction * n_total - 1e-9
    )
    recovery.setflags(write=False)
    passed.setflags(write=False)
    return StandardsOutcome(
        recovery_pct=recovery,
        passed=passed,
        n_passed=n_passed,
        n_total=n_total,
        curve_passed=curve_passed,
        lloq=lloq,
        uloq=uloq,
    )
