"""Intra-assay (repeatability) CV of one plate, pooled over replicate groups, and its tests (DESIGN 4.5).

The pooled CV weights each group's CV² by its degrees of freedom (RMS pooling, methods 5.3);
the χ² test asks whether it is significantly above the analyte's limit. CVs are in percent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from qc.arrays import CV_SLACK_PCT, one_dimensional
from qc.codes import INTRA_CV_ABOVE_LIMIT, INTRA_CV_FAIL, INTRA_CV_NOT_ASSESSABLE, TOO_MANY_HIGH_CV
from qc.errors import QCError
from qc.quantiles import chi2_quantile


@dataclass(frozen=True, kw_only=True)
class IntraAssayOutcome:
    """Pooled intra-assay CV of a plate and the codes it raises."""

    intra_cv_pct: float  # pooled CV (%), NaN when not assessable
    k: int  # degrees of freedom, sum(n_i - 1) over the pooled groups
    n_groups: int  # groups with a CV or flagged high_cv (denominator of too_many_high_cv)
    n_high_cv: int  # groups flagged high_cv
    fail_codes: tuple[str, ...]
    warning_codes: tuple[str, ...]


def chi2_exceeds_limit(intra_cv_pct: float, k: int, limit_pct: float, alpha: float = 0.01) -> bool:
    """True when k * cv² / limit² > χ²(1 - alpha, k): the CV is significantly above the limit."""
    if not (np.isfinite(limit_pct) and limit_pct > 0):
        raise QCError(f"the intra-assay CV limit must be a finite percentage > 0, got {limit_pct}")
    if k <= 0 or not np.isfinite(intra_cv_pct):
        return False
    statistic = k * intra_cv_pct**2 / limit_pct**2
    return bool(statistic > chi2_quantile(1.0 - alpha, k))


def assess_intra_assay(
    cv_pct: ArrayLike,
    n_wells: ArrayLike,
    high_cv: ArrayLike,
    limit_pct: float,
    *,
    alpha: float = 0.01,
    max_high_cv_fraction: float = 0.10,
) -> IntraAssayOutcome:
    """Pool the eligible groups' CVs (controls and ``in`` samples) and judge them against the limit.

    Per group: ``cv_pct`` (NaN when it has none), ``n_wells`` (wells behind the CV) and ``high_cv``.
    Pooled: groups with a finite CV, not high_cv. Codes: ``intra_cv_above_limit`` (warning) when
    the pooled CV > limit; ``intra_cv_fail`` when the χ² test rejects at ``alpha``;
    ``too_many_high_cv`` when more than ``max_high_cv_fraction`` of the groups with a CV or
    flagged high_cv are flagged; ``intra_cv_not_assessable`` (warning) when nothing is pooled.
    """
    cv = one_dimensional("cv_pct", cv_pct, float)
    n = one_dimensional("n_wells", n_wells, float)
    flagged = one_dimensional("high_cv", high_cv, bool)
    if not (cv.size == n.size == flagged.size):
        raise QCError(
            "cv_pct, n_wells and high_cv must have one entry per group; got lengths "
            f"{cv.size}, {n.size}, {flagged.size}"
        )
    if not (np.isfinite(limit_pct) and limit_pct > 0):
        raise QCError(f"the intra-assay CV limit must be a finite percentage > 0, got {limit_pct}")
    if not (0.0 < alpha < 1.0):
        raise QCError(f"alpha must be in (0, 1), got {alpha}")
    has_cv = np.isfinite(cv)
    if np.any(has_cv & ~(n >= 2)):
        raise QCError("a group with a CV must have at least 2 wells")
    if np.any(has_cv & (cv < 0)):
        raise QCError("a CV cannot be negative")

    pooled = has_cv & ~flagged
    dof = n[pooled] - 1.0
    k = round(float(dof.sum()))
    if k > 0:
        intra = float(np.sqrt(np.sum(dof * cv[pooled] ** 2) / dof.sum()))
    else:
        intra = float("nan")

    n_groups = int((has_cv | flagged).sum())
    n_high = int(flagged.sum())

    fails: list[str] = []
    warnings: list[str] = []
    if np.isfinite(intra):
        if intra > limit_pct + CV_SLACK_PCT:
            warnings.append(INTRA_CV_ABOVE_LIMIT)
        if chi2_exceeds_limit(intra, k, limit_pct, alpha):
            fails.append(INTRA_CV_FAIL)
    else:
        warnings.append(INTRA_CV_NOT_ASSESSABLE)
    if n_high > max_high_cv_fraction * n_groups + 1e-9:
        fails.append(TOO_MANY_HIGH_CV)
    return IntraAssayOutcome(
        intra_cv_pct=intra,
        k=k,
        n_groups=n_groups,
        n_high_cv=n_high,
        fail_codes=tuple(fails),
        warning_codes=tuple(warnings),
    )
