"""`elisa run`: process exports and write the outputs (`elisa.run.run_exports`)."""

from __future__ import annotations

import argparse
import sys

from elisa.batch.pairing import BadFile
from elisa.batch.progress import terminal_progress
from elisa.cli.echo import echo, visible
from elisa.cli.main import EXIT_BAD_INPUT
from elisa.run import run_exports
from elisa.units import conversion_lines


def run_command(args: argparse.Namespace) -> int:
    """Process, keep in the store (unless --no-db), write into --out, print a summary; exit 1
    when a plate failed or is out of spec, 2 when --keep-going left out a bad export."""
    progress = terminal_progress(sys.stderr, quiet=args.quiet)

    def report_bad(bad: BadFile) -> None:  # as found, above the progress bar
        progress.write(visible(f"elisa: error: {bad.line}"))

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
        keep_going=args.keep_going,
        on_bad_file=report_bad,
        progress=progress,
        dask=args.dask,
        workers=args.workers,
        chunk_size=args.chunk_size,
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
    if outcome.bad_files:
        echo(f"{len(outcome.bad_files)} bad export(s) left out: see the error lines on stderr")
        return EXIT_BAD_INPUT
    return 1 if results.failed else 0
