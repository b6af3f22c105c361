"""The ``grid`` format in a spreadsheet (.xlsx): the rules of :mod:`plates.readers.grid.reader` applied
to the cells of each sheet.

A grid is a row whose cells are ``1..12`` (or ``1..24``) after an optional top-left cell, then
one row per plate row labelled ``A..H`` (or ``A..P``); several grids may be stacked in a sheet,
separated by empty rows; rows outside grids (titles, notes) are ignored. When every grid of a
sheet has a wavelength in its top-left cell (``450``, ``450 nm``, ``OD450``, ``A450``) the grids
are reads of one plate; otherwise each grid is a plate named by its top-left cell (or by its
sheet, when several sheets hold grids). Errors name the sheet and the cell.

This module does not define ``FORMAT``: :mod:`plates.readers.grid.reader` imports its two functions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from plates.errors import PlateError
from plates.model import PlateRead
from plates.readers.common.workbook import cell_name, cell_text
from plates.readers.grid.rows import Grid, Place, find_grids, has_grid, wavelength

__all__ = ["read_workbook", "sniff_workbook"]


def _rows(values: tuple[tuple[object, ...], ...]) -> list[list[str]]:
    rows = []
    for row in values:
        cells = [cell_text(v) for v in row]
        while cells and not cells[-1]:
            cells.pop()
        rows.append(cells)
    return rows


def sniff_workbook(book) -> bool:
    """A sheet with a row of column numbers 1..12 (or 1..24) followed by a row labelled A..P."""
    return any(has_grid(_rows(values)) for values in book.sheets.values())


def _sheet_plates(grids: list[Grid], place: Place, name: str | None) -> list[PlateRead]:
    """The plates of one sheet's grids; ``name`` names a single plate (None: unnamed)."""
    path, sheet = place.path, place.sheet
    assert sheet is not None  # a place in a workbook always names its sheet
    waves = [wavelength(g.label) for g in grids]
    first = grids[0]
    if all(w is not None for w in waves):
        seen: dict[int | None, Grid] = {}
        for g, w in zip(grids, waves):
            if g.od.shape != first.od.shape:
                raise PlateError(
                    f"the grids at {place.at(first.row)} and {place.at(g.row)} are"
                    " reads of one plate (their top-left cells name wavelengths)"
                    " but differ in size",
                    file=path,
                )
            if w in seen:
                raise PlateError(
                    f"a second grid at {w} nm (the first is at {place.at(seen[w].row)})",
                    file=path,
                    where=place.at(g.row),
                )
            seen[w] = g
        meta = {"sheet": sheet, "first_cell": cell_name(first.row, 0)}
        return [
            PlateRead(
                name,
                tuple(waves),
                np.stack([g.od for g in grids]),
                np.stack([g.saturated for g in grids]),
                meta,
            )
        ]
    if any(w is not None for w in waves):
        named = next(g for g, w in zip(grids, waves) if w is not None)
        other = next(g for g, w in zip(grids, waves) if w is None)
        raise PlateError(
            f"the grid at {place.at(named.row)} is labelled as a wavelength"
            f" ({named.label!r}) but the grid at {place.at(other.row)} is not"
            f" ({other.label!r}): label every grid with its wavelength, or none",
            file=path,
        )
    return [
        PlateRead(
            g.label or (name if len(grids) == 1 else None),
            (None,),
            g.od[None],
            g.saturated[None],
            {"sheet": sheet, "first_cell": cell_name(g.row, 0)},
        )
        for g in grids
    ]


def read_workbook(book, path: Path) -> tuple[PlateRead, ...]:
    by_sheet: list[tuple[Place, list[Grid]]] = []
    for name, values in book.sheets.items():
        place = Place(path, name)
        grids = find_grids(_rows(values), place)
        if grids:
            by_sheet.append((place, grids))
    if not by_sheet:
        raise PlateError(
            "no plate grid found in any sheet: expected a row 1..12 (or 1..24) "
            "followed by rows labelled A..H (or A..P)",
            file=path,
        )
    several = len(by_sheet) > 1
    plates: list[PlateRead] = []
    for place, grids in by_sheet:
        plates.extend(_sheet_plates(grids, place, place.sheet if several else None))
    return tuple(plates)
