"""A run's result tables as the store keeps them: JSON-safe rows, split by plate once.

Each stored plate version holds its own rows of every result table (``tables_json``) and the
provenance of its processing narrowed to that plate (``provenance_json``). A batch of 1,000
plates used to filter every table once per plate (a million-row scan of the wells table) and
convert each plate's rows with pandas; here every table is converted once, column by column,
and its rows are handed out by plate.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_integer_dtype

from elisa.column_text import cells_by_distinct_value, float_texts
from elisa.missing import json_scalar
from elisa.results import TABLE_COLUMNS, Results, column_records, rows_by_plate

#: The key of a plate's rows: (plate_id, analyte) in tables with an analyte column, else plate_id.
RowKey = tuple[Any, Any] | Any


def _json_column(column: pd.Series) -> list[Any]:
    """One column's cells as JSON-safe values (`json_scalar`: NaN and infinity as None)."""
    dtype = column.dtype
    if dtype == np.float64:
        values = column.to_numpy()
        cells: list[Any] = values.tolist()  # plain Python floats
        for i in np.flatnonzero(~np.isfinite(values)).tolist():
            cells[i] = None
        return cells
    if isinstance(dtype, pd.StringDtype) or is_integer_dtype(dtype) or is_bool_dtype(dtype):
        # text, integers and booleans come out of tolist() as plain str, int and bool already:
        # only the missing cells need changing, found at once rather than cell by cell
        cells = column.tolist()
        for i in np.flatnonzero(column.isna().to_numpy()).tolist():
            cells[i] = None
        return cells
    return [json_scalar(v) for v in column.tolist()]


def table_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A result table as JSON-safe records (NaN → null), one dict per row in table order."""
    return column_records(frame, _json_column)


def json_cells(column: pd.Series) -> list[str]:
    """Each cell of one column as the JSON text `json.dumps` writes for its `_json_column`
    value, a column at a time: floats by their repr (`float_texts`, null when not finite),
    the other one-kind columns once per distinct value."""
    if column.dtype == np.float64:
        values = column.to_numpy()
        cells = list(float_texts(values))  # a copy: the texts may be shared
        for i in np.flatnonzero(~np.isfinite(values)).tolist():
            cells[i] = "null"
        return cells
    texts = cells_by_distinct_value(column, json.dumps)
    return texts if texts is not None else list(map(json.dumps, _json_column(column)))


def table_json_rows(frame: pd.DataFrame) -> list[str]:
    """Each row of a result table as the JSON text of its `table_records` dict (the bytes of
    `json.dumps` of it), built a column at a time rather than a dict per row."""
    if not len(frame.columns):
        return ["{}"] * len(frame)
    pieces = [
        list(map(f"{json.dumps(str(name))}: ".__add__, json_cells(frame[name])))
        for name in frame.columns
    ]
    return [f"{{{row}}}" for row in map(", ".join, zip(*pieces))]


class PlateRows:
    """Every result table of ``results`` as the store keeps it, grouped by plate once: each
    plate's rows as JSON text (`tables_json`), and the runs table's rows as JSON-safe dicts.

    Tables with an ``analyte`` column are grouped by (plate_id, analyte), the others (wells,
    re-assay list) by plate_id; rows keep their table order within a plate."""

    def __init__(self, results: Results) -> None:
        self._groups: dict[str, dict[RowKey, list[str]]] = {}
        self._by_analyte: dict[str, bool] = {}
        for name in TABLE_COLUMNS:
            frame = getattr(results, name)
            by_analyte = "analyte" in frame.columns
            keys = [_json_column(frame[k]) for k in ("plate_id", "analyte")[: 1 + by_analyte]]
            groups: dict[RowKey, list[str]] = {}
            for key, row in zip(zip(*keys), table_json_rows(frame), strict=True):
                groups.setdefault(key if by_analyte else key[0], []).append(row)
            self._groups[name] = groups
            self._by_analyte[name] = by_analyte
        self._runs = rows_by_plate(table_records(results.runs), by_analyte=True)

    def tables_json(self, plate_id: str, analyte: str) -> str:
        """The rows of every result table that belong to one plate, by table name, as JSON
        text: the bytes of `json.dumps` of {table name: [row dict, ...]}."""
        parts = []
        for name, groups in self._groups.items():
            rows = groups.get((plate_id, analyte) if self._by_analyte[name] else plate_id, [])
            parts.append(f"{json.dumps(name)}: [{', '.join(rows)}]")
        return f"{{{', '.join(parts)}}}"

    def run(self, plate_id: str, analyte: str) -> dict[str, Any]:
        """The plate's row of the runs table (JSON-safe values); a KeyError when it has none."""
        return self._runs[(plate_id, analyte)][0]


def plate_provenance(provenance: dict[str, Any], plate: dict[str, Any]) -> dict[str, Any]:
    """The run's provenance narrowed to one plate: its own entry, its export and layout among
    the inputs and its analyte among the settings; the rest (software, config, rules) whole.

    A stored version keeps this rather than the whole run's provenance, which names every input
    of the batch: 1,000 plates would store 1,000 copies of 1,000 inputs (about 400 MB).
    """
    narrowed = {**provenance, "plates": [plate]}
    inputs = provenance.get("inputs")
    if isinstance(inputs, dict):
        exports, layouts = inputs.get("exports", {}), inputs.get("layouts", {})
        narrowed["inputs"] = {
            **inputs,
            "exports": _entry(exports, plate.get("source_file")),
            "layouts": _entry(layouts, plate.get("layout")),
        }
    settings = provenance.get("settings")
    if isinstance(settings, dict) and isinstance(settings.get("analytes"), dict):
        analyte = plate.get("analyte")
        narrowed["settings"] = {
            **settings,
            "analytes": _entry(settings["analytes"], analyte),
        }
    return narrowed


def _entry(mapping: dict[str, Any], key: Any) -> dict[str, Any]:
    """``mapping`` narrowed to ``key`` (empty when it has none): a lookup, not a scan of a
    run's thousand inputs for each of its thousand plates."""
    return {key: mapping[key]} if isinstance(key, str) and key in mapping else {}
