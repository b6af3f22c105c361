"""Uncertainty of back-calculated concentrations (DESIGN 4.3–4.4, methods §3, docs/computation.md).

- `inwell_se`: the delta-method variance assembled here from numerical derivatives of the inverse
  (finite differences of `inverse_logistic5` in y and in (a, b, ln c, d, ln g)), the fit's σ̂,
  covariance, and the weight at x recomputed from the fitted curve;
- `log_interval` against exp(ln conc ± t(0.975, df) · se / conc) with scipy.stats.t;
- `profile_limits` on a hand-built curve whose CV ≤ 20 % region has a closed form, and on fitted
  curves (CV at the limits ≤ 20 %, just outside > 20 % or the grid's end).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from elisa.fit.fitter import CurveFit, fit_standard_curve
from elisa.fit.logistic import inverse_logistic5, logistic5
from elisa.fit.uncertainty import (
    inwell_se,
    log_interval,
    precision_profile,
    profile_grid,
    profile_limits,
)

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning:lmfit.minimizer")

LEVELS = 15.625 * 2.0 ** np.arange(8)
TRUTH = {
    "4PL": {"a": 0.05, "b": 1.3, "c": 120.0, "d": 2.8, "g": 1.0},
    "5PL": {"a": 0.05, "b": 1.3, "c": 120.0, "d": 2.8, "g": 0.6},
}
CASES = [  # model, direction, weighting, theta, θ of the noise, blank
    ("4PL", "increasing", "none", 1.0, 0.0, 0.0),
    ("4PL", "decreasing", "1/y^2", 1.0, 1.0, 0.06),
    ("5PL", "increasing", "pom", 0.7, 0.7, 0.04),
    ("5PL", "decreasing", "none", 1.0, 0.0, 0.0),
    ("5PL", "increasing", "pom", "estimate", 1.0, 0.05),
    ("4PL", "increasing", "1/y", 1.0, 0.5, 0.0),
]


def _fit(model, direction, weighting, theta, noise_theta, blank, seed=5):
    t = dict(TRUTH[model])
    if direction == "decreasing":
        t["a"], t["d"] = t["d"], t["a"]
    x = np.repeat(LEVELS, 2)
    mu = logistic5(x, t["a"], t["b"], t["c"], t["d"], t["g"])
    y = mu + 0.02 * mu**noise_theta * np.random.default_rng(seed).standard_normal(x.size)
    fit = fit_standard_curve(x, y, model=model, weighting=weighting, theta=theta, blank=blank)
    assert fit.converged, fit.message
    return fit


def _numeric_delta_se(fit: CurveFit, x: float, m: float) -> float:
    """√[(∂x/∂y)² σ̂² / (w₀ m) + gᵀ Cov g], every piece computed here, not by the module."""
    p = fit.params
    theta_free = np.array([p["a"], p["b"], math.log(p["c"]), p["d"], math.log(p["g"])])
    k = fit.n_params

    def inverse(y, v):
        return float(inverse_logistic5(y, v[0], v[1], math.exp(v[2]), v[3], math.exp(v[4])))

    def forward(xx, v):
        return logistic5(xx, v[0], v[1], math.exp(v[2]), v[3], math.exp(v[4]))

    y0 = float(forward(x, theta_free))
    span = abs(p["a"] - p["d"])
    hy = 1e-6 * span
    dx_dy = (inverse(y0 + hy, theta_free) - inverse(y0 - hy, theta_free)) / (2 * hy)
    steps = [1e-6 * span, 1e-6 * p["b"], 1e-6, 1e-6 * span, 1e-6]
    grad = np.empty(k)
    for j in range(k):
        up, down = theta_free.copy(), theta_free.copy()
        up[j] += steps[j]
        down[j] -= steps[j]
        grad[j] = (inverse(y0, up) - inverse(y0, down)) / (2 * steps[j])
    # the normalised weight at x: raw weight at μ₀ = f(x) + blank over the mean raw weight of the
    # standards (docs/computation.md), μ floored at 1e-3 OD
    if fit.weighting == "none":
        w0 = 1.0
    else:

        def raw(mu):
            return np.maximum(mu + fit.blank, 1e-3) ** (-2.0 * fit.theta)

        w0 = float(raw(y0) / raw(forward(fit.x, theta_free)).mean())
    variance = dx_dy**2 * fit.sigma**2 / (w0 * m) + grad @ fit.covariance @ grad
    return math.sqrt(variance)


# --------------------------------------------------------------------------- inwell_se


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c[:4])))
def test_inwell_se_is_the_delta_method(case):
    fit = _fit(*case)
    xs = np.geomspace(LEVELS[0], LEVELS[-1], 7)
    for m in (1, 2, 3):
        got = inwell_se(fit, xs, m)
        assert got.shape == xs.shape
        for x, se in zip(xs, got):
            assert se == pytest.approx(_numeric_delta_se(fit, float(x), m), rel=1e-5), (x, m)


def test_inwell_se_replicate_term_shrinks_with_m():
    fit = _fit(*CASES[0])
    x = np.array([40.0, 120.0, 900.0])
    se1, se4 = inwell_se(fit, x, 1), inwell_se(fit, x, 4)
    assert np.all(se4 < se1)
    # with Cov = 0 the SE would scale by 1/2; with the parameter term it falls by less
    assert np.all(se4 > se1 / 2)


def test_inwell_se_broadcasts_m_and_rejects_bad_inputs():
    fit = _fit(*CASES[1])
    x = np.array([50.0, 100.0, 0.0, -3.0, np.nan, 200.0, 300.0])
    m = np.array([1, 2, 2, 2, 2, 0, 3])
    se = inwell_se(fit, x, m)
    assert np.isfinite(se[[0, 1, 6]]).all() and (se[[0, 1, 6]] > 0).all()
    assert np.isnan(se[[2, 3, 4, 5]]).all()  # x ≤ 0, NaN x, m = 0
    assert se[0] == pytest.approx(float(inwell_se(fit, 50.0, 1)[0]), rel=1e-12)
    assert se[6] == pytest.approx(float(inwell_se(fit, 300.0, 3)[0]), rel=1e-12)


def test_inwell_se_of_a_failed_fit_is_nan():
    x = np.repeat(LEVELS[:3], 2)
    fit = fit_standard_curve(x, logistic5(x, 0.05, 1.3, 120.0, 2.8))
    assert not fit.converged
    assert np.isnan(inwell_se(fit, np.array([20.0, 40.0]), 2)).all()


# --------------------------------------------------------------------------- log_interval


@pytest.mark.parametrize("level", [0.95, 0.90, 0.99])
@pytest.mark.parametrize("df", [1, 4, 12, 40])
def test_log_interval_formula(df, level):
    rng = np.random.default_rng(df)
    conc = rng.uniform(0.5, 500.0, 20)
    se = conc * rng.uniform(0.01, 0.5, 20)
    lo, hi = log_interval(conc, se, df, level)
    t = stats.t.ppf(1 - (1 - level) / 2, df)
    assert np.allclose(lo, np.exp(np.log(conc) - t * se / conc), rtol=1e-12)
    assert np.allclose(hi, np.exp(np.log(conc) + t * se / conc), rtol=1e-12)
    assert np.all((lo > 0) & (lo < conc) & (conc < hi))
    # symmetric on the log scale
    assert np.allclose(np.log(conc) - np.log(lo), np.log(hi) - np.log(conc), rtol=1e-12)


def test_log_interval_default_level_is_95_percent():
    lo, hi = log_interval(np.array([100.0]), np.array([10.0]), 12)
    t = stats.t.ppf(0.975, 12)
    assert lo[0] == pytest.approx(100 * math.exp(-t * 0.1), rel=1e-12)
    assert hi[0] == pytest.approx(100 * math.exp(t * 0.1), rel=1e-12)


@pytest.mark.parametrize("df", [0, -1])
def test_log_interval_without_degrees_of_freedom_is_empty(df):
    lo, hi = log_interval(np.array([1.0, 2.0]), np.array([0.1, 0.2]), df)
    assert np.isnan(lo).all() and np.isnan(hi).all()


def test_log_interval_propagates_missing_values():
    lo, hi = log_interval(np.array([np.nan, 10.0]), np.array([1.0, np.nan]), 10)
    assert np.isnan(lo).all() and np.isnan(hi).all()


# --------------------------------------------------------------------------- precision profile


def _hand_built_4pl(sigma: float, a=0.05, b=1.3, c=120.0, d=2.8) -> CurveFit:
    """A converged, unweighted 4PL with zero parameter covariance: CV(x) has a closed form."""
    x = np.repeat(LEVELS, 2)
    return CurveFit(
        model="4PL",
        weighting="none",
        theta=0.0,
        params={"a": a, "b": b, "c": c, "d": d, "g": 1.0},
        se={"se_a": 0.0, "se_b": 0.0, "se_c": 0.0, "se_d": 0.0, "se_g": math.nan},
        covariance=np.zeros((4, 4)),
        sigma=sigma,
        r_squared=1.0,
        n_points=x.size,
        n_params=4,
        converged=True,
        message="",
        x=x,
        y=logistic5(x, a, b, c, d),
        weights=np.ones(x.size),
    )


def _closed_form_region(sigma, m, target, a=0.05, b=1.3, c=120.0, d=2.8):
    """CV(x) = σ(1 + u)² / (√m · b · |d − a| · u), u = (x/c)^b; CV = target at the roots of
    u² + (2 − K)u + 1 = 0 with K = target · √m · b · |d − a| / σ."""
    k = target * math.sqrt(m) * b * abs(d - a) / sigma
    disc = (k - 2) ** 2 - 4
    u_lo = ((k - 2) - math.sqrt(disc)) / 2
    u_hi = ((k - 2) + math.sqrt(disc)) / 2
    return c * u_lo ** (1 / b), c * u_hi ** (1 / b)


def test_precision_profile_matches_the_closed_form():
    fit = _hand_built_4pl(sigma=0.03)
    grid = profile_grid(LEVELS)
    u = (grid / 120.0) ** 1.3
    expected = 100 * 0.03 * (1 + u) ** 2 / (math.sqrt(2) * 1.3 * 2.75 * u)
    assert np.allclose(precision_profile(fit, grid, 2), expected, rtol=1e-9)


@pytest.mark.parametrize("direction", ["increasing", "decreasing"])
@pytest.mark.parametrize(
    "sigma,m,within", [(0.03, 2, False), (0.06, 1, True), (0.08, 3, True), (0.1, 2, True)]
)
def test_profile_limits_are_the_ends_of_the_known_region(sigma, m, within, direction):
    a, d = (0.05, 2.8) if direction == "increasing" else (2.8, 0.05)
    fit = _hand_built_4pl(sigma, a=a, d=d)
    grid = profile_grid(LEVELS)
    x_lo, x_hi = _closed_form_region(sigma, m, 0.20, a=a, d=d)
    # either the region lies inside the standards' span or it reaches past its lower end
    assert bool(grid[0] < x_lo < x_hi < grid[-1]) is within
    lo, hi = profile_limits(fit, grid, m)
    inside = grid[(grid >= x_lo) & (grid <= x_hi)]
    assert lo == inside.min() and hi == inside.max()


def test_profile_limits_default_target_is_20_percent_and_target_is_respected():
    fit = _hand_built_4pl(0.03)
    grid = profile_grid(LEVELS)
    assert profile_limits(fit, grid, 2) == profile_limits(fit, grid, 2, target_pct=20.0)
    lo10, hi10 = profile_limits(fit, grid, 2, target_pct=10.0)
    x_lo, x_hi = _closed_form_region(0.03, 2, 0.10)
    inside = grid[(grid >= x_lo) & (grid <= x_hi)]
    assert (lo10, hi10) == (inside.min(), inside.max())


def test_profile_limits_nan_when_no_point_qualifies_and_grid_ends_when_all_do():
    grid = profile_grid(LEVELS)
    lo, hi = profile_limits(_hand_built_4pl(5.0), grid, 2)
    assert math.isnan(lo) and math.isnan(hi)
    lo, hi = profile_limits(_hand_built_4pl(1e-6), grid, 2)
    assert (lo, hi) == (grid[0], grid[-1])


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c[:4])))
def test_profile_limits_on_fitted_curves(case):
    fit = _fit(*case)
    grid = profile_grid(np.concatenate([[0.0], LEVELS]))  # zero standards are left out
    assert grid[0] == LEVELS[0] and grid[-1] == pytest.approx(LEVELS[-1], rel=1e-12)
    assert grid.size == 1001 and np.allclose(np.diff(np.log(grid)), np.log(grid[1] / grid[0]))
    for m, target in ((2, 20.0), (1, 20.0), (2, 5.0)):
        lo, hi = profile_limits(fit, grid, m, target_pct=target)
        cv = precision_profile(fit, grid, m)
        if not (cv <= target).any():
            assert math.isnan(lo) and math.isnan(hi)
            continue
        i, j = int(np.searchsorted(grid, lo)), int(np.searchsorted(grid, hi))
        assert grid[i] == lo and grid[j] == hi
        assert cv[i] <= target and cv[j] <= target
        assert i == 0 or not cv[i - 1] <= target
        assert j == grid.size - 1 or not cv[j + 1] <= target
