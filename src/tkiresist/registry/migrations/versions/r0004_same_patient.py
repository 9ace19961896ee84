"""Same patient twice: curator links, the facts' patient source and duplicate flag; bundled
cases reviewed.

Revision ID: r0004
Revises: r0003
Create Date: 2026-12-05

* ``registry_case_link``: a curator's decision on a pair of cases (same patient or not);
* ``registry_case_facts.patient_source`` (the publication the patient comes from),
  ``patient_ages`` (the ages its sources give) and ``duplicate_of`` (the case this one is
  likely the same patient as): derived data, filled when
  :func:`tkiresist.registry.db.migrate` rebuilds the facts rows;
* pooled evidence now reads reviewed cases only (#16): untouched (version 1, not deleted)
  draft cases of the bundled dataset ``cheung2025-table1`` become ``reviewed``, with a
  history row each, as a new load of the dataset would make them. The dataset's name is
  written here, not imported (a migration must not change when the code does).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "r0004"
down_revision = "r0003"
branch_labels = None
depends_on = None

BUNDLED = ("cheung2025-table1",)
REASON = (
    "bundled published dataset: marked reviewed when pooled evidence became reviewed-only "
    "(migration r0004)"
)


def upgrade() -> None:
    op.create_table(
        "registry_case_link",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False,
                  autoincrement=True),
        sa.Column("uid_a", sa.String(64), nullable=False),
        sa.Column("uid_b", sa.String(64), nullable=False),
        sa.Column("same_patient", sa.Boolean(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["uid_a"], ["registry_case.uid"], ondelete="CASCADE",
            name="fk_registry_case_link_uid_a_registry_case",
        ),
        sa.ForeignKeyConstraint(
            ["uid_b"], ["registry_case.uid"], ondelete="CASCADE",
            name="fk_registry_case_link_uid_b_registry_case",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_registry_case_link"),
        sa.UniqueConstraint("uid_a", "uid_b", name="uq_registry_case_link_uid_a"),
    )  # fmt: skip
    with op.batch_alter_table("registry_case_facts") as batch:
        batch.add_column(sa.Column("patient_source", sa.String(220), nullable=True))
        batch.add_column(sa.Column("patient_ages", sa.String(64), nullable=True))
        batch.add_column(sa.Column("duplicate_of", sa.String(64), nullable=True))
    bind = op.get_bind()
    now = dt.datetime.now(dt.UTC)
    for name in BUNDLED:
        params = {"dataset": name, "now": now, "reason": REASON}
        untouched = "dataset = :dataset AND status = 'draft' AND version = 1 AND deleted_at IS NULL"
        bind.execute(
            sa.text(
                "INSERT INTO registry_history (case_uid, version, changed_at, changed_by, "
                "action, field, old_json, new_json, reason) SELECT uid, 2, :now, "
                "'tkiresist migrate', 'update', 'status', '\"draft\"', '\"reviewed\"', :reason "
                f"FROM registry_case WHERE {untouched}"
            ),
            params,
        )
        bind.execute(
            sa.text(
                "UPDATE registry_case SET status = 'reviewed', version = 2, updated_at = :now, "
                f"updated_by = 'tkiresist migrate' WHERE {untouched}"
            ),
            {"dataset": name, "now": now},
        )


def downgrade() -> None:
    with op.batch_alter_table("registry_case_facts") as batch:
        batch.drop_column("duplicate_of")
        batch.drop_column("patient_ages")
        batch.drop_column("patient_source")
    op.drop_table("registry_case_link")
