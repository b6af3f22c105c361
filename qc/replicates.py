"""Replicate CV of one group of wells and the ``high_cv`` rule (DESIGN 4.5, methods 7).

CVs and limits are in percent; values are concentrations (any unit, after dilution).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from qc.arrays import CV_SLACK_PCT

#: Two-sided 99 % normal quantile as written in the contract (DESIGN 4.5): a duplicate's CV is
#: about c·|Z|, so 99 % of groups with true CV c stay below 2.576·c.
HIGH_CV_Z = 2.576


def mean_and_sd(values: np.ndarray) -> tuple[float, float]:
    """Mean and SD (ddof = 1) of one or more values: ``np.mean`` and ``np.std(ddof=1)`` to the
    last bit, SD NaN for a single value.

    Most replicate groups are duplicates, and for two values each step numpy takes is one IEEE
    operation (its sum starts from +0.0, then adds each value), so plain floats give the very
    same numbers at a fraction of numpy's call overhead. Other sizes are numpy's.
    """
    if len(values) == 2:
        a, b = float(values[0]), float(values[1])
        mean = (0.0 + a + b) / 2
        da, db = a - mean, b - mean
        return mean, math.sqrt(da * da + db * db)
    mean = float(np.mean(values))
    return mean, float(np.std(values, ddof=1)) if len(values) >= 2 else float("nan")


def replicate_cv(values: ArrayLike) -> float:
    """CV in % = 100 * SD(ddof=1) / mean over the finite values.

    NaN with fewer than 2 finite values or when their mean is <= 0. Non-finite values are skipped:
    a caller that wants no CV when a well has no solution must check that itself.
    """
    array = np.asarray(values, dtype=float).ravel()
    finite = array[np.isfinite(array)]
    if finite.size < 2:
        return float("nan")
    mean, sd = mean_and_sd(finite)
    if not mean > 0:
        return float("nan")
    return 100.0 * sd / mean


def high_cv_threshold(
    intra_limit_pct: float, expected_cv_pct: float | ArrayLike
) -> float | np.ndarray:
    """Threshold in % = 2.576 * max(intra limit, expected single-well CV); NaN expected -> the limit.

    Scalar in, float out; array in, array out.
    """
    result = HIGH_CV_Z * np.fmax(intra_limit_pct, np.asarray(expected_cv_pct, dtype=float))
    if np.ndim(result) == 0:
        return float(result)
    return result


def is_high_cv(cv_pct: float, threshold: float, any_well_without_solution: bool) -> bool:
    """True when a well of the group has no solution, or the CV (%) exceeds the threshold (%).

    A NaN CV or NaN threshold alone never flags; a CV equal to the threshold does not.
    """
    if any_well_without_solution:
        return True
    cv, limit = float(cv_pct), float(threshold)
    if math.isnan(cv) or math.isnan(limit):
        return False
    return cv > limit + CV_SLACK_PCT
