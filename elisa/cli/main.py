"""The `elisa` command: a thin layer over the library API.

Exit codes: 0 every plate passed; 1 processed, at least one plate failed or is out of spec;
2 bad input or usage (one line on stderr, nothing written); 3 internal error: an unexpected
exception, i.e. a bug rather than bad input (one line on stderr naming the input file when known
and the file the full traceback was written to; nothing written).

Each subcommand's module is imported only when that subcommand runs, so `elisa --help` loads
none of the fitting, table or plotting libraries.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import traceback
from collections.abc import Sequence

from elisa._version import __version__
from elisa.cli.echo import echo
from elisa.errors import ElisaError
from plates.errors import AssayError, input_file_of

EXIT_PASS, EXIT_FAIL, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


class UsageError(ElisaError):
    """Bad command-line usage (reported as one line, exit code 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage block
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = _Parser(prog="elisa", description="Serum immunoassay (ELISA) data reduction.")
    parser.add_argument("--version", action="version", version=f"elisa {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser(
        "run",
        help="process plate exports into concentrations and a QC verdict",
        description="Process plate exports: fit each standard curve, "
        "back-calculate samples and controls, judge the plate, and write "
        "samples.csv, standards.csv, curves.csv, wells.csv, runs.csv, "
        "reassay.csv, results.xlsx, report.html and provenance.json.",
    )
    run.add_argument(
        "exports",
        nargs="+",
        metavar="EXPORT",
        help="plate reader export file(s), folder(s) of exports, or quoted pattern(s) "
        "such as 'plates/*.csv'",
    )
    run.add_argument(
        "--layout",
        action="append",
        metavar="LAYOUT",
        help="wellmap TOML layout: one for all exports, or one per export in order "
        "(default: the layout of the same stem beside each export, plate7.toml for plate7.csv)",
    )
    run.add_argument(
        "--layout-from-export",
        action="store_true",
        help="take the layout the export carries (formats that carry one)",
    )
    run.add_argument("--format", dest="fmt", metavar="FMT", help="force the export format")
    run.add_argument("--analyte", metavar="NAME", help="analyte (overrides [expt] analyte)")
    run.add_argument("--wavelength", type=int, metavar="NM", help="measurement wavelength (nm)")
    run.add_argument("--reference", type=int, metavar="NM", help="reference wavelength (nm)")
    run.add_argument("--config", metavar="FILE", help="configuration file (default ./elisa.toml)")
    run.add_argument(
        "--out", default="results", metavar="DIR", help="output folder (default: results/)"
    )
    store = run.add_mutually_exclusive_group()
    store.add_argument(
        "--db",
        metavar="PATH",
        help="run-history store (default ./elisa.sqlite): the exports, versions, "
        "QC outcomes and an audit log are kept there",
    )
    store.add_argument("--no-db", action="store_true", help="keep nothing in a store")
    run.add_argument("--user", help="user name for the audit log (default: login name)")
    run.add_argument(
        "--replace",
        metavar="REASON",
        help="replace stored plates of the same id whose data differ (the reason is audited)",
    )
    run.add_argument(
        "--keep-going",
        action="store_true",
        help="leave out bad exports (each reported in one line on stderr), process the rest "
        "and write their outputs; exit code 2 if any export was bad",
    )
    run.add_argument(
        "--quiet", action="store_true", help="no progress bar (shown only on a terminal anyway)"
    )
    cluster = run.add_mutually_exclusive_group()
    cluster.add_argument(
        "--dask",
        metavar="SCHEDULER",
        help="process the plates in chunks on a running dask.distributed cluster: the "
        "scheduler's address (tcp://host:8786); its workers must see the same files and have "
        "the toolkit installed; the store and the outputs are written here only",
    )
    cluster.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="process the plates in chunks on N local worker processes (a dask cluster "
        "started and closed by the run); the outputs are those of a run without it",
    )
    run.add_argument(
        "--chunk-size",
        type=int,
        metavar="N",
        help="exports per chunk with --dask or --workers (default: two chunks per worker, "
        "at most 100 exports each)",
    )

    inspect = sub.add_parser(
        "inspect",
        help="show what an export contains",
        description="Show an export's format, plates, wavelengths and a preview of each grid.",
    )
    inspect.add_argument("export", metavar="EXPORT")
    inspect.add_argument("--format", dest="fmt", metavar="FMT", help="force the export format")
    inspect.add_argument(
        "--layout-toml",
        metavar="FILE",
        help="write the layout the export carries as a wellmap file",
    )
    mask = sub.add_parser(
        "mask",
        help="mask wells of a stored plate (or lift masks)",
        description="Record a mask with a reason on wells of a stored plate "
        "and re-process it as a new version; --undo lifts the masks.",
    )
    mask.add_argument("plate_id", metavar="PLATE_ID")
    mask.add_argument("wells", nargs="+", metavar="WELL")
    mask.add_argument("--reason", required=True, metavar="TEXT")
    mask.add_argument("--undo", action="store_true", help="lift these wells' masks")
    mask.add_argument(
        "--config", metavar="FILE", help="Westgard rules to re-judge with (default ./elisa.toml)"
    )
    _store_options(mask)

    review = sub.add_parser("review", help="accept or reject a stored run, with a reason")
    review.add_argument("plate_id", metavar="PLATE_ID")
    decision = review.add_mutually_exclusive_group(required=True)
    decision.add_argument("--accept", action="store_true")
    decision.add_argument("--reject", action="store_true")
    review.add_argument("--reason", required=True, metavar="TEXT")
    review.add_argument(
        "--config", metavar="FILE", help="Westgard rules to re-judge with (default ./elisa.toml)"
    )
    _store_options(review)

    qc = sub.add_parser(
        "qc",
        help="QC across runs: inter-assay CV, Westgard rules, report",
        description="Judge the stored runs: inter-assay CV per analyte and "
        "control, Westgard rules on Levey-Jennings limits, and a report.",
    )
    qc.add_argument("--analyte", metavar="NAME")
    qc.add_argument("--since", metavar="DATE", help="runs on or after this date (ISO 8601)")
    qc.add_argument("--until", metavar="DATE", help="runs on or before this date (ISO 8601)")
    qc.add_argument("--lot", metavar="LOT")
    qc.add_argument("--last", type=int, metavar="N", help="the last N runs in scope")
    qc.add_argument("--out", default="qc", metavar="DIR", help="output folder (default: qc/)")
    qc.add_argument("--config", metavar="FILE", help="configuration (default ./elisa.toml)")
    _store_options(qc)

    from elisa.cli.cohort_parser import add_cohort_parser

    add_cohort_parser(sub, _store_options)

    from elisa.cli.stats import add_stats_parser

    add_stats_parser(sub)

    serve = sub.add_parser(
        "serve",
        help="local review web app over the store",
        description="A local web app over the store: runs, plate pages (mask by clicking, "
        "sign-off), QC charts, uploads, a layout editor. A non-local --host needs a token.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument(
        "--token", metavar="T", help="require this token (default: $ELISA_SERVE_TOKEN)"
    )
    serve.add_argument("--config", metavar="FILE", help="configuration (default ./elisa.toml)")
    _store_options(serve)

    audit = sub.add_parser("audit", help="print the audit log")
    audit.add_argument("--plate", metavar="PLATE_ID")
    _store_options(audit)
    return parser


def _store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH", help="store (default ./elisa.sqlite)")
    parser.add_argument("--user", help="user name for the audit log (default: login name)")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `elisa` command; returns the exit code."""
    args: argparse.Namespace | None = None
    try:
        args = build_parser().parse_args(argv)
        if args.command == "run":
            from elisa.cli.run import run_command

            return run_command(args)
        if args.command == "inspect":
            from elisa.cli.inspect import inspect_command

            return inspect_command(args)
        if args.command == "cohort":
            from elisa.cli.cohort import cohort_command

            return cohort_command(args)
        if args.command == "stats":
            from elisa.cli.stats import stats_command

            return stats_command(args)
        if args.command == "serve":
            from elisa.serve.app import serve

            serve(
                args.db,
                host=args.host,
                port=args.port,
                token=args.token,
                user=args.user,
                config=args.config,
            )
            return EXIT_PASS
        from elisa.cli import store_commands as cli_store

        return getattr(cli_store, f"{args.command}_command")(args)
    except BrokenPipeError:  # output piped into a pager or head that closed early
        return EXIT_PASS
    except AssayError as exc:
        echo(f"elisa: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        echo(f"elisa: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        echo("elisa: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, never reported as bad input
        echo(internal_error_line(exc, args), file=sys.stderr)
        return EXIT_INTERNAL


def _input_file(exc: BaseException, args: argparse.Namespace | None) -> str | None:
    """The input file an unexpected exception happened on: noted by the reader, else the
    command's only input file."""
    noted = input_file_of(exc)
    if noted is not None or args is None:
        return noted
    inputs = getattr(args, "exports", None) or [getattr(args, "export", None)]
    return str(inputs[0]) if len(inputs) == 1 and inputs[0] else None


def internal_error_line(exc: BaseException, args: argparse.Namespace | None = None) -> str:
    """One line for an unexpected exception: what, on which input file, and the path of a
    temporary file holding the full traceback (for a bug report)."""
    what = " ".join(f"{exc.__class__.__name__}: {exc}".split())
    file = _input_file(exc, args)
    where = f" while processing {file}" if file else ""
    try:
        with tempfile.NamedTemporaryFile(
            "w", prefix="elisa-traceback-", suffix=".txt", delete=False, encoding="utf-8"
        ) as out:
            out.write("".join(traceback.format_exception(exc)))
        saved = f"traceback in {out.name}"
    except OSError as err:
        saved = f"the traceback could not be written ({err.strerror or err})"
    return f"elisa: internal error{where}: {what} (a bug, not bad input; {saved})"


#: Allocations between two young-generation collections (Python's default is 700). A command
#: keeps what it builds until it ends (a large run: millions of table cells and rows) and makes
#: few reference cycles, so the default spends about 5 % of a 1,000-plate run in collections
#: that free next to nothing; memory use is the same either way.
YOUNG_COLLECTION_THRESHOLD = 50_000


def entry() -> None:
    """Console-script wrapper that exits with `main`'s code."""
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
    code = main()
    # The command is done and has closed what it wrote. Frozen objects are left out of the
    # collections the interpreter makes as it tears down its ~1,300 modules at exit, which
    # otherwise cost a one-plate run about 0.15 s; atexit handlers and teardown still run.
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    entry()
