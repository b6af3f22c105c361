"""New plates from the browser: the uploaded export (and layout) processed into the store by
`run_exports`, exactly as `elisa run` would. A bad upload raises the command's one-line
message (naming the uploaded file, not the temporary folder) and writes nothing."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from elisa.run import run_exports
from elisa.serve.actions import ActionError
from elisa.serve.settings import ServeSettings
from elisa.store.database import StoreBusyError
from plates.errors import AssayError


def safe_name(name: str, fallback: str) -> str:
    """The uploaded file's own name without folders or odd characters (kept in provenance)."""
    base = re.sub(r"[^A-Za-z0-9._ -]", "_", Path(name.replace("\\", "/")).name).strip(" .")
    return base or fallback


def process_upload(
    settings: ServeSettings,
    export: tuple[str, bytes],
    layout: tuple[str, bytes] | None,
    *,
    layout_from_export: bool,
    analyte: str | None,
    user: str | None,
) -> str:
    """Process one uploaded export ((file name, bytes)) with its layout, or the layout it
    carries, into the store; returns what was recorded, in words."""
    if not export[1]:
        raise ActionError(400, "choose an export file to upload (the one given is empty)")
    if layout is None and not layout_from_export:
        raise ActionError(400, "give a layout file, or tick 'use the layout the export carries'")
    with tempfile.TemporaryDirectory(prefix="elisa-upload-") as tmp:
        folder = Path(tmp)
        export_path = folder / safe_name(export[0], "export.txt")
        export_path.write_bytes(export[1])
        layout_path = None
        if layout is not None:
            layout_path = folder / safe_name(layout[0], "layout.toml")
            if layout_path == export_path:
                layout_path = folder / f"layout-{layout_path.name}"
            layout_path.write_bytes(layout[1])
        try:
            outcome = run_exports(
                export_path,
                layout_path,
                out=folder / "outputs",
                db=settings.db,
                user=user or settings.user,
                analyte=analyte or None,
                config=settings.config,
                layout_from_export=layout_from_export,
            )
        except StoreBusyError as exc:
            raise ActionError(503, str(exc)) from None
        except AssayError as exc:
            raise ActionError(400, str(exc).replace(f"{folder}/", "")) from None
    verdicts = {(r.plate_id, r.analyte): r.verdict for r in outcome.results.runs.itertuples()}
    return "; ".join(
        f"{rec.plate_id} [{rec.analyte}]: {verdicts.get((rec.plate_id, rec.analyte), '?')}, "
        f"version {rec.version}" + ("" if rec.added else " (already stored)")
        for rec in outcome.recorded
    )
