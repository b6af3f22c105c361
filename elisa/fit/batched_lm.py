"""Levenberg–Marquardt for one logistic curve fit, compiled with numba.

A problem: minimise Σ w (y − f(x; θ))² over θ = (a, b, ln c, d, ln g) inside box bounds, with the
analytic Jacobian (4PL: ln g held at 0). A curve is given as ``curve = (ln x of its distinct
concentrations, the end of each one's points, their count, y, w)`` with the points in order of
concentration (`elisa.fit.batched_start`), so that f and its Jacobian are evaluated once per
concentration rather than once per replicate well. The functions read one curve's own arrays in a
fixed order, so a fit's result is bit-identical whichever other curves share a call, how a batch
is chunked or which thread runs it. The inner loop's functions are inlined into it.

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
from typing import NamedTuple

import numpy as np
from numba import njit

from elisa.fit.fitter import BETTER_REL, G_STARTS
from elisa.fit.solve import START_INSET
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
#: the same, and inlined where it is called (a call costs more than a small function's work)
inlined = njit(cache=True, nogil=True, error_model="numpy", inline="always")

# rows of the scratch arrays: per concentration (6, n), 5×5 matrices (3, 5, 5), vectors (6, 5)
_U, _SG, _LS, _TU, _TSG, _TLS = range(6)  # (x/c)^b, s^−g and ln s; current point, then trial
_HESS, _MATRIX, _LOW = range(3)
_GRAD, _STEP, _TRIAL, _RECIP, _RHS, _SOLVED = range(6)


@compiled
def workspace(n_points):
    """Scratch for `fit` on curves of up to ``n_points`` points (reused across fits); the last
    array holds the indices of the parameters that move in a step."""
    return (
        np.empty((6, n_points)),
        np.empty((3, N_PARAMS, N_PARAMS)),
        np.empty((6, N_PARAMS)),
        np.empty(N_PARAMS, dtype=np.int64),
    )


@inlined
def evaluate(a, b, log_c, d, log_g, curve, five, pts, row):
    """Σ w (y − f)² at θ; keeps (x/c)^b, s^−g and ln s per concentration in ``pts`` rows
    ``row`` … ``row + 2`` for the Jacobian (s = 1 + (x/c)^b)."""
    log_x, ends, k, y, w = curve
    g = math.exp(log_g)
    sse, start = 0.0, 0
    for i in range(k):
        u = math.exp(b * (log_x[i] - log_c))
        if five:
            log_s = math.log1p(u)
            s_g = math.exp(-g * log_s)
        else:
            log_s = 0.0
            s_g = 1.0 / (1.0 + u)
        pts[row, i], pts[row + 1, i], pts[row + 2, i] = u, s_g, log_s
        f = d + (a - d) * s_g
        for j in range(start, ends[i]):
            r = y[j] - f
            sse += w[j] * r * r
        start = ends[i]
    return sse


@inlined
def jacobian_row(b, log_c, g, amd, log_x_i, u, s_g, log_s):
    """∂f/∂(a, b, ln c, d, ln g) at one concentration, from its u = (x/c)^b, s^−g and ln s
    (amd = a − d)."""
    # u/s, written so that u = ∞ (far beyond c) gives its limit 1 rather than ∞/∞
    u_over_s = 1.0 if math.isinf(u) else u / (1.0 + u)
    common = -g * amd * s_g * u_over_s  # ∂f/∂u · u
    d_log_g = 0.0 if s_g == 0.0 else -g * amd * s_g * log_s  # s^−g ln s → 0 as s → ∞
    return s_g, common * (log_x_i - log_c), -common * b, 1.0 - s_g, d_log_g


@inlined
def normal_equations(theta, curve, five, pts, mats, vecs):
    """JᵀWJ into mats[_HESS] and JᵀW r into vecs[_GRAD] at θ, from the current rows of ``pts``
    (the 4PL's ln g row and column stay 0: it is held)."""
    log_x, ends, k, y, w = curve
    b, log_c, g, d = theta[1], theta[2], math.exp(theta[4]), theta[3]
    amd = theta[0] - theta[3]
    p = N_PARAMS if five else N_PARAMS - 1
    for i in range(N_PARAMS):
        vecs[_GRAD, i] = 0.0
        for q in range(N_PARAMS):
            mats[_HESS, i, q] = 0.0
    start = 0
    for lv in range(k):
        s_g = pts[_SG, lv]
        jac = jacobian_row(b, log_c, g, amd, log_x[lv], pts[_U, lv], s_g, pts[_LS, lv])
        f = d + amd * s_g
        w_sum, wr_sum = 0.0, 0.0
        for j in range(start, ends[lv]):
            w_sum += w[j]
            wr_sum += w[j] * (y[j] - f)
        start = ends[lv]
        for i in range(p):
            vecs[_GRAD, i] += jac[i] * wr_sum
            wj = w_sum * jac[i]
            for q in range(i + 1):
                mats[_HESS, i, q] += wj * jac[q]
    for i in range(p):
        for q in range(i):
            mats[_HESS, q, i] = mats[_HESS, i, q]


@inlined
def cholesky_solve(matrix, rhs, k, low, recip, out):
    """Solve the leading k×k block of ``matrix`` (symmetric positive definite) against ``rhs``
    into ``out``; False when the block is not positive definite. The factor's diagonal is kept
    as reciprocals (``recip``) so that each row costs one division."""
    for i in range(k):
        for j in range(i + 1):
            acc = matrix[i, j]
            for q in range(j):
                acc -= low[i, q] * low[j, q]
            if i == j:
                if not acc > 0.0:  # also NaN
                    return False
                recip[i] = 1.0 / math.sqrt(acc)
            else:
                low[i, j] = acc * recip[j]
    for i in range(k):  # L z = rhs
        acc = rhs[i]
        for q in range(i):
            acc -= low[i, q] * out[q]
        out[i] = acc * recip[i]
    for i in range(k - 1, -1, -1):  # Lᵀ δ = z
        acc = out[i]
        for q in range(i + 1, k):
            acc -= low[q, i] * out[q]
        out[i] = acc * recip[i]
    return True


@compiled
def damped_step(theta, lower, upper, five, damping, mats, vecs, moving):
    """The damped Gauss–Newton step δ in the parameters not held (a held parameter's step is 0)
    into vecs[_STEP]. Returns (gᵀδ, δᵀHδ): the quadratic model predicts a decrease of
    2α gᵀδ − α² δᵀHδ for the step αδ (NaN: no step)."""
    hess, matrix, low = mats[_HESS], mats[_MATRIX], mats[_LOW]
    grad, step, rhs, solved = vecs[_GRAD], vecs[_STEP], vecs[_RHS], vecs[_SOLVED]
    k, leading = 0, True  # the parameters that move this step, packed into moving[:k]
    for i in range(N_PARAMS):
        out_low = theta[i] <= lower[i] and grad[i] < 0.0
        out_high = theta[i] >= upper[i] and grad[i] > 0.0
        step[i] = 0.0
        if (five or i != 4) and not out_low and not out_high:
            moving[k] = i
            leading = leading and i == k
            k += 1
    if leading:  # the usual case: the same arithmetic without the index lookups
        for p in range(k):
            for q in range(k):
                matrix[p, q] = hess[p, q]
            rhs[p] = grad[p]
    else:
        for p in range(k):
            for q in range(k):
                matrix[p, q] = hess[moving[p], moving[q]]
            rhs[p] = grad[moving[p]]
    for p in range(k):
        diag = matrix[p, p]
        matrix[p, p] += damping * (diag if diag > 0.0 else 1.0)
    if not cholesky_solve(matrix, rhs, k, low, vecs[_RECIP], solved):
        return math.nan, math.nan
    g_step, h_step = 0.0, 0.0
    for p in range(k):
        row = 0.0
        if leading:
            for q in range(k):
                row += hess[p, q] * solved[q]
        else:
            for q in range(k):
                row += hess[moving[p], moving[q]] * solved[q]
        step[moving[p]] = solved[p]
        g_step += rhs[p] * solved[p]
        h_step += solved[p] * row
    return g_step, h_step


@inlined
def _trial_point(theta, lower, upper, vecs):
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
def fit(curve, lower, upper, five, theta, damping, work):
    """Minimise Σ w (y − f)² from ``theta`` (5,), in place, within [lower, upper], from the
    damping ``damping``; 4PL (``five`` False) holds ln g at 0.

    Returns (objective, stopped by a test: False when out of iterations or never finite,
    iterations).
    """
    pts, mats, vecs, moving = work
    for k in range(N_PARAMS):
        theta[k] = min(max(theta[k], lower[k]), upper[k])
    if not five:
        theta[4] = 0.0
    sse = evaluate(theta[0], theta[1], theta[2], theta[3], theta[4], curve, five, pts, _U)
    if not math.isfinite(sse):
        return sse, False, 0
    normal_equations(theta, curve, five, pts, mats, vecs)
    growth = 2.0
    for iteration in range(MAX_ITERATIONS):
        g_step, h_step = damped_step(theta, lower, upper, five, damping, mats, vecs, moving)
        if damping <= STALL_DAMPING and 2.0 * g_step - h_step <= STALL_REL * sse:
            return sse, True, iteration
        length, small = _trial_point(theta, lower, upper, vecs)
        t_sse = math.nan
        if g_step == g_step:  # a step was found
            trial = vecs[_TRIAL]
            t_sse = evaluate(
                trial[0], trial[1], trial[2], trial[3], trial[4], curve, five, pts, _TU
            )
        if t_sse < sse:  # False for NaN
            predicted = length * (2.0 * g_step - length * h_step)
            gain = (sse - t_sse) / predicted if predicted > 0.0 else 0.0
            for k in range(N_PARAMS):
                theta[k] = vecs[_TRIAL, k]
            for i in range(curve[2]):
                pts[_U, i], pts[_SG, i], pts[_LS, i] = pts[_TU, i], pts[_TSG, i], pts[_TLS, i]
            sse = t_sse
            normal_equations(theta, curve, five, pts, mats, vecs)
            if small:
                return sse, True, iteration + 1
            shrink = max(1.0 / 3.0, 1.0 - (2.0 * min(gain, 1.0) - 1.0) ** 3)
            damping, growth = max(damping * shrink, DAMPING_MIN), 2.0
        else:
            if damping >= DAMPING_MAX:
                return sse, True, iteration + 1
            damping, growth = min(damping * growth, DAMPING_MAX), min(growth * 2.0, DAMPING_MAX)
    return sse, False, MAX_ITERATIONS


# ---- one curve's fit sequence --------------------------------------------------------------
# Here rather than in a module of its own: numba renews a function's cache when its own file
# changes, not when a file it calls into does, so the sequence lives beside the fit it calls.


class SharedRules(NamedTuple):
    """The shared rules' constants the sequence uses. They are passed in at each call rather
    than read as globals: numba compiles a global in as a constant, and its cache would keep an
    old value after a change in the module that defines it."""

    better_rel: float  # fitter.BETTER_REL
    start_inset: float  # model.START_INSET
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


@compiled
def _bounded_start(start, lower, upper, five, theta, inset_share):
    """`elisa.fit.solve.bounded_start`: clipped a hair inside the bounds; 4PL has ln g = 0."""
    for k in range(N_PARAMS):
        inset = inset_share * (upper[k] - lower[k])
        theta[k] = min(max(start[k], lower[k] + inset), upper[k] - inset)
    if not five:
        theta[4] = 0.0


@compiled
def best_of_starts(curve, lower, upper, five, starts, theta, work, shared):
    """Fit from every start; the best objective (ties keep the earlier start) into ``theta``.
    Returns (any start had a finite objective, that fit's stopped-by-test flag)."""
    trial = np.empty(N_PARAMS)
    best_sse, found, success = math.inf, False, False
    for row in range(starts.shape[0]):
        _bounded_start(starts[row], lower, upper, five, trial, shared.start_inset)
        sse, ok, _ = fit(curve, lower, upper, five, trial, DAMPING_FAR, work)
        if math.isfinite(sse) and sse < best_sse * (1.0 - shared.better_rel):
            best_sse, found, success = sse, True, ok
            theta[:] = trial
    return found, success


@compiled
def asymmetry_starts(four, g_starts, starts):
    """`elisa.fit.start.asymmetry_starts` of the fitted 4PL ``four`` over G_STARTS: c moves so
    that the half-response concentration stays the 4PL's."""
    for row in range(len(g_starts)):
        g = g_starts[row]
        starts[row, :] = four
        starts[row, 2] = four[2] - math.log(2.0 ** (1.0 / g) - 1.0) / four[1]
        starts[row, 4] = math.log(g)


@compiled
def curve_values(theta, curve, mu):
    """f(x; θ) at each concentration of the curve into ``mu``."""
    log_x, _, k, _, _ = curve
    g = math.exp(theta[4])
    for i in range(k):
        u = math.exp(theta[1] * (log_x[i] - theta[2]))
        mu[i] = theta[3] + (theta[0] - theta[3]) * math.exp(-g * math.log1p(u))


@compiled
def _estimate_power(curve, mu, blank, u, v, shared):
    """`elisa.fit.weights.estimate_theta`: slope of ln|y − μ| on ln max(μ + blank, floor)."""
    _, ends, k, y, _ = curve
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
def settle_weights(curve, blank, power, estimate, lower, upper, five, theta, work, shared):
    """The weighting cycles from the unweighted optimum ``theta`` (updated in place): weights
    w = max(μ + blank, floor)^(−2·power), normalised to mean 1, into the curve's w; ``estimate``
    re-estimates the power each cycle. Returns (the last fit's stopped-by-test flag, settled,
    the power used, the mean of the raw weights)."""
    _, ends, k, _, w = curve
    n = ends[k - 1]
    mu, u, v, previous = np.empty(k), np.empty(n), np.empty(n), np.empty(N_PARAMS)
    success, scale = True, 1.0
    for _ in range(shared.max_weight_cycles):
        curve_values(theta, curve, mu)
        if estimate:
            power = _estimate_power(curve, mu, blank, u, v, shared)
        start = 0
        for i in range(k):
            floored = max(mu[i] + blank, shared.weight_floor)
            raw = 1.0 if power == 0.0 else floored ** (-2.0 * power)
            w[start : ends[i]] = raw
            start = ends[i]
        scale = w[:n].sum() / n
        w[:n] /= scale
        previous[:] = theta
        _, success, _ = fit(curve, lower, upper, five, theta, DAMPING_NEAR, work)
        settled = True
        for q in range(N_PARAMS):
            if not abs(theta[q] - previous[q]) <= shared.settled_rel * max(abs(previous[q]), 1e-12):
                settled = False
        if settled:
            return success, True, power, scale
    return success, False, power, scale


@compiled
def statistics(curve, p, theta, info):
    """σ̂ = √(Σ w r² / (n − p)), r² = 1 − Σ r² / Σ (y − ȳ)² and JᵀWJ in the first p parameters
    (into ``info``) at θ."""
    log_x, ends, k, y, w = curve
    n = ends[k - 1]
    g, amd = math.exp(theta[4]), theta[0] - theta[3]
    info[:p, :p] = 0.0
    wsse, sse, mean, start = 0.0, 0.0, 0.0, 0
    for i in range(k):
        u = math.exp(theta[1] * (log_x[i] - theta[2]))
        log_s = math.log1p(u)
        s_g = math.exp(-g * log_s)
        f = theta[3] + amd * s_g
        jac = jacobian_row(theta[1], theta[2], g, amd, log_x[i], u, s_g, log_s)
        w_sum = 0.0
        for j in range(start, ends[i]):
            r = y[j] - f
            wsse += w[j] * r * r
            sse += r * r
            mean += y[j]
            w_sum += w[j]
        start = ends[i]
        for a in range(p):
            for b in range(p):
                info[a, b] += jac[a] * w_sum * jac[b]
    mean /= n
    total = 0.0
    for j in range(n):
        total += (y[j] - mean) * (y[j] - mean)
    return math.sqrt(wsse / (n - p)), 1.0 - sse / total if total > 0.0 else math.nan


@compiled
def _sorted_y(y, order, n, out):
    for j in range(n):
        out[j] = y[order[j]]
    return out


@compiled
def fit_unweighted(index, y, counts, levels, lower, upper, five, starts4, found, shared):
    """For the curves in ``index``: the best unweighted 4PL over ``starts4`` and, where
    ``five``, the best unweighted 5PL over the asymmetry starts from it. ``levels`` = (order,
    ln x, ends, count) per curve (`batched_start.prepare`); ``found`` = (best 4PL, found, its
    flag, best 5PL, found, its flag); ``shared`` = `SharedRules.now()`."""
    order, log_levels, ends, n_levels = levels
    best4, found4, ok4, best5, found5, ok5 = found
    work = workspace(y.shape[1])
    ys, ones = np.empty(y.shape[1]), np.ones(y.shape[1])
    starts5 = np.empty((len(shared.g_starts), N_PARAMS))
    for i in index:
        curve = (
            log_levels[i],
            ends[i],
            n_levels[i],
            _sorted_y(y[i], order[i], counts[i], ys),
            ones,
        )
        found4[i], ok4[i] = best_of_starts(
            curve, lower[i], upper[i], False, starts4[i], best4[i], work, shared
        )
        if five[i] and found4[i]:
            asymmetry_starts(best4[i], shared.g_starts, starts5)
            found5[i], ok5[i] = best_of_starts(
                curve, lower[i], upper[i], True, starts5, best5[i], work, shared
            )


@compiled
def finish(index, y, counts, levels, lower, upper, five, settings, out, shared):
    """For the curves in ``index``, from the unweighted optimum in the θ of ``out`` (updated):
    the weighting cycles where weighted, then σ̂, r² and JᵀWJ of the fit. ``settings`` = (weighted,
    power, estimate the power, blank) per curve; ``out`` = (θ, flag, settled, power used, weight
    scale, weights, σ̂, r², JᵀWJ); ``shared`` = `SharedRules.now()`."""
    order, log_levels, ends, n_levels = levels
    weighted, power, estimate, blank = settings
    theta, success, settled, power_used, scale, w, sigma, r_squared, info = out
    work = workspace(y.shape[1])
    ys, ws = np.empty(y.shape[1]), np.empty(y.shape[1])
    for i in index:
        n = counts[i]
        ws[:n] = 1.0
        curve = (log_levels[i], ends[i], n_levels[i], _sorted_y(y[i], order[i], n, ys), ws)
        if weighted[i]:
            success[i], settled[i], power_used[i], scale[i] = settle_weights(
                curve,
                blank[i],
                power[i],
                estimate[i],
                lower[i],
                upper[i],
                five[i],
                theta[i],
                work,
                shared,
            )
        else:
            settled[i], power_used[i], scale[i] = True, 0.0, 1.0
        for j in range(n):
            w[i, order[i, j]] = ws[j]
        sigma[i], r_squared[i] = statistics(curve, 5 if five[i] else 4, theta[i], info[i])


def model_and_jacobian(theta: np.ndarray, log_x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f and ∂f/∂(a, b, ln c, d, ln g) at each point, rows of θ (m, 5) against rows of ln x
    (m, n): shapes (m, n) and (m, n, 5). The compiled fit's own formulas, for checking."""
    m, n = log_x.shape
    f, jac = np.empty((m, n)), np.empty((m, n, N_PARAMS))
    pts, ends, zeros = np.empty((6, n)), np.arange(1, n + 1), np.zeros(n)
    for i in range(m):
        a, b, log_c, d, log_g = (float(v) for v in theta[i])
        evaluate(a, b, log_c, d, log_g, (log_x[i], ends, n, zeros, zeros), True, pts, _U)
        f[i] = d + (a - d) * pts[_SG]
        for j in range(n):
            jac[i, j] = jacobian_row(
                b, log_c, np.exp(log_g), a - d, log_x[i, j], pts[_U, j], pts[_SG, j], pts[_LS, j]
            )
    return f, jac
