"""Power functions of a Westgard rule set by seeded simulation: the probability of false rejection
(Pfr) and of error detection (Ped) per run (docs/computation.md).

Model: each control's result in a run, in SD units of its Levey-Jennings limits, is
z ~ N(0, 1) independently across controls and runs when the method is in control. A simulated
*run under test* follows ``history`` in-control runs (enough for the longest window of the rule
set, so rules across runs see a full history). The error is in the run under test only, on
every control: a systematic shift adds ``shift`` SD; a random-error increase multiplies the SD by
``factor``. The run is rejected when any reject rule of the set completes a pattern at it,
judged exactly as ``qc.westgard.westgard`` judges the last run of a series without gaps.

Pfr = P(reject | no error); Ped(shift, factor) = P(reject | that error). Pure numpy, vectorised
over simulated runs; a seeded ``numpy.random.default_rng`` makes every number reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qc.codes import SCOPE_CONTROL, SCOPE_POOLED, SCOPE_RUN
from qc.errors import QCError
from qc.rule_sets import RANGE, SINGLE, Rule, RuleSet

SHIFTS_SD = (1.0, 2.0, 3.0, 4.0)
RE_FACTORS = (1.5, 2.0, 3.0)
N_SIMULATED = 100_000
SEED = 20_251_010
_CHUNK = 25_000  # runs simulated at a time (bounds memory, not results)


@dataclass(frozen=True)
class Power:
    """Pfr and Ped of one rule set with one number of controls."""

    n_controls: int
    rules: str  # RuleSet.label: the reject rules and where each looks
    pfr: float
    ped_se: tuple[float, ...]  # per SHIFTS_SD
    ped_re: tuple[float, ...]  # per RE_FACTORS
    n_simulated: int
    seed: int


def last_run_rejected(z: np.ndarray, rule_set: RuleSet) -> np.ndarray:
    """Per simulated series (axis 0), whether a reject rule completes a pattern at its last run.

    ``z``: (n_series, n_runs, n_controls), runs in order, controls low to high, no gaps.
    """
    if z.ndim != 3 or z.shape[1] < 1 or z.shape[2] < 1:
        raise QCError(f"z must have shape (n_series, n_runs, n_controls), got {z.shape}")
    fired = np.zeros(z.shape[0], dtype=bool)
    for rule in rule_set.reject_rules:
        fired |= rule_fires_last(z, rule)
    return fired


def rule_fires_last(z: np.ndarray, rule: Rule) -> np.ndarray:
    """Whether ``rule`` completes a pattern at the last run of each series (see westgard)."""
    last = z[:, -1, :]
    if rule.kind == SINGLE:
        return (np.abs(last) > rule.limit).any(axis=1)
    if rule.kind == RANGE:
        return np.asarray((last > rule.limit).any(axis=1) & (last < -rule.limit).any(axis=1))
    n, n_runs, n_controls = z.shape
    out = np.zeros(n, dtype=bool)
    for side in (1.0, -1.0):
        beyond = side * z > rule.limit  # (n, runs, controls)
        now = beyond[:, -1, :]
        if SCOPE_RUN in rule.scopes:
            out |= now.sum(axis=1) >= rule.m
        if SCOPE_CONTROL in rule.scopes:
            count = beyond[:, -rule.k :, :].sum(axis=1)
            out |= (now & (count >= rule.m)).any(axis=1)
        if SCOPE_POOLED in rule.scopes:
            flat = beyond.reshape(n, n_runs * n_controls)
            cum = np.concatenate([np.zeros((n, 1), dtype=int), np.cumsum(flat, axis=1)], axis=1)
            for c in range(n_controls):
                end = (n_runs - 1) * n_controls + c + 1  # one past this result
                count = cum[:, end] - cum[:, max(0, end - rule.k)]
                out |= flat[:, end - 1] & (count >= rule.m)
    return out


def rejection_rate(
    rule_set: RuleSet,
    n_controls: int,
    *,
    shift: float = 0.0,
    factor: float = 1.0,
    n_simulated: int = N_SIMULATED,
    rng: np.random.Generator,
) -> float:
    """Share of ``n_simulated`` runs under test rejected, with the error in that run only."""
    if n_controls < 1 or n_simulated < 1 or not factor > 0:
        raise QCError("need n_controls ≥ 1, n_simulated ≥ 1 and factor > 0")
    history = rule_set.max_window  # at least k − 1 earlier runs for every window
    rejected = 0
    for start in range(0, n_simulated, _CHUNK):
        size = min(_CHUNK, n_simulated - start)
        z = rng.standard_normal((size, history + 1, n_controls))
        z[:, -1, :] = z[:, -1, :] * factor + shift
        rejected += int(last_run_rejected(z, rule_set).sum())
    return rejected / n_simulated


def power_function(
    rule_set: RuleSet, n_controls: int, *, n_simulated: int = N_SIMULATED, seed: int = SEED
) -> Power:
    """Pfr, Ped for shifts of SHIFTS_SD and for RE_FACTORS, from one seeded generator."""
    rng = np.random.default_rng(seed)

    def rate(**error: float) -> float:
        return rejection_rate(rule_set, n_controls, n_simulated=n_simulated, rng=rng, **error)

    return Power(
        n_controls=n_controls,
        rules=rule_set.label,
        pfr=rate(),
        ped_se=tuple(rate(shift=s) for s in SHIFTS_SD),
        ped_re=tuple(rate(factor=f) for f in RE_FACTORS),
        n_simulated=n_simulated,
        seed=seed,
    )


def monte_carlo_se(p: float, n: int) -> float:
    """Standard error of a simulated probability p from n runs: sqrt(p (1 − p) / n)."""
    return float(np.sqrt(max(p * (1 - p), 0.0) / n))
