"""`elisa cohort build | import-analyser | status`: the study's analysis table from the store."""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

from elisa._version import __version__
from elisa.cli.store_commands import existing_store
from elisa.cohort.analyser_import import import_analyser, parse_analyser_file
from elisa.cohort.build import Cohort, build_cohort
from elisa.cohort.inputs import load_clinical, load_manifest
from elisa.cohort.output import output_format, render_cohort, write_cohort
from elisa.cohort.policies import MAX_RESULTS_CV_PCT
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
        "software": {"name": "elisa-toolkit", "version": __version__},
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
