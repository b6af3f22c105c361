"""Uncertainty of back-calculated concentrations: delta method, intervals, precision profile."""

from __future__ import annotations

import functools

import numpy as np

from elisa.fit.fitter import CurveFit
from elisa.fit.logistic import inverse_gradient
from qc.quantiles import t_quantile


def inwell_se(fit: CurveFit, x: np.ndarray | float, m: np.ndarray | float) -> np.ndarray:
    """SE of an in-well concentration x read from the mean of m wells (same unit as x).

    Var = (∂x/∂y)² σ̂² / (w₀ m) + g_θᵀ Cov g_θ (methods §3.1), w₀ the normalised weight at x.
    """
    return _inwell_se(fit, x, m, one_at_a_time=False)


def inwell_se_each(fit: CurveFit, x: np.ndarray, m: np.ndarray | float) -> np.ndarray:
    """`inwell_se` of each x on its own, in one pass: element i is ``inwell_se(fit, x[i],
    m[i])[0]`` to the last bit. The covariance term is summed one x at a time, as a call with
    one x sums it (a sum over several rows may be ordered otherwise); every other step is
    elementwise, which gives each element the same result whatever the array's length."""
    return _inwell_se(fit, x, m, one_at_a_time=True)


def _inwell_se(
    fit: CurveFit, x: np.ndarray | float, m: np.ndarray | float, *, one_at_a_time: bool
) -> np.ndarray:
    x = np.atleast_1d(np.asarray(x, dtype=float))
    m = np.broadcast_to(np.asarray(m, dtype=float), x.shape)
    out = np.full(x.shape, np.nan)
    ok = np.isfinite(x) & (x > 0) & (m > 0)
    if not fit.converged or not ok.any():
        return out
    p = fit.params
    dx_dy, dx_dtheta = inverse_gradient(x[ok], p["a"], p["b"], p["c"], p["d"], p["g"])
    dx_dtheta = dx_dtheta[:, : fit.n_params]
    replicate = dx_dy**2 * fit.sigma**2 / (fit.weight_at(x[ok]) * m[ok])
    if one_at_a_time:
        parameter = _quadratic_form_each(dx_dtheta, fit.covariance)
    else:
        parameter = _quadratic_form(dx_dtheta, fit.covariance)
    out[ok] = np.sqrt(replicate + parameter)
    return out


def _quadratic_form(gradients: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """gᵀ Cov g for each row g of ``gradients``."""
    return np.einsum("ij,jk,ik->i", gradients, covariance, gradients)


def _quadratic_form_each(gradients: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """`_quadratic_form` of each row on its own (a one-row call), for all rows in one pass.

    For one row g, einsum takes the products (g_j · Cov_jk) · g_k in memory order of ``Cov``
    and adds them to a running sum that starts at 0. With a C-ordered covariance (row by row:
    j outer, k inner) that order is written out here for every row at once; einsum over
    several rows may order its sums otherwise, and a covariance in another layout changes
    einsum's order, so that one is summed one row at a time as before.
    """
    if not covariance.flags.c_contiguous:
        return np.array([_quadratic_form(g[None, :], covariance)[0] for g in gradients])
    products = (gradients[:, :, None] * covariance) * gradients[:, None, :]
    total = np.zeros(len(gradients))
    for term in products.reshape(len(gradients), -1).T:  # (j, k) in row-major order
        total = total + term
    return total


def log_interval(
    conc: np.ndarray, se: np.ndarray, df: int, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """exp(ln conc ± t(1 − α/2, df) · se / conc): a positive, asymmetric interval.

    NaN where it is unbounded: an SE hundreds of times the concentration makes the upper end
    overflow to infinity (and the lower end 0), which no output should show as a number.
    """
    conc = np.asarray(conc, dtype=float)
    se = np.asarray(se, dtype=float)
    if df <= 0:
        nan = np.full(conc.shape, np.nan)
        return nan, nan
    t = t_quantile(0.5 + level / 2, df)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        half = t * se / conc
        low, high = conc * np.exp(-half), conc * np.exp(half)
    unbounded = np.isinf(high)
    return np.where(unbounded, np.nan, low), np.where(unbounded, np.nan, high)


def profile_grid(nominals: np.ndarray, n: int = 1001) -> np.ndarray:
    """Log-spaced in-well concentrations from the smallest to the largest non-zero standard
    (read-only: the grid is shared, see `_log_grid`)."""
    positive = np.asarray(nominals, dtype=float)
    positive = positive[positive > 0]
    return _log_grid(float(positive.min()), float(positive.max()), n)


@functools.lru_cache(maxsize=256)
def _log_grid(low: float, high: float, n: int) -> np.ndarray:
    """`np.geomspace` remembered: the plates of an analyte share their standards, so they
    share their grid, made once instead of once a plate."""
    grid = np.geomspace(low, high, n)
    grid.flags.writeable = False  # one array for every plate asking: nobody may change it
    return grid


def precision_profile(fit: CurveFit, x: np.ndarray, m: float) -> np.ndarray:
    """CV (%) of a concentration read from m wells, at true in-well concentrations x."""
    return 100.0 * inwell_se(fit, x, m) / np.asarray(x, dtype=float)


def profile_limits(
    fit: CurveFit, grid: np.ndarray, m: float, target_pct: float = 20.0
) -> tuple[float, float]:
    """Smallest and largest grid concentration whose CV is ≤ target (NaN, NaN if none)."""
    cv = precision_profile(fit, grid, m)
    ok = np.isfinite(cv) & (cv <= target_pct)
    if not ok.any():
        return float("nan"), float("nan")
    return float(grid[ok].min()), float(grid[ok].max())
