"""SkanIt Software (6/7) Excel report: one sheet per step.

A step sheet starts ``Measurement results``, the session (``….skax``), the time, the step name
(``Absorbance 1``), then ``Wavelength: 450 nm`` and the plate name, and grids whose top-left
cell names the quantity (``Abs``, ``RLU``, ``Blank subtracted``, ``Conc. [microg/ml]`` …) with
column headers ``1.0 … 12.0`` and rows ``A … H``; a ``Sample`` grid gives the sample ids. Grids of
measurement steps (Absorbance, Fluorescence, Luminescence) are raw reads; grids of calculation
steps (Blank Subtraction, Standard Curve, Dilution Factor …) are vendor-derived and go to
``derived``. The standard-curve step's fit (type, a, b, c, d, R²) goes to metadata
(``vendor_fit_*``). ``Layout definitions`` (sample ids, standard concentrations, dilutions
``1:25``) gives the carried layout; information sheets give the metadata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from plates.errors import PlateError
from plates.model import PlateRead
from plates.readers.common.workbook import Workbook
from plates.readers.skanit.common import (
    NAME,
    cell_text,
    grid_width,
    info_sheet,
    iso_time,
    number,
    od_cell,
    plate_name,
    read_mode,
    refuse_kinetic,
    role_of,
    where_cell,
)
from plates.readers.skanit.layout import carried, conc_unit, layout_definitions, normal_unit
from plates.wells import ROW_LETTERS, format_well

_TITLE = "Measurement results"
_WAVELENGTH = re.compile(r"^Wavelength\s*:\s*(\d+)\s*nm", re.IGNORECASE)
_PARAM = re.compile(r"^([a-g])\s*=$")
_KEYVALUE = re.compile(r"^([^:=]{1,60}?)\s*:\s*(.+)$")
_UNIT = re.compile(r"\[(.+?)\]")
_NOT_PLATE = ("autoloading", "y =", "where", "r²", "r2", "measurement results")


def is_report(book: Workbook) -> bool:
    for title, rows in book.sheets.items():
        if book.text(title, 0, 0) == _TITLE and (
            book.text(title, 1, 0).lower().endswith(".skax")
            or any(cell_text(r[0]).startswith("Autoloading range") for r in rows if r)
        ):
            return True
    info = book.sheets.get("General information", ())
    return any("skanit" in cell_text(c).lower() for row in info[:20] for c in row)


@dataclass
class _Grid:
    label: str
    plate: str | None
    wavelength: int | None
    header: int  # 0-based row of the header
    cells: list[list[Any]]


@dataclass
class _Sheet:
    title: str
    step: str
    session: str = ""
    time: Any = None
    grids: list[_Grid] = field(default_factory=list)
    info: dict[str, str] = field(default_factory=dict)
    params: dict[str, float] = field(default_factory=dict)
    equation: str = ""
    table: list[tuple[Any, ...]] = field(default_factory=list)


def _grid(rows, h: int, width: int, title: str, strict: bool, path: Path) -> list[list[Any]]:
    n_rows = 16 if width == 24 else 8
    cells = []
    for r in range(n_rows):
        k = h + 1 + r
        row = rows[k] if k < len(rows) else ()
        label = cell_text(row[0]) if row else ""
        if label.upper() != ROW_LETTERS[r]:
            found = f"found {label[:40]!r}" if label else "found an empty cell"
            raise PlateError(
                f"row {ROW_LETTERS[r]} is missing from the grid whose header is in"
                f" row {h + 1} ({found}; expected rows A-{ROW_LETTERS[n_rows - 1]})",
                file=path,
                where=where_cell(title, k, 0),
            )
        values = list(row[1 : width + 1]) + [None] * max(0, width - len(row) + 1)
        if strict:
            for c in range(width + 1, len(row)):
                if cell_text(row[c]):
                    raise PlateError(
                        f"a value beyond the plate's {width} columns, found"
                        f" {cell_text(row[c])[:40]!r} (expected an empty cell)",
                        file=path,
                        where=where_cell(title, k, c),
                    )
        cells.append(values)
    k = h + 1 + n_rows
    if strict and k < len(rows) and rows[k]:
        label = cell_text(rows[k][0])
        if len(label) == 1 and label.upper() in ROW_LETTERS[n_rows:]:
            raise PlateError(
                f"row {label} is beyond the plate's rows A-{ROW_LETTERS[n_rows - 1]}",
                file=path,
                where=where_cell(title, k, 0),
            )
    return cells


def _parse_sheet(title: str, rows, path: Path) -> _Sheet:
    step = cell_text(rows[4][0]) if len(rows) > 4 and rows[4] else ""
    step = step or re.sub(r"_\d+$", "", title)
    sheet = _Sheet(title, step)
    strict = read_mode(step) is not None
    for k in range(1, min(4, len(rows))):
        text = cell_text(rows[k][0]) if rows[k] else ""
        if text.lower().endswith(".skax") and not sheet.session:
            sheet.session = text
        elif rows[k] and rows[k][0] is not None and sheet.time is None and iso_time(rows[k][0]):
            sheet.time = rows[k][0]
    plate = wavelength = None
    k = 5
    while k < len(rows):
        row = rows[k]
        first = cell_text(row[0]) if row else ""
        width = grid_width(row) if row else None
        if first and width:
            cells = _grid(rows, k, width, title, strict and first.lower() != "sample", path)
            sheet.grids.append(_Grid(first, plate, wavelength, k, cells))
            k += 1 + len(cells)
            continue
        if first in ("Well", "Average") or (
            sheet.table and first and len(first) <= 4 and first[0].isalpha() and first[1:].isdigit()
        ):
            sheet.table.append(row)
        elif m := _WAVELENGTH.match(first):
            wavelength = int(m.group(1))
        elif (m := _PARAM.match(first)) and len(row) > 1:
            sheet.params[m.group(1)] = number(row[1])
        elif first.startswith("y =") and not sheet.equation and any(ch.isdigit() for ch in first):
            sheet.equation = first
        elif m := _KEYVALUE.match(first):
            sheet.info.setdefault(m.group(1).strip(), m.group(2).strip())
        elif (
            first
            and not any(cell_text(c) for c in row[1:13])
            and not first.lower().startswith(_NOT_PLATE)
        ):
            plate = first
        k += 1
    return sheet


def _metadata(book: Workbook, sheets: list[_Sheet]) -> dict[str, str]:
    meta: dict[str, str] = {"read_mode": "absorbance"}
    general = info_sheet(book, "General information")
    software = str(general.get("Report generated with SW version", ""))
    if software:
        name, _, version = software.partition(", ver")
        meta["software"] = name.strip()
        if version:
            meta["software_version"] = version.lstrip(". ").strip()
    session = info_sheet(book, "Session information")
    instrument = info_sheet(book, "Instrument information")
    for key, source, label in (
        ("instrument", instrument, "Name"),
        ("instrument_serial", instrument, "Serial number"),
        ("instrument_firmware", instrument, "ESW version"),
        ("session", session, "Session name"),
        ("session_notes", session, "Session notes"),
    ):
        if cell_text(source.get(label)):
            meta[key] = cell_text(source.get(label))
    first = next((s for s in sheets if s.session or s.time), None)
    if "session" not in meta and first and first.session:
        meta["session"] = first.session
    if "session" in meta:
        meta["protocol"] = re.sub(r"\.skax$", "", meta["session"], flags=re.IGNORECASE)
    stamp = session.get("Execution time") or (first.time if first else None)
    if stamp is not None:
        meta["read_time_text"] = cell_text(stamp)
        if iso := iso_time(stamp):
            meta["read_time"] = iso
    return meta


def _fit_metadata(sheet: _Sheet) -> dict[str, str]:
    meta = {"vendor_fit_step": sheet.step}
    for key, value in sheet.info.items():
        slug = re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")
        if slug in ("r", ""):
            slug = "r_squared"
        slug = slug.removeprefix("fit_")
        meta[f"vendor_fit_{slug}"] = value
    for name, param in sheet.params.items():
        meta[f"vendor_fit_{name}"] = repr(param)
    if sheet.equation:
        meta["vendor_fit_equation"] = sheet.equation
    for grid in sheet.grids:
        if unit := _UNIT.search(grid.label):
            meta["vendor_conc_unit"] = unit.group(1)
            break
    return meta


def read(book: Workbook, path: Path) -> tuple[PlateRead, ...]:
    sheets = [
        _parse_sheet(t, rows, path)
        for t, rows in book.sheets.items()
        if book.text(t, 0, 0) == _TITLE
    ]
    if not sheets:
        raise PlateError(f"{NAME} report without a '{_TITLE}' sheet", file=path)
    meta = _metadata(book, sheets)
    raw: dict[tuple[str | None, str], dict[int | None, tuple[_Grid, _Sheet]]] = {}
    names: dict[str | None, list[list[Any]]] = {}
    derived: dict[str | None, dict[str, np.ndarray]] = {}
    fit: dict[str, str] = {}
    std_conc: dict[str, float] = {}
    for sheet in sheets:
        mode = read_mode(sheet.step)
        if sheet.params or "Fit type" in sheet.info:
            fit.update(_fit_metadata(sheet))
        for row in sheet.table:
            if len(row) > 2 and cell_text(row[1]) and role_of(cell_text(row[1])) == "standard":
                std_conc.setdefault(cell_text(row[1]), number(row[2]))
        for grid in sheet.grids:
            if grid.label.lower() == "sample":
                names.setdefault(grid.plate, grid.cells)
            elif mode is not None:
                reads = raw.setdefault((grid.plate, mode), {})
                if grid.wavelength in reads:
                    n = sum(
                        1
                        for g in sheet.grids
                        if g.plate == grid.plate
                        and g.wavelength == grid.wavelength
                        and g.label.lower() != "sample"
                    )
                    raise refuse_kinetic(
                        path,
                        f"of plate {grid.plate or '(unnamed)'} at"
                        f" {grid.wavelength} nm in step {sheet.step!r}",
                        max(n, 2),
                        "reads",
                    )
                reads[grid.wavelength] = (grid, sheet)
            else:
                grids = derived.setdefault(grid.plate, {})
                key = f"{sheet.step}: {grid.label}"
                if key in grids:
                    key = f"{key} ({grid.wavelength} nm)"
                grids[key] = np.array([[number(v) for v in row] for row in grid.cells])
    if not raw:
        raise PlateError(
            f"{NAME} report without a measurement step (an 'Abs' grid in an Absorbance sheet)",
            file=path,
        )
    definitions = layout_definitions(book)
    plates = []
    for (plate, mode), reads in raw.items():
        shapes = {len(g.cells) for g, _ in reads.values()}
        if len(shapes) > 1:
            raise PlateError(f"plate {plate}: reads of different plate sizes", file=path)
        od = np.full(
            (
                len(reads),
                len(next(iter(reads.values()))[0].cells),
                len(next(iter(reads.values()))[0].cells[0]),
            ),
            np.nan,
        )
        sat = np.zeros(od.shape, dtype=bool)
        for j, (grid, sheet) in enumerate(reads.values()):
            for r, grid_row in enumerate(grid.cells):
                for c, value in enumerate(grid_row):
                    try:
                        cell = od_cell(value)
                    except ValueError as exc:
                        raise PlateError(
                            f"{exc} (well {format_well(r, c)})",
                            file=path,
                            where=where_cell(sheet.title, grid.header + 1 + r, c + 1),
                        ) from None
                    od[j, r, c], sat[j, r, c] = cell.value, cell.saturated
        first_sheet = next(iter(reads.values()))[1]
        plate_meta = dict(meta, read_mode=mode, step=first_sheet.step, sheet=first_sheet.title)
        if plate:
            plate_meta["plate_name"] = plate
        plate_meta.update(fit)
        extra = dict(derived.get(plate, {}))
        if len(raw) == 1:  # grids of a plate named otherwise (or unnamed) are this plate's
            extra = {k: v for grids in derived.values() for k, v in grids.items()} | extra
        extra = {k: v for k, v in extra.items() if v.shape == od.shape[1:]}
        dil = next((v for k, v in extra.items() if k.lower().endswith("dilution factor")), None)
        texts = definitions.get(plate) if plate else None
        if texts is None and len(definitions) == 1 and len(raw) == 1:
            texts = next(iter(definitions.values()))
        layout = carried(texts, names.get(plate), std_conc, dil)
        unit = conc_unit(texts) or fit.get("vendor_conc_unit")
        if unit and any("conc" in f for f in layout.values()):
            plate_meta["conc_unit"] = normal_unit(unit)  # the carried layout's [expt] unit
        plates.append(
            PlateRead(plate_name(plate), tuple(reads), od, sat, plate_meta, layout, extra)
        )
    return tuple(plates)
