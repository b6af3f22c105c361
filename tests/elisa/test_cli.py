"""The `elisa` command: exit codes, one-line errors for bad input, nothing written (DESIGN 5).

Bad inputs are made in tmp_path by copying and changing the fkn_clean fixture plate.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

BASE = "fkn_clean"


# ---------------------------------------------------------------- building bad inputs


@dataclass
class Case:
    """A bad invocation: ``args`` (without --out) and what the one error line must contain."""

    args: list[str]
    names: str | None  # the file the message must name (by its file name), if any
    patterns: tuple[str, ...]  # regexes (case-insensitive) that must all match the message


def _copy(src: Path, tmp: Path, name: str | None = None) -> Path:
    dst = tmp / (name or src.name)
    shutil.copyfile(src, dst)
    return dst


def _edit_grid(tmp: Path, export: Path, change: Callable[[list[str]], list[str]]) -> Path:
    lines = export.read_text(encoding="utf-8").splitlines()
    path = tmp / "plate.csv"
    path.write_text("\n".join(change(lines)) + "\n", encoding="utf-8")
    return path


def _edit_layout(
    tmp: Path, layout: Path, change: Callable[[str], str], name: str = "bad_layout.toml"
) -> Path:
    path = tmp / name
    text = change(layout.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    return path


def _without_row(label: str) -> Callable[[list[str]], list[str]]:
    return lambda lines: [ln for ln in lines if not ln.startswith(f"{label},")]


def _text_in_cell(lines: list[str]) -> list[str]:
    out = []
    for ln in lines:
        if ln.startswith("C,"):
            cells = ln.split(",")
            cells[5] = "abc"  # well C5
            ln = ",".join(cells)
        out.append(ln)
    return out


def _extra_well(body: str) -> Callable[[str], str]:
    return lambda text: text + "\n" + body.strip() + "\n"


def _make_case(kind: str, tmp: Path, export: Path, layout: Path) -> Case:
    exp, lay = _copy(export, tmp, "plate.csv"), _copy(layout, tmp, "layout.toml")

    def run(e: Path | str, la: Path | str, *extra: str) -> list[str]:
        return ["run", str(e), "--layout", str(la), *extra]

    if kind == "empty_file":
        exp.write_bytes(b"")
        return Case(run(exp, lay), exp.name, (r"empty",))
    if kind == "binary_file":
        exp.write_bytes(bytes(range(256)) * 8 + b"\x00\xff\xfe\x00" * 64)
        return Case(run(exp, lay), exp.name, (r"binary|not (a )?text",))
    if kind.startswith("grid_missing_row_"):
        label = kind[-1]
        bad = _edit_grid(tmp, export, _without_row(label))
        return Case(run(bad, lay), bad.name, (rf"\b{label}\b", r"missing"))
    if kind == "binary_file_without_nul":
        rng = random.Random(20240304)
        exp.write_bytes(bytes(rng.randrange(1, 256) for _ in range(4096)))
        return Case(run(exp, lay), exp.name, ())
    if kind == "text_in_od_cell":
        bad = _edit_grid(tmp, export, _text_in_cell)
        return Case(run(bad, lay), bad.name, (r"abc", r"\bC5\b|line 4\b"))
    if kind == "missing_file":
        return Case(
            run(tmp / "no_such_plate.csv", lay),
            "no_such_plate.csv",
            (r"not found|no such file|does not exist",),
        )
    if kind == "missing_layout":
        return Case(
            run(exp, tmp / "no_such_layout.toml"),
            "no_such_layout.toml",
            (r"not found|no such file|does not exist",),
        )
    if kind == "empty_layout":
        lay.write_text("", encoding="utf-8")
        return Case(run(exp, lay), lay.name, (r"analyte|standard|empty|no wells",))
    if kind == "binary_layout":
        lay.write_bytes(b"\x00\x01\xfe\xff" * 100)
        return Case(run(exp, lay), lay.name, (r"toml|text|binary|utf",))
    if kind == "dilution_text":
        bad = _edit_layout(
            tmp, layout, _extra_well('[well.H11]\nrole = "sample"\nsample = "SX"\ndilution = "two"')
        )
        return Case(run(exp, bad), bad.name, (r"\bH11\b", r"dilution"))
    if kind == "unknown_analyte_option":
        return Case(run(exp, lay, "--analyte", "XYZ-9"), None, (r"XYZ-9", r"analyte"))
    if kind == "two_layouts_one_export":
        return Case(run(exp, lay) + ["--layout", str(lay)], None, (r"layout",))
    if kind == "same_plate_twice":
        return Case(
            ["run", str(exp), str(exp), "--layout", str(lay)],
            exp.name,
            (r"fkn_clean", r"\bid\b|twice|same|duplicate"),
        )
    if kind == "layout_not_toml":
        lay.write_text("this is [not toml\n= = =\n", encoding="utf-8")
        return Case(run(exp, lay), lay.name, (r"toml",))
    if kind == "layout_well_off_plate":
        bad = _edit_layout(tmp, layout, _extra_well('[well.I5]\nrole = "sample"\nsample = "SX"'))
        return Case(run(exp, bad), bad.name, (r"\bI5\b", r"off the plate|outside|beyond"))
    if kind == "unknown_role":
        bad = _edit_layout(
            tmp, layout, _extra_well('[well.H11]\nrole = "calibrator"\nsample = "SX"')
        )
        return Case(run(exp, bad), bad.name, (r"\bH11\b", r"role", r"calibrator"))
    if kind == "unknown_analyte":
        bad = _edit_layout(tmp, layout, lambda t: t.replace('analyte = "FKN"', 'analyte = "XYZ-9"'))
        return Case(run(exp, bad), bad.name, (r"XYZ-9", r"analyte"))
    if kind == "standard_without_conc":
        bad = _edit_layout(tmp, layout, _extra_well('[well.H11]\nrole = "standard"'))
        return Case(run(exp, bad), bad.name, (r"\bH11\b", r"\bconc\b"))
    if kind in ("dilution_zero", "dilution_negative"):
        value = "0" if kind == "dilution_zero" else "-2.5"
        bad = _edit_layout(
            tmp,
            layout,
            _extra_well(f'[well.H11]\nrole = "sample"\nsample = "SX"\ndilution = {value}'),
        )
        return Case(run(exp, bad), bad.name, (r"\bH11\b", r"dilution"))
    if kind == "directory_as_export":
        folder = tmp / "export_dir"
        folder.mkdir()
        return Case(run(folder, lay), folder.name, (r"director|not a file",))
    if kind == "analyte_contradicts_layout":
        return Case(run(exp, lay, "--analyte", "IL-6"), lay.name, (r"analyte", r"IL-?6", r"FKN"))
    if kind == "second_export_bad":  # all inputs are validated before anything is written
        bad = tmp / "second.csv"
        bad.write_bytes(b"")
        return Case(["run", str(exp), str(bad), "--layout", str(lay)], bad.name, (r"empty",))
    if kind == "second_layout_bad":
        other = _copy(export, tmp, "other.csv")
        bad = _edit_layout(
            tmp,
            layout,
            lambda t: (
                t.replace('plate_id = "fkn_clean"', 'plate_id = "other"')
                + '\n[well.H11]\nrole = "sample"\nsample = "SX"\ndilution = -1\n'
            ),
            name="second.toml",
        )
        return Case(
            ["run", str(exp), str(other), "--layout", str(lay), "--layout", str(bad)],
            bad.name,
            (r"\bH11\b", r"dilution"),
        )
    if kind == "no_export":
        return Case(["run", "--layout", str(lay)], None, (r"EXPORT|required|argument",))
    if kind == "no_layout":
        return Case(["run", str(exp)], None, (r"layout",))
    if kind == "unknown_option":
        return Case(run(exp, lay, "--frobnicate"), None, (r"frobnicate",))
    raise AssertionError(kind)


BAD_INPUTS = (
    "empty_file",
    "binary_file",
    "binary_file_without_nul",
    "grid_missing_row_A",
    "grid_missing_row_D",
    "grid_missing_row_H",
    "text_in_od_cell",
    "missing_file",
    "missing_layout",
    "layout_not_toml",
    "empty_layout",
    "binary_layout",
    "layout_well_off_plate",
    "unknown_role",
    "unknown_analyte",
    "unknown_analyte_option",
    "standard_without_conc",
    "dilution_zero",
    "dilution_negative",
    "dilution_text",
    "directory_as_export",
    "analyte_contradicts_layout",
    "two_layouts_one_export",
    "same_plate_twice",
    "second_export_bad",
    "second_layout_bad",
    "no_export",
    "no_layout",
    "unknown_option",
)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _assert_one_line_error(err: str, case: Case) -> str:
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), f"expected exactly one line on stderr: {err!r}"
    line = lines[0]
    if case.names is not None:
        assert case.names in line, f"the message does not name {case.names}: {line!r}"
    for pattern in case.patterns:
        assert re.search(pattern, line, re.IGNORECASE), f"{pattern!r} not in {line!r}"
    return line


@pytest.mark.parametrize("kind", BAD_INPUTS)
def test_bad_input_exit_2_one_line_nothing_written(kind, tmp_path, fixture_plate, run_cli):
    work = tmp_path / "in"
    work.mkdir()
    case = _make_case(kind, work, *fixture_plate(BASE))
    out = tmp_path / "out"
    result = run_cli([*case.args, "--out", str(out)], cwd=tmp_path)
    assert result.code == 2, (result.code, result.err)
    _assert_one_line_error(result.err, case)
    assert "Traceback" not in result.out
    assert not out.exists(), f"the --out folder was created: {sorted(out.rglob('*'))}"
    assert not (tmp_path / "results").exists()
    assert not (tmp_path / "elisa.sqlite").exists()


@pytest.mark.parametrize(
    "kind",
    (
        "empty_file",
        "text_in_od_cell",
        "layout_well_off_plate",
        "unknown_analyte",
        "analyte_contradicts_layout",
        "no_export",
    ),
)
def test_bad_input_keeps_previous_outputs(kind, tmp_path, fixture_plate, run_cli):
    """An existing --out folder from a good run keeps every file byte for byte."""
    export, layout = fixture_plate(BASE)
    out = tmp_path / "out"
    good = run_cli(["run", export, "--layout", layout, "--out", out], cwd=tmp_path)
    assert good.code == 0, good.err
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    before = _snapshot(out)
    work = tmp_path / "in"
    work.mkdir()
    case = _make_case(kind, work, export, layout)
    result = run_cli([*case.args, "--out", str(out)], cwd=tmp_path)
    assert result.code == 2, (result.code, result.err)
    _assert_one_line_error(result.err, case)
    assert _snapshot(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "staging left behind"


# ---------------------------------------------------------------- good runs


@pytest.mark.parametrize("name, code", [("fkn_clean", 0), ("fkn_bad_curve", 1), ("il6_noisy", 1)])
def test_exit_codes(name, code, tmp_path, fixture_plate, run_cli):
    export, layout = fixture_plate(name)
    out = tmp_path / "out"
    result = run_cli(["run", export, "--layout", layout, "--out", out], cwd=tmp_path)
    assert result.code == code, result.out + result.err
    assert result.err == ""
    assert {p.name for p in out.iterdir()} >= {
        "samples.csv",
        "standards.csv",
        "curves.csv",
        "wells.csv",
        "runs.csv",
        "reassay.csv",
        "report.html",
        "provenance.json",
    }
    assert str(out) in result.out or out.name in result.out, "the summary says where results are"


def test_analyte_alias_agreeing_with_layout_is_not_a_contradiction(
    tmp_path, fixture_plate, run_cli
):
    export, layout = fixture_plate(BASE)
    result = run_cli(
        ["run", export, "--layout", layout, "--analyte", "CX3CL1", "--out", "o"], cwd=tmp_path
    )
    assert result.code == 0, result.err
    assert {r["analyte"] for r in _rows(tmp_path / "o" / "runs.csv")} == {"FKN"}


def _rows(path: Path) -> list[dict[str, str]]:
    import csv

    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_default_out_is_results_folder_and_default_store(tmp_path, fixture_plate, run_cli):
    export, layout = fixture_plate(BASE)
    result = run_cli(["run", export, "--layout", layout], cwd=tmp_path)
    assert result.code == 0, result.err
    assert (tmp_path / "results" / "samples.csv").is_file()
    assert (tmp_path / "elisa.sqlite").is_file(), "the default store is ./elisa.sqlite"


@pytest.mark.parametrize(
    "store, files", ((["--db", "store.sqlite"], ["o", "store.sqlite"]), (["--no-db"], ["o"]))
)
def test_db_options(store, files, tmp_path, fixture_plate, run_cli):
    export, layout = fixture_plate(BASE)
    result = run_cli(["run", export, "--layout", layout, "--out", "o", *store], cwd=tmp_path)
    assert result.code == 0, result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == files


def test_bad_input_creates_no_store(tmp_path, run_cli):
    result = run_cli(
        ["run", tmp_path / "absent.csv", "--layout", tmp_path / "absent.toml"], cwd=tmp_path
    )
    assert result.code == 2
    assert not (tmp_path / "elisa.sqlite").exists()


def test_run_help_describes_the_store(run_cli):
    result = run_cli(["run", "--help"])
    assert result.code == 0
    text = " ".join(result.out.split())
    assert "--db" in text and "--no-db" in text
    assert "elisa.sqlite" in text and "audit log" in text


def test_inspect_prints_format_and_wavelengths(fixture_plate, run_cli):
    export, _ = fixture_plate(BASE)
    result = run_cli(["inspect", export])
    assert result.code == 0, result.err
    assert re.search(r"format:?\s+grid", result.out), result.out
    assert "450" in result.out
    assert re.search(r"450\s*nm", result.out), result.out


def test_inspect_missing_file(tmp_path, run_cli):
    result = run_cli(["inspect", tmp_path / "absent.csv"])
    assert result.code == 2
    assert len(result.err.splitlines()) == 1 and "absent.csv" in result.err
    assert "Traceback" not in result.err


def test_no_subcommand_is_usage_error(run_cli):
    result = run_cli([])
    assert result.code == 2
    assert len(result.err.splitlines()) == 1 and "Traceback" not in result.err


# ---------------------------------------------------------------- python -m elisa


def _python_m(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    return subprocess.run(
        [sys.executable, "-m", "elisa", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_python_m_elisa(tmp_path, fixture_plate):
    """`python -m elisa` runs the command: exit 0 and outputs on a clean plate, exit 2 with one
    line and nothing written on a missing export."""
    export, layout = fixture_plate(BASE)
    good = _python_m(["run", export, "--layout", layout, "--out", "good"], tmp_path)
    assert good.returncode == 0, good.stderr
    assert (tmp_path / "good" / "provenance.json").is_file()
    bad = _python_m(["run", tmp_path / "absent.csv", "--layout", layout, "--out", "bad"], tmp_path)
    assert bad.returncode == 2
    assert len(bad.stderr.splitlines()) == 1 and "absent.csv" in bad.stderr, bad.stderr
    assert not (tmp_path / "bad").exists()
