"""The run-history store: idempotence, versions from masks, audit, atomic writes, concurrency."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from elisa.cli.main import main
from elisa.store.audit import audit_log
from elisa.store.database import Store
from tests.conftest import plate_paths

REPO = Path(__file__).resolve().parents[2]


def run(args: list[str], cwd: Path, monkeypatch) -> int:
    monkeypatch.chdir(cwd)
    return main(args)


def counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        return {
            t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("plate_versions", "current_versions", "blobs", "masks", "audit")
        }
    finally:
        conn.close()


def current(db: Path, plate_id: str) -> tuple[int, str]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT v.version, v.masks_json FROM current_versions c JOIN "
            "plate_versions v ON v.id = c.version_id WHERE c.plate_id = ?",
            (plate_id,),
        ).fetchone()
    finally:
        conn.close()


@pytest.fixture
def fkn(tmp_path: Path) -> tuple[Path, Path, Path]:
    export, layout = plate_paths("fkn_clean")
    return export, layout, tmp_path / "store.sqlite"


def test_same_inputs_twice_store_one_version(fkn, tmp_path, monkeypatch):
    export, layout, db = fkn
    args = ["run", str(export), "--layout", str(layout), "--db", str(db), "--out", "r"]
    assert run(args, tmp_path, monkeypatch) == 0
    first = counts(db)
    assert run(args, tmp_path, monkeypatch) == 0
    second = counts(db)
    assert first["plate_versions"] == second["plate_versions"] == 1
    assert second["blobs"] == first["blobs"] == 2  # the export and the layout, once
    assert second["audit"] == first["audit"] + 1  # "unchanged, nothing added"


def test_stored_export_bytes_are_the_original(fkn, tmp_path, monkeypatch):
    export, layout, db = fkn
    run(
        ["run", str(export), "--layout", str(layout), "--db", str(db), "--out", "r"],
        tmp_path,
        monkeypatch,
    )
    with Store(db) as store:
        version = store.current_version("fkn_clean", "FKN")
        assert store.blob(version.source_sha256) == export.read_bytes()


def test_mask_adds_a_version_and_undo_returns_to_the_first(fkn, tmp_path, monkeypatch, capsys):
    export, layout, db = fkn
    run(
        [
            "run",
            str(export),
            "--layout",
            str(layout),
            "--db",
            str(db),
            "--out",
            "r",
            "--user",
            "tech1",
        ],
        tmp_path,
        monkeypatch,
    )
    assert (
        run(
            [
                "mask",
                "fkn_clean",
                "C5",
                "c6",
                "--reason",
                "bubble",
                "--db",
                str(db),
                "--user",
                "rev1",
            ],
            tmp_path,
            monkeypatch,
        )
        == 0
    )
    version, masks = current(db, "fkn_clean")
    assert version == 2 and masks == '{"C5": "bubble", "C6": "bubble"}'
    with Store(db) as store:
        wells = {w["well"]: w for w in store.current_version("fkn_clean", "FKN").tables["wells"]}
    assert wells["C5"]["masked"] is True and "masked_well" in wells["C5"]["flags"]
    assert (
        run(
            [
                "mask",
                "fkn_clean",
                "C5",
                "C6",
                "--reason",
                "wrong plate",
                "--undo",
                "--db",
                str(db),
                "--user",
                "rev1",
            ],
            tmp_path,
            monkeypatch,
        )
        == 0
    )
    assert current(db, "fkn_clean") == (1, "{}")
    assert counts(db)["plate_versions"] == 2
    capsys.readouterr()
    assert run(["audit", "--plate", "fkn_clean", "--db", str(db)], tmp_path, monkeypatch) == 0
    lines = capsys.readouterr().out.splitlines()
    actions = [line.split("  ")[2] for line in lines]
    assert actions[0].startswith("run: version 1 added")
    assert any(a.startswith("mask fkn_clean") for a in actions)
    assert any(a.startswith("mask: version 2 added") for a in actions)
    assert any(a.startswith("unmask: earlier version made current") for a in actions)
    users = [line.split("  ")[1] for line in lines]
    assert users[0] == "tech1" and "rev1" in users
    times = [dt.datetime.fromisoformat(line.split("  ")[0]) for line in lines]
    assert all(t.utcoffset() == dt.timedelta(0) for t in times) and times == sorted(times)


def test_audit_log_is_append_only(fkn, tmp_path, monkeypatch):
    export, layout, db = fkn
    run(
        ["run", str(export), "--layout", str(layout), "--db", str(db), "--out", "r"],
        tmp_path,
        monkeypatch,
    )
    conn = sqlite3.connect(db)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit SET user = 'someone else'")
    conn.close()


def _checkpoints(export: Path, layout: Path, db: Path, tmp_path: Path, monkeypatch) -> list[str]:
    seen: list[str] = []
    monkeypatch.setattr(Store, "checkpoint", lambda self, step: seen.append(step))
    run(
        ["run", str(export), "--layout", str(layout), "--db", str(db), "--out", "r"],
        tmp_path,
        monkeypatch,
    )
    monkeypatch.undo()
    return seen


def test_a_fault_at_any_step_leaves_the_store_consistent(tmp_path, monkeypatch, capsys):
    first_export, first_layout = plate_paths("fkn_clean")
    export, layout = plate_paths("il6_clean")
    probe = tmp_path / "probe.sqlite"
    run(
        ["run", str(first_export), "--layout", str(first_layout), "--db", str(probe), "--out", "r"],
        tmp_path,
        monkeypatch,
    )
    steps = _checkpoints(export, layout, probe, tmp_path, monkeypatch)
    assert len(steps) >= 4
    for k in range(len(steps)):
        db = tmp_path / f"fault{k}.sqlite"
        run(
            [
                "run",
                str(first_export),
                "--layout",
                str(first_layout),
                "--db",
                str(db),
                "--out",
                "r",
            ],
            tmp_path,
            monkeypatch,
        )
        before = counts(db)
        calls = {"n": 0}

        def fail_at_k(self, step, k=k, calls=calls):
            if calls["n"] == k:
                raise RuntimeError(f"injected fault at {step}")
            calls["n"] += 1

        monkeypatch.setattr(Store, "checkpoint", fail_at_k)
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the traceback goes
        capsys.readouterr()
        code = run(
            ["run", str(export), "--layout", str(layout), "--db", str(db), "--out", "r2"],
            tmp_path,
            monkeypatch,
        )
        monkeypatch.undo()
        # an unexpected exception is an internal error (exit 3), not bad input
        assert code == 3
        assert "internal error" in capsys.readouterr().err
        assert counts(db) == before, f"fault at step {k} ({steps[k]}) changed the store"
        assert current(db, "fkn_clean")[0] == 1
        assert current(db, "il6_clean") is None
        out = tmp_path / "r2"  # checked before the store is written, but left empty
        assert not out.exists() or not any(out.iterdir())


def test_two_processes_writing_one_store_both_succeed(tmp_path):
    plates = [plate_paths("fkn_clean"), plate_paths("il6_clean")]
    db = tmp_path / "shared.sqlite"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "elisa",
                "run",
                str(e),
                "--layout",
                str(lay),
                "--db",
                str(db),
                "--out",
                f"out{i}",
            ],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, (e, lay) in enumerate(plates)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert counts(db)["current_versions"] == 2


def test_an_older_store_is_migrated_and_keeps_its_data(tmp_path, monkeypatch):
    from elisa.store.database import _statements
    from elisa.store.schema import MIGRATIONS, SCHEMA_VERSION

    db = tmp_path / "old.sqlite"
    conn = sqlite3.connect(db)
    for statement in _statements(MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute(
        "INSERT INTO audit (time_utc, user, action, software_version, details_json) "
        "VALUES ('2026-01-01T00:00:00+00:00', 'someone', 'old entry', '0.0.1', '{}')"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Store(db) as store:
        assert store.schema_version() == SCHEMA_VERSION >= 2
        assert audit_log(store)[0].action == "old entry"
        store.conn.execute("SELECT COUNT(*) FROM analyser_results").fetchone()


def test_a_newer_store_is_refused(tmp_path):
    db = tmp_path / "new.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(Exception, match="newer than this software"):
        Store(db)
