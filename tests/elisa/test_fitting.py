"""The standard-curve fitter (issue 2, item 4; DESIGN 4.2; docs/computation.md "Curve fit").

- noise-free data: every parameter recovered to 1e-6 relative, for 4PL and 5PL, increasing and
  decreasing curves, each weighting;
- noisy data (30 seeds, noise variance matching the weighting): the truth lies within 3 reported
  standard errors in a high fraction of fits;
- 5PL on too few levels falls back to 4PL and says so; too few levels, a flat response or pure
  noise give a result (flagged), never an exception; parameters at a bound are reported;
- σ̂ (rmse), r², the weights and θ recomputed independently from the fitted parameters;
- the standard errors agree with scipy.optimize.curve_fit's covariance on the unweighted problem.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import curve_fit

from elisa.fit.fitter import fit_standard_curve
from elisa.fit.logistic import logistic5

# lmfit warns while computing correlations of a perfect (zero-residual) fit; not ours to judge
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning:lmfit.minimizer")

TRUTH = {
    "4PL": {"a": 0.05, "b": 1.3, "c": 120.0, "d": 2.8, "g": 1.0},
    "5PL": {"a": 0.05, "b": 1.3, "c": 120.0, "d": 2.8, "g": 0.6},
}
#: Eight two-fold levels around the curves' midpoints, in duplicate.
LEVELS = 15.625 * 2.0 ** np.arange(8)
WEIGHTINGS = [  # (weighting, theta setting, θ of the noise variance it matches)
    ("none", 1.0, 0.0),
    ("1/y", 1.0, 0.5),
    ("1/y^2", 1.0, 1.0),
    ("pom", 0.7, 0.7),
    ("pom", "estimate", 1.0),
]
WEIGHT_IDS = ["none", "1/y", "1/y^2", "pom0.7", "pom-estimate"]


def truth(model: str, direction: str) -> dict[str, float]:
    t = dict(TRUTH[model])
    if direction == "decreasing":
        t["a"], t["d"] = t["d"], t["a"]
    return t


def names(model: str) -> str:
    return "abcdg" if model == "5PL" else "abcd"


def curve(x, p):
    return logistic5(x, p["a"], p["b"], p["c"], p["d"], p["g"])


def design(levels=LEVELS, replicates: int = 2) -> np.ndarray:
    return np.repeat(np.asarray(levels, dtype=float), replicates)


def independent_weights(fit, blank: float = 0.0) -> np.ndarray:
    """docs/computation.md: w = max(f + blank, 1e-3)^(−2θ), normalised to mean 1."""
    if fit.weighting == "none":
        return np.ones_like(fit.x)
    raw = np.maximum(curve(fit.x, fit.params) + blank, 1e-3) ** (-2.0 * fit.theta)
    return raw / raw.mean()


# --------------------------------------------------------------------------- recovery


@pytest.mark.parametrize("n_levels", [7, 8])
@pytest.mark.parametrize("weighting,theta,_", WEIGHTINGS, ids=WEIGHT_IDS)
@pytest.mark.parametrize("direction", ["increasing", "decreasing"])
@pytest.mark.parametrize("model", ["4PL", "5PL"])
def test_noise_free_data_recovers_every_parameter(model, direction, weighting, theta, _, n_levels):
    t = truth(model, direction)
    x = design(LEVELS[:n_levels])
    fit = fit_standard_curve(x, curve(x, t), model=model, weighting=weighting, theta=theta)
    assert fit.converged, fit.message
    assert fit.model == model and fit.n_params == len(names(model))
    assert fit.at_bound == ()
    for k in "abcdg":
        assert fit.params[k] == pytest.approx(t[k], rel=1e-6), k
    assert fit.n_points == x.size and fit.df == x.size - fit.n_params
    if weighting in ("1/y", "1/y^2") or theta == 0.7:
        assert fit.theta == {"1/y": 0.5, "1/y^2": 1.0}.get(weighting, 0.7)
    elif weighting == "none":
        assert fit.theta == 0.0
    else:  # estimated from residuals that are pure rounding: any θ in the clip range
        assert 0.0 <= fit.theta <= 2.0


@pytest.mark.parametrize("weighting,theta,noise_theta", WEIGHTINGS, ids=WEIGHT_IDS)
@pytest.mark.parametrize("direction", ["increasing", "decreasing"])
@pytest.mark.parametrize("model", ["4PL", "5PL"])
def test_noisy_data_truth_within_three_standard_errors(
    model, direction, weighting, theta, noise_theta
):
    """SD of each well = 2 % · μ^θ (θ of the weighting; 2 % CV for 1/y² and estimated pom)."""
    t = truth(model, direction)
    x = design()
    mu = curve(x, t)
    seeds = range(30)
    inside = {k: 0 for k in names(model)}
    fallbacks = 0
    for seed in seeds:
        rng = np.random.default_rng(seed)
        y = mu + 0.02 * mu**noise_theta * rng.standard_normal(x.size)
        fit = fit_standard_curve(x, y, model=model, weighting=weighting, theta=theta)
        if fit.model != model:  # a 5PL optimum with g at its bound falls back to 4PL (issue 9)
            assert model == "5PL" and "g reached its bound" in fit.message, fit.message
            fallbacks += 1
            continue
        for k in inside:
            se = fit.se[f"se_{k}"]
            if fit.converged and np.isfinite(se) and se > 0:
                inside[k] += abs(fit.params[k] - t[k]) <= 3 * se
    assert fallbacks <= 1  # seed 21 with θ estimated: g at 20 on the decreasing 5PL
    n = len(seeds) - fallbacks
    pooled = sum(inside.values()) / (n * len(inside))
    per_parameter = {k: v / n for k, v in inside.items()}
    # Wald 3-SE coverage is ≈ 99 % for the 4PL; the 5PL's (c, g) pair is strongly nonlinear and
    # comes out near 93 %. Require the pooled fraction ≥ 90 % and no parameter far below it.
    assert pooled >= 0.90, per_parameter
    assert min(per_parameter.values()) >= 0.80, per_parameter


# --------------------------------------------------------------------------- few levels, failures


@pytest.mark.parametrize("direction", ["increasing", "decreasing"])
def test_5pl_on_five_levels_falls_back_to_4pl_and_says_so(direction):
    t = truth("4PL", direction)
    x = design(LEVELS[1:6])
    fit = fit_standard_curve(x, curve(x, t), model="5PL")
    assert fit.model == "4PL"
    assert "5PL" in fit.message and "4PL" in fit.message
    assert fit.converged
    assert fit.n_params == 4 and fit.params["g"] == 1.0 and math.isnan(fit.se["se_g"])
    for k in "abcd":
        assert fit.params[k] == pytest.approx(t[k], rel=1e-6)


def test_5pl_on_six_levels_stays_5pl():
    t = truth("5PL", "increasing")
    x = design(LEVELS[1:7])
    fit = fit_standard_curve(x, curve(x, t), model="5PL")
    assert fit.model == "5PL" and fit.n_params == 5
    assert "fitted 4PL instead" not in fit.message


@pytest.mark.parametrize("model", ["4PL", "5PL"])
@pytest.mark.parametrize("n_levels,replicates", [(3, 2), (4, 2), (1, 8)])
def test_too_few_levels_is_a_result_not_an_exception(model, n_levels, replicates):
    x = design(LEVELS[2 : 2 + n_levels], replicates)
    fit = fit_standard_curve(
        x, curve(x, truth("4PL", "increasing")), model=model, weighting="1/y^2"
    )
    assert fit.converged is False
    assert fit.message and "too few" in fit.message
    assert all(math.isnan(v) for v in fit.params.values())
    assert all(math.isnan(v) for v in fit.se.values())
    assert math.isnan(fit.sigma) and math.isnan(fit.r_squared)
    assert np.isnan(fit.inverse(np.array([0.5, 1.0]))).all()


def test_five_levels_as_single_wells_fit_a_4pl():
    """5 levels and n = 5 > p = 4: enough for the 4PL (docs/computation.md)."""
    x = design(LEVELS[1:6], 1)
    fit = fit_standard_curve(x, curve(x, truth("4PL", "increasing")))
    assert fit.converged and fit.n_points == 5 and fit.df == 1


@pytest.mark.parametrize("model", ["4PL", "5PL"])
def test_flat_response_returns_a_result(model):
    x = design()
    fit = fit_standard_curve(x, np.full(x.size, 0.7), model=model, weighting="1/y^2")
    # a result with every field, no exception (a 5PL at a bound falls back to 4PL and says so)
    assert fit.model == model or "fitted 4PL instead" in fit.message


@pytest.mark.parametrize("model", ["4PL", "5PL"])
def test_flat_response_is_flagged(model):
    x = design()
    fit = fit_standard_curve(x, np.full(x.size, 0.7), model=model)
    assert not fit.converged or fit.at_bound
    assert "no dose-response" in fit.message
    assert np.isnan(fit.inverse(0.7))


@pytest.mark.parametrize("model", ["4PL", "5PL"])
def test_pure_noise_returns_a_result_and_is_mostly_flagged(model):
    x = design()
    flagged = 0
    seeds = range(8)
    for seed in seeds:
        y = np.random.default_rng(seed).uniform(0.1, 2.0, x.size)
        fit = fit_standard_curve(x, y, model=model)
        assert fit.model == model or "fitted 4PL instead" in fit.message
        flagged += (not fit.converged) or bool(fit.at_bound)
        if not fit.converged or fit.at_bound:
            assert fit.message  # the reason is said
    # a noise fit can land on an interior minimum (e.g. seed 5 for the 4PL); most do not
    assert flagged >= 0.75 * len(seeds)


def test_standard_errors_of_a_non_identified_fit_are_not_zero():
    x = design(7.8125 * 2.0 ** np.arange(8))  # 7.8125 … 1000
    y = np.random.default_rng(28).normal(1.0, 0.05, x.size)
    fit = fit_standard_curve(x, y, model="5PL")
    assert fit.sigma > 0
    for k in names("5PL"):
        se = fit.se[f"se_{k}"]
        assert math.isnan(se) or se > 0, (k, se, fit.message)


# --------------------------------------------------------------------------- bounds


def test_a_step_response_puts_the_slope_at_its_upper_bound():
    x = design()
    y = np.where(x > 100, 2.0, 0.1)
    fit = fit_standard_curve(x, y)
    assert "b" in fit.at_bound
    assert fit.params["b"] == pytest.approx(20.0, abs=1e-6 * (20.0 - 0.05))
    assert "at a bound: b" in fit.message


def test_no_upper_plateau_puts_d_at_its_bound():
    x = design()
    y = 0.1 + 0.002 * x  # a straight line: no plateau, d runs to max y + 10Δ
    fit = fit_standard_curve(x, y)
    span = np.ptp(y)
    assert "d" in fit.at_bound
    assert fit.params["d"] == pytest.approx(y.max() + 10 * span, abs=1e-6 * 21 * span)
    assert "at a bound" in fit.message and "d" in fit.message.split("at a bound")[-1]


def test_bound_names_are_reported_without_log_prefix():
    x = design()
    fit = fit_standard_curve(x, np.where(x > 100, 2.0, 0.1), model="5PL")
    assert fit.at_bound
    assert set(fit.at_bound) <= set("abcdg")


# --------------------------------------------------------------------------- statistics


def _noisy(model, direction, seed, noise_theta=0.0):
    t = truth(model, direction)
    x = design()
    mu = curve(x, t)
    y = mu + 0.02 * mu**noise_theta * np.random.default_rng(seed).standard_normal(x.size)
    return x, y


@pytest.mark.parametrize("blank", [0.0, 0.08])
@pytest.mark.parametrize("weighting,theta,noise_theta", WEIGHTINGS, ids=WEIGHT_IDS)
@pytest.mark.parametrize("model", ["4PL", "5PL"])
def test_rmse_r_squared_and_weights_recomputed_from_the_parameters(
    model, weighting, theta, noise_theta, blank
):
    x, y = _noisy(model, "increasing", 7, noise_theta)
    fit = fit_standard_curve(x, y, model=model, weighting=weighting, theta=theta, blank=blank)
    assert fit.converged, fit.message
    assert fit.blank == blank
    n, p = x.size, len(names(model))
    w = independent_weights(fit, blank)
    assert np.allclose(fit.weights, w, rtol=1e-6)
    assert fit.weights.mean() == pytest.approx(1.0, rel=1e-12)
    r = y - curve(x, fit.params)
    assert fit.sigma == pytest.approx(math.sqrt(np.sum(w * r**2) / (n - p)), rel=1e-6)
    assert fit.r_squared == pytest.approx(1 - np.sum(r**2) / np.sum((y - y.mean()) ** 2), rel=1e-9)
    # weight_at reproduces the fit's weights at the standards
    assert np.allclose(fit.weight_at(x), fit.weights, rtol=1e-12)
    # the fitted parameters minimise Σ w (y − f)² for the final weights: the weighted normal
    # equations hold (numerical gradient in the free parameters (a, b, ln c, d[, ln g]))
    free = np.array(
        [
            fit.params["a"],
            fit.params["b"],
            math.log(fit.params["c"]),
            fit.params["d"],
            math.log(fit.params["g"]),
        ]
    )[:p]

    def objective(v):
        full = np.concatenate([v, [0.0]])[:5] if p == 4 else v
        q = {
            "a": full[0],
            "b": full[1],
            "c": math.exp(full[2]),
            "d": full[3],
            "g": math.exp(full[4]) if p == 5 else 1.0,
        }
        return np.sum(w * (y - curve(x, q)) ** 2)

    base = objective(free)
    se_free = np.sqrt(np.diag(fit.covariance))
    for j in range(p):
        h = 1e-2 * se_free[j]
        up, down = free.copy(), free.copy()
        up[j] += h
        down[j] -= h
        f_up, f_down = objective(up), objective(down)
        slope = (f_up - f_down) / (2 * h)
        curvature = (f_up - 2 * base + f_down) / h**2
        assert curvature > 0, j
        # the Newton step to this coordinate's minimum is a negligible fraction of its SE
        assert abs(slope / curvature) <= 1e-4 * se_free[j], (j, slope / curvature, se_free[j])


@pytest.mark.parametrize("model", ["4PL", "5PL"])
def test_estimated_theta_is_the_slope_of_log_abs_residual_on_log_mean(model):
    """θ = slope of ln|r| on ln(μ + blank), clipped to [0, 2], once the weights have settled;
    when they do not settle within the cycle limit, the message says so."""
    blank = 0.05
    settled = 0
    for seed in range(10):
        x, y = _noisy(model, "increasing", seed, noise_theta=1.0)
        fit = fit_standard_curve(x, y, model=model, weighting="pom", theta="estimate", blank=blank)
        assert fit.converged
        assert 0.0 <= fit.theta <= 2.0
        if "did not settle" in fit.message:
            continue
        settled += 1
        mu = curve(x, fit.params)
        slope = np.polyfit(np.log(np.maximum(mu + blank, 1e-3)), np.log(np.abs(y - mu)), 1)[0]
        assert fit.theta == pytest.approx(float(np.clip(slope, 0, 2)), abs=1e-5), seed
    assert settled >= 6


@pytest.mark.parametrize("direction", ["increasing", "decreasing"])
@pytest.mark.parametrize("model", ["4PL", "5PL"])
def test_standard_errors_agree_with_scipy_curve_fit(model, direction):
    """Unweighted problem; scipy fits (a, b, ln c, d[, ln g]) from the truth on its own."""
    t = truth(model, direction)
    x, y = _noisy(model, direction, 11)
    fit = fit_standard_curve(x, y, model=model)
    assert fit.converged and fit.at_bound == ()

    if model == "5PL":

        def f(xx, a, b, log_c, d, log_g):
            return logistic5(xx, a, b, np.exp(log_c), d, np.exp(log_g))

        p0 = [t["a"], t["b"], math.log(t["c"]), t["d"], math.log(t["g"])]
    else:

        def f(xx, a, b, log_c, d):
            return logistic5(xx, a, b, np.exp(log_c), d)

        p0 = [t["a"], t["b"], math.log(t["c"]), t["d"]]
    popt, pcov = curve_fit(
        f, x, y, p0=p0, method="lm", xtol=1e-14, ftol=1e-14, gtol=1e-14, maxfev=20000
    )
    se = np.sqrt(np.diag(pcov))
    # the same minimum (the 5PL valley is flat: agreement to a small fraction of an SE)
    ours = [
        fit.params["a"],
        fit.params["b"],
        math.log(fit.params["c"]),
        fit.params["d"],
        math.log(fit.params["g"]),
    ][: len(p0)]
    assert np.all(np.abs(np.array(ours) - popt) <= 1e-4 * se), (ours, popt)
    assert fit.se["se_a"] == pytest.approx(se[0], rel=1e-3)
    assert fit.se["se_b"] == pytest.approx(se[1], rel=1e-3)
    assert fit.se["se_c"] == pytest.approx(fit.params["c"] * se[2], rel=1e-3)
    assert fit.se["se_d"] == pytest.approx(se[3], rel=1e-3)
    if model == "5PL":
        assert fit.se["se_g"] == pytest.approx(fit.params["g"] * se[4], rel=1e-3)
    # the whole covariance in the free parameters, relative to the SEs
    scale = np.outer(se, se)
    assert fit.covariance.shape == pcov.shape
    assert np.all(np.abs(fit.covariance - pcov) <= 1e-3 * scale)
    # σ̂ is scipy's residual scale
    assert fit.sigma**2 == pytest.approx(
        np.sum((y - f(x, *popt)) ** 2) / (x.size - len(p0)), rel=1e-6
    )


def test_predict_and_inverse_use_the_fitted_curve():
    x, y = _noisy("5PL", "decreasing", 2, noise_theta=1.0)
    fit = fit_standard_curve(x, y, model="5PL", weighting="1/y^2")
    grid = np.geomspace(LEVELS[0], LEVELS[-1], 9)
    assert np.allclose(fit.predict(grid), curve(grid, fit.params), rtol=1e-14)
    assert np.allclose(fit.inverse(fit.predict(grid)), grid, rtol=1e-8)
