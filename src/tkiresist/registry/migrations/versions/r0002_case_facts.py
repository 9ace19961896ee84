"""The flat facts table for evidence synthesis (one row per live case).

Revision ID: r0002
Revises: r0001
Create Date: 2025-06-02

The rows are derived data: after this revision is applied, :func:`tkiresist.registry.db.migrate`
rebuilds them from the stored cases (a migration script never imports the derivation, which
changes with the code).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0002"
down_revision = "r0001"
branch_labels = None
depends_on = None

_INDEXED = (
    "dataset",
    "egfr_baseline",
    "last_egfr_tki",
    "partner_class",
    "first_post_regimen",
    "combination_egfr_alk",
)


def upgrade() -> None:
    op.create_table(
        "registry_case_facts",
        sa.Column("case_uid", sa.String(64), nullable=False),
        sa.Column("dataset", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source_id", sa.String(200), nullable=False),
        sa.Column("source_row", sa.String(100), nullable=True),
        sa.Column("study", sa.Text(), nullable=True),
        sa.Column("needs_curation", sa.Boolean(), nullable=False),
        sa.Column("n_flags", sa.Integer(), nullable=False),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("sex", sa.String(8), nullable=True),
        sa.Column("egfr_baseline", sa.String(16), nullable=True),
        sa.Column("egfr_t790m", sa.Boolean(), nullable=False),
        sa.Column("egfr_t790m_de_novo", sa.Boolean(), nullable=False),
        sa.Column("egfr_history_text", sa.Text(), nullable=True),
        sa.Column("prior_tkis", sa.Text(), nullable=True),
        sa.Column("last_egfr_tki", sa.String(64), nullable=True),
        sa.Column("osimertinib_exposed", sa.Boolean(), nullable=False),
        sa.Column("tki_generations", sa.String(16), nullable=True),
        sa.Column("alk_partners", sa.Text(), nullable=True),
        sa.Column("n_alk_fusions", sa.Integer(), nullable=False),
        sa.Column("eml4_any", sa.Boolean(), nullable=True),
        sa.Column("uncommon_partner_any", sa.Boolean(), nullable=True),
        sa.Column("partner_class", sa.String(16), nullable=True),
        sa.Column("interval_months", sa.Float(), nullable=True),
        sa.Column("interval_censored", sa.Boolean(), nullable=True),
        sa.Column("post_regimen_status", sa.String(8), nullable=True),
        sa.Column("post_regimen_text", sa.Text(), nullable=True),
        sa.Column("first_post_regimen", sa.String(400), nullable=True),
        sa.Column("n_post_regimens", sa.Integer(), nullable=False),
        sa.Column("combination_egfr_alk", sa.Boolean(), nullable=True),
        sa.Column("best_response", sa.String(4), nullable=True),
        sa.Column("grade3_any", sa.Boolean(), nullable=True),
        sa.Column("grade3_on_first_post_regimen", sa.Boolean(), nullable=True),
        sa.Column("grade3_text", sa.Text(), nullable=True),
        sa.Column("biopsy", sa.String(200), nullable=True),
        sa.Column("testing", sa.String(200), nullable=True),
        sa.Column("cns_reported", sa.Boolean(), nullable=False),
        sa.Column("cns_involved", sa.Boolean(), nullable=True),
        sa.Column("extracranial_sites", sa.Text(), nullable=True),
        sa.Column("n_events", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_uid", name="pk_registry_case_facts"),
        sa.ForeignKeyConstraint(
            ["case_uid"],
            ["registry_case.uid"],
            ondelete="CASCADE",
            name="fk_registry_case_facts_case_uid_registry_case",
        ),
    )
    for column in _INDEXED:
        op.create_index(f"ix_registry_case_facts_{column}", "registry_case_facts", [column])


def downgrade() -> None:
    for column in _INDEXED:
        op.drop_index(f"ix_registry_case_facts_{column}", "registry_case_facts")
    op.drop_table("registry_case_facts")
