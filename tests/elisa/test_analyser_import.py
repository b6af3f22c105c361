"""Analyser results files: parsing, censoring, unit check and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from elisa.analytes import builtin_registry
from elisa.cli.main import main
from elisa.cohort.analyser_import import parse_analyser_file
from elisa.errors import ElisaError

NTX = builtin_registry().resolve("NTX")


def parse(text: str, tmp_path: Path):
    path = tmp_path / "ntx.csv"
    path.write_text(text, encoding="utf-8")
    return parse_analyser_file(path.read_bytes(), path, NTX)


def test_values_and_censoring(tmp_path):
    rows = parse(
        "sample_id,result,unit,run_date,flags\nA1,24.6,nmol BCE/L,2024-06-10,\n"
        "A2,<5.0,nmol BCE/L,2024-06-10,\nA3,> 70,nmol BCE/L,2024-06-11,H\n",
        tmp_path,
    )
    assert [(r.sample_id, r.value, r.censor, r.flags) for r in rows] == [
        ("A1", 24.6, "", ""),
        ("A2", 5.0, "<", ""),
        ("A3", 70.0, ">", "H"),
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("sample_id,result,run_date\nA1,1,2024-06-10\n", "line 1: the header needs"),
        ("sample_id,result,unit,run_date\nA1,1,ng/mL,2024-06-10\n", "line 2: unit 'ng/mL' differs"),
        (
            "sample_id,result,unit,run_date\nA1,high,nmol BCE/L,2024-06-10\n",
            "line 2: result 'high' is not a number",
        ),
        ("sample_id,result,unit,run_date\nA1,3,nmol BCE/L,10/06/2024\n", "line 2: run_date"),
        ("sample_id,result,unit,run_date\n,3,nmol BCE/L,2024-06-10\n", "line 2: the sample_id"),
        ("sample_id,result,unit,run_date\n", "no results"),
    ],
)
def test_bad_rows_name_the_line(text, message, tmp_path):
    with pytest.raises(ElisaError, match=message) as info:
        parse(text, tmp_path)
    assert "ntx.csv" in str(info.value) and "\n" not in str(info.value)


def test_import_of_a_bad_file_exits_2_and_creates_no_store(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("sample_id,result,unit,run_date\nA1,1,ng/mL,2024-06-10\n")
    assert main(["cohort", "import-analyser", str(bad), "--analyte", "NTX"]) == 2
    assert "unit" in capsys.readouterr().err
    assert not (tmp_path / "elisa.sqlite").exists()
