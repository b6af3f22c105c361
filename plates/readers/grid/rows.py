"""The rows of a ``grid`` export, shared by :mod:`plates.readers.grid.reader` (text) and
:mod:`plates.readers.grid.workbook_reader` (xlsx): header recognition, the row checks of one grid and
the wavelength in a grid's top-left cell.

A grid is a header row whose cells are ``1..12`` (or ``1..24``) after an optional top-left cell,
then one row per plate row labelled ``A..H`` (or ``A..P``). Rows are lists of stripped text
cells; :class:`Place` says how an error names a row (a line of a file, a cell of a sheet).

Not a reader module (no ``FORMAT``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from plates.errors import PlateError
from plates.readers.common.cells import TextRow, parse_cell, parse_whole
from plates.readers.common.workbook import cell_name
from plates.wells import ROW_LETTERS, format_well, shape_for_cols

__all__ = [
    "Grid",
    "Place",
    "TextRow",
    "find_grids",
    "has_grid",
    "header_start",
    "header_width",
    "read_grid",
    "row_label",
    "wavelength",
]

_WIDTHS = (12, 24)
_WAVELENGTH = re.compile(
    r"^(?:OD|A|Abs\.?|Absorbance|Wavelength|WL|λ)?\s*[:=_-]?\s*(\d{3,4})(?:[.,]0+)?\s*(?:nm)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Place:
    """Where the rows come from: a text file (``sheet`` None: rows are lines) or a sheet."""

    path: Path
    sheet: str | None = None

    def at(self, k: int, c: int = 0, well: str | None = None) -> str:
        """Row ``k`` (0-based): ``line k+1`` of a file, cell (k, c) of a sheet."""
        text = (
            f"line {k + 1}"
            if self.sheet is None
            else f"sheet {self.sheet!r}, cell {cell_name(k, c)}"
        )
        return text + (f", well {well}" if well else "")

    def column(self, k: int, c: int) -> str:
        """Plate column ``c`` (0-based) of row ``k``: a file names the line and the plate's
        column number, a sheet the cell (after the row label)."""
        return f"line {k + 1}, column {c + 1}" if self.sheet is None else self.at(k, c + 1)

    def error(self, message: str, k: int, c: int = 0, well: str | None = None) -> PlateError:
        return PlateError(message, file=self.path, where=self.at(k, c, well))


@dataclass
class Grid:
    label: str  # top-left cell ('' when empty or absent)
    row: int  # 0-based row of the header
    od: np.ndarray
    saturated: np.ndarray

    @property
    def line(self) -> int:
        """1-based line (or sheet row) of the header."""
        return self.row + 1


def header_start(cells: list[str]) -> int | None:
    """Index of the cell holding ``1`` if this row looks like a grid header, else None."""
    for start in (0, 1):
        if (
            len(cells) > start + 1
            and parse_whole(cells[start]) == 1
            and parse_whole(cells[start + 1]) == 2
        ):
            return start
    return None


def header_width(cells: list[str], start: int) -> int | None:
    numbers = cells[start:]
    for width in _WIDTHS:
        if len(numbers) == width and all(parse_whole(c) == i + 1 for i, c in enumerate(numbers)):
            return width
    return None


def row_label(cells: list[str]) -> str | None:
    label = cells[0].upper() if cells else ""
    return label if len(label) == 1 and label in ROW_LETTERS else None


def has_grid(rows: list[list[str]], level: int = 2) -> bool:
    """Level 2: a valid header followed by a row starting with a row label (A, or a later row
    when A is missing); 1: a valid header; 0: anything that starts like a header."""
    for i, cells in enumerate(rows):
        start = header_start(cells)
        if start is None:
            continue
        if level == 0:
            return True
        if header_width(cells, start) is None:
            continue
        following = rows[i + 1] if i + 1 < len(rows) else []
        if level == 1 or row_label(following) is not None:
            return True
    return False


def wavelength(label: str) -> int | None:
    match = _WAVELENGTH.match(label.strip())
    if not match:
        return None
    nm = int(match.group(1))
    return nm if 200 <= nm <= 1100 else None


def _skipped(place: Place, expected: str, found: str, r: int, n_rows: int) -> str:
    """The message for a row label later than expected (a file's message says more)."""
    last = ROW_LETTERS[n_rows - 1]
    if place.sheet is not None:
        return f"row {expected} is missing: found row {found}, expected rows A-{last} in order"
    if ROW_LETTERS.index(found) >= n_rows:
        return (
            f"row {expected} is missing: found row {found}, which is beyond the plate's rows"
            f" A-{last}"
        )
    return (
        f"row {expected} is missing: found row {found} after row"
        f" {ROW_LETTERS[r - 1] if r else 'header'}, expected rows A-{last} in order"
    )


def _check_label(rows: list[list[str]], i: int, r: int, n_rows: int, place: Place) -> None:
    """Row ``r`` of the grid whose header is ``rows[i]`` must carry its label."""
    expected, last = ROW_LETTERS[r], ROW_LETTERS[n_rows - 1]
    k = i + 1 + r
    cells = rows[k] if k < len(rows) else []
    found = row_label(cells)
    if found == expected:
        return
    if not any(cells) or header_start(cells) is not None:
        got = f"rows A-{ROW_LETTERS[r - 1]}" if r > 1 else "row A" if r else "no rows"
        source = "file" if place.sheet is None else "sheet"
        ends = f"the {source} ends" if k >= len(rows) else "the grid ends"
        raise place.error(
            f"row {expected} is missing: {ends} after {got} (grid header at"
            f" {place.at(i)}), expected rows A-{last}",
            min(k, len(rows) - 1),
        )
    if found is None:
        raise place.error(f"expected the row label {expected}, found {cells[0]!r}", k)
    if ROW_LETTERS.index(found) > r:
        raise place.error(_skipped(place, expected, found, r, n_rows), k)
    raise place.error(
        f"rows out of order: found row {found} where row {expected} was expected"
        f" (rows A-{last} in order)",
        k,
    )


def read_grid(rows: list[list[str]], i: int, start: int, place: Place) -> tuple[Grid, int]:
    """Parse the grid whose header is ``rows[i]``; return it and the index after it."""
    header = rows[i]
    width = header_width(header, start)
    if width is None:
        found = ", ".join(header[start:]) or "nothing"
        raise place.error(
            f"expected the column numbers 1..12 (or 1..24) in the grid header, found {found}",
            i,
            start,
        )
    n_rows, n_cols = shape_for_cols(width)
    od = np.full((n_rows, n_cols), np.nan)
    sat = np.zeros((n_rows, n_cols), dtype=bool)
    nothing = " or nothing" if place.sheet is None else ""
    for r in range(n_rows):
        _check_label(rows, i, r, n_rows, place)
        k = i + 1 + r
        fields = getattr(rows[k], "n_fields", None)
        first = getattr(rows[i + 1], "n_fields", None)
        beyond = len(rows[k]) > 1 + n_cols  # a value beyond the plate: named below
        if fields is not None and fields != first and fields - 1 >= n_cols and not beyond:
            raise place.error(
                f"row {ROW_LETTERS[r]} has {fields} fields but row A has {first}: a cell was"
                " lost or added (the rest of the row would shift)",
                k,
            )
        if fields is not None and fields - 1 < n_cols:
            # a text row keeps its empty cells as separators: fewer fields means lost cells
            # (the rest would shift left) or a row cut short
            raise place.error(
                f"row {ROW_LETTERS[r]} has {fields - 1} cells after its label, expected"
                f" {n_cols} (one per column 1..{n_cols}, empty or not): a cell is missing or"
                " the row is cut",
                k,
            )
        for c, text in enumerate(rows[k][1:]):
            if c >= n_cols:
                if text:
                    raise PlateError(
                        f"a value beyond the plate's {n_cols} columns, found"
                        f" {text!r} (expected an empty cell{nothing})",
                        file=place.path,
                        where=place.column(k, c),
                    )
                continue
            try:
                cell = parse_cell(text)
            except ValueError as exc:
                raise place.error(str(exc), k, c + 1, format_well(r, c)) from None
            od[r, c], sat[r, c] = cell.value, cell.saturated
    end = i + 1 + n_rows
    if end < len(rows):
        extra = row_label(rows[end])
        if extra is not None and ROW_LETTERS.index(extra) >= n_rows and len(rows[end]) > 1:
            raise place.error(
                f"row {extra} is beyond the plate's rows A-{ROW_LETTERS[n_rows - 1]}", end
            )
    label = header[0] if start == 1 else ""
    return Grid(label, i, od, sat), end


def find_grids(rows: list[list[str]], place: Place) -> list[Grid]:
    """Every grid of the rows, top to bottom; rows outside grids are ignored."""
    grids = []
    i = 0
    while i < len(rows):
        start = header_start(rows[i])
        if start is None:
            i += 1
            continue
        grid, i = read_grid(rows, i, start, place)
        grids.append(grid)
    return grids
