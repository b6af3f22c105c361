"""Fit many standard curves at once: the one-plate fitter's sequence as array operations.

The sequence and its rules are those of `elisa.fit.fitter.fit_standard_curve` (and are taken
from the functions it uses): which model the standards allow, the bounds, the starting points
(the 4PL starts, then the 5PL g starts from the best 4PL), the best start by the objective, the
weighting cycles until the parameters settle, the 4PL fallback when a 5PL parameter ends at a
bound, and the statistics of the final fit. Only the optimiser differs: Levenberg–Marquardt over
all (curve × start) rows together (`elisa.fit.batched_lm`) instead of one lmfit fit per start.

A curve's result does not depend on the other curves in its batch (each row has its own
damping, stopping test and weighting cycle count; see `batched_lm`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from elisa.fit.batched_lm import N_PARAMS, Problems, solve
from elisa.fit.bounds import Bounds, default_bounds
from elisa.fit.fitter import (
    G_STARTS,
    NO_G_START_CONVERGED,
    NO_START_CONVERGED,
    CurveFit,
    failed_fit,
    five_at_bound_note,
    is_better,
    plan_fit,
    summarise_fit,
    weighting_theta,
)
from elisa.fit.model import PARAMETER_ORDER, bounded_start, logistic_log_scale
from elisa.fit.request import CurveRequest
from elisa.fit.start import asymmetry_starts, starting_points
from elisa.fit.weights import (
    MAX_WEIGHT_CYCLES,
    WEIGHTS_NOT_SETTLED,
    Weighting,
    weights_from_curve,
    weights_settled,
)

OPTIMISER_STOPPED = "the iteration limit was reached"


@dataclass
class _Curve:
    """A fittable curve's working state."""

    x: np.ndarray
    y: np.ndarray
    request: CurveRequest
    bounds: Bounds
    notes: list[str]
    model: str = "4PL"
    best4: np.ndarray | None = None  # (5,) the best unweighted 4PL
    best4_ok: bool = False


def _best4(curve: _Curve) -> np.ndarray:
    """The curve's best 4PL (set for every curve that reaches the 5PL step)."""
    if curve.best4 is None:
        raise AssertionError("a 5PL fit needs the curve's 4PL first")
    return curve.best4


def _values(theta: np.ndarray) -> dict[str, float]:
    return {name: float(v) for name, v in zip(PARAMETER_ORDER, theta, strict=True)}


def _vector(values: dict[str, float]) -> list[float]:
    return [values[name] for name in PARAMETER_ORDER]


def _problems(curves: list[_Curve], weights: list[np.ndarray], five: bool) -> Problems:
    """One row per curve, padded to the longest curve with weight-0 points."""
    m, n = len(curves), max((len(c.x) for c in curves), default=1)
    log_x, y, w = np.zeros((m, n)), np.zeros((m, n)), np.zeros((m, n))
    for i, (curve, wi) in enumerate(zip(curves, weights, strict=True)):
        k = len(curve.x)
        log_x[i, :k], y[i, :k], w[i, :k] = np.log(curve.x), curve.y, wi
    lower = np.array([_vector(c.bounds.lower) for c in curves]).reshape(m, N_PARAMS)
    upper = np.array([_vector(c.bounds.upper) for c in curves]).reshape(m, N_PARAMS)
    free = np.ones((m, N_PARAMS), dtype=bool)
    if not five:
        free[:, PARAMETER_ORDER.index("log_g")] = False
        lower[:, PARAMETER_ORDER.index("log_g")] = 0.0
        upper[:, PARAMETER_ORDER.index("log_g")] = 0.0
    return Problems(log_x, y, w, lower, upper, free)


def _best_of_starts(
    curves: list[_Curve], starts: list[list[dict[str, float]]], five: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit every (curve, start) row unweighted; per curve the best row, as the one-plate path
    picks it. Returns (theta (m, 5), success (m,), found (m,) bool)."""
    owner = np.repeat(np.arange(len(curves)), [len(s) for s in starts])
    rows = [curves[i] for i in owner]
    prob = _problems(rows, [np.ones(len(c.x)) for c in rows], five)
    theta0 = np.array(
        [
            _vector(bounded_start(s, c.bounds, five))
            for c, ss in zip(curves, starts, strict=True)
            for s in ss
        ]
    )
    sol = solve(prob, theta0.reshape(-1, N_PARAMS))
    m = len(curves)
    best_sse = np.full(m, np.inf)
    best_row = np.full(m, -1)
    first = np.concatenate([[0], np.cumsum([len(s) for s in starts])[:-1]]).astype(int)
    for k in range(max((len(s) for s in starts), default=0)):
        has = np.array([len(s) > k for s in starts])
        row = np.where(has, first + k, 0)
        sse = np.where(has, sol.sse[row], np.nan)
        better = is_better(sse, best_sse)
        best_sse = np.where(better, sse, best_sse)
        best_row = np.where(better, row, best_row)
    found = best_row >= 0
    pick = np.where(found, best_row, 0)
    return sol.theta[pick], sol.success[pick], found


def _settle_weights(
    curves: list[_Curve], theta: np.ndarray, success: np.ndarray, five: bool
) -> list[tuple[np.ndarray, bool, Weighting]]:
    """The weighting cycles of each curve from its unweighted optimum, until it settles."""
    theta, success = theta.copy(), success.copy()
    out: list[tuple[np.ndarray, bool, Weighting] | None] = [None] * len(curves)
    live = []
    for i, c in enumerate(curves):
        tv = weighting_theta(c.request.weighting, c.request.theta)
        theta_now = 0.0 if tv == "estimate" else float(tv)
        if c.request.weighting == "none":
            ones = np.ones_like(c.y)
            out[i] = (theta[i], bool(success[i]), Weighting("none", theta_now, ones, 1.0, ""))
        else:
            live.append(i)
    state: dict[int, tuple[np.ndarray, float, float]] = {}
    for _cycle in range(MAX_WEIGHT_CYCLES):
        if not live:
            break
        for i in live:
            c = curves[i]
            mu = logistic_log_scale(c.x, **_values(theta[i]))
            tv = weighting_theta(c.request.weighting, c.request.theta)
            state[i] = weights_from_curve(mu, c.y, c.request.blank, tv)
        idx = np.array(live)
        prob = _problems([curves[i] for i in live], [state[i][0] for i in live], five)
        sol = solve(prob, theta[idx])
        settled = weights_settled(theta[idx], sol.theta)
        theta[idx], success[idx] = sol.theta, sol.success
        for i, done in zip(live, settled, strict=True):
            if done:
                w, scale, theta_now = state[i]
                c = curves[i]
                out[i] = (
                    theta[i],
                    bool(success[i]),
                    Weighting(c.request.weighting, theta_now, w, scale, ""),
                )
        live = [i for i, done in zip(live, settled, strict=True) if not done]
    for i in live:
        w, scale, theta_now = state[i]
        weighting = Weighting(curves[i].request.weighting, theta_now, w, scale, WEIGHTS_NOT_SETTLED)
        out[i] = (theta[i], bool(success[i]), weighting)
    return [o for o in out if o is not None]


def _summary(c: _Curve, model: str, fitted: tuple[np.ndarray, bool, Weighting]) -> CurveFit:
    theta, success, weighting = fitted
    message = "" if success else OPTIMISER_STOPPED
    r = c.request
    return summarise_fit(
        _values(theta), success, message, weighting, model, c.x, c.y, r.blank, c.bounds, c.notes
    )


def fit_standard_curves(requests: Sequence[CurveRequest]) -> list[CurveFit]:
    """Fit every curve as `fit_standard_curve` would, with all curves' arithmetic batched."""
    results: list[CurveFit | None] = [None] * len(requests)
    curves: dict[int, _Curve] = {}
    for i, r in enumerate(requests):
        x, y = np.asarray(r.x, dtype=float), np.asarray(r.y, dtype=float)
        tv = weighting_theta(r.weighting, r.theta)
        theta_now = 0.0 if tv == "estimate" else float(tv)
        plan = plan_fit(x, r.model, r.min_levels_4pl, r.min_levels_5pl)
        if plan.failure:
            results[i] = failed_fit(
                plan.model, r.weighting, theta_now, len(x), plan.n_params, plan.failure, r.blank
            )
            continue
        curves[i] = _Curve(x, y, r, default_bounds(x, y), list(plan.notes), plan.model)
    order = list(curves)
    batch = [curves[i] for i in order]
    theta4, ok4, found4 = _best_of_starts(
        batch, [starting_points(c.x, c.y) for c in batch], five=False
    )
    for i, c, th, ok, found in zip(order, batch, theta4, ok4, found4, strict=True):
        if found:
            c.best4, c.best4_ok = th, bool(ok)
        else:
            p = 5 if c.model == "5PL" else 4
            r = c.request
            tv = weighting_theta(r.weighting, r.theta)
            theta_now = 0.0 if tv == "estimate" else float(tv)
            results[i] = failed_fit(
                c.model, r.weighting, theta_now, len(c.x), p, NO_START_CONVERGED, r.blank
            )
    fives = [i for i in order if results[i] is None and curves[i].model == "5PL"]
    if fives:
        batch5 = [curves[i] for i in fives]
        starts = [asymmetry_starts(_values(_best4(c)), G_STARTS) for c in batch5]
        theta5, ok5, found5 = _best_of_starts(batch5, starts, five=True)
        kept = [j for j in range(len(fives)) if found5[j]]
        settled5 = _settle_weights([batch5[j] for j in kept], theta5[kept], ok5[kept], five=True)
        for j, fitted in zip(kept, settled5, strict=True):
            c = batch5[j]
            at_bound = c.bounds.at_bound(_values(fitted[0]), PARAMETER_ORDER)
            if not at_bound:
                results[fives[j]] = _summary(c, "5PL", fitted)
            else:
                c.notes.append(five_at_bound_note(_values(fitted[0]), at_bound))
        for j in range(len(fives)):
            if not found5[j]:
                batch5[j].notes.append(NO_G_START_CONVERGED)
    fours = [i for i in order if results[i] is None]
    batch4 = [curves[i] for i in fours]
    theta = np.array([c.best4 for c in batch4]).reshape(-1, N_PARAMS)
    settled4 = _settle_weights(
        batch4, theta, np.array([c.best4_ok for c in batch4], dtype=bool), five=False
    )
    for i, c, fitted in zip(fours, batch4, settled4, strict=True):
        results[i] = _summary(c, "4PL", fitted)
    return [r for r in results if r is not None]
