"""The `grid` format in .xlsx (plates.readers.grid.workbook_reader): plain grids in a sheet."""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plates.errors import AssayError, PlateError
from plates.readers.common.workbook import Workbook, load_workbook
from plates.readers.grid import reader as grid_module
from plates.readers.grid.workbook_reader import read_workbook, sniff_workbook
from tests.plates.helpers import plate_values
from tests.plates.readers.mutations import mutate_rows

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared" / "formats"
PATH = Path("plate.xlsx")


def grid_rows(values, label=None, numeric_header=True):
    values = np.asarray(values, dtype=object)
    n_rows, n_cols = values.shape
    header = [label] + [c if numeric_header else str(c) for c in range(1, n_cols + 1)]
    rows = [header]
    for r in range(n_rows):
        rows.append(
            ["ABCDEFGHIJKLMNOP"[r]] + [v if isinstance(v, str) else float(v) for v in values[r]]
        )
    return rows


def book_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def book(sheets: dict[str, list[list[object]]]) -> Workbook:
    return load_workbook(book_bytes(sheets), PATH)


@pytest.mark.parametrize("shape", [(8, 12), (16, 24)])
@pytest.mark.parametrize("numeric_header", [True, False])
def test_single_grid(shape, numeric_header):
    values = plate_values(*shape)
    wb = book({"Sheet1": grid_rows(values, numeric_header=numeric_header)})
    assert sniff_workbook(wb)
    (plate,) = read_workbook(wb, PATH)
    assert plate.name is None and plate.wavelengths == (None,)
    np.testing.assert_array_equal(plate.od[0], values)
    assert plate.metadata["sheet"] == "Sheet1" and plate.metadata["first_cell"] == "A1"


def test_wavelength_grids_are_reads_of_one_plate():
    a, b = plate_values(seed=1), plate_values(seed=2)
    rows = [["Run 12, ELISA"], []] + grid_rows(a, "450 nm") + [[]] + grid_rows(b, "OD630")
    (plate,) = read_workbook(book({"Data": rows}), PATH)
    assert plate.wavelengths == (450, 630)
    np.testing.assert_array_equal(plate.od[1], b)


def test_named_grids_are_plates_and_sheets_name_plates():
    a, b = plate_values(seed=1), plate_values(seed=2)
    plates = read_workbook(book({"S": grid_rows(a, "P1") + [[]] + grid_rows(b, "P2")}), PATH)
    assert [p.name for p in plates] == ["P1", "P2"]
    plates = read_workbook(book({"first": grid_rows(a), "second": grid_rows(b, "450")}), PATH)
    assert [p.name for p in plates] == ["first", "second"]
    assert plates[1].wavelengths == (450,)


def test_markers_and_padding():
    values = plate_values().astype(object)
    values[0, 0], values[1, 1], values[2, 2], values[3, 3] = "OVRFLW", "> Max", "MISSED", "0,5"
    rows = grid_rows(values)
    rows[4] = rows[4] + [None, None]
    (plate,) = read_workbook(book({"S": rows}), PATH)
    assert plate.saturated[0, 0, 0] and plate.saturated[0, 1, 1]
    assert np.isnan(plate.od[0, 2, 2]) and not plate.saturated[0, 2, 2]
    assert plate.od[0, 3, 3] == 0.5


def test_missing_row_names_the_cell():
    rows = grid_rows(plate_values())
    del rows[3]  # row C
    with pytest.raises(PlateError, match=r"sheet 'S', cell A4: row C is missing: found row D"):
        read_workbook(book({"S": rows}), PATH)


def test_truncated_grid():
    rows = grid_rows(plate_values())[:6]  # header + A..E
    with pytest.raises(PlateError, match=r"row F is missing: the sheet ends after rows A-E"):
        read_workbook(book({"S": rows}), PATH)


def test_value_beyond_the_plate():
    rows = grid_rows(plate_values())
    rows[2] = rows[2] + [9.9]  # B row, column N
    with pytest.raises(PlateError, match=r"cell N3: a value beyond the plate's 12 columns"):
        read_workbook(book({"S": rows}), PATH)


def test_text_where_an_od_must_be():
    values = plate_values().astype(object)
    values[3, 4] = "high"
    with pytest.raises(PlateError, match=r"cell F5, well D5: expected an OD value.*'high'"):
        read_workbook(book({"S": grid_rows(values)}), PATH)


def test_row_beyond_the_plate():
    rows = grid_rows(plate_values()) + [["I", 0.1, 0.2]]
    with pytest.raises(PlateError, match=r"cell A10: row I is beyond the plate's rows A-H"):
        read_workbook(book({"S": rows}), PATH)


def test_mixed_labels_and_duplicate_wavelengths():
    a = plate_values()
    with pytest.raises(PlateError, match="labelled as a wavelength"):
        read_workbook(book({"S": grid_rows(a, "450") + [[]] + grid_rows(a, "plate 2")}), PATH)
    with pytest.raises(PlateError, match="a second grid at 450 nm"):
        read_workbook(book({"S": grid_rows(a, "450") + [[]] + grid_rows(a, "A450")}), PATH)


def test_no_grid():
    wb = book({"S": [["just", "a", "table"], [5, 2, 3]]})
    assert not sniff_workbook(wb)
    with pytest.raises(PlateError, match="no plate grid found"):
        read_workbook(wb, PATH)


def test_grid_module_exports_it_when_wired():
    """Once plates/readers/grid.py imports these functions, `grid` reads xlsx through
    read_export (and the vendor formats' sniffers still come first)."""
    if not hasattr(grid_module, "read_workbook"):
        pytest.skip("grid.py does not import grid_workbook yet")
    assert grid_module.read_workbook is read_workbook


def test_read_export_when_wired(tmp_path):
    if not hasattr(grid_module, "read_workbook"):
        pytest.skip("grid.py does not import grid_workbook yet")
    from plates.readers import read_export

    path = tmp_path / "plate.xlsx"
    values = plate_values()
    path.write_bytes(book_bytes({"S": grid_rows(values, "450")}))
    export = read_export(path)
    assert export.format == "grid"
    np.testing.assert_array_equal(export.plates[0].od[0], values)


def _real_workbooks() -> list[Path]:
    return sorted(SHARED.glob("*/*.xlsx")) if SHARED.is_dir() else []


@pytest.mark.parametrize("path", _real_workbooks(), ids=lambda p: p.name)
def test_real_workbooks_give_plates_or_plate_errors(path):
    wb = load_workbook(path.read_bytes(), path)
    try:
        sniffed = sniff_workbook(wb)
        if sniffed:
            read_workbook(wb, path)
    except PlateError:
        pass


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["delete", "set", "cut", "dup"]))
def test_mutated_grids_raise_only_plate_errors(seed, kind):
    rnd = random.Random(seed)
    rows = grid_rows(plate_values(seed=seed % 7)) + [[]] + grid_rows(plate_values(), "570")
    action = {"delete": "delete_row", "dup": "duplicate_row", "set": "set_cell"}.get(kind, kind)
    rows = mutate_rows(
        rows, action, rnd, ["OVER", "x", "", None, 1e308, 13, 1, "A", "Z", "450", "1e999"], width=16
    )
    wb = Workbook({"S": tuple(tuple(r) for r in rows)})
    try:
        sniff_workbook(wb)
        read_workbook(wb, PATH)
    except AssayError:
        pass


def _patched_central_directory(data: bytes, offset: int, value: bytes) -> bytes:
    """``data`` with ``value`` written at ``offset`` of every central-directory entry."""
    out = bytearray(data)
    start = 0
    while (at := out.find(b"PK\x01\x02", start)) >= 0:
        out[at + offset : at + offset + len(value)] = value
        start = at + 4
    return bytes(out)


@pytest.mark.parametrize(
    ("offset", "value", "what"),
    [
        (6, (124).to_bytes(2, "little"), "NotImplementedError"),  # needs zip version 12.4
        (8, (1).to_bytes(2, "little"), "RuntimeError"),  # entries flagged as encrypted
        (10, (99).to_bytes(2, "little"), "NotImplementedError"),  # unknown compression method
    ],
)
def test_zip_the_reader_cannot_open_is_a_plate_error(offset, value, what):
    """A damaged zip header that makes Python's zipfile give up (found by the fuzz run) is a
    PlateError naming the file, never a bare NotImplementedError or RuntimeError."""
    data = book_bytes({"S": grid_rows(plate_values(), "450")})
    damaged = _patched_central_directory(data, offset, value)
    with pytest.raises(PlateError, match=rf"plate\.xlsx.*not a readable \.xlsx.*{what}"):
        load_workbook(damaged, PATH)
