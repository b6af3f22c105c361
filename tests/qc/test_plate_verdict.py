"""Plate verdict and fit fail codes."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qc.codes import FAIL_CODES, WARNING_CODES
from qc.errors import QCError
from qc.plate_verdict import fit_fail_codes, plate_verdict


def test_fit_fail_codes():
    assert fit_fail_codes(True, []) == ()
    assert fit_fail_codes(False, []) == ("fit_not_converged",)
    assert fit_fail_codes(True, ["c"]) == ("parameter_at_bound",)
    assert fit_fail_codes(True, ("b", "c")) == ("parameter_at_bound",)
    assert fit_fail_codes(False, ["a"]) == ("fit_not_converged", "parameter_at_bound")


def test_fit_fail_codes_rejects_bare_string():
    with pytest.raises(QCError):
        fit_fail_codes(True, "c")


def test_pass_when_no_fail_code():
    assert plate_verdict([], []) == ("pass", "", "")
    assert plate_verdict([], ["intra_cv_above_limit"]) == ("pass", "", "intra_cv_above_limit")


def test_reasons_and_warnings_in_contract_order_deduplicated():
    verdict, reasons, warnings = plate_verdict(
        ["too_many_high_cv", "fit_not_converged", "standards_failed", "too_many_high_cv"],
        ["intra_cv_not_assessable", "controls_not_judged", "controls_not_judged"],
    )
    assert verdict == "fail"
    assert reasons == "fit_not_converged;standards_failed;too_many_high_cv"
    assert warnings == "controls_not_judged;intra_cv_not_assessable"


def test_unknown_or_misplaced_codes_are_rejected():
    with pytest.raises(QCError, match="unknown fail code"):
        plate_verdict(["standard_failed"], [])
    with pytest.raises(QCError, match="unknown warning code"):
        plate_verdict([], ["standards_failed"])  # a fail code passed as a warning
    with pytest.raises(QCError, match="unknown fail code"):
        plate_verdict(["intra_cv_above_limit"], [])
    with pytest.raises(QCError, match="unknown fail code"):
        plate_verdict(["high_cv"], [])  # a flag is not a code
    with pytest.raises(QCError):
        plate_verdict("standards_failed", [])


@given(st.lists(st.sampled_from(FAIL_CODES)), st.lists(st.sampled_from(WARNING_CODES)))
def test_verdict_properties(fails, warns):
    verdict, reasons, warnings = plate_verdict(fails, warns)
    assert verdict == ("fail" if fails else "pass")
    assert reasons == ";".join(c for c in FAIL_CODES if c in fails)
    assert warnings == ";".join(c for c in WARNING_CODES if c in warns)
