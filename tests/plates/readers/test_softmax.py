"""The `softmax` reader (SoftMax Pro text exports) on the real files of ../shared/formats, on the
project's own export fixtures, and on mangled input."""

from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plates.errors import PlateError
from plates.layout.loader import carried_layout
from plates.readers import read_export, sniff_format
from plates.textio import decode_text
from tests.plates.readers.mutations import (
    MUTATIONS,
    PLATES,
    REPO,
    SHARED,
    mutate,
    other_files,
    read_bytes_all_ways,
    read_row,
    shared,
)

FOLDER = "molecular_devices_softmax_pro"
FIXTURES = REPO / "fixtures" / "exports" / "softmax"

#: (file under ../shared/formats, format, plates, wells per plate, wavelengths, refused because)
EXPECTED = [
    (f"{FOLDER}/ELISAtools__Assay_2.txt", "softmax", 1, 96, (450, 620), None),
    (
        f"{FOLDER}/allotropy__MD_SMP_absorbance_endpoint_example01.txt",
        "softmax",
        2,
        96,
        (450,),
        None,
    ),
    (f"{FOLDER}/allotropy__group_with_partial_rows.txt", "softmax", 1, 96, (450, 650), None),
    # two exports concatenated, both plates named Plate1: told apart by position
    (f"{FOLDER}/ELISAtools__Assay_3_and_4.txt", "softmax", 2, 96, (450, 620), None),
    (f"{FOLDER}/ELISAtools__Assay_11_and_12.txt", "softmax", 2, 96, (450, 620), None),
    (
        f"{FOLDER}/allotropy__softmaxpro_example_group_with_missing_calc_column.txt",
        "softmax",
        1,
        96,
        (450, 650),
        None,
    ),
]


def fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*.txt"))


def well(plate, name: str, wave: int) -> float:
    r, c = "ABCDEFGHIJKLMNOP".index(name[0]), int(name[1:]) - 1
    return float(plate.od[plate.wavelengths.index(wave), r, c])


def derived(plate, key: str, name: str) -> float:
    r, c = "ABCDEFGHIJKLMNOP".index(name[0]), int(name[1:]) - 1
    return float(plate.derived[key][r, c])


# ---------------------------------------------------------------- the table


@pytest.mark.parametrize("row", EXPECTED, ids=[r[0].split("/")[-1] for r in EXPECTED])
def test_expected_table(row):
    export = read_row(row)
    for plate in export.plates if export else ():
        assert plate.wavelengths == row[4]
        assert plate.metadata["read_mode"] == "absorbance"
        assert plate.metadata["software"] == "SoftMax Pro"
        assert plate.metadata["plate_name"] == plate.name
        # raw reads only: every read well is a number, never a vendor value
        assert np.isfinite(plate.od).sum() + plate.saturated.sum() > 0


@pytest.mark.parametrize("row", EXPECTED, ids=[r[0].split("/")[-1] for r in EXPECTED])
def test_sniffing_picks_softmax(row):
    path = shared(row[0])
    assert sniff_format(path.read_bytes(), path) == "softmax"


def test_sniffing_claims_no_other_folder():
    from plates.readers.softmax import reader as softmax

    others = other_files(FOLDER, (".txt", ".csv", ".tsv", ".asc"))
    assert others
    for path in others:
        try:
            text = decode_text(path.read_bytes()).text
        except ValueError:
            continue
        assert not softmax.sniff(text), path


# ---------------------------------------------------------------- values read by eye


@pytest.mark.parametrize(
    "name, a1, derived_b4, second_line",
    [
        # line 4 "\t25.1\t2.1847", line 135 "\t25.2\t2.1588"; Unk_Dilution B4 Result
        # 29.163 (line 52) and 50.722 (line 183); the second Plate: header on line 133
        ("ELISAtools__Assay_3_and_4.txt", (2.1847, 2.1588), (29.163, 50.722), 133),
        # line 4 "\t23.1\t1.9205", line 175 "\t23.4\t2.0766"; B4 Result "Range?" (line 92)
        # and 30.458 (line 266); the second Plate: header on line 173
        ("ELISAtools__Assay_11_and_12.txt", (1.9205, 2.0766), (None, 30.458), 173),
    ],
)
def test_concatenated_exports_are_told_apart_by_position(name, a1, derived_b4, second_line):
    plates = read_export(shared(f"{FOLDER}/{name}")).plates
    assert [p.name for p in plates] == ["Plate1_p1", "Plate1_p2"]
    for plate, od, result in zip(plates, a1, derived_b4):
        assert well(plate, "A1", 450) == od
        assert plate.metadata["plate_name_in_file"] == "Plate1"
        warning = plate.metadata["warning"]
        assert "'Plate1'" in warning and f"lines 2, {second_line}" in warning
        # each plate's groups are the ones after its own Plate: block
        value = derived(plate, "Unk_Dilution: Result", "B4")
        assert np.isnan(value) if result is None else value == result
        assert plate.layout["B4"]["sample"] == "P1" and plate.layout["B4"]["dilution"] == 10


def test_a_sample_row_without_wells_is_left_out_with_a_note():
    # Assay_11_and_12 line 308: "P15" with no wells, the Group Column table right after it
    plate = read_export(shared(f"{FOLDER}/ELISAtools__Assay_11_and_12.txt")).plates[1]
    assert "sample 'P15' has no wells" in plate.metadata["layout_note"]
    assert all(f.get("sample") != "P15" for f in plate.layout.values())


def test_a_group_naming_another_plate_section_is_refused(tmp_path):
    # with duplicate plate names, a group's WellPlateName must name the section it follows
    text = shared(f"{FOLDER}/ELISAtools__Assay_3_and_4.txt").read_bytes().decode("latin-1")
    lines = text.split("\n")
    assert lines[50].startswith("Sample\tWells")
    lines[50] = lines[50].replace("Sample\tWells", "Sample\tWellPlateName\tWells", 1)
    k = 51
    while lines[k].strip():  # the rows, up to the blank line before the Group Column table
        first, rest = lines[k].split("\t", 1)
        lines[k] = f"{first}\tPlate9\t{rest}"
        k += 1
    path = tmp_path / "two.txt"
    path.write_bytes("\n".join(lines).encode("latin-1"))
    with pytest.raises(PlateError, match="line 52: group 'Unk_Dilution': WellPlateName 'Plate9'"):
        read_export(path)


def test_elisatools_assay_2_values_and_metadata():
    plate = read_export(shared(f"{FOLDER}/ELISAtools__Assay_2.txt")).plates[0]
    # line 4, the 450 nm line: "\t24.6\t2.2416\t2.6971..." -> A1 2.2416, A2 2.6971
    assert well(plate, "A1", 450) == 2.2416
    assert well(plate, "A2", 450) == 2.6971
    # line 4, field 16 (B1): "1.414"; last field (H12): "0.0603"
    assert well(plate, "B1", 450) == 1.414
    assert well(plate, "H12", 450) == 0.0603
    # line 6, the 620 nm line: "\t24.6\t0.0372\t0.0363..." ... last "0.0343"
    assert well(plate, "A1", 620) == 0.0372
    assert well(plate, "H12", 620) == 0.0343
    assert not plate.saturated.any()
    meta = plate.metadata
    assert plate.name == "Plate1"
    assert meta["export_format"] == "TimeFormat"
    assert meta["read_type"] == "endpoint"
    assert meta["temperature_c"] == "24.6"
    # last line: "Original Filename: assay 2; Date Last Saved: 10/4/2017 2:05:49 PM"
    assert meta["original_filename"] == "assay 2"
    assert meta["date_last_saved"] == "2017-10-04T14:05:49"
    assert meta["conc_unit"] == "pg/mL"  # "Concentration pg/mL"


def test_elisatools_assay_2_groups():
    plate = read_export(shared(f"{FOLDER}/ELISAtools__Assay_2.txt")).plates[0]
    lay = plate.layout
    # "1\t3000\t2595.358\tA1\t2.204..." -> standard 3000 pg/mL; A2/A3 continue the set
    assert dict(lay["A1"]) == {"role": "standard", "conc": 3000.0}
    assert dict(lay["A3"]) == {"role": "standard", "conc": 3000.0}
    # "3\t750\tMasked\tC1\tMasked..." -> masked standard
    assert dict(lay["C1"]) == {"role": "standard", "conc": 750.0, "mask": "masked in SoftMax Pro"}
    # " \t \tMasked\tG2\tMasked" (standard 7, 46.875)
    assert lay["G2"]["mask"] == "masked in SoftMax Pro" and lay["G2"]["conc"] == 46.875
    # "8\t0\t3.978\tH1..." and " \t \tRange?\tH3..." (Range? is not a mask)
    assert dict(lay["H3"]) == {"role": "standard", "conc": 0.0}
    # Unk_Dilution: "P1\tB4\t0.046\t\t21.479\t...\t10\t195.78"; " \tB6\tMasked\tR\tMasked"
    assert dict(lay["B4"]) == {"role": "sample", "sample": "P1", "dilution": 10.0}
    assert dict(lay["B6"]) == {
        "role": "sample",
        "sample": "P1",
        "dilution": 10.0,
        "mask": "masked in SoftMax Pro",
    }
    # "P12\tC11\t..." then " \tD10" " \tD11": a set need not be contiguous on the plate
    assert lay["D11"]["sample"] == "P12"
    # Control group, sample "1" in F11, G10, G11
    assert dict(lay["G10"]) == {"role": "control", "sample": "Control 1"}
    assert len(lay) == 24 + 45 + 3
    # vendor results are derived grids, never raw data
    assert derived(plate, "Standards: BackCalcConc", "A1") == 2595.358
    assert derived(plate, "Standards: BackCalcConc", "A2") == 3474.07
    assert math.isnan(derived(plate, "Standards: BackCalcConc", "C1"))  # Masked
    assert math.isnan(derived(plate, "Standards: BackCalcConc", "H3"))  # Range?
    assert derived(plate, "Unk_Dilution: Result", "B5") == 17.677
    assert derived(plate, "Control: Results", "G11") == 814.846
    # the layout is a valid DESIGN 3.2 layout
    layout = carried_layout(plate.layout, "x.txt", plate.n_rows, plate.n_cols)
    assert (layout.wells["mask"].notna()).sum() == 8


def test_smp7_two_plates_with_reduced_grids():
    export = read_export(shared(f"{FOLDER}/allotropy__MD_SMP_absorbance_endpoint_example01.txt"))
    assert export.metadata["encoding"] == "utf-16"
    p1, p2 = export.plates
    assert (p1.name, p2.name) == ("Plate01", "Plate02")
    # line 4: "\tNaN\t3.41797666666667\t3.33701666666667..."
    assert well(p1, "A1", 450) == 3.41797666666667
    assert well(p1, "A2", 450) == 3.33701666666667
    # line 11: "\t\t7.66666666666667E-05\t-0.000243333333333333..."
    assert well(p1, "H1", 450) == 7.66666666666667e-05
    assert well(p1, "H2", 450) == -0.000243333333333333
    # line 25 (Plate02): "\tNaN\t3.43082333333333\t3.46651333333333\t3.41385333333333\t"
    # "0.698856627333333..." -> A4
    assert well(p2, "A4", 450) == 0.698856627333333
    # line 32: "...\t1.74462814033333\t1.76479551933333\t1.79018796133333\t\t" -> H12
    assert well(p2, "H12", 450) == 1.79018796133333
    assert "temperature_c" not in p1.metadata  # "NaN"
    # line 14, the reduced grid: "\t\t3.4179766666666667..." kept as derived only
    assert derived(p1, "reduced", "A1") == 3.4179766666666667
    # groups carry WellPlateName: each plate gets its own wells and results
    assert dict(p2.layout["A4"]) == {"role": "sample", "sample": "01"}
    assert dict(p1.layout["G3"]) == {"role": "standard", "conc": 5.0}
    assert derived(p1, "UnknownsNoDiln: Conc", "A4") == 254.952
    assert derived(p2, "UnknownsNoDiln: Conc", "A4") == 117.773
    assert derived(p2, "Standards: BackCalcConc", "A1") == 315.800
    assert "H1" not in p1.layout  # H1..H3 are in no group


def test_partial_rows_timeformat_with_note():
    plate = read_export(shared(f"{FOLDER}/allotropy__group_with_partial_rows.txt")).plates[0]
    assert plate.name == "Plate 1"
    # line 16: "\tNaN\t0.1003\t0.1138\t3.5028\t3.4409..."
    assert well(plate, "A1", 450) == 0.1003
    assert well(plate, "A3", 450) == 3.5028
    # line 18: "\tNaN\t0.0338\t0.0322..."
    assert well(plate, "A1", 650) == 0.0338
    # line 21 (reduced): "\t\t0.0665\t0.0816\t3.4631000000000003..."
    assert derived(plate, "reduced", "A3") == 3.4631000000000003
    assert "Residual HEK293-HCP" in plate.metadata["note"]
    lay = plate.layout
    # "STD A\t0.000\tA1..." and "STD F\t200.000\tF1..."
    assert dict(lay["A1"]) == {"role": "standard", "conc": 0.0}
    assert dict(lay["F2"]) == {"role": "standard", "conc": 200.0}
    # "CTRL\tG1\t40.000\t0.639..." in group "Positive control 1"
    assert dict(lay["G1"]) == {"role": "control", "sample": "CTRL", "conc": 40.0}
    # "Sample 1 100x\tSample 1\tB3\t100.000..." -> sample id from the Sample column
    assert dict(lay["B4"]) == {"role": "sample", "sample": "Sample 1", "dilution": 100.0}
    # "Sample 12 250x\tSample 12\tD11\t250.000..."
    assert dict(lay["D12"]) == {"role": "sample", "sample": "Sample 12", "dilution": 250.0}
    assert derived(plate, "Unknowns: Result", "B3") == 42.783


def test_missing_calc_column_plateformat_side_by_side():
    plate = read_export(
        shared(f"{FOLDER}/allotropy__softmaxpro_example_group_with_missing_calc_column.txt")
    ).plates[0]
    # line 4: "\t21.8\t0.4011\t0.3884...\t0.1141\t\t0.0394\t0.0413..."
    assert well(plate, "A1", 450) == 0.4011
    assert well(plate, "A12", 450) == 0.1141
    assert well(plate, "A1", 650) == 0.0394
    # line 11: "\t\t0.1478\t...\t0.1104\t\t0.0437...\t0.0369\t\t"
    assert well(plate, "H1", 450) == 0.1478
    assert well(plate, "H12", 450) == 0.1104
    assert well(plate, "H12", 650) == 0.0369
    assert plate.metadata["temperature_c"] == "21.8"
    assert plate.metadata["conc_unit"] == "ng/mL"  # "Standard Value ng/mL"
    lay = plate.layout
    assert dict(lay["F1"]) == {"role": "standard", "conc": 0.0}
    # Controls: "01\tG1\t150.000\t0.214..." (DilutionFactor = !SampleDescriptor)
    assert dict(lay["G2"]) == {"role": "control", "sample": "Controls 01", "dilution": 150.0}
    # Samples: "05\tE3\t0.116\t0.567...\t100.000" / " \tE4\t0.113\tRange?"
    assert dict(lay["E4"]) == {"role": "sample", "sample": "05", "dilution": 100.0}
    assert math.isnan(derived(plate, "Samples: Conc", "E4"))
    assert derived(plate, "Samples: Conc", "E3") == 0.567


# ---------------------------------------------------------------- refusals and variants


def _elisatools_text() -> str:
    return decode_text(shared(f"{FOLDER}/ELISAtools__Assay_2.txt").read_bytes()).text


def _write(tmp_path: Path, text: str, encoding: str = "cp1252", name: str = "x.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return path


def _header_fields(text: str) -> list[str]:
    return text.split("\n")[1].split("\t")


def _with_header(text: str, fields: list[str]) -> str:
    lines = text.split("\n")
    lines[1] = "\t".join(fields)
    return "\n".join(lines)


def test_kinetic_read_is_refused(tmp_path):
    text = _elisatools_text()
    f = _header_fields(text)
    f[4], f[8] = "Kinetic", "31"
    with pytest.raises(
        PlateError,
        match=r"kinetic read with 31 reads.*endpoint ELISA needs one"
        r" read per wavelength",
    ) as err:
        read_export(_write(tmp_path, _with_header(text, f)))
    assert "line 2" in str(err.value) and "SoftMax Pro" in str(err.value)


@pytest.mark.parametrize("kind", ["Spectrum", "Well Scan"])
def test_spectrum_and_well_scan_are_refused(tmp_path, kind):
    text = _elisatools_text()
    f = _header_fields(text)
    f[4] = kind
    with pytest.raises(PlateError, match=f"{kind.lower()} read"):
        read_export(_write(tmp_path, _with_header(text, f)))


def test_reduced_only_export_is_refused(tmp_path):
    text = _elisatools_text()
    f = _header_fields(text)
    f[6] = "Reduced"
    with pytest.raises(PlateError, match="reduced data only"):
        read_export(_write(tmp_path, _with_header(text, f)))


def test_fluorescence_endpoint_reads_with_read_mode(tmp_path):
    text = _elisatools_text()
    f = _header_fields(text)
    f[5:6] = ["Fluorescence", "FALSE"]  # fluorescence inserts a field after the mode
    plate = read_export(_write(tmp_path, _with_header(text, f))).plates[0]
    assert plate.metadata["read_mode"] == "fluorescence"
    assert plate.wavelengths == (450, 620)
    assert well(plate, "A1", 450) == 2.2416


def test_utf8_and_utf16_give_the_same_plate(tmp_path):
    text = _elisatools_text()
    plates = [
        read_export(_write(tmp_path, text, enc, f"{i}.txt")).plates[0]
        for i, enc in enumerate(("cp1252", "utf-8", "utf-16"))
    ]
    for plate in plates[1:]:
        assert np.array_equal(plate.od, plates[0].od)
        assert dict(plate.layout) == dict(plates[0].layout)


@pytest.mark.parametrize("marker", ["#SAT", "#Sat", "OVRFLW", "Over", "*****", "> Max"])
def test_saturated_markers_become_saturated_wells(tmp_path, marker):
    text = _elisatools_text().replace("\t24.6\t2.2416\t2.6971\t", f"\t24.6\t{marker}\t2.6971\t", 1)
    plate = read_export(_write(tmp_path, text)).plates[0]
    assert plate.saturated[0, 0, 0] and math.isnan(plate.od[0, 0, 0])
    assert not plate.saturated[1, 0, 0] and plate.od[1, 0, 0] == 0.0372
    assert plate.saturated.sum() == 1


def test_384_well_plateformat(tmp_path):
    rng = np.random.default_rng(3)
    values = np.round(rng.uniform(0.05, 3.0, (16, 24)), 4)
    lines = [
        "##BLOCKS= 1",
        "\t".join(
            [
                "Plate:",
                "P384",
                "1.3",
                "PlateFormat",
                "Endpoint",
                "Absorbance",
                "Raw",
                "FALSE",
                "1",
                "",
                "",
                "",
                "",
                "",
                "1",
                "450 ",
                "1",
                "24",
                "384",
                "1",
                "16",
                "",
                "",
            ]
        ),
        "\t".join(["", "Temperature(\u00a1C)", *[str(c) for c in range(1, 25)], "", ""]),
    ]
    for r in range(16):
        lines.append("\t".join(["", "23.1" if r == 0 else "", *map(str, values[r]), "", ""]))
    lines += ["", "~End", "Original Filename: p384; Date Last Saved: 1/2/2024 9:00:00 AM"]
    plate = read_export(_write(tmp_path, "\n".join(lines), "utf-16")).plates[0]
    assert plate.od.shape == (1, 16, 24)
    assert np.array_equal(plate.od[0], values)


# ---------------------------------------------------------------- mangled files


def test_truncated_file(tmp_path):
    text = _elisatools_text()
    cut = text[: text.index("Group: Unk_Dilution") + 200]
    with pytest.raises(
        PlateError,
        match=r"line \d+: the file ends inside block 3 of 4.*"
        "truncated",
    ):
        read_export(_write(tmp_path, cut))


def test_value_line_cut_short(tmp_path):
    text = _elisatools_text()
    lines = text.split("\n")
    lines[3] = "\t".join(lines[3].split("\t")[:50])
    with pytest.raises(PlateError, match=r"line 4: .*the line ends after 48 values, expected 96"):
        read_export(_write(tmp_path, "\n".join(lines)))


def test_missing_row_in_plateformat(tmp_path):
    path = shared(f"{FOLDER}/allotropy__softmaxpro_example_group_with_missing_calc_column.txt")
    lines = decode_text(path.read_bytes()).text.split("\n")
    del lines[7]  # the row of plate row E
    with pytest.raises(
        PlateError,
        match=r"line 11: plate 'Plate01': the grid ends after 7 rows,"
        " expected 8",
    ):
        read_export(_write(tmp_path, "\n".join(lines), "utf-8"))


def test_value_beyond_the_plate_width(tmp_path):
    path = shared(f"{FOLDER}/allotropy__softmaxpro_example_group_with_missing_calc_column.txt")
    lines = decode_text(path.read_bytes()).text.split("\n")
    lines[5] = lines[5].rstrip("\t") + "\t\t0.123"
    with pytest.raises(
        PlateError,
        match=r"line 6: a value beyond the plate's 12 columns, found"
        " '0.123'",
    ):
        read_export(_write(tmp_path, "\n".join(lines), "utf-8"))


def test_text_where_an_od_must_be(tmp_path):
    text = _elisatools_text().replace("\t0.0372\t0.0363\t", "\tabc\t0.0363\t", 1)
    with pytest.raises(PlateError, match=r"line 6, well A1: expected an OD value.*found 'abc'"):
        read_export(_write(tmp_path, text))


def test_missing_blocks_line(tmp_path):
    text = _elisatools_text()
    path = _write(tmp_path, text.split("\n", 1)[1])
    assert sniff_format(path.read_bytes(), path) == "softmax"  # by its Plate: header
    with pytest.raises(PlateError, match="expected '##BLOCKS= N' on the first line"):
        read_export(path)


def test_missing_end_line(tmp_path):
    lines = _elisatools_text().split("\n")
    assert lines[7].startswith("~End")
    del lines[7]
    with pytest.raises(
        PlateError,
        match=r"line 8: a new block starts inside block 1 \(Plate,"
        r" from line 2\): expected a line '~End' before it",
    ):
        read_export(_write(tmp_path, "\n".join(lines)))


# ---------------------------------------------------------------- property tests


def _real_files() -> list[bytes]:
    if not SHARED.is_dir():
        return []
    return [p.read_bytes() for p in sorted((SHARED / FOLDER).glob("*.txt"))]


def _check(data: bytes) -> None:
    read_bytes_all_ways(data, ".txt", "softmax")


_JUNK = [
    b"junk",
    b"\t\t1\t2",
    b"~End\r\n",
    b"\x00\x01",
    b"Masked",
    b"\r\nPlate:\tx\r\n",
    b"#SAT",
    b"\xff\xfe",
]


@st.composite
def mutated(draw):
    data = draw(st.sampled_from(_real_files() or [b"##BLOCKS= 1\r\n"]))
    kind, seed = draw(MUTATIONS)
    return mutate(data, kind, random.Random(seed), _JUNK)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_real_files_raise_only_assay_errors(data):
    if not SHARED.is_dir():
        pytest.skip("../shared/formats is not present")
    _check(data)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_raise_only_assay_errors(data):
    _check(b"##BLOCKS= 2\r\n" + data)
    _check(data)


# ---------------------------------------------------------------- the project's export fixtures


def test_fixtures_exist_and_sniff():
    files = fixture_files()
    assert {p.name for p in files} == {
        f"{n}_{v}.txt"
        for n in ("fkn_clean", "tracp5b_saturated")
        for v in ("plateformat", "timeformat")
    }
    for path in files:
        assert sniff_format(path.read_bytes(), path) == "softmax"


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.name)
def test_fixture_reads_as_the_grid_plate(path):
    plate_name = path.stem.rsplit("_", 1)[0]
    grid = read_export(PLATES / f"{plate_name}.csv").plates[0]
    plate = read_export(path).plates[0]
    assert plate.name == plate_name
    assert np.array_equal(plate.od, grid.od, equal_nan=True)
    assert np.array_equal(plate.saturated, grid.saturated)


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.name)
def test_fixture_gives_the_grid_concentrations(path):
    from elisa import process

    plate_name = path.stem.rsplit("_", 1)[0]
    layout = PLATES / f"{plate_name}.toml"
    ours = process(path, layout=layout)
    grid = process(PLATES / f"{plate_name}.csv", layout=layout)
    assert list(ours.samples["sample_id"]) == list(grid.samples["sample_id"])
    for a, b in zip(ours.samples["conc"], grid.samples["conc"]):
        if b is None or (isinstance(b, float) and math.isnan(b)):
            assert a is None or (isinstance(a, float) and math.isnan(a))
        else:
            assert a == pytest.approx(b, rel=1e-9)
    assert list(ours.runs["verdict"]) == list(grid.runs["verdict"])
