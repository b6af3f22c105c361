"""Levenberg–Marquardt for many logistic curves at once, as numpy array operations.

Each row of the arrays is one problem (a curve from one start): minimise Σ w (y − f(x; θ))² over
θ = (a, b, ln c, d, ln g) inside box bounds, with the analytic Jacobian. Every quantity a row's
arithmetic uses belongs to that row (its own damping, its own stopping test), sums over a curve's
points run in a fixed order, and padding points carry weight 0 and add exact zeros, so a row's
result is bit-identical whichever other rows share the arrays and however wide they are padded.

Bounds: a parameter on a bound whose gradient points outward is held there for that step (an
active set); every trial point is projected into the box. This converges to the same
Karush–Kuhn–Tucker point as a bounded trust-region solver.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_PARAMS = 5  # a, b, ln c, d, ln g (elisa.fit.logistic.FREE_PARAMETERS)
MAX_ITERATIONS = 400  # trial steps per problem, accepted or not
STEP_TOL = 1e-13  # stop when no parameter moves by more than this, relative (absolute near 0)
DAMPING_START = 1e-3
DAMPING_MAX = 1e16  # no decrease is possible at any step length: the optimum to rounding
DAMPING_MIN = 1e-15
#: Rows solved together: bounds the memory of the (rows × points × 5) Jacobian.
CHUNK_ROWS = 8192


@dataclass(frozen=True)
class Problems:
    """Rows of curves to fit; points beyond a curve's count are padding with weight 0."""

    log_x: np.ndarray  # (m, n) ln of the in-well concentration (0 on padding)
    y: np.ndarray  # (m, n) corrected OD (0 on padding)
    w: np.ndarray  # (m, n) weights (0 on padding)
    lower: np.ndarray  # (m, 5)
    upper: np.ndarray  # (m, 5)
    free: np.ndarray  # (m, 5) bool: False holds the parameter (ln g for the 4PL)

    def rows(self, index: np.ndarray | slice) -> Problems:
        """The problems at ``index``."""
        return Problems(*(getattr(self, f)[index] for f in self.__dataclass_fields__))


@dataclass(frozen=True)
class Solution:
    """Per row: the parameters reached, the weighted SSE there, and whether the solver stopped
    by its tests (False when it ran out of iterations or never had a finite objective)."""

    theta: np.ndarray  # (m, 5)
    sse: np.ndarray  # (m,)
    success: np.ndarray  # (m,) bool


def point_sum(values: np.ndarray) -> np.ndarray:
    """Σ over the last-but-trailing point axis (axis 1), added left to right.

    numpy's own reductions choose their order by the array's length and layout; a fixed order
    makes a row's sum independent of how wide its batch is padded.
    """
    total = values[:, 0].copy()
    for j in range(1, values.shape[1]):
        total += values[:, j]
    return total


def model_and_jacobian(theta: np.ndarray, log_x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f and ∂f/∂(a, b, ln c, d, ln g) at each point: shapes (m, n) and (m, n, 5)."""
    a, b, log_c, d, log_g = (theta[:, k, None] for k in range(N_PARAMS))
    g = np.exp(log_g)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        z = log_x - log_c  # ln(x/c)
        u = np.exp(b * z)  # (x/c)^b
        s = 1.0 + u
        log_s = np.log1p(u)
        s_g = np.exp(-g * log_s)  # s^−g
        amd = a - d
        common = -g * amd * (s_g / s) * u  # ∂f/∂u · u
        f = d + amd * s_g
        jac = np.empty((*log_x.shape, N_PARAMS))
        jac[..., 0] = s_g
        jac[..., 1] = common * z
        jac[..., 2] = -common * b
        jac[..., 3] = 1.0 - s_g
        jac[..., 4] = -g * amd * s_g * log_s
    return f, jac


def _normal_equations(
    jac: np.ndarray, resid: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """JᵀWJ (m, 5, 5) and JᵀW r (m, 5), summed over points in a fixed order."""
    m, n = resid.shape
    hess = np.zeros((m, N_PARAMS, N_PARAMS))
    grad = np.zeros((m, N_PARAMS))
    for j in range(n):
        wj = jac[:, j, :] * w[:, j, None]
        hess += wj[:, :, None] * jac[:, j, None, :]
        grad += wj * resid[:, j, None]
    return hess, grad


def _cholesky_solve(matrix: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve the symmetric positive-definite systems row by row (NaN where not positive)."""
    k = matrix.shape[1]
    low = np.zeros_like(matrix)
    with np.errstate(invalid="ignore", divide="ignore"):
        for i in range(k):
            for j in range(i + 1):
                acc = matrix[:, i, j].copy()
                for q in range(j):
                    acc -= low[:, i, q] * low[:, j, q]
                if i == j:
                    low[:, i, i] = np.sqrt(np.where(acc > 0, acc, np.nan))
                else:
                    low[:, i, j] = acc / low[:, j, j]
        forward = np.zeros_like(rhs)
        for i in range(k):
            acc = rhs[:, i].copy()
            for q in range(i):
                acc -= low[:, i, q] * forward[:, q]
            forward[:, i] = acc / low[:, i, i]
        step = np.zeros_like(rhs)
        for i in reversed(range(k)):
            acc = forward[:, i].copy()
            for q in range(i + 1, k):
                acc -= low[:, q, i] * step[:, q]
            step[:, i] = acc / low[:, i, i]
    return step


def _objective(theta: np.ndarray, prob: Problems) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    f, jac = model_and_jacobian(theta, prob.log_x)
    resid = np.where(prob.w > 0, prob.y - f, 0.0)
    jac = np.where((prob.w > 0)[:, :, None], jac, 0.0)
    sse = point_sum(prob.w * resid * resid)
    return sse, resid, jac


def _held(theta: np.ndarray, grad: np.ndarray, prob: Problems) -> np.ndarray:
    """Parameters fixed this step: not free, or on a bound with the descent pointing out."""
    out_low = (theta <= prob.lower) & (grad < 0)
    out_high = (theta >= prob.upper) & (grad > 0)
    return ~prob.free | out_low | out_high


def _lm_step(
    hess: np.ndarray, grad: np.ndarray, held: np.ndarray, damping: np.ndarray
) -> np.ndarray:
    """The damped Gauss–Newton step (Marquardt's scaling by diag JᵀWJ) in the non-held params."""
    diag = np.einsum("mii->mi", hess)
    scale = np.where(diag > 0, diag, 1.0)
    matrix = hess + (damping[:, None] * scale)[:, :, None] * np.eye(N_PARAMS)
    keep = ~held
    matrix = np.where(keep[:, :, None] & keep[:, None, :], matrix, 0.0)
    matrix = matrix + np.where(held, 1.0, 0.0)[:, :, None] * np.eye(N_PARAMS)
    return _cholesky_solve(matrix, np.where(held, 0.0, grad))


def _solve_chunk(prob: Problems, theta0: np.ndarray, max_iterations: int) -> Solution:
    theta = np.clip(theta0, prob.lower, prob.upper)
    sse, resid, jac = _objective(theta, prob)
    hess, grad = _normal_equations(jac, resid, prob.w)
    m = len(theta)
    damping = np.full(m, DAMPING_START)
    done = ~np.isfinite(sse)
    success = np.zeros(m, dtype=bool)
    for _ in range(max_iterations):
        live = np.flatnonzero(~done)
        if live.size == 0:
            break
        sub = prob.rows(live)
        th, h, gr, lam = theta[live], hess[live], grad[live], damping[live]
        step = _lm_step(h, gr, _held(th, gr, sub), lam)
        trial = np.clip(th + step, sub.lower, sub.upper)
        t_sse, t_resid, t_jac = _objective(trial, sub)
        better = t_sse < sse[live]  # False for NaN
        moved = np.abs(trial - th)
        small = np.all(moved <= STEP_TOL * np.maximum(np.abs(th), 1.0), axis=1)
        acc = live[better]
        theta[acc] = trial[better]
        sse[acc] = t_sse[better]
        new_h, new_g = _normal_equations(t_jac[better], t_resid[better], sub.w[better])
        hess[acc], grad[acc] = new_h, new_g
        damping[live] = np.where(
            better, np.maximum(lam / 10.0, DAMPING_MIN), np.minimum(lam * 10.0, DAMPING_MAX)
        )
        stop = (better & small) | (~better & (lam >= DAMPING_MAX))
        done[live[stop]] = True
        success[live[stop]] = True
    return Solution(theta, sse, success)


def solve(prob: Problems, theta0: np.ndarray, max_iterations: int = MAX_ITERATIONS) -> Solution:
    """Minimise each row's weighted SSE from ``theta0`` (m, 5) within its bounds."""
    parts = [
        _solve_chunk(
            prob.rows(slice(i, i + CHUNK_ROWS)), theta0[i : i + CHUNK_ROWS].copy(), max_iterations
        )
        for i in range(0, len(theta0), CHUNK_ROWS)
    ]
    if not parts:
        return Solution(np.empty((0, N_PARAMS)), np.empty(0), np.empty(0, dtype=bool))
    return Solution(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in ("theta", "sse", "success"))
    )
