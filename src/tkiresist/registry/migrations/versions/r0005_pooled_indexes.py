"""The evidence indexes cover the pooled cases' condition (#16).

Revision ID: r0005
Revises: r0004
Create Date: 2026-12-05

Pooled evidence reads reviewed cases, each patient once (``status = 'reviewed' AND
duplicate_of IS NULL``). With the r0003 indexes that condition made every summary query read
the table (1,000,000 rows on SQLite: 6.1 s instead of 0.56 s); each index now ends with
``status`` and ``duplicate_of``, so the queries stay index-only scans. The columns are listed
here, not imported from ``tkiresist.evidence.catalogue.EVIDENCE_INDEXES``; a test checks that
the two agree.
"""

from __future__ import annotations

from alembic import op

revision = "r0005"
down_revision = "r0004"
branch_labels = None
depends_on = None

POOLED = ("status", "duplicate_of")

OLD: dict[str, tuple[str, ...]] = {
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
INDEXES: dict[str, tuple[str, ...]] = {name: (*cols, *POOLED) for name, cols in OLD.items()}


def _recreate(indexes: dict[str, tuple[str, ...]]) -> None:
    for name, columns in indexes.items():
        op.drop_index(f"ix_facts_evidence_{name}", table_name="registry_case_facts")
        op.create_index(f"ix_facts_evidence_{name}", "registry_case_facts", list(columns))


def upgrade() -> None:
    _recreate(INDEXES)


def downgrade() -> None:
    _recreate(OLD)
