"""The layout a BMG Labtech export carries (see :mod:`plates.readers.bmg.reader`): ``Layout``/``Content``
codes (``S1`` standard, ``X1`` sample, ``B`` blank, ``C1``/``N``/``P`` controls), with the
``Standard Concentrations`` and ``Dilutions`` grids, as well name -> DESIGN 3.2 fields."""

from __future__ import annotations

import re

from plates.readers.bmg.section import Block
from plates.wells import format_well

__all__ = ["carried_wells"]

_CONTENT = (
    (re.compile(r"^(?:standard\s*)?(S\d*)$", re.IGNORECASE), "standard"),
    (re.compile(r"^(?:sample\s*)?(X\d*)$", re.IGNORECASE), "sample"),
    (re.compile(r"^(?:blank\s*)?(B\d*)$", re.IGNORECASE), "blank"),
    (re.compile(r"^(?:(?:positive|negative)?\s*control\s*)?([CNP]\d*)$", re.IGNORECASE), "control"),
)


def _content(text: str) -> tuple[str, str] | None:
    for pattern, role in _CONTENT:
        match = pattern.match(" ".join(text.split()))
        if match:
            return role, match.group(1).upper()
    return None


def _at(grid: list[list[float | str | None]] | None, r: int, c: int) -> float | str | None:
    if grid is None or r >= len(grid) or c >= len(grid[r]):
        return None
    return grid[r][c]


def carried_wells(blocks: list[Block], meta: dict[str, str]) -> dict[str, dict[str, object]]:
    """Well name -> fields from the Layout/Content block ({} without one); notes the
    concentration unit and unknown codes in ``meta``."""
    content = next((b for b in blocks if b.kind == "layout"), None)
    if content is None:
        return {}
    conc_block = next((b for b in blocks if b.kind == "conc"), None)
    dil_block = next((b for b in blocks if b.kind == "dilution"), None)
    conc = conc_block.carried() if conc_block is not None else None
    dil = dil_block.carried() if dil_block is not None else None
    if conc_block is not None:
        unit = re.search(r"(?:\bin\s+|\[)\s*([^\]\s][^\]]*?)\s*\]?$", conc_block.label)
        if unit:
            meta["conc_unit"] = unit.group(1)
    layout: dict[str, dict[str, object]] = {}
    unknown: list[str] = []
    for r, row in enumerate(content.text):
        for c, text in enumerate(row):
            if not text:
                continue
            found = _content(text)
            if found is None:
                unknown.append(f"{format_well(r, c)} {text!r}")
                continue
            role, code = found
            fields: dict[str, object] = {"role": role}
            # a carried value that is not a plausible number (text, nan, -1, 0 as a dilution,
            # 1e308) goes into the layout as found, and the layout check refuses it
            if role == "standard":
                value = _at(conc, r, c)
                if value is not None:
                    fields["conc"] = value
            elif role in ("sample", "control"):
                fields["sample"] = code
                value = _at(dil, r, c)
                if value is not None:
                    fields["dilution"] = value
            layout[format_well(r, c)] = fields
    if unknown:
        meta["layout_unmapped"] = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
    return layout
