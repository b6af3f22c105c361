"""Fit a standard curve: 4PL or 5PL, weighting by iteration, restarts, and the fit's statistics.

Non-convergence is a result (``converged=False`` with a ``message``), never an exception.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from elisa.fit.bounds import Bounds, default_bounds
from elisa.fit.logistic import inverse_logistic5, logistic5, logistic5_gradient
from elisa.fit.solve import PARAMETER_ORDER, Solution, bounded_start, solve_curve
from elisa.fit.start import asymmetry_starts, starting_points
from elisa.fit.weights import Weighted, Weighting, iterate_weights, raw_weights

#: 5PL starting values of the asymmetry g (each from the fitted 4PL, best objective kept): the
#: 5PL objective has local optima in g, so a single start at g = 1 can stop in one of them.
G_STARTS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
#: Below this share of the a → d span at the highest standard, the upper plateau is not reached
#: by the standards (warning top_not_reached): the half-response concentration lies above them.
TOP_REACHED_FRACTION = 0.5
#: A later start replaces the best so far only when its objective is lower by this, relative.
BETTER_REL = 1e-12
#: Fitted asymptotes a and d this close, relative to the response span, coincide: no dose-response.
ASYMPTOTES_COINCIDE_REL = 1e-6


@dataclass(frozen=True, kw_only=True)
class CurveFit:
    """A fitted (or failed) standard curve; parameters on the natural scale."""

    model: str  # "4PL" or "5PL" (the model actually fitted)
    weighting: str
    theta: float  # power-of-the-mean exponent used (0 when unweighted)
    params: dict[str, float]  # a, b, c, d, g (NaN when not converged)
    se: dict[str, float]  # se_a ... se_g (se_c = c·SE(ln c)); se_g NaN for 4PL
    covariance: np.ndarray  # in the free parameters (a, b, ln c, d[, ln g])
    sigma: float  # √(weighted SSE / (n − p)); the rmse column
    r_squared: float
    n_points: int
    n_params: int
    converged: bool
    message: str
    at_bound: tuple[str, ...] = ()
    blank: float = 0.0  # blank mean added back for the raw-response weights
    weight_scale: float = 1.0  # raw weights were divided by this to have mean 1
    x: np.ndarray = field(default_factory=lambda: np.empty(0))
    y: np.ndarray = field(default_factory=lambda: np.empty(0))
    weights: np.ndarray = field(default_factory=lambda: np.empty(0))

    @property
    def df(self) -> int:
        """Residual degrees of freedom n − p."""
        return self.n_points - self.n_params

    def predict(self, x: np.ndarray | float) -> np.ndarray:
        """Fitted corrected OD at in-well concentration x."""
        p = self.params
        return logistic5(x, p["a"], p["b"], p["c"], p["d"], p["g"])

    def inverse(self, y: np.ndarray | float) -> np.ndarray:
        """In-well concentration for corrected OD y; NaN beyond the asymptotes or if not fitted."""
        if not self.converged:
            return np.full(np.shape(y), np.nan)
        p = self.params
        return inverse_logistic5(y, p["a"], p["b"], p["c"], p["d"], p["g"])

    def top_fraction(self) -> float:
        """Share of the a → d span the curve covers at the highest fitted standard (0–1).

        (f(x_top) − a) / (d − a): below TOP_REACHED_FRACTION the upper plateau d lies beyond the
        standards (warning ``top_not_reached``). NaN when the fit failed.
        """
        p = self.params
        if not self.converged or len(self.x) == 0 or p["d"] == p["a"]:
            return float("nan")
        top = float(self.predict(float(np.max(self.x))))
        return (top - p["a"]) / (p["d"] - p["a"])

    def weight_at(self, x: np.ndarray | float) -> np.ndarray:
        """The normalised weight the fit would give a response at concentration x."""
        return raw_weights(self.predict(x), self.blank, self.theta) / self.weight_scale


def failed_fit(
    model: str, weighting: str, theta: float, n: int, p: int, message: str, blank: float
) -> CurveFit:
    nan = float("nan")
    return CurveFit(
        model=model,
        weighting=weighting,
        theta=theta,
        params=dict.fromkeys("abcdg", nan),
        se=dict.fromkeys(("se_a", "se_b", "se_c", "se_d", "se_g"), nan),
        covariance=np.full((p, p), nan),
        sigma=nan,
        r_squared=nan,
        n_points=n,
        n_params=p,
        converged=False,
        message=message,
        blank=blank,
    )


def weighting_theta(weighting: str, theta: float | str) -> float | str:
    """The power-of-the-mean exponent a weighting implies ("estimate" for pom estimated)."""
    return {"none": 0.0, "1/y": 0.5, "1/y^2": 1.0}.get(weighting, theta)


@dataclass(frozen=True)
class FitPlan:
    """What a curve's standards allow: the model to fit, or why none can be fitted."""

    model: str
    n_params: int
    notes: tuple[str, ...]
    failure: str  # "" when the curve can be fitted


def plan_fit(x: np.ndarray, model: str, min_levels_4pl: int, min_levels_5pl: int) -> FitPlan:
    """Downgrade 5PL with too few levels; refuse a fit with too few levels or wells."""
    return plan_for_counts(len(np.unique(x)), len(x), model, min_levels_4pl, min_levels_5pl)


def plan_for_counts(
    n_levels: int, n_wells: int, model: str, min_levels_4pl: int, min_levels_5pl: int
) -> FitPlan:
    """`plan_fit` from the number of distinct concentrations and of wells."""
    notes = []
    if model == "5PL" and n_levels < min_levels_5pl:
        notes.append(f"5PL needs {min_levels_5pl} levels, {n_levels} usable: fitted 4PL instead")
        model = "4PL"
    p = 5 if model == "5PL" else 4
    failure = ""
    if n_levels < min_levels_4pl or n_wells <= p:
        failure = (
            f"too few standards to fit a curve: {n_levels} levels and {n_wells} wells "
            f"usable, {min_levels_4pl} levels and more than {p} wells needed"
        )
    return FitPlan(model, p, tuple(notes), failure)


NO_START_CONVERGED = "the fit did not converge from any starting point"
NO_G_START_CONVERGED = "5PL did not converge from any g start: fitted 4PL instead"


def five_at_bound_note(values: dict[str, float], at_bound: tuple[str, ...]) -> str:
    """Why a 5PL optimum with a parameter at a bound falls back to 4PL (methods §1.6)."""
    natural = {
        "a": values["a"],
        "b": values["b"],
        "c": np.exp(values["log_c"]),
        "d": values["d"],
        "g": np.exp(values["log_g"]),
    }
    hits = ", ".join(f"{name} reached its bound ({natural[name]:.3g})" for name in at_bound)
    return f"5PL: {hits}, the standards do not identify the asymmetry: fitted 4PL instead"


def fit_standard_curve(
    x: np.ndarray,
    y: np.ndarray,
    *,
    model: str = "4PL",
    weighting: str = "none",
    theta: float | str = 1.0,
    blank: float = 0.0,
    min_levels_4pl: int = 5,
    min_levels_5pl: int = 6,
) -> CurveFit:
    """Fit f(x) to standard wells (x in-well concentration > 0, y blank-corrected OD).

    ``weighting`` is "none", "1/y", "1/y^2" or "pom" (with ``theta`` a number or "estimate");
    weights come from the fitted curve on the raw scale (f + ``blank``), iterated to convergence.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    theta_value = weighting_theta(weighting, theta)
    theta_now = 0.0 if theta_value == "estimate" else float(theta_value)
    plan = plan_fit(x, model, min_levels_4pl, min_levels_5pl)
    model, p, notes = plan.model, plan.n_params, list(plan.notes)
    if plan.failure:
        return failed_fit(model, weighting, theta_now, len(x), p, plan.failure, blank)

    bounds = default_bounds(x, y)
    ones = np.ones_like(y)
    best = _best_of_starts(False, x, y, ones, bounds, starting_points(x, y))
    if best is None:
        return failed_fit(model, weighting, theta_now, len(x), p, NO_START_CONVERGED, blank)
    if model == "5PL":
        starts = asymmetry_starts(best.values, G_STARTS)
        best5 = _best_of_starts(True, x, y, ones, bounds, starts)
        if best5 is not None:
            weighted = iterate_weights(True, best5, x, y, bounds, weighting, theta_value, blank)
            values = weighted.result.values
            at_bound = bounds.at_bound(values, PARAMETER_ORDER)
            if not at_bound:
                return _summarise(weighted, "5PL", x, y, blank, bounds, notes)
            # the 5PL optimum needs a parameter at a bound (g, or d when no upper plateau is
            # reached): the standards do not identify the asymmetry (methods §1.6)
            notes.append(five_at_bound_note(values, at_bound))
        else:
            notes.append(NO_G_START_CONVERGED)
        model = "4PL"
    weighted = iterate_weights(False, best, x, y, bounds, weighting, theta_value, blank)
    return _summarise(weighted, model, x, y, blank, bounds, notes)


def is_better(sse: float | np.ndarray, best_sse: float | np.ndarray) -> np.ndarray:
    """Whether a start's objective beats the best so far (ties keep the earlier start)."""
    return np.isfinite(sse) & (sse < best_sse * (1 - BETTER_REL))


def _best_of_starts(
    five: bool,
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    bounds: Bounds,
    starts: list[dict[str, float]],
) -> Solution | None:
    best, best_sse = None, np.inf
    for start in starts:
        result = solve_curve(x, y, w, bounded_start(start, bounds, five), bounds, five)
        sse = float(np.sum(result.residual**2))
        if is_better(sse, best_sse):
            best, best_sse = result, sse
    return best


def _summarise(
    weighted: Weighted,
    model: str,
    x: np.ndarray,
    y: np.ndarray,
    blank: float,
    bounds: Bounds,
    notes: list[str],
) -> CurveFit:
    result = weighted.result
    return summarise_fit(
        result.values,
        result.success,
        result.message,
        weighted.weighting,
        model,
        x,
        y,
        blank,
        bounds,
        notes,
    )


def summarise_fit(
    v: dict[str, float],
    success: bool,
    optimizer_message: str,
    weighting: Weighting,
    model: str,
    x: np.ndarray,
    y: np.ndarray,
    blank: float,
    bounds: Bounds,
    notes: list[str],
) -> CurveFit:
    """The CurveFit at the fitted values v (a, b, log_c, d, log_g): SEs, r², rmse, bounds."""
    w = weighting.weights
    params = natural_parameters(v)
    names = PARAMETER_ORDER if model == "5PL" else PARAMETER_ORDER[:4]
    n, p = len(x), len(names)
    fitted = logistic5(x, params["a"], params["b"], params["c"], params["d"], params["g"])
    resid = y - fitted
    sigma = float(np.sqrt(np.sum(w * resid**2) / (n - p)))
    total = float(np.sum((y - y.mean()) ** 2))
    r_squared = float(1 - np.sum(resid**2) / total) if total > 0 else float("nan")
    jac = logistic5_gradient(x, params["a"], params["b"], params["c"], params["d"], params["g"])[
        :, :p
    ]
    try:
        unscaled = np.linalg.inv(jac.T @ (w[:, None] * jac))
    except np.linalg.LinAlgError:
        unscaled = np.full((p, p), np.nan)
    return fit_from_statistics(
        params,
        success,
        optimizer_message,
        weighting,
        model,
        x,
        y,
        blank,
        notes,
        sigma=sigma,
        r_squared=r_squared,
        unscaled=unscaled,
        span=response_span(y),
        at_bound=bounds.at_bound(v, names),
    )


def natural_parameters(v: dict[str, float]) -> dict[str, float]:
    """a, b, c, d, g from the fitted values (a, b, log_c, d, log_g)."""
    return {
        "a": v["a"],
        "b": v["b"],
        "c": float(np.exp(v["log_c"])),
        "d": v["d"],
        "g": float(np.exp(v["log_g"])),
    }


def response_span(y: np.ndarray) -> float:
    """The standards' response span (OD) against which fitted asymptotes count as equal."""
    return float(np.ptp(y)) if np.ptp(y) > 0 else max(float(np.max(np.abs(y))), 1e-12)


def fit_from_statistics(
    params: dict[str, float],
    success: bool,
    optimizer_message: str,
    weighting: Weighting,
    model: str,
    x: np.ndarray,
    y: np.ndarray,
    blank: float,
    notes: list[str],
    *,
    sigma: float,
    r_squared: float,
    unscaled: np.ndarray,
    span: float,
    at_bound: tuple[str, ...],
) -> CurveFit:
    """The CurveFit from a fit's statistics: whether it converged and why not, SEs, notes.

    ``params`` on the natural scale; ``unscaled`` = (JᵀWJ)⁻¹ in the free parameters; ``span`` =
    `response_span` of y; ``at_bound`` the parameters within AT_BOUND_REL of a bound.
    """
    notes = [*notes, weighting.note] if weighting.note else list(notes)
    p = 5 if model == "5PL" else 4
    converged = success and all(map(math.isfinite, params.values()))
    if not converged:
        notes.insert(0, f"the optimiser stopped without converging: {optimizer_message}")
    if converged and abs(params["a"] - params["d"]) <= ASYMPTOTES_COINCIDE_REL * span:
        converged = False
        notes.insert(
            0, "the standards show no dose-response (the fitted asymptotes a and d coincide)"
        )
    cov = sigma**2 * unscaled
    # checked as Python floats: for a dozen numbers numpy's calls cost more than the work
    values = unscaled.ravel().tolist()
    identified = all(map(math.isfinite, values)) and min(values[:: p + 1]) > 0  # the diagonal
    if converged and not identified:
        # a numerically singular information matrix: the standards do not identify the curve,
        # and clipped variances would report standard errors of zero
        converged = False
        cov = np.full((p, p), np.nan)
        notes.append(
            "the parameters are not identified by the standards (singular information matrix)"
        )
    # a negative variance (of a failed fit) has a NaN SE
    se_free = [math.sqrt(v) if v >= 0 else math.nan for v in cov.diagonal().tolist()]
    se = {
        "se_a": se_free[0],
        "se_b": se_free[1],
        "se_c": params["c"] * se_free[2],
        "se_d": se_free[3],
        "se_g": params["g"] * se_free[4] if p == 5 else math.nan,
    }
    if at_bound:
        notes.append("parameter(s) at a bound: " + ", ".join(at_bound))
    return CurveFit(
        model=model,
        weighting=weighting.weighting,
        theta=weighting.theta,
        params=params,
        se=se,
        covariance=cov,
        sigma=sigma,
        r_squared=r_squared,
        n_points=len(x),
        n_params=p,
        converged=converged,
        message="; ".join(notes),
        at_bound=at_bound,
        blank=blank,
        weight_scale=weighting.scale,
        x=x,
        y=y,
        weights=weighting.weights,
    )
