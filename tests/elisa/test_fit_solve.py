"""The fitter's direct solver call gives lmfit's result bit for bit (`elisa.fit.solve`)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import elisa.fit.model as model_module
import elisa.fit.solve as solve_module
from elisa.fit.bounds import default_bounds
from elisa.fit.logistic import logistic5
from elisa.fit.model import LogisticModel
from elisa.fit.solve import bounded_start, solve_curve
from elisa.fit.start import asymmetry_starts, starting_points
from tests.elisa.test_fit_optimum import CURVE_NAMES, _curves


def _both(x, y, w, start, five):
    """(direct solution, lmfit result) from the same start."""
    bounds = default_bounds(x, y)
    values = bounded_start(start, bounds, five)
    mine = solve_curve(x, y, w, values, bounds, five)
    curve_model = LogisticModel(five=five)
    theirs = curve_model.fit_weighted(x, y, w, curve_model.make_bounded_params(start, bounds))
    return mine, theirs


def _assert_same(mine, theirs) -> None:
    assert mine.values == theirs.params.valuesdict()  # exactly, in the same order
    assert list(mine.values) == list(theirs.params.valuesdict())
    assert mine.success == theirs.success and mine.message == theirs.message
    np.testing.assert_array_equal(mine.residual, theirs.residual)


@pytest.mark.parametrize("name", CURVE_NAMES)
@pytest.mark.parametrize("five", [False, True], ids=["4PL", "5PL"])
def test_same_bits_as_lmfit_on_fixture_and_real_curves(name, five):
    x, y = _curves()[name]
    w = np.linspace(0.5, 2.0, len(x))  # weights not all equal, as a weighting cycle has them
    for start in starting_points(x, y)[:2]:
        if five:
            start = asymmetry_starts(start, (0.5, 4.0))[1]
        _assert_same(*_both(x, y, w, start, five))


@settings(max_examples=60, deadline=None)
@given(
    a=st.floats(0.0, 0.3),
    d=st.floats(1.0, 3.0),
    b=st.floats(0.5, 3.0),
    c=st.floats(20.0, 500.0),
    g=st.floats(0.3, 3.0),
    noise=st.integers(0, 2**32 - 1),
    five=st.booleans(),
)
def test_same_bits_as_lmfit_on_random_curves(a, d, b, c, g, noise, five):
    x = np.repeat(1000.0 / 2.0 ** np.arange(8), 2)
    rng = np.random.default_rng(noise)
    y = logistic5(x, a, b, c, d, g) * (1 + 0.03 * rng.standard_normal(len(x)))
    w = rng.uniform(0.2, 3.0, len(x))
    _assert_same(*_both(x, y, w, starting_points(x, y)[0], five))


def test_a_fit_stopped_by_the_evaluation_limit_is_the_same(monkeypatch):
    monkeypatch.setattr(solve_module, "MAX_EVALUATIONS", 3)
    monkeypatch.setattr(model_module, "MAX_EVALUATIONS", 3)
    x, y = _curves()[CURVE_NAMES[0]]
    mine, theirs = _both(x, y, np.ones_like(y), starting_points(x, y)[0], False)
    assert not mine.success and mine.message == "Fit aborted: number of function evaluations > 3"
    _assert_same(mine, theirs)
