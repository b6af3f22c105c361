"""Standards acceptance (DESIGN 4.5; methods 4.1): hand-checked cases, boundaries, properties."""

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from qc.errors import QCError
from qc.standards import judge_standards

# Eight non-anchor levels, doubling from 1 to 128 (in-well units).
NOMINAL = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0])
NO_ANCHOR = np.zeros(8, dtype=bool)
TWO_WELLS = np.full(8, 2)


def judge(recovery_pct, nominal=NOMINAL, anchor=None, n_usable=None, **kw):
    """Build backfit = nominal * recovery / 100 and judge."""
    nominal = np.asarray(nominal, dtype=float)
    backfit = nominal * np.asarray(recovery_pct, dtype=float) / 100.0
    anchor = np.zeros(nominal.size, bool) if anchor is None else anchor
    n_usable = np.full(nominal.size, 2) if n_usable is None else n_usable
    return judge_standards(nominal, backfit, anchor, n_usable, **kw)


def test_hand_checked_recoveries():
    # backfit / nominal: 1.1/1 -> 110 %, 1.7/2 -> 85 %, 4.8/4 -> 120 %, 10/8 -> 125 %
    backfit = np.array([1.1, 1.7, 4.8, 10.0, 16.0, 32.0, 64.0, 128.0])
    out = judge_standards(NOMINAL, backfit, NO_ANCHOR, TWO_WELLS)
    np.testing.assert_allclose(out.recovery_pct[:4], [110.0, 85.0, 120.0, 125.0])
    # level 4 (8 units, interior) at 125 % fails the ±20 % rule; the others pass
    assert list(out.passed) == [True, True, True, False, True, True, True, True]
    assert (out.n_passed, out.n_total) == (7, 8)
    assert out.curve_passed  # 7/8 = 87.5 % >= 75 %, 7 >= 6 levels
    assert (out.lloq, out.uloq) == (1.0, 128.0)


def test_interior_boundary_exactly_20_percent_passes():
    rec = [100.0] * 8
    rec[3], rec[4] = 120.0, 80.0  # 8 * 1.2 and 16 * 0.8 are not exact in binary
    out = judge(rec)
    assert out.passed[3] is True and out.passed[4] is True
    rec[3], rec[4] = 120.001, 79.999
    out = judge(rec)
    assert out.passed[3] is False and out.passed[4] is False


def test_end_boundary_exactly_25_percent_passes():
    out = judge([125.0, 100, 100, 100, 100, 100, 100, 75.0])
    assert out.passed[0] is True and out.passed[7] is True
    out = judge([125.001, 100, 100, 100, 100, 100, 100, 74.999])
    assert out.passed[0] is False and out.passed[7] is False


def test_boundary_survives_float_noise():
    # 100 * 0.84 / 0.7 = 120.00000000000001 and 100 * 0.875 / 0.7 = 125.00000000000001 in binary
    # floating point: both are exactly on the boundary in decimal and must pass.
    nominal = np.array([0.1, 0.7, 1.0, 2.0, 4.0, 8.0, 16.0, 0.05])
    backfit = nominal.copy()
    backfit[1] = 0.84  # interior level: 120 %
    out = judge_standards(nominal, backfit, np.zeros(8, bool), np.full(8, 2))
    assert out.recovery_pct[1] > 120.0  # the noise is really there
    assert out.passed[1] is True
    nominal = np.array([0.7, 1.0, 2.0, 4.0, 8.0, 16.0])
    backfit = nominal.copy()
    backfit[0] = 0.875  # end level: 125 %
    out = judge_standards(nominal, backfit, np.zeros(6, bool), np.full(6, 2))
    assert out.recovery_pct[0] > 125.0
    assert out.passed[0] is True


def test_end_tolerance_only_at_the_ends():
    # 122 % passes at the lowest level (±25 %) but fails one level up (±20 %)
    out = judge([122.0, 122.0, 100, 100, 100, 100, 100, 100])
    assert list(out.passed[:2]) == [True, False]


def test_seventy_five_percent_boundary():
    # 8 levels, 6 pass: 6/8 = 0.75 exactly -> passes
    out = judge([100, 100, 100, 130, 130, 100, 100, 100])
    assert (out.n_passed, out.n_total, out.curve_passed) == (6, 8, True)
    # 8 levels, 5 pass: 5/8 = 62.5 % -> fails
    out = judge([100, 100, 130, 130, 130, 100, 100, 100])
    assert (out.n_passed, out.curve_passed) == (5, False)
    # 9 levels, 6 pass: 6/9 = 66.7 % < 75 % although 6 levels pass -> fails
    nominal9 = np.append(NOMINAL, 256.0)
    out = judge([100, 100, 130, 130, 130, 100, 100, 100, 100], nominal=nominal9)
    assert (out.n_passed, out.n_total, out.curve_passed) == (6, 9, False)
    # 9 levels, 7 pass: 77.8 % -> passes
    out = judge([100, 100, 130, 130, 100, 100, 100, 100, 100], nominal=nominal9)
    assert (out.n_passed, out.curve_passed) == (7, True)


def test_six_level_minimum():
    # 6 of 6 pass -> passes; 5 of 6 (83 % >= 75 %) -> fails on the 6-level rule
    six = NOMINAL[:6]
    assert judge([100] * 6, nominal=six).curve_passed
    out = judge([100, 100, 130, 100, 100, 100], nominal=six)
    assert (out.n_passed, out.curve_passed) == (5, False)
    # 5 levels, all passing: never enough
    out = judge([100] * 5, nominal=NOMINAL[:5])
    assert (out.n_passed, out.curve_passed) == (5, False)


def test_anchors_never_judged_or_counted_and_do_not_move_the_ends():
    # anchors at 0.25 (below) and 512 (above) with absurd recoveries
    nominal = np.concatenate([[0.25], NOMINAL, [512.0]])
    anchor = np.array([True] + [False] * 8 + [True])
    # the lowest non-anchor level (1) at 124 % passes only because it is still an end
    rec = [300.0, 124.0, 100, 100, 100, 100, 100, 100, 100, 10.0]
    out = judge(rec, nominal=nominal, anchor=anchor)
    assert out.passed[0] is None and out.passed[-1] is None
    assert out.passed[1] is True
    assert (out.n_passed, out.n_total) == (8, 8)
    assert (out.lloq, out.uloq) == (1.0, 128.0)  # anchors never become limits
    np.testing.assert_allclose(out.recovery_pct[[0, -1]], [300.0, 10.0])


def test_all_anchors():
    out = judge([100, 100], nominal=[1.0, 2.0], anchor=np.array([True, True]))
    assert (out.n_passed, out.n_total, out.curve_passed) == (0, 0, False)
    assert list(out.passed) == [None, None]
    assert math.isnan(out.lloq) and math.isnan(out.uloq)


def test_nan_backfit_and_no_usable_well_fail():
    backfit = NOMINAL.copy()
    backfit[2] = np.nan
    n_usable = TWO_WELLS.copy()
    n_usable[5] = 0
    out = judge_standards(NOMINAL, backfit, NO_ANCHOR, n_usable)
    assert math.isnan(out.recovery_pct[2])
    assert out.passed[2] is False and out.passed[5] is False
    assert out.n_passed == 6


def test_failing_end_level_moves_the_limit_to_the_next_passing_level():
    out = judge([150, 140, 100, 100, 100, 100, 100, 60])
    # levels 1 and 2 fail, 128 fails: range 4 .. 64
    assert (out.lloq, out.uloq) == (4.0, 64.0)


def test_fewer_than_two_passing_levels_no_range():
    out = judge([100, 150, 150, 150, 150, 150, 150, 150])
    assert out.n_passed == 1
    assert math.isnan(out.lloq) and math.isnan(out.uloq)


def test_order_of_levels_does_not_matter():
    rec = np.array([124.0, 100, 121, 100, 100, 79, 100, 76])
    ordered = judge(rec)
    perm = np.array([5, 2, 7, 0, 3, 6, 1, 4])
    shuffled = judge(rec[perm], nominal=NOMINAL[perm])
    assert list(shuffled.passed) == list(ordered.passed[perm])
    assert (shuffled.lloq, shuffled.uloq, shuffled.curve_passed) == (
        ordered.lloq,
        ordered.uloq,
        ordered.curve_passed,
    )


def test_custom_tolerances():
    out = judge([110, 112, 100, 100, 100, 100, 100, 100], end_tolerance_pct=10, tolerance_pct=15)
    assert list(out.passed[:2]) == [True, True]
    out = judge([100] * 8, min_levels=9)
    assert not out.curve_passed


def test_outcome_arrays_are_read_only():
    out = judge([100] * 8)
    with pytest.raises(ValueError):
        out.recovery_pct[0] = 1.0


@pytest.mark.parametrize(
    "bad",
    [
        dict(backfit=NOMINAL[:7]),
        dict(anchor=NO_ANCHOR[:7]),
        dict(n_usable=TWO_WELLS[:7]),
        dict(nominal=np.append(NOMINAL[:7], 0.0)),
        dict(nominal=np.append(NOMINAL[:7], np.nan)),
        dict(n_usable=np.append(TWO_WELLS[:7], -1)),
    ],
)
def test_misuse_raises(bad):
    args = dict(nominal=NOMINAL, backfit=NOMINAL, anchor=NO_ANCHOR, n_usable=TWO_WELLS) | bad
    with pytest.raises(QCError):
        judge_standards(**args)


# --- properties -----------------------------------------------------------------------------

recoveries = st.floats(min_value=50.0, max_value=150.0)


@given(
    st.lists(recoveries, min_size=6, max_size=12),
    st.floats(min_value=80.0, max_value=120.0),
    st.floats(min_value=0.05, max_value=0.95),
)
def test_adding_a_passing_interior_level_never_makes_the_curve_fail(rec, new_rec, where):
    nominal = 2.0 ** np.arange(len(rec))
    before = judge(rec, nominal=nominal)
    # a new level strictly between two existing ones, recovering within ±20 %
    i = min(int(where * (len(rec) - 1)), len(rec) - 2)
    new_nominal = math.sqrt(nominal[i] * nominal[i + 1])
    after = judge(rec + [new_rec], nominal=np.append(nominal, new_nominal))
    assert after.n_passed == before.n_passed + 1
    assert after.n_total == before.n_total + 1
    if before.curve_passed:
        assert after.curve_passed


@given(st.lists(recoveries, min_size=1, max_size=12), st.floats(min_value=1e-3, max_value=1e3))
def test_adding_an_anchor_changes_nothing_for_the_other_levels(rec, anchor_rec):
    nominal = 2.0 ** np.arange(len(rec))
    before = judge(rec, nominal=nominal)
    after = judge(
        rec + [anchor_rec],
        nominal=np.append(nominal, 2.0 ** len(rec)),
        anchor=np.array([False] * len(rec) + [True]),
    )
    assert list(after.passed[:-1]) == list(before.passed) and after.passed[-1] is None
    assert (after.n_passed, after.n_total, after.curve_passed) == (
        before.n_passed,
        before.n_total,
        before.curve_passed,
    )
    assert (after.lloq, after.uloq) == (before.lloq, before.uloq) or (
        math.isnan(before.lloq) and math.isnan(after.lloq)
    )


@given(st.lists(recoveries, min_size=1, max_size=12), st.floats(min_value=1e-6, max_value=1e6))
def test_unit_change_changes_nothing_but_the_limits(rec, scale):
    nominal = 2.0 ** np.arange(len(rec))
    a = judge(rec, nominal=nominal)
    b = judge(rec, nominal=nominal * scale)
    np.testing.assert_allclose(b.recovery_pct, a.recovery_pct, rtol=1e-12)
    # recoveries within 1e-6 % of a boundary may flip through rounding; skip those
    assume(all(abs(abs(r - 100) - t) > 1e-6 for r in rec for t in (20.0, 25.0)))
    assert list(a.passed) == list(b.passed) and a.curve_passed == b.curve_passed
