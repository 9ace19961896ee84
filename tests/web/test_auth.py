"""Accounts, sessions, cookies, CSRF, roles, the login rate limit and the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from .conftest import PASSWORD, Session, assert_error_shape, client_for, create_seed, login


def _cookie_attrs(response: Any, name: str) -> dict[str, str | bool]:
    header = next(h for h in response.headers.get_list("set-cookie") if h.startswith(name + "="))
    attrs: dict[str, str | bool] = {}
    for part in header.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        attrs[key.lower()] = value or True
    return attrs


def test_session_cookie_is_httponly_samesite_and_not_secure_over_http(app: Any) -> None:
    r = client_for(app).post("/api/login", json={"name": "vera", "password": PASSWORD})
    attrs = _cookie_attrs(r, "tkiresist_session")
    assert attrs["httponly"] is True and str(attrs["samesite"]).lower() == "lax"
    assert "secure" not in attrs


def test_session_cookie_is_secure_over_https(app: Any) -> None:
    client = client_for(app, base_url="https://testserver")
    r = client.post("/api/login", json={"name": "vera", "password": PASSWORD})
    assert _cookie_attrs(r, "tkiresist_session")["secure"] is True


@pytest.mark.parametrize("settings_kwargs", [{"secure_cookies": True}])
def test_secure_cookies_can_be_forced(app: Any) -> None:
    r = client_for(app).post("/api/login", json={"name": "vera", "password": PASSWORD})
    assert _cookie_attrs(r, "tkiresist_session")["secure"] is True


def test_passwords_are_stored_as_argon2id_hashes(app: Any) -> None:
    from sqlalchemy import select

    from tkiresist.web.store import users

    with app.state.ctx.registry.engine.connect() as conn:
        hashes = conn.execute(select(users.c.password_hash)).scalars().all()
    assert hashes and all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_wrong_password_is_401_and_audited(app: Any) -> None:
    r = client_for(app).post("/api/login", json={"name": "vera", "password": "wrong password"})
    err = assert_error_shape(r, 401)
    assert err["details"][0]["loc"] == ["password"]
    entry = app.state.ctx.store.audit_entries(action="login")[0]
    assert (entry.user, entry.outcome) == ("vera", "denied")


def test_unknown_user_and_wrong_password_look_the_same(app: Any) -> None:
    client = client_for(app)
    a = client.post("/api/login", json={"name": "nobody", "password": "whatever123"})
    b = client.post("/api/login", json={"name": "vera", "password": "whatever123"})
    assert a.status_code == b.status_code == 401 and a.json() == b.json()


def test_logout_ends_the_session(viewer: Session) -> None:
    assert viewer.get("/api/me").status_code == 200
    assert viewer.post("/api/logout").status_code == 204
    assert_error_shape(viewer.get("/api/me"), 401)


def test_a_stolen_cookie_without_csrf_token_cannot_write(curator: Session, seed_yaml: str) -> None:
    r = curator.client.post(
        "/api/cases", content=seed_yaml, headers={"content-type": "application/yaml"}
    )
    assert assert_error_shape(r, 403)["details"][0]["loc"] == ["csrf_token"]
    r = curator.client.post(
        "/api/cases",
        content=seed_yaml,
        headers={"content-type": "application/yaml", "x-csrf-token": "guess"},
    )
    assert_error_shape(r, 403)
    assert curator.get("/api/cases?dataset=local").json()["total"] == 0


def test_cross_origin_writes_are_refused(curator: Session, seed_yaml: str) -> None:
    r = curator.post(
        "/api/cases",
        content=seed_yaml,
        headers={"content-type": "application/yaml", "origin": "https://evil.example"},
    )
    assert assert_error_shape(r, 403)["details"][0]["loc"] == ["origin"]
    same = curator.post(
        "/api/cases",
        content=seed_yaml,
        headers={"content-type": "application/yaml", "origin": "http://testserver"},
    )
    assert same.status_code == 201


def test_json_login_needs_a_json_body(app: Any) -> None:
    r = client_for(app).post("/api/login", data={"name": "vera", "password": PASSWORD})
    assert r.status_code in (400, 422)
    assert_error_shape(r)
    assert "tkiresist_session" not in r.headers.get("set-cookie", "")


@pytest.mark.parametrize(
    ("who", "method", "url", "status"),
    [
        ("vera", "GET", "/api/cases", 200),
        ("vera", "POST", "/api/cases", 403),
        ("vera", "GET", "/api/users", 403),
        ("carl", "GET", "/api/users", 403),
        ("carl", "GET", "/api/audit", 403),
        ("ada", "GET", "/api/users", 200),
        ("ada", "GET", "/api/audit", 200),
    ],
)
def test_roles(app: Any, who: str, method: str, url: str, status: int) -> None:
    s = login(app, who)
    r = s.client.request(method, url, headers=s.headers(**{"content-type": "application/yaml"}))
    assert r.status_code == status
    if status == 403:
        assert assert_error_shape(r)["details"][0]["loc"] == ["role"]


def test_admin_manages_users_and_it_is_audited(admin: Session, app: Any) -> None:
    r = admin.post("/api/users", json={"name": "nina", "password": PASSWORD, "role": "viewer"})
    assert r.status_code == 201
    assert admin.patch("/api/users/nina", json={"role": "curator"}).json()["role"] == "curator"
    assert login(app, "nina").get("/api/me").json()["user"]["role"] == "curator"
    dup = admin.post("/api/users", json={"name": "nina", "password": PASSWORD, "role": "viewer"})
    assert assert_error_shape(dup, 409)["code"] == "exists"
    short = admin.post("/api/users", json={"name": "otto", "password": "short", "role": "viewer"})
    assert assert_error_shape(short, 422)["details"][0]["loc"] == ["password"]
    actions = [(e.user, e.action, e.target, e.outcome) for e in app.state.ctx.store.audit_entries()]
    assert ("ada", "user.add", "nina", "ok") in actions
    assert ("ada", "user.change", "nina", "ok") in actions
    assert ("ada", "user.add", "nina", "exists") in actions


def test_deactivating_a_user_ends_their_sessions(admin: Session, viewer: Session) -> None:
    assert viewer.get("/api/me").status_code == 200
    assert admin.patch("/api/users/vera", json={"active": False}).status_code == 200
    assert_error_shape(viewer.get("/api/me"), 401)


def test_the_last_admin_cannot_be_demoted(admin: Session) -> None:
    err = assert_error_shape(admin.patch("/api/users/ada", json={"role": "viewer"}), 409)
    assert "last active admin" in err["message"]
    assert admin.get("/api/me").json()["user"]["role"] == "admin"


def test_idle_and_expired_sessions_end(app: Any, viewer: Session) -> None:
    from sqlalchemy import update

    from tkiresist.web.store import sessions

    engine = app.state.ctx.registry.engine
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    with engine.begin() as conn:
        conn.execute(update(sessions).values(last_seen_at=past))
    assert_error_shape(viewer.get("/api/me"), 401)


def test_every_write_is_audited_with_the_user(app: Any, curator: Session, seed_yaml: str) -> None:
    create_seed(curator, seed_yaml)
    curator.post("/api/cases", content=seed_yaml, headers={"content-type": "application/yaml"})
    rows = [(e.user, e.action, e.target, e.outcome) for e in app.state.ctx.store.audit_entries()]
    assert ("carl", "case.create", "cheung2025-case1", "ok") in rows
    assert ("carl", "case.create", "cheung2025-case1", "exists") in rows


# ----------------------------------------------------------------------------- rate limit


@pytest.mark.parametrize("settings_kwargs", [{"login_max_per_user": 3}])
def test_login_rate_limit_per_user(app: Any) -> None:
    client = client_for(app)
    for _ in range(3):
        assert (
            client.post("/api/login", json={"name": "vera", "password": "nope" * 3}).status_code
            == 401
        )
    blocked = client.post("/api/login", json={"name": "vera", "password": PASSWORD})
    err = assert_error_shape(blocked, 429)  # even the right password: not checked any more
    assert err["code"] == "rate_limited"
    assert 1 <= int(blocked.headers["retry-after"]) <= 15 * 60 + 1
    assert "tkiresist_session" not in blocked.headers.get("set-cookie", "")
    other = client.post("/api/login", json={"name": "carl", "password": PASSWORD})
    assert other.status_code == 200


@pytest.mark.parametrize("settings_kwargs", [{"login_max_per_address": 4}])
def test_login_rate_limit_per_address(app: Any) -> None:
    client = client_for(app)
    for name in ("a1", "a2", "a3", "a4"):
        client.post("/api/login", json={"name": name, "password": "nope nope nope"})
    assert_error_shape(client.post("/api/login", json={"name": "carl", "password": PASSWORD}), 429)


@pytest.mark.parametrize("settings_kwargs", [{"login_max_per_user": 2}])
def test_successful_login_clears_the_failures(app: Any) -> None:
    client = client_for(app)
    client.post("/api/login", json={"name": "vera", "password": "nope nope nope"})
    assert client.post("/api/login", json={"name": "vera", "password": PASSWORD}).status_code == 200
    client.post("/api/login", json={"name": "vera", "password": "nope nope nope"})
    assert client.post("/api/login", json={"name": "vera", "password": PASSWORD}).status_code == 200


# ----------------------------------------------------------------------------- the login page


def test_login_page_form_needs_its_csrf_cookie(app: Any) -> None:
    client = client_for(app, follow_redirects=False)
    page = client.get("/login?next=/registry", headers={"accept": "text/html"})
    token = client.cookies.get("tkiresist_login_csrf")
    assert page.status_code == 200 and token and f'value="{token}"' in page.text
    form = {"name": "vera", "password": PASSWORD, "next": "/registry"}
    forged = client_for(app, follow_redirects=False).post(
        "/login", data={**form, "csrf_token": token}, headers={"accept": "text/html"}
    )
    assert forged.status_code == 403
    ok = client.post("/login", data={**form, "csrf_token": token}, headers={"accept": "text/html"})
    assert ok.status_code == 303 and ok.headers["location"] == "/registry"
    assert client.get("/api/me").json()["user"]["name"] == "vera"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil"])
def test_login_never_redirects_off_site(app: Any, target: str) -> None:
    client = client_for(app, follow_redirects=False)
    client.get("/login")
    token = client.cookies.get("tkiresist_login_csrf")
    r = client.post(
        "/login",
        data={"name": "vera", "password": PASSWORD, "next": target, "csrf_token": token},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_security_headers(viewer: Session) -> None:
    r = viewer.get("/registry", headers={"accept": "text/html"})
    csp = r.headers["content-security-policy"]
    assert "script-src 'nonce-" in csp and "frame-ancestors 'none'" in csp
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in r.text
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
