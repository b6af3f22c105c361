"""Each curve's levels and starting values for the batched fitter, compiled with numba.

The rules are `elisa.fit.start`'s (their constants are imported, not copied; the tests check the
values against `starting_points`). A curve's points are put in order of concentration (a stable
sort: replicates keep their order), so that the fit evaluates the curve once per distinct
concentration. Each function reads and writes one curve's rows only.

The module calls no compiled function of another module: numba's cache of a function is renewed
when its own file changes, not when a file it calls into does.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from elisa.fit.start import (
    FLAT_SPAN,
    GRID_QUANTILES,
    GRID_SLOPES,
    LOGIT_SLOPE_RANGE,
    PLATEAU_INSET,
)

N_STARTS = 1 + len(GRID_SLOPES) * len(GRID_QUANTILES)  # the logit start, then the grid


class StartRules(NamedTuple):
    """`elisa.fit.start`'s constants, passed in at each call rather than read as globals:
    numba compiles a global in as a constant, and its cache would keep an old value after a
    change in the module that defines it."""

    flat_span: float
    plateau_inset: float
    slope_low: float  # LOGIT_SLOPE_RANGE
    slope_high: float
    grid_slopes: np.ndarray
    grid_quantiles: np.ndarray

    @classmethod
    def now(cls) -> StartRules:
        """The values in force."""
        return cls(
            FLAT_SPAN,
            PLATEAU_INSET,
            LOGIT_SLOPE_RANGE[0],
            LOGIT_SLOPE_RANGE[1],
            np.array(GRID_SLOPES, dtype=float),
            np.array(GRID_QUANTILES, dtype=float),
        )


#: IEEE arithmetic (x/0 is ±∞ or NaN, as in numpy) rather than Python's ZeroDivisionError
compiled = njit(cache=True, nogil=True, error_model="numpy")


@compiled
def _line_fit(u, v, k):
    """Least-squares slope and intercept of v on u over the first k points."""
    mu, mv = 0.0, 0.0
    for j in range(k):
        mu += u[j]
        mv += v[j]
    mu, mv = mu / k, mv / k
    suv, suu = 0.0, 0.0
    for j in range(k):
        suv += (u[j] - mu) * (v[j] - mv)
        suu += (u[j] - mu) * (u[j] - mu)
    slope = suv / suu
    return slope, mv - slope * mu


@compiled
def _quantile(ascending, k, q):
    """numpy's default (linear) percentile q (0-100) of k ascending values."""
    pos = q / 100.0 * (k - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, k - 1)
    t = pos - lo
    a, b = ascending[lo], ascending[hi]
    return b - (b - a) * (1.0 - t) if t >= 0.5 else a + (b - a) * t


@compiled
def _levels(x, y, n, order, log_levels, ends, means):
    """Points in order of x (a stable sort) into ``order``; the distinct concentrations' ln x,
    the end of each one's points in that order, and their mean responses. Returns the count."""
    order[:n] = np.argsort(x[:n], kind="mergesort")
    k = 0
    for j in range(n):
        here = x[order[j]]
        if j > 0 and here == x[order[j - 1]]:
            ends[k - 1] = j + 1
        else:
            log_levels[k], ends[k] = math.log(here), j + 1
            k += 1
    start = 0
    for i in range(k):
        total = 0.0
        for j in range(start, ends[i]):  # in the points' own order, as y[x == level].mean()
            total += y[order[j]]
        means[i] = total / (ends[i] - start)
        start = ends[i]
    return k


@compiled
def _starting_points(log_levels, means, k, starts, rules):
    """`elisa.fit.start.starting_points` into ``starts`` (N_STARTS, 5): the logit start, then
    the grid over b and the quartiles of ln x."""
    span = means[:k].max() - means[:k].min()
    if span == 0.0:
        span = rules.flat_span
    inset = rules.plateau_inset * span
    if means[k - 1] < means[0]:
        inset = -inset
    a0, d0 = means[0] - inset, means[k - 1] + inset
    finite_x, odds = np.empty(k), np.empty(k)
    ok = 0
    for i in range(k):
        ratio = (means[i] - a0) / (d0 - means[i])
        if ratio > 0.0 and math.isfinite(ratio):  # where the log-odds are finite
            finite_x[ok], odds[ok] = log_levels[i], math.log(ratio)
            ok += 1
    mean_log = 0.0
    for i in range(k):
        mean_log += log_levels[i]
    mean_log /= k
    slope, intercept = _line_fit(finite_x, odds, ok) if ok >= 2 else (1.0, -mean_log)
    starts[0, 0], starts[0, 3], starts[0, 4] = a0, d0, 0.0
    starts[0, 1] = min(max(abs(slope), rules.slope_low), rules.slope_high)
    starts[0, 2] = -intercept / slope if slope != 0.0 else mean_log
    row = 1
    for b in rules.grid_slopes:
        for q in rules.grid_quantiles:
            starts[row, 0], starts[row, 1], starts[row, 3], starts[row, 4] = (
                means[0],
                b,
                means[k - 1],
                0.0,
            )
            starts[row, 2] = _quantile(log_levels, k, q)
            row += 1


@compiled
def prepare(x, y, counts, order, log_levels, ends, n_levels, starts, rules):
    """For every curve with points: its order by concentration, levels (ln x, ends, count) and
    starting points, into the rows of the output arrays; ``rules`` = `StartRules.now()`."""
    means = np.empty(x.shape[1])
    for i in range(len(counts)):
        n = counts[i]
        if n == 0:
            n_levels[i] = 0
            continue
        k = _levels(x[i], y[i], n, order[i], log_levels[i], ends[i], means)
        n_levels[i] = k
        _starting_points(log_levels[i], means, k, starts[i], rules)
