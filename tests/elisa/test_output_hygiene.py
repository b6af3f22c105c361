"""What the toolkit prints and leaves on disk: control characters made visible, no library
warnings, a store readable by its owner only (issue 14, finding 8, output side)."""

from __future__ import annotations

import sqlite3
import stat
import warnings
from pathlib import Path

import numpy as np
import openpyxl

from elisa.fit.uncertainty import log_interval
from elisa.run import run_exports
from tests.conftest import plate_paths

ESC = "\x1b"


def test_visible_escapes_c0_c1_and_bidirectional_controls():
    from elisa.cli.echo import visible

    text = "a\x1b[2Jb\rc\td\x9be\x7ff\u202eg\nh é"
    assert visible(text) == "a\\x1b[2Jb\\x0dc\\x09d\\x9be\\x7ff\\u202eg\\x0ah é"


def _layout_with_plate_id(tmp_path: Path, plate_id: str) -> tuple[Path, Path]:
    export, layout = plate_paths("fkn_clean")
    text = layout.read_text(encoding="utf-8").replace(
        'plate_id = "fkn_clean"', f'plate_id = "{plate_id}"'
    )
    assert plate_id in text
    copy = tmp_path / "layout.toml"
    copy.write_text(text, encoding="utf-8")
    return export, copy


def test_run_summary_and_audit_show_control_characters_escaped(tmp_path, run_cli):
    # TOML writes the escape as \u001b; the plate id then holds a real ESC character
    export, layout = _layout_with_plate_id(tmp_path, "fkn\\u001b[2Jclean")
    user = f"tech{ESC}]0;owned\x07"
    run = run_cli(["run", str(export), "--layout", str(layout), "--user", user], cwd=tmp_path)
    assert run.code == 0, run.err
    assert ESC not in run.out and "fkn\\x1b[2Jclean [FKN]: pass" in run.out
    # results.xlsx cannot hold the control (XML forbids it): it shows the same escape
    sheet = openpyxl.load_workbook(tmp_path / "results" / "results.xlsx")["runs"]
    assert sheet["A2"].value == "fkn\\x1b[2Jclean"
    audit = run_cli(["audit"], cwd=tmp_path)
    assert audit.code == 0
    assert ESC not in audit.out and "\x07" not in audit.out
    assert "tech\\x1b]0;owned\\x07" in audit.out and "fkn\\x1b[2Jclean" in audit.out


def test_an_error_naming_a_file_shows_its_control_characters_escaped(tmp_path, run_cli):
    _, layout = plate_paths("fkn_clean")
    result = run_cli(["run", f"plate{ESC}[2J.csv", "--layout", str(layout), "--no-db"])
    assert result.code == 2
    assert ESC not in result.err and "plate\\x1b[2J.csv" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_an_unbounded_interval_is_missing_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning would fail the test
        low, high = log_interval(np.array([1.0, 2.0]), np.array([1e6, 0.2]), 5)
    assert np.isnan(low[0]) and np.isnan(high[0])
    assert 1.5 < low[1] < 2.0 < high[1] < 2.7


def test_the_store_is_created_readable_by_its_owner_only(tmp_path):
    export, layout = plate_paths("fkn_clean")
    db = tmp_path / "elisa.sqlite"
    run_exports(export, layout, out=tmp_path / "out", db=db)
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    # SQLite gives -wal and -shm files the store file's mode
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("INSERT INTO meta (key, value) VALUES ('probe', 'x')")
    conn.commit()
    for suffix in ("-wal", "-shm"):
        assert stat.S_IMODE(Path(f"{db}{suffix}").stat().st_mode) == 0o600
    conn.close()


def test_fitting_pure_noise_warns_nothing():
    """A curve the standards do not identify has negative variances: its standard errors are
    missing (NaN), said in the fit's message, and nothing is printed on stderr."""
    from elisa.fit.fitter import fit_standard_curve
    from tests.elisa.test_fitting import design

    x = design()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        fits = [
            fit_standard_curve(x, np.random.default_rng(seed).uniform(0.1, 2.0, x.size), model=m)
            for seed in range(8)
            for m in ("4PL", "5PL")
        ]
    assert sum(not f.converged for f in fits) >= 1
