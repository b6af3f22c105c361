"""Annotations on stored plates: masks (with re-processing) and reviewers' decisions."""

from __future__ import annotations

from elisa.errors import ElisaError
from elisa.store.database import Store, utc_now
from elisa.store.versions import Recorded, all_recorded_masks, record_results, reprocess
from plates.wells import format_well, parse_well


def _normalise_wells(wells: list[str]) -> list[str]:
    out = []
    for well in wells:
        try:
            row, col = parse_well(well)
        except ValueError:
            raise ElisaError(f"{well!r} is not a well name (expected e.g. A1 or H12)") from None
        out.append(format_well(row, col))
    return out


def mask_wells(
    store: Store, plate_id: str, wells: list[str], reason: str, undo: bool = False
) -> list[Recorded]:
    """Record (or lift) masks on a stored plate and re-process it as a new version.

    The mask entries, the new version and the audit entries are one transaction.
    """
    if not reason.strip():
        raise ElisaError("a mask needs a reason (--reason TEXT)")
    names = _normalise_wells(wells)
    keys = store.plate_keys(plate_id)
    in_force = all_recorded_masks(store, keys).get(plate_id, {})
    if undo:
        missing = [w for w in names if w not in in_force]
        if missing:
            raise ElisaError(
                f"well(s) {', '.join(missing)} of plate {plate_id} carry no mask "
                "recorded with 'elisa mask' (a layout's own masks are changed in "
                "the layout)"
            )
    action = "unmask" if undo else "mask"
    with store.transaction():
        for _, analyte in keys:
            for well in names:
                store.conn.execute(
                    "INSERT INTO masks (plate_id, analyte, well, action, reason, "
                    "user, time_utc) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (plate_id, analyte, well, action, reason, store.user, utc_now()),
                )
            store.audit(
                action, {"wells": names, "reason": reason}, plate_id=plate_id, analyte=analyte
            )
        store.checkpoint("masks")
        outcomes = []
        for _, analyte in keys:
            results, inputs, options = reprocess(store, plate_id, analyte)
            outcomes += record_results(
                store,
                results,
                inputs,
                options,
                all_recorded_masks(store),
                action=action,
                nested=True,
            )
    return [o for o in outcomes if o.plate_id == plate_id]


def review_plate(store: Store, plate_id: str, decision: str, reason: str) -> list[int]:
    """Record a reviewer's accept/reject of a plate's current version; returns the versions."""
    if decision not in ("accept", "reject"):
        raise ElisaError("a review is --accept or --reject")
    if not reason.strip():
        raise ElisaError("a review needs a reason (--reason TEXT)")
    keys = store.plate_keys(plate_id)
    versions = []
    with store.transaction():
        for _, analyte in keys:
            version = store.current_version(plate_id, analyte)
            store.conn.execute(
                "INSERT INTO reviews (plate_id, analyte, version_id, decision, "
                "reason, user, time_utc) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (plate_id, analyte, version["id"], decision, reason, store.user, utc_now()),
            )
            store.audit(
                f"review: {decision}",
                {"reason": reason},
                plate_id=plate_id,
                analyte=analyte,
                version=version["version"],
            )
            versions.append(version["version"])
    return versions
