"""Store semantics that a reviewer relies on: versions from resolved settings, reviews tied to a
version, acceptance that lifts only Westgard, and errors that never touch the store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from elisa.cli.main import main
from tests.conftest import plate_paths

COHORT = Path(__file__).resolve().parents[2] / "fixtures" / "cohort"


def versions(db: Path) -> int:
    return sqlite3.connect(db).execute("SELECT COUNT(*) FROM plate_versions").fetchone()[0]


def audit_count(db: Path) -> int:
    return sqlite3.connect(db).execute("SELECT COUNT(*) FROM audit").fetchone()[0]


@pytest.fixture
def stored(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    export, layout = plate_paths("fkn_clean")
    db = tmp_path / "s.sqlite"
    assert main(["run", str(export), "--layout", str(layout), "--db", str(db), "--out", "r"]) == 0
    return export, layout, db


@pytest.mark.parametrize(
    "extra", [["--analyte", "CX3CL1"], ["--analyte", "fkn"], ["--wavelength", "450"]]
)
def test_the_same_settings_spelled_differently_add_no_version(stored, extra):
    export, layout, db = stored
    assert (
        main(["run", str(export), "--layout", str(layout), "--db", str(db), "--out", "r", *extra])
        == 0
    )
    assert versions(db) == 1


def test_a_review_belongs_to_the_version_it_was_given_to(stored, capsys):
    _export, _layout, db = stored
    assert main(["mask", "fkn_clean", "A5", "--reason", "bubble", "--db", str(db)]) == 0
    assert main(["review", "fkn_clean", "--reject", "--reason", "bubbles", "--db", str(db)]) == 0
    assert main(["qc", "--db", str(db), "--out", "q1"]) == 1
    assert "rejected" in Path("q1/qc_runs.csv").read_text(encoding="utf-8")
    assert main(["mask", "fkn_clean", "A5", "--reason", "fixed", "--undo", "--db", str(db)]) == 0
    assert main(["qc", "--db", str(db), "--out", "q2"]) == 0  # version 1 was never reviewed
    row = Path("q2/qc_runs.csv").read_text(encoding="utf-8").splitlines()[1]
    assert ",rejected," not in row


def test_bad_qc_filters_exit_2(stored, capsys):
    _, _, db = stored
    for args in (["--since", "yesterday"], ["--until", "2024-5-1"], ["--last", "0"]):
        assert main(["qc", "--db", str(db), "--out", "q", *args]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and args[0] in err


def test_a_reference_equal_to_the_measurement_is_refused(stored, capsys):
    export, layout, db = stored
    before = audit_count(db)
    assert (
        main(
            [
                "run",
                str(export),
                "--layout",
                str(layout),
                "--db",
                str(db),
                "--out",
                "r3",
                "--reference",
                "450",
            ]
        )
        == 2
    )
    assert "reference" in capsys.readouterr().err
    assert audit_count(db) == before and not Path("r3").exists()


def test_an_unusable_output_folder_leaves_the_store_untouched(stored, capsys):
    _, _, db = stored
    export, layout = plate_paths("il6_clean")
    Path("afile").write_text("not a folder")
    before = audit_count(db)
    assert (
        main(["run", str(export), "--layout", str(layout), "--db", str(db), "--out", "afile"]) == 2
    )
    assert audit_count(db) == before and versions(db) == 1


def test_a_failed_fit_is_a_result_with_outputs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    export, layout = plate_paths("fkn_clean")
    text = layout.read_text(encoding="utf-8")
    few = tmp_path / "few.toml"  # mask three of the seven standard levels: 4 levels remain
    lines = text.splitlines()
    out_lines, masked_levels = [], 0
    for i, line in enumerate(lines):
        out_lines.append(line)
        if (
            line.startswith("conc = ")
            and i > 0
            and "standard" in lines[i - 1]
            and masked_levels < 6
            and float(line.split("=")[1]) > 0
        ):
            out_lines.append('mask = "test: level removed"')
            masked_levels += 1
    few.write_text("\n".join(out_lines) + "\n", encoding="utf-8")
    assert main(["run", str(export), "--layout", str(few), "--no-db", "--out", "o"]) == 1
    runs = Path("o/runs.csv").read_text(encoding="utf-8")
    assert "fit_not_converged" in runs
    provenance = json.loads(Path("o/provenance.json").read_text(encoding="utf-8"))
    assert provenance["plates"][0]["fit"]["params"]["a"] is None


def test_accepting_a_failed_plate_does_not_make_it_eligible(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plates = [
        p
        for p in __import__("csv").DictReader((COHORT / "plates.csv").read_text().splitlines())
        if p["analyte"] == "IL-6"
    ]
    args = ["run", *[str(COHORT / p["export"]) for p in plates]]
    for p in plates:
        args += ["--layout", str(COHORT / p["layout"])]
    db = str(tmp_path / "s.sqlite")
    assert main(args + ["--db", db, "--out", "o"]) == 1
    assert main(["review", "COH-IL6-3", "--accept", "--reason", "looked fine", "--db", db]) == 0
    assert (
        main(
            [
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
        )
        == 0
    )
    rows = {
        r["subject_id"]: r
        for r in __import__("csv").DictReader(Path("cohort.csv").read_text().splitlines())
    }
    for subject in ("P023", "P107", "P126", "P147"):
        assert rows[subject]["IL-6_status"] == "excluded"
