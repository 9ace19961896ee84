"""Shared fixtures. Paths to the bundled examples and test data."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
EXAMPLES = ROOT / "examples"
SEED_CASE = EXAMPLES / "cheung2025" / "case.yaml"
# the seed paper (CC BY 4.0), copied with its licence note into tests/data/seed/
SEED_TEXT = DATA / "seed" / "cheung2025_cureus_92202.txt"


@pytest.fixture(scope="session")
def seed_case_path() -> Path:
    return SEED_CASE


@pytest.fixture(scope="session", autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the suite out of the user's home: the default registry (user data dir) and the
    pooled-evidence cache (user cache dir) go to a temporary folder for the whole session."""
    import os

    root = tmp_path_factory.mktemp("user-dirs")
    for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        os.environ[var] = str(root / var.lower())
    os.environ.pop("TKIRESIST_DB", None)


def drop_pg_tables(url: str, names: tuple[str, ...] = ()) -> None:
    """Drop every table of ours (``registry_*``, ``web_*``, and ``names``) from a scratch
    PostgreSQL database, the tables later migrations add included."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        found = conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND (tablename LIKE 'registry\\_%' OR tablename LIKE 'web\\_%')"
            )
        ).scalars()
        for table in sorted({*names, *found}):
            conn.execute(text(f"DROP TABLE IF EXISTS {table} CASCADE"))
    engine.dispose()
