"""Figures of report.html as inline SVG text: the standard curve and the plate map.

No user-supplied text (sample ids, plate ids, messages) is drawn into the matplotlib figure;
the plate map is built by hand and escapes everything it writes.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping
from html import escape
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from elisa.missing import as_bool, as_float
from qc.codes import (
    BELOW_BLANK,
    EXTRAPOLATED,
    HIGH_CV,
    MASKED_WELL,
    NO_SOLUTION,
    SATURATED,
    SINGLE_WELL,
)

ROLE_COLOURS = {
    "standard": "#9ecae1",
    "blank": "#d9d9d9",
    "control": "#fdd0a2",
    "sample": "#c7e9c0",
    "empty": "#ffffff",
}
# Short marks written in a well of the plate map, per flag (legend in the page).
FLAG_MARKS = {
    SATURATED: "SAT",
    MASKED_WELL: "MASK",
    HIGH_CV: "CV",
    NO_SOLUTION: "NS",
    BELOW_BLANK: "<BL",
    EXTRAPOLATED: "EXT",
    SINGLE_WELL: "1W",
}
#: Marks from the well's group or judgement rather than its own flags (see `well_marks`).
GROUP_MARKS = {
    HIGH_CV: "CV",
    "failed_standard": "FAIL",
    "failed_control": "FAIL",
}


def od_text(value: float, decimals: int = 3) -> str:
    """An OD with fixed decimals, never ``-0.000`` (a value that rounds to zero is 0)."""
    text = f"{value:.{decimals}f}"
    return text.lstrip("-") if float(text) == 0 else text


def plain_text(text: Any) -> str:
    """``text`` as matplotlib must show it: a ``$`` would start mathtext, and a unit such as
    ``$\\frac{`` would crash the figure, so every ``$`` is escaped."""
    return str(text).replace("$", r"\$")


def fmt(value: Any, sig: int = 4) -> str:
    """A number for people: `sig` significant digits, no exponent for everyday magnitudes."""
    v = as_float(value)
    if not math.isfinite(v):
        return ""
    if v == 0:
        return "0"
    mag = math.floor(math.log10(abs(v)))
    if mag >= 6 or mag < -3:
        return f"{v:.{sig - 1}e}"
    return f"{v:.{max(0, sig - 1 - mag)}f}"


def logistic(x: np.ndarray, a: float, b: float, c: float, d: float, g: float = 1.0) -> np.ndarray:
    """y = d + (a − d) / (1 + (x/c)^b)^g (4PL when g = 1)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(all="ignore"):
        return d + (a - d) / (1.0 + (x / c) ** b) ** g


def clean_svg(svg: str, prefix: str) -> str:
    """matplotlib's SVG made fit to inline: no prolog, DOCTYPE, comments, metadata or namespace
    URIs (the HTML parser puts <svg> in the SVG namespace), and ids made unique per figure."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    for ident in set(re.findall(r'\bid="([^"]+)"', svg)):
        new = f"{prefix}-{ident}"
        svg = svg.replace(f'id="{ident}"', f'id="{new}"')
        svg = svg.replace(f'"#{ident}"', f'"#{new}"').replace(f"url(#{ident})", f"url(#{new})")
    return svg.strip()


def figure_svg(fig: Figure, prefix: str) -> str:
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "elisa-report"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    return clean_svg(buf.getvalue(), prefix)


def curve_svg(
    curve: Mapping[str, Any] | None,
    standards: pd.DataFrame,
    samples: pd.DataFrame,
    unit: str,
    prefix: str = "curve",
) -> str:
    """The standard curve as SVG: fitted line (when converged), standards with ±SD bars
    (failing levels and anchors marked), samples and controls at (conc/dilution, od_mean),
    LLOQ and ULOQ as labelled vertical lines."""
    fig = Figure(figsize=(7.0, 4.4))
    ax = fig.add_subplot()
    xs_all: list[float] = []

    st = standards.copy()
    st_x = st["nominal"].map(as_float).to_numpy(float)
    st_y = st["od_mean"].map(as_float).to_numpy(float)
    st_sd = np.abs(st["od_cv_pct"].map(as_float).to_numpy(float) * st_y / 100.0)
    st_sd = np.where(np.isfinite(st_sd), st_sd, 0.0)
    anchor = st["anchor"].map(as_bool).to_numpy(object)
    passed = st["passed"].map(as_bool).to_numpy(object)
    ok = np.isfinite(st_x) & (st_x > 0) & np.isfinite(st_y)
    groups = [
        (
            "standards, passed",
            (anchor != True) & (passed == True),  # noqa: E712
            dict(fmt="o", color="#1f5fa8", ms=6),
        ),
        (
            "standards, failed",
            (anchor != True) & (passed != True),  # noqa: E712
            dict(fmt="X", color="#d62728", ms=9),
        ),
        (
            "anchors (not judged)",
            anchor == True,  # noqa: E712
            dict(fmt="s", color="#777777", mfc="none", ms=7),
        ),
    ]
    for label, mask, style in groups:
        sel = ok & mask.astype(bool)
        if sel.any():
            ax.errorbar(
                st_x[sel],
                st_y[sel],
                yerr=st_sd[sel],
                capsize=3,
                lw=0,
                elinewidth=1,
                label=label,
                zorder=3,
                **style,
            )
            xs_all.extend(st_x[sel])

    if len(samples):
        dil = samples["dilution"].map(as_float).to_numpy(float)
        dil = np.where(np.isfinite(dil) & (dil > 0), dil, 1.0)
        sx = samples["conc"].map(as_float).to_numpy(float) / dil
        sy = samples["od_mean"].map(as_float).to_numpy(float)
        kind = samples["kind"].astype(str).to_numpy()
        for label, k, style in (
            ("samples", "sample", dict(marker="D", color="#2ca02c", s=22)),
            ("controls", "control", dict(marker="P", color="#ff7f0e", s=45)),
        ):
            sel = (kind == k) & np.isfinite(sx) & (sx > 0) & np.isfinite(sy)
            if sel.any():
                ax.scatter(sx[sel], sy[sel], label=label, zorder=4, alpha=0.85, **style)
                xs_all.extend(sx[sel])
        rng = samples["range"].astype(str).to_numpy()
        off = ~(np.isfinite(sx) & (sx > 0)) & np.isfinite(sy)
        edge = [(off & (rng == side), side) for side in ("below", "above")]
    else:
        edge, sy = [], np.array([])

    if xs_all:
        lo, hi = min(xs_all) / 2.0, max(xs_all) * 2.0
    else:
        lo, hi = 0.1, 1000.0
    converged = bool(curve is not None and as_bool(curve.get("converged")))
    params = [as_float(curve.get(k)) for k in "abcdg"] if curve is not None else []
    if params and not math.isfinite(params[4]):
        params[4] = 1.0
    if converged and all(math.isfinite(p) for p in params) and params[2] > 0:
        grid = np.geomspace(lo, hi, 400)
        ax.plot(
            grid, logistic(grid, *params), color="#333333", lw=1.5, label="fitted curve", zorder=2
        )
    else:
        ax.set_title(
            "The curve fit did not converge: standards shown without a curve",
            color="#d62728",
            fontsize=10,
            fontweight="bold",
        )

    for sel, side in edge:  # no concentration: drawn at the plot's edge, at their OD
        if sel.any():
            ax.scatter(
                np.full(int(sel.sum()), lo if side == "below" else hi),
                sy[sel],
                marker="<" if side == "below" else ">",
                color="#8c564b",
                s=40,
                clip_on=False,
                zorder=5,
                label=f"no concentration ({side})",
            )

    for key, name in (("lloq", "LLOQ"), ("uloq", "ULOQ")):
        v = as_float(curve.get(key)) if curve is not None else math.nan
        if math.isfinite(v) and v > 0:
            ax.axvline(v, color="#9467bd", ls="--", lw=1.2, zorder=1)
            ax.text(
                v,
                0.97,
                f" {name} {fmt(v)} ",
                transform=ax.get_xaxis_transform(),
                rotation=90,
                ha="right" if name == "LLOQ" else "left",
                va="top",
                color="#9467bd",
                fontsize=9,
            )
            lo, hi = min(lo, v / 1.5), max(hi, v * 1.5)

    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    unit_txt = plain_text(unit) if unit else ""
    ax.set_xlabel(f"concentration in well ({unit_txt})" if unit_txt else "concentration in well")
    ax.set_ylabel("corrected OD")
    ax.grid(True, which="major", color="#e5e5e5", lw=0.6)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="best", framealpha=0.9)
    return figure_svg(fig, prefix)


def _parse_well(well: Any) -> tuple[int, int] | None:
    m = re.fullmatch(r"\s*([A-Pa-p])0*(\d{1,2})\s*", str(well))
    if not m:
        return None
    return ord(m.group(1).upper()) - ord("A"), int(m.group(2)) - 1


def plate_map_svg(
    wells: pd.DataFrame, prefix: str = "map", marks: Mapping[str, set[str]] | None = None
) -> str:
    """The plate as an SVG grid (8×12, or 16×24 when a well needs it): fill by role, corrected
    OD written in each well, flags as short marks, saturated wells outlined red, masked wells
    crossed; ``marks`` (well → GROUP_MARKS keys) adds an orange corner for a high-CV group and a
    red corner with FAIL for a failed standard level or control result; each well has a tooltip
    (escaped) with its details."""
    marks = marks or {}
    parsed = [(_parse_well(w), r) for w, r in zip(wells["well"], wells.to_dict("records"))]
    parsed = [(p, r) for p, r in parsed if p is not None]
    big = any(p[0] >= 8 or p[1] >= 12 for p, _ in parsed)
    n_rows, n_cols = (16, 24) if big else (8, 12)
    cw, ch, f1, f2 = (40, 30, 8.5, 6.5) if big else (60, 42, 11.5, 8.5)
    left, top = 22, 18
    width, height = left + n_cols * cw + 4, top + n_rows * ch + 4
    out = [
        f'<svg id="{escape(prefix)}" class="platemap" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="plate map">',
        f'<g font-family="sans-serif" font-size="{f2 + 1}" fill="#444" text-anchor="middle">',
    ]
    for j in range(n_cols):
        out.append(f'<text x="{left + j * cw + cw / 2}" y="{top - 5}">{j + 1}</text>')
    for i in range(n_rows):
        out.append(f'<text x="{left / 2}" y="{top + i * ch + ch / 2 + 3}">{chr(65 + i)}</text>')
    out.append("</g>")
    for i in range(n_rows):
        for j in range(n_cols):
            out.append(
                f'<rect x="{left + j * cw + 1}" y="{top + i * ch + 1}" width="{cw - 2}" '
                f'height="{ch - 2}" rx="3" fill="#ffffff" stroke="#dddddd"/>'
            )
    for (i, j), rec in parsed:
        extra = marks.get(str(rec.get("well")), set())
        out.append(_well_svg(rec, left + j * cw, top + i * ch, cw, ch, f1, f2, extra))
    out.append("</svg>")
    return "\n".join(out)


def _well_svg(
    rec: Mapping[str, Any],
    x: float,
    y: float,
    cw: float,
    ch: float,
    f1: float,
    f2: float,
    extra: set[str] | frozenset[str] = frozenset(),
) -> str:
    role = str(rec.get("role") or "empty")
    flags = [f for f in str(rec.get("flags") or "").split(";") if f and f != "nan"]
    saturated = as_bool(rec.get("saturated")) is True or SATURATED in flags
    masked = as_bool(rec.get("masked")) is True or MASKED_WELL in flags
    od = as_float(rec.get("od"))
    od_raw = as_float(rec.get("od_raw"))
    if saturated:
        text = "OVER"
    elif math.isfinite(od):
        text = od_text(od)
    elif math.isfinite(od_raw):
        text = f"({od_text(od_raw)})"
    else:
        text = "–"
    marks = [FLAG_MARKS.get(f, f[:4].upper()) for f in flags if f not in (SATURATED, MASKED_WELL)]
    marks += [GROUP_MARKS[m] for m in sorted(extra) if GROUP_MARKS[m] not in marks]
    high_cv = HIGH_CV in flags or HIGH_CV in extra
    failed = bool(extra & {"failed_standard", "failed_control"})
    sid = rec.get("sample_id")
    sid = "" if sid is None or (isinstance(sid, float) and math.isnan(sid)) else str(sid)
    tip = [str(rec.get("well")), role]
    if sid:
        tip.append(sid)
    if math.isfinite(as_float(rec.get("conc_nominal"))):
        tip.append(f"nominal {fmt(rec.get('conc_nominal'))}")
    if math.isfinite(as_float(rec.get("dilution"))) and as_float(rec.get("dilution")) != 1:
        tip.append(f"dilution {fmt(rec.get('dilution'))}")
    tip.append(f"OD raw {fmt(od_raw)}, corrected {fmt(od)}")
    if math.isfinite(as_float(rec.get("conc_well"))):
        tip.append(f"conc {fmt(rec.get('conc_well'))}")
    if flags:
        tip.append("flags: " + ", ".join(flags))
    if extra:
        tip.append(", ".join(m.replace("_", " ") for m in sorted(extra)))
    stroke, sw = ("#d62728", 2.5) if saturated else ("#888888", 0.8)
    fill = ROLE_COLOURS.get(role, "#eeeeee")
    parts = [
        f"<g><title>{escape(' · '.join(tip))}</title>",
        f'<rect x="{x + 1}" y="{y + 1}" width="{cw - 2}" height="{ch - 2}" rx="3" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="{sw}"'
        + (' fill-opacity="0.45"' if masked else "")
        + "/>",
        f'<text x="{x + cw / 2}" y="{y + ch * 0.45}" font-family="sans-serif" '
        f'font-size="{f1}" text-anchor="middle" fill="#111">{escape(text)}</text>',
    ]
    if marks:
        parts.append(
            f'<text x="{x + cw / 2}" y="{y + ch * 0.82}" font-family="sans-serif" '
            f'font-size="{f2}" text-anchor="middle" font-weight="bold" '
            f'fill="#b03000">{escape(" ".join(marks))}</text>'
        )
    if masked:
        parts.append(
            f'<path d="M{x + 3},{y + 3} L{x + cw - 3},{y + ch - 3} M{x + cw - 3},{y + 3} '
            f'L{x + 3},{y + ch - 3}" stroke="#555" stroke-width="1.2"/>'
        )
    if failed:
        parts.append(
            f'<path d="M{x + 1},{y + ch - 12} L{x + 1},{y + ch - 1} '
            f'L{x + 12},{y + ch - 1} Z" fill="#d62728" class="mark-failed"/>'
        )
    if high_cv:
        parts.append(
            f'<path d="M{x + cw - 12},{y + 1} L{x + cw - 1},{y + 1} '
            f'L{x + cw - 1},{y + 12} Z" fill="#ff7f0e" class="mark-high-cv"/>'
        )
    parts.append("</g>")
    return "".join(parts)
