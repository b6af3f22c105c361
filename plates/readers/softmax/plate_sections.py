"""SoftMax Pro ``Plate:`` blocks read into a :class:`Section`: the header line
(:mod:`plates.readers.softmax.header`) and the PlateFormat / TimeFormat data
(:mod:`plates.readers.softmax.data`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from plates.readers.softmax.block import Block, error
from plates.readers.softmax.data import read_plate_format, read_time_format
from plates.readers.softmax.header import parse_header

__all__ = ["Block", "Section", "error", "read_section"]


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


def read_section(block: Block, path: Path) -> Section:
    """One Plate: block as read (kinetic, spectrum, well-scan and reduced-only refused)."""
    h = parse_header(block, path)
    shape = (len(h.wavelengths), h.plate_rows, h.plate_cols)
    od, sat = np.full(shape, np.nan), np.zeros(shape, dtype=bool)
    derived: dict[str, np.ndarray] = {}
    if h.layout == "PlateFormat":
        read_plate_format(block, h, path, od, sat, derived)
    else:
        read_time_format(block, h, path, od, sat, derived)
    return Section(
        h.name, block, h.plate_rows, h.plate_cols, h.wavelengths, od, sat, h.metadata, derived
    )
