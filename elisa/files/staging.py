"""Write a run's outputs. `elisa run` replaces its output folder as a whole (`elisa.files.swap`);
the other commands stage their files in a hidden folder and move them into place, provenance last.

A failure before the move leaves the previous outputs of the folder as they were.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from elisa.files.csv_write import table_csv
from elisa.files.swap import StagedFolder, check_output_folder, replace_folder, stage_folder
from elisa.files.xlsx_write import results_xlsx
from elisa.report.plate_report import PLATE_PAGE, render_report_pages
from elisa.results import TABLE_COLUMNS, Results

OUTPUT_FILES = tuple(f"{name}.csv" for name in TABLE_COLUMNS) + (
    "results.xlsx",
    "report.html",
    "provenance.json",
)
#: What an output folder may hold besides OUTPUT_FILES: the per-plate report pages of a large
#: run (`elisa.report.plate_report.render_report_pages`).
OUTPUT_PATTERNS = (*OUTPUT_FILES, PLATE_PAGE.replace("{:04d}", "[0-9]*"))


def render_outputs(results: Results) -> dict[str, bytes]:
    """Every output file's bytes, by file name (nothing touches the disk)."""
    files = {
        f"{name}.csv": table_csv(getattr(results, name)).encode("utf-8") for name in TABLE_COLUMNS
    }
    files["results.xlsx"] = results_xlsx(results)
    for name, page in render_report_pages(results).items():
        files[name] = page.encode("utf-8")
    files["provenance.json"] = (
        json.dumps(results.provenance, indent=2, sort_keys=True, default=str, allow_nan=False)
        + "\n"
    ).encode("utf-8")
    return files


def write_outputs(results: Results, out_dir: str | Path) -> list[Path]:
    """Replace ``out_dir`` by a folder of the nine outputs (`elisa.files.swap`); returns their
    paths."""
    files = render_outputs(results)  # render first: a failure here writes nothing at all
    return replace_folder(out_dir, files, OUTPUT_PATTERNS)


def stage_outputs(results: Results, out_dir: str | Path) -> StagedFolder:
    """Render the outputs and write them beside ``out_dir``, ready to swap in."""
    return stage_folder(out_dir, render_outputs(results), OUTPUT_PATTERNS)


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
