"""Weights of the curve fit: from the fitted curve on the raw response scale, iterated (DESIGN 4.2).

w = max(f + blank, WEIGHT_FLOOR_OD)^(−2θ), normalised to mean 1; θ = 0.5 for 1/y, 1 for 1/y², the
configured θ for pom, or θ estimated from the residuals each cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import lmfit

    from elisa.fit.model import LogisticModel

WEIGHT_FLOOR_OD = 1e-3  # μ is floored here so a weight never explodes near zero response
MAX_WEIGHT_CYCLES = 50


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
    return float(np.clip(slope, 0.0, 2.0))


@dataclass(frozen=True, kw_only=True)
class Weighted:
    """The fit after the weights settled: the lmfit result and the weights it used."""

    result: lmfit.model.ModelResult
    weighting: str
    theta: float
    weights: np.ndarray
    scale: float  # raw weights were divided by this to have mean 1
    note: str  # "" or why the weights did not settle


def iterate_weights(
    curve_model: LogisticModel,
    best: lmfit.model.ModelResult,
    x: np.ndarray,
    y: np.ndarray,
    weighting: str,
    theta_value: float | str,
    blank: float,
) -> Weighted:
    """Refit with weights from the fitted curve until the parameters stop moving (DESIGN 4.2)."""
    estimating = theta_value == "estimate"
    theta_now = 0.0 if estimating else float(theta_value)
    w, scale = np.ones_like(y), 1.0
    if weighting == "none":
        return Weighted(
            result=best, weighting=weighting, theta=theta_now, weights=w, scale=scale, note=""
        )
    for _cycle in range(MAX_WEIGHT_CYCLES):
        mu = best.eval(x=x)
        if estimating:
            theta_now = estimate_theta(y, mu, blank)
        raw = raw_weights(mu, blank, theta_now)
        scale = float(raw.mean())
        w = raw / scale
        previous = np.array(list(best.params.valuesdict().values()))
        best = curve_model.fit_weighted(x, y, w, best.params)
        now = np.array(list(best.params.valuesdict().values()))
        if np.all(np.abs(now - previous) <= 1e-8 * np.maximum(np.abs(previous), 1e-12)):
            return Weighted(
                result=best, weighting=weighting, theta=theta_now, weights=w, scale=scale, note=""
            )
    note = f"weights did not settle in {MAX_WEIGHT_CYCLES} cycles"
    return Weighted(
        result=best, weighting=weighting, theta=theta_now, weights=w, scale=scale, note=note
    )
