"""Westgard multirules on the control results of a series of runs (DESIGN 4.6, methods 6).

Input: ``z`` with shape (n_runs, n_controls), runs in run order, controls in the order given;
z = (run mean − LJ mean) / LJ SD of that control; NaN where a run lacks a control. A *result* is
one finite z. Missing results are skipped, never treated as in control.

Sides and limits: a result is *beyond +L* when z > L and *beyond −L* when z < −L (strictly; a
result exactly on a limit is not beyond it). "On the same side of the mean" is beyond ±0
(z > 0 or z < 0; z == 0 is on neither side).

Rule set: ``rule_set`` (a ``qc.rule_sets.RuleSet``), by default ``default_rule_set(C)`` for C
controls. Which rules reject and which only warn, and where each multi-result rule looks, come
from the rule set; the semantics of each rule and each place it looks are below.

Single-result rules (1-2s, 1-3s), per result of run r: the result is beyond +L or −L; one hit
per control.

Range rules (R-4s), within run r only (never across runs): some result of run r is beyond +L
and another beyond −L (L = 2 for R-4s); one hit listing every control of run r beyond ±L.

Multi-result rules "m of k consecutive results beyond the same limit L":
2-2s (m = k = 2, L = 2), 4-1s (4, 4, 1), 10-x (10, 10, 0), 2of3-2s (m = 2, k = 3, L = 2),
3-1s (3, 3, 1), 6-x (6, 6, 0). A hit at run r needs a pattern that the run completes: its last
result beyond the limit is a result of run r. Up to three sequences are searched, for each side,
as the rule's scopes say:
  (a) ``control``, each control's own series across runs: for a result of control c at run r
      that is beyond the limit, the window of the k results of that control ending with it (fewer at the start
      of the series) holds at least m results beyond the same limit -> hit with controls (c,);
  (b) ``pooled``, the pooled sequence of all results in run order, within a run in the order of
      the controls given: for a result of run r beyond the limit, the window of the k pooled results ending
      with it (fewer at the start) holds at least m beyond the same limit -> hit whose controls
      are those of the results beyond the limit in that window (so within one run across
      controls, and across consecutive runs);
  (c) ``run``, within run r as a set: at least m of its results beyond the same limit -> hit
      with their controls (e.g. 2-2s on the first and third of four controls).
For m = k every result of the window is in the pattern; for 2of3-2s the pattern is the results
beyond 2 in the window. A pattern that continues (a shift) completes a new pattern at every run
that extends it, so the rule fires again at each such run; earlier runs of a pattern never get
the hit. Hits are de-duplicated on (run, rule, controls); the same rule at the same run may
appear with different control sets (e.g. ``4-1s:QC-low`` from (a) and ``4-1s:QC-high+QC-low``
from (b)). Controls in a hit are sorted by name.

Order of the returned list: by run, then reject rules in the rule set's order, then warning
rules in theirs, then controls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from qc.codes import RULE_1_2S, SCOPE_CONTROL, SCOPE_POOLED, SCOPE_RUN
from qc.errors import QCError
from qc.rule_sets import RANGE, SINGLE, Rule, RuleSet, default_rule_set

WARNING_RULE = RULE_1_2S


@dataclass(frozen=True)
class RuleHit:
    """One rule violation, reported at the run that completes its pattern."""

    run: int  # index into the runs (in run order)
    rule: str  # the rule's name: "1-2s", "1-3s", "2-2s", "R-4s", "4-1s", "2of3-2s", ...
    controls: tuple[str, ...]  # the control(s) whose results complete the pattern, sorted
    reject: bool  # False for a warning rule (e.g. 1-2s), which gates nothing


def rule_label(hit: RuleHit) -> str:
    """``rule:control``; several controls joined by ``+``, e.g. ``R-4s:QC-high+QC-low``."""
    return f"{hit.rule}:{'+'.join(hit.controls)}"


def westgard(
    z: ArrayLike, controls: Sequence[str], rule_set: RuleSet | None = None
) -> list[RuleHit]:
    """Every rule hit on the z table (runs x controls, both in order); see the module docstring.

    ``rule_set``: the rules to apply (default ``default_rule_set(len(controls))``).
    """
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

    rules = rule_set if rule_set is not None else default_rule_set(len(names))
    order = {rule.name: i for i, rule in enumerate(rules.rules)}
    rejects = {rule.name: rule.reject for rule in rules.rules}
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

    for rule in rules.rules:
        if rule.kind == SINGLE:
            for r, c, value in pooled:
                if abs(value) > rule.limit:
                    add(r, rule.name, [c])
        elif rule.kind == RANGE:  # within each run only
            for r, items in by_run.items():
                high = [c for _, c, v in items if v > rule.limit]
                low = [c for _, c, v in items if v < -rule.limit]
                if high and low:
                    add(r, rule.name, high + low)
        else:
            _window_hits(rule, series, pooled, by_run, add)

    hits = [
        RuleHit(run=r, rule=rule, controls=cols, reject=rejects[rule]) for r, rule, cols in found
    ]
    hits.sort(key=lambda h: (h.run, order[h.rule], h.controls))
    return hits


def _window_hits(rule: Rule, series, pooled, by_run, add) -> None:
    """Hits of an m-of-k rule along the sequences its scopes name (module docstring (a)-(c))."""
    sequences = []
    if SCOPE_CONTROL in rule.scopes:
        sequences += series
    if SCOPE_POOLED in rule.scopes:
        sequences.append(pooled)
    for side in (1.0, -1.0):
        for sequence in sequences:
            for j, (r, _, value) in enumerate(sequence):
                if not side * value > rule.limit:
                    continue
                window = sequence[max(0, j - rule.k + 1) : j + 1]
                beyond = [item for item in window if side * item[2] > rule.limit]
                if len(beyond) >= rule.m:
                    add(r, rule.name, [item[1] for item in beyond])
        if SCOPE_RUN in rule.scopes:
            for r, items in by_run.items():
                beyond = [item for item in items if side * item[2] > rule.limit]
                if len(beyond) >= rule.m:
                    add(r, rule.name, [item[1] for item in beyond])
