"""The ``gen5`` format: Agilent BioTek Gen5 text (.txt, tab-separated) and Excel (.xlsx) exports.

A plate's export is a header (``Software Version``, ``Plate Number``, ``Date``, ``Time``,
``Reader Type:`` ...), ``Procedure Details`` (the read steps: ``Read <name>``, ``Absorbance
Endpoint``, ``Full Plate`` or ``A1..D12``, ``Wavelengths:  450``), an optional ``Layout`` grid
(``STD1``/``SPL1:2``/``BLK``/``CTL1`` well ids and a ``Conc/Dil`` line) and ``Results``: per
plate row one line per data set, labelled in the column after the last well (``450``,
``abs450:450``, ``Blank 450nm:450``, ``[Concentration]``). Raw reads are the labels the read steps
produce (``<step>:<nm>`` or ``<nm>``); every other data set is vendor-derived and kept in
``derived``. The Excel export has the same blocks one column to the right, or a "Well" table
(wells as columns, one row per data set). A multi-plate export repeats the whole block per plate.
Kinetic, spectral and area-scan reads are refused: an endpoint ELISA needs one read per wavelength.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from plates.errors import PlateError
from plates.model import PlateRead
from plates.readers.common.cells import parse_cell
from plates.readers.common.workbook import Workbook, cell_name
from plates.readers.gen5.blocks import (
    Blocks,
    Grid,
    Rows,
    Step,
    WellTable,
    find_blocks,
    split_plates,
)
from plates.readers.gen5.meta import layout as carried_layout_of
from plates.readers.gen5.meta import metadata as metadata_of
from plates.wells import format_well

FORMAT = "gen5"
SNIFF_ORDER = 50


# ---------------------------------------------------------------- sniffing


def _lines(text: str) -> list[list[str]]:
    return [[c.strip() for c in line.rstrip("\r").split("\t")] for line in text.split("\n")]


def _looks_gen5(first_cells: list[str], keys: set[str]) -> bool:
    return first_cells[:1] == ["Software Version"] and bool(
        keys & {"Procedure Details", "Plate Number", "Reader Type:", "Results"}
    )


def sniff(text: str) -> bool:
    """The first non-blank line is ``Software Version<TAB>...`` and Gen5's header keys or
    ``Procedure Details`` follow."""
    rows = _lines(text.lstrip("\ufeff")[:20000])
    filled = [r for r in rows if any(r)]
    if not filled or len(filled[0]) < 2:
        return False
    return _looks_gen5(filled[0], {r[0] for r in filled[:400] if r})


def _sheet_is_gen5(rows: tuple[tuple[Any, ...], ...]) -> bool:
    firsts = [str(r[0]).strip() for r in rows[:400] if r and r[0] is not None]
    return bool(firsts) and _looks_gen5(firsts[:1], set(firsts))


def sniff_workbook(book: Workbook) -> bool:
    return any(_sheet_is_gen5(rows) for rows in book.sheets.values())


# ---------------------------------------------------------------- reading


def read(text: str, path: Path) -> tuple[PlateRead, ...]:
    cells = _lines(text.lstrip("\ufeff"))
    rows = Rows(
        cells,
        list(range(len(cells))),
        lambda i, j: f"line {i + 1}" + (f", column {j + 1}" if j is not None else ""),
        path,
    )
    return tuple(_read_rows(rows, path))


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def read_workbook(book: Workbook, path: Path) -> tuple[PlateRead, ...]:
    plates: list[PlateRead] = []
    for name, sheet in book.sheets.items():
        if not _sheet_is_gen5(sheet):
            continue
        cells = [[_cell_text(v) for v in row] for row in sheet]

        def where(i: int, j: int | None, name: str = name) -> str:
            return f"sheet {name!r}, " + (
                f"cell {cell_name(i, j)}" if j is not None else f"row {i + 1}"
            )

        rows = Rows(cells, list(range(len(cells))), where, path)
        plates.extend(_read_rows(rows, path))
    if not plates:
        raise PlateError(
            "no Gen5 sheet found: expected a sheet whose column A starts with 'Software Version'",
            file=path,
        )
    return tuple(plates)


def _read_rows(rows: Rows, path: Path) -> list[PlateRead]:
    return [_plate(part, path) for part in split_plates(rows)]


# ---------------------------------------------------------------- one plate


def _refuse_non_endpoint(blocks: Blocks, rows: Rows, path: Path) -> None:
    if blocks.kinetic is not None or blocks.time_table is not None:
        reads = None
        if blocks.kinetic:
            match = re.search(r"(\d+)\s+Reads", blocks.kinetic)
            reads = int(match.group(1)) if match else None
        if reads is None and blocks.time_table is not None:
            reads = blocks.time_table[1]
        what = f"{reads} reads over time" if reads is not None else "reads over time"
        raise PlateError(
            f"a Gen5 kinetic read with {what} "
            f"({blocks.kinetic or 'a Time table'}): an endpoint ELISA needs one "
            "read per wavelength; export the endpoint reads, or a single time point",
            file=path,
        )
    for step in blocks.steps:
        kind = step.kind.lower()
        if kind and "endpoint" not in kind:
            raise PlateError(
                f"the Gen5 read step {step.name or step.mode!r} is a "
                f"{step.mode} {step.kind} read: an endpoint ELISA needs one "
                "read per wavelength",
                file=path,
                where=rows.where(rows.index[step.row], None),
            )


def _raw_labels(steps: list[Step]) -> dict[str, tuple[str, int | None]]:
    """Gen5 label of each raw read -> (read mode, wavelength in nm: the emission for
    fluorescence, None for luminescence)."""
    labels: dict[str, tuple[str, int | None]] = {}
    for step in steps:
        prefix = f"{step.name}:" if step.name else ""
        if step.mode == "absorbance":
            for nm in step.wavelengths:
                labels[f"{prefix}{nm}"] = ("absorbance", nm)
        elif step.mode in ("fluorescence", "alpha"):
            mode = "fluorescence" if step.mode == "fluorescence" else "luminescence"
            for ex, em in step.filters:
                em_nm = _nm(em)
                labels[f"{prefix}{ex},{em}"] = (mode, em_nm)
                labels[f"{prefix}{ex.split('/')[0]},{em.split('/')[0]}"] = (mode, em_nm)
            if not step.filters:
                labels[f"{prefix}Alpha" if step.mode == "alpha" else prefix.rstrip(":")] = (
                    mode,
                    None,
                )
        elif step.mode == "luminescence":
            for em in step.emissions or ["Lum"]:
                em_nm = _nm(em)
                labels[f"{prefix}{em}"] = ("luminescence", em_nm)
                labels[f"{prefix}{em.split('/')[0]}"] = ("luminescence", em_nm)
            labels[f"{prefix}Lum"] = ("luminescence", None)
    return labels


def _nm(text: str) -> int | None:
    match = re.match(r"^\s*(\d{3,4})", text)
    return int(match.group(1)) if match else None


class _DataSet:
    """One data set (raw read or derived grid) of a plate: its cells and where each one is."""

    def __init__(self, label: str, n_rows: int, n_cols: int) -> None:
        self.label = label
        self.texts = [[""] * n_cols for _ in range(n_rows)]
        self.places: dict[tuple[int, int], tuple[int, int]] = {}  # well -> (row, col) in Rows


def _data_sets(blocks: Blocks, rows: Rows, path: Path) -> tuple[dict[str, _DataSet], int, int]:
    shapes = {(g.n_rows, g.n_cols) for g in blocks.results}
    plate_type = " ".join(blocks.procedure[:3]) + " " + blocks.header.get("Plate Type", "")
    if not shapes and blocks.well_tables:
        big = "384" in plate_type or any(
            r >= 8 or c >= 12 for t in blocks.well_tables for r, c in t.wells
        )
        shapes = {(16, 24) if big else (8, 12)}
    if not shapes:
        raise PlateError(
            "no Results grid found: a Gen5 export lists its reads after "
            "'Results' as a grid with the header 1..12 (or a 'Well' table); the "
            "file may be cut",
            file=path,
        )
    if len(shapes) > 1:
        raise PlateError(
            "Results grids of different plate sizes in one plate's export",
            file=path,
            where=rows.where(rows.index[blocks.results[-1].header], None),
        )
    n_rows, n_cols = shapes.pop()
    sets: dict[str, _DataSet] = {}
    for grid in blocks.results:
        _add_grid(sets, grid, rows)
    for table in blocks.well_tables:
        _add_table(sets, table, rows, n_rows, n_cols)
    return sets, n_rows, n_cols


def _add_grid(sets: dict[str, _DataSet], grid: Grid, rows: Rows) -> None:
    for label in grid.labels:
        if label in sets:
            raise rows.err(grid.lines[label][0], f"a second data set labelled {label!r}")
        ds = sets[label] = _DataSet(label, grid.n_rows, grid.n_cols)
        for r in range(grid.n_rows):
            line = grid.lines[label][r]
            for c in range(grid.n_cols):
                ds.texts[r][c] = grid.values[label][r][c]
                ds.places[(r, c)] = (line, grid.col0 + c)


def _add_table(
    sets: dict[str, _DataSet], table: WellTable, rows: Rows, n_rows: int, n_cols: int
) -> None:
    for label in table.labels:
        if label in sets:
            raise rows.err(table.lines[label], f"a second data set labelled {label!r}")
        ds = sets[label] = _DataSet(label, n_rows, n_cols)
        for k, (r, c) in enumerate(table.wells):
            if r >= n_rows or c >= n_cols:
                raise rows.err(
                    table.header,
                    f"well {format_well(r, c)} is off the {n_rows * n_cols}-well plate",
                    col=table.col0 + k,
                )
            ds.texts[r][c] = table.values[label][k]
            ds.places[(r, c)] = (table.lines[label], table.col0 + k)


def _raw_grid(
    ds: _DataSet, rows: Rows, n_rows: int, n_cols: int, mode: str
) -> tuple[np.ndarray, np.ndarray]:
    od = np.full((n_rows, n_cols), np.nan)
    sat = np.zeros((n_rows, n_cols), dtype=bool)
    what = "an OD value" if mode == "absorbance" else f"a {mode} value"
    for r in range(n_rows):
        for c in range(n_cols):
            text = ds.texts[r][c]
            try:
                cell = parse_cell(text)
            except ValueError:
                line, col = ds.places.get((r, c), (0, None))
                raise rows.err(
                    line,
                    f"expected {what} or a marker (OVRFLW, MISSED, ?????) in "
                    f"the read {ds.label!r}, found {text!r}",
                    col=col,
                    well=format_well(r, c),
                ) from None
            od[r, c] = cell.value
            sat[r, c] = cell.saturated
    return od, sat


def _derived_grid(ds: _DataSet, n_rows: int, n_cols: int) -> np.ndarray:
    out = np.full((n_rows, n_cols), np.nan)
    for r in range(n_rows):
        for c in range(n_cols):
            try:
                out[r, c] = parse_cell(ds.texts[r][c]).value
            except ValueError:
                pass  # times (t at Max V), text results: not numbers
    return out


def _plate(rows: Rows, path: Path) -> PlateRead:
    blocks = find_blocks(rows)
    _refuse_non_endpoint(blocks, rows, path)
    sets, n_rows, n_cols = _data_sets(blocks, rows, path)
    raw = _raw_labels(blocks.steps)
    reads = [(label, raw[label]) for label in sets if label in raw]
    if not reads:
        steps = ", ".join(sorted(raw)) or "none"
        raise PlateError(
            f"no raw read among the Results data sets ({', '.join(sets)}): the "
            f"Procedure Details read steps give the labels {steps}",
            file=path,
        )
    modes = [mode for _, (mode, _) in reads]
    mode = "absorbance" if "absorbance" in modes else modes[0]
    chosen = [(label, nm) for label, (m, nm) in reads if m == mode]
    others = [f"{label} ({m})" for label, (m, _) in reads if m != mode]
    ods, sats = [], []
    for label, _ in chosen:
        od, sat = _raw_grid(sets[label], rows, n_rows, n_cols, mode)
        ods.append(od)
        sats.append(sat)
    raw_names = {label for label, _ in chosen}
    derived = {
        label: _derived_grid(ds, n_rows, n_cols)
        for label, ds in sets.items()
        if label not in raw_names
    }
    metadata = metadata_of(blocks, mode)
    if others:
        shown = "; ".join(others[:3]) + (f"; ... ({len(others)} in all)" if len(others) > 3 else "")
        metadata["other_reads"] = shown + " (kept in derived, not used as OD)"
    layout = carried_layout_of(blocks.layout, rows, n_rows, n_cols) if blocks.layout else {}
    name = metadata.get("barcode") or None
    return PlateRead(
        name,
        tuple(nm for _, nm in chosen),
        np.stack(ods),
        np.stack(sats),
        metadata,
        layout,
        derived,
    )
