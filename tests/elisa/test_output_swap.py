"""`elisa run` replaces its output folder as a whole, and the store only with it (issue 14,
finding 7): a full disk, a failed commit, a kill between the renames, stale staging folders."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

import elisa.files.swap as swap
from elisa.store.database import Store
from tests.conftest import plate_paths


def _files(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def _store_rows(db: Path) -> tuple:
    conn = sqlite3.connect(db)
    try:
        return tuple(
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("plate_versions", "current_versions", "audit", "blobs")
        )
    finally:
        conn.close()


@pytest.fixture
def first_run(tmp_path, run_cli):
    """A store and an output folder holding one run of fkn_clean."""
    export, layout = plate_paths("fkn_clean")
    result = run_cli(["run", str(export), "--layout", str(layout), "--out", "out"])
    assert result.code == 0, result.err
    return tmp_path / "out", tmp_path / "elisa.sqlite"


def _second(run_cli):
    export, layout = plate_paths("fkn_discordant")
    return run_cli(["run", str(export), "--layout", str(layout), "--out", "out"])


def test_a_full_disk_names_the_file_and_leaves_store_and_folder_unchanged(
    first_run, run_cli, monkeypatch
):
    out, db = first_run
    before_files, before_rows = _files(out), _store_rows(db)
    real = swap.write_new

    def disk_full(path, data):
        if path.name == "report.html":
            raise OSError(28, "No space left on device", str(path))
        real(path, data)

    monkeypatch.setattr(swap, "write_new", disk_full)
    result = _second(run_cli)
    assert result.code == 2
    err = result.err.strip()
    assert len(err.splitlines()) == 1
    assert "out/report.html" in err and "No space left on device" in err and "Traceback" not in err
    assert _files(out) == before_files and _store_rows(db) == before_rows
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".out.")]


def test_a_disk_that_fails_only_when_flushed_names_the_file_and_changes_nothing(
    first_run, run_cli, monkeypatch
):
    # With delayed allocation a full disk can show only at fsync, after every write succeeded.
    out, db = first_run
    before_files, before_rows = _files(out), _store_rows(db)
    real = swap._sync_file

    def full_at_flush(path):
        if path.name == "samples.csv":
            raise OSError(28, "No space left on device", str(path))
        real(path)

    monkeypatch.setattr(swap, "_sync_file", full_at_flush)
    result = _second(run_cli)
    assert result.code == 2
    err = result.err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "out/samples.csv" in err and "No space left on device" in err
    assert _files(out) == before_files and _store_rows(db) == before_rows
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".out.")]


def test_every_staged_file_is_flushed_to_disk(tmp_path, monkeypatch):
    flushed = []
    monkeypatch.setattr(swap, "_sync_file", flushed.append)
    files = {f"plates/plate-{i:04d}.html": b"<p>page</p>" for i in range(1, 31)}
    files["report.html"] = b"<p>index</p>"
    staged = swap.stage_folder(tmp_path / "out", files, ["plates/plate-*.html"])
    assert sorted(p.relative_to(staged.staging).as_posix() for p in flushed) == sorted(files)
    staged.undo()


def test_a_failed_commit_swaps_the_old_folder_back(first_run, run_cli, monkeypatch):
    out, db = first_run
    before_files, before_rows = _files(out), _store_rows(db)
    seen = []

    def fail_after_swap(store, step):
        seen.append(step)
        if step == "outputs swapped":
            assert _files(out) != before_files  # the new folder is in place here
            raise OSError(5, "Input/output error (simulated commit failure)", str(store.path))

    monkeypatch.setattr(Store, "checkpoint", fail_after_swap)
    result = _second(run_cli)
    assert result.code == 2 and "outputs swapped" in seen
    assert _files(out) == before_files and _store_rows(db) == before_rows
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".out.")]


def test_stale_staging_of_killed_runs_is_removed_by_the_next_run(first_run, run_cli):
    out, _ = first_run
    dead = 2**22 + 12345  # above the usual pid_max: no such process
    stale = out.parent / f".out{swap.STAGING_TAG}{dead}-abc"
    stale.mkdir()
    (stale / "samples.csv").write_text("half written")
    legacy = out / ".staging-k2j4"  # what the file-by-file writer left inside the folder
    legacy.mkdir()
    result = _second(run_cli)
    assert result.code in (0, 1), result.err
    assert not stale.exists() and not legacy.exists()
    assert sorted(p.name for p in out.iterdir()) == sorted(swap_names(out))


def swap_names(out: Path) -> list[str]:
    from elisa.files.staging import OUTPUT_FILES

    return [name for name in OUTPUT_FILES if (out / name).exists()]


def test_a_kill_between_the_two_renames_of_the_fallback_is_repaired(first_run, run_cli):
    """Without an exchange system call the old folder is renamed aside first; a kill then leaves
    no folder, and the next run puts the old one back before it swaps."""
    out, _ = first_run
    before = _files(out)
    aside = out.parent / f".out{swap.ASIDE_TAG}{2**22 + 7}-xyz"
    out.rename(aside)
    swap.clean_stale(out)
    assert _files(out) == before and not aside.exists()


def test_the_fallback_swap_without_an_exchange_call(first_run, run_cli, monkeypatch):
    out, _ = first_run
    monkeypatch.setattr(swap, "_exchange", lambda a, b: False)
    before = _files(out)
    result = _second(run_cli)
    assert result.code in (0, 1), result.err
    assert _files(out) != before and "samples.csv" in _files(out)
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".out.")]


def test_a_folder_holding_other_files_is_refused_before_anything_is_written(tmp_path, run_cli):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    export, layout = plate_paths("fkn_clean")
    result = run_cli(["run", str(export), "--layout", str(layout), "--out", "out"])
    assert result.code == 2
    assert "notes.txt" in result.err and "--out" in result.err
    assert (out / "notes.txt").read_text() == "my notes" and len(list(out.iterdir())) == 1
    assert not (tmp_path / "elisa.sqlite").exists()


def test_a_store_inside_the_output_folder_is_refused(tmp_path, run_cli):
    export, layout = plate_paths("fkn_clean")
    args = ["run", str(export), "--layout", str(layout), "--out", "out", "--db", "out/s.sqlite"]
    result = run_cli(args)
    assert result.code == 2 and "store cannot be inside the output folder" in result.err
    assert not (tmp_path / "out").exists()


def test_the_new_folder_keeps_the_old_folders_permissions(first_run, run_cli):
    out, _ = first_run
    out.chmod(0o750)
    assert _second(run_cli).code in (0, 1)
    assert out.stat().st_mode & 0o777 == 0o750
