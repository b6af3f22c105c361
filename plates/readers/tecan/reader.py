"""The ``tecan`` format: Tecan i-control, SparkControl and Magellan exports (xlsx, or CSV saved
from Excel with any delimiter and encoding).

i-control / SparkControl sheets: a header of key/value rows (``Application:``, ``Device:``,
``Date:``, ``Time:``, ``Plate``), then one block per measurement (``Label: Abs600`` or
``Mode | Absorbance`` + ``Name | A450``, ``Measurement wavelength``, ``Reference wavelength``,
``Part of Plate``, ``Start Time``) holding ``<>`` grids (``<>``, ``1..12``, rows ``A..H``) or
list layouts (``<>``, ``Value``, ``Time [ms]``, one well per line). Spark names its grids: the
label's own grid (``A450``) and ``Reference`` are raw reads; ``Difference`` and any other named
grid are vendor-derived and kept in ``derived``. A ``Plate layout`` grid of well names becomes
the carried layout. ``Cycle Nr.`` blocks are kinetic reads: skipped when the file also holds
endpoint reads, else the file is refused. Magellan list exports are read by
:mod:`plates.readers.tecan.magellan`. ``OVER`` is saturated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from plates.errors import PlateError
from plates.model import PlateRead
from plates.readers.common.cells import parse_number
from plates.readers.tecan import magellan as tecan_magellan
from plates.readers.tecan.blocks import Block, Grid
from plates.readers.tecan.common import (
    Sheet,
    as_wavelength,
    iso_datetime,
    parse_well,
    read_mode,
    text_sheet,
    wavelength_from_name,
    workbook_sheets,
)
from plates.readers.tecan.sheet import parse_sheet

FORMAT = "tecan"
SNIFF_ORDER = 50

_APP = re.compile(r"tecan|spark|i-control|magellan", re.IGNORECASE)
_KINETIC_WHY = "an endpoint ELISA needs one read per wavelength"


# ------------------------------------------------------------------------------------ sniffing


def _claims(sheet: Sheet) -> bool:
    for cells in sheet.rows[:80]:
        first = cells[0] if cells else ""
        if first.startswith("Application:") and _APP.search(" ".join(cells)):
            return True
        if tecan_magellan.is_header(cells):
            return True
    for cells in sheet.rows:
        if (
            len(cells) > 2
            and cells[0] == "<>"
            and (parse_number(cells[1]) == 1 or cells[1].lower() == "value")
        ):
            return True
    return False


def sniff(text: str) -> bool:
    return _claims(text_sheet(text, Path("-")))


def sniff_workbook(book) -> bool:
    return any(_claims(s) for s in workbook_sheets(book, Path("-")))


# ------------------------------------------------------------------------------------- reading


@dataclass
class _Read:
    mode: str
    wavelength: int | None
    grid: Grid
    block: Block


def _block_reads(sheet: Sheet, block: Block) -> tuple[list[_Read], dict[str, np.ndarray]]:
    mode = read_mode(block.mode or "Absorbance")
    if mode == "fluorescence":
        wave = as_wavelength(block.param("Emission wavelength", "Emission Wavelength"))
    else:
        wave = as_wavelength(block.param("Measurement wavelength", "Wavelength"))
    if wave is None and block.name and mode == "absorbance":
        wave = wavelength_from_name(block.name)
    reference = as_wavelength(block.param("Reference wavelength"))
    reads: list[_Read] = []
    derived: dict[str, np.ndarray] = {}
    for grid in block.grids:
        title = grid.title
        if title is None or title == block.name or (block.name is None and not reads):
            reads.append(_Read(mode, wave, grid, block))
        elif title.lower() == "reference" and reference is not None:
            reads.append(_Read(mode, reference, grid, block))
        else:
            name = title if title not in derived else f"{block.name} {title}"
            derived[name] = grid.od
    return reads, derived


def _plates(sheet: Sheet, meta: dict[str, str], blocks: list[Block], layout) -> list[PlateRead]:
    kinetic = [b for b in blocks if b.cycles is not None]
    endpoint = [b for b in blocks if b.cycles is None and b.grids]
    if not endpoint:
        if kinetic:
            b = kinetic[0]
            label = f" {b.name!r}" if b.name else ""
            raise PlateError(
                f"tecan: kinetic read{label} with {b.cycles} cycles: {_KINETIC_WHY}",
                file=sheet.path,
                where=sheet.where(b.row),
            )
        raise PlateError(
            "tecan: no plate grid ('<>' followed by 1..12 or Value) found", file=sheet.path
        )
    groups: list[tuple[list[_Read], dict[str, np.ndarray]]] = []
    for block in endpoint:
        reads, derived = _block_reads(sheet, block)
        for read in reads:
            current = groups[-1] if groups else None
            if (
                current is None
                or read.mode != "absorbance"
                or current[0][0].mode != "absorbance"
                or read.wavelength in {r.wavelength for r in current[0]}
                or read.grid.od.shape != current[0][0].grid.od.shape
            ):
                groups.append(([read], {}))
            else:
                current[0].append(read)
        if groups:
            for name, grid in derived.items():
                if grid.shape == groups[-1][0][0].grid.od.shape:
                    groups[-1][1][name] = grid
    plates = []
    for reads, derived in groups:
        block = reads[0].block
        metadata = dict(meta)
        metadata.pop("date", None)
        metadata.pop("time", None)
        metadata["read_mode"] = reads[0].mode
        metadata["labels"] = ", ".join(dict.fromkeys(r.block.name or "" for r in reads))
        when = iso_datetime(block.param("Start Time")) or iso_datetime(
            meta.get("date", ""), meta.get("time", "")
        )
        if when:
            metadata["read_time"] = when
        if reads[0].mode == "fluorescence":
            for key, param in (
                ("excitation_wavelength", "Excitation wavelength"),
                ("emission_wavelength", "Emission wavelength"),
                ("gain", "Gain"),
            ):
                if block.param(param):
                    metadata[key] = block.param(param)
        if kinetic:
            metadata["kinetic_reads_skipped"] = ", ".join(
                f"{b.name or 'unnamed'} ({b.cycles} cycles)" for b in kinetic
            )
        plate_name = meta.get("plate_name") or meta.get("barcode")
        shape = reads[0].grid.od.shape
        plate_layout = (
            layout
            if layout
            and all(
                (parse_well(w) or (99, 99))[0] < shape[0]
                and (parse_well(w) or (99, 99))[1] < shape[1]
                for w in layout
            )
            else {}
        )
        plates.append(
            PlateRead(
                plate_name,
                tuple(r.wavelength for r in reads),
                np.stack([r.grid.od for r in reads]),
                np.stack([r.grid.saturated for r in reads]),
                metadata,
                plate_layout,
                derived,
            )
        )
    return plates


def _read_sheet(sheet: Sheet) -> list[PlateRead]:
    if tecan_magellan.find_header(sheet) is not None:
        return tecan_magellan.read_sheet(sheet)
    meta, blocks, layout = parse_sheet(sheet)
    return _plates(sheet, meta, blocks, layout)


def read(text: str, path: Path) -> tuple[PlateRead, ...]:
    return tuple(_read_sheet(text_sheet(text, path)))


def read_workbook(book, path: Path) -> tuple[PlateRead, ...]:
    plates: list[PlateRead] = []
    for sheet in workbook_sheets(book, path):
        if _claims(sheet):
            plates.extend(_read_sheet(sheet))
    if not plates:
        raise PlateError(
            "no Tecan sheet found in this workbook (expected 'Application: "
            "Tecan i-control'/'SparkControl', '<>' grids or 'Well positions')",
            file=path,
        )
    return tuple(plates)
