"""`elisa cohort` on the generated study cohort (fixtures/cohort/), checked against its truth
and against a computation that reads only the `elisa run` result tables."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from elisa.cli.main import main

COHORT = Path(__file__).resolve().parents[2] / "fixtures" / "cohort"
ANALYTES = ("FKN", "TRACP-5b", "IL-1b", "IL-6", "NTX")


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("cohort")
    db = str(work / "study.sqlite")
    plates = rows(COHORT / "plates.csv")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(work)
        args = ["run", *[str(COHORT / p["export"]) for p in plates]]
        for p in plates:
            args += ["--layout", str(COHORT / p["layout"])]
        assert main(args + ["--db", db, "--out", "plates"]) == 1  # one plate fails
        ntx = str(COHORT / "ntx_analyser.csv")
        assert main(["cohort", "import-analyser", ntx, "--analyte", "NTX", "--db", db]) == 0
        build = [
            "cohort",
            "build",
            "--clinical",
            str(COHORT / "clinical.csv"),
            "--manifest",
            str(COHORT / "manifest.csv"),
            "--visit",
            "baseline",
            "--db",
            db,
        ]
        assert main(build + ["--out", "cohort.csv"]) == 0
        assert main(build + ["--out", "again.csv"]) == 0
        assert main(build + ["--out", "cohort.xlsx"]) == 0
    return work


def test_one_row_per_subject_in_clinical_order(built):
    table = rows(built / "cohort.csv")
    clinical = rows(COHORT / "clinical.csv")
    assert len(table) == 154
    assert [r["subject_id"] for r in table] == [r["subject_id"] for r in clinical]
    assert [r["bmi"] for r in table] == [r["bmi"] for r in clinical]


def test_status_limit_n_and_plates_match_the_truth(built):
    table = {r["subject_id"]: r for r in rows(built / "cohort.csv")}
    for truth in rows(COHORT / "truth.csv"):
        row, a = table[truth["subject_id"]], truth["analyte"]
        where = (truth["subject_id"], a)
        assert row[f"{a}_status"] == truth["expected_status"], where
        if truth["expected_limit"]:
            assert float(row[f"{a}_limit"]) == pytest.approx(float(truth["expected_limit"])), where
        else:
            assert row[f"{a}_limit"] == "", where
        if truth["expected_status"] == "ok":
            assert row[f"{a}_n"] == truth["expected_n"], where
            if truth["expected_plates"]:
                assert row[f"{a}_plates"] == truth["expected_plates"], where


def independent_values(work: Path) -> dict[tuple[str, str], float]:
    """Geometric means of eligible in-range results, from the run's CSV files only."""
    subject_of = {
        r["sample_id"]: r["subject_id"]
        for r in rows(COHORT / "manifest.csv")
        if r["visit"] == "baseline"
    }
    runs = {(r["plate_id"], r["analyte"]): r for r in rows(work / "plates" / "runs.csv")}
    values = defaultdict(list)
    for s in rows(work / "plates" / "samples.csv"):
        run = runs[(s["plate_id"], s["analyte"])]
        eligible = (
            run["verdict"] == "pass"
            and run["out_of_spec"] != "true"
            and "high_cv" not in s["flags"].split(";")
            and int(s["n_wells"]) >= 2
        )
        if s["kind"] == "sample" and eligible and s["range"] == "in":
            values[(subject_of[s["sample_id"]], s["analyte"])].append(float(s["conc"]))
    for r in rows(COHORT / "ntx_analyser.csv"):
        if r["result"][0] not in "<>":
            values[(subject_of[r["sample_id"]], "NTX")].append(float(r["result"]))
    return {k: math.exp(sum(math.log(v) for v in vs) / len(vs)) for k, vs in values.items()}


def test_every_ok_value_is_the_geometric_mean_of_eligible_in_range_results(built):
    expected = independent_values(built)
    checked = 0
    for row in rows(built / "cohort.csv"):
        for a in ANALYTES:
            if row[f"{a}_status"] == "ok":
                value = expected[(row["subject_id"], a)]
                assert float(row[a]) == pytest.approx(value, rel=1e-12), (row["subject_id"], a)
                checked += 1
            else:
                assert row[a] == ""  # nothing invented without --below
    assert checked > 700


def test_subjects_only_on_the_failed_plate_are_excluded_and_listed(built):
    table = {r["subject_id"]: r for r in rows(built / "cohort.csv")}
    reassay = rows(built / "cohort.csv.reassay.csv")
    listed = {(r["subject_id"], r["analyte"]) for r in reassay}
    for subject in ("P023", "P107", "P126", "P147"):
        assert table[subject]["IL-6_status"] == "excluded"
        assert (subject, "IL-6") in listed
    reason = next(
        r["reason"] for r in reassay if r["subject_id"] == "P023" and r["analyte"] == "IL-6"
    )
    assert reason.startswith("only ineligible results: plate failed")
    assert "standards_failed" in reason


def test_group_means_are_near_the_generating_means(built):
    table = pd.read_csv(built / "cohort.csv")
    for s in rows(COHORT / "expected_summary.csv"):
        group = table[(table["group"] == s["group"]) & (table[f"{s['analyte']}_status"] == "ok")]
        mean = group[s["analyte"]].mean()
        bound = 3 * float(s["sd"]) / math.sqrt(len(group))
        assert abs(mean - float(s["mean"])) <= bound, (s["group"], s["analyte"], mean)


def test_building_twice_gives_identical_csv(built):
    assert (built / "cohort.csv").read_bytes() == (built / "again.csv").read_bytes()


def test_xlsx_matches_csv_and_describes_every_column(built):
    csv_table = pd.read_csv(built / "cohort.csv", dtype=str, keep_default_na=False)
    sheet = pd.read_excel(built / "cohort.xlsx", sheet_name="cohort")
    description = pd.read_excel(built / "cohort.xlsx", sheet_name="description")
    assert list(sheet.columns) == list(csv_table.columns)
    assert set(csv_table.columns) <= set(description["column"])
    for a in ANALYTES:
        want = pd.to_numeric(csv_table[a].replace("", np.nan))
        assert np.allclose(sheet[a].astype(float), want, rtol=1e-12, equal_nan=True)
        assert list(sheet[f"{a}_status"]) == list(csv_table[f"{a}_status"])
    assert (built / "cohort.xlsx.provenance.json").is_file()


def test_importing_the_same_analyser_file_again_adds_nothing(built, capsys):
    db = str(built / "study.sqlite")
    import sqlite3

    before = sqlite3.connect(db).execute("SELECT COUNT(*) FROM analyser_results").fetchone()[0]
    assert (
        main(
            [
                "cohort",
                "import-analyser",
                str(COHORT / "ntx_analyser.csv"),
                "--analyte",
                "NTX",
                "--db",
                db,
            ]
        )
        == 0
    )
    assert "nothing added" in capsys.readouterr().out
    after = sqlite3.connect(db).execute("SELECT COUNT(*) FROM analyser_results").fetchone()[0]
    assert before == after == 154


@pytest.mark.parametrize(
    "bad, message",
    [
        ("clinical", "subject_id 'P001' again"),
        ("manifest", "mapped to subject"),
    ],
)
def test_bad_tables_exit_2_and_write_nothing(bad, message, built, tmp_path, capsys):
    clinical, manifest = COHORT / "clinical.csv", COHORT / "manifest.csv"
    if bad == "clinical":
        clinical = tmp_path / "clinical.csv"
        text = (COHORT / "clinical.csv").read_text(encoding="utf-8")
        first = next(line for line in text.splitlines()[1:] if line.startswith("P001,"))
        clinical.write_text(text + first + "\n", encoding="utf-8")
    else:
        manifest = tmp_path / "manifest.csv"
        text = (COHORT / "manifest.csv").read_text(encoding="utf-8")
        manifest.write_text(text + "A-0001,P002,baseline\n", encoding="utf-8")
    out = tmp_path / "c.csv"
    code = main(
        [
            "cohort",
            "build",
            "--clinical",
            str(clinical),
            "--manifest",
            str(manifest),
            "--visit",
            "baseline",
            "--db",
            str(built / "study.sqlite"),
            "--out",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and not Path(f"{out}.reassay.csv").exists()


def test_a_sample_no_subject_claims_is_a_warning(built, tmp_path, capsys):
    manifest = tmp_path / "manifest.csv"
    lines = (COHORT / "manifest.csv").read_text(encoding="utf-8").splitlines()
    manifest.write_text(
        "\n".join(line for line in lines if not line.startswith("A-0057,")) + "\n", encoding="utf-8"
    )
    code = main(
        [
            "cohort",
            "build",
            "--clinical",
            str(COHORT / "clinical.csv"),
            "--manifest",
            str(manifest),
            "--visit",
            "baseline",
            "--db",
            str(built / "study.sqlite"),
            "--out",
            str(tmp_path / "c.csv"),
        ]
    )
    assert code == 0
    assert "warning: sample A-0057" in capsys.readouterr().err


def test_status_lists_each_subject(built, capsys):
    capsys.readouterr()
    assert (
        main(
            [
                "cohort",
                "status",
                "--clinical",
                str(COHORT / "clinical.csv"),
                "--manifest",
                str(COHORT / "manifest.csv"),
                "--visit",
                "baseline",
                "--db",
                str(built / "study.sqlite"),
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 155
    p023 = next(line for line in lines if line.startswith("P023"))
    assert "excluded" in p023 and p023.rstrip().endswith("IL-6")
