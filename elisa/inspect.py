"""`elisa inspect` as a library call: what an export contains, and the layout it carries."""

from __future__ import annotations

from pathlib import Path

from elisa.errors import ElisaError
from plates.layout.loader import layout_toml as to_layout_toml
from plates.model import ExportFile
from plates.readers import read_export


def inspect_export(
    export_file: str | Path, fmt: str | None = None, *, layout_toml: str | Path | None = None
) -> ExportFile:
    """Read one export (format sniffed unless ``fmt`` is given) without processing it, and
    write the layout it carries as a wellmap file to ``layout_toml`` when asked (an error when
    the export carries none)."""
    export = read_export(export_file, fmt)
    if layout_toml is not None:
        write_carried_layout(export, layout_toml)
    return export


def write_carried_layout(export: ExportFile, target: str | Path) -> Path:
    """Write the layout(s) an export carries as one wellmap TOML file (one [plate.NAME] section
    per plate when there are several), staged then moved into place; returns the path."""
    carried = [p for p in export.plates if p.layout]
    if not carried:
        raise ElisaError(
            f"this {export.format} export carries no layout to write", file=export.path
        )
    if len(carried) > 1:
        text = "\n".join(
            _plate_section(p.name or f"p{i}", to_layout_toml(p.layout))
            for i, p in enumerate(carried, start=1)
        )
    else:
        text = to_layout_toml(carried[0].layout)
    target = Path(target)
    staged = target.with_name(f".{target.name}.partial")
    staged.write_text(
        f"# layout carried by {export.path.name} "
        f"(sha256 {export.sha256[:12]}); edit, then use with --layout\n" + text,
        encoding="utf-8",
    )
    staged.replace(target)
    return target


def _plate_section(name: str, text: str) -> str:
    """A one-plate layout's [well.X] tables nested under [plate.NAME] (wellmap's syntax)."""
    key = name if name.replace("-", "").replace("_", "").isalnum() else f'"{name}"'
    return f"[plate.{key}]\n" + text.replace("[well.", f"[plate.{key}.well.")
