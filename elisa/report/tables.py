"""The tables of report.html (see :mod:`elisa.report.plate_report`): samples and controls, standards, the
curve's parameters and facts, the re-assay list, and the cell formatting they share. Every cell is
HTML-escaped here; :func:`html_table` takes cells already escaped."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from elisa.missing import as_bool, as_float, is_missing
from elisa.report.figures import fmt
from elisa.report.rows import Rows, records
from elisa.report.values import (
    concentration_cell,
    interval_cell_within,
    percent,
    supported_range,
)
from qc import codes

__all__ = [
    "FLAGS",
    "REASSAY",
    "cell_text",
    "curve_table",
    "definition_list",
    "flag_spans",
    "html_table",
    "reassay_table",
    "samples_table",
    "short_number",
    "split_codes",
    "standards_table",
    "yes_no",
]

FLAGS = {
    codes.BELOW_BLANK: "corrected OD below the blank",
    codes.EXTRAPOLATED: "concentration outside the standards (extrapolated)",
    codes.HIGH_CV: "replicate CV too high",
    codes.MASKED_WELL: "well masked, left out of every calculation",
    codes.NO_SOLUTION: "OD beyond the curve's asymptote: no concentration",
    codes.SATURATED: "reader saturated (over range)",
    codes.SINGLE_WELL: "only one usable well",
}
REASSAY = {
    codes.SATURATED: "a well was saturated",
    codes.NO_SOLUTION: "OD beyond the curve: no concentration",
    codes.HIGH_CV: "replicates disagree (high CV)",
    "above": "above the ULOQ: dilute further",
    codes.REASSAY_PLATE_FAILED: "the plate failed: run the sample again",
}


def cell_text(value: Any) -> str:
    """User or table text, escaped; missing as empty."""
    if type(value) is str:  # the common cell, answered first
        return escape(value)
    if is_missing(value):
        return ""
    return escape(str(value))


def split_codes(value: Any) -> list[str]:
    if is_missing(value):
        return []
    return [c.strip() for c in str(value).split(";") if c.strip()]


def html_table(header: list[str], rows: list[tuple[str, list[str]]], numeric: set[int]) -> str:
    """An HTML table; each row is (css class, already-escaped cells)."""
    head = "".join(f"<th>{h}</th>" for h in header)
    width = max((len(cells) for _, cells in rows), default=0)
    opening = ['<td class="n">' if k in numeric else "<td>" for k in range(width)]
    body = "".join(
        f'<tr class="{cls}">'
        + "".join(f"{start}{c}</td>" for start, c in zip(opening, cells))
        + "</tr>"
        for cls, cells in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def definition_list(pairs: Iterable[tuple[str, str]]) -> str:
    """A key/value list; keys and values already escaped."""
    return '<dl class="kv">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in pairs) + "</dl>"


def short_number(value: Any) -> str:
    """Counts, levels and dilutions: shortest exact form (2, not 2.000)."""
    v = as_float(value)
    return f"{v:g}" if math.isfinite(v) else ""


def yes_no(value: Any) -> str:
    v = as_bool(value)
    return "" if v is None else "yes" if v else "no"


def flag_spans(value: Any) -> str:
    return "" if is_missing(value) else _flag_spans(str(value))


@functools.lru_cache(maxsize=256)
def _flag_spans(text: str) -> str:
    """`flag_spans` of a flags cell's text; cached because a run repeats a few combinations
    across its tens of thousands of rows."""
    return ", ".join(
        f'<span title="{escape(FLAGS.get(c, c))}">{escape(c)}</span>' for c in split_codes(text)
    )


def samples_table(samples: Rows, unit: str, curve: Mapping[str, Any] | None = None) -> str:
    """Samples and controls; outside the range as < LLOQ / > ULOQ with the number in small
    print; interval ends the curve cannot resolve as unbounded (:mod:`elisa.report.values`)."""
    if not len(samples):
        return '<p class="muted">No samples or controls on this plate.</p>'
    u = f" ({escape(unit)})" if unit else ""
    header = [
        "kind",
        "sample",
        "dilution",
        "wells",
        "OD mean",
        "OD CV %",
        f"conc{u}",
        "conc CV %",
        "95 % CI",
        "range",
        "reportable",
        "flags",
    ]
    supported = supported_range(curve)
    rows = []
    for r in records(samples):
        cls = "" if as_bool(r.get("reportable")) else "warn"
        rows.append(
            (
                cls,
                [
                    cell_text(r.get("kind")),
                    cell_text(r.get("sample_id")),
                    short_number(r.get("dilution")),
                    short_number(r.get("n_wells")),
                    fmt(r.get("od_mean")),
                    percent(r.get("od_cv_pct")),
                    concentration_cell(r),
                    percent(r.get("conc_cv_pct")),
                    interval_cell_within(r, supported),
                    cell_text(r.get("range")),
                    yes_no(r.get("reportable")),
                    flag_spans(r.get("flags")),
                ],
            )
        )
    return html_table(header, rows, {2, 3, 4, 5, 6, 7, 8})


def standards_table(standards: Rows) -> str:
    if not len(standards):
        return '<p class="muted">No standards on this plate.</p>'
    header = [
        "level",
        "nominal",
        "wells",
        "OD mean",
        "OD CV %",
        "back-fit",
        "recovery %",
        "anchor",
        "passed",
        "flags",
    ]
    rows = []
    for r in records(standards):
        anchor = as_bool(r.get("anchor")) is True
        passed = as_bool(r.get("passed"))
        cls = "bad" if (not anchor and passed is not True) else ""
        rows.append(
            (
                cls,
                [
                    short_number(r.get("level")),
                    fmt(r.get("nominal")),
                    short_number(r.get("n_wells")),
                    fmt(r.get("od_mean")),
                    percent(r.get("od_cv_pct")),
                    fmt(r.get("backfit")),
                    percent(r.get("recovery_pct")),
                    yes_no(r.get("anchor")),
                    "not judged" if anchor else yes_no(passed),
                    flag_spans(r.get("flags")),
                ],
            )
        )
    return html_table(header, rows, {0, 1, 2, 3, 4, 5, 6})


def curve_table(curve: dict) -> str:
    rows = []
    for p in "abcdg":
        rows.append(("", [p, fmt(curve.get(p), 6), fmt(curve.get(f"se_{p}"), 3)]))
    params = html_table(["parameter", "value", "SE"], rows, {1, 2})
    facts = [
        ("model", cell_text(curve.get("model"))),
        ("weighting", cell_text(curve.get("weighting"))),
        ("theta", fmt(curve.get("theta"))),
        ("R²", fmt(curve.get("r_squared"), 5)),
        ("RMSE", fmt(curve.get("rmse"))),
        ("LLOQ – ULOQ (in well)", _range(curve.get("lloq"), curve.get("uloq"))),
        ("precision profile range", _range(curve.get("lloq_profile"), curve.get("uloq_profile"))),
        ("converged", yes_no(curve.get("converged"))),
        ("message", cell_text(curve.get("message"))),
    ]
    kv = definition_list(facts)
    return (
        '<p class="muted">y = d + (a − d) / (1 + (x/c)<sup>b</sup>)<sup>g</sup></p>' + params + kv
    )


def _range(low: Any, high: Any) -> str:
    lo, hi = fmt(low), fmt(high)
    return f"{lo} – {hi}" if lo or hi else "not established"


def reassay_table(reassay: Rows) -> str:
    if not len(reassay):
        return '<p class="muted">Nothing to re-assay on this plate.</p>'
    rows = [
        (
            "",
            [
                cell_text(r.get("sample_id")),
                short_number(r.get("dilution")),
                f"<code>{cell_text(r.get('reason'))}</code> "
                f"{escape(REASSAY.get(str(r.get('reason')), ''))}",
                short_number(r.get("suggested_dilution")),
            ],
        )
        for r in records(reassay)
    ]
    return html_table(["sample", "dilution", "reason", "suggested dilution"], rows, {1, 3})
