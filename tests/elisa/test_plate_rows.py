"""The store's rows of a batch, split by plate once (elisa.store.plate_rows), are exactly what
filtering each table per plate and converting it row by row gave: same values, same types, same
JSON text, so a stored version does not change with the way it is computed."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elisa.missing import json_scalar
from elisa.store.plate_rows import PlateRows, plate_provenance, table_json_rows, table_records
from tests.conftest import plate_paths

PLATES = ("fkn_clean", "il6_clean", "tracp5b_saturated")


@pytest.fixture(scope="module")
def results():
    import elisa

    pairs = [plate_paths(name) for name in PLATES]
    return elisa.process([str(e) for e, _ in pairs], [str(lay) for _, lay in pairs])


def _rows_one_by_one(frame):
    """The reference: pandas records, each cell through json_scalar."""
    return [{k: json_scalar(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _types(rows):
    return [[type(v).__name__ for v in row.values()] for row in rows]


@pytest.mark.parametrize("table", ("samples", "standards", "curves", "wells", "runs", "reassay"))
def test_table_records_match_the_row_by_row_conversion(results, table):
    frame = getattr(results, table)
    expected = _rows_one_by_one(frame)
    got = table_records(frame)
    assert json.dumps(got) == json.dumps(expected)
    assert _types(got) == _types(expected)


def test_a_missing_or_infinite_number_is_null(results):
    wells = results.wells.copy()
    wells.loc[wells.index[0], "od"] = float("inf")
    wells.loc[wells.index[1], "od"] = float("nan")
    rows = table_records(wells)
    assert rows[0]["od"] is None and rows[1]["od"] is None
    assert rows[2]["od"] == float(wells["od"].iloc[2])


def test_each_plate_gets_the_rows_a_filter_gives(results):
    rows = PlateRows(results)
    for plate in results.provenance["plates"]:
        plate_id, analyte = plate["plate_id"], plate["analyte"]
        expected = {}
        for name in ("samples", "standards", "curves", "wells", "runs", "reassay"):
            frame = getattr(results, name)
            picked = frame[frame["plate_id"] == plate_id]
            if "analyte" in frame.columns:
                picked = picked[picked["analyte"] == analyte]
            expected[name] = _rows_one_by_one(picked)
        assert rows.tables_json(plate_id, analyte) == json.dumps(expected), plate_id
        assert all(expected[name] for name in ("samples", "standards", "wells", "runs"))
        assert (
            rows.run(plate_id, analyte)["verdict"]
            == (results.runs.set_index("plate_id").loc[plate_id, "verdict"])
        )
    empty = {name: [] for name in ("samples", "standards", "curves", "wells", "runs", "reassay")}
    assert rows.tables_json("no such plate", "FKN") == json.dumps(empty)


def test_plate_provenance_names_only_the_plates_own_inputs(results):
    provenance = results.provenance
    assert len(provenance["inputs"]["exports"]) > 1  # a batch: the narrowing can show
    for plate in provenance["plates"]:
        narrowed = plate_provenance(provenance, plate)
        assert narrowed["plates"] == [plate]
        assert list(narrowed["inputs"]["exports"]) == [plate["source_file"]]
        assert (
            narrowed["inputs"]["exports"][plate["source_file"]]
            == (provenance["inputs"]["exports"][plate["source_file"]])
        )
        assert list(narrowed["inputs"]["layouts"]) == [plate["layout"]]
        assert list(narrowed["settings"]["analytes"]) == [plate["analyte"]]
        assert narrowed["settings"]["rules"] == provenance["settings"]["rules"]
        for key in provenance.keys() - {"inputs", "settings", "plates"}:
            assert narrowed[key] == provenance[key]
    assert (
        len(provenance["plates"]) > 1
        and provenance["plates"][0]
        not in (plate_provenance(provenance, provenance["plates"][1])["plates"])
    )


def test_plate_provenance_leaves_a_record_without_inputs_whole():
    plain = {"version": "1", "x": {"y": None}}
    assert plate_provenance(plain, {"p": 1}) == {**plain, "plates": [{"p": 1}]}


_CELLS = {
    "string": st.one_of(st.none(), st.text(max_size=6)),
    "Int64": st.one_of(st.none(), st.integers(-(2**40), 2**40)),
    "boolean": st.one_of(st.none(), st.booleans()),
    "int64": st.integers(-(2**40), 2**40),
    "bool": st.booleans(),
    "float64": st.one_of(st.floats(allow_nan=True, allow_infinity=True)),
    "object": st.one_of(st.none(), st.text(max_size=4), st.floats(), st.integers(-5, 5)),
}


@given(data=st.data(), dtype=st.sampled_from(sorted(_CELLS)))
@settings(max_examples=150, deadline=None)
def test_every_column_dtype_converts_as_cell_by_cell(data, dtype):
    # the whole-column conversions (floats, text, integers, booleans) against json_scalar
    cells = data.draw(st.lists(_CELLS[dtype], max_size=12))
    frame = pd.DataFrame({"value": pd.Series(cells, dtype=dtype)})
    expected = _rows_one_by_one(frame)
    got = table_records(frame)
    assert json.dumps(got) == json.dumps(expected)
    assert _types(got) == _types(expected)


def test_a_plate_without_its_export_among_the_inputs_keeps_none():
    provenance = {"inputs": {"exports": {"a.csv": {"sha256": "1"}}, "layouts": {}}}
    narrowed = plate_provenance(provenance, {"source_file": "b.csv", "layout": None})
    assert narrowed["inputs"]["exports"] == {} and narrowed["inputs"]["layouts"] == {}


@given(data=st.data(), dtypes=st.lists(st.sampled_from(sorted(_CELLS)), max_size=4))
@settings(max_examples=150, deadline=None)
def test_rows_as_json_text_are_the_bytes_json_writes(data, dtypes):
    # the column-at-a-time JSON text of the stored rows against json.dumps of each row's dict
    n = data.draw(st.integers(0, 6))
    columns = {
        f'c{k}\u00e9"': pd.Series(data.draw(st.lists(_CELLS[d], min_size=n, max_size=n)), dtype=d)
        for k, d in enumerate(dtypes)
    }
    frame = pd.DataFrame(columns, index=range(n))
    assert table_json_rows(frame) == [json.dumps(row) for row in table_records(frame)]
