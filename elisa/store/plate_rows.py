"""A run's result tables as the store keeps them: JSON-safe rows, split by plate once.

Each stored plate version holds its own rows of every result table (``tables_json``) and the
provenance of its processing narrowed to that plate (``provenance_json``). A batch of 1,000
plates used to filter every table once per plate (a million-row scan of the wells table) and
convert each plate's rows with pandas; here every table is converted once, column by column,
and its rows are handed out by plate.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from elisa.missing import json_scalar
from elisa.results import TABLE_COLUMNS, Results

#: The key of a plate's rows: (plate_id, analyte) in tables with an analyte column, else plate_id.
RowKey = tuple[Any, Any] | Any


def _json_column(column: pd.Series) -> list[Any]:
    """One column's cells as JSON-safe values (`json_scalar`: NaN and infinity as None)."""
    values = column.to_numpy() if column.dtype == np.float64 else None
    if values is None:
        return [json_scalar(v) for v in column.tolist()]
    cells: list[Any] = values.tolist()  # plain Python floats
    for i in np.flatnonzero(~np.isfinite(values)).tolist():
        cells[i] = None
    return cells


def table_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A result table as JSON-safe records (NaN → null), one dict per row in table order."""
    columns = [str(c) for c in frame.columns]
    cells = [_json_column(frame.iloc[:, k]) for k in range(len(columns))]
    if not columns:
        return [{} for _ in range(len(frame))]
    return [dict(zip(columns, row)) for row in zip(*cells)]


class PlateRows:
    """Every result table of ``results`` as JSON-safe rows, grouped by plate once.

    Tables with an ``analyte`` column are grouped by (plate_id, analyte), the others (wells,
    re-assay list) by plate_id; rows keep their table order within a plate."""

    def __init__(self, results: Results) -> None:
        self._groups: dict[str, dict[RowKey, list[dict[str, Any]]]] = {}
        self._by_analyte: dict[str, bool] = {}
        for name in TABLE_COLUMNS:
            frame = getattr(results, name)
            by_analyte = "analyte" in frame.columns
            groups: dict[RowKey, list[dict[str, Any]]] = {}
            for row in table_records(frame):
                key = (row["plate_id"], row["analyte"]) if by_analyte else row["plate_id"]
                groups.setdefault(key, []).append(row)
            self._groups[name] = groups
            self._by_analyte[name] = by_analyte

    def tables(self, plate_id: str, analyte: str) -> dict[str, list[dict[str, Any]]]:
        """The rows of every result table that belong to one plate, by table name."""
        return {
            name: groups.get((plate_id, analyte) if self._by_analyte[name] else plate_id, [])
            for name, groups in self._groups.items()
        }

    def run(self, plate_id: str, analyte: str) -> dict[str, Any]:
        """The plate's row of the runs table (JSON-safe values); a KeyError when it has none."""
        return self._groups["runs"][(plate_id, analyte)][0]


def plate_provenance_json(provenance: dict[str, Any]) -> Callable[[dict[str, Any]], str]:
    """A function giving, for one plate's provenance entry, the text of
    ``json.dumps({**provenance, "plates": [plate]}, default=str)``.

    Everything but the plate is encoded once: the provenance names every input of the run, so
    encoding it again for each of 1,000 plates would encode 1,000 times 1,000 inputs. JSON
    without indentation is the members' texts joined by ", ", so the joined text is the same.
    """
    if not all(isinstance(key, str) for key in provenance):  # json would turn keys into text
        return lambda plate: json.dumps({**provenance, "plates": [plate]}, default=str)
    members = {
        key: f"{json.dumps(key)}: {json.dumps(value, default=str)}"
        for key, value in provenance.items()
        if key != "plates"
    }
    keys = list(provenance) if "plates" in provenance else [*provenance, "plates"]
    at = keys.index("plates")
    before = [members[key] for key in keys[:at]]
    after = [members[key] for key in keys[at + 1 :]]
    plates_key = json.dumps("plates")

    def text(plate: dict[str, Any]) -> str:
        plates = f"{plates_key}: {json.dumps([plate], default=str)}"
        return "{" + ", ".join([*before, plates, *after]) + "}"

    return text
