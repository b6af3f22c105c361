"""Codes, flags and join_flags (DESIGN 4.5)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qc import codes
from qc.codes import FAIL_CODES, FLAGS, WARNING_CODES, join_flags
from qc.errors import QCError


def test_code_tuples_are_the_contract():
    assert FAIL_CODES == (
        "fit_not_converged",
        "parameter_at_bound",
        "range_not_established",
        "standards_failed",
        "controls_failed",
        "intra_cv_fail",
        "too_many_high_cv",
        "westgard_reject",
    )
    assert WARNING_CODES == (
        "intra_cv_above_limit",
        "controls_not_judged",
        "westgard_warning",
        "intra_cv_not_assessable",
        "top_not_reached",
    )
    assert FLAGS == (
        "below_blank",
        "extrapolated",
        "high_cv",
        "masked_well",
        "no_solution",
        "saturated",
        "single_well",
    )


@pytest.mark.parametrize("code", FAIL_CODES + WARNING_CODES + FLAGS)
def test_one_constant_per_code(code):
    assert getattr(codes, code.upper()) == code


def test_flags_are_alphabetical_and_codes_unique():
    assert list(FLAGS) == sorted(FLAGS)
    everything = FAIL_CODES + WARNING_CODES + FLAGS
    assert len(set(everything)) == len(everything)


def test_join_flags_dedups_sorts_and_joins():
    assert join_flags(["saturated", "high_cv", "saturated", "below_blank"]) == (
        "below_blank;high_cv;saturated"
    )
    assert join_flags(iter(["no_solution"])) == "no_solution"
    assert join_flags([]) == ""


def test_join_flags_rejects_unknown_flag_and_bare_string():
    with pytest.raises(QCError, match="unknown flag"):
        join_flags(["high_cv", "HIGH_CV"])
    with pytest.raises(QCError):
        join_flags("high_cv")
    with pytest.raises(QCError, match="standards_failed"):
        join_flags(["standards_failed"])  # a fail code is not a flag


@given(st.lists(st.sampled_from(FLAGS)))
def test_join_flags_roundtrip(flags):
    joined = join_flags(flags)
    parts = joined.split(";") if joined else []
    assert parts == sorted(set(flags))
    assert join_flags(parts) == joined
