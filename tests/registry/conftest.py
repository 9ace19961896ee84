"""Registry fixtures: a database URL per backend.

Every database test runs on SQLite; it also runs on PostgreSQL when ``TKIRESIST_TEST_PG_URL``
names a server (e.g. ``postgresql+psycopg://postgres@127.0.0.1:54329/postgres``), and is skipped
there otherwise, with a reason naming the variable. On PostgreSQL the registry's tables are
dropped before each test, so use a scratch database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SEED_TEXT, drop_pg_tables

PG_ENV = "TKIRESIST_TEST_PG_URL"
TABLES = (
    "registry_case_facts",
    "registry_history",
    "registry_field_provenance",
    "registry_case",
    "registry_dataset",
    "registry_alembic_version",
)


def _drop_all(url: str) -> None:
    drop_pg_tables(url, TABLES)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database: a SQLite file, or the PostgreSQL server under test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.sqlite'}"
        return
    url = os.environ.get(PG_ENV, "").strip()
    if not url:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (a scratch database URL)")
    from tkiresist.registry.db import normalize_url

    url = normalize_url(url)
    _drop_all(url)
    yield url
    _drop_all(url)


@pytest.fixture(scope="session")
def seed_text() -> Path:
    if not SEED_TEXT.exists():
        pytest.skip(f"the seed paper's text is not at {SEED_TEXT} (shared/ is absent)")
    return SEED_TEXT
