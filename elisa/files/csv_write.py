"""CSV cells exactly as DESIGN 5.1 says: unrounded floats, lowercase booleans, empty missing
values, and text that a spreadsheet would run as a formula neutralised with a leading quote."""

from __future__ import annotations

import csv
import io
from numbers import Integral, Real

import numpy as np
import pandas as pd

from elisa.missing import is_missing

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def format_cell(value: object) -> str:
    """One value as the text of its CSV cell."""
    if is_missing(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real):
        return repr(float(value))
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def table_csv(frame: pd.DataFrame) -> str:
    """The whole CSV text of a table (header row, then one line per row, LF endings)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(frame.columns)
    for row in frame.itertuples(index=False, name=None):
        writer.writerow([format_cell(v) for v in row])
    return buffer.getvalue()
