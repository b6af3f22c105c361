"""Metadata and the carried layout of a Gen5 export plate (see :mod:`plates.readers.gen5.reader`)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from plates.readers.common.cells import parse_number
from plates.readers.gen5.blocks import Blocks, Grid, Rows
from plates.wells import format_well

_ABSENT = {"", "n/a", "na", "unknown", "none"}
_CODE = re.compile(r"^(STD|SPL|CTL|BLK)(\d*)(?::(\d+))?$", re.IGNORECASE)


# ---------------------------------------------------------------- metadata


def _value(header: dict[str, str], *keys: str) -> str | None:
    for key in keys:
        value = header.get(key, "").strip()
        if value.lower() not in _ABSENT:
            return value
    return None


def _file_name(value: str | None) -> str | None:
    if not value:
        return None
    return re.split(r"[\\/]", value)[-1] or None


def _date(text: str) -> dt.date | None:
    text = text.strip()
    try:
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        pass
    match = re.fullmatch(r"(\d{1,4})([/.\-])(\d{1,2})\2(\d{1,4})", text)
    if not match:
        return None
    a, sep, b, c = int(match.group(1)), match.group(2), int(match.group(3)), int(match.group(4))
    try:
        if a > 999:
            return dt.date(a, b, c)
        if sep == "." or a > 12:  # D.M.YYYY (European) or an unambiguous D/M/YYYY
            return dt.date(c, b, a)
        return dt.date(c, a, b)  # Gen5 in a US locale: M/D/YYYY
    except ValueError:
        return None


def _time(text: str) -> dt.time | None:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*([AaPp][Mm])?", text.strip())
    if not match:
        return None
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    half = (match.group(4) or "").upper()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "PM" else 0)
    try:
        return dt.time(hour, minute, second)
    except ValueError:
        return None


def metadata(blocks: Blocks, mode: str) -> dict[str, str]:
    h = blocks.header
    meta: dict[str, str] = {"software": "Gen5", "read_mode": mode}
    fields = {
        "software_version": _value(h, "Software Version"),
        "instrument": _value(h, "Reader Type:", "Reader Type"),
        "instrument_serial": _value(h, "Reader Serial Number:", "Reader Serial Number"),
        "plate_number": _value(h, "Plate Number"),
        "reading_type": _value(h, "Reading Type"),
        "protocol": _file_name(_value(h, "Protocol File Path:")),
        "experiment": _file_name(_value(h, "Experiment File Path:")),
        "barcode": next(
            (v for k, v in h.items() if "barcode" in k.lower() and v.lower() not in _ABSENT), None
        ),
        "date": _value(h, "Date"),
        "time": _value(h, "Time"),
    }
    meta.update({k: v for k, v in fields.items() if v})
    day = _date(fields["date"] or "")
    clock = _time(fields["time"] or "")
    if day is not None:
        meta["read_time"] = (
            dt.datetime.combine(day, clock).isoformat() if clock else day.isoformat()
        )
    plate_type = next(
        (p.split("\t", 1)[1] for p in blocks.procedure if p.startswith("Plate Type\t")), None
    )
    if plate_type:
        meta["plate_type"] = plate_type
    steps = []
    for step in blocks.steps:
        what = (
            ", ".join(str(w) for w in step.wavelengths) + " nm"
            if step.wavelengths
            else "; ".join(f"Ex {ex} / Em {em}" for ex, em in step.filters)
        )
        steps.append(
            f"{step.name or '(unnamed)'}: {step.mode} {step.kind}, {step.region}"
            + (f", {what}" if what else "")
        )
    if steps:
        meta["read_steps"] = " | ".join(steps[:4]) + (
            f" | ... ({len(steps)} read steps)" if len(steps) > 4 else ""
        )
    if blocks.temperatures:
        meta["temperature"] = blocks.temperatures[0]
    return meta


# ---------------------------------------------------------------- the Layout block


def _carried(text: str) -> float | str | None:
    """A Conc/Dil cell: None when empty, its number, else the text itself, so that the
    layout check refuses it naming the well (``abc``, ``nan``, ``-inf``: never dilution 1)."""
    text = text.strip()
    if not text:
        return None
    value = parse_number(text)
    return text if value is None else value


def layout(grid: Grid, rows: Rows, n_rows: int, n_cols: int) -> dict[str, dict[str, Any]]:
    """Gen5 well ids to DESIGN 3.2 fields: STDn -> standard (conc from Conc/Dil), BLK -> blank,
    SPLn[:m] -> sample SPLn (dilution from Conc/Dil), CTLn and other ids -> control."""
    if (grid.n_rows, grid.n_cols) != (n_rows, n_cols):
        raise rows.err(
            grid.header,
            f"the Layout grid is {grid.n_rows}x{grid.n_cols} but the Results are {n_rows}x{n_cols}",
        )
    ids = next((lab for lab in grid.labels if lab.lower().replace(" ", "") == "wellid"), None)
    if ids is None:
        return {}
    conc = next((lab for lab in grid.labels if "conc" in lab.lower() or "dil" in lab.lower()), None)
    names = next((lab for lab in grid.labels if "name" in lab.lower()), None)
    wells: dict[str, dict[str, Any]] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            code = grid.values[ids][r][c]
            if not code:
                continue
            value = _carried(grid.values[conc][r][c]) if conc else None
            name = grid.values[names][r][c] if names else ""
            match = _CODE.match(code)
            kind = match.group(1).upper() if match else ""
            number = match.group(2) if match else ""
            if kind == "STD":
                fields: dict[str, Any] = {"role": "standard"}
                if value is not None:
                    fields["conc"] = value
            elif kind == "BLK":
                fields = {"role": "blank"}
            elif kind == "SPL":
                fields = {"role": "sample", "sample": name or f"SPL{number}"}
                if value is not None:
                    fields["dilution"] = value  # 0, -1 or text: refused by the layout check
            else:
                fields = {
                    "role": "control",
                    "sample": name or (f"CTL{number}" if kind else code),
                }
                if value is not None:
                    fields["conc"] = value
            wells[format_well(r, c)] = fields
    return wells
