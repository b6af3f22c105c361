"""Group comparisons of one variable (comparisons.csv).

Three or more groups: one-way ANOVA (`scipy.stats.f_oneway`), reported once with Levene's test
(`scipy.stats.levene`, centred on the group means as in the classic test) and once with
Bartlett's test (`scipy.stats.bartlett`) of equal variances; Welch's ANOVA
(`statsmodels.stats.oneway.anova_oneway`, unequal variances); Kruskal-Wallis
(`scipy.stats.kruskal`). Two groups: Welch's t (`scipy.stats.ttest_ind`, equal_var=False) and
Mann-Whitney U (`scipy.stats.mannwhitneyu`, two-sided). Groups with fewer than two values of the
variable (e.g. menopause age among premenopausal women) are left out of its comparisons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.oneway import anova_oneway

COMPARISON_COLUMNS = (
    "variable",
    "test",
    "statistic",
    "df1",
    "df2",
    "p",
    "equal_var_test",
    "equal_var_p",
)
EQUAL_VAR_ALPHA = 0.05  # Levene p below this: variances unequal, Games-Howell instead of Tukey
LEVENE_CENTER = "mean"


@dataclass(frozen=True)
class TestResult:
    """One test of one variable."""

    test: str
    statistic: float
    df1: float | None
    df2: float | None
    p: float
    n: int


def group_samples(
    values: np.ndarray, labels: Sequence[str], groups: Sequence[str]
) -> dict[str, np.ndarray]:
    """Each group's finite values, for the groups (in order) that have at least two."""
    labels_array = np.asarray(labels, dtype=object)
    samples = {}
    for g in groups:
        sample = values[(labels_array == g) & np.isfinite(values)]
        if sample.size >= 2:
            samples[g] = sample
    return samples


def mean_tests(samples: dict[str, np.ndarray]) -> list[TestResult]:
    """The tests of location for these groups: ANOVA, Welch's ANOVA and Kruskal-Wallis for three
    or more, Welch's t and Mann-Whitney for two."""
    arrays = list(samples.values())
    n = int(sum(a.size for a in arrays))
    k = len(arrays)
    if k == 2:
        welch = stats.ttest_ind(arrays[0], arrays[1], equal_var=False)
        mw = stats.mannwhitneyu(arrays[0], arrays[1], alternative="two-sided")
        return [
            TestResult(
                "welch_t", float(welch.statistic), float(welch.df), None, float(welch.pvalue), n
            ),
            TestResult("mann_whitney", float(mw.statistic), None, None, float(mw.pvalue), n),
        ]
    anova = stats.f_oneway(*arrays)
    welch_anova = anova_oneway(arrays, use_var="unequal", welch_correction=True)
    kw = stats.kruskal(*arrays)
    return [
        TestResult("anova", float(anova.statistic), k - 1, n - k, float(anova.pvalue), n),
        TestResult(
            "welch_anova",
            float(welch_anova.statistic),
            float(welch_anova.df[0]),
            float(welch_anova.df[1]),
            float(welch_anova.pvalue),
            n,
        ),
        TestResult("kruskal", float(kw.statistic), k - 1, None, float(kw.pvalue), n),
    ]


def equal_variance_tests(samples: dict[str, np.ndarray]) -> dict[str, float]:
    """p of Levene's and Bartlett's tests of equal variances across the groups."""
    arrays = list(samples.values())
    return {
        "levene": float(stats.levene(*arrays, center=LEVENE_CENTER).pvalue),
        "bartlett": float(stats.bartlett(*arrays).pvalue),
    }


def comparison_rows(variable: str, samples: dict[str, np.ndarray]) -> tuple[list[dict], bool]:
    """The rows of comparisons.csv for one variable, and whether the variances may be taken as
    equal (Levene p ≥ 0.05; always False for two groups, where only Welch's t is used)."""
    rows = []
    equal_var = False
    variance = equal_variance_tests(samples) if len(samples) >= 3 else {}
    for result in mean_tests(samples):
        base = {
            "variable": variable,
            "test": result.test,
            "statistic": result.statistic,
            "df1": result.df1,
            "df2": result.df2,
            "p": result.p,
            "equal_var_test": None,
            "equal_var_p": None,
        }
        if result.test == "anova":
            for name, p in variance.items():
                rows.append({**base, "equal_var_test": name, "equal_var_p": p})
        else:
            rows.append(base)
    if variance:
        equal_var = variance["levene"] >= EQUAL_VAR_ALPHA
    return rows, equal_var
