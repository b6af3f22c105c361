"""qc_report.html: Levey-Jennings charts, the inter-assay table and every failed or out-of-spec
run with its reasons and review (issue 4). Self-contained: inline SVG and CSS, no scripts."""

from __future__ import annotations

import datetime as dt
import math
from html import escape
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from elisa._version import __version__
from elisa.across_runs.series import AnalyteQC, ControlChart
from elisa.across_runs.tables import QCReport, Scope
from elisa.missing import is_missing
from elisa.report.figures import figure_svg, fmt, plain_text
from elisa.report.plate_report import CSS

SD_LINES = (
    (0, "mean", "#222", "-"),
    (1, "±1 SD", "#9e9e9e", ":"),
    (2, "±2 SD", "#ef6c00", "--"),
    (3, "±3 SD", "#c62828", "-."),
)


def _dates(runs: list) -> list[dt.date]:
    out = []
    for r in runs:
        try:
            out.append(dt.date.fromisoformat(str(r.run_date)[:10]))
        except ValueError:
            out.append(None)
    return out


def lj_chart_svg(outcome: AnalyteQC, chart: ControlChart, prefix: str) -> str:
    """One control's results against its limits; reject rules marked red, 1-2s orange."""
    runs = outcome.runs
    dates = _dates(runs)
    use_dates = all(d is not None for d in dates)
    x = dates if use_dates else list(range(1, len(runs) + 1))
    fig = Figure(figsize=(9, 3.2))
    ax = fig.add_subplot()
    means = np.array([lim.mean if lim else np.nan for lim in chart.limits])
    sds = np.array([lim.sd if lim else np.nan for lim in chart.limits])
    for k, label, colour, style in SD_LINES:
        for sign in (1,) if k == 0 else (1, -1):
            ax.step(
                x,
                means + sign * k * sds,
                where="mid",
                color=colour,
                linestyle=style,
                linewidth=1,
                label=label if sign == 1 else None,
            )
    ax.plot(
        x, chart.run_means, "o-", color="#1565c0", markersize=4, linewidth=0.8, label="run mean"
    )
    for hit in outcome.hits:
        if chart.control in hit.controls:
            colour = "#c62828" if hit.reject else "#ef6c00"
            ax.plot(
                [x[hit.run]],
                [chart.run_means[hit.run]],
                "s",
                markersize=10,
                markerfacecolor="none",
                markeredgecolor=colour,
                markeredgewidth=2,
            )
            ax.annotate(
                hit.rule,
                (x[hit.run], chart.run_means[hit.run]),
                textcoords="offset points",
                xytext=(4, 8),
                fontsize=7,
                color=colour,
            )
    ax.set_ylabel(plain_text(f"conc ({outcome.analyte.unit})"))
    ax.set_xlabel("run date" if use_dates else "run")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if use_dates:
        fig.autofmt_xdate()
    return figure_svg(fig, prefix)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if is_missing(value) or (isinstance(value, float) and math.isinf(value)):
        return ""
    return escape(fmt(value) if isinstance(value, float) else str(value))


def _table(frame, bad=None) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in frame.columns)
    rows = []
    for record in frame.to_dict("records"):
        cls = ' class="bad"' if bad and bad(record) else ""
        rows.append(
            f"<tr{cls}>" + "".join(f"<td>{_cell(v)}</td>" for v in record.values()) + "</tr>"
        )
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def render_qc_report(report: QCReport, scope: Scope) -> str:
    """The whole page."""
    failed = report.runs[
        (report.runs["verdict"] != "pass") | report.runs["out_of_spec"].astype(bool)
    ]
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>QC across runs</title><style>{CSS}</style></head><body>",
        "<h1>QC across runs</h1>",
        f"<p class='muted'>elisa {escape(__version__)}; scope: "
        f"{escape(_scope_text(scope))}; {len(report.runs)} run(s)</p>",
        "<h2>Failed and out-of-spec runs</h2>",
    ]
    parts.append(_table(failed) if len(failed) else "<p>None in scope.</p>")
    parts.append(
        "<h2>Inter-assay precision</h2><p>One-way ANOVA over the runs that passed "
        "or were accepted (per-well control results after dilution): repeatability, "
        "between-run and total CV with its Satterthwaite df and 95 % CI; for "
        "comparison with publications, the CV of run means, the mean of per-run CVs "
        "and their RMS. <b>passed</b> = total CV ≤ the analyte's limit, judged from 5 "
        "runs on.</p>"
    )
    parts.append(_table(report.controls, bad=lambda r: r["passed"] is False))
    for outcome in report.analytes:
        parts.append(f"<h2>{escape(outcome.analyte.name)}: Levey-Jennings charts</h2>")
        for i, chart in enumerate(outcome.charts):
            sources = sorted(
                {
                    lim.source
                    if np.isfinite(lim.mean)
                    else "none yet (no expected value: Westgard starts with the 20-run baseline)"
                    for lim in chart.limits
                    if lim
                }
            )
            parts.append(
                f"<h3>{escape(chart.control)}</h3><p class='muted'>limits from: "
                f"{escape(', '.join(sources))}</p><div class='fig'>"
                f"{lj_chart_svg(outcome, chart, f'lj{len(parts)}-{i}')}</div>"
            )
    parts.append("<h2>All runs in scope</h2>")
    parts.append(_table(report.runs, bad=lambda r: r["verdict"] != "pass" or r["out_of_spec"]))
    parts.append("</body></html>")
    return "\n".join(parts)


def _scope_text(scope: Scope) -> str:
    items = [f"{k} {v}" for k, v in vars(scope).items() if v is not None]
    return ", ".join(items) or "all runs"
