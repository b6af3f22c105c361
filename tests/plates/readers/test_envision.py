"""The ``envision`` reader (Revvity / PerkinElmer EnVision, EnSpire, Kaleido, VICTOR Nivo and X3)
on the real exports of ../shared/formats/perkinelmer_revvity and on the project's own fixtures
(fixtures/exports/envision, written by fixtures/export_writers/envision.py)."""

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
from tests.plates.readers.mutations import (
    KINDS,
    PLATES,
    REPO,
    SHARED,
    mutate,
    other_files,
    read_bytes_all_ways,
    shared,
)

EXPORTS = REPO / "fixtures" / "exports" / "envision"

# (path under ../shared/formats, format, plates, wells per plate, wavelengths, refused because)
# ``wavelengths`` are those of the first plate; other plates of the file may only add reads
# without a wavelength (the luminescence plate 2 of the EnVision absorbance example).
EXPECTED = [
    (
        "perkinelmer_revvity/allotropy__PE_Envision_absorbance_example01.csv",
        "envision",
        2,
        384,
        (562,),
        None,
    ),
    (
        "perkinelmer_revvity/allotropy__PE_Envision_fluorescence_example01_original.csv",
        "envision",
        1,
        96,
        (665, 620),
        None,
    ),
    ("perkinelmer_revvity/ensparser__raw_plate_data_enspire.csv", "envision", 1, 384, (590,), None),
    (
        "perkinelmer_revvity/allotropy__kaleido_absorbance_endpoint_single_plate_example_01.csv",
        "envision",
        1,
        96,
        (450,),
        None,
    ),
    (
        "perkinelmer_revvity/QurvE__parse_nivo_output.csv",
        "envision",
        1,
        96,
        (600,),
        "kinetic read with 17 cycles",
    ),
    (
        "perkinelmer_revvity/QurvE__parse_victorx3.txt",
        "envision",
        1,
        96,
        (600,),
        "kinetic read with 17 repeats",
    ),
]

READ_MODES = {
    "allotropy__PE_Envision_absorbance_example01.csv": ("absorbance", "luminescence"),
    "allotropy__PE_Envision_fluorescence_example01_original.csv": ("fluorescence",),
    "ensparser__raw_plate_data_enspire.csv": ("fluorescence",),
    "allotropy__kaleido_absorbance_endpoint_single_plate_example_01.csv": ("absorbance",),
}


def fixtures() -> list[Path]:
    return sorted(EXPORTS.glob("*.csv"))


# ------------------------------------------------------------------------------ the table


def test_expected_lists_every_file_of_the_folder():
    folder = shared(EXPECTED[0][0]).parent
    listed = {row[0].split("/", 1)[1] for row in EXPECTED}
    assert {p.name for p in folder.iterdir() if p.is_file()} == listed


@pytest.mark.parametrize(
    "rel, fmt, n_plates, wells, waves, refused",
    EXPECTED,
    ids=[r[0].split("/")[-1] for r in EXPECTED],
)
def test_real_file_reads_to_its_row(rel, fmt, n_plates, wells, waves, refused):
    path = shared(rel)
    if refused:
        with pytest.raises(PlateError) as info:
            read_export(path)
        assert refused in str(info.value)
        assert "envision" in str(info.value) and path.name in str(info.value)
        return
    export = read_export(path)
    assert export.format == fmt
    assert len(export.plates) == n_plates
    for k, plate in enumerate(export.plates):
        assert plate.n_rows * plate.n_cols == wells
        assert plate.od.shape[0] == len(plate.wavelengths)
        if k == 0:
            assert plate.wavelengths == waves
        assert plate.metadata["read_mode"] == READ_MODES[path.name][k]
        assert not plate.saturated.any()
        for grid in plate.derived.values():
            assert grid.shape == (plate.n_rows, plate.n_cols)


@pytest.mark.parametrize(
    "rel", [r[0] for r in EXPECTED], ids=[r[0].split("/")[-1] for r in EXPECTED]
)
def test_sniffing_picks_envision(rel):
    path = shared(rel)
    assert sniff_format(path.read_bytes(), path) == "envision"


def test_sniffer_leaves_other_folders_alone():
    from plates.readers.envision import reader as envision
    from plates.textio import NotTextError, decode_text

    others = other_files("perkinelmer_revvity", (".csv", ".txt", ".tsv"))
    assert others
    for path in others:
        try:
            text = decode_text(path.read_bytes()).text
        except NotTextError:
            continue
        assert not envision.sniff(text), path


# --------------------------------------------------------------- wells read by eye


def test_envision_absorbance_384_plate_format():
    export = read_export(shared(EXPECTED[0][0]))
    one, two = export.plates
    # line 9, the first line of the header-less 16x24 grid: "2.6300,2.7130,...,2.7270,"
    assert one.od[0, 0, 0] == 2.6300 and one.od[0, 0, 1] == 2.7130 and one.od[0, 0, 23] == 2.7270
    # line 24 (row P): "2.9210,2.8860,...,2.6650,2.6390,"
    assert one.od[0, 15, 0] == 2.9210 and one.od[0, 15, 23] == 2.6390
    assert one.name == "8/22/2023 10:50:28 AM"  # "=""8/22/2023 10:50:28 AM"""
    meta = one.metadata
    assert meta["instrument"] == "EnVision" and meta["software_version"] == "1.14.3049.1193"
    assert meta["instrument_serial"] == "1051017"  # Serial#: ,,,,="1051017"
    assert meta["read_time"] == "2023-08-22T10:57:03"
    assert meta["protocol"] == "DL Test Alpha" and meta["barcode"] == one.name
    # plate 2: the measured 'Screen 384 OptiPlate' grid, "8,8,4,4,...", and the calculated
    # Crosstalk grid kept as derived: its row B, "4.0000,8.0000,4.0000,4.0000,4.0000,4.0000,
    # 8.0000,12.000,..."
    assert two.wavelengths == (None,)
    assert two.od[0, 0, 0] == 8 and two.od[0, 0, 14] == 0 and two.od[0, 1, 7] == 12
    assert two.derived["Calc 1: Crosstalk"][1, 7] == 12.0


def test_envision_fluorescence_plate2_format():
    (plate,) = read_export(shared(EXPECTED[1][0])).plates
    # "A,31441,31278,31727,,32350,..." (channel 1) and "A,80368,79711,..." (channel 2)
    assert plate.od[0, 0, 0] == 31441 and math.isnan(plate.od[0, 0, 3])
    assert plate.od[0, 7, 6] == 3339  # "H,3266,3354,3252,,3405,3342,3339,,,,,,"
    assert plate.od[1, 0, 0] == 80368 and plate.od[1, 7, 0] == 81011
    assert np.isnan(plate.od[:, :, 7:]).all()  # empty columns 8-12
    # "A,3912.12920565,..." in 'Calculated results: Calc 1: General = (X / Y) * Z ...'
    assert plate.derived["Calc 1: General"][0, 0] == 3912.12920565
    assert plate.name is None  # "=""""": no barcode


def test_enspire_plate4_format():
    (plate,) = read_export(shared(EXPECTED[2][0])).plates
    # 'Results for Meas A -  (RFU)': "A,12346,11515,...", "B,12927,141259,...", "P,...,13411,"
    assert plate.od[0, 0, 0] == 12346 and plate.od[0, 1, 1] == 141259
    assert plate.od[0, 15, 23] == 13411
    assert set(plate.derived) == {"Calc 1: Sum", "Calc 2: Avg", "Signal for Meas A"}
    meta = plate.metadata
    assert meta["instrument"] == "EnSpire" and meta["software_version"] == "2.00"
    assert meta["read_time"] == "2011-07-03T13:41:34"  # "3/07/2011 1:41:34 p.m." (d/mm/yyyy)


def test_kaleido():
    (plate,) = read_export(shared(EXPECTED[3][0])).plates
    # "A,2.2075694995298862,...,0.049993264081777893,2.4485544663521188"
    assert plate.od[0, 0, 0] == 2.2075694995298862
    assert plate.od[0, 0, 10] == 0.049993264081777893
    # "H,...,0.0552248256137551,0.043160960819347817"
    assert plate.od[0, 7, 11] == 0.043160960819347817
    meta = plate.metadata
    assert plate.name == "V-2020-10-26 16:16:17"  # "Barcode:\u00a0V-2020-10-26 16:16:17,"
    assert meta["software"] == "Kaleido" and meta["software_version"] == "2.0.3058.126"
    assert meta["read_time"] == "2020-10-26T16:16:18-04:00"
    assert meta["instrument_serial"] == "1234567" and meta["protocol"] == "bar"


# ------------------------------------------------------------------------ saturation


def test_enspire_saturated_grid_marks_wells(tmp_path):
    text = shared(EXPECTED[2][0]).read_text()
    head, sat, rest = text.partition("Saturated for Meas A")
    rest = rest.replace("\nB,-,", "\nB,SAT,", 1)
    path = tmp_path / "sat.csv"
    path.write_text(head + sat + rest)
    (plate,) = read_export(path).plates
    assert plate.saturated[0, 1, 0] and np.isnan(plate.od[0, 1, 0])
    assert plate.saturated.sum() == 1


@pytest.mark.parametrize("marker", ["OVRFLW", "SAT", "Overflow", "#SAT"])
def test_saturation_marker_in_result_grid(tmp_path, marker):
    text = (EXPORTS / "fkn_clean_enspire.csv").read_bytes().decode("ascii")
    lines = text.split("\r\n")
    k = next(i for i, line in enumerate(lines) if line.startswith("C,"))
    cells = lines[k].split(",")
    cells[5] = marker
    lines[k] = ",".join(cells)
    path = tmp_path / "marker.csv"
    path.write_bytes("\r\n".join(lines).encode())
    (plate,) = read_export(path).plates
    assert plate.saturated[0, 2, 4] and plate.saturated.sum() == 1


def test_fixture_saturated_wells():
    (plate,) = read_export(EXPORTS / "tracp5b_saturated_enspire.csv").plates
    (grid,) = read_export(PLATES / "tracp5b_saturated.csv").plates
    np.testing.assert_array_equal(plate.saturated, grid.saturated)
    assert plate.saturated[0, 0, 0] and plate.saturated[0, 0, 1]  # "A,4.0000,4.0000" + "SAT"


# ---------------------------------------------------------------------- mangled files


def _lines(name: str) -> list[str]:
    return (EXPORTS / name).read_bytes().decode("utf-8").split("\r\n")


def _write(tmp_path: Path, lines: list[str], name: str = "bad.csv") -> Path:
    path = tmp_path / name
    path.write_bytes("\r\n".join(lines).encode("utf-8"))
    return path


def test_truncated_grid(tmp_path):
    lines = _lines("fkn_clean_envision.csv")
    start = next(i for i, line in enumerate(lines) if line.startswith("Background"))
    path = _write(tmp_path, lines[: start + 7])  # the bare grid stops after 3 rows
    with pytest.raises(PlateError, match=r"line \d+: row D is missing: the file ends"):
        read_export(path)


def test_missing_row(tmp_path):
    lines = _lines("fkn_clean_enspire.csv")
    k = next(i for i, line in enumerate(lines) if line.startswith("C,"))
    with pytest.raises(PlateError, match=rf"line {k + 1}: row C is missing: found row D"):
        read_export(_write(tmp_path, lines[:k] + lines[k + 1 :]))


def test_missing_row_bare_grid(tmp_path):
    lines = _lines("fkn_clean_envision.csv")
    k = next(i for i, line in enumerate(lines) if line.startswith("Background")) + 4
    with pytest.raises(PlateError, match=r"row H is missing"):
        read_export(_write(tmp_path, lines[:k] + lines[k + 1 :]))


def test_value_beyond_plate_width(tmp_path):
    lines = _lines("fkn_clean_enspire.csv")
    k = next(i for i, line in enumerate(lines) if line.startswith("D,"))
    lines[k] += "0.123"
    with pytest.raises(
        PlateError,
        match=rf"line {k + 1}, column 14: a value beyond the plate's"
        " 12 columns",
    ):
        read_export(_write(tmp_path, lines))


def test_text_where_an_od_must_be(tmp_path):
    lines = _lines("fkn_clean_envision.csv")
    k = next(i for i, line in enumerate(lines) if line.startswith("Background")) + 5
    cells = lines[k].split(",")
    cells[2] = "abc"
    lines[k] = ",".join(cells)
    with pytest.raises(PlateError, match=rf"bad.csv: line {k + 1}, well B3: expected an OD"):
        read_export(_write(tmp_path, lines))


def test_semicolon_locale_with_decimal_commas(tmp_path):
    lines = _lines("fkn_clean_envision.csv")
    swapped = [
        line.replace(",", ";").replace(".", ",")
        if line[:1].isdigit() or line.startswith(("Plate", ",")) or not line
        else line.replace(",,,,", ";;;;")
        for line in lines
    ]
    path = _write(tmp_path, swapped)
    (plate,) = read_export(path).plates
    (original,) = read_export(EXPORTS / "fkn_clean_envision.csv").plates
    np.testing.assert_array_equal(plate.od, original.od)


def test_kinetic_repeats_refused(tmp_path):
    text = (EXPORTS / "fkn_clean_envision.csv").read_bytes().decode()
    start, end = text.index("Plate information"), text.index("\r\n\r\n\r\nBasic assay")
    block = text[start:end]
    second = block.replace("\r\n1,1,", "\r\n1,2,", 1)
    path = tmp_path / "kinetic.csv"
    path.write_bytes((text[:end] + "\r\n\r\n" + second + text[end:]).encode())
    with pytest.raises(PlateError, match="envision: kinetic read with 2 repeats"):
        read_export(path)


# ------------------------------------------------------------- the project's fixtures


@pytest.mark.parametrize("path", fixtures(), ids=[p.name for p in fixtures()])
def test_fixture_sniffed_and_read(path):
    assert sniff_format(path.read_bytes(), path) == "envision"
    export = read_export(path)
    (plate,) = export.plates
    (grid,) = read_export(PLATES / (path.stem.rsplit("_", 1)[0] + ".csv")).plates
    assert plate.wavelengths == (450,)
    assert plate.metadata["read_mode"] == "absorbance"
    np.testing.assert_array_equal(plate.od, grid.od)


@pytest.mark.parametrize("path", fixtures(), ids=[p.name for p in fixtures()])
def test_fixture_same_concentrations_as_grid(path):
    import elisa

    name = path.stem.rsplit("_", 1)[0]
    layout = PLATES / f"{name}.toml"
    ours = elisa.process(path, layout=layout)
    grid = elisa.process(PLATES / f"{name}.csv", layout=layout)
    a = ours.samples["conc"].astype(float).to_numpy()
    b = grid.samples["conc"].astype(float).to_numpy()
    np.testing.assert_allclose(a, b, rtol=1e-9, equal_nan=True)
    assert list(ours.runs["verdict"]) == list(grid.runs["verdict"])


def test_fixtures_exist():
    assert {p.name for p in fixtures()} >= {
        "fkn_clean_envision.csv",
        "fkn_clean_kaleido.csv",
        "fkn_clean_enspire.csv",
        "tracp5b_saturated_enspire.csv",
    }


# ------------------------------------------------------------------ property tests


def _sources() -> list[bytes]:
    found = [p.read_bytes() for p in fixtures()]
    if SHARED.is_dir():
        found += [(SHARED / r[0]).read_bytes() for r in EXPECTED if (SHARED / r[0]).is_file()]
    return found


SOURCES = _sources()


_JUNK = [
    b",abc,",
    b"\r\n",
    b"OVRFLW",
    b",,,,,,,,,,,,,,",
    b";",
    b"\t",
    b'"',
    b"Plate information \r\n",
    b"Results for x\r\n",
    b"A,1,2\r\n",
]


def _read_all_ways(data: bytes) -> None:
    read_bytes_all_ways(data, ".csv", "envision")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=st.integers(min_value=0),
    kind=st.sampled_from(KINDS),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_mutated_files_raise_only_assay_errors(source, kind, seed):
    if not SOURCES:
        pytest.skip("no source files")
    rng = random.Random(seed)
    data = SOURCES[source % len(SOURCES)]
    for _ in range(rng.randint(1, 3)):
        data = mutate(data, kind, rng, _JUNK)
    _read_all_ways(data)


@settings(max_examples=60, deadline=None)
@given(data=st.binary(min_size=1, max_size=2000))
def test_random_bytes_raise_only_assay_errors(data):
    _read_all_ways(data)


@settings(max_examples=50, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(
            list('Plate informatin,;\t\r\n0123456789.-="ABCH Results for SAT')
        ),
        max_size=600,
    )
)
def test_random_text_raise_only_assay_errors(text):
    _read_all_ways(("Plate information \r\nPlate,Repeat,Barcode,\r\n" + text).encode())


def test_truncated_after_a_complete_grid(tmp_path):
    """A file cut between plates must not silently lose the plates after the cut."""
    text = shared(EXPECTED[0][0]).read_bytes()
    cut = text.index(b"Plate information", 100)  # the start of the second plate block
    path = tmp_path / "cut.csv"
    path.write_bytes(text[:cut])
    with pytest.raises(PlateError, match="truncated"):
        read_export(path)


def test_assay_information_at_the_beginning(tmp_path):
    lines = _lines("fkn_clean_envision.csv")
    k = next(i for i, line in enumerate(lines) if line.startswith("Basic assay"))
    end = next(i for i in range(k, len(lines)) if lines[i].startswith("Protocol information"))
    moved = lines[k:end] + lines[:k] + lines[end:]
    (plate,) = read_export(_write(tmp_path, moved)).plates
    assert plate.metadata["protocol"] == "ELISA A450" and plate.od[0].shape == (8, 12)
