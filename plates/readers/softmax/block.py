"""SoftMax Pro export blocks (``Plate:``, ``Group:``, ``Note:`` ... ``~End``), their TAB-separated
cells and the errors that name a file line (see :mod:`plates.readers.softmax.reader`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from plates.errors import PlateError
from plates.readers.common.cells import parse_cell, parse_number

__all__ = [
    "Block",
    "check_beyond",
    "derived_value",
    "error",
    "note_temperature",
    "parse_value",
    "tab_cells",
]


@dataclass
class Block:
    kind: str  # "Plate", "Group" or "Note"
    start: int  # 0-based index of its first line in the file
    lines: list[str]  # its lines, without the ~End line
    number: int  # 1-based block number

    def line_no(self, i: int) -> int:
        """1-based file line number of the block's line ``i``."""
        return self.start + i + 1


def error(path: Path, line: int | None, message: str, well: str | None = None) -> PlateError:
    """A PlateError at file line ``line`` (1-based) and, when given, ``well``."""
    where = None if line is None else f"line {line}" + (f", well {well}" if well else "")
    return PlateError(message, file=path, where=where)


def tab_cells(text: str) -> list[str]:
    """The stripped TAB-separated cells of a line."""
    return [c.strip() for c in text.split("\t")]


def parse_value(path: Path, line: int, text: str, well: str) -> tuple[float, bool]:
    """A raw read cell as (OD, saturated); text that is not a reading is an error."""
    try:
        cell = parse_cell(text)
    except ValueError as exc:
        raise error(path, line, str(exc), well) from None
    return cell.value, cell.saturated


def derived_value(text: str) -> float:
    """A reduced-data cell as a number, NaN for anything else."""
    try:
        return parse_cell(text).value
    except ValueError:
        return np.nan


def check_beyond(path: Path, line: int, cells: list[str], start: int, what: str) -> None:
    """Refuse a non-empty cell from field ``start`` on (``what`` names the expected extent)."""
    for k in range(start, len(cells)):
        if cells[k]:
            raise error(
                path,
                line,
                f"a value beyond {what}, found {cells[k]!r} in field {k + 1}"
                " (expected an empty cell or nothing)",
            )


def note_temperature(metadata: dict[str, str], text: str) -> None:
    """Record the first temperature found as ``temperature_c``."""
    value = parse_number(text)
    if value is not None and "temperature_c" not in metadata:
        metadata["temperature_c"] = f"{value:g}"
