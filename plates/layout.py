"""Plate layouts from wellmap TOML files (DESIGN 3.2).

``load_layout`` expands the file with ``wellmap`` and validates every well's fields. Each
``[plate.NAME]`` is expanded on its own: wellmap 3.5 keeps only the columns of the last plate
when it stacks several, which would silently drop fields such as ``conc`` or ``mask``.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import hashlib
import json
import math
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd
import wellmap

from plates.errors import LayoutError
from plates.wells import ROW_LETTERS, well_names

ROLES = ("standard", "blank", "control", "sample", "empty")
WELL_FIELDS = ("role", "conc", "conc_low", "conc_high", "sample", "dilution", "anchor", "mask")
EXPT_FIELDS = ("analyte", "plate_id", "date", "lot", "unit")
COLUMNS = ("well", "row", "col", "role", "conc", "conc_low", "conc_high", "sample", "dilution",
           "anchor", "mask")
_WELLMAP_COLUMNS = {"well", "well0", "row", "col", "row_i", "col_j", "plate", "path"}

__all__ = ["ROLES", "PlateLayout", "load_layout", "layout_for_plate", "carried_layout",
           "layout_toml"]


@dataclass(frozen=True, eq=False)
class PlateLayout:
    source: Path
    sha256: str                  # of the layout file's bytes
    plate: str | None            # the [plate.NAME] this is for, None without [plate.*]
    expt: Mapping[str, Any]      # analyte, plate_id, date, lot, unit: those that are given
    wells: pd.DataFrame          # one row per well, row-major; columns COLUMNS


# ---------------------------------------------------------------- reading the file with wellmap

def _toml(value: Any) -> str:
    """``value`` (as parsed by tomllib) written back as TOML; tables become inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") \
            if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml(str(k))} = {_toml(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _portable(doc: dict, source: Path, plate: str | None) -> dict:
    """A copy of ``doc`` that loads from another folder: included paths made absolute, data
    paths dropped (the export is given separately), only ``plate`` kept among [plate.*]."""
    doc = copy.deepcopy(doc)
    meta = doc.get("meta")
    if isinstance(meta, dict):
        meta.pop("path", None)
        meta.pop("paths", None)

        def absolute(item: Any) -> Any:
            if isinstance(item, str):
                return str((source.parent / item).resolve())
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                return {**item, "path": absolute(item["path"])}
            if isinstance(item, list):
                return [absolute(i) for i in item]
            return item

        for key in ("include", "concat"):
            if key in meta:
                value = meta[key]
                meta[key] = ({k: absolute(v) for k, v in value.items()}
                             if key == "concat" and isinstance(value, dict) else absolute(value))
    if plate is not None and isinstance(doc.get("plate"), dict):
        doc["plate"] = {plate: doc["plate"][plate]}
    return doc


def _plate_where(plate: str | None) -> str | None:
    return None if plate is None else f"[plate.{plate}]"


def _wellmap(doc: dict, source: Path, plate: str | None) -> tuple[pd.DataFrame, dict]:
    """Run ``wellmap.load`` on (a portable copy of) the document; errors become LayoutError."""
    portable = _portable(doc, source, plate)
    with tempfile.TemporaryDirectory() as folder:
        copy_path = Path(folder) / source.name
        copy_path.write_text("\n".join(f"{_toml(str(k))} = {_toml(v)}"
                                       for k, v in portable.items()) + "\n", encoding="utf-8")
        try:
            table, meta = wellmap.load(copy_path, meta=True, on_alert=lambda *_: None)
        except wellmap.LayoutError as exc:
            where = exc.toml_path if exc.toml_path and Path(exc.toml_path) != copy_path else None
            inside = f" (in {where})" if where else ""
            raise LayoutError(f"not a valid wellmap layout{inside}: {exc.message}",
                              file=source, where=_plate_where(plate)) from None
        except (tomllib.TOMLDecodeError, OSError, ValueError, KeyError, TypeError) as exc:
            text = str(exc).replace(str(copy_path), source.name)
            raise LayoutError(f"not a valid wellmap layout: {text}", file=source,
                              where=_plate_where(plate)) from None
    return table, dict(meta.extras)


# ---------------------------------------------------------------- checking values

def _given(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return False
    return not (isinstance(value, float) and math.isnan(value))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # pandas turns integer ids into floats when some wells lack one
    return str(value)


def _check_well(rec: dict, err) -> dict:
    """Validate one well's fields; return the normalised row values."""
    given = {f for f in WELL_FIELDS if _given(rec.get(f))}
    out: dict[str, Any] = {"role": "empty", "conc": math.nan, "conc_low": math.nan,
                           "conc_high": math.nan, "sample": None, "dilution": 1.0,
                           "anchor": False, "mask": None}
    if not given:
        return out
    allowed = ", ".join(ROLES)
    if "role" not in given:
        fields = ", ".join(sorted(given))
        raise err(f"has {fields} but no role: expected role = one of {allowed}")
    role = rec["role"]
    if not isinstance(role, str) or role.strip().lower() not in ROLES:
        raise err(f"unknown role {role!r}: expected one of {allowed}")
    role = out["role"] = role.strip().lower()

    for name in ("conc", "conc_low", "conc_high"):
        if name in given:
            value = rec[name]
            if not _is_number(value) or value < 0:
                raise err(f"{name} must be a number >= 0, found {value!r}")
            out[name] = float(value)
    if role == "standard" and "conc" not in given:
        raise err("a standard needs conc (its nominal concentration), e.g. conc = 100")
    if ("conc_low" in given) != ("conc_high" in given):
        have, lack = ("conc_low", "conc_high") if "conc_low" in given else ("conc_high", "conc_low")
        raise err(f"has {have} but no {lack}: give both ends of the control's acceptance range")
    if "conc_low" in given and out["conc_low"] > out["conc_high"]:
        raise err(f"conc_low ({out['conc_low']:g}) is above conc_high ({out['conc_high']:g})")
    if "dilution" in given:
        value = rec["dilution"]
        if not _is_number(value) or value <= 0:
            raise err(f"dilution must be a number > 0, found {value!r}")
        out["dilution"] = float(value)
    if "sample" in given:
        value = rec["sample"]
        if isinstance(value, (bool, list, dict)) or not _text(value).strip():
            raise err(f"sample must be an id (text), found {value!r}")
        out["sample"] = _text(value).strip()
    if role in ("sample", "control") and out["sample"] is None:
        what = "the control's name, e.g. sample = \"QC-low\"" if role == "control" \
            else "the sample id, e.g. sample = \"S001\""
        raise err(f"a {role} needs sample ({what})")
    if "anchor" in given:
        if not isinstance(rec["anchor"], bool):
            raise err(f"anchor must be true or false, found {rec['anchor']!r}")
        out["anchor"] = rec["anchor"]
    if "mask" in given:
        value = rec["mask"]
        if not isinstance(value, str) or not value.strip():
            raise err(f"mask must be a reason (non-empty text), found {value!r}")
        out["mask"] = value.strip()
    return out


def _iso_date(value: Any, err) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = str(value).strip()
    for parse in (dt.date.fromisoformat, dt.datetime.fromisoformat):
        try:
            parse(text)
            return text
        except ValueError:
            pass
    raise err(f"date must be an ISO 8601 date such as 2024-03-01, found {value!r}")


def _expt(table: pd.DataFrame, extras: dict, err) -> dict[str, Any]:
    expt: dict[str, Any] = {}
    for name in EXPT_FIELDS:
        values = [v for v in table[name]] if name in table.columns else []
        values = [v for v in values if _given(v)] or ([extras[name]] if name in extras else [])
        distinct = list(dict.fromkeys(_text(v) for v in values))
        if len(distinct) > 1:
            raise err(f"{name} differs between wells ({', '.join(distinct[:3])}); set it once"
                      " in [expt]")
        if values:
            value = values[0]
            expt[name] = _iso_date(value, err) if name == "date" else _text(value).strip()
    return expt


def _check_unknown(table: pd.DataFrame, err) -> None:
    known = WELL_FIELDS + EXPT_FIELDS
    for column in table.columns:
        if column in _WELLMAP_COLUMNS or column in known:
            continue
        close = difflib.get_close_matches(str(column).lower(), known, n=1, cutoff=0.8)
        if close:
            wells = [w for w, v in zip(table["well"], table[column]) if _given(v)]
            if wells:
                raise err(f"unknown field {column!r}: did you mean {close[0]!r}?", wells[0])


def _build(table: pd.DataFrame, extras: dict, source: Path, sha: str, plate: str | None,
           n_rows: int, n_cols: int) -> PlateLayout:
    prefix = f"[plate.{plate}] " if plate is not None else ""

    def err(message: str, well: str | None = None) -> LayoutError:
        where = (prefix + (f"well {well}" if well else "")).strip() or None
        return LayoutError(message, file=source, where=where)

    _check_unknown(table, err)
    last = ROW_LETTERS[n_rows - 1]
    names = well_names(n_rows, n_cols)
    rows = {name: None for name in names}
    for rec in table.to_dict("records"):
        well = str(rec["well"])
        r, c = int(rec["row_i"]), int(rec["col_j"])
        if r >= n_rows or c >= n_cols:
            raise err(f"well {well} is off the plate: a {n_rows * n_cols}-well plate has rows"
                      f" A-{last} and columns 1-{n_cols}", well)
        rows[names[r * n_cols + c]] = _check_well(rec, lambda m, w=well: err(m, w))
    records = []
    for i, name in enumerate(names):
        values = rows[name] or _check_well({}, None)
        records.append({"well": name, "row": ROW_LETTERS[i // n_cols], "col": i % n_cols + 1,
                        **values})
    wells = pd.DataFrame({
        name: pd.Series([rec[name] for rec in records], dtype=dtype)
        for name, dtype in zip(COLUMNS, (object, object, "int64", object, "float64", "float64",
                                         "float64", object, "float64", bool, object))})
    return PlateLayout(source, sha, plate, MappingProxyType(_expt(table, extras, err)), wells)


# ---------------------------------------------------------------- public API

def load_layout(path: str | Path, n_rows: int = 8, n_cols: int = 12, *,
                data: bytes | None = None) -> dict[str | None, PlateLayout]:
    """One PlateLayout per ``[plate.NAME]`` (keyed NAME), or one keyed None.

    ``data``: the file's bytes when they come from elsewhere (the store); ``path`` names it.
    """
    source = Path(path)
    if data is None:
        if not source.exists():
            raise LayoutError("layout file not found", file=source)
        if not source.is_file():
            raise LayoutError("is not a file, expected a wellmap TOML layout", file=source)
        data = source.read_bytes()
    try:
        doc = tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise LayoutError("not a TOML layout (not UTF-8 text)", file=source) from None
    except tomllib.TOMLDecodeError as exc:
        raise LayoutError(f"not valid TOML: {exc}", file=source) from None
    return _load_document(doc, source, hashlib.sha256(data).hexdigest(), n_rows, n_cols)


def _load_document(doc: dict, source: Path, sha: str, n_rows: int, n_cols: int
                   ) -> dict[str | None, PlateLayout]:
    table, extras = _wellmap(doc, source, None)
    # plate names from the file itself: wellmap loses the plate column when a plate is empty
    own = list(doc["plate"]) if isinstance(doc.get("plate"), dict) else []
    found = list(dict.fromkeys(table["plate"])) if "plate" in table.columns else []
    names = own + [n for n in found if n not in own] or [None]
    layouts: dict[str | None, PlateLayout] = {}
    for name in names:
        if name in own:
            part, _ = _wellmap(doc, source, name)
            if "plate" in part.columns:
                part = part[part["plate"] == name]
        elif name is None:
            part = table
        else:
            part = table[table["plate"] == name]
        layouts[name] = _build(part, extras, source, sha, name, n_rows, n_cols)
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
    raise LayoutError(f"the layout has no [plate.*] section for {what}: its plates are {named}",
                      file=source)


def layout_toml(wells: Mapping[str, Mapping[str, Any]], expt: Mapping[str, Any] | None = None
                ) -> str:
    """A wellmap TOML text giving ``wells`` (well name → DESIGN 3.2 fields) and ``[expt]``."""
    lines = []
    if expt:
        lines.append("[expt]")
        lines += [f"{key} = {_toml(value)}" for key, value in expt.items() if _given(value)]
        lines.append("")
    for well, fields in wells.items():
        lines.append(f"[well.{well}]")
        lines += [f"{key} = {_toml(value)}" for key, value in fields.items() if _given(value)]
        lines.append("")
    return "\n".join(lines)


def carried_layout(wells: Mapping[str, Mapping[str, Any]], source: str | Path, n_rows: int,
                   n_cols: int, expt: Mapping[str, Any] | None = None) -> PlateLayout:
    """The layout an export carries (Gen5 Layout block, SoftMax Pro groups), validated like a
    layout file; ``source`` is the export it came from."""
    text = layout_toml(wells, expt)
    doc = tomllib.loads(text)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return _load_document(doc, Path(source), sha, n_rows, n_cols)[None]
