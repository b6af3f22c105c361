"""BMG Labtech tables that start with ``Well``: wells as columns (MARS/SMART Control ``Table``
sheets, one block per labelled row) or wells as rows (transposed first); see
:mod:`plates.readers.bmg.blocks`."""

from __future__ import annotations

import re

from plates.readers.bmg.section import Block, Section, classify, clean_label
from plates.wells import PLATE_SHAPES, format_well, parse_well

__all__ = ["read_table"]

_WELL_ID = re.compile(r"^[A-Pa-p]\s*0*\d{1,2}$")
_TIME_HEADER = re.compile(r"^(time|cycle)\b", re.IGNORECASE)


def _shape_for(wells: list[tuple[int, int]], sec: Section, i: int) -> tuple[int, int]:
    rows = max(r for r, _ in wells) + 1
    cols = max(c for _, c in wells) + 1
    for n_rows, n_cols in PLATE_SHAPES.values():
        if rows <= n_rows and cols <= n_cols:
            return n_rows, n_cols
    raise sec.error(
        f"wells up to {format_well(rows - 1, cols - 1)}: only 96- and 384-well"
        " plates are supported",
        i,
    )


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
    for c, heading in enumerate(header[1:], start=1):
        if heading and c not in well_cols:
            raise sec.error(
                f"expected a well name like A01 in the table header, found {heading!r}", i, c
            )
    other = [c for c in range(1, max(well_cols)) if c not in well_cols]
    time_cols = [c for c in other if any(_TIME_HEADER.match(sec.cell(r, c)) for r in range(i, end))]
    blocks = []
    for r in range(i + 1, end):
        row = sec.rows[r]
        label = clean_label(row[0]) if row else ""
        if not label:
            raise sec.error(
                "a table row without a label (expected e.g. 'Content' or 'Raw Data (450)')", r, 0
            )
        for c in range(max(well_cols) + 1, len(row)):
            if row[c]:
                raise sec.error(
                    f"a value beyond the table's last well {header[max(well_cols)]},"
                    f" found {row[c]!r}",
                    r,
                    c,
                )
        text = [[""] * shape[1] for _ in range(shape[0])]
        cells: dict[tuple[int, int], tuple[int, int]] = {}
        for c, (wr, wc) in zip(well_cols, wells):
            text[wr][wc] = row[c] if c < len(row) else ""
            cells[(wr, wc)] = (r, c)
        time = next((row[c] for c in time_cols if c < len(row) and row[c]), None)
        kind = classify(label)
        if (
            label.lower() in ("content", "contents")
            and time is not None
            and _TIME_HEADER.match(time)
        ):
            time = None  # the time column's own header sits in the Content row
        blocks.append(Block(label, kind, shape, text, cells, sec, r, time=time, origin="table"))
    return blocks, end


def _read_rows_table(sec: Section, i: int, end: int) -> tuple[list[Block], int]:
    first = sec.rows[i + 1] if i + 1 < end else []
    if not first or not _WELL_ID.match(first[0]):
        raise sec.error(
            "a 'Well' table with no well names (expected A01, A02 ... across"
            " the row or down the column)",
            i,
        )
    table = _transpose(sec, i)
    blocks, _ = read_table(table, 0)
    for block in blocks:  # point back into the file: table cell (r, c) is file cell (c, r)
        block.section = sec
        block.start = i
        block.cells = {k: (i + fc, fr) for k, (fr, fc) in block.cells.items()}
    return blocks, end
