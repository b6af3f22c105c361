"""report.html for the technician (DESIGN 5.1): one self-contained page, or for a run of many
plates an index page linking to one page per plate.

Each plate's section (:mod:`elisa.report.plate_section`) shows the verdict with reasons and
warnings in words, the standard curve and the plate map as inline SVG, and the tables; the
provenance comes at the bottom. No network references, no scripts; user text is HTML-escaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

import pandas as pd

from elisa._version import __version__
from elisa.report.plate_section import (
    REASONS,
    WARNINGS,
    failed,
    section_body,
    section_head,
    verdict_badge,
)
from elisa.report.rows import frame_records, table_rows_by_plate
from elisa.report.tables import FLAGS, REASSAY, cell_text, definition_list, html_table, split_codes
from elisa.results import Results

__all__ = [
    "CSS",
    "FLAGS",
    "MAX_PLATES_ON_ONE_PAGE",
    "PLATE_PAGE",
    "REASONS",
    "REASSAY",
    "WARNINGS",
    "ReportParts",
    "render_report",
    "report_files",
    "report_parts",
]

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
 max-width:1200px;padding:1em 2em;color:#222;line-height:1.4}
h1{margin-bottom:.2em} h2{border-top:3px solid #ccc;padding-top:.8em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0 1.2em;font-size:.88em;display:block;
 max-width:100%;overflow-x:auto}
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
ul.codes li{margin:.15em 0}
dl.kv{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.1em 1em}
dl.kv dt{font-weight:bold} dl.kv dd{margin:0;min-width:0;overflow-wrap:anywhere}
"""


#: A run with more plates than this gets report.html as an index and one page per plate: one
#: page for 1,000 plates would be about 90 MB, more than a browser opens comfortably.
MAX_PLATES_ON_ONE_PAGE = 24
#: The per-plate pages of a larger run, numbered in the runs table's order (plate ids may
#: hold characters a file name cannot).
PLATE_PAGE = "plates/plate-{:04d}.html"
#: The end of every page.
_PAGE_END = "\n</body></html>\n"
#: A SHA-256 digest as provenance writes it, shown as code.
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class ReportParts:
    """Everything in the report that the runs' statuses leave as they are, as UTF-8: for each
    plate, in the runs table's order, the bytes before and after its section head
    (`section_head`, the only part that shows a status, which the store may judge again). For
    a paged report these are the plate's whole page; otherwise its section of the one page."""

    paged: bool
    around: list[tuple[bytes, bytes]]


def render_report(results: Results) -> str:
    """The whole report.html page for `results`, as text (every plate on it, whatever their
    number; `report_files` splits large runs)."""
    return report_files(results, report_parts(results, paged=False))["report.html"].decode()


def report_parts(results: Results, paged: bool | None = None) -> ReportParts:
    """The `ReportParts` of ``results`` (the same before and after `with_statuses`): the bulk
    of the report. ``paged`` defaults to more than MAX_PLATES_ON_ONE_PAGE plates."""
    records = frame_records(results.runs.reset_index(drop=True))
    paged = len(records) > MAX_PLATES_ON_ONE_PAGE if paged is None else paged
    tables = _PlateTables(results)
    provenance_of = _PlateProvenance(results.provenance or {})
    around = []
    for i, r in enumerate(records):
        plate_prov = provenance_of(r)
        body = section_body(tables.of_plate(r), r, i, plate_prov)
        if not paged:
            around.append((b"", ("\n" + body).encode()))
            continue
        title = f"ELISA report: {r.get('plate_id')} {r.get('analyte')}"
        provenance = "<h2>Provenance of this plate</h2>" + (
            _value_html(plate_prov) if plate_prov else '<p class="muted">None recorded.</p>'
        )
        before = _page_start(title) + _page_links(records, i) + "\n"
        around.append((before.encode(), ("\n" + body + "\n" + provenance + _PAGE_END).encode()))
    return ReportParts(paged, around)


def report_files(results: Results, parts: ReportParts | None = None) -> dict[str, bytes]:
    """report.html as UTF-8 by file name: one page, or (`ReportParts.paged`) an index linking
    to one page per plate (PLATE_PAGE), each with the plate's own provenance. ``parts``: the
    `report_parts` of ``results``, when already rendered (by another process, while the store
    judged the statuses)."""
    parts = report_parts(results) if parts is None else parts
    runs = results.runs.reset_index(drop=True)
    if len(parts.around) != len(runs):
        raise ValueError(f"report parts of {len(parts.around)} plates for {len(runs)} runs")
    sections = [
        before + section_head(r, i).encode() + after
        for i, (r, (before, after)) in enumerate(zip(frame_records(runs), parts.around))
    ]
    prov = results.provenance or {}
    body = _summary(runs, prov)
    if not parts.paged:
        if len(runs) > 1:
            body.append(_plate_index(runs, lambda i: f"#plate-{i}"))
        body += [section.decode() for section in sections]
        body.append(_provenance_section(prov))
        return {"report.html": _html("ELISA report", body).encode()}
    body.append(_plate_index(runs, lambda i: PLATE_PAGE.format(i + 1)))
    body.append(
        '<p class="muted">Each plate\'s page shows its curve, plate map, tables and its own '
        "provenance (source file, layout and settings).</p>"
    )
    body.append(_provenance_section({k: v for k, v in prov.items() if k != "plates"}))
    files = {"report.html": _html("ELISA report", body).encode()}
    files.update((PLATE_PAGE.format(i + 1), page) for i, page in enumerate(sections))
    return files


def _page_links(records: list[dict], i: int) -> str:
    """Links from plate page ``i`` to the index and to the previous and next plates' pages."""
    links = ['<a href="../report.html">All plates</a>']
    for label, j in (("previous", i - 1), ("next", i + 1)):
        if 0 <= j < len(records):
            target = PLATE_PAGE.format(j + 1).split("/", 1)[1]
            links.append(f'<a href="{target}">{label}: {cell_text(records[j].get("plate_id"))}</a>')
    return f"<p>Plate {i + 1} of {len(records)} · " + " · ".join(links) + "</p>"


def _page_start(title: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>" + CSS + "</style></head><body>\n"
    )


def _html(title: str, body: list[str]) -> str:
    return _page_start(title) + "\n".join(body) + _PAGE_END


def _summary(runs: pd.DataFrame, prov: dict) -> list[str]:
    n_fail = sum(failed(r) for r in frame_records(runs))
    return [
        "<h1>ELISA plate report</h1>",
        f'<p class="muted">{len(runs)} plate(s): {len(runs) - n_fail} passed, '
        f"{n_fail} failed or out of spec. Software version "
        f"{escape(str(prov.get('version', __version__)))}"
        + (f", processed {escape(str(prov['time']))}" if prov.get("time") else "")
        + ".</p>",
    ]


def _plate_index(runs: pd.DataFrame, href: Callable[[int], str]) -> str:
    """A table of the plates, each linked to its section or page."""
    rows = [
        "<h2>Plates</h2><table><tr><th>plate</th><th>analyte</th><th>verdict</th>"
        "<th>reasons</th></tr>"
    ]
    for i, r in enumerate(frame_records(runs)):
        rows.append(
            f'<tr class="{"bad" if failed(r) else ""}"><td><a href="{escape(href(i))}">'
            f"{cell_text(r.get('plate_id'))}</a></td>"
            f"<td>{cell_text(r.get('analyte'))}</td>"
            f"<td>{verdict_badge(r, small=True)}</td>"
            f"<td>{cell_text(', '.join(split_codes(r.get('reasons'))))}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


class _PlateTables:
    """The result tables split by plate once, as dicts (`elisa.report.rows`), so that each
    plate's section neither filters every table again nor calls pandas (a 1,000-plate run
    would filter a 96,000-row wells table 1,000 times). Tables with an ``analyte`` column are
    split by (plate, analyte)."""

    NAMES = ("samples", "standards", "curves", "wells", "reassay")

    def __init__(self, results: Results) -> None:
        tables = {name: getattr(results, name) for name in self.NAMES}
        self._by_analyte = {name: "analyte" in df.columns for name, df in tables.items()}
        self._groups = {name: table_rows_by_plate(df) for name, df in tables.items()}

    def of_plate(self, run: dict) -> dict[str, list[dict[str, Any]]]:
        """Each table's rows for the plate of ``run``, by table name."""
        rows = {}
        for name, groups in self._groups.items():
            key: Any = str(run.get("plate_id"))
            if self._by_analyte[name]:
                key = (key, str(run.get("analyte")))
            rows[name] = groups.get(key, [])
        return rows


class _PlateProvenance:
    """The provenance entry of each plate (the first one of its plate_id and analyte), looked
    up by a runs row; empty when there is none."""

    def __init__(self, prov: dict) -> None:
        self._entries: dict[tuple[Any, Any], dict] = {}
        for plate in prov.get("plates", []):
            self._entries.setdefault((plate.get("plate_id"), plate.get("analyte")), plate)

    def __call__(self, run: dict) -> dict:
        return self._entries.get((run.get("plate_id"), run.get("analyte")), {})


def _provenance_section(prov: dict) -> str:
    return "<h2>Provenance</h2>" + (
        _value_html(prov) if prov else '<p class="muted">No provenance recorded.</p>'
    )


def _value_html(value: Any, depth: int = 0) -> str:
    """Provenance of any shape as nested escaped HTML: dicts as key/value lists, lists of dicts
    as tables, the rest as text."""
    if depth > 6:
        return f"<code>{escape(json.dumps(value, default=str))}</code>"
    if isinstance(value, dict):
        if not value:
            return ""
        return definition_list(
            (escape(str(k)), _value_html(v, depth + 1)) for k, v in value.items()
        )
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, dict) for v in value):
            keys = list(dict.fromkeys(k for v in value for k in v))
            rows = [("", [_value_html(v.get(k), depth + 1) for k in keys]) for v in value]
            return html_table([escape(str(k)) for k in keys], rows, set())
        return ", ".join(_value_html(v, depth + 1) for v in value)
    if isinstance(value, str) and SHA256_HEX.fullmatch(value):
        return f"<code>{value}</code>"
    return cell_text(value)
