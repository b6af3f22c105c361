"""Axes for figures written as SVG text: data → pixel mappings and their ticks.

A log axis gets its ticks at decades (1, 10, 100 …), labelled, with unlabelled minor ticks at
2–9 × each decade; a span too short to hold two decades labels 2 × and 5 × as well (and every
integer multiple if even that leaves fewer than two labels), and a long span labels every n-th
decade so labels never run into each other. A linear axis gets "nice" steps (1, 2, 2.5 or 5 ×
a power of ten). Pixel positions are rounded to 0.1 px when written: finer than a screen shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: At most this many labelled decades on a log axis (a wider span labels every n-th decade).
MAX_DECADE_LABELS = 8


@dataclass(frozen=True)
class Tick:
    """A tick at data ``value``; ``label`` is SVG text content (already escaped), "" for none."""

    value: float
    label: str
    major: bool


@dataclass(frozen=True)
class Axis:
    """Data ``lo``…``hi`` drawn from pixel ``start`` to pixel ``end`` (``end < start`` for a y
    axis, whose pixels grow downwards); ``log`` maps log10 of the data linearly."""

    lo: float
    hi: float
    start: float
    end: float
    log: bool = False

    def px(self, values: np.ndarray) -> np.ndarray:
        """Pixel positions of data ``values`` (NaN where a value cannot be mapped)."""
        values = np.asarray(values, dtype=float)
        lo, hi = self.lo, self.hi
        if self.log:
            with np.errstate(divide="ignore", invalid="ignore"):
                values = np.log10(values)
            lo, hi = math.log10(lo), math.log10(hi)
        return self.start + (values - lo) / (hi - lo) * (self.end - self.start)

    def at(self, value: float) -> float:
        """Pixel position of one data ``value``."""
        if self.log:
            if not value > 0:
                return math.nan
            value, lo, hi = math.log10(value), math.log10(self.lo), math.log10(self.hi)
        else:
            lo, hi = self.lo, self.hi
        return self.start + (value - lo) / (hi - lo) * (self.end - self.start)


def number(value: float) -> str:
    """A coordinate for SVG attributes: 0.1 px resolution, no trailing ``.0``."""
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def numbers(values: list[float]) -> list[str]:
    """`number` of each of many values, in one pass (a fitted curve has 480 coordinates)."""
    texts = [f"{v:.1f}" for v in values]
    return [t if t[-1] != "0" else ("0" if t == "-0.0" else t[:-2]) for t in texts]


def decade_label(exponent: int) -> str:
    """10^exponent as people read it: plain digits from 0.0001 to 10000, else 10 with a
    superscript exponent (an SVG ``tspan``)."""
    if -4 <= exponent <= 4:
        return f"{10.0**exponent:.{max(0, -exponent)}f}"
    return f'10<tspan dy="-6" font-size="80%">{exponent}</tspan>'


def multiple_label(value: float) -> str:
    """A labelled minor tick (2 × or 5 × a decade) in plain digits."""
    return f"{value:.12g}"


def log_ticks(lo: float, hi: float) -> list[Tick]:
    """Ticks of a log axis over ``lo``…``hi`` (both > 0), in increasing order."""
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    decades = [d for d in range(first, last + 1) if lo <= 10.0**d <= hi]
    every = max(1, math.ceil(len(decades) / MAX_DECADE_LABELS))
    ticks = [
        Tick(10.0**d, decade_label(d) if (d - first) % every == 0 else "", True) for d in decades
    ]
    multiples = [
        (k, k * 10.0**d)
        for d in range(first, last + 1)
        for k in range(2, 10)
        if lo <= k * 10.0**d <= hi
    ]
    twos_fives = {v for k, v in multiples if k in (2, 5)}
    if len(decades) >= 2:
        labelled: set[float] = set()
    elif len(decades) + len(twos_fives) >= 2:
        labelled = twos_fives
    else:
        labelled = {v for _, v in multiples}
    if len(decades) < MAX_DECADE_LABELS:  # minor ticks only where they do not crowd
        ticks += [Tick(v, multiple_label(v) if v in labelled else "", False) for _, v in multiples]
    return sorted(ticks, key=lambda t: t.value)


def nice_step(span: float, target: int = 6) -> float:
    """The step of 1, 2, 2.5 or 5 × 10^k that gives the nearest to ``target`` intervals over
    ``span`` (nearest as a ratio)."""
    raw = span / target
    power = 10.0 ** math.floor(math.log10(raw))
    steps = [m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0)]
    return min(steps, key=lambda step: abs(math.log(step / raw)))


def linear_ticks(lo: float, hi: float, target: int = 6) -> list[Tick]:
    """Ticks of a linear axis over ``lo``…``hi``, labelled with as many decimals as the step
    needs (2.5 × 10^k needs one more)."""
    step = nice_step(hi - lo, target)
    exponent = math.floor(math.log10(step) + 1e-9)
    decimals = max(0, -exponent + (1 if round(step / 10.0**exponent, 6) == 2.5 else 0))
    ticks = []
    for i in range(math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9) + 1):
        value = i * step
        text = f"{value:.{decimals}f}"
        if float(text) == 0:
            text = text.lstrip("-")
        ticks.append(Tick(value, text.replace("-", "−"), True))
    return ticks


def padded_range(values: np.ndarray, pad: float = 0.05) -> tuple[float, float]:
    """The range of the finite ``values`` widened by ``pad`` of its span on each side (0…1 when
    none is finite; ± 10 % of the value, at least ± 0.05, when all are equal)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    if hi - lo <= 1e-12 * max(1.0, abs(hi)):
        half = max(0.05, 0.1 * abs(hi))
        return lo - half, hi + half
    return lo - pad * (hi - lo), hi + pad * (hi - lo)
