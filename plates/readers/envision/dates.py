"""Dates and times of ``envision`` exports (see :mod:`plates.readers.envision.reader`): the day/month
order a file uses, and its date texts as ISO 8601. Not a reader module itself (no ``FORMAT``)."""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["date_order", "iso_datetime"]

_DATE = re.compile(
    r"(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"(?:[.,]\d+)?\s*([AaPp]\.?\s*[Mm]\.?)?)?"
)


def date_order(text: str) -> str | None:
    """'DMY' or 'MDY' for the numeric dates of a file, from any date whose day is over 12 or
    from locale hints; None when nothing tells."""
    votes = {"DMY": 0, "MDY": 0}
    for m in _DATE.finditer(text):
        a, b, _y = m.group(1), m.group(2), m.group(3)
        if len(a) == 4:
            continue  # ISO order
        a_i, b_i = int(a), int(b)
        if a_i > 12 >= b_i:
            votes["DMY"] += 1
        elif b_i > 12 >= a_i:
            votes["MDY"] += 1
        elif len(b) == 2 and b.startswith("0") and len(a) == 1:
            votes["DMY"] += 1  # d/MM/yyyy (en-AU, en-NZ); US short dates never pad the day
        if m.group(7) and "." in m.group(7):
            votes["DMY"] += 1  # 'p.m.' is not a US spelling
    if votes["DMY"] and not votes["MDY"]:
        return "DMY"
    if votes["MDY"] and not votes["DMY"]:
        return "MDY"
    return None


def iso_datetime(value: str, order: str | None) -> str | None:
    """``8/22/2023 10:57:03 AM`` -> ``2023-08-22T10:57:03``; ISO text is kept (seconds only)."""
    s = " ".join(value.split())
    iso = re.match(
        r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:[.,]\d+)?"
        r"\s*(Z|[+-]\d{2}:?\d{2})?$",
        s,
    )
    if iso:
        zone = iso.group(3) or ""
        if zone and zone != "Z" and ":" not in zone:
            zone = zone[:3] + ":" + zone[3:]
        if zone in ("+00:00", "Z"):
            zone = "+00:00"
        return f"{iso.group(1)}T{iso.group(2)}{zone}"
    m = _DATE.fullmatch(s)
    if not m:
        return None
    a, b, y = (int(m.group(i)) for i in (1, 2, 3))
    if len(m.group(1)) == 4:
        year, month, day = a, b, y
    else:
        if order is None:
            order = (
                "DMY"
                if a > 12
                else "MDY"
                if b > 12 or not m.group(7) or "." not in m.group(7)
                else "DMY"
            )
            if a <= 12 and b <= 12 and len(m.group(2)) == 2 and len(m.group(1)) == 2:
                return None  # dd/mm or mm/dd: cannot tell
        month, day = (b, a) if order == "DMY" else (a, b)
        year = y + 2000 if y < 100 else y
    hour, minute, second = (int(m.group(i) or 0) for i in (4, 5, 6))
    ampm = (m.group(7) or "").replace(".", "").replace(" ", "").lower()
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    try:
        when = dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    return when.isoformat(timespec="seconds") if m.group(4) else when.date().isoformat()
