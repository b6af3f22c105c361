"""Tecan Magellan "list" exports (sheet ``Magellan Sheet 1``), part of the ``tecan`` format.

A header row ``Well positions | Label1 | Label2 ...``, then one row of read times (``0s``) and one
of temperatures (``24.8 °C``), then one row per well (``A1``...). A footer of one-cell lines
follows: ``Date of measurement: 2021-07-08/Time of measurement: 14:34:46``, the method (``.mth``)
and workspace (``.wsp``) with their paths, the label wavelengths, the user, the instrument,
``Instrument serial number: ...`` and one ``Measurement N:`` paragraph per label
(``Measurement mode``, ``Measurement wavelength: 485 nm``, ``Plate definition file``).
Several labels at the same wavelength with different read times are a kinetic run (refused).
"""

from __future__ import annotations

import re

import numpy as np

from plates.errors import PlateError
from plates.model import PlateRead
from plates.readers.common.cells import parse_cell
from plates.readers.tecan.common import (
    Sheet,
    as_wavelength,
    iso_datetime,
    parse_well,
    read_mode,
    shape_for_wells,
    shape_from_definition,
    wavelength_from_name,
)
from plates.wells import PLATE_SHAPES, format_well


def is_header(cells: list[str]) -> bool:
    return len(cells) > 1 and cells[0] == "Well positions" and any(cells[1:])


def find_header(sheet: Sheet) -> int | None:
    for i, cells in enumerate(sheet.rows[:50]):
        if is_header(cells):
            return i
    return None


def _footer(lines: list[str]) -> tuple[dict[str, str], list[dict[str, str]], tuple | None]:
    meta: dict[str, str] = {"software": "Magellan"}
    measurements: list[dict[str, str]] = []
    definition = None
    for k, line in enumerate(lines):
        match = re.match(r"^Date of measurement:\s*(\S+)\s*/\s*Time of measurement:\s*(\S+)", line)
        if match:
            when = iso_datetime(match.group(1), match.group(2))
            if when:
                meta["read_time"] = when
        elif line.lower().endswith(".mth") and "\\" not in line and "/" not in line:
            meta.setdefault("protocol", line)
        elif line.lower().endswith(".wsp") and "\\" not in line and "/" not in line:
            meta.setdefault("workspace", line)
        elif line.startswith("Instrument serial number:"):
            serial = line.split(":", 1)[1].strip()
            if serial:
                meta["instrument_serial"] = serial
            previous = lines[k - 1] if k else ""
            if previous and ":" not in previous and not previous.lower().endswith("nm"):
                meta.setdefault("instrument", previous)
        elif re.match(r"^Measurement \d+:$", line):
            measurements.append({})
        elif ":" in line and measurements:
            key, value = (part.strip() for part in line.split(":", 1))
            measurements[-1].setdefault(key.lower(), value)
            if key.lower() == "plate definition file":
                definition = definition or shape_from_definition(value)
        elif line.startswith("Plate definition file:"):
            definition = definition or shape_from_definition(line)
    return meta, measurements, definition


def _check_rectangle(sheet, wells: dict[tuple[int, int], int], first: int) -> None:
    """The listed wells cover whole rows and columns (a plate or a rectangle of it): a well
    missing inside is a lost row of the list, not an unread well."""
    rows = {r for r, _ in wells}
    cols = {c for _, c in wells}
    for r in range(min(rows), max(rows) + 1):
        for c in range(min(cols), max(cols) + 1):
            if (r, c) not in wells:
                raise sheet.error(
                    f"well {format_well(r, c)} is missing from the well list (wells"
                    f" {format_well(min(rows), min(cols))}-{format_well(max(rows), max(cols))}"
                    " are listed): a row of the list was lost",
                    first,
                )


def read_sheet(sheet: Sheet) -> list[PlateRead]:
    top = find_header(sheet)
    assert top is not None
    header = sheet.rows[top]
    labels = [(c, name) for c, name in enumerate(header) if c > 0 and name]
    times: list[str] = []
    first_well = None
    k = top + 1
    while k < len(sheet.rows):
        cells = sheet.rows[k]
        if cells and parse_well(cells[0]):
            first_well = k
            break
        if cells and not cells[0] and any(c.endswith("s") for c in cells[1:] if c) and not times:
            times = [sheet.get(k, c) for c, _ in labels]
        k += 1
        if k > top + 6:
            break
    if first_well is None:
        raise sheet.error(
            "expected rows of well positions (A1, A2, ...) below 'Well positions'",
            min(k, len(sheet.rows) - 1),
        )
    wells: dict[tuple[int, int], int] = {}
    k = first_well
    while k < len(sheet.rows):
        cells = sheet.rows[k]
        well = parse_well(cells[0]) if cells else None
        if well is None:
            break
        if well in wells:
            raise sheet.error(
                f"well {cells[0]} is listed twice (first at {sheet.where(wells[well])})", k
            )
        if len(cells) > header_width(header):
            c = header_width(header)
            raise sheet.error(
                f"a value beyond the {len(labels)} label columns, found "
                f"{cells[c]!r} (expected an empty cell)",
                k,
                c,
            )
        wells[well] = k
        k += 1
    for j in range(k, len(sheet.rows)):
        cells = sheet.rows[j]
        if cells and parse_well(cells[0]) is not None:
            # a well after the end of the list: the list was interrupted (an empty or a
            # damaged row), and the wells after it would be lost
            raise sheet.error(
                f"the well list is interrupted at {sheet.where(k)} (found"
                f" {sheet.get(k, 0)!r}, expected a well such as A1) and goes on at"
                f" {sheet.where(j)}",
                k,
            )
    footer = [cells[0] for cells in sheet.rows[k:] if cells and cells[0]]
    if not footer:
        # Magellan writes the measurement definition after the list: without it the list may
        # have been cut (its last wells lost)
        raise sheet.error(
            "the sheet ends with the well list: expected the measurement definition after it"
            " (the sheet is cut?)",
            max(k - 1, 0),
        )
    meta, measurements, definition = _footer(footer)
    n_rows, n_cols = shape_for_wells(wells, definition)
    if (n_rows, n_cols) not in PLATE_SHAPES.values():
        raise sheet.error(f"unsupported plate of {n_rows * n_cols} wells: expected 96 or 384", top)
    _check_rectangle(sheet, wells, first_well)
    for (r, c), row in wells.items():
        if r >= n_rows or c >= n_cols:
            raise sheet.error(
                f"well {format_well(r, c)} is off the {n_rows * n_cols}-well plate of this file",
                row,
            )

    reads = []
    for j, (col, name) in enumerate(labels):
        info = measurements[j] if len(measurements) == len(labels) else {}
        mode = read_mode(info.get("measurement mode", "Absorbance"))
        wave_key = "emission wavelength" if mode == "fluorescence" else "measurement wavelength"
        wave = as_wavelength(info.get(wave_key, "")) or wavelength_from_name(name)
        od = np.full((n_rows, n_cols), np.nan)
        sat = np.zeros((n_rows, n_cols), dtype=bool)
        for (r, c), row in wells.items():
            text = sheet.get(row, col)
            try:
                cell = parse_cell(text)
            except ValueError as exc:
                raise sheet.error(str(exc), row, col, format_well(r, c)) from None
            od[r, c], sat[r, c] = cell.value, cell.saturated
        reads.append((name, mode, wave, od, sat, times[j] if j < len(times) else ""))

    by_wave: dict[tuple[str, int | None], list] = {}
    for read in reads:
        by_wave.setdefault((read[1], read[2]), []).append(read)
    for (_mode, wave), same in by_wave.items():
        if len(same) > 1 and len({r[5] for r in same}) > 1:
            at = f" at {wave} nm" if wave else ""
            raise PlateError(
                f"tecan: kinetic read{at} with {len(same)} cycles (Magellan labels "
                f"{same[0][0]}..{same[-1][0]}): an endpoint ELISA needs one read "
                "per wavelength",
                file=sheet.path,
                where=sheet.where(top),
            )

    plates: list[PlateRead] = []
    group: list = []

    def flush() -> None:
        if not group:
            return
        metadata = dict(meta)
        metadata["read_mode"] = group[0][1]
        metadata["labels"] = ", ".join(r[0] for r in group)
        plates.append(
            PlateRead(
                None,
                tuple(r[2] for r in group),
                np.stack([r[3] for r in group]),
                np.stack([r[4] for r in group]),
                metadata,
            )
        )
        group.clear()

    for read in reads:
        if group and (
            read[1] != "absorbance"
            or group[0][1] != "absorbance"
            or read[2] in {r[2] for r in group}
        ):
            flush()
        group.append(read)
    flush()
    return plates


def header_width(header: list[str]) -> int:
    return len(header)
