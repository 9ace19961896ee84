"""Web fixtures: an application on a database per backend, users of each role, logged-in clients.

Every test that takes ``app`` runs on SQLite (a copy of a registry built once per session, with
the bundled dataset loaded) and, when ``TKIRESIST_TEST_PG_URL`` names a scratch PostgreSQL
database, on PostgreSQL too (skipped otherwise, naming the variable). On PostgreSQL the registry
and web tables are dropped before and after each test.

Passwords are hashed with a cheap argon2 setting here: the production parameters cost tens of
milliseconds per login, which would only slow the suite down.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SEED_CASE, drop_pg_tables

PG_ENV = "TKIRESIST_TEST_PG_URL"
PASSWORD = "correct horse battery"
TABLES = (
    "web_audit",
    "web_login_failure",
    "web_session",
    "web_user",
    "web_alembic_version",
    "registry_case_facts",
    "registry_history",
    "registry_field_provenance",
    "registry_case",
    "registry_dataset",
    "registry_alembic_version",
)


def fast_hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _drop_all(url: str) -> None:
    drop_pg_tables(url, TABLES)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite registry with the default dataset and the web tables, built once."""
    from tkiresist.registry.opening import open_registry
    from tkiresist.web.store import migrate_web

    path = tmp_path_factory.mktemp("template") / "registry.sqlite"
    registry = open_registry(f"sqlite:///{path}")
    migrate_web(registry.engine)
    registry.close()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, template_db: Path) -> Iterator[str]:
    if request.param == "sqlite":
        target = tmp_path / "registry.sqlite"
        shutil.copy(template_db, target)
        for suffix in ("-wal", "-shm"):
            extra = template_db.with_name(template_db.name + suffix)
            if extra.exists():
                shutil.copy(extra, target.with_name(target.name + suffix))
        yield f"sqlite:///{target}"
        return
    url = os.environ.get(PG_ENV, "").strip()
    if not url:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (a scratch database URL)")
    from tkiresist.registry.db import normalize_url

    url = normalize_url(url)
    _drop_all(url)
    yield url
    _drop_all(url)


@pytest.fixture
def settings_kwargs() -> dict[str, Any]:
    """Override in a test module to change settings."""
    return {}


@pytest.fixture
def app(db_url: str, settings_kwargs: dict[str, Any]) -> Iterator[Any]:
    from tkiresist.web.app import create_app
    from tkiresist.web.settings import Settings

    settings = Settings(db_url=db_url, password_hasher=fast_hasher(), **settings_kwargs)
    application = create_app(settings)
    store = application.state.ctx.store
    for name, role in (("vera", "viewer"), ("carl", "curator"), ("cora", "curator")):
        store.add_user(name, PASSWORD, role, who="test")
    store.add_user("ada", PASSWORD, "admin", who="test")
    yield application
    application.state.ctx.registry.close()


@dataclass
class Session:
    """A logged-in client and its CSRF token."""

    client: Any
    csrf: str
    name: str

    def headers(self, **extra: str) -> dict[str, str]:
        return {"x-csrf-token": self.csrf, **extra}

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        kw["headers"] = {**self.headers(), **kw.get("headers", {})}
        return self.client.post(url, **kw)

    def put(self, url: str, **kw: Any) -> Any:
        kw["headers"] = {**self.headers(), **kw.get("headers", {})}
        return self.client.put(url, **kw)

    def patch(self, url: str, **kw: Any) -> Any:
        kw["headers"] = {**self.headers(), **kw.get("headers", {})}
        return self.client.patch(url, **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        kw["headers"] = {**self.headers(), **kw.get("headers", {})}
        return self.client.delete(url, **kw)


def client_for(app: Any, **kw: Any) -> Any:
    from fastapi.testclient import TestClient

    return TestClient(app, raise_server_exceptions=False, **kw)


def login(app: Any, name: str) -> Session:
    client = client_for(app)
    r = client.post("/api/login", json={"name": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return Session(client, r.json()["csrf_token"], name)


@pytest.fixture
def viewer(app: Any) -> Session:
    return login(app, "vera")


@pytest.fixture
def curator(app: Any) -> Session:
    return login(app, "carl")


@pytest.fixture
def curator2(app: Any) -> Session:
    return login(app, "cora")


@pytest.fixture
def admin(app: Any) -> Session:
    return login(app, "ada")


@pytest.fixture(scope="session")
def seed_yaml() -> str:
    return SEED_CASE.read_text(encoding="utf-8")


YAML = {"content-type": "application/yaml"}


def create_seed(session: Session, text: str) -> dict[str, Any]:
    r = session.post("/api/cases", content=text, headers=YAML)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def assert_error_shape(response: Any, status: int | None = None) -> dict[str, Any]:
    """The one error shape, exactly: error.code, error.message, error.details[{loc, msg}]."""
    if status is not None:
        assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert set(err) == {"code", "message", "details"}, err
    assert isinstance(err["code"], str) and err["code"]
    assert isinstance(err["message"], str) and err["message"]
    assert isinstance(err["details"], list)
    for d in err["details"]:
        assert set(d) == {"loc", "msg"}, d
        assert isinstance(d["loc"], list)
        assert isinstance(d["msg"], str)
    result: dict[str, Any] = err
    return result
