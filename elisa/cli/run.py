"""`elisa run`: process exports and write the outputs."""

from __future__ import annotations

import argparse
from pathlib import Path

from elisa.config import load_config
from elisa.errors import ElisaError
from elisa.files.staging import prepare_output_folder, write_outputs
from elisa.pipeline import process
from elisa.store.database import DEFAULT_DB, open_store
from elisa.store.versions import RunOptions, all_recorded_masks, read_inputs, record_results


def run_command(args: argparse.Namespace) -> int:
    """Process, keep in the store (unless --no-db), write into --out, print a summary; exit 1
    when a plate failed or is out of spec."""
    if args.layout_from_export and args.layout:
        raise ElisaError("give either --layout or --layout-from-export, not both")
    config = load_config(args.config)
    options = RunOptions(
        args.analyte, args.fmt, args.wavelength, args.reference, args.layout_from_export
    )
    db = None if args.no_db else Path(args.db or DEFAULT_DB)
    masks = None
    if db is not None and db.exists() and not db.is_file():
        raise ElisaError("is not a store file (--db PATH)", file=db)
    if db is not None and db.is_file():
        with open_store(db, user=args.user) as store:
            masks = all_recorded_masks(store)
    results = process(
        args.exports,
        args.layout,
        analyte=args.analyte,
        config=config,
        fmt=args.fmt,
        wavelength=args.wavelength,
        reference=args.reference,
        layout_from_export=args.layout_from_export,
        masks=masks,
    )
    prepare_output_folder(args.out)  # an unusable --out fails before the store is touched
    if db is not None:  # only now: bad input never creates or touches a store
        from elisa.across_runs.status import CAUSE_RUN, refresh_statuses, with_statuses

        inputs = read_inputs(results, config)
        analytes = set(results.runs["analyte"])
        with open_store(db, user=args.user) as store, store.transaction():
            record_results(store, results, inputs, options, masks, nested=True)
            # the series re-judged (earlier runs may change: audited), kept, carried into runs.csv
            judged = refresh_statuses(store, config, analytes, CAUSE_RUN, nested=True)
        results = with_statuses(results, judged)
    paths = write_outputs(results, args.out)
    for run in results.runs.itertuples(index=False):
        detail = f" ({run.reasons})" if run.reasons else ""
        spec = f"; OUT OF SPEC: {run.rules}" if run.out_of_spec is True else ""
        print(f"{run.plate_id} [{run.analyte}]: {run.verdict}{detail}{spec}")
    if len(results.reassay):
        print(
            f"{len(results.reassay)} sample(s) to re-assay: see {paths[0].parent / 'reassay.csv'}"
        )
    stored = "" if db is None else f"; kept in {db}"
    print(f"results written to {paths[0].parent}/ (open report.html){stored}")
    return 1 if results.failed else 0
