"""`elisa cohort build | import-analyser | status`: the study's analysis table from the store."""

from __future__ import annotations

import argparse
import sys

from elisa.cli.echo import echo


def cohort_command(args: argparse.Namespace) -> int:
    return {"build": _build, "import-analyser": _import, "status": _status}[args.cohort_command](
        args
    )


def _build(args: argparse.Namespace) -> int:
    from elisa.cohort.study import build_cohort_table

    built = build_cohort_table(
        args.clinical,
        manifest=args.manifest,
        visit=args.visit,
        below=args.below,
        out=args.out,
        db=args.db,
        config=args.config,
    )
    for warning in built.warnings:
        echo(f"elisa: warning: {warning}", file=sys.stderr)
    table = built.cohort.table
    summary = ", ".join(
        f"{a}: {int((table[f'{a}_status'] == 'ok').sum())} ok" for a, _ in built.analytes
    )
    echo(
        f"{len(table)} subjects written to {built.path} ({summary}); "
        f"{len(built.cohort.reassay)} re-assay item(s) in {built.path.name}.reassay.csv"
    )
    return 0


def _import(args: argparse.Namespace) -> int:
    from elisa.cohort.analyser_import import import_analyser_results

    done = import_analyser_results(
        args.results, args.analyte, db=args.db, config=args.config, user=args.user
    )
    state = "imported" if done.added else "already imported (same SHA-256): nothing added"
    echo(f"{done.file}: {done.n_results} {done.analyte} result(s) {state}")
    return 0


def _status(args: argparse.Namespace) -> int:
    from elisa.cohort.study import cohort_status

    status = cohort_status(
        args.clinical, manifest=args.manifest, visit=args.visit, db=args.db, config=args.config
    )
    names = list(status.columns[1:-1])
    echo("subject_id  " + "  ".join(f"{a:>9}" for a in names) + "  re-assay")
    for row in status.to_dict("records"):
        cells = "  ".join(f"{row[a]:>9}" for a in names)
        echo(f"{row['subject_id']:<10}  {cells}  {row['reassay']}")
    return 0
