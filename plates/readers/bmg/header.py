"""The header of a BMG Labtech export section and the plate metadata taken from it.

``User: …``, ``Path: …``, ``Test run no.: …`` / ``Test ID: …``, ``Test name: …``, ``Date: …``,
``Time: …``, ``ID1``-``ID3: …`` cells (a CSV line may hold several; a value that contained the
delimiter is joined back), then the measurement line (``Absorbance``, ``Fluorescence (FI)`` …).
"""

from __future__ import annotations

import datetime as dt
import re

from plates.readers.bmg.blocks import FORMAT_NAME, Section, is_mode_row

HEADER_ROWS = 16
_KEY = re.compile(
    r"^\s*(user|path|test\s*run\s*no\.?|test\s*name|test\s*id|date|time|"
    r"id\s*\d|barcode)\s*:\s*(.*)$",
    re.IGNORECASE | re.DOTALL,
)
USER = re.compile(r"^\s*\"?\s*user\s*:", re.IGNORECASE)
_INSTRUMENTS = (
    "PHERAstar",
    "CLARIOstar",
    "FLUOstar",
    "POLARstar",
    "SPECTROstar",
    "LUMIstar",
    "NEPHELOstar",
    "VANTAstar",
    "NOVOstar",
    "Omega",
    "Galaxy",
)
_DATE_LIKE = re.compile(r"^\s*\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b")


def header_of(sec: Section) -> tuple[dict[str, str], str | None]:
    """The ``key: value`` cells and the measurement line at the top of a section."""
    found: dict[str, str] = {}
    mode = None
    for r in range(sec.first, min(sec.end, sec.first + HEADER_ROWS)):
        cells = sec.rows[r]
        if mode is None and is_mode_row(cells):
            mode = next(c for c in cells if c)
            continue
        key = None
        for cell in cells:
            match = _KEY.match(cell)
            if match:
                key = re.sub(r"[\s.]", "", match.group(1).lower())
                found.setdefault(key, match.group(2).strip())
            elif key is not None and cell:
                found[key] = f"{found[key]},{cell}"  # a value that held the delimiter
    return found, mode


def read_mode(mode: str | None) -> str:
    text = (mode or "absorbance").lower()
    if text.startswith("absorb"):
        return "absorbance"
    if text.startswith(("lumin", "alpha", "bret")):
        return "luminescence"
    return "fluorescence"


def _iso_time(date: str, time: str) -> str | None:
    """ISO 8601 from BMG's locale-dependent date and time; None when the order of day and
    month cannot be told (e.g. 03/04/2016 with a 24-hour clock)."""
    d = re.match(r"^(\d{1,4})([./-])(\d{1,2})\2(\d{1,4})$", date.strip())
    t = re.match(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?$", time.strip())
    if not d or not t:
        return None
    a, sep, b, c = int(d.group(1)), d.group(2), int(d.group(3)), int(d.group(4))
    hour, minute, second = int(t.group(1)), int(t.group(2)), int(t.group(3) or 0)
    ampm = t.group(4)
    if len(d.group(1)) == 4:
        year, month, day = a, b, c
    else:
        year = c + 2000 if len(d.group(4)) == 2 else c
        if a > 12 and b <= 12:
            day, month = a, b
        elif b > 12 and a <= 12:
            month, day = a, b
        elif a == b:
            day = month = a
        elif ampm:
            month, day = a, b  # a 12-hour clock: US locale, month first
        elif sep == ".":
            day, month = a, b  # dotted dates are day first (de, fr-CH, ru ...)
        else:
            return None
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm[0].lower() == "p" else 0)
    try:
        return dt.datetime(year, month, day, hour, minute, second).isoformat()
    except ValueError:
        return None


def metadata(header: dict[str, str], mode: str | None) -> dict[str, str]:
    meta = {"vendor": FORMAT_NAME, "read_mode": read_mode(mode)}
    if mode:
        meta["measurement"] = mode
    path = header.get("path", "")
    segments = [s.strip() for s in re.split(r"[\\/]", path) if s.strip()]
    for segment in segments:
        hit = next((name for name in _INSTRUMENTS if segment.lower() == name.lower()), None)
        if hit and "instrument" not in meta:
            meta["instrument"] = hit
        if segment.lower() in ("smart control", "mars"):
            meta["software"] = "SMART Control" if segment.lower() != "mars" else "MARS"
    names = {
        "user": "user",
        "testrunno": "test_run",
        "testid": "test_id",
        "testname": "protocol",
        "date": "date",
        "time": "time",
        "id1": "id1",
        "id2": "id2",
        "id3": "id3",
        "barcode": "barcode",
    }
    for key, name in names.items():
        if header.get(key):
            meta[name] = header[key]
    read_time = _iso_time(header.get("date", ""), header.get("time", ""))
    if read_time:
        meta["read_time"] = read_time
    plate = next(
        (
            header[k]
            for k in ("id1", "id2", "id3")
            if header.get(k) and not _DATE_LIKE.match(header[k])
        ),
        None,
    )
    if plate:
        meta["plate_name"] = plate
    return meta
