"""The arguments of `elisa cohort build | import-analyser | status` (parsing only).

Kept apart from `elisa.cli.cohort` so that building the parser (and `elisa --help`) loads
nothing of the cohort build: the command's module is imported only when it runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from elisa.cohort.policies import BELOW_POLICIES


def add_cohort_parser(
    sub: argparse._SubParsersAction, store_options: Callable[[argparse.ArgumentParser], None]
) -> None:
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
