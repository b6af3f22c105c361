"""`elisa inspect` as a library call: what an export contains, and the layout it carries."""

from __future__ import annotations

from pathlib import Path

from elisa.errors import ElisaError
from plates.layout.written import carried_layout_text
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
    per plate when there are several), with the unit the export states for its concentrations
    (`plates.layout.written`), staged then moved into place; returns the path."""
    carried = [p for p in export.plates if p.layout]
    if not carried:
        raise ElisaError(
            f"this {export.format} export carries no layout to write", file=export.path
        )
    text = carried_layout_text(export.plates)
    target = Path(target)
    staged = target.with_name(f".{target.name}.partial")
    staged.write_text(
        f"# layout carried by {export.path.name} "
        f"(sha256 {export.sha256[:12]}); edit, then use with --layout\n" + text,
        encoding="utf-8",
    )
    staged.replace(target)
    return target
