"""The FastAPI application: :func:`create_app`.

Layers, outermost first:

1. :class:`SecurityHeaders`: a per-response CSP nonce for the pages' inline script and style
   (no other script runs), ``X-Frame-Options: DENY``, ``nosniff``, ``Referrer-Policy``, and
   ``Cache-Control: no-store`` (pages and data are private);
2. :class:`BodyLimit`: a request body over ``Settings.max_upload_bytes`` is refused with 413,
   by its Content-Length or, when it is streamed, as soon as it passes the limit;
3. the routes: ``/health`` and the login are open; every other route needs a session
   (:mod:`.auth`), the API under ``/api`` (:mod:`.api`), the pages elsewhere (:mod:`.pages`);
4. the error handlers: every failure becomes the one JSON error shape (:mod:`.errors`), or, for
   a browser asking for a page, the same information as an HTML page (and an anonymous
   browser is sent to the login page).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from tkiresist import __version__
from tkiresist.errors import TkiResistError
from tkiresist.web.auth import LoginRequired, wants_html
from tkiresist.web.context import Context, build_context
from tkiresist.web.errors import body_for, error_body, status_for
from tkiresist.web.settings import Settings

log = logging.getLogger("tkiresist.web")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
}


class BodyTooLarge(HTTPException):
    """Raised while the body is read; an HTTPException so that FastAPI passes it through."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than the limit of {limit} bytes")


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    response = JSONResponse(body, status_code=status)
    await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:  # pragma: no cover - a JSONResponse never reads
    return {"type": "http.disconnect"}


class BodyLimit:
    """Refuse request bodies larger than ``limit`` bytes with 413."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        message = f"the request body is larger than the limit of {self.limit} bytes"
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _send_json(send, 400, error_body("bad_request", "bad Content-Length"))
                    return
                if declared > self.limit:
                    await _send_json(send, 413, error_body("too_large", message))
                    return
        seen = 0
        started = False

        async def limited() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self.limit)
            return msg

        async def tracked(msg: Message) -> None:
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, limited, tracked)
        except BodyTooLarge:
            if started:
                raise
            await _send_json(send, 413, error_body("too_large", message))


class SecurityHeaders:
    """Security headers on every response; a fresh CSP nonce per request in
    ``request.state.csp_nonce``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        csp = (
            "default-src 'none'; "
            f"script-src 'nonce-{nonce}'; "
            "style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; "
            "connect-src 'self'; "
            "form-action 'self'; "
            "frame-ancestors 'none'; "
            "base-uri 'none'"
        )
        extra = [
            (b"content-security-policy", csp.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
            (b"cache-control", b"no-store"),
        ]

        async def with_headers(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                names = {k.lower() for k, _ in msg.get("headers", [])}
                msg["headers"] = list(msg.get("headers", [])) + [
                    (k, v) for k, v in extra if k not in names
                ]
            await send(msg)

        await self.app(scope, receive, with_headers)


# ----------------------------------------------------------------------------- errors


def _error_response(
    request: Request, status: int, body: dict[str, Any], headers: Any = None
) -> Response:
    if wants_html(request):
        from tkiresist.web.pages import render_error

        return render_error(request, status, body, headers)
    return JSONResponse(body, status_code=status, headers=headers)


async def _library_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TkiResistError)
    if isinstance(exc, LoginRequired) and wants_html(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
    status = status_for(exc)
    if status >= 500:
        log.error("server-side data error: %s", exc)
    headers = getattr(exc, "headers", None) or None
    return _error_response(request, status, body_for(exc), headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        e = errors[0]
        detail = e.get("ctx", {}).get("error", "JSON decode error")
        body = error_body(
            "malformed_json", f"malformed JSON: {detail}", [{"loc": list(e["loc"]), "msg": detail}]
        )
        return _error_response(request, 400, body)
    details = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in errors]
    n = len(details)
    body = error_body("invalid", f"the request is not valid: {n} problem{'s' * (n != 1)}", details)
    return _error_response(request, 422, body)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = HTTP_CODES.get(status, "http_error")
    if status == 404:
        message = f"no such page or resource: {request.url.path}"
    elif status == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    else:
        message = str(exc.detail)
    return _error_response(request, status, error_body(code, message), exc.headers)


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.exception("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    body = error_body(
        "internal_error", "an internal error occurred (a bug: the server log has the details)"
    )
    return _error_response(request, 500, body)


# ----------------------------------------------------------------------------- the app


def create_app(settings: Settings | None = None, *, context: Context | None = None) -> FastAPI:
    """The application. Opens the registry (creating it on first use) and the web tables."""
    from tkiresist.web import api, pages

    settings = settings or Settings.from_env()
    ctx = context or build_context(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        ctx.registry.close()

    app = FastAPI(
        title="tkiresist",
        version=__version__,
        description=(
            "Acquired resistance to targeted therapy in lung cancer: interpretation, cases, "
            "registry and evidence. FOR RESEARCH USE ONLY, NOT FOR CLINICAL DECISIONS. Every "
            "route but /health and the login needs a session (POST /api/login); unsafe "
            "methods need the X-CSRF-Token header given at login."
        ),
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.add_exception_handler(TkiResistError, _library_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _internal_error)
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes)
    app.add_middleware(SecurityHeaders)

    @app.get("/health", tags=["health"], summary="Liveness: no login needed")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    app.include_router(api.router)
    app.include_router(pages.router)
    _with_case_schema(app)
    return app


def app_from_env() -> FastAPI:
    """The application with settings from the environment (uvicorn's factory, for workers)."""
    return create_app(Settings.from_env())


def _with_case_schema(app: FastAPI) -> None:
    """Add the case-file schema (``Case``) to the OpenAPI components: the routes that read a
    case from the raw body refer to it."""
    from fastapi.openapi.utils import get_openapi

    from tkiresist.model.case import Case

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        case = Case.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, sub in case.pop("$defs", {}).items():
            components.setdefault(name, sub)
        components["Case"] = case
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
