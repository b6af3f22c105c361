"""The `skanit` reader: Thermo Fisher SkanIt 7 xlsx reports, Multiskan Sky xlsx and Multiskan
text exports. Real files come from ../shared/formats/thermo_fisher_skanit (skipped when absent)."""

from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import elisa
from plates.errors import PlateError
from plates.readers import read_export, sniff_format
from plates.readers.common.workbook import Workbook, load_workbook
from plates.readers.skanit import reader as skanit
from plates.readers.skanit.common import iso_time
from tests.plates.readers.mutations import (
    MUTATIONS,
    PLATES,
    REPO,
    SHARED,
    mutate,
    mutate_rows,
    other_files,
    read_bytes_all_ways,
    read_workbook_only,
    shared,
)

FOLDER = "thermo_fisher_skanit"
EXPORTS = REPO / "fixtures" / "exports" / "skanit"

# (path under ../shared/formats, format, plates, wells per plate, wavelengths, refused because)
EXPECTED = [
    ("thermo_fisher_skanit/allotropy__skanit_data.xlsx", "skanit", 1, 96, (450,), None),
    (
        "thermo_fisher_skanit/MTPHandler__Multiskan_Sky.xlsx",
        "skanit",
        None,
        None,
        None,
        "kinetic read with 101 readings",
    ),
    (
        "thermo_fisher_skanit/MTPHandler__multiskan_spectrum_1500.txt",
        "skanit",
        None,
        None,
        None,
        "kinetic read with 31 iterations",
    ),
]

SKANIT_DATA = f"{FOLDER}/allotropy__skanit_data.xlsx"
SKY = f"{FOLDER}/MTPHandler__Multiskan_Sky.xlsx"
SPECTRUM = f"{FOLDER}/MTPHandler__multiskan_spectrum_1500.txt"


def rows_of(expected):
    return [pytest.param(row, id=Path(row[0]).name) for row in expected]


# ----------------------------------------------------------------- the table of real files


def test_table_lists_every_file_of_the_folder():
    if not (SHARED / FOLDER).is_dir():
        pytest.skip("../shared/formats is not available")
    on_disk = {f"{FOLDER}/{p.name}" for p in (SHARED / FOLDER).iterdir() if p.is_file()}
    assert on_disk == {row[0] for row in EXPECTED}


@pytest.mark.parametrize("row", rows_of(EXPECTED))
def test_real_file_reads_to_its_row_or_is_refused(row):
    relative, fmt, n_plates, wells, waves, refused = row
    path = shared(relative)
    if refused:
        with pytest.raises(PlateError) as info:
            read_export(path)
        assert refused in str(info.value)
        assert "SkanIt" in str(info.value) and "endpoint" in str(info.value)
        assert str(path) in str(info.value)
        return
    export = read_export(path)
    assert export.format == fmt
    assert len(export.plates) == n_plates
    for plate in export.plates:
        assert plate.n_rows * plate.n_cols == wells
        assert plate.wavelengths == waves
        assert plate.metadata["read_mode"] == "absorbance"


@pytest.mark.parametrize("row", rows_of(EXPECTED))
def test_sniffing_picks_skanit(row):
    path = shared(row[0])
    assert sniff_format(path.read_bytes(), path) == "skanit"


def test_sniffing_claims_no_other_file():
    others = other_files(FOLDER, (".txt", ".csv", ".xlsx"))
    others += [
        p
        for p in (REPO / "fixtures" / "exports").rglob("*")
        if p.is_file() and p.parent.name != "skanit"
    ]
    assert others
    claimed = [p.name for p in others if sniff_format(p.read_bytes(), p) == "skanit"]
    assert claimed == []


# ----------------------------------------------------------------- values read by eye


def test_skanit_report_wells_metadata_and_layout():
    plate = read_export(shared(SKANIT_DATA)).plates[0]
    od = plate.od[0]
    assert od[0, 0] == 1.7455  # 'Absorbance 1_01' B11: 1.7455 (A1, Std0001)
    assert od[3, 2] == 0.9125  # D14: 0.9125 (D3)
    assert od[7, 11] == 0.1032  # M18: 0.1032 (H12)
    assert od[7, 0] == 0.0905  # B18: 0.0905 (H1, Blank1)
    assert not plate.saturated.any()
    assert plate.name is None  # the default plate name 'Plate 1' ...
    meta = plate.metadata  # ... is kept in metadata
    assert meta["plate_name"] == "Plate 1"
    assert meta["instrument"] == "Varioskan LUX"
    assert meta["instrument_serial"] == "3020-81776"
    assert meta["software"] == "SkanIt Software 7.0 RE for Microplate Readers RE"
    assert meta["software_version"] == "7.0.0.50"
    assert meta["read_time"] == "2023-06-05T18:09:56"  # '6/5/2023 6:09:56 PM'
    assert meta["protocol"] == "5. APOE potency MOA_EB_20230522_003 (1)"
    assert meta["read_mode"] == "absorbance"
    # the vendor's fit, 'Standard Curve 1_03' A36-A45
    assert meta["vendor_fit_type"] == "4PL"
    assert float(meta["vendor_fit_a"]) == -0.0678141
    assert float(meta["vendor_fit_b"]) == 0.78981
    assert float(meta["vendor_fit_c"]) == 0.748878
    assert float(meta["vendor_fit_d"]) == 2.89758
    assert meta["vendor_fit_r_squared"] == "0.998"
    assert meta["vendor_conc_unit"] == "microg/ml"
    assert meta["conc_unit"] == "µg/mL"  # the carried layout's unit (B7 '1 microg/ml')
    # derived grids, never raw data
    derived = plate.derived
    assert derived["Blank Subtraction 1: Blank subtracted"][0, 0] == 1.655  # B14: 1.655
    conc = derived["Standard Curve 1: Conc. [microg/ml]"]
    assert math.isnan(conc[0, 0])  # B84: ' > Max'
    assert conc[0, 1] == 0.9022  # C84: 0.9022
    assert math.isnan(conc[0, 2])  # D84: ' < Min'
    assert derived["Dilution Factor 1: Value"][1, 2] == 1.585  # D15: 1.585
    assert derived["Dilution Factor 1: Dilution factor"][5, 2] == 1000.0  # D29: 1000
    # the carried layout, 'Layout definitions'
    layout = plate.layout
    assert dict(layout["A1"]) == {"role": "standard", "conc": 1.0}  # 'Std0001', '1 microg/ml'
    assert dict(layout["G2"]) == {"role": "standard", "conc": 0.016}  # '0.016 microg/ml'
    assert dict(layout["H1"]) == {"role": "blank"}  # 'Blank1'
    assert dict(layout["A3"]) == {"role": "sample", "sample": "Un0001", "dilution": 2.0}  # '1:2'
    assert dict(layout["F4"]) == {"role": "sample", "sample": "Un0035", "dilution": 1000.0}
    assert len(layout) == 96
    roles = [f["role"] for f in layout.values()]
    assert roles.count("standard") == 14 and roles.count("blank") == 2


def test_skanit_layout_from_sample_grid_without_layout_definitions(tmp_path):
    book = openpyxl.load_workbook(shared(SKANIT_DATA))
    del book["Layout definitions"]
    book.save(tmp_path / "no_layout_sheet.xlsx")
    layout = read_export(tmp_path / "no_layout_sheet.xlsx").plates[0].layout
    # 'Sample' grid B21 'Std0001' + standard-curve table C49 1; 'Dilution factor' grid D24 2
    assert dict(layout["A1"]) == {"role": "standard", "conc": 1.0}
    assert dict(layout["G1"]) == {"role": "standard", "conc": 0.016}  # C67: 0.016
    assert dict(layout["A3"]) == {"role": "sample", "sample": "Un0001", "dilution": 2.0}
    assert dict(layout["H12"]) == {"role": "sample", "sample": "Un0040", "dilution": 1000.0}
    assert dict(layout["H1"]) == {"role": "blank"}


def _spectrum_endpoint(path: Path) -> str:
    """The real Multiskan text with only the first iteration of each wavelength."""
    lines = path.read_bytes().decode("ascii").split("\r\n")
    # lines 1-13: header, plate 340 nm, iteration 1; lines 315-327: 420 nm, iteration 1
    return "\r\n".join(lines[:14] + lines[314:327]) + "\r\n"


def test_multiskan_text_first_iterations_read_by_eye(tmp_path):
    target = tmp_path / "spectrum_endpoint.txt"
    target.write_text(_spectrum_endpoint(shared(SPECTRUM)), encoding="ascii", newline="")
    export = read_export(target)
    assert export.format == "skanit"
    (plate,) = export.plates
    assert plate.wavelengths == (340, 420)
    assert plate.metadata["read_mode"] == "absorbance"
    assert plate.metadata["step"] == "Photometric1"
    assert plate.od[0, 0, 0] == 0.0440802853056135  # line 6, field 2: 0.0440802853056135
    assert plate.od[0, 5, 9] == 3.20105597773776  # line 11, last value: 3.20105597773776
    assert plate.od[1, 0, 0] == 0.041389454601394  # line 318, field 2: 0.041389454601394
    assert np.isnan(plate.od[0, 6]).all() and np.isnan(plate.od[:, :, 10:]).all()


def _sky_endpoint(path: Path, out: Path) -> Path:
    """The real Multiskan Sky file cut to its first reading (an endpoint read)."""
    book = openpyxl.load_workbook(path)
    sheet = book["Raw data 340 nm"]
    keep = [
        r
        for r in range(6, sheet.max_row + 1)
        if sheet.cell(r, 1).value != sheet.cell(r - 1, 1).value
    ]  # first reading per well
    for r in range(sheet.max_row, 5, -1):
        if r not in keep:
            sheet.delete_rows(r)
    book["General information"]["D20"] = "Endpoint"
    book.save(out)
    return out


def test_multiskan_sky_endpoint_read_by_eye(tmp_path):
    path = _sky_endpoint(shared(SKY), tmp_path / "sky_endpoint.xlsx")
    (plate,) = read_export(path).plates
    assert plate.wavelengths == (340,)
    assert plate.od[0, 0, 1] == 1.1296  # 'Raw data 340 nm' C6: 1.1296 ('A 2', time 0)
    assert plate.od[0, 1, 1] == 1.1318  # C107: 1.1318 ('B 2', time 0.42)
    assert plate.od[0, 6, 1] == 0.1092  # G2's first reading ('Absorbance results' H7: 0.1092)
    assert np.isnan(plate.od[0, :, 0]).all()
    meta = plate.metadata
    assert meta["instrument"] == "Multiskan Sky"
    assert meta["instrument_serial"] == "1530-00516C"
    assert meta["software_version"] == "1.44.16.0"
    assert meta["read_time"] == "2023-10-25T10:16:37"


# ----------------------------------------------------------------- saturation


def test_saturated_markers_become_saturated_wells(tmp_path):
    book = openpyxl.load_workbook(shared(SKANIT_DATA))
    book["Absorbance 1_01"]["B11"] = " > Max"  # SkanIt's over-range marker
    book["Absorbance 1_01"]["C11"] = "OVER"
    book["Absorbance 1_01"]["D11"] = " < Min"  # below range: missing, not saturated
    book.save(tmp_path / "sat.xlsx")
    plate = read_export(tmp_path / "sat.xlsx").plates[0]
    assert plate.saturated[0, 0, 0] and plate.saturated[0, 0, 1]
    assert np.isnan(plate.od[0, 0, :3]).all()
    assert not plate.saturated[0, 0, 2]
    assert plate.saturated.sum() == 2


@pytest.mark.parametrize("ext", ["xlsx", "txt"])
def test_generated_saturated_fixture(ext):
    plate = read_export(EXPORTS / f"tracp5b_saturated.{ext}").plates[0]
    assert plate.saturated[0, 0, 0] and plate.saturated[0, 0, 1]  # OVRFLW in the grid CSV
    assert plate.saturated.sum() == 2


# ----------------------------------------------------------------- the project's own exports


@pytest.mark.parametrize("name", ["fkn_clean", "tracp5b_saturated"])
@pytest.mark.parametrize("ext", ["xlsx", "txt"])
def test_generated_export_gives_the_grid_concentrations(name, ext):
    export = EXPORTS / f"{name}.{ext}"
    layout = PLATES / f"{name}.toml"
    assert sniff_format(export.read_bytes(), export) == "skanit"
    ours = elisa.process(export, layout=layout)
    grid = elisa.process(PLATES / f"{name}.csv", layout=layout)
    a = ours.samples["conc"].astype(float).to_numpy()
    b = grid.samples["conc"].astype(float).to_numpy()
    assert len(a) == len(b) > 0
    assert np.allclose(a, b, rtol=1e-9, atol=0, equal_nan=True)
    assert list(ours.runs["verdict"]) == list(grid.runs["verdict"])
    assert list(ours.samples["sample_id"]) == list(grid.samples["sample_id"])


def test_generated_xlsx_metadata():
    plate = read_export(EXPORTS / "fkn_clean.xlsx").plates[0]
    assert plate.name == "fkn_clean"
    assert plate.metadata["read_time"] == "2024-03-04T09:41:07"
    assert plate.metadata["instrument"] == "Varioskan LUX"


# ----------------------------------------------------------------- text variants and errors


def _text(
    values=None, n_rows=8, n_cols=12, step="Photometric1", blocks=((1, 450),), iterations=1
) -> str:
    values = np.arange(n_rows * n_cols).reshape(n_rows, n_cols) / 100 if values is None else values
    lines = [f"Results of {step}", ""]
    for plate, wave in blocks:
        lines += [f"\tPlate:{plate} - Wavelength:{wave}", ""]
        for it in range(1, iterations + 1):
            lines.append(f"\tIteration: {it}")
            lines += ["\t" + "\t".join(str(v) for v in row) for row in values]
            lines.append("")
    return "\r\n".join(lines) + "\r\n"


def _write(tmp_path: Path, text: str, name: str = "export.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="ascii", newline="")
    return path


def test_text_several_plates_and_384_wells(tmp_path):
    export = read_export(_write(tmp_path, _text(blocks=((1, 450), (1, 620), (2, 450)))))
    assert [p.wavelengths for p in export.plates] == [(450, 620), (450,)]
    assert [p.metadata["plate_number"] for p in export.plates] == ["1", "2"]
    assert export.plates[1].od[0, 7, 11] == 0.95
    big = read_export(_write(tmp_path, _text(n_rows=16, n_cols=24), "big.txt")).plates[0]
    assert big.od.shape == (1, 16, 24) and big.od[0, 15, 23] == 3.83


def test_text_fluorescence_read_mode(tmp_path):
    plate = read_export(_write(tmp_path, _text(step="Fluorometric1"))).plates[0]
    assert plate.metadata["read_mode"] == "fluorescence"


def test_text_kinetic_is_refused(tmp_path):
    with pytest.raises(PlateError, match=r"kinetic read with 3 iterations.*endpoint"):
        read_export(_write(tmp_path, _text(iterations=3)))


@pytest.mark.parametrize(
    "mangle, message",
    [
        # lines: 1 'Results of', 3 'Plate:1', 5 'Iteration: 1', 6-13 rows A-H (A1 0.0 … H12 0.95)
        (lambda t: t[: t.index("\t0.65")], "line 11: .*5 TAB-separated fields.*cut short"),
        (
            lambda t: t[: t.index("\t0.6\t")],
            "line 10: .*found 5 grid lines from line 6, expected 8",
        ),
        (lambda t: t.replace("\t0.84\t", "\tabc\t"), r"line 13, well H1: .*expected an OD value"),
        (
            lambda t: t.replace("\t0.71\r\n", "\t0.71\t9.9\r\n"),
            "line 11, field 14: .*beyond the plate's 12 columns",
        ),
        (
            lambda t: "\r\n".join(
                line for line in t.split("\r\n") if not line.startswith("\t0.36")
            ),
            "line 12: .*found 7 grid lines from line 6, expected 8",
        ),
        (
            lambda t: t.replace("\tPlate:1 - Wavelength:450", "\tPlate:1 - Wavelength:45"),
            "wavelength 45 nm",
        ),
    ],
)
def test_text_mangled_gives_the_line(tmp_path, mangle, message):
    path = _write(tmp_path, mangle(_text()))
    with pytest.raises(PlateError, match=message) as info:
        read_export(path, fmt="skanit")
    assert str(path) in str(info.value)


# ----------------------------------------------------------------- xlsx errors


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda s: s.__setitem__("D14", "abc"),
            r"cell D14: expected an OD value .*'abc' \(well D3\)",
        ),
        (lambda s: s.__setitem__("N12", 0.5), r"cell N12: a value beyond the plate's 12 columns"),
        (lambda s: s.delete_rows(15), r"cell A15: row E is missing .*found 'F'"),
        (lambda s: s.delete_rows(18), r"cell A18: row H is missing .*found an empty cell"),
        (lambda s: s.__setitem__("A13", "X"), r"cell A13: row C is missing .*'X'"),
    ],
)
def test_xlsx_mangled_gives_sheet_and_cell(tmp_path, edit, message):
    book = openpyxl.load_workbook(shared(SKANIT_DATA))
    edit(book["Absorbance 1_01"])
    path = tmp_path / "bad.xlsx"
    book.save(path)
    with pytest.raises(PlateError, match=message) as info:
        read_export(path)
    assert "sheet 'Absorbance 1_01'" in str(info.value)


def test_truncated_xlsx_is_a_plate_error(tmp_path):
    data = shared(SKANIT_DATA).read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(PlateError):
        read_export(path, fmt="skanit")


def test_read_time_formats():
    assert iso_time("6/5/2023 6:09:56 PM") == "2023-06-05T18:09:56"
    assert iso_time("6/5/2023 12:09:56 AM") == "2023-06-05T00:09:56"
    assert iso_time("25.10.2023 10:16:37") == "2023-10-25T10:16:37"
    assert iso_time("25/10/2023 10:16") == "2023-10-25T10:16:00"
    assert iso_time("6/5/2023 10:16:37") is None  # June 5 or May 6: not guessed
    assert iso_time("13/13/2023 10:16:37") is None


# ----------------------------------------------------------------- property tests


def _real_files() -> list[Path]:
    return [SHARED / row[0] for row in EXPECTED if (SHARED / row[0]).is_file()] + sorted(
        EXPORTS.glob("*")
    )


def _check_only_assay_errors(data: bytes, suffix: str) -> None:
    read_bytes_all_ways(data, suffix, "skanit")


_JUNK = [
    b"\t",
    b"\tabc",
    b" > Max",
    b"\r\n",
    b"Iteration: 9\r\n",
    b"\tPlate:2 - Wavelength:450\r\n",
    b"\x00\xff",
    b"1.0",
]


@st.composite
def mutated(draw):
    path = draw(st.sampled_from(_real_files()))
    kind, seed = draw(MUTATIONS)
    return mutate(path.read_bytes(), kind, random.Random(seed), _JUNK), path.suffix


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated())
def test_mutated_real_files_raise_only_assay_errors(case):
    if not _real_files():
        pytest.skip("no files")
    data, suffix = case
    _check_only_assay_errors(data, suffix)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=2000), st.sampled_from([".txt", ".xlsx"]))
def test_random_bytes_raise_only_assay_errors(data, suffix):
    _check_only_assay_errors(data, suffix)


_BOOK: list[Workbook] = []


def _report_book() -> Workbook:
    path = SHARED / SKANIT_DATA
    if not path.is_file():
        pytest.skip("../shared/formats is not available")
    if not _BOOK:
        _BOOK.append(load_workbook(path.read_bytes(), path))
    return _BOOK[0]


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_mutated_xlsx_cells_raise_only_assay_errors(data):
    """Cell-level mutations of the real SkanIt report (byte mutations mostly break the zip),
    fed to the reader directly: not even a ValueError may escape it."""
    book = _report_book()
    sheets = {title: [list(row) for row in rows[:120]] for title, rows in book.sheets.items()}
    title = data.draw(st.sampled_from(sorted(sheets)))
    rows = sheets[title]
    rng = random.Random(data.draw(st.integers(0, 2**32 - 1)))
    for _ in range(data.draw(st.integers(1, 6))):
        kind = data.draw(st.sampled_from(["set_cell", "delete_row", "insert_row", "cut_row"]))
        value = data.draw(
            st.one_of(
                st.none(),
                st.text(max_size=12),
                st.integers(-5, 30),
                st.floats(allow_nan=True, allow_infinity=True),
                st.booleans(),
                st.sampled_from(
                    [
                        " > Max",
                        " < Min",
                        "NaN",
                        "Abs",
                        "Sample",
                        "A",
                        "Plate 2",
                        "Wavelength: 620 nm",
                        "1:0",
                        "Std0009",
                        "0 microg/ml",
                        "Measurement results",
                        "a =",
                    ]
                ),
            )
        )
        rows = mutate_rows(rows, kind, rng, [value], width=16)
    sheets[title] = rows
    mutant = Workbook({t: tuple(tuple(r) for r in rs) for t, rs in sheets.items()})
    read_workbook_only(skanit, mutant, Path("mutant.xlsx"))
