"""`elisa stats`: Table 1, group comparisons, post-hoc tests and correlations of a cohort table.

Thin over :func:`elisa.stats.run_stats`; the statistics modules are imported only when the
command runs, so `elisa --help` does not load scipy and statsmodels.
"""

from __future__ import annotations

import argparse

from elisa.cli.echo import echo


def _columns(text: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in text.split(",") if c.strip())


def add_stats_parser(sub: argparse._SubParsersAction) -> None:
    """The `stats` subcommand and its options."""
    stats = sub.add_parser(
        "stats",
        help="Table 1, group comparisons, post-hoc tests and correlations of a cohort table",
        description="Analyse the table that 'elisa cohort build' writes: Table 1, group "
        "comparisons with post-hoc tests, correlations (with partial ones), a censoring "
        "sensitivity table, stats.html and provenance.json.",
    )
    stats.add_argument("--cohort", required=True, metavar="FILE", help="cohort .csv or .parquet")
    stats.add_argument("--group", required=True, metavar="COLUMN", help="the grouping column")
    stats.add_argument(
        "--within", metavar="GROUP", help="correlations within this group (default: all subjects)"
    )
    stats.add_argument(
        "--adjust",
        type=_columns,
        default=(),
        metavar="COLS",
        help="partial correlations adjusted for these columns, e.g. age,bmi",
    )
    stats.add_argument(
        "--below",
        default="exclude",
        metavar="POLICY",
        help="values below the LLOQ: exclude (default), lloq/2, lloq/sqrt2 or lloq",
    )
    stats.add_argument(
        "--multiple",
        default="holm",
        metavar="METHOD",
        help="p-value adjustment of post-hoc tests and correlations: holm (default), bh, none",
    )
    stats.add_argument(
        "--markers",
        type=_columns,
        metavar="COLS",
        help="columns to correlate (default: every analyte)",
    )
    stats.add_argument(
        "--with",
        dest="versus",
        type=_columns,
        metavar="COLS",
        help="correlate the markers with these columns (default: every other numeric column)",
    )
    stats.add_argument(
        "--out", default="stats", metavar="DIR", help="output folder (default stats/)"
    )


def stats_command(args: argparse.Namespace) -> int:
    import sys

    from elisa.stats import run_stats

    result = run_stats(
        args.cohort,
        args.group,
        within=args.within,
        adjust=args.adjust,
        below=args.below,
        multiple=args.multiple,
        markers=args.markers,
        versus=args.versus,
        out=args.out,
    )
    for warning in result.warnings:
        echo(f"elisa: warning: {warning}", file=sys.stderr)
    sizes = ", ".join(f"{g} {n}" for g, n in result.design.sizes.items())
    echo(
        f"{len(result.cohort.frame)} subjects ({sizes}): {result.comparisons['variable'].nunique()} "
        f"variables compared, {len(result.correlations)} correlations; written to {args.out}"
    )
    return 0
