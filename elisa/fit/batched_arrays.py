"""The batched fitter's arrays: the requests as padded rows, each curve's levels, starting
values and bounds, and the compiled sequence run over them (`elisa.fit.batched_lm`,
`elisa.fit.batched_start`).

The bounds and the at-bound test are `elisa.fit.bounds`'s rules (its constants) over every curve
at once; tests/elisa/test_batched_fit.py checks them against `default_bounds`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from elisa.fit import batched_lm as kernel
from elisa.fit import batched_sequence as sequence
from elisa.fit.batched_lm import N_PARAMS
from elisa.fit.batched_start import N_STARTS, StartRules, prepare
from elisa.fit.bounds import (
    ASYMMETRY_RANGE,
    ASYMPTOTE_SPANS,
    AT_BOUND_REL,
    EC50_FACTOR,
    SLOPE_RANGE,
)
from elisa.fit.fitter import FitPlan, plan_for_counts, weighting_theta
from elisa.fit.request import CurveRequest


@dataclass(frozen=True)
class Curves:
    """The requests as padded rows (points beyond ``counts`` are never read)."""

    x: np.ndarray  # (m, n) in-well concentration
    y: np.ndarray  # (m, n) corrected OD
    counts: np.ndarray  # (m,) points per curve
    xs: list[np.ndarray]  # each request's x and y as float arrays, for the results
    ys: list[np.ndarray]


def rows(requests: Sequence[CurveRequest]) -> Curves:
    """The requests' points as rows padded to the longest curve."""
    xs = [np.asarray(r.x, dtype=float) for r in requests]
    ys = [np.asarray(r.y, dtype=float) for r in requests]
    counts = np.array([len(v) for v in xs], dtype=np.int64)
    m, n = len(xs), max(int(counts.max(initial=0)), 1)
    x, y = np.ones((m, n)), np.zeros((m, n))
    if counts.sum():
        rows = np.repeat(np.arange(m), counts)
        cols = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
        x[rows, cols], y[rows, cols] = np.concatenate(xs), np.concatenate(ys)
    return Curves(x, y, counts, xs, ys)


def extremes(curves: Curves) -> tuple[np.ndarray, ...]:
    """Per curve: the least and greatest x and y over its own points."""
    valid = np.arange(curves.x.shape[1]) < curves.counts[:, None]
    return (
        np.where(valid, curves.x, np.inf).min(axis=1),
        np.where(valid, curves.x, -np.inf).max(axis=1),
        np.where(valid, curves.y, np.inf).min(axis=1),
        np.where(valid, curves.y, -np.inf).max(axis=1),
    )


def bounds(
    x_lo: np.ndarray, x_hi: np.ndarray, y_lo: np.ndarray, y_hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
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


def at_bound(theta: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """`Bounds.at_bound` for every row and parameter: (m, 5) bool."""
    span = upper - lower
    return (theta - lower <= AT_BOUND_REL * span) | (upper - theta <= AT_BOUND_REL * span)


@dataclass
class Outputs:
    """Per curve: the final fit's θ, flags, weights and statistics (filled by `_finish`)."""

    theta: np.ndarray
    success: np.ndarray
    settled: np.ndarray
    power_used: np.ndarray
    scale: np.ndarray
    w: np.ndarray
    sigma: np.ndarray
    r_squared: np.ndarray
    info: np.ndarray  # JᵀWJ in the final model's parameters
    unscaled: np.ndarray  # its inverse
    at_bound: np.ndarray  # (m, 5) the final parameters within AT_BOUND_REL of a bound

    @classmethod
    def empty(cls, m: int, n: int) -> Outputs:
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
            np.full((m, N_PARAMS, N_PARAMS), np.nan),
            np.zeros((m, N_PARAMS), dtype=bool),
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


@dataclass(frozen=True)
class Levels:
    """Per curve: its points in order of concentration, the distinct concentrations (ln x, the
    end of each one's points in that order, their count) and the 4PL starting points."""

    order: np.ndarray  # (m, n) int
    log_x: np.ndarray  # (m, n)
    ends: np.ndarray  # (m, n) int
    count: np.ndarray  # (m,) int
    starts: np.ndarray  # (m, N_STARTS, 5)

    @classmethod
    def of(cls, curves: Curves) -> Levels:
        m, n = curves.x.shape
        levels = cls(
            np.zeros((m, n), dtype=np.int64),
            np.zeros((m, n)),
            np.zeros((m, n), dtype=np.int64),
            np.zeros(m, dtype=np.int64),
            np.zeros((m, N_STARTS, N_PARAMS)),
        )
        order, log_x, ends, count = levels.kernel()
        rules = StartRules.now()
        prepare(curves.x, curves.y, curves.counts, order, log_x, ends, count, levels.starts, rules)
        return levels

    def kernel(self) -> tuple[np.ndarray, ...]:
        """The arrays in the compiled functions' order."""
        return (self.order, self.log_x, self.ends, self.count)


def plans(requests: Sequence[CurveRequest], curves: Curves, levels: Levels) -> list[FitPlan]:
    """`plan_fit` of every request (plans are shared between requests with the same counts)."""
    cache: dict[tuple[int, int, str, int, int], FitPlan] = {}
    plans = []
    for r, n_levels, n in zip(requests, levels.count.tolist(), curves.counts.tolist()):
        key = (n_levels, n, r.model, r.min_levels_4pl, r.min_levels_5pl)
        if key not in cache:
            cache[key] = plan_for_counts(*key)
        plans.append(cache[key])
    return plans


@dataclass(frozen=True)
class Fitted:
    """What the compiled sequence found, per curve."""

    found4: np.ndarray  # a 4PL start had a finite objective
    five: np.ndarray  # the plan asks for a 5PL
    found5: np.ndarray  # a 5PL g start had a finite objective
    five_final: np.ndarray  # the 5PL is the final model (no parameter at a bound)
    weighted5: np.ndarray  # the weighted 5PL optimum (for the fallback's note)
    at_bound5: np.ndarray  # its parameters at a bound
    out: Outputs  # the final fit


def fit_arrays(
    curves: Curves, levels: Levels, plans: list[FitPlan], requests: Sequence[CurveRequest]
) -> Fitted:
    """Run the sequence (`elisa.fit.batched_sequence`): unweighted starts, then the weighting
    cycles of the 5PL, the 4PL fallback where a 5PL parameter ends at a bound, and the
    statistics of each final fit."""
    m, n_max = curves.x.shape
    fittable = np.array([not p.failure for p in plans], dtype=bool)
    five = np.array([p.model == "5PL" for p in plans], dtype=bool)
    lower, upper = bounds(*extremes(curves))
    data = sequence.chunk(curves.y, curves.counts, levels.kernel(), lower, upper)
    shared = sequence.SharedRules.now()
    index = np.flatnonzero(fittable)
    best4, found4, ok4 = sequence.best_of_starts(data, index, levels.starts, False, shared)
    index = np.flatnonzero(fittable & five & found4)
    starts5 = sequence.asymmetry_starts(best4, index, shared)
    best5, found5, ok5 = sequence.best_of_starts(data, index, starts5, True, shared)

    settings = _settings(requests)
    out = Outputs.empty(m, n_max)
    as_five = np.flatnonzero(fittable & found4 & found5)
    out.theta[as_five], out.success[as_five] = best5[as_five], ok5[as_five]
    _finish(data, as_five, True, settings, out, shared)
    weighted5 = out.theta.copy()
    at_bound5 = at_bound(weighted5, lower, upper)
    five_final = fittable & found4 & found5 & ~at_bound5.any(axis=1)
    as_four = np.flatnonzero(fittable & found4 & ~five_final)
    out.theta[as_four], out.success[as_four] = best4[as_four], ok4[as_four]
    _finish(data, as_four, False, settings, out, shared)
    out.at_bound = at_bound(out.theta, lower, upper)
    for p, chosen in ((5, five_final), (4, fittable & found4 & ~five_final)):
        idx = np.flatnonzero(chosen)
        if idx.size:
            out.unscaled[idx, :p, :p] = _unscaled(out.info[idx, :p, :p])
    return Fitted(found4, five, found5, five_final, weighted5, at_bound5, out)


def _settings(requests: Sequence[CurveRequest]) -> tuple[np.ndarray, ...]:
    """Per request: weighted, the power of the mean, whether it is estimated, the blank."""
    powers = [weighting_theta(r.weighting, r.theta) for r in requests]
    return (
        np.array([r.weighting != "none" for r in requests], dtype=bool),
        np.array([0.0 if s == "estimate" else float(s) for s in powers]),
        np.array([s == "estimate" for s in powers], dtype=bool),
        np.array([r.blank for r in requests], dtype=float),
    )


def _finish(
    data: sequence.Chunk,
    index: np.ndarray,
    five: bool,
    settings: tuple[np.ndarray, ...],
    out: Outputs,
    shared: sequence.SharedRules,
) -> None:
    """The weighting cycles of the curves in ``index`` from the θ in ``out``, then the final
    fits' weights and statistics."""
    w = sequence.settle_weights(data, index, five, settings, out, shared)
    curves = (data.log_levels, data.ends, data.n_levels, data.y, w)
    kernel.final_statistics(
        index, curves, data.order, five, out.theta, out.w, out.sigma, out.r_squared, out.info
    )


def response_span(curves: Curves) -> list[float]:
    """`fitter.response_span` of every curve."""
    _, _, y_lo, y_hi = extremes(curves)
    ptp = y_hi - y_lo
    return np.where(
        ptp > 0, ptp, np.maximum(np.maximum(np.abs(y_hi), np.abs(y_lo)), 1e-12)
    ).tolist()
