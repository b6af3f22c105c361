"""Issue 13, items 2 and 5, and the cohort's censoring: the study's published values come back,
sensitivity.csv shows every policy, and a cohort built with a fill policy is censored again."""

from __future__ import annotations

import hashlib
import json
import math
from itertools import combinations

import pytest

from tests.conftest import read_rows, run_elisa
from tests.elisa.stats.conftest import COHORT, STATS_ARGS

GROUPS = ("PMOP", "PMNOP", "PRE")
# Generating (published) group means of the clinical variables, fixtures/generate_cohort.py
CLINICAL_MEANS = {
    "age": (64.5, 65.9, 45.2),
    "bmd_femoral_neck": (0.85, 0.95, 1.03),
    "bmd_greater_trochanter": (0.58, 0.70, 0.78),
    "bmd_internal_trochanter": (0.95, 1.03, 1.14),
    "bmd_total_hip": (0.87, 0.99, 1.11),
    "bmd_wards_triangle": (0.65, 0.66, 0.78),
    "bmd_l1_l4": (0.76, 0.87, 1.25),
}
CLINICAL_SDS = {
    "age": (5.9, 6.3, 4.4),
    "bmd_femoral_neck": (0.19, 0.21, 0.22),
    "bmd_greater_trochanter": (0.19, 0.15, 0.17),
    "bmd_internal_trochanter": (0.20, 0.22, 0.24),
    "bmd_total_hip": (0.16, 0.19, 0.17),
    "bmd_wards_triangle": (0.20, 0.24, 0.18),
    "bmd_l1_l4": (0.22, 0.34, 0.28),
}
FKN_FEMORAL_NECK_R = -0.36  # fixtures/cohort/README.md, PMOP joint draw


def generating() -> dict[tuple[str, str], tuple[float, float]]:
    """(variable, group) -> (mean, SD) the cohort was drawn from."""
    out = {
        (r["analyte"], r["group"]): (float(r["mean"]), float(r["sd"]))
        for r in read_rows(COHORT / "expected_summary.csv")
    }
    for variable, means in CLINICAL_MEANS.items():
        for g, m, s in zip(GROUPS, means, CLINICAL_SDS[variable]):
            out[(variable, g)] = (m, s)
    return out


def test_group_means_recover_within_three_standard_errors(study):
    truth = generating()
    checked = 0
    for row in study.table("table1"):
        key = (row["variable"], row["group"])
        if key in truth:
            mean, sd = truth[key]
            assert abs(float(row["mean"]) - mean) <= 3 * sd / math.sqrt(int(row["n"])), row
            checked += 1
    assert checked == 5 * 3 + len(CLINICAL_MEANS) * 3


def test_fkn_femoral_neck_correlation_in_pmop_recovers_its_generating_value(study):
    (row,) = [
        r
        for r in study.table("correlations")
        if (r["x"], r["y"], r["method"], r["adjusted_for"])
        == ("FKN", "bmd_femoral_neck", "pearson", "")
    ]
    assert row["group"] == "PMOP" and row["n"] == "53"
    assert float(row["ci_low"]) <= FKN_FEMORAL_NECK_R <= float(row["ci_high"])
    assert float(row["r"]) < 0 and float(row["p"]) < 0.05


def test_published_direction_of_every_comparison(study):
    """Each pair of groups differs in the direction of the generating means, in Table 1 and in
    the post-hoc mean differences; the markers differ between the groups (ANOVA p < 0.05)."""
    truth = generating()
    means = {(r["variable"], r["group"]): float(r["mean"] or "nan") for r in study.table("table1")}
    posthoc = {
        (r["variable"], r["group_a"], r["group_b"]): float(r["mean_diff"])
        for r in study.table("posthoc")
        if r["test"] != "dunn"
    }
    variables = {v for v, _ in truth}
    for variable in variables:
        for a, b in combinations(sorted(GROUPS), 2):
            published = truth[(variable, a)][0] - truth[(variable, b)][0]
            observed = means[(variable, a)] - means[(variable, b)]
            assert math.copysign(1, observed) == math.copysign(1, published), (variable, a, b)
            assert posthoc[(variable, a, b)] == pytest.approx(observed, rel=1e-9)
    anova = {
        r["variable"]: float(r["p"]) for r in study.table("comparisons") if r["test"] == "anova"
    }
    for analyte in ("FKN", "TRACP-5b", "IL-1b", "IL-6", "NTX"):
        assert anova[analyte] < 0.05, analyte


def test_sensitivity_lists_every_policy_and_the_fill_policies_change_n(study):
    rows = study.table("sensitivity")
    policies = ("exclude", "lloq/2", "lloq/sqrt2", "lloq")
    for analyte in ("FKN", "TRACP-5b", "IL-1b", "IL-6", "NTX"):
        for test in ("anova", "welch_anova", "kruskal"):
            got = [r["policy"] for r in rows if r["variable"] == analyte and r["test"] == test]
            assert got == list(policies), (analyte, test)
    by = {(r["variable"], r["test"], r["policy"]): r for r in rows}
    # IL-1b has 4 values below the LLOQ, NTX 2: they enter under every fill policy only
    for analyte, below in (("IL-1b", 4), ("NTX", 2)):
        n_exclude = int(by[(analyte, "anova", "exclude")]["n"])
        for policy in policies[1:]:
            assert int(by[(analyte, "anova", policy)]["n"]) == n_exclude + below
            assert (
                by[(analyte, "anova", policy)]["statistic"]
                != by[(analyte, "anova", "exclude")]["statistic"]
            )
        statistics = {by[(analyte, "anova", p)]["statistic"] for p in policies}
        assert len(statistics) == 4  # each fill value moves the F statistic
    # FKN has nothing below the LLOQ: every policy gives the same numbers
    assert len({by[("FKN", "anova", p)]["statistic"] for p in policies}) == 1


def test_a_cohort_built_with_a_fill_policy_is_censored_again_the_same_way(study, tmp_path):
    """The Parquet cohort was built with --below lloq/2 (filled values in the IL-1b column):
    read with --below exclude, every table equals the one of the unfilled CSV build."""
    out = tmp_path / "from_parquet"
    result = run_elisa(
        ["stats", "--cohort", study.parquet, *STATS_ARGS, "--below", "exclude", "--out", out],
        tmp_path,
    )
    assert result.code == 0, result.err
    for name in ("table1", "comparisons", "posthoc", "correlations", "sensitivity"):
        ours, theirs = read_rows(out / f"{name}.csv"), study.table(name)
        assert len(ours) == len(theirs), name
        for a, b in zip(ours, theirs):
            for key in a:
                if a[key] != b[key]:  # Parquet stores floats: equal to the last few bits
                    assert float(a[key]) == pytest.approx(float(b[key]), rel=1e-12), (name, a)


def test_fill_policy_changes_table1(study, tmp_path):
    from elisa.stats import run_stats

    filled = run_stats(study.csv, "group", below="lloq/sqrt2", markers=["IL-1b"], versus=["age"])
    row = filled.table1[(filled.table1["variable"] == "IL-1b") & (filled.table1["group"] == "PRE")]
    plain = {(r["variable"], r["group"]): r for r in study.table("table1")}[("IL-1b", "PRE")]
    assert int(row["n"].iloc[0]) == int(plain["n"]) + 2
    assert row["n_below_lloq"].iloc[0] == 2
    assert float(row["mean"].iloc[0]) < float(plain["mean"])  # 3.90625/√2 pulls the mean down


def test_provenance_names_the_cohort_options_and_versions(study):
    record = json.loads((study.stats / "provenance.json").read_text(encoding="utf-8"))
    cohort = record["inputs"]["cohort"]
    assert cohort["sha256"] == hashlib.sha256(study.csv.read_bytes()).hexdigest()
    beside = study.csv.with_name("cohort.csv.provenance.json")
    assert (
        record["inputs"]["cohort_provenance"]["sha256"]
        == hashlib.sha256(beside.read_bytes()).hexdigest()
    )
    assert record["options"]["group"] == "group" and record["options"]["within"] == "PMOP"
    assert record["options"]["adjust"] == ["age", "bmi"]
    assert record["options"]["below"] == "exclude" and record["options"]["multiple"] == "holm"
    assert record["groups"] == {"PMNOP": 51, "PMOP": 53, "PRE": 50}
    import scipy
    import statsmodels

    assert record["software"]["scipy"] == scipy.__version__
    assert record["software"]["statsmodels"] == statsmodels.__version__
