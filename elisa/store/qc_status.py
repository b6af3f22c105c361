"""Each run's verdict and out-of-spec status across runs, as last judged (issue 10).

One row per (plate_id, analyte): the verdict with `westgard_reject` when the run is out of spec,
the rule labels that fired, and where its Levey-Jennings limits came from. `elisa run`,
`review`, `mask` and `qc` re-judge the series and write what changed here, in one transaction
with the audit entries for it, so what `elisa qc` writes is what the store holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from elisa.store.database import Store, utc_now


@dataclass(frozen=True)
class RunStatus:
    """A run's standing across runs (verdict, reasons and warnings include the Westgard codes)."""

    plate_id: str
    analyte: str
    version_id: int
    verdict: str
    reasons: str
    warnings: str
    out_of_spec: bool
    rules: str  # rule labels, reject rules first, ";"-joined
    limits: str  # per control, where its LJ limits came from, e.g. "QC-low=baseline;..."


def stored_statuses(store: Store, analyte: str) -> dict[str, RunStatus]:
    """The stored status of every run of ``analyte`` by plate id."""
    rows = store.conn.execute(
        "SELECT plate_id, analyte, version_id, verdict, reasons, warnings, out_of_spec, rules, "
        "limits FROM qc_status WHERE analyte = ?",
        (analyte,),
    ).fetchall()
    return {
        r["plate_id"]: RunStatus(
            r["plate_id"],
            r["analyte"],
            r["version_id"],
            r["verdict"],
            r["reasons"],
            r["warnings"],
            bool(r["out_of_spec"]),
            r["rules"],
            r["limits"],
        )
        for r in rows
    }


def put_status(store: Store, status: RunStatus) -> None:
    """Write one run's status (inside the caller's transaction)."""
    store.conn.execute(
        "INSERT INTO qc_status (plate_id, analyte, version_id, verdict, reasons, warnings, "
        "out_of_spec, rules, limits, updated_utc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (plate_id, analyte) DO UPDATE SET version_id = excluded.version_id, "
        "verdict = excluded.verdict, reasons = excluded.reasons, warnings = excluded.warnings, "
        "out_of_spec = excluded.out_of_spec, rules = excluded.rules, limits = excluded.limits, "
        "updated_utc = excluded.updated_utc",
        (
            status.plate_id,
            status.analyte,
            status.version_id,
            status.verdict,
            status.reasons,
            status.warnings,
            int(status.out_of_spec),
            status.rules,
            status.limits,
            utc_now(),
        ),
    )
    store.checkpoint("qc_status")
