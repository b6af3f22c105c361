"""Westgard multirules on the control results of a series of runs (DESIGN 4.6, methods 6).

Input: ``z`` with shape (n_runs, n_controls), runs in run order, controls in the order given;
z = (run mean − LJ mean) / LJ SD of that control; NaN where a run lacks a control. A *result* is
one finite z. Missing results are skipped, never treated as in control.

Sides and limits: a result is *beyond +L* when z > L and *beyond −L* when z < −L (strictly; a
result exactly on a limit is not beyond it). "On the same side of the mean" is beyond ±0
(z > 0 or z < 0; z == 0 is on neither side).

Rule set, chosen by the number of controls C:
- C = 3: 1-3s, 2of3-2s, R-4s, 3-1s, 6-x, and the 1-2s warning;
- any other C (1, 2, 4, ...): 1-3s, 2-2s, R-4s, 4-1s, 10-x, and the 1-2s warning.
Every rule rejects except 1-2s (``reject=False``: a warning that gates nothing).

Single-result rules, per result of run r:
- 1-2s / 1-3s: the result is beyond +2 / +3 or −2 / −3; one hit per control.

R-4s, within run r only (never across runs): some result of run r is beyond +2 and another
beyond −2; one hit listing every control of run r beyond ±2.

Multi-result rules "m of k consecutive results beyond the same limit L":
2-2s (m = k = 2, L = 2), 4-1s (4, 4, 1), 10-x (10, 10, 0), 2of3-2s (m = 2, k = 3, L = 2),
3-1s (3, 3, 1), 6-x (6, 6, 0). A hit at run r needs a pattern that the run completes: its last
result beyond the limit is a result of run r. Three sequences are searched, for each side:
  (a) each control's own series across runs: for a result of control c at run r that is beyond
      the limit, the window of the k results of that control ending with it (fewer at the start
      of the series) holds at least m results beyond the same limit -> hit with controls (c,);
  (b) the pooled sequence of all results in run order, within a run in the order of the controls
      given: for a result of run r beyond the limit, the window of the k pooled results ending
      with it (fewer at the start) holds at least m beyond the same limit -> hit whose controls
      are those of the results beyond the limit in that window (so within one run across
      controls, and across consecutive runs); not for 2-2s and 2of3-2s, which methods §6
      defines on the same level across runs or on levels within one run (SAME_LEVEL_RULES);
  (c) within run r as a set: at least m of its results beyond the same limit -> hit with their
      controls (this adds to (b) only with 4 or more controls, e.g. 2-2s on the first and third).
For m = k every result of the window is in the pattern; for 2of3-2s the pattern is the results
beyond 2 in the window. A pattern that continues (a shift) completes a new pattern at every run
that extends it, so the rule fires again at each such run; earlier runs of a pattern never get
the hit. Hits are de-duplicated on (run, rule, controls); the same rule at the same run may
appear with different control sets (e.g. ``4-1s:QC-low`` from (a) and ``4-1s:QC-high+QC-low``
from (b)). Controls in a hit are sorted by name.

Order of the returned list: by run, then reject rules in the rule set's order (as listed above),
then the 1-2s warning, then controls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from qc.codes import (
    RULE_1_2S,
    RULE_1_3S,
    RULE_2_2S,
    RULE_2OF3_2S,
    RULE_3_1S,
    RULE_4_1S,
    RULE_6X,
    RULE_10X,
    RULE_R_4S,
)
from qc.errors import QCError

WARNING_RULE = RULE_1_2S
#: Reject rules per rule set, in reporting order.
RULES_2_4 = (RULE_1_3S, RULE_2_2S, RULE_R_4S, RULE_4_1S, RULE_10X)
RULES_3 = (RULE_1_3S, RULE_2OF3_2S, RULE_R_4S, RULE_3_1S, RULE_6X)
#: rule -> (m results beyond the limit, of k consecutive, limit in SD)
WINDOW_RULES = {
    RULE_2_2S: (2, 2, 2.0),
    RULE_4_1S: (4, 4, 1.0),
    RULE_10X: (10, 10, 0.0),
    RULE_2OF3_2S: (2, 3, 2.0),
    RULE_3_1S: (3, 3, 1.0),
    RULE_6X: (6, 6, 0.0),
}


@dataclass(frozen=True)
class RuleHit:
    """One rule violation, reported at the run that completes its pattern."""

    run: int  # index into the runs (in run order)
    rule: str  # one of qc.codes.WESTGARD_RULES
    controls: tuple[str, ...]  # the control(s) whose results complete the pattern, sorted
    reject: bool  # False only for 1-2s (a warning that gates nothing)


#: Multi-result rules judged along one control's series (and within a run), never pooled.
SAME_LEVEL_RULES = frozenset({RULE_2_2S, RULE_2OF3_2S})


def rule_set(n_controls: int) -> tuple[str, ...]:
    """The reject rules applied with ``n_controls`` control levels (3 -> the N=3 set)."""
    return RULES_3 if n_controls == 3 else RULES_2_4


def rule_label(hit: RuleHit) -> str:
    """``rule:control``; several controls joined by ``+``, e.g. ``R-4s:QC-high+QC-low``."""
    return f"{hit.rule}:{'+'.join(hit.controls)}"


def westgard(z: ArrayLike, controls: Sequence[str]) -> list[RuleHit]:
    """Every rule hit on the z table (runs x controls, both in order); see the module docstring."""
    names = [str(c) for c in controls]
    table = np.asarray(z, dtype=float)
    if table.ndim == 1 and len(names) == 1:
        table = table.reshape(-1, 1)
    if table.ndim != 2 or table.shape[1] != len(names):
        raise QCError(
            f"z must have shape (n_runs, {len(names)}) for {len(names)} controls, got {table.shape}"
        )
    if not names:
        raise QCError("westgard needs at least one control")
    if len(set(names)) != len(names):
        raise QCError(f"control names must be distinct, got {names}")

    rules = rule_set(len(names))
    order = {rule: i for i, rule in enumerate((*rules, WARNING_RULE))}
    found: set[tuple[int, str, tuple[str, ...]]] = set()

    def add(run: int, rule: str, cols: Sequence[int]) -> None:
        found.add((run, rule, tuple(sorted({names[c] for c in cols}))))

    # results as (run, control, z), pooled in run order then control order
    pooled = [
        (r, c, float(table[r, c]))
        for r in range(table.shape[0])
        for c in range(table.shape[1])
        if not np.isnan(table[r, c])
    ]
    series = [[item for item in pooled if item[1] == c] for c in range(len(names))]
    by_run: dict[int, list[tuple[int, int, float]]] = {}
    for item in pooled:
        by_run.setdefault(item[0], []).append(item)

    # single-result rules
    for r, c, value in pooled:
        if abs(value) > 3.0 and RULE_1_3S in rules:
            add(r, RULE_1_3S, [c])
        if abs(value) > 2.0:
            add(r, WARNING_RULE, [c])

    # R-4s within each run
    for r, items in by_run.items():
        high = [c for _, c, v in items if v > 2.0]
        low = [c for _, c, v in items if v < -2.0]
        if high and low:
            add(r, RULE_R_4S, high + low)

    # window rules
    for rule in rules:
        if rule not in WINDOW_RULES:
            continue
        m, k, limit = WINDOW_RULES[rule]
        for side in (1.0, -1.0):
            # 2-2s and 2of3-2s: the same control across runs, or levels within one run
            # (methods §6); only the 1s and x rules run across runs and levels together
            sequences = series if rule in SAME_LEVEL_RULES else (*series, pooled)
            for sequence in sequences:
                for j, (r, _c, value) in enumerate(sequence):
                    if not side * value > limit:
                        continue
                    window = sequence[max(0, j - k + 1) : j + 1]
                    beyond = [item for item in window if side * item[2] > limit]
                    if len(beyond) >= m:
                        add(r, rule, [item[1] for item in beyond])
            for r, items in by_run.items():
                beyond = [item for item in items if side * item[2] > limit]
                if len(beyond) >= m:
                    add(r, rule, [item[1] for item in beyond])

    hits = [
        RuleHit(run=r, rule=rule, controls=cols, reject=rule != WARNING_RULE)
        for r, rule, cols in found
    ]
    hits.sort(key=lambda h: (h.run, order[h.rule], h.controls))
    return hits
