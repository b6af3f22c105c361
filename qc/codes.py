"""The plate's fail codes, warning codes and per-result flags (DESIGN 4.5), and the Westgard rule
labels (DESIGN 4.6), as string constants: no other module spells them out.

Fail codes go into ``runs.csv`` ``reasons``, warning codes into ``warnings``, flags into the
``flags`` column of samples, standards and wells (``;``-joined, alphabetical: see `join_flags`).
"""

from __future__ import annotations

from collections.abc import Iterable

from qc.errors import QCError

# Fail codes: any of these makes the plate's verdict "fail".
FIT_NOT_CONVERGED = "fit_not_converged"
PARAMETER_AT_BOUND = "parameter_at_bound"
RANGE_NOT_ESTABLISHED = "range_not_established"
STANDARDS_FAILED = "standards_failed"
CONTROLS_FAILED = "controls_failed"
INTRA_CV_FAIL = "intra_cv_fail"
TOO_MANY_HIGH_CV = "too_many_high_cv"
WESTGARD_REJECT = "westgard_reject"

FAIL_CODES: tuple[str, ...] = (
    FIT_NOT_CONVERGED,
    PARAMETER_AT_BOUND,
    RANGE_NOT_ESTABLISHED,
    STANDARDS_FAILED,
    CONTROLS_FAILED,
    INTRA_CV_FAIL,
    TOO_MANY_HIGH_CV,
    WESTGARD_REJECT,
)

# Warning codes: reported, never change the verdict.
INTRA_CV_ABOVE_LIMIT = "intra_cv_above_limit"
CONTROLS_NOT_JUDGED = "controls_not_judged"
WESTGARD_WARNING = "westgard_warning"
INTRA_CV_NOT_ASSESSABLE = "intra_cv_not_assessable"
#: the highest standard covers less than half of the fitted a → d span: the upper plateau is
#: extrapolated (its effect on the range shows in uloq_profile, the precision profile)
TOP_NOT_REACHED = "top_not_reached"

WARNING_CODES: tuple[str, ...] = (
    INTRA_CV_ABOVE_LIMIT,
    CONTROLS_NOT_JUDGED,
    WESTGARD_WARNING,
    INTRA_CV_NOT_ASSESSABLE,
    TOP_NOT_REACHED,
)

# Flags on samples, standards and wells (alphabetical, as they are written).
BELOW_BLANK = "below_blank"
EXTRAPOLATED = "extrapolated"
HIGH_CV = "high_cv"
MASKED_WELL = "masked_well"
NO_SOLUTION = "no_solution"
SATURATED = "saturated"
SINGLE_WELL = "single_well"

FLAGS: tuple[str, ...] = (
    BELOW_BLANK,
    EXTRAPOLATED,
    HIGH_CV,
    MASKED_WELL,
    NO_SOLUTION,
    SATURATED,
    SINGLE_WELL,
)

FLAG_SEPARATOR = ";"

# Westgard rule labels (DESIGN 4.6, methods 6): the ``rule`` of a hit and the part before ``:``
# in runs.csv ``rules``. Which rules reject and which only warn is the rule set's choice
# (qc.rule_sets); by default 1-2s and 10-x warn.
RULE_1_2S = "1-2s"
RULE_1_3S = "1-3s"
RULE_2_2S = "2-2s"
RULE_2OF3_2S = "2of3-2s"
RULE_R_4S = "R-4s"
RULE_3_1S = "3-1s"
RULE_4_1S = "4-1s"
RULE_6X = "6-x"
RULE_10X = "10-x"
RULE_8X = "8-x"

WESTGARD_RULES: tuple[str, ...] = (
    RULE_1_2S,
    RULE_1_3S,
    RULE_2_2S,
    RULE_2OF3_2S,
    RULE_R_4S,
    RULE_3_1S,
    RULE_4_1S,
    RULE_6X,
    RULE_10X,
    RULE_8X,
)

# Where a multi-result Westgard rule looks (qc.rule_sets), written after ``@`` in a rule.
#: Within one run, across its controls.
SCOPE_RUN = "run"
#: Along one control's series, across consecutive runs.
SCOPE_CONTROL = "control"
#: Along the pooled sequence (runs in order, controls low to high within a run): across runs
#: and controls together.
SCOPE_POOLED = "pooled"
SCOPES: tuple[str, ...] = (SCOPE_RUN, SCOPE_CONTROL, SCOPE_POOLED)


def join_known(codes: Iterable[str], known: tuple[str, ...], kind: str) -> str:
    """Deduplicate ``codes`` and ``;``-join them in the order of ``known`` (``""`` when none).

    Raises QCError for a code not in ``known``, or a bare string passed instead of an iterable.
    """
    if isinstance(codes, str):
        raise QCError(f"{kind} codes must be an iterable, got the string {codes!r}")
    seen = set()
    for code in codes:
        if code not in known:
            raise QCError(f"unknown {kind} {code!r}; expected one of {', '.join(known)}")
        seen.add(code)
    return FLAG_SEPARATOR.join(code for code in known if code in seen)


def join_flags(flags: Iterable[str]) -> str:
    """Deduplicate, sort alphabetically (the order of FLAGS) and ``;``-join flags."""
    return join_known(flags, tuple(sorted(FLAGS)), "flag")


# Re-assay reasons (reassay.csv ``reason``): a group's own reason, the first that applies in
# this order, else ``plate_failed`` for every sample of a plate whose verdict is fail.
REASSAY_SATURATED = SATURATED
REASSAY_NO_SOLUTION = NO_SOLUTION
REASSAY_HIGH_CV = HIGH_CV
REASSAY_ABOVE = "above"
REASSAY_PLATE_FAILED = "plate_failed"

REASSAY_REASONS: tuple[str, ...] = (
    REASSAY_SATURATED,
    REASSAY_NO_SOLUTION,
    REASSAY_HIGH_CV,
    REASSAY_ABOVE,
    REASSAY_PLATE_FAILED,
)
