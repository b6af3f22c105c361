"""Blocks of an i-control / SparkControl sheet for the ``tecan`` reader: ``<>`` grids, list
layouts (``<>``, ``Value``, ``Time [ms]``) and kinetic ``Cycle Nr.`` blocks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from plates.readers.common.cells import parse_cell, parse_number
from plates.readers.tecan.common import Sheet, parse_well, shape_for_wells
from plates.wells import PLATE_SHAPES, ROW_LETTERS, format_well


@dataclass
class Grid:
    title: str | None
    od: np.ndarray
    saturated: np.ndarray
    row: int


@dataclass
class Block:
    row: int
    name: str | None = None
    mode: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    grids: list[Grid] = field(default_factory=list)
    cycles: int | None = None  # kinetic block: number of cycles read
    planned: int | None = None  # kinetic cycles planned (``Kinetic Cycles``)

    def param(self, *prefixes: str) -> str:
        for key, value in self.params.items():
            if any(key.lower().startswith(p.lower()) for p in prefixes):
                return value
        return ""


def values_of(cells: list[str]) -> list[str]:
    return [c for c in cells[1:] if c]


def header_width(cells: list[str]) -> int | None:
    numbers = cells[1:]
    if not numbers or any(parse_number(c) != i + 1 for i, c in enumerate(numbers)):
        return None
    return len(numbers)


def row_limit(block: Block | None, n_rows: int) -> int:
    """Rows expected in a grid: up to the last row of ``Part of Plate`` (``A1-H12``)."""
    part = block.param("Part of Plate") if block else ""
    match = re.match(r"^\s*[A-Pa-p]\d+\s*-\s*([A-Pa-p])\d+\s*$", part)
    if match:
        last = ROW_LETTERS.index(match.group(1).upper()) + 1
        if last <= n_rows:
            return last
    return n_rows


def read_grid(
    sheet: Sheet, i: int, block: Block | None, text: bool
) -> tuple[np.ndarray, np.ndarray, list[list[str]], int]:
    """The ``<>`` grid whose header is row ``i``: od, saturated, raw cells, index after it."""
    header = sheet.rows[i]
    width = header_width(header)
    if width is None or width > 24:
        raise sheet.error(
            "expected the column numbers 1..12 (or 1..24) after '<>', found "
            f"{', '.join(header[1:]) or 'nothing'}",
            i,
        )
    n_rows, n_cols = PLATE_SHAPES[96] if width <= 12 else PLATE_SHAPES[384]
    expected = row_limit(block, n_rows)
    od = np.full((n_rows, n_cols), np.nan)
    sat = np.zeros((n_rows, n_cols), dtype=bool)
    raw: list[list[str]] = []
    for r in range(expected):
        k = i + 1 + r
        cells = sheet.rows[k] if k < len(sheet.rows) else []
        label = cells[0].upper() if cells else ""
        if label != ROW_LETTERS[r]:
            got = f"rows A-{ROW_LETTERS[r - 1]}" if r > 1 else "row A" if r else "no rows"
            if k >= len(sheet.rows):
                raise sheet.error(
                    f"row {ROW_LETTERS[r]} is missing: the file ends after {got}"
                    f" of the grid at {sheet.where(i)}, expected rows "
                    f"A-{ROW_LETTERS[expected - 1]}",
                    len(sheet.rows) - 1,
                )
            found = f"found {cells[0]!r}" if cells and cells[0] else "found an empty line"
            raise sheet.error(
                f"row {ROW_LETTERS[r]} is missing from the grid at {sheet.where(i)}"
                f" ({found} after {got}), expected rows "
                f"A-{ROW_LETTERS[expected - 1]}",
                k,
            )
        if sheet.sheet is None and k == len(sheet.rows) - 1 and len(cells) - 1 < width:
            raise sheet.error(
                f"the file ends inside row {ROW_LETTERS[r]} of the grid at "
                f"{sheet.where(i)} (truncated?): {len(cells) - 1} of {width} "
                "values",
                k,
            )
        fields, header_fields = getattr(cells, "n_fields", None), getattr(header, "n_fields", 0)
        if fields is not None and fields != header_fields:
            raise sheet.error(
                f"row {ROW_LETTERS[r]} has {fields} fields but the grid header"
                f" ({sheet.where(i)}) has {header_fields}: a cell was lost or added, or the"
                " line is cut",
                k,
            )
        raw.append(cells[1 : 1 + width])
        for c, value in enumerate(cells[1:]):
            if c >= width:
                if value:
                    raise sheet.error(
                        f"a value beyond the grid's {width} columns, found "
                        f"{value!r} (expected an empty cell)",
                        k,
                        c + 1,
                    )
                continue
            if text:
                continue
            try:
                cell = parse_cell(value)
            except ValueError as exc:
                raise sheet.error(str(exc), k, c + 1, format_well(r, c)) from None
            od[r, c], sat[r, c] = cell.value, cell.saturated
    end = i + 1 + expected
    if end < len(sheet.rows) and sheet.rows[end]:
        extra = sheet.rows[end][0].upper()
        if len(extra) == 1 and extra in ROW_LETTERS and len(sheet.rows[end]) > 1:
            raise sheet.error(
                f"row {extra} is beyond the grid's rows A-{ROW_LETTERS[expected - 1]}", end
            )
    return od, sat, raw, end


def read_list(
    sheet: Sheet, i: int, block: Block | None, definition
) -> tuple[np.ndarray, np.ndarray, int]:
    """The list layout (``<>``, ``Value``, ``Time [ms]``) starting at row ``i``."""
    found: dict[tuple[int, int], tuple[float, bool]] = {}
    k = i + 1
    while k < len(sheet.rows) and sheet.rows[k] and sheet.rows[k][0]:
        cells = sheet.rows[k]
        well = parse_well(cells[0])
        if well is None:
            break
        if well in found:
            raise sheet.error(f"well {cells[0]} is listed twice", k)
        fields, header_fields = (
            getattr(cells, "n_fields", None),
            getattr(sheet.rows[i], "n_fields", 0),
        )
        if fields is not None and fields < header_fields:
            # a text line of the list keeps its empty fields ("A1;;"): fewer is a line cut
            raise sheet.error(
                f"the line of well {cells[0]} has {fields} fields but the list's header has"
                f" {header_fields}: the line is cut",
                k,
            )
        try:
            cell = parse_cell(cells[1] if len(cells) > 1 else "")
        except ValueError as exc:
            raise sheet.error(str(exc), k, 1, cells[0].upper()) from None
        found[well] = (cell.value, cell.saturated)
        k += 1
    if k >= len(sheet.rows):
        raise sheet.error(
            f"the file ends inside the well list that starts at {sheet.where(i)} (truncated?)",
            len(sheet.rows) - 1,
        )
    if not found:
        raise sheet.error("expected a well list (A1, A2, ...) after '<>, Value'", i + 1)
    n_rows, n_cols = shape_for_wells(found, definition)
    if (n_rows, n_cols) not in PLATE_SHAPES.values():
        raise sheet.error(f"unsupported plate of {n_rows}x{n_cols} wells: expected 96 or 384", i)
    part = block.param("Part of Plate") if block else ""
    match = re.match(r"^\s*([A-Pa-p]\d+)\s*-\s*([A-Pa-p]\d+)\s*$", part)
    if match:
        (r0, c0), (r1, c1) = (
            parse_well(match.group(1)) or (0, 0),
            parse_well(match.group(2)) or (0, 0),
        )
        missing = [
            format_well(r, c)
            for r in range(r0, r1 + 1)
            for c in range(c0, c1 + 1)
            if (r, c) not in found
        ]
        if missing:
            raise sheet.error(
                f"{len(missing)} wells of the plate part {part} are missing from"
                f" the well list (first {missing[0]})",
                k,
            )
    od = np.full((n_rows, n_cols), np.nan)
    sat = np.zeros((n_rows, n_cols), dtype=bool)
    for (r, c), (value, saturated) in found.items():
        if r >= n_rows or c >= n_cols:
            raise sheet.error(
                f"well {format_well(r, c)} is off the {n_rows * n_cols}-well plate", i
            )
        od[r, c], sat[r, c] = value, saturated
    return od, sat, k


def kinetic_cycles(sheet: Sheet, i: int) -> tuple[int, int]:
    """Number of cycles of the kinetic block at row ``i`` and the index after it."""
    cycle_row = sheet.rows[i]
    k = i + 1
    time_row: list[str] = []
    rows_below = 0
    while k < len(sheet.rows) and sheet.rows[k] and any(sheet.rows[k]):
        if sheet.rows[k][0].startswith("Time"):
            time_row = sheet.rows[k]
        rows_below += 1
        k += 1
    across = sum(1 for c in time_row[1:] if parse_number(c) is not None)
    if across:
        return across, k
    if "Time [s]" in cycle_row or (len(cycle_row) > 3 and parse_well(cycle_row[3])):
        return rows_below, k  # cycles down the rows: one row per cycle
    return max(len([c for c in cycle_row[1:] if c]), 1), k


def title_before(sheet: Sheet, i: int) -> str | None:
    """The single-cell line just above a grid (Spark's ``A450``, ``Reference``)."""
    for k in range(i - 1, max(i - 3, -1), -1):
        cells = sheet.rows[k]
        if not any(cells):
            continue
        if cells[0] and len([c for c in cells if c]) == 1:
            return cells[0]
        return None
    return None
