"""The DuckDB plumbing every cohort step shares.

It owns the options a run is read with (:class:`CohortOptions`), the in-memory connection
(:func:`connect`), the quoting of SQL identifiers (:func:`_q`) and literals (:func:`_lit`), and
the moving of Arrow tables into DuckDB (:func:`_arrow`, :func:`_register`) and out of it
(:func:`_to_arrow`: DuckDB 1.x and 2.x spell it differently). The underscored helpers are the
package's own, shared by its modules. duckdb and pyarrow are imported inside the functions:
importing this module loads neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa


@dataclass(frozen=True, slots=True)
class CohortOptions:
    """How the cohort is read. ``threads``/``memory_limit`` are passed to DuckDB."""

    max_gap_days: int = 90
    threads: int | None = None
    memory_limit: str | None = None


def _q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    """A quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def connect(options: CohortOptions = CohortOptions()) -> duckdb.DuckDBPyConnection:
    import duckdb

    con = duckdb.connect(":memory:")
    if options.threads:
        con.execute(f"SET threads = {int(options.threads)}")
    if options.memory_limit:
        con.execute(f"SET memory_limit = {_lit(options.memory_limit)}")
    con.execute("SET preserve_insertion_order = false")
    return con


def _arrow(rows: Sequence[tuple[Any, ...]], names: Sequence[str], types: Sequence[str]) -> pa.Table:
    import pyarrow as pa

    mapping = {"str": pa.string(), "int": pa.int64(), "bool": pa.bool_()}
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pa.table(
        {
            n: pa.array(list(c), type=mapping[t])
            for n, c, t in zip(names, columns, types, strict=True)
        }
    )


def _register(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    con.register(f"_{name}_arrow", table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _{name}_arrow")
    con.unregister(f"_{name}_arrow")


def _to_arrow(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    """The result of ``sql`` as an Arrow table (DuckDB 1.x and 2.x spell it differently)."""
    rel = con.sql(sql)
    if hasattr(rel, "to_arrow_table"):
        return rel.to_arrow_table()
    return rel.arrow()


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0
