"""`elisa run`: process exports and write the outputs (`elisa.run.run_exports`)."""

from __future__ import annotations

import argparse

from elisa.cli.echo import echo
from elisa.run import run_exports
from elisa.units import conversion_lines


def run_command(args: argparse.Namespace) -> int:
    """Process, keep in the store (unless --no-db), write into --out, print a summary; exit 1
    when a plate failed or is out of spec."""
    outcome = run_exports(
        args.exports,
        args.layout,
        out=args.out,
        db=False if args.no_db else args.db,
        user=args.user,
        analyte=args.analyte,
        config=args.config,
        fmt=args.fmt,
        wavelength=args.wavelength,
        reference=args.reference,
        layout_from_export=args.layout_from_export,
        replace=args.replace,
    )
    results = outcome.results
    for line in conversion_lines(results.provenance):
        echo(f"unit: {line}")
    for run in results.runs.to_dict("records"):  # plain Python values, None when missing
        detail = f" ({run['reasons']})" if run["reasons"] else ""
        spec = f"; OUT OF SPEC: {run['rules']}" if run["out_of_spec"] is True else ""
        echo(f"{run['plate_id']} [{run['analyte']}]: {run['verdict']}{detail}{spec}")
    if len(results.reassay):
        echo(f"{len(results.reassay)} sample(s) to re-assay: see {outcome.out_dir / 'reassay.csv'}")
    stored = "" if outcome.store is None else f"; kept in {outcome.store}"
    echo(f"results written to {outcome.out_dir}/ (open report.html){stored}")
    return 1 if results.failed else 0
