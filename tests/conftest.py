"""Shared test helpers: the bundled fixture plates and running the `elisa` command in-process.

Fixtures:
- ``fixture_plate(name)`` -> (export CSV, layout TOML) paths of a plate under fixtures/plates/.
- ``run_cli(args, cwd=None)`` -> CliResult(code, out, err): ``elisa.cli.main.main(args)`` in-process,
  output captured with capsys, in ``cwd`` (default: the test's tmp_path).
- ``run_elisa(args, cwd)`` (a plain function, for module- or session-scoped fixtures): the same
  with contextlib redirection instead of capsys.
- ``plate_outputs(name)`` (session-wide, cached) -> PlateRun: the fixture plate processed once by
  ``elisa run`` into a folder of its own, with the exit code, stdout, stderr and the read CSVs.
"""

from __future__ import annotations

import contextlib
import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURE_DIR = REPO / "fixtures" / "plates"
CLEAN_PLATES = ("fkn_clean", "tracp5b_clean", "il1b_clean", "il6_clean")
CSV_NAMES = ("samples", "standards", "curves", "wells", "runs", "reassay")


def plate_paths(name: str) -> tuple[Path, Path]:
    """The export CSV and wellmap TOML of the fixture plate ``name``."""
    export, layout = FIXTURE_DIR / f"{name}.csv", FIXTURE_DIR / f"{name}.toml"
    if not (export.is_file() and layout.is_file()):
        pytest.skip(f"fixture plate {name} is not in fixtures/plates/")
    return export, layout


def read_rows(path: Path) -> list[dict[str, str]]:
    """A CSV file as a list of dicts of raw text cells (no type guessing)."""
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


@dataclass(frozen=True)
class PlateRun:
    name: str
    result: CliResult
    out_dir: Path

    def rows(self, table: str) -> list[dict[str, str]]:
        return read_rows(self.out_dir / f"{table}.csv")


def _main(args: list[str]) -> int:
    from elisa.cli.main import main

    code = main([str(a) for a in args])
    assert isinstance(code, int), (
        f"elisa.cli.main.main returned {code!r}, expected an int exit code"
    )
    return code


def run_elisa(args, cwd: Path) -> CliResult:
    """``elisa.cli.main.main(args)`` in ``cwd`` with stdout/stderr captured (usable at any scope)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = _main(list(args))
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def fixture_plate():
    return plate_paths


@pytest.fixture
def run_cli(capsys, monkeypatch, tmp_path):
    """Call ``elisa.cli.main.main`` in-process; SystemExit (e.g. --help) is turned into its code."""

    def run(args, cwd: Path | None = None) -> CliResult:
        monkeypatch.chdir(cwd or tmp_path)
        capsys.readouterr()  # drop anything printed before
        try:
            code = _main(list(args))
        except SystemExit as exc:  # argparse --help/--version
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def plate_outputs(tmp_path_factory):
    """Each fixture plate processed once per session with `elisa run` (cached)."""
    cache: dict[str, PlateRun] = {}

    def get(name: str) -> PlateRun:
        if name not in cache:
            export, layout = plate_paths(name)
            work = tmp_path_factory.mktemp(f"run_{name}")
            out_dir = work / "results"
            result = run_elisa(
                ["run", export, "--layout", layout, "--out", out_dir, "--no-db"], work
            )
            cache[name] = PlateRun(name, result, out_dir)
        return cache[name]

    return get
