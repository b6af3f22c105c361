"""The rows a part of the report is drawn from: a result table, or one plate's rows of it.

A run of many plates splits each table by plate once (`table_rows_by_plate`), as plain dicts, so that
drawing 1,000 plates costs no pandas call per plate; the review app and the tests hand whole
DataFrames. Either way a part sees the same dicts: ``DataFrame.to_dict("records")`` gives
floats, ints, bools and str, and None for a missing value of a nullable column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from elisa.missing import is_missing
from elisa.results import column_records, rows_by_plate

#: A table's rows: a DataFrame, or its rows as dicts (``to_dict("records")``).
Rows = pd.DataFrame | Sequence[Mapping[str, Any]]


def records(rows: Rows) -> Sequence[Mapping[str, Any]]:
    """``rows`` as dicts by column, in order."""
    return frame_records(rows) if isinstance(rows, pd.DataFrame) else rows


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``frame.to_dict("records")``, built a column at a time (several times faster on a
    table of 100,000 rows): Python scalars, None for a missing value of a nullable column,
    NaN kept in float columns."""
    return column_records(frame, _python_cells)


def _python_cells(column: pd.Series) -> list[Any]:
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind != "O":
        return column.tolist()  # numpy numbers and booleans: tolist gives Python scalars, NaN kept
    if _missing_is_na(dtype):
        # nullable text, booleans and integers convert a whole column at once: Python str,
        # bool or int, and None where pd.NA (what `_python_cell` makes of each cell)
        return column.to_numpy(dtype=object, na_value=None).tolist()
    return [_python_cell(v) for v in column.tolist()]


def _missing_is_na(dtype: Any) -> bool:
    """True for the nullable dtypes of the result tables (string, boolean, Int64): their only
    missing value is pd.NA and their values are Python scalars as objects."""
    if isinstance(dtype, pd.StringDtype):
        return dtype.na_value is pd.NA  # a NaN-backed string column keeps NaN, not None
    return isinstance(dtype, (pd.BooleanDtype, pd.Int64Dtype))


def _python_cell(value: Any) -> Any:
    """What ``to_dict`` makes of a cell of an object or nullable column."""
    if value is pd.NA:
        return None
    return value.item() if isinstance(value, np.generic) else value


def pandas_text(value: Any) -> str:
    """A cell as text the way ``Series.astype(str)`` writes it: a missing value is "nan"."""
    if type(value) is str:  # the common cell (every plate_id), answered first
        return value
    return "nan" if is_missing(value) else str(value)


def table_rows_by_plate(table: pd.DataFrame) -> dict[Any, list[dict[str, Any]]]:
    """A table's rows grouped by plate (`elisa.results.rows_by_plate`), the keys as text
    (`pandas_text`): by (plate_id, analyte) when it has an analyte column, else by plate_id."""
    return rows_by_plate(frame_records(table), "analyte" in table.columns, pandas_text)
