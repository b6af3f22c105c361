"""What QC across runs reads of each current plate version, in one query per analyte.

The Westgard series needs, per run, a few columns, its control wells and its controls' targets,
and its latest review. Reading whole versions would decode every plate's stored tables and its
provenance; SQLite picks the parts out of the stored JSON instead (of the wells, only the control
wells: a few of a plate's 96), and the reviews come with the same query.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from elisa.store.database import Store

_QUERY = (
    "SELECT v.id, v.plate_id, v.analyte, v.run_date, v.lot, v.verdict, v.reasons, v.warnings, "
    "v.intra_cv_pct, (SELECT json_group_array(json_array(w.key, json(w.value))) "
    "FROM json_each(v.tables_json, '$.wells') AS w "
    "WHERE json_extract(w.value, '$.role') = 'control') AS controls_json, "
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
    control_wells: list[dict[str, Any]]  # the version's rows of wells.csv with role control
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
            control_wells=_in_well_order(row["controls_json"]),
            control_targets=json.loads(row["targets_json"]) if row["targets_json"] else {},
        )
        for row in store.conn.execute(_QUERY, (analyte,))
    ]


def _in_well_order(pairs_json: str | None) -> list[dict[str, Any]]:
    """The wells of ``[[index, well], ...]`` in the order of their index in the stored table
    (sorted here: SQLite does not promise the order in which json_group_array gathers)."""
    pairs = json.loads(pairs_json) if pairs_json else []
    return [well for _, well in sorted(pairs, key=lambda pair: pair[0])]
