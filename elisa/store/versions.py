"""Keeping processed plates in the store: versions, idempotence, masks, re-processing (DESIGN 7).

A plate's identity is (plate_id, analyte). The same inputs, settings, masks and software
version add nothing; anything else adds a version, and the newest processed is current (going
back to earlier settings makes that earlier version current again).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from elisa._version import __version__
from elisa.config import Config, config_from_bytes
from elisa.results import Results
from elisa.store.database import Store, StoreError, utc_now
from elisa.store.plate_rows import PlateRows, plate_provenance
from elisa.store.replacement import audit_replacements, pending_replacements, refuse_unintended


@dataclass(frozen=True)
class RunOptions:
    """The settings of an `elisa run` besides its files, kept so a plate can be re-processed."""

    analyte: str | None = None
    fmt: str | None = None
    wavelength: int | None = None
    reference: int | None = None
    layout_from_export: bool = False


@dataclass(frozen=True)
class Recorded:
    """What recording one plate did: added a version, or found it already stored."""

    plate_id: str
    analyte: str
    version: int
    added: bool
    became_current: bool


@dataclass(frozen=True)
class RunInputs:
    """Bytes of every input of a processing call, by the path string it was given as."""

    files: dict[str, bytes] = field(default_factory=dict)
    config_bytes: bytes | None = None
    config_name: str | None = None


def read_inputs(results: Results, config: Config) -> RunInputs:
    """The bytes of the inputs named in the provenance, checked against their SHA-256."""
    files: dict[str, bytes] = {}
    exports = results.provenance["inputs"]["exports"]
    layouts = {
        p: i for p, i in results.provenance["inputs"]["layouts"].items() if p not in exports
    }  # a carried layout is named after its export: no file
    wanted = [(p, i["sha256"]) for p, i in [*exports.items(), *layouts.items()]]
    for path, sha in wanted:
        data = Path(path).read_bytes() if Path(path).is_file() else b""
        if hashlib.sha256(data).hexdigest() != sha:
            continue  # a carried layout has no file; an export changed since is caught below
        files[path] = data
    config_bytes = config.source.read_bytes() if config.source else None
    return RunInputs(files, config_bytes, str(config.source) if config.source else None)


def fingerprint(
    plate: dict, fmt: str, config_sha: str | None, options: RunOptions, masks: dict[str, str]
) -> str:
    """What makes a version: inputs' hashes, the settings as resolved (canonical analyte, the
    wavelengths used, the format read), recorded masks and the software version — so the same
    settings spelled differently (an alias, the default wavelength given) add nothing."""
    key = {
        "source": plate["source_sha256"],
        "layout": plate["layout_sha256"],
        "layout_plate": plate["layout_plate"],
        "config": config_sha,
        "analyte": plate["analyte"],
        "wavelength_nm": plate["wavelength_nm"],
        "reference_nm": plate["reference_nm"],
        "format": fmt,
        "layout_from_export": options.layout_from_export,
        "masks": dict(sorted(masks.items())),
        "software": __version__,
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def record_results(
    store: Store,
    results: Results,
    inputs: RunInputs,
    options: RunOptions,
    masks: dict[str, dict[str, str]] | None = None,
    action: str = "run",
    replace: str | None = None,
    advance: Callable[[], None] | None = None,
) -> list[Recorded]:
    """Store every plate of ``results`` together (one transaction, or a savepoint inside the
    caller's); returns what happened per plate. A plate whose reads differ from the stored plate
    of the same (plate_id, analyte) is refused unless ``replace`` gives the reason (audited).
    ``advance`` is called after each plate (a progress bar's step)."""
    masks = masks or {}
    outcomes = []
    with store.atomic():
        replacements = pending_replacements(store, results)
        refuse_unintended(replacements, replace)
        if replace:
            audit_replacements(store, replacements, replace)
        rows = PlateRows(results)  # every table split by plate once, not once per plate
        config_sha = None
        if inputs.config_bytes is not None:
            config_sha = store.put_blob(inputs.config_bytes, "config", inputs.config_name or "")
        for plate in results.provenance["plates"]:
            source = inputs.files.get(plate["source_file"])
            if source is None or hashlib.sha256(source).hexdigest() != plate["source_sha256"]:
                raise StoreError(
                    "the export changed or vanished while it was processed; run again",
                    file=plate["source_file"],
                )
            store.put_blob(source, "export", plate["source_file"])
            layout = inputs.files.get(plate["layout"])
            if layout is not None:
                store.put_blob(layout, "layout", plate["layout"])
            outcomes.append(
                _record_plate(
                    store,
                    results,
                    rows,
                    plate,
                    config_sha,
                    options,
                    masks.get(plate["plate_id"], {}),
                    action,
                )
            )
            if advance is not None:
                advance()
    return outcomes


def _record_plate(
    store: Store,
    results: Results,
    rows: PlateRows,
    plate: dict,
    config_sha: str | None,
    options: RunOptions,
    masks: dict[str, str],
    action: str,
) -> Recorded:
    plate_id, analyte = plate["plate_id"], plate["analyte"]
    fmt = results.provenance["inputs"]["exports"][plate["source_file"]]["format"]
    fp = fingerprint(plate, fmt, config_sha, options, masks)
    conn = store.conn
    existing = conn.execute(
        "SELECT id, version FROM plate_versions WHERE plate_id = ? AND "
        "analyte = ? AND fingerprint = ?",
        (plate_id, analyte, fp),
    ).fetchone()
    current = conn.execute(
        "SELECT version_id FROM current_versions WHERE plate_id = ? AND analyte = ?",
        (plate_id, analyte),
    ).fetchone()
    if existing is not None:
        became_current = current is None or current["version_id"] != existing["id"]
        if became_current:
            conn.execute(
                "UPDATE current_versions SET version_id = ? WHERE plate_id = ? AND analyte = ?",
                (existing["id"], plate_id, analyte),
            )
            store.audit(
                f"{action}: earlier version made current",
                {"fingerprint": fp},
                plate_id=plate_id,
                analyte=analyte,
                version=existing["version"],
            )
        else:
            store.audit(
                f"{action}: unchanged, nothing added",
                {"fingerprint": fp},
                plate_id=plate_id,
                analyte=analyte,
                version=existing["version"],
            )
        return Recorded(plate_id, analyte, existing["version"], False, became_current)
    run = rows.run(plate_id, analyte)
    number = conn.execute(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM plate_versions WHERE "
        "plate_id = ? AND analyte = ?",
        (plate_id, analyte),
    ).fetchone()[0]
    now = utc_now()
    cursor = conn.execute(
        "INSERT INTO plate_versions (plate_id, analyte, version, fingerprint, created_utc, "
        "run_date, lot, source_file, source_sha256, layout_file, layout_sha256, config_sha256, "
        "options_json, masks_json, verdict, reasons, warnings, intra_cv_pct, software_version, "
        "tables_json, provenance_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?)",
        (
            plate_id,
            analyte,
            number,
            fp,
            now,
            plate["run_date"],
            run["lot"],
            plate["source_file"],
            plate["source_sha256"],
            plate["layout"],
            plate["layout_sha256"],
            config_sha,
            json.dumps(asdict(options), sort_keys=True),
            json.dumps(masks, sort_keys=True),
            run["verdict"],
            run["reasons"],
            run["warnings"],
            run["intra_cv_pct"],
            __version__,
            rows.tables_json(plate_id, analyte),
            json.dumps(plate_provenance(results.provenance, plate), default=str),
        ),
    )
    store.checkpoint("version")
    conn.execute(
        "INSERT INTO current_versions (plate_id, analyte, version_id, "
        "first_processed_utc) VALUES (?, ?, ?, ?) ON CONFLICT (plate_id, analyte) DO "
        "UPDATE SET version_id = excluded.version_id",
        (plate_id, analyte, cursor.lastrowid, now),
    )
    store.checkpoint("current")
    store.audit(
        f"{action}: version {number} added",
        {"fingerprint": fp, "verdict": run["verdict"], "reasons": run["reasons"], "masks": masks},
        plate_id=plate_id,
        analyte=analyte,
        version=number,
    )
    return Recorded(plate_id, analyte, number, True, True)


def all_recorded_masks(
    store: Store, keys: list[tuple[str, str]] | None = None
) -> dict[str, dict[str, str]]:
    """Masks in force by plate id (for every plate, or the given (plate_id, analyte) keys)."""
    masks: dict[str, dict[str, str]] = {}
    wanted = set(keys) if keys is not None else None
    for row in store.conn.execute(
        "SELECT plate_id, analyte, well, action, reason FROM masks ORDER BY id"
    ):
        if wanted is not None and (row["plate_id"], row["analyte"]) not in wanted:
            continue
        plate = masks.setdefault(row["plate_id"], {})
        if row["action"] == "mask":
            plate[row["well"]] = row["reason"]
        else:
            plate.pop(row["well"], None)
    return {plate: wells for plate, wells in masks.items() if wells}


def reprocess(store: Store, plate_id: str, analyte: str) -> tuple[Results, RunInputs, RunOptions]:
    """Process a stored plate's export again from its stored bytes and settings, with the masks
    in force on every plate of that export; returns what `record_results` needs."""
    from elisa.pipeline import process  # deferred: the store opens without the fitting stack

    version = store.current_version(plate_id, analyte)
    options = RunOptions(**json.loads(version.options_json))
    files = {version.source_file: store.blob(version.source_sha256)}
    layout = None
    if not options.layout_from_export:
        layout = version.layout_file
        files[layout] = store.blob(version.layout_sha256)
    config, config_bytes, config_name = Config(), None, None
    if version.config_sha256:
        config_bytes = store.blob(version.config_sha256)
        config_name = store.blob_name(version.config_sha256)
        config = config_from_bytes(config_bytes, Path(config_name))
    results = process(
        [version.source_file],
        layout,
        analyte=options.analyte,
        config=config,
        fmt=options.fmt,
        wavelength=options.wavelength,
        reference=options.reference,
        layout_from_export=options.layout_from_export,
        masks=all_recorded_masks(store),
        sources=files,
        default_run_date=version.run_date,
    )
    return results, RunInputs(files, config_bytes, config_name), options
