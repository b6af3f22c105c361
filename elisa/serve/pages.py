"""The HTML pages: runs, plate (mask, undo, sign-off, history, downloads), QC per analyte, new
plate upload and the layout editor. Forms post here and are sent back to the plate page with
what happened; figures and tables are the plate report's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from elisa.files.staging import OUTPUT_FILES as DOWNLOADS
from elisa.serve import actions
from elisa.serve.actions import ActionError
from elisa.serve.plate_data import RunFilters, current_runs
from elisa.serve.plate_figures import plate_sections, qc_sections
from elisa.serve.security import check_csrf, csrf_token
from elisa.serve.settings import ServeSettings
from elisa.serve.uploads import process_upload
from elisa.store.audit import audit_log
from plates.errors import AssayError

TEMPLATES = Path(__file__).parent / "templates"


def segment(value: Any) -> str:
    """A path segment, every reserved character (``/`` too) percent-encoded."""
    return quote(str(value), safe="")


def plate_url(plate_id: str, analyte: str) -> str:
    return f"/plates/{segment(plate_id)}/{segment(analyte)}"


def make_templates(settings: ServeSettings) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["seg"] = segment
    templates.env.globals["plate_url"] = plate_url
    templates.env.globals["csrf"] = csrf_token(settings)
    templates.env.globals["default_user"] = settings.user
    return templates


def page_routes(settings: ServeSettings) -> list[Route]:
    """The HTML routes bound to ``settings``."""
    templates = make_templates(settings)

    def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
        return templates.TemplateResponse(request, name, context, status_code=status)

    async def home(request: Request) -> Response:
        return RedirectResponse("/runs", status_code=303)

    async def runs(request: Request) -> Response:
        query = {k: v for k, v in request.query_params.items() if k != "token"}
        error: str | None = None
        listed: list[dict[str, Any]] = []
        try:
            filters = RunFilters.from_query(query)
            listed, analytes = await run_in_threadpool(
                actions.with_store,
                settings,
                lambda s: (current_runs(s, settings.config, filters), s.analytes()),
            )
        except AssayError as exc:
            error, analytes = str(exc), []
        except ActionError as exc:
            error, analytes = exc.message, []
        return render(
            request,
            "runs.html",
            400 if error else 200,
            runs=listed,
            query=query,
            analytes=analytes,
            error=error,
        )

    async def plate(request: Request, error: str | None = None, status: int = 200) -> Response:
        p = request.path_params
        try:
            view = await run_in_threadpool(
                actions.read_plate, settings, p["plate_id"], p["analyte"]
            )
            audit = await run_in_threadpool(
                actions.with_store, settings, lambda s: audit_log(s, p["plate_id"])
            )
        except ActionError as exc:
            return render(request, "message.html", exc.status, title="Plate", error=exc.message)
        sections = await run_in_threadpool(plate_sections, view)
        return render(
            request,
            "plate.html",
            status,
            view=view,
            run=view.run,
            figures=sections,
            audit=audit[::-1],
            message=request.query_params.get("msg"),
            error=error,
            outputs=DOWNLOADS,
        )

    async def plate_post(request: Request) -> Response:
        p = request.path_params
        form = await request.form()
        if not check_csrf(settings, form.get("csrf")):
            return render(
                request,
                "message.html",
                403,
                title="Refused",
                error="refused: the form's CSRF token is missing or wrong",
            )
        action = str(form.get("action", ""))
        reason = str(form.get("reason", ""))
        user = str(form.get("user", "")).strip() or None
        try:
            if action in ("mask", "undo"):
                wells = [w for w in str(form.get("wells", "")).replace(",", " ").split() if w]
                message = await run_in_threadpool(
                    actions.mask,
                    settings,
                    p["plate_id"],
                    p["analyte"],
                    wells,
                    reason,
                    action == "undo",
                    user,
                )
            elif action in ("accept", "reject"):
                message = await run_in_threadpool(
                    actions.review, settings, p["plate_id"], p["analyte"], action, reason, user
                )
            else:
                raise ActionError(400, f"unknown action {action!r}")
        except ActionError as exc:
            return await plate(request, error=exc.message, status=exc.status)
        target = plate_url(p["plate_id"], p["analyte"]) + "?" + urlencode({"msg": message})
        return RedirectResponse(target, status_code=303)

    async def download(request: Request) -> Response:
        p = request.path_params
        name = p["name"]
        try:
            view = await run_in_threadpool(
                actions.read_plate, settings, p["plate_id"], p["analyte"]
            )
        except ActionError as exc:
            return render(request, "message.html", exc.status, title="Download", error=exc.message)
        from elisa.files.staging import render_outputs

        files = await run_in_threadpool(render_outputs, view.results)
        if name not in files:
            return render(
                request,
                "message.html",
                404,
                title="Download",
                error=f"no output {name!r}: the outputs are {', '.join(files)}",
            )
        stem = f"{view.version.plate_id}_{view.version.analyte}_v{view.version.version}"
        filename = segment(f"{stem}_{name}")
        media = {".csv": "text/csv", ".html": "text/html", ".json": "application/json"}.get(
            Path(name).suffix, "application/octet-stream"
        )
        return Response(
            files[name],
            media_type=media,
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{filename}"},
        )

    async def qc_index(request: Request) -> Response:
        analytes = await run_in_threadpool(actions.with_store, settings, lambda s: s.analytes())
        return render(request, "qc_index.html", analytes=analytes)

    async def qc(request: Request) -> Response:
        name = request.path_params["analyte"]
        try:
            sections = await run_in_threadpool(
                actions.with_store, settings, lambda s: qc_sections(s, settings.config, name)
            )
        except ActionError as exc:
            return render(request, "message.html", exc.status, title="QC", error=exc.message)
        return render(request, "qc.html", analyte=name, qc=sections)

    async def upload_form(request: Request) -> Response:
        return render(request, "upload.html", limit_mb=settings.max_upload_bytes / 1e6)

    async def upload(request: Request) -> Response:
        limit = settings.max_upload_bytes
        length = request.headers.get("content-length")
        if length is None or not length.isdigit():
            return render(
                request,
                "upload.html",
                411,
                limit_mb=limit / 1e6,
                error="the upload must state its size (Content-Length)",
            )
        if int(length) > limit:
            return render(
                request,
                "upload.html",
                413,
                limit_mb=limit / 1e6,
                error=f"the upload is {int(length) / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB",
            )
        form = await request.form(max_files=2, max_fields=10)
        if not check_csrf(settings, form.get("csrf")):
            return render(
                request,
                "message.html",
                403,
                title="Refused",
                error="refused: the form's CSRF token is missing or wrong",
            )
        files = {}
        for key in ("export", "layout"):
            item = form.get(key)
            if isinstance(item, UploadFile) and item.filename:
                files[key] = (item.filename, await item.read())
        try:
            if "export" not in files:
                raise ActionError(400, "choose an export file to upload")
            message = await run_in_threadpool(
                lambda: process_upload(
                    settings,
                    files["export"],
                    files.get("layout"),
                    layout_from_export=form.get("layout_from_export") == "on",
                    analyte=str(form.get("analyte", "")).strip() or None,
                    user=str(form.get("user", "")).strip() or None,
                )
            )
        except ActionError as exc:
            return render(
                request, "upload.html", exc.status, limit_mb=limit / 1e6, error=exc.message
            )
        return render(request, "upload.html", limit_mb=limit / 1e6, message=message)

    async def layout(request: Request) -> Response:
        return render(request, "layout.html")

    return [
        Route("/", home, methods=["GET"]),
        Route("/runs", runs, methods=["GET"]),
        Route("/plates/{plate_id:path}/{analyte}/download/{name}", download, methods=["GET"]),
        Route("/plates/{plate_id:path}/{analyte}/action", plate_post, methods=["POST"]),
        Route("/plates/{plate_id:path}/{analyte}", plate, methods=["GET"]),
        Route("/qc", qc_index, methods=["GET"]),
        Route("/qc/{analyte}", qc, methods=["GET"]),
        Route("/upload", upload_form, methods=["GET"]),
        Route("/upload", upload, methods=["POST"]),
        Route("/layout", layout, methods=["GET"]),
    ]
