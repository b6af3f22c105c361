"""`elisa run`: process exports and write the outputs."""

from __future__ import annotations

import argparse
import sys

from elisa.errors import ElisaError
from elisa.output import write_outputs
from elisa.pipeline import process


def run_command(args: argparse.Namespace) -> int:
    """Process, write into --out, print a summary; exit 1 when a plate failed."""
    if args.layout_from_export and args.layout:
        raise ElisaError("give either --layout or --layout-from-export, not both")
    results = process(args.exports, args.layout, analyte=args.analyte, config=args.config,
                      fmt=args.fmt, wavelength=args.wavelength, reference=args.reference,
                      layout_from_export=args.layout_from_export)
    paths = write_outputs(results, args.out)
    for run in results.runs.itertuples(index=False):
        detail = f" ({run.reasons})" if run.reasons else ""
        print(f"{run.plate_id} [{run.analyte}]: {run.verdict}{detail}")
    n_reassay = len(results.reassay)
    if n_reassay:
        print(f"{n_reassay} sample(s) to re-assay: see {paths[0].parent / 'reassay.csv'}")
    print(f"results written to {paths[0].parent}/ (open report.html)", file=sys.stdout)
    return 1 if results.failed else 0
