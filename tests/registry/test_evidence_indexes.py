"""The evidence indexes migration matches the columns the summary's queries use."""

from __future__ import annotations

import importlib
from pathlib import Path

import sqlalchemy as sa

from tkiresist.evidence.catalogue import EVIDENCE_INDEXES
from tkiresist.registry.opening import open_registry


def test_migration_lists_the_catalogue_indexes() -> None:
    # r0003 created them; r0005 (#16) added the pooled cases' columns at the end
    mig = importlib.import_module("tkiresist.registry.migrations.versions.r0005_pooled_indexes")
    assert {k: tuple(v) for k, v in mig.INDEXES.items()} == dict(EVIDENCE_INDEXES)
    old = importlib.import_module("tkiresist.registry.migrations.versions.r0003_evidence_indexes")
    assert {k: tuple(v) for k, v in old.INDEXES.items()} == mig.OLD


def test_indexes_exist_after_migration(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    with open_registry(url, load_defaults=False) as registry:
        found = sa.inspect(registry.engine).get_indexes("registry_case_facts")
    names = {ix["name"] for ix in found}
    assert {f"ix_facts_evidence_{k}" for k in EVIDENCE_INDEXES} <= names
