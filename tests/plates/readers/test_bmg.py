"""The `bmg` reader (BMG Labtech MARS / PHERAstar / Omega / SMART Control CSV and xlsx) on the real
files of ../shared/formats, on the project's own export fixtures, and on mangled input."""

from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plates.errors import AssayError, PlateError
from plates.layout.loader import carried_layout
from plates.readers import read_export, sniff_format
from plates.readers.bmg import reader as bmg
from plates.readers.common.workbook import Workbook, load_workbook
from tests.plates.readers.mutations import (
    KINDS,
    PLATES,
    REPO,
    SHARED,
    mutate,
    mutate_rows,
    other_files,
    read_bytes_all_ways,
    read_row,
    read_workbook_only,
    shared,
)

FOLDER = "bmg_labtech"
FIXTURES = REPO / "fixtures" / "exports" / "bmg"

PHERASTAR = f"{FOLDER}/allotropy__PHERAstar_output_file.CSV"
QC384 = f"{FOLDER}/allotropy__16-03-03_16-54-03_472_ABS_384_QC.csv"
SMART = f"{FOLDER}/allotropy__smart_control_fluorescence_endpoint_example2.xlsx"
OMEGA = f"{FOLDER}/tidy_BMG_microplate__bmg_lumistar_omega.xlsx"

#: (file under ../shared/formats, format, plates, wells per plate, wavelengths, refused because)
EXPECTED = [
    (QC384, "bmg", 1, 384, (484,), None),
    (PHERASTAR, "bmg", 1, 96, (450,), None),
    # fluorescence endpoint: read (read_mode "fluorescence", emission 520 nm); the pipeline
    # refuses non-absorbance reads itself
    (SMART, "bmg", 1, 96, (520,), None),
    # MARS "Table All Cycles": two plates of BRET luminescence, 21 cycles each
    (OMEGA, "bmg", 2, 96, (535, 475), "kinetic read with 21 cycles"),
]


def fixture_files() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*") if p.suffix in (".csv", ".xlsx"))


def well(plate, name: str, wave: int | None = None) -> float:
    r, c = "ABCDEFGHIJKLMNOP".index(name[0]), int(name[1:]) - 1
    k = 0 if wave is None else plate.wavelengths.index(wave)
    return float(plate.od[k, r, c])


def is_saturated(plate, name: str, k: int = 0) -> bool:
    r, c = "ABCDEFGHIJKLMNOP".index(name[0]), int(name[1:]) - 1
    return bool(plate.saturated[k, r, c])


def write(tmp_path: Path, data: str | bytes, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# ---------------------------------------------------------------- the table


@pytest.mark.parametrize("row", EXPECTED, ids=[r[0].split("/")[-1] for r in EXPECTED])
def test_expected_table(row):
    export = read_row(row)
    for plate in export.plates if export else ():
        assert plate.wavelengths == row[4]
        assert plate.metadata["plate_name"] == plate.name
        assert np.isfinite(plate.od).any()


@pytest.mark.parametrize("row", EXPECTED, ids=[r[0].split("/")[-1] for r in EXPECTED])
def test_sniffing_picks_bmg(row):
    path = shared(row[0])
    assert sniff_format(path.read_bytes(), path) == "bmg"


def test_sniffing_leaves_other_formats_alone():
    others = other_files(FOLDER, (".csv", ".txt", ".xlsx", ".tsv"))
    claimed = [p.name for p in others if sniff_format(p.read_bytes(), p) == "bmg"]
    assert claimed == []


# ---------------------------------------------------------------- values read by eye


def test_pherastar_values_and_metadata():
    (plate,) = read_export(shared(PHERASTAR)).plates
    assert well(plate, "A1", 450) == 1.691  # A,1.691,1.557,...
    assert well(plate, "C4", 450) == 0.07  # C,0.561,0.503,0.503,0.07,...
    assert well(plate, "G12", 450) == 1.4  # G,...,0.094,1.4
    assert well(plate, "H12", 450) == 0.884  # H,...,0.088,0.884
    assert well(plate, "B9", 450) == 0.1  # B,...,0.094,0.1,0.087,...
    assert not plate.saturated.any() and np.isfinite(plate.od).all()
    meta = plate.metadata
    # ID1: 20260618 dsRNA _PLATE_01_18Jun26,
    assert plate.name == "20260618 dsRNA _PLATE_01_18Jun26"
    assert meta["instrument"] == "PHERAstar"  # Path: C:\...\BMG\PHERAstar\User\Data
    assert meta["protocol"] == "dsRNA ELISA"  # Test name: dsRNA ELISA
    assert meta["read_time"] == "2026-06-18T15:56:48"  # Date: 6/18/2026,Time: 3:56:48 PM
    assert meta["read_mode"] == "absorbance"  # Absorbance
    assert meta["test_run"] == "65"  # Test run no.: 65
    assert not plate.layout and not plate.derived


def test_384_values():
    (plate,) = read_export(shared(QC384)).plates
    assert (plate.n_rows, plate.n_cols) == (16, 24)
    assert well(plate, "A1", 484) == 0.031  # A,0.031,0.032,...
    assert well(plate, "C1", 484) == 2.368  # C,2.368,2.496,...
    assert well(plate, "A18", 484) == 0.032  # A,...,,,0.032,0.032,0.033,... (after 10 empties)
    assert well(plate, "P24", 484) == 0.032  # P,...,0.033,0.032,0.031,0.032
    assert well(plate, "I7", 484) == 0.07  # I,0.069,0.071,0.07,0.071,0.071,0.071,0.07,,,
    assert math.isnan(well(plate, "J1", 484))  # J,,,,,... (row J empty)
    assert math.isnan(well(plate, "C7", 484))  # C,...,2.412,,,
    assert np.isfinite(plate.od).sum() == 4 * 14 + 6 * 6 + 7  # rows A,B,O,P: 7+7; C-H: 6; I: 7
    assert plate.metadata["read_time"] == "2016-03-03T16:54:03"  # 03/03/2016, 16:54:03
    assert plate.name == "472-0016"


def test_smart_control_fluorescence():
    (plate,) = read_export(shared(SMART)).plates
    meta = plate.metadata
    assert meta["read_mode"] == "fluorescence"  # Fluorescence (FI)
    assert meta["software"] == "SMART Control"  # Path: ...\BMG\SMART Control\user\Data
    assert meta["test_id"] == "11"  # Test ID: 11
    assert meta["protocol"] == "96 PicoGreen, Quant-iT"
    assert meta["read_time"] == "2024-11-12T13:06:28"  # Date: 11/12/2024, Time: 1:06:28 PM
    assert meta["microplate"] == "NUNC 96"  # Plate: NUNC 96
    assert meta["excitation"] == "480-14" and meta["emission"] == "520-30"
    assert meta["conc_unit"] == "ng/mL"  # 2. Standard Concentrations in ng/mL
    assert plate.name == "PicoGreen NB-user-5097655-0069"
    assert well(plate, "A1") == 8168026  # B51: 8168026
    assert well(plate, "C5") == 48245  # F53: 48245
    assert well(plate, "H12") == 15882  # M58: 15882
    # the blank-corrected grid is vendor-derived: kept, never the read
    (key,) = plate.derived
    assert key == "Blank corrected based on Raw Data (480-14/520-30)"
    grid = plate.derived[key]
    assert grid[7, 0] == -80 and grid[0, 0] == 8152571  # B69: -80, B62: 8152571
    assert math.isnan(grid[7, 11])  # M69 empty (blank wells)
    lay = plate.layout
    assert lay["A1"] == {"role": "standard", "conc": 1000.0}  # S1, 1000
    assert lay["H3"] == {"role": "standard", "conc": 0.06}  # S8, 0.06
    assert lay["A4"] == {"role": "sample", "sample": "X1", "dilution": 500.0}  # X1, 500
    assert lay["B7"] == {"role": "sample", "sample": "X10", "dilution": 1000.0}  # X10, 1000
    assert lay["G12"] == {"role": "sample", "sample": "X23", "dilution": 1.0}  # X23, 1
    assert lay["H10"] == {"role": "blank"}  # B
    assert len(lay) == 96
    # the carried layout is a valid DESIGN 3.2 layout
    checked = carried_layout(plate.layout, "smart.xlsx", plate.n_rows, plate.n_cols)
    assert (checked.wells["role"] == "standard").sum() == 24


def test_fluorescence_is_refused_by_the_pipeline():
    import elisa

    with pytest.raises(AssayError, match="fluorescence"):
        elisa.process(shared(SMART), analyte="FKN", layout_from_export=True)


def test_kinetic_refusal_names_the_format_and_why():
    with pytest.raises(PlateError) as info:
        read_export(shared(OMEGA))
    text = str(info.value)
    assert "BMG" in text and "kinetic read with 21 cycles" in text
    assert "endpoint ELISA needs one read per wavelength" in text
    assert "Table All Cycles" in text


# ---------------------------------------------------------------- synthetic exports

HEAD = (
    "User: USER,Path: C:\\Program Files (x86)\\BMG\\CLARIOstar\\User\\Data,Test run no.: 7\r\n"
    "Test name: ELISA,Date: 29/02/2016,Time: 14:34:46\r\n\r\nID1: P-001,ID2: 20 ul\r\n"
    "Absorbance\r\n\r\n"
)


def grid(label: str, values, n_cols: int = 12, trailing: str = "") -> str:
    rows = [f"{label}\r\n\r\n," + ",".join(str(c + 1) for c in range(n_cols)) + trailing]
    for r, row in enumerate(values):
        rows.append("ABCDEFGHIJKLMNOP"[r] + "," + ",".join(row))
    return "\r\n".join(rows) + "\r\n\r\n"


def plain(fill: str = "0.5", n_rows: int = 8, n_cols: int = 12) -> list[list[str]]:
    return [[fill] * n_cols for _ in range(n_rows)]


def test_saturated_markers_become_saturated_wells(tmp_path):
    values = plain()
    values[0][0] = "Overflow"
    values[1][1] = "overflow"
    values[2][2] = "OVRFLW"
    values[3][3] = "*****"
    values[4][4] = ""
    path = write(tmp_path, HEAD + grid("Raw Data (450)", values, trailing=","))
    (plate,) = read_export(path).plates
    for name in ("A1", "B2", "C3", "D4"):
        assert is_saturated(plate, name) and math.isnan(well(plate, name))
    assert not is_saturated(plate, "E5") and math.isnan(well(plate, "E5"))
    assert plate.saturated.sum() == 4
    assert plate.metadata["read_time"] == "2016-02-29T14:34:46"  # 29/02/2016: day first


def test_fixture_overflow_is_saturated():
    for path in fixture_files():
        if path.stem == "tracp5b_saturated":
            (plate,) = read_export(path).plates
            assert is_saturated(plate, "A1") and is_saturated(plate, "A2")
            assert plate.saturated.sum() == 2
            assert math.isnan(well(plate, "H12")) and not is_saturated(plate, "H12")


def test_two_wavelengths_derived_and_short_rows(tmp_path):
    short = [row[:9] for row in plain("0.25")]  # MARS 3.40 drops empty trailing cells
    text = (
        HEAD
        + grid("Raw Data (450 1)", plain("1.5"))
        + grid("Raw Data (620 2)", short)
        + grid("Blank corrected based on Raw Data (450 1)", plain("1.4"))
    )
    (plate,) = read_export(write(tmp_path, text)).plates
    assert plate.wavelengths == (450, 620)
    assert well(plate, "H12", 450) == 1.5 and well(plate, "A9", 620) == 0.25
    assert math.isnan(well(plate, "A10", 620))
    assert list(plate.derived) == ["Blank corrected based on Raw Data (450 1)"]
    assert plate.name == "P-001" and plate.metadata["id2"] == "20 ul"


def test_several_plates_in_one_csv(tmp_path):
    text = (
        HEAD
        + grid("Raw Data (450)", plain("0.1"))
        + HEAD.replace("P-001", "P-002")
        + grid("Raw Data (450)", plain("0.2"))
    )
    plates = read_export(write(tmp_path, text)).plates
    assert [p.name for p in plates] == ["P-001", "P-002"]
    assert well(plates[1], "B2") == 0.2


def test_semicolons_and_decimal_commas(tmp_path):
    text = (HEAD + grid("Raw Data (450)", plain("0,5"))).replace(",", ";").replace("0;5", "0,5")
    (plate,) = read_export(write(tmp_path, text)).plates
    assert well(plate, "C3") == 0.5 and plate.metadata["test_run"] == "7"


@pytest.mark.parametrize("label", ["Raw Data (450)", "Raw Data (450) {k}"])
def test_repeated_raw_data_is_kinetic(tmp_path, label):
    text = HEAD + "".join(grid(label.format(k=k), plain()) for k in range(1, 4))
    with pytest.raises(PlateError, match="kinetic read with 3 cycles"):
        read_export(write(tmp_path, text))


def test_wells_as_rows_table(tmp_path):
    lines = ["Well,Content,Raw Data (450)"]
    lines += [f"{r}{c:02d},Sample X1,0.{c:03d}" for r in "ABCDEFGH" for c in range(1, 13)]
    (plate,) = read_export(write(tmp_path, HEAD + "\r\n".join(lines) + "\r\n")).plates
    assert plate.wavelengths == (450,) and well(plate, "B12") == 0.012
    assert plate.layout["C3"] == {"role": "sample", "sample": "X1"}


@pytest.mark.parametrize(
    "mangle, match, where",
    [
        (lambda t: t[: t.index("E,0.5")], "row E of 'Raw Data \\(450\\)' is missing", "line"),
        (
            lambda t: t.replace("C,0.5,", "C,0.5,", 1).replace("D,0.5", "X,0.5"),
            "expected the row label D",
            "line 13",
        ),
        (
            lambda t: "\r\n".join(ln for ln in t.split("\r\n") if not ln.startswith("D,")),
            "row D of 'Raw Data \\(450\\)' is missing: found row E",
            "line 13",
        ),
        (
            lambda t: t.replace("B,0.5,0.5", "B,0.5,x0.5"),
            "expected an OD value",
            "line 11, well B2",
        ),
        (
            lambda t: t.replace(
                "\r\nF," + ",".join(["0.5"] * 12), "\r\nF," + ",".join(["0.5"] * 12) + ",,0.7"
            ),
            "beyond the plate's 12 columns",
            "line 15",
        ),
        (
            lambda t: t.replace(
                "\r\nH," + ",".join(["0.5"] * 12),
                "\r\nH," + ",".join(["0.5"] * 12) + "\r\nI,0.1,0.2",
            ),
            "row I is beyond",
            "line 18",
        ),
        (
            lambda t: t.replace(",1,2,3", ",1,2,3,4,5,6,7,8,9,10,11,12,13", 1),
            "1..12 or 1..24",
            "line 9",
        ),
        (lambda t: t.replace("Raw Data (450)", ""), "without a data label", "line 9"),
    ],
)
def test_mangled_csv(tmp_path, mangle, match, where):
    text = mangle(HEAD + grid("Raw Data (450)", plain()))
    path = write(tmp_path, text)
    with pytest.raises(PlateError, match=match) as info:
        read_export(path, fmt="bmg")
    assert str(path) in str(info.value) and where in str(info.value)


def test_xlsx_cell_beyond_the_plate(tmp_path):
    path = next((p for p in fixture_files() if p.suffix == ".xlsx"), None)
    if path is None:
        pytest.skip("no bmg xlsx fixture")
    book = load_workbook(path.read_bytes(), path)
    sheets = {name: [list(r) for r in rows] for name, rows in book.sheets.items()}
    row = sheets["Microplate End point"][19]  # row 20 = plate row C
    row += [None] * (14 - len(row))
    row[13] = 0.123  # column N, right after column 12
    mangled = Workbook({n: tuple(tuple(r) for r in rows) for n, rows in sheets.items()})
    with pytest.raises(PlateError, match="beyond the plate's 12 columns") as info:
        bmg.read_workbook(mangled, path)
    assert "sheet 'Microplate End point', cell N20" in str(info.value)
    sheets = {name: [list(r) for r in rows] for name, rows in book.sheets.items()}
    row = sheets["Microplate End point"][20]  # row 21 = plate row D
    row[4] = "n/a"  # column E = plate column 4
    mangled = Workbook({n: tuple(tuple(r) for r in rows) for n, rows in sheets.items()})
    with pytest.raises(PlateError, match="expected an OD value") as info:
        bmg.read_workbook(mangled, path)
    assert "cell E21, well D4" in str(info.value)


# ---------------------------------------------------------------- export fixtures


def test_fixtures_exist_and_sniff():
    files = fixture_files()
    assert {p.name for p in files} == {
        "fkn_clean.csv",
        "fkn_clean.xlsx",
        "tracp5b_saturated.csv",
        "tracp5b_saturated.xlsx",
    }
    for path in files:
        assert sniff_format(path.read_bytes(), path) == "bmg"
        (plate,) = read_export(path).plates
        assert plate.wavelengths == (450,) and plate.name == path.stem
        assert plate.metadata["read_time"] == "2024-03-04T10:15:00"
        assert plate.metadata["instrument"] == "CLARIOstar"


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.name)
def test_fixture_concentrations_match_grid(path):
    import elisa

    layout = PLATES / f"{path.stem}.toml"
    ref = elisa.process(PLATES / f"{path.stem}.csv", layout=layout)
    got = elisa.process(path, layout=layout)
    a = ref.samples["conc"].to_numpy(dtype=float)
    b = got.samples["conc"].to_numpy(dtype=float)
    assert len(a) == len(b) and np.isfinite(a).any()
    np.testing.assert_allclose(b, a, rtol=1e-9, equal_nan=True)
    assert list(got.runs["verdict"]) == list(ref.runs["verdict"])
    assert list(got.samples["sample_id"]) == list(ref.samples["sample_id"])


# ---------------------------------------------------------------- property tests


def _real_files() -> list[Path]:
    files = [SHARED / r[0] for r in EXPECTED if (SHARED / r[0]).is_file()]
    return files + fixture_files()


def _text_files() -> list[Path]:
    return [p for p in _real_files() if p.suffix.lower() == ".csv"]


def _check(data: bytes, suffix: str) -> None:
    read_bytes_all_ways(data, suffix, "bmg")


_MUTATION = st.sampled_from([*KINDS, "duplicate_line"])
_JUNK = [
    b",",
    b",,,x",
    b"Raw Data (450)\r\n",
    b"\r\n",
    b"User: X,Test ID: 1\r\n",
    b",1,2,3,4,5,6,7,8,9,10,11,12",
    b"\xff\xfe",
    b"Overflow",
    b'"',
    b"Well,A01\r\n",
]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), kind=_MUTATION, seed=st.integers(0, 2**32 - 1))
def test_mutated_text_files_raise_only_assay_errors(data, kind, seed):
    files = _text_files()
    if not files:
        pytest.skip("no bmg text files")
    path = data.draw(st.sampled_from(files))
    _check(mutate(path.read_bytes(), kind, random.Random(seed), _JUNK), path.suffix)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_workbooks_raise_only_assay_errors(data):
    files = [p for p in _real_files() if p.suffix == ".xlsx"]
    if not files:
        pytest.skip("no bmg workbooks")
    path = data.draw(st.sampled_from(files))
    book = load_workbook(path.read_bytes(), path)
    sheets = {name: [list(r) for r in rows] for name, rows in book.sheets.items()}
    name = data.draw(st.sampled_from(sorted(sheets)))
    rows = sheets[name]
    rng = random.Random(data.draw(st.integers(0, 2**32 - 1)))
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["delete_row", "set_cell", "cut"]))
        value = data.draw(
            st.one_of(
                st.none(),
                st.text(max_size=12),
                st.floats(allow_nan=True),
                st.integers(),
                st.sampled_from(["Overflow", "Raw Data (450)", "Well", "A01", "Time [s]"]),
            )
        )
        rows = mutate_rows(rows, kind, rng, [value])
    sheets[name] = rows
    mangled = Workbook({n: tuple(tuple(r) for r in rs) for n, rs in sheets.items()})
    read_workbook_only(bmg, mangled, path)


@settings(max_examples=80, deadline=None)
@given(raw=st.binary(max_size=2000), header=st.booleans())
def test_random_bytes_raise_only_assay_errors(raw, header):
    prefix = b"User: U,Path: x,Test run no.: 1\r\nTest name: t\r\n" if header else b""
    _check(prefix + raw, ".csv")


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(list("AB,;.0123456789 \r\n\tOverflw:()RawDt-/")), max_size=600
    )
)
def test_random_text_after_a_header_raises_only_assay_errors(text):
    _check((HEAD + "Raw Data (450)\r\n\r\n,1,2,3,4,5,6,7,8,9,10,11,12\r\n" + text).encode(), ".csv")


def test_workbook_bytes_damage(tmp_path):
    for path in [p for p in _real_files() if p.suffix == ".xlsx"][:2]:
        raw = path.read_bytes()
        for cut in (10, len(raw) // 2, len(raw) - 5):
            _check(raw[:cut], ".xlsx")
        buf = bytearray(raw)
        buf[len(buf) // 3] ^= 0xFF
        _check(bytes(buf), ".xlsx")
