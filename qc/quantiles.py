"""Quantiles of the χ² and Student's t distributions, from scipy.special.

These are the functions scipy.stats evaluates for ``chi2.ppf`` and ``t.ppf``; calling them
directly spares importing scipy.stats (about a third of a second), which a one-plate run would
otherwise spend on two numbers. A test holds them equal to scipy.stats.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["chi2_quantile", "t_quantile"]


@lru_cache(maxsize=1024)
def chi2_quantile(probability: float, df: float) -> float:
    """x with P(χ²_df ≤ x) = probability (NaN for df ≤ 0 or a probability outside [0, 1])."""
    from scipy.special import gammaincinv  # deferred: qc's import stays light

    if not (df > 0 and 0.0 <= probability <= 1.0):
        return float("nan")
    return float(2 * gammaincinv(df / 2, probability))


@lru_cache(maxsize=1024)
def t_quantile(probability: float, df: float) -> float:
    """x with P(T_df ≤ x) = probability (NaN for df ≤ 0 or a probability outside [0, 1]);
    remembered, as a plate's replicate groups all ask for the same one."""
    from scipy.special import stdtrit

    if not (df > 0 and 0.0 <= probability <= 1.0):
        return float("nan")
    return float(stdtrit(df, probability))
