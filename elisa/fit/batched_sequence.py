"""The one-plate fitter's sequence for a chunk of curves, around the compiled Levenberg–Marquardt
(`elisa.fit.batched_lm.fit_problems`): the best of the 4PL starts, the 5PL's asymmetry starts
from that optimum and the best of them, and the weighting cycles until the parameters settle.

Every curve's fits are problems handed to the lanes together (all curves' starts at once; in the
weighting cycles, every curve still cycling once a cycle), and each curve's choices are made from
its own results in its own order, so a curve's result does not depend on the others.

The rules are `elisa.fit.fitter`'s and `elisa.fit.weights`'s: their constants are imported and
passed in at each call (`SharedRules`). The compiled helpers here call no compiled function of
another module: numba renews a function's cache when its own file changes, not when a file it
calls into does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit

from elisa.fit import batched_lm as lm
from elisa.fit.batched_lm import N_PARAMS
from elisa.fit.fitter import BETTER_REL, G_STARTS
from elisa.fit.solve import START_INSET
from elisa.fit.weights import MAX_WEIGHT_CYCLES, SETTLED_REL, THETA_RANGE, WEIGHT_FLOOR_OD

#: IEEE arithmetic (x/0 is ±∞ or NaN, as in numpy) rather than Python's ZeroDivisionError
compiled = njit(cache=True, nogil=True, error_model="numpy")


class SharedRules(NamedTuple):
    """The shared rules' constants the sequence uses. They are passed in at each call rather
    than read as globals: numba compiles a global in as a constant, and its cache would keep an
    old value after a change in the module that defines it."""

    better_rel: float  # fitter.BETTER_REL
    start_inset: float  # solve.START_INSET
    g_starts: np.ndarray  # fitter.G_STARTS
    max_weight_cycles: int  # weights.MAX_WEIGHT_CYCLES
    settled_rel: float  # weights.SETTLED_REL
    theta_low: float  # weights.THETA_RANGE
    theta_high: float
    weight_floor: float  # weights.WEIGHT_FLOOR_OD

    @classmethod
    def now(cls) -> SharedRules:
        """The values in force."""
        return cls(
            BETTER_REL,
            START_INSET,
            np.array(G_STARTS, dtype=float),
            MAX_WEIGHT_CYCLES,
            SETTLED_REL,
            THETA_RANGE[0],
            THETA_RANGE[1],
            WEIGHT_FLOOR_OD,
        )


@dataclass(frozen=True)
class Chunk:
    """A chunk's curves as the lanes take them: points in order of concentration."""

    log_levels: np.ndarray  # (m, n) ln x of each curve's distinct concentrations
    ends: np.ndarray  # (m, n) int: the end of each level's points
    n_levels: np.ndarray  # (m,) int
    order: np.ndarray  # (m, n) int: the points in order of concentration
    counts: np.ndarray  # (m,) int: points per curve
    y: np.ndarray  # (m, n) in order of concentration
    lower: np.ndarray  # (m, 5)
    upper: np.ndarray  # (m, 5)
    levels: int  # the most levels of a curve
    slots: int  # the most points of a level

    def curves(self, w: np.ndarray) -> tuple[np.ndarray, ...]:
        """The curves as `fit_problems` takes them, with weights ``w`` (m, n)."""
        return (self.log_levels, self.ends, self.n_levels, self.y, w, self.lower, self.upper)

    def lanes(self, problems: int) -> lm.Lanes:
        """Lanes for ``problems`` problems: LANES, or fewer for a small batch (whole vectors)."""
        return lm.workspace(self.levels, self.slots, min(lm.LANES, -(-problems // 8) * 8))


def chunk(
    y: np.ndarray,
    counts: np.ndarray,
    levels: tuple[np.ndarray, ...],
    lower: np.ndarray,
    upper: np.ndarray,
) -> Chunk:
    """The chunk's curves from their padded rows and `batched_start.prepare`'s levels (order,
    ln x, ends, count)."""
    order, log_levels, ends, n_levels = levels
    ordered = np.zeros_like(y)
    _put_in_order(y, order, counts, ordered)
    starts = np.where(np.arange(ends.shape[1]) > 0, np.roll(ends, 1, axis=1), 0)
    in_curve = np.arange(ends.shape[1]) < n_levels[:, None]
    slots = int(np.max(np.where(in_curve, ends - starts, 1), initial=1))
    top = int(n_levels.max(initial=1))
    return Chunk(
        log_levels, ends, n_levels, order, counts, ordered, lower, upper, max(top, 1), slots
    )


@compiled
def _put_in_order(y, order, counts, out):
    for i in range(y.shape[0]):
        for j in range(counts[i]):
            out[i, j] = y[i, order[i, j]]


def best_of_starts(
    data: Chunk, index: np.ndarray, starts: np.ndarray, five: bool, shared: SharedRules
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the curves in ``index``: the unweighted fit from every start (``starts`` (m, rows,
    5)), and each curve's best by the objective (ties keep the earlier start). Returns (best θ
    (m, 5), a start had a finite objective, that fit's stopped-by-test flag)."""
    m, rows = starts.shape[0], starts.shape[1]
    best = np.full((m, N_PARAMS), np.nan)
    found, ok = np.zeros(m, dtype=bool), np.zeros(m, dtype=bool)
    if index.size:
        problems = np.column_stack([np.repeat(index, rows), np.tile(np.arange(rows), index.size)])
        results = _results(len(problems))
        unit = np.ones_like(data.y)
        lanes = data.lanes(len(problems))
        inset = shared.start_inset
        lm.fit_problems(
            problems, data.curves(unit), starts, five, lm.DAMPING_FAR, inset, lanes, results
        )
        _choose(problems, results, best, found, ok, shared.better_rel)
    return best, found, ok


def _results(count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.empty((count, N_PARAMS)), np.empty(count), np.zeros(count, dtype=bool)


@compiled
def _choose(problems, results, best, found, ok, better_rel):
    """`fitter._best_of_starts`' choice for each curve, over its problems in start order."""
    thetas, objectives, flags = results
    best_sse = np.full(best.shape[0], math.inf)
    for row in range(problems.shape[0]):
        i, sse = problems[row, 0], objectives[row]
        if math.isfinite(sse) and sse < best_sse[i] * (1.0 - better_rel):
            best_sse[i], found[i], ok[i] = sse, True, flags[row]
            best[i, :] = thetas[row]


def asymmetry_starts(four: np.ndarray, index: np.ndarray, shared: SharedRules) -> np.ndarray:
    """The 5PL starts (m, len(G_STARTS), 5) of the curves in ``index`` from their 4PL optimum."""
    starts = np.zeros((four.shape[0], len(shared.g_starts), N_PARAMS))
    _asymmetry_starts(four, index, shared.g_starts, starts)
    return starts


@compiled
def _asymmetry_starts(four, index, g_starts, starts):
    """`elisa.fit.start.asymmetry_starts` of the fitted 4PL over G_STARTS: c moves so that the
    half-response concentration stays the 4PL's."""
    for i in index:
        for row in range(len(g_starts)):
            g = g_starts[row]
            starts[i, row, :] = four[i]
            starts[i, row, 2] = four[i, 2] - math.log(2.0 ** (1.0 / g) - 1.0) / four[i, 1]
            starts[i, row, 4] = math.log(g)


def settle_weights(
    data: Chunk,
    index: np.ndarray,
    five: bool,
    settings: tuple[np.ndarray, ...],
    out,
    shared: SharedRules,
) -> np.ndarray:
    """The weighting cycles of the curves in ``index`` from their unweighted optimum in
    out.theta (updated), as `elisa.fit.weights.iterate_weights`: each cycle makes weights from
    the fitted curve, normalised to mean 1, refits from the optimum, and ends a curve's cycles
    when no parameter moves by more than SETTLED_REL. ``settings`` = (weighted, power, estimate
    the power, blank) per curve; ``out`` = `batched_arrays.Outputs`. Returns the weights (m, n)
    in order of concentration (1 for the unweighted)."""
    weighted, power, estimate, blank = settings
    w = np.ones_like(data.y)
    plain = index[~weighted[index]]
    out.settled[plain], out.power_used[plain], out.scale[plain] = True, 0.0, 1.0
    cycling = index[weighted[index]]
    power_now, previous = power.copy(), np.empty_like(out.theta)
    lanes = data.lanes(len(cycling))
    for _ in range(shared.max_weight_cycles):
        if not cycling.size:
            break
        curves = (data.log_levels, data.ends, data.n_levels, data.y)
        _weights_of(cycling, curves, out.theta, power_now, estimate, blank, w, out.scale, shared)
        previous[cycling] = out.theta[cycling]
        problems = np.column_stack([cycling, np.zeros_like(cycling)])
        results = _results(len(cycling))
        starts = out.theta[:, None, :]
        lm.fit_problems(
            problems, data.curves(w), starts, five, lm.DAMPING_NEAR, 0.0, lanes, results
        )
        out.theta[cycling], out.success[cycling] = results[0], results[2]
        settled = _settled(cycling, out.theta, previous, shared.settled_rel)
        out.settled[cycling[settled]] = True
        cycling = cycling[~settled]
    weighted_index = index[weighted[index]]
    out.power_used[weighted_index] = power_now[weighted_index]
    return w


@compiled
def _weights_of(cycling, curves, theta, power, estimate, blank, w, scale, shared):
    """A cycle's weights w = max(μ + blank, floor)^(−2·power) per curve, normalised to mean 1
    (``scale`` the mean of the raw weights); ``estimate`` re-estimates the power from μ."""
    log_levels, ends, n_levels, y = curves
    mu, u, v = np.empty(y.shape[1]), np.empty(y.shape[1]), np.empty(y.shape[1])
    for i in cycling:
        k = n_levels[i]
        n = ends[i, k - 1]
        _curve_values(theta[i], log_levels[i], k, mu)
        if estimate[i]:
            power[i] = _estimate_power(ends[i], k, y[i], mu, blank[i], u, v, shared)
        start = 0
        for lv in range(k):
            floored = max(mu[lv] + blank[i], shared.weight_floor)
            raw = 1.0 if power[i] == 0.0 else floored ** (-2.0 * power[i])
            w[i, start : ends[i, lv]] = raw
            start = ends[i, lv]
        scale[i] = w[i, :n].sum() / n
        w[i, :n] /= scale[i]


@compiled
def _curve_values(theta, log_x, k, mu):
    """f(x; θ) at each of the curve's k concentrations into ``mu``."""
    g = math.exp(theta[4])
    for i in range(k):
        u = math.exp(theta[1] * (log_x[i] - theta[2]))
        mu[i] = theta[3] + (theta[0] - theta[3]) * math.exp(-g * math.log1p(u))


@compiled
def _estimate_power(ends, k, y, mu, blank, u, v, shared):
    """`elisa.fit.weights.estimate_theta`: slope of ln|y − μ| on ln max(μ + blank, floor)."""
    count, start = 0, 0
    for i in range(k):
        for j in range(start, ends[i]):
            r = abs(y[j] - mu[i])
            if r > 0.0:
                u[count] = math.log(max(mu[i] + blank, shared.weight_floor))
                v[count] = math.log(r)
                count += 1
        start = ends[i]
    if count < 3:
        return 0.0
    mean_u, mean_v = u[:count].sum() / count, v[:count].sum() / count
    suv, suu = 0.0, 0.0
    for j in range(count):
        suv += (u[j] - mean_u) * (v[j] - mean_v)
        suu += (u[j] - mean_u) * (u[j] - mean_u)
    return min(max(suv / suu, shared.theta_low), shared.theta_high)


@compiled
def _settled(cycling, theta, previous, settled_rel):
    """Per curve cycling: no parameter moved by more than settled_rel (relative)."""
    settled = np.ones(len(cycling), dtype=np.bool_)
    for row in range(len(cycling)):
        i = cycling[row]
        for q in range(N_PARAMS):
            if not abs(theta[i, q] - previous[i, q]) <= settled_rel * max(
                abs(previous[i, q]), 1e-12
            ):
                settled[row] = False
    return settled
