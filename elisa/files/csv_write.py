"""CSV cells exactly as DESIGN 5.1 says: unrounded floats, lowercase booleans, empty missing
values, and text that a spreadsheet would run as a formula neutralised with a leading quote."""

from __future__ import annotations

import csv
import io
import re
from numbers import Integral, Real

import numpy as np
import pandas as pd

from elisa.column_text import cells_by_distinct_value, float_texts
from elisa.missing import is_missing

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: The characters that may make csv.writer (QUOTE_MINIMAL, "\n" line ends) quote a cell; a
#: carriage return is quoted by some Python versions only, so a cell holding one goes to csv.
_QUOTED_CHARACTER = re.compile(r'[,"\r\n]')


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
        cells = cells_by_distinct_value(column, format_cell)
        return cells if cells is not None else [format_cell(v) for v in column.tolist()]
    values = column.to_numpy()
    cells = list(float_texts(values))  # a copy: the texts may be shared
    for i in np.flatnonzero(np.isnan(values)).tolist():
        cells[i] = ""
    return cells


def _needs_quotes(cells: list[str]) -> bool:
    """True when a cell holds a character that csv.writer would quote (comma, double quote or
    line break). Checked on the distinct texts: a text column repeats few of them."""
    return _QUOTED_CHARACTER.search("".join(set(cells))) is not None


def table_csv(frame: pd.DataFrame) -> str:
    """The whole CSV text of a table (header row, then one line per row, LF endings). Cells
    are formatted a column at a time: a 1,000-plate run has about a million of them.

    csv.writer quotes a cell only when it holds a comma, double quote or line break. When no
    cell of a table of two or more columns does (the text of a float never does), the rows are
    joined with commas directly, which gives the same bytes in a fraction of the time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(frame.columns)
    columns = [frame.iloc[:, k] for k in range(frame.shape[1])]
    cells = [column_cells(column) for column in columns]
    plain = len(cells) >= 2 and not any(  # a lone empty cell is written as "" by csv.writer
        column.dtype != np.float64 and _needs_quotes(texts) for column, texts in zip(columns, cells)
    )
    if plain:
        buffer.writelines(f"{','.join(row)}\n" for row in zip(*cells))
    else:
        writer.writerows(zip(*cells) if cells else [[]] * len(frame))
    return buffer.getvalue()
