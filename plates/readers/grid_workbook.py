"""The ``grid`` format in a spreadsheet (.xlsx): the rules of :mod:`plates.readers.grid` applied
to the cells of each sheet.

A grid is a row whose cells are ``1..12`` (or ``1..24``) after an optional top-left cell, then
one row per plate row labelled ``A..H`` (or ``A..P``); several grids may be stacked in a sheet,
separated by empty rows; rows outside grids (titles, notes) are ignored. When every grid of a
sheet has a wavelength in its top-left cell (``450``, ``450 nm``, ``OD450``, ``A450``) the grids
are reads of one plate; otherwise each grid is a plate named by its top-left cell (or by its
sheet, when several sheets hold grids). Errors name the sheet and the cell.

This module does not define ``FORMAT``: :mod:`plates.readers.grid` imports its two functions.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from plates.cells import parse_cell, parse_number
from plates.errors import PlateError
from plates.model import PlateRead
from plates.wells import ROW_LETTERS, format_well, shape_for_cols
from plates.workbook import cell_name

__all__ = ["sniff_workbook", "read_workbook"]

_WIDTHS = (12, 24)
_WAVELENGTH = re.compile(
    r"^(?:OD|A|Abs\.?|Absorbance|Wavelength|WL|λ)?\s*[:=_-]?\s*(\d{3,4})(?:[.,]0+)?\s*(?:nm)?$",
    re.IGNORECASE)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def _rows(values: tuple[tuple[object, ...], ...]) -> list[list[str]]:
    rows = []
    for row in values:
        cells = [_text(v) for v in row]
        while cells and not cells[-1]:
            cells.pop()
        rows.append(cells)
    return rows


def _where(sheet: str, row: int, col: int = 0, well: str | None = None) -> str:
    return f"sheet {sheet!r}, cell {cell_name(row, col)}" + (f", well {well}" if well else "")


def _is_int(cell: str, value: int) -> bool:
    number = parse_number(cell)
    return number is not None and number == value


def _header_start(cells: list[str]) -> int | None:
    for start in (0, 1):
        if len(cells) > start + 1 and _is_int(cells[start], 1) and _is_int(cells[start + 1], 2):
            return start
    return None


def _header_width(cells: list[str], start: int) -> int | None:
    numbers = cells[start:]
    for width in _WIDTHS:
        if len(numbers) == width and all(_is_int(c, i + 1) for i, c in enumerate(numbers)):
            return width
    return None


def _row_label(cells: list[str]) -> str | None:
    label = cells[0].upper() if cells else ""
    return label if len(label) == 1 and label in ROW_LETTERS else None


def _sheet_has_grid(rows: list[list[str]]) -> bool:
    for i, cells in enumerate(rows):
        start = _header_start(cells)
        if start is None or _header_width(cells, start) is None:
            continue
        if i + 1 < len(rows) and _row_label(rows[i + 1]) is not None:
            return True
    return False


def sniff_workbook(book) -> bool:
    """A sheet with a row of column numbers 1..12 (or 1..24) followed by a row labelled A..P."""
    return any(_sheet_has_grid(_rows(values)) for values in book.sheets.values())


@dataclass
class _Grid:
    label: str
    sheet: str
    row: int          # 0-based row of the header
    od: np.ndarray
    saturated: np.ndarray


def _read_grid(rows: list[list[str]], i: int, start: int, sheet: str, path: Path
               ) -> tuple[_Grid, int]:
    header = rows[i]
    width = _header_width(header, start)
    if width is None:
        found = ", ".join(header[start:]) or "nothing"
        raise PlateError("expected the column numbers 1..12 (or 1..24) in the grid header, found "
                         f"{found}", file=path, where=_where(sheet, i, start))
    n_rows, n_cols = shape_for_cols(width)
    od = np.full((n_rows, n_cols), np.nan)
    sat = np.zeros((n_rows, n_cols), dtype=bool)
    last = ROW_LETTERS[n_rows - 1]
    for r in range(n_rows):
        expected = ROW_LETTERS[r]
        k = i + 1 + r
        cells = rows[k] if k < len(rows) else []
        found = _row_label(cells)
        if found != expected:
            got = f"rows A-{ROW_LETTERS[r - 1]}" if r > 1 else "row A" if r else "no rows"
            where = _where(sheet, min(k, max(len(rows) - 1, 0)))
            if not any(cells) or _header_start(cells) is not None:
                ends = "the sheet ends" if k >= len(rows) else "the grid ends"
                raise PlateError(f"row {expected} is missing: {ends} after {got} (grid header "
                                 f"at {_where(sheet, i)}), expected rows A-{last}", file=path,
                                 where=where)
            if found is None:
                raise PlateError(f"expected the row label {expected}, found {cells[0]!r}",
                                 file=path, where=where)
            if ROW_LETTERS.index(found) > r:
                raise PlateError(f"row {expected} is missing: found row {found}, expected rows "
                                 f"A-{last} in order", file=path, where=where)
            raise PlateError(f"rows out of order: found row {found} where row {expected} was "
                             f"expected (rows A-{last} in order)", file=path, where=where)
        for c, text in enumerate(cells[1:]):
            if c >= n_cols:
                if text:
                    raise PlateError(f"a value beyond the plate's {n_cols} columns, found "
                                     f"{text!r} (expected an empty cell)", file=path,
                                     where=_where(sheet, k, c + 1))
                continue
            try:
                cell = parse_cell(text)
            except ValueError as exc:
                raise PlateError(str(exc), file=path,
                                 where=_where(sheet, k, c + 1, format_well(r, c))) from None
            od[r, c], sat[r, c] = cell.value, cell.saturated
    end = i + 1 + n_rows
    if end < len(rows):
        extra = _row_label(rows[end])
        if extra is not None and ROW_LETTERS.index(extra) >= n_rows and len(rows[end]) > 1:
            raise PlateError(f"row {extra} is beyond the plate's rows A-{last}", file=path,
                             where=_where(sheet, end))
    label = header[0] if start == 1 else ""
    return _Grid(label, sheet, i, od, sat), end


def _wavelength(label: str) -> int | None:
    match = _WAVELENGTH.match(label.strip())
    if not match:
        return None
    nm = int(match.group(1))
    return nm if 200 <= nm <= 1100 else None


def _sheet_plates(grids: list[_Grid], sheet_name: str | None, path: Path) -> list[PlateRead]:
    waves = [_wavelength(g.label) for g in grids]
    first = grids[0]
    meta = {"sheet": first.sheet, "first_cell": _where(first.sheet, first.row).split("cell ")[1]}
    if all(w is not None for w in waves):
        seen: dict[int, _Grid] = {}
        for g, w in zip(grids, waves):
            if g.od.shape != first.od.shape:
                raise PlateError(f"the grids at {_where(first.sheet, first.row)} and "
                                 f"{_where(g.sheet, g.row)} are reads of one plate (their top-left"
                                 " cells name wavelengths) but differ in size", file=path)
            if w in seen:
                raise PlateError(f"a second grid at {w} nm (the first is at "
                                 f"{_where(seen[w].sheet, seen[w].row)})", file=path,
                                 where=_where(g.sheet, g.row))
            seen[w] = g
        return [PlateRead(sheet_name, tuple(waves), np.stack([g.od for g in grids]),
                          np.stack([g.saturated for g in grids]), meta)]
    if any(w is not None for w in waves):
        named = next(g for g, w in zip(grids, waves) if w is not None)
        other = next(g for g, w in zip(grids, waves) if w is None)
        raise PlateError(f"the grid at {_where(named.sheet, named.row)} is labelled as a "
                         f"wavelength ({named.label!r}) but the grid at "
                         f"{_where(other.sheet, other.row)} is not ({other.label!r}): label "
                         "every grid with its wavelength, or none", file=path)
    return [PlateRead(g.label or (sheet_name if len(grids) == 1 else None), (None,), g.od[None],
                      g.saturated[None],
                      {"sheet": g.sheet, "first_cell": _where(g.sheet, g.row).split("cell ")[1]})
            for g in grids]


def read_workbook(book, path: Path) -> tuple[PlateRead, ...]:
    by_sheet: list[tuple[str, list[_Grid]]] = []
    for name, values in book.sheets.items():
        rows = _rows(values)
        grids = []
        i = 0
        while i < len(rows):
            start = _header_start(rows[i])
            if start is None:
                i += 1
                continue
            grid, i = _read_grid(rows, i, start, name, path)
            grids.append(grid)
        if grids:
            by_sheet.append((name, grids))
    if not by_sheet:
        raise PlateError("no plate grid found in any sheet: expected a row 1..12 (or 1..24) "
                         "followed by rows labelled A..H (or A..P)", file=path)
    several = len(by_sheet) > 1
    plates: list[PlateRead] = []
    for name, grids in by_sheet:
        plates.extend(_sheet_plates(grids, name if several else None, path))
    return tuple(plates)
