"""Plate layouts from wellmap TOML files (DESIGN 3.2).

``load_layout`` expands the file with ``wellmap`` and validates every well's fields. Each
``[plate.NAME]`` is expanded on its own: wellmap 3.5 keeps only the columns of the last plate
when it stacks several, which would silently drop fields such as ``conc`` or ``mask``.
Running wellmap: :mod:`plates.layout.wellmap_run`; checking values: :mod:`plates.layout.checks`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import tomli

from plates.errors import LayoutError
from plates.layout.checks import (
    COLUMNS,
    ROLES,
    WELL_FIELDS,
    PlateWells,
    check_unknown,
    check_well,
    experiment_fields,
    is_given,
)
from plates.layout.document import check_document, parse_document
from plates.layout.expand import expand_document, layout_extras
from plates.layout.wellmap_run import run_wellmap, toml_value
from plates.limits import DEFAULT_LIMITS, InputLimits, check_file_size
from plates.wells import ROW_LETTERS, well_names

__all__ = [
    "ROLES",
    "PlateLayout",
    "carried_layout",
    "layout_for_plate",
    "layout_toml",
    "load_layout",
]


@dataclass(frozen=True, eq=False)
class PlateLayout:
    source: Path
    sha256: str  # of the layout file's bytes
    plate: str | None  # the [plate.NAME] this is for, None without [plate.*]
    expt: Mapping[str, Any]  # analyte, plate_id, date, lot, unit: those that are given
    wells: pd.DataFrame  # one row per well, row-major; columns COLUMNS


#: The wells table's columns and their dtypes (object: text or None).
_DTYPES = {
    "well": object,
    "row": object,
    "col": np.int64,
    "role": object,
    "conc": np.float64,
    "conc_low": np.float64,
    "conc_high": np.float64,
    "sample": object,
    "dilution": np.float64,
    "anchor": bool,
    "mask": object,
}
assert tuple(_DTYPES) == COLUMNS


def _native(value: Any) -> Any:
    """A table cell as a plain Python value (numpy scalars unwrapped, pd.NA None), as
    ``DataFrame.to_dict("records")`` gives it."""
    if isinstance(value, np.generic):
        return value.item()
    return None if value is pd.NA else value


def _table_wells(table: pd.DataFrame) -> PlateWells:
    """wellmap's table as plate wells, one record per well (converting a column at a time costs
    a fraction of ``to_dict("records")``)."""
    columns = {}
    for name in table.columns:
        column = table[name]
        values = column.tolist()
        if column.dtype == object or not isinstance(column.dtype, np.dtype):
            values = [_native(v) for v in values]
        columns[str(name)] = values
    fields = [name for name in columns if name not in ("well", "row_i", "col_j")]
    wells = range(len(columns["well"]))
    return PlateWells(
        names=[str(well) for well in columns["well"]],
        rows=[int(r) for r in columns["row_i"]],
        cols=[int(c) for c in columns["col_j"]],
        records=[{name: columns[name][k] for name in fields} for k in wells],
        fields=fields,
    )


#: the checked fields of a well no table names (shared by every such well: only read)
_EMPTY_WELL = check_well({}, None)


@lru_cache(maxsize=16)
def _grid(n_rows: int, n_cols: int) -> tuple[tuple[str, ...], tuple[str, ...], tuple[int, ...]]:
    """Each well's name, row letter and column number, row-major: the same for every layout of
    a plate size."""
    names = tuple(well_names(n_rows, n_cols))
    letters = tuple(ROW_LETTERS[r] for r in range(n_rows) for _ in range(n_cols))
    numbers = tuple(c + 1 for _ in range(n_rows) for c in range(n_cols))
    return names, letters, numbers


def _wells_frame(rows: list[dict[str, Any]], n_rows: int, n_cols: int) -> pd.DataFrame:
    """The wells table from each well's checked fields, row-major. Each column is made with
    its dtype (object columns as object Series: pandas would otherwise infer its own text
    dtype) on one shared index, which spares pandas aligning eleven indexes."""
    index = pd.RangeIndex(n_rows * n_cols)
    names, letters, numbers = _grid(n_rows, n_cols)
    columns: dict[str, Sequence] = {"well": names, "row": letters, "col": numbers}
    for field in WELL_FIELDS:
        columns[field] = [row[field] for row in rows]
    data = {
        name: pd.Series(columns[name], index=index, dtype=object)
        if dtype is object
        else np.array(columns[name], dtype=dtype)
        for name, dtype in _DTYPES.items()
    }
    return pd.DataFrame(data, index=index, copy=False)


def _build(
    wells: PlateWells,
    extras: dict,
    source: Path,
    sha: str,
    plate: str | None,
    n_rows: int,
    n_cols: int,
) -> PlateLayout:
    prefix = f"[plate.{plate}] " if plate is not None else ""

    def err(message: str, well: str | None = None) -> LayoutError:
        where = (prefix + (f"well {well}" if well else "")).strip() or None
        return LayoutError(message, file=source, where=where)

    check_unknown(wells, err)
    last = ROW_LETTERS[n_rows - 1]
    rows = [_EMPTY_WELL] * (n_rows * n_cols)
    checked: dict[int, dict] = {}  # a shared record's checked fields, by the record's id
    for well, r, c, record in zip(wells.names, wells.rows, wells.cols, wells.records, strict=True):
        if r >= n_rows or c >= n_cols:
            raise err(
                f"well {well} is off the plate: a {n_rows * n_cols}-well plate has rows"
                f" A-{last} and columns 1-{n_cols}",
                well,
            )
        if id(record) not in checked:
            checked[id(record)] = check_well(record, lambda m, w=well: err(m, w))
        rows[r * n_cols + c] = checked[id(record)]
    expt = experiment_fields(wells, extras, err)
    return PlateLayout(
        source, sha, plate, MappingProxyType(expt), _wells_frame(rows, n_rows, n_cols)
    )


# ---------------------------------------------------------------- public API


def load_layout(
    path: str | Path,
    n_rows: int = 8,
    n_cols: int = 12,
    *,
    data: bytes | None = None,
    limits: InputLimits = DEFAULT_LIMITS,
) -> dict[str | None, PlateLayout]:
    """One PlateLayout per ``[plate.NAME]`` (keyed NAME), or one keyed None.

    ``data``: the file's bytes when they come from elsewhere (the store); ``path`` names it.
    ``limits``: file size, nesting depth and block size, checked before wellmap runs.
    """
    source = Path(path)
    if data is None:
        if not source.exists():
            raise LayoutError("layout file not found", file=source)
        if not source.is_file():
            raise LayoutError("is not a file, expected a wellmap TOML layout", file=source)
        check_file_size(source.stat().st_size, limits, LayoutError, source)
        data = source.read_bytes()
    doc = parse_document(data, source, limits)
    check_document(doc, source, limits)
    return _load_document(doc, source, hashlib.sha256(data).hexdigest(), n_rows, n_cols)


def _load_document(
    doc: dict, source: Path, sha: str, n_rows: int, n_cols: int
) -> dict[str | None, PlateLayout]:
    """The document's layouts: expanded here when it is one of the common kinds, else (or when
    its wells are refused, so that the error is wellmap's reading of them) by wellmap."""
    expanded = expand_document(doc)
    if expanded is not None:
        try:
            return layouts_by_expansion(doc, expanded, source, sha, n_rows, n_cols)
        except LayoutError:
            pass
    return layouts_by_wellmap(doc, source, sha, n_rows, n_cols)


def layouts_by_expansion(
    doc: dict,
    expanded: dict[str | None, PlateWells],
    source: Path,
    sha: str,
    n_rows: int,
    n_cols: int,
) -> dict[str | None, PlateLayout]:
    """The layouts from :func:`plates.layout.expand.expand_document`'s wells."""
    extras = layout_extras(doc)
    return {
        name: _build(columns, extras, source, sha, name, n_rows, n_cols)
        for name, columns in expanded.items()
    }


def layouts_by_wellmap(
    doc: dict, source: Path, sha: str, n_rows: int, n_cols: int
) -> dict[str | None, PlateLayout]:
    """The layouts as wellmap expands the document (the reference, and every kind of layout)."""
    table, extras = run_wellmap(doc, source, None)
    # plate names from the file itself: wellmap loses the plate column when a plate is empty
    own = list(doc["plate"]) if isinstance(doc.get("plate"), dict) else []
    found = list(dict.fromkeys(table["plate"])) if "plate" in table.columns else []
    names = own + [n for n in found if n not in own] or [None]
    layouts: dict[str | None, PlateLayout] = {}
    for name in names:
        if name in own:
            part, _ = run_wellmap(doc, source, name)
            if "plate" in part.columns:
                part = part[part["plate"] == name]
        elif name is None:
            part = table
        else:
            part = table[table["plate"] == name]
        layouts[name] = _build(_table_wells(part), extras, source, sha, name, n_rows, n_cols)
    return layouts


def layout_for_plate(layouts: dict[str | None, PlateLayout], plate_name: str | None) -> PlateLayout:
    """The layout for ``plate_name``: by name, else the file's unnamed layout, else an error."""
    if plate_name is not None and plate_name in layouts:
        return layouts[plate_name]
    if None in layouts:
        return layouts[None]
    named = ", ".join(str(n) for n in layouts) or "none"
    source = next((lay.source for lay in layouts.values()), None)
    what = f"plate {plate_name!r}" if plate_name is not None else "an unnamed plate"
    raise LayoutError(
        f"the layout has no [plate.*] section for {what}: its plates are {named}", file=source
    )


def layout_toml(
    wells: Mapping[str, Mapping[str, Any]], expt: Mapping[str, Any] | None = None
) -> str:
    """A wellmap TOML text giving ``wells`` (well name → DESIGN 3.2 fields) and ``[expt]``."""
    lines = []
    if expt:
        lines.append("[expt]")
        lines += [f"{key} = {toml_value(value)}" for key, value in expt.items() if is_given(value)]
        lines.append("")
    for well, fields in wells.items():
        lines.append(f"[well.{well}]")
        lines += [
            f"{key} = {toml_value(value)}" for key, value in fields.items() if is_given(value)
        ]
        lines.append("")
    return "\n".join(lines)


def carried_layout(
    wells: Mapping[str, Mapping[str, Any]],
    source: str | Path,
    n_rows: int,
    n_cols: int,
    expt: Mapping[str, Any] | None = None,
) -> PlateLayout:
    """The layout an export carries (Gen5 Layout block, SoftMax Pro groups), validated like a
    layout file; ``source`` is the export it came from."""
    text = layout_toml(wells, expt)
    doc = tomli.loads(text)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return _load_document(doc, Path(source), sha, n_rows, n_cols)[None]
