"""Multiskan Sky (SkanIt) Excel export: ``Raw data 450 nm`` sheets listing one row per well and
reading (``Well | Wavelength(s) [nm] | Raw absorbance | Measurement time(s)``, wells written
``A 2``), ``General information`` (instrument, serial, software version, execution time,
measurement type, plate template), ``Absorbance results`` (the same values as a table, not read)
and ``Plate layout`` (``X`` on the measured wells). More than one reading per well and
wavelength is a kinetic read: refused.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from plates.errors import PlateError
from plates.model import PlateRead
from plates.readers.common.workbook import Workbook
from plates.readers.skanit.common import (
    NAME,
    cell_text,
    info_sheet,
    iso_time,
    od_cell,
    read_mode,
    refuse_kinetic,
    where_cell,
)
from plates.wells import parse_well

_RAW = re.compile(r"^Raw data\b(?:.*?(\d{3,4})\s*nm)?", re.IGNORECASE)
_TEMPLATE = re.compile(r"(96|384)\s*-?\s*well", re.IGNORECASE)


def _header(rows) -> int | None:
    for k, row in enumerate(rows[:15]):
        if (
            row
            and cell_text(row[0]) == "Well"
            and len(row) > 2
            and any(cell_text(c).lower().startswith("raw ") for c in row[1:])
        ):
            return k
    return None


def is_sky(book: Workbook) -> bool:
    if any(_RAW.match(t) and _header(rows) is not None for t, rows in book.sheets.items()):
        return True
    info = info_sheet(book, "General information")
    return "multiskan" in cell_text(info.get("Name")).lower()


def _sheet(title: str, rows, path: Path, reads: dict, sizes: list) -> str:
    h = _header(rows)
    if h is None:
        raise PlateError(
            "expected a header row 'Well | Wavelength(s) [nm] | Raw absorbance'",
            file=path,
            where=f"sheet {title!r}",
        )
    header = [cell_text(c) for c in rows[h]]
    value_col = next(i for i, t in enumerate(header) if t.lower().startswith("raw "))
    wave_col = next((i for i, t in enumerate(header) if t.lower().startswith("wavelength")), None)
    m = _RAW.match(title)
    title_wave = int(m.group(1)) if m and m.group(1) else None
    mode = read_mode(header[value_col][4:]) or "absorbance"
    for k in range(h + 1, len(rows)):
        row = rows[k]
        well = cell_text(row[0]) if row else ""
        if not well:
            if any(cell_text(c) for c in row):
                raise PlateError(
                    "expected a well (A 1 … H 12) in the first column",
                    file=path,
                    where=where_cell(title, k, 0),
                )
            continue
        try:
            r, c = parse_well(well)
        except ValueError as exc:
            raise PlateError(str(exc), file=path, where=where_cell(title, k, 0)) from None
        wave = title_wave
        if wave_col is not None and wave_col < len(row) and row[wave_col] is not None:
            text = cell_text(row[wave_col])
            if not text.isdigit() or not 200 <= int(text) <= 1100:
                raise PlateError(
                    f"expected a wavelength in nm, found {text[:40]!r}",
                    file=path,
                    where=where_cell(title, k, wave_col),
                )
            wave = int(text)
        try:
            cell = od_cell(row[value_col] if value_col < len(row) else None)
        except ValueError as exc:
            raise PlateError(
                f"{exc} (well {well})", file=path, where=where_cell(title, k, value_col)
            ) from None
        reads.setdefault(wave, {}).setdefault((r, c), []).append(cell)
        sizes.append((r, c))
    return mode


def read(book: Workbook, path: Path) -> tuple[PlateRead, ...]:
    info = info_sheet(book, "General information")
    reads: dict[int | None, dict[tuple[int, int], list]] = {}
    sizes: list[tuple[int, int]] = []
    modes = {
        _sheet(t, rows, path, reads, sizes) for t, rows in book.sheets.items() if _RAW.match(t)
    }
    if not reads:
        raise PlateError(
            f"{NAME} (Multiskan Sky) export without readings: expected a 'Raw data"
            " <wavelength> nm' sheet listing wells and raw values",
            file=path,
        )
    n = max(len(v) for wells in reads.values() for v in wells.values())
    if n > 1:
        timing = ", ".join(
            f"{k.lower()} {cell_text(info[k])}"
            for k in ("Kinetic interval", "Kinetic total time")
            if k in info
        )
        waves = ", ".join(str(w) for w in reads)
        raise refuse_kinetic(
            path, f"per well at {waves} nm" + (f" ({timing})" if timing else ""), n, "readings"
        )
    template = _TEMPLATE.search(cell_text(info.get("Plate template")))
    wells = (
        int(template.group(1))
        if template
        else (384 if any(r >= 8 or c >= 12 for r, c in sizes) else 96)
    )
    n_rows, n_cols = (16, 24) if wells == 384 else (8, 12)
    if any(r >= n_rows or c >= n_cols for r, c in sizes):
        raise PlateError(f"a well beyond the {wells}-well plate of the 'Plate template'", file=path)
    od = np.full((len(reads), n_rows, n_cols), np.nan)
    sat = np.zeros(od.shape, dtype=bool)
    for j, wells_read in enumerate(reads.values()):
        for (r, c), (cell,) in wells_read.items():
            od[j, r, c], sat[j, r, c] = cell.value, cell.saturated
    meta = {"read_mode": modes.pop() if len(modes) == 1 else "absorbance"}
    for key, label in (
        ("instrument", "Name"),
        ("instrument_serial", "Serial number"),
        ("instrument_firmware", "Firmware version"),
        ("software_version", "Version"),
        ("protocol", "Assay type"),
        ("measurement_type", "Measurement type"),
        ("plate_template", "Plate template"),
    ):
        if cell_text(info.get(label)):
            meta[key] = cell_text(info[label])
    if (iso := iso_time(info.get("Execution time"))) is not None:
        meta["read_time"] = iso
    return (PlateRead(None, tuple(reads), od, sat, meta),)
