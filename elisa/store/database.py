"""The run-history store: one SQLite file keeping every export, version, mask, review and audit
entry. Every command's writes are one transaction; the audit log is append-only (DESIGN 7)."""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from elisa._version import __version__
from elisa.errors import ElisaError
from elisa.store.schema import MIGRATIONS, SCHEMA_VERSION

DEFAULT_DB = "elisa.sqlite"
BUSY_TIMEOUT_S = 60.0


class StoreError(ElisaError):
    """The store cannot be opened or does not hold what was asked for."""


def login_name() -> str:
    """The user recorded in the audit log when no --user is given."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return os.environ.get("USER") or "unknown"


def utc_now() -> str:
    """The current time, UTC, ISO 8601 with microseconds (orders events in one second)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


class Store:
    """An open store. Use `transaction()` for every write; reads may happen anywhere."""

    def __init__(self, path: str | Path, *, user: str | None = None) -> None:
        self.path = Path(path)
        self.user = user or login_name()
        if self.path.is_dir():
            raise StoreError("is a directory, expected a store file (--db PATH)", file=self.path)
        try:
            self.conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"not a usable store ({exc})", file=self.path) from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -------------------------------------------------------------- schema and transactions

    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        if self.schema_version() >= SCHEMA_VERSION:
            if self.schema_version() > SCHEMA_VERSION:
                raise StoreError(
                    f"the store has schema version {self.schema_version()}, newer "
                    f"than this software's {SCHEMA_VERSION}: upgrade elisa",
                    file=self.path,
                )
            return
        with self.transaction():
            version = self.schema_version()  # re-read under the lock: another process may win
            for number in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _statements(MIGRATIONS[number - 1]):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE) so writers queue, not fail."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def checkpoint(self, step: str) -> None:
        """A named point inside a write; tests inject faults here. Does nothing otherwise."""

    # -------------------------------------------------------------- writes (inside a transaction)

    def put_blob(self, data: bytes, kind: str, name: str) -> str:
        """Keep bytes once, by SHA-256 (the raw export is never changed)."""
        sha = hashlib.sha256(data).hexdigest()
        self.conn.execute(
            "INSERT OR IGNORE INTO blobs (sha256, kind, name, size, data) VALUES (?, ?, ?, ?, ?)",
            (sha, kind, name, len(data), data),
        )
        self.checkpoint(f"blob:{kind}")
        return sha

    def audit(
        self,
        action: str,
        details: dict[str, Any],
        *,
        plate_id: str | None = None,
        analyte: str | None = None,
        version: int | None = None,
    ) -> None:
        """Append one audit entry (UTC time, user, software version, details)."""
        self.conn.execute(
            "INSERT INTO audit (time_utc, user, action, plate_id, analyte, version, "
            "software_version, details_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                utc_now(),
                self.user,
                action,
                plate_id,
                analyte,
                version,
                __version__,
                json.dumps(details, sort_keys=True, default=str),
            ),
        )
        self.checkpoint(f"audit:{action}")

    # -------------------------------------------------------------- reads

    def blob(self, sha: str) -> bytes:
        row = self.conn.execute("SELECT data FROM blobs WHERE sha256 = ?", (sha,)).fetchone()
        if row is None:
            raise StoreError(f"the store has no file with SHA-256 {sha}", file=self.path)
        return bytes(row["data"])

    def blob_name(self, sha: str) -> str:
        row = self.conn.execute("SELECT name FROM blobs WHERE sha256 = ?", (sha,)).fetchone()
        return row["name"] if row else sha

    def plate_keys(self, plate_id: str) -> list[tuple[str, str]]:
        """(plate_id, analyte) pairs stored under ``plate_id``; an error when there are none."""
        rows = self.conn.execute(
            "SELECT plate_id, analyte FROM current_versions WHERE plate_id = ? ORDER BY analyte",
            (plate_id,),
        ).fetchall()
        if not rows:
            raise StoreError(f"no plate {plate_id!r} in the store", file=self.path)
        return [(r["plate_id"], r["analyte"]) for r in rows]

    def current_version(self, plate_id: str, analyte: str) -> sqlite3.Row:
        row = self.conn.execute(
            "SELECT v.* FROM current_versions c JOIN plate_versions v ON v.id = c.version_id "
            "WHERE c.plate_id = ? AND c.analyte = ?",
            (plate_id, analyte),
        ).fetchone()
        if row is None:
            raise StoreError(f"no plate {plate_id!r} ({analyte}) in the store", file=self.path)
        return row

    def current_versions(self, analyte: str | None = None) -> list[sqlite3.Row]:
        """Current versions in run order: run date, then first processing time."""
        query = (
            "SELECT v.*, c.first_processed_utc FROM current_versions c "
            "JOIN plate_versions v ON v.id = c.version_id"
        )
        args: tuple = ()
        if analyte is not None:
            query += " WHERE c.analyte = ?"
            args = (analyte,)
        query += " ORDER BY v.run_date, c.first_processed_utc, v.plate_id"
        return self.conn.execute(query, args).fetchall()

    def audit_log(self, plate_id: str | None = None) -> list[sqlite3.Row]:
        if plate_id is None:
            return self.conn.execute("SELECT * FROM audit ORDER BY id").fetchall()
        return self.conn.execute(
            "SELECT * FROM audit WHERE plate_id = ? ORDER BY id", (plate_id,)
        ).fetchall()

    def latest_review(self, version_id: int) -> sqlite3.Row | None:
        """The newest review of one plate version (a new version is unreviewed)."""
        return self.conn.execute(
            "SELECT * FROM reviews WHERE version_id = ? ORDER BY id DESC LIMIT 1", (version_id,)
        ).fetchone()


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (triggers keep their inner semicolons)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    return statements


def open_store(path: str | Path | None, *, user: str | None = None) -> Store:
    """The store at ``path`` (default ./elisa.sqlite), created on first use."""
    return Store(path or DEFAULT_DB, user=user)
