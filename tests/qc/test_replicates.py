"""Replicate CV and the high_cv rule (DESIGN 4.5)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qc.replicates import high_cv_threshold, is_high_cv, mean_and_sd, replicate_cv


def test_hand_checked_cvs():
    # [9, 11]: mean 10, SD = sqrt((1 + 1) / 1) = sqrt(2) -> CV = 14.1421356 %
    assert replicate_cv([9.0, 11.0]) == pytest.approx(100 * math.sqrt(2) / 10, rel=1e-14)
    # [1, 2, 3]: mean 2, SD = sqrt((1 + 0 + 1) / 2) = 1 -> 50 %
    assert replicate_cv(np.array([1.0, 2.0, 3.0])) == pytest.approx(50.0, rel=1e-14)
    # identical wells: 0 %
    assert replicate_cv([5.0, 5.0, 5.0]) == 0.0


def test_non_finite_values_are_skipped():
    assert replicate_cv([9.0, np.nan, 11.0]) == pytest.approx(100 * math.sqrt(2) / 10)
    assert replicate_cv([9.0, np.inf, 11.0]) == pytest.approx(100 * math.sqrt(2) / 10)


@pytest.mark.parametrize("values", [[], [5.0], [5.0, np.nan], [-1.0, 1.0], [-3.0, -2.0]])
def test_cv_not_defined(values):
    assert math.isnan(replicate_cv(values))


def test_threshold():
    # 2.576 * max(4.3, 5.0) = 12.88; expected CV NaN -> 2.576 * 4.3 = 11.0768
    assert high_cv_threshold(4.3, 5.0) == pytest.approx(12.88)
    assert high_cv_threshold(4.3, 3.0) == pytest.approx(11.0768)
    assert high_cv_threshold(4.3, np.nan) == pytest.approx(11.0768)
    assert isinstance(high_cv_threshold(4.3, 5.0), float)
    np.testing.assert_allclose(
        high_cv_threshold(3.5, np.array([np.nan, 2.0, 10.0])), [9.016, 9.016, 25.76]
    )


def test_is_high_cv():
    assert is_high_cv(11.0768, 11.0768, False) is False  # equal is not "exceeds"
    assert is_high_cv(11.08, 11.0768, False) is True
    assert is_high_cv(1.0, 11.0768, True) is True  # a well without solution
    assert is_high_cv(np.nan, 11.0768, True) is True
    assert is_high_cv(np.nan, 11.0768, False) is False
    assert is_high_cv(50.0, np.nan, False) is False


def test_threshold_then_flag_on_a_duplicate():
    # wells 90 and 110: CV = 100 * sqrt(200) / 100 = 14.142 % > 11.0768 % (limit 4.3 %) -> high
    cv = replicate_cv([90.0, 110.0])
    assert is_high_cv(cv, high_cv_threshold(4.3, np.nan), False)
    # but not when the precision profile expects 6 % per well: 2.576 * 6 = 15.456 %
    assert not is_high_cv(cv, high_cv_threshold(4.3, 6.0), False)


finite_pos = st.floats(min_value=1e-3, max_value=1e6)


@given(st.lists(finite_pos, min_size=2, max_size=12), st.floats(min_value=1e-6, max_value=1e6))
def test_cv_is_scale_invariant(values, scale):
    a = replicate_cv(values)
    b = replicate_cv([v * scale for v in values])
    assert b == pytest.approx(a, rel=1e-9, abs=1e-9)


@given(st.lists(finite_pos, min_size=2, max_size=12), st.randoms())
def test_cv_is_order_invariant_and_non_negative(values, rnd):
    shuffled = values[:]
    rnd.shuffle(shuffled)
    a = replicate_cv(values)
    assert a >= 0
    assert replicate_cv(shuffled) == pytest.approx(a, rel=1e-9, abs=1e-9)


@given(st.lists(finite_pos, min_size=2, max_size=12))
def test_cv_matches_a_direct_formula(values):
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    assert replicate_cv(values) == pytest.approx(100 * sd / mean, rel=1e-7, abs=1e-9)


@given(st.floats(min_value=0.1, max_value=50), st.floats(min_value=0.1, max_value=50))
def test_threshold_is_at_least_the_limit_rule(limit, expected):
    t = high_cv_threshold(limit, expected)
    assert t >= 2.576 * limit - 1e-12 and t >= 2.576 * expected - 1e-12


def _bits(x: float) -> bytes:
    return np.float64(x).tobytes()


def test_mean_and_sd_are_numpys_to_the_last_bit():
    # the fast path for duplicates must give np.mean and np.std(ddof=1) exactly, signed zeros too
    rng = np.random.default_rng(7)
    pairs = [rng.normal(0.0, 1.0, 2) * 10.0 ** rng.integers(-150, 150) for _ in range(20_000)] + [
        np.array(p) for p in ((-0.0, -0.0), (0.0, -0.0), (-0.0, 0.0), (1.0, -1.0), (3.0, 3.0))
    ]
    for values in pairs + [rng.uniform(0.01, 3.0, n) for n in (1, 3, 4, 7, 12) for _ in range(50)]:
        mean, sd = mean_and_sd(values)
        assert _bits(mean) == _bits(np.mean(values))
        if len(values) >= 2:
            assert _bits(sd) == _bits(np.std(values, ddof=1))
        else:
            assert math.isnan(sd)
