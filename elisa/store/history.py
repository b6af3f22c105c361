"""A stored plate's history: every version and every review, oldest first (the review app's
version list)."""

from __future__ import annotations

from elisa.store.database import Store
from elisa.store.records import Review, StoredVersion


def plate_versions(store: Store, plate_id: str, analyte: str) -> list[StoredVersion]:
    """Every stored version of one plate, by version number."""
    rows = store.conn.execute(
        "SELECT * FROM plate_versions WHERE plate_id = ? AND analyte = ? ORDER BY version",
        (plate_id, analyte),
    )
    return [StoredVersion(**dict(row)) for row in rows]


def plate_reviews(store: Store, plate_id: str, analyte: str) -> list[Review]:
    """Every review of one plate (any version), oldest first."""
    rows = store.conn.execute(
        "SELECT plate_id, analyte, version_id, decision, reason, user, time_utc FROM reviews "
        "WHERE plate_id = ? AND analyte = ? ORDER BY id",
        (plate_id, analyte),
    )
    return [Review(**dict(row)) for row in rows]
