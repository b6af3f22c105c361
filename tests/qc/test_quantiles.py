"""χ² and t quantiles from scipy.special equal scipy.stats's, bit for bit."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from qc.quantiles import chi2_quantile, t_quantile

probabilities = st.floats(1e-6, 1 - 1e-6)
dfs = st.one_of(st.integers(1, 500).map(float), st.floats(0.5, 1e4))


@given(probabilities, dfs)
def test_chi2_quantile_is_scipy_stats(p, df):
    assert chi2_quantile(p, df) == float(stats.chi2.ppf(p, df))


@given(probabilities, dfs)
def test_t_quantile_is_scipy_stats(p, df):
    assert t_quantile(p, df) == float(stats.t.ppf(p, df))


def test_known_values():
    # tables: χ²(0.99, 10) = 23.209, t(0.975, 10) = 2.228, t(0.975, ∞ in practice) → 1.960
    assert chi2_quantile(0.99, 10) == pytest.approx(23.2093, abs=1e-4)
    assert t_quantile(0.975, 10) == pytest.approx(2.2281, abs=1e-4)
    assert t_quantile(0.975, 1e9) == pytest.approx(1.95996, abs=1e-5)


@pytest.mark.parametrize("p, df", [(0.5, 0), (0.5, -1), (1.5, 3), (-0.1, 3)])
def test_outside_the_domain_is_nan(p, df):
    assert math.isnan(chi2_quantile(p, df)) and math.isnan(t_quantile(p, df))
