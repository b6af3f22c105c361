"""How the report shows values that need care: concentrations outside the range, intervals the
curve cannot support and percentages near zero (ODs: `figures.od_text`).

The CSV files keep every number unrounded (DESIGN 5.1); only the page for people changes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from html import escape
from typing import Any

from elisa.missing import as_float
from elisa.report.figures import fmt

#: A concentration whose response lies within this fraction of the response span from an
#: asymptote cannot be told from the asymptote by the curve: OD noise on an ELISA plate is
#: larger than 1 % of the span, so interval ends beyond it are shown as unbounded.
ASYMPTOTE_FRACTION = 0.01


def percent(value: Any) -> str:
    """A CV or recovery in %: 0 when it is below 0.005 % (floating-point noise such as
    6.13e-14 % from two equal ODs), else 3 significant digits without an exponent."""
    v = as_float(value)
    if not math.isfinite(v):
        return ""
    if abs(v) < 0.005:
        return "0"
    return fmt(v, 3)


def supported_range(curve: Mapping[str, Any] | None) -> tuple[float, float]:
    """In-well concentrations between which the curve's response is more than
    ASYMPTOTE_FRACTION of the span away from both asymptotes; (0, inf) without a usable curve.

    For y = d + (a − d)/(1 + (x/c)^b)^g the response has covered the fraction p of the span at
    u = (x/c)^b with 1 − (1 + u)^−g = p, so x = c · ((1 − p)^(−1/g) − 1)^(1/b)."""
    if curve is None:
        return 0.0, math.inf
    b, c, g = (as_float(curve.get(k)) for k in ("b", "c", "g"))
    g = g if math.isfinite(g) and g > 0 else 1.0
    if not (math.isfinite(b) and math.isfinite(c) and b > 0 and c > 0):
        return 0.0, math.inf
    p = ASYMPTOTE_FRACTION

    def at(fraction: float) -> float:
        return c * ((1.0 - fraction) ** (-1.0 / g) - 1.0) ** (1.0 / b)

    return at(p), at(1.0 - p)


def concentration_cell(row: Mapping[str, Any]) -> str:
    """A sample's concentration: the number when in range; ``< LLOQ`` / ``> ULOQ`` with the
    number in small print when outside (its value is an extrapolation, not a result)."""
    value, side = fmt(row.get("conc")), str(row.get("range") or "")
    label = {"below": "&lt; LLOQ", "above": "&gt; ULOQ"}.get(side)
    if label is None:
        return value
    small = f' <small class="muted">{value}</small>' if value else ""
    return f"{label}{small}"


def interval_cell(row: Mapping[str, Any], curve: Mapping[str, Any] | None) -> str:
    """The 95 % interval; an end beyond what the curve can resolve (see supported_range, times
    the dilution) is shown as 0 or ∞, both as "unbounded"; small print outside the range."""
    return interval_cell_within(row, supported_range(curve))


def interval_cell_within(row: Mapping[str, Any], supported: tuple[float, float]) -> str:
    """`interval_cell` with the curve's `supported_range` worked out already (a table works it
    out once for all its rows)."""
    low, high = as_float(row.get("conc_ci_low")), as_float(row.get("conc_ci_high"))
    if not (math.isfinite(low) and math.isfinite(high)):
        return ""
    dilution = as_float(row.get("dilution"))
    dilution = dilution if math.isfinite(dilution) and dilution > 0 else 1.0
    lo_ok, hi_ok = supported
    open_low, open_high = low < lo_ok * dilution, high > hi_ok * dilution
    low_text, high_text = fmt(low), fmt(high)
    if open_low and open_high:
        text = "unbounded"
    else:
        text = f"{'0' if open_low else low_text} – {'∞' if open_high else high_text}"
    if open_low or open_high:
        exact = f"{low_text} – {high_text}"
        text = f'<span title="{escape(exact)}: wider than the curve can resolve">{text}</span>'
    if str(row.get("range") or "") in ("below", "above"):
        return f'<small class="muted">{text}</small>'
    return text
