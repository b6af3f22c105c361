"""The cohort table: per subject, the clinical variables and each analyte's accepted value.

Rules (issue 5, README "Cohort"): per subject and analyte, `ok` is the geometric mean of the
eligible in-range results (all repeats and dilutions), `excluded` when their CV exceeds 30 %;
without an eligible in-range result, `below` (limit: the lowest LLOQ × dilution reached) or
`above` (the highest ULOQ × dilution), `excluded` when both or when only ineligible results
exist, `missing` when there is none. Censored values stay empty unless a --below policy says.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from elisa.cohort.inputs import Clinical, Manifest
from elisa.cohort.policies import BELOW_POLICIES, MAX_RESULTS_CV_PCT
from elisa.cohort.stored_results import SampleResult
from elisa.errors import ElisaError
from elisa.reduction.reassay import UNKNOWN_HIGH_STEP, suggested_dilution

STATUSES = ("ok", "below", "above", "excluded", "missing")
SUFFIXES = ("", "_status", "_limit", "_n", "_plates")


@dataclass(frozen=True, kw_only=True)
class AnalyteValue:
    """One subject's outcome for one analyte."""

    status: str
    value: float = math.nan
    limit: float = math.nan
    n: int = 0
    sources: tuple[str, ...] = ()
    reason: str = ""  # why excluded (for the re-assay list)
    samples: tuple[str, ...] = ()
    suggested_dilution: float | None = None


@dataclass(frozen=True)
class Cohort:
    """The table, the re-assay list and the warnings of one build."""

    table: pd.DataFrame
    reassay: pd.DataFrame
    warnings: tuple[str, ...] = field(default_factory=tuple)


def geometric_mean(values: Sequence[float]) -> float:
    """exp(mean(ln v)) of positive values; a single value is returned as it is."""
    if len(values) == 1:
        return float(values[0])
    return float(np.exp(np.mean(np.log(np.asarray(values, dtype=float)))))


def decide(results: Sequence[SampleResult], below_policy: str | None = None) -> AnalyteValue:
    """The cohort value of one subject and analyte from all its results."""
    if not results:
        return AnalyteValue(status="missing")
    samples = tuple(sorted({r.sample_id for r in results}))
    eligible = [r for r in results if r.eligible]
    in_range = [r for r in eligible if r.range == "in" and r.value > 0]
    if in_range:
        values = [r.value for r in in_range]
        sources = tuple(sorted({r.source for r in in_range}))
        if len(values) >= 2:
            cv = 100 * np.std(values, ddof=1) / np.mean(values)
            if cv > MAX_RESULTS_CV_PCT:
                return AnalyteValue(
                    status="excluded",
                    n=len(values),
                    sources=sources,
                    samples=samples,
                    reason=f"results disagree: CV {cv:.1f} % across "
                    f"{len(values)} results (dilution or hook effect?)",
                )
        return AnalyteValue(
            status="ok",
            value=geometric_mean(values),
            n=len(values),
            sources=sources,
            samples=samples,
        )
    below = [r for r in eligible if r.range == "below"]
    above = [r for r in eligible if r.range == "above"]
    if below and above:
        return AnalyteValue(
            status="excluded",
            samples=samples,
            sources=_sources(below + above),
            reason="results both below and above the range",
        )
    if below:
        limit = min(r.lloq for r in below)
        factor = BELOW_POLICIES.get(below_policy or "")
        value = limit * factor if factor and math.isfinite(limit) else math.nan
        return AnalyteValue(
            status="below",
            value=value,
            limit=limit,
            n=len(below),
            sources=_sources(below),
            samples=samples,
        )
    if above:
        limit = max(r.uloq for r in above)
        best = max(above, key=lambda r: r.dilution)
        if math.isfinite(best.value):  # extrapolated: the in-well value is known
            suggestion = suggested_dilution(
                best.value / best.dilution,
                best.dilution,
                best.lloq / best.dilution,
                best.uloq / best.dilution,
            )
        else:
            suggestion = best.dilution * UNKNOWN_HIGH_STEP
        return AnalyteValue(
            status="above",
            value=math.nan,
            limit=limit,
            n=len(above),
            sources=_sources(above),
            samples=samples,
            reason="above the range: dilute further",
            suggested_dilution=suggestion,
        )
    reasons = sorted({r.reason for r in results if r.reason}) or ["no usable result"]
    return AnalyteValue(
        status="excluded",
        samples=samples,
        sources=_sources(results),
        reason="only ineligible results: " + "; ".join(reasons),
    )


def _sources(results: Sequence[SampleResult]) -> tuple[str, ...]:
    return tuple(sorted({r.source for r in results}))


def build_cohort(
    clinical: Clinical,
    manifest: Manifest,
    results: Sequence[SampleResult],
    analytes: Sequence[str],
    below_policy: str | None = None,
) -> Cohort:
    """Rows in the clinical table's order; per analyte the five columns of issue 5."""
    columns = list(clinical.columns) + [f"{a}{s}" for a in analytes for s in SUFFIXES]
    clash = sorted(set(clinical.columns) & set(columns[len(clinical.columns) :]))
    if clash:
        raise ElisaError(
            f"clinical column(s) {', '.join(clash)} would be overwritten by the "
            "cohort's own columns: rename them",
            file=clinical.path,
        )
    by_key: dict[tuple[str, str], list[SampleResult]] = {}
    unclaimed: dict[str, set[str]] = {}
    for r in results:
        subject = manifest.subject_of.get(r.sample_id)
        if subject is None:
            if r.sample_id not in manifest.claimed:
                unclaimed.setdefault(r.sample_id, set()).add(r.source)
            continue
        by_key.setdefault((subject, r.analyte), []).append(r)
    rows, reassay = [], []
    for record in clinical.rows:
        row: dict[str, object] = dict(record)
        subject = record["subject_id"]
        for analyte in analytes:
            outcome = decide(by_key.get((subject, analyte), []), below_policy)
            row[analyte] = None if math.isnan(outcome.value) else outcome.value
            row[f"{analyte}_status"] = outcome.status
            row[f"{analyte}_limit"] = None if math.isnan(outcome.limit) else outcome.limit
            row[f"{analyte}_n"] = outcome.n
            row[f"{analyte}_plates"] = ";".join(outcome.sources)
            if outcome.status in ("excluded", "above"):
                reassay.append(
                    {
                        "subject_id": subject,
                        "sample_id": ";".join(outcome.samples),
                        "analyte": analyte,
                        "reason": outcome.reason,
                        "suggested_dilution": outcome.suggested_dilution,
                    }
                )
        rows.append(row)
    warnings = tuple(
        f"sample {sample} (on {', '.join(sorted(sources))}) is claimed by no subject"
        for sample, sources in sorted(unclaimed.items())
    )
    return Cohort(
        pd.DataFrame(rows, columns=columns, dtype=object),
        pd.DataFrame(
            reassay,
            columns=["subject_id", "sample_id", "analyte", "reason", "suggested_dilution"],
            dtype=object,
        ),
        warnings,
    )
