"""The standard curve of report.html as SVG written directly as text.

matplotlib took about 0.25 s per figure, most of a large batch's run time (issue 11); this
writes the same figure in about a millisecond. It shows: standards with ±SD error bars (passed,
failed and anchor levels each their own mark), samples and controls at (conc / dilution,
od_mean), samples without a concentration at the plot's edge at their OD, the fitted curve when
the fit converged (else a red title says so), LLOQ and ULOQ as labelled dashed lines, a log
concentration axis, a linear OD axis, and a legend below the plot so it never hides a point.
Every point has a tooltip. All text is escaped; ids start with ``prefix`` so many figures can
share a page; no scripts, no external references.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import numpy as np

from elisa.missing import as_bool, as_float, is_missing
from elisa.report.curve_marks import MARKS, Series, legend_rows, marker_path, series_svg
from elisa.report.figures import fmt, logistic, od_text
from elisa.report.rows import Rows, pandas_text, records
from elisa.report.svg_axes import Axis, linear_ticks, log_ticks, number, numbers, padded_range

WIDTH = 680
PLOT_LEFT, PLOT_RIGHT, PLOT_HEIGHT = 70, 664, 300
FONT = 13  # px; about 11 px where the review app shows the figure 570 px wide
LEGEND_ROW = 20  # px between legend rows
LIMIT_COLOUR = "#9467bd"
#: How far (as a fraction of the points' OD span) a fitted curve may stretch the OD axis beyond
#: the points: a curve whose asymptote lies far off would otherwise squash every point flat.
CURVE_OVERSHOOT = 0.5
NOT_CONVERGED = "The curve fit did not converge: standards shown without a curve"


def _floats(rows: Sequence[Mapping[str, Any]], column: str) -> np.ndarray:
    return np.array([as_float(r.get(column)) for r in rows], dtype=float)


def _flags(rows: Sequence[Mapping[str, Any]], column: str) -> np.ndarray:
    return np.array([as_bool(r.get(column)) is True for r in rows], dtype=bool)


def _standard_series(standards: Rows) -> list[Series]:
    """Passed, failed and anchor levels with a positive nominal and a finite OD."""
    rows = records(standards)
    if not len(rows):
        return []
    x, y = _floats(rows, "nominal"), _floats(rows, "od_mean")
    sd = np.abs(_floats(rows, "od_cv_pct") * y / 100.0)
    sd = np.where(np.isfinite(sd), sd, 0.0)
    anchor, passed = _flags(rows, "anchor"), _flags(rows, "passed")
    levels = ["<NA>" if (v := r.get("level")) is None else v for r in rows]  # as pandas shows NA
    ok = np.isfinite(x) & (x > 0) & np.isfinite(y)
    x_list, y_list, sd_list = x.tolist(), y.tolist(), sd.tolist()  # Python floats format faster
    out = []
    for key, mask, status in (
        ("standards-passed", ~anchor & passed, "passed"),
        ("standards-failed", ~anchor & ~passed, "failed"),
        ("anchors", anchor, "anchor, not judged"),
    ):
        sel = np.flatnonzero(ok & mask)
        tips = [
            f"standard level {levels[i]}: nominal {fmt(x_list[i])}, OD {od_text(y_list[i])} "
            f"± {od_text(sd_list[i])} ({status})"
            for i in sel.tolist()
        ]
        out.append(Series(key, x[sel], y[sel], sd[sel], tips))
    return out


def _sample_series(samples: Rows, unit: str) -> tuple[list[Series], list[Series]]:
    """Samples and controls at (conc / dilution, od_mean); and those with a finite OD but no
    positive concentration, below or above the curve, with their x left to the caller."""
    rows = records(samples)
    if not len(rows):
        return [], []
    dil = _floats(rows, "dilution")
    dil = np.where(np.isfinite(dil) & (dil > 0), dil, 1.0)
    x = _floats(rows, "conc") / dil
    y = _floats(rows, "od_mean")
    kind = np.array([pandas_text(r.get("kind")) for r in rows], dtype=object)
    side = np.array([pandas_text(r.get("range")) for r in rows], dtype=object)
    ids = ["" if is_missing(v := r.get("sample_id")) else str(v) for r in rows]
    has_x = np.isfinite(x) & (x > 0)
    unit_txt = f" {unit}" if unit else ""
    x_list, y_list, dil_list = x.tolist(), y.tolist(), dil.tolist()  # Python floats format faster
    has_x_list = has_x.tolist()

    def tip(i: int) -> str:
        where = f"{fmt(x_list[i])}{unit_txt} in well, " if has_x_list[i] else "no concentration, "
        return f"{kind[i]} {ids[i]} (dilution {fmt(dil_list[i])}): {where}OD {od_text(y_list[i])}"

    def series(key: str, sel: np.ndarray) -> Series:
        idx = np.flatnonzero(sel & np.isfinite(y))
        return Series(key, x[idx], y[idx], np.zeros(idx.size), [tip(i) for i in idx.tolist()])

    plotted = [
        series(key, has_x & (kind == k))
        for key, k in (("samples", "sample"), ("controls", "control"))
    ]
    edges = [series(f"no-conc-{s}", ~has_x & (side == s)) for s in ("below", "above")]
    return plotted, edges


def _fitted(curve: Mapping[str, Any] | None) -> list[float] | None:
    """The curve's a, b, c, d, g when it converged with usable parameters (g = 1 for a 4PL)."""
    if curve is None or as_bool(curve.get("converged")) is not True:
        return None
    params = [as_float(curve.get(k)) for k in "abcdg"]
    if not math.isfinite(params[4]):
        params[4] = 1.0
    return params if all(math.isfinite(p) for p in params) and params[2] > 0 else None


def _limits(curve: Mapping[str, Any] | None) -> list[tuple[str, float]]:
    out = []
    for key, name in (("lloq", "LLOQ"), ("uloq", "ULOQ")):
        v = as_float(curve.get(key)) if curve is not None else math.nan
        if math.isfinite(v) and v > 0:
            out.append((name, v))
    return out


def _od_range(points: list[Series], curve_y: np.ndarray) -> tuple[float, float]:
    """The OD axis: every point with its error bar, and the curve within CURVE_OVERSHOOT."""
    ys = [np.concatenate([s.y - s.sd, s.y + s.sd]) for s in points]
    data = np.concatenate(ys) if ys else np.array([])
    data = data[np.isfinite(data)]
    curve_y = curve_y[np.isfinite(curve_y)]
    if data.size and curve_y.size:
        reach = CURVE_OVERSHOOT * max(float(np.ptp(data)), 0.05)
        curve_y = np.clip(curve_y, data.min() - reach, data.max() + reach)
    return padded_range(np.concatenate([data, curve_y]))


def curve_svg(
    curve: Mapping[str, Any] | None,
    standards: Rows,
    samples: Rows,
    unit: str,
    prefix: str = "curve",
) -> str:
    """The standard curve as one inline ``<svg>`` (see the module docstring for what it shows);
    ``unit`` is the concentration unit written in the x axis title."""
    sample_points, edges = _sample_series(samples, unit)
    standard_points = _standard_series(standards)
    plotted = standard_points + sample_points
    xs = np.concatenate([s.x for s in plotted]) if plotted else np.array([])
    lo, hi = (float(xs.min()) / 2.0, float(xs.max()) * 2.0) if xs.size else (0.1, 1000.0)
    limits = _limits(curve)
    for _, v in limits:
        lo, hi = min(lo, v / 1.5), max(hi, v * 1.5)
    params = _fitted(curve)
    grid = np.geomspace(lo, hi, 240)
    curve_y = logistic(grid, *params) if params else np.array([])
    edges = [
        Series(e.key, np.full(e.y.size, lo if e.key.endswith("below") else hi), e.y, e.sd, e.tips)
        for e in edges
    ]
    y_lo, y_hi = _od_range(plotted + edges, curve_y)

    top = 30 + (0 if params else 22)
    bottom = top + PLOT_HEIGHT
    x_axis = Axis(lo, hi, PLOT_LEFT, PLOT_RIGHT, log=True)
    y_axis = Axis(y_lo, y_hi, bottom, top)
    # samples first, so the standards the curve was fitted to stay visible on top of them
    shown = [s for s in sample_points + standard_points + edges if s.x.size]
    entries = [(s.key, MARKS[s.key].label) for s in plotted + edges if s.x.size]
    if params:
        entries.insert(0, ("curve", "fitted curve"))
    rows = legend_rows(entries, PLOT_LEFT, PLOT_RIGHT, FONT)
    height = bottom + 62 + LEGEND_ROW * len(rows)

    pid = escape(prefix)
    out = [
        f'<svg id="{pid}" class="curve" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="standard curve" '
        f'font-family="sans-serif" font-size="{FONT}">',
        f'<defs><clipPath id="{pid}-clip"><rect x="{PLOT_LEFT}" y="{top}" '
        f'width="{PLOT_RIGHT - PLOT_LEFT}" height="{PLOT_HEIGHT}"/></clipPath></defs>',
    ]
    if not params:
        out.append(
            f'<text x="{PLOT_LEFT}" y="18" fill="#d62728" font-weight="bold" '
            f'font-size="{FONT + 1}">{NOT_CONVERGED}</text>'
        )
    out += _axes(x_axis, y_axis, top, bottom, unit)
    out += _limit_lines(limits, x_axis, top, bottom, pid)
    if params:
        out.append(_curve_path(grid, curve_y, x_axis, y_axis, pid))
    out += [series_svg(s, x_axis, y_axis, pid) for s in shown]
    out += _legend(rows, bottom + 62, pid)
    out.append("</svg>")
    return "\n".join(out)


def _axes(x_axis: Axis, y_axis: Axis, top: float, bottom: float, unit: str) -> list[str]:
    """Frame, grid lines at labelled ticks, tick marks, tick labels and axis titles."""
    grid, marks, labels = [], [], []
    for t in log_ticks(x_axis.lo, x_axis.hi):
        x = number(x_axis.at(t.value))
        size = 6 if t.major else 3
        marks.append(f"M{x},{number(bottom)}v{size}")
        if t.major:
            grid.append(f"M{x},{number(top)}V{number(bottom)}")
        if t.label:
            labels.append(f'<text x="{x}" y="{number(bottom + 20)}">{t.label}</text>')
    y_labels = []
    for t in linear_ticks(y_axis.lo, y_axis.hi):
        y = number(y_axis.at(t.value))
        marks.append(f"M{PLOT_LEFT},{y}h-6")
        grid.append(f"M{PLOT_LEFT},{y}H{PLOT_RIGHT}")
        y_labels.append(f'<text x="{PLOT_LEFT - 9}" y="{y}" dy="0.35em">{t.label}</text>')
    x_title = f"concentration in well ({escape(unit)})" if unit else "concentration in well"
    mid_y = number((top + bottom) / 2)
    return [
        f'<path class="grid" d="{"".join(grid)}" stroke="#e3e3e3" stroke-width="1" fill="none"/>',
        f'<rect x="{PLOT_LEFT}" y="{number(top)}" width="{PLOT_RIGHT - PLOT_LEFT}" '
        f'height="{PLOT_HEIGHT}" fill="none" stroke="#444"/>',
        f'<path class="ticks" d="{"".join(marks)}" stroke="#444" fill="none"/>',
        '<g class="x-ticks" text-anchor="middle" fill="#222">' + "".join(labels) + "</g>",
        '<g class="y-ticks" text-anchor="end" fill="#222">' + "".join(y_labels) + "</g>",
        f'<text class="x-title" x="{(PLOT_LEFT + PLOT_RIGHT) / 2}" y="{number(bottom + 42)}" '
        f'text-anchor="middle" fill="#222">{x_title}</text>',
        f'<text class="y-title" x="16" y="{mid_y}" transform="rotate(-90 16 {mid_y})" '
        f'text-anchor="middle" fill="#222">corrected OD</text>',
    ]


def _limit_lines(
    limits: list[tuple[str, float]], x_axis: Axis, top: float, bottom: float, pid: str
) -> list[str]:
    """LLOQ and ULOQ: dashed lines through the plot, labelled just above it, LLOQ's label to
    the left of its line and ULOQ's to the right, so the two never overlap."""
    out = []
    for name, v in limits:
        x = x_axis.at(v)
        text = f"{name} {fmt(v)}"
        width = 0.6 * FONT * len(text)  # estimated: keeps the label inside the figure
        if name == "LLOQ":
            anchor, label_x = "end", max(x + 3, 4 + width)
        else:
            anchor, label_x = "start", min(x - 3, WIDTH - 4 - width)
        out.append(
            f'<g id="{pid}-{name.lower()}" class="limit" fill="{LIMIT_COLOUR}">'
            f'<path d="M{number(x)},{number(top)}V{number(bottom)}" stroke="{LIMIT_COLOUR}" '
            f'stroke-width="1.3" stroke-dasharray="6 4"/>'
            f'<text x="{number(label_x)}" y="{number(top - 7)}" text-anchor="{anchor}">'
            f"{text}</text></g>"
        )
    return out


def _curve_path(grid: np.ndarray, curve_y: np.ndarray, x_axis: Axis, y_axis: Axis, pid: str) -> str:
    """The fitted curve as one path, broken where it is not finite, clipped to the plot."""
    px, py = x_axis.px(grid), y_axis.px(curve_y)
    if px.size and np.isfinite(px).all() and np.isfinite(py).all():  # the usual curve: one line
        d = "M" + "L".join(f"{x},{y}" for x, y in zip(numbers(px.tolist()), numbers(py.tolist())))
    else:
        d = _broken_path(px.tolist(), py.tolist())
    return (
        f'<path id="{pid}-fit" class="fit" d="{d}" fill="none" stroke="#333" '
        f'stroke-width="1.8" clip-path="url(#{pid}-clip)"/>'
    )


def _broken_path(px: list[float], py: list[float]) -> str:
    """A path through the finite points, its pen lifted over every point that is not."""
    d, pen_down = [], False
    for x, y in zip(px, py):
        if math.isfinite(x) and math.isfinite(y):
            d.append(f"{'L' if pen_down else 'M'}{number(x)},{number(y)}")
            pen_down = True
        else:
            pen_down = False
    return "".join(d)


def _legend(rows: list[list[tuple[str, str, float]]], top: float, pid: str) -> list[str]:
    out = [f'<g id="{pid}-legend" class="legend" fill="#222">']
    for r, row in enumerate(rows):
        y = top + LEGEND_ROW * r
        for key, label, x in row:
            if key == "curve":
                out.append(
                    f'<path d="M{number(x)},{number(y)}h18" stroke="#333" stroke-width="1.8"/>'
                )
            else:
                out.append(marker_path(key, x + 9, y))
            out.append(f'<text x="{number(x + 24)}" y="{number(y)}" dy="0.35em">{label}</text>')
    out.append("</g>")
    return out
