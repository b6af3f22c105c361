"""Pooled intra-assay CV, its chi-square test and the high_cv count (DESIGN 4.5)."""

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.stats import chi2, norm

from qc.errors import QCError
from qc.intra_assay import assess_intra_assay, chi2_exceeds_limit

NAN = np.nan


def assess(cv, n=None, high=None, limit=4.3, **kw):
    cv = np.asarray(cv, float)
    n = np.full(cv.size, 2) if n is None else n
    high = np.zeros(cv.size, bool) if high is None else np.asarray(high, bool)
    return assess_intra_assay(cv, n, high, limit, **kw)


def test_hand_checked_duplicates():
    # duplicates, CVs 3, 4, 5: k = 3, sqrt((9 + 16 + 25) / 3) = sqrt(50/3) = 4.0824829 %
    out = assess([3.0, 4.0, 5.0])
    assert out.k == 3
    assert out.intra_cv_pct == pytest.approx(math.sqrt(50 / 3), rel=1e-14)
    assert (out.n_groups, out.n_high_cv) == (3, 0)
    assert out.fail_codes == () and out.warning_codes == ()  # 4.08 <= 4.3


def test_hand_checked_unequal_replicates():
    # CV 2 % on 3 wells (df 2), CV 5 % on 2 wells (df 1): sqrt((2*4 + 1*25) / 3) = sqrt(11)
    out = assess([2.0, 5.0], n=np.array([3, 2]))
    assert out.k == 3
    assert out.intra_cv_pct == pytest.approx(math.sqrt(11.0), rel=1e-14)


def test_high_cv_and_cv_less_groups_are_not_pooled():
    # group 2 is high_cv (its 30 % is left out), group 3 has no CV (single well)
    out = assess([4.0, 30.0, NAN], n=np.array([2, 2, 1]), high=[False, True, False])
    assert out.intra_cv_pct == pytest.approx(4.0)
    assert (out.k, out.n_groups, out.n_high_cv) == (1, 2, 1)


def test_above_limit_is_a_warning_and_equal_is_not():
    assert assess([4.3, 4.3]).warning_codes == ()
    out = assess([4.4, 4.4])
    assert out.warning_codes == ("intra_cv_above_limit",)
    assert out.fail_codes == ()


def test_chi2_threshold_one_degree_of_freedom():
    # k = 1: chi2.ppf(0.99, 1) = z(0.995)^2 = 2.5758293^2 = 6.6348966; fail when
    # cv^2 / limit^2 > 6.6349, i.e. cv > limit * 2.5758293 = 4 * 2.5758 = 10.3033 (limit 4 %)
    z = norm.ppf(0.995)
    assert chi2.ppf(0.99, 1) == pytest.approx(z**2, rel=1e-10)
    edge = 4.0 * z
    assert assess([edge * (1 - 1e-6)], limit=4.0).fail_codes == ()
    assert assess([edge * (1 + 1e-6)], limit=4.0).fail_codes == ("intra_cv_fail",)


def test_chi2_threshold_two_degrees_of_freedom():
    # k = 2: chi2 with 2 df is exponential with mean 2, so ppf(0.99) = -2 ln(0.01) = 9.2103404.
    # Two duplicates at c: 2 c^2 / L^2 > 9.2103 <=> c > L * sqrt(-ln 0.01) = 4.3 * 2.1459660 = 9.2277
    edge = 4.3 * math.sqrt(-math.log(0.01))
    assert edge == pytest.approx(9.22765, rel=1e-5)
    assert assess([edge * 0.9999] * 2).fail_codes == ()
    assert "intra_cv_fail" in assess([edge * 1.0001] * 2).fail_codes


def test_chi2_alpha_is_configurable():
    # k = 1, limit 4: alpha 0.05 -> edge 4 * z(0.975) = 7.84, so 8 % fails at 0.05, not at 0.01
    assert assess([8.0], limit=4.0, alpha=0.05).fail_codes == ("intra_cv_fail",)
    assert assess([8.0], limit=4.0).fail_codes == ()


def test_too_many_high_cv_boundary():
    # 10 groups with a CV-or-flag, 1 flagged = 10 % -> not "more than 10 %"
    high = [True] + [False] * 9
    assert "too_many_high_cv" not in assess([4.0] * 10, high=high).fail_codes
    # 2 of 10 = 20 % -> fail
    high[1] = True
    out = assess([4.0] * 10, high=high)
    assert out.fail_codes == ("too_many_high_cv",) and out.n_high_cv == 2
    # 1 of 9 = 11.1 % -> fail
    assert assess([4.0] * 9, high=[True] + [False] * 8).fail_codes == ("too_many_high_cv",)


def test_denominator_counts_flagged_groups_without_cv_and_ignores_groups_without_either():
    # 9 groups with a CV + 1 flagged without CV (a well without solution) = 10; 1/10 -> ok
    cv = [4.0] * 9 + [NAN] + [NAN] * 5  # + 5 single-well groups: neither CV nor flag
    n = np.array([2] * 9 + [2] + [1] * 5)
    high = [False] * 9 + [True] + [False] * 5
    out = assess(cv, n=n, high=high)
    assert (out.n_groups, out.n_high_cv) == (10, 1)
    assert out.fail_codes == ()


def test_not_assessable():
    out = assess([NAN, NAN], n=np.array([1, 1]))
    assert math.isnan(out.intra_cv_pct) and out.k == 0
    assert out.warning_codes == ("intra_cv_not_assessable",)
    assert out.fail_codes == ()
    out = assess([], n=np.array([], int))
    assert out.warning_codes == ("intra_cv_not_assessable",) and out.n_groups == 0
    # every group with a CV is high_cv: nothing to pool -> not assessable, and too many high_cv
    out = assess([30.0, 40.0], high=[True, True])
    assert math.isnan(out.intra_cv_pct)
    assert out.warning_codes == ("intra_cv_not_assessable",)
    assert out.fail_codes == ("too_many_high_cv",)


def test_fail_and_warning_together():
    out = assess([12.0] * 4 + [40.0], high=[False] * 4 + [True])
    assert out.warning_codes == ("intra_cv_above_limit",)
    assert out.fail_codes == ("intra_cv_fail", "too_many_high_cv")


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(cv_pct=[1.0, 2.0], n_wells=[2], high_cv=[False, False], limit_pct=4.3),
        dict(cv_pct=[1.0], n_wells=[1], high_cv=[False], limit_pct=4.3),
        dict(cv_pct=[1.0], n_wells=[2], high_cv=[False], limit_pct=0.0),
        dict(cv_pct=[1.0], n_wells=[2], high_cv=[False], limit_pct=NAN),
        dict(cv_pct=[-1.0], n_wells=[2], high_cv=[False], limit_pct=4.3),
    ],
)
def test_misuse_raises(kwargs):
    with pytest.raises(QCError):
        assess_intra_assay(**kwargs)


# --- properties -----------------------------------------------------------------------------

cvs = st.floats(min_value=0.0, max_value=40.0)
ns = st.integers(min_value=2, max_value=6)


@given(st.floats(min_value=0.0, max_value=40.0), st.lists(ns, min_size=1, max_size=20))
def test_identical_cvs_pool_to_that_cv(cv, n):
    out = assess([cv] * len(n), n=np.array(n))
    assert out.intra_cv_pct == pytest.approx(cv, rel=1e-12, abs=1e-12)
    assert out.k == sum(m - 1 for m in n)


@given(st.lists(st.tuples(cvs, ns), min_size=1, max_size=20))
def test_pooled_cv_lies_between_the_group_cvs(groups):
    cv = np.array([c for c, _ in groups])
    out = assess(cv, n=np.array([m for _, m in groups]))
    assert cv.min() - 1e-9 <= out.intra_cv_pct <= cv.max() + 1e-9


@given(
    st.lists(st.tuples(cvs, ns), min_size=1, max_size=20), st.floats(min_value=1.0, max_value=10.0)
)
def test_chi2_decision_agrees_with_the_survival_function(groups, limit):
    cv = np.array([c for c, _ in groups])
    n = np.array([m for _, m in groups])
    out = assess(cv, n=n, limit=limit)
    k = int((n - 1).sum())
    p = chi2.sf(k * out.intra_cv_pct**2 / limit**2, k)
    assume(abs(p - 0.01) > 1e-9)
    assert ("intra_cv_fail" in out.fail_codes) == (p < 0.01)
    assert chi2_exceeds_limit(out.intra_cv_pct, k, limit) == (p < 0.01)


@given(
    st.lists(st.tuples(cvs, ns, st.booleans()), min_size=1, max_size=20),
    st.floats(min_value=0.01, max_value=100.0),
)
def test_pooled_cv_scales_with_the_cvs(groups, scale):
    cv = np.array([c for c, _, _ in groups])
    n = np.array([m for _, m, _ in groups])
    high = np.array([h for _, _, h in groups])
    a = assess(cv, n=n, high=high)
    b = assess(cv * scale, n=n, high=high)
    if math.isnan(a.intra_cv_pct):
        assert math.isnan(b.intra_cv_pct)
    else:
        assert b.intra_cv_pct == pytest.approx(a.intra_cv_pct * scale, rel=1e-9, abs=1e-12)
    assert (a.k, a.n_groups, a.n_high_cv) == (b.k, b.n_groups, b.n_high_cv)
