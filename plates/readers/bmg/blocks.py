"""The blocks of a BMG Labtech export section: plate-format grids and wells-as-columns tables.

Sections and blocks: :mod:`plates.readers.bmg.section`; ``Well`` tables:
:mod:`plates.readers.bmg.tables`. This module recognises the rows (header keys, mode lines, grid
headers), reads plate-format grids and finds all blocks of a section; ``bmg`` turns them into
plates.
"""

from __future__ import annotations

import re

from plates.readers.bmg.section import FORMAT_NAME, Block, Section, classify, clean_label
from plates.readers.bmg.tables import read_table
from plates.readers.common.cells import parse_number, parse_whole
from plates.wells import PLATE_SHAPES, ROW_LETTERS

__all__ = [
    "FORMAT_NAME",
    "Block",
    "Section",
    "find_blocks",
    "grid_width",
    "is_header_row",
    "is_mode_row",
    "read_grid",
    "read_table",
]

_WIDTHS = {cols: rows for rows, cols in PLATE_SHAPES.values()}  # 12 -> 8, 24 -> 16
_HEADER_KEY = re.compile(
    r"^(user|path|test\s*run\s*no\.?|test\s*name|test\s*id|date|time|id\s*\d|barcode)\s*:",
    re.IGNORECASE,
)
_MODE = re.compile(
    r"^(absorbance|fluorescence|luminescence|alpha|time[- ]resolved|trf|htrf|"
    r"nephelometry|bret|fret)\b",
    re.IGNORECASE,
)


def is_header_row(cells: list[str]) -> bool:
    first = next((c for c in cells if c), "")
    return bool(_HEADER_KEY.match(first))


def is_mode_row(cells: list[str]) -> bool:
    filled = [c for c in cells if c]
    return len(filled) == 1 and bool(_MODE.match(filled[0])) and ":" not in filled[0]


def grid_width(cells: list[str]) -> int | None:
    """The number of columns if this row is a grid header (``'', 1, 2, ...``), else None."""
    if len(cells) < 3 or cells[0] or parse_whole(cells[1]) != 1 or parse_whole(cells[2]) != 2:
        return None
    n = 0
    while 1 + n < len(cells) and parse_whole(cells[1 + n]) == n + 1:
        n += 1
    return n


def _label_above(sec: Section, i: int) -> tuple[str, int] | None:
    """The label of the grid whose header is row ``i``: the nearest non-blank row above (within
    three rows) when it holds a single text cell that is not a header or mode line."""
    for r in range(i - 1, max(sec.first, i - 4) - 1, -1):
        cells = sec.rows[r]
        filled = [c for c in cells if c]
        if not filled:
            continue
        if (
            len(filled) == 1
            and not is_header_row(cells)
            and not is_mode_row(cells)
            and parse_number(filled[0]) is None
            and not _row_letter(filled[0])
        ):
            return filled[0], r
        return None
    return None


def _check_fields(sec, row, k: int, letter: str, seen: list[int]) -> None:
    """Every text row of a grid has as many fields as the grid's first row (empty wells as
    empty fields). MARS 3.40 drops empty trailing cells, so short rows are legal, but only
    alike in every row (a partial-plate read); one row shorter or longer than the others lost
    or gained a cell (the rest of the row would shift) or was cut."""
    fields = getattr(row, "n_fields", None)
    if fields is None:
        return  # a sheet row: no field count
    if seen and fields != seen[0]:
        raise sec.error(
            f"row {letter} has {fields} fields but row A has {seen[0]}: a cell was lost or"
            " added, or the line is cut",
            k,
        )
    seen.append(fields)


def _row_letter(text: str) -> bool:
    return len(text) == 1 and text.upper() in ROW_LETTERS


def read_grid(sec: Section, i: int, width: int) -> tuple[Block, int]:
    """The plate-format grid whose header is row ``i``; returns it and the row after it."""
    if width not in _WIDTHS:
        if width == 48:
            raise sec.error(
                "a 1536-well plate (columns 1-48): only 96- and 384-well plates are supported", i
            )
        raise sec.error(
            f"expected the column numbers 1..12 or 1..24 in the grid header, found 1..{width}", i
        )
    n_rows = _WIDTHS[width]
    header = sec.rows[i]
    notes = [c for c in header[2 + width :] if c]
    if 1 + width < len(header) and header[1 + width]:
        raise sec.error(
            f"a cell beyond the plate's {width} columns in the grid header, found"
            f" {header[1 + width]!r} (expected an empty cell)",
            i,
            1 + width,
        )
    found = _label_above(sec, i)
    if found is None:
        raise sec.error(
            "a plate grid without a data label above it (expected e.g. 'Raw Data (450)')", i
        )
    label, label_row = clean_label(found[0]), found[1]
    last = ROW_LETTERS[n_rows - 1]
    text: list[list[str]] = []
    cells: dict[tuple[int, int], tuple[int, int]] = {}
    notes_allowed = sec.sheet is not None
    text_fields: list[int] = []  # the field count of each text row read so far
    for r in range(n_rows):
        k = i + 1 + r
        letter = ROW_LETTERS[r]
        row = sec.rows[k] if k < sec.end else []
        if not row or row[0].upper() != letter:
            got = f"rows A-{ROW_LETTERS[r - 1]}" if r > 1 else "row A" if r else "no rows"
            if k >= sec.end or not any(row):
                rest = sec.rows[k:]
                ends = "the file ends" if not any(any(x) for x in rest) else "the grid ends"
                raise sec.error(
                    f"row {letter} of {label!r} is missing: {ends} after {got}"
                    f" (grid header at {sec.where(i)}), expected rows A-{last}",
                    min(k, len(sec.rows) - 1),
                )
            if _row_letter(row[0]) and ROW_LETTERS.index(row[0].upper()) > r:
                raise sec.error(
                    f"row {letter} of {label!r} is missing: found row"
                    f" {row[0].upper()} after {got}, expected rows A-{last} in"
                    " order",
                    k,
                    0,
                )
            raise sec.error(
                f"expected the row label {letter} in {label!r} (rows A-{last} in"
                f" order), found {row[0]!r}",
                k,
                0,
            )
        values = row[1 : 1 + width]
        text.append(values + [""] * (width - len(values)))
        for c in range(width):
            cells[(r, c)] = (k, 1 + c)
        for c in range(1 + width, len(row)):
            extra = row[c]
            if not extra:
                continue
            if (
                not notes_allowed
                or c == 1 + width
                or parse_number(extra) is not None
                or _row_letter(extra)
            ):
                raise sec.error(
                    f"a value beyond the plate's {width} columns in {label!r}, found"
                    f" {extra!r} (expected an empty cell or nothing)",
                    k,
                    c,
                )
            notes.append(extra)
        _check_fields(sec, row, k, letter, text_fields)
    end = i + 1 + n_rows
    if end < sec.end:
        row = sec.rows[end]
        if (
            row
            and _row_letter(row[0])
            and ROW_LETTERS.index(row[0].upper()) >= n_rows
            and any(row[1:])
        ):
            raise sec.error(
                f"row {row[0].upper()} is beyond the plate's rows A-{last} in {label!r}", end, 0
            )
    block = Block(label, classify(label), (n_rows, width), text, cells, sec, label_row, notes=notes)
    return block, end


def find_blocks(sec: Section) -> list[Block]:
    blocks: list[Block] = []
    i = sec.first
    while i < sec.end:
        cells = sec.rows[i]
        width = grid_width(cells)
        if width is not None:
            block, i = read_grid(sec, i, width)
            blocks.append(block)
            continue
        if cells and cells[0].lower() == "well" and any(cells[1:]):
            found, i = read_table(sec, i)
            blocks.extend(found)
            continue
        i += 1
    return blocks
