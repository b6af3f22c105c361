"""Who may talk to the app, and from where.

- Token: when the app has one (always on a non-loopback host), every request carries it, as
  ``Authorization: Bearer TOKEN`` or as the ``elisa_token`` cookie that opening any page with
  ``?token=TOKEN`` once sets (HttpOnly, SameSite=Strict). Missing or wrong: 401.
- Host: without a token the app answers only requests addressed to a loopback name, so a web
  page on another site cannot reach it through DNS rebinding (403).
- Cross-site requests: every state-changing request is a POST (other methods than GET, HEAD and
  POST get 405 from the router) and is refused with 403 unless it comes from the app's own
  origin: ``Origin`` (or, without one, ``Referer``) must equal the ``Host`` the request was sent
  to. Besides, every form carries the app's CSRF token (checked by `check_csrf`) and the API
  takes JSON only (a browser cannot send JSON to another site without a CORS preflight, which
  this app never grants), so a POST with neither header (a script, curl) is safe too.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode, urlsplit

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp

from elisa.serve.settings import LOOPBACK_HOSTS, ServeSettings

TOKEN_COOKIE = "elisa_token"
CSRF_FIELD = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD"})


def csrf_token(settings: ServeSettings) -> str:
    """The token every form of the app carries (fixed while the app runs)."""
    return hmac.new(settings.csrf_secret.encode(), b"csrf", hashlib.sha256).hexdigest()


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _refuse(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=status)
    return PlainTextResponse(message, status_code=status)


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else None


class Guard(BaseHTTPMiddleware):
    """Token, host and same-origin checks in front of every route."""

    def __init__(self, app: ASGIApp, settings: ServeSettings) -> None:
        super().__init__(app)
        self.settings = settings

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        token = self.settings.token
        host = request.headers.get("host", "")
        if token is None and urlsplit(f"//{host}").hostname not in _loopback_names():
            return _refuse(
                request, 403, f"refused: this app answers on a loopback host, not {host!r}"
            )
        if token is not None:
            login = request.query_params.get("token")
            if request.method == "GET" and login is not None and _same(login, token):
                return _login_redirect(request, token)
            if not self._has_token(request, token):
                return _refuse(
                    request, 401, "a token is required: 'Authorization: Bearer TOKEN' or ?token="
                )
        if request.method not in SAFE_METHODS:
            problem = await self._cross_site(request, host)
            if problem:
                return _refuse(request, 403, f"refused: {problem}")
        return await call_next(request)

    @staticmethod
    def _has_token(request: Request, token: str) -> bool:
        header = request.headers.get("authorization", "")
        if header[:7].lower() == "bearer " and _same(header[7:].strip(), token):
            return True
        return _same(request.cookies.get(TOKEN_COOKIE, ""), token)

    async def _cross_site(self, request: Request, host: str) -> str | None:
        """Why this state-changing request is refused, or None when it is the app's own."""
        own = f"{request.url.scheme}://{host}".lower()
        origin = request.headers.get("origin")
        if origin is not None:
            return None if origin.lower() == own else f"a request from another origin ({origin})"
        referer = request.headers.get("referer")
        if referer is not None:
            if _origin_of(referer) == own:
                return None
            return "a request from another page's origin (Referer)"
        return None  # no browser sent this: forms check their CSRF field, the API wants JSON


def _loopback_names() -> frozenset[str]:
    return frozenset(h.strip("[]") for h in LOOPBACK_HOSTS)


def _login_redirect(request: Request, token: str) -> Response:
    """Set the token cookie and drop ?token= from the address (it stays out of the history)."""
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
    target = request.url.path + (f"?{query}" if query else "")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict", path="/")
    return response


def check_csrf(settings: ServeSettings, value: object) -> bool:
    """Whether a form's CSRF field is the app's token."""
    return isinstance(value, str) and _same(value, csrf_token(settings))
