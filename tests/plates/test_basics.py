"""Wells, cell markers and text decoding."""

from __future__ import annotations

import codecs
import math

import pytest

from plates.readers.common.cells import MISSING_MARKERS, SATURATED_MARKERS, parse_cell
from plates.textio import NotTextError, decode, decode_text
from plates.wells import ROW_LABELS, format_well, parse_well, plate_shape, well_names

# ------------------------------------------------------------------ wells


@pytest.mark.parametrize(
    "text, expected",
    [
        ("A1", (0, 0)),
        ("a01", (0, 0)),
        (" H12 ", (7, 11)),
        ("P24", (15, 23)),
        ("c7", (2, 6)),
    ],
)
def test_parse_well(text, expected):
    assert parse_well(text) == expected


@pytest.mark.parametrize("text", ["", "A", "1A", "A0", "AA1", "Q1", "A-1", "A1.5"])
def test_parse_well_rejects(text):
    with pytest.raises(ValueError, match="well"):
        parse_well(text)


@pytest.mark.parametrize("text", ["I5", "A13"])
def test_parse_well_off_a_96_plate(text):
    with pytest.raises(ValueError, match="off the plate"):
        parse_well(text, n_rows=8, n_cols=12)


def test_format_well_round_trips():
    for r in range(16):
        for c in range(24):
            assert parse_well(format_well(r, c)) == (r, c)
    assert format_well(7, 11) == "H12"


def test_plate_shapes_and_labels():
    assert plate_shape(96) == (8, 12)
    assert plate_shape(384) == (16, 24)
    with pytest.raises(ValueError, match="96, 384"):
        plate_shape(48)
    assert ROW_LABELS[96] == tuple("ABCDEFGH")
    assert ROW_LABELS[384][-1] == "P"
    names = well_names(8, 12)
    assert names[:3] == ["A1", "A2", "A3"] and names[12] == "B1" and len(names) == 96


# ------------------------------------------------------------------ cells


@pytest.mark.parametrize("marker", SATURATED_MARKERS + (" > Max", "over", ">Max", " OVRFLW "))
def test_saturated_markers(marker):
    cell = parse_cell(marker)
    assert cell.saturated and math.isnan(cell.value)


@pytest.mark.parametrize("marker", MISSING_MARKERS + ("  ", " < Min", "nan", None))
def test_missing_markers(marker):
    cell = parse_cell(marker)
    assert not cell.saturated and math.isnan(cell.value) and cell.missing


@pytest.mark.parametrize(
    "text, value",
    [
        ("0.123", 0.123),
        ("0,123", 0.123),
        (" 1.5 ", 1.5),
        ("-0.000", 0.0),
        ("1e-3", 0.001),
        ("3", 3.0),
        (".5", 0.5),
        ("+2.25", 2.25),
        ("−0.01", -0.01),
    ],
)
def test_numbers(text, value):
    cell = parse_cell(text)
    assert cell.value == value and not cell.saturated


@pytest.mark.parametrize(
    "text", ["abc", "1,234.5", "1.2.3", "inf", "1_0", "0x10", "12 34", "1,2,3", "OVRFLOW", "Sat"]
)
def test_not_a_cell(text):
    with pytest.raises(ValueError, match="expected an OD value or a marker") as info:
        parse_cell(text)
    assert repr(text.strip()) in str(info.value)


# ------------------------------------------------------------------ text decoding

TEXT = "Plate 1\tµ 450 nm\n1\t2\r\nA\t0,123\u00a0\n"


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: t.encode("utf-8"),
        lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
        lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"),
        lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"),
        lambda t: t.encode("utf-16-le"),
        lambda t: t.encode("utf-16-be"),
        lambda t: t.encode("cp1252"),
    ],
    ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "utf16le", "utf16be", "cp1252"],
)
def test_decode_encodings(encode):
    text = decode(encode(TEXT))
    assert text == "Plate 1\tµ 450 nm\n1\t2\nA\t0,123 \n"


def test_decode_reports_encoding_and_newlines():
    assert decode_text(b"a\r\nb\rc\n").text == "a\nb\nc\n"
    assert decode_text("é".encode("cp1252")).encoding == "cp1252"
    assert decode_text(codecs.BOM_UTF8 + b"x").encoding == "utf-8-sig"


@pytest.mark.parametrize(
    "data", [b"\x00\x01\x02\x03" * 50, b"PK\x03\x04\x14\x00\x06\x00" * 20, bytes(range(1, 32)) * 10]
)
def test_decode_binary(data):
    with pytest.raises(NotTextError):
        decode(data)
