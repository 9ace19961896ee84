"""Users, sessions, failed logins and the audit trail of the web application.

Revision ID: w0001
Revises:
Create Date: 2025-06-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "w0001"
down_revision = None
branch_labels = None
depends_on = None

_BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "web_user",
        sa.Column("id", _BIGID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("password_changed_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_web_user"),
        sa.UniqueConstraint("name", name="uq_web_user_name"),
        sa.CheckConstraint("role IN ('viewer', 'curator', 'admin')", name="ck_web_user_role"),
    )
    op.create_table(
        "web_session",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", _BIGID, nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("last_seen_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_web_session"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["web_user.id"], ondelete="CASCADE", name="fk_web_session_user_id_web_user"
        ),
    )
    op.create_index("ix_web_session_user_id", "web_session", ["user_id"])
    op.create_table(
        "web_login_failure",
        sa.Column("id", _BIGID, primary_key=True, autoincrement=True),
        sa.Column("at", _TS, nullable=False),
        sa.Column("user_name", sa.String(200), nullable=False),
        sa.Column("remote", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_web_login_failure"),
    )
    op.create_index("ix_web_login_failure_at", "web_login_failure", ["at"])
    op.create_table(
        "web_audit",
        sa.Column("id", _BIGID, primary_key=True, autoincrement=True),
        sa.Column("at", _TS, nullable=False),
        sa.Column("user_name", sa.String(200), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(400), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail_json", sa.Text(), nullable=True),
        sa.Column("remote", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_web_audit"),
    )
    op.create_index("ix_web_audit_at", "web_audit", ["at"])
    op.create_index("ix_web_audit_user_name", "web_audit", ["user_name"])


def downgrade() -> None:
    op.drop_index("ix_web_audit_user_name", "web_audit")
    op.drop_index("ix_web_audit_at", "web_audit")
    op.drop_table("web_audit")
    op.drop_index("ix_web_login_failure_at", "web_login_failure")
    op.drop_table("web_login_failure")
    op.drop_index("ix_web_session_user_id", "web_session")
    op.drop_table("web_session")
    op.drop_table("web_user")
