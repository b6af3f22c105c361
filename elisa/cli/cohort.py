"""`elisa cohort build | import-analyser | status`: the study's analysis table from the store."""

from __future__ import annotations

import argparse
import sys

from elisa.cohort.build import BELOW_POLICIES


def add_cohort_parser(sub: argparse._SubParsersAction, store_options) -> None:
    """The `cohort` command and its three subcommands."""
    cohort = sub.add_parser("cohort", help="the study's analysis table from accepted results")
    actions = cohort.add_subparsers(dest="cohort_command", required=True, parser_class=type(cohort))
    build = actions.add_parser("build", help="join the clinical table with accepted values")
    build.add_argument("--clinical", required=True, metavar="CSV")
    build.add_argument("--manifest", metavar="CSV", help="sample_id, subject_id[, visit]")
    build.add_argument("--visit", metavar="V", help="the visit to take (manifest with visits)")
    build.add_argument(
        "--below",
        choices=sorted(BELOW_POLICIES),
        metavar="POLICY",
        help="fill values below the LLOQ: lloq/2, lloq/sqrt2 or lloq (default: leave them empty)",
    )
    build.add_argument(
        "--out",
        default="cohort.csv",
        metavar="FILE",
        help="cohort.csv (default), .parquet, .xlsx or .sav",
    )
    build.add_argument("--config", metavar="FILE")
    store_options(build)
    imp = actions.add_parser("import-analyser", help="import an automated analyser's results")
    imp.add_argument("results", metavar="RESULTS.csv")
    imp.add_argument("--analyte", required=True, metavar="NAME")
    imp.add_argument("--config", metavar="FILE")
    store_options(imp)
    status = actions.add_parser("status", help="per subject: ok, censored, excluded, missing")
    status.add_argument("--clinical", required=True, metavar="CSV")
    status.add_argument("--manifest", metavar="CSV")
    status.add_argument("--visit", metavar="V")
    status.add_argument("--config", metavar="FILE")
    store_options(status)


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
        print(f"elisa: warning: {warning}", file=sys.stderr)
    table = built.cohort.table
    summary = ", ".join(
        f"{a}: {int((table[f'{a}_status'] == 'ok').sum())} ok" for a, _ in built.analytes
    )
    print(
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
    print(f"{done.file}: {done.n_results} {done.analyte} result(s) {state}")
    return 0


def _status(args: argparse.Namespace) -> int:
    from elisa.cohort.study import cohort_status

    status = cohort_status(
        args.clinical, manifest=args.manifest, visit=args.visit, db=args.db, config=args.config
    )
    names = list(status.columns[1:-1])
    print("subject_id  " + "  ".join(f"{a:>9}" for a in names) + "  re-assay")
    for row in status.to_dict("records"):
        cells = "  ".join(f"{row[a]:>9}" for a in names)
        print(f"{row['subject_id']:<10}  {cells}  {row['reassay']}")
    return 0
