"""stats.html: one self-contained page with the tables and figures of `elisa stats`.

Box plots of every marker by group, a scatter plot with its least-squares line for every
correlation asked for, Table 1, the comparisons, post-hoc tests, correlations and the censoring
sensitivity, and the provenance. No scripts, no network references; every text is escaped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from html import escape
from typing import Any

import numpy as np
import pandas as pd

from elisa.stats.cohort_table import POLICIES
from elisa.stats.run import StatsResult
from elisa.stats.svg import box_plot, scatter_plot

CSS = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;
 color:#222;line-height:1.4}
h2{border-top:3px solid #ccc;padding-top:.8em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0 1.2em;font-size:.85em}
th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
th{background:#f0f0f0} td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.figs{display:flex;flex-wrap:wrap;gap:.6em} .figs figure{margin:0}
.wide{overflow-x:auto} .wide table{font-size:.74em} .muted{color:#666} .warn{background:#fff4dc;padding:.4em .8em} pre{font-size:.8em;
 background:#f7f7f7;padding:.8em;overflow-x:auto}
"""


def number(value: Any, digits: int = 4) -> str:
    """A number with ``digits`` significant digits; empty when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"{float(value):.{digits}g}"


def p_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return "< 0.0001" if float(value) < 1e-4 else f"{float(value):.3g}"


def p_relation(value: Any) -> str:
    """'= 0.012' or '< 0.0001', to follow a 'p'."""
    text = p_text(value)
    return text if text.startswith("<") else f"= {text}"


def html_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int, above: str = ""
) -> str:
    """A table of already formatted cells; columns from ``numeric_from`` on are right-aligned;
    ``above`` is an optional first header row (HTML)."""
    head = above + "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=n' if i >= numeric_from else ''}>{escape(cell)}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead>{'<tr>' if not above else ''}{head}</tr></thead><tbody>{body}</tbody></table>"


def table1_html(result: StatsResult) -> str:
    groups = result.design.groups
    above = (
        '<tr><th rowspan="2">variable</th>'
        + "".join(f'<th colspan="3">{escape(g)}</th>' for g in groups)
        + f'<th rowspan="2">&lt; LLOQ<br>({escape(", ".join(groups))})</th></tr><tr>'
    )
    header = ["n", "mean ± SD", "median [IQR]"] * len(groups)
    rows = []
    for variable, part in result.table1.groupby("variable", sort=False):
        cells = [variable]
        below = []
        for g in groups:
            r = part[part["group"] == g].iloc[0]
            cells.append(str(r["n"]))
            cells.append(f"{number(r['mean'])} ± {number(r['sd'])}" if r["n"] else "")
            cells.append(
                f"{number(r['median'])} [{number(r['q1'])}–{number(r['q3'])}]" if r["n"] else ""
            )
            below.append("" if r["n_below_lloq"] is None else str(r["n_below_lloq"]))
        cells.append(", ".join(below) if any(below) else "")
        rows.append(cells)
    return '<div class="wide">' + html_table(header, rows, 1, above) + "</div>"


def frame_html(frame: pd.DataFrame, p_columns: Sequence[str], numeric_from: int) -> str:
    rows = []
    for record in frame.to_dict("records"):
        rows.append(
            [
                p_text(v) if k in p_columns else v if isinstance(v, str) else number(v)
                for k, v in record.items()
            ]
        )
    return html_table(list(frame.columns), rows, numeric_from)


def box_plots(result: StatsResult) -> str:
    figures = []
    for analyte in result.cohort.analytes:
        values = result.values[analyte].to_numpy(dtype=float)
        labels = np.asarray(result.design.labels, dtype=object)
        samples = {g: values[(labels == g) & np.isfinite(values)] for g in result.design.groups}
        figures.append(
            f'<figure class="box" data-variable="{escape(analyte)}">'
            f"{box_plot(analyte, samples)}</figure>"
        )
    return '<div class="figs">' + "".join(figures) + "</div>"


def scatter_plots(result: StatsResult) -> str:
    figures = []
    corr = result.correlations
    unadjusted = corr[corr["adjusted_for"] == ""]
    subset = result.values.iloc[list(result.design.correlation_rows)]
    for x, y in result.design.pairs:
        rows = unadjusted[(unadjusted["x"] == x) & (unadjusted["y"] == y)]
        if rows.empty:
            continue
        by = {r["method"]: r for r in rows.to_dict("records")}
        used = subset[[x, y]].dropna()
        caption = (
            f"r = {number(by['pearson']['r'], 3)} (p {p_relation(by['pearson']['p'])}), "
            f"ρ = {number(by['spearman']['r'], 3)}, n = {by['pearson']['n']}"
        )
        svg = scatter_plot(
            f"{x} and {y}",
            used[y].to_numpy(dtype=float),
            used[x].to_numpy(dtype=float),
            y,
            x,
            caption,
        )
        figures.append(
            f'<figure class="scatter" data-x="{escape(x)}" data-y="{escape(y)}">{svg}</figure>'
        )
    return '<div class="figs">' + "".join(figures) + "</div>"


def sensitivity_html(result: StatsResult) -> str:
    frame = result.sensitivity
    header = ["variable", "test"] + [f"{p}: n, statistic, p" for p in POLICIES]
    rows = []
    for (variable, test), part in frame.groupby(["variable", "test"], sort=False):
        cells = [variable, test]
        for policy in POLICIES:
            hit = part[part["policy"] == policy]
            if hit.empty:
                cells.append("")
                continue
            r = hit.iloc[0]
            cells.append(f"{r['n']}, {number(r['statistic'])}, {p_text(r['p'])}")
        rows.append(cells)
    return html_table(header, rows, 2)


def render_html(result: StatsResult, provenance: dict) -> str:
    """The whole page as text."""
    options = result.design.options
    cohort = result.cohort
    groups = ", ".join(f"{escape(g)} (n = {n})" for g, n in result.design.sizes.items())
    within = escape(options.within) if options.within else "all subjects"
    warnings = "".join(f"<li>{escape(w)}</li>" for w in result.warnings)
    missing_groups = sum(1 for label in result.design.labels if not label)
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        f"<title>Study statistics: {escape(cohort.path.name)}</title><style>{CSS}</style>",
        "</head><body><h1>Study statistics</h1>",
        f"<p>Cohort table <code>{escape(cohort.path.name)}</code> (SHA-256 "
        f"<code>{cohort.sha256}</code>), {len(cohort.frame)} subjects"
        f"{f', {missing_groups} without a group' if missing_groups else ''}; grouped by "
        f"<code>{escape(options.group)}</code>: {groups}.</p>",
        f"<p>Values below the LLOQ: <b>{escape(options.below)}</b>. Post-hoc and correlation "
        f"p-values adjusted by <b>{escape(options.multiple)}</b>. Correlations within "
        f"<b>{within}</b>"
        f"{', partial ones adjusted for ' + escape(','.join(options.adjust)) if options.adjust else ''}"
        f". Created {escape(result.created_utc)}.</p>",
        f'<div class="warn"><b>Warnings</b><ul>{warnings}</ul></div>' if warnings else "",
        "<h2>Markers by group</h2>",
        box_plots(result),
        "<h2>Table 1</h2>",
        table1_html(result),
        "<h2>Group comparisons</h2>",
        frame_html(result.comparisons, ("p", "equal_var_p"), 2),
        "<h2>Post-hoc tests</h2>",
        '<p class="muted">Tukey and Games-Howell p-values are family-wise by construction; '
        f"Dunn p-values adjusted within each variable ({escape(options.multiple)}).</p>",
        frame_html(result.posthoc, ("p_adj",), 4),
        f"<h2>Correlations ({within})</h2>",
        scatter_plots(result),
        frame_html(result.correlations, ("p", "p_adj"), 5),
        "<h2>Censoring sensitivity</h2>",
        '<p class="muted">The group comparisons of each analyte under every policy for values '
        "below the LLOQ.</p>",
        sensitivity_html(result),
        "<h2>Provenance</h2>",
        f"<pre>{escape(json.dumps(provenance, indent=2, sort_keys=True))}</pre>",
        "</body></html>",
    ]
    return "\n".join(parts)
