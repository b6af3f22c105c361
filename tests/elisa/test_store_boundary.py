"""The store's boundary: SQL only inside `elisa/store/`, one `elisa run` is one transaction, and
`Store.atomic()` nests as savepoints."""

from __future__ import annotations

import ast
import re
import sqlite3
from pathlib import Path

import pytest

from elisa.run import run_exports
from elisa.store.audit import audit_log
from elisa.store.database import Store
from tests.conftest import plate_paths

REPO = Path(__file__).resolve().parents[2]
STORE_DIR = REPO / "elisa" / "store"
SQL = re.compile(
    r"\bSELECT\s|\bINSERT\s+(?:OR\s+\w+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b|"
    r"\bCREATE\s+(?:TABLE|INDEX|TRIGGER|VIEW)\b|\bPRAGMA\s|\bBEGIN\s+(?:IMMEDIATE|TRANSACTION)\b|"
    r"\bSAVEPOINT\s|\bROLLBACK\b"
)


def sql_in(path: Path) -> list[str]:
    """'line: text' of every string literal (f-string parts included) that reads as SQL, and
    of every import of sqlite3."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if SQL.search(node.value):
                found.append(f"{node.lineno}: {node.value.strip()[:60]!r}")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            if "sqlite3" in names:
                found.append(f"{node.lineno}: import sqlite3")
    return found


def test_no_module_outside_the_store_holds_sql():
    offenders = {
        str(path.relative_to(REPO)): hits
        for package in ("elisa", "plates", "qc")
        for path in sorted((REPO / package).rglob("*.py"))
        if STORE_DIR not in path.parents and (hits := sql_in(path))
    }
    assert offenders == {}


def test_the_sql_detector_finds_the_store_sql():
    """The detector above is not blind: it finds the statements the store does hold."""
    hits = " ".join(sql_in(STORE_DIR / "versions.py") + sql_in(STORE_DIR / "database.py"))
    for statement in ("SELECT", "INSERT INTO", "UPDATE current_versions SET", "PRAGMA", "BEGIN"):
        assert statement in hits


def traced_statements(monkeypatch) -> list[str]:
    """Every SQL statement the store's connections run from now on."""
    seen: list[str] = []
    real_connect = sqlite3.connect

    def connect(*args, **kwargs):
        conn = real_connect(*args, **kwargs)
        conn.set_trace_callback(seen.append)
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect)
    return seen


def test_one_run_of_two_plates_is_one_transaction(tmp_path, monkeypatch):
    db = tmp_path / "s.sqlite"
    Store(db).close()  # the schema's own transaction happens here, before the run
    exports, layouts = zip(plate_paths("fkn_clean"), plate_paths("il6_clean"), strict=True)
    statements = traced_statements(monkeypatch)
    outcome = run_exports(list(exports), list(layouts), out=tmp_path / "out", db=db)
    assert [(r.plate_id, r.version, r.added) for r in outcome.recorded] == [
        ("fkn_clean", 1, True),
        ("il6_clean", 1, True),
    ]
    words = [s.split()[0].upper() for s in statements]
    assert words.count("BEGIN") == 1 and words.count("COMMIT") == 1
    assert "ROLLBACK" not in words
    begin, commit = words.index("BEGIN"), words.index("COMMIT")
    writes = [i for i, w in enumerate(words) if w in ("INSERT", "UPDATE", "DELETE")]
    assert writes and begin < min(writes) and max(writes) < commit
    assert words.count("SAVEPOINT") == words.count("RELEASE") >= 2  # record, Westgard audit


def test_a_failed_inner_step_is_rolled_back_alone_and_an_outer_failure_keeps_nothing(tmp_path):
    with Store(tmp_path / "s.sqlite", user="tester") as store:
        with store.atomic():
            store.audit("outer", {})
            with pytest.raises(ValueError), store.atomic():
                store.audit("inner", {})
                raise ValueError("step fails")
            store.audit("after", {})
        assert [e.action for e in audit_log(store)] == ["outer", "after"]
        with pytest.raises(ValueError), store.atomic():
            store.audit("lost", {})
            with store.atomic():
                store.audit("lost too", {})
            raise ValueError("the whole command fails")
        assert [e.action for e in audit_log(store)] == ["outer", "after"]
        assert [e.user for e in audit_log(store)] == ["tester", "tester"]


def test_a_write_outside_atomic_is_refused(tmp_path):
    with Store(tmp_path / "s.sqlite") as store, pytest.raises(RuntimeError, match="atomic"):
        store.audit("unguarded", {})
