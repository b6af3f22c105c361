"""Write the cohort table as CSV, Parquet, xlsx (with a description sheet) or SPSS .sav, with
FILE.provenance.json and FILE.reassay.csv beside it; all staged, then moved into place."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from elisa.cohort.build import STATUSES, Cohort
from elisa.errors import ElisaError
from elisa.files.csv_write import table_csv
from elisa.files.staging import write_files

FORMATS = {".csv": "csv", ".parquet": "parquet", ".xlsx": "xlsx", ".sav": "sav"}
STATUS_LABELS = {i + 1: s for i, s in enumerate(STATUSES)}
SUFFIX_TEXT = {
    "": "accepted serum value",
    "_status": "status: " + ", ".join(STATUSES),
    "_limit": "censoring limit (LLOQ × dilution for below, ULOQ × dilution for above)",
    "_n": "number of results behind the value",
    "_plates": "plates (or analyser files) of those results, ';'-joined",
}


def spss_name(column: str) -> str:
    """A variable name SPSS accepts: letters, digits and _, starting with a letter, ≤ 64."""
    name = re.sub(r"[^0-9A-Za-z_]", "_", column)
    if not name or not name[0].isalpha():
        name = "v_" + name
    return name[:64]


def output_format(path: Path) -> str:
    """The format named by the file's extension; an unknown one is an error."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ElisaError(
            f"unknown output format {path.suffix!r}: use .csv, .parquet, .xlsx or .sav", file=path
        )
    return fmt


def describe(
    cohort: Cohort,
    analytes: Sequence[tuple[str, str]],
    clinical_columns: Sequence[str],
    rules: dict,
) -> pd.DataFrame:
    """One row per column: name, SPSS name, unit, description (the xlsx second sheet)."""
    rows = [
        {
            "column": c,
            "spss_name": spss_name(c),
            "unit": "",
            "description": "from the clinical table",
        }
        for c in clinical_columns
    ]
    for analyte, unit in analytes:
        for suffix, text in SUFFIX_TEXT.items():
            rows.append(
                {
                    "column": f"{analyte}{suffix}",
                    "spss_name": spss_name(analyte + suffix),
                    "unit": unit if suffix in ("", "_limit") else "",
                    "description": f"{analyte}: {text}",
                }
            )
    rows.append(
        {
            "column": "(rules)",
            "spss_name": "",
            "unit": "",
            "description": json.dumps(rules, sort_keys=True),
        }
    )
    return pd.DataFrame(rows)


def _typed(table: pd.DataFrame, analytes: Sequence[str]) -> pd.DataFrame:
    """Numbers as floats/ints for binary formats (CSV keeps the object table as it is): the
    analyte columns, and clinical columns whose every non-empty cell is a number."""
    typed = table.copy()
    own = {
        f"{a}{suffix}" for a in analytes for suffix in ("", "_status", "_limit", "_n", "_plates")
    }
    for column in typed.columns:
        if column in own or column == "subject_id":
            continue
        cells = typed[column].replace("", None)
        numbers = pd.to_numeric(cells, errors="coerce")
        if cells.notna().any() and numbers.notna().sum() == cells.notna().sum():
            typed[column] = numbers.astype(float)
    for analyte in analytes:
        for suffix in ("", "_limit"):
            typed[analyte + suffix] = pd.to_numeric(typed[analyte + suffix]).astype(float)
        typed[analyte + "_n"] = typed[analyte + "_n"].astype(int)
    return typed


def render_cohort(
    cohort: Cohort,
    path: Path,
    analytes: Sequence[tuple[str, str]],
    clinical_columns: Sequence[str],
    rules: dict,
    provenance: dict,
) -> dict[str, bytes]:
    """Every file's bytes by name: the table, FILE.reassay.csv, FILE.provenance.json."""
    fmt = output_format(path)
    names = [a for a, _ in analytes]
    files: dict[str, bytes] = {}
    if fmt == "csv":
        files[path.name] = table_csv(cohort.table).encode("utf-8")
    elif fmt == "parquet":
        buffer = io.BytesIO()
        _typed(cohort.table, names).to_parquet(buffer, index=False)
        files[path.name] = buffer.getvalue()
    elif fmt == "xlsx":
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            _typed(cohort.table, names).to_excel(writer, sheet_name="cohort", index=False)
            describe(cohort, analytes, clinical_columns, rules).to_excel(
                writer, sheet_name="description", index=False
            )
        files[path.name] = buffer.getvalue()
    else:
        files[path.name] = _sav_bytes(cohort, names, path)
    files[f"{path.name}.reassay.csv"] = table_csv(cohort.reassay).encode("utf-8")
    files[f"{path.name}.provenance.json"] = (
        json.dumps(provenance, indent=2, sort_keys=True, default=str) + "\n"
    ).encode("utf-8")
    return files


def _sav_bytes(cohort: Cohort, analytes: Sequence[str], path: Path) -> bytes:
    import tempfile

    import pyreadstat

    typed = _typed(cohort.table, analytes)
    renamed = {c: spss_name(c) for c in typed.columns}
    if len(set(renamed.values())) != len(renamed):
        raise ElisaError("two columns share one SPSS name; rename a clinical column", file=path)
    frame = typed.rename(columns=renamed)
    codes = {v: k for k, v in STATUS_LABELS.items()}
    for analyte in analytes:
        column = spss_name(f"{analyte}_status")
        frame[column] = frame[column].map(codes).astype(int)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "cohort.sav"
        pyreadstat.write_sav(
            frame,
            target,
            column_labels={renamed[c]: c for c in typed.columns},
            variable_value_labels={spss_name(f"{a}_status"): STATUS_LABELS for a in analytes},
        )
        return target.read_bytes()


def write_cohort(files: dict[str, bytes], path: Path) -> None:
    """Move the rendered files into place together, provenance last."""
    write_files(files, path.parent, last=f"{path.name}.provenance.json")
