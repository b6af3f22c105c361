"""Inline SVG figures of stats.html, drawn by hand (no fonts, scripts or links to fetch): a box
plot of one variable by group and a scatter plot with its least-squares line. Every text
written into the SVG is escaped."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import numpy as np

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")
LEFT, RIGHT, TOP, BOTTOM = 58, 14, 30, 46
FONT = 'font-family="sans-serif" font-size="11"'


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values covering [low, high] (steps of 1, 2 or 5 × 10^k)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0, 1.0]
    if high <= low:
        low, high = low - 0.5 * (abs(low) or 1), high + 0.5 * (abs(high) or 1)
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 12))
    return ticks


def _label(value: float) -> str:
    return f"{value:.6g}"


class _Canvas:
    """Pixel mapping and SVG text for one plot area with a y axis from ``ticks``."""

    def __init__(self, width: int, height: int, y_ticks: Sequence[float], title: str) -> None:
        self.width, self.height = width, height
        self.y0, self.y1 = y_ticks[0], y_ticks[-1]
        self.parts = [
            f'<svg width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
            f'<text x="{width / 2}" y="16" text-anchor="middle" {FONT} font-weight="bold">'
            f"{escape(title)}</text>",
        ]
        for tick in y_ticks:
            y = self.py(tick)
            self.parts.append(
                f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                'stroke="#e5e5e5"/>'
                f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" {FONT}>'
                f"{_label(tick)}</text>"
            )
        self.parts.append(
            f'<rect x="{LEFT}" y="{TOP}" width="{width - LEFT - RIGHT}" '
            f'height="{height - TOP - BOTTOM}" fill="none" stroke="#444"/>'
        )

    def py(self, value: float) -> float:
        span = (self.y1 - self.y0) or 1.0
        return self.height - BOTTOM - (value - self.y0) / span * (self.height - TOP - BOTTOM)

    def text(self) -> str:
        return "".join(self.parts) + "</svg>"


def box_plot(
    title: str, samples: dict[str, np.ndarray], width: int = 350, height: int = 280
) -> str:
    """Boxes from the 25th to the 75th percentile with the median, whiskers to the furthest
    value within 1.5 IQR, every value drawn as a point (spread sideways, no randomness)."""
    finite = [v for v in samples.values() if v.size]
    every = np.concatenate(finite) if finite else np.array([0.0, 1.0])
    canvas = _Canvas(width, height, nice_ticks(float(every.min()), float(every.max())), title)
    slot = (width - LEFT - RIGHT) / max(len(samples), 1)
    for i, (group, values) in enumerate(samples.items()):
        colour = PALETTE[i % len(PALETTE)]
        centre = LEFT + slot * (i + 0.5)
        half = min(slot * 0.3, 40)
        canvas.parts.append(
            f'<text x="{centre:.1f}" y="{height - BOTTOM + 15}" text-anchor="middle" {FONT}>'
            f"{escape(group)}</text>"
            f'<text x="{centre:.1f}" y="{height - BOTTOM + 29}" text-anchor="middle" {FONT} '
            f'fill="#666">n = {values.size}</text>'
        )
        if values.size == 0:
            continue
        q1, median, q3 = np.percentile(values, [25, 50, 75])
        reach = 1.5 * (q3 - q1)
        inside = values[(values >= q1 - reach) & (values <= q3 + reach)]
        low, high = float(inside.min()), float(inside.max())
        py = canvas.py
        canvas.parts.append(
            f'<line x1="{centre:.1f}" x2="{centre:.1f}" y1="{py(low):.1f}" y2="{py(q1):.1f}" '
            f'stroke="{colour}"/>'
            f'<line x1="{centre:.1f}" x2="{centre:.1f}" y1="{py(q3):.1f}" y2="{py(high):.1f}" '
            f'stroke="{colour}"/>'
            f'<line x1="{centre - half / 2:.1f}" x2="{centre + half / 2:.1f}" y1="{py(low):.1f}" '
            f'y2="{py(low):.1f}" stroke="{colour}"/>'
            f'<line x1="{centre - half / 2:.1f}" x2="{centre + half / 2:.1f}" '
            f'y1="{py(high):.1f}" y2="{py(high):.1f}" stroke="{colour}"/>'
            f'<rect x="{centre - half:.1f}" y="{py(q3):.1f}" width="{2 * half:.1f}" '
            f'height="{max(py(q1) - py(q3), 0.5):.1f}" fill="{colour}" fill-opacity="0.15" '
            f'stroke="{colour}"/>'
            f'<line x1="{centre - half:.1f}" x2="{centre + half:.1f}" y1="{py(median):.1f}" '
            f'y2="{py(median):.1f}" stroke="{colour}" stroke-width="2.5"/>'
        )
        for j, value in enumerate(np.sort(values)):
            offset = ((j * 0.618034) % 1 - 0.5) * half * 1.4  # golden-ratio spread
            canvas.parts.append(
                f'<circle cx="{centre + offset:.1f}" cy="{py(value):.1f}" r="2" '
                f'fill="{colour}" fill-opacity="0.55"/>'
            )
    return canvas.text()


def scatter_plot(
    title: str,
    x: np.ndarray,
    y: np.ndarray,
    x_label: str,
    y_label: str,
    caption: str,
    width: int = 300,
    height: int = 260,
) -> str:
    """The points of (x, y) and the least-squares line y = a + b·x over the range of x."""
    canvas = _Canvas(width, height, nice_ticks(float(y.min()), float(y.max())), title)
    x_ticks = nice_ticks(float(x.min()), float(x.max()), 4)
    x0, x1 = x_ticks[0], x_ticks[-1]

    def px(value: float) -> float:
        return LEFT + (value - x0) / ((x1 - x0) or 1.0) * (width - LEFT - RIGHT)

    py = canvas.py
    for tick in x_ticks:
        canvas.parts.append(
            f'<text x="{px(tick):.1f}" y="{height - BOTTOM + 14}" text-anchor="middle" {FONT}>'
            f"{_label(tick)}</text>"
        )
    canvas.parts.append(
        f'<text x="{(LEFT + width - RIGHT) / 2:.1f}" y="{height - BOTTOM + 28}" '
        f'text-anchor="middle" {FONT}>{escape(x_label)}</text>'
        f'<text x="12" y="{(TOP + height - BOTTOM) / 2:.1f}" text-anchor="middle" {FONT} '
        f'transform="rotate(-90 12 {(TOP + height - BOTTOM) / 2:.1f})">{escape(y_label)}</text>'
        f'<text x="{(LEFT + width - RIGHT) / 2:.1f}" y="{height - 4}" text-anchor="middle" '
        f'{FONT} fill="#333">{escape(caption)}</text>'
    )
    for a, b in zip(x, y):
        canvas.parts.append(
            f'<circle cx="{px(a):.1f}" cy="{py(b):.1f}" r="2.5" fill="{PALETTE[0]}" '
            'fill-opacity="0.6"/>'
        )
    if len(x) >= 2 and np.ptp(x) > 0:
        slope, intercept = np.polyfit(x, y, 1)
        ends = np.array([x.min(), x.max()])
        fitted = intercept + slope * ends
        canvas.parts.append(
            f'<line x1="{px(ends[0]):.1f}" y1="{py(fitted[0]):.1f}" x2="{px(ends[1]):.1f}" '
            f'y2="{py(fitted[1]):.1f}" stroke="{PALETTE[1]}" stroke-width="1.8"/>'
        )
    return canvas.text()
