"""One Tecan i-control / SparkControl sheet walked row by row (see :mod:`plates.readers.tecan.reader`):
the header's key/value rows as metadata, the measurement blocks with their ``<>`` grids, list
layouts and ``Cycle Nr.`` tables, and Spark's ``Plate layout`` grid as the carried layout."""

from __future__ import annotations

import re

from plates.readers.common.cells import parse_number
from plates.readers.tecan.blocks import (
    Block,
    Grid,
    kinetic_cycles,
    read_grid,
    read_list,
    title_before,
    values_of,
)
from plates.readers.tecan.common import Sheet, shape_from_definition
from plates.wells import format_well

__all__ = ["parse_sheet"]

_HEADER_KEYS = {
    "date:": "date",
    "time:": "time",
    "plate": "plate_type",
    "firmware:": "firmware",
    "plate-id (stacker)": "barcode",
    "barcode": "barcode",
    "plate name": "plate_name",
}


def _header(meta: dict[str, str], cells: list[str]) -> None:
    first, values = cells[0], values_of(cells)
    value = values[0] if values else ""
    if first.startswith("Application:"):
        meta["software"] = first.split(":", 1)[1].strip()
        version = value.rsplit(",", 1)[-1].strip()
        if version:
            meta["software_version"] = re.sub(r"^[Vv](?=\d)", "", version)
    elif first.startswith("Device:"):
        meta["instrument"] = first.split(":", 1)[1].strip()
        serial = value.split(":", 1)[1].strip() if value.startswith("Serial number") else ""
        if serial:
            meta["instrument_serial"] = serial
    elif first.startswith("Method name:"):
        name = first.split(":", 1)[1].strip() or value
        if name:
            meta["protocol"] = name
    elif first.lower() in _HEADER_KEYS and value:
        meta.setdefault(_HEADER_KEYS[first.lower()], value)


_ROLE_PREFIXES = (
    ("NC", "control"),
    ("PC", "control"),
    ("CTRL", "control"),
    ("QC", "control"),
    ("STD", "standard"),
    ("BLK", "blank"),
    ("BLANK", "blank"),
    ("B", "blank"),
)


def _layout(raw: list[list[str]]) -> dict[str, dict[str, object]]:
    """Spark's ``Plate layout`` grid: well names such as ``NC1_1`` (group NC1, replicate 1)."""
    wells: dict[str, dict[str, object]] = {}
    for r, cells in enumerate(raw):
        for c, name in enumerate(cells):
            if not name or name.lower() in ("none", "empty"):
                continue
            group = re.sub(r"_\d+$", "", name)
            letters = re.match(r"^[A-Za-z]*", group)
            prefix = letters.group(0).upper() if letters else ""
            role = next((role for p, role in _ROLE_PREFIXES if prefix == p), "sample")
            fields: dict[str, object] = {"role": role}
            if role in ("sample", "control"):
                fields["sample"] = group
            wells[format_well(r, c)] = fields
    return wells


def parse_sheet(sheet: Sheet) -> tuple[dict[str, str], list[Block], dict | None]:
    """(header metadata, measurement blocks in file order, carried layout or None)."""
    meta: dict[str, str] = {}
    blocks: list[Block] = []
    layout = None
    in_layout = False
    definition = None
    block: Block | None = None
    i = 0
    rows = sheet.rows
    while i < len(rows):
        cells = rows[i]
        first = cells[0] if cells else ""
        if not any(cells):
            i += 1
            continue
        if first == "<>":
            if len(cells) > 1 and cells[1].lower() == "value":
                od, sat, i = read_list(sheet, i, block, definition)
                if block is None:
                    block = Block(i)
                    blocks.append(block)
                block.grids.append(Grid(title_before(sheet, i), od, sat, i))
                continue
            title = title_before(sheet, i)
            as_text = in_layout and block is None
            od, sat, raw, end = read_grid(sheet, i, block, as_text)
            if as_text:
                layout = _layout(raw)
            else:
                if block is None:
                    block = Block(i)
                    blocks.append(block)
                block.grids.append(Grid(title, od, sat, i))
            i = end
            continue
        if first == "Cycle Nr.":
            start, title = i, title_before(sheet, i)
            cycles, i = kinetic_cycles(sheet, i)
            if (
                block is None
                or block.grids
                or block.cycles
                or (title and block.name and title != block.name)
            ):
                block = Block(start, name=title)
                blocks.append(block)
            block.cycles = cycles
            block.row = start
            block.name = block.name or title
            continue
        if first.startswith("Label:"):
            block = Block(i, name=first.split(":", 1)[1].strip() or None)
            blocks.append(block)
            in_layout = False
        elif first == "Mode" and values_of(cells):
            mode = values_of(cells)[0]
            if block is None or block.mode is not None or block.grids or block.cycles:
                block = Block(i)
                blocks.append(block)
            block.mode = mode
            in_layout = False
        elif first == "Plate layout":
            in_layout = True
        elif first in ("Kinetic Measurement", "Kinetic Cycles") and block is not None:
            values = values_of(cells)
            block.planned = int(parse_number(values[0]) or 0) if values else block.planned
        elif block is not None and first == "Name" and values_of(cells) and block.name is None:
            block.name = values_of(cells)[0]
        elif block is not None and first and values_of(cells):
            block.params.setdefault(first, " ".join(values_of(cells)))
        elif block is None and first:
            _header(meta, cells)
            if first == "Plate" and values_of(cells):
                definition = shape_from_definition(values_of(cells)[0])
        i += 1
    return meta, blocks, layout
