"""QC across stored runs: control series, Levey-Jennings limits, Westgard rules, inter-assay CV.

Run order is the run date, ties by first processing time (DESIGN 4.6). Rejected runs (review)
are left out of every series; an accepted run counts as in spec.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from elisa.analytes import Analyte
from elisa.config import Westgard
from elisa.missing import as_float
from elisa.store.database import Store
from elisa.store.series_rows import series_rows
from qc.levey_jennings import CONFIG, LJLimits, lj_westgard
from qc.rule_sets import RuleSet, default_rule_set
from qc.westgard import RuleHit, rule_label


@dataclass(frozen=True, kw_only=True)
class StoredRun:
    """One current plate version with what QC across runs needs."""

    plate_id: str
    analyte: str
    version_id: int
    run_date: str
    lot: str | None
    verdict: str  # the plate's own verdict (plate QC), before the Westgard codes
    reasons: str  # the plate's own fail codes
    warnings: str  # the plate's own warning codes
    intra_cv_pct: float | None
    review: str | None  # latest decision: "accept", "reject" or None
    control_wells: tuple[tuple[str, float], ...]  # (control, per-well result after dilution)
    expected: dict[str, float]  # control → layout's expected concentration


@dataclass(frozen=True)
class ControlChart:
    """One control's Levey-Jennings series over the runs of an analyte."""

    control: str
    run_means: np.ndarray
    limits: list[LJLimits]
    z: np.ndarray
    expected: float  # the control's target (layouts' expected concentration; NaN when none)


@dataclass(frozen=True)
class AnalyteQC:
    """Westgard outcome of every run of one analyte, in run order."""

    analyte: Analyte
    runs: list[StoredRun]
    charts: list[ControlChart]
    hits: list[RuleHit]
    rule_set: RuleSet  # the rules applied (for this analyte's number of controls)

    def rules_at(self, index: int) -> list[RuleHit]:
        """Hits at one run, reject rules first."""
        return sorted(
            (h for h in self.hits if h.run == index), key=lambda h: (not h.reject, h.rule)
        )

    def out_of_spec(self, index: int) -> bool:
        """A reject rule fired here and no reviewer accepted the run, or a reviewer rejected it."""
        run = self.runs[index]
        if run.review == "reject":
            return True
        fired = any(h.reject for h in self.rules_at(index))
        return fired and run.review != "accept"

    def limits_text(self, index: int) -> str:
        """Where each control's limits came from at one run, e.g. ``QC-low=baseline;...``."""
        return ";".join(f"{c.control}={c.limits[index].source}" for c in self.charts)


def load_runs(store: Store, analyte: str) -> list[StoredRun]:
    """Current versions of one analyte's plates, in run order."""
    return [
        StoredRun(
            plate_id=row.plate_id,
            analyte=row.analyte,
            version_id=row.version_id,
            run_date=row.run_date,
            lot=row.lot,
            verdict=row.verdict,
            reasons=row.reasons,
            warnings=row.warnings,
            intra_cv_pct=row.intra_cv_pct,
            review=row.review,
            control_wells=_control_wells(row.control_wells),
            expected={name: _expected(t) for name, t in row.control_targets.items()},
        )
        for row in series_rows(store, analyte)
    ]


def _control_wells(wells: list[dict]) -> tuple[tuple[str, float], ...]:
    """(control, per-well result) of the control wells neither masked nor saturated; a result
    the well has none of is NaN."""
    return tuple(
        (str(w.get("sample_id")), as_float(w.get("conc_well")))
        for w in wells
        if w.get("role") == "control" and not w.get("masked") and not w.get("saturated")
    )


def control_values(run: StoredRun, control: str) -> list[float]:
    """The results of one control's wells on a run (missing results left out)."""
    return [v for c, v in run.control_wells if c == control and not math.isnan(v)]


def evaluate_analyte(
    store: Store,
    analyte: Analyte,
    westgard: Westgard | None = None,
    every_run: list[StoredRun] | None = None,
) -> AnalyteQC:
    """Levey-Jennings limits and Westgard rules over every non-rejected run of an analyte, with
    the rule set ``westgard`` gives for its number of controls (default: the built-in sets).
    ``every_run``: the analyte's `load_runs`, when the caller has read them already."""
    settings = westgard or Westgard()
    if every_run is None:
        every_run = load_runs(store, analyte.name)
    runs = [r for r in every_run if r.review != "reject"]
    found = {c for r in runs for c, _ in r.control_wells}
    if not runs or not found:
        return AnalyteQC(analyte, runs, [], [], default_rule_set(1))
    expected_of = {n: _median([r.expected.get(n, np.nan) for r in runs]) for n in found}
    # controls low to high (then by name): the order of the pooled Westgard sequence
    names = sorted(found, key=lambda n: (np.nan_to_num(expected_of[n], nan=np.inf), n))
    means = np.array([[_mean(control_values(r, name)) for name in names] for r in runs])
    expected = [expected_of[n] for n in names]
    configured = [
        LJLimits(t.mean, t.sd, CONFIG) if (t := analyte.controls.get(n)) else None for n in names
    ]
    rule_set = settings.rule_set(len(names))
    passed = [r.verdict == "pass" for r in runs]  # acceptance overrides Westgard only
    outcome = lj_westgard(
        means,
        passed,
        [r.lot for r in runs],
        expected,
        analyte.inter_cv_limit_pct,
        names,
        configured,
        rule_set=rule_set,
    )
    charts = [
        ControlChart(name, means[:, j], list(outcome.limits[j]), outcome.z[:, j], expected[j])
        for j, name in enumerate(names)
    ]
    return AnalyteQC(analyte, runs, charts, list(outcome.hits), rule_set)


def _expected(target: dict) -> float:
    """A control's expected concentration (`conc`). A control given only a kit range has none:
    a range's middle is no target (kit ranges are rarely centred), so such a control has no
    provisional limits and Westgard starts on it once the 20-run baseline exists."""
    return float(target["conc"]) if target.get("conc") is not None else float("nan")


def _median(values: list[float]) -> float:
    finite = [v for v in values if np.isfinite(v)]
    return float(np.median(finite)) if finite else float("nan")


def _mean(values: list[float]) -> float:
    """The mean as pandas takes it (a pairwise sum, then divided by the count)."""
    return float(np.array(values, dtype=float).sum() / len(values)) if values else math.nan


def rules_text(hits: list[RuleHit]) -> str:
    """`rule:control` labels, reject rules first, ';'-joined."""
    return ";".join(rule_label(h) for h in hits)
