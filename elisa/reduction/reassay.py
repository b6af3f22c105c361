"""The re-assay list: what to run again, why, and at which dilution."""

from __future__ import annotations

import math
from collections.abc import Sequence

from elisa.fit.backcalc import GroupResult
from qc.codes import (
    REASSAY_ABOVE,
    REASSAY_HIGH_CV,
    REASSAY_NO_SOLUTION,
    REASSAY_PLATE_FAILED,
    REASSAY_SATURATED,
)

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


def _own_reason(g: GroupResult) -> str | None:
    """The group's own reason, the first that applies: saturated, no_solution, high_cv, above."""
    own = (REASSAY_SATURATED, REASSAY_NO_SOLUTION, REASSAY_HIGH_CV)
    reason = next((f for f in own if f in g.flags), None)
    if reason is None and g.range == REASSAY_ABOVE:
        reason = REASSAY_ABOVE
    return reason


def reassay_rows(
    plate_id: str,
    groups: Sequence[GroupResult],
    lloq: float,
    uloq: float,
    plate_failed: bool = False,
) -> list[dict]:
    """One row per sample or control group to re-assay, with the first reason that applies:
    saturated, no_solution, high_cv, above. On a failed plate every sample is listed: a sample
    with a reason of its own keeps it (with its suggested dilution, which says how to run it
    again), every other sample gets ``plate_failed`` at its current dilution."""
    rows = []
    for g in groups:
        reason = _own_reason(g)
        if reason is None and plate_failed and g.group.kind == "sample":
            reason = REASSAY_PLATE_FAILED
        if reason is None:
            continue
        suggestion = None
        if reason == REASSAY_ABOVE:
            suggestion = suggested_dilution(g.x_w, g.group.dilution, lloq, uloq)
        elif reason in (REASSAY_SATURATED, REASSAY_NO_SOLUTION) and g.range == "above":
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
