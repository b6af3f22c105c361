"""The batched fitter's results as `CurveFit` records, assembled for a chunk of curves at once.

`fitter.fit_from_statistics` turns one fit's statistics into its record: whether it converged,
its standard errors and notes. Most curves of a batch are plain: the optimiser stopped by its
tests, the weights settled, every parameter is finite and identified, no asymptotes coincide, no
parameter is at a bound and nothing is noted. For those the same arithmetic runs over the whole
chunk as array operations, rounded as the scalar code rounds it (IEEE products and square roots
are exact-rounded elementwise; exp stays `math.exp` per value and σ² Python's float power), and
each record is built from the prepared columns. Every other curve (a failure, a note) goes
through `fit_from_statistics` itself, so that its notes and flags are the shared code's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from elisa.fit import batched_arrays as arrays
from elisa.fit.batched_lm import N_PARAMS
from elisa.fit.fitter import (
    ASYMPTOTES_COINCIDE_REL,
    NO_G_START_CONVERGED,
    NO_START_CONVERGED,
    CurveFit,
    FitPlan,
    failed_fit,
    fit_from_statistics,
    five_at_bound_note,
    weighting_theta,
)
from elisa.fit.request import CurveRequest
from elisa.fit.solve import PARAMETER_ORDER
from elisa.fit.weights import WEIGHTS_NOT_SETTLED, Weighting

OPTIMISER_STOPPED = "the iteration limit was reached"
_REPORTED = tuple(name.removeprefix("log_") for name in PARAMETER_ORDER)


@dataclass(frozen=True)
class Columns:
    """Per curve of a chunk, as Python lists: what its record holds."""

    params: list[dict[str, float]]  # a, b, c, d, g on the natural scale
    se: list[dict[str, float]]  # se_a … se_g as `fit_from_statistics` computes them
    covariance: list[np.ndarray]  # σ² (JᵀWJ)⁻¹ in the final model's parameters
    plain: list[bool]  # the record is the plain one: converged, identified, no note


def assemble(
    requests: Sequence[CurveRequest],
    plans: list[FitPlan],
    curves: arrays.Curves,
    fitted: arrays.Fitted,
) -> list[CurveFit]:
    """The record of every curve of a chunk, in request order."""
    span = arrays.response_span(curves)
    columns = _columns(plans, curves, fitted, span)
    out = fitted.out
    rows = zip(
        requests,
        columns.plain,
        columns.params,
        columns.se,
        columns.covariance,
        fitted.five_final.tolist(),
        out.power_used.tolist(),
        out.scale.tolist(),
        out.sigma.tolist(),
        out.r_squared.tolist(),
        curves.counts.tolist(),
        curves.xs,
        curves.ys,
        strict=True,
    )
    results = []
    for i, (r, plain, params, se, cov, five, power, scale, sigma, r2, n, x, y) in enumerate(rows):
        if not plain:
            results.append(_shared_record(i, r, plans[i], curves, fitted, params, span[i]))
            continue
        fields = {
            "model": "5PL" if five else "4PL",
            "weighting": r.weighting,
            "theta": power,
            "params": params,
            "se": se,
            "covariance": cov,
            "sigma": sigma,
            "r_squared": r2,
            "n_points": n,
            "n_params": 5 if five else 4,
            "converged": True,
            "message": "",
            "at_bound": (),
            "blank": r.blank,
            "weight_scale": scale,
            "x": x,
            "y": y,
            "weights": out.w[i, :n].copy(),
        }
        results.append(_record(fields))
    return results


def _record(fields: dict[str, object]) -> CurveFit:
    """The `CurveFit` of these fields (every one of them), filled in directly: a frozen
    dataclass's __init__ sets each field through object.__setattr__, which for 18 fields costs
    more than the rest of a plain record's assembly. The record is the same object __init__
    makes (tests/elisa/test_batched_fit.py checks the fields)."""
    record = object.__new__(CurveFit)
    object.__setattr__(record, "__dict__", fields)
    return record


def _columns(
    plans: list[FitPlan], curves: arrays.Curves, fitted: arrays.Fitted, span: list[float]
) -> Columns:
    """Parameters, standard errors and covariances of every curve, and which records are plain
    (`fit_from_statistics`'s arithmetic over all curves at once; ``span`` = `response_span`)."""
    out = fitted.out
    theta = out.theta
    # math.exp one value at a time: numpy's vectorised exp need not round as the scalar one
    c = np.array([math.exp(v) for v in theta[:, 2].tolist()])
    g = np.array([math.exp(v) for v in theta[:, 4].tolist()])
    natural = np.column_stack([theta[:, 0], theta[:, 1], c, theta[:, 3], g])
    five = fitted.five_final
    p = np.where(five, 5, 4)
    in_model = np.arange(N_PARAMS) < p[:, None]  # (m, 5): the final model's parameters
    square = in_model[:, :, None] & in_model[:, None, :]
    unscaled = np.where(square, out.unscaled, 0.0)
    diagonal = np.where(in_model, np.diagonal(out.unscaled, axis1=1, axis2=2), np.inf)
    identified = np.all(np.isfinite(unscaled), axis=(1, 2)) & (diagonal.min(axis=1) > 0)
    # σ² as Python's float power (the C pow), then exact-rounded products
    variance = np.array([s**2 for s in out.sigma.tolist()])
    covariance = variance[:, None, None] * out.unscaled
    spread = np.diagonal(covariance, axis1=1, axis2=2)
    with np.errstate(invalid="ignore"):
        se_free = np.where(spread >= 0, np.sqrt(np.where(spread >= 0, spread, 0.0)), np.nan)
    se = np.column_stack(
        [
            se_free[:, 0],
            se_free[:, 1],
            c * se_free[:, 2],
            se_free[:, 3],
            np.where(five, g * se_free[:, 4], np.nan),
        ]
    )
    coincide = np.abs(natural[:, 0] - natural[:, 3]) <= ASYMPTOTES_COINCIDE_REL * np.array(span)
    plain = (
        np.array([not (plan.failure or plan.notes) for plan in plans], dtype=bool)
        & fitted.found4
        & (five | ~fitted.five)  # no 5PL fell back to the 4PL
        & out.success
        & out.settled
        & np.all(np.isfinite(natural), axis=1)
        & ~coincide
        & identified
        & ~np.any(out.at_bound & in_model, axis=1)
    )
    return Columns(
        params=[{"a": a, "b": b, "c": c, "d": d, "g": g} for a, b, c, d, g in natural.tolist()],
        se=[
            {"se_a": a, "se_b": b, "se_c": c, "se_d": d, "se_g": g} for a, b, c, d, g in se.tolist()
        ],
        covariance=_per_curve(covariance, five),
        plain=plain.tolist(),
    )


def _per_curve(covariance: np.ndarray, five: np.ndarray) -> list[np.ndarray]:
    """Each curve's covariance in its own model's parameters, as its own (p, p) array."""
    blocks = {4: covariance[:, :4, :4].copy(), 5: covariance}
    return [blocks[5 if f else 4][i] for i, f in enumerate(five.tolist())]


def _names(hit: np.ndarray, p: int) -> tuple[str, ...]:
    return tuple(_REPORTED[k] for k in range(p) if hit[k])


def _shared_record(
    i: int,
    r: CurveRequest,
    plan: FitPlan,
    curves: arrays.Curves,
    fitted: arrays.Fitted,
    params: dict[str, float],
    span: float,
) -> CurveFit:
    """Curve i's record by `failed_fit` or `fit_from_statistics`, as the one-plate path builds
    it: for the failures and the fits with a note."""
    n = int(curves.counts[i])
    if plan.failure or not fitted.found4[i]:
        setting = weighting_theta(r.weighting, r.theta)
        theta_now = 0.0 if setting == "estimate" else float(setting)
        why = plan.failure or NO_START_CONVERGED
        return failed_fit(plan.model, r.weighting, theta_now, n, plan.n_params, why, r.blank)
    out = fitted.out
    notes = list(plan.notes)
    five_final = bool(fitted.five_final[i])
    if fitted.five[i] and not five_final:
        if fitted.found5[i]:
            values = dict(zip(PARAMETER_ORDER, fitted.weighted5[i].tolist(), strict=True))
            notes.append(five_at_bound_note(values, _names(fitted.at_bound5[i], N_PARAMS)))
        else:
            notes.append(NO_G_START_CONVERGED)
    p = 5 if five_final else 4
    success, settled = bool(out.success[i]), bool(out.settled[i])
    weighting = Weighting(
        r.weighting,
        float(out.power_used[i]),
        out.w[i, :n].copy(),
        float(out.scale[i]),
        "" if settled else WEIGHTS_NOT_SETTLED,
    )
    return fit_from_statistics(
        params,
        success,
        "" if success else OPTIMISER_STOPPED,
        weighting,
        "5PL" if five_final else "4PL",
        curves.xs[i],
        curves.ys[i],
        r.blank,
        notes,
        sigma=float(out.sigma[i]),
        r_squared=float(out.r_squared[i]),
        unscaled=out.unscaled[i, :p, :p],
        span=span,
        at_bound=_names(out.at_bound[i], p) if out.at_bound[i].any() else (),
    )
