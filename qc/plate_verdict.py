"""A plate's verdict from its fail and warning codes (DESIGN 4.5), and the fit's fail codes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from qc.codes import FAIL_CODES, FIT_NOT_CONVERGED, PARAMETER_AT_BOUND, WARNING_CODES, join_known
from qc.errors import QCError

PASS = "pass"
FAIL = "fail"
CODE_SEPARATOR = ";"


def fit_fail_codes(converged: bool, at_bound: Sequence[str]) -> tuple[str, ...]:
    """Fail codes of a curve fit: ``fit_not_converged`` and/or ``parameter_at_bound``.

    ``at_bound`` names the parameters found at a bound (empty when none).
    """
    if isinstance(at_bound, str):
        raise QCError(
            f"at_bound must be a sequence of parameter names, got the string {at_bound!r}"
        )
    codes: list[str] = []
    if not converged:
        codes.append(FIT_NOT_CONVERGED)
    if len(at_bound) > 0:
        codes.append(PARAMETER_AT_BOUND)
    return tuple(codes)


def _ordered(codes: Iterable[str], known: tuple[str, ...], kind: str) -> str:
    return join_known(codes, known, f"{kind} code")


def plate_verdict(fail_codes: Iterable[str], warning_codes: Iterable[str]) -> tuple[str, str, str]:
    """(verdict, reasons, warnings): ``"pass"`` when no fail code, else ``"fail"``.

    ``reasons``/``warnings`` are deduplicated and ``;``-joined in the order of FAIL_CODES /
    WARNING_CODES (``""`` when none). Raises QCError for an unknown code.
    """
    reasons = _ordered(fail_codes, FAIL_CODES, "fail")
    warnings = _ordered(warning_codes, WARNING_CODES, "warning")
    return (FAIL if reasons else PASS), reasons, warnings
