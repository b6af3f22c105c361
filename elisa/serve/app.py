"""The app factory and the server behind `elisa serve`."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from elisa.config import Config, load_config
from elisa.errors import ElisaError
from elisa.serve.api import api_routes
from elisa.serve.pages import page_routes
from elisa.serve.security import Guard
from elisa.serve.settings import LOOPBACK_HOSTS, MAX_UPLOAD_BYTES, ServeSettings
from elisa.store.database import BUSY_TIMEOUT_S, DEFAULT_DB, login_name, open_store

STATIC = Path(__file__).parent / "static"
TOKEN_ENV = "ELISA_SERVE_TOKEN"


def create_app(
    db: str | Path | None = None,
    *,
    user: str | None = None,
    token: str | None = None,
    config: Config | str | Path | None = None,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
    busy_timeout_s: float = BUSY_TIMEOUT_S,
) -> Starlette:
    """The review app over the store at ``db`` (default ./elisa.sqlite, created when missing).

    ``token``: when given, every request must carry it. ``user``: the audit log's user unless a
    form names one (default: login name). ``busy_timeout_s``: how long a write waits for a store
    another command holds before the page says it is busy.
    """
    path = Path(db or DEFAULT_DB)
    open_store(path).close()  # create (and migrate) once, up front
    settings = ServeSettings(
        db=path,
        user=user or login_name(),
        config=config if isinstance(config, Config) else load_config(config),
        token=token or None,
        max_upload_bytes=max_upload_bytes,
        busy_timeout_s=busy_timeout_s,
    )
    routes = [
        *api_routes(settings),
        *page_routes(settings),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(Guard, settings=settings)])
    app.state.settings = settings
    return app


def resolve_token(host: str, token: str | None) -> str | None:
    """The token to require: ``token``, else $ELISA_SERVE_TOKEN; a non-loopback host without
    either is refused (anyone on the network could change the store)."""
    token = token or os.environ.get(TOKEN_ENV) or None
    if token is None and host not in LOOPBACK_HOSTS:
        raise ElisaError(
            f"--host {host} is reachable from other machines: give --token TOKEN "
            f"(or set {TOKEN_ENV}); every request must then carry it"
        )
    return token


def serve(
    db: str | Path | None,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str | None = None,
    user: str | None = None,
    config: str | Path | None = None,
) -> None:
    """Run the app under uvicorn until interrupted (what `elisa serve` does)."""
    import uvicorn

    token = resolve_token(host, token)
    app = create_app(db, user=user, token=token, config=config)
    login = f"?token={token}" if token else ""
    shown = f"[{host}]" if ":" in host else host
    print(f"elisa serve: open http://{shown}:{port}/runs{login}  (Ctrl+C stops)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
