"""VICTOR exports: Nivo ``WELL RESULTS`` csv and the VICTOR X3 / Wallac workstation txt.

Nivo: ``WELL RESULTS``, ``PROTOCOL NAME,...``, ``MEASUREMENT START DATE,<local>,,UTC,<ISO>``,
then ``,Cycle,1,2,...`` / ``,Plate,...`` / ``,Barcode,...`` / ``Well,Time(s),...`` and one line
per well (``A1,,0.059,...``); then ``PARAMETERS`` (``PLATE FORMAT,96 wells (8X12)``,
``EXCITATION FILTER,600/10nm``). X3: a tab-separated list ``Plate Repeat Well Type Time
<label> ...`` with one line per well and repeat, then per-repeat grids, then a dotted footer
(``Protocol name ..... X``, ``Number of repeats ..... 17``, ``Measured on ..... <date>``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from plates.model import PlateRead
from plates.readers.envision.common import (
    date_order,
    err,
    iso_datetime,
    kinetic,
    nm_in,
    parse_od,
    split,
    stripped,
)
from plates.wells import parse_well

_X3_HEADER = re.compile(r"^Plate([\t;,])Repeat\1Well\1Type\1", re.MULTILINE)


def sniff_nivo(text: str) -> bool:
    return (
        text.lstrip().startswith(("WELL RESULTS", "\ufeffWELL RESULTS"))
        and "MEASUREMENT START DATE" in text[:3000]
    )


def sniff_x3(text: str) -> bool:
    return _X3_HEADER.search(text[:2000]) is not None


def _mode(label: str) -> str:
    low = label.lower()
    if "absorb" in low or low.startswith("abs") or "photometr" in low or "(a)" in low:
        return "absorbance"
    if "lumin" in low or "(rlu)" in low:
        return "luminescence"
    return "fluorescence"


def _plate_shape(wells: list[tuple[int, int]]) -> tuple[int, int]:
    big = any(r >= 8 or c >= 12 for r, c in wells)
    return (16, 24) if big else (8, 12)


def _plates_from_list(
    entries: dict[str, dict[tuple[int, int], tuple[str, int]]],
    labels: list[str],
    path: Path,
    meta: dict[str, str],
    waves: list[int | None],
) -> PlateRead:
    wells = [w for per in entries.values() for w in per]
    n_rows, n_cols = _plate_shape(wells)
    od = np.full((len(labels), n_rows, n_cols), np.nan)
    sat = np.zeros(od.shape, dtype=bool)
    for k, label in enumerate(labels):
        for (r, c), (text, line) in entries[label].items():
            cell = parse_od(text, path, line, f"{'ABCDEFGHIJKLMNOP'[r]}{c + 1}")
            od[k, r, c], sat[k, r, c] = cell.value, cell.saturated
    meta = dict(meta)
    meta["read_mode"] = "+".join(sorted({_mode(lab) for lab in labels}))
    meta["labels"] = "; ".join(labels)
    return PlateRead(meta.get("barcode") or None, tuple(waves), od, sat, meta)


def read_nivo(text: str, path: Path) -> tuple[PlateRead, ...]:
    rows = [stripped(split(line, ",")) for line in text.split("\n")]
    values: dict[str, list[str]] = {}
    for cells in rows:
        if cells and cells[0] and len(cells) > 1:
            values.setdefault(cells[0], cells[1:])
    cycle = next(
        (i for i, c in enumerate(rows) if len(c) > 2 and c[0] == "" and c[1] == "Cycle"), None
    )
    header = next((i for i, c in enumerate(rows) if len(c) > 1 and c[0] == "Well"), None)
    if cycle is None or header is None:
        raise err(
            path,
            "expected the ',Cycle,1,2,...' and 'Well,Time(s),...' header lines of a"
            " VICTOR Nivo WELL RESULTS export",
            1,
        )
    cycles = len(rows[cycle]) - 2
    if cycles > 1:
        raise kinetic(path, cycles, "cycles", "VICTOR Nivo")
    meta: dict[str, str] = {"instrument": "VICTOR Nivo"}
    version = values.get("User interface program version")
    if version:
        meta["software"], meta["software_version"] = "VICTOR Nivo control software", version[0]
    for key, name in (
        ("Instrument serial number", "instrument_serial"),
        ("PROTOCOL NAME", "protocol"),
        ("PLATE TYPE", "plate_type"),
    ):
        if values.get(key):
            meta[name] = values[key][0]
    start = values.get("MEASUREMENT START DATE", [])
    if start:
        meta["measurement_date"] = start[0]
        iso = iso_datetime(start[-1], None) if len(start) > 1 else None
        read_time = iso or iso_datetime(start[0], date_order(text))
        if read_time:  # only ISO 8601: the run order sorts on it; the raw text stays above
            meta["read_time"] = read_time
    barcode = (
        rows[cycle + 2][2] if len(rows[cycle + 2]) > 2 and rows[cycle + 2][1] == "Barcode" else ""
    )
    if barcode and barcode != "0":
        meta["barcode"] = barcode
    label = next(
        (
            v[0]
            for k, v in values.items()
            if k.endswith("OPERATION") and re.search(r"ABS|FI|LUM|Alpha", v[0])
        ),
        "ABS",
    )
    entries: dict[tuple[int, int], tuple[str, int]] = {}
    for k in range(header + 1, len(rows)):
        cells = rows[k]
        if not cells or not re.match(r"^[A-Pa-p]\d{1,2}$", cells[0]):
            break
        try:
            well = parse_well(cells[0], 16, 24)
        except ValueError as exc:
            raise err(path, str(exc), k + 1) from None
        entries[well] = (cells[2] if len(cells) > 2 else "", k + 1)
    if not entries:
        raise err(path, "no well lines (A1,,value) after the 'Well,Time(s)' header", header + 1)
    wave = nm_in((values.get("EXCITATION FILTER") or [""])[0])
    return (_plates_from_list({label: entries}, [label], path, meta, [wave]),)


def read_x3(text: str, path: Path) -> tuple[PlateRead, ...]:
    m = _X3_HEADER.search(text)
    delim = m.group(1) if m else "\t"
    lines = text.split("\n")
    rows = [stripped(split(line, delim)) for line in lines]
    start = next((i for i, c in enumerate(rows) if c[:3] == ["Plate", "Repeat", "Well"]), None)
    if start is None:
        raise err(path, "expected the Plate/Repeat/Well/Type header of a VICTOR list export", 1)
    header = rows[start]
    label_cols = [(k, lab) for k, lab in enumerate(header) if k >= 4 and lab != "Time"]
    footer: dict[str, str] = {}
    for line in lines:
        fm = re.match(r"^\s*([^.:]+?)\s*:?\s*\.{3,}\s*(.*?)\s*$", line)
        if fm:
            footer.setdefault(fm.group(1).strip(), fm.group(2).strip())
    repeats: dict[str, set[str]] = {}
    plates: dict[str, dict[str, dict[tuple[int, int], tuple[str, int]]]] = {}
    for k in range(start + 1, len(rows)):
        cells = rows[k]
        if len(cells) < 4 or not re.match(r"^[A-Pa-p]\d{1,2}$", cells[2]):
            break
        plate, repeat = cells[0], cells[1]
        repeats.setdefault(plate, set()).add(repeat)
        try:
            well = parse_well(cells[2], 16, 24)
        except ValueError as exc:
            raise err(path, str(exc), k + 1) from None
        per = plates.setdefault(plate, {lab: {} for _, lab in label_cols})
        for col, lab in label_cols:
            per[lab][well] = (cells[col] if col < len(cells) else "", k + 1)
    most = max((len(r) for r in repeats.values()), default=0)
    if most > 1:
        raise kinetic(path, most, "repeats", "VICTOR X3")
    if not plates:
        raise err(
            path,
            "no well lines after the Plate/Repeat/Well/Type header (VICTOR list export)",
            start + 1,
        )
    meta: dict[str, str] = {"instrument": "VICTOR", "software": "Wallac workstation"}
    for key, name in (
        ("Protocol name", "protocol"),
        ("Instrument serial number", "instrument_serial"),
        ("Name of the plate type", "plate_type"),
        ("Assay ID", "assay_id"),
    ):
        if footer.get(key) and footer[key] not in ("XXX", "N/A"):
            meta[name] = footer[key]
    if footer.get("Measured on"):
        meta["measurement_date"] = footer["Measured on"]
        iso = iso_datetime(footer["Measured on"], date_order(text))
        if iso:
            meta["read_time"] = iso
    labels = [lab for _, lab in label_cols]
    waves = [nm_in(lab) if _mode(lab) == "absorbance" else None for lab in labels]
    out = []
    for number, per in plates.items():
        plate_meta = dict(meta, plate_number=number)
        out.append(_plates_from_list(per, labels, path, plate_meta, waves))
    return tuple(out)
