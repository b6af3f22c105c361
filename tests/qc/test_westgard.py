"""Westgard multirules on hand-made z tables (DESIGN 4.6, methods 6; semantics in qc.westgard).

The rule semantics are exercised with the classic rule sets of methods §6 (every multi-result rule
looking everywhere it may), so each place a rule looks is tested; the defaults are subsets of
them (tests/qc/test_rule_sets.py).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from qc.errors import QCError
from qc.rule_sets import classic_rule_set
from qc.westgard import RuleHit, rule_label
from qc.westgard import westgard as westgard_with


def westgard(z, controls):
    """The classic rule set of methods §6 for this number of controls."""
    return westgard_with(z, controls, classic_rule_set(len(controls)))


def rule_set(n_controls):
    return tuple(r.name for r in classic_rule_set(n_controls).reject_rules)


NAN = np.nan
TWO = ["QC-low", "QC-high"]
THREE = ["QC-low", "QC-mid", "QC-high"]
LOW, HIGH, MID = ("QC-low",), ("QC-high",), ("QC-mid",)
BOTH = ("QC-high", "QC-low")


def quiet(n_runs, n_controls):
    """An in-control table: small values alternating in sign along runs and across controls."""
    signs = np.array([[(-1) ** (r + c) for c in range(n_controls)] for r in range(n_runs)])
    sizes = np.array([0.3, 0.6, 0.45, 0.2, 0.7])
    return signs * sizes[np.arange(n_runs * n_controls).reshape(n_runs, n_controls) % 5]


def found(z, controls=TWO):
    return {(h.run, h.rule, h.controls) for h in westgard(z, controls)}


def rejects(z, controls=TWO):
    return {(h.run, h.rule, h.controls) for h in westgard(z, controls) if h.reject}


@pytest.mark.parametrize("controls", [TWO, THREE, ["QC"], ["a", "b", "c", "d"]])
def test_in_control_series_fires_nothing(controls):
    assert westgard(quiet(30, len(controls)), controls) == []


@pytest.mark.parametrize("sign", [1, -1])
@pytest.mark.parametrize("controls", [TWO, THREE])
def test_1_3s_and_its_1_2s_warning(sign, controls):
    z = quiet(8, len(controls))
    z[3, 0] = sign * 3.4
    assert found(z, controls) == {(3, "1-3s", LOW), (3, "1-2s", LOW)}
    hits = westgard(z, controls)
    assert [h.reject for h in hits] == [True, False]  # reject rules first, then the warning


@pytest.mark.parametrize("sign", [1, -1])
def test_1_2s_alone_is_a_warning(sign):
    z = quiet(8, 2)
    z[5, 1] = sign * 2.5
    assert westgard(z, TWO) == [RuleHit(5, "1-2s", HIGH, False)]


def test_limits_are_strict():
    z = quiet(8, 2)
    z[2, 0] = 3.0  # on the 3s limit: beyond 2s only
    z[5, 1] = -2.0  # on the 2s limit: nothing
    assert found(z) == {(2, "1-2s", LOW)}


@pytest.mark.parametrize("sign", [1, -1])
def test_2_2s_along_one_control_fires_at_the_second_run(sign):
    z = quiet(10, 2)
    z[4, 0], z[5, 0] = sign * 2.4, sign * 2.5
    assert rejects(z) == {(5, "2-2s", LOW)}
    assert found(z) - rejects(z) == {(4, "1-2s", LOW), (5, "1-2s", LOW)}


@pytest.mark.parametrize("sign", [1, -1])
def test_2_2s_across_controls_within_a_run(sign):
    z = quiet(10, 2)
    z[6] = sign * 2.4, sign * 2.6
    assert rejects(z) == {(6, "2-2s", BOTH)}


@pytest.mark.parametrize("sign", [1, -1])
def test_2_2s_never_pairs_different_controls_of_different_runs(sign):
    # methods §6: 2-2s is the same level across runs, or two levels within one run; QC-high of
    # run 4 and QC-low of run 5 are neither, though adjacent in the pooled sequence
    z = quiet(10, 2)
    z[4, 1], z[5, 0] = sign * 2.4, sign * 2.5
    assert rejects(z) == set()


def test_2_2s_needs_the_same_side():
    z = quiet(10, 2)
    z[4, 0], z[5, 0] = 2.4, -2.5
    assert rejects(z) == set()


def test_2_2s_along_a_control_skips_runs_without_it():
    z = quiet(10, 2)
    z[2, 0], z[3, 0], z[4, 0] = 2.5, NAN, 2.5
    assert rejects(z) == {(4, "2-2s", LOW)}


@pytest.mark.parametrize("sign", [1, -1])
@pytest.mark.parametrize("controls", [TWO, THREE])
def test_r_4s_within_a_run(sign, controls):
    z = quiet(10, len(controls))
    z[7, 0], z[7, -1] = sign * 2.5, -sign * 2.2
    assert rejects(z, controls) == {(7, "R-4s", BOTH)}
    hit = next(h for h in westgard(z, controls) if h.rule == "R-4s")
    assert rule_label(hit) == "R-4s:QC-high+QC-low"


def test_r_4s_never_across_runs():
    z = quiet(10, 2)
    z[3, 0], z[4, 0] = 2.5, -2.5  # same control, consecutive runs
    z[6, 1], z[7, 0] = 2.5, -2.5  # adjacent in the pooled sequence, different runs
    assert rejects(z) == set()
    assert {h.rule for h in westgard(z, TWO)} == {"1-2s"}


@pytest.mark.parametrize("sign", [1, -1])
def test_4_1s_along_one_control(sign):
    z = quiet(12, 2)
    z[2:6, 0] = sign * np.array([1.5, 1.2, 1.8, 1.4])
    assert rejects(z) == {(5, "4-1s", LOW)}


@pytest.mark.parametrize("sign", [1, -1])
def test_4_1s_pooled_over_two_runs_fires_at_the_second(sign):
    z = quiet(12, 2)
    z[4:6, :] = sign * 1.5
    assert rejects(z) == {(5, "4-1s", BOTH)}


@pytest.mark.parametrize("sign", [1, -1])
def test_4_1s_continuing_fires_again(sign):
    z = quiet(12, 2)
    z[2:7, 0] = sign * 1.5
    assert rejects(z) == {(5, "4-1s", LOW), (6, "4-1s", LOW)}


@pytest.mark.parametrize("sign", [1, -1])
def test_10_x_along_one_control(sign):
    z = quiet(14, 2)
    z[1:11, 0] = sign * 0.4
    z[0, 0] = z[11, 0] = -sign * 0.4
    z[:, 1] = 0.5 * (-1.0) ** np.arange(14)
    assert rejects(z) == {(10, "10-x", LOW)}


@pytest.mark.parametrize("sign", [1, -1])
def test_10_x_pooled_over_five_runs(sign):
    z = quiet(14, 2)
    z[3:8, :] = sign * 0.4
    z[2, 1] = z[8, 0] = -sign * 0.3  # the pooled neighbours
    assert rejects(z) == {(7, "10-x", BOTH)}


def test_two_control_rule_set_has_no_three_level_rules():
    z = quiet(14, 2)
    z[2:8, 0] = 1.5  # 3-1s and 6-x patterns too, but only 4-1s belongs to the set
    z[2, 0] = 2.5
    z[4, 0] = 2.5  # 2of3-2s pattern (2, 3, 4) too
    rules = {rule for _, rule, _ in rejects(z)}
    assert rules == {"4-1s"}
    assert rule_set(2) == rule_set(4) == rule_set(1) == ("1-3s", "2-2s", "R-4s", "4-1s", "10-x")


# ---- three control levels: 1-3s, 2of3-2s, R-4s, 3-1s, 6-x


@pytest.mark.parametrize("sign", [1, -1])
def test_2of3_2s_along_one_control(sign):
    z = quiet(10, 3)
    z[3, 0], z[5, 0] = sign * 2.4, sign * 2.6  # runs 3 and 5 of 3, 4, 5
    assert rejects(z, THREE) == {(5, "2of3-2s", LOW)}


@pytest.mark.parametrize("sign", [1, -1])
def test_2of3_2s_within_a_run(sign):
    z = quiet(10, 3)
    z[6, 0], z[6, 2] = sign * 2.4, sign * 2.6
    assert rejects(z, THREE) == {(6, "2of3-2s", BOTH)}


def test_2of3_2s_never_pairs_different_controls_of_different_runs():
    # (4, QC-mid) and (5, QC-low) beyond +2: different levels in different runs
    z = quiet(10, 3)
    z[4, 1], z[5, 0] = 2.4, 2.3
    assert rejects(z, THREE) == set()


def test_2of3_2s_along_one_control_over_three_runs():
    z = quiet(10, 3)
    z[3, 0], z[5, 0] = 2.4, 2.3
    assert rejects(z, THREE) == {(5, "2of3-2s", ("QC-low",))}


def test_2of3_2s_pattern_outside_the_window_does_not_fire():
    z = quiet(10, 3)
    z[2, 0], z[5, 0] = 2.4, 2.6  # three runs apart along QC-low
    assert rejects(z, THREE) == set()


def test_three_levels_use_no_2_2s():
    z = quiet(10, 3)
    z[4, 0], z[5, 0] = 2.4, 2.5  # a 2-2s pattern, which is also 2of3-2s
    assert rejects(z, THREE) == {(5, "2of3-2s", LOW)}


@pytest.mark.parametrize("sign", [1, -1])
def test_3_1s_along_one_control(sign):
    z = quiet(10, 3)
    z[2:5, 2] = sign * np.array([1.3, 1.6, 1.2])
    assert rejects(z, THREE) == {(4, "3-1s", HIGH)}


@pytest.mark.parametrize("sign", [1, -1])
def test_3_1s_within_a_run(sign):
    z = quiet(10, 3)
    z[7, :] = sign * 1.4
    assert rejects(z, THREE) == {(7, "3-1s", ("QC-high", "QC-low", "QC-mid"))}


@pytest.mark.parametrize("sign", [1, -1])
def test_6_x_along_one_control(sign):
    z = quiet(12, 3)
    z[:, 0] = 0.5 * (-1.0) ** np.arange(12)
    z[:, 1] = -0.5 * (-1.0) ** np.arange(12)
    z[:, 2] = 0.5 * (-1.0) ** np.arange(12)
    z[3:9, 1] = sign * 0.5
    z[2, 1] = z[9, 1] = -sign * 0.5
    assert rejects(z, THREE) == {(8, "6-x", MID)}


@pytest.mark.parametrize("sign", [1, -1])
def test_6_x_pooled_over_two_runs(sign):
    z = quiet(12, 3)
    z[5:7, :] = sign * 0.5
    z[4, 2] = z[7, 0] = -sign * 0.3  # the pooled neighbours
    assert rejects(z, THREE) == {(6, "6-x", ("QC-high", "QC-low", "QC-mid"))}


def test_three_level_shift_fires_repeatedly_at_the_runs_that_extend_it():
    z = quiet(12, 3)
    z[4:, 0] = 2.5  # QC-low shifted from run 4 on
    hits = rejects(z, THREE)
    assert (4, "2of3-2s", LOW) not in hits  # a single shifted result is only a warning
    assert {run for run, rule, _ in hits if rule == "2of3-2s"} == set(range(5, 12))
    assert {run for run, rule, _ in hits if rule == "3-1s"} == set(range(6, 12))
    assert {run for run, rule, _ in hits if rule == "6-x"} == set(range(9, 12))
    assert all(controls == LOW for _, _, controls in hits)


# ---- other numbers of controls, missing results, misuse


def test_one_control_uses_the_two_level_rules():
    z = quiet(10, 1)
    z[3, 0], z[4, 0] = -2.5, -2.4
    assert rejects(z, ["QC"]) == {(4, "2-2s", ("QC",))}
    assert rejects(z[:, 0], ["QC"]) == {(4, "2-2s", ("QC",))}  # 1-D accepted for one control


def test_four_controls_2_2s_on_non_adjacent_controls_within_a_run():
    names = ["a", "b", "c", "d"]
    z = quiet(8, 4)
    z[5, 0], z[5, 2] = 2.3, 2.6
    assert rejects(z, names) == {(5, "2-2s", ("a", "c"))}


def test_missing_results_are_skipped_not_in_control():
    z = quiet(10, 2)
    z[4, 1] = NAN
    z[4, 0], z[5, 0] = 2.4, 2.5  # pooled: (4, low), (5, low) adjacent once run 4's high is missing
    assert rejects(z) == {(5, "2-2s", LOW)}
    assert westgard(np.full((5, 2), NAN), TWO) == []
    assert westgard(np.empty((0, 2)), TWO) == []


def test_hit_order_and_labels():
    z = quiet(10, 2)
    z[3] = 3.5, -2.5
    hits = westgard(z, TWO)
    assert [rule_label(h) for h in hits] == [
        "1-3s:QC-low",
        "R-4s:QC-high+QC-low",
        "1-2s:QC-high",
        "1-2s:QC-low",
    ]


def test_misuse_raises():
    with pytest.raises(QCError):
        westgard(np.zeros((5, 3)), TWO)
    with pytest.raises(QCError):
        westgard(np.zeros(5), TWO)
    with pytest.raises(QCError):
        westgard(np.zeros((5, 2)), ["a", "a"])
    with pytest.raises(QCError):
        westgard(np.zeros((5, 0)), [])


z_tables = st.integers(1, 4).flatmap(
    lambda c: st.tuples(
        st.just(c),
        arrays(
            float,
            st.tuples(st.integers(0, 25), st.just(c)),
            elements=st.one_of(st.floats(-4.5, 4.5), st.just(NAN)),
        ),
    )
)


@settings(max_examples=200, deadline=None)
@given(table=z_tables)
def test_later_runs_never_change_earlier_hits(table):
    c, z = table
    names = [f"c{i}" for i in range(c)]
    full = westgard(z, names)
    for r in range(z.shape[0]):
        assert westgard(z[: r + 1], names) == [h for h in full if h.run <= r]


@settings(max_examples=200, deadline=None)
@given(table=z_tables)
def test_mirror_image_gives_the_same_hits(table):
    c, z = table
    names = [f"c{i}" for i in range(c)]
    assert westgard(-z, names) == westgard(z, names)


@settings(max_examples=200, deadline=None)
@given(table=z_tables)
def test_every_hit_includes_a_result_of_its_run(table):
    c, z = table
    names = [f"c{i}" for i in range(c)]
    for h in westgard(z, names):
        cols = [names.index(x) for x in h.controls]
        assert any(np.isfinite(z[h.run, j]) and abs(z[h.run, j]) > 0 for j in cols)
        assert h.reject == (h.rule != "1-2s")
        assert h.rule in (*rule_set(c), "1-2s")
