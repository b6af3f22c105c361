"""The five-parameter logistic family as pure numpy math (4PL is g = 1).

    f(x) = d + (a − d) / (1 + (x/c)^b)^g

a = response at zero concentration, d = response at infinite concentration, c > 0 (the 4PL EC50,
in concentration units), b > 0 (the direction is carried by a versus d), g > 0 (asymmetry).
Derivatives are with respect to the fitted parameters (a, b, ln c, d, ln g): c and g are fitted on
the log scale (methods §1.6).
"""

from __future__ import annotations

import numpy as np

#: Order of the fitted parameters in gradients and covariance matrices.
FREE_PARAMETERS = ("a", "b", "log_c", "d", "log_g")


def logistic5(
    x: np.ndarray | float, a: float, b: float, c: float, d: float, g: float = 1.0
) -> np.ndarray:
    """Response at concentration ``x`` (x ≥ 0, same unit as ``c``)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        u = np.power(x / c, b)
        return d + (a - d) / np.power(1.0 + u, g)


def inverse_logistic5(
    y: np.ndarray | float, a: float, b: float, c: float, d: float, g: float = 1.0
) -> np.ndarray:
    """Concentration giving response ``y``; NaN unless y lies strictly between a and d."""
    y = np.asarray(y, dtype=float)
    inside = (y - a) * (y - d) < 0
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        inner = np.power((a - d) / (y - d), 1.0 / g) - 1.0
        x = c * np.power(inner, 1.0 / b)
    # Rounding can make inner ≤ 0 a hair inside an asymptote: no positive solution there either.
    ok = inside & np.isfinite(x) & (inner > 0)
    return np.where(ok, x, np.nan)


def side_beyond_asymptote(y: np.ndarray | float, a: float, d: float) -> np.ndarray:
    """'below' where y is at or past the zero-concentration asymptote a, 'above' past d, else ''."""
    y = np.asarray(y, dtype=float)
    past_a = (y - a) * np.sign(d - a) <= 0
    past_d = (y - d) * np.sign(d - a) >= 0
    return np.where(past_a, "below", np.where(past_d, "above", ""))


def logistic5_dx(
    x: np.ndarray | float, a: float, b: float, c: float, d: float, g: float = 1.0
) -> np.ndarray:
    """Slope df/dx (response per concentration unit), for x > 0."""
    x = np.asarray(x, dtype=float)
    u = np.power(x / c, b)
    s = 1.0 + u
    return -g * (a - d) * np.power(s, -g - 1.0) * b * u / x


def logistic5_gradient(
    x: np.ndarray | float, a: float, b: float, c: float, d: float, g: float = 1.0
) -> np.ndarray:
    """∂f/∂(a, b, ln c, d, ln g) at each x > 0, shape (len(x), 5)."""
    x = np.atleast_1d(np.asarray(x, dtype=float))
    u = np.power(x / c, b)
    s = 1.0 + u
    s_g = np.power(s, -g)
    common = -g * (a - d) * np.power(s, -g - 1.0) * u  # ∂f/∂u · u
    return np.column_stack(
        [
            s_g,  # ∂f/∂a
            common * np.log(x / c),  # ∂f/∂b
            -common * b,  # ∂f/∂ln c
            1.0 - s_g,  # ∂f/∂d
            -g * (a - d) * s_g * np.log(s),  # ∂f/∂ln g
        ]
    )


def inverse_gradient(
    x: np.ndarray | float, a: float, b: float, c: float, d: float, g: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """(∂x/∂y, ∂x/∂θ) at the solution x of f(x) = y, by the implicit-function theorem.

    ∂x/∂y has shape (n,), ∂x/∂θ shape (n, 5) in the order of FREE_PARAMETERS.
    """
    x = np.atleast_1d(np.asarray(x, dtype=float))
    slope = logistic5_dx(x, a, b, c, d, g)
    dx_dy = 1.0 / slope
    dx_dtheta = -logistic5_gradient(x, a, b, c, d, g) / slope[:, None]
    return dx_dy, dx_dtheta
