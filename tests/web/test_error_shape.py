"""One error shape on every route: ``{"error": {"code", "message", "details": [{"loc", "msg"}]}}``.

The routes are walked from the application itself, so a route added later is covered (and a
route open without login fails this test unless it is listed in OPEN)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import Session, assert_error_shape, client_for

OPEN = {("GET", "/health"), ("POST", "/api/login"), ("GET", "/login"), ("POST", "/login")}
FILL = {"uid": "no-such-case", "name": "nobody"}


def _routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every route, included routers too (FastAPI nests them)."""
    from fastapi.routing import APIRoute

    out: list[tuple[str, str]] = []

    def walk(routes: Any, prefix: str) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                out.extend((m, prefix + route.path) for m in sorted(route.methods - {"HEAD"}))
            elif hasattr(route, "original_router"):
                walk(route.original_router.routes, prefix + route.include_context.prefix)

    walk(app.routes, "")
    return out


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: FILL[m.group(1)], path)


@pytest.fixture
def routes(app: Any) -> list[tuple[str, str]]:
    found = _routes(app)
    assert len(found) > 30, found  # the walk sees the API and the pages
    return found


def test_every_route_needs_a_login(app: Any, routes: list[tuple[str, str]]) -> None:
    client = client_for(app)
    checked = 0
    for method, path in routes:
        if (method, path) in OPEN:
            continue
        r = client.request(method, _url(path), headers={"accept": "application/json"})
        assert_error_shape(r, 401)
        assert r.json()["error"]["code"] == "unauthenticated", (method, path)
        checked += 1
    assert checked == len(routes) - len(OPEN & set(routes))


def test_open_routes_are_exactly_health_and_login(app: Any, routes: list[tuple[str, str]]) -> None:
    client = client_for(app)
    opened = set()
    for method, path in routes:
        r = client.request(method, _url(path), headers={"accept": "application/json"})
        if r.status_code != 401:
            opened.add((method, path))
    assert opened == OPEN & set(routes)


def test_unsafe_routes_need_the_csrf_token(viewer: Session, routes: list[tuple[str, str]]) -> None:
    for method, path in routes:
        if method in ("GET", "HEAD") or (method, path) in OPEN:
            continue
        r = viewer.client.request(method, _url(path), headers={"accept": "application/json"})
        err = assert_error_shape(r, 403)
        assert err["details"][0]["loc"] == ["csrf_token"], (method, path)


def test_writes_refused_to_a_viewer(viewer: Session, routes: list[tuple[str, str]]) -> None:
    allowed = {("POST", "/api/interpret"), ("POST", "/api/logout"), ("POST", "/logout")}
    for method, path in routes:
        if method == "GET" or (method, path) in OPEN | allowed:
            continue
        r = viewer.client.request(
            method, _url(path), headers=viewer.headers(accept="application/json")
        )
        err = assert_error_shape(r, 403)
        assert err["details"][0]["loc"] == ["role"], (method, path)


def test_unknown_ids_and_bad_input_keep_the_shape(
    admin: Session, routes: list[tuple[str, str]]
) -> None:
    for method, path in routes:
        if (method, path) in OPEN or path in ("/logout", "/api/logout"):
            continue
        r = admin.client.request(
            method,
            _url(path),
            headers=admin.headers(
                accept="application/json", **{"content-type": "application/json"}
            ),
            content=b"{}" if method != "GET" else None,
        )
        if r.status_code < 400:
            assert "{" not in path, (method, path, r.status_code)  # only routes without ids
            continue
        assert r.status_code in (400, 404, 422), (method, path, r.status_code, r.text)
        assert_error_shape(r)


@pytest.mark.parametrize(
    ("method", "url", "status", "code"),
    [
        ("GET", "/api/no-such-thing", 404, "not_found"),
        ("GET", "/no/such/page", 404, "not_found"),
        ("DELETE", "/api/cases", 405, "method_not_allowed"),
        ("GET", "/api/cases?limit=0", 422, "invalid"),
        ("GET", "/api/cases/x/export?format=pdf", 422, "invalid"),
        ("GET", "/api/cases/x/export?identifiers=everything", 422, "invalid"),
    ],
)
def test_framework_errors_keep_the_shape(
    admin: Session, method: str, url: str, status: int, code: str
) -> None:
    r = admin.client.request(method, url, headers={"accept": "application/json"})
    assert assert_error_shape(r, status)["code"] == code


def test_validation_error_details_are_located(admin: Session) -> None:
    r = admin.post("/api/users", json={"name": "x", "role": "king"})
    err = assert_error_shape(r, 422)
    locs = [d["loc"] for d in err["details"]]
    assert ["body", "password"] in locs and ["body", "role"] in locs


def test_internal_error_keeps_the_shape_and_hides_the_cause(
    admin: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tkiresist.web import actions

    def broken(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(actions, "facets", broken)
    r = admin.get("/api/registry/datasets")
    err = assert_error_shape(r, 500)
    assert err["code"] == "internal_error" and "secret" not in r.text


def test_pages_answer_browsers_with_html_and_machines_with_json(app: Any) -> None:
    client = client_for(app, follow_redirects=False)
    html = client.get("/registry", headers={"accept": "text/html"})
    assert html.status_code == 303 and html.headers["location"] == "/login?next=/registry"
    machine = client.get("/registry", headers={"accept": "application/json"})
    assert_error_shape(machine, 401)
