"""Shared pieces of the `tecan` reader: a sheet of text cells (from a CSV or an xlsx sheet) that
knows how to name a position in its source, and small parsers for Tecan's header values."""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from plates.errors import PlateError
from plates.readers.common.cells import text_row
from plates.readers.common.workbook import cell_name, cell_text, column_letter  # noqa: F401  (kept importable)
from plates.wells import PLATE_SHAPES, ROW_LETTERS

_DELIMITERS = ("\t", ";", ",")
#: first cells that mark a Tecan line; used to choose the delimiter of a text export
_KEYS = {
    "<>",
    "Cycle Nr.",
    "Well positions",
    "Mode",
    "Name",
    "Date:",
    "Time:",
    "Start Time",
    "End Time",
    "Start Time:",
    "End Time:",
    "Time [s]",
    "Part of Plate",
    "Plate",
    "Measurement Wavelength",
    "Measurement wavelength [nm]",
    "Number of flashes",
    "Number of Flashes",
}
_WELL = re.compile(r"^([A-Pa-p])0*([1-9][0-9]?)$")
_MAX_COLUMNS = 4096  # wider rows are cut (QurvE pads to ~1,100 fields)


@dataclass
class Sheet:
    """Rows of stripped text cells; ``sheet`` is the xlsx sheet name, None for a text file."""

    rows: list[list[str]]
    path: Path
    sheet: str | None = None

    def where(self, row: int, col: int | None = None, well: str | None = None) -> str:
        if self.sheet is None:
            text = f"line {row + 1}"
        else:
            text = f"sheet {self.sheet!r}, cell {cell_name(row, col or 0)}"
        return text + (f", well {well}" if well else "")

    def error(
        self, message: str, row: int, col: int | None = None, well: str | None = None
    ) -> PlateError:
        return PlateError(message, file=self.path, where=self.where(row, col, well))

    def get(self, row: int, col: int) -> str:
        if 0 <= row < len(self.rows) and 0 <= col < len(self.rows[row]):
            return self.rows[row][col]
        return ""


def _trim(cells: list[str]) -> list[str]:
    cells = [c.strip() for c in cells[:_MAX_COLUMNS]]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def choose_delimiter(text: str) -> str:
    """The delimiter under which most lines start with a Tecan key or a well name."""
    lines = text.split("\n")[:3000]
    best, best_score = ",", 0
    for delimiter in _DELIMITERS:
        score = 0
        for line in lines:
            if delimiter not in line:
                continue
            first = line.split(delimiter, 1)[0].strip().strip('"')
            if first in _KEYS or first.startswith("Application:") or _WELL.match(first):
                score += 1
        if score > best_score:
            best, best_score = delimiter, score
    return best


def text_sheet(text: str, path: Path) -> Sheet:
    delimiter = choose_delimiter(text)
    rows: list[list[str]] = []
    for line in text.split("\n"):
        try:
            cells = next(csv.reader([line], delimiter=delimiter), [])
        except csv.Error:
            cells = line.split(delimiter)
        row = text_row(cells[:_MAX_COLUMNS])
        row.n_fields = len(cells)
        rows.append(row)
    while rows and not rows[-1]:
        rows.pop()
    return Sheet(rows, path)


def workbook_sheets(book, path: Path) -> list[Sheet]:
    sheets = []
    for name, values in book.sheets.items():
        rows = [_trim([cell_text(v) for v in row]) for row in values]
        while rows and not rows[-1]:
            rows.pop()
        sheets.append(Sheet(rows, path, name))
    return sheets


def parse_well(text: str) -> tuple[int, int] | None:
    match = _WELL.match(text.strip())
    if not match:
        return None
    return ROW_LETTERS.index(match.group(1).upper()), int(match.group(2)) - 1


def shape_from_definition(text: str) -> tuple[int, int] | None:
    """Plate shape from a plate definition such as ``[NUN96ft] - ...`` or ``COS384ft.pdf``."""
    match = re.search(r"(?<![0-9])(96|384|1536)(?=[a-zA-Z]{1,4}\b|[a-zA-Z]*[\].])", text)
    if not match:
        return None
    n = int(match.group(1))
    return PLATE_SHAPES.get(n, (32, 48))


def shape_for_wells(wells, definition: tuple[int, int] | None) -> tuple[int, int]:
    if definition is not None:
        return definition
    if any(r >= 8 or c >= 12 for r, c in wells):
        return PLATE_SHAPES[384]
    return PLATE_SHAPES[96]


_WAVE_IN_NAME = re.compile(
    r"^(?:OD|A|Abs|Absorbance|Label)?\s*[_:-]?\s*(\d{3,4})(?:\s*nm)?(?:_.*)?$", re.IGNORECASE
)


def wavelength_from_name(name: str) -> int | None:
    match = _WAVE_IN_NAME.match(name.strip())
    if not match:
        return None
    nm = int(match.group(1))
    return nm if 200 <= nm <= 1100 else None


def as_wavelength(text: str) -> int | None:
    match = re.match(r"^\s*(\d{3,4})(?:[.,]0+)?\s*(?:nm)?\s*$", text)
    if not match:
        return None
    nm = int(match.group(1))
    return nm if 200 <= nm <= 1100 else None


def read_mode(text: str) -> str:
    low = text.lower()
    for mode in ("absorbance", "fluorescence", "luminescence"):
        if mode in low:
            return mode
    return low.strip() or "absorbance"


# ------------------------------------------------------------------------------ dates and times


def _date(text: str) -> dt.date | None:
    text = text.strip()
    for pattern, order in (
        (r"^(\d{4})-(\d{1,2})-(\d{1,2})$", "ymd"),
        (r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$", "dmy"),
        (r"^(\d{1,2})-(\d{1,2})-(\d{4})$", "dmy"),
        (r"^(\d{1,2})/(\d{1,2})/(\d{4})$", "?"),
    ):
        match = re.match(pattern, text)
        if not match:
            continue
        a, b, c = (int(g) for g in match.groups())
        if order == "ymd":
            y, m, d = a, b, c
        elif order == "dmy" or a > 12 >= b:
            d, m, y = a, b, c
        elif b > 12 >= a:  # 12/19/2019
            m, d, y = a, b, c
        else:  # 05/06/2019: day and month cannot be told apart
            return None
        try:
            return dt.date(y, m, d)
        except ValueError:
            return None
    return None


def _time(text: str) -> dt.time | None:
    match = re.match(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?$", text.strip())
    if not match:
        return None
    h, m, s = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    ampm = (match.group(4) or "").upper()
    if ampm == "PM" and h < 12:
        h += 12
    elif ampm == "AM" and h == 12:
        h = 0
    try:
        return dt.time(h, m, s)
    except ValueError:
        return None


def iso_datetime(date_text: str, time_text: str = "") -> str | None:
    """ISO 8601 from a Tecan date and time (``2024-08-28``/``20.02.2024``/``19/12/2019`` and
    ``13:32``/``3:20 PM``); None when the date cannot be read unambiguously."""
    date_text, time_text = date_text.strip(), time_text.strip()
    if not time_text and " " in date_text:
        date_text, time_text = date_text.split(" ", 1)
    day = _date(date_text)
    if day is None:
        return None
    if not time_text:
        return day.isoformat()
    clock = _time(time_text)
    if clock is None:
        return day.isoformat()
    return dt.datetime.combine(day, clock).isoformat()
