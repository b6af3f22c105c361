"""Shared pieces of the ``envision`` reader (Revvity / PerkinElmer): splitting lines, cells,
wavelengths, plate grids and errors; dates are in :mod:`plates.readers.envision.dates`. Not a
reader module itself (no ``FORMAT``)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from plates.errors import PlateError
from plates.readers.common.cells import SATURATED, Cell, parse_cell, parse_number
from plates.readers.envision.dates import date_order, iso_datetime  # noqa: F401  (re-exported for the readers)
from plates.wells import ROW_LETTERS, format_well, shape_for_cols

NAME = "envision"

#: Revvity's own saturation words, on top of the project-wide markers of plates.readers.common.cells
_VENDOR_SATURATED = {"sat", "saturated", "overflow", "ovf", "over"}


def err(path: Path, message: str, line: int | None = None, well: str | None = None) -> PlateError:
    where = None
    if line is not None:
        where = f"line {line}" + (f", well {well}" if well else "")
    return PlateError(f"{message} ({NAME})", file=path, where=where)


def kinetic(path: Path, count: int, what: str, detail: str = "") -> PlateError:
    extra = f" ({detail})" if detail else ""
    return PlateError(
        f"{NAME}: kinetic read with {count} {what}{extra}: an endpoint ELISA needs "
        "one read per wavelength",
        file=path,
    )


def split(line: str, delimiter: str) -> list[str]:
    """One line as cells (Excel-style quoting), never raising."""
    try:
        cells = next(csv.reader([line], delimiter=delimiter, strict=False), [])
    except csv.Error:
        cells = line.split(delimiter)
    return cells


def stripped(cells: list[str]) -> list[str]:
    """Cells stripped of spaces, trailing empty cells dropped."""
    out = [c.strip() for c in cells]
    while out and not out[-1]:
        out.pop()
    return out


def unformula(value: str) -> str:
    """``="1051017"`` (how Workstation protects barcodes from Excel) -> ``1051017``."""
    s = value.strip()
    while s.startswith('="') and s.endswith('"') and len(s) >= 3:
        s = s[2:-1].strip()
    if s in ('="', '=""'):
        return ""
    return s


def footer_value(cells: list[str]) -> str:
    """The value of a ``Key,,,,Value`` footer line: its last non-empty cell after the key."""
    rest = stripped(cells[1:])
    return unformula(rest[-1]) if rest else ""


def parse_od(text: str, path: Path, line: int, well: str) -> Cell:
    """A grid cell: a number, a saturation marker (ours or Revvity's) or a missing marker."""
    s = text.strip()
    if s.lower().replace(" ", "") in _VENDOR_SATURATED:
        return SATURATED
    if s in ("-", "N/A", "n/a", "NA"):
        return parse_cell("")
    try:
        return parse_cell(s)
    except ValueError as exc:
        raise err(path, str(exc), line, well) from None


# ------------------------------------------------------------------------------ wavelengths


def nm_in(text: str) -> int | None:
    """A wavelength written in a label or filter name: ``A450``, ``@ 562``, ``CWL=450nm``,
    ``APC 665``, ``450/10nm``; None when absent or outside 200-1100 nm."""
    for pattern in (
        r"CWL\s*=\s*(\d{3,4})",
        r"@\s*(\d{3,4})",
        r"(\d{3,4})\s*nm",
        r"(?:^|[^\d])(\d{3,4})(?:/\d+)?(?:[^\d]|$)",
    ):
        m = re.search(pattern, text, re.IGNORECASE)
        if m:
            nm = int(m.group(1))
            if 200 <= nm <= 1100:
                return nm
    return None


# ------------------------------------------------------------------------------------ grids


@dataclass
class RawGrid:
    """The text of one grid, before its cells are parsed."""

    title: str
    line: int  # 1-based line of the header (or of the first row)
    cells: list[list[str]]  # n_rows x n_cols cell texts
    lines: list[int]  # 1-based line of each row
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.cells), len(self.cells[0]) if self.cells else 0

    def parse(self, path: Path) -> tuple[np.ndarray, np.ndarray]:
        n_rows, n_cols = self.shape
        od = np.full((n_rows, n_cols), np.nan)
        sat = np.zeros((n_rows, n_cols), dtype=bool)
        for r, row in enumerate(self.cells):
            for c, text in enumerate(row):
                cell = parse_od(text, path, self.lines[r], format_well(r, c))
                od[r, c] = cell.value
                sat[r, c] = cell.saturated
        return od, sat

    def floats(self) -> np.ndarray | None:
        """Every cell as a number (NaN when empty or not a number), None if none is one."""
        out = np.full(self.shape, np.nan)
        any_number = False
        for r, row in enumerate(self.cells):
            for c, text in enumerate(row):
                value = parse_number(text)
                if value is not None:
                    out[r, c] = value
                    any_number = True
        return out if any_number else None


def header_width(cells: list[str]) -> int | None:
    """12 or 24 if ``cells`` (stripped) is a grid header ``,01,02,...`` / ``,1,2,...``."""
    if len(cells) < 3 or cells[0] != "":
        return None
    numbers = cells[1:]
    for i, c in enumerate(numbers):
        value = parse_number(c)
        if value is None or value != i + 1:
            return None
    return len(numbers)


def _check_beyond(cells: list[str], n_cols: int, path: Path, line: int, offset: int) -> None:
    for c in range(n_cols + offset, len(cells)):
        if cells[c].strip():
            found = cells[c].strip()
            raise PlateError(
                f"a value beyond the plate's {n_cols} columns, found {found!r}"
                f" (expected an empty cell or nothing) ({NAME})",
                file=path,
                where=f"line {line}, column {c + 1}",
            )


def _check_fields(row: list[str], reference: list[str], path: Path, line: int, what: str) -> None:
    """A grid line has the fields of its header (or first line), trailing empty ones included:
    the exports write every line of a grid alike, so one field less or more is a cell lost or
    added (the rest of the row would shift) or a line cut short."""
    if len(row) != len(reference):
        raise err(
            path,
            f"the line has {len(row)} fields but {what} has {len(reference)}: a cell was lost"
            " or added, or the line is cut",
            line,
        )


def read_headed(
    rows: list[list[str]], i: int, path: Path, title: str, n_rows: int | None = None
) -> tuple[RawGrid, int]:
    """The grid whose header ``,01,02,...`` is ``rows[i]``; returns it and the next index."""
    width = header_width(stripped(rows[i]))
    if width not in (12, 24):
        raise err(
            path,
            f"expected the column numbers 01..12 (or 01..24) in the grid header, found"
            f" {len(stripped(rows[i])) - 1} columns",
            i + 1,
        )
    plate_rows, n_cols = shape_for_cols(width)
    n_rows = n_rows or plate_rows
    last = ROW_LETTERS[n_rows - 1]
    cells, lines = [], []
    for r in range(n_rows):
        k = i + 1 + r
        row = rows[k] if k < len(rows) else None
        label = row[0].strip().upper() if row else ""
        if row is None or label != ROW_LETTERS[r]:
            got = f"after row {ROW_LETTERS[r - 1]}" if r else "right after the header"
            if row is None:
                raise err(
                    path,
                    f"row {ROW_LETTERS[r]} is missing: the file ends {got} (grid header"
                    f" at line {i + 1}), expected rows A-{last}",
                    len(rows),
                )
            found = (
                f"row {label}"
                if len(label) == 1 and label in ROW_LETTERS
                else f"{row[0].strip()!r}"
                if any(c.strip() for c in row)
                else "an empty line"
            )
            raise err(
                path,
                f"row {ROW_LETTERS[r]} is missing: found {found} {got} (grid header at"
                f" line {i + 1}), expected rows A-{last}",
                k + 1,
            )
        _check_beyond(row, n_cols, path, k + 1, 1)
        _check_fields(row, rows[i], path, k + 1, f"the grid header (line {i + 1})")
        values = [c for c in row[1 : 1 + n_cols]]
        values += [""] * (n_cols - len(values))
        cells.append(values)
        lines.append(k + 1)
    end = i + 1 + n_rows
    if (
        end < len(rows)
        and rows[end]
        and len(rows[end][0].strip()) == 1
        and rows[end][0].strip().upper() in ROW_LETTERS[n_rows:]
        and any(c.strip() for c in rows[end][1:])
    ):
        raise err(
            path, f"row {rows[end][0].strip().upper()} is beyond the plate's rows A-{last}", end + 1
        )
    return RawGrid(title, i + 1, cells, lines), end


def is_data_row(cells: list[str]) -> bool:
    """A line of a header-less grid: 12 or more fields, the first not a label or title."""
    return len(cells) >= 12 and not (
        cells[0].strip()
        and parse_number(cells[0]) is None
        and cells[0].strip().lower() not in _VENDOR_SATURATED
        and len(cells[0].strip()) > 8
    )


def read_bare(
    rows: list[list[str]], i: int, path: Path, title: str, shape: tuple[int, int] | None
) -> tuple[RawGrid, int]:
    """A header-less grid starting at ``rows[i]`` (EnVision export format "Plate")."""
    if shape is None:
        first = rows[i]
        width = len(first) - (1 if first and not first[-1].strip() else 0)
        if width not in (12, 24):
            raise err(
                path,
                f"a plate grid without header must have 12 or 24 values per line, found {width}",
                i + 1,
            )
        shape = shape_for_cols(width)
    n_rows, n_cols = shape
    cells, lines = [], []
    for r in range(n_rows):
        k = i + r
        row = rows[k] if k < len(rows) else None
        if row is None or not any(c.strip() for c in row) or not is_data_row(row):
            where = "the file ends" if row is None else "the grid ends"
            raise err(
                path,
                f"row {ROW_LETTERS[r]} is missing: {where} after {r} rows (grid at line"
                f" {i + 1}), expected {n_rows} rows of {n_cols} values",
                min(k + 1, len(rows)),
            )
        _check_beyond(row, n_cols, path, k + 1, 0)
        _check_fields(row, rows[i], path, k + 1, f"the grid's first line (line {i + 1})")
        values = [c for c in row[:n_cols]]
        values += [""] * (n_cols - len(values))
        cells.append(values)
        lines.append(k + 1)
    end = i + n_rows
    if end < len(rows) and is_data_row(rows[end]) and any(c.strip() for c in rows[end]):
        raise err(path, f"a row beyond the plate's {n_rows} rows (grid at line {i + 1})", end + 1)
    return RawGrid(title, i + 1, cells, lines), end
