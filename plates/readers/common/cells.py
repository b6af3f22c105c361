"""One cell of a plate grid: an OD value, a saturation marker or a missing marker."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

#: markers a reader writes for a saturated (right-censored) well; never numbers
SATURATED_MARKERS = ("OVRFLW", "OVER", "Over", "Overflow", "*****", "Sat.", "#SAT", "> Max")
#: markers for a well that was not read or has no value
MISSING_MARKERS = ("MISSED", "?????", "NaN", "< Min", "")

_SATURATED = {m.lower().replace(" ", "") for m in SATURATED_MARKERS}
_MISSING = {m.lower().replace(" ", "") for m in MISSING_MARKERS}
# ASCII digits only: Python's float() also takes Unicode digits ("𝟏.𝟐", "١.٢"), which no reader
# writes; such text is damage, never an OD
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")

EXPECTED = "expected an OD value or a marker (OVRFLW, MISSED, ...)"


@dataclass(frozen=True)
class Cell:
    value: float  # NaN when missing or saturated
    saturated: bool = False

    @property
    def missing(self) -> bool:
        return math.isnan(self.value) and not self.saturated


class TextRow(list[str]):
    """The stripped cells of one line of a text export, trailing empty cells dropped;
    ``n_fields`` counts every field the line had. Exports write every line of a grid with the
    same number of fields (empty wells as empty fields), so a line with fewer or more fields
    than its header lost or gained a cell (the rest of the row would shift) or was cut. A
    sheet's rows are plain lists: a spreadsheet has no field count."""

    n_fields: int = 0


def text_row(cells: list[str]) -> TextRow:
    """A :class:`TextRow` of ``cells`` as split from a line."""
    row = TextRow(c.strip() for c in cells)
    row.n_fields = len(row)
    while row and not row[-1]:
        row.pop()
    return row


MISSING = Cell(math.nan, False)
SATURATED = Cell(math.nan, True)


def parse_number(text: str) -> float | None:
    """A plain decimal number (``0.123``, ``-1e-3``, decimal comma ``0,123``) or None."""
    s = text.strip().replace("\u2212", "-")
    if "," in s:
        if "." in s or s.count(",") != 1:
            return None
        s = s.replace(",", ".")
    if not _NUMBER.match(s):
        return None
    value = float(s)
    return value if math.isfinite(value) else None  # 1e999 overflows to inf: not a number


def parse_whole(text: str) -> int | None:
    """A whole number written as :func:`parse_number` reads it (``12``, ``12.0``, ``-3``), else
    None (empty text, a fraction, anything else)."""
    value = parse_number(text)
    return int(value) if value is not None and value.is_integer() else None


def parse_cell(text: str | None) -> Cell:
    """Parse one cell; ValueError (with :data:`EXPECTED` in its message) if it is neither."""
    if text is None:
        return MISSING
    s = str(text).strip()
    key = s.lower().replace(" ", "")
    if key in _MISSING:
        return MISSING
    if key in _SATURATED:
        return SATURATED
    value = parse_number(s)
    if value is None or math.isinf(value):
        raise ValueError(f"{EXPECTED}, found {s!r}")
    return Cell(value, False)
