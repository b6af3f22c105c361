"""Inter-assay precision of one control across runs: one-way random-effects ANOVA (DESIGN 4.6).

Input: per-well results of one control (concentration after dilution, unit U, e.g. pg/mL), each
tagged with the run it was measured in. Runs may hold different numbers of results (unbalanced).
Notation: p runs with at least one result, nᵢ results in run i, N = Σnᵢ, yᵢⱼ the results,
ȳᵢ the run means, ȳ = Σyᵢⱼ / N the grand mean (U).

    SS_between = Σ nᵢ (ȳᵢ − ȳ)²          df_b = p − 1      MS_between = SS_between / df_b   (U²)
    SS_within  = Σ Σ (yᵢⱼ − ȳᵢ)²         df_w = N − p      MS_within  = SS_within / df_w    (U²)
    n0 = (N − Σnᵢ² / N) / (p − 1)         (= n when every run has n results)
    s_r² = MS_within                                        repeatability variance        (U²)
    s_b² = max(0, (MS_between − MS_within) / n0)            between-run variance          (U²)
    s_T² = s_r² + s_b²                                      total (within-lab) variance   (U²)
    CV_x = 100 · s_x / ȳ                                    (%)

Satterthwaite degrees of freedom of s_T²: untruncated, s_T² = MS_between/n0 + (1 − 1/n0)·MS_within,
a linear combination of independent mean squares, so

    df_T = s_T⁴ / ((MS_between/n0)² / df_b + ((1 − 1/n0)·MS_within)² / df_w).

When s_b² is truncated to 0, s_T² = MS_within and df_T = df_w. MS_between within rounding of
MS_within (TIE_REL) is a tie, s_b² = 0 untruncated: the two formulas for df_T differ there, and
rounding alone (the order of the results) must not choose between them. The 95 % interval of the total
CV (%) is 100 · sqrt(s_T² · df_T / χ²(q, df_T)) / ȳ with q = 0.975 for the lower and q = 0.025
for the upper limit (χ² quantiles at non-integer df).

Labelled, for comparison with publications (methods 5.3), none of which is a variance component:
- ``cv_run_means_pct``: 100 · SD(ȳᵢ, ddof=1) / mean(ȳᵢ) over the runs (estimates
  sqrt(s_b² + s_r²/n) / mean, neither component);
- ``cv_mean_of_runs_pct``: the arithmetic mean of the per-run CVs 100 · SD(yᵢ·, ddof=1) / ȳᵢ over
  runs with ≥ 2 results (biased low for duplicates);
- ``cv_rms_of_runs_pct``: their root mean square, sqrt(Σ CVᵢ² / k) over the same k runs.

Data problems give NaN, never an exception: fewer than 2 runs (no between-run term), no run with
two results (no within-run term), a grand mean ≤ 0 (CVs undefined). NaN results are dropped
before anything is counted. QCError only for misuse (lengths differ, a bad limit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from qc.arrays import CV_SLACK_PCT
from qc.errors import QCError
from qc.quantiles import chi2_quantile

NAN = float("nan")
#: |MS_between − MS_within| below this share of the larger is rounding: s_b² = 0, not truncated
TIE_REL = 1e-12


@dataclass(frozen=True, kw_only=True)
class InterAssayOutcome:
    """Variance components and labelled CVs of one control across runs (CVs in %)."""

    n_runs: int  # runs with at least one result
    n_results: int  # results (wells) used, NaN dropped
    mean: float  # grand mean of the results (unit of the results)
    cv_repeatability_pct: float  # 100 · s_r / mean
    cv_between_pct: float  # 100 · s_b / mean (0 when truncated)
    cv_total_pct: float  # 100 · sqrt(s_r² + s_b²) / mean
    cv_total_df: float  # Satterthwaite df of s_T²
    cv_total_ci_low: float  # 95 % CI of the total CV (%), lower limit
    cv_total_ci_high: float  # upper limit
    cv_run_means_pct: float  # CV of the run means (labelled: neither component)
    cv_mean_of_runs_pct: float  # arithmetic mean of per-run CVs
    cv_rms_of_runs_pct: float  # root mean square of per-run CVs
    truncated: bool  # MS_between < MS_within: the between-run variance was set to 0
    limit_pct: float  # the inter-assay CV limit the total CV is judged against
    passed: bool | None  # total CV <= limit; None below min_runs runs or without a total CV


@dataclass(frozen=True, kw_only=True)
class AnovaTable:
    """One-way ANOVA of results by run (mean squares in squared result units)."""

    n_runs: int
    n_results: int
    grand_mean: float
    ms_between: float  # NaN below 2 runs
    ms_within: float  # NaN without a run of >= 2 results
    df_between: int
    df_within: int
    n0: float  # effective results per run; NaN below 2 runs


def one_way_anova(run_ids: Sequence[str] | np.ndarray, values: ArrayLike) -> AnovaTable:
    """The one-way ANOVA table of ``values`` grouped by ``run_ids`` (NaN values dropped)."""
    ids, y = _clean(run_ids, values)
    n_results = int(y.size)
    if n_results == 0:
        return AnovaTable(
            n_runs=0,
            n_results=0,
            grand_mean=NAN,
            ms_between=NAN,
            ms_within=NAN,
            df_between=0,
            df_within=0,
            n0=NAN,
        )
    _, group = np.unique(ids, return_inverse=True)
    counts = np.bincount(group).astype(float)
    sums = np.bincount(group, weights=y)
    means = sums / counts
    p = int(counts.size)
    grand = float(y.mean())
    df_b = p - 1
    df_w = n_results - p
    ss_b = float(np.sum(counts * (means - grand) ** 2))
    ss_w = float(np.sum((y - means[group]) ** 2))
    ms_b = ss_b / df_b if df_b > 0 else NAN
    ms_w = ss_w / df_w if df_w > 0 else NAN
    n0 = (n_results - float(np.sum(counts**2)) / n_results) / df_b if df_b > 0 else NAN
    return AnovaTable(
        n_runs=p,
        n_results=n_results,
        grand_mean=grand,
        ms_between=ms_b,
        ms_within=ms_w,
        df_between=df_b,
        df_within=df_w,
        n0=n0,
    )


def inter_assay_cv(
    run_ids: Sequence[str], values: ArrayLike, limit_pct: float, *, min_runs: int = 5
) -> InterAssayOutcome:
    """Variance components, total CV with Satterthwaite df and 95 % CI, and the labelled CVs.

    ``run_ids``: the run of each result (any hashable labels, one per value); ``values``: per-well
    results of one control in concentration units; ``limit_pct``: the analyte's inter-assay CV
    limit (%). ``passed`` = total CV ≤ limit, judged only with at least ``min_runs`` runs (else
    None, also None when the total CV is undefined). Formulas and units: see the module docstring.
    """
    if not (np.isfinite(limit_pct) and limit_pct > 0):
        raise QCError(f"the inter-assay CV limit must be a finite percentage > 0, got {limit_pct}")
    if min_runs < 1:
        raise QCError(f"min_runs must be at least 1, got {min_runs}")
    ids, y = _clean(run_ids, values)
    table = one_way_anova(ids, y)
    grand = table.grand_mean

    def cv(variance: float) -> float:
        if not (np.isfinite(variance) and np.isfinite(grand) and grand > 0):
            return NAN
        return float(100.0 * np.sqrt(variance) / grand)

    ms_b, ms_w, n0 = table.ms_between, table.ms_within, table.n0
    s_r2 = ms_w
    truncated = False
    if np.isfinite(ms_b) and np.isfinite(ms_w):
        raw_b = (ms_b - ms_w) / n0
        tie = abs(ms_b - ms_w) <= TIE_REL * max(ms_b, ms_w)
        truncated = bool(raw_b < 0.0) and not tie
        s_b2 = 0.0 if tie else max(0.0, raw_b)
        total = s_r2 + s_b2
        if truncated:
            df_total = float(table.df_within)
        else:
            term_b = ms_b / n0
            term_w = (1.0 - 1.0 / n0) * ms_w
            denominator = term_b**2 / table.df_between + term_w**2 / table.df_within
            df_total = float(total**2 / denominator) if denominator > 0 else NAN
    else:
        s_b2 = total = df_total = NAN

    if np.isfinite(total) and np.isfinite(df_total) and df_total > 0:
        ci_low = cv(total * df_total / chi2_quantile(0.975, df_total))
        ci_high = cv(total * df_total / chi2_quantile(0.025, df_total))
    else:
        ci_low = ci_high = NAN

    run_means, run_cvs = _per_run(ids, y)
    if run_means.size >= 2 and np.mean(run_means) > 0:
        cv_means = float(100.0 * np.std(run_means, ddof=1) / np.mean(run_means))
    else:
        cv_means = NAN
    if run_cvs.size:
        cv_mean_runs = float(np.mean(run_cvs))
        cv_rms_runs = float(np.sqrt(np.mean(run_cvs**2)))
    else:
        cv_mean_runs = cv_rms_runs = NAN

    cv_total = cv(total)
    if table.n_runs < min_runs or not np.isfinite(cv_total):
        passed = None
    else:
        passed = bool(cv_total <= limit_pct + CV_SLACK_PCT)
    return InterAssayOutcome(
        n_runs=table.n_runs,
        n_results=table.n_results,
        mean=grand,
        cv_repeatability_pct=cv(s_r2),
        cv_between_pct=cv(s_b2),
        cv_total_pct=cv_total,
        cv_total_df=df_total,
        cv_total_ci_low=ci_low,
        cv_total_ci_high=ci_high,
        cv_run_means_pct=cv_means,
        cv_mean_of_runs_pct=cv_mean_runs,
        cv_rms_of_runs_pct=cv_rms_runs,
        truncated=truncated,
        limit_pct=float(limit_pct),
        passed=passed,
    )


def _clean(run_ids: Sequence[str] | np.ndarray, values: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Run labels and float values with NaN values dropped; QCError when lengths differ."""
    y = np.asarray(values, dtype=float)
    if y.ndim != 1:
        raise QCError(f"values must be one-dimensional, got shape {y.shape}")
    ids = np.asarray(list(run_ids), dtype=object)
    if ids.ndim != 1 or ids.size != y.size:
        raise QCError(f"run_ids and values must have the same length; got {ids.size} and {y.size}")
    keep = ~np.isnan(y)
    if np.any(np.isinf(y[keep])):
        raise QCError("values must be finite numbers or NaN")
    ids = ids[keep]
    # labels as strings so mixed types sort; str(x) keeps distinct labels distinct for the
    # str/int labels callers use
    return np.array([str(i) for i in ids], dtype=object), y[keep]


def _per_run(ids: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run means (every run) and per-run CVs in % (runs with >= 2 results and a positive mean)."""
    if y.size == 0:
        return np.empty(0), np.empty(0)
    _, group = np.unique(ids, return_inverse=True)
    means, cvs = [], []
    for g in range(int(group.max()) + 1):
        values = y[group == g]
        m = float(values.mean())
        means.append(m)
        if values.size >= 2 and m > 0:
            cvs.append(100.0 * float(np.std(values, ddof=1)) / m)
    return np.asarray(means), np.asarray(cvs)
