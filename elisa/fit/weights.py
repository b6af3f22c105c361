"""Weights of the curve fit: from the fitted curve on the raw response scale, iterated (DESIGN 4.2).

w = max(f + blank, WEIGHT_FLOOR_OD)^(−2θ), normalised to mean 1; θ = 0.5 for 1/y, 1 for 1/y², the
configured θ for pom, or θ estimated from the residuals each cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from elisa.fit.bounds import Bounds
from elisa.fit.solve import Solution, solve_curve

WEIGHT_FLOOR_OD = 1e-3  # μ is floored here so a weight never explodes near zero response
MAX_WEIGHT_CYCLES = 50
#: The weights have settled when no parameter moved by more than this, relative, in a cycle.
SETTLED_REL = 1e-8
#: The estimated power-of-the-mean exponent is clipped into this range.
THETA_RANGE = (0.0, 2.0)


def raw_weights(mu: np.ndarray, blank: float, theta: float) -> np.ndarray:
    """Unnormalised weights max(μ + blank, floor)^(−2θ) at fitted responses μ (OD); 1 when θ = 0."""
    if theta == 0:
        return np.ones_like(np.asarray(mu, dtype=float))
    return np.maximum(np.asarray(mu, dtype=float) + blank, WEIGHT_FLOOR_OD) ** (-2.0 * theta)


def estimate_theta(y: np.ndarray, mu: np.ndarray, blank: float) -> float:
    """Power-of-the-mean exponent: slope of ln|residual| on ln μ, clipped to [0, 2]."""
    r = np.abs(y - mu)
    raw = np.maximum(mu + blank, WEIGHT_FLOOR_OD)
    ok = r > 0
    if ok.sum() < 3:
        return 0.0
    slope = np.polyfit(np.log(raw[ok]), np.log(r[ok]), 1)[0]
    return float(np.clip(slope, *THETA_RANGE))


@dataclass(frozen=True)
class Weighting:
    """The weights a fit settled on (normalised to mean 1) and how they were made."""

    weighting: str
    theta: float
    weights: np.ndarray
    scale: float  # raw weights were divided by this to have mean 1
    note: str  # "" or why the weights did not settle


@dataclass(frozen=True)
class Weighted:
    """The fit after the weights settled, and the weights it used."""

    result: Solution
    weighting: Weighting


def weights_from_curve(
    mu: np.ndarray, y: np.ndarray, blank: float, theta_value: float | str
) -> tuple[np.ndarray, float, float]:
    """Normalised weights, their scale and θ for one weighting cycle from the fitted curve μ."""
    theta_now = estimate_theta(y, mu, blank) if theta_value == "estimate" else float(theta_value)
    raw = raw_weights(mu, blank, theta_now)
    scale = float(raw.mean())
    return raw / scale, scale, theta_now


def weights_settled(previous: np.ndarray, now: np.ndarray) -> np.ndarray:
    """True where no parameter moved by more than SETTLED_REL, relative (over the last axis)."""
    return np.all(
        np.abs(now - previous) <= SETTLED_REL * np.maximum(np.abs(previous), 1e-12), axis=-1
    )


WEIGHTS_NOT_SETTLED = f"weights did not settle in {MAX_WEIGHT_CYCLES} cycles"


def iterate_weights(
    five: bool,
    best: Solution,
    x: np.ndarray,
    y: np.ndarray,
    bounds: Bounds,
    weighting: str,
    theta_value: float | str,
    blank: float,
) -> Weighted:
    """Refit with weights from the fitted curve until the parameters stop moving (DESIGN 4.2)."""
    theta_now = 0.0 if theta_value == "estimate" else float(theta_value)
    w, scale = np.ones_like(y), 1.0
    if weighting == "none":
        return Weighted(best, Weighting(weighting, theta_now, w, scale, ""))
    for _cycle in range(MAX_WEIGHT_CYCLES):
        w, scale, theta_now = weights_from_curve(best.predict(x), y, blank, theta_value)
        previous = np.array(list(best.values.values()))
        best = solve_curve(x, y, w, best.values, bounds, five)
        now = np.array(list(best.values.values()))
        if weights_settled(previous, now):
            return Weighted(best, Weighting(weighting, theta_now, w, scale, ""))
    return Weighted(best, Weighting(weighting, theta_now, w, scale, WEIGHTS_NOT_SETTLED))
