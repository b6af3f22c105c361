"""The blocks of a BMG Labtech export section: plate-format grids and wells-as-columns tables.

A *section* is one header (``User:``, ``Test name:``/``Test ID:``, ``Date:`` ...) and the blocks
that follow it: a CSV file may hold several, an .xlsx export has one per sheet. Cells arrive as
stripped text; :class:`Section` knows how to say where a cell is (``line 12`` or
``sheet 'X', cell B51``). This module only finds and checks the blocks; ``bmg`` turns them into
plates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from plates.cells import parse_cell, parse_number
from plates.errors import PlateError
from plates.wells import PLATE_SHAPES, ROW_LETTERS, format_well, parse_well

FORMAT_NAME = "BMG Labtech"
_WIDTHS = {cols: rows for rows, cols in PLATE_SHAPES.values()}   # 12 -> 8, 24 -> 16
_NUMBERING = re.compile(r"^\d+\s*\.\s*")
_WELL_ID = re.compile(r"^[A-Pa-p]\s*0*\d{1,2}$")
_TIME_HEADER = re.compile(r"^(time|cycle)\b", re.IGNORECASE)
_HEADER_KEY = re.compile(
    r"^(user|path|test\s*run\s*no\.?|test\s*name|test\s*id|date|time|id\s*\d|barcode)\s*:",
    re.IGNORECASE)
_MODE = re.compile(r"^(absorbance|fluorescence|luminescence|alpha|time[- ]resolved|trf|htrf|"
                   r"nephelometry|bret|fret)\b", re.IGNORECASE)


def column_letters(col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass
class Section:
    """Rows of stripped text cells; ``first`` is the index of the section's first row in
    ``rows`` (CSV sections share the file's rows), ``end`` the index after its last."""

    rows: list[list[str]]
    path: Path
    sheet: str | None = None    # xlsx sheet name; None for a text file
    first: int = 0
    end: int | None = None

    def __post_init__(self) -> None:
        if self.end is None:
            self.end = len(self.rows)

    def cell(self, r: int, c: int) -> str:
        row = self.rows[r] if self.first <= r < self.end else []
        return row[c] if c < len(row) else ""

    def where(self, r: int, c: int | None = None, well: str | None = None) -> str:
        if self.sheet is None:
            text = f"line {r + 1}"
        else:
            text = f"sheet {self.sheet!r}, " + (f"cell {column_letters(c)}{r + 1}"
                                               if c is not None else f"row {r + 1}")
        return text + (f", well {well}" if well else "")

    def error(self, message: str, r: int, c: int | None = None,
              well: str | None = None) -> PlateError:
        return PlateError(f"{FORMAT_NAME}: {message}", file=self.path,
                          where=self.where(r, c, well))

    def blank(self, r: int) -> bool:
        return not any(self.rows[r]) if r < self.end else True


@dataclass
class Block:
    """One labelled grid of per-well values (from a plate grid or a table row)."""

    label: str                 # as in the file, numbering ("4. ") and spaces trimmed
    kind: str                  # raw, layout, conc, dilution, group, derived
    shape: tuple[int, int]
    text: list[list[str]]      # the cells, by plate row and column ('' for empty)
    cells: dict[tuple[int, int], tuple[int, int]]   # (row, col) -> (file row, file col)
    section: Section
    start: int                 # file row of the block (label or table row)
    time: str | None = None    # kinetic tables: the cycle's time cell
    origin: str = "grid"       # "grid" (plate format) or "table" (wells as columns)
    notes: list[str] = field(default_factory=list)

    def where(self, r: int | None = None, c: int | None = None) -> str:
        if r is None:
            return self.section.where(self.start)
        fr, fc = self.cells.get((r, c), (self.start, None))
        return self.section.where(fr, fc, format_well(r, c))

    def error(self, message: str, r: int | None = None, c: int | None = None) -> PlateError:
        return PlateError(f"{FORMAT_NAME}: {message}", file=self.section.path,
                          where=self.where(r, c))

    def values(self) -> tuple[np.ndarray, np.ndarray]:
        """OD (NaN missing or saturated) and the saturated mask; text is an error."""
        od = np.full(self.shape, np.nan)
        sat = np.zeros(self.shape, dtype=bool)
        for r, row in enumerate(self.text):
            for c, text in enumerate(row):
                try:
                    cell = parse_cell(text)
                except ValueError as exc:
                    raise self.error(f"{exc} in {self.label!r}", r, c) from None
                od[r, c], sat[r, c] = cell.value, cell.saturated
        return od, sat

    def numbers(self) -> np.ndarray:
        """Lenient numbers for derived grids and layout values: anything else is NaN."""
        out = np.full(self.shape, np.nan)
        for r, row in enumerate(self.text):
            for c, text in enumerate(row):
                value = parse_number(text) if text else None
                out[r, c] = np.nan if value is None else value
        return out


def classify(label: str) -> str:
    text = label.strip().lower()
    if re.match(r"^raw\s*data\b", text):
        return "raw"
    if text in ("layout", "content", "contents", "well content"):
        return "layout"
    if re.match(r"^standard\s+concentrations?\b", text):
        return "conc"
    if re.match(r"^dilutions?( factors?)?$", text):
        return "dilution"
    if text == "group":
        return "group"
    return "derived"


def clean_label(text: str) -> str:
    return " ".join(_NUMBERING.sub("", text.strip()).split())


def is_header_row(cells: list[str]) -> bool:
    first = next((c for c in cells if c), "")
    return bool(_HEADER_KEY.match(first))


def is_mode_row(cells: list[str]) -> bool:
    filled = [c for c in cells if c]
    return len(filled) == 1 and bool(_MODE.match(filled[0])) and ":" not in filled[0]


def _int_cell(text: str) -> int | None:
    value = parse_number(text) if text else None
    return int(value) if value is not None and value.is_integer() else None


def grid_width(cells: list[str]) -> int | None:
    """The number of columns if this row is a grid header (``'', 1, 2, ...``), else None."""
    if len(cells) < 3 or cells[0] or _int_cell(cells[1]) != 1 or _int_cell(cells[2]) != 2:
        return None
    n = 0
    while 1 + n < len(cells) and _int_cell(cells[1 + n]) == n + 1:
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
        if len(filled) == 1 and not is_header_row(cells) and not is_mode_row(cells) \
                and parse_number(filled[0]) is None and not _row_letter(filled[0]):
            return filled[0], r
        return None
    return None


def _row_letter(text: str) -> bool:
    return len(text) == 1 and text.upper() in ROW_LETTERS


def read_grid(sec: Section, i: int, width: int) -> tuple[Block, int]:
    """The plate-format grid whose header is row ``i``; returns it and the row after it."""
    if width not in _WIDTHS:
        if width == 48:
            raise sec.error("a 1536-well plate (columns 1-48): only 96- and 384-well plates"
                            " are supported", i)
        raise sec.error(f"expected the column numbers 1..12 or 1..24 in the grid header, found"
                        f" 1..{width}", i)
    n_rows = _WIDTHS[width]
    header = sec.rows[i]
    notes = [c for c in header[2 + width:] if c]
    if 1 + width < len(header) and header[1 + width]:
        raise sec.error(f"a cell beyond the plate's {width} columns in the grid header, found"
                        f" {header[1 + width]!r} (expected an empty cell)", i, 1 + width)
    found = _label_above(sec, i)
    if found is None:
        raise sec.error("a plate grid without a data label above it (expected e.g."
                        " 'Raw Data (450)')", i)
    label, label_row = clean_label(found[0]), found[1]
    last = ROW_LETTERS[n_rows - 1]
    text: list[list[str]] = []
    cells: dict[tuple[int, int], tuple[int, int]] = {}
    notes_allowed = sec.sheet is not None
    for r in range(n_rows):
        k = i + 1 + r
        letter = ROW_LETTERS[r]
        row = sec.rows[k] if k < sec.end else []
        if not row or row[0].upper() != letter:
            got = f"rows A-{ROW_LETTERS[r - 1]}" if r > 1 else "row A" if r else "no rows"
            if k >= sec.end or not any(row):
                rest = sec.rows[k:]
                ends = "the file ends" if not any(any(x) for x in rest) else "the grid ends"
                raise sec.error(f"row {letter} of {label!r} is missing: {ends} after {got}"
                                f" (grid header at {sec.where(i)}), expected rows A-{last}",
                                min(k, len(sec.rows) - 1))
            if _row_letter(row[0]) and ROW_LETTERS.index(row[0].upper()) > r:
                raise sec.error(f"row {letter} of {label!r} is missing: found row"
                                f" {row[0].upper()} after {got}, expected rows A-{last} in"
                                " order", k, 0)
            raise sec.error(f"expected the row label {letter} in {label!r} (rows A-{last} in"
                            f" order), found {row[0]!r}", k, 0)
        values = row[1:1 + width]
        text.append(values + [""] * (width - len(values)))
        for c in range(width):
            cells[(r, c)] = (k, 1 + c)
        for c in range(1 + width, len(row)):
            extra = row[c]
            if not extra:
                continue
            if not notes_allowed or c == 1 + width or parse_number(extra) is not None \
                    or _row_letter(extra):
                raise sec.error(f"a value beyond the plate's {width} columns in {label!r}, found"
                                f" {extra!r} (expected an empty cell or nothing)", k, c)
            notes.append(extra)
    end = i + 1 + n_rows
    if end < sec.end:
        row = sec.rows[end]
        if row and _row_letter(row[0]) and ROW_LETTERS.index(row[0].upper()) >= n_rows \
                and any(row[1:]):
            raise sec.error(f"row {row[0].upper()} is beyond the plate's rows A-{last} in"
                            f" {label!r}", end, 0)
    block = Block(label, classify(label), (n_rows, width), text, cells, sec, label_row,
                  notes=notes)
    return block, end


def _shape_for(wells: list[tuple[int, int]], sec: Section, i: int) -> tuple[int, int]:
    rows = max(r for r, _ in wells) + 1
    cols = max(c for _, c in wells) + 1
    for n_rows, n_cols in PLATE_SHAPES.values():
        if rows <= n_rows and cols <= n_cols:
            return n_rows, n_cols
    raise sec.error(f"wells up to {format_well(rows - 1, cols - 1)}: only 96- and 384-well"
                    " plates are supported", i)


def _transpose(sec: Section, i: int) -> Section:
    """A wells-as-rows table (``Well, Content, Raw Data (450)`` then one line per well) as a
    wells-as-columns one; cells keep pointing at their place in the file."""
    end = i
    while end < sec.end and any(sec.rows[end]):
        end += 1
    block = sec.rows[i:end]
    width = max(len(r) for r in block)
    table = [[r[c] if c < len(r) else "" for r in block] for c in range(width)]
    return Section(table, sec.path, sec.sheet, 0, len(table))


def read_table(sec: Section, i: int) -> tuple[list[Block], int]:
    """A table whose row ``i`` starts with ``Well``: wells as columns (MARS/SMART Control
    ``Table`` sheets) or as rows. Returns one block per labelled row, and the row after it."""
    header = sec.rows[i]
    end = i + 1
    while end < sec.end and any(sec.rows[end]):
        end += 1
    well_cols = [c for c, t in enumerate(header) if c > 0 and _WELL_ID.match(t)]
    if not well_cols:
        return _read_rows_table(sec, i, end)
    wells = []
    for c in well_cols:
        try:
            wells.append(parse_well(header[c]))
        except ValueError as exc:
            raise sec.error(str(exc), i, c) from None
    shape = _shape_for(wells, sec, i)
    for c, text in enumerate(header[1:], start=1):
        if text and c not in well_cols:
            raise sec.error(f"expected a well name like A01 in the table header, found"
                            f" {text!r}", i, c)
    other = [c for c in range(1, max(well_cols)) if c not in well_cols]
    time_cols = [c for c in other
                 if any(_TIME_HEADER.match(sec.cell(r, c)) for r in range(i, end))]
    blocks = []
    for r in range(i + 1, end):
        row = sec.rows[r]
        label = clean_label(row[0]) if row else ""
        if not label:
            raise sec.error("a table row without a label (expected e.g. 'Content' or"
                            " 'Raw Data (450)')", r, 0)
        for c in range(max(well_cols) + 1, len(row)):
            if row[c]:
                raise sec.error(f"a value beyond the table's last well {header[max(well_cols)]},"
                                f" found {row[c]!r}", r, c)
        text = [[""] * shape[1] for _ in range(shape[0])]
        cells = {}
        for c, (wr, wc) in zip(well_cols, wells):
            text[wr][wc] = row[c] if c < len(row) else ""
            cells[(wr, wc)] = (r, c)
        time = next((row[c] for c in time_cols if c < len(row) and row[c]), None)
        kind = classify(label)
        if label.lower() in ("content", "contents") and time is not None \
                and _TIME_HEADER.match(time):
            time = None   # the time column's own header sits in the Content row
        blocks.append(Block(label, kind, shape, text, cells, sec, r, time=time, origin="table"))
    return blocks, end


def _read_rows_table(sec: Section, i: int, end: int) -> tuple[list[Block], int]:
    first = sec.rows[i + 1] if i + 1 < end else []
    if not first or not _WELL_ID.match(first[0]):
        raise sec.error("a 'Well' table with no well names (expected A01, A02 ... across"
                        " the row or down the column)", i)
    table = _transpose(sec, i)
    blocks, _ = read_table(table, 0)
    for block in blocks:   # point back into the file: table cell (r, c) is file cell (c, r)
        block.section = sec
        block.start = i
        block.cells = {k: (i + fc, fr) for k, (fr, fc) in block.cells.items()}
    return blocks, end


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
