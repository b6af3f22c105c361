"""The plate map of report.html as inline SVG text, and helpers the report's figures share:
number formats, the logistic curve, and the matplotlib-to-inline-SVG step the QC report's
charts still use (the standard curve is written directly: :mod:`elisa.report.curve_figure`).

No user-supplied text (sample ids, plate ids, messages) is drawn into a matplotlib figure;
the plate map is built by hand and escapes everything it writes.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from elisa.missing import as_bool, as_float
from elisa.report.rows import Rows, records
from qc.codes import (
    BELOW_BLANK,
    EXTRAPOLATED,
    HIGH_CV,
    MASKED_WELL,
    NO_SOLUTION,
    SATURATED,
    SINGLE_WELL,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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
    """A matplotlib figure (the QC report's charts) as inline SVG, ids prefixed by ``prefix``."""
    import matplotlib  # only the QC report's charts still go through matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "elisa-report"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    return clean_svg(buf.getvalue(), prefix)


def _parse_well(well: Any) -> tuple[int, int] | None:
    m = re.fullmatch(r"\s*([A-Pa-p])0*(\d{1,2})\s*", str(well))
    if not m:
        return None
    return ord(m.group(1).upper()) - ord("A"), int(m.group(2)) - 1


def plate_map_svg(
    wells: Rows, prefix: str = "map", marks: Mapping[str, set[str]] | None = None
) -> str:
    """The plate as an SVG grid (8×12, or 16×24 when a well needs it): fill by role, corrected
    OD written in each well, flags as short marks, saturated wells outlined red, masked wells
    crossed; ``marks`` (well → GROUP_MARKS keys) adds an orange corner for a high-CV group and a
    red corner with FAIL for a failed standard level or control result; each well has a tooltip
    (escaped) with its details."""
    marks = marks or {}
    parsed = [(_parse_well(r["well"]), r) for r in records(wells)]
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
