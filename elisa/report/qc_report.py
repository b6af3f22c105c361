"""qc_report.html: Levey-Jennings charts with the rule set in use and its power (Pfr, Ped), sigma
metrics, the inter-assay table and every failed or out-of-spec run with its reasons and review
(issues 4 and 10). Self-contained: inline SVG and CSS, no scripts."""

from __future__ import annotations

import math
from html import escape
from typing import Any

import numpy as np

from elisa._version import __version__
from elisa.across_runs.series import AnalyteQC
from elisa.across_runs.tables import QCReport, Scope
from elisa.missing import is_missing
from elisa.report.figures import fmt
from elisa.report.plate_report import CSS
from elisa.report.qc_figures import lj_chart_svg, power_curves_svg


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
    if len(report.sigma):
        parts.append(
            "<h2>Sigma metrics</h2><p>sigma = (TEa − |bias|) / CV per control: TEa the "
            "analyte's allowable total error (<code>tea_pct</code>), bias of the baseline mean "
            "against the control's target and CV of the baseline, all in %; with the rules and "
            "controls per run the Westgard sigma rules recommend (empty until a baseline "
            "exists).</p>"
        )
        parts.append(_table(report.sigma))
    for outcome in report.analytes:
        parts.append(f"<h2>{escape(outcome.analyte.name)}: Levey-Jennings charts</h2>")
        parts.append(_rules_section(report, outcome, f"power{len(parts)}"))
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


def _rules_section(report: QCReport, outcome: AnalyteQC, prefix: str) -> str:
    """The rule set applied to this analyte, its Pfr and Ped, and its power curves."""
    rules = outcome.rule_set
    text = (
        f"<p>Rules applied ({len(outcome.charts)} control(s)): reject "
        f"<code>{escape(rules.label)}</code>; warn <code>{escape(rules.warning_label or '–')}"
        "</code> (<code>@run</code>: within a run across its controls; <code>@control</code>: "
        "along one control across runs; <code>@pooled</code>: across runs and controls).</p>"
    )
    power = report.powers.get(outcome.analyte.name)
    if power is None:
        return text
    rows = report.rules[report.rules["analyte"] == outcome.analyte.name]
    return (
        text + "<p>Power of these rules by simulation (probability that a run is rejected; Pfr "
        "without error, Ped with a shift or a larger SD in that run): "
        f"Pfr {power.pfr:.1%}, Ped for a 2 SD shift {power.ped_se[1]:.1%}, for a 3 SD shift "
        f"{power.ped_se[2]:.1%}.</p>"
        + _table(rows)
        + f"<div class='fig'>{power_curves_svg(power, prefix)}</div>"
    )


def _scope_text(scope: Scope) -> str:
    items = [f"{k} {v}" for k, v in vars(scope).items() if v is not None]
    return ", ".join(items) or "all runs"
