"""The logistic family as pure math (issue 2, item 4): inverse, asymptotes, analytic derivatives.

Property tests draw curves of either direction (a < d or a > d), b ∈ [0.3, 5], c > 0,
g ∈ [0.2, 5], and place x through z = b·ln(x/c), so that the response stays distinguishable
from both asymptotes in double precision. Derivatives are checked against central finite
differences of the functions themselves, and the 4PL against the closed forms of methods §3.1.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from elisa.fit.logistic import (
    FREE_PARAMETERS,
    inverse_gradient,
    inverse_logistic5,
    logistic5,
    logistic5_dx,
    logistic5_gradient,
    side_beyond_asymptote,
)

FINITE = dict(allow_nan=False, allow_infinity=False)


@st.composite
def curves(draw, four: bool = False):
    """(a, b, c, d, g) with a ≠ d in either direction; g = 1 for the 4PL."""
    a = draw(st.floats(-1.0, 4.0, **FINITE))
    span = draw(st.floats(0.05, 4.0, **FINITE))
    direction = draw(st.sampled_from([1.0, -1.0]))
    d = a + direction * span
    b = draw(st.floats(0.3, 5.0, **FINITE))
    c = math.exp(draw(st.floats(-6.0, 10.0, **FINITE)))
    g = 1.0 if four else draw(st.floats(0.2, 5.0, **FINITE))
    return a, b, c, d, g


@st.composite
def curve_and_x(draw, four: bool = False, z_low: float = -12.0, z_high: float = 12.0):
    """A curve and x = c·exp(z/b) with (x/c)^b = e^z; z limited so that y stays off d too."""
    a, b, c, d, g = draw(curves(four))
    # Near d, |f − d|/|a − d| ≈ e^(−g z): keep g·z ≤ |z_low| so both ends are equally far away.
    z = draw(st.floats(z_low, min(z_high, -z_low / g), **FINITE))
    return (a, b, c, d, g), c * math.exp(z / b)


def distinguishable(y: float, a: float, d: float, rel: float = 1e-6) -> bool:
    """y lies strictly inside (a, d) and at least rel·|a − d| from each asymptote."""
    span = abs(a - d)
    return min(abs(y - a), abs(y - d)) >= rel * span and (y - a) * (y - d) < 0


# --------------------------------------------------------------------------- inverse


@settings(max_examples=400, deadline=None)
@given(curve_and_x())
def test_inverse_undoes_the_curve_inside_the_asymptotes(case):
    (a, b, c, d, g), x = case
    y = float(logistic5(x, a, b, c, d, g))
    assume(distinguishable(y, a, d))
    back = float(inverse_logistic5(y, a, b, c, d, g))
    assert back == pytest.approx(x, rel=1e-6)
    assert side_beyond_asymptote(y, a, d) == ""


@settings(max_examples=200, deadline=None)
@given(curve_and_x(four=True))
def test_inverse_of_the_4pl_is_the_closed_form(case):
    (a, b, c, d, _), x = case
    y = float(logistic5(x, a, b, c, d))
    assume(distinguishable(y, a, d))
    closed = c * ((a - y) / (y - d)) ** (1.0 / b)  # methods §1.1
    assert float(inverse_logistic5(y, a, b, c, d)) == pytest.approx(closed, rel=1e-6)
    assert float(inverse_logistic5(y, a, b, c, d, 1.0)) == pytest.approx(x, rel=1e-6)


@settings(max_examples=300, deadline=None)
@given(curves(), st.floats(0.0, 10.0, **FINITE), st.sampled_from(["a", "d"]))
def test_no_number_at_or_beyond_an_asymptote(curve, k, side):
    a, b, c, d, g = curve
    step = k * (d - a)
    y = a - step if side == "a" else d + step  # k = 0 is exactly on the asymptote
    assert math.isnan(float(inverse_logistic5(y, a, b, c, d, g)))
    assert side_beyond_asymptote(y, a, d) == ("below" if side == "a" else "above")


@settings(max_examples=100, deadline=None)
@given(curves())
def test_inverse_works_on_arrays_mixing_inside_and_beyond(curve):
    a, b, c, d, g = curve
    mid = (a + d) / 2
    y = np.array([a - (d - a), a, mid, d, d + 0.5 * (d - a)])
    x = inverse_logistic5(y, a, b, c, d, g)
    assert x.shape == y.shape
    assert np.isnan(x[[0, 1, 3, 4]]).all()
    assert np.isfinite(x[2]) and x[2] > 0
    # the 5PL midpoint (y = (a + d)/2) is x50 = c·(2^(1/g) − 1)^(1/b) (methods §1.3)
    assert x[2] == pytest.approx(c * (2.0 ** (1.0 / g) - 1.0) ** (1.0 / b), rel=1e-9)
    assert list(side_beyond_asymptote(y, a, d)) == ["below", "below", "", "above", "above"]


def test_curve_limits_and_midpoint():
    a, b, c, d = 0.05, 1.3, 120.0, 2.8
    assert float(logistic5(0.0, a, b, c, d)) == pytest.approx(a, rel=1e-12)
    assert float(logistic5(c, a, b, c, d)) == pytest.approx((a + d) / 2, rel=1e-12)
    assert float(logistic5(1e12, a, b, c, d)) == pytest.approx(d, rel=1e-9)
    # decreasing curve: same shape mirrored
    assert float(logistic5(c, d, b, c, a)) == pytest.approx((a + d) / 2, rel=1e-12)
    assert float(logistic5(1e-9, d, b, c, a)) == pytest.approx(d, rel=1e-9)


# --------------------------------------------------------------------------- derivatives


def _free(a, b, c, d, g):
    return np.array([a, b, math.log(c), d, math.log(g)])


def _natural(v):
    a, b, log_c, d, log_g = v
    return a, b, math.exp(log_c), d, math.exp(log_g)


def _steps(a, b, c, d, g):
    """Central-difference steps for (a, b, ln c, d, ln g), each relative to its scale."""
    span = abs(a - d)
    return np.array([1e-5 * span, 1e-5 * b, 1e-5, 1e-5 * span, 1e-5])


def _fd_gradient(fun, curve):
    """Central differences of fun(a, b, c, d, g) in the free parameters (a, b, ln c, d, ln g)."""
    base, h = _free(*curve), _steps(*curve)
    cols = []
    for j in range(5):
        up, down = base.copy(), base.copy()
        up[j] += h[j]
        down[j] -= h[j]
        cols.append((fun(*_natural(up)) - fun(*_natural(down))) / (2 * h[j]))
    return np.array(cols)


def test_free_parameter_order():
    assert FREE_PARAMETERS == ("a", "b", "log_c", "d", "log_g")


@settings(max_examples=300, deadline=None)
@given(curve_and_x(z_low=-8.0, z_high=8.0))
def test_gradient_matches_central_differences(case):
    curve, x = case
    a, _b, _c, d, _g = curve
    analytic = logistic5_gradient(x, *curve)
    assert analytic.shape == (1, 5)
    numeric = _fd_gradient(lambda *p: float(logistic5(x, *p)), curve)
    scale = abs(a - d)
    # ∂f/∂b, ∂f/∂ln c, ∂f/∂ln g are O(|a − d|); ∂f/∂a, ∂f/∂d are O(1)
    tol = np.array([1e-7, 1e-7 * scale, 1e-7 * scale, 1e-7, 1e-7 * scale]) + 1e-6 * np.abs(numeric)
    assert np.all(np.abs(analytic[0] - numeric) <= tol), (analytic[0], numeric)


@settings(max_examples=300, deadline=None)
@given(curve_and_x(z_low=-8.0, z_high=8.0))
def test_dx_matches_central_differences(case):
    curve, x = case
    a, _b, _c, d, _g = curve
    # differentiate along ln x (x·f′(x)) so the step is relative to x
    h = 1e-5
    numeric = (
        float(logistic5(x * math.exp(h), *curve)) - float(logistic5(x * math.exp(-h), *curve))
    ) / (2 * h)
    analytic = x * float(logistic5_dx(x, *curve))
    assert analytic == pytest.approx(numeric, rel=1e-6, abs=1e-8 * abs(a - d))
    assert np.sign(analytic) in (0.0, np.sign(d - a))  # direction is carried by a vs d


@settings(max_examples=300, deadline=None)
@given(curve_and_x(z_low=-6.0, z_high=6.0))
def test_inverse_gradient_matches_central_differences(case):
    curve, x = case
    a, _b, _c, d, _g = curve
    y = float(logistic5(x, *curve))
    assume(distinguishable(y, a, d, rel=1e-3))
    dx_dy, dx_dtheta = inverse_gradient(x, *curve)
    assert dx_dy.shape == (1,) and dx_dtheta.shape == (1, 5)

    hy = 1e-6 * abs(a - d)
    numeric_y = (
        float(inverse_logistic5(y + hy, *curve)) - float(inverse_logistic5(y - hy, *curve))
    ) / (2 * hy)
    assert float(dx_dy[0]) == pytest.approx(numeric_y, rel=1e-4)

    # x(θ) at fixed y: differentiate the inverse itself in (a, b, ln c, d, ln g)
    numeric = _fd_gradient(lambda *p: float(inverse_logistic5(y, *p)), curve)
    assert np.all(np.isfinite(numeric))
    assert np.allclose(dx_dtheta[0], numeric, rtol=1e-4, atol=1e-6 * x), (dx_dtheta[0], numeric)


@settings(max_examples=300, deadline=None)
@given(curve_and_x(four=True, z_low=-8.0, z_high=8.0))
def test_4pl_inverse_derivatives_match_methods_closed_forms(case):
    (a, b, c, d, _), x = case
    y = float(logistic5(x, a, b, c, d))
    assume(distinguishable(y, a, d, rel=1e-6))
    dx_dy, dx_dtheta = inverse_gradient(x, a, b, c, d, 1.0)
    closed_y = -(x / b) * (a - d) / ((a - y) * (y - d))
    closed = [
        x / (b * (a - y)),  # ∂x/∂a
        -(x / b**2) * math.log((a - y) / (y - d)),  # ∂x/∂b
        x,  # ∂x/∂ln c
        x / (b * (y - d)),
    ]  # ∂x/∂d
    assert float(dx_dy[0]) == pytest.approx(closed_y, rel=1e-6)
    for j, expected in enumerate(closed):
        assert float(dx_dtheta[0, j]) == pytest.approx(expected, rel=1e-6, abs=1e-9 * x), (
            FREE_PARAMETERS[j]
        )


def test_gradient_is_vectorised():
    x = np.array([1.0, 10.0, 100.0, 1000.0])
    grad = logistic5_gradient(x, 0.05, 1.3, 120.0, 2.8, 0.6)
    assert grad.shape == (4, 5)
    single = np.vstack([logistic5_gradient(v, 0.05, 1.3, 120.0, 2.8, 0.6) for v in x])
    assert np.array_equal(grad, single)
    # ∂f/∂a + ∂f/∂d = 1: moving both asymptotes together shifts the curve
    assert np.allclose(grad[:, 0] + grad[:, 3], 1.0)
    # for g = 1 the asymmetry derivative is still defined (the 5PL starts from the 4PL there)
    assert np.all(np.isfinite(logistic5_gradient(x, 0.05, 1.3, 120.0, 2.8)))


# --------------------------------------------------------------------------- other conventions


@settings(max_examples=200, deadline=None)
@given(
    st.floats(-1.0, 4.0, **FINITE),
    st.floats(0.05, 4.0, **FINITE),
    st.sampled_from([1.0, -1.0]),
    st.floats(0.3, 5.0, **FINITE),
    st.floats(-6.0, 10.0, **FINITE),
    st.floats(-5.0, 5.0, **FINITE),
)
def test_drc_ll4_mapping(c_drc, span, sign, slope, log_e, z):
    """drc LL.4 f = c + (d − c)/(1 + exp(b(ln x − ln e))) evaluated by hand (methods §1.2)."""
    d_drc = c_drc + span * sign
    e = math.exp(log_e)
    x = e * math.exp(z / slope)
    for b_drc in (slope, -slope):
        by_hand = c_drc + (d_drc - c_drc) / (1.0 + math.exp(b_drc * (math.log(x) - math.log(e))))
        if b_drc > 0:  # decreasing in drc terms: a = d_drc, d = c_drc, b = b_drc
            ours = logistic5(x, d_drc, b_drc, e, c_drc)
        else:  # drc's b < 0: a = c_drc, d = d_drc, b = −b_drc (DESIGN 4.2)
            ours = logistic5(x, c_drc, -b_drc, e, d_drc)
        assert float(ours) == pytest.approx(by_hand, rel=1e-9, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(curve_and_x(four=True, z_low=-5.0, z_high=5.0))
def test_r_ssfpl_mapping(case):
    """R's SSfpl A + (B − A)/(1 + exp((xmid − ln x)/scal)): a = A, d = B, c = e^xmid, b = 1/scal."""
    (a, b, c, d, _), x = case
    xmid, scal = math.log(c), 1.0 / b
    by_hand = a + (d - a) / (1.0 + math.exp((xmid - math.log(x)) / scal))
    assert float(logistic5(x, a, b, c, d)) == pytest.approx(by_hand, rel=1e-9, abs=1e-12)
