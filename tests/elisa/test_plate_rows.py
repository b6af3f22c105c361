"""The store's rows of a batch, split by plate once (elisa.store.plate_rows), are exactly what
filtering each table per plate and converting it row by row gave: same values, same types, same
JSON text, so a stored version does not change with the way it is computed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from elisa.missing import json_scalar
from elisa.store.plate_rows import PlateRows, plate_provenance_json, table_records
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
        for name, got in rows.tables(plate_id, analyte).items():
            frame = getattr(results, name)
            picked = frame[frame["plate_id"] == plate_id]
            if "analyte" in frame.columns:
                picked = picked[picked["analyte"] == analyte]
            assert json.dumps(got) == json.dumps(_rows_one_by_one(picked)), (plate_id, name)
        assert (
            rows.run(plate_id, analyte)["verdict"]
            == (results.runs.set_index("plate_id").loc[plate_id, "verdict"])
        )
    assert {
        name: len(v) for name, v in rows.tables("no such plate", "FKN").items()
    } == dict.fromkeys(("samples", "standards", "curves", "wells", "runs", "reassay"), 0)


def test_plate_provenance_text_is_the_whole_dump(results):
    provenance = {**results.provenance, 'odd ké"y': Path("a/b"), "after": [1.5, None]}
    text_of = plate_provenance_json(provenance)
    for plate in provenance["plates"]:
        expected = json.dumps({**provenance, "plates": [plate]}, default=str)
        assert text_of(plate) == expected


def test_plate_provenance_text_without_plates_or_with_other_keys():
    plain = {"version": "1", "x": {"y": float("nan")}}
    assert plate_provenance_json(plain)({"p": 1}) == json.dumps(
        {**plain, "plates": [{"p": 1}]}, default=str
    )
    numbered = {1: "one", "plates": []}  # json turns the key into text: handled as a whole
    assert plate_provenance_json(numbered)({"p": 2}) == json.dumps(
        {**numbered, "plates": [{"p": 2}]}, default=str
    )
