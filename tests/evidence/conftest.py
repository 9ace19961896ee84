"""Fixtures: the seed's Table 1 as a case-facts table in SQLite (SQLAlchemy) and DuckDB."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.evidence import seed_facts


def make_sqlite_engine(rows: list[dict[str, Any]]) -> Any:
    """An in-memory SQLite engine holding ``rows`` in ``registry_case_facts``."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import StaticPool

    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    with engine.begin() as conn:
        conn.execute(text(seed_facts.DDL))
        if rows:
            cols = seed_facts.COLUMNS
            conn.execute(
                text(
                    f"INSERT INTO registry_case_facts ({', '.join(cols)}) "
                    f"VALUES ({', '.join(':' + c for c in cols)})"
                ),
                rows,
            )
    return engine


def make_duckdb(rows: list[dict[str, Any]]) -> Any:
    """A DuckDB connection holding ``rows`` in ``registry_case_facts``."""
    import duckdb

    conn = duckdb.connect()
    conn.execute(seed_facts.DDL)
    cols = seed_facts.COLUMNS
    conn.executemany(
        f"INSERT INTO registry_case_facts VALUES ({', '.join('?' for _ in cols)})",
        [[r[c] for c in cols] for r in rows],
    )
    return conn


@pytest.fixture(scope="session")
def seed_rows() -> list[dict[str, Any]]:
    return seed_facts.rows()


@pytest.fixture(scope="session")
def seed_engine(seed_rows: list[dict[str, Any]]) -> Iterator[Any]:
    engine = make_sqlite_engine(seed_rows)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def seed_duckdb(seed_rows: list[dict[str, Any]]) -> Iterator[Any]:
    conn = make_duckdb(seed_rows)
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def registry_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The registry's own database, created with its bundled ``cheung2025-table1`` dataset
    (the seed's Table 1 imported from the paper's text)."""
    from tkiresist.registry.opening import open_registry

    path = tmp_path_factory.mktemp("registry") / "registry.sqlite"
    with open_registry(f"sqlite:///{path}") as registry:
        yield registry.engine
