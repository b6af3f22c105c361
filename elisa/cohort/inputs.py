"""The clinical table and the sample manifest of a cohort build, checked line by line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from elisa.errors import ElisaError
from elisa.files.csv_read import Row, read_table


@dataclass(frozen=True)
class Clinical:
    """The clinical table: its header and rows (text cells) in file order."""

    path: Path
    columns: tuple[str, ...]
    rows: tuple[dict[str, str], ...]

    @property
    def subject_ids(self) -> list[str]:
        return [r["subject_id"] for r in self.rows]


def _read_csv(path: Path, what: str) -> tuple[list[str], list[Row]]:
    if not path.is_file():
        raise ElisaError(f"{what} not found", file=path)
    return read_table(path.read_bytes(), path, what)


def load_clinical(path: str | Path) -> Clinical:
    """One row per subject, a `subject_id` column; a duplicated or empty id is an error."""
    path = Path(path)
    header, rows = _read_csv(path, "clinical table")
    if "subject_id" not in header:
        raise ElisaError("line 1: the clinical table needs a subject_id column", file=path)
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise ElisaError(f"line 1: column(s) {', '.join(duplicated)} appear twice", file=path)
    seen: dict[str, int] = {}
    for number, row in rows:
        subject = row["subject_id"]
        if not subject:
            raise ElisaError(f"line {number}: empty subject_id", file=path)
        if subject in seen:
            raise ElisaError(
                f"line {number}: subject_id {subject!r} again (first on line "
                f"{seen[subject]}): one row per subject",
                file=path,
            )
        seen[subject] = number
    return Clinical(path, tuple(header), tuple(row for _, row in rows))


@dataclass(frozen=True)
class Manifest:
    """sample id → subject id for the chosen visit, and every sample the manifest names (a
    sample of another visit, or of a subject outside this clinical table, is claimed, not lost)."""

    subject_of: dict[str, str]
    claimed: frozenset[str]


def load_manifest(path: str | Path | None, visit: str | None, clinical: Clinical) -> Manifest:
    """Without a manifest every sample id is a subject id. A manifest with a `visit` column
    needs --visit; a sample mapped to two subjects is an error. Subjects not in the clinical
    table are allowed (an analysis subset) and left out."""
    if path is None:
        if visit is not None:
            raise ElisaError("--visit needs a --manifest with a visit column")
        ids = {s: s for s in clinical.subject_ids}
        return Manifest(ids, frozenset(ids))
    path = Path(path)
    header, rows = _read_csv(path, "manifest")
    missing = [c for c in ("sample_id", "subject_id") if c not in header]
    if missing:
        raise ElisaError(
            f"line 1: the manifest needs the columns sample_id and subject_id "
            f"(missing {', '.join(missing)})",
            file=path,
        )
    has_visits = "visit" in header
    if has_visits and visit is None:
        raise ElisaError("the manifest has a visit column: choose one with --visit", file=path)
    if visit is not None and not has_visits:
        raise ElisaError("--visit given but the manifest has no visit column", file=path)
    claimed: dict[str, tuple[str, int]] = {}
    mapping: dict[str, str] = {}
    known = set(clinical.subject_ids)
    for number, row in rows:
        sample, subject = row["sample_id"], row["subject_id"]
        if not sample or not subject:
            raise ElisaError(
                f"line {number}: sample_id and subject_id must not be empty", file=path
            )
        if sample in claimed and claimed[sample][0] != subject:
            raise ElisaError(
                f"line {number}: sample {sample!r} mapped to subject {subject!r} "
                f"and to {claimed[sample][0]!r} (line {claimed[sample][1]})",
                file=path,
            )
        claimed[sample] = (subject, number)
        if subject in known and (not has_visits or row["visit"] == visit):
            mapping[sample] = subject
    return Manifest(mapping, frozenset(claimed))
