"""Bounds on the curve parameters: wide enough that the fit reaches the least-squares optimum.

Bounds keep the optimiser in a physically sensible region; they do not judge the data. On real
plates the top standard often lies far below the upper plateau (the unconstrained d is 2.4–5.9×
the top standard's OD on five real ELISA plates), so the asymptotes may lie many response spans
beyond the data. A parameter that still ends at one of these bounds means the standards cannot
identify the curve (``parameter_at_bound``). The rule and its evidence: docs/computation.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: a and d lie within this many response spans Δ below the lowest or above the highest point.
ASYMPTOTE_SPANS = 10.0
#: The Hill slope b (b > 0; the direction of the curve is carried by a versus d).
SLOPE_RANGE = (0.05, 20.0)
#: c lies within this factor below the lowest and above the highest nominal concentration.
EC50_FACTOR = 1e4
#: The 5PL asymmetry g.
ASYMMETRY_RANGE = (0.05, 20.0)
#: Relative distance (of the bound's span, on the fitted scale) that counts as "at a bound".
AT_BOUND_REL = 1e-6

CURVE_BOUNDS_NOTE = (
    f"a, d within {ASYMPTOTE_SPANS:g} response spans of the standards' corrected ODs; "
    f"b in [{SLOPE_RANGE[0]:g}, {SLOPE_RANGE[1]:g}]; "
    f"c in [min x/{EC50_FACTOR:g}, {EC50_FACTOR:g} max x]; "
    f"g in [{ASYMMETRY_RANGE[0]:g}, {ASYMMETRY_RANGE[1]:g}]"
)


@dataclass(frozen=True)
class Bounds:
    """Lower and upper bounds per free parameter (log_c and log_g on the log scale)."""

    lower: dict[str, float]
    upper: dict[str, float]

    def at_bound(
        self, values: dict[str, float], names: tuple[str, ...], rel: float = AT_BOUND_REL
    ) -> tuple[str, ...]:
        """Names (reported without the log_ prefix) whose value is within rel × span of a bound."""
        hits = []
        for name in names:
            span = self.upper[name] - self.lower[name]
            v = values[name]
            if v - self.lower[name] <= rel * span or self.upper[name] - v <= rel * span:
                hits.append(name.removeprefix("log_"))
        return tuple(hits)


def default_bounds(x: np.ndarray, y: np.ndarray) -> Bounds:
    """Bounds of docs/computation.md for points x (in-well concentration > 0), y (corrected OD).

    Δ = the span of y (or |max y| when flat, at least 1e-3): a, d ∈ [min y − 10Δ, max y + 10Δ].
    """
    span = float(np.ptp(y)) or max(abs(float(np.max(y))), 1e-3)
    lo_y = float(np.min(y)) - ASYMPTOTE_SPANS * span
    hi_y = float(np.max(y)) + ASYMPTOTE_SPANS * span
    lower = {
        "a": lo_y,
        "b": SLOPE_RANGE[0],
        "log_c": float(np.log(np.min(x) / EC50_FACTOR)),
        "d": lo_y,
        "log_g": float(np.log(ASYMMETRY_RANGE[0])),
    }
    upper = {
        "a": hi_y,
        "b": SLOPE_RANGE[1],
        "log_c": float(np.log(np.max(x) * EC50_FACTOR)),
        "d": hi_y,
        "log_g": float(np.log(ASYMMETRY_RANGE[1])),
    }
    return Bounds(lower, upper)
