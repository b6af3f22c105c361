"""What the app shows, read from the store: current runs with their Westgard outcome, one
plate's current version as tables, and its version history with what changed.

Nothing here judges anew: a stored version's tables are turned back into `Results` and given
the store's Westgard outcome by `with_westgard`, as `elisa run` does before writing runs.csv.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
import xarray as xr

from elisa.across_runs.status import with_westgard
from elisa.across_runs.tables import Scope
from elisa.config import Config
from elisa.errors import ElisaError
from elisa.results import TABLE_COLUMNS, Results
from elisa.store.database import Store
from elisa.store.history import plate_reviews, plate_versions
from elisa.store.plate_rows import table_records
from elisa.store.records import StoredVersion
from elisa.store.versions import all_recorded_masks

VERDICTS = ("pass", "fail")


@dataclass(frozen=True)
class RunFilters:
    """Filters of the runs list; dates are ISO 8601 (YYYY-MM-DD), inclusive."""

    analyte: str | None = None
    since: str | None = None
    until: str | None = None
    lot: str | None = None
    verdict: str | None = None
    out_of_spec: bool | None = None

    @classmethod
    def from_query(cls, query: dict[str, str]) -> RunFilters:
        """Filters from a query string; empty values mean no filter; bad values raise."""
        given = {k: v.strip() for k, v in query.items() if v and v.strip()}
        for key in ("since", "until"):
            if key in given:
                try:
                    dt.date.fromisoformat(given[key])
                except ValueError:
                    raise ElisaError(
                        f"{key} {given[key]!r}: expected a date as YYYY-MM-DD"
                    ) from None
        if given.get("verdict") not in (None, *VERDICTS):
            raise ElisaError(f"verdict {given['verdict']!r}: expected pass or fail")
        spec = given.get("out_of_spec", "").lower()
        if spec not in ("", "true", "false", "yes", "no", "1", "0"):
            raise ElisaError(f"out_of_spec {spec!r}: expected true or false")
        return cls(
            analyte=given.get("analyte"),
            since=given.get("since"),
            until=given.get("until"),
            lot=given.get("lot"),
            verdict=given.get("verdict"),
            out_of_spec=None if not spec else spec in ("true", "yes", "1"),
        )


def codes(text: Any) -> list[str]:
    """A ';'-joined code list as a list."""
    return [c for c in str(text or "").split(";") if c and c != "nan"]


def version_results(version: StoredVersion) -> Results:
    """A stored version's tables as `Results` (no plate data: nothing here needs the ODs'
    xarray form), provenance included."""
    frames = {
        name: pd.DataFrame(version.tables.get(name, []), columns=list(columns))
        for name, columns in TABLE_COLUMNS.items()
    }
    return Results(**frames, plates=xr.Dataset(), provenance=version.provenance)


def _judged_runs(store: Store, config: Config, versions: list[StoredVersion]) -> pd.DataFrame:
    """The runs rows of ``versions`` with out_of_spec, rules, verdict and reasons as the store's
    history judges them now."""
    rows = [row for v in versions for row in v.tables.get("runs", [])]
    runs = pd.DataFrame(rows, columns=list(TABLE_COLUMNS["runs"]), dtype=object)
    empty = {n: pd.DataFrame(columns=list(c)) for n, c in TABLE_COLUMNS.items() if n != "runs"}
    results = Results(**empty, runs=runs, plates=xr.Dataset())
    return with_westgard(results, store, config).runs


def _resolve_analyte(config: Config, name: str) -> str:
    try:
        return config.registry.resolve(name).name
    except ElisaError:
        return name  # an analyte the registry does not know: matched as written


def current_runs(store: Store, config: Config, filters: RunFilters) -> list[dict[str, Any]]:
    """Every current run that passes ``filters``, newest first (run date, then processing)."""
    analyte = _resolve_analyte(config, filters.analyte) if filters.analyte else None
    versions = store.current_versions(analyte)
    versions = [
        versions[i] for i in Scope(None, filters.since, filters.until, filters.lot).select(versions)
    ]
    if not versions:
        return []
    judged = _judged_runs(store, config, versions)
    out = []
    for version, run in zip(versions, judged.to_dict("records")):
        review = store.latest_review(version.id)
        entry = {
            "plate_id": version.plate_id,
            "analyte": version.analyte,
            "version": version.version,
            "run_date": version.run_date,
            "lot": version.lot,
            "verdict": run["verdict"],
            "out_of_spec": bool(run["out_of_spec"]) if run["out_of_spec"] is not None else False,
            "reasons": codes(run["reasons"]),
            "warnings": codes(run["warnings"]),
            "rules": codes(run["rules"]),
            "review": review.decision if review else None,
            "processed_utc": version.created_utc,
            "first_processed_utc": version.first_processed_utc,
        }
        if filters.verdict and entry["verdict"] != filters.verdict:
            continue
        if filters.out_of_spec is not None and entry["out_of_spec"] != filters.out_of_spec:
            continue
        out.append(entry)
    out.sort(key=lambda r: (r["run_date"] or "", r["first_processed_utc"] or ""), reverse=True)
    return out


@dataclass(frozen=True)
class PlateView:
    """One plate's current version as the plate page and its API show it."""

    version: StoredVersion
    results: Results  # the version's tables, runs judged with the store's history
    run: dict[str, Any]
    masks: dict[str, str]  # well → reason, masks recorded with 'elisa mask' in force
    history: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        """The API's answer: run row, curve, wells, samples, standards, masks, history."""
        curves = table_records(self.results.curves)
        return {
            "plate_id": self.version.plate_id,
            "analyte": self.version.analyte,
            "version": self.version.version,
            "run": {
                **self.run,
                "reasons": codes(self.run["reasons"]),
                "warnings": codes(self.run["warnings"]),
                "rules": codes(self.run["rules"]),
            },
            "curve": curves[0] if curves else None,
            "wells": table_records(self.results.wells),
            "samples": table_records(self.results.samples),
            "standards": table_records(self.results.standards),
            "reassay": table_records(self.results.reassay),
            "masks": self.masks,
            "history": self.history,
        }


def plate_view(store: Store, config: Config, plate_id: str, analyte: str) -> PlateView:
    """The current version of (plate_id, analyte); a StoreError when the store has none."""
    version = store.current_version(plate_id, analyte)
    results = version_results(version)
    results = with_westgard(results, store, config)
    run = table_records(results.runs)[0]
    run["out_of_spec"] = bool(run.get("out_of_spec"))
    masks = all_recorded_masks(store, [(plate_id, analyte)]).get(plate_id, {})
    return PlateView(version, results, run, masks, version_history(store, plate_id, analyte))


def version_history(store: Store, plate_id: str, analyte: str) -> list[dict[str, Any]]:
    """Every version, newest first, with what changed from the one before and its reviews."""
    versions = plate_versions(store, plate_id, analyte)
    reviews = plate_reviews(store, plate_id, analyte)
    current = store.current_version(plate_id, analyte).id
    out = []
    previous: StoredVersion | None = None
    for v in versions:
        out.append(
            {
                "version": v.version,
                "created_utc": v.created_utc,
                "verdict": v.verdict,
                "reasons": codes(v.reasons),
                "masks": json.loads(v.masks_json),
                "changes": changes(previous, v),
                "current": v.id == current,
                "reviews": [
                    {
                        "decision": r.decision,
                        "reason": r.reason,
                        "user": r.user,
                        "time_utc": r.time_utc,
                    }
                    for r in reviews
                    if r.version_id == v.id
                ],
            }
        )
        previous = v
    return out[::-1]


_INPUTS = (
    ("source_sha256", "export"),
    ("layout_sha256", "layout"),
    ("config_sha256", "configuration"),
    ("options_json", "run options"),
    ("software_version", "software version"),
)


def changes(before: StoredVersion | None, after: StoredVersion) -> list[str]:
    """What differs between two versions, in words (masks, inputs, verdict)."""
    if before is None:
        return ["first processing"]
    old, new = json.loads(before.masks_json), json.loads(after.masks_json)
    out = []
    added = sorted(set(new) - set(old))
    lifted = sorted(set(old) - set(new))
    if added:
        why = "; ".join(sorted({new[w] for w in added}))
        out.append(f"masked {', '.join(added)} ({why})")
    if lifted:
        out.append(f"unmasked {', '.join(lifted)}")
    out += [
        f"{label} changed"
        for attr, label in _INPUTS
        if getattr(before, attr) != getattr(after, attr)
    ]
    if before.verdict != after.verdict:
        out.append(f"verdict {before.verdict} → {after.verdict}")
    return out or ["processed again, same inputs"]
