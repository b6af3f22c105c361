"""What QC across runs reads of each current plate version, in one query per analyte.

The Westgard series needs, per run, a few columns, its wells and its controls' targets, and
its latest review. Reading whole versions would decode every plate's stored tables and its
provenance; SQLite picks the two parts out of the stored JSON instead, and the reviews come
with the same query.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from elisa.store.database import Store

_QUERY = (
    "SELECT v.id, v.plate_id, v.analyte, v.run_date, v.lot, v.verdict, v.reasons, v.warnings, "
    "v.intra_cv_pct, json_extract(v.tables_json, '$.wells') AS wells_json, "
    "json_extract(v.provenance_json, '$.plates[0].control_targets') AS targets_json, "
    "(SELECT r.decision FROM reviews r WHERE r.version_id = v.id ORDER BY r.id DESC LIMIT 1) "
    "AS review FROM current_versions c JOIN plate_versions v ON v.id = c.version_id "
    "WHERE c.analyte = ? ORDER BY v.run_date, c.first_processed_utc, v.plate_id"
)


@dataclass(frozen=True, kw_only=True)
class SeriesRow:
    """One current version as QC across runs reads it."""

    version_id: int
    plate_id: str
    analyte: str
    run_date: str
    lot: str | None
    verdict: str  # the plate's own verdict, before the Westgard codes
    reasons: str
    warnings: str
    intra_cv_pct: float | None
    review: str | None  # latest decision: "accept", "reject" or None
    wells: list[dict[str, Any]]  # the version's rows of wells.csv
    control_targets: dict[str, Any]  # control → the layout's target (conc and/or range)


def series_rows(store: Store, analyte: str) -> list[SeriesRow]:
    """The current versions of ``analyte`` in run order: run date, then first processing
    time (the order of `Store.current_versions`)."""
    return [
        SeriesRow(
            version_id=row["id"],
            plate_id=row["plate_id"],
            analyte=row["analyte"],
            run_date=row["run_date"],
            lot=row["lot"],
            verdict=row["verdict"],
            reasons=row["reasons"],
            warnings=row["warnings"],
            intra_cv_pct=row["intra_cv_pct"],
            review=row["review"],
            wells=json.loads(row["wells_json"]) if row["wells_json"] else [],
            control_targets=json.loads(row["targets_json"]) if row["targets_json"] else {},
        )
        for row in store.conn.execute(_QUERY, (analyte,))
    ]
