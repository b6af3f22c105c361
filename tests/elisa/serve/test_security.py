"""Who may reach the app: a token on a non-local host (401 without it), the token cookie set
by ?token=, loopback host names only without a token, and `elisa serve` refusing a non-local
host without a token."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from elisa.errors import ElisaError
from elisa.serve.app import create_app, resolve_token


@pytest.fixture
def guarded(db):
    app = create_app(db, token="s3cret-token")
    with TestClient(app, base_url="http://192.0.2.10:8765") as client:
        yield client


def test_missing_or_wrong_token_is_401(guarded):
    assert guarded.get("/api/runs").status_code == 401
    assert guarded.get("/runs").status_code == 401
    wrong = guarded.get("/api/runs", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "token is required" in wrong.json()["error"]
    posted = guarded.post(
        "/api/plates/fkn_clean/FKN/review", json={"decision": "accept", "reason": "x"}
    )
    assert posted.status_code == 401


def test_bearer_token_and_login_cookie(guarded):
    ok = guarded.get("/api/runs", headers={"Authorization": "Bearer s3cret-token"})
    assert ok.status_code == 200 and len(ok.json()) == 3
    login = guarded.get("/runs?token=s3cret-token&analyte=FKN", follow_redirects=False)
    assert login.status_code == 303 and login.headers["location"] == "/runs?analyte=FKN"
    cookie = login.headers["set-cookie"]
    assert (
        "elisa_token=s3cret-token" in cookie
        and "HttpOnly" in cookie
        and "SameSite=strict" in cookie
    )
    page = guarded.get("/runs?analyte=FKN")  # the client keeps the cookie
    assert page.status_code == 200 and "fkn_clean" in page.text


def test_without_a_token_only_loopback_host_names_are_answered(db):
    with TestClient(create_app(db), base_url="http://rebound.example:8765") as client:
        response = client.get("/api/runs")
    assert response.status_code == 403 and "loopback host" in response.json()["error"]
    with TestClient(create_app(db), base_url="http://localhost:8765") as client:
        assert client.get("/api/runs").status_code == 200


def test_a_non_local_host_needs_a_token(monkeypatch, run_cli):
    monkeypatch.delenv("ELISA_SERVE_TOKEN", raising=False)
    with pytest.raises(
        ElisaError, match=re.escape("--host 0.0.0.0 is reachable from other machines")
    ):
        resolve_token("0.0.0.0", None)
    assert resolve_token("127.0.0.1", None) is None
    monkeypatch.setenv("ELISA_SERVE_TOKEN", "from-env")
    assert resolve_token("0.0.0.0", None) == "from-env"
    monkeypatch.delenv("ELISA_SERVE_TOKEN")
    result = run_cli(["serve", "--host", "0.0.0.0", "--db", "s.sqlite"])
    assert result.code == 2 and result.err.startswith("elisa: error: --host 0.0.0.0 is reachable")
