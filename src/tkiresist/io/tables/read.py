"""A tab-separated table's header and its rows read by DuckDB, every error located.

The header is read in Python (:func:`read_header`: ``#`` comment lines and blank lines before
it skipped, a byte-order mark dropped, gzip read; the line split by the one header reader,
:func:`tkiresist.io.base.split_header`). The rows are read by DuckDB's ``read_csv`` through
the one expression builder (:func:`read_csv_sql`: tab-separated, no quoting, strict, every
column as text, gzip when the file is, a line-size limit that admits the header). A DuckDB
CSV error becomes a :class:`~tkiresist.errors.FormatError` at its file, line and column
(:func:`located_csv_error`, :func:`run_located`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, TypeVar

from tkiresist.errors import FormatError, Location, Problem
from tkiresist.io import base
from tkiresist.io.base import require_columns, split_header

if TYPE_CHECKING:
    import duckdb

T = TypeVar("T")

HEAD_BYTES: Final = 1 << 20
"""A header is looked for in the first 64 times this many characters."""

MAX_PROBLEMS: Final = 20
"""Problems reported together at most (as cBioPortal's validator reports them)."""

MIN_LINE_SIZE: Final = 2_097_152
"""DuckDB's line-length limit for every table read (at least; more for a wider header). The
reader asks DuckDB to read in buffers of 16 times this (DuckDB's default for 2 MB), and
threads share out the buffers."""


@dataclass(frozen=True, slots=True)
class TableHeader:
    """A table's header: where it is, its columns, and the comment lines before it."""

    file: str
    kind: str
    header_line: int
    columns: tuple[str, ...]
    preamble: tuple[str, ...]
    compressed: bool = False
    header_bytes: int = 0
    header_mark: str = ""
    """Written before the column names (Arriba's and STAR-Fusion's header starts with ``#``)."""
    line_floor: int = MIN_LINE_SIZE
    """The least line-length limit given to DuckDB (:attr:`max_line_size`)."""

    @property
    def path(self) -> Path:
        return Path(self.file)

    @property
    def max_line_size(self) -> int:
        """A line-length limit for DuckDB that admits the header (a wide CNA matrix)."""
        return max(self.line_floor, 2 * self.header_bytes)

    @property
    def skip(self) -> int:
        """Lines before the header (DuckDB's ``skip``)."""
        return self.header_line - 1

    def column_number(self, name: str) -> int:
        """1-based position of column ``name``."""
        return self.columns.index(name) + 1

    def has(self, name: str) -> bool:
        return name in self.columns

    def loc(self, line: int | None = None, name: str | None = None) -> Location:
        column = self.column_number(name) if name is not None and name in self.columns else None
        return Location(file=self.file, line=line, column=column, field=name)

    def header_loc(self, name: str | None = None) -> Location:
        return self.loc(self.header_line, name)


def is_gzip(path: Path) -> bool:
    """Is the file gzip-compressed (its first two bytes)?"""
    return base._is_gzip(path)


def read_header(
    path: Path, kind: str, *, what: str, line_floor: int = MIN_LINE_SIZE
) -> TableHeader:
    """Find the header (after ``#`` comment lines and blank lines) and check its shape: an
    empty file, a header of one column (a wrong delimiter), a repeated and an empty column name
    are refused at their file, line and column."""
    file = str(path)
    if not path.is_file():
        raise FormatError(f"no such {what} file", Location(file=file))
    preamble: list[str] = []
    header: tuple[int, str] | None = None
    number = read = 0
    for number, line, _ in base.iter_lines(path):
        text = line.removeprefix("\ufeff") if number == 1 else line
        if text.startswith("#"):
            preamble.append(text)
        elif text.strip():
            header = (number, text)
            break
        read += len(line)
        if read > HEAD_BYTES * 64:  # a header is never this far in
            break
    if header is None:
        raise FormatError(
            f"empty {what} file: expected a tab-separated header line",
            Location(file=file, line=number + 1),
        )
    number, text = header
    columns = split_header(text, file, number, what)  # refuses a repeated column, located
    for i, name in enumerate(columns, start=1):
        if not name:
            raise FormatError(
                f"empty column name in the {what} header",
                Location(file=file, line=number, column=i),
            )
    return TableHeader(
        file,
        kind,
        number,
        columns,
        tuple(preamble),
        is_gzip(path),
        len(text.encode()),
        line_floor=line_floor,
    )


def require(header: TableHeader, names: Sequence[str], what: str) -> None:
    """Refuse a header without one of ``names``, at its line and the missing name."""
    require_columns(header.columns, names, header.file, header.header_line, what)


# ---------------------------------------------------------------------------------------------
# The read_csv expressions
# ---------------------------------------------------------------------------------------------


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _options(header: TableHeader) -> str:
    compression = "gzip" if header.compressed else "none"
    return (
        "quote='', escape='', auto_detect=false, strict_mode=true, "
        f"compression='{compression}', max_line_size={header.max_line_size}, "
        f"buffer_size={16 * header.max_line_size}"
    )


def read_csv_sql(header: TableHeader) -> str:
    """``read_csv`` of a tab-separated table, every column as text, no quoting."""
    spec = "{" + ", ".join(f"{lit(c)}: 'VARCHAR'" for c in header.columns) + "}"
    return (
        f"read_csv({lit(header.file)}, delim='\t', header=true, skip={header.skip}, "
        f"columns={spec}, null_padding=false, {_options(header)})"
    )


def read_lines_sql(header: TableHeader) -> str:
    """``read_csv`` of a table's data lines, each as one text column ``line``."""
    return (
        f"read_csv({lit(header.file)}, delim='\x1f', header=false, skip={header.header_line}, "
        f"columns={{'line': 'VARCHAR'}}, {_options(header)})"
    )


def select_sql(header: TableHeader, keep: Sequence[str] | None = None) -> str:
    """``SELECT`` the columns ``keep`` (every column when None) of the table's rows."""
    picked = "*" if keep is None else ", ".join(ident(c) for c in keep)
    return f"SELECT {picked} FROM {read_csv_sql(header)}"


def load_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    header: TableHeader,
    what: str,
    keep: Sequence[str] | None = None,
) -> None:
    """Temp table ``table``: the file's rows (columns ``keep``, or all), every cell text."""
    sql = f"CREATE OR REPLACE TEMP TABLE {table} AS {select_sql(header, keep)}"
    run_located(header, what, lambda: con.execute(sql))


# ---------------------------------------------------------------------------------------------
# DuckDB's CSV errors, located
# ---------------------------------------------------------------------------------------------

_DUCK_LINE = re.compile(r"CSV Error on Line: (\d+)")
_DUCK_COUNT = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def located_csv_error(message: str, header: TableHeader, what: str) -> FormatError:
    """Turn a DuckDB CSV reading error into a FormatError naming file, line and column."""
    m = _DUCK_LINE.search(message)
    line = int(m.group(1)) if m else None
    count = _DUCK_COUNT.search(message)
    if count:
        expected, found = int(count.group(1)), int(count.group(2))
        if found < expected:
            missing = header.columns[found] if found < len(header.columns) else None
            return FormatError(
                f"expected {expected} tab-separated fields as in the {what} header, found "
                f"{found} (truncated file or wrong delimiter?)",
                Location(file=header.file, line=line, column=found + 1, field=missing),
            )
        return FormatError(
            f"expected {expected} tab-separated fields as in the {what} header, found {found}",
            Location(file=header.file, line=line, column=expected + 1),
        )
    first = message.strip().splitlines()[0] if message.strip() else "unreadable"
    return FormatError(
        f"cannot read the {what} file: {first}", Location(file=header.file, line=line)
    )


def run_located(header: TableHeader, what: str, action: Callable[[], T]) -> T:
    """Run ``action`` (a query reading the table); DuckDB's CSV errors become located
    FormatErrors, an unreadable file a FormatError naming it."""
    import duckdb

    try:
        return action()
    except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
        raise located_csv_error(str(exc), header, what) from None
    except duckdb.IOException as exc:
        raise FormatError(f"cannot read the {what} file: {exc}", Location(header.file)) from None


def line_of(header: TableHeader, match: Mapping[str, str]) -> int | None:
    """The file line of the first data row whose cells equal ``match`` (error path only)."""
    index = {header.columns.index(k): v for k, v in match.items() if k in header.columns}
    for number, text, _ in base.iter_lines(header.path):
        if number <= header.header_line:
            continue
        cells = text.split("\t")
        if all(i < len(cells) and cells[i].strip() == v for i, v in index.items()):
            return number
    return None


def offenders(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    header: TableHeader,
    column: str,
    message: str,
    extra: Sequence[str] = (),
) -> list[Problem]:
    """Problems for the rows ``sql`` returns (first the offending value of ``column``, then
    ``extra`` values), up to :data:`MAX_PROBLEMS`; each located by finding its line again
    (:func:`line_of`, error path only); ``message`` is formatted with the row."""
    problems: list[Problem] = []
    for row in con.execute(sql + f" LIMIT {MAX_PROBLEMS}").fetchall():
        cells = ("" if v is None else str(v) for v in row)
        values = dict(zip((column, *extra), cells, strict=False))
        problems.append(Problem(message.format(*row), header.loc(line_of(header, values), column)))
    return problems
