"""The registry's tables, as SQLAlchemy 2 typed ORM classes.

The schema itself is created and changed only by the Alembic migrations in
``registry/migrations/versions`` (the same scripts on SQLite and PostgreSQL); these classes
describe the current head revision for queries, and a test checks that the two agree.

Tables:

* ``registry_dataset``: named sets of cases (a bundled literature table, an import, ``local``);
* ``registry_case``: one row per case: source (DOI/PMID + table + row, or ``local``), curation
  status, version (optimistic locking), soft deletion, and the case as JSON;
* ``registry_field_provenance``: per case and source field, the verbatim text it came from;
* ``registry_history``: every change, field by field: who, when, from what, to what;
* ``registry_case_facts``: one flat, indexed row per live case for evidence synthesis
  (see :mod:`tkiresist.registry.facts` and ``docs/registry.md``);
* ``registry_case_link``: a curator's decision about two cases: the same patient, or not
  (``docs/registry.md``, "Same patient twice").

JSON is stored as text (``*_json`` columns), identical on both databases; queries that need a
value read the facts table, not the JSON.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Mapped, mapped_column
from sqlalchemy.orm.decl_api import DeclarativeAttributeIntercept
from sqlalchemy.types import TypeEngine

from tkiresist.model.facts import FACT_SPEC, FACTS_TABLE, FactColumn

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

VERSION_TABLE = "registry_alembic_version"
"""Alembic's version table, named so that the registry can share a PostgreSQL database."""

BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class DatasetRow(Base):
    __tablename__ = "registry_dataset"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str | None] = mapped_column(Text)
    source_id: Mapped[str | None] = mapped_column(String(200))
    citation_json: Mapped[str | None] = mapped_column(Text)
    licence: Mapped[str | None] = mapped_column(String(100))
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    loaded_by: Mapped[str] = mapped_column(String(200))


class CaseRow(Base):
    __tablename__ = "registry_case"
    __table_args__ = (
        UniqueConstraint("source_id", "source_table", "source_row"),
        CheckConstraint("status IN ('draft', 'reviewed')", name="status"),
        CheckConstraint("source_kind IN ('doi', 'pmid', 'local')", name="source_kind"),
        CheckConstraint("version >= 1", name="version"),
    )

    uid: Mapped[str] = mapped_column(String(64), primary_key=True)
    dataset: Mapped[str] = mapped_column(String(100), index=True)
    source_kind: Mapped[str] = mapped_column(String(8))
    source_id: Mapped[str] = mapped_column(String(200))
    source_table: Mapped[str | None] = mapped_column(String(100))
    source_row: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    case_json: Mapped[str] = mapped_column(Text)
    reported_json: Mapped[str] = mapped_column(Text)
    flags_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(200))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_by: Mapped[str | None] = mapped_column(String(200))


class FieldProvenanceRow(Base):
    __tablename__ = "registry_field_provenance"
    __table_args__ = (UniqueConstraint("case_uid", "field"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_uid: Mapped[str] = mapped_column(
        String(64), ForeignKey("registry_case.uid", ondelete="CASCADE"), index=True
    )
    field: Mapped[str] = mapped_column(String(64))
    verbatim: Mapped[str] = mapped_column(Text)
    parsed: Mapped[bool] = mapped_column(Boolean)
    message: Mapped[str | None] = mapped_column(Text)
    source_line: Mapped[int | None] = mapped_column(Integer)
    paths_json: Mapped[str] = mapped_column(Text)


class HistoryRow(Base):
    __tablename__ = "registry_history"
    __table_args__ = (Index("ix_registry_history_case_uid_id", "case_uid", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_uid: Mapped[str] = mapped_column(
        String(64), ForeignKey("registry_case.uid", ondelete="CASCADE")
    )
    version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    changed_by: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(16))
    field: Mapped[str] = mapped_column(String(400))
    old_json: Mapped[str | None] = mapped_column(Text)
    new_json: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)


_FACT_TYPES: dict[str, type[TypeEngine[Any]]] = {"bool": Boolean, "int": Integer, "float": Float}


def _facts_type(column: FactColumn) -> TypeEngine[Any]:
    """The SQL type of a facts column, from its kind and length."""
    if column.kind in _FACT_TYPES:
        return _FACT_TYPES[column.kind]()
    return String(column.length) if column.length is not None else Text()


def _facts_column(column: FactColumn) -> Column[Any]:
    owner = [ForeignKey("registry_case.uid", ondelete="CASCADE")] if column.key else []
    return Column(
        column.name,
        _facts_type(column),
        *owner,
        primary_key=column.key,
        nullable=column.nullable,
        index=True if column.index else None,
    )


class _GeneratedColumns(DeclarativeAttributeIntercept):
    """The metaclass of a class whose columns are generated: to a type checker, any column
    attribute is a SQL expression (at run time this adds nothing)."""

    if TYPE_CHECKING:

        def __getattr__(cls, name: str) -> InstrumentedAttribute[Any]: ...


class FactsRow(Base, metaclass=_GeneratedColumns):
    """One row per live (not deleted) case; see ``docs/registry.md`` for every column.

    The columns are generated from :data:`tkiresist.model.facts.FACT_SPEC` (#14): kinds
    ``bool``/``int``/``float`` as such, text of a known length as ``String(length)``, other
    text as ``Text``; the key column is the case's uid (cascading from ``registry_case``).
    """

    __tablename__ = FACTS_TABLE
    __table__ = Table(FACTS_TABLE, Base.metadata, *(_facts_column(c) for c in FACT_SPEC))

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any: ...


class LinkRow(Base):
    """A curator's decision on a pair of cases (``uid_a`` < ``uid_b``): ``same_patient`` true
    (linked: counted once) or false (unlinked: never matched automatically)."""

    __tablename__ = "registry_case_link"
    __table_args__ = (UniqueConstraint("uid_a", "uid_b"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uid_a: Mapped[str] = mapped_column(
        String(64), ForeignKey("registry_case.uid", ondelete="CASCADE")
    )
    uid_b: Mapped[str] = mapped_column(
        String(64), ForeignKey("registry_case.uid", ondelete="CASCADE")
    )
    same_patient: Mapped[bool] = mapped_column(Boolean)
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
