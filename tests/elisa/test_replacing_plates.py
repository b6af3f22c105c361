"""A stored plate is replaced only on purpose, and one export is never read twice in a batch
(issue 9, finding 4; DESIGN 7)."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import run_elisa


def _store_state(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    try:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in ("plate_versions", "current_versions", "audit", "blobs")
        }
    finally:
        conn.close()


def _files(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def stored_clean(fixture_plate, tmp_path):
    """fkn_clean processed into a store and an output folder."""
    export, layout = fixture_plate("fkn_clean")
    done = run_elisa(["run", export, "--layout", layout, "--db", "s.sqlite"], tmp_path)
    assert done.code == 0, done.err
    return export, layout, tmp_path / "s.sqlite"


def test_other_data_under_a_stored_id_are_refused_and_nothing_changes(
    stored_clean, fixture_plate, tmp_path
):
    _, layout, db = stored_clean
    other, _ = fixture_plate("fkn_discordant")  # another plate, run with fkn_clean's layout
    before, outputs = _store_state(db), _files(tmp_path / "results")
    refused = run_elisa(["run", other, "--layout", layout, "--db", db], tmp_path)
    assert refused.code == 2 and refused.out == ""
    line = refused.err.strip()
    assert len(refused.err.splitlines()) == 1
    assert "fkn_discordant.csv" in line and "fkn_clean.csv" in line
    assert "'fkn_clean'" in line and "--replace REASON" in line
    assert _store_state(db) == before
    assert _files(tmp_path / "results") == outputs


def test_replace_with_a_reason_adds_a_version_and_an_audit_line(
    stored_clean, fixture_plate, tmp_path
):
    clean, layout, db = stored_clean
    other, _ = fixture_plate("fkn_discordant")
    reason = "plate re-read after a pipetting error"
    done = run_elisa(
        ["run", other, "--layout", layout, "--db", db, "--replace", reason, "--user", "ana"],
        tmp_path,
    )
    assert done.code == 0, done.err
    conn = sqlite3.connect(db)
    versions = conn.execute(
        "SELECT version, source_file FROM plate_versions WHERE plate_id = 'fkn_clean' "
        "ORDER BY version"
    ).fetchall()
    assert versions == [(1, str(clean)), (2, str(other))]
    audit = conn.execute(
        "SELECT user, action, details_json FROM audit WHERE plate_id = 'fkn_clean' ORDER BY id"
    ).fetchall()
    conn.close()
    replaced = [a for a in audit if a[1] == "run: stored plate replaced"]
    assert len(replaced) == 1 and replaced[0][0] == "ana"
    assert reason in replaced[0][2] and str(clean) in replaced[0][2]
    assert audit[-1][1] == "run: version 2 added"


def test_the_same_export_with_other_settings_still_adds_versions(stored_clean, tmp_path):
    export, layout, db = stored_clean
    settings = tmp_path / "elisa.toml"
    settings.write_text('[analytes.FKN]\nweighting = "1/y"\n', encoding="utf-8")
    done = run_elisa(
        ["run", export, "--layout", layout, "--db", db, "--config", settings], tmp_path
    )
    assert done.code in (0, 1), done.err
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM plate_versions").fetchone()[0] == 2
    conn.close()


def test_a_renamed_copy_of_the_stored_export_is_the_same_plate(stored_clean, tmp_path):
    """Same reads, other file name: not a replacement (the bytes differ only in where they are)."""
    export, layout, db = stored_clean
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(export.read_bytes().replace(b"\n", b"\r\n"))  # other bytes, same reads
    done = run_elisa(["run", copy, "--layout", layout, "--db", db], tmp_path)
    assert done.code == 0, done.err


def test_byte_identical_exports_in_one_batch_are_refused(fixture_plate, tmp_path):
    export, layout = fixture_plate("fkn_clean")
    twin = tmp_path / "fkn_twin.csv"
    shutil.copyfile(export, twin)
    refused = run_elisa(
        ["run", export, twin, "--layout", layout, "--db", "s.sqlite", "--out", "out"], tmp_path
    )
    assert refused.code == 2 and len(refused.err.splitlines()) == 1
    assert "fkn_clean.csv" in refused.err and "fkn_twin.csv" in refused.err
    assert "same bytes" in refused.err
    assert not (tmp_path / "s.sqlite").exists() and not (tmp_path / "out").exists()
