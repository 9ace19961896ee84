"""Login, sessions, roles and CSRF.

* A session is a random token in the ``tkiresist_session`` cookie: HttpOnly, SameSite=Lax,
  Secure when the request came over https (or always/never, by ``Settings.secure_cookies``).
  The database keeps only its SHA-256 (:mod:`.store`).
* Roles are ordered: ``viewer`` reads, ``curator`` also writes cases, ``admin`` also manages
  users and may export identifiers. :func:`requires` builds the dependency that admits a role
  and above.
* CSRF: every unsafe request (POST, PUT, PATCH, DELETE) of a logged-in user carries the
  session's CSRF token, in the ``X-CSRF-Token`` header (API) or the ``csrf_token`` form field
  (pages); a request whose ``Origin`` is another site is refused too. The login form, before
  any session exists, uses a double-submit cookie; the JSON login needs a JSON content type,
  which a cross-site form cannot send.
* Login is rate-limited per (user name, client address) and per client address (failed
  attempts in a window, kept in the database so every worker sees them): over a limit, 429 with
  Retry-After, and the password is not even checked. Failures from one address never lock the
  account for another address, so nobody can lock a user out by guessing at their password.
  The address is the connection's peer (X-Forwarded-For counts only when uvicorn is told to
  trust the proxy, ``serve --proxy-headers``); an IPv6 address counts as its /64 network.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import Request, Response

from tkiresist.errors import Location
from tkiresist.web.context import context_of
from tkiresist.web.errors import Forbidden, RateLimited, Unauthenticated
from tkiresist.web.store import RANK, Role, SessionInfo, User, throttle_key

SESSION_COOKIE = "tkiresist_session"
LOGIN_CSRF_COOKIE = "tkiresist_login_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Unauthenticated):
    """Not logged in, on a page: a browser is sent to the login page instead."""


def wants_html(request: Request) -> bool:
    """A browser asking for a page (not the API): errors are shown as pages, and a form that
    fails is shown again; any other client gets the JSON error shape."""
    if request.url.path.startswith("/api"):
        return False
    return "text/html" in request.headers.get("accept", "")


def remote_of(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def secure_cookies(request: Request) -> bool:
    forced = context_of(request).settings.secure_cookies
    return forced if forced is not None else request.url.scheme == "https"


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    lifetime = context_of(request).settings.session_lifetime
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=secure_cookies(request), path="/"
    )


def login_csrf_token(request: Request) -> str:
    """The double-submit token of the login form: the cookie's, or a new one."""
    return request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)


def set_login_csrf_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        path="/login",
    )


def session_of(request: Request) -> SessionInfo | None:
    """The request's live session, looked up once per request."""
    if hasattr(request.state, "session"):
        cached: SessionInfo | None = request.state.session
        return cached
    token = request.cookies.get(SESSION_COOKIE)
    info = None
    if token:
        ctx = context_of(request)
        info = ctx.store.session(token, ctx.settings.session_idle)
    request.state.session = info
    return info


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    parts = urlsplit(origin)
    return (parts.scheme, parts.netloc) == (request.url.scheme, request.url.netloc)


async def check_csrf(request: Request, expected: str) -> None:
    """Refuse an unsafe request without the right CSRF token, or from another origin."""
    if request.method in SAFE_METHODS:
        return
    if not _same_origin(request):
        raise Forbidden("cross-origin request refused", Location(field="origin"))
    sent = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if sent is None and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden(
            "missing or wrong CSRF token: reload the page (forms) or send the X-CSRF-Token "
            "header given at login (API)",
            Location(field=CSRF_FIELD),
        )


def requires(role: Role, *, page: bool = False) -> Callable[[Request], Awaitable[SessionInfo]]:
    """A dependency admitting logged-in users with ``role`` or above; for unsafe methods it
    also checks the CSRF token. ``page``: an anonymous browser is sent to the login page."""

    async def dependency(request: Request) -> SessionInfo:
        from starlette.concurrency import run_in_threadpool

        info = await run_in_threadpool(session_of, request)
        if info is None:
            kind = LoginRequired if page else Unauthenticated
            raise kind("log in first", Location(field="session"))
        await check_csrf(request, info.csrf_token)
        if RANK[info.user.role] < RANK[role]:
            raise Forbidden(
                f"this needs the {role} role; {info.user.name} is a {info.user.role}",
                Location(field="role"),
            )
        return info

    dependency.__name__ = f"requires_{role}{'_page' if page else ''}"
    return dependency


def check_rate_limit(request: Request, name: str) -> None:
    """Raise RateLimited when too many logins failed lately for ``name`` from this address, or
    from this address for any name. Failures from other addresses do not count."""
    ctx = context_of(request)
    s = ctx.settings
    now = dt.datetime.now(dt.UTC)
    since = now - s.login_window
    remote = remote_of(request)
    key = throttle_key(remote)
    by_pair, by_remote = ctx.store.failures_since(name, key, since)
    if by_remote >= s.login_max_per_address:
        scope, oldest = "address", ctx.store.oldest_failure_since(key, since)
    elif by_pair >= s.login_max_per_user_address:
        scope, oldest = "user+address", ctx.store.oldest_failure_since(key, since, name)
    else:
        return
    wait = max(1, int((oldest + s.login_window - now).total_seconds()) + 1)
    ctx.store.audit(
        name, "login", name, outcome="limited", detail={"scope": scope, "key": key}, remote=remote
    )
    raise RateLimited(
        f"too many failed logins from this address: try again in {wait} seconds",
        Location(field="name"),
        headers={"Retry-After": str(wait)},
    )


def login(request: Request, name: str, password: str) -> tuple[User, str, str]:
    """Check the rate limit and the password; return (user, session token, CSRF token).
    Every attempt is in the audit trail."""
    ctx = context_of(request)
    remote = remote_of(request)
    check_rate_limit(request, name)
    user = ctx.store.authenticate(name, password)
    if user is None:
        ctx.store.record_failure(name, throttle_key(remote))
        ctx.store.audit(name, "login", name, outcome="denied", remote=remote)
        raise Unauthenticated("wrong user name or password", Location(field="password"))
    ctx.store.clear_failures(name, throttle_key(remote))
    token, csrf = ctx.store.create_session(user, ctx.settings.session_lifetime)
    ctx.store.audit(user.name, "login", user.name, remote=remote)
    request.state.session = SessionInfo(user, csrf, dt.datetime.now(dt.UTC))
    return user, token, csrf


def logout(request: Request, info: SessionInfo) -> None:
    ctx = context_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        ctx.store.end_session(token)
    ctx.store.audit(info.user.name, "logout", info.user.name, remote=remote_of(request))
