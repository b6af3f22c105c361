"""Issue 13, items 3 and 4: bad input is one line on stderr, exit 2 and nothing written; the
page is self-contained with a box plot per marker and a scatter plot per correlation asked for."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import read_rows, run_elisa
from tests.elisa.stats.conftest import COHORT

ANALYTES = ("FKN", "TRACP-5b", "IL-1b", "IL-6", "NTX")


def edited(study, tmp_path, change) -> str:
    """A copy of the study's cohort.csv with ``change(lines)`` applied."""
    lines = study.csv.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "edited.csv"
    path.write_text("\n".join(change(lines)) + "\n", encoding="utf-8")
    return str(path)


def one_group_of_one(lines: list[str]) -> list[str]:
    first = lines[1].split(",")
    first[1] = "SOLO"
    return [lines[0], ",".join(first), *lines[2:]]


def bad_status(lines: list[str]) -> list[str]:
    return [lines[0], lines[1].replace(",ok,", ",fine,", 1), *lines[2:]]


BAD = {
    "missing group column": (lambda s, t: [str(s.csv), "--group", "arm"], "no column 'arm'"),
    "group with one subject": (
        lambda s, t: [edited(s, t, one_group_of_one), "--group", "group"],
        "group 'SOLO' has 1 subject (line 2)",
    ),
    "non-numeric column to adjust for": (
        lambda s, t: [str(s.csv), "--group", "group", "--adjust", "age,group"],
        "--adjust: column 'group' is not numeric (line 2: 'PMOP')",
    ),
    "non-numeric column to correlate with": (
        lambda s, t: [str(s.csv), "--group", "group", "--with", "subject_id"],
        "--with: column 'subject_id' is not numeric",
    ),
    "a status column as a marker": (
        lambda s, t: [str(s.csv), "--group", "group", "--markers", "FKN_status"],
        "--markers: column 'FKN_status' is not numeric (a column of the cohort build",
    ),
    "the clinical table instead of a cohort": (
        lambda s, t: [str(COHORT / "clinical.csv"), "--group", "group"],
        "not a cohort table",
    ),
    "a plate export instead of a cohort": (
        lambda s, t: [str(COHORT / "plates" / "fkn_1.csv"), "--group", "group"],
        "not a cohort table",
    ),
    "a text file": (
        lambda s, t: [str(COHORT / "README.md"), "--group", "group"],
        "not a cohort table: expected a .csv or .parquet",
    ),
    "an unknown status": (
        lambda s, t: [edited(s, t, bad_status), "--group", "group"],
        "line 2: FKN_status is 'fine'",
    ),
    "an unknown group for --within": (
        lambda s, t: [str(s.csv), "--group", "group", "--within", "POST"],
        "--within: no group 'POST'",
    ),
    "an unknown policy": (
        lambda s, t: [str(s.csv), "--group", "group", "--below", "zero"],
        "unknown --below policy 'zero'",
    ),
    "an unknown adjustment": (
        lambda s, t: [str(s.csv), "--group", "group", "--multiple", "bonferroni"],
        "unknown --multiple 'bonferroni'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line_exit_2_and_nothing_written(study, tmp_path, case):
    make, message = BAD[case]
    cohort, *options = make(study, tmp_path)
    out = tmp_path / "out"
    result = run_elisa(["stats", "--cohort", cohort, *options, "--out", out], tmp_path)
    assert result.code == 2, result
    assert result.out == ""
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert message in result.err, result.err
    assert not out.exists()


def test_a_parquet_that_is_not_parquet(tmp_path):
    fake = tmp_path / "cohort.parquet"
    fake.write_text("subject_id,group\nP1,A\n", encoding="utf-8")
    result = run_elisa(["stats", "--cohort", fake, "--group", "group", "--out", "o"], tmp_path)
    assert result.code == 2 and "not a Parquet file" in result.err
    assert not (tmp_path / "o").exists()


def test_the_page_has_a_box_plot_per_marker_and_a_scatter_plot_per_correlation(study):
    page = (study.stats / "stats.html").read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"<script|<link|<img|<iframe|\bsrc=|\bhref=|url\(", page, re.I)
    boxes = re.findall(r'<figure class="box" data-variable="([^"]+)"><svg', page)
    assert boxes == list(ANALYTES)
    scatters = re.findall(r'<figure class="scatter" data-x="([^"]+)" data-y="([^"]+)"><svg', page)
    asked = []
    for r in read_rows(study.stats / "correlations.csv"):
        if (r["x"], r["y"]) not in asked:
            asked.append((r["x"], r["y"]))
    assert scatters == asked and len(asked) == 65
    for figure in re.findall(r'<figure class="scatter".*?</figure>', page):
        assert figure.count("<circle") == 53 - 0  # every PMOP subject, none missing in PMOP
        assert figure.count('stroke-width="1.8"') == 1  # the fitted line


def test_a_selection_of_correlations_gives_just_those_scatter_plots(study, tmp_path):
    out = tmp_path / "few"
    result = run_elisa(
        [
            "stats",
            "--cohort",
            study.csv,
            "--group",
            "group",
            "--markers",
            "FKN",
            "--with",
            "bmd_femoral_neck,vas",
            "--out",
            out,
        ],
        tmp_path,
    )
    assert result.code == 0, result.err
    page = (out / "stats.html").read_text(encoding="utf-8")
    scatters = re.findall(r'<figure class="scatter" data-x="([^"]+)" data-y="([^"]+)">', page)
    assert scatters == [("FKN", "bmd_femoral_neck"), ("FKN", "vas")]
    assert len(re.findall(r'<figure class="box"', page)) == 5
    corr = read_rows(out / "correlations.csv")
    assert {r["group"] for r in corr} == {"all"}
    assert [r["n"] for r in corr if r["y"] == "vas"] == ["53", "53"]  # vas: PMOP only
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [
            "comparisons.csv",
            "correlations.csv",
            "posthoc.csv",
            "provenance.json",
            "sensitivity.csv",
            "stats.html",
            "table1.csv",
        ]
    )


def test_the_command_line_does_not_load_the_statistics_until_asked():
    code = (
        "import sys, elisa.cli.main as m; m.build_parser(); "
        "print(sorted(k for k in sys.modules if k.startswith(('statsmodels', 'elisa.stats'))))"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "[]"
