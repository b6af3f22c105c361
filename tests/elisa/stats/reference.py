"""Independent computations for the stats tests: the cohort read with the csv module, censoring
applied by hand, and the test statistics from their textbook formulas (or statsmodels /
scikit-posthocs, never the code under test)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path

import numpy as np
from scipy import stats

from tests.conftest import read_rows

FACTORS = {"exclude": None, "lloq/2": 0.5, "lloq/sqrt2": 2**-0.5, "lloq": 1.0}


class RawCohort:
    """cohort.csv as text cells, and its columns as floats under a policy."""

    def __init__(self, path: Path) -> None:
        self.rows = read_rows(path)
        header = list(self.rows[0])
        self.analytes = [c for c in header if f"{c}_status" in header]

    def column(self, name: str, policy: str = "exclude") -> np.ndarray:
        out = []
        for row in self.rows:
            if name in self.analytes:
                status = row[f"{name}_status"]
                factor = FACTORS[policy]
                if status == "ok":
                    out.append(float(row[name]))
                elif status == "below" and factor is not None:
                    out.append(float(row[f"{name}_limit"]) * factor)
                else:
                    out.append(math.nan)
            else:
                out.append(float(row[name]) if row[name] != "" else math.nan)
        return np.array(out)

    def groups(self, column: str = "group") -> np.ndarray:
        return np.array([row[column] for row in self.rows], dtype=object)

    def samples(self, name: str, policy: str = "exclude") -> dict[str, np.ndarray]:
        """Finite values per group (sorted names), groups with two values or more."""
        values, labels = self.column(name, policy), self.groups()
        out = {}
        for g in sorted(set(labels)):
            v = values[(labels == g) & np.isfinite(values)]
            if v.size >= 2:
                out[g] = v
        return out


def one_way_anova(samples: Sequence[np.ndarray]) -> tuple[float, float, float, float]:
    """F, df between, df within, p from the sums of squares."""
    every = np.concatenate(samples)
    grand = every.mean()
    between = sum(s.size * (s.mean() - grand) ** 2 for s in samples)
    within = sum(((s - s.mean()) ** 2).sum() for s in samples)
    df1, df2 = len(samples) - 1, every.size - len(samples)
    f = (between / df1) / (within / df2)
    return f, df1, df2, stats.f.sf(f, df1, df2)


def levene_mean(samples: Sequence[np.ndarray]) -> float:
    """Levene's test: the ANOVA of absolute deviations from each group's mean."""
    return one_way_anova([np.abs(s - s.mean()) for s in samples])[3]


def bartlett(samples: Sequence[np.ndarray]) -> float:
    k = len(samples)
    n = np.array([s.size for s in samples])
    var = np.array([s.var(ddof=1) for s in samples])
    total = n.sum()
    pooled = ((n - 1) * var).sum() / (total - k)
    chi2 = ((total - k) * math.log(pooled) - ((n - 1) * np.log(var)).sum()) / (
        1 + (np.sum(1 / (n - 1)) - 1 / (total - k)) / (3 * (k - 1))
    )
    return stats.chi2.sf(chi2, k - 1)


def welch_anova(samples: Sequence[np.ndarray]) -> tuple[float, float, float, float]:
    k = len(samples)
    n = np.array([s.size for s in samples], dtype=float)
    m = np.array([s.mean() for s in samples])
    w = n / np.array([s.var(ddof=1) for s in samples])
    mw = (w * m).sum() / w.sum()
    a = (w * (m - mw) ** 2).sum() / (k - 1)
    tmp = (((1 - w / w.sum()) ** 2) / (n - 1)).sum()
    f = a / (1 + 2 * (k - 2) / (k**2 - 1) * tmp)
    df2 = (k**2 - 1) / (3 * tmp)
    return f, k - 1, df2, stats.f.sf(f, k - 1, df2)


def tie_sum(values: np.ndarray) -> float:
    _, counts = np.unique(values, return_counts=True)
    return float(np.sum(counts**3 - counts))


def kruskal(samples: Sequence[np.ndarray]) -> tuple[float, float]:
    every = np.concatenate(samples)
    ranks = stats.rankdata(every)
    total, h, start = every.size, 0.0, 0
    for s in samples:
        h += ranks[start : start + s.size].sum() ** 2 / s.size
        start += s.size
    h = 12 / (total * (total + 1)) * h - 3 * (total + 1)
    h /= 1 - tie_sum(every) / (total**3 - total)
    return h, stats.chi2.sf(h, len(samples) - 1)


def mann_whitney(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """U of the first sample and the normal-approximation p with tie and continuity corrections."""
    every = np.concatenate([a, b])
    ranks = stats.rankdata(every)
    u = ranks[: a.size].sum() - a.size * (a.size + 1) / 2
    total = every.size
    mu = a.size * b.size / 2
    sigma = math.sqrt(a.size * b.size / 12 * ((total + 1) - tie_sum(every) / (total * (total - 1))))
    z = (abs(u - mu) - 0.5) / sigma
    return u, 2 * stats.norm.sf(z)


def holm(p: Sequence[float]) -> list[float]:
    order = np.argsort(p, kind="stable")
    m, running, out = len(p), 0.0, [0.0] * len(p)
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def bh(p: Sequence[float]) -> list[float]:
    order = np.argsort(p, kind="stable")[::-1]
    m, running, out = len(p), 1.0, [0.0] * len(p)
    for position, i in enumerate(order):
        rank = m - position
        running = min(running, p[i] * m / rank)
        out[i] = running
    return out


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    dx, dy = x - x.mean(), y - y.mean()
    return float((dx * dy).sum() / math.sqrt((dx * dx).sum() * (dy * dy).sum()))


def partial(matrix: np.ndarray) -> float:
    """Partial correlation of columns 0 and 1 given the rest, from the inverse correlation
    matrix (a different route from regression residuals)."""
    precision = np.linalg.inv(np.corrcoef(matrix, rowvar=False))
    return float(-precision[0, 1] / math.sqrt(precision[0, 0] * precision[1, 1]))


def t_p(r: float, df: int) -> float:
    t = r * math.sqrt(df / (1 - r * r))
    return 2 * stats.t.sf(abs(t), df)


def fisher(r: float, n: int, k: int) -> tuple[float, float]:
    half = 1.959963984540054 / math.sqrt(n - 3 - k)
    return math.tanh(math.atanh(r) - half), math.tanh(math.atanh(r) + half)


def pairs(names: Sequence[str]) -> list[tuple[str, str]]:
    return list(combinations(names, 2))
