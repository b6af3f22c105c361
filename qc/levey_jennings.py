"""Levey-Jennings limits (LJ mean and SD) of a control, and Westgard over a whole series (DESIGN 4.6).

Limits come from, in this order of preference:
1. the configuration (``source = "config"``), for every run;
2. the baseline: the first ``n_baseline`` (20) runs of the same kit lot that *qualify*, i.e.
   passed and fired no reject rule; mean and SD (ddof = 1) of their run means
   (``source = "baseline"``). Once a lot has that many qualifying runs, the baseline applies to
   every run of that lot, the first 20 included;
3. provisional: mean = the control's expected concentration, SD = inter limit % × expected
   (``source = "provisional"``), for every run of a lot without a baseline.

"Fired no reject rule" is judged with the limits in force before the baseline exists (the
configuration's where given, else provisional), so the baseline never depends on itself.
Run means and limits are in the control's concentration unit; a run mean is the mean of the
run's per-well results of that control (NaN when the run lacks the control).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from qc.errors import QCError
from qc.rule_sets import RuleSet
from qc.westgard import RuleHit, westgard

CONFIG = "config"
BASELINE = "baseline"
PROVISIONAL = "provisional"
N_BASELINE = 20


@dataclass(frozen=True)
class LJLimits:
    """Levey-Jennings mean and SD of one control (concentration units)."""

    mean: float
    sd: float
    source: str  # "config", "baseline", "provisional"


@dataclass(frozen=True)
class LJOutcome:
    """Limits, z values and Westgard hits of a series of runs (runs in run order)."""

    limits: tuple[tuple[LJLimits, ...], ...]  # [control][run]
    z: np.ndarray  # (n_runs, n_controls), NaN where a run lacks a control or limits are undefined
    hits: tuple[RuleHit, ...]  # westgard(z, controls)
    qualifies: np.ndarray  # (n_runs,) bool: passed and no reject rule under the pre-baseline limits


def provisional_limits(expected: float, inter_limit_pct: float) -> LJLimits:
    """Mean = ``expected``; SD = ``inter_limit_pct``/100 × ``expected`` (NaN expected: NaN)."""
    if not (np.isfinite(inter_limit_pct) and inter_limit_pct > 0):
        raise QCError(
            f"the inter-assay CV limit must be a finite percentage > 0, got {inter_limit_pct}"
        )
    mean = float(expected)
    return LJLimits(mean=mean, sd=abs(mean) * inter_limit_pct / 100.0, source=PROVISIONAL)


def baseline_limits(
    run_means: ArrayLike, qualifies: ArrayLike, n_baseline: int = N_BASELINE
) -> LJLimits | None:
    """Mean and SD (ddof=1) of the first ``n_baseline`` qualifying runs' means; None if fewer.

    Runs are in run order; a run counts when ``qualifies`` is true and its mean is finite.
    """
    means = np.atleast_1d(np.asarray(run_means, dtype=float))
    ok = np.atleast_1d(np.asarray(qualifies, dtype=bool))
    if means.ndim != 1 or ok.shape != means.shape:
        raise QCError(
            f"run_means and qualifies must be one-dimensional of the same length; got shapes "
            f"{means.shape} and {ok.shape}"
        )
    if n_baseline < 2:
        raise QCError(f"n_baseline must be at least 2, got {n_baseline}")
    chosen = means[ok & np.isfinite(means)][:n_baseline]
    if chosen.size < n_baseline:
        return None
    return LJLimits(mean=float(chosen.mean()), sd=float(np.std(chosen, ddof=1)), source=BASELINE)


def lj_series(
    run_means: ArrayLike,
    passed: ArrayLike,
    lots: Sequence[Hashable],
    expected: float,
    inter_limit_pct: float,
    config_limits: LJLimits | None = None,
    *,
    no_reject: ArrayLike | None = None,
    n_baseline: int = N_BASELINE,
    rule_set: RuleSet | None = None,
) -> list[LJLimits]:
    """The limits in force at each run of ONE control's series (runs in run order).

    ``passed``: the run passed (plate verdict, or accepted on review); ``lots``: the kit lot of
    each run; ``expected``: the control's expected concentration (for provisional limits);
    ``config_limits``: fixed limits from the configuration (then used for every run).
    ``no_reject``: per run, true when the run fired no reject rule under the pre-baseline limits
    (judged on all controls of the run; ``lj_westgard`` computes it). When omitted it is judged
    on this control alone with ``westgard`` and ``rule_set`` (default: the one-control set),
    which is right only when the analyte has one control.
    """
    means = np.atleast_1d(np.asarray(run_means, dtype=float))
    ok = np.atleast_1d(np.asarray(passed, dtype=bool))
    lot_list = list(lots)
    if means.ndim != 1 or ok.shape != means.shape or len(lot_list) != means.size:
        raise QCError(
            f"run_means, passed and lots must have one entry per run; got {means.size}, "
            f"{ok.size}, {len(lot_list)}"
        )
    if config_limits is not None:
        fixed = LJLimits(float(config_limits.mean), float(config_limits.sd), CONFIG)
        return [fixed] * means.size
    pre = provisional_limits(expected, inter_limit_pct)
    if no_reject is None:
        z = _z(means, [pre] * means.size)
        no_reject_a = np.ones(means.size, dtype=bool)
        for lot in _unique(lot_list):
            idx = [i for i, x in enumerate(lot_list) if x == lot]
            for hit in westgard(z[idx].reshape(-1, 1), ["control"], rule_set):
                if hit.reject:
                    no_reject_a[idx[hit.run]] = False
    else:
        no_reject_a = np.atleast_1d(np.asarray(no_reject, dtype=bool))
        if no_reject_a.shape != means.shape:
            raise QCError(f"no_reject must have one entry per run; got {no_reject_a.size}")
    qualifies = ok & no_reject_a
    out: list[LJLimits] = [pre] * means.size
    for lot in _unique(lot_list):
        idx = [i for i, x in enumerate(lot_list) if x == lot]
        base = baseline_limits(means[idx], qualifies[idx], n_baseline)
        if base is not None:
            for i in idx:
                out[i] = base
    return out


def lj_westgard(
    run_means: ArrayLike,
    passed: ArrayLike,
    lots: Sequence[Hashable],
    expected: ArrayLike,
    inter_limit_pct: float,
    controls: Sequence[str],
    config_limits: Sequence[LJLimits | None] | None = None,
    *,
    n_baseline: int = N_BASELINE,
    rule_set: RuleSet | None = None,
) -> LJOutcome:
    """The whole sequence for one analyte: limits per control and run, z, and Westgard hits.

    ``run_means``: (n_runs, n_controls), runs in run order (NaN where a run lacks a control);
    ``expected``: per control; ``config_limits``: per control, None where not configured;
    ``rule_set``: the Westgard rules (default: ``default_rule_set`` for this many controls).
    Steps: (1) z under the pre-baseline limits (config, else provisional) and Westgard on it, per
    kit lot (the runs of that lot in order); a run qualifies when it passed and fired no reject
    rule there. (2) ``lj_series`` per control with that qualification. (3) z under the final
    limits and ``westgard`` over all runs in order (lots together): these are the hits.
    """
    names = [str(c) for c in controls]
    means = np.asarray(run_means, dtype=float)
    if means.ndim != 2 or means.shape[1] != len(names):
        raise QCError(f"run_means must have shape (n_runs, {len(names)}), got {means.shape}")
    n_runs = means.shape[0]
    ok = np.atleast_1d(np.asarray(passed, dtype=bool))
    lot_list = list(lots)
    exp = np.atleast_1d(np.asarray(expected, dtype=float))
    if ok.shape != (n_runs,) or len(lot_list) != n_runs or exp.shape != (len(names),):
        raise QCError("passed and lots need one entry per run, expected one per control")
    configured = list(config_limits) if config_limits is not None else [None] * len(names)
    if len(configured) != len(names):
        raise QCError("config_limits needs one entry (or None) per control")

    pre = [
        LJLimits(float(cfg.mean), float(cfg.sd), CONFIG)
        if cfg is not None
        else provisional_limits(exp[j], inter_limit_pct)
        for j, cfg in enumerate(configured)
    ]
    z_pre = (
        np.column_stack([_z(means[:, j], [pre[j]] * n_runs) for j in range(len(names))])
        if names
        else np.empty((n_runs, 0))
    )
    no_reject = np.ones(n_runs, dtype=bool)
    for lot in _unique(lot_list):
        idx = [i for i, x in enumerate(lot_list) if x == lot]
        for hit in westgard(z_pre[idx], names, rule_set):
            if hit.reject:
                no_reject[idx[hit.run]] = False
    qualifies = ok & no_reject
    limits = [
        lj_series(
            means[:, j],
            ok,
            lot_list,
            exp[j],
            inter_limit_pct,
            configured[j],
            no_reject=no_reject,
            n_baseline=n_baseline,
        )
        for j in range(len(names))
    ]
    z = (
        np.column_stack([_z(means[:, j], limits[j]) for j in range(len(names))])
        if names
        else np.empty((n_runs, 0))
    )
    hits = westgard(z, names, rule_set)
    return LJOutcome(
        limits=tuple(tuple(x) for x in limits), z=z, hits=tuple(hits), qualifies=qualifies
    )


def z_scores(run_means: ArrayLike, limits: Sequence[LJLimits]) -> np.ndarray:
    """(run mean − LJ mean) / LJ SD per run; NaN where the mean or the limits are undefined."""
    means = np.atleast_1d(np.asarray(run_means, dtype=float))
    if len(limits) != means.size:
        raise QCError(f"one LJLimits per run needed; got {len(limits)} for {means.size} runs")
    return _z(means, limits)


def _z(means: np.ndarray, limits: Sequence[LJLimits]) -> np.ndarray:
    mu = np.array([lim.mean for lim in limits], dtype=float)
    sd = np.array([lim.sd for lim in limits], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (means - mu) / sd
    z[~(np.isfinite(sd) & (sd > 0))] = np.nan
    return z


def _unique(items: Sequence[Hashable]) -> list[Hashable]:
    """Distinct items in order of first appearance."""
    return list(dict.fromkeys(items))
