"""Helpers shared by the SkanIt / Multiskan readers: cells, times, read modes, layouts.

Not a reader module (no ``FORMAT``): the registry only sees :mod:`plates.readers.skanit.reader`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Any

from plates.errors import PlateError
from plates.readers.common.cells import Cell, parse_cell, parse_number
from plates.readers.common.workbook import Workbook, cell_name, column_letter  # noqa: F401  (kept importable)

NAME = "SkanIt/Multiskan"

#: step or column words → read mode
_MODES = (
    ("absorbance", "absorbance"),
    ("photometric", "absorbance"),
    ("fluorescence", "fluorescence"),
    ("fluorometric", "fluorescence"),
    ("luminescence", "luminescence"),
    ("luminometric", "luminescence"),
)

_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})\s+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?")
_DEFAULT_PLATE = re.compile(r"^plate\s*\d+$", re.IGNORECASE)


def read_mode(text: str) -> str | None:
    """``absorbance``/``fluorescence``/``luminescence`` for a measurement step's name
    (``Absorbance 1``, ``Photometric1``), None for other steps (calculations)."""
    low = text.strip().lower()
    for word, mode in _MODES:
        if low.startswith(word):
            return mode
    return None


def iso_time(value: Any) -> str | None:
    """A read time as ISO 8601, or None when absent or ambiguous (``3/4/2023 10:00`` without
    AM/PM could be March or April)."""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if m := _ISO.match(text):
            y, mo, d, h, mi, s = (int(g or 0) for g in m.groups())
        elif m := _US.match(text):
            a, b, y, h, mi, s = (int(g or 0) for g in m.groups()[:6])
            ampm = (m.group(7) or "").upper()
            if ampm:
                mo, d = a, b
                if not 1 <= h <= 12:
                    return None
                h = h % 12 + (12 if ampm == "PM" else 0)
            elif a > 12 >= b:
                d, mo = a, b
            elif b > 12 >= a:
                mo, d = a, b
            else:
                return None
        elif m := _DOTTED.match(text):
            d, mo, y, h, mi, s = (int(g or 0) for g in m.groups())
        else:
            return None
        return dt.datetime(y, mo, d, h, mi, s).isoformat(timespec="seconds")
    except ValueError:
        return None


def plate_name(text: str | None) -> str | None:
    """The plate's name for PlateRead.name: None for the software's default ``Plate 1``, which
    every export carries and which would make plates of different files share one id."""
    if not text or _DEFAULT_PLATE.match(text.strip()):
        return None
    return text.strip()


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def od_cell(value: Any) -> Cell:
    """One xlsx cell of a raw grid; ValueError (saying what was expected) when it is not an OD."""
    if value is None:
        return parse_cell(None)
    if isinstance(value, (bool, dt.datetime, dt.date, dt.time)):
        raise ValueError(f"expected an OD value or a marker (> Max, < Min, NaN), found {value!r}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError(f"expected an OD value, found {value!r}")
        return Cell(float(value), False)
    try:
        return parse_cell(str(value))
    except ValueError:
        raise ValueError(
            "expected an OD value or a marker (> Max, < Min, NaN), found "
            f"{str(value).strip()[:40]!r}"
        ) from None


def number(value: Any) -> float:
    """A derived value: a number, else NaN (``> Max``, ``< Min``, ``NaN``, text)."""
    if isinstance(value, bool):
        return math.nan
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else math.nan
    if isinstance(value, str):
        parsed = parse_number(value)
        if parsed is not None and math.isfinite(parsed):
            return parsed
    return math.nan


def info_sheet(book: Workbook, title: str) -> dict[str, Any]:
    """Label → value of an information sheet (label in the first filled cell, value in the
    last; text stripped, dates kept as datetime)."""
    out: dict[str, Any] = {}
    for row in book.sheets.get(title, ())[1:]:
        filled = [c for c in row if cell_text(c)]
        if len(filled) >= 2:
            out.setdefault(
                cell_text(filled[0]).rstrip(":"),
                filled[-1] if not isinstance(filled[-1], str) else cell_text(filled[-1]),
            )
    return out


def grid_width(row: tuple[Any, ...]) -> int | None:
    """12 or 24 when the cells after the first are the column numbers 1, 2, …"""
    k = 0
    while k + 1 < len(row) and number(row[k + 1]) == k + 1:
        k += 1
    return 24 if k >= 24 else 12 if k >= 12 else None


def where_cell(sheet: str, row: int, col: int) -> str:
    return f"sheet {sheet!r}, cell {cell_name(row, col)}"


def refuse_kinetic(path: Path, what: str, n: int, unit: str) -> PlateError:
    """``what`` says where (e.g. 'per well at 340 nm; interval 00:00:06')."""
    return PlateError(
        f"{NAME} export: kinetic read with {n} {unit} {what}: an endpoint ELISA"
        " needs one read per wavelength",
        file=path,
    )


# ------------------------------------------------------------------ carried layout

_CONC = re.compile(r"^([+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?)\s*(\S.*)?$")
_DILUTION = re.compile(r"^1\s*:\s*(\d+(?:[.,]\d+)?)$")


def role_of(name: str) -> str:
    """SkanIt sample ids: ``Std0001`` standard, ``Blank1`` blank, ``Ctrl1``/``QC`` control,
    ``Un0001`` (and anything else) sample."""
    low = name.strip().lower()
    if low.startswith(("std", "standard", "cal")):
        return "standard"
    if low.startswith(("blank", "blk")):
        return "blank"
    if low.startswith(("ctrl", "control", "qc")):
        return "control"
    return "sample"


def parse_conc(text: str) -> tuple[float, str] | None:
    """``'1 microg/ml'`` → (1.0, 'microg/ml'); None when not a concentration."""
    m = _CONC.match(text.strip())
    if not m or _DILUTION.match(text.strip()):
        return None
    value = parse_number(m.group(1))
    if value is None or not math.isfinite(value):
        return None
    return value, (m.group(2) or "").strip()


def parse_dilution(text: str) -> float | None:
    """``'1:25'`` → 25.0."""
    m = _DILUTION.match(text.strip())
    if not m:
        return None
    value = parse_number(m.group(1))
    return value if value is not None and value > 0 else None


def well_fields(name: str, conc: float | None, dilution: float | None) -> dict[str, object]:
    """DESIGN 3.2 fields for a well named ``name`` in a SkanIt layout."""
    role = role_of(name)
    fields: dict[str, object] = {"role": role}
    if role in ("standard", "control") and conc is not None:
        fields["conc"] = conc
    if role in ("sample", "control"):
        fields["sample"] = name
        if dilution is not None:
            fields["dilution"] = dilution
    return fields
