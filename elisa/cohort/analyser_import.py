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
from elisa.config import Config, load_config
from elisa.errors import ElisaError
from elisa.files.csv_read import read_table
from elisa.store.analyser import AnalyserResult, store_analyser_results
from elisa.store.database import Store, open_store
from elisa.units import conversion_factor

__all__ = [
    "AnalyserImported",
    "AnalyserResult",
    "import_analyser",
    "import_analyser_results",
    "parse_analyser_file",
]


@dataclass(frozen=True)
class AnalyserImported:
    """What importing an analyser file did."""

    file: Path
    analyte: str  # the registry's name for it
    n_results: int
    added: bool  # False: the same file (SHA-256) was imported before, nothing added


REQUIRED = ("sample_id", "result", "unit", "run_date")


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
    return store_analyser_results(store, data, str(path), analyte.name, results)


def import_analyser_results(
    results_file: str | Path,
    analyte: str,
    *,
    db: str | Path | None = None,
    config: Config | str | Path | None = None,
    user: str | None = None,
) -> AnalyserImported:
    """Import an automated analyser's results file into the store at ``db`` (default
    ./elisa.sqlite, created on first use) for ``analyte`` (a name or alias of ``config``'s
    registry) (`elisa cohort import-analyser`). The same file again adds nothing. A bad file is
    an error before the store is touched.
    """
    config = config if isinstance(config, Config) else load_config(config)
    resolved = config.registry.resolve(analyte)
    path = Path(results_file)
    if not path.is_file():
        raise ElisaError("analyser results file not found", file=path)
    parse_analyser_file(path.read_bytes(), path, resolved)  # bad input never creates a store
    with open_store(db, user=user) as store:
        n, added = import_analyser(store, path, resolved)
    return AnalyserImported(path, resolved.name, n, added)
