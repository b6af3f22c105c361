"""The run-history store: one SQLite file keeping every export, version, mask, review and audit
entry. Every command's writes are one transaction; the audit log is append-only (DESIGN 7).

Every line of SQL of the toolkit lives in `elisa/store/`: callers elsewhere get typed records
(`StoredVersion`, `Review`, ...) or plain values back. Writes go through `Store.atomic()`, which
nests: the outermost block is one transaction, an inner block a savepoint.
"""

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
from elisa.store.records import Review, StoredVersion
from elisa.store.schema import MIGRATIONS, SCHEMA_VERSION

DEFAULT_DB = "elisa.sqlite"
BUSY_TIMEOUT_S = 60.0


class StoreError(ElisaError):
    """The store cannot be opened or does not hold what was asked for."""


class StoreBusyError(StoreError):
    """Another writer held the store longer than the busy timeout: nothing was written."""


def _create_private(path: Path) -> None:
    """Create a new store file readable and writable by its owner only (it holds raw exports and
    per-sample results). SQLite gives its journal, -wal and -shm files the store file's mode.
    An existing file keeps the permissions it has."""
    if path.exists():
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass  # created by another process just now
    except OSError as exc:
        raise StoreError(f"cannot create the store ({exc.strerror or exc})", file=path) from None


def _version(row: sqlite3.Row) -> StoredVersion:
    return StoredVersion(**dict(row))


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
    """An open store. Every write happens inside `atomic()`; reads may happen anywhere."""

    def __init__(
        self, path: str | Path, *, user: str | None = None, busy_timeout_s: float = BUSY_TIMEOUT_S
    ) -> None:
        self.path = Path(path)
        self.user = user or login_name()
        self._depth = 0  # open atomic() blocks: 0 outside, 1 in the transaction, >1 savepoints
        if self.path.is_dir():
            raise StoreError("is a directory, expected a store file (--db PATH)", file=self.path)
        _create_private(self.path)
        try:
            self.conn = sqlite3.connect(self.path, timeout=busy_timeout_s, isolation_level=None)
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
        with self.atomic():
            version = self.schema_version()  # re-read under the lock: another process may win
            for number in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _statements(MIGRATIONS[number - 1]):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def atomic(self) -> Iterator[Store]:
        """All writes inside happen together or not at all.

        The outermost block is one transaction, taken at once (BEGIN IMMEDIATE) so writers queue
        rather than fail; a block inside another is a savepoint, so a step that fails is rolled
        back alone and its error reaches the outer block, which then rolls back everything.
        """
        depth = self._depth
        savepoint = f"step_{depth}"
        try:
            self.conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {savepoint}")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            raise StoreBusyError(
                "the store is busy: another command holds it (a long 'elisa run'?); "
                "nothing was written, try again",
                file=self.path,
            ) from None
        self._depth += 1
        try:
            yield self
        except BaseException:
            self._depth = depth
            if depth == 0:
                self.conn.execute("ROLLBACK")
            else:
                self.conn.execute(f"ROLLBACK TO {savepoint}")
                self.conn.execute(f"RELEASE {savepoint}")
            raise
        self._depth = depth
        self.conn.execute("COMMIT" if depth == 0 else f"RELEASE {savepoint}")

    def checkpoint(self, step: str) -> None:
        """A named point inside a write; tests inject faults here. Does nothing otherwise."""

    def _require_atomic(self) -> None:
        if self._depth == 0:
            raise RuntimeError("a store write outside Store.atomic()")  # a programming error

    # -------------------------------------------------------------- writes (inside atomic())

    def put_blob(self, data: bytes, kind: str, name: str) -> str:
        """Keep bytes once, by SHA-256 (the raw export is never changed)."""
        self._require_atomic()
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
        self._require_atomic()
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

    def current_version(self, plate_id: str, analyte: str) -> StoredVersion:
        """The current version of one plate; an error when the store has none."""
        row = self.conn.execute(
            "SELECT v.* FROM current_versions c JOIN plate_versions v ON v.id = c.version_id "
            "WHERE c.plate_id = ? AND c.analyte = ?",
            (plate_id, analyte),
        ).fetchone()
        if row is None:
            raise StoreError(f"no plate {plate_id!r} ({analyte}) in the store", file=self.path)
        return _version(row)

    def current_versions(self, analyte: str | None = None) -> list[StoredVersion]:
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
        return [_version(row) for row in self.conn.execute(query, args)]

    def analytes(self) -> list[str]:
        """The analytes of the current versions, sorted."""
        rows = self.conn.execute("SELECT DISTINCT analyte FROM current_versions ORDER BY analyte")
        return [row["analyte"] for row in rows]

    def latest_review(self, version_id: int) -> Review | None:
        """The newest review of one plate version (a new version is unreviewed)."""
        row = self.conn.execute(
            "SELECT plate_id, analyte, version_id, decision, reason, user, time_utc FROM reviews "
            "WHERE version_id = ? ORDER BY id DESC LIMIT 1",
            (version_id,),
        ).fetchone()
        return Review(**dict(row)) if row else None


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


def open_existing_store(path: str | Path | None, *, user: str | None = None) -> Store:
    """The store at ``path`` (default ./elisa.sqlite); an error when there is none (commands
    that only read or annotate never create one)."""
    path = Path(path or DEFAULT_DB)
    if not path.is_file():
        raise StoreError(
            "no store here: process plates with 'elisa run' first, or give --db", file=path
        )
    return Store(path, user=user)


@contextmanager
def using_store(db: Store | str | Path | None, *, user: str | None = None) -> Iterator[Store]:
    """``db`` itself when it is an open `Store` (left open), else the existing store at that
    path (default ./elisa.sqlite), closed afterwards: library functions take either."""
    if isinstance(db, Store):
        yield db
        return
    with open_existing_store(db, user=user) as store:
        yield store
