"""Fit many standard curves at once: the one-plate fitter's sequence, compiled per curve.

The sequence and its rules are those of `elisa.fit.fitter.fit_standard_curve`: which model the
standards allow, the bounds, the starting points (the 4PL starts, then the 5PL g starts from the
best 4PL), the best start by the objective, the weighting cycles until the parameters settle,
the 4PL fallback when a 5PL parameter ends at a bound, and the statistics and notes of the final
fit (`fitter.fit_from_statistics`, shared). Only the optimiser differs: a compiled
Levenberg–Marquardt (`elisa.fit.batched_lm`) instead of one lmfit fit per start.

The batch is cut into chunks fitted on threads: the compiled code releases the GIL, so one chunk
is fitted while another's results are assembled in Python. A curve's result does not depend on
the other curves of its batch or chunk: the compiled functions read and write one curve's rows
in a fixed order, whichever thread runs them.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from elisa.fit import batched_arrays as arrays
from elisa.fit.batched_lm import N_PARAMS
from elisa.fit.fitter import (
    NO_G_START_CONVERGED,
    NO_START_CONVERGED,
    CurveFit,
    failed_fit,
    fit_from_statistics,
    five_at_bound_note,
    weighting_theta,
)
from elisa.fit.request import CurveRequest
from elisa.fit.solve import PARAMETER_ORDER
from elisa.fit.weights import WEIGHTS_NOT_SETTLED, Weighting

OPTIMISER_STOPPED = "the iteration limit was reached"
#: Curves per chunk at most, and at least (unless the batch is smaller): enough that a chunk's
#: Python overhead is small against its fits; a batch of a few hundred still uses every core.
CHUNK_CURVES = 512
MIN_CHUNK_CURVES = 32
_REPORTED = tuple(name.removeprefix("log_") for name in PARAMETER_ORDER)


def _threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def fit_standard_curves(requests: Sequence[CurveRequest]) -> list[CurveFit]:
    """Fit every curve as `fit_standard_curve` would, with all curves' arithmetic compiled."""
    threads = _threads()
    size = max(MIN_CHUNK_CURVES, min(CHUNK_CURVES, -(-len(requests) // threads)))
    chunks = [requests[i : i + size] for i in range(0, len(requests), size)]
    workers = min(threads, len(chunks))
    if workers <= 1:
        return [fit for chunk in chunks for fit in _fit_chunk(chunk)]
    with ThreadPoolExecutor(workers) as pool:
        return [fit for done in pool.map(_fit_chunk, chunks) for fit in done]


def load_compiled() -> None:
    """Load the compiled fitter (from numba's cache, or compiled once after an install) by
    fitting one small curve. A run that forks calls it first, so that its processes share the
    loaded code rather than each loading it (about 0.3 s of a core)."""
    levels = np.repeat(1000.0 / 2.0 ** np.arange(7), 2)  # a two-fold series in duplicate, pg/mL
    fit_standard_curves([CurveRequest(x=levels, y=2.0 / (1.0 + (100.0 / levels) ** 1.2))])


def _natural(theta: list[float]) -> dict[str, float]:
    """`fitter.natural_parameters` of a row of θ (math.exp: one value at a time, as numpy's
    vectorised exp need not round each element as its scalar exp does)."""
    a, b, log_c, d, log_g = theta
    return {"a": a, "b": b, "c": math.exp(log_c), "d": d, "g": math.exp(log_g)}


def _names(hit: np.ndarray, p: int) -> tuple[str, ...]:
    return tuple(_REPORTED[k] for k in range(p) if hit[k])


def _fit_chunk(requests: Sequence[CurveRequest]) -> list[CurveFit]:
    curves = arrays.rows(requests)
    levels = arrays.Levels.of(curves)
    plans = arrays.plans(requests, curves, levels)
    fitted = arrays.fit_arrays(curves, levels, plans, requests)
    out = fitted.out
    # per-curve values as Python lists: indexing numpy arrays one element at a time is slow
    counts, success, settled = curves.counts.tolist(), out.success.tolist(), out.settled.tolist()
    power, scale, sigma = out.power_used.tolist(), out.scale.tolist(), out.sigma.tolist()
    r_squared, theta = out.r_squared.tolist(), out.theta.tolist()
    span = arrays.response_span(curves)
    five_final, any_at_bound = fitted.five_final.tolist(), np.any(out.at_bound, axis=1).tolist()
    results = []
    for i, (r, plan) in enumerate(zip(requests, plans, strict=True)):
        if plan.failure or not fitted.found4[i]:
            setting = weighting_theta(r.weighting, r.theta)
            theta_now = 0.0 if setting == "estimate" else float(setting)
            why = plan.failure or NO_START_CONVERGED
            results.append(
                failed_fit(
                    plan.model, r.weighting, theta_now, counts[i], plan.n_params, why, r.blank
                )
            )
            continue
        notes = list(plan.notes)
        if fitted.five[i] and not five_final[i]:
            if fitted.found5[i]:
                values = dict(zip(PARAMETER_ORDER, fitted.weighted5[i].tolist(), strict=True))
                notes.append(five_at_bound_note(values, _names(fitted.at_bound5[i], N_PARAMS)))
            else:
                notes.append(NO_G_START_CONVERGED)
        p = 5 if five_final[i] else 4
        note = "" if settled[i] else WEIGHTS_NOT_SETTLED
        weights = out.w[i, : counts[i]].copy()
        results.append(
            fit_from_statistics(
                _natural(theta[i]),
                success[i],
                "" if success[i] else OPTIMISER_STOPPED,
                Weighting(r.weighting, power[i], weights, scale[i], note),
                "5PL" if p == 5 else "4PL",
                curves.xs[i],
                curves.ys[i],
                r.blank,
                notes,
                sigma=sigma[i],
                r_squared=r_squared[i],
                unscaled=out.unscaled[i, :p, :p],
                span=span[i],
                at_bound=_names(out.at_bound[i], p) if any_at_bound[i] else (),
            )
        )
    return results
