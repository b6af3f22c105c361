"""The gen5 reader (Agilent BioTek Gen5 text and Excel exports), through read_export."""

from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plates.errors import PlateError
from plates.readers import read_export, sniff_format
from plates.readers.common.workbook import Workbook, load_workbook
from plates.readers.gen5 import reader as gen5
from tests.plates.readers.mutations import (
    KINDS,
    PLATES,
    REPO,
    SHARED,
    mutate,
    mutate_rows,
    read_all_ways,
    read_workbook_only,
    shared,
    with_rows,
)

FOLDER = "agilent_biotek_gen5"
EXPORTS = REPO / "fixtures" / "exports" / "gen5"

# (relative path under ../shared/formats, format, plates, wells per plate, wavelengths,
#  refused: a substring of the PlateError, else None)
EXPECTED = [
    (
        f"{FOLDER}/MTPHandler__20240719_biotek_FDH.V9_0.02enzyme_kinetics.xlsx",
        "gen5",
        0,
        96,
        (340,),
        "kinetic read with 246 reads",
    ),
    (
        f"{FOLDER}/allotropy__240411_172731_BNCH2345883_abs450_96well_non_numeric_values.txt",
        "gen5",
        1,
        96,
        (450,),
        None,
    ),
    (
        f"{FOLDER}/allotropy__endpoint_pathlength_correct_singleplate.txt",
        "gen5",
        1,
        96,
        (260, 280, 230),
        None,
    ),
    (f"{FOLDER}/allotropy__endpoint_stdcurve_singleplate_2.txt", "gen5", 1, 96, (450,), None),
    (f"{FOLDER}/allotropy__multiple_read_modes.txt", "gen5", 1, 96, (600,), None),
    (f"{FOLDER}/flopr__231031_pr_calibration_lid.xlsx", "gen5", 1, 96, (600, 700), None),
]


def one_plate(relative: str):
    (plate,) = read_export(shared(relative)).plates
    return plate


def well(plate, name: str, read: int = 0) -> float:
    r, c = "ABCDEFGHIJKLMNOP".index(name[0]), int(name[1:]) - 1
    return float(plate.od[read, r, c])


def derived(plate, label: str, name: str) -> float:
    r, c = "ABCDEFGHIJKLMNOP".index(name[0]), int(name[1:]) - 1
    return float(plate.derived[label][r, c])


# ---------------------------------------------------------------- the table of real files


def test_expected_lists_every_file_of_the_folder():
    folder = SHARED / FOLDER
    if not folder.is_dir():
        pytest.skip("../shared/formats is absent")
    on_disk = sorted(f"{FOLDER}/{p.name}" for p in folder.iterdir() if p.is_file())
    assert sorted(row[0] for row in EXPECTED) == on_disk


@pytest.mark.parametrize(
    "relative, fmt, n_plates, wells, waves, refused",
    EXPECTED,
    ids=[row[0].split("/")[-1] for row in EXPECTED],
)
def test_real_file(relative, fmt, n_plates, wells, waves, refused):
    path = shared(relative)
    assert sniff_format(path.read_bytes(), path) == fmt
    if refused is not None:
        with pytest.raises(PlateError, match=refused) as info:
            read_export(path)
        assert str(path) in str(info.value)
        return
    export = read_export(path)
    assert export.format == fmt
    assert len(export.plates) == n_plates
    for plate in export.plates:
        assert plate.n_rows * plate.n_cols == wells
        assert plate.wavelengths == waves
        assert plate.metadata["read_mode"] == "absorbance"
        assert plate.metadata["software"] == "Gen5"
        assert not (np.isfinite(plate.od) & plate.saturated).any()


# ---------------------------------------------------------------- values read by eye


def test_non_numeric_values_file():
    plate = one_plate(EXPECTED[1][0])
    assert well(plate, "A1") == 2.100  # "A\t2.100\t..."
    assert well(plate, "H12") == 2.500  # "...\t2.500\tabs450:450" (row H)
    assert well(plate, "C5") == 2.250  # row C, 5th value "2.250"
    # "A\t...\t2.270\tOVRFLW\t2.320": A8 is saturated, never a number
    assert plate.saturated[0, 0, 7] and math.isnan(well(plate, "A8"))
    # the OVRFLW diagonal A8, B7, ..., H1
    expected = np.zeros((8, 12), dtype=bool)
    for r in range(8):
        expected[r, 7 - r] = True
    np.testing.assert_array_equal(plate.saturated[0], expected)
    # "D\t...\t2.420\tMISSED\tabs450:450": missing, not saturated
    assert math.isnan(well(plate, "D12")) and not plate.saturated[0, 3, 11]
    meta = plate.metadata
    assert meta["instrument"] == "Synergy H1"
    assert meta["software_version"] == "3.12.08"
    assert meta["read_time"] == "2024-04-11T17:27:15"  # "4/11/2024", "5:27:15 PM"
    assert meta["reading_type"] == "Simulation"
    assert meta["protocol"] == "20240411_abs450_96well.prt"
    assert "instrument_serial" not in meta  # "Unknown"


def test_pathlength_file_reads_by_label_not_position():
    plate = one_plate(EXPECTED[2][0])
    assert plate.wavelengths == (260, 280, 230)
    assert well(plate, "A1", 0) == 0.626  # "\t0.626\t0.560\t...\t260:260" (row A)
    assert well(plate, "A1", 1) == 0.345  # "\t0.345\t0.310\t...\t260:280"
    assert well(plate, "A1", 2) == 0.331  # "\t0.331\t0.309\t...\t260:230"
    assert well(plate, "B1", 0) == 0.628  # "\t0.628\t0.538\t...\t260:260" (row B)
    # the pathlength reads and every calculation are derived, never OD
    assert derived(plate, "260:977 [Test]", "A1") == 0.056  # "A\t0.056\t..."
    assert derived(plate, "260:Pathlength", "A1") == 0.114
    assert derived(plate, "DNA concentration ng/uL", "A1") == 249.278
    assert {"Blank 260:260", "Ratio 260/280", "Corrected [Blank 260:230]"} <= set(plate.derived)
    assert plate.metadata["instrument_serial"] == "12345678"
    assert plate.metadata["temperature"] == "26.3"
    lay = plate.layout
    assert lay["A1"] == {"role": "sample", "sample": "SPL1"}
    assert lay["G12"] == {"role": "blank"} and lay["H12"] == {"role": "blank"}


def test_stdcurve_file_and_its_layout():
    plate = one_plate(EXPECTED[3][0])
    assert well(plate, "A1") == 3.411  # "A\t3.411\t3.329\t..."
    assert well(plate, "E4") == 2.894  # "E\t0.042\t0.041\t0.041\t2.894"
    assert well(plate, "H3") == 0.000  # "H\t0.001\t0.001\t0.000"
    assert derived(plate, "[Concentration]", "A1") == 1014.822
    assert derived(plate, "Blank 450nm:450", "H3") == 0.0  # "-0.000"
    assert plate.metadata["read_time"] == "2022-08-26T10:14:27"
    assert "instrument" not in plate.metadata  # "Reader Type:\tn/a"
    lay = plate.layout
    assert lay["A1"] == {"role": "standard", "conc": 1000.0}  # STD1 / 1000
    assert lay["G3"] == {"role": "standard", "conc": 1.3717}  # STD7 / 1.3717
    assert lay["H1"] == {"role": "blank"}  # BLK, empty Conc/Dil
    assert lay["A4"] == {"role": "sample", "sample": "SPL1", "dilution": 1.0}  # SPL1:1 / 1
    assert lay["B4"] == {"role": "sample", "sample": "SPL1", "dilution": 0.5}  # SPL1:2 / 0.5
    assert lay["H12"] == {"role": "sample", "sample": "SPL6", "dilution": 0.125}
    assert len(lay) == 96


def test_multiple_read_modes_keeps_the_absorbance_read():
    plate = one_plate(EXPECTED[4][0])
    assert well(plate, "A1") == 0.052  # "A\t0.052\t0.046\t...\tod:600"
    assert well(plate, "B1") == 0.124  # "B\t0.124\t0.047\t..."
    assert well(plate, "H12") == 0.049  # "H\t...\t0.047\t0.049\tod:600"
    # fluorescence reads are kept aside, never as OD
    assert derived(plate, "fluor:479,520", "H10") == 852.0
    assert "fluor:579,616" in plate.metadata["other_reads"]


def test_flopr_xlsx_well_table():
    plate = one_plate(EXPECTED[5][0])
    assert plate.wavelengths == (600, 700)
    assert well(plate, "E1", 0) == 1.47  # OD600:600 row, column AY (E1): 1.47
    assert well(plate, "F1", 0) == 1.497  # OD600:600 row, F1: 1.497
    assert well(plate, "E1", 1) == 1.238  # OD700:700 row, E1: 1.238
    assert math.isnan(well(plate, "A1", 0))  # A1..D12 not read at 600 nm: empty cell
    assert not plate.saturated.any()
    assert "GFP 60:485,530" in plate.derived  # OVRFLW there, in a fluorescence read
    assert math.isnan(derived(plate, "GFP 60:485,530", "A1"))
    assert plate.metadata["read_time"] == "2023-10-31T16:24:02"
    assert plate.metadata["instrument"] == "Cytation7"


# ---------------------------------------------------------------- mangled files


def _text(relative: str) -> str:
    return shared(relative).read_bytes().decode("utf-8-sig")


def _write(tmp_path: Path, text: str, name: str = "mangled.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_truncated_file_names_the_missing_row(tmp_path):
    text = _text(EXPECTED[1][0])
    cut = text[: text.index("E\t2.170")]
    with pytest.raises(PlateError, match=r"line \d+.*row E is missing"):
        read_export(_write(tmp_path, cut))


def test_missing_row(tmp_path):
    lines = _text(EXPECTED[1][0]).split("\r\n")
    lines = [ln for ln in lines if not ln.startswith("C\t")]
    with pytest.raises(PlateError, match=r"line 33.*row C is missing"):
        read_export(_write(tmp_path, "\r\n".join(lines)))


def test_cut_inside_a_line(tmp_path):
    text = _text(EXPECTED[1][0])
    cut = text[: text.index("\t2.460\tabs450:450")]
    with pytest.raises(PlateError, match=r"line 35, column 14.*data-set label"):
        read_export(_write(tmp_path, cut))


def test_value_beyond_the_plate_width(tmp_path):
    text = _text(EXPECTED[1][0]).replace("\t2.400\tabs450:450", "\t2.400\tabs450:450\t9.9")
    with pytest.raises(PlateError, match=r"line 31, column 15.*beyond the plate's 12 columns"):
        read_export(_write(tmp_path, text))


def test_text_where_an_od_must_be(tmp_path):
    text = _text(EXPECTED[1][0]).replace("C\t2.130\t2.160", "C\t2.130\tabc")
    with pytest.raises(PlateError, match=r"line 33, column 3, well C2.*expected an OD value"):
        read_export(_write(tmp_path, text))


def test_no_results_block(tmp_path):
    text = _text(EXPECTED[1][0])
    with pytest.raises(PlateError, match="no Results grid"):
        read_export(_write(tmp_path, text[: text.index("Results")]))


def test_xlsx_error_names_sheet_and_cell(tmp_path):
    from openpyxl import load_workbook as open_xlsx

    book = open_xlsx(shared(EXPECTED[5][0]))
    book.active["AY300"] = "n/a?"  # E1 of the OD600:600 row
    path = tmp_path / "mangled.xlsx"
    book.save(path)
    with pytest.raises(PlateError, match=r"sheet 'Sheet1', cell AY300, well E1.*OD value"):
        read_export(path)


def test_kinetic_text_is_refused(tmp_path):
    rows = "\n".join(f"{t}\t30.0\t" + "\t".join(["0.100"] * 96) for t in ("0:00:00", "0:01:00"))
    text = (
        "\n\nSoftware Version\t3.12.08\n\nPlate Number\tPlate 1\n\nProcedure Details\n\n"
        "Start Kinetic\tRuntime 0:01:00 (HH:MM:SS), Interval 0:01:00, 2 Reads\n"
        "    Read\tOD\n\tAbsorbance Endpoint\n\tFull Plate\n\tWavelengths:  450\n"
        "End Kinetic\t\n\nOD:450\n\nTime\tT\u00b0 OD:450\t"
        + "\t".join(f"{r}{c}" for r in "ABCDEFGH" for c in range(1, 13))
        + "\n"
        + rows
        + "\n"
    )
    with pytest.raises(PlateError, match=r"kinetic read with 2 reads.*endpoint ELISA"):
        read_export(_write(tmp_path, text))


def test_fluorescence_only_export_is_read_as_fluorescence(tmp_path):
    grid = "\n".join(f"{r}\t" + "\t".join(["1234"] * 12) + "\tGFP:485,528" for r in "ABCDEFGH")
    text = (
        "Software Version\t3.12.08\nPlate Number\tPlate 1\n\nProcedure Details\n\n"
        "Read\tGFP\n\tFluorescence Endpoint\n\tFull Plate\n\tFilter Set 1\n"
        "\t    Excitation: 485/20,  Emission: 528/20\n\nResults\n\t"
        + "\t".join(str(c) for c in range(1, 13))
        + "\n"
        + grid
        + "\n"
    )
    (plate,) = read_export(_write(tmp_path, text)).plates
    assert plate.metadata["read_mode"] == "fluorescence"
    assert plate.wavelengths == (528,)
    assert plate.od[0, 0, 0] == 1234.0


def test_384_well_and_multi_plate_text(tmp_path):
    def block(n: int, value: str) -> str:
        grid = "\n".join(f"{r}\t" + "\t".join([value] * 24) + "\t450" for r in "ABCDEFGHIJKLMNOP")
        return (
            f"\n\nSoftware Version\t3.12.08\n\nPlate Number\tPlate {n}\nDate\t3/4/2024\n"
            "Time\t9:01:02\n\nProcedure Details\n\nPlate Type\t384 WELL PLATE\n"
            "Read\tAbsorbance Endpoint\n\tFull Plate\n\tWavelengths:  450\n\nResults\n\t"
            + "\t".join(str(c) for c in range(1, 25))
            + "\n"
            + grid
            + "\n"
        )

    export = read_export(_write(tmp_path, block(1, "0.5") + block(2, "OVRFLW")))
    assert len(export.plates) == 2
    first, second = export.plates
    assert first.od.shape == (1, 16, 24) and first.wavelengths == (450,)
    assert (first.od == 0.5).all() and second.saturated.all()
    assert second.metadata["plate_number"] == "Plate 2"
    assert first.metadata["read_time"] == "2024-03-04T09:01:02"


# ---------------------------------------------------------------- property tests


def _real_texts() -> list[Path]:
    if not (SHARED / FOLDER).is_dir():
        return []
    return sorted(p for p in (SHARED / FOLDER).glob("*.txt"))


def _check_only_assay_errors(path: Path) -> None:
    read_all_ways(path, "gen5")


_mutation = st.tuples(
    st.sampled_from(KINDS), st.integers(0, 2**31 - 1), st.binary(min_size=1, max_size=12)
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(0, 10), _mutation)
def test_mutated_real_files_raise_only_assay_errors(tmp_path, which, mutation):
    files = _real_texts()
    if not files:
        pytest.skip("../shared/formats is absent")
    kind, seed, junk = mutation
    data = mutate(files[which % len(files)].read_bytes(), kind, random.Random(seed), [junk])
    path = tmp_path / "mutated.txt"
    path.write_bytes(data)
    _check_only_assay_errors(path)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=600), st.booleans())
def test_random_bytes_raise_only_assay_errors(tmp_path, data, with_header):
    if with_header:  # make the gen5 sniffer accept it, so that the reader itself is fed junk
        data = b"Software Version\t3.12.08\nPlate Number\tPlate 1\n" + data
    path = tmp_path / "random.txt"
    path.write_bytes(data)
    _check_only_assay_errors(path)


_XLSX_BOOKS: dict[str, Workbook] = {}


def _book(relative: str) -> Workbook:
    if relative not in _XLSX_BOOKS:
        path = shared(relative)
        _XLSX_BOOKS[relative] = load_workbook(path.read_bytes(), path)
    return _XLSX_BOOKS[relative]


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([EXPECTED[0][0], EXPECTED[5][0]]),
    st.sampled_from(["truncate", "delete_row", "junk_cell"]),
    st.integers(0, 2**31 - 1),
    st.one_of(st.text(max_size=8), st.floats(allow_nan=True), st.integers()),
)
def test_mutated_workbooks_raise_only_plate_errors(relative, kind, seed, junk):
    book = _book(relative)
    name, rows = next(iter(book.sheets.items()))
    action = {"truncate": "cut", "junk_cell": "set_cell"}.get(kind, kind)
    rows = mutate_rows(rows, action, random.Random(seed), [junk])
    mutated = with_rows(Workbook({}), name, rows)
    read_workbook_only(gen5, mutated, Path("mutated.xlsx"), allowed=PlateError)


# ---------------------------------------------------------------- the project's own exports


def _exports() -> list[Path]:
    return sorted(p for p in EXPORTS.glob("*") if p.suffix in (".txt", ".xlsx"))


def test_generated_exports_exist():
    names = {p.name for p in _exports()}
    assert {
        "fkn_clean.txt",
        "fkn_clean.xlsx",
        "tracp5b_saturated.txt",
        "tracp5b_saturated.xlsx",
    } <= names


@pytest.mark.parametrize("export", _exports(), ids=lambda p: p.name)
def test_generated_export_reads_like_the_grid(export):
    plate_name = export.stem
    grid = read_export(PLATES / f"{plate_name}.csv").plates[0]
    assert sniff_format(export.read_bytes(), export) == "gen5"
    (plate,) = read_export(export).plates
    assert plate.wavelengths == (450,)
    np.testing.assert_array_equal(plate.od, grid.od)
    np.testing.assert_array_equal(plate.saturated, grid.saturated)
    assert plate.metadata["read_time"] == "2024-03-04T10:15:42"


@pytest.mark.parametrize("export", _exports(), ids=lambda p: p.name)
def test_generated_export_gives_the_grid_concentrations(export):
    import elisa

    layout = PLATES / f"{export.stem}.toml"
    ours = elisa.process(str(export), layout=str(layout))
    ref = elisa.process(str(PLATES / f"{export.stem}.csv"), layout=str(layout))
    assert list(ours.samples["sample_id"]) == list(ref.samples["sample_id"])
    np.testing.assert_allclose(
        ours.samples["conc"].to_numpy(dtype=float),
        ref.samples["conc"].to_numpy(dtype=float),
        rtol=1e-9,
    )
    assert list(ours.runs["verdict"]) == list(ref.runs["verdict"])


def test_saturated_fixture_wells():
    path = EXPORTS / "tracp5b_saturated.txt"
    (plate,) = read_export(path).plates
    # "A\tOVRFLW\tOVRFLW\t0.5672..."
    assert plate.saturated[0, 0, 0] and plate.saturated[0, 0, 1]
    assert plate.saturated.sum() == 2


# ---------------------------------------------------------------- the carried layout in the CLI


def test_inspect_writes_the_carried_layout_and_run_uses_it(run_cli, tmp_path):
    path = shared(EXPECTED[3][0])
    result = run_cli(["inspect", str(path), "--layout-toml", str(tmp_path / "out.toml")])
    assert result.code == 0, result.err
    assert "format: gen5" in result.out
    assert "21 standard" in result.out and "3 blank" in result.out
    text = (tmp_path / "out.toml").read_text(encoding="utf-8")
    assert "[well.A1]" in text and "conc = 1000.0" in text
    run = run_cli(
        [
            "run",
            str(path),
            "--layout-from-export",
            "--analyte",
            "FKN",
            "--no-db",
            "--out",
            str(tmp_path / "results"),
        ],
        cwd=tmp_path,
    )
    assert run.code in (0, 1), run.err  # whether the linear mock curve passes is not ours
    assert "Traceback" not in run.err
    edited = run_cli(
        [
            "run",
            str(path),
            "--layout",
            str(tmp_path / "out.toml"),
            "--analyte",
            "FKN",
            "--no-db",
            "--out",
            str(tmp_path / "results2"),
        ],
        cwd=tmp_path,
    )
    assert edited.code in (0, 1), edited.err
