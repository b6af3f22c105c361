"""The marks of the standard-curve figure: one shape and colour per kind of point, points with
error bars and tooltips, and the legend's layout.

Every mark is a path that starts at its point, ``M x,y``, followed by a fixed relative outline,
so a point's data position can be read back from the SVG (the tests do).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import numpy as np

from elisa.report.svg_axes import Axis, number, numbers


@dataclass(frozen=True)
class Mark:
    """A kind of point: legend ``label``, relative path ``shape`` drawn from the point, and
    the group's presentation attributes ``style``; ``colour`` also draws its error bars."""

    label: str
    shape: str
    colour: str
    style: str


def _filled(colour: str, opacity: float = 1.0) -> str:
    extra = f' fill-opacity="{opacity}"' if opacity < 1 else ""
    return f'fill="{colour}" stroke="#ffffff" stroke-width="0.6"{extra}'


def _stroked(colour: str, width: float) -> str:
    return f'fill="none" stroke="{colour}" stroke-width="{width}" stroke-linecap="round"'


MARKS = {
    "standards-passed": Mark(
        "standards, passed",
        "m-5,0a5,5 0 1,0 10,0a5,5 0 1,0 -10,0z",
        "#1f5fa8",
        _filled("#1f5fa8"),
    ),
    "standards-failed": Mark(
        "standards, failed", "m-5,-5l10,10m0,-10l-10,10", "#d62728", _stroked("#d62728", 3)
    ),
    "anchors": Mark(
        "anchors (not judged)", "m-4.5,-4.5h9v9h-9z", "#777777", _stroked("#777777", 1.6)
    ),
    "samples": Mark("samples", "m0,-5l5,5l-5,5l-5,-5z", "#2ca02c", _filled("#2ca02c", 0.85)),
    "controls": Mark("controls", "m-5.5,0h11m-5.5,-5.5v11", "#ff7f0e", _stroked("#ff7f0e", 3.2)),
    "no-conc-below": Mark(
        "no concentration (below)", "m-6,0l10,-5.5v11z", "#8c564b", _filled("#8c564b")
    ),
    "no-conc-above": Mark(
        "no concentration (above)", "m6,0l-10,-5.5v11z", "#8c564b", _filled("#8c564b")
    ),
}


@dataclass(frozen=True)
class Series:
    """The points of one legend entry: ``x`` concentration in the well, ``y`` OD, ``sd`` the
    OD's SD drawn as an error bar (0 for none), ``tips`` one tooltip (plain text) per point."""

    key: str
    x: np.ndarray
    y: np.ndarray
    sd: np.ndarray
    tips: list[str]


def marker_path(key: str, x: float, y: float) -> str:
    """One mark of kind ``key`` at pixel (x, y), with its own style (for the legend)."""
    mark = MARKS[key]
    return f'<path d="M{number(x)},{number(y)}{mark.shape}" {mark.style}/>'


def series_svg(series: Series, x_axis: Axis, y_axis: Axis, pid: str) -> str:
    """A group of the series' error bars and marks, each mark with a tooltip."""
    mark = MARKS[series.key]
    px, py = x_axis.px(series.x), y_axis.px(series.y)
    out = [f'<g id="{pid}-{series.key}" class="{series.key}" {mark.style}>']
    bars = []
    low, high = y_axis.px(series.y - series.sd), y_axis.px(series.y + series.sd)
    for x, y1, y2 in zip(px.tolist(), low.tolist(), high.tolist()):
        if abs(y2 - y1) >= 1:  # a bar shorter than a pixel hides under the mark
            bars.append(
                f"M{number(x - 3)},{number(y1)}h6M{number(x)},{number(y1)}V{number(y2)}"
                f"M{number(x - 3)},{number(y2)}h6"
            )
    if bars:
        out.append(
            f'<path class="error-bars" d="{"".join(bars)}" fill="none" stroke="{mark.colour}" '
            'stroke-width="1.2"/>'
        )
    for x, y, tip in zip(numbers(px.tolist()), numbers(py.tolist()), series.tips):
        out.append(f'<path d="M{x},{y}{mark.shape}"><title>{escape(tip)}</title></path>')
    out.append("</g>")
    return "".join(out)


def legend_rows(
    entries: list[tuple[str, str]], left: float, right: float, font: float
) -> list[list[tuple[str, str, float]]]:
    """Legend entries (key, label) laid out left to right in rows between ``left`` and
    ``right`` px: (key, label, x) per entry. Text width is estimated at 0.55 em a character,
    a little wide for sans-serif, so entries do not collide."""
    rows: list[list[tuple[str, str, float]]] = [[]]
    x = left
    for key, label in entries:
        width = 24 + 0.55 * font * len(label)
        if rows[-1] and x + width > right:
            rows.append([])
            x = left
        rows[-1].append((key, label, x))
        x += width + 16
    return rows if rows[0] else []
