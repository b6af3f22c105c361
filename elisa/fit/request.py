"""One standard curve's fit inputs and settings, and the choice of fitter for many curves.

Two fitters reach the same optimum: "lmfit" fits one curve at a time with an lmfit Model (the
reference, and the path a notebook uses); "batched" fits all curves of a batch together
(`elisa.fit.batched`). docs/computation.md gives their agreement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from elisa.config import FITTERS
from elisa.fit.fitter import CurveFit, fit_standard_curve


@dataclass(frozen=True, kw_only=True)
class CurveRequest:
    """One curve to fit, with the settings `fit_standard_curve` takes as keywords."""

    x: np.ndarray  # in-well concentration > 0
    y: np.ndarray  # blank-corrected OD
    model: str = "4PL"
    weighting: str = "none"
    theta: float | str = 1.0
    blank: float = 0.0
    min_levels_4pl: int = 5
    min_levels_5pl: int = 6


def fit_one(request: CurveRequest) -> CurveFit:
    """The one-plate lmfit path for one request."""
    r = request
    return fit_standard_curve(
        r.x,
        r.y,
        model=r.model,
        weighting=r.weighting,
        theta=r.theta,
        blank=r.blank,
        min_levels_4pl=r.min_levels_4pl,
        min_levels_5pl=r.min_levels_5pl,
    )


def fit_curves(requests: Sequence[CurveRequest], fitter: str = "lmfit") -> list[CurveFit]:
    """Fit every request with ``fitter`` ("lmfit" or "batched"), results in request order."""
    if fitter == "batched":
        # imported here: elisa.fit.batched imports CurveRequest from this module
        from elisa.fit.batched import fit_standard_curves

        return fit_standard_curves(requests)
    if fitter != "lmfit":
        raise ValueError(f"unknown fitter {fitter!r}; expected one of {FITTERS}")
    return [fit_one(r) for r in requests]
