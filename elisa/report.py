"""report.html: one self-contained page for the technician (DESIGN 5.1).

Per plate: the verdict with reasons and warnings in words, the standard curve and the plate map
as inline SVG, the samples, standards, curve and re-assay tables; the provenance at the bottom.
No network references, no scripts; every user-supplied text is HTML-escaped.
"""

from __future__ import annotations

import json
import math
import re
from html import escape
from typing import Any

import pandas as pd

from elisa import __version__
from elisa.report_figures import (FLAG_MARKS, ROLE_COLOURS, curve_svg, fmt, num, plate_map_svg,
                                  truthy)
from elisa.results import Results

REASONS = {
    "fit_not_converged": "The standard curve fit did not converge.",
    "parameter_at_bound": "A curve parameter ended at its bound, so the fit cannot be trusted.",
    "range_not_established": "Fewer than two standard levels passed: no LLOQ–ULOQ range.",
    "standards_failed": "Too few standard levels recovered within limits "
                        "(needs at least 75 % of levels and at least 6 levels).",
    "controls_failed": "Controls outside their acceptance range "
                       "(needs 2/3 of all results and half of each control's results).",
    "intra_cv_fail": "The intra-assay CV is significantly above the analyte's limit.",
    "too_many_high_cv": "More than 10 % of the controls and samples have a high replicate CV.",
    "westgard_reject": "A Westgard reject rule fired on this run's controls.",
}
WARNINGS = {
    "intra_cv_above_limit": "The intra-assay CV is above the analyte's limit "
                            "(not significantly: the plate is not failed for it).",
    "controls_not_judged": "No control has an expected value or range: controls were not judged.",
    "westgard_warning": "Westgard 1-2s warning on this run's controls (gates nothing).",
    "intra_cv_not_assessable": "No replicate group has a CV: the intra-assay CV could not be "
                               "assessed.",
}
FLAGS = {
    "below_blank": "corrected OD below the blank",
    "extrapolated": "concentration outside the standards (extrapolated)",
    "high_cv": "replicate CV too high",
    "masked_well": "well masked, left out of every calculation",
    "no_solution": "OD beyond the curve's asymptote: no concentration",
    "saturated": "reader saturated (over range)",
    "single_well": "only one usable well",
}
REASSAY = {
    "saturated": "a well was saturated",
    "no_solution": "OD beyond the curve: no concentration",
    "high_cv": "replicates disagree (high CV)",
    "above": "above the ULOQ: dilute further",
}

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
 max-width:1200px;padding:1em 2em;color:#222;line-height:1.4}
h1{margin-bottom:.2em} h2{border-top:3px solid #ccc;padding-top:.8em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0 1.2em;font-size:.88em}
th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
th{background:#f0f0f0} td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.bad td{background:#fde8e8} tr.warn td{background:#fff4dc}
.verdict{display:inline-block;font-size:2em;font-weight:bold;padding:.15em .7em;
 border-radius:.3em;color:#fff;margin-right:.5em}
.pass{background:#2a8a3e} .fail{background:#c62828} .oos{background:#8e24aa}
.small{font-size:.8em;padding:.1em .4em} .muted{color:#666} code{font-size:.95em}
svg{max-width:100%;height:auto} .fig{margin:.5em 0 1em}
.legend span{display:inline-block;margin-right:1em} .sw{width:1em;height:1em;
 border:1px solid #888;vertical-align:middle;margin-right:.3em}
ul.codes li{margin:.15em 0} dl.kv{display:grid;grid-template-columns:max-content auto;gap:.1em 1em}
dl.kv dt{font-weight:bold} dl.kv dd{margin:0}
"""


def render_report(results: Results) -> str:
    """The whole report.html page for `results`, as text."""
    runs = results.runs.reset_index(drop=True)
    prov = results.provenance or {}
    body = ["<h1>ELISA plate report</h1>"]
    n_fail = sum(_failed(r) for r in runs.to_dict("records"))
    body.append(f'<p class="muted">{len(runs)} plate(s): {len(runs) - n_fail} passed, '
                f"{n_fail} failed or out of spec. Software version "
                f"{escape(str(prov.get('version', __version__)))}"
                + (f", processed {escape(str(prov['time']))}" if prov.get("time") else "")
                + ".</p>")
    if len(runs) > 1:
        body.append("<h2>Plates</h2><table><tr><th>plate</th><th>analyte</th><th>verdict</th>"
                    "<th>reasons</th></tr>")
        for i, r in enumerate(runs.to_dict("records")):
            body.append(f'<tr class="{"bad" if _failed(r) else ""}"><td><a href="#plate-{i}">'
                        f"{_t(r.get('plate_id'))}</a></td><td>{_t(r.get('analyte'))}</td>"
                        f"<td>{_verdict_badge(r, small=True)}</td>"
                        f"<td>{_t(', '.join(_codes(r.get('reasons'))))}</td></tr>")
        body.append("</table>")
    for i, r in enumerate(runs.to_dict("records")):
        body.append(_plate_section(results, r, i))
    body.append(_provenance_section(prov))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>ELISA report</title><style>" + CSS + "</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _t(value: Any) -> str:
    """User or table text, escaped; missing as empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return escape(str(value))


def _codes(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return [c.strip() for c in str(value).split(";") if c.strip()]


def _failed(run: dict) -> bool:
    return str(run.get("verdict")) != "pass" or truthy(run.get("out_of_spec")) is True


def _verdict_badge(run: dict, small: bool = False) -> str:
    cls = " small" if small else ""
    ok = str(run.get("verdict")) == "pass"
    out = f'<span class="verdict {"pass" if ok else "fail"}{cls}">{"PASS" if ok else "FAIL"}</span>'
    if truthy(run.get("out_of_spec")) is True:
        out += f'<span class="verdict oos{cls}">OUT OF SPEC</span>'
    return out


def _sel(df: pd.DataFrame, run: dict) -> pd.DataFrame:
    """Rows of `df` for the plate of `run` (and its analyte, where the table has one)."""
    mask = df["plate_id"].astype(str) == str(run.get("plate_id"))
    if "analyte" in df.columns and run.get("analyte") is not None:
        mask &= df["analyte"].astype(str) == str(run.get("analyte"))
    return df[mask]


def _code_list(codes: list[str], words: dict[str, str]) -> str:
    items = "".join(f"<li><code>{escape(c)}</code>: {escape(words.get(c, 'no description'))}</li>"
                    for c in codes)
    return f'<ul class="codes">{items}</ul>'


def _count(passed: Any, total: Any) -> str:
    p, t = num(passed), num(total)
    if not math.isfinite(t) or t == 0:
        return "not judged"
    return f"{int(p) if math.isfinite(p) else '?'} of {int(t)} passed"


def _plate_section(results: Results, run: dict, index: int) -> str:
    samples, standards = _sel(results.samples, run), _sel(results.standards, run)
    curves = _sel(results.curves, run)
    wells = results.wells[results.wells["plate_id"].astype(str) == str(run.get("plate_id"))]
    reassay = results.reassay[results.reassay["plate_id"].astype(str) == str(run.get("plate_id"))]
    curve = curves.iloc[0].to_dict() if len(curves) else None
    units = [u for u in samples["unit"].dropna().astype(str).unique() if u]
    unit = units[0] if units else ""
    out = [f'<section id="plate-{index}"><h2>Plate {_t(run.get("plate_id"))} · '
           f'{_t(run.get("analyte"))}</h2>', f"<p>{_verdict_badge(run)}</p>"]
    reasons, warnings = _codes(run.get("reasons")), _codes(run.get("warnings"))
    if reasons:
        out.append("<h3>Why it failed</h3>" + _code_list(reasons, REASONS))
    if warnings:
        out.append("<h3>Warnings</h3>" + _code_list(warnings, WARNINGS))
    if _codes(run.get("rules")):
        out.append(f"<p>Westgard rules fired: {_t(', '.join(_codes(run.get('rules'))))}</p>")
    cv, lim = num(run.get("intra_cv_pct")), num(run.get("intra_cv_limit_pct"))
    cv_txt = f"{fmt(cv, 3)} %" if math.isfinite(cv) else "not assessable"
    if math.isfinite(lim):
        cv_txt += f" (limit {fmt(lim, 3)} %" + (", above" if cv > lim else "") + ")"
    facts = [("Intra-assay CV", escape(cv_txt)),
             ("Standards", _count(run.get("standards_passed"), run.get("standards_total"))),
             ("Controls", _count(run.get("controls_passed"), run.get("controls_total"))),
             ("Run date", _t(run.get("run_date"))), ("Kit lot", _t(run.get("lot"))),
             ("Source file", _t(run.get("source_file"))),
             ("SHA-256", f"<code>{_t(run.get('source_sha256'))}</code>")]
    out.append('<dl class="kv">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
               + "</dl>")
    out.append("<h3>Standard curve</h3>")
    if curve is not None and truthy(curve.get("converged")) is not True:
        out.append("<p><strong>The fit did not converge</strong>: "
                   f"{_t(curve.get('message'))}</p>")
    out.append('<div class="fig">' + curve_svg(curve, standards, samples, unit,
                                               prefix=f"p{index}-curve") + "</div>")
    if curve is not None:
        out.append(_curve_table(curve))
    out.append("<h3>Plate map</h3>")
    out.append('<div class="fig">' + plate_map_svg(wells, prefix=f"p{index}-map") + "</div>")
    out.append(_map_legend())
    out.append("<h3>Samples and controls</h3>" + _samples_table(samples, unit))
    out.append("<h3>Standards</h3>" + _standards_table(standards))
    out.append("<h3>Re-assay list</h3>" + _reassay_table(reassay))
    out.append("</section>")
    return "\n".join(out)


def _table(header: list[str], rows: list[tuple[str, list[str]]], numeric: set[int]) -> str:
    """An HTML table; each row is (css class, already-escaped cells)."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join(f'<tr class="{cls}">' + "".join(
        f'<td class="n">{c}</td>' if k in numeric else f"<td>{c}</td>" for k, c in enumerate(cells))
        + "</tr>" for cls, cells in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _g(value: Any) -> str:
    """Counts, levels and dilutions: shortest exact form (2, not 2.000)."""
    v = num(value)
    return f"{v:g}" if math.isfinite(v) else ""


def _yn(value: Any) -> str:
    v = truthy(value)
    return "" if v is None else "yes" if v else "no"


def _flags(value: Any) -> str:
    return ", ".join(f'<span title="{escape(FLAGS.get(c, c))}">{escape(c)}</span>'
                     for c in _codes(value))


def _samples_table(samples: pd.DataFrame, unit: str) -> str:
    if not len(samples):
        return "<p class=\"muted\">No samples or controls on this plate.</p>"
    u = f" ({escape(unit)})" if unit else ""
    header = ["kind", "sample", "dilution", "wells", "OD mean", "OD CV %", f"conc{u}",
              "conc CV %", "95 % CI", "range", "reportable", "flags"]
    rows = []
    for r in samples.to_dict("records"):
        lo, hi = fmt(r.get("conc_ci_low")), fmt(r.get("conc_ci_high"))
        ci = f"{lo} – {hi}" if lo and hi else ""
        cls = "" if truthy(r.get("reportable")) else "warn"
        rows.append((cls, [_t(r.get("kind")), _t(r.get("sample_id")), _g(r.get("dilution")),
                           _g(r.get("n_wells")), fmt(r.get("od_mean")), fmt(r.get("od_cv_pct"), 3),
                           fmt(r.get("conc")), fmt(r.get("conc_cv_pct"), 3), ci, _t(r.get("range")),
                           _yn(r.get("reportable")), _flags(r.get("flags"))]))
    return _table(header, rows, {2, 3, 4, 5, 6, 7, 8})


def _standards_table(standards: pd.DataFrame) -> str:
    if not len(standards):
        return "<p class=\"muted\">No standards on this plate.</p>"
    header = ["level", "nominal", "wells", "OD mean", "OD CV %", "back-fit", "recovery %",
              "anchor", "passed", "flags"]
    rows = []
    for r in standards.to_dict("records"):
        anchor = truthy(r.get("anchor")) is True
        passed = truthy(r.get("passed"))
        cls = "bad" if (not anchor and passed is not True) else ""
        rows.append((cls, [_g(r.get("level")), fmt(r.get("nominal")), _g(r.get("n_wells")),
                           fmt(r.get("od_mean")), fmt(r.get("od_cv_pct"), 3), fmt(r.get("backfit")),
                           fmt(r.get("recovery_pct")), _yn(r.get("anchor")),
                           "not judged" if anchor else _yn(passed), _flags(r.get("flags"))]))
    return _table(header, rows, {0, 1, 2, 3, 4, 5, 6})


def _curve_table(curve: dict) -> str:
    rows = []
    for p in "abcdg":
        rows.append(("", [p, fmt(curve.get(p), 6), fmt(curve.get(f"se_{p}"), 3)]))
    params = _table(["parameter", "value", "SE"], rows, {1, 2})
    facts = [("model", _t(curve.get("model"))), ("weighting", _t(curve.get("weighting"))),
             ("theta", fmt(curve.get("theta"))), ("R²", fmt(curve.get("r_squared"), 5)),
             ("RMSE", fmt(curve.get("rmse"))),
             ("LLOQ – ULOQ (in well)", _range(curve.get("lloq"), curve.get("uloq"))),
             ("precision profile range",
              _range(curve.get("lloq_profile"), curve.get("uloq_profile"))),
             ("converged", _yn(curve.get("converged"))), ("message", _t(curve.get("message")))]
    kv = '<dl class="kv">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>"
    return ('<p class="muted">y = d + (a − d) / (1 + (x/c)<sup>b</sup>)<sup>g</sup></p>'
            + params + kv)


def _range(low: Any, high: Any) -> str:
    lo, hi = fmt(low), fmt(high)
    return f"{lo} – {hi}" if lo or hi else "not established"


def _reassay_table(reassay: pd.DataFrame) -> str:
    if not len(reassay):
        return '<p class="muted">Nothing to re-assay on this plate.</p>'
    rows = [("", [_t(r.get("sample_id")), _g(r.get("dilution")),
                  f"<code>{_t(r.get('reason'))}</code> "
                  f"{escape(REASSAY.get(str(r.get('reason')), ''))}",
                  _g(r.get("suggested_dilution"))]) for r in reassay.to_dict("records")]
    return _table(["sample", "dilution", "reason", "suggested dilution"], rows, {1, 3})


def _map_legend() -> str:
    roles = "".join(f'<span><span class="sw" style="background:{c};display:inline-block"></span>'
                    f"{r}</span>" for r, c in ROLE_COLOURS.items())
    marks = "; ".join(f"<b>{escape(m)}</b> {escape(FLAGS.get(f, f))}" for f, m in FLAG_MARKS.items()
                      if f not in ("saturated", "masked_well"))
    return (f'<p class="legend">{roles}</p><p class="muted">Numbers: corrected OD. '
            "Red outline and OVER: saturated. Crossed out: masked. Orange corner: high CV. "
            f"{marks}. Hover a well for its details.</p>")


def _provenance_section(prov: dict) -> str:
    return ("<h2>Provenance</h2>" + (_value_html(prov) if prov
                                     else '<p class="muted">No provenance recorded.</p>'))


def _value_html(value: Any, depth: int = 0) -> str:
    """Provenance of any shape as nested escaped HTML: dicts as key/value lists, lists of dicts
    as tables, the rest as text."""
    if depth > 6:
        return f"<code>{escape(json.dumps(value, default=str))}</code>"
    if isinstance(value, dict):
        if not value:
            return ""
        return '<dl class="kv">' + "".join(
            f"<dt>{escape(str(k))}</dt><dd>{_value_html(v, depth + 1)}</dd>"
            for k, v in value.items()) + "</dl>"
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, dict) for v in value):
            keys = list(dict.fromkeys(k for v in value for k in v))
            rows = [("", [_value_html(v.get(k), depth + 1) for k in keys]) for v in value]
            return _table([escape(str(k)) for k in keys], rows, set())
        return ", ".join(_value_html(v, depth + 1) for v in value)
    if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value):
        return f"<code>{value}</code>"
    return _t(value)
