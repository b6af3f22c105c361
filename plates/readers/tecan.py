"""The ``tecan`` format: Tecan i-control, SparkControl and Magellan exports (xlsx, or CSV saved
from Excel with any delimiter and encoding).

i-control / SparkControl sheets: a header of key/value rows (``Application:``, ``Device:``,
``Date:``, ``Time:``, ``Plate``), then one block per measurement (``Label: Abs600`` or
``Mode | Absorbance`` + ``Name | A450``, ``Measurement wavelength``, ``Reference wavelength``,
``Part of Plate``, ``Start Time``) holding ``<>`` grids (``<>``, ``1..12``, rows ``A..H``) or
list layouts (``<>``, ``Value``, ``Time [ms]``, one well per line). Spark names its grids: the
label's own grid (``A450``) and ``Reference`` are raw reads; ``Difference`` and any other named
grid are vendor-derived and kept in ``derived``. A ``Plate layout`` grid of well names becomes
the carried layout. ``Cycle Nr.`` blocks are kinetic reads: skipped when the file also holds
endpoint reads, else the file is refused. Magellan list exports are read by
:mod:`plates.readers.tecan_magellan`. ``OVER`` is saturated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from plates.cells import parse_cell, parse_number
from plates.errors import AssayError, PlateError
from plates.model import PlateRead
from plates.wells import PLATE_SHAPES, ROW_LETTERS, format_well

from . import tecan_magellan
from .tecan_common import (Sheet, as_wavelength, iso_datetime, parse_well, read_mode,
                           shape_for_wells, shape_from_definition, text_sheet, wavelength_from_name,
                           workbook_sheets)

FORMAT = "tecan"

_APP = re.compile(r"tecan|spark|i-control|magellan", re.IGNORECASE)
_KINETIC_WHY = "an endpoint ELISA needs one read per wavelength"


# ------------------------------------------------------------------------------------ sniffing

def _claims(sheet: Sheet) -> bool:
    for cells in sheet.rows[:80]:
        first = cells[0] if cells else ""
        if first.startswith("Application:") and _APP.search(" ".join(cells)):
            return True
        if tecan_magellan.is_header(cells):
            return True
    for cells in sheet.rows:
        if len(cells) > 2 and cells[0] == "<>" and (
                parse_number(cells[1]) == 1 or cells[1].lower() == "value"):
            return True
    return False


def sniff(text: str) -> bool:
    return _claims(text_sheet(text, Path("-")))


def sniff_workbook(book) -> bool:
    return any(_claims(s) for s in workbook_sheets(book, Path("-")))


# ------------------------------------------------------------------------------------- reading

@dataclass
class _Grid:
    title: str | None
    od: np.ndarray
    saturated: np.ndarray
    row: int


@dataclass
class _Block:
    row: int
    name: str | None = None
    mode: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    grids: list[_Grid] = field(default_factory=list)
    cycles: int | None = None        # kinetic block: number of cycles read
    planned: int | None = None       # kinetic cycles planned (``Kinetic Cycles``)

    def param(self, *prefixes: str) -> str:
        for key, value in self.params.items():
            if any(key.lower().startswith(p.lower()) for p in prefixes):
                return value
        return ""


def _values(cells: list[str]) -> list[str]:
    return [c for c in cells[1:] if c]


def _header_width(cells: list[str]) -> int | None:
    numbers = cells[1:]
    if not numbers or any(parse_number(c) != i + 1 for i, c in enumerate(numbers)):
        return None
    return len(numbers)


def _row_limit(block: _Block | None, n_rows: int) -> int:
    """Rows expected in a grid: up to the last row of ``Part of Plate`` (``A1-H12``)."""
    part = block.param("Part of Plate") if block else ""
    match = re.match(r"^\s*[A-Pa-p]\d+\s*-\s*([A-Pa-p])\d+\s*$", part)
    if match:
        last = ROW_LETTERS.index(match.group(1).upper()) + 1
        if last <= n_rows:
            return last
    return n_rows


def _read_grid(sheet: Sheet, i: int, block: _Block | None, text: bool
               ) -> tuple[np.ndarray, np.ndarray, list[list[str]], int]:
    """The ``<>`` grid whose header is row ``i``: od, saturated, raw cells, index after it."""
    header = sheet.rows[i]
    width = _header_width(header)
    if width is None or width > 24:
        raise sheet.error("expected the column numbers 1..12 (or 1..24) after '<>', found "
                          f"{', '.join(header[1:]) or 'nothing'}", i)
    n_rows, n_cols = PLATE_SHAPES[96] if width <= 12 else PLATE_SHAPES[384]
    expected = _row_limit(block, n_rows)
    od = np.full((n_rows, n_cols), np.nan)
    sat = np.zeros((n_rows, n_cols), dtype=bool)
    raw: list[list[str]] = []
    for r in range(expected):
        k = i + 1 + r
        cells = sheet.rows[k] if k < len(sheet.rows) else []
        label = cells[0].upper() if cells else ""
        if label != ROW_LETTERS[r]:
            got = f"rows A-{ROW_LETTERS[r - 1]}" if r > 1 else "row A" if r else "no rows"
            if k >= len(sheet.rows):
                raise sheet.error(f"row {ROW_LETTERS[r]} is missing: the file ends after {got}"
                                  f" of the grid at {sheet.where(i)}, expected rows "
                                  f"A-{ROW_LETTERS[expected - 1]}", len(sheet.rows) - 1)
            found = f"found {cells[0]!r}" if cells and cells[0] else "found an empty line"
            raise sheet.error(f"row {ROW_LETTERS[r]} is missing from the grid at {sheet.where(i)}"
                              f" ({found} after {got}), expected rows "
                              f"A-{ROW_LETTERS[expected - 1]}", k)
        if sheet.sheet is None and k == len(sheet.rows) - 1 and len(cells) - 1 < width:
            raise sheet.error(f"the file ends inside row {ROW_LETTERS[r]} of the grid at "
                              f"{sheet.where(i)} (truncated?): {len(cells) - 1} of {width} "
                              "values", k)
        raw.append(cells[1:1 + width])
        for c, value in enumerate(cells[1:]):
            if c >= width:
                if value:
                    raise sheet.error(f"a value beyond the grid's {width} columns, found "
                                      f"{value!r} (expected an empty cell)", k, c + 1)
                continue
            if text:
                continue
            try:
                cell = parse_cell(value)
            except ValueError as exc:
                raise sheet.error(str(exc), k, c + 1, format_well(r, c)) from None
            od[r, c], sat[r, c] = cell.value, cell.saturated
    end = i + 1 + expected
    if end < len(sheet.rows) and sheet.rows[end]:
        extra = sheet.rows[end][0].upper()
        if len(extra) == 1 and extra in ROW_LETTERS and len(sheet.rows[end]) > 1:
            raise sheet.error(f"row {extra} is beyond the grid's rows "
                              f"A-{ROW_LETTERS[expected - 1]}", end)
    return od, sat, raw, end


def _read_list(sheet: Sheet, i: int, block: _Block | None, definition
               ) -> tuple[np.ndarray, np.ndarray, int]:
    """The list layout (``<>``, ``Value``, ``Time [ms]``) starting at row ``i``."""
    found: dict[tuple[int, int], tuple[float, bool]] = {}
    k = i + 1
    while k < len(sheet.rows) and sheet.rows[k] and sheet.rows[k][0]:
        cells = sheet.rows[k]
        well = parse_well(cells[0])
        if well is None:
            break
        if well in found:
            raise sheet.error(f"well {cells[0]} is listed twice", k)
        try:
            cell = parse_cell(cells[1] if len(cells) > 1 else "")
        except ValueError as exc:
            raise sheet.error(str(exc), k, 1, cells[0].upper()) from None
        found[well] = (cell.value, cell.saturated)
        k += 1
    if k >= len(sheet.rows):
        raise sheet.error(f"the file ends inside the well list that starts at {sheet.where(i)}"
                          " (truncated?)", len(sheet.rows) - 1)
    if not found:
        raise sheet.error("expected a well list (A1, A2, ...) after '<>, Value'", i + 1)
    n_rows, n_cols = shape_for_wells(found, definition)
    if (n_rows, n_cols) not in PLATE_SHAPES.values():
        raise sheet.error(f"unsupported plate of {n_rows}x{n_cols} wells: expected 96 or 384",
                          i)
    part = block.param("Part of Plate") if block else ""
    match = re.match(r"^\s*([A-Pa-p]\d+)\s*-\s*([A-Pa-p]\d+)\s*$", part)
    if match:
        (r0, c0), (r1, c1) = parse_well(match.group(1)) or (0, 0), parse_well(match.group(2)) \
            or (0, 0)
        missing = [format_well(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)
                   if (r, c) not in found]
        if missing:
            raise sheet.error(f"{len(missing)} wells of the plate part {part} are missing from"
                              f" the well list (first {missing[0]})", k)
    od = np.full((n_rows, n_cols), np.nan)
    sat = np.zeros((n_rows, n_cols), dtype=bool)
    for (r, c), (value, saturated) in found.items():
        if r >= n_rows or c >= n_cols:
            raise sheet.error(f"well {format_well(r, c)} is off the {n_rows * n_cols}-well plate",
                              i)
        od[r, c], sat[r, c] = value, saturated
    return od, sat, k


def _kinetic(sheet: Sheet, i: int) -> tuple[int, int]:
    """Number of cycles of the kinetic block at row ``i`` and the index after it."""
    cycle_row = sheet.rows[i]
    k = i + 1
    time_row: list[str] = []
    rows_below = 0
    while k < len(sheet.rows) and sheet.rows[k] and any(sheet.rows[k]):
        if sheet.rows[k][0].startswith("Time"):
            time_row = sheet.rows[k]
        rows_below += 1
        k += 1
    across = sum(1 for c in time_row[1:] if parse_number(c) is not None)
    if across:
        return across, k
    if "Time [s]" in cycle_row or len(cycle_row) > 3 and parse_well(cycle_row[3]):
        return rows_below, k       # cycles down the rows: one row per cycle
    return max(len([c for c in cycle_row[1:] if c]), 1), k


def _title_before(sheet: Sheet, i: int) -> str | None:
    """The single-cell line just above a grid (Spark's ``A450``, ``Reference``)."""
    for k in range(i - 1, max(i - 3, -1), -1):
        cells = sheet.rows[k]
        if not any(cells):
            continue
        if cells[0] and len([c for c in cells if c]) == 1:
            return cells[0]
        return None
    return None


_HEADER_KEYS = {"date:": "date", "time:": "time", "plate": "plate_type", "firmware:": "firmware",
                "plate-id (stacker)": "barcode", "barcode": "barcode", "plate name": "plate_name"}


def _header(meta: dict[str, str], cells: list[str]) -> None:
    first, values = cells[0], _values(cells)
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


_ROLE_PREFIXES = (("NC", "control"), ("PC", "control"), ("CTRL", "control"), ("QC", "control"),
                  ("STD", "standard"), ("BLK", "blank"), ("BLANK", "blank"), ("B", "blank"))


def _layout(raw: list[list[str]]) -> dict[str, dict[str, object]]:
    """Spark's ``Plate layout`` grid: well names such as ``NC1_1`` (group NC1, replicate 1)."""
    wells: dict[str, dict[str, object]] = {}
    for r, cells in enumerate(raw):
        for c, name in enumerate(cells):
            if not name or name.lower() in ("none", "empty"):
                continue
            group = re.sub(r"_\d+$", "", name)
            prefix = re.match(r"^[A-Za-z]*", group).group(0).upper()
            role = next((role for p, role in _ROLE_PREFIXES if prefix == p), "sample")
            fields: dict[str, object] = {"role": role}
            if role in ("sample", "control"):
                fields["sample"] = group
            wells[format_well(r, c)] = fields
    return wells


def _parse(sheet: Sheet) -> tuple[dict[str, str], list[_Block], dict | None]:
    meta: dict[str, str] = {}
    blocks: list[_Block] = []
    layout = None
    in_layout = False
    definition = None
    block: _Block | None = None
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
                od, sat, i = _read_list(sheet, i, block, definition)
                if block is None:
                    block = _Block(i)
                    blocks.append(block)
                block.grids.append(_Grid(_title_before(sheet, i), od, sat, i))
                continue
            title = _title_before(sheet, i)
            as_text = in_layout and block is None
            od, sat, raw, end = _read_grid(sheet, i, block, as_text)
            if as_text:
                layout = _layout(raw)
            else:
                if block is None:
                    block = _Block(i)
                    blocks.append(block)
                block.grids.append(_Grid(title, od, sat, i))
            i = end
            continue
        if first == "Cycle Nr.":
            start, title = i, _title_before(sheet, i)
            cycles, i = _kinetic(sheet, i)
            if (block is None or block.grids or block.cycles
                    or (title and block.name and title != block.name)):
                block = _Block(start, name=title)
                blocks.append(block)
            block.cycles = cycles
            block.row = start
            block.name = block.name or title
            continue
        if first.startswith("Label:"):
            block = _Block(i, name=first.split(":", 1)[1].strip() or None)
            blocks.append(block)
            in_layout = False
        elif first == "Mode" and _values(cells):
            mode = _values(cells)[0]
            if block is None or block.mode is not None or block.grids or block.cycles:
                block = _Block(i)
                blocks.append(block)
            block.mode = mode
            in_layout = False
        elif first == "Plate layout":
            in_layout = True
        elif first in ("Kinetic Measurement", "Kinetic Cycles") and block is not None:
            values = _values(cells)
            block.planned = int(parse_number(values[0]) or 0) if values else block.planned
        elif block is not None and first == "Name" and _values(cells) and block.name is None:
            block.name = _values(cells)[0]
        elif block is not None and first and _values(cells):
            block.params.setdefault(first, " ".join(_values(cells)))
        elif block is None and first:
            _header(meta, cells)
            if first == "Plate" and _values(cells):
                definition = shape_from_definition(_values(cells)[0])
        i += 1
    return meta, blocks, layout


@dataclass
class _Read:
    mode: str
    wavelength: int | None
    grid: _Grid
    block: _Block


def _block_reads(sheet: Sheet, block: _Block) -> tuple[list[_Read], dict[str, np.ndarray]]:
    mode = read_mode(block.mode or "Absorbance")
    if mode == "fluorescence":
        wave = as_wavelength(block.param("Emission wavelength", "Emission Wavelength"))
    else:
        wave = as_wavelength(block.param("Measurement wavelength", "Wavelength"))
    if wave is None and block.name and mode == "absorbance":
        wave = wavelength_from_name(block.name)
    reference = as_wavelength(block.param("Reference wavelength"))
    reads, derived = [], {}
    for grid in block.grids:
        title = grid.title
        if title is None or title == block.name or (block.name is None and not reads):
            reads.append(_Read(mode, wave, grid, block))
        elif title.lower() == "reference" and reference is not None:
            reads.append(_Read(mode, reference, grid, block))
        else:
            name = title if title not in derived else f"{block.name} {title}"
            derived[name] = grid.od
    return reads, derived


def _plates(sheet: Sheet, meta: dict[str, str], blocks: list[_Block], layout) -> list[PlateRead]:
    kinetic = [b for b in blocks if b.cycles is not None]
    endpoint = [b for b in blocks if b.cycles is None and b.grids]
    if not endpoint:
        if kinetic:
            b = kinetic[0]
            label = f" {b.name!r}" if b.name else ""
            raise PlateError(f"tecan: kinetic read{label} with {b.cycles} cycles: {_KINETIC_WHY}",
                             file=sheet.path, where=sheet.where(b.row))
        raise PlateError("tecan: no plate grid ('<>' followed by 1..12 or Value) found",
                         file=sheet.path)
    groups: list[tuple[list[_Read], dict[str, np.ndarray]]] = []
    for block in endpoint:
        reads, derived = _block_reads(sheet, block)
        for read in reads:
            current = groups[-1] if groups else None
            if (current is None or read.mode != "absorbance" or current[0][0].mode != "absorbance"
                    or read.wavelength in {r.wavelength for r in current[0]}
                    or read.grid.od.shape != current[0][0].grid.od.shape):
                groups.append(([read], {}))
            else:
                current[0].append(read)
        if groups:
            for name, grid in derived.items():
                if grid.shape == groups[-1][0][0].grid.od.shape:
                    groups[-1][1][name] = grid
    plates = []
    for reads, derived in groups:
        block = reads[0].block
        metadata = dict(meta)
        metadata.pop("date", None)
        metadata.pop("time", None)
        metadata["read_mode"] = reads[0].mode
        metadata["labels"] = ", ".join(dict.fromkeys(r.block.name or "" for r in reads))
        when = iso_datetime(block.param("Start Time")) or iso_datetime(
            meta.get("date", ""), meta.get("time", ""))
        if when:
            metadata["read_time"] = when
        if reads[0].mode == "fluorescence":
            for key, param in (("excitation_wavelength", "Excitation wavelength"),
                               ("emission_wavelength", "Emission wavelength"), ("gain", "Gain")):
                if block.param(param):
                    metadata[key] = block.param(param)
        if kinetic:
            metadata["kinetic_reads_skipped"] = ", ".join(
                f"{b.name or 'unnamed'} ({b.cycles} cycles)" for b in kinetic)
        name = meta.get("plate_name") or meta.get("barcode")
        shape = reads[0].grid.od.shape
        plate_layout = layout if layout and all(
            (parse_well(w) or (99, 99))[0] < shape[0] and (parse_well(w) or (99, 99))[1] < shape[1]
            for w in layout) else {}
        plates.append(PlateRead(
            name, tuple(r.wavelength for r in reads), np.stack([r.grid.od for r in reads]),
            np.stack([r.grid.saturated for r in reads]), metadata, plate_layout, derived))
    return plates


def _read_sheet(sheet: Sheet) -> list[PlateRead]:
    if tecan_magellan.find_header(sheet) is not None:
        return tecan_magellan.read_sheet(sheet)
    meta, blocks, layout = _parse(sheet)
    return _plates(sheet, meta, blocks, layout)


def _guarded(path: Path, func, *args) -> tuple[PlateRead, ...]:
    try:
        return tuple(func(*args))
    except AssayError:
        raise
    except Exception as exc:  # a reader bug must still be one line naming the file
        raise PlateError(f"cannot be read as tecan: {exc.__class__.__name__}: {exc}",
                         file=path) from None


def read(text: str, path: Path) -> tuple[PlateRead, ...]:
    return _guarded(path, lambda: _read_sheet(text_sheet(text, path)))


def read_workbook(book, path: Path) -> tuple[PlateRead, ...]:
    def run() -> list[PlateRead]:
        plates: list[PlateRead] = []
        for sheet in workbook_sheets(book, path):
            if _claims(sheet):
                plates.extend(_read_sheet(sheet))
        if not plates:
            raise PlateError("no Tecan sheet found in this workbook (expected 'Application: "
                             "Tecan i-control'/'SparkControl', '<>' grids or 'Well positions')",
                             file=path)
        return plates
    return _guarded(path, run)
