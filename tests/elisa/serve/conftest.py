"""Fixtures of the review app's tests: a store holding fixture plates, copied per test, and the
app over it behind Starlette's test client (addressed as a loopback host)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from elisa.run import run_exports
from tests.conftest import plate_paths

BASE = "http://127.0.0.1:8765"
STORED = ("fkn_clean", "fkn_bad_curve", "il6_clean")


@pytest.fixture(scope="session")
def stored_plates(tmp_path_factory) -> Path:
    """A store with fkn_clean (passes), fkn_bad_curve (fails) and il6_clean, built once."""
    work = tmp_path_factory.mktemp("serve_store")
    db = work / "store.sqlite"
    for name in STORED:
        export, layout = plate_paths(name)
        run_exports(export, layout, out=work / name, db=db, user="loader")
    return db


@pytest.fixture
def db(stored_plates: Path, tmp_path: Path) -> Path:
    """A copy of the stored plates' store for one test."""
    copy = tmp_path / "store.sqlite"
    shutil.copy(stored_plates, copy)
    return copy


@pytest.fixture
def client(db: Path):
    from starlette.testclient import TestClient

    from elisa.serve.app import create_app

    with TestClient(create_app(db, user="tech1"), base_url=BASE) as test_client:
        yield test_client
