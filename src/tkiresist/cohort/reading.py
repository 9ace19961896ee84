"""Tab-separated study files read by DuckDB, every error located.

A file's header is read by the shared table reader (:func:`_head`:
:func:`tkiresist.io.tables.read.read_header`); its rows are loaded by the shared ``read_csv``
builder, every column as text (:func:`_load`: :func:`tkiresist.io.tables.read.load_table`),
a DuckDB CSV error becoming a FormatError at its file, line and column. Rows that a check query
finds bad become problems located by finding their line again (:func:`_offenders`, on the
error path only); up to :data:`MAX_PROBLEMS` of them are raised together as a
:class:`StudyValidationError`, as cBioPortal's validator reports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

from tkiresist.errors import FormatError, ManyProblems, Problem
from tkiresist.io.tables.read import TableHeader, line_of, read_header

if TYPE_CHECKING:
    import duckdb


MAX_PROBLEMS: Final = 20


class StudyValidationError(ManyProblems, FormatError):
    """A study folder breaks the format; carries every located problem found (up to 20)."""

    code = "study_invalid"
    what = "invalid study"


def _head(path: Path, what: str) -> TableHeader:
    return read_header(path, "study", what=what)


def _offenders(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    head: TableHeader,
    column: str,
    message: str,
    extra: Sequence[str] = (),
) -> list[Problem]:
    """Problems for the rows ``sql`` returns (first columns: the offending value, then
    ``extra`` values used to locate the line)."""
    problems: list[Problem] = []
    for row in con.execute(sql + f" LIMIT {MAX_PROBLEMS}").fetchall():
        values = {column: "" if row[0] is None else str(row[0])}
        for name, value in zip(extra, row[1:], strict=False):
            values[name] = "" if value is None else str(value)
        line = line_of(head, values)
        problems.append(Problem(message.format(*row), head.loc(line, column)))
    return problems


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise StudyValidationError(problems[:MAX_PROBLEMS])
