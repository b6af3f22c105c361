"""The tables of `elisa qc`: one row per run, one row per analyte and control (issue 4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from elisa.across_runs.performance import (
    QC_RULES_COLUMNS,
    QC_SIGMA_COLUMNS,
    power_of,
    rules_row,
    sigma_rows,
)
from elisa.across_runs.series import AnalyteQC, control_values, load_runs
from elisa.across_runs.status import CAUSE_QC, refresh_statuses
from elisa.config import Config
from elisa.store.database import Store
from qc.inter_assay import inter_assay_cv
from qc.power import Power

QC_RUNS_COLUMNS = (
    "plate_id",
    "analyte",
    "run_date",
    "lot",
    "verdict",
    "out_of_spec",
    "rules",
    "review",
    "intra_cv_pct",
)
QC_CONTROLS_COLUMNS = (
    "analyte",
    "control",
    "n_runs",
    "mean",
    "cv_repeatability_pct",
    "cv_between_pct",
    "cv_total_pct",
    "cv_total_df",
    "cv_total_ci_low",
    "cv_total_ci_high",
    "cv_run_means_pct",
    "cv_mean_of_runs_pct",
    "cv_rms_of_runs_pct",
    "truncated",
    "limit_pct",
    "passed",
)


@dataclass(frozen=True)
class Scope:
    """Which runs a QC report covers; filters never change the Levey-Jennings baseline."""

    analyte: str | None = None
    since: str | None = None
    until: str | None = None
    lot: str | None = None
    last: int | None = None

    def select(self, runs: list) -> list[int]:
        """Indices of the runs in scope (runs in run order)."""
        keep = [
            i
            for i, r in enumerate(runs)
            if (self.since is None or (r.run_date or "")[: len(self.since)] >= self.since)
            and (self.until is None or (r.run_date or "")[: len(self.until)] <= self.until)
            and (self.lot is None or r.lot == self.lot)
        ]
        return keep[-self.last :] if self.last else keep


@dataclass(frozen=True, kw_only=True)
class QCReport:
    """Everything `elisa qc` writes."""

    runs: pd.DataFrame
    controls: pd.DataFrame
    analytes: list[AnalyteQC]
    in_scope: dict[str, list[str]]  # analyte → plate ids in scope (non-rejected)
    rules: pd.DataFrame  # qc_rules.csv: power functions of the rule set in use per analyte
    sigma: pd.DataFrame  # qc_sigma.csv: sigma metrics per analyte and control
    powers: dict[str, Power]  # analyte → power function of its rule set

    @property
    def failed(self) -> bool:
        """A run in scope out of spec and not accepted, or an inter-assay CV not passed."""
        not_passed = (self.controls["passed"] == False).any()  # noqa: E712 (None: no verdict)
        return bool(self.runs["out_of_spec"].astype(bool).any() or not_passed)


def build_qc_report(store: Store, config: Config, scope: Scope) -> QCReport:
    """Evaluate every analyte in the store (or the one asked for) over the scope.

    The series is re-judged and every changed run status is stored (and audited) first, so the
    verdicts written are those the store holds.
    """
    names = store.analytes()
    if scope.analyte is not None:
        wanted = config.registry.resolve(scope.analyte).name
        names = [n for n in names if n == wanted]
    judged = refresh_statuses(store, config, names, CAUSE_QC)
    run_rows, control_rows, outcomes, in_scope = [], [], [], {}
    rule_rows, sigma_table, powers = [], [], {}
    for name in names:
        outcome, statuses = judged[name]
        outcomes.append(outcome)
        power = power_of(outcome, config.westgard)
        if power is not None:
            powers[name] = power
            rule_rows.append(rules_row(name, power))
        sigma_table += sigma_rows(outcome)
        every = load_runs(store, name)  # rejected runs too: never hidden
        chosen = scope.select(every)
        for i in chosen:
            run, status = every[i], statuses[i]
            run_rows.append(
                {
                    "plate_id": run.plate_id,
                    "analyte": name,
                    "run_date": run.run_date,
                    "lot": run.lot,
                    "verdict": status.verdict,
                    "out_of_spec": status.out_of_spec,
                    "rules": status.rules,
                    "review": {"accept": "accepted", "reject": "rejected"}.get(run.review, ""),
                    "intra_cv_pct": run.intra_cv_pct,
                }
            )
        passed = [
            every[i] for i in chosen if every[i].review != "reject" and every[i].verdict == "pass"
        ]
        in_scope[name] = [r.plate_id for r in passed]
        control_rows += _control_rows(name, passed, outcome.analyte.inter_cv_limit_pct)
    runs = pd.DataFrame(run_rows, columns=list(QC_RUNS_COLUMNS), dtype=object)
    if len(runs):
        runs = runs.sort_values(["run_date", "analyte"], kind="stable").reset_index(drop=True)
    controls = pd.DataFrame(control_rows, columns=list(QC_CONTROLS_COLUMNS), dtype=object)
    rules = pd.DataFrame(rule_rows, columns=list(QC_RULES_COLUMNS), dtype=object)
    sigma = pd.DataFrame(sigma_table, columns=list(QC_SIGMA_COLUMNS), dtype=object)
    return QCReport(
        runs=runs,
        controls=controls,
        analytes=outcomes,
        in_scope=in_scope,
        rules=rules,
        sigma=sigma,
        powers=powers,
    )


def _control_rows(analyte: str, runs: list, limit_pct: float) -> list[dict]:
    rows = []
    names = sorted({c for r in runs for c, _ in r.control_wells})
    for control in names:
        ids, values = [], []
        for r in runs:
            results = control_values(r, control)
            ids += [r.plate_id] * len(results)
            values += results
        o = inter_assay_cv(ids, np.array(values, dtype=float), limit_pct)
        rows.append(
            {
                "analyte": analyte,
                "control": control,
                "n_runs": o.n_runs,
                "mean": o.mean,
                "cv_repeatability_pct": o.cv_repeatability_pct,
                "cv_between_pct": o.cv_between_pct,
                "cv_total_pct": o.cv_total_pct,
                "cv_total_df": o.cv_total_df,
                "cv_total_ci_low": o.cv_total_ci_low,
                "cv_total_ci_high": o.cv_total_ci_high,
                "cv_run_means_pct": o.cv_run_means_pct,
                "cv_mean_of_runs_pct": o.cv_mean_of_runs_pct,
                "cv_rms_of_runs_pct": o.cv_rms_of_runs_pct,
                "truncated": o.truncated,
                "limit_pct": o.limit_pct,
                "passed": o.passed,
            }
        )
    return rows
