"""The data of a SoftMax Pro ``Plate:`` block: PlateFormat grids (one grid per wavelength side by
side, rows A..) and TimeFormat lines (wells as columns, one line per wavelength), each optionally
followed by the reduced data (see :mod:`plates.readers.softmax.plate_sections`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from plates.readers.softmax.block import (
    Block,
    check_beyond,
    derived_value,
    error,
    note_temperature,
    parse_value,
    tab_cells,
)
from plates.readers.softmax.header import PlateHeader
from plates.wells import ROW_LETTERS, format_well, parse_well

__all__ = ["read_plate_format", "read_time_format"]


def _same_fields(path: Path, block: Block, k: int, header: int, name: str) -> None:
    """A value line has exactly the fields of its column header, trailing empty ones
    included (SoftMax pads both alike): one more or one less is a cell added or lost, which
    would shift every later well (a missing last well is an empty field, never a lost one)."""
    have, want = block.lines[k].count("\t") + 1, block.lines[header].count("\t") + 1
    if have != want:
        raise error(
            path,
            block.line_no(k),
            f"plate {name!r}: the line has {have} TAB-separated fields but its column header"
            f" (line {block.line_no(header)}) has {want}: a cell was lost or added",
        )


def read_plate_format(block: Block, h: PlateHeader, path: Path, od, sat, derived) -> None:
    lines = block.lines
    numbers = [str(h.first_col + c) for c in range(h.n_cols)]
    last_row = ROW_LETTERS[h.first_row + h.n_rows - 2]
    width = f"the plate's {h.n_cols} columns"
    i = 1
    if i >= len(lines) or not lines[i].strip():
        raise error(
            path,
            block.line_no(min(i, len(lines) - 1)),
            f"plate {h.name!r}: expected"
            " the column header '\\tTemperature\\t1\\t2...' after the Plate: line",
        )
    header = tab_cells(lines[i])
    for w, nm in enumerate(h.wavelengths):
        start = 2 + w * (h.n_cols + 1)
        if header[start : start + h.n_cols] != numbers:
            what = f" for the read at {nm} nm" if nm else ""
            raise error(
                path,
                block.line_no(i),
                f"plate {h.name!r}: expected the column numbers"
                f" {numbers[0]}..{numbers[-1]}{what} from field {start + 1} of the"
                f" column header, found {' '.join(header[start : start + h.n_cols])!r}",
            )
    end = 2 + len(h.wavelengths) * (h.n_cols + 1) - 1
    check_beyond(
        path,
        block.line_no(i),
        header,
        end,
        f"the {len(h.wavelengths)} grids of {h.n_cols} columns in the header",
    )
    for r in range(h.n_rows):
        k = i + 1 + r
        row = h.first_row - 1 + r
        if k >= len(lines) or not lines[k].strip():
            raise error(
                path,
                block.line_no(min(k, len(lines) - 1)),
                f"plate {h.name!r}: the grid"
                f" ends after {r} rows, expected {h.n_rows} (rows"
                f" {ROW_LETTERS[h.first_row - 1]}-{last_row}): a row is missing",
            )
        cells = tab_cells(lines[k])
        line = block.line_no(k)
        if r == 0 and len(cells) > 1:
            note_temperature(h.metadata, cells[1])
        elif len(cells) > 1 and cells[1]:
            raise error(
                path, line, f"expected an empty temperature cell on a grid row, found {cells[1]!r}"
            )
        if len(cells) < end:
            raise error(
                path,
                line,
                f"plate {h.name!r}, row {ROW_LETTERS[row]}: the line ends"
                f" after {max(len(cells) - 2, 0)} values, expected"
                f" {len(h.wavelengths)} x {h.n_cols}: the line is cut short",
            )
        _same_fields(path, block, k, i, h.name)
        for w in range(len(h.wavelengths)):
            start = 2 + w * (h.n_cols + 1)
            if w and cells[start - 1]:
                raise error(
                    path,
                    line,
                    f"a value beyond {width} (in the empty column between"
                    f" two wavelength grids), found {cells[start - 1]!r}",
                )
            for c in range(h.n_cols):
                col = h.first_col - 1 + c
                value, flag = parse_value(path, line, cells[start + c], format_well(row, col))
                od[w, row, col], sat[w, row, col] = value, flag
        check_beyond(path, line, cells, end, width)
    k = i + 1 + h.n_rows
    if k < len(lines) and lines[k].strip():
        raise error(
            path,
            block.line_no(k),
            f"plate {h.name!r}: a row beyond the"
            f" {h.n_rows} rows {ROW_LETTERS[h.first_row - 1]}-{last_row} the header"
            " announces",
        )
    while k < len(lines) and not lines[k].strip():
        k += 1
    if k < len(lines):
        _reduced_grid(block, k, h, path, derived, numbers)


def _reduced_grid(block: Block, k: int, h: PlateHeader, path: Path, derived, numbers) -> None:
    lines = block.lines
    header = tab_cells(lines[k])
    if header[:2] != ["", ""] or header[2 : 2 + h.n_cols] != numbers:
        raise error(
            path,
            block.line_no(k),
            f"plate {h.name!r}: expected the reduced-data header"
            f" '\\t\\t{numbers[0]}...' or '~End', found {lines[k].strip()[:40]!r}",
        )
    grid = np.full((h.plate_rows, h.plate_cols), np.nan)
    for r in range(h.n_rows):
        j = k + 1 + r
        if j >= len(lines) or not lines[j].strip():
            raise error(
                path,
                block.line_no(min(j, len(lines) - 1)),
                f"plate {h.name!r}: the reduced grid ends after {r} rows, expected {h.n_rows}",
            )
        cells = tab_cells(lines[j]) + [""] * (2 + h.n_cols)
        for c in range(h.n_cols):
            grid[h.first_row - 1 + r, h.first_col - 1 + c] = derived_value(cells[2 + c])
    derived["reduced"] = grid
    for j in range(k + 1 + h.n_rows, len(lines)):
        if lines[j].strip():
            raise error(
                path,
                block.line_no(j),
                f"plate {h.name!r}: unexpected line after the"
                f" reduced grid, found {lines[j].strip()[:40]!r} (expected '~End')",
            )


def _well_columns(
    block: Block, i: int, h: PlateHeader, path: Path, skip: int
) -> list[tuple[int, int]]:
    header = tab_cells(block.lines[i])
    names = header[skip:]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise error(
            path,
            block.line_no(i),
            f"plate {h.name!r}: expected the well names A1, A2, ... in the column header",
        )
    wells = []
    for k, text in enumerate(names):
        try:
            wells.append(parse_well(text, h.plate_rows, h.plate_cols))
        except ValueError as exc:
            raise error(
                path,
                block.line_no(i),
                f"plate {h.name!r}, field {k + skip + 1} of the column header: {exc}",
            ) from None
    if len(set(wells)) != len(wells):
        raise error(
            path, block.line_no(i), f"plate {h.name!r}: a well is named twice in the column header"
        )
    return wells


def read_time_format(block: Block, h: PlateHeader, path: Path, od, sat, derived) -> None:
    lines = block.lines
    if len(lines) < 2 or not lines[1].strip():
        raise error(
            path,
            block.line_no(min(1, len(lines) - 1)),
            f"plate {h.name!r}: expected the"
            " column header '\\tTemperature\\tA1\\tA2...' after the Plate: line",
        )
    wells = _well_columns(block, 1, h, path, 2)
    width = f"the {len(wells)} wells of the column header"
    k = 2
    for w, nm in enumerate(h.wavelengths):
        while k < len(lines) and not lines[k].strip():
            k += 1
        what = f"the read at {nm} nm" if nm else f"read {w + 1}"
        if k >= len(lines):
            raise error(
                path,
                block.line_no(len(lines) - 1),
                f"plate {h.name!r}: the section"
                f" ends before {what}: expected {len(h.wavelengths)} lines of values",
            )
        cells = tab_cells(lines[k])
        line = block.line_no(k)
        if cells[:2] == ["", ""] and len(cells) > 2 and cells[2:3] == [format_well(*wells[0])]:
            raise error(
                path,
                line,
                f"plate {h.name!r}: found the reduced-data header where"
                f" {what} was expected: a wavelength line is missing",
            )
        note_temperature(h.metadata, cells[1] if len(cells) > 1 else "")
        if len(cells) < 2 + len(wells):
            raise error(
                path,
                line,
                f"plate {h.name!r}, {what}: the line ends after"
                f" {max(len(cells) - 2, 0)} values, expected {len(wells)}: the line is cut"
                " short",
            )
        _same_fields(path, block, k, 1, h.name)
        for (r, c), text in zip(wells, cells[2:]):
            od[w, r, c], sat[w, r, c] = parse_value(path, line, text, format_well(r, c))
        check_beyond(path, line, cells, 2 + len(wells), width)
        k += 1
        if k < len(lines) and lines[k].strip():
            raise error(
                path,
                block.line_no(k),
                f"plate {h.name!r}: a second line of values for"
                f" {what} (expected one line per wavelength and a blank line)",
            )
    while k < len(lines) and not lines[k].strip():
        k += 1
    if k >= len(lines):
        return
    cells = tab_cells(lines[k])
    if cells[:2] != ["", ""]:
        raise error(
            path,
            block.line_no(k),
            f"plate {h.name!r}: expected the reduced-data header"
            f" '\\t\\tA1...' or '~End', found {lines[k].strip()[:40]!r}",
        )
    reduced_wells = _well_columns(block, k, h, path, 2)
    grid = np.full((h.plate_rows, h.plate_cols), np.nan)
    if k + 1 < len(lines):
        values = tab_cells(lines[k + 1])
        for (r, c), text in zip(reduced_wells, values[2:]):
            grid[r, c] = derived_value(text)
    derived["reduced"] = grid
    for j in range(k + 2, len(lines)):
        if lines[j].strip():
            raise error(
                path,
                block.line_no(j),
                f"plate {h.name!r}: unexpected line after the"
                f" reduced data, found {lines[j].strip()[:40]!r} (expected '~End')",
            )
