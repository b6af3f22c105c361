"""Controls acceptance (DESIGN 4.5; methods 4.3, the 4-6-20 rule and its M10 form)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qc.controls import control_limits, judge_controls
from qc.errors import QCError

NAN = np.nan


def test_limits_from_conc_plus_minus_20_percent():
    # 100 * 0.8 = 80, 100 * 1.2 = 120; 31 * 0.8 = 24.8, 31 * 1.2 = 37.2
    low, high = control_limits([100.0, 31.0], [NAN, NAN], [NAN, NAN])
    np.testing.assert_allclose(low, [80.0, 24.8])
    np.testing.assert_allclose(high, [120.0, 37.2])


def test_kit_range_takes_precedence_and_missing_control_is_not_judged():
    low, high = control_limits([100.0, NAN, NAN], [90.0, 5.0, NAN], [130.0, 9.0, NAN])
    np.testing.assert_array_equal(low[:2], [90.0, 5.0])
    np.testing.assert_array_equal(high[:2], [130.0, 9.0])
    assert np.isnan(low[2]) and np.isnan(high[2])


def test_one_sided_range_is_open_on_the_other_side():
    low, high = control_limits([NAN, 50.0], [10.0, NAN], [NAN, 60.0])
    assert (low[0], high[0]) == (10.0, np.inf)
    assert (low[1], high[1]) == (-np.inf, 60.0)


def test_custom_tolerance():
    # 200 * (1 - 0.15) = 170, 200 * 1.15 = 230
    low, high = control_limits([200.0], [NAN], [NAN], tolerance_pct=15.0)
    np.testing.assert_allclose([low[0], high[0]], [170.0, 230.0])


@pytest.mark.parametrize(
    "args",
    [
        ([100.0, 50.0], [NAN], [NAN, NAN]),
        ([100.0], [NAN, NAN], [NAN]),
        ([100.0], [130.0], [90.0]),  # low above high
    ],
)
def test_limits_misuse(args):
    with pytest.raises(QCError):
        control_limits(*args)


def limits(n, conc=100.0):
    low, high = control_limits([conc] * n, [NAN] * n, [NAN] * n)
    return low, high


def test_inclusive_bounds_with_float_noise():
    low, high = limits(4)
    out = judge_controls(["A"] * 4, [80.0, 120.0, 79.999, 120.001], low, high)
    assert list(out.result_passed) == [True, True, False, False]
    # 0.7 * 1.2 = 0.84 in decimal, 0.84 as a value must pass its conc 0.7 limit
    low, high = control_limits([0.7], [NAN], [NAN])
    assert judge_controls(["A"], [0.84], low, high).result_passed[0]


def test_four_six_twenty():
    # 3 controls x 2 wells, 4 of 6 pass, one per control at least -> pass (4/6 = 2/3)
    names = ["low", "low", "mid", "mid", "high", "high"]
    low, high = limits(6)
    out = judge_controls(names, [100, 150, 100, 150, 100, 100], low, high)
    assert (out.n_passed, out.n_total, out.judged, out.passed) == (4, 6, True, True)
    # 4 of 6 pass but "low" has 0 of 2 -> fails the 50 %-per-control rule
    out = judge_controls(names, [150, 150, 100, 100, 100, 100], low, high)
    assert (out.n_passed, out.passed) == (4, False)
    # 3 of 6 = 50 % < 2/3 -> fails although every control has 1 of 2
    out = judge_controls(names, [100, 150, 100, 150, 100, 150], low, high)
    assert (out.n_passed, out.passed) == (3, False)


def test_two_thirds_boundary_with_nine_results():
    names = ["a"] * 3 + ["b"] * 3 + ["c"] * 3
    low, high = limits(9)
    # 6/9 = 2/3 exactly -> pass (each control 2/3 >= 50 %)
    vals = [100, 100, 0, 100, 100, 0, 100, 100, 0]
    assert judge_controls(names, vals, low, high).passed is True
    # 5/9 = 55.6 % -> fail
    vals[0] = 0
    assert judge_controls(names, vals, low, high).passed is False


def test_fifty_percent_per_control_boundary():
    # control "a": 2 of 4 pass = 50 % exactly -> ok; overall 8 of 10 = 80 %
    names = ["a"] * 4 + ["b"] * 6
    low, high = limits(10)
    vals = [100, 100, 0, 0] + [100] * 6
    out = judge_controls(names, vals, low, high)
    assert (out.n_passed, out.passed) == (8, True)
    # 1 of 4 = 25 % -> fails though overall 7/10 = 70 % >= 2/3
    vals[1] = 0
    out = judge_controls(names, vals, low, high)
    assert (out.n_passed, out.passed) == (7, False)


def test_nan_value_is_a_failing_result():
    low, high = limits(3)
    out = judge_controls(["a", "a", "a"], [NAN, 100, 100], low, high)
    assert list(out.result_passed) == [False, True, True]
    assert (out.n_passed, out.n_total, out.passed) == (2, 3, True)


def test_results_without_limits_are_not_judged_or_counted():
    names = ["a", "a", "nolimit", "nolimit"]
    low = np.array([80.0, 80.0, NAN, NAN])
    high = np.array([120.0, 120.0, NAN, NAN])
    out = judge_controls(names, [100, 100, 0, 0], low, high)
    assert (out.n_passed, out.n_total, out.passed) == (2, 2, True)
    assert list(out.result_passed) == [True, True, False, False]


def test_nothing_judged():
    out = judge_controls(["a", "b"], [1.0, 2.0], [NAN, NAN], [NAN, NAN])
    assert (out.judged, out.passed, out.n_passed, out.n_total) == (False, None, 0, 0)
    out = judge_controls([], [], [], [])
    assert (out.judged, out.passed) == (False, None)


def test_judge_misuse():
    with pytest.raises(QCError):
        judge_controls(["a"], [1.0, 2.0], [0.0, 0.0], [3.0, 3.0])
    with pytest.raises(QCError):
        judge_controls("ab", [1.0, 2.0], [0.0, 0.0], [3.0, 3.0])


@given(
    st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.booleans()), min_size=1, max_size=30)
)
def test_counting_rule_matches_a_direct_count(results):
    names = [n for n, _ in results]
    vals = [100.0 if ok else 200.0 for _, ok in results]
    low, high = limits(len(results))
    out = judge_controls(names, vals, low, high)
    n_ok = sum(ok for _, ok in results)
    per = {n: [ok for m, ok in results if m == n] for n in set(names)}
    expected = n_ok / len(results) >= 2 / 3 - 1e-12 and all(
        sum(v) / len(v) >= 0.5 for v in per.values()
    )
    assert (out.n_passed, out.n_total, out.passed) == (n_ok, len(results), expected)


@given(
    st.lists(st.tuples(st.sampled_from(["a", "b"]), st.booleans()), min_size=1, max_size=20),
    st.randoms(),
)
def test_order_of_results_does_not_matter(results, rnd):
    shuffled = results[:]
    rnd.shuffle(shuffled)
    outs = []
    for res in (results, shuffled):
        low, high = limits(len(res))
        outs.append(
            judge_controls([n for n, _ in res], [100.0 if ok else 0.0 for _, ok in res], low, high)
        )
    assert (outs[0].n_passed, outs[0].passed) == (outs[1].n_passed, outs[1].passed)
