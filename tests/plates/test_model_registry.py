"""PlateRead, plate_dataset and the reader registry's file checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import plates.readers as readers
from plates.errors import AssayError, PlateError
from plates.model import ExportFile, PlateRead, plate_dataset
from plates.readers import SUPPORTED_FORMATS, read_export
from tests.plates.helpers import grid_text, plate_values


def plate(name=None, waves=(450,), shape=(8, 12), fill=0.5, saturated_at=None):
    od = np.full((len(waves), *shape), fill)
    sat = np.zeros(od.shape, dtype=bool)
    if saturated_at is not None:
        sat[saturated_at] = True
    return PlateRead(name, tuple(waves), od, sat, {})


# ------------------------------------------------------------------ PlateRead


def test_plate_read_normalises():
    p = plate(waves=(450, None), saturated_at=(0, 1, 2))
    assert p.od.dtype == np.float64 and p.saturated.dtype == bool
    assert np.isnan(p.od[0, 1, 2])  # a saturated well has no OD
    assert p.n_rows == 8 and p.n_cols == 12 and p.wavelengths == (450, None)
    with pytest.raises(ValueError):
        p.od[0, 0, 0] = 1.0  # read-only


@pytest.mark.parametrize(
    "od, sat, waves",
    [
        (np.zeros((1, 8, 11)), np.zeros((1, 8, 11), bool), (450,)),
        (np.zeros((8, 12)), np.zeros((8, 12), bool), (450,)),
        (np.zeros((1, 8, 12)), np.zeros((1, 16, 24), bool), (450,)),
        (np.zeros((2, 8, 12)), np.zeros((2, 8, 12), bool), (450,)),
    ],
)
def test_plate_read_rejects_bad_shapes(od, sat, waves):
    with pytest.raises(ValueError):
        PlateRead(None, waves, od, sat, {})


# ------------------------------------------------------------------ plate_dataset


def test_dataset_layout():
    ds = plate_dataset([plate("x", fill=0.1), plate("y", fill=0.2)], ["p1", "p2"])
    assert ds["od_raw"].dims == ("plate", "wavelength", "row", "col")
    assert ds["saturated"].dtype == bool and ds["od_raw"].dtype == np.float64
    assert list(ds["plate"].values) == ["p1", "p2"]
    assert list(ds["wavelength"].values) == [450]
    assert list(ds["row"].values) == list("ABCDEFGH")
    assert list(ds["col"].values) == list(range(1, 13))
    assert float(ds["od_raw"].sel(plate="p2", wavelength=450, row="H", col=12)) == 0.2


def test_dataset_union_of_wavelengths_and_sizes():
    a = plate(waves=(None,), fill=0.1, saturated_at=(0, 0, 0))
    b = plate(waves=(630, 450), shape=(16, 24), fill=0.3)
    ds = plate_dataset([a, b], ["a", "b"], default_wavelength=450)
    assert list(ds["wavelength"].values) == [450, 630]
    assert ds["od_raw"].shape == (2, 2, 16, 24)
    od_a = ds["od_raw"].sel(plate="a")
    assert np.isnan(od_a.sel(wavelength=630)).all()  # absent read
    assert np.isnan(od_a.sel(wavelength=450, row="I")).all()  # beyond a's 8 rows
    assert float(od_a.sel(wavelength=450, row="B", col=3)) == 0.1
    assert bool(ds["saturated"].sel(plate="a", wavelength=450, row="A", col=1))
    assert int(ds["saturated"].sum()) == 1
    assert float(ds["od_raw"].sel(plate="b", wavelength=630, row="P", col=24)) == 0.3


def test_dataset_default_wavelength():
    ds = plate_dataset([plate(waves=(None,))], ["a"], default_wavelength=405)
    assert list(ds["wavelength"].values) == [405]


def test_dataset_duplicate_ids():
    with pytest.raises(PlateError, match="same plate id 'p1'"):
        plate_dataset([plate(), plate()], ["p1", "p1"])


def test_dataset_duplicate_wavelength_within_plate():
    with pytest.raises(PlateError, match="same wavelength"):
        plate_dataset([plate(waves=(None, 450))], ["p1"])


def test_dataset_count_mismatch():
    with pytest.raises(PlateError, match="2 plates but 1 plate ids"):
        plate_dataset([plate(), plate()], ["p1"])


# ------------------------------------------------------------------ registry


def test_registry():
    assert "grid" in SUPPORTED_FORMATS
    assert readers.READERS["grid"].FORMAT == "grid"
    for module in readers.READERS.values():
        text = callable(getattr(module, "sniff", None)) and callable(getattr(module, "read", None))
        book = callable(getattr(module, "sniff_workbook", None)) and callable(
            getattr(module, "read_workbook", None)
        )
        assert text or book, module.FORMAT
    assert set(SUPPORTED_FORMATS) >= {"grid", "gen5", "softmax", "tecan", "bmg", "envision"}


def test_registry_lists_every_vendor_reader_in_sniff_order():
    folders = {
        p.parent.name for p in Path(readers.__file__).parent.glob("*/reader.py")
    }  # one reader.py per vendor folder
    assert set(SUPPORTED_FORMATS) == folders
    # vendor-specific formats first (softmax before the rest), the generic grid last
    assert SUPPORTED_FORMATS[0] == "softmax" and SUPPORTED_FORMATS[-1] == "grid"
    assert list(readers.TEXT_READERS) == list(SUPPORTED_FORMATS)
    assert list(readers.WORKBOOK_READERS) == ["bmg", "gen5", "skanit", "tecan", "grid"]
    for name, module in readers.READERS.items():
        assert name == module.FORMAT
        assert module.__name__ == f"plates.readers.{name}.reader"


def test_read_export_returns_export_file(tmp_path):
    path = tmp_path / "run.tsv"
    path.write_text(grid_text(plate_values(), delimiter="\t"))
    export = read_export(path, fmt="grid")
    assert isinstance(export, ExportFile) and export.format == "grid"
    assert isinstance(export.plates, tuple) and isinstance(export.plates[0], PlateRead)


@pytest.mark.parametrize(
    "content, match",
    [
        (None, "file not found"),
        ("dir", "is a directory"),
        (b"", "empty"),
        (b"  \r\n\n ", "empty"),
        (b"\x00\x01\x02binary\x00" * 20, "binary"),
        (b"PK\x03\x04" + bytes(range(256)), "not a readable .xlsx workbook"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "binary"),
        (b"Name,Value\nx,1\n", "known format .*supported formats: .*grid"),
    ],
)
def test_read_export_file_problems(tmp_path, content, match):
    path = tmp_path / "export.csv"
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(PlateError, match=match) as info:
        read_export(path)
    message = str(info.value)
    assert "export.csv" in message and "\n" not in message
    assert isinstance(info.value, AssayError) and info.value.file == str(path)


def test_forced_unknown_format(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(grid_text(plate_values()))
    with pytest.raises(PlateError, match=r"unknown format 'magellan'.*grid") as info:
        read_export(path, fmt="magellan")
    assert "x.csv" in str(info.value)


def test_sniff_never_uses_the_name(tmp_path):
    path = tmp_path / "plate.grid.csv"
    path.write_text("1,2,3\nnot a grid\n")
    with pytest.raises(PlateError, match="known format"):
        read_export(path)
    assert readers.sniff_format(grid_text(plate_values()).encode(), Path("a.xyz")) == "grid"
