"""`elisa qc` as a library call: judge the stored runs and write the QC tables and report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from elisa.across_runs.tables import QCReport, Scope, build_qc_report
from elisa.config import Config, load_config
from elisa.errors import ElisaError
from elisa.files.csv_write import table_csv
from elisa.files.staging import write_files
from elisa.store.database import Store, using_store

QC_FILES = ("qc_runs.csv", "qc_controls.csv", "qc_rules.csv", "qc_sigma.csv", "qc_report.html")


def check_scope(scope: Scope) -> None:
    """Dates must be ISO 8601 (YYYY-MM-DD) and ``last`` at least 1 (named as the options)."""
    for option, value in (("--since", scope.since), ("--until", scope.until)):
        if value is not None:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise ElisaError(f"{option} {value!r}: expected a date as YYYY-MM-DD") from None
    if scope.last is not None and scope.last < 1:
        raise ElisaError(f"--last {scope.last}: expected a number of runs ≥ 1")


def qc_across_runs(
    db: Store | str | Path | None = None,
    scope: Scope | None = None,
    *,
    out: str | Path = "qc",
    config: Config | str | Path | None = None,
) -> QCReport:
    """Judge the stored runs in ``scope`` (default: all), inter-assay CV per analyte and
    control and Westgard rules on Levey-Jennings limits (each run's re-judged status stored and
    changes audited), and write qc_runs.csv, qc_controls.csv, qc_rules.csv, qc_sigma.csv and
    qc_report.html into ``out`` (what `elisa qc` does). ``db``: an open
    `Store` or an existing store's path (default ./elisa.sqlite). `QCReport.failed` says
    whether a run in scope is out of spec or an inter-assay CV failed."""
    from elisa.report.qc_report import render_qc_report  # matplotlib: loaded only when needed

    config = config if isinstance(config, Config) else load_config(config)
    scope = scope or Scope()
    check_scope(scope)
    with using_store(db) as store:
        report = build_qc_report(store, config, scope)
    files = {
        "qc_runs.csv": table_csv(report.runs).encode(),
        "qc_controls.csv": table_csv(report.controls).encode(),
        "qc_rules.csv": table_csv(report.rules).encode(),
        "qc_sigma.csv": table_csv(report.sigma).encode(),
        "qc_report.html": render_qc_report(report, scope).encode(),
    }
    write_files(files, out)
    return report
