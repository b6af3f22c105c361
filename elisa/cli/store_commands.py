"""`elisa mask`, `review`, `audit` and `qc`: commands over the run-history store."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from elisa.across_runs.status import CAUSE_MASK, CAUSE_REVIEW, refresh_statuses
from elisa.across_runs.tables import Scope, build_qc_report
from elisa.config import load_config
from elisa.errors import ElisaError
from elisa.files.csv_write import table_csv
from elisa.files.staging import write_files
from elisa.report.qc_report import render_qc_report
from elisa.store.annotations import mask_wells, review_plate
from elisa.store.database import DEFAULT_DB, open_store


def existing_store(args: argparse.Namespace):
    path = Path(args.db or DEFAULT_DB)
    if not path.is_file():
        raise ElisaError(
            "no store here: process plates with 'elisa run' first, or give --db", file=path
        )
    return open_store(path, user=getattr(args, "user", None))


def mask_command(args: argparse.Namespace) -> int:
    """Mask (or unmask) wells and re-process the plate as a new version; re-judge the series."""
    config = load_config(getattr(args, "config", None))
    with existing_store(args) as store:
        outcomes = mask_wells(store, args.plate_id, args.wells, args.reason, args.undo)
        refresh_statuses(store, config, {o.analyte for o in outcomes}, CAUSE_MASK)
    for o in outcomes:
        state = f"version {o.version} added" if o.added else f"version {o.version} is current"
        print(
            f"{o.plate_id} [{o.analyte}]: {'unmasked' if args.undo else 'masked'} "
            f"{', '.join(args.wells)}; {state}"
        )
    return 0


def review_command(args: argparse.Namespace) -> int:
    """Record a reviewer's decision on a plate's current version; re-judge the series (a review
    can change other runs' status too: an accepted run may complete a baseline)."""
    decision = "accept" if args.accept else "reject"
    config = load_config(getattr(args, "config", None))
    with existing_store(args) as store:
        versions = review_plate(store, args.plate_id, decision, args.reason)
        analytes = {analyte for _, analyte in store.plate_keys(args.plate_id)}
        refresh_statuses(store, config, analytes, CAUSE_REVIEW)
    print(f"{args.plate_id}: {decision}ed (version {', '.join(map(str, versions))})")
    return 0


def audit_command(args: argparse.Namespace) -> int:
    """Print the audit log, oldest first."""
    with existing_store(args) as store:
        rows = store.audit_log(args.plate)
    for row in rows:
        where = f" {row['plate_id']} [{row['analyte']}]" if row["plate_id"] else ""
        version = f" v{row['version']}" if row["version"] is not None else ""
        details = json.loads(row["details_json"])
        text = "; ".join(f"{k}={v}" for k, v in details.items() if v not in ("", [], {}, None))
        print(f"{row['time_utc']}  {row['user']}  {row['action']}{where}{version}  {text}")
    return 0


def qc_command(args: argparse.Namespace) -> int:
    """Write qc_runs.csv, qc_controls.csv, qc_rules.csv, qc_sigma.csv and qc_report.html (after
    storing the re-judged run statuses); exit 1 when something fails."""
    config = load_config(args.config)
    for option, value in (("--since", args.since), ("--until", args.until)):
        if value is not None:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise ElisaError(f"{option} {value!r}: expected a date as YYYY-MM-DD") from None
    if args.last is not None and args.last < 1:
        raise ElisaError(f"--last {args.last}: expected a number of runs ≥ 1")
    scope = Scope(args.analyte, args.since, args.until, args.lot, args.last)
    with existing_store(args) as store:
        report = build_qc_report(store, config, scope)
    files = {
        "qc_runs.csv": table_csv(report.runs).encode(),
        "qc_controls.csv": table_csv(report.controls).encode(),
        "qc_rules.csv": table_csv(report.rules).encode(),
        "qc_sigma.csv": table_csv(report.sigma).encode(),
        "qc_report.html": render_qc_report(report, scope).encode(),
    }
    write_files(files, args.out)
    out_of_spec = int(report.runs["out_of_spec"].astype(bool).sum()) if len(report.runs) else 0
    print(
        f"{len(report.runs)} run(s) in scope, {out_of_spec} out of spec; "
        f"written to {args.out}/ (open qc_report.html)"
    )
    return 1 if report.failed else 0
