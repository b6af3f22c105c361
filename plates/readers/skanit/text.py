"""Multiskan (SkanIt) text export: ``Results of Photometric1``, then per plate and wavelength
``\\tPlate:1 - Wavelength:340``, per read ``\\tIteration: 1``, then a header-less TAB grid: one
line per plate row, a leading TAB and one field per column (8 lines of 12 for 96 wells, 16 of 24
for 384), blocks separated by empty lines. More than one iteration per wavelength is a kinetic
read, which an endpoint ELISA cannot use: refused after the whole file has been checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from plates.errors import PlateError
from plates.model import PlateRead
from plates.readers.common.cells import parse_cell
from plates.readers.skanit.common import NAME, read_mode, refuse_kinetic
from plates.wells import ROW_LETTERS, format_well

_RESULTS = re.compile(r"^\s*Results of\s+(.+?)\s*$")
_PLATE = re.compile(
    r"^\s*Plate\s*:\s*(\d+)\s*-\s*Wavelength\s*:\s*(\d+)(?:\s*nm)?\s*(.*?)\s*$", re.IGNORECASE
)
_ITERATION = re.compile(r"^\s*Iteration\s*:\s*(\d+)\s*$", re.IGNORECASE)
_SHAPES = {8: 12, 16: 24}


def sniff(text: str) -> bool:
    head = text[:20000]
    return any(_PLATE.match(line) for line in head.split("\n")) and any(
        _ITERATION.match(line) or _RESULTS.match(line) for line in head.split("\n")[:50]
    )


@dataclass
class _Plate:
    number: str
    reads: dict[int, list[tuple[int, np.ndarray, np.ndarray]]] = field(default_factory=dict)


def _err(path: Path, line: int, message: str, well: str | None = None) -> PlateError:
    return PlateError(message, file=path, where=f"line {line}" + (f", well {well}" if well else ""))


def _grid(lines: list[str], start: int, path: Path, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Parse the row lines ``lines`` (the first at 1-based line ``start``)."""
    n_rows = len(lines)
    if n_rows not in _SHAPES:
        if n_rows > 1 and len(lines[-1].split("\t")) < len(lines[0].split("\t")):
            raise _err(
                path,
                start + n_rows - 1,
                f"{what}: the last grid line has"
                f" {len(lines[-1].split(chr(9))) - 1} TAB-separated fields, the first"
                f" {len(lines[0].split(chr(9))) - 1}: the file or line is cut short",
            )
        raise _err(
            path,
            start + n_rows - 1 if n_rows else start,
            f"{what}: found {n_rows} grid lines from line {start}, expected 8 (96-well"
            " plate) or 16 (384-well plate) TAB-separated rows",
        )
    n_cols = _SHAPES[n_rows]
    od = np.full((n_rows, n_cols), np.nan)
    sat = np.zeros((n_rows, n_cols), dtype=bool)
    first = len(lines[0].split("\t")) if lines else 0
    for r, line in enumerate(lines):
        number = start + r
        fields = line.split("\t")
        beyond = any(f.strip() for f in fields[1 + n_cols :])  # named more precisely below
        if len(fields) != first and len(fields) - 1 >= n_cols and not beyond:
            # every line of a grid has the first line's fields (empty wells as empty
            # fields): one more or less is a cell added or lost, the rest of the row shifted
            raise _err(
                path,
                number,
                f"{what}: row {ROW_LETTERS[r]} has {len(fields)} TAB-separated fields but"
                f" row A has {first}: a cell was lost or added",
            )
        label = fields[0].strip()
        if label and label.upper() != ROW_LETTERS[r]:
            raise _err(
                path,
                number,
                f"{what}: expected a leading TAB (or the row label"
                f" {ROW_LETTERS[r]}) before the values of row {ROW_LETTERS[r]}, found"
                f" {label[:40]!r}",
            )
        values = fields[1:]
        if len(values) < n_cols:
            raise _err(
                path,
                number,
                f"{what}: row {ROW_LETTERS[r]} has {len(values)} TAB-"
                f"separated fields, expected {n_cols} (one per column; the line may be"
                " cut short)",
            )
        for c, text in enumerate(values):
            if c >= n_cols:
                if text.strip():
                    raise PlateError(
                        f"{what}: a value beyond the plate's {n_cols} columns,"
                        f" found {text.strip()[:40]!r} (expected an empty field)",
                        file=path,
                        where=f"line {number}, field {c + 2}",
                    )
                continue
            try:
                cell = parse_cell(text)
            except ValueError as exc:
                raise _err(path, number, f"{what}: {exc}", format_well(r, c)) from None
            od[r, c] = cell.value
            sat[r, c] = cell.saturated
    return od, sat


def read(text: str, path: Path) -> tuple[PlateRead, ...]:
    lines = text.split("\n")
    step = None
    plates: dict[str, _Plate] = {}
    current: tuple[_Plate, int] | None = None
    iteration: int | None = None
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r")
        if m := _RESULTS.match(line):
            step = step or m.group(1)
        elif m := _PLATE.match(line):
            plate = plates.setdefault(m.group(1), _Plate(m.group(1)))
            wavelength = int(m.group(2))
            if not 200 <= wavelength <= 1100:
                raise _err(
                    path,
                    i + 1,
                    f"wavelength {wavelength} nm is not a plate-reader"
                    " wavelength (expected 200-1100 nm)",
                )
            current = (plate, wavelength)
            iteration = None
        elif m := _ITERATION.match(line):
            iteration = int(m.group(1))
        elif "\t" in line:
            # a block of grid lines: consecutive lines holding TABs, up to an empty line
            start = i
            block = []
            while (
                i < len(lines)
                and "\t" in lines[i]
                and not (
                    _PLATE.match(lines[i]) or _ITERATION.match(lines[i]) or _RESULTS.match(lines[i])
                )
            ):
                block.append(lines[i].rstrip("\r"))
                i += 1
            if current is None:
                raise _err(
                    path,
                    start + 1,
                    "grid values before any 'Plate:N - Wavelength:NNN'"
                    " line: expected the plate and wavelength first",
                )
            plate, wavelength = current
            what = f"plate {plate.number}, {wavelength} nm" + (
                f", iteration {iteration}" if iteration is not None else ""
            )
            od, sat = _grid(block, start + 1, path, what)
            plate.reads.setdefault(wavelength, []).append((start + 1, od, sat))
            iteration = None
            continue
        i += 1
    return _plates(plates, step, path)


def _plates(plates: dict[str, _Plate], step: str | None, path: Path) -> tuple[PlateRead, ...]:
    if not plates or not any(p.reads for p in plates.values()):
        raise PlateError(
            f"{NAME} text export without data: expected 'Plate:N - Wavelength:NNN'"
            " followed by a TAB-separated grid",
            file=path,
        )
    for plate in plates.values():
        counts = {w: len(r) for w, r in plate.reads.items()}
        if any(n > 1 for n in counts.values()):
            n = max(counts.values())
            waves = ", ".join(str(w) for w in counts)
            raise refuse_kinetic(path, f"of plate {plate.number} at {waves} nm", n, "iterations")
    mode = read_mode(step or "") or "absorbance"
    out = []
    for plate in plates.values():
        if not plate.reads:
            raise PlateError(f"plate {plate.number} has no grid", file=path)
        shapes = {r[0][1].shape for r in plate.reads.values()}
        if len(shapes) > 1:
            raise PlateError(
                f"plate {plate.number}: its wavelengths have grids of different sizes", file=path
            )
        wavelengths = tuple(plate.reads)
        metadata = {
            "read_mode": mode,
            "plate_number": plate.number,
            "first_line": str(next(iter(plate.reads.values()))[0][0]),
        }
        if step:
            metadata["step"] = step
        out.append(
            PlateRead(
                None,
                wavelengths,
                np.stack([r[0][1] for r in plate.reads.values()]),
                np.stack([r[0][2] for r in plate.reads.values()]),
                metadata,
            )
        )
    return tuple(out)
