"""What a missing value is in a result table, and the few conversions built on that one rule.

A cell is missing when it is None, NaN, ``pd.NA`` or ``pd.NaT``: typed tables hold NaN in float64
columns and ``pd.NA`` in nullable ones (Int64, boolean, string), stored JSON holds null, and rows
under construction hold None. Every module that reads or writes table cells asks here, so the
CSV writer, the report, the store and the cohort agree on what "empty" means.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def is_missing(value: Any) -> bool:
    """True for None, NaN (Python or numpy float), ``pd.NA`` and ``pd.NaT``; infinity is a value."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def finite_or_none(value: Any) -> float | None:
    """A number for a table row: a plain float, or None when missing or infinite."""
    if is_missing(value):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def as_float(value: Any) -> float:
    """A cell as a float: NaN when missing or not a number (text is parsed, ``"1.5"`` → 1.5)."""
    if type(value) is float:  # the common cell, answered first
        return value if value == value else math.nan
    if is_missing(value):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def as_bool(value: Any) -> bool | None:
    """A table boolean (bool, numpy bool, ``"true"``/``"false"`` as written to CSV) as True,
    False, or None when missing or other text."""
    if type(value) is bool:  # the common cell, answered first
        return value
    if isinstance(value, str):
        low = value.strip().lower()
        return True if low == "true" else False if low == "false" else None
    if is_missing(value):
        return None
    try:
        return None if pd.isna(value) else bool(value)
    except (TypeError, ValueError):  # an array-like has no single truth value: call it true
        return bool(value)


def json_scalar(value: Any) -> Any:
    """A cell for JSON: numpy scalars as plain Python numbers, missing and infinite as null."""
    kind = type(value)
    if kind is str or kind is int or kind is bool:  # the common cells, answered first
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if is_missing(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
