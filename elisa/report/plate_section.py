"""One plate's section of the report: the verdict with reasons and warnings in words, the facts
(CV, standards, controls, date, unit, lot, source), the standard curve
(:mod:`elisa.report.curve_figure`) and plate map (:mod:`elisa.report.figures`) as inline SVG,
and the samples, standards, curve and re-assay tables. User text is HTML-escaped."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from elisa.missing import as_bool, as_float, is_missing
from elisa.report.curve_figure import curve_svg
from elisa.report.figures import FLAG_MARKS, ROLE_COLOURS, fmt, plate_map_svg
from elisa.report.marks import well_marks
from elisa.report.rows import Rows, records
from elisa.report.tables import (
    FLAGS,
    cell_text,
    curve_table,
    definition_list,
    reassay_table,
    samples_table,
    split_codes,
    standards_table,
)
from elisa.units import factor_text
from qc import codes

__all__ = [
    "REASONS",
    "WARNINGS",
    "failed",
    "section_body",
    "section_head",
    "verdict_badge",
]

REASONS = {
    codes.FIT_NOT_CONVERGED: "The standard curve fit did not converge.",
    codes.PARAMETER_AT_BOUND: "A curve parameter ended at its bound, so the fit cannot be trusted.",
    codes.RANGE_NOT_ESTABLISHED: "Fewer than two standard levels passed: no LLOQ–ULOQ range.",
    codes.STANDARDS_FAILED: "Too few standard levels recovered within limits "
    "(needs at least 75 % of levels and at least 6 levels).",
    codes.CONTROLS_FAILED: "Controls outside their acceptance range "
    "(needs 2/3 of all results and half of each control's results).",
    codes.INTRA_CV_FAIL: "The intra-assay CV is significantly above the analyte's limit.",
    codes.TOO_MANY_HIGH_CV: "More than 10 % of the controls and samples have a high replicate CV.",
    codes.WESTGARD_REJECT: "Out of spec across runs: a Westgard reject rule fired on this run's "
    "controls and no reviewer accepted the run, or a reviewer rejected it.",
}
WARNINGS = {
    codes.INTRA_CV_ABOVE_LIMIT: "The intra-assay CV is above the analyte's limit "
    "(not significantly: the plate is not failed for it).",
    codes.CONTROLS_NOT_JUDGED: "No control has an expected value or range: controls were not judged.",
    codes.WESTGARD_WARNING: "A Westgard warning rule (e.g. 1-2s) fired on this run's controls "
    "(gates nothing).",
    codes.INTRA_CV_NOT_ASSESSABLE: "No replicate group has a CV: the intra-assay CV could not be "
    "assessed.",
    codes.TOP_NOT_REACHED: "The highest standard lies below the curve's half-response: the upper "
    "plateau is extrapolated (see uloq_profile for the precision at the top).",
}
#: intra_cv_above_limit on a plate that also failed intra_cv_fail: never contradict the verdict.
ABOVE_LIMIT_AND_FAILED = (
    "The intra-assay CV is above the analyte's limit, significantly so: the plate failed for it "
    "(intra_cv_fail)."
)


def failed(run: dict) -> bool:
    return str(run.get("verdict")) != "pass" or as_bool(run.get("out_of_spec")) is True


def verdict_badge(run: dict, small: bool = False) -> str:
    cls = " small" if small else ""
    ok = str(run.get("verdict")) == "pass"
    out = f'<span class="verdict {"pass" if ok else "fail"}{cls}">{"PASS" if ok else "FAIL"}</span>'
    if as_bool(run.get("out_of_spec")) is True:
        out += f'<span class="verdict oos{cls}">OUT OF SPEC</span>'
    return out


def _code_list(listed: list[str], words: dict[str, str], reasons: list[str] | None = None) -> str:
    """Codes with their words; a warning's words take the plate's fail codes into account."""

    def text(code: str) -> str:
        if code == codes.INTRA_CV_ABOVE_LIMIT and codes.INTRA_CV_FAIL in (reasons or []):
            return ABOVE_LIMIT_AND_FAILED
        return words.get(code, "no description")

    items = "".join(f"<li><code>{escape(c)}</code>: {escape(text(c))}</li>" for c in listed)
    return f'<ul class="codes">{items}</ul>'


def _count(passed: Any, total: Any) -> str:
    p, t = as_float(passed), as_float(total)
    if not math.isfinite(t) or t == 0:
        return "not judged"
    return f"{int(p) if math.isfinite(p) else '?'} of {int(t)} passed"


def section_head(run: dict, index: int) -> str:
    """The section's heading and verdict: the only part that shows the run's status columns
    (verdict, reasons, warnings, out_of_spec, rules), which the store may judge again."""
    out = [
        f'<section id="plate-{index}"><h2>Plate {cell_text(run.get("plate_id"))} · '
        f"{cell_text(run.get('analyte'))}</h2>",
        f"<p>{verdict_badge(run)}</p>",
    ]
    reasons, warnings = split_codes(run.get("reasons")), split_codes(run.get("warnings"))
    if reasons:
        out.append("<h3>Why it failed</h3>" + _code_list(reasons, REASONS))
    if warnings:
        out.append("<h3>Warnings</h3>" + _code_list(warnings, WARNINGS, reasons))
    rules = ", ".join(split_codes(run.get("rules")))
    if rules:
        out.append(f"<p>Westgard rules fired: {cell_text(rules)}</p>")
    return "\n".join(out)


def section_body(rows: Mapping[str, Rows], run: dict, index: int, plate_prov: dict) -> str:
    """The rest of the section (facts, curve, plate map, tables): it reads none of the run's
    status columns, so a large run renders it while the store judges them (`elisa.run`)."""
    samples, standards = records(rows["samples"]), records(rows["standards"])
    curves, wells, reassay = records(rows["curves"]), records(rows["wells"]), rows["reassay"]
    curve = dict(curves[0]) if len(curves) else None
    unit = _samples_unit(samples) or str(plate_prov.get("unit") or "")
    cv, lim = as_float(run.get("intra_cv_pct")), as_float(run.get("intra_cv_limit_pct"))
    cv_txt = f"{fmt(cv, 3)} %" if math.isfinite(cv) else "not assessable"
    if math.isfinite(lim):
        cv_txt += f" (limit {fmt(lim, 3)} %" + (", above" if cv > lim else "") + ")"
    facts = [
        ("Intra-assay CV", escape(cv_txt)),
        ("Standards", _count(run.get("standards_passed"), run.get("standards_total"))),
        ("Controls", _count(run.get("controls_passed"), run.get("controls_total"))),
        ("Run date", _run_date(run, plate_prov)),
        ("Unit of results", _unit(unit, plate_prov)),
        ("Kit lot", cell_text(run.get("lot"))),
        ("Source file", cell_text(run.get("source_file"))),
        ("SHA-256", f"<code>{cell_text(run.get('source_sha256'))}</code>"),
    ]
    out = [definition_list(facts)]
    out.append("<h3>Standard curve</h3>")
    if curve is not None and as_bool(curve.get("converged")) is not True:
        out.append(
            f"<p><strong>The fit did not converge</strong>: {cell_text(curve.get('message'))}</p>"
        )
    out.append(
        '<div class="fig">'
        + curve_svg(curve, standards, samples, unit, prefix=f"p{index}-curve")
        + "</div>"
    )
    if curve is not None:
        out.append(curve_table(curve))
    out.append("<h3>Plate map</h3>")
    marks = well_marks(wells, samples, standards, plate_prov.get("failed_control_wells") or ())
    out.append(
        '<div class="fig">' + plate_map_svg(wells, prefix=f"p{index}-map", marks=marks) + "</div>"
    )
    out.append(_map_legend())
    out.append("<h3>Samples and controls</h3>" + samples_table(samples, unit, curve))
    out.append("<h3>Standards</h3>" + standards_table(standards))
    out.append("<h3>Re-assay list</h3>" + reassay_table(reassay))
    out.append("</section>")
    return "\n".join(out)


def _samples_unit(samples: Sequence[Mapping[str, Any]]) -> str:
    """The first unit the samples give (empty when none does)."""
    units = (str(r.get("unit")) for r in samples if not is_missing(r.get("unit")))
    return next((u for u in units if u), "")


def _run_date(run: dict, plate_prov: dict) -> str:
    source = plate_prov.get("run_date_source")
    date = cell_text(run.get("run_date"))
    return f'{date} <span class="muted">(from the {escape(source)})</span>' if source else date


def _unit(unit: str, plate_prov: dict) -> str:
    """The results' unit, and the conversion of the layout's concentrations if there was one."""
    conversion = plate_prov.get("unit_conversion")
    text = escape(unit) if unit else "not stated"
    if conversion:
        text += (
            f' <strong class="unit-conversion">(the layout\'s concentrations were in '
            f"{escape(str(conversion['from_unit']))}, converted ×{factor_text(conversion['factor'])} to "
            f"{escape(str(conversion['to_unit']))})</strong>"
        )
    return text


@functools.cache
def _map_legend() -> str:
    """The plate map's legend (the same under every plate's map: built once)."""
    roles = "".join(
        f'<span><span class="sw" style="background:{c};display:inline-block"></span>{r}</span>'
        for r, c in ROLE_COLOURS.items()
    )
    marks = "; ".join(
        f"<b>{escape(m)}</b> {escape(FLAGS.get(f, f))}"
        for f, m in FLAG_MARKS.items()
        if f not in (codes.SATURATED, codes.MASKED_WELL)
    )
    return (
        f'<p class="legend">{roles}</p><p class="muted">Numbers: corrected OD. '
        "Red outline and OVER: saturated. Crossed out: masked. Orange corner and CV: "
        "replicate group with a high CV. Red corner and FAIL: failed standard level or failed "
        "control result. "
        f"{marks}. Hover a well for its details.</p>"
    )
