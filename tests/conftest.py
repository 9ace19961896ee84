"""Shared fixtures. Paths to the bundled examples and test data."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
EXAMPLES = ROOT / "examples"
SEED_CASE = EXAMPLES / "cheung2025" / "case.yaml"
SEED_TEXT = ROOT.parent / "shared" / "seed" / "000_83a4b5ed95b700c3.txt"


@pytest.fixture(scope="session")
def seed_case_path() -> Path:
    return SEED_CASE
