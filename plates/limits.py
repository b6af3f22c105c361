"""Limits on input checked before any work, so that a damaged or hostile file is refused with
a clear message instead of exhausting memory, hanging or crashing.

The defaults suit serum ELISA on 96- and 384-well plates. A lab can change them in the
``[limits]`` table of ``elisa.toml`` (read by the pipeline and passed down):

    [limits]
    od_min = -0.5            # absorbance (OD) below this is not a plausible reading
    od_max = 10.0            # nor above this (overflow markers stay saturated wells)
    max_file_mb = 50         # an export or layout larger than this is refused unread
    max_plates_per_file = 1000
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from plates.errors import AssayError

__all__ = ["DEFAULT_LIMITS", "InputLimits", "toml_depth"]


@dataclass(frozen=True)
class InputLimits:
    """What an input may hold. ODs are absorbance units; sizes are megabytes (10**6 bytes)."""

    #: lowest plausible absorbance: a blank-level read drifts a little below 0, never to -0.9
    od_min: float = -0.5
    #: highest plausible absorbance: readers saturate near 4; 10 leaves room for any reader
    od_max: float = 10.0
    max_file_mb: float = 50.0
    max_plates_per_file: int = 1000
    #: deepest nesting of tables and arrays in a TOML file (a layout needs about 6)
    max_toml_depth: int = 20
    #: most wells one layout table may cover (a 1536-well plate)
    max_block_wells: int = 1536

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1_000_000)

    def check(self) -> None:
        """ValueError when the limits contradict each other."""
        values = (self.od_min, self.od_max, self.max_file_mb)
        if not all(math.isfinite(v) for v in values) or self.od_min >= self.od_max:
            raise ValueError(f"od_min ({self.od_min}) must be below od_max ({self.od_max})")
        if self.max_file_mb <= 0 or self.max_plates_per_file < 1:
            raise ValueError("max_file_mb and max_plates_per_file must be positive")


DEFAULT_LIMITS = InputLimits()


def toml_depth(value: Any) -> int:
    """The nesting depth of a parsed TOML value (a scalar is 0), without recursion.

    Walked a level at a time: each level is the tables and arrays of the one above, and the
    depth is the number of levels that hold anything.
    """
    deepest = 0
    level = [value]
    while level:
        children: list[Any] = []
        for item in level:
            if isinstance(item, dict):
                children.extend(item.values())
            elif isinstance(item, list):
                children.extend(item)
        if not children:
            break
        deepest += 1
        level = [child for child in children if isinstance(child, (dict, list))]
    return deepest


def check_file_size(size: int, limits: InputLimits, error: type[AssayError], path) -> None:
    """Refuse a file larger than the limit before it is read."""
    if size > limits.max_file_bytes:
        raise error(
            f"the file is {size / 1e6:.1f} MB, above the {limits.max_file_mb:g} MB limit for"
            " one input ([limits] max_file_mb in elisa.toml)",
            file=path,
        )
