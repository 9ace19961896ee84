"""The pooled-evidence cache: a SQLite registry's response rates are read from disk until
the database changes, so that ``tkiresist interpret`` does not import SQLAlchemy each time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tkiresist.evidence import pooled

DATASET = "cheung2025-table1"


@pytest.fixture()
def registry_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    pooled.default_index.cache_clear()
    yield f"sqlite:///{tmp_path / 'registry.sqlite'}"
    pooled.default_index.cache_clear()


def _cache_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache").rglob("pooled-*.json"))


def test_first_use_computes_and_caches(registry_url: str, tmp_path: Path) -> None:
    index = pooled.default_index(DATASET, registry_url)
    found = index(("osimertinib", "alectinib"))
    assert found is not None and (found.numerator, found.denominator) == (6, 9)
    files = _cache_files(tmp_path)
    assert len(files) == 1
    data = json.loads(files[0].read_text())
    assert data["rates"]["combination_orr"]["numerator"] == 6


def test_a_later_process_answers_from_the_cache_without_sqlalchemy(
    registry_url: str, tmp_path: Path
) -> None:
    pooled.default_index(DATASET, registry_url)
    code = (
        "import sys; from tkiresist.evidence.pooled import default_index; "
        f"i = default_index({DATASET!r}, {registry_url!r}); "
        "p = i(('osimertinib', 'lorlatinib')); "
        "print(p.numerator, p.denominator, 'sqlalchemy' in sys.modules)"
    )
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.split() == ["6", "9", "False"]


def test_a_changed_database_is_recomputed(registry_url: str, tmp_path: Path) -> None:
    pooled.default_index(DATASET, registry_url)
    files = _cache_files(tmp_path)
    data = json.loads(files[0].read_text())
    data["rates"]["combination_orr"]["numerator"] = 0  # tamper: a stale cache would show it
    files[0].write_text(json.dumps(data))
    pooled.default_index.cache_clear()
    hit = pooled.default_index(DATASET, registry_url)(("osimertinib", "alectinib"))
    assert hit is not None and hit.numerator == 0  # same stamp: the cache is trusted
    db = Path(registry_url.removeprefix("sqlite:///"))
    os.utime(db, ns=(db.stat().st_atime_ns, db.stat().st_mtime_ns + 10**9))
    pooled.default_index.cache_clear()
    fresh = pooled.default_index(DATASET, registry_url)(("osimertinib", "alectinib"))
    assert fresh is not None and fresh.numerator == 6
