"""Pairwise post-hoc tests after a comparison of three or more groups (posthoc.csv).

- Tukey HSD (`scipy.stats.tukey_hsd`) when Levene's test does not reject equal variances.
- Games-Howell otherwise, by its formula: for groups i, j with means m, variances v and sizes n,
  se = √(v_i/n_i + v_j/n_j), Welch–Satterthwaite df = se⁴ / Σ (v/n)²/(n − 1),
  p = P(Q > √2·|m_i − m_j|/se) and CI = (m_i − m_j) ± q₀.₉₅·se/√2, with Q the studentized range
  of k groups and df degrees of freedom (`scipy.stats.studentized_range`).
- Dunn's test (rank-based, after Kruskal-Wallis), by its formula: ranks of the pooled values
  (`scipy.stats.rankdata`, ties averaged), z = (R̄_i − R̄_j) / √((N(N+1)/12 − Σ(t³ − t)/(12(N − 1)))
  · (1/n_i + 1/n_j)), two-sided normal p.

`p_adj`: Tukey and Games-Howell p-values come from the studentized range of all k groups, so they
already hold the family-wise error of the pairs of one variable and are reported as they are.
Dunn's p-values are pairwise and are adjusted within each variable by `--multiple`
(`statsmodels.stats.multitest.multipletests`: holm, fdr_bh; none leaves them unadjusted).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests

POSTHOC_COLUMNS = (
    "variable",
    "test",
    "group_a",
    "group_b",
    "mean_diff",
    "ci_low",
    "ci_high",
    "p_adj",
)
CONFIDENCE = 0.95


def adjust(p: list[float], method: str | None) -> list[float]:
    """p-values adjusted as one family by a statsmodels method (None: as they are)."""
    if method is None or not p:
        return list(p)
    return [float(x) for x in multipletests(p, method=method)[1]]


def tukey(variable: str, samples: dict[str, np.ndarray]) -> list[dict]:
    names = list(samples)
    result = stats.tukey_hsd(*samples.values())
    ci = result.confidence_interval(CONFIDENCE)
    return [
        {
            "variable": variable,
            "test": "tukey",
            "group_a": names[i],
            "group_b": names[j],
            "mean_diff": float(result.statistic[i, j]),
            "ci_low": float(ci.low[i, j]),
            "ci_high": float(ci.high[i, j]),
            "p_adj": float(result.pvalue[i, j]),
        }
        for i, j in combinations(range(len(names)), 2)
    ]


def games_howell(variable: str, samples: dict[str, np.ndarray]) -> list[dict]:
    names = list(samples)
    k = len(names)
    rows = []
    for a, b in combinations(names, 2):
        x, y = samples[a], samples[b]
        va, vb = np.var(x, ddof=1) / x.size, np.var(y, ddof=1) / y.size
        se = np.sqrt(va + vb)
        df = (va + vb) ** 2 / (va**2 / (x.size - 1) + vb**2 / (y.size - 1))
        diff = float(np.mean(x) - np.mean(y))
        q_crit = stats.studentized_range.ppf(CONFIDENCE, k, df)
        half = q_crit * se / np.sqrt(2)
        p = stats.studentized_range.sf(np.sqrt(2) * abs(diff) / se, k, df)
        rows.append(
            {
                "variable": variable,
                "test": "games_howell",
                "group_a": a,
                "group_b": b,
                "mean_diff": diff,
                "ci_low": float(diff - half),
                "ci_high": float(diff + half),
                "p_adj": float(min(p, 1.0)),
            }
        )
    return rows


def dunn_p(samples: dict[str, np.ndarray]) -> list[tuple[str, str, float]]:
    """Unadjusted two-sided p of Dunn's test for each pair of groups (in order)."""
    names = list(samples)
    pooled = np.concatenate(list(samples.values()))
    ranks = stats.rankdata(pooled)
    total = pooled.size
    _, ties = np.unique(pooled, return_counts=True)
    tie_term = np.sum(ties**3 - ties) / (12 * (total - 1))
    mean_rank, start = {}, 0
    for name in names:
        size = samples[name].size
        mean_rank[name] = np.mean(ranks[start : start + size])
        start += size
    out = []
    for a, b in combinations(names, 2):
        var = (total * (total + 1) / 12 - tie_term) * (1 / samples[a].size + 1 / samples[b].size)
        z = (mean_rank[a] - mean_rank[b]) / np.sqrt(var)
        out.append((a, b, float(2 * stats.norm.sf(abs(z)))))
    return out


def dunn(variable: str, samples: dict[str, np.ndarray], method: str | None) -> list[dict]:
    pairs = dunn_p(samples)
    adjusted = adjust([p for _, _, p in pairs], method)
    return [
        {
            "variable": variable,
            "test": "dunn",
            "group_a": a,
            "group_b": b,
            "mean_diff": None,
            "ci_low": None,
            "ci_high": None,
            "p_adj": p,
        }
        for (a, b, _), p in zip(pairs, adjusted)
    ]


def posthoc_rows(
    variable: str, samples: dict[str, np.ndarray], equal_var: bool, method: str | None
) -> list[dict]:
    """Tukey (equal variances) or Games-Howell, then Dunn; nothing for fewer than 3 groups."""
    if len(samples) < 3:
        return []
    parametric = tukey if equal_var else games_howell
    return parametric(variable, samples) + dunn(variable, samples, method)
