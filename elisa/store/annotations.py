"""Annotations on stored plates: masks (with re-processing) and reviewers' decisions."""

from __future__ import annotations

from pathlib import Path

from elisa.errors import ElisaError
from elisa.store.database import Store, using_store, utc_now
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
    db: Store | str | Path | None,
    plate_id: str,
    wells: list[str],
    reason: str,
    undo: bool = False,
    *,
    user: str | None = None,
) -> list[Recorded]:
    """Record (or lift) masks on wells of a stored plate and re-process it as a new version
    (`elisa mask`); returns what recording each analyte of the plate did.

    ``wells`` are names like "C5" or "c05"; ``reason`` is required. ``undo`` lifts masks recorded
    here before (a layout's own masks are changed in the layout). The mask entries, the new
    version and the audit entries are one transaction: all kept, or nothing. ``db`` is an open
    `Store` or the path of an existing one (default ./elisa.sqlite); ``user`` names the audit
    log's user when a path is given (default: login name).
    """
    if not reason.strip():
        raise ElisaError("a mask needs a reason (--reason TEXT)")
    names = _normalise_wells(wells)
    with using_store(db, user=user) as store:
        return _mask(store, plate_id, names, reason, undo)


def _mask(store: Store, plate_id: str, names: list[str], reason: str, undo: bool) -> list[Recorded]:
    action = "unmask" if undo else "mask"
    with store.atomic():  # read under the write lock: a concurrent run or mask cannot interleave
        keys = store.plate_keys(plate_id)
        in_force = all_recorded_masks(store, keys).get(plate_id, {})
        missing = [w for w in names if w not in in_force]
        if undo and missing:
            raise ElisaError(
                f"well(s) {', '.join(missing)} of plate {plate_id} carry no mask "
                "recorded with 'elisa mask' (a layout's own masks are changed in "
                "the layout)"
            )
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
            )
    return [o for o in outcomes if o.plate_id == plate_id]


def review_plate(
    db: Store | str | Path | None,
    plate_id: str,
    decision: str,
    reason: str,
    *,
    user: str | None = None,
) -> list[int]:
    """Record a reviewer's decision, "accept" or "reject" with a reason, on the current version
    of every analyte of a stored plate (`elisa review`); returns the version numbers reviewed.

    Acceptance lifts a Westgard rejection, never a failed verdict; a later version is unreviewed.
    ``db`` and ``user`` as for `mask_wells`.
    """
    if decision not in ("accept", "reject"):
        raise ElisaError("a review is --accept or --reject")
    if not reason.strip():
        raise ElisaError("a review needs a reason (--reason TEXT)")
    with using_store(db, user=user) as store:
        return _review(store, plate_id, decision, reason)


def _review(store: Store, plate_id: str, decision: str, reason: str) -> list[int]:
    keys = store.plate_keys(plate_id)
    versions = []
    with store.atomic():
        for _, analyte in keys:
            version = store.current_version(plate_id, analyte)
            store.conn.execute(
                "INSERT INTO reviews (plate_id, analyte, version_id, decision, "
                "reason, user, time_utc) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (plate_id, analyte, version.id, decision, reason, store.user, utc_now()),
            )
            store.audit(
                f"review: {decision}",
                {"reason": reason},
                plate_id=plate_id,
                analyte=analyte,
                version=version.version,
            )
            versions.append(version.version)
    return versions
