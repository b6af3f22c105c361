"""The logistic family wrapped for lmfit, with c and g fitted on the log scale.

`LogisticModel` is an ordinary lmfit Model (usable in a notebook, with `guess()`), fitted with
an analytic Jacobian and native bounds (scipy's trust-region reflective solver through lmfit's
`least_squares` method). It is the reference: the fitter in `elisa.fit.fitter` makes the same
solver call directly (`elisa.fit.solve`), and a test holds the two to the same bits.
"""

from __future__ import annotations

import lmfit
import numpy as np

from elisa.fit.bounds import Bounds, default_bounds
from elisa.fit.logistic import logistic5_gradient
from elisa.fit.solve import (
    MAX_EVALUATIONS,
    PARAMETER_ORDER,
    TOLERANCE,
    bounded_start,
    logistic_log_scale,
)
from elisa.fit.start import starting_points


class LogisticModel(lmfit.Model):
    """4PL (``five=False``, g fixed at 1) or 5PL as an lmfit Model in (a, b, log_c, d, log_g)."""

    def __init__(self, five: bool = False, **kwargs: object) -> None:
        super().__init__(logistic_log_scale, independent_vars=["x"], **kwargs)
        self.five = five

    def make_bounded_params(self, start: dict[str, float], bounds: Bounds) -> lmfit.Parameters:
        """Parameters at ``start`` (clipped into ``bounds``); log_g fixed at 0 for the 4PL."""
        values = bounded_start(start, bounds, self.five)
        params = lmfit.Parameters()
        for name in PARAMETER_ORDER:
            if self.five or name != "log_g":
                params.add(name, value=values[name], min=bounds.lower[name], max=bounds.upper[name])
            else:
                params.add(name, value=0.0, vary=False)
        return params

    def guess(
        self, data: np.ndarray, x: np.ndarray | None = None, **kwargs: object
    ) -> lmfit.Parameters:
        """Data-driven starting values (the first of `curve_start.starting_points`)."""
        if x is None:
            raise ValueError("LogisticModel.guess needs the concentrations x")
        x, y = np.asarray(x, float), np.asarray(data, float)
        params = self.make_bounded_params(starting_points(x, y)[0], default_bounds(x, y))
        return lmfit.models.update_param_vals(params, self.prefix, **kwargs)

    def jacobian(
        self, params: lmfit.Parameters, data: np.ndarray, weights: np.ndarray, x: np.ndarray
    ) -> np.ndarray:
        """Jacobian of lmfit's residual (data − model)·weights in the varying parameters."""
        v = params.valuesdict()
        grad = logistic5_gradient(x, v["a"], v["b"], np.exp(v["log_c"]), v["d"], np.exp(v["log_g"]))
        columns = [PARAMETER_ORDER.index(n) for n in PARAMETER_ORDER if params[n].vary]
        return -grad[:, columns] * weights[:, None]

    def fit_weighted(
        self, x: np.ndarray, y: np.ndarray, w: np.ndarray, params: lmfit.Parameters
    ) -> lmfit.model.ModelResult:
        """Minimise Σ w (y − f)² from ``params`` with the analytic Jacobian and tight tolerances."""
        sqrt_w = np.sqrt(w)
        # lmfit takes parameter errors as the square roots of the covariance's diagonal and
        # divides by them for correlations; a curve the standards do not identify has negative
        # or zero entries there, so NaN errors (the fitter then marks the fit not identified):
        # no warning for that expected case
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.fit(
                y,
                params,
                x=x,
                weights=sqrt_w,
                method="least_squares",
                nan_policy="propagate",
                fit_kws={
                    "Dfun": self.jacobian,
                    "ftol": TOLERANCE,
                    "xtol": TOLERANCE,
                    "gtol": TOLERANCE,
                    "x_scale": "jac",
                },
                max_nfev=MAX_EVALUATIONS,
            )
