"""The batched fitter reaches the one-plate lmfit path's optimum, curve by curve, whatever else
shares its batch (elisa.fit.batched).

Agreement: parameters within 1e-6 relative to the larger of their value and their standard error.
For a parameter the standards identify (SE below its value) that is 1e-6 relative; one they do
not identify lies in a flat valley of the objective, where two float64 optimisers land about
1e-7 SE apart (docs/computation.md). Unweighted fits minimise one objective, so there the batched
SSE is never larger than the lmfit path's (1e-12 relative slack). Weighted fits are the fixed
point of the weighting cycles, which both paths stop when no parameter moves by more than 1e-8
relative, so their objectives (each under its own final weights) agree to 1e-6 relative.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from elisa.fit import batched as batched_module
from elisa.fit import batched_arrays
from elisa.fit.batched import fit_standard_curves
from elisa.fit.batched_lm import model_and_jacobian
from elisa.fit.bounds import SLOPE_RANGE, default_bounds
from elisa.fit.fitter import CurveFit
from elisa.fit.logistic import logistic5_gradient
from elisa.fit.model import PARAMETER_ORDER
from elisa.fit.request import CurveRequest, fit_curves, fit_one
from elisa.fit.start import starting_points

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "real_curves"


def random_requests(seed: int, count: int) -> list[CurveRequest]:
    """Seeded 8-level duplicate curves with proportional and additive noise, ~10 % wells lost."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        levels = np.geomspace(rng.uniform(0.5, 5), rng.uniform(500, 5000), 8)
        x = np.repeat(levels, 2)
        a, d, b = rng.uniform(0.02, 0.15), rng.uniform(1.0, 3.5), rng.uniform(0.6, 2.0)
        c = np.exp(rng.uniform(np.log(levels[1]), np.log(levels[-1] * 3)))
        g = np.exp(rng.normal(0, 0.5))
        mu = d + (a - d) / (1 + (x / c) ** b) ** g
        y = mu * (1 + rng.normal(0, 0.03, len(x))) + rng.normal(0, 0.005, len(x))
        keep = rng.random(len(x)) > 0.1
        out.append(
            CurveRequest(
                x=x[keep],
                y=y[keep],
                model=("4PL", "5PL")[i % 2],
                weighting=("none", "1/y^2", "1/y")[i % 3],
                blank=0.04,
            )
        )
    return out


def _dnase() -> pd.DataFrame:
    if not (REAL / "DNase.csv").exists():
        pytest.skip("../shared/reference/real_curves is not present")
    return pd.read_csv(REAL / "DNase.csv")


def _params(fit) -> np.ndarray:
    return np.array([fit.params[k] for k in "abcdg"])


def _ses(fit) -> np.ndarray:
    return np.array([fit.se[f"se_{k}"] for k in "abcdg"])


def _sse(fit) -> float:
    return float(np.sum(fit.weights * (fit.y - fit.predict(fit.x)) ** 2))


def _same(one: dict[str, float], other: dict[str, float]) -> bool:
    """Bit-identical values (NaN equal to NaN)."""
    return one.keys() == other.keys() and all(
        np.array_equal(one[k], other[k], equal_nan=True) for k in one
    )


def _assert_same_optimum(reference, batched, request) -> None:
    assert (batched.model, batched.converged, batched.at_bound, batched.message) == (
        reference.model,
        reference.converged,
        reference.at_bound,
        reference.message,
    )
    if not reference.converged:
        return
    scale = np.fmax(np.abs(_params(reference)), _ses(reference))  # fmax: se_g of a 4PL is NaN
    difference = np.abs(_params(batched) - _params(reference))
    assert np.all(difference <= 1e-6 * scale), (difference / scale, _params(reference))
    slack = 1e-12 if request.weighting == "none" else 1e-6
    assert _sse(batched) <= _sse(reference) * (1 + slack)
    np.testing.assert_allclose(batched.sigma, reference.sigma, rtol=1e-6)
    np.testing.assert_allclose(batched.r_squared, reference.r_squared, rtol=1e-6)


def test_jacobian_is_the_logistic_gradient():
    theta = np.array([[0.1, 1.3, np.log(40.0), 2.2, np.log(0.7)], [2.0, 0.8, 0.5, 0.05, 0.0]])
    x = np.geomspace(0.5, 2000, 9)
    f, jac = model_and_jacobian(theta, np.log(np.tile(x, (2, 1))))
    for row, (a, b, log_c, d, log_g) in enumerate(theta):
        expected = logistic5_gradient(x, a, b, np.exp(log_c), d, np.exp(log_g))
        np.testing.assert_allclose(jac[row], expected, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(
            f[row], d + (a - d) / (1 + (x / np.exp(log_c)) ** b) ** np.exp(log_g), rtol=1e-13
        )


def test_dnase_runs_reach_the_independent_nls_optimum():
    data = _dnase()
    optimum = pd.read_csv(REAL / "DNase_nls_optimum.csv").set_index("run")
    runs = sorted(data["run"].unique())
    requests = [
        CurveRequest(x=g["conc_ng_ml"].to_numpy(), y=g["od"].to_numpy())
        for _, g in data.groupby("run")
    ]
    for run, fit in zip(runs, fit_standard_curves(requests), strict=True):
        ref = optimum.loc[run]
        for name in ("b", "c", "d"):
            assert fit.params[name] == pytest.approx(float(ref[name]), rel=1e-6), (run, name)
        # a lies near 0 OD, where a relative error is meaningless: 1e-6 of the response span
        span = float(np.ptp(fit.y))
        assert fit.params["a"] == pytest.approx(float(ref["a"]), abs=1e-6 * span), run
        assert _sse(fit) <= float(ref["sse"]) * (1 + 1e-12), run


@pytest.mark.parametrize("model", ["4PL", "5PL"])
def test_dnase_runs_agree_with_the_lmfit_path(model):
    data = _dnase()
    requests = [
        CurveRequest(x=g["conc_ng_ml"].to_numpy(), y=g["od"].to_numpy(), model=model)
        for _, g in data.groupby("run")
    ]
    for request, batched in zip(requests, fit_standard_curves(requests), strict=True):
        _assert_same_optimum(fit_one(request), batched, request)


@pytest.mark.parametrize(("seed", "count"), [(7, 24), (3, 48)])
def test_random_curves_agree_with_the_lmfit_path(seed, count):
    requests = random_requests(seed=seed, count=count)  # 4PL/5PL × none, 1/y², 1/y
    for request, batched in zip(requests, fit_curves(requests, "batched"), strict=True):
        _assert_same_optimum(fit_one(request), batched, request)


def test_a_step_response_reaches_the_slope_bound_as_the_lmfit_path_does():
    # the response jumps between two standards: the objective falls all the way to b's upper
    # bound along a flat valley (an optimiser that clips steps at the box creeps along it)
    request = CurveRequest(**{k: getattr(random_requests(2024, 865)[864], k) for k in "xy"})
    batched, reference = fit_standard_curves([request])[0], fit_one(request)
    assert batched.params["b"] == SLOPE_RANGE[1] and batched.at_bound == ("b",)
    _assert_same_optimum(reference, batched, request)


def test_levels_and_starting_points_follow_the_shared_rules():
    requests = random_requests(seed=5, count=40)
    rng = np.random.default_rng(5)
    shuffled = [
        CurveRequest(x=r.x[o], y=r.y[o]) for r in requests for o in [rng.permutation(len(r.x))]
    ]
    curves = batched_arrays.rows(shuffled)
    levels = batched_arrays.Levels.of(curves)
    lower, upper = batched_arrays.bounds(*batched_arrays.extremes(curves))
    for i, r in enumerate(shuffled):
        expected = [[s[k] for k in PARAMETER_ORDER] for s in starting_points(r.x, r.y)]
        np.testing.assert_allclose(levels.starts[i], expected, rtol=1e-9, atol=1e-12)
        assert levels.count[i] == len(np.unique(r.x))
        ordered = r.x[levels.order[i, : len(r.x)]]
        assert np.all(np.diff(ordered) >= 0)
        bounds = default_bounds(r.x, r.y)
        np.testing.assert_array_equal(lower[i], [bounds.lower[k] for k in PARAMETER_ORDER])
        np.testing.assert_array_equal(upper[i], [bounds.upper[k] for k in PARAMETER_ORDER])


def test_too_few_standards_fail_as_in_the_lmfit_path():
    x = np.repeat([1.0, 10.0, 100.0, 1000.0], 2)
    request = CurveRequest(x=x, y=np.linspace(0.1, 2.0, 8), model="5PL")
    batched = fit_standard_curves([request])[0]
    assert not batched.converged
    assert batched.message == fit_one(request).message
    assert "too few standards" in batched.message


def test_a_curve_gives_bit_identical_results_alone_in_a_batch_and_in_chunks(monkeypatch):
    requests = random_requests(seed=11, count=500)
    whole = fit_standard_curves(requests)
    chunks = [
        fit
        for lo, hi in ((0, 1), (1, 170), (170, 333), (333, 500))
        for fit in fit_standard_curves(requests[lo:hi])
    ]
    # the batch cut into the fitter's own chunks, fitted on two threads, in reverse order
    monkeypatch.setattr(batched_module, "CHUNK_CURVES", 37)
    monkeypatch.setattr(batched_module, "_threads", lambda: 2)
    threaded = fit_standard_curves(requests[::-1])[::-1]
    for i in (0, 5, 250, 499):  # 4PL and 5PL, unweighted and weighted
        alone = fit_standard_curves([requests[i]])[0]
        for other in (whole[i], chunks[i], threaded[i]):
            assert _same(other.params, alone.params) and _same(other.se, alone.se)
            assert np.array_equal(other.covariance, alone.covariance, equal_nan=True)
            assert np.array_equal(other.weights, alone.weights)
            assert (other.sigma, other.message) == (alone.sigma, alone.message)
    for a, b, c in zip(whole, chunks, threaded, strict=True):
        assert _same(a.params, b.params) and _same(a.params, c.params)


def test_a_plain_record_is_the_dataclass_with_every_field_set():
    # plain records (converged, no note) are filled in without the dataclass's __init__
    request = CurveRequest(**{k: getattr(random_requests(seed=4, count=1)[0], k) for k in "xy"})
    fit = fit_standard_curves([request])[0]
    assert fit.converged and fit.message == ""
    names = [f.name for f in dataclasses.fields(CurveFit)]
    assert sorted(vars(fit)) == sorted(names)
    reference = fit_one(request)  # built by CurveFit's __init__
    assert [type(getattr(fit, n)) for n in names] == [type(getattr(reference, n)) for n in names]
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.sigma = 0.0  # type: ignore[misc]


def test_loading_the_compiled_fitter_leaves_its_entry_points_compiled_in_the_process():
    # A run that forks calls it first (elisa.cluster.two_cores), so that both processes share
    # the loaded code. In a fresh interpreter: nothing is loaded before, everything after.
    import subprocess
    import sys

    code = (
        "from elisa.fit import batched, batched_lm, batched_start\n"
        "entry = (batched_lm.fit_problems, batched_lm.final_statistics, batched_start.prepare)\n"
        "assert not any(f.signatures for f in entry)\n"
        "batched.load_compiled()\n"
        "assert all(f.signatures for f in entry)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
