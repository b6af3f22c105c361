"""`elisa mask`, `review`, `audit` and `qc`: commands over the run-history store."""

from __future__ import annotations

import argparse

from elisa.across_runs.qc_outputs import qc_across_runs
from elisa.across_runs.status import mask_and_rejudge, review_and_rejudge
from elisa.across_runs.tables import Scope
from elisa.cli.echo import echo
from elisa.store.audit import audit_log


def mask_command(args: argparse.Namespace) -> int:
    """Mask (or unmask) wells and re-process the plate as a new version; re-judge the series."""
    outcomes = mask_and_rejudge(
        args.db,
        args.plate_id,
        args.wells,
        args.reason,
        args.undo,
        user=args.user,
        config=getattr(args, "config", None),
    )
    for o in outcomes:
        state = f"version {o.version} added" if o.added else f"version {o.version} is current"
        echo(
            f"{o.plate_id} [{o.analyte}]: {'unmasked' if args.undo else 'masked'} "
            f"{', '.join(args.wells)}; {state}"
        )
    return 0


def review_command(args: argparse.Namespace) -> int:
    """Record a reviewer's decision on a plate's current version; re-judge the series."""
    decision = "accept" if args.accept else "reject"
    versions = review_and_rejudge(
        args.db,
        args.plate_id,
        decision,
        args.reason,
        user=args.user,
        config=getattr(args, "config", None),
    )
    echo(f"{args.plate_id}: {decision}ed (version {', '.join(map(str, versions))})")
    return 0


def audit_command(args: argparse.Namespace) -> int:
    """Print the audit log, oldest first."""
    for entry in audit_log(args.db, args.plate):
        where = f" {entry.plate_id} [{entry.analyte}]" if entry.plate_id else ""
        version = f" v{entry.version}" if entry.version is not None else ""
        text = "; ".join(
            f"{k}={v}" for k, v in entry.details.items() if v not in ("", [], {}, None)
        )
        echo(f"{entry.time_utc}  {entry.user}  {entry.action}{where}{version}  {text}")
    return 0


def qc_command(args: argparse.Namespace) -> int:
    """Write qc_runs.csv, qc_controls.csv, qc_rules.csv, qc_sigma.csv and qc_report.html (after
    storing the re-judged run statuses); exit 1 when something fails."""
    scope = Scope(args.analyte, args.since, args.until, args.lot, args.last)
    report = qc_across_runs(args.db, scope, out=args.out, config=args.config)
    out_of_spec = int(report.runs["out_of_spec"].astype(bool).sum()) if len(report.runs) else 0
    echo(
        f"{len(report.runs)} run(s) in scope, {out_of_spec} out of spec; "
        f"written to {args.out}/ (open qc_report.html)"
    )
    return 1 if report.failed else 0
