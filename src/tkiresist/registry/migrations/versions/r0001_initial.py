"""Cases, field provenance, history and datasets.

Revision ID: r0001
Revises:
Create Date: 2025-06-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0001"
down_revision = None
branch_labels = None
depends_on = None

_BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "registry_dataset",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("source_id", sa.String(200), nullable=True),
        sa.Column("citation_json", sa.Text(), nullable=True),
        sa.Column("licence", sa.String(100), nullable=True),
        sa.Column("loaded_at", _TS, nullable=False),
        sa.Column("loaded_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_registry_dataset"),
    )
    op.create_table(
        "registry_case",
        sa.Column("uid", sa.String(64), nullable=False),
        sa.Column("dataset", sa.String(100), nullable=False),
        sa.Column("source_kind", sa.String(8), nullable=False),
        sa.Column("source_id", sa.String(200), nullable=False),
        sa.Column("source_table", sa.String(100), nullable=True),
        sa.Column("source_row", sa.String(100), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("case_json", sa.Text(), nullable=False),
        sa.Column("reported_json", sa.Text(), nullable=False),
        sa.Column("flags_json", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("deleted_at", _TS, nullable=True),
        sa.Column("deleted_by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("uid", name="pk_registry_case"),
        sa.UniqueConstraint(
            "source_id", "source_table", "source_row", name="uq_registry_case_source_id"
        ),
        sa.CheckConstraint("status IN ('draft', 'reviewed')", name="ck_registry_case_status"),
        sa.CheckConstraint(
            "source_kind IN ('doi', 'pmid', 'local')", name="ck_registry_case_source_kind"
        ),
        sa.CheckConstraint("version >= 1", name="ck_registry_case_version"),
    )
    op.create_index("ix_registry_case_dataset", "registry_case", ["dataset"])
    op.create_table(
        "registry_field_provenance",
        sa.Column("id", _BIGID, primary_key=True, autoincrement=True),
        sa.Column("case_uid", sa.String(64), nullable=False),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("verbatim", sa.Text(), nullable=False),
        sa.Column("parsed", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("source_line", sa.Integer(), nullable=True),
        sa.Column("paths_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registry_field_provenance"),
        sa.ForeignKeyConstraint(
            ["case_uid"],
            ["registry_case.uid"],
            ondelete="CASCADE",
            name="fk_registry_field_provenance_case_uid_registry_case",
        ),
        sa.UniqueConstraint("case_uid", "field", name="uq_registry_field_provenance_case_uid"),
    )
    op.create_index(
        "ix_registry_field_provenance_case_uid", "registry_field_provenance", ["case_uid"]
    )
    op.create_table(
        "registry_history",
        sa.Column("id", _BIGID, primary_key=True, autoincrement=True),
        sa.Column("case_uid", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", _TS, nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("field", sa.String(400), nullable=False),
        sa.Column("old_json", sa.Text(), nullable=True),
        sa.Column("new_json", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_registry_history"),
        sa.ForeignKeyConstraint(
            ["case_uid"],
            ["registry_case.uid"],
            ondelete="CASCADE",
            name="fk_registry_history_case_uid_registry_case",
        ),
    )
    op.create_index("ix_registry_history_case_uid_id", "registry_history", ["case_uid", "id"])


def downgrade() -> None:
    op.drop_table("registry_history")
    op.drop_table("registry_field_provenance")
    op.drop_index("ix_registry_case_dataset", "registry_case")
    op.drop_table("registry_case")
    op.drop_table("registry_dataset")
