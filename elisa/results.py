"""The result tables of a processing call, with the exact columns of DESIGN 5.1."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # xarray is loaded by whoever builds the Dataset, not by this module
    import xarray as xr

SAMPLES_COLUMNS = (
    "plate_id",
    "analyte",
    "unit",
    "kind",
    "sample_id",
    "dilution",
    "n_wells",
    "od_mean",
    "od_cv_pct",
    "conc",
    "conc_sd",
    "conc_cv_pct",
    "conc_se",
    "conc_ci_low",
    "conc_ci_high",
    "range",
    "reportable",
    "flags",
)
STANDARDS_COLUMNS = (
    "plate_id",
    "analyte",
    "level",
    "nominal",
    "n_wells",
    "od_mean",
    "od_cv_pct",
    "backfit",
    "recovery_pct",
    "anchor",
    "passed",
    "flags",
)
CURVES_COLUMNS = (
    "plate_id",
    "analyte",
    "model",
    "weighting",
    "theta",
    "a",
    "b",
    "c",
    "d",
    "g",
    "se_a",
    "se_b",
    "se_c",
    "se_d",
    "se_g",
    "r_squared",
    "rmse",
    "lloq",
    "uloq",
    "lloq_profile",
    "uloq_profile",
    "converged",
    "message",
)
WELLS_COLUMNS = (
    "plate_id",
    "well",
    "role",
    "sample_id",
    "conc_nominal",
    "dilution",
    "od_raw",
    "od",
    "conc_well",
    "saturated",
    "masked",
    "flags",
)
RUNS_COLUMNS = (
    "plate_id",
    "analyte",
    "run_date",
    "lot",
    "source_file",
    "source_sha256",
    "verdict",
    "reasons",
    "warnings",
    "out_of_spec",
    "rules",
    "intra_cv_pct",
    "intra_cv_limit_pct",
    "standards_passed",
    "standards_total",
    "controls_passed",
    "controls_total",
)
REASSAY_COLUMNS = ("plate_id", "sample_id", "dilution", "reason", "suggested_dilution")

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "samples": SAMPLES_COLUMNS,
    "standards": STANDARDS_COLUMNS,
    "curves": CURVES_COLUMNS,
    "wells": WELLS_COLUMNS,
    "runs": RUNS_COLUMNS,
    "reassay": REASSAY_COLUMNS,
}


#: The dtype of every column of every table. Numbers are float64 (NaN when missing), counts and
#: levels nullable Int64 (written without ".0"), booleans nullable "boolean", text "string"
#: (missing is pd.NA). ``run_date`` stays text: it is written exactly as the layout or the export
#: gave it (a date, or a date and time with or without an offset), which a timestamp would not
#: round-trip byte for byte.
_TEXT, _NUMBER, _COUNT, _FLAG = "string", "float64", "Int64", "boolean"
_COLUMN_DTYPES: dict[str, str] = {
    **dict.fromkeys(
        (
            "plate_id",
            "analyte",
            "unit",
            "kind",
            "sample_id",
            "range",
            "flags",
            "model",
            "weighting",
            "message",
            "well",
            "role",
            "run_date",
            "lot",
            "source_file",
            "source_sha256",
            "verdict",
            "reasons",
            "warnings",
            "rules",
            "reason",
        ),
        _TEXT,
    ),
    **dict.fromkeys(
        (
            "n_wells",
            "level",
            "standards_passed",
            "standards_total",
            "controls_passed",
            "controls_total",
        ),
        _COUNT,
    ),
    **dict.fromkeys(
        ("reportable", "anchor", "passed", "converged", "saturated", "masked", "out_of_spec"),
        _FLAG,
    ),
}
TABLE_DTYPES: dict[str, dict[str, str]] = {
    name: {column: _COLUMN_DTYPES.get(column, _NUMBER) for column in columns}
    for name, columns in TABLE_COLUMNS.items()
}


def column_records(
    frame: pd.DataFrame, cells: Callable[[pd.Series], list[Any]]
) -> list[dict[str, Any]]:
    """``frame``'s rows as dicts by column name, in table order, each column's values converted
    at once by ``cells`` (a column at a time: several times faster than ``to_dict`` per row)."""
    columns = [str(c) for c in frame.columns]
    if not columns:
        return [{} for _ in range(len(frame))]
    converted = [cells(frame.iloc[:, k]) for k in range(len(columns))]
    return [dict(zip(columns, row)) for row in zip(*converted)]


def rows_by_plate(
    rows: list[dict[str, Any]], by_analyte: bool, key: Callable[[Any], Any] = lambda v: v
) -> dict[Any, list[dict[str, Any]]]:
    """A table's rows grouped by plate, in table order: by (plate_id, analyte) when the table
    has an analyte column (``by_analyte``), else by plate_id; ``key`` makes each part of the
    key from its cell (as it is, by default)."""
    groups: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        plate = key(row["plate_id"])
        groups.setdefault((plate, key(row["analyte"])) if by_analyte else plate, []).append(row)
    return groups


def typed_table(name: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The table ``name`` from its rows (dicts by column, None for missing), with the columns
    and dtypes of TABLE_DTYPES."""
    dtypes = TABLE_DTYPES[name]
    return pd.DataFrame(rows, columns=list(dtypes), dtype=object).astype(dtypes)


def typed_columns(name: str, columns: Mapping[str, Sequence[Any] | np.ndarray]) -> pd.DataFrame:
    """The table ``name`` from its columns (cells by column name, None or NaN for missing), with
    the columns and dtypes of TABLE_DTYPES: the table `typed_table` makes of the same cells as
    rows, built a column at a time (a plate's results are laid out by column, and pandas
    converts a column in one call instead of going through an object-typed table)."""
    dtypes = TABLE_DTYPES[name]
    typed = {column: _typed_column(columns[column], dtype) for column, dtype in dtypes.items()}
    return pd.DataFrame(typed, columns=list(dtypes))


def _typed_column(values: Sequence[Any] | np.ndarray, dtype: str) -> pd.Series:
    """One column as its dtype: numbers straight to float64 (None as NaN, as the object cast of
    `typed_table` gives), other columns cast from object cells as `typed_table` casts them."""
    if dtype == "float64":
        return pd.Series(np.asarray(values, dtype=float), copy=False)
    return pd.Series(values, dtype=object).astype(dtype)


@dataclass(frozen=True, kw_only=True)
class Results:
    """Everything one `elisa.process` call produced.

    Each table is a DataFrame with exactly the columns of the CSV file of the same name
    (DESIGN 5.1); `plates` is the plate data (od_raw, saturated over plate/row/col/wavelength);
    `provenance` is the content of provenance.json.
    """

    samples: pd.DataFrame
    standards: pd.DataFrame
    curves: pd.DataFrame
    wells: pd.DataFrame
    runs: pd.DataFrame
    reassay: pd.DataFrame
    plates: xr.Dataset
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """True when at least one plate failed or is out of spec (exit code 1)."""
        verdict_failed = (self.runs["verdict"] != "pass").any()
        out_of_spec = self.runs["out_of_spec"].fillna(False).astype(bool).any()
        return bool(verdict_failed or out_of_spec)
