"""Result tables carry real dtypes (issue 8): numbers float64, counts Int64, booleans boolean,
text string, so pandas summarises them; the CSV cells stay as DESIGN 5.1 writes them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from elisa.files.csv_write import format_cell, table_csv
from elisa.missing import as_bool, as_float, finite_or_none, is_missing, json_scalar
from tests.conftest import plate_paths, read_rows

# Written out from DESIGN 5.1 (deliberately not imported from elisa.results): every column
# that is not a number.
TEXT = {
    "plate_id", "analyte", "unit", "kind", "sample_id", "range", "flags", "model", "weighting",
    "message", "well", "role", "run_date", "lot", "source_file", "source_sha256", "verdict",
    "reasons", "warnings", "rules", "reason",
}  # fmt: skip
COUNTS = {"n_wells", "level", "standards_passed", "standards_total", "controls_passed",
          "controls_total"}  # fmt: skip
BOOLEANS = {"reportable", "anchor", "passed", "converged", "saturated", "masked", "out_of_spec"}
TABLES = ("samples", "standards", "curves", "wells", "runs", "reassay")


@pytest.fixture(scope="module")
def results():
    import elisa

    export, layout = plate_paths("tracp5b_saturated")
    return elisa.process([str(export)], [str(layout)])


def _expected_dtype(column: str) -> object:
    if column in TEXT:
        return pd.StringDtype()
    if column in COUNTS:
        return pd.Int64Dtype()
    if column in BOOLEANS:
        return pd.BooleanDtype()
    return np.dtype("float64")


@pytest.mark.parametrize("table", TABLES)
def test_every_column_has_its_declared_dtype(table, results):
    frame = getattr(results, table)
    wrong = {c: str(frame[c].dtype) for c in frame.columns if frame[c].dtype != _expected_dtype(c)}
    assert not wrong, f"{table}: {wrong}"
    assert not any(frame[c].dtype == object for c in frame.columns)


def test_describe_summarises_the_concentrations(results):
    samples = results.samples
    summary = samples.describe()
    assert {"conc", "od_mean", "dilution", "conc_ci_high"} <= set(summary.columns)
    assert "flags" not in summary.columns  # text is not summarised
    conc = [float(v) for v in samples["conc"] if v is not pd.NA and not math.isnan(v)]
    assert summary.at["count", "conc"] == len(conc) > 0
    assert summary.at["mean", "conc"] == pytest.approx(sum(conc) / len(conc), rel=1e-12)
    assert summary.at["max", "n_wells"] == samples["n_wells"].max() >= 2


def test_typed_tables_write_the_design_cells(results, tmp_path):
    """Integers without ".0", booleans lowercase, missing empty, floats by repr."""
    wells = table_csv(results.wells).splitlines()
    header = wells[0].split(",")
    saturated = [line.split(",")[header.index("saturated")] for line in wells[1:]]
    assert set(saturated) == {"true", "false"}  # the fixture has saturated wells
    standards = pd.DataFrame(
        [r.split(",") for r in table_csv(results.standards).splitlines()[1:]],
        columns=table_csv(results.standards).splitlines()[0].split(","),
    )
    assert list(standards["level"]) == [str(i) for i in range(1, len(standards) + 1)]
    runs = table_csv(results.runs).splitlines()[1].split(",")
    columns = list(results.runs.columns)
    assert runs[columns.index("out_of_spec")] == ""  # no store: not judged, pd.NA
    assert runs[columns.index("standards_total")] == str(int(results.runs.at[0, "standards_total"]))
    od = results.wells["od"].dropna().iloc[0]
    assert format_cell(od) == repr(float(od))


def test_csv_of_a_typed_table_matches_the_written_file(tmp_path):
    """The CSV written by `elisa run` is table_csv of the typed API tables, byte for byte."""
    import elisa
    from elisa.files.staging import write_outputs

    export, layout = plate_paths("fkn_clean")
    results = elisa.process([str(export)], [str(layout)])
    write_outputs(results, tmp_path / "out")
    for table in TABLES:
        written = (tmp_path / "out" / f"{table}.csv").read_text(encoding="utf-8")
        assert written == table_csv(getattr(results, table))
        assert len(read_rows(tmp_path / "out" / f"{table}.csv")) == len(getattr(results, table))


@pytest.mark.parametrize(
    "value, missing",
    [
        (None, True),
        (float("nan"), True),
        (np.float64("nan"), True),
        (pd.NA, True),
        (pd.NaT, True),
        (float("inf"), False),
        (0.0, False),
        ("", False),
        (False, False),
    ],
)
def test_one_rule_for_missing(value, missing):
    assert is_missing(value) is missing
    assert (format_cell(value) == "") is (missing or value == "")


def test_conversions_built_on_the_rule():
    assert finite_or_none(np.float64(0.25)) == 0.25 and type(finite_or_none(0.25)) is float
    assert finite_or_none(float("inf")) is None and finite_or_none(pd.NA) is None
    assert math.isnan(as_float(pd.NA)) and math.isnan(as_float("abc")) and as_float("1.5") == 1.5
    assert as_bool(np.True_) is True and as_bool("false") is False and as_bool(pd.NA) is None
    assert json_scalar(np.int64(3)) == 3 and type(json_scalar(np.int64(3))) is int
    assert json_scalar(np.float64("inf")) is None and json_scalar(pd.NA) is None
    assert format_cell(np.True_) == "true" and format_cell(np.int64(7)) == "7"
