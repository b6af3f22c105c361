"""Write a run's outputs. `elisa run` replaces its output folder as a whole (`elisa.files.swap`);
the other commands stage their files in a hidden folder and move them into place, provenance last.

A failure before the move leaves the previous outputs of the folder as they were.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from elisa.batch.progress import NO_PROGRESS, Progress
from elisa.batch.two_processes import in_two_processes
from elisa.column_text import shared_float_texts
from elisa.files.csv_write import table_csv
from elisa.files.swap import StagedFolder, check_output_folder, open_staged_folder
from elisa.files.xlsx_write import results_xlsx
from elisa.report.plate_report import PLATE_PAGE, ReportParts, report_files
from elisa.results import TABLE_COLUMNS, Results

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")

OUTPUT_FILES = tuple(f"{name}.csv" for name in TABLE_COLUMNS) + (
    "results.xlsx",
    "report.html",
    "provenance.json",
)
#: Runs of this many plates or more render their outputs in two processes (`render_outputs`).
TWO_PROCESSES_FROM = 50
#: What an output folder may hold besides OUTPUT_FILES: the per-plate report pages of a large
#: run (`elisa.report.plate_report.report_files`).
OUTPUT_PATTERNS = (*OUTPUT_FILES, PLATE_PAGE.replace("{:04d}", "[0-9]*"))


def render_outputs(
    results: Results,
    progress: Progress = NO_PROGRESS,
    report: Callable[[], ReportParts] | None = None,
) -> dict[str, bytes]:
    """Every output file's bytes, by file name (nothing touches the disk); ``progress`` counts
    the outputs rendered (the report's pages count as one).

    A run of TWO_PROCESSES_FROM plates or more renders the tables (CSVs, results.xlsx,
    provenance) in a forked process while this one renders the report (`elisa.batch.
    two_processes`): about half the time on two cores, the same bytes. ``report`` gives the
    `report_parts` of ``results`` when they are rendered elsewhere (`elisa.run` renders them
    while the store judges the statuses, which they do not show).
    """
    return _rendered(results, progress, report, lambda files: files)


def _rendered(
    results: Results,
    progress: Progress,
    report: Callable[[], ReportParts] | None,
    keep: Callable[[dict[str, bytes]], dict[str, T]],
) -> dict[str, T]:
    """`render_outputs`, each step's files handed to ``keep`` in the process that renders
    them; what ``keep`` returns, by file name, in the outputs' order."""
    tables: list[Callable[[], dict[str, bytes]]] = [
        partial(_csv_file, name, getattr(results, name)) for name in TABLE_COLUMNS
    ]
    tables.append(lambda: {"results.xlsx": results_xlsx(results)})
    tables.append(lambda: {"provenance.json": _provenance_json(results)})

    def report_pages() -> dict[str, bytes]:
        return report_files(results, None if report is None else report())

    with (
        shared_float_texts(),  # the CSVs and results.xlsx write the same floats
        progress.stage("writing outputs", len(tables) + 1, "output") as advance,
    ):
        pages, parts = in_two_processes(
            [partial(_kept, report_pages, keep)],
            [partial(_kept, step, keep) for step in tables],
            advance,
            fork=len(results.runs) >= TWO_PROCESSES_FROM,
        )
    files: dict[str, T] = {}
    for part in [*parts[:-1], *pages, parts[-1]]:  # the tables, the report, provenance last
        files.update(part)
    return files


def _kept(step: Callable[[], dict[str, bytes]], keep: Callable[[dict[str, bytes]], T]) -> T:
    return keep(step())


def _provenance_json(results: Results) -> bytes:
    text = json.dumps(results.provenance, indent=2, sort_keys=True, default=str, allow_nan=False)
    return (text + "\n").encode("utf-8")


def _csv_file(name: str, table: pd.DataFrame) -> dict[str, bytes]:
    return {f"{name}.csv": table_csv(table).encode("utf-8")}


def write_outputs(
    results: Results, out_dir: str | Path, progress: Progress = NO_PROGRESS
) -> list[Path]:
    """Replace ``out_dir`` by a folder of the nine outputs (`elisa.files.swap`); returns their
    paths. A failure before the swap leaves the folder as it was."""
    staged = stage_outputs(results, out_dir, progress)
    staged.put_in_place()
    return [Path(out_dir) / name for name in staged.names]


def stage_outputs(
    results: Results,
    out_dir: str | Path,
    progress: Progress = NO_PROGRESS,
    report: Callable[[], ReportParts] | None = None,
) -> StagedFolder:
    """The outputs of `render_outputs`, written beside ``out_dir`` ready to swap in. Each
    process that renders outputs writes and flushes them itself, as they are rendered: the
    tables' process writes the tables while this one renders the report."""
    staged = open_staged_folder(out_dir, OUTPUT_PATTERNS)
    try:
        written = _rendered(results, progress, report, lambda f: dict.fromkeys(staged.write(f)))
        staged.complete(list(written))
    except BaseException:
        staged.undo()
        raise
    return staged


def prepare_output_folder(out_dir: str | Path) -> Path:
    """Check the output folder can be replaced by the outputs (an error names the problem)."""
    return check_output_folder(out_dir, OUTPUT_PATTERNS)


def write_files(
    files: dict[str, bytes], out_dir: str | Path, last: str | None = None
) -> list[Path]:
    """Write ``files`` into a staging folder inside ``out_dir``, then move each into place,
    ``last`` at the end, so a failure before the move leaves the previous files as they were."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    try:
        for name, data in files.items():
            (staging / name).write_bytes(data)
        ordered = [n for n in files if n != last] + ([last] if last in files else [])
        for name in ordered:
            os.replace(staging / name, out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out / name for name in files]
