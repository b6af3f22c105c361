"""Analyser results in the store: imports kept once by the file's SHA-256, results read back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from elisa.store.database import Store, utc_now


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


@dataclass(frozen=True)
class StoredAnalyserResult:
    """An analyser result as stored: which import (file SHA-256) and analyte it came with."""

    import_sha256: str
    analyte: str
    sample_id: str
    value: float
    censor: str


@dataclass(frozen=True)
class AnalyserImport:
    """One imported analyser file (field order is that of the cohort provenance)."""

    sha256: str
    analyte: str
    source_file: str
    n_results: int


def store_analyser_results(
    store: Store, data: bytes, source_file: str, analyte: str, results: Sequence[AnalyserResult]
) -> tuple[int, bool]:
    """Keep a checked analyser file and its results; returns (number of results, whether
    anything was added). The same bytes again add nothing but an audit entry."""
    with store.atomic():
        sha = store.put_blob(data, "analyser", source_file)
        known = store.conn.execute(
            "SELECT n_results FROM analyser_imports WHERE sha256 = ?", (sha,)
        ).fetchone()
        if known is not None:
            store.audit(
                "import-analyser: same file again, nothing added",
                {"file": source_file, "sha256": sha},
                analyte=analyte,
            )
            return known["n_results"], False
        store.conn.execute(
            "INSERT INTO analyser_imports (sha256, analyte, source_file, "
            "n_results, user, time_utc) VALUES (?, ?, ?, ?, ?, ?)",
            (sha, analyte, source_file, len(results), store.user, utc_now()),
        )
        store.conn.executemany(
            "INSERT INTO analyser_results (import_sha256, line, analyte, sample_id, value, "
            "censor, unit, run_date, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (sha, r.line, analyte, r.sample_id, r.value, r.censor, r.unit, r.run_date, r.flags)
                for r in results
            ],
        )
        store.checkpoint("analyser_results")
        store.audit(
            "import-analyser",
            {"file": source_file, "sha256": sha, "results": len(results)},
            analyte=analyte,
        )
    return len(results), True


def stored_analyser_results(store: Store) -> list[StoredAnalyserResult]:
    """Every imported analyser result, in import order."""
    rows = store.conn.execute(
        "SELECT import_sha256, analyte, sample_id, value, censor FROM analyser_results ORDER BY id"
    )
    return [StoredAnalyserResult(**dict(row)) for row in rows]


def analyser_imports(store: Store) -> list[AnalyserImport]:
    """Every imported analyser file, oldest first."""
    rows = store.conn.execute(
        "SELECT sha256, analyte, source_file, n_results FROM analyser_imports ORDER BY time_utc"
    )
    return [AnalyserImport(**dict(row)) for row in rows]
