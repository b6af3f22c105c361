"""The blocks of one Agilent BioTek Gen5 export plate, found in rows of cells.

Both the text export (tab-separated lines) and the Excel export (rows of a sheet) are handed here
as a :class:`Rows`: cells as stripped text, and a way to say where a cell is (``line 12`` or
``sheet 'Sheet1', cell D12``). This module finds the header (key, value) pairs, the Procedure
Details read steps, the Layout grid, the Results grids (one line per data set per plate row,
labelled in the column after the last well column), the "Well" tables (wells as columns, one row
per data set) and kinetic tables; :mod:`plates.readers.gen5` turns them into plates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from plates.errors import PlateError
from plates.wells import ROW_LETTERS, parse_well

_WIDTHS = {12: 8, 24: 16}  # plate columns -> rows


@dataclass
class Rows:
    """One plate's rows of cells (stripped text), with the 0-based index of each in its source."""

    cells: list[list[str]]
    index: list[int]                       # source row index (0-based) of each row
    where: Callable[[int, int | None], str]  # (source row, column or None) -> "line 12"
    path: Path

    def err(self, i: int, message: str, col: int | None = None, well: str | None = None
            ) -> PlateError:
        where = self.where(self.index[i], col)
        return PlateError(message, file=self.path,
                          where=where + (f", well {well}" if well else ""))

    def first(self, i: int) -> tuple[int, str]:
        """(column, text) of the first non-empty cell of row ``i``, (-1, '') if blank."""
        for j, text in enumerate(self.cells[i]):
            if text:
                return j, text
        return -1, ""

    def blank(self, i: int) -> bool:
        return not any(self.cells[i])


@dataclass
class Step:
    """One ``Read`` step of the Procedure Details."""

    name: str | None
    row: int
    mode: str = ""            # absorbance / fluorescence / luminescence / alpha
    kind: str = ""            # Endpoint, Kinetic, Spectrum, Area Scan, ...
    region: str = "Full Plate"
    wavelengths: list[int] = field(default_factory=list)
    filters: list[tuple[str, str]] = field(default_factory=list)   # (excitation, emission)
    emissions: list[str] = field(default_factory=list)              # luminescence
    in_kinetic: bool = False


@dataclass
class Grid:
    """A plate grid with a data-set label per line: label -> rows of cell texts (n_rows x n_cols)
    and the index (in Rows) of the line each plate row came from."""

    title: str
    header: int               # index in Rows of the 1..N header line
    n_rows: int
    n_cols: int
    labels: list[str]
    values: dict[str, list[list[str]]]
    lines: dict[str, list[int]]
    col0: int                 # column of the first well


@dataclass
class WellTable:
    """A table with wells as columns: label -> {well: text}."""

    header: int
    wells: list[tuple[int, int]]
    labels: list[str]
    values: dict[str, list[str]]
    lines: dict[str, int]
    col0: int


@dataclass
class Blocks:
    header: dict[str, str]
    header_rows: dict[str, int]
    procedure: list[str]
    steps: list[Step]
    kinetic: str | None       # the "Start Kinetic" settings, when the procedure has one
    layout: Grid | None
    results: list[Grid]
    well_tables: list[WellTable]
    time_table: tuple[int, int] | None   # (row, number of time points) of a kinetic table
    temperatures: list[str]


_MODES = {"absorbance": "absorbance", "fluorescence": "fluorescence",
          "luminescence": "luminescence", "alpha": "alpha"}
_MODE_LINE = re.compile(r"^(Absorbance|Fluorescence|Luminescence|Alpha)\s+(.+)$", re.IGNORECASE)
_WAVELENGTHS = re.compile(r"^Wavelengths?:\s*(.+)$", re.IGNORECASE)
_FILTER = re.compile(r"Excitation:\s*([^,]+?),\s*Emission:\s*([^,]+?)(?:,|$)", re.IGNORECASE)
_EMISSION = re.compile(r"^Emission:\s*([^,]+)", re.IGNORECASE)
_REGION = re.compile(r"^[A-P]\d{1,2}\.\.[A-P]\d{1,2}$")


def _int(text: str) -> int | None:
    text = text.strip()
    if re.fullmatch(r"\d+(?:\.0+)?", text):
        return int(float(text))
    return None


def grid_header(cells: list[str]) -> tuple[int, int] | None:
    """(column of ``1``, width) when the cells are a plate grid header 1..12 or 1..24."""
    for start in range(min(len(cells) - 1, 3)):
        if _int(cells[start]) == 1 and _int(cells[start + 1]) == 2 and not any(cells[:start]):
            width = 0
            while start + width < len(cells) and _int(cells[start + width]) == width + 1:
                width += 1
            if width in _WIDTHS:
                return start, width
            return start, width
    return None


def _well_header(cells: list[str]) -> int | None:
    """Column of ``Well`` when the row is a "Well | A1 | A2 ..." header."""
    for j, text in enumerate(cells[:3]):
        if text:
            if text.lower() == "well" and j + 1 < len(cells) and cells[j + 1].upper() == "A1":
                return j
            return None
    return None


def _time_header(cells: list[str]) -> int | None:
    for j, text in enumerate(cells[:3]):
        if text:
            if text.lower() == "time" and j + 1 < len(cells) and (
                    cells[j + 1].upper() == "A1" or cells[j + 1].startswith("T")):
                return j
            return None
    return None


def parse_steps(rows: Rows, start: int, stop: int) -> tuple[list[Step], str | None]:
    steps: list[Step] = []
    kinetic = None
    in_kinetic = False
    for i in range(start, stop):
        cells = rows.cells[i]
        key = cells[0] if cells else ""
        rest = [c for c in cells[1:] if c]
        if key == "Start Kinetic":
            kinetic = rest[0] if rest else "(no settings)"
            in_kinetic = True
            continue
        if key == "End Kinetic":
            in_kinetic = False
            continue
        if key == "Read":
            value = rest[0] if rest else ""
            step = Step(None, i, in_kinetic=in_kinetic)
            mode = _MODE_LINE.match(value)
            if mode:
                step.mode = _MODES[mode.group(1).lower()]
                step.kind = mode.group(2)
            else:
                step.name = value or None
            steps.append(step)
            continue
        if key or not steps:
            continue
        step = steps[-1]
        for text in rest:
            mode = _MODE_LINE.match(text)
            if mode and not step.mode:
                step.mode = _MODES[mode.group(1).lower()]
                step.kind = mode.group(2)
            elif text == "Full Plate" or _REGION.match(text):
                step.region = text
            elif (match := _WAVELENGTHS.match(text)):
                for part in match.group(1).split(","):
                    nm = _int(part)
                    if nm is not None:
                        step.wavelengths.append(nm)
            elif (match := _FILTER.search(text)):
                step.filters.append((match.group(1).strip(), match.group(2).strip()))
            elif (match := _EMISSION.match(text)):
                step.emissions.append(match.group(1).strip())
    return steps, kinetic


def _parse_grid(rows: Rows, h: int, col: int, width: int, title: str) -> tuple[Grid, int]:
    """The labelled grid whose 1..N header is row ``h``; returns it and the row after it."""
    if width not in _WIDTHS:
        raise rows.err(h, f"a grid header with columns 1..{width}: expected 1..12 (96 wells) "
                       "or 1..24 (384 wells)")
    n_rows, n_cols = _WIDTHS[width], width
    letter_col = col - 1
    label_col = col + n_cols
    labels: list[str] = []
    values: dict[str, list[list[str]]] = {}
    lines: dict[str, list[int]] = {}
    row = -1
    row_labels: list[list[str]] = []
    i = h + 1
    while i < len(rows.cells) and not rows.blank(i):
        cells = rows.cells[i]
        if grid_header(cells) is not None or _well_header(cells) is not None:
            break
        if any(cells[:max(letter_col, 0)]):
            break  # a line of another block (a key in the first column)
        letter = cells[letter_col] if 0 <= letter_col < len(cells) else ""
        if letter:
            expected = ROW_LETTERS[row + 1] if row + 1 < n_rows else None
            if letter.upper() != expected:
                if expected is None:
                    raise rows.err(i, f"row {letter} is beyond the plate's rows A-"
                                   f"{ROW_LETTERS[n_rows - 1]} ({title} grid at "
                                   f"{rows.where(rows.index[h], None)})")
                if len(letter) == 1 and letter.upper() in ROW_LETTERS:
                    raise rows.err(i, f"row {expected} is missing: found row {letter.upper()} "
                                   f"(the {title} grid must list rows A-{ROW_LETTERS[n_rows - 1]}"
                                   " in order)")
                raise rows.err(i, f"expected the row label {expected} or an empty first cell "
                               f"(another data set of row {ROW_LETTERS[row] if row >= 0 else 'A'}"
                               f") in the {title} grid, found {letter!r}")
            row += 1
            row_labels.append([])
        elif row < 0:
            raise rows.err(i, f"expected row A after the {title} grid header, found a line "
                           "without a row label")
        extra = [j for j in range(label_col + 1, len(cells)) if cells[j]]
        if extra:
            j = extra[0]
            raise rows.err(i, f"a value beyond the plate's {n_cols} columns, found "
                           f"{cells[j]!r} (expected {n_cols} values, then the data-set label)",
                           col=j)
        label = cells[label_col] if label_col < len(cells) else ""
        if not label:
            found = sum(1 for c in cells[col:label_col] if c)
            raise rows.err(i, f"expected {n_cols} values and a data-set label (such as "
                           f"'450' or 'Read 1:450') after them; the line has {found} values and "
                           "no label", col=label_col)
        cell_values = list(cells[col:label_col]) + [""] * max(0, label_col - len(cells))
        r_labels = row_labels[-1]
        if label in r_labels:
            raise rows.err(i, f"the data set {label!r} appears twice in row {ROW_LETTERS[row]}")
        r_labels.append(label)
        if row == 0:
            labels.append(label)
            values[label] = [[""] * n_cols for _ in range(n_rows)]
            lines[label] = [-1] * n_rows
        elif label not in values:
            raise rows.err(i, f"data set {label!r} in row {ROW_LETTERS[row]} is not one of row "
                           f"A's ({', '.join(labels)})", col=label_col)
        values[label][row] = cell_values
        lines[label][row] = i
        i += 1
    last = ROW_LETTERS[n_rows - 1]
    if row < n_rows - 1:
        got = f"after row {ROW_LETTERS[row]}" if row >= 0 else "before row A"
        ends = "the file ends" if i >= len(rows.cells) else "the grid ends"
        raise rows.err(min(i, len(rows.cells) - 1),
                       f"row {ROW_LETTERS[row + 1]} is missing: {ends} {got} (the {title} grid "
                       f"at {rows.where(rows.index[h], None)} needs rows A-{last})")
    for r, found in enumerate(row_labels):
        missing = [lab for lab in labels if lab not in found]
        if missing:
            line = max(lines[lab][r] for lab in found)
            raise rows.err(line, f"row {ROW_LETTERS[r]} lacks the data set {missing[0]!r} that "
                           "row A has (the file may be cut or edited)")
    return Grid(title, h, n_rows, n_cols, labels, values, lines, col), i


def _parse_well_table(rows: Rows, h: int, col: int) -> tuple[WellTable, int]:
    header = rows.cells[h]
    wells: list[tuple[int, int]] = []
    j = col + 1
    while j < len(header) and header[j]:
        try:
            wells.append(parse_well(header[j], 16, 24))
        except ValueError as exc:
            raise rows.err(h, f"in the Well table header: {exc}", col=j) from None
        j += 1
    end = j
    labels: list[str] = []
    values: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    i = h + 1
    while i < len(rows.cells) and not rows.blank(i):
        cells = rows.cells[i]
        label = cells[col] if col < len(cells) else ""
        if any(cells[:col]) or not label:
            break
        extra = [k for k in range(end, len(cells)) if cells[k]]
        if extra:
            raise rows.err(i, f"a value beyond the last well column ({header[end - 1]}), found "
                           f"{cells[extra[0]]!r}", col=extra[0])
        if label in values:
            raise rows.err(i, f"the data set {label!r} appears twice in the Well table")
        labels.append(label)
        values[label] = list(cells[col + 1:end]) + [""] * max(0, end - len(cells))
        lines[label] = i
        i += 1
    return WellTable(h, wells, labels, values, lines, col + 1), i


def find_blocks(rows: Rows) -> Blocks:
    header: dict[str, str] = {}
    header_rows: dict[str, int] = {}
    n = len(rows.cells)
    i = 0
    while i < n and rows.first(i)[1] != "Procedure Details":
        cells = rows.cells[i]
        if cells and cells[0]:
            key = cells[0]
            value = next((c for c in cells[1:] if c), "")
            header.setdefault(key, value)
            header_rows.setdefault(key, i)
        i += 1
    if i >= n:
        raise PlateError("no 'Procedure Details' line: a Gen5 export has the header (Software "
                         "Version, Plate Number, Date, ...), then Procedure Details, then "
                         "Results; the file may be cut", file=rows.path)
    proc_start = i + 1
    while proc_start < n and rows.blank(proc_start):
        proc_start += 1
    proc_end = proc_start
    while proc_end < n and not rows.blank(proc_end) and rows.first(proc_end)[1] not in (
            "Layout", "Results"):
        proc_end += 1
    procedure = ["\t".join(c for c in rows.cells[k] if c) for k in range(proc_start, proc_end)]
    steps, kinetic = parse_steps(rows, proc_start, proc_end)

    layout: Grid | None = None
    results: list[Grid] = []
    tables: list[WellTable] = []
    time_table = None
    temperatures: list[str] = []
    title = ""
    i = proc_end
    while i < n:
        cells = rows.cells[i]
        if rows.blank(i):
            i += 1
            continue
        head = grid_header(cells)
        if head is not None:
            col, width = head
            kind = "Layout" if title == "Layout" else "Results"
            grid, i = _parse_grid(rows, i, col, width, kind)
            if kind == "Layout":
                layout = grid
            else:
                results.append(grid)
            title = ""
            continue
        col = _well_header(cells)
        if col is not None:
            table, i = _parse_well_table(rows, i, col)
            tables.append(table)
            continue
        col = _time_header(cells)
        if col is not None:
            k = i + 1
            points = 0
            while k < n and not rows.blank(k):
                points += any(rows.cells[k][col + 1:])
                k += 1
            if time_table is None:
                time_table = (i, points)
            i = k
            continue
        j, text = rows.first(i)
        if text == "Actual Temperature:":
            value = next((c for c in cells[j + 1:] if c), "")
            temperatures.append(value)
        elif j <= 1 and len([c for c in cells if c]) == 1:
            title = text
        i += 1
    return Blocks(header, header_rows, procedure, steps, kinetic, layout, results, tables,
                  time_table, temperatures)


def split_plates(rows: Rows) -> list[Rows]:
    """One Rows per plate: a multi-plate export repeats the whole block from Software Version."""
    starts = [i for i in range(len(rows.cells)) if rows.first(i)[1] == "Software Version"]
    if len(starts) <= 1:
        return [rows]
    starts.append(len(rows.cells))
    return [Rows(rows.cells[a:b], rows.index[a:b], rows.where, rows.path)
            for a, b in zip(starts, starts[1:])]
