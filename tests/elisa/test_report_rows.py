"""The report's rows of a plate (elisa.report.rows) are the dicts pandas' to_dict("records")
gives, value for value and type for type, so a page drawn from them is the page drawn from the
DataFrame."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from elisa.report.rows import frame_records, pandas_text, table_rows_by_plate
from elisa.results import typed_table
from tests.conftest import plate_paths


@pytest.fixture(scope="module")
def results():
    import elisa

    pairs = [plate_paths(name) for name in ("fkn_clean", "tracp5b_saturated")]
    return elisa.process([str(e) for e, _ in pairs], [str(lay) for _, lay in pairs])


def _same(got, expected):
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        assert list(a) == list(b)
        for key in a:
            x, y = a[key], b[key]
            assert type(x) is type(y), (key, x, y)
            assert x == y or (isinstance(x, float) and math.isnan(x) and math.isnan(y)), key


@pytest.mark.parametrize("table", ("samples", "standards", "curves", "wells", "runs", "reassay"))
def test_rows_are_to_dict_records(results, table):
    frame = getattr(results, table)
    _same(frame_records(frame), frame.to_dict("records"))


def test_missing_cells_of_every_dtype():
    rows = [
        {"plate_id": "P1", "analyte": None, "level": None, "n_wells": 3, "reportable": None},
        {"plate_id": None, "analyte": "FKN", "level": 2, "n_wells": None, "reportable": True},
    ]
    frame = typed_table("samples", [dict(r, conc=math.nan) for r in rows])
    _same(frame_records(frame), frame.to_dict("records"))
    odd = pd.DataFrame({"a": [np.int64(2), None, np.float64(1.5), "x", np.bool_(True)]})
    _same(frame_records(odd), odd.to_dict("records"))


def test_rows_are_grouped_by_plate_and_analyte_in_table_order(results):
    groups = table_rows_by_plate(results.samples)
    for (plate_id, analyte), rows in groups.items():
        expected = results.samples[
            (results.samples["plate_id"] == plate_id) & (results.samples["analyte"] == analyte)
        ]
        _same(rows, expected.to_dict("records"))
    wells = table_rows_by_plate(results.wells)
    assert sorted(wells) == sorted(set(results.wells["plate_id"]))
    assert sum(len(v) for v in wells.values()) == len(results.wells)


def test_missing_text_reads_as_pandas_writes_it():
    column = pd.Series(["a", None], dtype="string")
    assert [pandas_text(r["k"]) for r in frame_records(column.to_frame("k"))] == list(
        column.astype(str).map(str)
    )


@pytest.mark.parametrize(
    "dtype",
    (
        pd.StringDtype("python"),
        pd.StringDtype("pyarrow"),
        pd.StringDtype("python", na_value=np.nan),
        "Int64",
        "boolean",
        "Float64",
    ),
)
def test_nullable_columns_convert_as_to_dict_does(dtype):
    values = {
        "Int64": [3, None, -7],
        "boolean": [True, None, False],
        "Float64": [1.5, None, -2.0],
    }.get(str(dtype), ["a", None, "b"])
    frame = pd.Series(values, dtype=dtype).to_frame("k")
    _same(frame_records(frame), frame.to_dict("records"))
