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


A = ("203.0.113.7", 40000)
B = ("198.51.100.9", 40000)
WRONG = "nope nope nope"


def _try(client: Any, name: str, password: str = WRONG) -> Any:
    return client.post("/api/login", json={"name": name, "password": password})


@pytest.mark.parametrize("settings_kwargs", [{"login_max_per_user_address": 3}])
def test_login_rate_limit_per_user_and_address(app: Any) -> None:
    client = client_for(app, client=A)
    for _ in range(3):
        assert _try(client, "vera").status_code == 401
    blocked = _try(client, "vera", PASSWORD)
    err = assert_error_shape(blocked, 429)  # even the right password: not checked any more
    assert err["code"] == "rate_limited"
    assert 1 <= int(blocked.headers["retry-after"]) <= 15 * 60 + 1
    assert "tkiresist_session" not in blocked.headers.get("set-cookie", "")
    assert _try(client, "carl", PASSWORD).status_code == 200  # another user from A


def test_failures_from_one_address_do_not_lock_the_account_for_another(app: Any) -> None:
    """Issue #17: anyone who knows the admin's name could lock the admin out."""
    attacker, admin = client_for(app, client=A), client_for(app, client=B)
    for _ in range(5):  # the default limit
        assert _try(attacker, "ada").status_code == 401
    assert_error_shape(_try(attacker, "ada", PASSWORD), 429)
    assert _try(admin, "ada", PASSWORD).status_code == 200
    assert_error_shape(_try(attacker, "ada", PASSWORD), 429)  # A is still throttled


@pytest.mark.parametrize("settings_kwargs", [{"login_max_per_user_address": 3}])
def test_a_login_elsewhere_does_not_clear_the_failures_of_an_address(app: Any) -> None:
    attacker = client_for(app, client=A)
    for _ in range(2):
        _try(attacker, "ada")
    assert _try(client_for(app, client=B), "ada", PASSWORD).status_code == 200
    _try(attacker, "ada")
    assert_error_shape(_try(attacker, "ada", PASSWORD), 429)


@pytest.mark.parametrize("settings_kwargs", [{"login_max_per_address": 4}])
def test_login_rate_limit_per_address(app: Any) -> None:
    client = client_for(app, client=A)
    for name in ("a1", "a2", "a3", "a4"):
        _try(client, name)
    assert_error_shape(_try(client, "carl", PASSWORD), 429)
    assert _try(client_for(app, client=B), "carl", PASSWORD).status_code == 200


@pytest.mark.parametrize("settings_kwargs", [{"login_max_per_user_address": 2}])
def test_x_forwarded_for_is_not_trusted(app: Any) -> None:
    client = client_for(app, client=A)
    for fake in ("192.0.2.1", "192.0.2.2"):
        r = client.post(
            "/api/login",
            json={"name": "vera", "password": WRONG},
            headers={"x-forwarded-for": fake},
        )
        assert r.status_code == 401
    r = client.post(
        "/api/login",
        json={"name": "vera", "password": PASSWORD},
        headers={"x-forwarded-for": "192.0.2.3"},
    )
    assert_error_shape(r, 429)
    entry = app.state.ctx.store.audit_entries(action="login")[0]
    assert (entry.outcome, entry.remote) == ("limited", A[0])


@pytest.mark.parametrize("settings_kwargs", [{"login_max_per_user_address": 2}])
def test_ipv6_addresses_of_one_64_share_a_throttle(app: Any) -> None:
    _try(client_for(app, client=("2001:db8:1:2::a", 1)), "vera")
    _try(client_for(app, client=("2001:db8:1:2::b", 1)), "vera")
    assert_error_shape(_try(client_for(app, client=("2001:db8:1:2::c", 1)), "vera", PASSWORD), 429)
    other_net = client_for(app, client=("2001:db8:1:3::a", 1))
    assert _try(other_net, "vera", PASSWORD).status_code == 200


@pytest.mark.parametrize("settings_kwargs", [{"login_max_per_user_address": 2}])
def test_failed_and_throttled_logins_are_audited(app: Any) -> None:
    client = client_for(app, client=A)
    for _ in range(3):
        _try(client, "vera")
    entries = app.state.ctx.store.audit_entries(action="login")
    assert [(e.user, e.outcome, e.remote) for e in entries] == [
        ("vera", "limited", A[0]),
        ("vera", "denied", A[0]),
        ("vera", "denied", A[0]),
    ]
    assert entries[0].detail == {"scope": "user+address", "key": A[0]}


@pytest.mark.parametrize("settings_kwargs", [{"login_max_per_user_address": 2}])
def test_successful_login_clears_the_failures(app: Any) -> None:
    client = client_for(app)
    client.post("/api/login", json={"name": "vera", "password": "nope nope nope"})
    assert client.post("/api/login", json={"name": "vera", "password": PASSWORD}).status_code == 200
    client.post("/api/login", json={"name": "vera", "password": "nope nope nope"})
    assert client.post("/api/login", json={"name": "vera", "password": PASSWORD}).status_code == 200


# ----------------------------------------------------------------------------- admin: locks


@pytest.mark.parametrize("settings_kwargs", [{"login_max_per_user_address": 2}])
def test_admin_lists_and_clears_a_lock_and_it_is_audited(app: Any, admin: Session) -> None:
    attacker = client_for(app, client=A)
    for _ in range(2):
        _try(attacker, "vera")
    _try(client_for(app, client=B), "vera")  # one failure from B: below the limit
    listed = admin.get("/api/admin/locks")
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert (body["max_per_user_address"], body["max_per_address"]) == (2, 20)
    assert body["window_seconds"] == 15 * 60
    [lock] = body["locks"]
    assert {k: lock[k] for k in ("scope", "user", "address", "failures", "limit", "locked")} == {
        "scope": "user+address",
        "user": "vera",
        "address": A[0],
        "failures": 2,
        "limit": 2,
        "locked": True,
    }
    assert lock["until"] is not None
    streaks = admin.get("/api/admin/locks?all=true").json()["locks"]
    assert {(s["scope"], s["user"], s["address"], s["locked"]) for s in streaks} == {
        ("user+address", "vera", A[0], True),
        ("user+address", "vera", B[0], False),
        ("address", None, A[0], False),
        ("address", None, B[0], False),
    }
    assert_error_shape(_try(attacker, "vera", PASSWORD), 429)

    cleared = admin.delete("/api/admin/locks", params={"user": "vera", "address": A[0]})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json() == {"cleared": 2, "user": "vera", "address": A[0]}
    assert admin.get("/api/admin/locks").json()["locks"] == []
    assert _try(attacker, "vera", PASSWORD).status_code == 200
    entry = app.state.ctx.store.audit_entries(action="login.unlock")[0]
    assert (entry.user, entry.target, entry.outcome, entry.remote) == (
        "ada",
        "vera",
        "ok",
        "testclient",
    )
    assert entry.detail == {"user": "vera", "address": A[0], "cleared": 2}


@pytest.mark.parametrize("settings_kwargs", [{"login_max_per_address": 2}])
def test_admin_clears_an_address_throttle(app: Any, admin: Session) -> None:
    client = client_for(app, client=A)
    _try(client, "x1")
    _try(client, "x2")
    [lock] = admin.get("/api/admin/locks").json()["locks"]
    assert (lock["scope"], lock["user"], lock["address"]) == ("address", None, A[0])
    assert admin.delete("/api/admin/locks", params={"address": A[0]}).json()["cleared"] == 2
    assert _try(client, "carl", PASSWORD).status_code == 200


def test_clearing_locks_needs_a_target_and_a_match(app: Any, admin: Session) -> None:
    err = assert_error_shape(admin.delete("/api/admin/locks"), 422)
    assert err["code"] == "invalid"
    err = assert_error_shape(admin.delete("/api/admin/locks", params={"user": "vera"}), 404)
    assert "no failed logins" in err["message"]
    outcomes = [e.outcome for e in app.state.ctx.store.audit_entries(action="login.unlock")]
    assert outcomes == ["not_found", "invalid"]


@pytest.mark.parametrize("who", ["vera", "carl"])
def test_only_admins_see_or_clear_locks(app: Any, who: str) -> None:
    _try(client_for(app, client=A), "ada")
    s = login(app, who)
    for r in (s.get("/api/admin/locks"), s.delete("/api/admin/locks", params={"user": "ada"})):
        assert assert_error_shape(r, 403)["details"][0]["loc"] == ["role"]
    no_csrf = login(app, "ada").client.delete("/api/admin/locks", params={"user": "ada"})
    assert assert_error_shape(no_csrf, 403)["details"][0]["loc"] == ["csrf_token"]
    assert (
        app.state.ctx.store.failures_since("ada", A[0], dt.datetime.min.replace(tzinfo=dt.UTC))[0]
        == 1
    )


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
