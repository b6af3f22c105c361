"""The plate report's and QC report's figures and tables, as HTML pieces for the app's pages
(the same SVG and tables as report.html and qc_report.html; nothing drawn twice)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from elisa.across_runs.tables import Scope, build_qc_report
from elisa.config import Config
from elisa.report.curve_figure import curve_svg
from elisa.report.figures import plate_map_svg
from elisa.report.plate_report import REASONS, WARNINGS
from elisa.report.tables import curve_table, reassay_table, samples_table, standards_table
from elisa.serve.plate_data import PlateView, codes
from elisa.store.database import Store


def plate_sections(view: PlateView) -> dict[str, Any]:
    """Curve and plate map SVG, the tables, and reasons and warnings in words."""
    r = view.results
    units = [u for u in r.samples["unit"].dropna().astype(str).unique() if u]
    unit = units[0] if units else ""
    curve = r.curves.iloc[0].to_dict() if len(r.curves) else None
    return {
        "curve_svg": curve_svg(curve, r.standards, r.samples, unit, prefix="curve"),
        "map_svg": plate_map_svg(r.wells, prefix="platemap"),
        "curve_table": curve_table(curve) if curve is not None else "",
        "samples_table": samples_table(r.samples, unit),
        "standards_table": standards_table(r.standards),
        "reassay_table": reassay_table(r.reassay),
        "reasons": [(c, REASONS.get(c, "")) for c in codes(view.run.get("reasons"))],
        "warnings": [(c, WARNINGS.get(c, "")) for c in codes(view.run.get("warnings"))],
        "rules": codes(view.run.get("rules")),
    }


def qc_sections(store: Store, config: Config, analyte: str) -> dict[str, Any]:
    """One analyte's Levey-Jennings charts (rules marked), inter-assay CVs and runs."""
    from elisa.report.qc_report import lj_chart_svg  # matplotlib: loaded only when needed

    report = build_qc_report(store, config, Scope(analyte=analyte))
    charts = [
        (chart.control, lj_chart_svg(outcome, chart, f"lj{i}-{j}"))
        for i, outcome in enumerate(report.analytes)
        for j, chart in enumerate(outcome.charts)
    ]
    return {
        "charts": charts,
        "controls": _records(report.controls),
        "runs": _records(report.runs),
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]
