"""Every stored result of every sample, with whether it may enter the cohort and why not.

Eligible (issue 5): plate verdict `pass`, not out of spec (or accepted in review: acceptance
lifts a Westgard rejection, never a failed verdict), not rejected in review, not `high_cv`, at
least 2 wells. Analyser results are eligible as imported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from elisa.across_runs.series import evaluate_analyte
from elisa.config import Config
from elisa.missing import as_float
from elisa.store.analyser import stored_analyser_results
from elisa.store.database import Store
from qc.codes import HIGH_CV


@dataclass(frozen=True, kw_only=True)
class SampleResult:
    """One result of one sample: value after dilution, range, and its eligibility."""

    analyte: str
    sample_id: str
    source: str  # plate id, or "analyser:<sha prefix>"
    dilution: float
    value: float  # NaN when there is none (censored or no solution)
    range: str  # "in", "below", "above" or "" (no range)
    lloq: float  # in the sample (× dilution); NaN when unknown
    uloq: float
    eligible: bool
    reason: str  # why not eligible ('' when eligible)


def plate_results(store: Store, config: Config) -> list[SampleResult]:
    """Results of the samples on every current plate version (controls are not samples)."""
    out = []
    for analyte_name in store.analytes():
        qc = evaluate_analyte(store, config.registry.resolve(analyte_name), config.westgard)
        out_of_spec = {r.plate_id: qc.out_of_spec(i) for i, r in enumerate(qc.runs)}
        for version in store.current_versions(analyte_name):
            plate_id = version.plate_id
            review = store.latest_review(version.id)
            decision = review.decision if review else None
            tables = version.tables
            curve = tables["curves"][0] if tables["curves"] else {}
            lloq, uloq = as_float(curve.get("lloq")), as_float(curve.get("uloq"))
            plate_problem = ""
            if decision == "reject":
                plate_problem = "plate rejected in review"
            elif version.verdict != "pass":  # a review's acceptance does not lift this
                plate_problem = f"plate failed ({version.reasons})"
            elif out_of_spec.get(plate_id):  # already False when accepted in review
                plate_problem = "plate out of spec (Westgard)"
            for row in tables["samples"]:
                if row["kind"] != "sample":
                    continue
                flags = (row["flags"] or "").split(";")
                reason = plate_problem
                if not reason and HIGH_CV in flags:
                    reason = HIGH_CV
                if not reason and (row["n_wells"] or 0) < 2:
                    reason = "fewer than 2 wells"
                dilution = float(row["dilution"])
                out.append(
                    SampleResult(
                        analyte=analyte_name,
                        sample_id=str(row["sample_id"]),
                        source=plate_id,
                        dilution=dilution,
                        value=as_float(row["conc"]),
                        range=row["range"] or "",
                        lloq=lloq * dilution,
                        uloq=uloq * dilution,
                        eligible=not reason,
                        reason=reason,
                    )
                )
    return out


def analyser_results(store: Store) -> list[SampleResult]:
    """Imported analyser results: `<x` below x, `>x` above x, else in range."""
    out = []
    for row in stored_analyser_results(store):
        censor, value = row.censor, row.value
        source = f"analyser:{row.import_sha256[:12]}"
        if censor == "<":
            out.append(
                SampleResult(
                    analyte=row.analyte,
                    sample_id=row.sample_id,
                    source=source,
                    dilution=1.0,
                    value=math.nan,
                    range="below",
                    lloq=value,
                    uloq=math.nan,
                    eligible=True,
                    reason="",
                )
            )
        elif censor == ">":
            out.append(
                SampleResult(
                    analyte=row.analyte,
                    sample_id=row.sample_id,
                    source=source,
                    dilution=1.0,
                    value=math.nan,
                    range="above",
                    lloq=math.nan,
                    uloq=value,
                    eligible=True,
                    reason="",
                )
            )
        else:
            out.append(
                SampleResult(
                    analyte=row.analyte,
                    sample_id=row.sample_id,
                    source=source,
                    dilution=1.0,
                    value=value,
                    range="in",
                    lloq=math.nan,
                    uloq=math.nan,
                    eligible=True,
                    reason="",
                )
            )
    return out
