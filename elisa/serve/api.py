"""The JSON API under /api/ (documented in the README's "Review app" section).

Plate ids are URL-encoded path segments (``/`` as ``%2F`` too: the routes take the last
segment as the analyte). Errors answer ``{"error": "one line"}`` with 400, 404, 415 or 503.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from elisa.serve import actions
from elisa.serve.actions import ActionError
from elisa.serve.layout_editor import layout_from_json
from elisa.serve.plate_data import RunFilters, current_runs
from elisa.serve.settings import ServeSettings
from plates.errors import AssayError


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json_body(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ActionError(415, "send a JSON body (Content-Type: application/json)")
    try:
        body = await request.json()
    except ValueError:
        raise ActionError(400, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ActionError(400, "the body must be a JSON object")
    return body


def _text(body: dict[str, Any], key: str, required: bool = True) -> str:
    value = body.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise ActionError(400, f'"{key}" must be a non-empty string')
    return value


def api_routes(settings: ServeSettings) -> list[Route]:
    """The /api/ routes bound to ``settings``."""

    async def runs(request: Request) -> JSONResponse:
        try:
            filters = RunFilters.from_query(dict(request.query_params))
            listed = await run_in_threadpool(
                actions.with_store,
                settings,
                lambda store: current_runs(store, settings.config, filters),
            )
        except AssayError as exc:
            return _error(400, str(exc))
        except ActionError as exc:
            return _error(exc.status, exc.message)
        return JSONResponse(listed)

    async def plate(request: Request) -> JSONResponse:
        p = request.path_params
        try:
            view = await run_in_threadpool(
                actions.read_plate, settings, p["plate_id"], p["analyte"]
            )
        except ActionError as exc:
            return _error(exc.status, exc.message)
        return JSONResponse(view.as_json())

    async def mask(request: Request) -> JSONResponse:
        p = request.path_params
        try:
            body = await _json_body(request)
            wells = body.get("wells")
            if not isinstance(wells, list) or not all(isinstance(w, str) for w in wells):
                raise ActionError(400, '"wells" must be a list of well names like "A3"')
            undo = body.get("undo", False)
            if not isinstance(undo, bool):
                raise ActionError(400, '"undo" must be true or false')
            message = await run_in_threadpool(
                actions.mask,
                settings,
                p["plate_id"],
                p["analyte"],
                wells,
                _text(body, "reason"),
                undo,
                _text(body, "user", required=False) or None,
            )
            view = await run_in_threadpool(
                actions.read_plate, settings, p["plate_id"], p["analyte"]
            )
        except ActionError as exc:
            return _error(exc.status, exc.message)
        return JSONResponse({"message": message, **view.as_json()})

    async def review(request: Request) -> JSONResponse:
        p = request.path_params
        try:
            body = await _json_body(request)
            decision = body.get("decision")
            if decision not in ("accept", "reject"):
                raise ActionError(400, '"decision" must be "accept" or "reject"')
            message = await run_in_threadpool(
                actions.review,
                settings,
                p["plate_id"],
                p["analyte"],
                decision,
                _text(body, "reason"),
                _text(body, "user", required=False) or None,
            )
            view = await run_in_threadpool(
                actions.read_plate, settings, p["plate_id"], p["analyte"]
            )
        except ActionError as exc:
            return _error(exc.status, exc.message)
        return JSONResponse({"message": message, **view.as_json()})

    async def layout_toml(request: Request) -> JSONResponse:
        try:
            body = await _json_body(request)
            text = await run_in_threadpool(layout_from_json, body)
        except ActionError as exc:
            return _error(exc.status, exc.message)
        except AssayError as exc:
            return _error(400, str(exc))
        return JSONResponse({"toml": text})

    return [
        Route("/api/runs", runs, methods=["GET"]),
        Route("/api/plates/{plate_id:path}/{analyte}/mask", mask, methods=["POST"]),
        Route("/api/plates/{plate_id:path}/{analyte}/review", review, methods=["POST"]),
        Route("/api/plates/{plate_id:path}/{analyte}", plate, methods=["GET"]),
        Route("/api/layout/toml", layout_toml, methods=["POST"]),
    ]
