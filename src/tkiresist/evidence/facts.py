"""The input of evidence synthesis: the flat table ``registry_case_facts``, one row per case.

The registry maintains the table; this module states what evidence synthesis reads from it
(:data:`FACT_COLUMNS`, the contract) and opens it through one small interface,
:class:`FactsSource`, whatever holds it:

* a SQLAlchemy ``Engine`` or ``Connection`` (SQLite, PostgreSQL): :func:`open_source` runs
  ``text()`` statements with bound ``:name`` parameters;
* a DuckDB relation (for example ``duckdb.read_parquet(...)``): it is materialised once as an
  Arrow table on a private DuckDB connection, where the same SQL runs with ``$name``
  parameters;
* a DuckDB connection, with the table name.

The SQL that runs is fixed text written in this package (aggregates with ``COUNT(*) FILTER``,
``IS TRUE``, ``||`` and ``LIKE ... ESCAPE``: the common ground of SQLite ≥ 3.30, PostgreSQL
and DuckDB). Values from users only ever travel as bound parameters.

sqlalchemy and duckdb are imported lazily, inside the functions that need them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from tkiresist.errors import EvidenceError, Location
from tkiresist.model.facts import FACT_SPEC
from tkiresist.model.facts import FACTS_TABLE as FACTS_TABLE
from tkiresist.model.facts import FactColumn as FactColumn

#: Other spellings accepted for vocabulary terms (in filters and claims files).
VOCABULARY_ALIASES: Final[Mapping[str, Mapping[str, str]]] = {
    "sex": {"m": "male", "f": "female"},
    "egfr_baseline": {"exon19del": "ex19del", "ex19": "ex19del", "l858r": "l858r"},
}


_COLUMNS: Final[tuple[FactColumn, ...]] = tuple(c for c in FACT_SPEC if c.evidence)
"""The columns evidence synthesis reads, in table order: the ``required`` ones are the contract,
the others are used when the table has them (the registry's table does) and otherwise derived
or left out. Defined once, in :mod:`tkiresist.model.facts`."""

FACT_COLUMNS: Final[Mapping[str, FactColumn]] = {c.name: c for c in _COLUMNS}
"""The columns of ``registry_case_facts`` that evidence synthesis reads, by name."""


class FactsSource(Protocol):
    """Something that runs this package's read-only SQL over the facts table."""

    @property
    def table(self) -> str:
        """The table (or view) name to use in ``FROM``."""
        ...

    @property
    def columns(self) -> frozenset[str]:
        """The columns the table has."""
        ...

    @property
    def description(self) -> str:
        """Where the facts come from, for labels and errors (no credentials)."""
        ...

    def rows(self, sql: str, params: Mapping[str, object]) -> list[tuple[Any, ...]]:
        """Run ``sql`` (``:name`` parameters) and return every row."""
        ...


_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_PARAM = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)")


def _check_table_name(table: str) -> str:
    if not _NAME.match(table):
        raise EvidenceError(
            f"table name {table!r} is not a plain lower-case SQL identifier",
            Location(field="table"),
        )
    return table


@dataclass
class _SqlAlchemySource:
    bind: Any  # sqlalchemy Engine or Connection
    table: str
    description: str
    _columns: frozenset[str] | None = field(default=None)

    @property
    def columns(self) -> frozenset[str]:
        if self._columns is None:
            from sqlalchemy import inspect
            from sqlalchemy.exc import SQLAlchemyError

            try:
                names = inspect(self.bind).get_columns(self.table)
            except SQLAlchemyError as exc:
                raise EvidenceError(
                    f"cannot read table {self.table!r}: {type(exc).__name__}: "
                    f"{' '.join(str(exc).split())[:200]}",
                    Location(file=self.description),
                ) from exc
            self._columns = frozenset(c["name"] for c in names)
        return self._columns

    def rows(self, sql: str, params: Mapping[str, object]) -> list[tuple[Any, ...]]:
        from sqlalchemy import text

        statement = text(sql)
        if hasattr(self.bind, "execute") and not hasattr(self.bind, "connect"):
            return [tuple(r) for r in self.bind.execute(statement, dict(params))]
        with self.bind.connect() as conn:
            return [tuple(r) for r in conn.execute(statement, dict(params))]


@dataclass
class _DuckDBSource:
    conn: Any  # duckdb.DuckDBPyConnection
    table: str
    description: str
    _columns: frozenset[str] | None = field(default=None)

    @property
    def columns(self) -> frozenset[str]:
        if self._columns is None:
            import duckdb

            try:
                rel = self.conn.table(self.table)
            except duckdb.Error as exc:
                raise EvidenceError(
                    f"cannot read table {self.table!r}: {type(exc).__name__}",
                    Location(file=self.description),
                ) from exc
            self._columns = frozenset(str(c) for c in rel.columns)
        return self._columns

    def rows(self, sql: str, params: Mapping[str, object]) -> list[tuple[Any, ...]]:
        duck_sql = _PARAM.sub(lambda m: "$" + m.group(1), sql)
        used = {m.group(1) for m in _PARAM.finditer(sql)}
        bound = {k: v for k, v in params.items() if k in used}
        return [tuple(r) for r in self.conn.execute(duck_sql, bound).fetchall()]


def _module_of(obj: object) -> str:
    return type(obj).__module__ or ""


def open_source(source: object, table: str = FACTS_TABLE) -> FactsSource:
    """A :class:`FactsSource` over ``source``.

    ``source`` is a SQLAlchemy ``Engine`` or ``Connection``, a DuckDB relation, a DuckDB
    connection holding ``table``, or something that already is a :class:`FactsSource`.
    Raises :class:`EvidenceError` for anything else.
    """
    module = _module_of(source)
    if module.startswith("sqlalchemy"):
        url = getattr(source, "url", None) or getattr(getattr(source, "engine", None), "url", None)
        shown = url.render_as_string(hide_password=True) if url is not None else "database"
        return _SqlAlchemySource(source, _check_table_name(table), shown)
    if module.startswith(("duckdb", "_duckdb")):
        kind = type(source).__name__
        if kind == "DuckDBPyRelation":
            import duckdb

            conn = duckdb.connect()
            conn.register(FACTS_TABLE, source.to_arrow_table())  # type: ignore[attr-defined]
            return _DuckDBSource(conn, FACTS_TABLE, "DuckDB relation")
        if kind == "DuckDBPyConnection":
            return _DuckDBSource(source, _check_table_name(table), "DuckDB connection")
    if all(hasattr(source, a) for a in ("rows", "columns", "table", "description")):
        return source  # type: ignore[return-value]
    raise EvidenceError(
        f"cannot read case facts from a {type(source).__name__}: expected a SQLAlchemy engine "
        "or connection, a DuckDB relation, or a DuckDB connection",
        Location(field="source"),
    )


def check_columns(source: FactsSource, needed: Sequence[str] | None = None) -> None:
    """Raise :class:`EvidenceError` naming the required contract columns the table lacks."""
    wanted = needed if needed is not None else [c.name for c in _COLUMNS if c.required]
    missing = [name for name in wanted if name not in source.columns]
    if missing:
        raise EvidenceError(
            f"table {source.table!r} lacks column(s) {', '.join(missing)} of the case-facts "
            "contract (see tkiresist.evidence.facts.FACT_COLUMNS); is the registry schema "
            "up to date?",
            Location(file=source.description, field=missing[0]),
        )


def like_escape(text: str) -> str:
    """``text`` with LIKE wildcards escaped for ``ESCAPE '\\'``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_member_sql(column: str, param: str) -> str:
    """SQL that is true when the comma-joined ``column`` has the element bound to ``param``.

    Bind ``param`` to ``list_member_pattern(element)``. Spaces in the list are ignored.
    """
    return f"(',' || REPLACE({column}, ' ', '') || ',') LIKE :{param} ESCAPE '\\'"


def list_member_pattern(element: str) -> str:
    return f"%,{like_escape(element.replace(' ', ''))},%"


def list_last_sql(column: str, param: str) -> str:
    """SQL true when the last element of comma-joined ``column`` is the bound element.

    Bind ``param`` to ``list_last_pattern(element)``.
    """
    return f"(',' || REPLACE({column}, ' ', '')) LIKE :{param} ESCAPE '\\'"


def list_last_pattern(element: str) -> str:
    return f"%,{like_escape(element.replace(' ', ''))}"


def split_list(value: object) -> tuple[str, ...]:
    """The elements of a comma-joined list cell (``None`` → empty)."""
    if value is None:
        return ()
    return tuple(part.strip() for part in str(value).split(",") if part.strip())


def as_bool(value: object) -> bool | None:
    """A database boolean (SQLite gives 0/1) as ``bool``; ``None`` stays ``None``."""
    if value is None:
        return None
    return bool(value)
