"""One Gen5 export plate as rows of cells (see :mod:`plates.readers.gen5.blocks`).

Both the text export (tab-separated lines) and the Excel export (rows of a sheet) are handed to
the block finder as a :class:`Rows`: cells as stripped text, and a way to say where a cell is
(``line 12`` or ``sheet 'Sheet1', cell D12``).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from plates.errors import PlateError

__all__ = ["Rows", "split_plates", "whole_number"]


@dataclass
class Rows:
    """One plate's rows of cells (stripped text), with the 0-based index of each in its source."""

    cells: list[list[str]]
    index: list[int]  # source row index (0-based) of each row
    where: Callable[[int, int | None], str]  # (source row, column or None) -> "line 12"
    path: Path

    def err(
        self, i: int, message: str, col: int | None = None, well: str | None = None
    ) -> PlateError:
        where = self.where(self.index[i], col)
        return PlateError(message, file=self.path, where=where + (f", well {well}" if well else ""))

    def first(self, i: int) -> tuple[int, str]:
        """(column, text) of the first non-empty cell of row ``i``, (-1, '') if blank."""
        for j, text in enumerate(self.cells[i]):
            if text:
                return j, text
        return -1, ""

    def blank(self, i: int) -> bool:
        return not any(self.cells[i])


def whole_number(text: str) -> int | None:
    """``12`` or ``12.0`` as 12; None for any other text."""
    text = text.strip()
    if re.fullmatch(r"\d+(?:\.0+)?", text):
        return int(float(text))
    return None


def split_plates(rows: Rows) -> list[Rows]:
    """One Rows per plate: a multi-plate export repeats the whole block from Software Version."""
    starts = [i for i in range(len(rows.cells)) if rows.first(i)[1] == "Software Version"]
    if len(starts) <= 1:
        return [rows]
    starts.append(len(rows.cells))
    return [
        Rows(rows.cells[a:b], rows.index[a:b], rows.where, rows.path)
        for a, b in itertools.pairwise(starts)
    ]
