"""The `tecan` reader: real Tecan exports (../shared/formats/tecan), the project's own fixtures
(fixtures/exports/tecan) and mangled files."""

from __future__ import annotations

import io
import math
import random
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plates.errors import AssayError, PlateError
from plates.readers import read_export, sniff_format
from plates.readers.common.workbook import Workbook, load_workbook
from plates.readers.tecan import reader as tecan
from tests.plates.readers.mutations import (
    KINDS,
    SHARED,
    mutate,
    mutate_rows,
    read_all_ways,
    with_rows,
)

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "fixtures"
EXPORTS = FIXTURES / "exports" / "tecan"

# One row per file of ../shared/formats/tecan:
# (path relative to ../shared/formats, format the sniffer picks (None: no reader), number of plates,
#  wells per plate, wavelengths of the first plate, substring of the refusal or None).
# flopr: plate 1 is the OD600/OD700 absorbance read, plates 2-10 the GFP fluorescence reads at
# gains 40..120 (read_mode "fluorescence", emission 530 nm), checked in test_flopr_plates.
# plate_reader_python: the endpoint Abs600_Copy1 grid is read; its kinetic Abs600 block (632
# cycles) is skipped and named in the metadata.
EXPECTED = [
    (
        "tecan/QurvE__parse_Tecan.csv",
        "tecan",
        0,
        None,
        (),
        "kinetic read 'Label1_Copy1' with 518 cycles",
    ),
    ("tecan/allotropy__SLA01P01_ELISA.xlsx", "tecan", 1, 384, (485, 560), None),
    ("tecan/flopr__spark_191219_calibration_membrane.csv", "tecan", 10, 96, (600, 700), None),
    ("tecan/plate_reader_python__sample_ODs.xlsx", "tecan", 1, 96, (600,), None),
    ("tecan/wetlabtools__spark_absorbance_2.xlsx", "tecan", 1, 96, (450, 570), None),
]

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/formats is absent")


def shared(relative: str) -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/formats is absent")
    return SHARED / relative


def fixture_exports() -> list[Path]:
    return sorted(p for p in EXPORTS.iterdir() if p.is_file()) if EXPORTS.is_dir() else []


# ------------------------------------------------------------------------ the table of files


def test_table_lists_every_tecan_file():
    folder = shared("tecan")
    on_disk = {f"tecan/{p.name}" for p in folder.iterdir() if p.is_file()}
    assert on_disk == {row[0] for row in EXPECTED}


@pytest.mark.parametrize("row", EXPECTED, ids=[r[0] for r in EXPECTED])
def test_expected_table(row):
    relative, fmt, n_plates, wells, waves, refused = row
    path = shared(relative)
    assert sniff_format(path.read_bytes(), path) == fmt
    if refused is not None:
        with pytest.raises(PlateError, match="tecan") as info:
            read_export(path)
        assert refused in str(info.value)
        assert str(path) in str(info.value) and "line" in str(info.value)
        return
    export = read_export(path)
    assert export.format == "tecan"
    assert len(export.plates) == n_plates
    for plate in export.plates:
        assert plate.n_rows * plate.n_cols == wells
        assert all(isinstance(w, int) for w in plate.wavelengths)
    assert export.plates[0].wavelengths == waves
    assert export.plates[0].metadata["read_mode"] == "absorbance"


# ------------------------------------------------------------- wells read by eye from the files


def test_spark_450_570_elisa():
    (plate,) = read_export(shared("tecan/wetlabtools__spark_absorbance_2.xlsx")).plates
    od = dict(zip(plate.wavelengths, plate.od))
    assert od[450][0, 0] == 0.261  # A450 grid, row 46: A | 0.261 (A1)
    assert od[450][4, 0] == 1.6889  # row 50: E | 1.6889 (E1)
    assert od[450][7, 11] == 1.5826  # row 53: H ... | 1.5826 (H12)
    assert od[570][0, 0] == 0.0427  # Reference grid, row 58: A | 0.0427 (A1)
    assert od[570][7, 11] == 0.0486  # row 65: ... | 0.0486 (H12)
    # Difference (A450 - A570) is vendor-derived: kept, never a read
    assert list(plate.derived) == ["Difference"]
    assert plate.derived["Difference"][0, 0] == 0.2183  # row 70: A | 0.2183
    assert not plate.saturated.any() and not np.isnan(plate.od).any()
    meta = plate.metadata
    assert meta["instrument"] == "Spark" and meta["software"] == "SparkControl"
    assert meta["software_version"] == "3.2" and meta["protocol"] == "NG_ELISA (Modified)"
    assert meta["read_time"] == "2024-08-28T13:31:51"  # Start Time | 2024-08-28 13:31:51
    assert meta["read_mode"] == "absorbance" and meta["instrument_serial"] == "XXX"
    # the Plate layout grid: A11 'NC1_1' ... H12 'PC1_8', the others 'None'
    assert dict(plate.layout["A11"]) == {"role": "control", "sample": "NC1"}
    assert dict(plate.layout["H12"]) == {"role": "control", "sample": "PC1"}
    assert len(plate.layout) == 16 and "A1" not in plate.layout


def test_magellan_384_two_labels():
    (plate,) = read_export(shared("tecan/allotropy__SLA01P01_ELISA.xlsx")).plates
    assert plate.od.shape == (2, 16, 24) and plate.wavelengths == (485, 560)
    assert plate.od[0, 0, 0] == 0.0557 and plate.od[1, 0, 0] == 0.0509  # A1 | 0.0557 | 0.0509
    assert plate.od[0, 0, 12] == 0.3557  # A13 | 0.3557 | 0.0503
    assert plate.od[0, 15, 23] == 0.0356 and plate.od[1, 15, 23] == 0.05  # P24 | 0.0356 | 0.05
    meta = plate.metadata
    assert meta["software"] == "Magellan" and meta["instrument"] == "ULTRA"
    assert meta["instrument_serial"] == "12901000069"
    assert meta["read_time"] == "2021-07-08T14:34:46"
    assert meta["protocol"] == "210325_384ELISA.mth"


def test_icontrol_endpoint_with_kinetic_block():
    (plate,) = read_export(shared("tecan/plate_reader_python__sample_ODs.xlsx")).plates
    assert plate.wavelengths == (600,)
    assert plate.od[0, 0, 0] == 0.25619998574256897  # row 29: A | 0.25619998574256897
    assert plate.od[0, 3, 9] == 0.12359999865293503  # row 32: D ... | 0.12359999865293503
    assert plate.od[0, 7, 11] == 0.0860000029206276  # row 36: H ... | 0.0860000029206276
    meta = plate.metadata
    assert meta["software"] == "Tecan i-control" and meta["software_version"] == "2.0.10.0"
    assert meta["instrument"] == "infinite 200Pro"
    assert meta["read_time"] == "2024-02-20T18:19:42"  # Start Time: | 20.02.2024 18:19:42
    assert meta["kinetic_reads_skipped"] == "Abs600 (632 cycles)"


def test_flopr_plates():
    plates = read_export(shared("tecan/flopr__spark_191219_calibration_membrane.csv")).plates
    absorbance, *fluorescence = plates
    assert absorbance.wavelengths == (600, 700)
    assert absorbance.od[0, 0, 0] == 0.0921  # line 44: A1,0.0921,0
    assert absorbance.od[0, 2, 0] == 0.1468  # line 68: C1,0.1468,4918
    assert absorbance.od[0, 7, 11] == 0.1005  # line 139: H12,0.1005,17215
    assert absorbance.od[1, 0, 0] == 0.0831  # line 155: A1,0.0831,0 (OD700)
    assert absorbance.metadata["read_time"] == "2019-12-19T15:07:00"  # 19/12/2019 15:07
    assert absorbance.metadata["software_version"] == "2.3"
    assert [p.metadata["gain"] for p in fluorescence] == [f"{g} Manual" for g in range(40, 130, 10)]
    for plate in fluorescence:
        assert plate.metadata["read_mode"] == "fluorescence" and plate.wavelengths == (530,)
    gfp70 = fluorescence[3]
    assert gfp70.saturated[0, 0, 0] and np.isnan(gfp70.od[0, 0, 0])  # line 643: A1,OVER,0


def test_kinetic_refused_message():
    with pytest.raises(PlateError) as info:
        read_export(shared("tecan/QurvE__parse_Tecan.csv"))
    message = str(info.value)
    assert "tecan" in message and "kinetic" in message and "518 cycles" in message
    assert "endpoint ELISA needs one read per wavelength" in message


# ----------------------------------------------------------------- sniffing: ours and not others


def test_sniff_claims_no_other_folder():
    folder = shared("tecan").parent
    for path in sorted(folder.glob("*/*")):
        if path.parent.name in ("tecan", "LICENSES") or not path.is_file():
            continue
        assert sniff_format(path.read_bytes(), path) != "tecan", path
    for path in sorted((FIXTURES / "plates").glob("*.csv")):
        assert sniff_format(path.read_bytes(), path) != "tecan", path


def test_sniff_by_content_not_name(tmp_path):
    source = shared("tecan/wetlabtools__spark_absorbance_2.xlsx")
    renamed = tmp_path / "data.bin"
    renamed.write_bytes(source.read_bytes())
    assert read_export(renamed).format == "tecan"


# ------------------------------------------------------------------------- the export fixtures


@pytest.mark.parametrize("path", fixture_exports(), ids=lambda p: p.name)
def test_fixture_reads_like_the_grid(path):
    plate_name = next(n for n in ("fkn_clean", "tracp5b_saturated") if path.name.startswith(n))
    assert sniff_format(path.read_bytes(), path) == "tecan"
    (ours,) = read_export(path).plates
    (grid,) = read_export(FIXTURES / "plates" / f"{plate_name}.csv").plates
    assert ours.wavelengths == (450,)
    np.testing.assert_array_equal(ours.od, grid.od)
    np.testing.assert_array_equal(ours.saturated, grid.saturated)
    assert ours.metadata["read_time"].startswith("2024-03-04T10:1")


@pytest.mark.parametrize("path", fixture_exports(), ids=lambda p: p.name)
def test_fixture_gives_the_grid_concentrations(path):
    import elisa

    plate_name = next(n for n in ("fkn_clean", "tracp5b_saturated") if path.name.startswith(n))
    layout = FIXTURES / "plates" / f"{plate_name}.toml"
    ours = elisa.process(path, layout=layout)
    grid = elisa.process(FIXTURES / "plates" / f"{plate_name}.csv", layout=layout)
    a = ours.samples.sort_values(["sample_id", "dilution"]).reset_index(drop=True)
    b = grid.samples.sort_values(["sample_id", "dilution"]).reset_index(drop=True)
    assert list(a["sample_id"]) == list(b["sample_id"])
    np.testing.assert_allclose(a["conc"].astype(float), b["conc"].astype(float), rtol=1e-9)
    assert list(ours.runs["verdict"]) == list(grid.runs["verdict"])


def test_fixture_files_exist():
    names = {p.name for p in fixture_exports()}
    for plate in ("fkn_clean", "tracp5b_saturated"):
        for variant in ("spark.xlsx", "spark_list.csv", "icontrol.csv", "magellan.xlsx"):
            assert f"{plate}_{variant}" in names


# -------------------------------------------------------------------------- saturated markers


@pytest.mark.parametrize(
    "variant", ["spark.xlsx", "spark_list.csv", "icontrol.csv", "magellan.xlsx"]
)
def test_over_is_saturated(variant):
    # tracp5b_saturated.csv has OVRFLW in A1 and A2; the writer renders them as OVER
    (plate,) = read_export(EXPORTS / f"tracp5b_saturated_{variant}").plates
    assert plate.saturated[0, 0, 0] and plate.saturated[0, 0, 1]
    assert np.isnan(plate.od[0, 0, 0]) and plate.saturated.sum() == 2


# --------------------------------------------------------------------------- mangled text files


def _icontrol_lines() -> list[str]:
    return (EXPORTS / "fkn_clean_icontrol.csv").read_bytes().decode("cp1252").split("\r\n")


def _grid_line(lines: list[str], row: str) -> int:
    start = next(i for i, line in enumerate(lines) if line.startswith("<>;"))
    return next(i for i in range(start, len(lines)) if lines[i].startswith(f"{row};"))


def _write(tmp_path: Path, lines: list[str], name: str = "plate.csv") -> Path:
    path = tmp_path / name
    path.write_bytes("\r\n".join(lines).encode("cp1252"))
    return path


def test_truncated_grid(tmp_path):
    lines = _icontrol_lines()
    cut = _grid_line(lines, "E")
    path = _write(tmp_path, lines[:cut])
    with pytest.raises(PlateError, match=r"row E is missing: the file ends after rows A-D"):
        read_export(path)


def test_missing_row(tmp_path):
    lines = _icontrol_lines()
    k = _grid_line(lines, "C")
    path = _write(tmp_path, lines[:k] + lines[k + 1 :])
    with pytest.raises(PlateError, match=rf"line {k + 1}: row C is missing"):
        read_export(path)


def test_value_beyond_the_plate(tmp_path):
    lines = _icontrol_lines()
    k = _grid_line(lines, "B")
    cells = lines[k].split(";")
    cells[13] = "0.123"
    lines[k] = ";".join(cells)
    with pytest.raises(PlateError, match=rf"line {k + 1}.*beyond the grid's 12 columns.*0.123"):
        read_export(_write(tmp_path, lines))


def test_text_where_an_od_must_be(tmp_path):
    lines = _icontrol_lines()
    k = _grid_line(lines, "D")
    cells = lines[k].split(";")
    cells[4] = "n/a"
    lines[k] = ";".join(cells)
    with pytest.raises(PlateError, match=rf"line {k + 1}, well D4: expected an OD value.*'n/a'"):
        read_export(_write(tmp_path, lines))


def test_truncated_well_list(tmp_path):
    text = (EXPORTS / "fkn_clean_spark_list.csv").read_text(encoding="utf-8-sig")
    path = tmp_path / "list.csv"
    path.write_text(text[: text.index("\nD5,")], encoding="utf-8-sig")
    with pytest.raises(PlateError, match="ends inside the well list"):
        read_export(path)
    lines = text.split("\n")
    k = next(i for i, line in enumerate(lines) if line.startswith("F7,"))
    path.write_text("\n".join(lines[:k] + lines[k + 1 :]), encoding="utf-8-sig")
    with pytest.raises(PlateError, match=r"missing from the well list.*F7"):
        read_export(path)


# ---------------------------------------------------------------------------- mangled xlsx files


def _book(path: Path) -> Workbook:
    return load_workbook(path.read_bytes(), path)


def _set(book: Workbook, sheet: str, row: int, col: int, value) -> Workbook:
    rows = [list(r) for r in book.sheets[sheet]]
    while len(rows[row]) <= col:
        rows[row].append(None)
    rows[row][col] = value
    return Workbook({**book.sheets, sheet: tuple(tuple(r) for r in rows)})


def test_xlsx_errors_name_sheet_and_cell():
    path = EXPORTS / "fkn_clean_spark.xlsx"
    book = _book(path)
    header = next(i for i, r in enumerate(book.sheets["Result sheet"]) if r and r[0] == "<>")
    bad = _set(book, "Result sheet", header + 3, 5, "high")  # C5
    with pytest.raises(PlateError, match=rf"sheet 'Result sheet', cell F{header + 4}, well C5"):
        tecan.read_workbook(bad, path)
    wide = _set(book, "Result sheet", header + 1, 14, 1.5)
    with pytest.raises(PlateError, match=rf"cell O{header + 2}: a value beyond"):
        tecan.read_workbook(wide, path)


# --------------------------------------------------------------- property tests: only AssayError


def _real_files() -> list[Path]:
    if not SHARED.is_dir():
        return []
    return sorted((SHARED / "tecan").iterdir())


FILES = _real_files() + fixture_exports()


_JUNK = [
    b"OVER",
    b"<>,1,2,3",
    b"A;x;y",
    b"Cycle Nr.;1;2",
    b"Well positions",
    b"\xff\xfe",
    b";;;;",
    b"Mode,Absorbance",
    b"n/a",
]


@needs_shared
@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    index=st.integers(0, max(len(FILES) - 1, 0)),
    kind=st.sampled_from(KINDS),
    seed=st.integers(0, 2**32 - 1),
)
def test_mutated_files_raise_only_assay_errors(tmp_path, index, kind, seed):
    source = FILES[index]
    data = mutate(source.read_bytes(), kind, random.Random(seed), _JUNK)
    path = tmp_path / f"mutated{source.suffix}"
    path.write_bytes(data)
    read_all_ways(path, "tecan")


@cache
def _cached_book(path: Path) -> Workbook:
    return _book(path)


@needs_shared
@settings(max_examples=60, deadline=None)
@given(
    index=st.integers(0, 100),
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["delete_row", "set_cell", "cut"]),
)
def test_mutated_workbooks_raise_only_assay_errors(index, seed, kind):
    books = [p for p in FILES if p.suffix == ".xlsx"]
    path = books[index % len(books)]
    book = _cached_book(path)
    name = next(iter(book.sheets))
    rows = mutate_rows(
        book.sheets[name][:400],
        kind,
        random.Random(seed),
        [
            "OVER",
            "junk",
            "",
            None,
            1e308,
            -1.0,
            math.nan,
            "<>",
            "A",
            "Cycle Nr.",
            3,
            "Well positions",
            "Z99",
        ],
    )
    mutated = with_rows(book, name, rows)
    try:
        tecan.read_workbook(mutated, path)
    except AssayError:
        pass


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=2000),
    prefix=st.sampled_from(
        [
            b"",
            b"Application: Tecan i-control,,,,2.0\n<>,1,2,3,4,5,6,7,8,9,10,11,12\n",
            b"Well positions;Label1\n",
            b"<>,Value,Time [ms]\nA1,",
            b"PK\x03\x04",
        ]
    ),
)
def test_random_bytes_raise_only_assay_errors(tmp_path, data, prefix):
    path = tmp_path / "random.csv"
    path.write_bytes(prefix + data)
    read_all_ways(path, "tecan")


def test_sniffers_never_raise_on_junk():
    assert tecan.sniff("") is False
    assert tecan.sniff("a,b,c\n1,2,3\n") is False
    assert tecan.sniff_workbook(Workbook({"S": ((None,), ("x", 1))})) is False
    buffer = io.StringIO("<>;1;2;3;4;5;6;7;8;9;10;11;12\nA;0.1\n")
    assert tecan.sniff(buffer.getvalue()) is True
