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
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from elisa.missing import as_bool, as_float
from elisa.report.map_geometry import WellBox, map_grid, parse_well, well_box
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


#: The group marks of a well that has none.
NO_MARKS: frozenset[str] = frozenset()


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


def plate_map_svg(
    wells: Rows, prefix: str = "map", marks: Mapping[str, set[str]] | None = None
) -> str:
    """The plate as an SVG grid (8×12, or 16×24 when a well needs it): fill by role, corrected
    OD written in each well, flags as short marks, saturated wells outlined red, masked wells
    crossed; ``marks`` (well → GROUP_MARKS keys) adds an orange corner for a high-CV group and a
    red corner with FAIL for a failed standard level or control result; each well has a tooltip
    (escaped) with its details."""
    marks = marks or {}
    parsed = [(parse_well(str(r["well"])), r) for r in records(wells)]
    parsed = [(p, r) for p, r in parsed if p is not None]
    big = any(p[0] >= 8 or p[1] >= 12 for p, _ in parsed)
    grid = map_grid(big)
    out = [
        f'<svg id="{escape(prefix)}" class="platemap" width="{grid.width}" '
        f'height="{grid.height}" viewBox="0 0 {grid.width} {grid.height}" role="img" '
        'aria-label="plate map">',
        grid.background,
    ]
    for (i, j), rec in parsed:
        extra = marks.get(str(rec.get("well")), NO_MARKS)
        out.append(_well_svg(rec, well_box(i, j, big), extra))
    out.append("</svg>")
    return "\n".join(out)


def _well_svg(
    rec: Mapping[str, Any], box: WellBox, extra: set[str] | frozenset[str] = NO_MARKS
) -> str:
    role = str(rec.get("role") or "empty")
    flags = _well_flags(str(rec.get("flags") or ""))
    saturated = as_bool(rec.get("saturated")) is True or SATURATED in flags
    masked = as_bool(rec.get("masked")) is True or MASKED_WELL in flags
    od = as_float(rec.get("od"))
    od_raw = as_float(rec.get("od_raw"))
    # the well's text is a number, OVER or a dash: nothing to escape
    if saturated:
        text = "OVER"
    elif math.isfinite(od):
        text = od_text(od)
    elif math.isfinite(od_raw):
        text = f"({od_text(od_raw)})"
    else:
        text = "–"
    marks = _flag_marks(flags)
    if extra:
        marks = (*marks, *(GROUP_MARKS[m] for m in sorted(extra) if GROUP_MARKS[m] not in marks))
    high_cv = HIGH_CV in flags or HIGH_CV in extra
    failed = "failed_standard" in extra or "failed_control" in extra
    stroke = (
        'stroke="#d62728" stroke-width="2.5"'
        if saturated
        else 'stroke="#888888" stroke-width="0.8"'
    )
    parts = [
        f"<g><title>{escape(_well_tip(rec, role, flags, extra, od, od_raw))}</title>",
        f'{box.rect}fill="{ROLE_COLOURS.get(role, "#eeeeee")}" {stroke}'
        + (' fill-opacity="0.45"' if masked else "")
        + "/>",
        f"{box.value_text}{text}</text>",
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


@functools.lru_cache(maxsize=256)
def _well_flags(text: str) -> tuple[str, ...]:
    """A well's flags from its ``;``-separated cell; cached because a run repeats a few
    combinations across its wells."""
    return tuple(f for f in text.split(";") if f and f != "nan")


@functools.lru_cache(maxsize=256)
def _flag_marks(flags: tuple[str, ...]) -> tuple[str, ...]:
    """The short marks of a well's own flags (saturated and masked are drawn, not written)."""
    return tuple(
        FLAG_MARKS.get(f, f[:4].upper()) for f in flags if f not in (SATURATED, MASKED_WELL)
    )


def _well_tip(
    rec: Mapping[str, Any],
    role: str,
    flags: tuple[str, ...],
    extra: set[str] | frozenset[str],
    od: float,
    od_raw: float,
) -> str:
    """A well's tooltip as plain text: well, role, sample, nominal, dilution, ODs,
    concentration, flags and marks, the ones it has."""
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
    return " · ".join(tip)
