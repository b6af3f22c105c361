"""The ``grid`` format: plain 8x12 or 16x24 grids in CSV, TSV or semicolon text.

A grid is a header row whose cells are ``1..12`` (or ``1..24``) after an optional top-left
cell, then one line per plate row labelled ``A..H`` (or ``A..P``). Grids are separated by blank
lines (or rows of empty cells); lines outside grids (titles, notes) are ignored. When every
grid's top-left cell names a wavelength (``450``, ``450 nm``, ``OD450``, ``A450``, ``Abs 450``)
the grids are reads of one plate; otherwise each grid is a plate named by its top-left cell.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from plates.errors import PlateError
from plates.model import PlateRead
from plates.readers.common.cells import text_row
from plates.readers.grid.rows import Grid, Place, find_grids, has_grid, wavelength

FORMAT = "grid"
SNIFF_ORDER = 90  # generic: vendor formats that contain grids are tried first

_DELIMITERS = ("\t", ";", ",")


def _split(text: str, delimiter: str) -> list[list[str]]:
    rows: list[list[str]] = []
    for line in text.split("\n"):
        rows.append(text_row(next(csv.reader([line], delimiter=delimiter), [])))
    return rows


def _choose_delimiter(text: str, level: int = 2) -> str | None:
    """The delimiter giving a grid header at ``level`` (see :func:`grid_rows.has_grid`; 0 is
    for error messages)."""
    for delimiter in _DELIMITERS:
        if delimiter in text and has_grid(_split(text, delimiter), level):
            return delimiter
    return None


def sniff(text: str) -> bool:
    """A header line whose cells are 1..12 or 1..24, followed by a line starting with a row
    label (normally A; a later letter too, so that a grid missing row A gets a clear error)."""
    return _choose_delimiter(text) is not None


def _grids(text: str, path: Path) -> list[Grid]:
    delimiter = next((d for level in (2, 1, 0) if (d := _choose_delimiter(text, level))), None)
    if delimiter is None:
        raise PlateError(
            "no plate grid found: expected a header row 1..12 (or 1..24) followed"
            " by rows labelled A..H (or A..P)",
            file=path,
        )
    return find_grids(_split(text, delimiter), Place(path))


def read(text: str, path: Path) -> tuple[PlateRead, ...]:
    grids = _grids(text, path)
    waves = [wavelength(g.label) for g in grids]
    if all(w is not None for w in waves):
        first = grids[0]
        for g in grids[1:]:
            if g.od.shape != first.od.shape:
                raise PlateError(
                    f"the grids at lines {first.line} and {g.line} are reads of one"
                    " plate (their top-left cells name wavelengths) but differ in"
                    " size",
                    file=path,
                    where=f"line {g.line}",
                )
        seen: dict[int | None, int] = {}
        for g, w in zip(grids, waves):
            if w in seen:
                raise PlateError(
                    f"a second grid at {w} nm (the first is at line {seen[w]})",
                    file=path,
                    where=f"line {g.line}",
                )
            seen[w] = g.line
        od = np.stack([g.od for g in grids])
        sat = np.stack([g.saturated for g in grids])
        return (PlateRead(None, tuple(waves), od, sat, {"first_line": str(first.line)}),)
    if any(w is not None for w in waves):
        named = next(g for g, w in zip(grids, waves) if w is not None)
        other = next(g for g, w in zip(grids, waves) if w is None)
        raise PlateError(
            f"the grid at line {named.line} is labelled as a wavelength"
            f" ({named.label!r}) but the grid at line {other.line} is not"
            f" ({other.label!r}): label every grid with its wavelength, or none",
            file=path,
        )
    return tuple(
        PlateRead(
            g.label or None, (None,), g.od[None], g.saturated[None], {"first_line": str(g.line)}
        )
        for g in grids
    )


from plates.readers.grid.workbook_reader import read_workbook, sniff_workbook  # noqa: E402,F401  (xlsx grids)
