"""The evidence layer on PostgreSQL: the same numbers and the same audit as on SQLite.

Runs when ``TKIRESIST_TEST_PG_URL`` names a server (``.ci/run`` starts one); the tests create
their own scratch database on it and drop it afterwards, so they do not touch the registry
tests' tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.evidence import seed_facts
from tkiresist.evidence.claims import audit_file, packaged_claims
from tkiresist.evidence.summary import summarize

PG_ENV = "TKIRESIST_TEST_PG_URL"
pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_engine() -> Iterator[Any]:
    url = os.environ.get(PG_ENV, "").strip()
    if not url:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (a server URL)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from tkiresist.registry.db import normalize_url
    from tkiresist.registry.opening import open_registry

    server = make_url(normalize_url(url))
    name = f"tkiresist_evidence_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        target = server.set(database=name).render_as_string(hide_password=False)
        with open_registry(target) as registry:
            yield registry.engine
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_summary_on_postgres_equals_sqlite(pg_engine: Any, registry_engine: Any) -> None:
    def numbers(source: Any) -> dict[str, Any]:
        summary = summarize(source, dataset=seed_facts.DATASET)
        return {s.id: (s.numerator, s.denominator, s.value) for s in summary.statistics}

    on_pg = numbers(pg_engine)
    assert on_pg == numbers(registry_engine)
    assert on_pg["combination_orr"][:2] == (6, 9)
    filtered = summarize(pg_engine, where="prior_tkis has afatinib and age >= 60")
    assert filtered.n_cases == 3


def test_audit_on_postgres(pg_engine: Any) -> None:
    report = audit_file(packaged_claims(), pg_engine)
    assert {r.claim.id for r in report.mismatches} == {"abstract-case-age", "results-ex19del"}
