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
