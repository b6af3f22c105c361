"""Correlations of markers with other numeric columns (correlations.csv).

- Unadjusted: Pearson (`scipy.stats.pearsonr`) and Spearman (`scipy.stats.spearmanr`) on the
  subjects with both values.
- Partial, adjusted for the `--adjust` columns, on the subjects with every value: x and y are
  regressed on the covariates (least squares with an intercept) and the residuals correlated;
  Spearman does the same on ranks. p from t = r·√(df / (1 − r²)) with df = n − 2 − k for k
  covariates (`scipy.stats.t`).
- 95 % CI by Fisher's z: tanh(atanh r ± 1.95996 / √(n − 3 − k)), for both methods.
- `p_adj` over the whole file by `--multiple` (`statsmodels` `multipletests`: holm or fdr_bh).

A pair with too few subjects (n − 3 − k < 1) or a constant column is skipped with a warning.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from elisa.stats.posthoc import adjust

CORRELATION_COLUMNS = (
    "group",
    "x",
    "y",
    "method",
    "adjusted_for",
    "n",
    "r",
    "ci_low",
    "ci_high",
    "p",
    "p_adj",
)
METHODS = ("pearson", "spearman")
CONFIDENCE = 0.95


def fisher_ci(r: float, n: int, k: int = 0) -> tuple[float, float]:
    """The 95 % confidence interval of a (partial) correlation by Fisher's z transform."""
    z = np.arctanh(np.clip(r, -1.0, 1.0))
    half = stats.norm.ppf(0.5 + CONFIDENCE / 2) / np.sqrt(n - 3 - k)
    return float(np.tanh(z - half)), float(np.tanh(z + half))


def _residuals(values: np.ndarray, covariates: np.ndarray) -> np.ndarray:
    design = np.column_stack([np.ones(len(values)), covariates])
    coef, *_ = np.linalg.lstsq(design, values, rcond=None)
    return values - design @ coef


def correlate(x: np.ndarray, y: np.ndarray, method: str, covariates: np.ndarray | None) -> dict:
    """n, r, CI and p of x with y (complete cases already taken), partial when covariates."""
    n = len(x)
    k = 0 if covariates is None else covariates.shape[1]
    if covariates is None:
        test = stats.pearsonr(x, y) if method == "pearson" else stats.spearmanr(x, y)
        r, p = float(test.statistic), float(test.pvalue)
    else:
        if method == "spearman":
            x, y = stats.rankdata(x), stats.rankdata(y)
            covariates = np.column_stack([stats.rankdata(c) for c in covariates.T])
        r = float(np.corrcoef(_residuals(x, covariates), _residuals(y, covariates))[0, 1])
        df = n - 2 - k
        t = r * np.sqrt(df / max(1.0 - r * r, np.finfo(float).tiny))
        p = float(2 * stats.t.sf(abs(t), df))
    low, high = fisher_ci(r, n, k)
    return {"n": n, "r": r, "ci_low": low, "ci_high": high, "p": p}


def correlation_rows(
    values: pd.DataFrame,
    pairs: Sequence[tuple[str, str]],
    adjust_for: Sequence[str],
    group: str,
    multiple: str | None,
) -> tuple[pd.DataFrame, list[str]]:
    """Every pair by both methods, unadjusted and (when ``adjust_for``) partial, p_adj over all."""
    rows, warnings = [], []
    for x, y in pairs:
        variants: list[tuple[str, ...]] = [()]
        if adjust_for and x not in adjust_for and y not in adjust_for:
            variants.append(tuple(adjust_for))
        usable = []
        for covariates in variants:
            used = values[[x, y, *covariates]].dropna()
            k = len(covariates)
            if len(used) - 3 - k < 1:
                warnings.append(
                    f"correlation of {x} with {y} in {group}"
                    f"{' adjusted for ' + ','.join(covariates) if k else ''}: "
                    f"{len(used)} subjects, too few"
                )
            elif used[x].nunique() < 2 or used[y].nunique() < 2:
                warnings.append(f"correlation of {x} with {y} in {group}: a constant column")
            else:
                usable.append((covariates, used))
        for method in METHODS:  # each partial correlation right after its unadjusted one
            for covariates, used in usable:
                cov = used[list(covariates)].to_numpy(dtype=float) if covariates else None
                result = correlate(
                    used[x].to_numpy(dtype=float), used[y].to_numpy(dtype=float), method, cov
                )
                rows.append(
                    {
                        "group": group,
                        "x": x,
                        "y": y,
                        "method": method,
                        "adjusted_for": ",".join(covariates),
                        **result,
                    }
                )
    adjusted = adjust([r["p"] for r in rows], multiple)
    for row, p in zip(rows, adjusted):
        row["p_adj"] = p
    return pd.DataFrame(rows, columns=list(CORRELATION_COLUMNS), dtype=object), warnings
