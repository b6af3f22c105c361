"""How well the QC across runs can work: power functions of the rule set in use (qc_rules.csv)
and sigma metrics per control (qc_sigma.csv), issue 10."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from elisa.across_runs.series import AnalyteQC
from elisa.config import Westgard
from qc.levey_jennings import BASELINE, CONFIG
from qc.power import RE_FACTORS, SHIFTS_SD, Power, power_function
from qc.rule_sets import RuleSet
from qc.sigma import sigma_metric

QC_RULES_COLUMNS = (
    "analyte",
    "n_controls",
    "rules",
    "pfr",
    *(f"ped_se_{s:g}sd" for s in SHIFTS_SD),
    *(f"ped_re_{f:g}x" for f in RE_FACTORS),
    "n_simulated",
    "seed",
)
QC_SIGMA_COLUMNS = (
    "analyte",
    "control",
    "tea_pct",
    "bias_pct",
    "cv_pct",
    "sigma",
    "recommended_rules",
    "recommended_n_controls",
)


@lru_cache(maxsize=32)
def cached_power(rule_set: RuleSet, n_controls: int, n_simulated: int, seed: int) -> Power:
    """``power_function`` once per rule set, number of controls and simulation settings."""
    return power_function(rule_set, n_controls, n_simulated=n_simulated, seed=seed)


def power_of(outcome: AnalyteQC, settings: Westgard) -> Power | None:
    """The power function of the rule set applied to this analyte (None without controls)."""
    if not outcome.charts:
        return None
    n = len(outcome.charts)
    return cached_power(outcome.rule_set, n, settings.n_simulated, settings.seed)


def rules_row(analyte: str, power: Power) -> dict:
    """One row of qc_rules.csv."""
    return dict(
        zip(
            QC_RULES_COLUMNS,
            (
                analyte,
                power.n_controls,
                power.rules,
                power.pfr,
                *power.ped_se,
                *power.ped_re,
                power.n_simulated,
                power.seed,
            ),
        )
    )


def sigma_rows(outcome: AnalyteQC) -> list[dict]:
    """qc_sigma.csv rows: per control, from the limits in force at the latest run when they are a
    baseline or configured (provisional limits are no measure of the method: sigma empty)."""
    rows = []
    for chart in outcome.charts:
        limits = chart.limits[-1] if chart.limits else None
        measured = limits is not None and limits.source in (BASELINE, CONFIG)
        mean = limits.mean if measured else np.nan
        sd = limits.sd if measured else np.nan
        metric = sigma_metric(outcome.analyte.tea_pct, mean, sd, chart.expected)
        rows.append(
            {
                "analyte": outcome.analyte.name,
                "control": chart.control,
                "tea_pct": metric.tea_pct,
                "bias_pct": metric.bias_pct,
                "cv_pct": metric.cv_pct,
                "sigma": metric.sigma,
                "recommended_rules": metric.recommended_rules,
                "recommended_n_controls": metric.recommended_n_controls,
            }
        )
    return rows
