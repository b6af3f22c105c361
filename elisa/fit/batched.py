"""Fit many standard curves at once: the one-plate fitter's sequence, compiled per curve.

The sequence and its rules are those of `elisa.fit.fitter.fit_standard_curve`: which model the
standards allow, the bounds, the starting points (the 4PL starts, then the 5PL g starts from the
best 4PL), the best start by the objective, the weighting cycles until the parameters settle,
the 4PL fallback when a 5PL parameter ends at a bound, and the statistics and notes of the final
fit (`fitter.fit_from_statistics`, shared). Only the optimiser differs: a compiled
Levenberg–Marquardt (`elisa.fit.batched_lm`, with the per-curve sequence)
instead of one lmfit fit per start.

A curve's result does not depend on the other curves in its batch: the compiled functions read
and write one curve's rows in a fixed order, whichever thread runs them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from elisa.fit import batched_lm as kernel
from elisa.fit.batched_lm import N_PARAMS
from elisa.fit.bounds import (
    ASYMMETRY_RANGE,
    ASYMPTOTE_SPANS,
    AT_BOUND_REL,
    EC50_FACTOR,
    SLOPE_RANGE,
)
from elisa.fit.fitter import (
    NO_G_START_CONVERGED,
    NO_START_CONVERGED,
    CurveFit,
    FitPlan,
    failed_fit,
    fit_from_statistics,
    five_at_bound_note,
    natural_parameters,
    plan_for_counts,
    weighting_theta,
)
from elisa.fit.model import PARAMETER_ORDER
from elisa.fit.request import CurveRequest
from elisa.fit.weights import WEIGHTS_NOT_SETTLED, Weighting

OPTIMISER_STOPPED = "the iteration limit was reached"
#: Curves per thread below which a batch is fitted in the calling thread alone.
MIN_CURVES_PER_THREAD = 64
_REPORTED = tuple(name.removeprefix("log_") for name in PARAMETER_ORDER)


@dataclass(frozen=True)
class _Curves:
    """The requests as padded rows (points beyond ``counts`` are never read)."""

    x: np.ndarray  # (m, n) in-well concentration
    y: np.ndarray  # (m, n) corrected OD
    counts: np.ndarray  # (m,) points per curve
    xs: list[np.ndarray]  # each request's x and y as float arrays, for the results
    ys: list[np.ndarray]


def _rows(requests: Sequence[CurveRequest]) -> _Curves:
    xs = [np.asarray(r.x, dtype=float) for r in requests]
    ys = [np.asarray(r.y, dtype=float) for r in requests]
    counts = np.array([len(v) for v in xs], dtype=np.int64)
    m, n = len(xs), max(int(counts.max(initial=0)), 1)
    x, y = np.ones((m, n)), np.zeros((m, n))
    if counts.sum():
        rows = np.repeat(np.arange(m), counts)
        cols = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
        x[rows, cols], y[rows, cols] = np.concatenate(xs), np.concatenate(ys)
    return _Curves(x, y, counts, xs, ys)


def _extremes(curves: _Curves) -> tuple[np.ndarray, ...]:
    """Per curve: the least and greatest x and y over its own points."""
    valid = np.arange(curves.x.shape[1]) < curves.counts[:, None]
    return (
        np.where(valid, curves.x, np.inf).min(axis=1),
        np.where(valid, curves.x, -np.inf).max(axis=1),
        np.where(valid, curves.y, np.inf).min(axis=1),
        np.where(valid, curves.y, -np.inf).max(axis=1),
    )


def _bounds(x_lo, x_hi, y_lo, y_hi) -> tuple[np.ndarray, np.ndarray]:
    """`elisa.fit.bounds.default_bounds` of every curve as (m, 5) lower and upper arrays."""
    span = y_hi - y_lo
    span = np.where(span != 0, span, np.maximum(np.abs(y_hi), 1e-3))
    ones = np.ones_like(span)
    with np.errstate(divide="ignore", invalid="ignore"):  # empty curves are never fitted
        lower = np.column_stack(
            [
                y_lo - ASYMPTOTE_SPANS * span,
                ones * SLOPE_RANGE[0],
                np.log(x_lo / EC50_FACTOR),
                y_lo - ASYMPTOTE_SPANS * span,
                ones * float(np.log(ASYMMETRY_RANGE[0])),
            ]
        )
        upper = np.column_stack(
            [
                y_hi + ASYMPTOTE_SPANS * span,
                ones * SLOPE_RANGE[1],
                np.log(x_hi * EC50_FACTOR),
                y_hi + ASYMPTOTE_SPANS * span,
                ones * float(np.log(ASYMMETRY_RANGE[1])),
            ]
        )
    return lower, upper


def _at_bound(theta: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """`Bounds.at_bound` for every row and parameter: (m, 5) bool."""
    span = upper - lower
    return (theta - lower <= AT_BOUND_REL * span) | (upper - theta <= AT_BOUND_REL * span)


def _threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _in_threads(run: Callable[..., None], index: np.ndarray, *args: np.ndarray) -> None:
    """``run(chunk, *args)`` over chunks of ``index``: the compiled functions release the GIL,
    and each writes only its own curves' rows, so the chunks run side by side."""
    workers = min(_threads(), len(index) // MIN_CURVES_PER_THREAD)
    if workers <= 1:
        run(index, *args)
        return
    with ThreadPoolExecutor(workers) as pool:
        for done in [pool.submit(run, c, *args) for c in np.array_split(index, workers * 4)]:
            done.result()


@dataclass
class _Outputs:
    """Per curve: the final fit's θ, flags, weights and statistics (filled by `kernel.finish`)."""

    theta: np.ndarray
    success: np.ndarray
    settled: np.ndarray
    power_used: np.ndarray
    scale: np.ndarray
    w: np.ndarray
    sigma: np.ndarray
    r_squared: np.ndarray
    info: np.ndarray

    @classmethod
    def empty(cls, m: int, n: int) -> _Outputs:
        return cls(
            np.full((m, N_PARAMS), np.nan),
            np.zeros(m, dtype=bool),
            np.zeros(m, dtype=bool),
            np.zeros(m),
            np.ones(m),
            np.ones((m, n)),
            np.full(m, np.nan),
            np.full(m, np.nan),
            np.zeros((m, N_PARAMS, N_PARAMS)),
        )

    def fields(self) -> tuple[np.ndarray, ...]:
        """The arrays `kernel.finish` fills, in its order."""
        return (
            self.theta,
            self.success,
            self.settled,
            self.power_used,
            self.scale,
            self.w,
            self.sigma,
            self.r_squared,
            self.info,
        )


def _unscaled(info: np.ndarray) -> np.ndarray:
    """(JᵀWJ)⁻¹ of a stack of matrices, NaN where one is singular (as `summarise_fit`)."""
    try:
        return np.linalg.inv(info)
    except np.linalg.LinAlgError:
        out = np.full_like(info, np.nan)
        for k, matrix in enumerate(info):
            try:
                out[k] = np.linalg.inv(matrix)
            except np.linalg.LinAlgError:
                pass
        return out


def _plans(requests: Sequence[CurveRequest], curves: _Curves) -> list[FitPlan]:
    """`plan_fit` of every request (plans are shared between requests with the same counts)."""
    levels = np.zeros(len(requests), dtype=np.int64)
    kernel.count_levels(curves.x, curves.counts, levels)
    cache: dict[tuple[int, int, str, int, int], FitPlan] = {}
    plans = []
    for r, n_levels, n in zip(requests, levels.tolist(), curves.counts.tolist()):
        key = (n_levels, n, r.model, r.min_levels_4pl, r.min_levels_5pl)
        if key not in cache:
            cache[key] = plan_for_counts(*key)
        plans.append(cache[key])
    return plans


def fit_standard_curves(requests: Sequence[CurveRequest]) -> list[CurveFit]:
    """Fit every curve as `fit_standard_curve` would, with all curves' arithmetic compiled."""
    curves = _rows(requests)
    m, n_max = curves.x.shape
    plans = _plans(requests, curves)
    fittable = np.array([not p.failure for p in plans], dtype=bool)
    five = np.array([p.model == "5PL" for p in plans], dtype=bool)
    x_lo, x_hi, y_lo, y_hi = _extremes(curves)
    lower, upper = _bounds(x_lo, x_hi, y_lo, y_hi)
    log_x = np.zeros((m, n_max))
    best4, best5 = np.full((m, N_PARAMS), np.nan), np.full((m, N_PARAMS), np.nan)
    found4, ok4 = np.zeros(m, dtype=bool), np.zeros(m, dtype=bool)
    found5, ok5 = np.zeros(m, dtype=bool), np.zeros(m, dtype=bool)
    data = (curves.x, curves.y, curves.counts, lower, upper, five, log_x)
    _in_threads(
        kernel.fit_unweighted,
        np.flatnonzero(fittable),
        *data,
        best4,
        found4,
        ok4,
        best5,
        found5,
        ok5,
    )

    settings = [weighting_theta(r.weighting, r.theta) for r in requests]
    rules = (
        np.array([r.weighting != "none" for r in requests], dtype=bool),
        np.array([0.0 if s == "estimate" else float(s) for s in settings]),
        np.array([s == "estimate" for s in settings], dtype=bool),
        np.array([r.blank for r in requests], dtype=float),
    )
    out = _Outputs.empty(m, n_max)
    as_five = np.flatnonzero(fittable & found4 & found5)
    out.theta[as_five] = best5[as_five]
    out.success[as_five] = ok5[as_five]  # the weighting cycles replace it
    final = (curves.y, curves.counts, lower, upper)
    _in_threads(kernel.finish, as_five, *final, five, log_x, *rules, *out.fields())
    weighted5 = out.theta.copy()  # the weighted 5PL optima, for the fallback notes
    at_bound5 = _at_bound(weighted5, lower, upper)
    five_final = fittable & found4 & found5 & ~at_bound5.any(axis=1)
    as_four = np.flatnonzero(fittable & found4 & ~five_final)
    out.theta[as_four] = best4[as_four]
    out.success[as_four] = ok4[as_four]
    _in_threads(kernel.finish, as_four, *final, five_final, log_x, *rules, *out.fields())

    unscaled = np.full((m, N_PARAMS, N_PARAMS), np.nan)
    for p, chosen in ((5, five_final), (4, fittable & found4 & ~five_final)):
        idx = np.flatnonzero(chosen)
        if idx.size:
            unscaled[idx, :p, :p] = _unscaled(out.info[idx, :p, :p])
    ptp = y_hi - y_lo
    span = np.where(ptp > 0, ptp, np.maximum(np.maximum(np.abs(y_hi), np.abs(y_lo)), 1e-12))
    at_bound = _at_bound(out.theta, lower, upper)

    results = []
    for i, (r, plan, setting) in enumerate(zip(requests, plans, settings, strict=True)):
        theta_now = 0.0 if setting == "estimate" else float(setting)
        n = int(curves.counts[i])
        if plan.failure or not found4[i]:
            why = plan.failure or NO_START_CONVERGED
            results.append(
                failed_fit(plan.model, r.weighting, theta_now, n, plan.n_params, why, r.blank)
            )
            continue
        notes = list(plan.notes)
        if five[i] and not five_final[i]:
            if found5[i]:
                values = dict(zip(PARAMETER_ORDER, weighted5[i].tolist(), strict=True))
                hits = tuple(_REPORTED[k] for k in range(N_PARAMS) if at_bound5[i, k])
                notes.append(five_at_bound_note(values, hits))
            else:
                notes.append(NO_G_START_CONVERGED)
        p = 5 if five_final[i] else 4
        success = bool(out.success[i])
        weighting = Weighting(
            r.weighting,
            float(out.power_used[i]),
            out.w[i, :n].copy(),
            float(out.scale[i]),
            "" if out.settled[i] else WEIGHTS_NOT_SETTLED,
        )
        values = dict(zip(PARAMETER_ORDER, out.theta[i].tolist(), strict=True))
        results.append(
            fit_from_statistics(
                natural_parameters(values),
                success,
                "" if success else OPTIMISER_STOPPED,
                weighting,
                "5PL" if p == 5 else "4PL",
                curves.xs[i],
                curves.ys[i],
                r.blank,
                notes,
                sigma=float(out.sigma[i]),
                r_squared=float(out.r_squared[i]),
                unscaled=unscaled[i, :p, :p],
                span=float(span[i]),
                at_bound=tuple(_REPORTED[k] for k in range(p) if at_bound[i, k]),
            )
        )
    return results
