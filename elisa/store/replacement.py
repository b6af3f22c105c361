"""Replacing a stored plate only on purpose (issue 9, DESIGN 7).

A plate's identity in the store is (plate_id, analyte). Processing the same export again with
other settings adds a version; an export whose *data* differ from the stored current version's
(another plate given the same id, a re-read) is refused unless the user names a reason to replace
it (`elisa run ... --replace REASON`), which is audited. "Data" are the raw reads of the plate's
wells at the measurement wavelength and their saturation: an export re-saved or renamed with the
same reads is the same plate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from elisa.results import Results
from elisa.store.database import Store, StoreError


@dataclass(frozen=True)
class Replacement:
    """A plate of a new run whose reads differ from those of the stored current version."""

    plate_id: str
    analyte: str
    stored_file: str
    stored_sha256: str
    stored_version: int
    new_file: str
    new_sha256: str


def _reads(rows: list[dict]) -> dict[str, tuple[float | None, bool]]:
    """Well → (raw OD or None, saturated) from wells.csv rows."""
    out = {}
    for row in rows:
        od = row.get("od_raw")
        od = None if od is None or (isinstance(od, float) and math.isnan(od)) else float(od)
        out[str(row["well"])] = (od, bool(row.get("saturated")))
    return out


def pending_replacements(store: Store, results: Results) -> list[Replacement]:
    """Plates of ``results`` that would replace stored plates holding other reads."""
    found = []
    for plate in results.provenance["plates"]:
        plate_id, analyte = plate["plate_id"], plate["analyte"]
        try:
            current = store.current_version(plate_id, analyte)
        except StoreError:  # not stored yet
            continue
        if current.source_sha256 == plate["source_sha256"]:
            continue
        wells = results.wells[results.wells["plate_id"] == plate_id]
        if _reads(wells.to_dict("records")) == _reads(current.tables["wells"]):
            continue
        found.append(
            Replacement(
                plate_id,
                analyte,
                current.source_file,
                current.source_sha256,
                current.version,
                plate["source_file"],
                plate["source_sha256"],
            )
        )
    return found


def refuse_unintended(replacements: list[Replacement], reason: str | None) -> None:
    """A one-line StoreError for the first replacement when no ``reason`` is given."""
    if not replacements or reason:
        return
    raise refusal(replacements[0], len(replacements) - 1)


def refusal(r: Replacement, more: int = 0) -> StoreError:
    """The one-line error refusing replacement ``r`` (``more``: how many others are refused)."""
    others = f" (and {more} more plate(s))" if more else ""
    return StoreError(
        f"plate {r.plate_id!r} ({r.analyte}) is stored from {r.stored_file} (version "
        f"{r.stored_version}) and this export holds different data under the same id{others}: "
        "give it another [expt] plate_id, or replace the stored plate on purpose with "
        "'elisa run ... --replace REASON'",
        file=r.new_file,
    )


def audit_replacements(store: Store, replacements: list[Replacement], reason: str) -> None:
    """One audit line per replaced plate (inside the caller's transaction)."""
    for r in replacements:
        store.audit(
            "run: stored plate replaced",
            {
                "reason": reason,
                "replaced_file": r.stored_file,
                "replaced_sha256": r.stored_sha256,
                "replaced_version": r.stored_version,
                "new_file": r.new_file,
                "new_sha256": r.new_sha256,
            },
            plate_id=r.plate_id,
            analyte=r.analyte,
        )
