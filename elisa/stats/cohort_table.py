"""Read and check the table that `elisa cohort build` writes (CSV or Parquet), and turn each
analyte's `_status`/`_limit` columns into numbers under one censoring policy.

Censoring is never silent: a value enters an analysis only when its status is `ok`, or when it
is `below` and a fill policy says what to use (the `_limit`, i.e. LLOQ × dilution, times the
policy's factor). `above`, `excluded` and `missing` values never enter. The value column of a
cohort built with a fill policy is ignored for `below` rows, so it is censored again the same way.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from elisa.cohort.build import BELOW_POLICIES, STATUSES, SUFFIXES
from elisa.errors import ElisaError
from elisa.files.csv_read import read_table

POLICIES = ("exclude", *BELOW_POLICIES)  # exclude first: the default
OWN_SUFFIXES = tuple(s for s in SUFFIXES if s)  # _status, _limit, _n, _plates


@dataclass(frozen=True)
class CohortTable:
    """A checked cohort table.

    ``frame`` holds the cells as read (text for CSV, typed for Parquet; missing cells NaN),
    ``lines`` the file line (CSV) or row number (Parquet) of each row for error messages,
    ``analytes`` the analyte value columns in file order, ``numeric`` every other column whose
    non-empty cells are all numbers (clinical variables), ``sha256`` the file's hash.
    """

    path: Path
    sha256: str
    fmt: str
    frame: pd.DataFrame
    lines: tuple[int, ...]
    analytes: tuple[str, ...]
    numeric: tuple[str, ...]

    def where(self, row: int) -> str:
        """'line N' (CSV) or 'row N' (Parquet) of the row at position ``row``."""
        return f"{'line' if self.fmt == 'csv' else 'row'} {self.lines[row]}"

    def status(self, analyte: str) -> pd.Series:
        return self.frame[f"{analyte}_status"]


def _read(path: Path) -> tuple[pd.DataFrame, tuple[int, ...], str, bytes]:
    if not path.is_file():
        raise ElisaError("cohort table not found", file=path)
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".csv":
        header, rows = read_table(data, path, "cohort table")
        duplicated = sorted({h for h in header if header.count(h) > 1})
        if duplicated:
            raise ElisaError(f"line 1: column(s) {', '.join(duplicated)} appear twice", file=path)
        frame = pd.DataFrame([r for _, r in rows], columns=header, dtype=object)
        frame = frame.replace("", np.nan)
        return frame, tuple(n for n, _ in rows), "csv", data
    if suffix == ".parquet":
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
            raise ElisaError(f"not a Parquet file ({type(exc).__name__})", file=path) from None
        frame = frame.astype(object).where(frame.notna(), np.nan)
        return frame, tuple(range(1, len(frame) + 1)), "parquet", data
    raise ElisaError(
        f"not a cohort table: expected a .csv or .parquet file from 'elisa cohort build', "
        f"got {suffix or 'no extension'!r}",
        file=path,
    )


def _is_number(cell: object) -> bool:
    if isinstance(cell, (int, float, np.integer, np.floating)) and not isinstance(cell, bool):
        return True
    try:
        float(str(cell))
    except ValueError:
        return False
    return True


def first_non_number(frame: pd.DataFrame, column: str) -> int | None:
    """Position of the first non-empty cell of ``column`` that is not a number, or None."""
    for i, cell in enumerate(frame[column]):
        if not _missing(cell) and not _is_number(cell):
            return i
    return None


def _missing(cell: object) -> bool:
    return cell is None or (isinstance(cell, float) and math.isnan(cell))


def load_cohort(path: str | Path) -> CohortTable:
    """The cohort table at ``path``, checked: a `subject_id` column with unique ids, at least one
    analyte with its five columns, statuses from the build's list, numbers where numbers belong."""
    path = Path(path)
    frame, lines, fmt, data = _read(path)
    where = "line" if fmt == "csv" else "row"
    columns = [str(c) for c in frame.columns]
    analytes = tuple(
        c for c in columns if all(f"{c}{s}" in columns for s in OWN_SUFFIXES) and c != "subject_id"
    )
    if "subject_id" not in columns or not analytes:
        raise ElisaError(
            "not a cohort table: expected a subject_id column and, per analyte, the columns "
            "NAME, NAME_status, NAME_limit, NAME_n, NAME_plates (as 'elisa cohort build' writes)",
            file=path,
        )
    if frame.empty:
        raise ElisaError("the cohort table has no rows", file=path)
    ids = frame["subject_id"]
    for i, subject in enumerate(ids):
        if _missing(subject) or str(subject).strip() == "":
            raise ElisaError(f"{where} {lines[i]}: empty subject_id", file=path)
    repeated = ids[ids.duplicated()]
    if len(repeated):
        i = int(np.flatnonzero(ids.duplicated().to_numpy())[0])
        raise ElisaError(
            f"{where} {lines[i]}: subject_id {ids.iloc[i]!r} again: one row per subject", file=path
        )
    own = {f"{a}{s}" for a in analytes for s in SUFFIXES}
    for analyte in analytes:
        status = frame[f"{analyte}_status"]
        for i, cell in enumerate(status):
            if cell not in STATUSES:
                raise ElisaError(
                    f"{where} {lines[i]}: {analyte}_status is {cell!r}; expected one of "
                    f"{', '.join(STATUSES)}",
                    file=path,
                )
        for column in (analyte, f"{analyte}_limit"):
            bad = first_non_number(frame, column)
            if bad is not None:
                raise ElisaError(
                    f"{where} {lines[bad]}: {column} is {frame[column].iloc[bad]!r}, "
                    "expected a number",
                    file=path,
                )
        values = pd.to_numeric(frame[analyte], errors="coerce")
        limits = pd.to_numeric(frame[f"{analyte}_limit"], errors="coerce")
        for i in range(len(frame)):
            if status.iloc[i] == "ok" and not np.isfinite(values.iloc[i]):
                raise ElisaError(f"{where} {lines[i]}: {analyte} is ok but has no value", file=path)
            if status.iloc[i] == "below" and not limits.iloc[i] > 0:
                raise ElisaError(
                    f"{where} {lines[i]}: {analyte} is below the range but "
                    f"{analyte}_limit is not a positive number",
                    file=path,
                )
    numeric = tuple(
        c
        for c in columns
        if c not in own
        and c != "subject_id"
        and frame[c].notna().any()
        and first_non_number(frame, c) is None
    )
    return CohortTable(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        fmt=fmt,
        frame=frame,
        lines=lines,
        analytes=analytes,
        numeric=numeric,
    )


def check_policy(policy: str) -> float | None:
    """The fill factor of ``policy`` (None for exclude); an unknown policy is an error."""
    if policy not in POLICIES:
        raise ElisaError(f"unknown --below policy {policy!r}: use {', '.join(POLICIES)}")
    return BELOW_POLICIES.get(policy)


def analyte_values(table: CohortTable, analyte: str, policy: str) -> np.ndarray:
    """The analyte's values as floats under ``policy``: `ok` values as they are, `below` values
    NaN (exclude) or `_limit` × factor (lloq/2, lloq/sqrt2, lloq), every other status NaN."""
    factor = check_policy(policy)
    status = table.status(analyte).to_numpy()
    values = pd.to_numeric(table.frame[analyte], errors="coerce").to_numpy(dtype=float)
    limits = pd.to_numeric(table.frame[f"{analyte}_limit"], errors="coerce").to_numpy(dtype=float)
    out = np.where(status == "ok", values, np.nan)
    if factor is not None:
        out = np.where(status == "below", limits * factor, out)
    return out


def numeric_frame(
    table: CohortTable, policy: str, rows: Sequence[int] | None = None
) -> pd.DataFrame:
    """Every numeric clinical column and every analyte (under ``policy``) as floats."""
    data = {c: pd.to_numeric(table.frame[c], errors="coerce").astype(float) for c in table.numeric}
    for analyte in table.analytes:
        data[analyte] = pd.Series(analyte_values(table, analyte, policy), index=table.frame.index)
    frame = pd.DataFrame(data)
    return frame if rows is None else frame.iloc[list(rows)]
