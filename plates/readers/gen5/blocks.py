"""The blocks of one Agilent BioTek Gen5 export plate, found in rows of cells.

Both the text export (tab-separated lines) and the Excel export (rows of a sheet) are handed here
as a :class:`~plates.readers.gen5.rows.Rows`. This module walks them: the header (key, value)
pairs, the Procedure Details (read steps: :mod:`plates.readers.gen5.steps`), the Layout and Results
grids and the "Well" tables (:mod:`plates.readers.gen5.grids`), kinetic time tables and
temperatures; :mod:`plates.readers.gen5.reader` turns them into plates.
"""

from __future__ import annotations

from dataclasses import dataclass

from plates.errors import PlateError
from plates.readers.gen5.grids import (
    Grid,
    WellTable,
    grid_header,
    parse_grid,
    parse_well_table,
    time_header,
    well_header,
)
from plates.readers.gen5.rows import Rows, split_plates
from plates.readers.gen5.steps import Step, parse_steps

__all__ = [
    "Blocks",
    "Grid",
    "Rows",
    "Step",
    "WellTable",
    "find_blocks",
    "grid_header",
    "parse_steps",
    "split_plates",
]


@dataclass
class Blocks:
    header: dict[str, str]
    header_rows: dict[str, int]
    procedure: list[str]
    steps: list[Step]
    kinetic: str | None  # the "Start Kinetic" settings, when the procedure has one
    layout: Grid | None
    results: list[Grid]
    well_tables: list[WellTable]
    time_table: tuple[int, int] | None  # (row, number of time points) of a kinetic table
    temperatures: list[str]


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
        raise PlateError(
            "no 'Procedure Details' line: a Gen5 export has the header (Software "
            "Version, Plate Number, Date, ...), then Procedure Details, then "
            "Results; the file may be cut",
            file=rows.path,
        )
    proc_start = i + 1
    while proc_start < n and rows.blank(proc_start):
        proc_start += 1
    proc_end = proc_start
    while (
        proc_end < n
        and not rows.blank(proc_end)
        and rows.first(proc_end)[1] not in ("Layout", "Results")
    ):
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
            grid, i = parse_grid(rows, i, col, width, kind)
            if kind == "Layout":
                layout = grid
            else:
                results.append(grid)
            title = ""
            continue
        well_col = well_header(cells)
        if well_col is not None:
            table, i = parse_well_table(rows, i, well_col)
            tables.append(table)
            continue
        time_col = time_header(cells)
        if time_col is not None:
            k = i + 1
            points = 0
            while k < n and not rows.blank(k):
                points += any(rows.cells[k][time_col + 1 :])
                k += 1
            if time_table is None:
                time_table = (i, points)
            i = k
            continue
        j, text = rows.first(i)
        if text == "Actual Temperature:":
            value = next((c for c in cells[j + 1 :] if c), "")
            temperatures.append(value)
        elif j <= 1 and len([c for c in cells if c]) == 1:
            title = text
        i += 1
    return Blocks(
        header,
        header_rows,
        procedure,
        steps,
        kinetic,
        layout,
        results,
        tables,
        time_table,
        temperatures,
    )
