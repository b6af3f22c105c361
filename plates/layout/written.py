"""The layout an export carries, written as an editable wellmap TOML file (`elisa inspect
--layout-toml`).

The concentration unit the export states (SoftMax Pro group columns, SkanIt and SMART Control
layouts) goes into the file as ``unit``, so the written layout gives the same concentrations as
``--layout-from-export``: without it a layout in ng/mL would be read in the analyte's unit.
"""

from __future__ import annotations

from collections.abc import Sequence

from plates.layout.loader import layout_toml
from plates.layout.wellmap_run import toml_value
from plates.model import PlateRead


def carried_layout_text(plates: Sequence[PlateRead]) -> str:
    """wellmap TOML for the plates that carry a layout: one plate as ``[well.X]`` tables with
    ``[expt] unit``; several as ``[plate.NAME]`` sections, each with its own ``unit``."""
    carried = [p for p in plates if p.layout]
    if len(carried) == 1:
        plate = carried[0]
        unit = plate.metadata.get("conc_unit")
        return layout_toml(plate.layout, {"unit": unit} if unit else None)
    return "\n".join(
        _plate_section(p.name or f"p{i}", layout_toml(p.layout), p.metadata.get("conc_unit"))
        for i, p in enumerate(carried, start=1)
    )


def _plate_section(name: str, text: str, unit: str | None) -> str:
    """A one-plate layout's [well.X] tables nested under [plate.NAME] (wellmap's syntax);
    wellmap spreads the plate's ``unit`` over its wells, where it is read as the plate's unit."""
    key = name if name.replace("-", "").replace("_", "").isalnum() else f'"{name}"'
    head = f"[plate.{key}]\n" + (f"unit = {toml_value(unit)}\n" if unit else "")
    return head + text.replace("[well.", f"[plate.{key}.well.")
