"""One bounded least-squares fit of a standard curve, by scipy's trust-region reflective solver.

This is the call lmfit makes for `LogisticModel.fit_weighted` (``method="least_squares"`` with
the analytic Jacobian), made directly: the same residual, Jacobian, start, bounds and options,
so the same optimum bit for bit (a test holds the two together), without importing lmfit, whose
import (a third of a second, through scipy.stats) would dominate a one-plate run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from elisa.fit.bounds import Bounds
from elisa.fit.logistic import logistic5, logistic5_gradient

#: Order of the fitted parameters: c and g on the natural-log scale (methods §1.6).
PARAMETER_ORDER = ("a", "b", "log_c", "d", "log_g")
#: A start is clipped this share of a parameter's range inside its bounds.
START_INSET = 1e-9
#: Tolerances of the solver: tight, so the fit stops at the optimum rather than near it.
TOLERANCE = 1e-15
#: The fit is abandoned after this many evaluations of the residual (as lmfit's ``max_nfev``).
MAX_EVALUATIONS = 2000

__all__ = [
    "PARAMETER_ORDER",
    "START_INSET",
    "Solution",
    "bounded_start",
    "logistic_log_scale",
    "solve_curve",
]


def logistic_log_scale(
    x: np.ndarray, a: float, b: float, log_c: float, d: float, log_g: float = 0.0
) -> np.ndarray:
    """`logistic5` with c and g given as natural logarithms (the fitted function)."""
    return logistic5(x, a, b, np.exp(log_c), d, np.exp(log_g))


def bounded_start(start: dict[str, float], bounds: Bounds, five: bool) -> dict[str, float]:
    """Starting values clipped a hair (1e-9 of the range) inside ``bounds``; 4PL has log_g = 0.

    A start exactly on a bound would leave the bounded solvers no room to move off it.
    """
    values = {}
    for name in PARAMETER_ORDER:
        if five or name != "log_g":
            lo, hi = bounds.lower[name], bounds.upper[name]
            inset = START_INSET * (hi - lo)
            values[name] = min(max(start.get(name, 0.0), lo + inset), hi - inset)
        else:
            values[name] = 0.0
    return values


@dataclass(frozen=True)
class Solution:
    """Where one fit stopped: the values (a, b, log_c, d, log_g), whether the solver converged
    and its message, and the weighted residual √w·(y − f) there."""

    values: dict[str, float]
    success: bool
    message: str
    residual: np.ndarray

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The fitted curve at concentrations ``x``."""
        return logistic_log_scale(x, **self.values)


class _TooManyEvaluations(Exception):
    pass


def solve_curve(
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    start: dict[str, float],
    bounds: Bounds,
    five: bool,
) -> Solution:
    """Minimise Σ w (y − f)² from ``start`` (inside ``bounds``; log_g held at 0 for the 4PL)."""
    from scipy.optimize import least_squares  # deferred: `elisa --help` does not need scipy

    names = PARAMETER_ORDER if five else PARAMETER_ORDER[:4]
    columns = list(range(len(names)))
    sqrt_w = np.sqrt(w)
    lower = [bounds.lower[n] for n in names]
    upper = [bounds.upper[n] for n in names]
    evaluations = 0
    last = np.asarray([start[n] for n in names], dtype=float)

    def values_at(v: np.ndarray) -> dict[str, float]:
        # as lmfit's parameters take them: Python floats, clipped into their bounds (the
        # solver keeps its iterates strictly inside, so the clip never moves one)
        values = {n: min(max(float(v[k]), lower[k]), upper[k]) for k, n in enumerate(names)}
        return values if five else {**values, "log_g": 0.0}

    def residual(v: np.ndarray) -> np.ndarray:
        nonlocal evaluations, last
        evaluations += 1
        last = v
        if evaluations > MAX_EVALUATIONS:
            raise _TooManyEvaluations
        diff = y - logistic_log_scale(x, **values_at(v))
        diff *= sqrt_w
        return diff

    def jacobian(v: np.ndarray) -> np.ndarray:
        p = values_at(v)
        grad = logistic5_gradient(x, p["a"], p["b"], np.exp(p["log_c"]), p["d"], np.exp(p["log_g"]))
        # indexed with a list of columns, as lmfit does: the result is C-ordered, and the
        # solver's SVD of a Fortran-ordered copy would differ in the last bits
        return -grad[:, columns] * sqrt_w[:, None]

    with np.errstate(invalid="ignore", divide="ignore"):
        try:
            found = least_squares(
                residual,
                [start[n] for n in names],
                jac=jacobian,
                bounds=(lower, upper),
                method="trf",
                ftol=TOLERANCE,
                xtol=TOLERANCE,
                gtol=TOLERANCE,
                x_scale="jac",
                max_nfev=2 * MAX_EVALUATIONS,
            )
        except _TooManyEvaluations:
            values = values_at(last)
            aborted = f"Fit aborted: number of function evaluations > {MAX_EVALUATIONS}"
            return Solution(values, False, aborted, _weighted_residual(x, y, sqrt_w, values))
    values = values_at(found.x)
    return Solution(
        values, bool(found.success), str(found.message), _weighted_residual(x, y, sqrt_w, values)
    )


def _weighted_residual(
    x: np.ndarray, y: np.ndarray, sqrt_w: np.ndarray, values: dict[str, float]
) -> np.ndarray:
    diff = y - logistic_log_scale(x, **values)
    diff *= sqrt_w
    return diff
