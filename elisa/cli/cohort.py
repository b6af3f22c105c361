"""`elisa cohort build | import-analyser | status`: the study's analysis table from the store."""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import elisa
from elisa.cli.store_commands import existing_store
from elisa.cohort.analyser_import import import_analyser, parse_analyser_file
from elisa.cohort.build import BELOW_POLICIES, MAX_RESULTS_CV_PCT, Cohort, build_cohort
from elisa.cohort.inputs import load_clinical, load_manifest
from elisa.cohort.output import output_format, render_cohort, write_cohort
from elisa.cohort.stored_results import analyser_results, plate_results
from elisa.config import Config, load_config
from elisa.errors import ElisaError
from elisa.store.database import DEFAULT_DB, Store, open_store, utc_now

RULES = {
    "eligible": "plate verdict pass; not out of spec (or accepted in review); not rejected in "
    "review; not high_cv; at least 2 wells",
    "ok": "geometric mean of the eligible in-range results (repeats and dilutions)",
    "excluded_if_results_cv_above_pct": MAX_RESULTS_CV_PCT,
    "below": "no eligible in-range result, eligible results below: limit = lowest LLOQ × "
    "dilution reached",
    "above": "no eligible in-range result, eligible results above: limit = highest ULOQ × "
    "dilution reached",
    "excluded": "results both below and above, only ineligible results, or CV above the limit",
    "missing": "no result at all",
}


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


def _assemble(
    args: argparse.Namespace, store: Store, config: Config
) -> tuple[Cohort, list[tuple[str, str]], object]:
    clinical = load_clinical(args.clinical)
    manifest = load_manifest(args.manifest, args.visit, clinical)
    analytes = [(a.name, a.unit) for a in config.registry.analytes.values()]
    results = plate_results(store, config) + analyser_results(store)
    cohort = build_cohort(
        clinical, manifest, results, [a for a, _ in analytes], getattr(args, "below", None)
    )
    return cohort, analytes, clinical


def _sha(path: str | None) -> str | None:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else None


def _build(args: argparse.Namespace) -> int:
    out = Path(args.out)
    output_format(out)  # a bad extension fails before anything is read
    config = load_config(args.config)
    with existing_store(args) as store:
        cohort, analytes, clinical = _assemble(args, store, config)
        plates = [
            {
                "plate_id": v["plate_id"],
                "analyte": v["analyte"],
                "version": v["version"],
                "fingerprint": v["fingerprint"],
                "verdict": v["verdict"],
            }
            for v in store.current_versions()
        ]
        imports = [
            dict(r)
            for r in store.conn.execute(
                "SELECT sha256, analyte, source_file, n_results FROM analyser_imports ORDER BY "
                "time_utc"
            )
        ]
    provenance = {
        "software": {"name": "elisa-toolkit", "version": elisa.__version__},
        "created_utc": utc_now(),
        "store": str(Path(args.db or DEFAULT_DB)),
        "inputs": {
            "clinical": {"file": args.clinical, "sha256": _sha(args.clinical)},
            "manifest": {"file": args.manifest, "sha256": _sha(args.manifest)},
            "visit": args.visit,
            "config_sha256": config.sha256,
        },
        "rules": {**RULES, "below_policy": args.below or "none (censored values left empty)"},
        "plates": plates,
        "analyser_imports": imports,
        "warnings": list(cohort.warnings),
    }
    files = render_cohort(cohort, out, analytes, clinical.columns, provenance["rules"], provenance)
    write_cohort(files, out)
    for warning in cohort.warnings:
        print(f"elisa: warning: {warning}", file=sys.stderr)
    summary = ", ".join(
        f"{a}: {int((cohort.table[f'{a}_status'] == 'ok').sum())} ok" for a, _ in analytes
    )
    print(
        f"{len(cohort.table)} subjects written to {out} ({summary}); "
        f"{len(cohort.reassay)} re-assay item(s) in {out.name}.reassay.csv"
    )
    return 0


def _import(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    analyte = config.registry.resolve(args.analyte)
    path = Path(args.results)
    if not path.is_file():
        raise ElisaError("analyser results file not found", file=path)
    parse_analyser_file(path.read_bytes(), path, analyte)  # bad input never creates a store
    with open_store(args.db, user=args.user) as store:
        n, added = import_analyser(store, path, analyte)
    state = "imported" if added else "already imported (same SHA-256): nothing added"
    print(f"{path}: {n} {analyte.name} result(s) {state}")
    return 0


def _status(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    with existing_store(args) as store:
        cohort, analytes, _ = _assemble(args, store, config)
    names = [a for a, _ in analytes]
    print("subject_id  " + "  ".join(f"{a:>9}" for a in names) + "  re-assay")
    todo = cohort.reassay.groupby("subject_id")["analyte"].apply(lambda s: ", ".join(s))
    for row in cohort.table.to_dict("records"):
        cells = "  ".join(f"{row[f'{a}_status']:>9}" for a in names)
        print(f"{row['subject_id']:<10}  {cells}  {todo.get(row['subject_id'], '')}")
    return 0
