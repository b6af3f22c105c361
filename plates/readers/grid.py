"""The ``grid`` format: plain 8x12 or 16x24 grids in CSV, TSV or semicolon text.

A grid is a header row whose cells are ``1..12`` (or ``1..24``) after an optional top-left
cell, then one line per plate row labelled ``A..H`` (or ``A..P``). Grids are separated by blank
lines (or rows of empty cells); lines outside grids (titles, notes) are ignored. When every
grid's top-left cell names a wavelength (``450``, ``450 nm``, ``OD450``, ``A450``, ``Abs 450``)
the grids are reads of one plate; otherwise each grid is a plate named by its top-left cell.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from plates.cells import parse_cell, parse_number
from plates.errors import PlateError
from plates.model import PlateRead
from plates.wells import ROW_LETTERS, format_well, shape_for_cols

FORMAT = "grid"
SNIFF_ORDER = 90  # generic: vendor formats that contain grids are tried first

_DELIMITERS = ("\t", ";", ",")
_WIDTHS = (12, 24)
_WAVELENGTH = re.compile(
    r"^(?:OD|A|Abs\.?|Absorbance|Wavelength|WL|λ)?\s*[:=_-]?\s*(\d{3,4})(?:[.,]0+)?\s*(?:nm)?$",
    re.IGNORECASE)


@dataclass
class _Grid:
    label: str        # top-left cell ('' when empty or absent)
    line: int         # 1-based line of the header
    n_rows: int
    n_cols: int
    od: np.ndarray
    saturated: np.ndarray


def _split(text: str, delimiter: str) -> list[list[str]]:
    rows = []
    for line in text.split("\n"):
        cells = next(csv.reader([line], delimiter=delimiter), [])
        cells = [c.strip() for c in cells]
        while cells and not cells[-1]:
            cells.pop()
        rows.append(cells)
    return rows


def _is_int(cell: str, value: int) -> bool:
    number = parse_number(cell)
    return number is not None and number == value


def _header_start(cells: list[str]) -> int | None:
    """Index of the cell holding ``1`` if this line looks like a grid header, else None."""
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


def _choose_delimiter(text: str, level: int = 2) -> str | None:
    """The delimiter giving a grid header: level 2 = a valid header followed by a line starting
    with a row label (A, or a later row when A is missing), 1 = a valid header, 0 = anything that starts like a header (for error messages)."""
    for delimiter in _DELIMITERS:
        if delimiter not in text:
            continue
        rows = _split(text, delimiter)
        for i, cells in enumerate(rows):
            start = _header_start(cells)
            if start is None:
                continue
            if level == 0:
                return delimiter
            if _header_width(cells, start) is None:
                continue
            following = rows[i + 1] if i + 1 < len(rows) else []
            if level == 1 or _row_label(following) is not None:
                return delimiter
    return None


def sniff(text: str) -> bool:
    """A header line whose cells are 1..12 or 1..24, followed by a line starting with a row
    label (normally A; a later letter too, so that a grid missing row A gets a clear error)."""
    return _choose_delimiter(text) is not None


def _err(path: Path, line: int, message: str, well: str | None = None) -> PlateError:
    where = f"line {line}" + (f", well {well}" if well else "")
    return PlateError(message, file=path, where=where)


def _row_label(cells: list[str]) -> str | None:
    label = cells[0].upper() if cells else ""
    return label if len(label) == 1 and label in ROW_LETTERS else None


def _read_grid(rows: list[list[str]], i: int, start: int, path: Path) -> tuple[_Grid, int]:
    """Parse the grid whose header is ``rows[i]``; return it and the index after it."""
    header = rows[i]
    width = _header_width(header, start)
    if width is None:
        found = ", ".join(header[start:]) or "nothing"
        raise _err(path, i + 1, "expected the column numbers 1..12 (or 1..24) in the grid header,"
                   f" found {found}")
    n_rows, n_cols = shape_for_cols(width)
    label = header[0] if start == 1 else ""
    od = np.full((n_rows, n_cols), np.nan)
    sat = np.zeros((n_rows, n_cols), dtype=bool)
    last = ROW_LETTERS[n_rows - 1]
    for r in range(n_rows):
        expected = ROW_LETTERS[r]
        k = i + 1 + r
        line = k + 1
        cells = rows[k] if k < len(rows) else []
        found = _row_label(cells)
        if found != expected:
            if not any(cells) or _header_start(cells) is not None:
                got = f"rows A-{ROW_LETTERS[r - 1]}" if r > 1 else "row A" if r else "no rows"
                ends = "the file ends" if k >= len(rows) else "the grid ends"
                raise _err(path, min(line, len(rows)), f"row {expected} is missing: {ends} after"
                           f" {got} (grid header at line {i + 1}), expected rows A-{last}")
            if found is None:
                raise _err(path, line, f"expected the row label {expected}, found {cells[0]!r}")
            if ROW_LETTERS.index(found) > r:
                if ROW_LETTERS.index(found) >= n_rows:
                    raise _err(path, line, f"row {expected} is missing: found row {found}, which"
                               f" is beyond the plate's rows A-{last}")
                raise _err(path, line, f"row {expected} is missing: found row {found} after row"
                           f" {ROW_LETTERS[r - 1] if r else 'header'}, expected rows A-{last}"
                           " in order")
            raise _err(path, line, f"rows out of order: found row {found} where row {expected}"
                       f" was expected (rows A-{last} in order)")
        values = cells[1:]
        for c, text in enumerate(values):
            if c >= n_cols:
                if text:
                    raise PlateError(f"a value beyond the plate's {n_cols} columns, found"
                                     f" {text!r} (expected an empty cell or nothing)", file=path,
                                     where=f"line {line}, column {c + 1}")
                continue
            try:
                cell = parse_cell(text)
            except ValueError as exc:
                raise _err(path, line, str(exc), well=format_well(r, c)) from None
            od[r, c] = cell.value
            sat[r, c] = cell.saturated
    end = i + 1 + n_rows
    if end < len(rows):
        extra = _row_label(rows[end])
        if extra is not None and ROW_LETTERS.index(extra) >= n_rows and len(rows[end]) > 1:
            raise _err(path, end + 1, f"row {extra} is beyond the plate's rows A-{last}")
    return _Grid(label, i + 1, n_rows, n_cols, od, sat), end


def _wavelength(label: str) -> int | None:
    match = _WAVELENGTH.match(label.strip())
    if not match:
        return None
    nm = int(match.group(1))
    return nm if 200 <= nm <= 1100 else None


def _grids(text: str, path: Path) -> list[_Grid]:
    delimiter = next((d for level in (2, 1, 0) if (d := _choose_delimiter(text, level))), None)
    if delimiter is None:
        raise PlateError("no plate grid found: expected a header row 1..12 (or 1..24) followed"
                         " by rows labelled A..H (or A..P)", file=path)
    rows = _split(text, delimiter)
    grids = []
    i = 0
    while i < len(rows):
        start = _header_start(rows[i])
        if start is None:
            i += 1
            continue
        grid, i = _read_grid(rows, i, start, path)
        grids.append(grid)
    return grids


def read(text: str, path: Path) -> tuple[PlateRead, ...]:
    grids = _grids(text, path)
    waves = [_wavelength(g.label) for g in grids]
    if all(w is not None for w in waves):
        first = grids[0]
        for g in grids[1:]:
            if (g.n_rows, g.n_cols) != (first.n_rows, first.n_cols):
                raise PlateError(f"the grids at lines {first.line} and {g.line} are reads of one"
                                 " plate (their top-left cells name wavelengths) but differ in"
                                 " size", file=path, where=f"line {g.line}")
        seen: dict[int, int] = {}
        for g, w in zip(grids, waves):
            if w in seen:
                raise PlateError(f"a second grid at {w} nm (the first is at line {seen[w]})",
                                 file=path, where=f"line {g.line}")
            seen[w] = g.line
        od = np.stack([g.od for g in grids])
        sat = np.stack([g.saturated for g in grids])
        return (PlateRead(None, tuple(waves), od, sat, {"first_line": str(first.line)}),)
    if any(w is not None for w in waves):
        named = next(g for g, w in zip(grids, waves) if w is not None)
        other = next(g for g, w in zip(grids, waves) if w is None)
        raise PlateError(f"the grid at line {named.line} is labelled as a wavelength"
                         f" ({named.label!r}) but the grid at line {other.line} is not"
                         f" ({other.label!r}): label every grid with its wavelength, or none",
                         file=path)
    return tuple(
        PlateRead(g.label or None, (None,), g.od[None], g.saturated[None],
                  {"first_line": str(g.line)})
        for g in grids)
from plates.readers.grid_workbook import read_workbook, sniff_workbook  # noqa: E402,F401  (xlsx grids)
