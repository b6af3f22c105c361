"""Kaleido csv exports (Revvity software of the EnVision Nexus and VICTOR Nivo).

``Results for<NBSP>ABS mono 1``, then ``Barcode:<NBSP>V-...,<NBSP>PlateRepeat:<NBSP>1,<NBSP>
WellRepeat:<NBSP>1``, then a ``,1,...,12`` grid with row letters; after the data an
``Analysis Result`` part and ``Measurement Basic Information`` (``Key:,,Value`` lines with ISO
8601 timestamps), ``Plate Type``, ``Platemap`` and ``Measurements:`` (``Tech,,,,ABS mono 1``,
``Excitation wavelength [nm],,,,450``). No-break spaces are already plain spaces here.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from plates.model import PlateRead
from plates.readers.envision.common import (
    RawGrid,
    err,
    footer_value,
    header_width,
    iso_datetime,
    kinetic,
    nm_in,
    read_headed,
    split,
    stripped,
)

_RESULTS = re.compile(r"^\s*Results for\s+(.+?)\s*$")
_INFO = re.compile(
    r"Barcode:\s*(?P<barcode>.*?)\s*[,;\t]\s*PlateRepeat:\s*(?P<plate>\d+)"
    r"(?:\s*[,;\t]\s*WellRepeat:\s*(?P<well>\d+))?",
    re.IGNORECASE,
)


def sniff(text: str) -> bool:
    head = text[:20000]
    return re.search(r"^\s*Results for\s+\S", head, re.MULTILINE) is not None and (
        _INFO.search(head) is not None
        or "Kaleido" in text[-5000:]
        or "Measurement Basic Information" in text
    )


def _delimiter(text: str) -> str:
    m = re.search(r"^([,;\t])0?1\1", text, re.MULTILINE)
    return m.group(1) if m else ","


def _mode(tech: str) -> str:
    t = tech.lower()
    if t.startswith("abs") or "absorb" in t:
        return "absorbance"
    if t.startswith(("fi", "fl", "fp", "trf", "htrf", "tr-fret", "fret")) or "fluor" in t:
        return "fluorescence"
    if t.startswith(("lum", "alpha")) or "lumin" in t:
        return "luminescence"
    return "unknown"


def read(text: str, path: Path) -> tuple[PlateRead, ...]:
    delim = _delimiter(text)
    lines = text.split("\n")
    rows = [split(line, delim) for line in lines]
    # the data part: Results for ... blocks up to 'Analysis Result' / 'Measurement Basic ...'
    blocks: list[tuple[str, dict[str, str], RawGrid]] = []
    derived: list[RawGrid] = []
    i, n = 0, len(rows)
    tech, analysis = None, False
    info: dict[str, str] = {}
    while i < n:
        line = lines[i].strip()
        if line.startswith("Measurement Basic Information"):
            break
        if line.startswith("Analysis Result"):
            analysis, tech = True, None
        m = _RESULTS.match(line)
        if m:
            tech, info = m.group(1).strip().rstrip(",;\t").strip(), {}
            i += 1
            continue
        im = _INFO.search(line)
        if im:
            info = {k: v for k, v in im.groupdict().items() if v is not None}
            i += 1
            continue
        if header_width(stripped(rows[i])) is not None:
            grid, i = read_headed(rows, i, path, tech or line)
            if analysis or tech is None:
                derived.append(grid)
            else:
                blocks.append((tech, dict(info), grid))
            continue
        i += 1
    if not blocks:
        raise err(path, "no 'Results for' grid found (Kaleido export)", 1)

    values: dict[str, str] = {}
    techs: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for cells in rows[i:]:
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        key = cells[0].rstrip(":").strip()
        value = footer_value(cells)
        if key == "Tech":
            current = techs.setdefault(value, {})
            continue
        if current is not None and key and key not in ("Meas",):
            current.setdefault(key, value)
        values.setdefault(key, value)

    meta: dict[str, str] = {}
    software = values.get("Software version", "")
    if software:
        meta["software"] = software.split()[0]
        if len(software.split()) > 1:
            meta["software_version"] = software.split()[1]
    meta["instrument"] = "Kaleido"  # the file does not name the instrument (EnVision Nexus, Nivo)
    for key, name in (
        ("Instrument Serial Number", "instrument_serial"),
        ("Protocol Name", "protocol"),
        ("Plate Type Name", "plate_type"),
        ("Measurement Signature", "measurement_signature"),
    ):
        if values.get(key):
            meta[name] = values[key]
    started = values.get("Measurement Started", "")
    if started:
        meta["measurement_date"] = started
        iso = iso_datetime(started, None)
        if iso:
            meta["read_time"] = iso
    if (values.get("Number of plate repeats") or "1").strip() not in ("", "0", "1"):
        raise kinetic(
            path, int(re.sub(r"\D", "", values["Number of plate repeats"]) or 0), "plate repeats"
        )

    plates: dict[str, list] = {}
    stamps: dict[tuple[str, str], set] = {}
    for tech, info, grid in blocks:
        barcode = info.get("barcode", "")
        plates.setdefault(barcode, []).append((tech, grid))
        stamps.setdefault((barcode, tech), set()).add((info.get("plate"), info.get("well")))
    for (barcode, tech), seen in stamps.items():
        if len(seen) > 1:
            raise kinetic(path, len(seen), "repeats", f"{tech}, barcode {barcode or 'none'}")
    out = []
    for barcode, reads in plates.items():
        waves, ods, sats = [], [], []
        for tech, grid in reads:
            od, sat = grid.parse(path)
            ods.append(od)
            sats.append(sat)
            props = techs.get(tech, {})
            wave = (
                nm_in(props.get("Excitation wavelength [nm]", ""))
                if _mode(tech) == "absorbance"
                else nm_in(props.get("Emission wavelength [nm]", ""))
            )
            waves.append(wave)
        if len({o.shape for o in ods}) > 1:
            raise err(path, f"the grids of plate {barcode!r} differ in size", reads[0][1].line)
        plate_meta = dict(meta)
        plate_meta["read_mode"] = "+".join(sorted({_mode(t) for t, _ in reads}))
        plate_meta["labels"] = "; ".join(t for t, _ in reads)
        if barcode:
            plate_meta["barcode"] = barcode
        extra = {
            g.title: v for g in derived if (v := g.floats()) is not None and v.shape == ods[0].shape
        }
        out.append(
            PlateRead(
                barcode or None, tuple(waves), np.stack(ods), np.stack(sats), plate_meta, {}, extra
            )
        )
    return tuple(out)
