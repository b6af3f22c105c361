"""Cohort rules on hand-made results, input validation, and the four output formats."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from elisa.cohort.build import build_cohort, decide, geometric_mean
from elisa.cohort.inputs import load_clinical, load_manifest
from elisa.cohort.output import render_cohort, spss_name
from elisa.cohort.stored_results import SampleResult
from elisa.errors import ElisaError


def result(
    value=math.nan,
    range_="in",
    *,
    sample="S1",
    source="P1",
    dilution=1.0,
    lloq=10.0,
    uloq=1000.0,
    eligible=True,
    reason="",
    analyte="FKN",
) -> SampleResult:
    return SampleResult(
        analyte=analyte,
        sample_id=sample,
        source=source,
        dilution=dilution,
        value=value,
        range=range_,
        lloq=lloq * dilution,
        uloq=uloq * dilution,
        eligible=eligible,
        reason=reason,
    )


def test_ok_is_the_geometric_mean_of_eligible_in_range_results():
    outcome = decide(
        [
            result(100.0, source="P2"),
            result(121.0, source="P1", dilution=2),
            result(500.0, eligible=False, reason="high_cv"),
            result(range_="below"),
        ]
    )
    assert outcome.status == "ok"
    assert outcome.value == pytest.approx(110.0, rel=1e-12)  # sqrt(100 · 121)
    assert outcome.n == 2 and outcome.sources == ("P1", "P2")


def test_results_disagreeing_by_more_than_30_percent_are_excluded():
    outcome = decide([result(100.0), result(160.0, source="P2")])  # CV 33.3 %
    assert outcome.status == "excluded" and "CV" in outcome.reason
    assert decide([result(100.0), result(140.0, source="P2")]).status == "ok"  # CV 23.6 %


def test_below_takes_the_lowest_lloq_times_dilution_and_stays_empty():
    outcome = decide([result(range_="below", dilution=2), result(range_="below", dilution=1)])
    assert outcome.status == "below" and outcome.limit == 10.0 and math.isnan(outcome.value)


@pytest.mark.parametrize(
    "policy, factor", [("lloq/2", 0.5), ("lloq/sqrt2", 2**-0.5), ("lloq", 1.0)]
)
def test_below_policy_fills_the_value(policy, factor):
    outcome = decide([result(range_="below", lloq=8.0)], policy)
    assert outcome.value == pytest.approx(8.0 * factor)


def test_above_takes_the_highest_uloq_times_dilution_and_suggests_a_dilution():
    outcome = decide([result(1500.0, "above", dilution=1), result(range_="above", dilution=2)])
    assert outcome.status == "above" and outcome.limit == 2000.0
    assert outcome.suggested_dilution == 20.0  # unknown in-well value: 10 × the dilution


@pytest.mark.parametrize(
    "results, reason",
    [
        ([result(range_="below"), result(range_="above", source="P2")], "both below and above"),
        (
            [result(100.0, eligible=False, reason="plate failed (standards_failed)")],
            "only ineligible results: plate failed",
        ),
    ],
)
def test_excluded(results, reason):
    outcome = decide(results)
    assert outcome.status == "excluded" and reason in outcome.reason


def test_missing_without_results():
    assert decide([]).status == "missing"


def test_geometric_mean():
    assert geometric_mean([2.0, 8.0]) == pytest.approx(4.0)


@pytest.fixture
def clinical(tmp_path: Path) -> Path:
    path = tmp_path / "clinical.csv"
    path.write_text("subject_id,group,age\nP2,PRE,44\nP1,PMOP,66\nP3,PMOP,61\n")
    return path


def test_build_keeps_clinical_order_and_warns_about_unclaimed_samples(clinical):
    table = load_clinical(clinical)
    mapping = load_manifest(None, None, table)
    cohort = build_cohort(
        table,
        mapping,
        [result(100.0, sample="P1"), result(50.0, sample="X9", source="P7")],
        ["FKN", "IL-6"],
    )
    assert list(cohort.table["subject_id"]) == ["P2", "P1", "P3"]
    assert list(cohort.table.columns[:3]) == ["subject_id", "group", "age"]
    assert list(cohort.table.columns[3:8]) == [
        "FKN",
        "FKN_status",
        "FKN_limit",
        "FKN_n",
        "FKN_plates",
    ]
    assert list(cohort.table["FKN_status"]) == ["missing", "ok", "missing"]
    assert list(cohort.table["IL-6_status"]) == ["missing"] * 3
    assert cohort.warnings == ("sample X9 (on P7) is claimed by no subject",)


def test_duplicate_subject_is_an_error(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("subject_id,age\nP1,60\nP2,61\nP1,62\n")
    with pytest.raises(
        ElisaError,
        match=r"c\.csv: line 4: subject_id 'P1' again \(first on "
        r"line 2\)",
    ):
        load_clinical(path)


def test_manifest_mapping_one_sample_to_two_subjects_is_an_error(clinical, tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text("sample_id,subject_id\nA1,P1\nA1,P2\n")
    with pytest.raises(
        ElisaError,
        match=r"m\.csv: line 3: sample 'A1' mapped to subject 'P2' "
        r"and to 'P1'",
    ):
        load_manifest(manifest, None, load_clinical(clinical))


def test_manifest_with_visits_needs_visit(clinical, tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text("sample_id,subject_id,visit\nA1,P1,baseline\nA2,P1,month12\n")
    table = load_clinical(clinical)
    with pytest.raises(ElisaError, match="choose one with --visit"):
        load_manifest(manifest, None, table)
    chosen = load_manifest(manifest, "month12", table)
    assert chosen.subject_of == {"A2": "P1"} and chosen.claimed == {"A1", "A2"}


def test_manifest_subjects_outside_the_clinical_table_are_left_out(clinical, tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text("sample_id,subject_id\nA1,P1\nA9,P99\n")
    chosen = load_manifest(manifest, None, load_clinical(clinical))
    assert chosen.subject_of == {"A1": "P1"} and "A9" in chosen.claimed


def test_clinical_columns_that_clash_with_cohort_columns_are_refused(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("subject_id,IL-6,age\nP1,55,60\n")
    table = load_clinical(path)
    with pytest.raises(ElisaError, match="IL-6 would be overwritten"):
        build_cohort(table, load_manifest(None, None, table), [], ["IL-6"])


def test_spss_names():
    assert spss_name("IL-1b") == "IL_1b" and spss_name("TRACP-5b_status") == "TRACP_5b_status"
    assert spss_name("1st") == "v_1st"


@pytest.mark.parametrize("suffix", [".parquet", ".xlsx", ".sav"])
def test_binary_formats_read_back_to_the_csv_values(suffix, clinical, tmp_path):
    table = load_clinical(clinical)
    cohort = build_cohort(
        table,
        load_manifest(None, None, table),
        [result(100.0, sample="P1"), result(range_="below", sample="P3")],
        ["FKN", "IL-1b"],
    )
    analytes = [("FKN", "pg/mL"), ("IL-1b", "pg/mL")]
    rules = {"rule": "text"}
    csv_files = render_cohort(cohort, tmp_path / "c.csv", analytes, table.columns, rules, {})
    (tmp_path / "c.csv").write_bytes(csv_files["c.csv"])
    expected = pd.read_csv(tmp_path / "c.csv", dtype=str, keep_default_na=False)
    files = render_cohort(cohort, tmp_path / f"c{suffix}", analytes, table.columns, rules, {})
    target = tmp_path / f"c{suffix}"
    target.write_bytes(files[target.name])
    if suffix == ".parquet":
        back = pd.read_parquet(target)
    elif suffix == ".xlsx":
        back = pd.read_excel(target, sheet_name="cohort")
        description = pd.read_excel(target, sheet_name="description")
        assert set(expected.columns) <= set(description["column"])
        assert "IL_1b" in set(description["spss_name"])
    else:
        import pyreadstat

        back, meta = pyreadstat.read_sav(target, apply_value_formats=True)
        assert meta.column_names_to_labels["IL_1b_status"] == "IL-1b_status"
        back.columns = [meta.column_names_to_labels[c] for c in back.columns]
    for column in expected.columns:
        for want, got in zip(expected[column], back[column]):
            if want == "":
                assert got is None or got == "" or (isinstance(got, float) and math.isnan(got))
            else:
                try:
                    assert float(got) == pytest.approx(float(want), rel=1e-12), column
                except ValueError:
                    assert str(got) == want, column
