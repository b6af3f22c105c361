"""Levenberg–Marquardt for many logistic curve fits at once, compiled with numba.

A problem: minimise Σ w (y − f(x; θ))² over θ = (a, b, ln c, d, ln g) inside box bounds, from a
starting θ, with the analytic Jacobian (4PL: ln g held at 0). A curve's points are in order of
concentration (`elisa.fit.batched_start`), so that f and its Jacobian are evaluated once per
concentration rather than once per replicate well.

Lanes: `fit_problems` runs many problems side by side, one per lane (the last axis of every array
in `Lanes`), in rounds of one trial step each; a lane whose fit ends takes the next problem. Each
operation of a round is a loop over the lanes, which the compiler turns into vector instructions
(the scalar code of one fit is a chain of dependent operations that leaves most of the processor
idle). The lanes never mix: each lane does its own fit's operations in its own order (a
condition selects rather than skips, a held parameter is left out rather than packed out), so a
fit's result is bit-identical whichever problems share its lanes, how a batch is chunked, or which
thread runs it. Only exp and log1p are called lane by lane (libm's, one value at a time).

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

Everything compiled that calls into this module lives in it: numba renews a function's cache when
its own file changes, not when a file it calls into does.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import literal_unroll, njit

N_PARAMS = 5  # a, b, ln c, d, ln g (elisa.fit.logistic.FREE_PARAMETERS)
MAX_ITERATIONS = 400  # trial steps per problem, accepted or not
STEP_TOL = 1e-13  # an accepted step this small (relative; absolute near 0) ends the fit
STALL_REL = 1e-16  # predicted decrease, relative to the objective, below which the fit has ended
STALL_DAMPING = 1.0  # the predicted decrease counts while the damping is at most this
DAMPING_FAR = 0.1  # the first damping from a starting point (fewest steps over the starts)
DAMPING_NEAR = 1e-3  # from the previous weighting cycle's optimum, a small step away
DAMPING_MAX = 1e16  # no decrease is possible at any step length: the optimum to rounding
DAMPING_MIN = 1e-15
#: Lanes at most: enough that a round's loops run whole vectors many times over, few enough that
#: a round's arrays stay in the processor's caches.
LANES = 128

#: IEEE arithmetic (x/0 is ±∞ or NaN, as in numpy) rather than Python's ZeroDivisionError
compiled = njit(cache=True, nogil=True, error_model="numpy")
#: the same, and inlined where it is called (a call costs more than a small function's work)
inlined = njit(cache=True, nogil=True, error_model="numpy", inline="always")


class Lanes(NamedTuple):
    """The fits in progress, one per lane (the last axis). Every array is an allocation of its
    own, so that the compiler can tell that a loop over the lanes writes one array while it
    reads others (and vectorise it)."""

    # the lane's curve: ln x of its levels, its points by level and replicate (slot), bounds
    log_x: np.ndarray  # (levels, lanes)
    y: np.ndarray  # (slots, levels, lanes) corrected OD
    w: np.ndarray  # (slots, levels, lanes) weight
    point: np.ndarray  # (slots, levels, lanes) bool: the slot holds a point
    level: np.ndarray  # (levels, lanes) bool: one of the curve's levels
    lower: np.ndarray  # (5, lanes)
    upper: np.ndarray  # (5, lanes)
    # the fit: θ, its objective, JᵀWJ and JᵀW r there, the damping, counts
    theta: np.ndarray  # (5, lanes)
    sse: np.ndarray
    hess: np.ndarray  # (5, 5, lanes)
    grad: np.ndarray  # (5, lanes)
    damping: np.ndarray
    growth: np.ndarray  # the damping's factor after the next failed step
    iterations: np.ndarray  # int: trial steps so far
    problem: np.ndarray  # int: the problem the lane fits
    active: np.ndarray  # bool: a fit is in progress
    fresh: np.ndarray  # bool: the lane took a problem this round (its start is the trial)
    # a round's step: the parameters that move, the solve, the step, the trial point
    free: np.ndarray  # (5, lanes) bool
    low: np.ndarray  # (5, 5, lanes) Cholesky factor
    recip: np.ndarray  # (5, lanes) its diagonal's reciprocals
    solved: np.ndarray  # (5, lanes)
    failed: np.ndarray  # bool: not positive definite
    step: np.ndarray  # (5, lanes)
    g_step: np.ndarray  # gᵀδ
    h_step: np.ndarray  # δᵀHδ
    length: np.ndarray  # the share of the step inside the box
    hit: np.ndarray  # int: the parameter whose bound ends the step (−1: none)
    small: np.ndarray  # bool: no parameter moves by more than STEP_TOL
    trial: np.ndarray  # (5, lanes)
    trial_sse: np.ndarray
    evaluate: np.ndarray  # bool: the trial point is evaluated
    accepted: np.ndarray  # bool: the trial point became θ (its JᵀWJ is due)
    # (x/c)^b, s^−g and ln s per level at the trial point, so at θ once it is accepted
    u: np.ndarray  # (levels, lanes)
    s_g: np.ndarray  # (levels, lanes)
    log_s: np.ndarray  # (levels, lanes)
    # scratch
    jac: np.ndarray  # (5, lanes)
    f: np.ndarray
    g: np.ndarray
    w_sum: np.ndarray
    wr_sum: np.ndarray
    acc: np.ndarray
    row: np.ndarray
    counted: np.ndarray  # (lanes,) bool: a level's terms are added


def workspace(levels: int, slots: int, lanes: int) -> Lanes:
    """Lanes for curves of up to ``levels`` levels and ``slots`` points per level."""
    vector, matrix = (N_PARAMS, lanes), (N_PARAMS, N_PARAMS, lanes)
    per_level, per_point = (levels, lanes), (slots, levels, lanes)
    fields = {
        "log_x": per_level,
        "y": per_point,
        "w": per_point,
        "point": per_point,
        "level": per_level,
        "lower": vector,
        "upper": vector,
        "theta": vector,
        "hess": matrix,
        "grad": vector,
        "free": vector,
        "low": matrix,
        "recip": vector,
        "solved": vector,
        "step": vector,
        "trial": vector,
        "u": per_level,
        "s_g": per_level,
        "log_s": per_level,
        "jac": vector,
    }
    flags = ("point", "level", "active", "fresh", "free", "failed", "small")
    flags += ("evaluate", "accepted", "counted")
    counts = ("iterations", "problem", "hit")
    arrays = {}
    for name in Lanes._fields:
        dtype = bool if name in flags else np.int64 if name in counts else float
        arrays[name] = np.zeros(fields.get(name, (lanes,)), dtype=dtype)
    return Lanes(**arrays)


@inlined
def _evaluate(lanes, five, nl):
    """Σ w (y − f)² at the trial point of each lane flagged ``evaluate``, into trial_sse, and
    (x/c)^b, s^−g and ln s per level there for its Jacobian (s = 1 + (x/c)^b)."""
    trial, out, which, g, f = lanes.trial, lanes.trial_sse, lanes.evaluate, lanes.g, lanes.f
    log_x, level, u, s_g, log_s = lanes.log_x, lanes.level, lanes.u, lanes.s_g, lanes.log_s
    y, w, point = lanes.y, lanes.w, lanes.point
    n_levels, n_slots = log_x.shape[0], y.shape[0]
    for lane in range(nl):
        out[lane] = 0.0
    if five:
        for lane in range(nl):
            if which[lane]:
                g[lane] = math.exp(trial[4, lane])
    for lv in range(n_levels):
        for lane in range(nl):
            u[lv, lane] = trial[1, lane] * (log_x[lv, lane] - trial[2, lane])
        for lane in range(nl):  # libm's exp, one value at a time
            if which[lane] and level[lv, lane]:
                u[lv, lane] = math.exp(u[lv, lane])
        if five:
            for lane in range(nl):
                if which[lane] and level[lv, lane]:
                    log_s[lv, lane] = math.log1p(u[lv, lane])
                    s_g[lv, lane] = math.exp(-g[lane] * log_s[lv, lane])
        else:
            for lane in range(nl):
                s_g[lv, lane] = 1.0 / (1.0 + u[lv, lane])
                log_s[lv, lane] = 0.0
        for lane in range(nl):
            f[lane] = trial[3, lane] + (trial[0, lane] - trial[3, lane]) * s_g[lv, lane]
        for slot in range(n_slots):  # in the points' order, as the scalar sum
            for lane in range(nl):
                r = y[slot, lv, lane] - f[lane]
                added = out[lane] + w[slot, lv, lane] * r * r
                out[lane] = added if point[slot, lv, lane] else out[lane]


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
def _normal_equations(lanes, five, nl):
    """JᵀWJ into hess and JᵀW r into grad at θ of each lane flagged ``accepted``, from its
    per-level values (the 4PL's ln g row and column stay 0: it is held)."""
    theta, hess, grad, jac, which = lanes.theta, lanes.hess, lanes.grad, lanes.jac, lanes.accepted
    n_levels, n_slots = lanes.log_x.shape[0], lanes.y.shape[0]
    p = N_PARAMS if five else N_PARAMS - 1
    f, g, w_sum, wr_sum, counted = lanes.f, lanes.g, lanes.w_sum, lanes.wr_sum, lanes.counted
    for lane in range(nl):
        if which[lane]:
            g[lane] = math.exp(theta[4, lane])
    for i in range(N_PARAMS):
        for lane in range(nl):
            grad[i, lane] = 0.0 if which[lane] else grad[i, lane]
        for q in range(N_PARAMS):
            for lane in range(nl):
                hess[i, q, lane] = 0.0 if which[lane] else hess[i, q, lane]
    for lv in range(n_levels):
        for lane in range(nl):
            s_g, amd = lanes.s_g[lv, lane], theta[0, lane] - theta[3, lane]
            jac[0, lane], jac[1, lane], jac[2, lane], jac[3, lane], jac[4, lane] = jacobian_row(
                theta[1, lane],
                theta[2, lane],
                g[lane],
                amd,
                lanes.log_x[lv, lane],
                lanes.u[lv, lane],
                s_g,
                lanes.log_s[lv, lane],
            )
        for lane in range(nl):  # apart: a loop that writes many arrays is not vectorised
            amd = theta[0, lane] - theta[3, lane]
            f[lane] = theta[3, lane] + amd * lanes.s_g[lv, lane]
            w_sum[lane], wr_sum[lane] = 0.0, 0.0
            counted[lane] = which[lane] and lanes.level[lv, lane]
        for slot in range(n_slots):
            for lane in range(nl):
                w = lanes.w[slot, lv, lane]
                here = lanes.point[slot, lv, lane]
                added_w = w_sum[lane] + w
                added_wr = wr_sum[lane] + w * (lanes.y[slot, lv, lane] - f[lane])
                w_sum[lane] = added_w if here else w_sum[lane]
                wr_sum[lane] = added_wr if here else wr_sum[lane]
        for i in range(p):
            for lane in range(nl):
                added = grad[i, lane] + jac[i, lane] * wr_sum[lane]
                grad[i, lane] = added if counted[lane] else grad[i, lane]
            for q in range(i + 1):
                for lane in range(nl):
                    added = hess[i, q, lane] + w_sum[lane] * jac[i, lane] * jac[q, lane]
                    hess[i, q, lane] = added if counted[lane] else hess[i, q, lane]
    for i in range(p):
        for q in range(i):
            for lane in range(nl):
                hess[q, i, lane] = hess[i, q, lane]


@inlined
def _damped_steps(lanes, five, nl):
    """The damped Gauss–Newton step δ in the parameters not held (a held parameter's step is
    0) into ``step``, gᵀδ and δᵀHδ into g_step and h_step (NaN: no step): the quadratic model
    predicts a decrease of 2α gᵀδ − α² δᵀHδ for the step αδ. A Cholesky solve of the free
    parameters' block of JᵀWJ + damping · diag JᵀWJ, the factor's diagonal kept as reciprocals
    so that each row costs one division; a held parameter's terms are selected away."""
    theta, hess, low, grad, free = lanes.theta, lanes.hess, lanes.low, lanes.grad, lanes.free
    step, recip, solved = lanes.step, lanes.recip, lanes.solved
    acc, failed = lanes.acc, lanes.failed
    p = N_PARAMS if five else N_PARAMS - 1
    for i in range(N_PARAMS):
        movable = five or i != 4
        for lane in range(nl):
            th, gr = theta[i, lane], grad[i, lane]
            out_low = (th <= lanes.lower[i, lane]) & (gr < 0.0)
            out_high = (th >= lanes.upper[i, lane]) & (gr > 0.0)
            free[i, lane] = movable & (not out_low) & (not out_high)
            step[i, lane] = 0.0
    for lane in range(nl):
        failed[lane] = False
    for i in range(p):
        for j in range(i + 1):
            for lane in range(nl):
                entry = hess[i, j, lane]
                damped = entry + lanes.damping[lane] * (entry if entry > 0.0 else 1.0)
                acc[lane] = damped if i == j else entry
            for q in range(j):
                for lane in range(nl):
                    less = acc[lane] - low[i, q, lane] * low[j, q, lane]
                    acc[lane] = less if free[q, lane] else acc[lane]
            if i == j:
                for lane in range(nl):
                    failed[lane] = failed[lane] | (free[i, lane] & (not acc[lane] > 0.0))
                    recip[i, lane] = 1.0 / math.sqrt(acc[lane])
            else:
                for lane in range(nl):
                    low[i, j, lane] = acc[lane] * recip[j, lane]
    for i in range(p):  # L z = g
        for lane in range(nl):
            acc[lane] = grad[i, lane]
        for q in range(i):
            for lane in range(nl):
                less = acc[lane] - low[i, q, lane] * solved[q, lane]
                acc[lane] = less if free[q, lane] else acc[lane]
        for lane in range(nl):
            solved[i, lane] = acc[lane] * recip[i, lane]
    for i in range(p - 1, -1, -1):  # Lᵀ δ = z
        for lane in range(nl):
            acc[lane] = solved[i, lane]
        for q in range(i + 1, p):
            for lane in range(nl):
                less = acc[lane] - low[q, i, lane] * solved[q, lane]
                acc[lane] = less if free[q, lane] else acc[lane]
        for lane in range(nl):
            solved[i, lane] = acc[lane] * recip[i, lane]
    g_step, h_step, row = lanes.g_step, lanes.h_step, lanes.row
    for lane in range(nl):
        g_step[lane], h_step[lane] = 0.0, 0.0
    for i in range(p):
        for lane in range(nl):
            row[lane] = 0.0
        for q in range(p):
            for lane in range(nl):
                added = row[lane] + hess[i, q, lane] * solved[q, lane]
                row[lane] = added if free[q, lane] else row[lane]
        for lane in range(nl):
            here, delta = free[i, lane], solved[i, lane]
            step[i, lane] = delta if here else 0.0
            added_g = g_step[lane] + grad[i, lane] * delta
            added_h = h_step[lane] + delta * row[lane]
            g_step[lane] = added_g if here else g_step[lane]
            h_step[lane] = added_h if here else h_step[lane]
    for lane in range(nl):
        g_step[lane] = math.nan if failed[lane] else g_step[lane]
        h_step[lane] = math.nan if failed[lane] else h_step[lane]


@inlined
def _trial_points(lanes, nl):
    """θ + αδ into ``trial``, α ≤ 1 the share of the step that stays in the box (the parameter
    whose bound ends it put exactly on it) into ``length``; ``small``: no parameter moves by
    more than STEP_TOL. min and max written out as Python's (the first unless the second is
    smaller, or larger)."""
    theta, step, trial = lanes.theta, lanes.step, lanes.trial
    length, hit, small = lanes.length, lanes.hit, lanes.small
    for lane in range(nl):
        length[lane], hit[lane], small[lane] = 1.0, -1, True
    for k in range(N_PARAMS):
        for lane in range(nl):
            st, th, share = step[k, lane], theta[k, lane], length[lane]
            lo, hi = lanes.lower[k, lane], lanes.upper[k, lane]
            up = (th + st > hi) & (hi - th < share * st)
            down = (not up) & (th + st < lo) & (lo - th > share * st)
            length[lane] = (hi - th) / st if up else ((lo - th) / st if down else share)
            hit[lane] = k if up | down else hit[lane]
    for k in range(N_PARAMS):
        for lane in range(nl):
            st, th = step[k, lane], theta[k, lane]
            lo, hi = lanes.lower[k, lane], lanes.upper[k, lane]
            t = th + length[lane] * st
            t = lo if lo > t else t
            t = hi if hi < t else t
            t = (hi if st > 0.0 else lo) if k == hit[lane] else t
            size = abs(th)
            scale = 1.0 if size < 1.0 else size
            small[lane] = small[lane] & (abs(t - th) <= STEP_TOL * scale)
            trial[k, lane] = t


@inlined
def _end(lane, sse, stopped, theta, problem, active, results):
    """The lane's fit has ended: θ, objective and flag (stopped by a test) into its problem's
    row of ``results``."""
    thetas, objectives, flags = results
    row = problem[lane]
    for k in range(N_PARAMS):
        thetas[row, k] = theta[k, lane]
    objectives[row], flags[row] = sse, stopped
    active[lane] = False


@inlined
def _refill(lanes, nl, taken, problems, curves, starts, five, inset_share):
    """Give each idle lane the next problem (flagged ``fresh``): its curve's levels, points and
    bounds, and its start as the trial point (a share ``inset_share`` of each span inside the
    bounds, then clipped into them; 4PL: ln g = 0). Returns the problems taken so far."""
    log_levels, ends, n_levels, y, w, lower, upper = curves
    active, fresh, evaluate = lanes.active, lanes.fresh, lanes.evaluate
    problem, trial = lanes.problem, lanes.trial
    lane_lower, lane_upper, log_x, level = lanes.lower, lanes.upper, lanes.log_x, lanes.level
    lane_y, lane_w, point = lanes.y, lanes.w, lanes.point
    n_levels_max, n_slots = log_x.shape[0], lane_y.shape[0]
    for lane in range(nl):
        if active[lane] or taken == problems.shape[0]:
            continue
        i, start = problems[taken, 0], starts[problems[taken, 0], problems[taken, 1]]
        first = 0
        for lv in range(n_levels_max):
            here = lv < n_levels[i]
            level[lv, lane] = here
            log_x[lv, lane] = log_levels[i, lv] if here else 0.0
            end = ends[i, lv] if here else first
            for slot in range(n_slots):
                j = first + slot
                there = j < end
                point[slot, lv, lane] = there
                lane_y[slot, lv, lane] = y[i, j] if there else 0.0
                lane_w[slot, lv, lane] = w[i, j] if there else 0.0
            first = end
        for q in range(N_PARAMS):
            lo, hi = lower[i, q], upper[i, q]
            lane_lower[q, lane], lane_upper[q, lane] = lo, hi
            inset = inset_share * (hi - lo)
            bounded = min(max(start[q], lo + inset), hi - inset)
            trial[q, lane] = min(max(bounded, lo), hi)
        if not five:
            trial[4, lane] = 0.0
        problem[lane], fresh[lane], evaluate[lane] = taken, True, True
        taken += 1
    return taken


@inlined
def _settle(lanes, nl, damping, results):
    """The end of a round: a fresh lane starts at its trial point (if the objective is finite
    there); an active lane accepts its trial point when it lowers the objective and adjusts the
    damping, or ends. An accepted point is flagged ``accepted`` (its JᵀWJ is due)."""
    theta, trial, sse, trial_sse = lanes.theta, lanes.trial, lanes.sse, lanes.trial_sse
    damp, growth, iterations, problem = lanes.damping, lanes.growth, lanes.iterations, lanes.problem
    active, fresh, evaluate, accepted = lanes.active, lanes.fresh, lanes.evaluate, lanes.accepted
    small, length, g_step, h_step = lanes.small, lanes.length, lanes.g_step, lanes.h_step
    for lane in range(nl):
        if fresh[lane]:
            for k in range(N_PARAMS):
                theta[k, lane] = trial[k, lane]
            sse[lane] = trial_sse[lane]
            if math.isfinite(sse[lane]):
                active[lane], accepted[lane] = True, True
                damp[lane], growth[lane], iterations[lane] = damping, 2.0, 0
            else:
                _end(lane, sse[lane], False, theta, problem, active, results)
            continue
        if not active[lane]:
            continue
        t_sse = trial_sse[lane] if evaluate[lane] else math.nan
        if t_sse < sse[lane]:  # False for NaN
            share = length[lane]
            predicted = share * (2.0 * g_step[lane] - share * h_step[lane])
            gain = (sse[lane] - t_sse) / predicted if predicted > 0.0 else 0.0
            for k in range(N_PARAMS):
                theta[k, lane] = trial[k, lane]
            sse[lane] = t_sse
            if small[lane]:
                _end(lane, t_sse, True, theta, problem, active, results)
                continue
            accepted[lane] = True
            shrink = max(1.0 / 3.0, 1.0 - (2.0 * min(gain, 1.0) - 1.0) ** 3)
            damp[lane], growth[lane] = max(damp[lane] * shrink, DAMPING_MIN), 2.0
        elif damp[lane] >= DAMPING_MAX:
            _end(lane, sse[lane], True, theta, problem, active, results)
            continue
        else:
            damp[lane] = min(damp[lane] * growth[lane], DAMPING_MAX)
            growth[lane] = min(growth[lane] * 2.0, DAMPING_MAX)
        iterations[lane] += 1


@inlined
def _out_of_iterations(lanes, nl, results):
    """Lanes out of iterations end (not stopped by a test)."""
    theta, sse, problem = lanes.theta, lanes.sse, lanes.problem
    active, iterations = lanes.active, lanes.iterations
    for lane in range(nl):
        if active[lane] and iterations[lane] == MAX_ITERATIONS:
            _end(lane, sse[lane], False, theta, problem, active, results)


@inlined
def _stall(lanes, nl, results):
    """Lanes whose step's predicted decrease is negligible end (stopped by the test); the
    others' trial point is to be evaluated when a step was found."""
    theta, sse, problem, active = lanes.theta, lanes.sse, lanes.problem, lanes.active
    damping, g_step, h_step = lanes.damping, lanes.g_step, lanes.h_step
    evaluate, fresh, accepted = lanes.evaluate, lanes.fresh, lanes.accepted
    for lane in range(nl):
        stalled = damping[lane] <= STALL_DAMPING and (
            2.0 * g_step[lane] - h_step[lane] <= STALL_REL * sse[lane]
        )
        if active[lane] and stalled:
            _end(lane, sse[lane], True, theta, problem, active, results)
        evaluate[lane] = active[lane] and g_step[lane] == g_step[lane]  # a step was found
        fresh[lane], accepted[lane] = False, False


@compiled
def fit_problems(problems, curves, starts, five, damping, inset_share, lanes, results):
    """Minimise Σ w (y − f)² within the bounds for every problem (a row of ``problems``: its
    curve, its start's row in ``starts`` (m, rows, 5)), from the damping ``damping``; 4PL
    (``five`` False) holds ln g at 0. ``curves`` = per curve (ln x of its levels, the end of
    each level's points, its level count, y, w in order of concentration, lower, upper
    bounds). Each fit's θ, objective and flag (stopped by a test: False when out of iterations
    or never finite) into its problem's row of ``results`` = (θ, objective, flag).

    A round is one trial step of every lane's fit, as in the scalar iteration: the damped step,
    the stall test, the trial point, its objective, accepted or not, and JᵀWJ at an accepted
    point. Lanes whose fit ended take the next problems before the objective is evaluated, so
    that a new fit's start is evaluated along with the others' trial points. Once no problem
    is left to take, the fits still running move to the first lanes whenever half the lanes in
    use are idle, and the rounds run over those only (the last, slowest fits of a batch would
    otherwise drag every lane through their rounds)."""
    active, fresh = lanes.active, lanes.fresh
    active[:] = False
    taken, width = 0, lanes.theta.shape[1]
    while True:
        _out_of_iterations(lanes, width, results)
        _damped_steps(lanes, five, width)
        _stall(lanes, width, results)
        _trial_points(lanes, width)
        taken = _refill(lanes, width, taken, problems, curves, starts, five, inset_share)
        if not (np.any(active[:width]) or np.any(fresh[:width])):
            return
        _evaluate(lanes, five, width)
        _settle(lanes, width, damping, results)
        _normal_equations(lanes, five, width)
        if taken == problems.shape[0]:
            width = _gather(lanes, width)


@compiled
def _gather(lanes, width):
    """Move the running fits (all their lanes' values) to the first lanes when at most half of
    the ``width`` lanes in use run one. Returns the lanes in use."""
    active = lanes.active
    running = 0
    for lane in range(width):
        running += active[lane]
    if 2 * running > width:
        return width
    target = 0
    for source in range(width):
        if not active[source]:
            continue
        while active[target] and target < source:
            target += 1
        if target < source:
            _move(lanes, source, target)
            active[source] = False
    return running


@compiled
def _move(lanes, source, target):
    """Every value of lane ``source`` into lane ``target``."""
    for values in literal_unroll(lanes):
        values[..., target] = values[..., source]


@compiled
def statistics(curve, p, theta, info):
    """σ̂ = √(Σ w r² / (n − p)), r² = 1 − Σ r² / Σ (y − ȳ)² and JᵀWJ in the first p parameters
    (into ``info``) at θ; ``curve`` = (ln x of its levels, the end of each level's points, its
    level count, y, w)."""
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
def _values_and_jacobian(theta, log_x, f, jac):
    lanes_n, n = log_x.shape
    for i in range(lanes_n):
        a, b, log_c, d, log_g = theta[i, 0], theta[i, 1], theta[i, 2], theta[i, 3], theta[i, 4]
        g = math.exp(log_g)
        for j in range(n):
            u = math.exp(b * (log_x[i, j] - log_c))
            log_s = math.log1p(u)
            s_g = math.exp(-g * log_s)
            f[i, j] = d + (a - d) * s_g
            jac[i, j, :] = jacobian_row(b, log_c, g, a - d, log_x[i, j], u, s_g, log_s)


@compiled
def final_statistics(index, curves, order, five, theta, w_out, sigma, r_squared, info):
    """For the curves in ``index``: their weights back in the points' own order (into
    ``w_out``), and σ̂, r² and JᵀWJ of the final fit (5PL if ``five``); ``curves`` = per curve
    (ln x of its levels, the end of each level's points, its level count, y, w in order of
    concentration)."""
    log_levels, ends, n_levels, y, w = curves
    p = 5 if five else 4
    for i in index:
        k = n_levels[i]
        for j in range(ends[i, k - 1]):
            w_out[i, order[i, j]] = w[i, j]
        curve = (log_levels[i], ends[i], k, y[i], w[i])
        sigma[i], r_squared[i] = statistics(curve, p, theta[i], info[i])


def model_and_jacobian(theta: np.ndarray, log_x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f and ∂f/∂(a, b, ln c, d, ln g) at each point, rows of θ (m, 5) against rows of ln x
    (m, n): shapes (m, n) and (m, n, 5). The compiled fit's own formulas, for checking."""
    m, n = log_x.shape
    f, jac = np.empty((m, n)), np.empty((m, n, N_PARAMS))
    _values_and_jacobian(np.asarray(theta, dtype=float), np.asarray(log_x, dtype=float), f, jac)
    return f, jac
