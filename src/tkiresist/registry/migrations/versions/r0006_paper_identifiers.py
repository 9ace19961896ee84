"""Same patient across a paper's DOI and PMID (#16).

Revision ID: r0006
Revises: r0005
Create Date: 2026-12-05

``registry_case_facts.patient_source_ids``: every identifier known for the publication the
patient was first reported in (``doi:…`` and ``pmid:…``, space-joined), from the record and
the bundled citation table. Derived data, filled when :func:`tkiresist.registry.db.migrate`
rebuilds the facts rows; the matching rule treats identifiers given together as one paper.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0006"
down_revision = "r0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("registry_case_facts") as batch:
        batch.add_column(sa.Column("patient_source_ids", sa.String(400), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("registry_case_facts") as batch:
        batch.drop_column("patient_source_ids")
