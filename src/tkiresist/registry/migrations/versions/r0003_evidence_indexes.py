"""Indexes for evidence synthesis over the facts table.

Revision ID: r0003
Revises: r0002
Create Date: 2026-11-24

The evidence summary (``tkiresist.evidence.summary``) groups and counts over
``registry_case_facts`` in SQL. On 1,000,000 rows in SQLite it took 3.4 s without these
composite indexes and 0.56 s with them (``benchmarks/registry.py summary``). The columns are
listed here, not imported from ``tkiresist.evidence.catalogue.EVIDENCE_INDEXES`` (a migration
must not change when the code does); a test checks that the two agree.
"""

from __future__ import annotations

from alembic import op

revision = "r0003"
down_revision = "r0002"
branch_labels = None
depends_on = None

INDEXES: dict[str, tuple[str, ...]] = {
    "cube": (
        "dataset",
        "prior_tkis",
        "alk_partners",
        "first_post_regimen",
        "combination_egfr_alk",
        "best_response",
        "grade3_any",
        "last_egfr_tki",
        "grade3_on_first_post_regimen",
    ),
    "interval": (
        "dataset",
        "interval_months",
        "interval_censored",
        "egfr_baseline",
        "egfr_t790m",
        "osimertinib_exposed",
        "cns_reported",
        "cns_involved",
        "sex",
    ),
    "age": ("dataset", "age"),
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(f"ix_facts_evidence_{name}", "registry_case_facts", list(columns))


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(f"ix_facts_evidence_{name}", table_name="registry_case_facts")
