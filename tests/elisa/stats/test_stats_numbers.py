"""Issue 13, item 1: every number in table1.csv, comparisons.csv, posthoc.csv, correlations.csv
(and sensitivity.csv) equals an independent computation within 1e-9."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest
import scikit_posthocs as sp
from scipy import stats
from statsmodels.sandbox.stats.multicomp import MultiComparison
from statsmodels.stats.weightstats import ttest_ind

from tests.elisa.stats import reference as ref

TOL = {"rel": 1e-9, "abs": 1e-9}
COLUMNS = {
    "table1": "variable,group,n,mean,sd,median,q1,q3,n_below_lloq",
    "comparisons": "variable,test,statistic,df1,df2,p,equal_var_test,equal_var_p",
    "posthoc": "variable,test,group_a,group_b,mean_diff,ci_low,ci_high,p_adj",
    "correlations": "group,x,y,method,adjusted_for,n,r,ci_low,ci_high,p,p_adj",
    "sensitivity": "variable,test,policy,n,statistic,p",
}


def close(cell: str, expected: float | None) -> bool:
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return cell == ""
    return float(cell) == pytest.approx(expected, **TOL)


@pytest.fixture(scope="module")
def raw(study):
    return ref.RawCohort(study.csv)


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_columns_exactly_in_order(study, name):
    header = (study.stats / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == COLUMNS[name]


def test_table1_every_number(study, raw):
    rows = study.table("table1")
    variables = [
        "age",
        "age_at_menopause",
        "bmi",
        *[c for c in raw.rows[0] if c.startswith("bmd_")],
        "vas",
        "odi",
        *raw.analytes,
    ]
    assert [r["variable"] for r in rows[::3]] == variables
    labels = raw.groups()
    for row in rows:
        values = raw.column(row["variable"])[labels == row["group"]]
        finite = [float(v) for v in values if np.isfinite(v)]
        assert int(row["n"]) == len(finite), row
        if len(finite) >= 2:
            q1, _, q3 = statistics.quantiles(finite, n=4, method="inclusive")
            assert close(row["mean"], statistics.fmean(finite)), row
            assert close(row["sd"], statistics.stdev(finite)), row
            assert close(row["median"], statistics.median(finite)), row
            assert close(row["q1"], q1) and close(row["q3"], q3), row
        else:
            assert row["mean"] == row["sd"] == row["median"] == "", row
        if row["variable"] in raw.analytes:
            status = [
                r[f"{row['variable']}_status"] for r in raw.rows if r["group"] == row["group"]
            ]
            assert int(row["n_below_lloq"]) == status.count("below"), row
        else:
            assert row["n_below_lloq"] == ""
    il1b = {r["group"]: r["n_below_lloq"] for r in rows if r["variable"] == "IL-1b"}
    assert il1b == {"PMNOP": "2", "PMOP": "0", "PRE": "2"}  # P016, P093, P094, P146


def test_comparisons_every_number(study, raw):
    rows = study.table("comparisons")
    seen = set()
    for row in rows:
        samples = raw.samples(row["variable"])
        arrays = list(samples.values())
        test = row["test"]
        seen.add((row["variable"], test, row["equal_var_test"]))
        if test == "anova":
            f, df1, df2, p = ref.one_way_anova(arrays)
            variance = {"levene": ref.levene_mean, "bartlett": ref.bartlett}[row["equal_var_test"]]
            assert close(row["equal_var_p"], variance(arrays)), row
        elif test == "welch_anova":
            f, df1, df2, p = ref.welch_anova(arrays)
        elif test == "kruskal":
            (f, p), df1, df2 = ref.kruskal(arrays), len(arrays) - 1, None
        elif test == "welch_t":
            f, p, df1 = ttest_ind(arrays[0], arrays[1], usevar="unequal")
            df2 = None
        else:
            assert test == "mann_whitney"
            (f, p), df1, df2 = ref.mann_whitney(arrays[0], arrays[1]), None, None
        if test != "anova":
            assert row["equal_var_test"] == row["equal_var_p"] == ""
        assert close(row["statistic"], f) and close(row["p"], p), row
        assert close(row["df1"], df1) and close(row["df2"], df2), row
    three = [v for v in ("age", "bmi", "bmd_femoral_neck", "FKN", "NTX")]
    for v in three:
        for key in (
            ("anova", "levene"),
            ("anova", "bartlett"),
            ("welch_anova", ""),
            ("kruskal", ""),
        ):
            assert (v, *key) in seen
    assert ("age_at_menopause", "welch_t", "") in seen  # no values in PRE: two groups
    assert ("age_at_menopause", "mann_whitney", "") in seen
    assert not any(v in ("vas", "odi") for v, _, _ in seen)  # PMOP only: nothing to compare


def test_posthoc_every_number(study, raw):
    rows = study.table("posthoc")
    by_variable: dict[str, list[dict]] = {}
    for row in rows:
        by_variable.setdefault(row["variable"], []).append(row)
    assert "age_at_menopause" not in by_variable  # two groups: no post-hoc
    tests_used = set()
    for variable, part in by_variable.items():
        samples = raw.samples(variable)
        names = list(samples)
        arrays = list(samples.values())
        equal = ref.levene_mean(arrays) >= 0.05
        parametric = [r for r in part if r["test"] != "dunn"]
        dunn = [r for r in part if r["test"] == "dunn"]
        assert {r["test"] for r in parametric} == {"tukey" if equal else "games_howell"}
        tests_used.add(parametric[0]["test"])
        assert [(r["group_a"], r["group_b"]) for r in parametric] == ref.pairs(names)
        assert [(r["group_a"], r["group_b"]) for r in dunn] == ref.pairs(names)
        if equal:
            values = np.concatenate(arrays)
            labels = np.concatenate([[g] * len(a) for g, a in samples.items()])
            tukey = MultiComparison(values, labels).tukeyhsd()
            # statsmodels: meandiff = group2 − group1 over the same pair order
            for i, r in enumerate(parametric):
                assert close(r["mean_diff"], -tukey.meandiffs[i]), r
                assert close(r["ci_low"], -tukey.confint[i][1]), r
                assert close(r["ci_high"], -tukey.confint[i][0]), r
                assert close(r["p_adj"], tukey.pvalues[i]), r
        else:
            frame = pd.DataFrame(
                {"v": np.concatenate(arrays), "g": np.repeat(names, [a.size for a in arrays])}
            )
            p = sp.posthoc_games_howell(frame, val_col="v", group_col="g")
            for r in parametric:
                a, b = samples[r["group_a"]], samples[r["group_b"]]
                va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
                df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
                half = stats.studentized_range.ppf(0.95, len(names), df) * math.sqrt((va + vb) / 2)
                diff = a.mean() - b.mean()
                assert close(r["mean_diff"], diff), r
                assert close(r["ci_low"], diff - half) and close(r["ci_high"], diff + half), r
                assert close(r["p_adj"], p.loc[r["group_a"], r["group_b"]]), r
        frame = pd.DataFrame(
            {"v": np.concatenate(arrays), "g": np.repeat(names, [a.size for a in arrays])}
        )
        dunn_p = sp.posthoc_dunn(frame, val_col="v", group_col="g", p_adjust="holm")
        for r in dunn:
            assert r["mean_diff"] == r["ci_low"] == r["ci_high"] == ""
            assert close(r["p_adj"], dunn_p.loc[r["group_a"], r["group_b"]]), r
    assert tests_used == {"tukey", "games_howell"}  # both occur on this cohort


def test_correlations_every_number(study, raw):
    rows = study.table("correlations")
    pmop = raw.groups() == "PMOP"
    expected = []
    for row in rows:
        assert row["group"] == "PMOP"
        covariates = row["adjusted_for"].split(",") if row["adjusted_for"] else []
        columns = [row["x"], row["y"], *covariates]
        matrix = np.column_stack([raw.column(c)[pmop] for c in columns])
        matrix = matrix[np.all(np.isfinite(matrix), axis=1)]
        if row["method"] == "spearman":
            matrix = np.column_stack([stats.rankdata(c) for c in matrix.T])
        n, k = len(matrix), len(covariates)
        r = ref.partial(matrix) if k else ref.pearson(matrix[:, 0], matrix[:, 1])
        low, high = ref.fisher(r, n, k)
        assert int(row["n"]) == n, row
        assert close(row["r"], r) and close(row["ci_low"], low) and close(row["ci_high"], high), row
        assert close(row["p"], ref.t_p(r, n - 2 - k)), row
        expected.append(float(row["p"]))
    for row, p_adj in zip(rows, ref.holm(expected)):
        assert close(row["p_adj"], p_adj), row
    # every analyte with every other numeric column once, both methods, partial unless the
    # pair involves an adjusting column
    numeric = [c for c in raw.rows[0] if c in raw.analytes or c in ("age", "bmi", "vas", "odi")]
    numeric += [c for c in raw.rows[0] if c.startswith("bmd_") or c == "age_at_menopause"]
    pairs = {(r["x"], r["y"]) for r in rows}
    assert len(pairs) == 5 * 11 + 10
    for x, y in pairs:
        variants = {(r["method"], r["adjusted_for"]) for r in rows if (r["x"], r["y"]) == (x, y)}
        partial = y not in ("age", "bmi")
        assert variants == {
            (m, a) for m in ("pearson", "spearman") for a in ["", "age,bmi"][: 1 + partial]
        }


def test_sensitivity_every_number(study, raw):
    rows = study.table("sensitivity")
    for row in rows:
        arrays = list(raw.samples(row["variable"], row["policy"]).values())
        test = row["test"]
        if test == "anova":
            f, _, _, p = ref.one_way_anova(arrays)
        elif test == "welch_anova":
            f, _, _, p = ref.welch_anova(arrays)
        else:
            assert test == "kruskal"
            f, p = ref.kruskal(arrays)
        assert int(row["n"]) == sum(a.size for a in arrays), row
        assert close(row["statistic"], f) and close(row["p"], p), row


def test_bh_adjusts_correlations_across_the_file(study, tmp_path):
    from elisa.stats import run_stats

    result = run_stats(
        study.csv, "group", markers=["FKN", "NTX"], versus=["bmd_total_hip", "IL-6"], multiple="bh"
    )
    corr = result.correlations
    assert set(corr["group"]) == {"all"} and len(corr) == 2 * 2 * 2
    assert list(corr["p_adj"]) == pytest.approx(ref.bh(list(corr["p"])), **TOL)
    none = run_stats(study.csv, "group", markers=["FKN"], versus=["IL-6"], multiple="none")
    assert list(none.correlations["p_adj"]) == list(none.correlations["p"])
