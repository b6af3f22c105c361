"""The grid reader, through read_export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from plates.errors import PlateError
from plates.readers import read_export, sniff_format
from tests.plates.helpers import grid_lines, grid_text, plate_values

SHARED = Path(__file__).resolve().parents[3] / "shared" / "formats" / "generic_grid"


def write(tmp_path: Path, text: str | bytes, name: str = "plate.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


@pytest.mark.parametrize("delimiter, decimal", [(",", "."), ("\t", "."), (";", ","), ("\t", ",")])
@pytest.mark.parametrize("shape", [(8, 12), (16, 24)])
def test_single_grid(tmp_path, delimiter, decimal, shape):
    values = plate_values(*shape)
    export = read_export(write(tmp_path, grid_text(values, delimiter=delimiter, decimal=decimal)))
    assert export.format == "grid"
    (plate,) = export.plates
    assert plate.name is None and plate.wavelengths == (None,)
    assert plate.od.shape == (1, *shape) and plate.od.dtype == np.float64
    np.testing.assert_array_equal(plate.od[0], values)
    assert not plate.saturated.any()


def test_file_identity(tmp_path):
    import hashlib

    path = write(tmp_path, grid_text(plate_values()))
    export = read_export(str(path))
    assert export.path == path
    assert export.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert export.metadata["encoding"] == "utf-8"


def test_markers_and_padding(tmp_path):
    values = plate_values().astype(object)
    values[0, 0] = "OVRFLW"
    values[1, 1] = " > Max"
    values[2, 2] = "MISSED"
    values[3, 3] = ""
    values[4, 4] = "*****"
    lines = grid_lines(values)
    lines = [line + ",,," for line in lines]  # trailing padding cells
    path = write(tmp_path, "Title line\n\n" + "\n".join(lines) + "\n,,,,,\n")
    (plate,) = read_export(path).plates
    sat = plate.saturated[0]
    assert sat[0, 0] and sat[1, 1] and sat[4, 4] and sat.sum() == 3
    assert np.isnan(plate.od[0][[0, 1, 2, 3, 4], [0, 1, 2, 3, 4]]).all()
    assert not sat[2, 2] and not sat[3, 3]
    assert plate.od[0, 7, 11] == float(values[7, 11])


def test_quoted_decimal_comma_in_csv(tmp_path):
    values = plate_values()
    lines = grid_lines(values)
    lines[1] = "A," + ",".join(f'"{v:.3f}"'.replace(".", ",") for v in values[0])
    (plate,) = read_export(write(tmp_path, "\n".join(lines) + "\n")).plates
    np.testing.assert_allclose(plate.od[0, 0], values[0], rtol=0, atol=1e-12)


def test_several_named_plates(tmp_path):
    a, b = plate_values(seed=1), plate_values(seed=2)
    export = read_export(write(tmp_path, grid_text(a, b, labels=["P-001", ""])))
    assert [p.name for p in export.plates] == ["P-001", None]
    np.testing.assert_array_equal(export.plates[1].od[0], b)


@pytest.mark.parametrize(
    "labels, waves",
    [
        (["450", "630"], (450, 630)),
        (["450 nm", "570nm"], (450, 570)),
        (["OD450", "OD630"], (450, 630)),
        (["A450", "Abs 620"], (450, 620)),
    ],
)
def test_wavelength_grids_are_one_plate(tmp_path, labels, waves):
    a, b = plate_values(seed=1), plate_values(seed=2)
    export = read_export(write(tmp_path, grid_text(a, b, labels=labels, delimiter="\t")))
    (plate,) = export.plates
    assert plate.wavelengths == waves and plate.name is None
    np.testing.assert_array_equal(plate.od[1], b)


def test_mixed_wavelength_labels_are_an_error(tmp_path):
    path = write(tmp_path, grid_text(plate_values(), plate_values(), labels=["450", "Plate 2"]))
    with pytest.raises(PlateError, match="wavelength") as info:
        read_export(path)
    assert "plate.csv" in str(info.value) and "line 11" in str(info.value)


def test_same_wavelength_twice_is_an_error(tmp_path):
    path = write(tmp_path, grid_text(plate_values(), plate_values(), labels=["450", "OD450"]))
    with pytest.raises(PlateError, match="450 nm") as info:
        read_export(path)
    assert "line 11" in str(info.value)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "cp1252"])
def test_encodings(tmp_path, encoding):
    values = plate_values()
    text = grid_text(values, delimiter="\t", labels=["Plaque µ"]).replace("\n", "\r\n")
    (plate,) = read_export(write(tmp_path, text.encode(encoding))).plates
    assert plate.name == "Plaque µ"
    np.testing.assert_array_equal(plate.od[0], values)


# ------------------------------------------------------------------ errors name file, line, well


def bad_grid(row: int, col: int, text: str) -> str:
    values = plate_values().astype(object)
    values[row, col] = text
    return "\n".join(grid_lines(values)) + "\n"


@pytest.mark.parametrize(
    "row, col, text, where",
    [
        (2, 6, "abc", "line 4, well C7"),
        (0, 0, "1.2.3", "line 2, well A1"),
        (7, 11, "n/a", "line 9, well H12"),
    ],
)
def test_bad_cell(tmp_path, row, col, text, where):
    with pytest.raises(PlateError) as info:
        read_export(write(tmp_path, bad_grid(row, col, text)))
    message = str(info.value)
    assert message.startswith(str(tmp_path / "plate.csv") + ": " + where + ": ")
    assert "expected an OD value or a marker (OVRFLW, MISSED, ...)" in message
    assert repr(text) in message and "\n" not in message


def test_value_beyond_width(tmp_path):
    lines = grid_lines(plate_values())
    lines[4] += ",,0.5"
    with pytest.raises(PlateError, match="beyond the plate's 12 columns") as info:
        read_export(write(tmp_path, "\n".join(lines)))
    assert "plate.csv: line 5, column 14:" in str(info.value) and "'0.5'" in str(info.value)


@pytest.mark.parametrize("drop, missing, line", [(4, "D", 5), (1, "A", 2), (8, "H", 9)])
def test_missing_row(tmp_path, drop, missing, line):
    lines = grid_lines(plate_values())
    del lines[drop]
    with pytest.raises(PlateError, match=f"row {missing} is missing") as info:
        read_export(write(tmp_path, "\n".join(lines) + "\n\n"))
    assert f"plate.csv: line {line}" in str(info.value)


def test_grid_cut_short_by_blank_line_then_next_grid(tmp_path):
    first = grid_lines(plate_values())[:6]  # header + A..E
    second = grid_lines(plate_values(seed=3))
    path = write(tmp_path, "\n".join(first) + "\n\n" + "\n".join(second) + "\n")
    with pytest.raises(PlateError, match="row F is missing") as info:
        read_export(path)
    assert "line 7" in str(info.value) and "A-E" in str(info.value)


def test_rows_out_of_order(tmp_path):
    lines = grid_lines(plate_values())
    lines[3], lines[4] = lines[4], lines[3]  # C and D swapped
    with pytest.raises(PlateError) as info:
        read_export(write(tmp_path, "\n".join(lines)))
    assert "plate.csv: line 4" in str(info.value) and "row C is missing" in str(info.value)
    lines = grid_lines(plate_values())
    lines[4] = "B" + lines[4][1:]  # B twice
    with pytest.raises(PlateError, match="out of order") as info:
        read_export(write(tmp_path, "\n".join(lines)))
    assert "line 5" in str(info.value)


def test_row_beyond_plate(tmp_path):
    lines = grid_lines(plate_values()) + ["I,0.1,0.2"]
    with pytest.raises(PlateError, match="row I is beyond") as info:
        read_export(write(tmp_path, "\n".join(lines)))
    assert "line 10" in str(info.value)


def test_bad_header(tmp_path):
    good = grid_lines(plate_values())
    header = ",".join(["Plate", "1", "2", "3", "5"] + [str(i) for i in range(6, 14)])
    path = write(tmp_path, "\n".join([good[0]] + good[1:] + ["", header] + good[1:]))
    with pytest.raises(PlateError, match=r"expected the column numbers 1\.\.12") as info:
        read_export(path, fmt="grid")
    assert "plate.csv: line 11" in str(info.value)


def test_no_grid_when_forced(tmp_path):
    with pytest.raises(PlateError, match="no plate grid found") as info:
        read_export(write(tmp_path, "just,some\ntext,here\n"), fmt="grid")
    assert "plate.csv" in str(info.value)


def test_sniff():
    text = grid_text(plate_values())
    assert sniff_format(text.encode(), Path("x.txt")) == "grid"
    assert sniff_format(b"hello\nworld\n", Path("x.csv")) is None
    assert sniff_format(b"\x00\x01\x02" * 30, Path("x.csv")) is None


# ------------------------------------------------------------------ real files


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/formats is absent")
@pytest.mark.parametrize(
    "name, found", [("plater__example-1.csv", "'A'"), ("plater__384_validPlate.csv", "'reference'")]
)
def test_plater_files_hold_text_not_ods(name, found):
    """plater's grids hold labels (drug, bacteria), not ODs: a clear error at the first one."""
    path = SHARED / name
    assert sniff_format(path.read_bytes(), path) == "grid"
    with pytest.raises(PlateError) as info:
        read_export(path)
    message = str(info.value)
    assert name in message and "line 2, well A1" in message and found in message


# ------------------------------------------------------------------ properties

# plausible absorbances (the reader refuses values outside -0.5..10); +2 for the third grid
finite = st.floats(min_value=-0.5, max_value=7.9, allow_nan=False, allow_infinity=False)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.one_of(
        arrays(np.float64, (8, 12), elements=finite), arrays(np.float64, (16, 24), elements=finite)
    ),
    style=st.sampled_from([(",", "."), ("\t", "."), (";", ",")]),
    n_grids=st.integers(1, 3),
)
def test_round_trip(tmp_path, values, style, n_grids):
    delimiter, decimal = style
    grids = [values + k for k in range(n_grids)]
    text = grid_text(
        *grids, delimiter=delimiter, decimal=decimal, labels=[f"P{k}" for k in range(n_grids)]
    )
    export = read_export(write(tmp_path, text, "prop.txt"))
    assert len(export.plates) == n_grids
    for k, plate in enumerate(export.plates):
        assert plate.name == f"P{k}"
        np.testing.assert_allclose(plate.od[0], grids[k], rtol=0, atol=1e-12)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.one_of(
        st.binary(max_size=600),
        st.text(alphabet=st.sampled_from(list('AB1234567890,;\t\n .-OVRFLW"')), max_size=600).map(
            str.encode
        ),
        st.builds(
            lambda cut, junk: (grid_text(plate_values())[:cut] + junk).encode(),
            st.integers(0, 700),
            st.text(max_size=20),
        ),
    )
)
def test_any_bytes_give_plate_error_or_plates(tmp_path, data):
    path = write(tmp_path, data, "random.bin")
    try:
        export = read_export(path)
    except PlateError as exc:
        assert "random.bin" in str(exc) and "\n" not in str(exc)
    else:
        assert export.plates
