"""Inter-assay CV across runs: one-way random-effects ANOVA, Satterthwaite df and CI (DESIGN 4.6)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2, f_oneway

from qc.errors import QCError
from qc.inter_assay import inter_assay_cv, one_way_anova

# A small unbalanced example: 4 runs with 3, 2, 4 and 1 results (pg/mL).
RUNS = {"R1": [10.0, 10.4, 9.8], "R2": [11.0, 10.6], "R3": [9.5, 9.9, 10.1, 9.7], "R4": [10.2]}
IDS = [run for run, ys in RUNS.items() for _ in ys]
VALUES = [y for ys in RUNS.values() for y in ys]


def hand_anova(groups):
    """Textbook one-way ANOVA written out with plain loops (independent of the module)."""
    all_values = [y for ys in groups for y in ys]
    big_n = len(all_values)
    p = len(groups)
    grand = sum(all_values) / big_n
    ss_b = 0.0
    ss_w = 0.0
    for ys in groups:
        m = sum(ys) / len(ys)
        ss_b += len(ys) * (m - grand) ** 2
        for y in ys:
            ss_w += (y - m) ** 2
    ms_b = ss_b / (p - 1)
    ms_w = ss_w / (big_n - p)
    n0 = (big_n - sum(len(ys) ** 2 for ys in groups) / big_n) / (p - 1)
    return dict(grand=grand, ms_b=ms_b, ms_w=ms_w, n0=n0, df_b=p - 1, df_w=big_n - p)


def test_anova_against_hand_computation_and_statsmodels():
    sm = pytest.importorskip("statsmodels.formula.api")
    anova_lm = pytest.importorskip("statsmodels.stats.anova").anova_lm
    import pandas as pd

    hand = hand_anova(list(RUNS.values()))
    table = one_way_anova(IDS, VALUES)
    fit = sm.ols("y ~ C(run)", data=pd.DataFrame({"run": IDS, "y": VALUES})).fit()
    aov = anova_lm(fit)
    ms_b_sm = aov.loc["C(run)", "mean_sq"]
    ms_w_sm = aov.loc["Residual", "mean_sq"]
    assert aov.loc["C(run)", "df"] == 3 and aov.loc["Residual", "df"] == 6
    for ours, theirs in [
        (table.ms_between, hand["ms_b"]),
        (table.ms_between, ms_b_sm),
        (table.ms_within, hand["ms_w"]),
        (table.ms_within, ms_w_sm),
    ]:
        assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)
    f_stat = f_oneway(*RUNS.values()).statistic
    assert table.ms_between / table.ms_within == pytest.approx(f_stat, rel=1e-9)
    # n0 = (10 - (9 + 4 + 16 + 1)/10) / 3 = 7/3
    assert table.n0 == pytest.approx(7.0 / 3.0, rel=1e-12)
    assert (table.n_runs, table.n_results, table.df_between, table.df_within) == (4, 10, 3, 6)


def test_components_df_and_ci_against_hand_computation():
    hand = hand_anova(list(RUNS.values()))
    out = inter_assay_cv(IDS, VALUES, 6.0)
    s_r2 = hand["ms_w"]
    s_b2 = (hand["ms_b"] - hand["ms_w"]) / hand["n0"]
    assert s_b2 > 0  # this example is not truncated
    total = s_r2 + s_b2
    a, b = hand["ms_b"] / hand["n0"], (1 - 1 / hand["n0"]) * hand["ms_w"]
    assert a + b == pytest.approx(total, rel=1e-12)
    df = total**2 / (a**2 / hand["df_b"] + b**2 / hand["df_w"])
    g = hand["grand"]
    assert out.mean == pytest.approx(g, rel=1e-12)
    assert out.cv_repeatability_pct == pytest.approx(100 * math.sqrt(s_r2) / g, rel=1e-9)
    assert out.cv_between_pct == pytest.approx(100 * math.sqrt(s_b2) / g, rel=1e-9)
    assert out.cv_total_pct == pytest.approx(100 * math.sqrt(total) / g, rel=1e-9)
    assert out.cv_total_df == pytest.approx(df, rel=1e-9)
    low = 100 * math.sqrt(total * df / chi2.ppf(0.975, df)) / g
    high = 100 * math.sqrt(total * df / chi2.ppf(0.025, df)) / g
    assert out.cv_total_ci_low == pytest.approx(low, rel=1e-9)
    assert out.cv_total_ci_high == pytest.approx(high, rel=1e-9)
    assert out.cv_total_ci_low < out.cv_total_pct < out.cv_total_ci_high
    assert not out.truncated
    assert (out.n_runs, out.n_results) == (4, 10)


def test_labelled_naive_cvs():
    out = inter_assay_cv(IDS, VALUES, 6.0)
    means = [np.mean(ys) for ys in RUNS.values()]
    cv_means = 100 * np.std(means, ddof=1) / np.mean(means)
    # per-run CVs only for runs with >= 2 results (R4 has one)
    cvs = [100 * np.std(ys, ddof=1) / np.mean(ys) for ys in RUNS.values() if len(ys) >= 2]
    assert out.cv_run_means_pct == pytest.approx(cv_means, rel=1e-12)
    assert out.cv_mean_of_runs_pct == pytest.approx(np.mean(cvs), rel=1e-12)
    assert out.cv_rms_of_runs_pct == pytest.approx(math.sqrt(np.mean(np.square(cvs))), rel=1e-12)


def test_balanced_duplicates_hand_checked():
    # 5 runs of duplicates (a, a+2): MS_within = 2; run means 11, 12, 13, 14, 15 -> MS_between =
    # 2 * 2.5 = 5; s_b2 = (5 - 2)/2 = 1.5; total = 3.5; grand mean 13.
    ids = [f"R{i}" for i in range(5) for _ in range(2)]
    values = [v for i in range(5) for v in (10 + i, 12 + i)]
    out = inter_assay_cv(ids, values, 15.0)
    assert out.cv_repeatability_pct == pytest.approx(100 * math.sqrt(2) / 13, rel=1e-12)
    assert out.cv_between_pct == pytest.approx(100 * math.sqrt(1.5) / 13, rel=1e-12)
    assert out.cv_total_pct == pytest.approx(100 * math.sqrt(3.5) / 13, rel=1e-12)
    # df = 3.5² / ((5/2)²/4 + (2/2)²/5) = 12.25 / (1.5625 + 0.2)
    assert out.cv_total_df == pytest.approx(12.25 / 1.7625, rel=1e-12)
    assert out.passed is True  # 14.4 % <= 15 %
    assert inter_assay_cv(ids, values, 14.0).passed is False


def test_negative_between_component_is_truncated():
    # identical run means, spread within runs: MS_between = 0 < MS_within
    ids = ["A", "A", "B", "B", "C", "C", "D", "D", "E", "E"]
    values = [9.0, 11.0, 11.0, 9.0, 8.5, 11.5, 10.5, 9.5, 9.8, 10.2]
    out = inter_assay_cv(ids, values, 20.0)
    table = one_way_anova(ids, values)
    assert table.ms_between < table.ms_within
    assert out.truncated
    assert out.cv_between_pct == 0.0
    assert out.cv_total_pct == pytest.approx(out.cv_repeatability_pct, rel=1e-12)
    assert out.cv_total_df == table.df_within == 5
    low = 100 * math.sqrt(table.ms_within * 5 / chi2.ppf(0.975, 5)) / 10.0
    assert out.cv_total_ci_low == pytest.approx(low, rel=1e-12)


def test_exactly_zero_between_is_not_truncated():
    # A (9, 11), B (11, 11): MS_within = 2/2 = 1, MS_between = 2*(0.5² + 0.5²)/1 = 1
    ids = ["A", "A", "B", "B"]
    out = inter_assay_cv(ids, [9.0, 11.0, 11.0, 11.0], 20.0)
    assert not out.truncated and out.cv_between_pct == 0.0


def test_passed_is_none_below_five_runs():
    ids = [f"R{i}" for i in range(4) for _ in range(2)]
    values = [10.0, 10.1, 10.2, 10.0, 9.9, 10.0, 10.1, 10.2]
    out = inter_assay_cv(ids, values, 6.0)
    assert out.n_runs == 4 and out.passed is None
    assert np.isfinite(out.cv_total_pct)
    ids5 = ids + ["R4", "R4"]
    assert inter_assay_cv(ids5, values + [10.0, 10.1], 6.0).passed is True
    assert inter_assay_cv(ids, values, 6.0, min_runs=4).passed is True


def test_nan_values_are_dropped():
    with_nan = inter_assay_cv(IDS + ["R5", "R1"], VALUES + [np.nan, np.nan], 6.0)
    plain = inter_assay_cv(IDS, VALUES, 6.0)
    assert with_nan == plain  # R5 has no result left: not a run


def test_degenerate_inputs_give_nan_not_errors():
    one_run = inter_assay_cv(["A", "A", "A"], [1.0, 1.1, 0.9], 6.0)
    assert one_run.n_runs == 1 and math.isnan(one_run.cv_between_pct)
    assert math.isnan(one_run.cv_total_pct) and one_run.passed is None
    assert one_run.cv_repeatability_pct == pytest.approx(10.0)
    singletons = inter_assay_cv(list("ABCDEF"), [1.0, 1.1, 0.9, 1.0, 1.05, 0.95], 6.0)
    assert math.isnan(singletons.cv_repeatability_pct) and singletons.passed is None
    assert singletons.cv_run_means_pct == pytest.approx(
        100 * np.std([1.0, 1.1, 0.9, 1.0, 1.05, 0.95], ddof=1) / 1.0
    )
    empty = inter_assay_cv([], [], 6.0)
    assert empty.n_runs == 0 and empty.passed is None and math.isnan(empty.mean)
    nonpositive = inter_assay_cv(["A", "A", "B", "B"], [-1.0, 1.0, -2.0, 2.0], 6.0)
    assert math.isnan(nonpositive.cv_total_pct)


def test_misuse_raises():
    with pytest.raises(QCError):
        inter_assay_cv(["A"], [1.0, 2.0], 6.0)
    with pytest.raises(QCError):
        inter_assay_cv(["A", "B"], [1.0, 2.0], 0.0)
    with pytest.raises(QCError):
        inter_assay_cv(["A", "B"], [1.0, 2.0], float("nan"))
    with pytest.raises(QCError):
        inter_assay_cv(["A", "B"], [1.0, np.inf], 6.0)
    with pytest.raises(QCError):
        inter_assay_cv(["A", "B"], [[1.0, 2.0]], 6.0)


run_tables = (
    st.lists(
        st.lists(st.floats(min_value=0.5, max_value=2.0, allow_nan=False), min_size=1, max_size=4),
        min_size=2,
        max_size=8,
    )
    .filter(lambda runs: sum(len(r) for r in runs) > len(runs))
    .filter(
        # exactly equal results have no CV to speak of (total variance 0, df undefined)
        lambda runs: max(max(r) for r in runs) - min(min(r) for r in runs) > 1e-3
    )
)


@settings(max_examples=200, deadline=None)
@given(runs=run_tables, scale=st.floats(min_value=1e-3, max_value=1e3))
def test_cvs_are_scale_invariant(runs, scale):
    ids = [f"R{i}" for i, ys in enumerate(runs) for _ in ys]
    values = np.array([y for ys in runs for y in ys])
    a = inter_assay_cv(ids, values, 6.0)
    b = inter_assay_cv(ids, values * scale, 6.0)
    table = one_way_anova(ids, values)
    # at MS_between == MS_within truncation (and with it df) may flip on rounding
    clear = abs(table.ms_between - table.ms_within) > 1e-9 * table.ms_within
    for name in (
        "cv_repeatability_pct",
        "cv_between_pct",
        "cv_total_pct",
        "cv_total_df",
        "cv_total_ci_low",
        "cv_total_ci_high",
        "cv_run_means_pct",
        "cv_mean_of_runs_pct",
        "cv_rms_of_runs_pct",
    ):
        x, y = getattr(a, name), getattr(b, name)
        if not clear and name.startswith("cv_total_"):
            continue
        if math.isnan(x):
            assert math.isnan(y), name
        elif name == "cv_between_pct":
            # (MS_between - MS_within) cancels when the two are close: rounding of order
            # sqrt(eps) relative to the total CV, whatever the scale
            assert y == pytest.approx(x, rel=1e-9, abs=1e-6 * a.cv_total_pct + 1e-9), name
        else:
            assert y == pytest.approx(x, rel=1e-9, abs=1e-9), name
    assert b.mean == pytest.approx(a.mean * scale, rel=1e-12)
    if clear:
        assert a.truncated == b.truncated


@settings(max_examples=100, deadline=None)
@given(runs=run_tables, seed=st.integers(0, 2**32 - 1))
def test_order_of_results_does_not_matter(runs, seed):
    ids = [f"R{i}" for i, ys in enumerate(runs) for _ in ys]
    values = [y for ys in runs for y in ys]
    perm = np.random.default_rng(seed).permutation(len(values))
    a = inter_assay_cv(ids, values, 6.0)
    b = inter_assay_cv([ids[i] for i in perm], [values[i] for i in perm], 6.0)
    assert b.cv_total_pct == pytest.approx(a.cv_total_pct, rel=1e-9, nan_ok=True)
    assert b.cv_total_df == pytest.approx(a.cv_total_df, rel=1e-9, nan_ok=True)


@pytest.mark.parametrize("a, b", [(0.6374417, 1.8369622), (1.0, 2.0), (12.5, 3.25)])
def test_equal_mean_squares_are_a_tie_in_every_order(a, b):
    # runs (a, a, b) and (a, a, a): MS_between = MS_within = (b − a)²/6 exactly, so only
    # rounding decides the sign of their difference; every order must give the untruncated
    # Satterthwaite df: n0 = 3, s_T² = M, df_T = M² / ((M/3)² / 1 + (2M/3)² / 4) = 4.5
    runs = [[a, a, b], [a, a, a]]
    ids = [f"R{i}" for i, ys in enumerate(runs) for _ in ys]
    values = [y for ys in runs for y in ys]
    rng = np.random.default_rng(7)
    for _ in range(50):
        perm = rng.permutation(len(values))
        result = inter_assay_cv([ids[i] for i in perm], [values[i] for i in perm], 6.0)
        assert not result.truncated
        assert result.cv_total_df == pytest.approx(4.5, rel=1e-9)
        assert result.cv_between_pct == 0.0
