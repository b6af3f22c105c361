"""Results of an automated analyser (e.g. NTX by electrochemiluminescence) into the store.

The file is CSV with a header `sample_id, result, unit, run_date[, flags]`; a result `<x` or `>x`
is censored below or above x. The unit must be the analyte's; the file's SHA-256 makes a second
import of the same file a no-op.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

from elisa.analytes import Analyte
from elisa.errors import ElisaError
from elisa.files.csv_read import read_table
from elisa.store.database import Store, utc_now
from elisa.units import conversion_factor

REQUIRED = ("sample_id", "result", "unit", "run_date")


@dataclass(frozen=True, kw_only=True)
class AnalyserResult:
    """One analyser result (value in the analyte's unit; censor '', '<' or '>')."""

    line: int
    sample_id: str
    value: float
    censor: str
    unit: str
    run_date: str
    flags: str


def parse_analyser_file(data: bytes, path: Path, analyte: Analyte) -> list[AnalyserResult]:
    """Every row checked: a one-line error names the file, line and what was expected."""
    header, table = read_table(data, path, "analyser results", lower_header=True)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ElisaError(
            f"line 1: the header needs the columns {', '.join(REQUIRED)} "
            f"(flags optional); missing {', '.join(missing)}",
            file=path,
        )
    rows = [_result(record, number, path, analyte) for number, record in table]
    if not rows:
        raise ElisaError("no results in the file", file=path)
    return rows


def _result(record: dict[str, str], line: int, path: Path, analyte: Analyte) -> AnalyserResult:
    where = f"line {line}"
    if not record["sample_id"]:
        raise ElisaError(f"{where}: the sample_id is empty", file=path)
    unit = record["unit"]
    if conversion_factor(unit, analyte.unit) != 1.0:
        raise ElisaError(
            f"{where}: unit {unit!r} differs from {analyte.name}'s unit {analyte.unit!r}", file=path
        )
    raw = record["result"].replace(" ", "")
    censor = raw[0] if raw[:1] in ("<", ">") else ""
    try:
        value = float(raw[len(censor) :].replace(",", "."))
    except ValueError:
        raise ElisaError(
            f"{where}: result {record['result']!r} is not a number, <x or >x", file=path
        ) from None
    if not math.isfinite(value) or value < 0:
        raise ElisaError(f"{where}: result {record['result']!r} must be a number ≥ 0", file=path)
    try:
        dt.date.fromisoformat(record["run_date"][:10])
    except ValueError:
        raise ElisaError(
            f"{where}: run_date {record['run_date']!r} is not an ISO 8601 date", file=path
        ) from None
    return AnalyserResult(
        line=line,
        sample_id=record["sample_id"],
        value=value,
        censor=censor,
        unit=unit,
        run_date=record["run_date"],
        flags=record.get("flags", ""),
    )


def import_analyser(store: Store, path: str | Path, analyte: Analyte) -> tuple[int, bool]:
    """Store an analyser file's results; returns (number of results, whether anything was added)."""
    path = Path(path)
    if not path.is_file():
        raise ElisaError("analyser results file not found", file=path)
    data = path.read_bytes()
    results = parse_analyser_file(data, path, analyte)
    with store.transaction():
        sha = store.put_blob(data, "analyser", str(path))
        known = store.conn.execute(
            "SELECT n_results FROM analyser_imports WHERE sha256 = ?", (sha,)
        ).fetchone()
        if known is not None:
            store.audit(
                "import-analyser: same file again, nothing added",
                {"file": str(path), "sha256": sha},
                analyte=analyte.name,
            )
            return known["n_results"], False
        store.conn.execute(
            "INSERT INTO analyser_imports (sha256, analyte, source_file, "
            "n_results, user, time_utc) VALUES (?, ?, ?, ?, ?, ?)",
            (sha, analyte.name, str(path), len(results), store.user, utc_now()),
        )
        store.conn.executemany(
            "INSERT INTO analyser_results (import_sha256, line, analyte, sample_id, value, "
            "censor, unit, run_date, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    sha,
                    r.line,
                    analyte.name,
                    r.sample_id,
                    r.value,
                    r.censor,
                    r.unit,
                    r.run_date,
                    r.flags,
                )
                for r in results
            ],
        )
        store.checkpoint("analyser_results")
        store.audit(
            "import-analyser",
            {"file": str(path), "sha256": sha, "results": len(results)},
            analyte=analyte.name,
        )
    return len(results), True
