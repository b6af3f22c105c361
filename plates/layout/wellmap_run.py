"""Running ``wellmap`` on a parsed layout document (DESIGN 3.2).

wellmap reads files only, so the document is written back as TOML to a temporary folder: a
portable copy whose included paths are absolute and whose data paths are dropped. wellmap's
errors become LayoutError naming the original file.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd

from plates.errors import LayoutError

__all__ = ["run_wellmap", "toml_value"]


def toml_value(value: Any) -> str:
    """``value`` (as parsed by tomllib) written back as TOML; tables become inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value > 0 else "-inf")
            if math.isinf(value)
            else repr(value)
        )
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{toml_value(str(k))} = {toml_value(v)}" for k, v in value.items())
            + "}"
        )
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _portable(doc: dict, source: Path, plate: str | None) -> dict:
    """A copy of ``doc`` that loads from another folder: included paths made absolute, data
    paths dropped (the export is given separately), only ``plate`` kept among [plate.*].

    Only the tables changed are copied (shallowly): ``doc`` itself is never modified.
    """
    doc = dict(doc)
    meta = doc.get("meta")
    if isinstance(meta, dict):
        meta = doc["meta"] = dict(meta)
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
                meta[key] = (
                    {k: absolute(v) for k, v in value.items()}
                    if key == "concat" and isinstance(value, dict)
                    else absolute(value)
                )
    if plate is not None and isinstance(doc.get("plate"), dict):
        doc["plate"] = {plate: doc["plate"][plate]}
    return doc


def _plate_where(plate: str | None) -> str | None:
    return None if plate is None else f"[plate.{plate}]"


def run_wellmap(doc: dict, source: Path, plate: str | None) -> tuple[pd.DataFrame, dict]:
    """Run ``wellmap.load`` on (a portable copy of) the document; errors become LayoutError."""
    import wellmap  # deferred: wellmap loads matplotlib for its plotting module

    portable = _portable(doc, source, plate)
    with tempfile.TemporaryDirectory() as folder:
        copy_path = Path(folder) / source.name
        copy_path.write_text(
            "\n".join(f"{toml_value(str(k))} = {toml_value(v)}" for k, v in portable.items())
            + "\n",
            encoding="utf-8",
        )
        try:
            table, meta = wellmap.load(copy_path, meta=True, on_alert=lambda *_: None)
        except wellmap.LayoutError as exc:
            where = exc.toml_path if exc.toml_path and Path(exc.toml_path) != copy_path else None
            inside = f" (in {where})" if where else ""
            raise LayoutError(
                f"not a valid wellmap layout{inside}: {exc.message}",
                file=source,
                where=_plate_where(plate),
            ) from None
        except (tomllib.TOMLDecodeError, OSError, ValueError, KeyError, TypeError) as exc:
            text = str(exc).replace(str(copy_path), source.name)
            raise LayoutError(
                f"not a valid wellmap layout: {text}", file=source, where=_plate_where(plate)
            ) from None
    return table, dict(meta.extras)
