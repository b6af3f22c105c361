"""The read steps of a Gen5 export's Procedure Details (see :mod:`plates.readers.gen5.blocks`):
mode, kind, region, wavelengths, filters and emissions of each ``Read``, and the Start Kinetic
settings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from plates.readers.gen5.rows import Rows, whole_number

__all__ = ["Step", "parse_steps"]


@dataclass
class Step:
    """One ``Read`` step of the Procedure Details."""

    name: str | None
    row: int
    mode: str = ""  # absorbance / fluorescence / luminescence / alpha
    kind: str = ""  # Endpoint, Kinetic, Spectrum, Area Scan, ...
    region: str = "Full Plate"
    wavelengths: list[int] = field(default_factory=list)
    filters: list[tuple[str, str]] = field(default_factory=list)  # (excitation, emission)
    emissions: list[str] = field(default_factory=list)  # luminescence
    in_kinetic: bool = False


_MODES = {
    "absorbance": "absorbance",
    "fluorescence": "fluorescence",
    "luminescence": "luminescence",
    "alpha": "alpha",
}
_MODE_LINE = re.compile(r"^(Absorbance|Fluorescence|Luminescence|Alpha)\s+(.+)$", re.IGNORECASE)
_WAVELENGTHS = re.compile(r"^Wavelengths?:\s*(.+)$", re.IGNORECASE)
_FILTER = re.compile(r"Excitation:\s*([^,]+?),\s*Emission:\s*([^,]+?)(?:,|$)", re.IGNORECASE)
_EMISSION = re.compile(r"^Emission:\s*([^,]+)", re.IGNORECASE)
_REGION = re.compile(r"^[A-P]\d{1,2}\.\.[A-P]\d{1,2}$")


def parse_steps(rows: Rows, start: int, stop: int) -> tuple[list[Step], str | None]:
    steps: list[Step] = []
    kinetic = None
    in_kinetic = False
    for i in range(start, stop):
        cells = rows.cells[i]
        key = cells[0] if cells else ""
        rest = [c for c in cells[1:] if c]
        if key == "Start Kinetic":
            kinetic = rest[0] if rest else "(no settings)"
            in_kinetic = True
            continue
        if key == "End Kinetic":
            in_kinetic = False
            continue
        if key == "Read":
            value = rest[0] if rest else ""
            step = Step(None, i, in_kinetic=in_kinetic)
            mode = _MODE_LINE.match(value)
            if mode:
                step.mode = _MODES[mode.group(1).lower()]
                step.kind = mode.group(2)
            else:
                step.name = value or None
            steps.append(step)
            continue
        if key or not steps:
            continue
        step = steps[-1]
        for text in rest:
            mode = _MODE_LINE.match(text)
            if mode and not step.mode:
                step.mode = _MODES[mode.group(1).lower()]
                step.kind = mode.group(2)
            elif text == "Full Plate" or _REGION.match(text):
                step.region = text
            elif match := _WAVELENGTHS.match(text):
                for part in match.group(1).split(","):
                    nm = whole_number(part)
                    if nm is not None:
                        step.wavelengths.append(nm)
            elif match := _FILTER.search(text):
                step.filters.append((match.group(1).strip(), match.group(2).strip()))
            elif match := _EMISSION.match(text):
                step.emissions.append(match.group(1).strip())
    return steps, kinetic
