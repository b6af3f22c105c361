"""`elisa cohort build` and `status` as library calls: the study's analysis table from the store.

Every current plate version and analyser import in the store is a candidate; the rules of
`elisa.cohort.build` decide per subject and analyte (README "Cohort").
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from elisa._version import __version__
from elisa.cohort.build import MAX_RESULTS_CV_PCT, Cohort, build_cohort
from elisa.cohort.inputs import Clinical, load_clinical, load_manifest
from elisa.cohort.output import output_format, render_cohort, write_cohort
from elisa.cohort.stored_results import analyser_results, plate_results
from elisa.config import Config, load_config
from elisa.store.analyser import analyser_imports
from elisa.store.database import Store, using_store, utc_now

PathLike = str | Path

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


@dataclass(frozen=True)
class CohortBuilt:
    """What `build_cohort_table` wrote: the cohort, its analytes (name, unit) and the file."""

    cohort: Cohort
    analytes: list[tuple[str, str]]
    path: Path

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.cohort.warnings


def _assemble(
    store: Store,
    config: Config,
    clinical_file: PathLike,
    manifest_file: PathLike | None,
    visit: str | None,
    below: str | None,
) -> tuple[Cohort, list[tuple[str, str]], Clinical]:
    clinical = load_clinical(clinical_file)
    manifest = load_manifest(manifest_file, visit, clinical)
    analytes = [(a.name, a.unit) for a in config.registry.analytes.values()]
    results = plate_results(store, config) + analyser_results(store)
    cohort = build_cohort(clinical, manifest, results, [a for a, _ in analytes], below)
    return cohort, analytes, clinical


def _sha(path: PathLike | None) -> str | None:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else None


def build_cohort_table(
    clinical: PathLike,
    *,
    manifest: PathLike | None = None,
    visit: str | None = None,
    below: str | None = None,
    out: PathLike = "cohort.csv",
    db: Store | PathLike | None = None,
    config: Config | PathLike | None = None,
) -> CohortBuilt:
    """Join the clinical table with each subject's accepted value per analyte and write it to
    ``out`` (.csv, .parquet, .xlsx or .sav) with OUT.reassay.csv and OUT.provenance.json beside
    it (what `elisa cohort build` does).

    ``manifest`` maps sample ids to subjects (and ``visit`` picks one visit); ``below`` fills
    values below the LLOQ ("lloq/2", "lloq/sqrt2" or "lloq"; default: left empty). ``db``: an
    open `Store` or an existing store's path (default ./elisa.sqlite).
    """
    out = Path(out)
    output_format(out)  # a bad extension fails before anything is read
    config = config if isinstance(config, Config) else load_config(config)
    with using_store(db) as store:
        cohort, analytes, table = _assemble(store, config, clinical, manifest, visit, below)
        plates = [
            {
                "plate_id": v.plate_id,
                "analyte": v.analyte,
                "version": v.version,
                "fingerprint": v.fingerprint,
                "verdict": v.verdict,
            }
            for v in store.current_versions()
        ]
        imports = [asdict(i) for i in analyser_imports(store)]
        store_path = str(store.path)
    provenance = {
        "software": {"name": "elisa-toolkit", "version": __version__},
        "created_utc": utc_now(),
        "store": store_path,
        "inputs": {
            "clinical": {"file": clinical, "sha256": _sha(clinical)},
            "manifest": {"file": manifest, "sha256": _sha(manifest)},
            "visit": visit,
            "config_sha256": config.sha256,
        },
        "rules": {**RULES, "below_policy": below or "none (censored values left empty)"},
        "plates": plates,
        "analyser_imports": imports,
        "warnings": list(cohort.warnings),
    }
    files = render_cohort(cohort, out, analytes, table.columns, provenance["rules"], provenance)
    write_cohort(files, out)
    return CohortBuilt(cohort, analytes, out)


def cohort_status(
    clinical: PathLike,
    *,
    manifest: PathLike | None = None,
    visit: str | None = None,
    db: Store | PathLike | None = None,
    config: Config | PathLike | None = None,
) -> pd.DataFrame:
    """Per subject, each analyte's status (ok, below, above, excluded, missing) and the
    analytes to re-assay (what `elisa cohort status` prints): columns subject_id, one per
    analyte, and reassay (comma-separated analytes, '' when none)."""
    config = config if isinstance(config, Config) else load_config(config)
    with using_store(db) as store:
        cohort, analytes, _ = _assemble(store, config, clinical, manifest, visit, None)
    names = [a for a, _ in analytes]
    todo = cohort.reassay.groupby("subject_id")["analyte"].apply(lambda s: ", ".join(s))
    rows = [
        {
            "subject_id": row["subject_id"],
            **{a: row[f"{a}_status"] for a in names},
            "reassay": todo.get(row["subject_id"], ""),
        }
        for row in cohort.table.to_dict("records")
    ]
    return pd.DataFrame(rows, columns=["subject_id", *names, "reassay"])
