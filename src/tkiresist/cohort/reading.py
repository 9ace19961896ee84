"""Tab-separated study files read by DuckDB, every error located.

A file's header is read in Python (:func:`_head`: the first line that is not a comment, split
by the one header reader, :func:`tkiresist.io.base.split_header`); its rows are loaded by
DuckDB's ``read_csv``, every column as text (:func:`_load`). A DuckDB CSV error becomes a
FormatError at its file, line and column (:func:`_csv_error`). Rows that a check query finds
bad become problems located by finding their line again (:func:`_offenders`, on the error path
only); up to :data:`MAX_PROBLEMS` of them are raised together as a
:class:`StudyValidationError`, as cBioPortal's validator reports them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from tkiresist.cohort.duck import _lit, _q
from tkiresist.errors import FormatError, Location, ManyProblems, Problem
from tkiresist.io.base import split_header

if TYPE_CHECKING:
    import duckdb


MAX_PROBLEMS: Final = 20


class StudyValidationError(ManyProblems, FormatError):
    """A study folder breaks the format; carries every located problem found (up to 20)."""

    code = "study_invalid"
    what = "invalid study"


@dataclass(frozen=True, slots=True)
class _Head:
    path: Path
    header_line: int
    columns: tuple[str, ...]

    def loc(self, name: str | None = None, line: int | None = None) -> Location:
        column = self.columns.index(name) + 1 if name in self.columns else None
        return Location(file=str(self.path), line=line, column=column, field=name)


def _head(path: Path, what: str) -> _Head:
    number = 0
    with path.open(encoding="utf-8", errors="replace") as fh:
        for number, raw in enumerate(fh, start=1):
            text = raw.rstrip("\r\n")
            if text.startswith("#") or not text.strip():
                continue
            return _Head(path, number, split_header(text, str(path), number, what))
    raise FormatError(
        f"empty {what} file: expected a tab-separated header line",
        Location(file=str(path), line=number + 1),
    )


def _require(head: _Head, names: Iterable[str], what: str) -> None:
    for name in names:
        if name not in head.columns:
            raise FormatError(
                f"missing required column {name!r} in the {what} header",
                Location(file=str(head.path), line=head.header_line, field=name),
            )


_DUCK_LINE = re.compile(r"CSV Error on Line: (\d+)")


_DUCK_COUNT = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def _csv(head: _Head, keep: Sequence[str] | None = None) -> str:
    """A ``read_csv`` expression for the file, every column as text."""
    cols = ", ".join(f"{_lit(c)}: 'VARCHAR'" for c in head.columns)
    source = (
        f"read_csv({_lit(str(head.path))}, delim='\t', header=false, skip={head.header_line}, "
        f"columns={{{cols}}}, quote='', escape='', auto_detect=false)"
    )
    picked = "*" if keep is None else ", ".join(_q(c) for c in keep)
    return f"SELECT {picked} FROM {source}"


def _load(
    con: duckdb.DuckDBPyConnection,
    table: str,
    head: _Head,
    what: str,
    keep: Sequence[str] | None = None,
) -> None:
    import duckdb

    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {_csv(head, keep)}")
    except duckdb.Error as exc:
        raise _csv_error(str(exc), head, what) from None


def _csv_error(message: str, head: _Head, what: str) -> FormatError:
    m = _DUCK_LINE.search(message)
    line = int(m.group(1)) if m else None
    count = _DUCK_COUNT.search(message)
    if count:
        expected, found = int(count.group(1)), int(count.group(2))
        column = min(found, expected) + 1
        return FormatError(
            f"expected {expected} tab-separated fields as in the {what} header, found {found}",
            Location(
                file=str(head.path),
                line=line,
                column=column,
                field=head.columns[found] if found < len(head.columns) else None,
            ),
        )
    first = message.strip().splitlines()[0] if message.strip() else "unreadable"
    return FormatError(
        f"cannot read the {what} file: {first}", Location(file=str(head.path), line=line)
    )


def _line_of(head: _Head, match: Mapping[str, str]) -> int | None:
    """The file line of the first data row whose cells equal ``match`` (error path only)."""
    index = {head.columns.index(k): v for k, v in match.items() if k in head.columns}
    with head.path.open(encoding="utf-8", errors="replace") as fh:
        for number, raw in enumerate(fh, start=1):
            if number <= head.header_line:
                continue
            cells = raw.rstrip("\r\n").split("\t")
            if all(i < len(cells) and cells[i].strip() == v for i, v in index.items()):
                return number
    return None


def _offenders(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    head: _Head,
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
        line = _line_of(head, values)
        problems.append(Problem(message.format(*row), head.loc(column, line)))
    return problems


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise StudyValidationError(problems[:MAX_PROBLEMS])
