"""A BMG Labtech export section and the blocks found in it (see :mod:`plates.readers.bmg.blocks`).

A *section* is one header (``User:``, ``Test name:``/``Test ID:``, ``Date:`` ...) and the blocks
that follow it: a CSV file may hold several, an .xlsx export has one per sheet. Cells arrive as
stripped text; :class:`Section` knows how to say where a cell is (``line 12`` or
``sheet 'X', cell B51``). A :class:`Block` is one labelled grid of per-well values; its kind
comes from its label (:func:`classify`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from plates.errors import PlateError
from plates.readers.common.cells import parse_cell, parse_number
from plates.readers.common.workbook import cell_name
from plates.readers.common.workbook import column_letter as column_letters
from plates.wells import format_well

__all__ = ["FORMAT_NAME", "Block", "Section", "classify", "clean_label", "column_letters"]

FORMAT_NAME = "BMG Labtech"
_NUMBERING = re.compile(r"^\d+\s*\.\s*")


@dataclass
class Section:
    """Rows of stripped text cells; ``first`` is the index of the section's first row in
    ``rows`` (CSV sections share the file's rows), ``end`` the index after its last."""

    rows: list[list[str]]
    path: Path
    sheet: str | None = None  # xlsx sheet name; None for a text file
    first: int = 0
    end: int = -1  # -1: up to the last row (set on construction)

    def __post_init__(self) -> None:
        if self.end < 0:
            self.end = len(self.rows)

    def cell(self, r: int, c: int) -> str:
        row = self.rows[r] if self.first <= r < self.end else []
        return row[c] if c < len(row) else ""

    def where(self, r: int, c: int | None = None, well: str | None = None) -> str:
        if self.sheet is None:
            text = f"line {r + 1}"
        else:
            text = f"sheet {self.sheet!r}, " + (
                f"cell {cell_name(r, c)}" if c is not None else f"row {r + 1}"
            )
        return text + (f", well {well}" if well else "")

    def error(
        self, message: str, r: int, c: int | None = None, well: str | None = None
    ) -> PlateError:
        return PlateError(f"{FORMAT_NAME}: {message}", file=self.path, where=self.where(r, c, well))

    def blank(self, r: int) -> bool:
        return not any(self.rows[r]) if r < self.end else True


@dataclass
class Block:
    """One labelled grid of per-well values (from a plate grid or a table row)."""

    label: str  # as in the file, numbering ("4. ") and spaces trimmed
    kind: str  # raw, layout, conc, dilution, group, derived
    shape: tuple[int, int]
    text: list[list[str]]  # the cells, by plate row and column ('' for empty)
    cells: dict[tuple[int, int], tuple[int, int]]  # (row, col) -> (file row, file col)
    section: Section
    start: int  # file row of the block (label or table row)
    time: str | None = None  # kinetic tables: the cycle's time cell
    origin: str = "grid"  # "grid" (plate format) or "table" (wells as columns)
    notes: list[str] = field(default_factory=list)

    def where(self, r: int | None = None, c: int | None = None) -> str:
        if r is None or c is None:  # the block as a whole
            return self.section.where(self.start)
        fr, fc = self.cells.get((r, c)) or (self.start, None)
        return self.section.where(fr, fc, format_well(r, c))

    def error(self, message: str, r: int | None = None, c: int | None = None) -> PlateError:
        return PlateError(
            f"{FORMAT_NAME}: {message}", file=self.section.path, where=self.where(r, c)
        )

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

    def carried(self) -> list[list[float | str | None]]:
        """Layout values (concentrations, dilutions) as carried: None for an empty cell, the
        number, else the text itself, so that the layout check refuses it naming the well."""
        out: list[list[float | str | None]] = []
        for row in self.text:
            values: list[float | str | None] = []
            for text in row:
                value = parse_number(text) if text else None
                values.append(value if value is not None else (text or None))
            out.append(values)
        return out

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
