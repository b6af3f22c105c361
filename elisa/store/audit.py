"""Reading the audit log: every change to the store, oldest first (`elisa audit`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from elisa.store.database import Store, using_store


@dataclass(frozen=True)
class AuditEntry:
    """One audit entry: when (UTC, ISO 8601), who, what, on which plate version, with details."""

    time_utc: str
    user: str
    action: str
    plate_id: str | None
    analyte: str | None
    version: int | None
    software_version: str
    details: dict[str, Any]


def audit_log(
    db: Store | str | Path | None = None, plate_id: str | None = None
) -> list[AuditEntry]:
    """The audit log, oldest first; only one plate's entries when ``plate_id`` is given
    (`elisa audit`). ``db``: an open `Store` or an existing store's path (default
    ./elisa.sqlite)."""
    query = (
        "SELECT time_utc, user, action, plate_id, analyte, version, software_version, "
        "details_json FROM audit"
    )
    args: tuple = ()
    if plate_id is not None:
        query += " WHERE plate_id = ?"
        args = (plate_id,)
    entries = []
    with using_store(db) as store:
        for row in store.conn.execute(query + " ORDER BY id", args):
            fields = dict(row)
            details = json.loads(fields.pop("details_json"))
            entries.append(AuditEntry(**fields, details=details))
    return entries
