"""Expanding a layout document into its wells the way wellmap does, for the common layouts.

wellmap stays the reference reader of the format (DESIGN 3.2), but it costs a third of a second
to import (it loads matplotlib for its plots) and about 10 ms a file, which is most of a
one-plate run's layout time and of a thousand-plate batch's. Most layouts use only ``[expt]``,
``[row.A]``, ``[col.1]``, ``[block.WxH.A1]``, ``[well.A1]`` and ``[plate.NAME]`` with plain
names or comma lists of them; :func:`expand_document` expands exactly those, with wellmap's
precedence (well, then smaller before larger blocks, row, col, then ``[expt]``; a plate's own
tables before the file's). Anything else (``[meta]``, ``[irow]``/``[icol]``, ranges, ellipses,
a plate without wells, an integer wellmap's pandas table would round) returns None, and the
loader runs wellmap. Tests compare the two on random documents.
"""

from __future__ import annotations

import re
from bisect import insort_left
from functools import lru_cache
from operator import itemgetter
from typing import Any

from plates.layout.checks import PlateWells

__all__ = ["WELLMAP_TABLES", "expand_document", "layout_extras"]

#: the top-level keys wellmap reads as tables; the others are the file's notes ("extras")
WELLMAP_TABLES = ("meta", "plate", "row", "irow", "col", "icol", "block", "well", "expt")
_OUTSIDE = ("meta", "irow", "icol")
_ROW = re.compile(r"[A-Za-z]+")
_COL = re.compile(r"[0-9]+")
_WELL = re.compile(r"([A-Za-z]+)([0-9]+)")
_SIZE = re.compile(r"([0-9]+)x([0-9]+)")
#: pandas keeps integers beyond this as floats when a column has gaps; wellmap's result would
#: differ in the last digits, so such documents are left to wellmap
_EXACT_INT = 2**53
#: the fields of a row or column no table names (shared, never filled)
_NONE: dict = {}
#: a block's area, in the (area, fields) pairs a well's blocks are listed as
_AREA = itemgetter(0)

Cell = tuple[int, int]


class _Outside(Exception):
    """The document uses something only wellmap expands."""


def layout_extras(doc: dict) -> dict[str, Any]:
    """The file's top-level notes: keys that are not wellmap tables (kept, never per well)."""
    return {key: value for key, value in doc.items() if key not in WELLMAP_TABLES}


def expand_document(doc: dict) -> dict[str | None, PlateWells] | None:
    """Each plate's wells and their fields, keyed by ``[plate.NAME]`` or None; None when wellmap
    must expand it.

    ``doc`` has passed ``check_document``; it is not modified.
    """
    try:
        if any(doc.get(key) for key in _OUTSIDE):
            raise _Outside
        plates = doc.get("plate") or {}
        if not plates:
            return {None: _plate_wells(_wells(doc))}
        return {name: _plate_wells(_wells(_plate_config(doc, name))) for name in plates}
    except _Outside:
        return None


def _plate_config(doc: dict, name: str) -> dict:
    """A plate's tables over the file's, as wellmap merges them: the plate's fields are its
    ``[expt]``, and each of its values wins over the file's at the same key."""
    plate = doc["plate"][name]
    if "expt" in plate or any(plate.get(key) for key in _OUTSIDE):
        raise _Outside  # wellmap refuses [expt] inside a plate
    config = {key: value for key, value in plate.items() if isinstance(value, dict)}
    config["expt"] = {key: value for key, value in plate.items() if not isinstance(value, dict)}
    return _fill(_copy_tables(config), {k: v for k, v in doc.items() if k != "plate"})


def _copy_tables(table: dict) -> dict:
    return {k: _copy_tables(v) if isinstance(v, dict) else v for k, v in table.items()}


def _fill(into: dict, defaults: dict) -> dict:
    """Add the keys of ``defaults`` that ``into`` lacks, table by table (values never replaced)."""
    for key, value in defaults.items():
        if isinstance(value, dict):
            if isinstance(into.get(key, {}), dict):
                _fill(into.setdefault(key, {}), value)
        elif key not in into:
            into[key] = value
    return into


def _row(token: str) -> int:
    if not _ROW.fullmatch(token):
        raise _Outside
    index = 0
    for letter in token.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _col(token: str) -> int:
    if not _COL.fullmatch(token) or int(token) == 0:
        raise _Outside
    return int(token) - 1


@lru_cache(maxsize=4096)  # the same few hundred well names recur in every layout
def _cell(token: str) -> Cell:
    match = _WELL.fullmatch(token)
    if match is None:
        raise _Outside
    return _row(match.group(1)), _col(match.group(2))


def _each(pattern: str, parse) -> list:
    """The indices a plain name or comma list names (ranges and ellipses are wellmap's)."""
    return [parse(token) for token in pattern.split(",")]


def _by_index(table: dict, parse) -> dict[int, dict]:
    """[row.*] or [col.*] fields per index, later patterns overriding earlier ones."""
    merged: dict[int, dict] = {}
    for pattern, fields in table.items():
        for index in _each(pattern, parse):
            merged.setdefault(index, {}).update(fields)
    return merged


def _span(indices: list[int]) -> range:
    return range(min(indices), max(indices) + 1) if indices else range(0)


def _wells(config: dict) -> dict[Cell, dict]:
    """Every well the tables name, with its fields by wellmap's precedence."""
    wells: dict[Cell, dict] = {}
    for pattern, fields in (config.get("well") or {}).items():
        for cell in _each(pattern, _cell):
            wells.setdefault(cell, {}).update(fields)

    blocks: dict[Cell, list[tuple[int, dict]]] = {}
    for size, corners in (config.get("block") or {}).items():
        match = _SIZE.fullmatch(size)
        if match is None:
            raise _Outside
        width, height = int(match.group(1)), int(match.group(2))
        if width == 0 or height == 0:
            raise _Outside
        area = width * height
        for pattern, fields in corners.items():
            entry = (area, fields)
            for i0, j0 in _each(pattern, _cell):
                for i in range(i0, i0 + height):
                    for j in range(j0, j0 + width):
                        # kept smaller first, and before a block of its size named earlier:
                        # a later block of the same size wins, as in wellmap
                        insort_left(blocks.setdefault((i, j), []), entry, key=_AREA)
                        wells.setdefault((i, j), {})

    rows = _by_index(config.get("row") or {}, _row)
    cols = _by_index(config.get("col") or {}, _col)
    row_span = _span([i for i, _ in wells] + list(rows))
    col_span = _span([j for _, j in wells] + list(cols))
    if (rows and not col_span) or (cols and not row_span):
        raise _Outside  # wellmap: rows without columns define no well
    for i in rows:
        for j in col_span:
            wells.setdefault((i, j), {})
    for i in row_span:
        for j in cols:
            wells.setdefault((i, j), {})
    if not wells:
        raise _Outside  # wellmap: "No wells defined."

    # a well's fields: its own [well] tables, then its blocks (smaller first), its row, its
    # column and [expt]; wells without [well] fields that draw on the same tables share one
    # record, filled once (a replicate block's wells, a row's wells)
    expt = config.get("expt") or {}
    shared: dict[tuple[int, ...], dict] = {}
    for (i, j), fields in wells.items():
        sources = [block for _area, block in blocks.get((i, j), ())]
        sources += (rows.get(i, _NONE), cols.get(j, _NONE), expt)
        if fields:  # its own [well] fields: a record of its own
            for source in sources:
                _fill(fields, source)
            continue
        key = tuple(map(id, sources))
        if key not in shared:
            shared[key] = _merged(sources)
        wells[(i, j)] = shared[key]
    return wells


def _merged(sources: list[dict]) -> dict:
    """A well's fields, each from the first of ``sources`` that gives it (fields hold no
    tables: ``check_document`` refuses them)."""
    record: dict = {}
    for source in sources:
        for key, value in source.items():
            record.setdefault(key, value)
    return record


def _row_name(i: int) -> str:
    name = ""
    while i >= 0:
        name = chr(ord("A") + i % 26) + name
        i = i // 26 - 1
    return name


def _plate_wells(wells: dict[Cell, dict]) -> PlateWells:
    """The wells in wellmap's order, with every field name in wellmap's order of columns."""
    records = list(wells.values())
    distinct = list({id(record): record for record in records}.values())
    fields = list(dict.fromkeys(name for record in distinct for name in record))
    integers = [v for record in distinct for v in record.values() if isinstance(v, int)]
    if any(abs(v) >= _EXACT_INT for v in integers):
        raise _Outside
    row_names = {i: _row_name(i) for i in {i for i, _ in wells}}
    return PlateWells(
        names=[f"{row_names[i]}{j + 1}" for i, j in wells],
        rows=[i for i, _ in wells],
        cols=[j for _, j in wells],
        records=records,
        fields=fields,
    )
