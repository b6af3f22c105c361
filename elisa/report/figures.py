"""The plate map of report.html as inline SVG text, and helpers the report's figures share:
number formats, the logistic curve, and the matplotlib-to-inline-SVG step the QC report's
charts still use (the standard curve is written directly: :mod:`elisa.report.curve_figure`).

No user-supplied text (sample ids, plate ids, messages) is drawn into a matplotlib figure;
the plate map is built by hand and escapes everything it writes.
"""

from __future__ import annotations

import functools
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
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
    return format(v, _number_format(sig, math.floor(math.log10(abs(v)))))


@functools.cache
def _number_format(sig: int, magnitude: int) -> str:
    """The format spec `fmt` writes a number of 10^magnitude with: exponent notation beyond
    everyday magnitudes, else the decimals that leave ``sig`` significant digits. Cached: a
    report formats a million numbers with a few dozen specs."""
    if magnitude >= 6 or magnitude < -3:
        return f".{sig - 1}e"
    return f".{max(0, sig - 1 - magnitude)}f"


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


#: A well name as layouts and exports write it: row letter, column number (leading zeros and
#: surrounding spaces allowed).
WELL_NAME = re.compile(r"\s*([A-Pa-p])0*(\d{1,2})\s*")


@functools.lru_cache(maxsize=1024)
def _parse_well(well: str) -> tuple[int, int] | None:
    """(row, column) from 0 of a well name, None when it is not one; cached because every
    plate of a run names the same wells."""
    m = WELL_NAME.fullmatch(well)
    if not m:
        return None
    return ord(m.group(1).upper()) - ord("A"), int(m.group(2)) - 1


@dataclass(frozen=True)
class _MapGrid:
    """The drawing of one plate size that does not depend on the plate: well size ``cw`` ×
    ``ch`` px, font sizes ``f1`` (OD) and ``f2`` (marks, labels), the figure's size, and
    ``background``, the row and column labels and the empty-well rectangles as SVG lines."""

    n_rows: int
    n_cols: int
    cw: int
    ch: int
    f1: float
    f2: float
    width: int
    height: int
    background: str


#: Pixels left of the first column and above the first row (the labels' room).
MAP_LEFT, MAP_TOP = 22, 18


@functools.cache
def _map_grid(big: bool) -> _MapGrid:
    """The 8×12 plate's grid, or the 16×24 one when ``big``; built once per size."""
    n_rows, n_cols = (16, 24) if big else (8, 12)
    cw, ch, f1, f2 = (40, 30, 8.5, 6.5) if big else (60, 42, 11.5, 8.5)
    left, top = MAP_LEFT, MAP_TOP
    lines = [f'<g font-family="sans-serif" font-size="{f2 + 1}" fill="#444" text-anchor="middle">']
    for j in range(n_cols):
        lines.append(f'<text x="{left + j * cw + cw / 2}" y="{top - 5}">{j + 1}</text>')
    for i in range(n_rows):
        lines.append(f'<text x="{left / 2}" y="{top + i * ch + ch / 2 + 3}">{chr(65 + i)}</text>')
    lines.append("</g>")
    for i in range(n_rows):
        for j in range(n_cols):
            lines.append(
                f'<rect x="{left + j * cw + 1}" y="{top + i * ch + 1}" width="{cw - 2}" '
                f'height="{ch - 2}" rx="3" fill="#ffffff" stroke="#dddddd"/>'
            )
    width, height = left + n_cols * cw + 4, top + n_rows * ch + 4
    return _MapGrid(n_rows, n_cols, cw, ch, f1, f2, width, height, "\n".join(lines))


@dataclass(frozen=True)
class _WellBox:
    """The fixed SVG pieces of the well at one position of one plate size: the openings of its
    rectangle, OD text and marks text (attributes up to where the well's own ones follow), and
    the whole cross of a masked well and corners of a failed or high-CV one."""

    rect: str
    value_text: str
    marks_text: str
    cross: str
    failed_corner: str
    high_cv_corner: str


@functools.lru_cache(maxsize=1024)
def _well_box(row: int, column: int, big: bool) -> _WellBox:
    """The well at (``row``, ``column``) from 0; cached because every plate of a run puts its
    wells at the same positions."""
    grid = _map_grid(big)
    cw, ch = grid.cw, grid.ch
    x, y = MAP_LEFT + column * cw, MAP_TOP + row * ch
    return _WellBox(
        rect=f'<rect x="{x + 1}" y="{y + 1}" width="{cw - 2}" height="{ch - 2}" rx="3" ',
        value_text=f'<text x="{x + cw / 2}" y="{y + ch * 0.45}" font-family="sans-serif" '
        f'font-size="{grid.f1}" text-anchor="middle" fill="#111">',
        marks_text=f'<text x="{x + cw / 2}" y="{y + ch * 0.82}" font-family="sans-serif" '
        f'font-size="{grid.f2}" text-anchor="middle" font-weight="bold" fill="#b03000">',
        cross=f'<path d="M{x + 3},{y + 3} L{x + cw - 3},{y + ch - 3} M{x + cw - 3},{y + 3} '
        f'L{x + 3},{y + ch - 3}" stroke="#555" stroke-width="1.2"/>',
        failed_corner=f'<path d="M{x + 1},{y + ch - 12} L{x + 1},{y + ch - 1} '
        f'L{x + 12},{y + ch - 1} Z" fill="#d62728" class="mark-failed"/>',
        high_cv_corner=f'<path d="M{x + cw - 12},{y + 1} L{x + cw - 1},{y + 1} '
        f'L{x + cw - 1},{y + 12} Z" fill="#ff7f0e" class="mark-high-cv"/>',
    )


def plate_map_svg(
    wells: Rows, prefix: str = "map", marks: Mapping[str, set[str]] | None = None
) -> str:
    """The plate as an SVG grid (8×12, or 16×24 when a well needs it): fill by role, corrected
    OD written in each well, flags as short marks, saturated wells outlined red, masked wells
    crossed; ``marks`` (well → GROUP_MARKS keys) adds an orange corner for a high-CV group and a
    red corner with FAIL for a failed standard level or control result; each well has a tooltip
    (escaped) with its details."""
    marks = marks or {}
    parsed = [(_parse_well(str(r["well"])), r) for r in records(wells)]
    parsed = [(p, r) for p, r in parsed if p is not None]
    big = any(p[0] >= 8 or p[1] >= 12 for p, _ in parsed)
    grid = _map_grid(big)
    out = [
        f'<svg id="{escape(prefix)}" class="platemap" width="{grid.width}" '
        f'height="{grid.height}" viewBox="0 0 {grid.width} {grid.height}" role="img" '
        'aria-label="plate map">',
        grid.background,
    ]
    for (i, j), rec in parsed:
        extra = marks.get(str(rec.get("well")), set())
        out.append(_well_svg(rec, _well_box(i, j, big), extra))
    out.append("</svg>")
    return "\n".join(out)


def _well_svg(
    rec: Mapping[str, Any], box: _WellBox, extra: set[str] | frozenset[str] = frozenset()
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
    nominal, dilution = as_float(rec.get("conc_nominal")), as_float(rec.get("dilution"))
    if math.isfinite(nominal):
        tip.append(f"nominal {fmt(nominal)}")
    if math.isfinite(dilution) and dilution != 1:
        tip.append(f"dilution {fmt(dilution)}")
    tip.append(f"OD raw {fmt(od_raw)}, corrected {fmt(od)}")
    conc = as_float(rec.get("conc_well"))
    if math.isfinite(conc):
        tip.append(f"conc {fmt(conc)}")
    if flags:
        tip.append("flags: " + ", ".join(flags))
    if extra:
        tip.append(", ".join(m.replace("_", " ") for m in sorted(extra)))
    stroke, sw = ("#d62728", 2.5) if saturated else ("#888888", 0.8)
    fill = ROLE_COLOURS.get(role, "#eeeeee")
    parts = [
        f"<g><title>{escape(' · '.join(tip))}</title>",
        f'{box.rect}fill="{fill}" stroke="{stroke}" stroke-width="{sw}"'
        + (' fill-opacity="0.45"' if masked else "")
        + "/>",
        f"{box.value_text}{escape(text)}</text>",
    ]
    if marks:
        parts.append(f"{box.marks_text}{escape(' '.join(marks))}</text>")
    if masked:
        parts.append(box.cross)
    if failed:
        parts.append(box.failed_corner)
    if high_cv:
        parts.append(box.high_cv_corner)
    parts.append("</g>")
    return "".join(parts)
