"""A bug is an internal error, never bad input (issue 8, item 7).

An exception that is not one of the project's input errors ends the command with exit code 3
and one line on stderr naming the input file and the file holding the full traceback; nothing
is written. Readers raise `PlateError` for bad input only, so a plain `ValueError` or
`ZeroDivisionError` inside a reader is such a bug.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

from plates.errors import PlateError
from plates.readers import TEXT_READERS, read_export, sniff_format
from plates.readers.grid import reader as grid_reader


def _broken(error: Exception):
    def read(text: str, path: Path):
        raise error

    return read


@pytest.fixture
def traceback_dir(tmp_path, monkeypatch):
    folder = tmp_path / "tracebacks"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _traceback_file(err: str) -> Path:
    match = re.search(r"traceback in (\S+elisa-traceback-\S+\.txt)\)$", err.strip())
    assert match, err
    return Path(match.group(1))


@pytest.mark.parametrize(
    "error", [ZeroDivisionError("division by zero"), ValueError("a reader's own slip")]
)
def test_a_reader_bug_in_run_is_exit_3_naming_the_file_and_the_traceback(
    error, tmp_path, fixture_plate, run_cli, monkeypatch, traceback_dir
):
    export, layout = fixture_plate("fkn_clean")
    assert sniff_format(Path(export).read_bytes(), Path(export)) == "grid"
    monkeypatch.setattr(grid_reader, "read", _broken(error))
    out = tmp_path / "out"
    result = run_cli(["run", export, "--layout", layout, "--out", out], cwd=tmp_path)
    assert result.code == 3
    assert result.out == ""
    assert len(result.err.strip().splitlines()) == 1
    assert result.err.startswith(f"elisa: internal error while processing {export}: ")
    assert f"{type(error).__name__}: {error}" in result.err
    assert "bad input" in result.err and "not bad input" in result.err
    saved = _traceback_file(result.err)
    assert saved.parent == traceback_dir
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("Traceback (most recent call last):")
    assert "in read\n" in text and f"{type(error).__name__}: {error}" in text
    assert not out.exists()
    assert not (tmp_path / "elisa.sqlite").exists()


def test_a_reader_bug_in_inspect_is_exit_3(fixture_plate, run_cli, monkeypatch, traceback_dir):
    export, _ = fixture_plate("fkn_clean")
    monkeypatch.setattr(grid_reader, "read", _broken(KeyError("row")))
    result = run_cli(["inspect", export])
    assert result.code == 3
    assert f"while processing {export}: KeyError: 'row'" in result.err
    assert _traceback_file(result.err).is_file()


def test_bad_input_is_still_exit_2_with_no_traceback(tmp_path, run_cli, traceback_dir):
    path = tmp_path / "notes.txt"
    path.write_text("Dear colleague,\nplease find the plate attached.\n")
    result = run_cli(["inspect", path])
    assert result.code == 2
    assert result.err.startswith(f"elisa: error: {path}: not a plate export")
    assert list(traceback_dir.iterdir()) == []


def test_the_library_lets_the_bug_through_with_the_file_noted(fixture_plate, monkeypatch):
    export, _ = fixture_plate("fkn_clean")
    monkeypatch.setattr(grid_reader, "read", _broken(ZeroDivisionError("division by zero")))
    with pytest.raises(ZeroDivisionError) as caught:
        read_export(export)
    assert caught.value.__notes__ == [f"while reading input file: {export}"]


def test_a_reader_input_error_passes_unchanged(fixture_plate, monkeypatch):
    export, _ = fixture_plate("fkn_clean")
    monkeypatch.setattr(
        grid_reader, "read", _broken(PlateError("row H has 11 values", file="x.csv"))
    )
    with pytest.raises(PlateError, match=r"^x\.csv: row H has 11 values$") as caught:
        read_export(export)
    assert not hasattr(caught.value, "__notes__")


def test_a_sniffer_bug_is_not_hidden_but_foreign_content_is_skipped(fixture_plate, monkeypatch):
    export, _ = fixture_plate("fkn_clean")
    data, path = Path(export).read_bytes(), Path(export)
    first = next(iter(TEXT_READERS.values()))

    def trips(text: str) -> bool:
        return int("not a number") > 0  # what foreign content does to a sniffer: "not mine"

    monkeypatch.setattr(first, "sniff", trips)
    assert sniff_format(data, path) == "grid"

    def broken(text: str) -> bool:
        return text.missing_attribute  # type: ignore[attr-defined]

    monkeypatch.setattr(first, "sniff", broken)
    with pytest.raises(AttributeError):
        sniff_format(data, path)
