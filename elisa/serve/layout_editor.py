"""The layout editor's server side: painted wells (JSON) to a wellmap TOML layout, checked by
the same loader `elisa run` uses, so a layout the editor hands out always loads.
"""

from __future__ import annotations

import re
from typing import Any

from plates.errors import LayoutError
from plates.layout.checks import EXPT_FIELDS, ROLES
from plates.layout.loader import layout_toml, load_layout
from plates.wells import format_well, parse_well

EDITOR_FIELDS = ("role", "sample", "conc", "dilution")
NUMERIC = frozenset({"conc", "dilution"})
EDITOR_NAME = "layout-editor.toml"  # how errors name the layout being edited


def _number(well: str, key: str, value: Any) -> float | int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise LayoutError(f"{key} {value!r} is not a number", where=f"well {well}") from None
    return int(number) if number.is_integer() and key == "dilution" else number


def layout_from_json(body: dict[str, Any]) -> str:
    """``{"wells": {"A1": {"role": "standard", "conc": 1000}, ...}, "expt": {...}}`` as wellmap
    TOML (one [well.X] table per painted well, rows then columns); a LayoutError names the
    first well or field that is wrong."""
    wells = body.get("wells")
    expt = body.get("expt") or {}
    if not isinstance(wells, dict) or not isinstance(expt, dict):
        raise LayoutError('expected {"wells": {WELL: {...}}, "expt": {...}}', file=EDITOR_NAME)
    clean: dict[tuple[int, int], dict[str, Any]] = {}
    for name, fields in wells.items():
        try:
            row, col = parse_well(str(name))
        except ValueError:
            raise LayoutError(f"{name!r} is not a well name", file=EDITOR_NAME) from None
        if not isinstance(fields, dict):
            raise LayoutError("expected a table of fields", file=EDITOR_NAME, where=f"well {name}")
        if fields.get("role") not in ROLES:
            raise LayoutError(
                f"role {fields.get('role')!r}: expected one of {', '.join(ROLES)}",
                file=EDITOR_NAME,
                where=f"well {name}",
            )
        kept: dict[str, Any] = {}
        for key in EDITOR_FIELDS:
            value = fields.get(key)
            if value in (None, ""):
                continue
            kept[key] = _number(name, key, value) if key in NUMERIC else str(value).strip()
        clean[(row, col)] = kept
    header = {k: str(v).strip() for k, v in expt.items() if k in EXPT_FIELDS and str(v).strip()}
    ordered = {format_well(r, c): clean[(r, c)] for r, c in sorted(clean)}
    text = "# wellmap layout made with the elisa serve layout editor\n" + layout_toml(
        ordered, header
    )
    text = re.sub(r"\n{3,}", "\n\n", text)
    load_layout(EDITOR_NAME, data=text.encode("utf-8"))  # raises LayoutError when it is wrong
    return text
