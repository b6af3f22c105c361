"""The re-assay list: what to run again, why, and at which dilution."""

from __future__ import annotations

import math
from collections.abc import Sequence

from elisa.fit.backcalc import GroupResult
from qc.codes import HIGH_CV, NO_SOLUTION, SATURATED

#: Extra dilution factors offered for a sample above the range, smallest first.
DILUTION_STEPS = (2, 5, 10, 20, 50, 100, 200, 500, 1000)
#: Extra dilution when the concentration is unknown but above the curve (saturated, past d).
UNKNOWN_HIGH_STEP = 10


def suggested_dilution(x_w: float, dilution: float, lloq: float, uloq: float) -> float | None:
    """Current dilution × the smallest step bringing x_w to ≤ the geometric mean of lloq and uloq."""
    if not (math.isfinite(x_w) and math.isfinite(lloq) and math.isfinite(uloq)):
        return None
    target = math.sqrt(lloq * uloq)
    for step in DILUTION_STEPS:
        if x_w / step <= target:
            return dilution * step
    return None


def reassay_rows(
    plate_id: str, groups: Sequence[GroupResult], lloq: float, uloq: float
) -> list[dict]:
    """One row per sample or control group to re-assay, with the first reason that applies:
    saturated, no_solution, high_cv, above."""
    rows = []
    for g in groups:
        reason = next((f for f in (SATURATED, NO_SOLUTION, HIGH_CV) if f in g.flags), None)
        if reason is None and g.range == "above":
            reason = "above"
        if reason is None:
            continue
        suggestion = None
        if reason == "above":
            suggestion = suggested_dilution(g.x_w, g.group.dilution, lloq, uloq)
        elif reason in (SATURATED, NO_SOLUTION) and g.range == "above":
            suggestion = g.group.dilution * UNKNOWN_HIGH_STEP
        rows.append(
            {
                "plate_id": plate_id,
                "sample_id": g.group.sample_id,
                "dilution": g.group.dilution,
                "reason": reason,
                "suggested_dilution": suggestion,
            }
        )
    return rows
