"""Starting values for the logistic fit, from the data (methods §1.5)."""

from __future__ import annotations

import numpy as np

#: The logit start puts its asymptotes this share of the response span beyond the extreme means.
PLATEAU_INSET = 1e-3
#: The span (OD) given to a flat set of level means, so that the logit start stays defined.
FLAT_SPAN = 1e-3
#: The logit start's Hill slope is clipped into this range.
LOGIT_SLOPE_RANGE = (0.2, 5.0)
#: The grid of starts after the logit one: these Hill slopes × these percentiles of ln x.
GRID_SLOPES = (0.5, 1.0, 2.0)
GRID_QUANTILES = (25.0, 50.0, 75.0)


def level_means(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct concentrations (ascending) and the mean response at each."""
    levels = np.unique(x)
    return levels, np.array([y[x == level].mean() for level in levels])


def logit_start(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Linearised start: asymptotes just beyond the data, regress the log-odds on ln x."""
    levels, means = level_means(x, y)
    span = float(np.ptp(means)) or FLAT_SPAN
    increasing = means[-1] >= means[0]
    inset = PLATEAU_INSET * span if increasing else -PLATEAU_INSET * span
    a0 = means[0] - inset
    d0 = means[-1] + inset
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = np.log((means - a0) / (d0 - means))
    ok = np.isfinite(odds)
    if ok.sum() >= 2:
        slope, intercept = np.polyfit(np.log(levels[ok]), odds[ok], 1)
    else:
        slope, intercept = 1.0, -np.log(np.exp(np.mean(np.log(levels))))
    b0 = float(np.clip(abs(slope), *LOGIT_SLOPE_RANGE))
    # log-odds = b (ln x − ln c): ln c = −intercept / slope
    log_c = float(-intercept / slope) if slope != 0 else float(np.mean(np.log(levels)))
    return {"a": float(a0), "b": b0, "log_c": log_c, "d": float(d0), "log_g": 0.0}


def starting_points(x: np.ndarray, y: np.ndarray) -> list[dict[str, float]]:
    """The logit start first, then a small grid over b and ln c (quartiles of ln x)."""
    levels, means = level_means(x, y)
    starts = [logit_start(x, y)]
    a0, d0 = float(means[0]), float(means[-1])
    quartiles = np.percentile(np.log(levels), GRID_QUANTILES)  # one call: it is the slow part
    for b in GRID_SLOPES:
        for log_c in quartiles:
            starts.append({"a": a0, "b": b, "log_c": float(log_c), "d": d0, "log_g": 0.0})
    return starts


def asymmetry_starts(four: dict[str, float], grid: tuple[float, ...]) -> list[dict[str, float]]:
    """5PL starts from a fitted 4PL, one per asymmetry g in ``grid``.

    Each start keeps a, b, d and moves c so that the 5PL's half-response concentration equals the
    4PL's c: f(x50) is halfway between a and d at x50 = c·(2^(1/g) − 1)^(1/b).
    """
    starts = []
    for g in grid:
        shift = float(np.log(2.0 ** (1.0 / g) - 1.0)) / four["b"]
        starts.append(dict(four, log_c=four["log_c"] - shift, log_g=float(np.log(g))))
    return starts
