"""The layout a SkanIt report carries: ``Layout definitions`` (per plate: sample ids such as
``Std0001``/``Blank1``/``Un0001``, group, standard concentration ``1 microg/ml`` or dilution
``1:25`` under each id), else the ``Sample`` grid with the standard-curve table's
concentrations and the ``Dilution factor`` grid. Gives DESIGN 3.2 fields per well.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from plates.readers.common.workbook import Workbook
from plates.readers.skanit.common import (
    cell_text,
    grid_width,
    parse_conc,
    parse_dilution,
    role_of,
    well_fields,
)
from plates.wells import ROW_LETTERS, format_well, parse_well


def layout_definitions(book: Workbook) -> dict[str, dict[str, list[str]]]:
    """Plate name → well → the texts SkanIt shows in that well (id, group, conc or 1:N)."""
    rows = book.sheets.get("Layout definitions", ())
    plates: dict[str, dict[str, list[str]]] = {}
    name = None
    width = None
    row_index = -1
    for row in rows:
        first = cell_text(row[0]) if row else ""
        if first == "Name" and len(row) > 1:
            name, width, row_index = cell_text(row[1]), None, -1
            plates.setdefault(name, {})
        elif row and not first and grid_width(row):
            width = grid_width(row)
        elif width and name is not None:
            if len(first) == 1 and first.upper() in ROW_LETTERS:
                row_index = ROW_LETTERS.index(first.upper())
            elif first:
                width = None
                continue
            if row_index < 0:
                continue
            for c in range(width):
                text = cell_text(row[c + 1]) if c + 1 < len(row) else ""
                if text:
                    plates[name].setdefault(format_well(row_index, c), []).append(text)
    return plates


def carried(
    texts: dict[str, list[str]] | None,
    names: list[list[Any]] | None,
    std_conc: dict[str, float],
    dilutions: np.ndarray | None,
) -> dict[str, dict]:
    wells: dict[str, dict] = {}
    if texts:
        for well, items in texts.items():
            conc = next((p[0] for t in items[1:] if (p := parse_conc(t)) and p[1]), None)
            dilution = next((d for t in items[1:] if (d := parse_dilution(t))), None)
            r, c = parse_well(well)
            if (
                dilution is None
                and dilutions is not None
                and np.isfinite(dilutions[r, c])
                and dilutions[r, c] > 0
            ):
                dilution = float(dilutions[r, c])
            if role_of(items[0]) == "standard" and conc is None:
                conc = std_conc.get(items[0])
            wells[well] = well_fields(items[0], conc, dilution)
        return wells
    for r, row in enumerate(names or []):
        for c, value in enumerate(row):
            name = cell_text(value)
            if not name or name.lower() == "nan":
                continue
            dilution = None
            if dilutions is not None and np.isfinite(dilutions[r, c]) and dilutions[r, c] > 0:
                dilution = float(dilutions[r, c])
            wells[format_well(r, c)] = well_fields(name, std_conc.get(name), dilution)
    return wells


_PREFIXES = (("micro", "µ"), ("nano", "n"), ("pico", "p"), ("milli", "m"))


def conc_unit(texts: dict[str, list[str]] | None) -> str | None:
    """The unit of the standards' concentrations in ``Layout definitions`` (``microg/ml``)."""
    for items in (texts or {}).values():
        for text in items[1:]:
            if (parsed := parse_conc(text)) and parsed[1]:
                return parsed[1]
    return None


def normal_unit(unit: str) -> str:
    """SkanIt spells units ``microg/ml``: written ``µg/mL`` as the toolkit's units are."""
    text = unit.strip()
    for long, short in _PREFIXES:
        text = re.sub(rf"\b{long}(?=[a-zA-Z])", short, text, flags=re.IGNORECASE)
    return re.sub(r"/ml\b", "/mL", text, flags=re.IGNORECASE)
