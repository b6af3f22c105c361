"""Sigma metrics of a control and the QC that the Westgard sigma-rules approach recommends for it.

sigma = (TEa − |bias|) / CV, all in % of the control's target: TEa the allowable total error,
bias = 100 · (baseline mean − target) / target, CV = 100 · baseline SD / baseline mean
(docs/computation.md). The higher the sigma, the fewer rules and controls a run needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qc.codes import (
    RULE_1_3S,
    RULE_2_2S,
    RULE_4_1S,
    RULE_8X,
    RULE_R_4S,
    SCOPE_CONTROL,
    SCOPE_RUN,
)
from qc.errors import QCError


@dataclass(frozen=True)
class SigmaMetric:
    """One control's sigma and the recommended rules (labels as in qc.rule_sets) and controls."""

    tea_pct: float
    bias_pct: float
    cv_pct: float
    sigma: float
    recommended_rules: str  # ";"-joined rule labels with where each looks; "" when sigma is NaN
    recommended_n_controls: int | None


#: (lowest sigma, rules, controls per run): the Westgard sigma rules, read from the top. Below 4
#: sigma the rules also look back over the previous run (R = 2: ``@run+control``).
SIGMA_RULES: tuple[tuple[float, tuple[str, ...], int], ...] = (
    (6.0, (RULE_1_3S,), 2),
    (5.0, (RULE_1_3S, f"{RULE_2_2S}@{SCOPE_RUN}", f"{RULE_R_4S}@{SCOPE_RUN}"), 2),
    (
        4.0,
        (
            RULE_1_3S,
            f"{RULE_2_2S}@{SCOPE_RUN}",
            f"{RULE_R_4S}@{SCOPE_RUN}",
            f"{RULE_4_1S}@{SCOPE_RUN}",
        ),
        4,
    ),
    (
        -math.inf,
        (
            RULE_1_3S,
            f"{RULE_2_2S}@{SCOPE_RUN}+{SCOPE_CONTROL}",
            f"{RULE_R_4S}@{SCOPE_RUN}",
            f"{RULE_4_1S}@{SCOPE_RUN}+{SCOPE_CONTROL}",
            f"{RULE_8X}@{SCOPE_RUN}+{SCOPE_CONTROL}",
        ),
        4,
    ),
)


def sigma_metric(tea_pct: float, mean: float, sd: float, target: float) -> SigmaMetric:
    """Sigma of one control from its baseline ``mean`` and ``sd`` and its ``target`` (same unit).

    NaN (and no recommendation) when the mean, SD or target is missing or not positive.
    """
    if not (math.isfinite(tea_pct) and tea_pct > 0):
        raise QCError(f"the allowable total error must be a percentage > 0, got {tea_pct}")
    usable = all(math.isfinite(v) and v > 0 for v in (mean, sd, target))
    if not usable:
        nan = float("nan")
        return SigmaMetric(tea_pct, nan, nan, nan, "", None)
    bias_pct = 100.0 * (mean - target) / target
    cv_pct = 100.0 * sd / mean
    sigma = (tea_pct - abs(bias_pct)) / cv_pct
    rules, n_controls = recommended(sigma)
    return SigmaMetric(tea_pct, bias_pct, cv_pct, sigma, rules, n_controls)


def recommended(sigma: float) -> tuple[str, int]:
    """The rule labels (``;``-joined) and controls per run recommended at this sigma."""
    for lowest, rules, n_controls in SIGMA_RULES:
        if sigma >= lowest:
            return ";".join(rules), n_controls
    raise QCError(f"sigma must be a number, got {sigma}")
