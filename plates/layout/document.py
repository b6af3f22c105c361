"""The layout TOML document checked before wellmap expands it (DESIGN 3.2).

wellmap ignores what it does not know: a misspelt table (``[blok.2x1.B5]``), a table nested in
a well's fields (``[block.2x1.B5.extra]``) or a key such as ``well`` would silently drop that
block's samples. Free-form fields (``operator = "JS"``) stay allowed as notes, but a near miss
of a known field is refused. It also expands every well of a block before any check, so
``[block.99999999999x1.A1]`` exhausts memory. Here every table and key is checked against what
a layout may hold (with a "did you mean" when a known name is close), every block and well
pattern against the largest plate, the nesting depth against the limit, and every
``[meta] include`` against the layout's folder (an included file must lie below it).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tomli

from plates.errors import LayoutError
from plates.layout.checks import EXPT_FIELDS, WELL_FIELDS
from plates.limits import InputLimits, check_file_size, toml_depth

__all__ = ["check_document", "parse_document"]

FIELDS = WELL_FIELDS + EXPT_FIELDS
#: tables whose keys are well patterns, each holding fields
PATTERN_TABLES = ("row", "col", "irow", "icol", "well")
TOP_TABLES = ("meta", "expt", "plate", "block", *PATTERN_TABLES)
PLATE_TABLES = ("expt", "block", *PATTERN_TABLES)
#: wellmap's own columns: as keys they would be silently dropped
RESERVED = ("well", "well0", "row", "col", "row_i", "col_j", "plate", "path")
META_KEYS = ("include", "concat", "path", "paths", "alert")
#: the largest plate: 32 rows (A-AF) by 48 columns
MAX_ROWS, MAX_COLS = 32, 48
_BLOCK = re.compile(r"^\s*(\d+)\s*x\s*(\d+)\s*$")
_TOKEN = re.compile(r"[A-Za-z]+|\d+")

Error = Callable[[str], LayoutError]


def parse_document(data: bytes, source: Path, limits: InputLimits) -> dict:
    """The parsed TOML of a layout's bytes; too large, not UTF-8, not TOML or nested too deeply
    is a LayoutError."""
    check_file_size(len(data), limits, LayoutError, source)
    try:
        doc = tomli.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise LayoutError("not a TOML layout (not UTF-8 text)", file=source) from None
    except tomli.TOMLDecodeError as exc:
        raise LayoutError(f"not valid TOML: {exc}", file=source) from None
    except RecursionError:
        doc = None
    if doc is None or toml_depth(doc) > limits.max_toml_depth:
        raise LayoutError(
            f"tables or arrays nested more than {limits.max_toml_depth} deep: not a layout",
            file=source,
        )
    return doc


def _unknown(what: str, name: str, known: tuple[str, ...], err: Error) -> LayoutError:
    """``unknown WHAT``, with the closest of ``known`` to ``name`` when one is near."""
    close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
    hint = f": did you mean {close[0]!r}?" if close else f" (expected one of {', '.join(known)})"
    return err(f"unknown {what}{hint}")


def _table_path(key: str, value: Any) -> str:
    """``key`` and its first nested tables, as a TOML header names them: blok.2x1.B5."""
    parts = [key]
    while isinstance(value, dict) and value and isinstance(next(iter(value.values())), dict):
        key, value = next(iter(value.items()))
        parts.append(key)
    return ".".join(parts)


def _row_index(letters: str) -> int:
    index = 0
    for ch in letters.upper():
        index = index * 26 + (ord(ch) - ord("A") + 1)
        if index > MAX_ROWS:
            break
    return index


def _check_pattern(table: str, pattern: str, err: Error) -> None:
    """Refuse a row letter or column number beyond the largest plate before wellmap expands
    the pattern (``A1,A3,...,A99999999`` would take minutes and gigabytes)."""
    for token in _TOKEN.findall(pattern):
        if token.isdigit():
            if table not in ("row", "irow") and (len(token) > 6 or int(token) > MAX_COLS):
                raise err(
                    f"[{table}.{pattern}]: column {token[:12]} is beyond any plate"
                    f" (at most {MAX_COLS} columns)"
                )
        elif table not in ("col", "icol") and _row_index(token) > MAX_ROWS:
            raise err(
                f"[{table}.{pattern}]: row {token[:12]!r} is beyond any plate"
                f" (at most {MAX_ROWS} rows, A-AF)"
            )


def _check_field_name(key: str, where: str, err: Error) -> None:
    """Free-form fields (``operator = "JS"``) are kept as notes; wellmap's own column names
    and near misses of a known field (``dillution``) are refused."""
    if key in FIELDS:
        return
    if key in RESERVED:
        raise err(
            f"{where}: {key!r} is not a field: a well's position comes from its table,"
            " e.g. [well.A1], [row.B] or [col.3]"
        )
    # near misses within tables reach the loader's own check (naming the well); top-level
    # keys never reach it (wellmap keeps them aside), so they are checked here
    close = difflib.get_close_matches(key.lower(), FIELDS, n=1, cutoff=0.8)
    if close and where == "the layout":
        raise err(f"{where}: unknown field {key!r}: did you mean {close[0]!r}?")


def _check_finite(key: str, value: Any, where: str, err: Error) -> None:
    """TOML's nan and inf are never a layout value; pandas would take nan as "not given" (a
    dilution of nan would silently become 1)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise err(f"{where}: {key} = {value} is not a number a layout may hold")


def _check_fields(where: str, fields: Any, err: Error) -> None:
    if not isinstance(fields, dict):
        raise err(f"[{where}] must be a table of fields (role, sample, ...), found {fields!r}")
    label = f"[{where}]"
    for key, value in fields.items():
        if isinstance(value, dict):
            raise err(f"unknown table [{where}.{key}]: a well's fields cannot hold a table")
        _check_finite(key, value, label, err)
        _check_field_name(key, label, err)


def _check_tables(
    doc: dict, where: str, allowed: tuple[str, ...], limits: InputLimits, err: Error
) -> None:
    prefix = f"{where}." if where else ""
    for key, value in doc.items():
        if key in allowed and isinstance(value, dict):
            if key == "expt":
                _check_fields(prefix + key, value, err)
            elif key == "block":
                _check_blocks(prefix, value, limits, err)
            elif key in PATTERN_TABLES:
                for pattern, fields in value.items():
                    _check_pattern(key, pattern, err)
                    _check_fields(f"{prefix}{key}.{pattern}", fields, err)
        elif isinstance(value, dict):
            raise _unknown(f"table [{prefix}{_table_path(key, value)}]", key, allowed, err)
        else:  # a field for every well (of the file or of the plate)
            _check_field_name(key, f"[{where}]" if where else "the layout", err)
            _check_finite(key, value, f"[{where}]" if where else "the layout", err)


def _check_blocks(prefix: str, blocks: dict, limits: InputLimits, err: Error) -> None:
    for size, wells in blocks.items():
        match = _BLOCK.match(size)
        if match is None:
            raise err(f"[{prefix}block.{size}]: expected a block size WIDTHxHEIGHT such as 2x1")
        width, height = (int(g) if len(g) < 12 else 10**12 for g in match.groups())
        if width * height > limits.max_block_wells:  # an empty block is wellmap's to refuse
            raise err(
                f"[{prefix}block.{size}]: a block of {width} x {height} wells is larger than"
                f" any plate (at most {limits.max_block_wells} wells)"
            )
        if not isinstance(wells, dict):
            raise err(f"[{prefix}block.{size}] must hold tables such as [{prefix}block.{size}.A1]")
        for pattern, fields in wells.items():
            _check_pattern("block", pattern, err)
            _check_fields(f"{prefix}block.{size}.{pattern}", fields, err)


def _include_paths(meta: dict) -> list[Any]:
    out: list[Any] = []
    for key in ("include", "concat"):
        value = meta.get(key)
        items = value.values() if isinstance(value, dict) else value
        if isinstance(items, (str, dict)):
            items = [items]
        for item in items or ():
            out.append(item.get("path") if isinstance(item, dict) else item)
    return out


def check_document(
    doc: dict, source: Path, limits: InputLimits, *, root: Path | None = None, _seen=None
) -> None:
    """Check the tables, keys and sizes of a layout document and of every file it includes;
    an included file must lie below ``root`` (the layout's folder)."""

    def err(message: str) -> LayoutError:
        return LayoutError(message, file=source)

    _check_tables(doc, "", TOP_TABLES, limits, err)
    plates = doc.get("plate", {})
    for name, plate in plates.items():
        if not isinstance(plate, dict):
            raise err(f"[plate.{name}] must be a table")
        _check_tables(plate, f"plate.{name}", PLATE_TABLES, limits, err)
    meta = doc.get("meta", {})
    if not isinstance(meta, dict):
        raise err("[meta] must be a table")
    for key in meta:
        if key not in META_KEYS:
            raise _unknown(f"key {key!r} in [meta]", key, META_KEYS, err)
    root = (root or source.parent).resolve()
    seen = _seen if _seen is not None else set()
    for item in _include_paths(meta):
        if not isinstance(item, str):
            raise err(f"[meta] include must name files, found {item!r}")
        target = (source.parent / item).resolve()
        if not target.is_relative_to(root):
            raise err(
                f"[meta] include {item!r} is outside the layout's folder: included files"
                " must lie in the layout's folder or below it"
            )
        if target in seen or not target.is_file():
            continue  # wellmap names a missing file; a cycle is checked once
        seen.add(target)
        check_file_size(target.stat().st_size, limits, LayoutError, target)
        data = target.read_bytes()
        check_document(parse_document(data, target, limits), target, limits, root=root, _seen=seen)
