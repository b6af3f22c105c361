"""Spreadsheet exports (.xlsx) as plain cell values, for the readers of every vendor."""

from __future__ import annotations

import datetime as dt
import io
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plates.errors import PlateError

XLSX_SIGNATURE = b"PK\x03\x04"


@dataclass(frozen=True)
class Workbook:
    """Cell values by sheet: ``sheets[name][row][col]`` (0-based), None for an empty cell.

    Formulas give their cached value (None if the file was never calculated), never the formula.
    """

    sheets: dict[str, tuple[tuple[Any, ...], ...]]

    def text(self, sheet: str, row: int, col: int) -> str:
        """The cell as stripped text ('' when empty or outside the sheet)."""
        rows = self.sheets.get(sheet, ())
        if row >= len(rows) or col >= len(rows[row]) or rows[row][col] is None:
            return ""
        return str(rows[row][col]).strip()


def column_letter(index: int) -> str:
    """A spreadsheet column's letters from its 0-based index: 0 -> 'A', 25 -> 'Z', 26 -> 'AA'."""
    letters = ""
    index += 1
    while index > 0:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_name(row: int, col: int) -> str:
    """A cell's name from 0-based row and column: (0, 0) -> 'A1', (9, 27) -> 'AB10'."""
    return f"{column_letter(col)}{row + 1}"


def cell_text(value: Any) -> str:
    """A cell value as stripped text: '' for None, ``repr`` for a float, ISO 8601 for dates and
    times (a datetime with a space between date and time)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def is_workbook(data: bytes) -> bool:
    """True for a zip container (xlsx); readers still check it holds a workbook."""
    return data.startswith(XLSX_SIGNATURE)


def load_workbook(data: bytes, path: Path) -> Workbook:
    """Every sheet's values; a PlateError naming the file for a damaged or non-Excel zip."""
    try:
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException
    except ImportError:  # pragma: no cover - openpyxl is a runtime dependency
        raise PlateError("reading .xlsx needs the openpyxl package", file=path) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it does not know
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            sheets = {
                ws.title: tuple(tuple(row) for row in ws.iter_rows(values_only=True))
                for ws in book.worksheets
            }
            book.close()
    except (
        zipfile.BadZipFile,
        KeyError,
        OSError,
        ValueError,
        TypeError,
        IndexError,
        EOFError,
        NotImplementedError,  # zipfile: a version or compression method it cannot read
        RuntimeError,  # zipfile: an entry flagged as encrypted
        SyntaxError,  # xml.etree.ElementTree.ParseError: a damaged XML part
        zlib.error,  # a damaged compressed part
        InvalidFileException,
    ) as exc:
        raise PlateError(
            f"not a readable .xlsx workbook ({exc.__class__.__name__}: {exc})", file=path
        ) from None
    return Workbook(sheets)
