"""SoftMax Pro ``Plate:`` blocks: the header line and the PlateFormat / TimeFormat data.

The header fields (TAB-separated, 1-based): 2 plate name, 3 export version, 4 PlateFormat or
TimeFormat, 5 read type (Endpoint, Kinetic, Spectrum, Well Scan), 6 read mode (Absorbance,
Fluorescence, Luminescence; fluorescence inserts one field after it), 7 Raw or Reduced, 9 number
of reads, 15 number of wavelengths, 16 the wavelengths ("450 620 "), 17 first column, 18 number
of columns, 19 plate size, 20-21 first row and number of rows (absorbance; 29-30 luminescence,
30-31 fluorescence). Fields after the mode move one place right for fluorescence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from plates.cells import parse_cell, parse_number
from plates.errors import PlateError
from plates.wells import ROW_LETTERS, format_well, parse_well, plate_shape

_MODES = {"absorbance": "absorbance", "fluorescence": "fluorescence",
          "luminescence": "luminescence"}
SOFTWARE = "SoftMax Pro"


@dataclass
class Block:
    kind: str                 # "Plate", "Group" or "Note"
    start: int                # 0-based index of its first line in the file
    lines: list[str]          # its lines, without the ~End line
    number: int               # 1-based block number

    def line_no(self, i: int) -> int:
        """1-based file line number of the block's line ``i``."""
        return self.start + i + 1


def error(path: Path, line: int | None, message: str, well: str | None = None) -> PlateError:
    where = None if line is None else f"line {line}" + (f", well {well}" if well else "")
    return PlateError(message, file=path, where=where)


@dataclass
class Section:
    """One ``Plate:`` block as read."""

    name: str
    block: Block
    n_rows: int
    n_cols: int
    wavelengths: tuple[int | None, ...]
    od: np.ndarray
    saturated: np.ndarray
    metadata: dict[str, str]
    derived: dict[str, np.ndarray] = field(default_factory=dict)


def _int(text: str) -> int | None:
    value = parse_number(text) if text.strip() else None
    return int(value) if value is not None and value.is_integer() else None


@dataclass
class _Header:
    name: str
    layout: str             # PlateFormat | TimeFormat
    read_type: str
    mode: str
    wavelengths: tuple[int | None, ...]
    first_col: int
    n_cols: int             # columns read
    first_row: int
    n_rows: int             # rows read
    plate_rows: int
    plate_cols: int
    metadata: dict[str, str]


def _header(block: Block, path: Path) -> _Header:
    line = block.line_no(0)
    f = [c.strip() for c in block.lines[0].split("\t")]
    f += [""] * (31 - len(f))
    name = f[1]
    if f[3] not in ("PlateFormat", "TimeFormat"):
        raise error(path, line, f"plate {name!r}: expected the export layout PlateFormat or"
                   f" TimeFormat in the 4th field of the Plate: line, found {f[3]!r}")
    mode = _MODES.get(f[5].lower())
    if mode is None:
        raise error(path, line, f"plate {name!r}: expected the read mode Absorbance,"
                   f" Fluorescence or Luminescence in the 6th field, found {f[5]!r}")
    shift = next((k - 6 for k in (6, 7) if f[k] in ("Raw", "Reduced")), None)
    if shift is None:
        raise error(path, line, f"plate {name!r}: expected the data type Raw or Reduced in the"
                   f" 7th field of the Plate: line, found {f[6]!r}")
    data_type = f[6 + shift]
    read_type = f[4]
    reads = _int(f[8 + shift])
    kind = read_type.lower()
    if kind == "kinetic" and (reads is None or reads > 1):
        count = f"{reads} reads" if reads is not None else "several reads"
        raise error(path, line, f"SoftMax Pro plate {name!r} is a kinetic read with {count} per"
                   " well: an endpoint ELISA needs one read per wavelength")
    if kind in ("spectrum", "well scan"):
        raise error(path, line, f"SoftMax Pro plate {name!r} is a {kind} read: an endpoint"
                   " ELISA needs one read per wavelength of each well")
    if kind not in ("endpoint", "kinetic"):
        raise error(path, line, f"plate {name!r}: expected the read type Endpoint, Kinetic,"
                   f" Spectrum or Well Scan in the 5th field, found {read_type!r}")
    if data_type == "Reduced":
        raise error(path, line, f"SoftMax Pro plate {name!r} was exported as reduced data only"
                   " (no raw reads): export it again with the raw data")
    n_waves = _int(f[14 + shift])
    tokens = f[15 + shift].split()
    waves: list[int | None] = []
    for token in tokens:
        nm = _int(token)
        if nm is None or not 200 <= nm <= 1100:
            if mode == "absorbance":
                raise error(path, line, f"plate {name!r}: expected wavelengths in nm in the"
                           f" 16th field, found {f[15 + shift]!r}")
            nm = None
        waves.append(nm)
    if n_waves is None or n_waves < 1 or (tokens and len(tokens) != n_waves) or \
            (not tokens and mode == "absorbance"):
        raise error(path, line, f"plate {name!r}: the header announces {f[14 + shift] or 'no'}"
                   f" wavelengths but lists {len(tokens)} ({f[15 + shift]!r})")
    if not waves:
        waves = [None] * n_waves
    first_col, n_cols, n_wells = (_int(f[16 + shift]), _int(f[17 + shift]),
                                  _int(f[18 + shift]))
    try:
        plate_rows, plate_cols = plate_shape(n_wells if n_wells is not None else -1)
    except ValueError:
        raise error(path, line, f"plate {name!r}: expected the plate size 96 or 384 in the"
                   f" 19th field, found {f[18 + shift]!r}") from None
    # first row and number of rows: fields 20-21 (absorbance), 29-30 (luminescence), 30-31
    # (fluorescence, which also has the excitation wavelengths in field 21)
    at = {"absorbance": 19, "luminescence": 28, "fluorescence": 29}[mode]
    first_row, n_rows = _int(f[at]) or 1, _int(f[at + 1]) or plate_rows
    if first_col is None or n_cols is None or first_col < 1 or n_cols < 1 or \
            first_col + n_cols - 1 > plate_cols or first_row < 1 or \
            first_row + n_rows - 1 > plate_rows:
        raise error(path, line, f"plate {name!r}: the columns/rows read ({f[16 + shift]!r},"
                   f" {f[17 + shift]!r}) do not fit a {n_wells}-well plate")
    metadata = {"software": SOFTWARE, "plate_name": name, "read_mode": mode,
                **({"excitation_nm": f[20]} if mode == "fluorescence" and f[20] else {}),
                "export_format": f[3], "export_version": f[2], "read_type": kind,
                "data_type": data_type.lower()}
    return _Header(name, f[3], kind, mode, tuple(waves), first_col, n_cols, first_row, n_rows,
                   plate_rows, plate_cols, metadata)


def _cells(text: str) -> list[str]:
    return [c.strip() for c in text.split("\t")]


def _parse_value(path: Path, line: int, text: str, well: str) -> tuple[float, bool]:
    try:
        cell = parse_cell(text)
    except ValueError as exc:
        raise error(path, line, str(exc), well) from None
    return cell.value, cell.saturated


def _derived_value(text: str) -> float:
    try:
        return parse_cell(text).value
    except ValueError:
        return np.nan


def _beyond(path: Path, line: int, cells: list[str], start: int, what: str) -> None:
    for k in range(start, len(cells)):
        if cells[k]:
            raise error(path, line, f"a value beyond {what}, found {cells[k]!r} in field {k + 1}"
                       " (expected an empty cell or nothing)")


def _temperature(metadata: dict[str, str], text: str) -> None:
    value = parse_number(text)
    if value is not None and "temperature_c" not in metadata:
        metadata["temperature_c"] = f"{value:g}"


def _plate_format(block: Block, h: _Header, path: Path, od, sat, derived) -> None:
    lines = block.lines
    numbers = [str(h.first_col + c) for c in range(h.n_cols)]
    last_row = ROW_LETTERS[h.first_row + h.n_rows - 2]
    width = f"the plate's {h.n_cols} columns"
    i = 1
    if i >= len(lines) or not lines[i].strip():
        raise error(path, block.line_no(min(i, len(lines) - 1)), f"plate {h.name!r}: expected"
                   " the column header '\\tTemperature\\t1\\t2...' after the Plate: line")
    header = _cells(lines[i])
    for w, nm in enumerate(h.wavelengths):
        start = 2 + w * (h.n_cols + 1)
        if header[start:start + h.n_cols] != numbers:
            what = f" for the read at {nm} nm" if nm else ""
            raise error(path, block.line_no(i), f"plate {h.name!r}: expected the column numbers"
                       f" {numbers[0]}..{numbers[-1]}{what} from field {start + 1} of the"
                       f" column header, found {' '.join(header[start:start + h.n_cols])!r}")
    end = 2 + len(h.wavelengths) * (h.n_cols + 1) - 1
    _beyond(path, block.line_no(i), header, end, f"the {len(h.wavelengths)} grids of"
            f" {h.n_cols} columns in the header")
    for r in range(h.n_rows):
        k = i + 1 + r
        row = h.first_row - 1 + r
        if k >= len(lines) or not lines[k].strip():
            raise error(path, block.line_no(min(k, len(lines) - 1)), f"plate {h.name!r}: the grid"
                       f" ends after {r} rows, expected {h.n_rows} (rows"
                       f" {ROW_LETTERS[h.first_row - 1]}-{last_row}): a row is missing")
        cells = _cells(lines[k])
        line = block.line_no(k)
        if r == 0 and len(cells) > 1:
            _temperature(h.metadata, cells[1])
        elif len(cells) > 1 and cells[1]:
            raise error(path, line, f"expected an empty temperature cell on a grid row, found"
                       f" {cells[1]!r}")
        if len(cells) < end:
            raise error(path, line, f"plate {h.name!r}, row {ROW_LETTERS[row]}: the line ends"
                       f" after {max(len(cells) - 2, 0)} values, expected"
                       f" {len(h.wavelengths)} x {h.n_cols}: the line is cut short")
        for w in range(len(h.wavelengths)):
            start = 2 + w * (h.n_cols + 1)
            if w and cells[start - 1]:
                raise error(path, line, f"a value beyond {width} (in the empty column between"
                           f" two wavelength grids), found {cells[start - 1]!r}")
            for c in range(h.n_cols):
                col = h.first_col - 1 + c
                value, flag = _parse_value(path, line, cells[start + c], format_well(row, col))
                od[w, row, col], sat[w, row, col] = value, flag
        _beyond(path, line, cells, end, width)
    k = i + 1 + h.n_rows
    if k < len(lines) and lines[k].strip():
        raise error(path, block.line_no(k), f"plate {h.name!r}: a row beyond the"
                   f" {h.n_rows} rows {ROW_LETTERS[h.first_row - 1]}-{last_row} the header"
                   " announces")
    while k < len(lines) and not lines[k].strip():
        k += 1
    if k < len(lines):
        _reduced_grid(block, k, h, path, derived, numbers)


def _reduced_grid(block: Block, k: int, h: _Header, path: Path, derived, numbers) -> None:
    lines = block.lines
    header = _cells(lines[k])
    if header[:2] != ["", ""] or header[2:2 + h.n_cols] != numbers:
        raise error(path, block.line_no(k), f"plate {h.name!r}: expected the reduced-data header"
                   f" '\\t\\t{numbers[0]}...' or '~End', found {lines[k].strip()[:40]!r}")
    grid = np.full((h.plate_rows, h.plate_cols), np.nan)
    for r in range(h.n_rows):
        j = k + 1 + r
        if j >= len(lines) or not lines[j].strip():
            raise error(path, block.line_no(min(j, len(lines) - 1)), f"plate {h.name!r}: the"
                       f" reduced grid ends after {r} rows, expected {h.n_rows}")
        cells = _cells(lines[j]) + [""] * (2 + h.n_cols)
        for c in range(h.n_cols):
            grid[h.first_row - 1 + r, h.first_col - 1 + c] = _derived_value(cells[2 + c])
    derived["reduced"] = grid
    for j in range(k + 1 + h.n_rows, len(lines)):
        if lines[j].strip():
            raise error(path, block.line_no(j), f"plate {h.name!r}: unexpected line after the"
                       f" reduced grid, found {lines[j].strip()[:40]!r} (expected '~End')")


def _well_columns(block: Block, i: int, h: _Header, path: Path, skip: int
                  ) -> list[tuple[int, int]]:
    header = _cells(block.lines[i])
    names = header[skip:]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise error(path, block.line_no(i), f"plate {h.name!r}: expected the well names"
                   " A1, A2, ... in the column header")
    wells = []
    for k, text in enumerate(names):
        try:
            wells.append(parse_well(text, h.plate_rows, h.plate_cols))
        except ValueError as exc:
            raise error(path, block.line_no(i), f"plate {h.name!r}, field {k + skip + 1} of the"
                       f" column header: {exc}") from None
    if len(set(wells)) != len(wells):
        raise error(path, block.line_no(i), f"plate {h.name!r}: a well is named twice in the"
                   " column header")
    return wells


def _time_format(block: Block, h: _Header, path: Path, od, sat, derived) -> None:
    lines = block.lines
    if len(lines) < 2 or not lines[1].strip():
        raise error(path, block.line_no(min(1, len(lines) - 1)), f"plate {h.name!r}: expected the"
                   " column header '\\tTemperature\\tA1\\tA2...' after the Plate: line")
    wells = _well_columns(block, 1, h, path, 2)
    width = f"the {len(wells)} wells of the column header"
    k = 2
    for w, nm in enumerate(h.wavelengths):
        while k < len(lines) and not lines[k].strip():
            k += 1
        what = f"the read at {nm} nm" if nm else f"read {w + 1}"
        if k >= len(lines):
            raise error(path, block.line_no(len(lines) - 1), f"plate {h.name!r}: the section"
                       f" ends before {what}: expected {len(h.wavelengths)} lines of values")
        cells = _cells(lines[k])
        line = block.line_no(k)
        if cells[:2] == ["", ""] and len(cells) > 2 and cells[2:3] == [format_well(*wells[0])]:
            raise error(path, line, f"plate {h.name!r}: found the reduced-data header where"
                       f" {what} was expected: a wavelength line is missing")
        _temperature(h.metadata, cells[1] if len(cells) > 1 else "")
        if len(cells) < 2 + len(wells):
            raise error(path, line, f"plate {h.name!r}, {what}: the line ends after"
                       f" {max(len(cells) - 2, 0)} values, expected {len(wells)}: the line is cut"
                       " short")
        for (r, c), text in zip(wells, cells[2:]):
            od[w, r, c], sat[w, r, c] = _parse_value(path, line, text, format_well(r, c))
        _beyond(path, line, cells, 2 + len(wells), width)
        k += 1
        if k < len(lines) and lines[k].strip():
            raise error(path, block.line_no(k), f"plate {h.name!r}: a second line of values for"
                       f" {what} (expected one line per wavelength and a blank line)")
    while k < len(lines) and not lines[k].strip():
        k += 1
    if k >= len(lines):
        return
    cells = _cells(lines[k])
    if cells[:2] != ["", ""]:
        raise error(path, block.line_no(k), f"plate {h.name!r}: expected the reduced-data header"
                   f" '\\t\\tA1...' or '~End', found {lines[k].strip()[:40]!r}")
    reduced_wells = _well_columns(block, k, h, path, 2)
    grid = np.full((h.plate_rows, h.plate_cols), np.nan)
    if k + 1 < len(lines):
        values = _cells(lines[k + 1])
        for (r, c), text in zip(reduced_wells, values[2:]):
            grid[r, c] = _derived_value(text)
    derived["reduced"] = grid
    for j in range(k + 2, len(lines)):
        if lines[j].strip():
            raise error(path, block.line_no(j), f"plate {h.name!r}: unexpected line after the"
                       f" reduced data, found {lines[j].strip()[:40]!r} (expected '~End')")


def read_section(block: Block, path: Path) -> Section:
    """One Plate: block as read (kinetic, spectrum, well-scan and reduced-only refused)."""
    h = _header(block, path)
    shape = (len(h.wavelengths), h.plate_rows, h.plate_cols)
    od, sat = np.full(shape, np.nan), np.zeros(shape, dtype=bool)
    derived: dict[str, np.ndarray] = {}
    if h.layout == "PlateFormat":
        _plate_format(block, h, path, od, sat, derived)
    else:
        _time_format(block, h, path, od, sat, derived)
    return Section(h.name, block, h.plate_rows, h.plate_cols, h.wavelengths, od, sat,
                   h.metadata, derived)
