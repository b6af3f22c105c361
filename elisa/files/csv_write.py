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
    kind = type(value)
    if kind is str:  # the common cells first; the general rules below give the same text
        return "'" + value if value.startswith(FORMULA_STARTS) else value  # type: ignore[attr-defined]
    if kind is float:
        return "" if value != value else repr(value)  # NaN is the one float unequal to itself
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
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


def column_cells(column: pd.Series) -> list[str]:
    """The CSV text of every cell of one column, in row order (`format_cell`)."""
    if column.dtype != np.float64:
        return [format_cell(v) for v in column.tolist()]
    values = column.to_numpy()
    cells = [repr(v) for v in values.tolist()]  # plain floats: the shortest round-trip text
    for i in np.flatnonzero(np.isnan(values)).tolist():
        cells[i] = ""
    return cells


def table_csv(frame: pd.DataFrame) -> str:
    """The whole CSV text of a table (header row, then one line per row, LF endings). Cells
    are formatted a column at a time: a 1,000-plate run has about a million of them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(frame.columns)
    columns = [column_cells(frame.iloc[:, k]) for k in range(frame.shape[1])]
    writer.writerows(zip(*columns) if columns else [[]] * len(frame))
    return buffer.getvalue()
