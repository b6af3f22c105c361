"""Levenberg–Marquardt for one logistic curve fit, compiled with numba.

A problem: minimise Σ w (y − f(x; θ))² over θ = (a, b, ln c, d, ln g) inside box bounds, with the
analytic Jacobian (4PL: ln g held at 0). The functions work on one curve's own arrays, in a fixed
order, so a fit's result is bit-identical whichever other curves share a call, how a batch is
chunked or which thread runs it. The hot loops index their scratch arrays directly (no array views
per iteration: a view costs reference counting).

Bounds: a parameter on a bound whose gradient points outward is held there for that step (an
active set). A step that would leave the box is shortened to reach the first bound it meets, which
keeps the step's coupling between parameters (clipping each parameter alone breaks it, and a
parameter heading for a bound, such as the slope of a step response, would creep towards it).

Damping after Nielsen, with Marquardt's scaling by diag JᵀWJ: an accepted step divides the damping
by up to 3 as the objective's decrease matches the quadratic model's prediction; each failed step
in a row multiplies it by 2, 4, 8, ….

Stopping: the quadratic model predicts how much the step can still lower the objective; below
STALL_REL of the objective (while the damping is small enough that the step is close to the
Gauss–Newton step) nothing measurable is left. An accepted step that moves no parameter by more
than STEP_TOL relative stops too, and so does a failed step at the damping ceiling.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from elisa.fit.fitter import BETTER_REL, G_STARTS
from elisa.fit.model import START_INSET
from elisa.fit.start import (
    FLAT_SPAN,
    GRID_QUANTILES,
    GRID_SLOPES,
    LOGIT_SLOPE_RANGE,
    PLATEAU_INSET,
)
from elisa.fit.weights import MAX_WEIGHT_CYCLES, SETTLED_REL, THETA_RANGE, WEIGHT_FLOOR_OD

N_PARAMS = 5  # a, b, ln c, d, ln g (elisa.fit.logistic.FREE_PARAMETERS)
MAX_ITERATIONS = 400  # trial steps per problem, accepted or not
STEP_TOL = 1e-13  # an accepted step this small (relative; absolute near 0) ends the fit
STALL_REL = 1e-16  # predicted decrease, relative to the objective, below which the fit has ended
STALL_DAMPING = 1.0  # the predicted decrease counts while the damping is at most this
DAMPING_FAR = 0.1  # the first damping from a starting point (fewest steps over the starts)
DAMPING_NEAR = 1e-3  # from the previous weighting cycle's optimum, a small step away
DAMPING_MAX = 1e16  # no decrease is possible at any step length: the optimum to rounding
DAMPING_MIN = 1e-15

#: IEEE arithmetic (x/0 is ±∞ or NaN, as in numpy) rather than Python's ZeroDivisionError
compiled = njit(cache=True, nogil=True, error_model="numpy")

# rows of the scratch arrays: per point (6, n), 5×5 matrices (3, 5, 5), vectors (8, 5); and the
# indices of the parameters that move in a step (5,)
_U, _SG, _LS, _TU, _TSG, _TLS = range(6)  # (x/c)^b, s^−g and ln s; current point, then trial
_HESS, _MATRIX, _LOW = range(3)
_GRAD, _STEP, _TRIAL, _FWD, _RHS, _SOLVED, _SPARE, _SPARE2 = range(8)


@compiled
def workspace(n_points):  # pragma: no cover - compiled
    """Scratch arrays for `fit` on curves of up to ``n_points`` points (reused across fits)."""
    return (
        np.empty((6, n_points)),
        np.empty((3, N_PARAMS, N_PARAMS)),
        np.empty((8, N_PARAMS)),
        np.empty(N_PARAMS, dtype=np.int64),
    )


@compiled
def evaluate(a, b, log_c, d, log_g, log_x, y, w, n, five, pts, row):  # pragma: no cover
    """Σ w (y − f)² at θ; keeps (x/c)^b, s^−g and ln s per point in ``pts`` rows ``row`` …
    ``row + 2`` for the Jacobian (s = 1 + (x/c)^b)."""
    g = math.exp(log_g)
    sse = 0.0
    for j in range(n):
        u = math.exp(b * (log_x[j] - log_c))
        if five:
            log_s = math.log1p(u)
            s_g = math.exp(-g * log_s)
        else:
            log_s = 0.0
            s_g = 1.0 / (1.0 + u)
        pts[row, j] = u
        pts[row + 1, j] = s_g
        pts[row + 2, j] = log_s
        r = y[j] - (d + (a - d) * s_g)
        sse += w[j] * r * r
    return sse


@compiled
def jacobian_row(b, log_c, g, amd, log_x_j, u, s_g, log_s):  # pragma: no cover - compiled
    """∂f/∂(a, b, ln c, d, ln g) at one point, from its u = (x/c)^b, s^−g and ln s
    (amd = a − d)."""
    # u/s, written so that u = ∞ (far beyond c) gives its limit 1 rather than ∞/∞
    u_over_s = 1.0 if math.isinf(u) else u / (1.0 + u)
    common = -g * amd * s_g * u_over_s  # ∂f/∂u · u
    d_log_g = 0.0 if s_g == 0.0 else -g * amd * s_g * log_s  # s^−g ln s → 0 as s → ∞
    return s_g, common * (log_x_j - log_c), -common * b, 1.0 - s_g, d_log_g


@compiled
def normal_equations(theta, log_x, y, w, n, five, pts, mats, vecs):  # pragma: no cover
    """JᵀWJ into mats[_HESS] and JᵀW r into vecs[_GRAD] at θ, from the current rows of ``pts``
    (the 4PL's ln g row and column stay 0: it is held)."""
    a, b, log_c, d = theta[0], theta[1], theta[2], theta[3]
    g, amd = math.exp(theta[4]), theta[0] - theta[3]
    p = N_PARAMS if five else N_PARAMS - 1
    for i in range(N_PARAMS):
        vecs[_GRAD, i] = 0.0
        for k in range(N_PARAMS):
            mats[_HESS, i, k] = 0.0
    for j in range(n):
        s_g = pts[_SG, j]
        jac = jacobian_row(b, log_c, g, amd, log_x[j], pts[_U, j], s_g, pts[_LS, j])
        wr = w[j] * (y[j] - (d + (a - d) * s_g))
        for i in range(p):
            wj = w[j] * jac[i]
            vecs[_GRAD, i] += jac[i] * wr
            for k in range(i + 1):
                mats[_HESS, i, k] += wj * jac[k]
    for i in range(p):
        for k in range(i):
            mats[_HESS, k, i] = mats[_HESS, i, k]


@compiled
def cholesky_solve(mats, vecs, k):  # pragma: no cover - compiled
    """Solve the leading k×k block of mats[_MATRIX] (symmetric positive definite) against
    vecs[_RHS] into vecs[_SOLVED]; False when the block is not positive definite. The factor's
    diagonal is kept as reciprocals (vecs[_FWD]) so that each row costs one division."""
    for i in range(k):
        for j in range(i + 1):
            acc = mats[_MATRIX, i, j]
            for q in range(j):
                acc -= mats[_LOW, i, q] * mats[_LOW, j, q]
            if i == j:
                if not acc > 0.0:  # also NaN
                    return False
                vecs[_FWD, i] = 1.0 / math.sqrt(acc)
                mats[_LOW, i, i] = acc * vecs[_FWD, i]
            else:
                mats[_LOW, i, j] = acc * vecs[_FWD, j]
    for i in range(k):  # forward substitution, L z = rhs (z in vecs[_SOLVED])
        acc = vecs[_RHS, i]
        for q in range(i):
            acc -= mats[_LOW, i, q] * vecs[_SOLVED, q]
        vecs[_SOLVED, i] = acc * vecs[_FWD, i]
    for i in range(k - 1, -1, -1):  # back substitution, Lᵀ δ = z
        acc = vecs[_SOLVED, i]
        for q in range(i + 1, k):
            acc -= mats[_LOW, q, i] * vecs[_SOLVED, q]
        vecs[_SOLVED, i] = acc * vecs[_FWD, i]
    return True


@compiled
def damped_step(
    theta, lower, upper, five, damping, mats, vecs, moving
):  # pragma: no cover - compiled
    """The damped Gauss–Newton step δ in the parameters not held (a held parameter's step is 0)
    into vecs[_STEP]. Returns (gᵀδ, δᵀHδ): the quadratic model predicts a decrease of
    2α gᵀδ − α² δᵀHδ for the step αδ (NaN: no step)."""
    k = 0  # the parameters that move this step, packed: moving[:k] holds their indices
    for i in range(N_PARAMS):
        grad = vecs[_GRAD, i]
        out_low = theta[i] <= lower[i] and grad < 0.0
        out_high = theta[i] >= upper[i] and grad > 0.0
        vecs[_STEP, i] = 0.0
        if (five or i != 4) and not out_low and not out_high:
            moving[k] = i
            k += 1
    for p in range(k):
        i = moving[p]
        for q in range(k):
            mats[_MATRIX, p, q] = mats[_HESS, i, moving[q]]
        diag = mats[_HESS, i, i]
        mats[_MATRIX, p, p] += damping * (diag if diag > 0.0 else 1.0)
        vecs[_RHS, p] = vecs[_GRAD, i]
    if not cholesky_solve(mats, vecs, k):
        return math.nan, math.nan
    g_step, h_step = 0.0, 0.0
    for p in range(k):
        i = moving[p]
        vecs[_STEP, i] = vecs[_SOLVED, p]
        row = 0.0
        for q in range(k):
            row += mats[_HESS, i, moving[q]] * vecs[_SOLVED, q]
        g_step += vecs[_RHS, p] * vecs[_SOLVED, p]
        h_step += vecs[_SOLVED, p] * row
    return g_step, h_step


@compiled
def _trial_point(theta, lower, upper, vecs):  # pragma: no cover - compiled
    """θ + αδ into vecs[_TRIAL], α ≤ 1 the share of the step that stays in the box (the
    parameter whose bound ends it put exactly on it). Returns (α, whether no parameter moves by
    more than STEP_TOL)."""
    length, hit = 1.0, -1
    for k in range(N_PARAMS):
        step = vecs[_STEP, k]
        if theta[k] + step > upper[k] and upper[k] - theta[k] < length * step:
            length, hit = (upper[k] - theta[k]) / step, k
        elif theta[k] + step < lower[k] and lower[k] - theta[k] > length * step:
            length, hit = (lower[k] - theta[k]) / step, k
    small = True
    for k in range(N_PARAMS):
        trial = min(max(theta[k] + length * vecs[_STEP, k], lower[k]), upper[k])
        if k == hit:
            trial = upper[k] if vecs[_STEP, k] > 0.0 else lower[k]
        if not abs(trial - theta[k]) <= STEP_TOL * max(abs(theta[k]), 1.0):
            small = False
        vecs[_TRIAL, k] = trial
    return length, small


@compiled
def fit(
    log_x, y, w, n, lower, upper, five, theta, damping, pts, mats, vecs, moving
):  # pragma: no cover
    """Minimise Σ w (y − f)² over the first ``n`` points from ``theta`` (5,), in place, within
    [lower, upper], from the damping ``damping``; 4PL (``five`` False) holds ln g at 0.

    Returns (objective, stopped by a test: False when out of iterations or never finite,
    iterations).
    """
    for k in range(N_PARAMS):
        theta[k] = min(max(theta[k], lower[k]), upper[k])
    if not five:
        theta[4] = 0.0
    sse = evaluate(theta[0], theta[1], theta[2], theta[3], theta[4], log_x, y, w, n, five, pts, _U)
    if not math.isfinite(sse):
        return sse, False, 0
    normal_equations(theta, log_x, y, w, n, five, pts, mats, vecs)
    growth = 2.0
    for iteration in range(MAX_ITERATIONS):
        g_step, h_step = damped_step(theta, lower, upper, five, damping, mats, vecs, moving)
        if damping <= STALL_DAMPING and 2.0 * g_step - h_step <= STALL_REL * sse:
            return sse, True, iteration
        length, small = _trial_point(theta, lower, upper, vecs)
        t_sse = math.nan
        if g_step == g_step:  # a step was found
            t_sse = evaluate(
                vecs[_TRIAL, 0], vecs[_TRIAL, 1], vecs[_TRIAL, 2], vecs[_TRIAL, 3],
                vecs[_TRIAL, 4], log_x, y, w, n, five, pts, _TU,
            )  # fmt: skip
        if t_sse < sse:  # False for NaN
            predicted = length * (2.0 * g_step - length * h_step)
            gain = (sse - t_sse) / predicted if predicted > 0.0 else 0.0
            for k in range(N_PARAMS):
                theta[k] = vecs[_TRIAL, k]
            for j in range(n):
                pts[_U, j], pts[_SG, j], pts[_LS, j] = pts[_TU, j], pts[_TSG, j], pts[_TLS, j]
            sse = t_sse
            normal_equations(theta, log_x, y, w, n, five, pts, mats, vecs)
            if small:
                return sse, True, iteration + 1
            shrink = max(1.0 / 3.0, 1.0 - (2.0 * min(gain, 1.0) - 1.0) ** 3)
            damping, growth = max(damping * shrink, DAMPING_MIN), 2.0
        else:
            if damping >= DAMPING_MAX:
                return sse, True, iteration + 1
            damping, growth = min(damping * growth, DAMPING_MAX), min(growth * 2.0, DAMPING_MAX)
    return sse, False, MAX_ITERATIONS


# ---- one curve's fit sequence ----

N_STARTS_4PL = 1 + len(GRID_SLOPES) * len(GRID_QUANTILES)  # the logit start, then the grid
N_STARTS_5PL = len(G_STARTS)
_G_GRID = np.array(G_STARTS)


@compiled
def _line_fit(u, v, k):  # pragma: no cover - compiled
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
def level_means(x, y, n, levels, means):  # pragma: no cover - compiled
    """Distinct concentrations ascending and the mean response at each; returns their count."""
    order = np.sort(x[:n])
    count = 0
    for j in range(n):
        if count == 0 or order[j] != levels[count - 1]:
            levels[count] = order[j]
            count += 1
    for i in range(count):
        total, k = 0.0, 0
        for j in range(n):  # in the points' own order, as y[x == level].mean() adds them
            if x[j] == levels[i]:
                total += y[j]
                k += 1
        means[i] = total / k
    return count


@compiled
def _quantile(sorted_values, k, q):  # pragma: no cover - compiled
    """numpy's default (linear) percentile q (0-100) of k ascending values."""
    pos = q / 100.0 * (k - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, k - 1)
    t = pos - lo
    a, b = sorted_values[lo], sorted_values[hi]
    return b - (b - a) * (1.0 - t) if t >= 0.5 else a + (b - a) * t


@compiled
def starting_points(x, y, n, starts):  # pragma: no cover - compiled
    """`elisa.fit.start.starting_points` into ``starts`` (N_STARTS_4PL, 5): the logit start,
    then the grid over b and the quartiles of ln x."""
    levels, means = np.empty(n), np.empty(n)
    k = level_means(x, y, n, levels, means)
    span = means[:k].max() - means[:k].min()
    if span == 0.0:
        span = FLAT_SPAN
    inset = PLATEAU_INSET * span if means[k - 1] >= means[0] else -PLATEAU_INSET * span
    a0, d0 = means[0] - inset, means[k - 1] + inset
    log_levels, odds = np.empty(k), np.empty(k)
    ok = 0
    for i in range(k):
        ratio = (means[i] - a0) / (d0 - means[i])
        if ratio > 0.0 and math.isfinite(ratio):  # where the log-odds are finite
            log_levels[ok], odds[ok] = math.log(levels[i]), math.log(ratio)
            ok += 1
    mean_log = 0.0
    for i in range(k):
        mean_log += math.log(levels[i])
    mean_log /= k
    if ok >= 2:
        slope, intercept = _line_fit(log_levels, odds, ok)
    else:
        slope, intercept = 1.0, -mean_log
    starts[0, 0] = a0
    starts[0, 1] = min(max(abs(slope), LOGIT_SLOPE_RANGE[0]), LOGIT_SLOPE_RANGE[1])
    starts[0, 2] = -intercept / slope if slope != 0.0 else mean_log
    starts[0, 3] = d0
    starts[0, 4] = 0.0
    for i in range(k):
        log_levels[i] = math.log(levels[i])
    row = 1
    for b in GRID_SLOPES:
        for q in GRID_QUANTILES:
            starts[row, 0], starts[row, 1], starts[row, 3], starts[row, 4] = (
                means[0],
                b,
                means[k - 1],
                0.0,
            )
            starts[row, 2] = _quantile(log_levels, k, q)
            row += 1


@compiled
def asymmetry_starts(four, starts):  # pragma: no cover - compiled
    """`elisa.fit.start.asymmetry_starts` of the fitted 4PL ``four`` over G_STARTS."""
    for row in range(len(_G_GRID)):
        g = _G_GRID[row]
        for k in range(N_PARAMS):
            starts[row, k] = four[k]
        starts[row, 2] = four[2] - math.log(2.0 ** (1.0 / g) - 1.0) / four[1]
        starts[row, 4] = math.log(g)


@compiled
def _bounded_start(start, lower, upper, five, theta):  # pragma: no cover - compiled
    """`elisa.fit.model.bounded_start`: clipped a hair inside the bounds; 4PL has ln g = 0."""
    for k in range(N_PARAMS):
        if five or k != 4:
            inset = START_INSET * (upper[k] - lower[k])
            theta[k] = min(max(start[k], lower[k] + inset), upper[k] - inset)
        else:
            theta[k] = 0.0


@compiled
def best_of_starts(log_x, y, w, n, lower, upper, five, starts, theta, work):  # pragma: no cover
    """Fit from every start; the best objective (ties keep the earlier start) into ``theta``.
    Returns (found: any start had a finite objective, that fit's stopped-by-test flag)."""
    trial = np.empty(N_PARAMS)
    best_sse, found, success = math.inf, False, False
    for row in range(starts.shape[0]):
        _bounded_start(starts[row], lower, upper, five, trial)
        pts, mats, vecs, moving = work
        sse, ok, _ = fit(
            log_x, y, w, n, lower, upper, five, trial, DAMPING_FAR, pts, mats, vecs, moving
        )
        if math.isfinite(sse) and sse < best_sse * (1.0 - BETTER_REL):
            best_sse, found, success = sse, True, ok
            for k in range(N_PARAMS):
                theta[k] = trial[k]
    return found, success


@compiled
def curve_values(theta, log_x, n, out):  # pragma: no cover - compiled
    """f(x; θ) at the first n points."""
    a, b, log_c, d = theta[0], theta[1], theta[2], theta[3]
    g = math.exp(theta[4])
    for j in range(n):
        out[j] = d + (a - d) * math.exp(-g * math.log1p(math.exp(b * (log_x[j] - log_c))))


@compiled
def _estimate_theta(y, mu, n, blank, u, v):  # pragma: no cover - compiled
    """`elisa.fit.weights.estimate_theta`: slope of ln|y − μ| on ln max(μ + blank, floor)."""
    k = 0
    for j in range(n):
        r = abs(y[j] - mu[j])
        if r > 0.0:
            u[k] = math.log(max(mu[j] + blank, WEIGHT_FLOOR_OD))
            v[k] = math.log(r)
            k += 1
    if k < 3:
        return 0.0
    slope, _ = _line_fit(u, v, k)
    return min(max(slope, THETA_RANGE[0]), THETA_RANGE[1])


@compiled
def settle_weights(log_x, y, n, blank, power, estimate, lower, upper, five, theta, w, work):
    """The weighting cycles from the unweighted optimum ``theta`` (updated in place), with
    weights w = max(μ + blank, floor)^(−2·power), normalised to mean 1, into ``w``.

    ``estimate`` re-estimates the power each cycle. Returns (the last fit's stopped-by-test
    flag, settled, the power used, the mean of the raw weights).
    """  # pragma: no cover - compiled
    mu, u, v = np.empty(n), np.empty(n), np.empty(n)
    previous = np.empty(N_PARAMS)
    success, scale = True, 1.0
    for _ in range(MAX_WEIGHT_CYCLES):
        curve_values(theta, log_x, n, mu)
        if estimate:
            power = _estimate_theta(y, mu, n, blank, u, v)
        for j in range(n):
            w[j] = 1.0 if power == 0.0 else max(mu[j] + blank, WEIGHT_FLOOR_OD) ** (-2.0 * power)
        scale = np.mean(w[:n])
        for j in range(n):
            w[j] /= scale
        for k in range(N_PARAMS):
            previous[k] = theta[k]
        pts, mats, vecs, moving = work
        _, success, _ = fit(
            log_x, y, w, n, lower, upper, five, theta, DAMPING_NEAR, pts, mats, vecs, moving
        )
        settled = True
        for k in range(N_PARAMS):
            if not abs(theta[k] - previous[k]) <= SETTLED_REL * max(abs(previous[k]), 1e-12):
                settled = False
        if settled:
            return success, True, power, scale
    return success, False, power, scale


@compiled
def statistics(log_x, y, w, n, p, theta, info):  # pragma: no cover - compiled
    """σ̂ = √(Σ w r² / (n − p)), r² = 1 − Σ r² / Σ (y − ȳ)² and JᵀWJ in the first p parameters
    (into ``info``) at θ."""
    mu = np.empty(n)
    curve_values(theta, log_x, n, mu)
    for i in range(p):
        for k in range(p):
            info[i, k] = 0.0
    wsse, sse, mean = 0.0, 0.0, 0.0
    g = math.exp(theta[4])
    for j in range(n):
        r = y[j] - mu[j]
        wsse += w[j] * r * r
        sse += r * r
        mean += y[j]
        u = math.exp(theta[1] * (log_x[j] - theta[2]))
        log_s = math.log1p(u)
        jac = jacobian_row(
            theta[1], theta[2], g, theta[0] - theta[3], log_x[j], u, math.exp(-g * log_s), log_s
        )
        for i in range(p):
            for k in range(p):
                info[i, k] += jac[i] * w[j] * jac[k]
    mean /= n
    total = 0.0
    for j in range(n):
        total += (y[j] - mean) * (y[j] - mean)
    sigma = math.sqrt(wsse / (n - p))
    return sigma, 1.0 - sse / total if total > 0.0 else math.nan


@compiled
def count_levels(x, counts, out):  # pragma: no cover - compiled
    """The number of distinct concentrations of every curve into ``out``."""
    for i in range(len(counts)):
        order = np.sort(x[i, : counts[i]])
        k = 0
        for j in range(counts[i]):
            if j == 0 or order[j] != order[j - 1]:
                k += 1
        out[i] = k


@compiled
def fit_unweighted(
    index, x, y, counts, lower, upper, five, log_x, best4, found4, ok4, best5, found5, ok5
):  # pragma: no cover
    """For the curves in ``index``: ln x, the best unweighted 4PL over the starting points and,
    where ``five``, the best unweighted 5PL over the asymmetry starts from that 4PL."""
    work = workspace(x.shape[1])
    ones = np.ones(x.shape[1])
    starts4, starts5 = np.empty((N_STARTS_4PL, N_PARAMS)), np.empty((N_STARTS_5PL, N_PARAMS))
    for i in index:
        n = counts[i]
        for j in range(n):
            log_x[i, j] = math.log(x[i, j])
        starting_points(x[i], y[i], n, starts4)
        found4[i], ok4[i] = best_of_starts(
            log_x[i], y[i], ones, n, lower[i], upper[i], False, starts4, best4[i], work
        )
        if five[i] and found4[i]:
            asymmetry_starts(best4[i], starts5)
            found5[i], ok5[i] = best_of_starts(
                log_x[i], y[i], ones, n, lower[i], upper[i], True, starts5, best5[i], work
            )


@compiled
def finish(
    index,
    y,
    counts,
    lower,
    upper,
    five,
    log_x,
    weighted,
    power,
    estimate,
    blank,
    theta,
    success,
    settled,
    power_used,
    scale,
    w,
    sigma,
    r_squared,
    info,
):  # pragma: no cover
    """For the curves in ``index``, from the unweighted optimum in ``theta`` (updated): the
    weighting cycles (where ``weighted``), then σ̂, r² and JᵀWJ of the fit."""
    work = workspace(y.shape[1])
    for i in index:
        n = counts[i]
        if weighted[i]:
            success[i], settled[i], power_used[i], scale[i] = settle_weights(
                log_x[i],
                y[i],
                n,
                blank[i],
                power[i],
                estimate[i],
                lower[i],
                upper[i],
                five[i],
                theta[i],
                w[i],
                work,
            )
        else:
            w[i, :n] = 1.0
            settled[i], power_used[i], scale[i] = True, 0.0, 1.0
        p = 5 if five[i] else 4
        sigma[i], r_squared[i] = statistics(log_x[i], y[i], w[i], n, p, theta[i], info[i])


def model_and_jacobian(theta: np.ndarray, log_x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f and ∂f/∂(a, b, ln c, d, ln g) at each point, rows of θ (m, 5) against rows of ln x
    (m, n): shapes (m, n) and (m, n, 5). The compiled fit's own formulas, for checking."""
    m, n = log_x.shape
    f, jac = np.empty((m, n)), np.empty((m, n, N_PARAMS))
    pts = np.empty((6, n))
    zeros = np.zeros(n)
    for i in range(m):
        a, b, log_c, d, log_g = (float(v) for v in theta[i])
        evaluate(a, b, log_c, d, log_g, log_x[i], zeros, zeros, n, True, pts, _U)
        f[i] = d + (a - d) * pts[_SG]
        for j in range(n):
            jac[i, j] = jacobian_row(
                b, log_c, np.exp(log_g), a - d, log_x[i, j], pts[_U, j], pts[_SG, j], pts[_LS, j]
            )
    return f, jac
