"""Study files: their headers and the study-wide error.

A study file's header is read by the shared table reader (:func:`_head`:
:func:`tkiresist.io.tables.read.read_header`); its rows are loaded by the shared ``read_csv``
builder (:func:`tkiresist.io.tables.read.load_table`), a DuckDB CSV error becoming a
FormatError at its file, line and column. Rows that a check query finds bad become problems
located by finding their line again (:func:`tkiresist.io.tables.read.offenders`); up to
:data:`MAX_PROBLEMS` of them are raised together as a :class:`StudyValidationError`, as
cBioPortal's validator reports them.
"""

from __future__ import annotations

from pathlib import Path

from tkiresist.errors import FormatError, ManyProblems, Problem
from tkiresist.io.tables.read import MAX_PROBLEMS as MAX_PROBLEMS  # the study-wide limit
from tkiresist.io.tables.read import TableHeader, read_header


class StudyValidationError(ManyProblems, FormatError):
    """A study folder breaks the format; carries every located problem found (up to 20)."""

    code = "study_invalid"
    what = "invalid study"


def _head(path: Path, what: str) -> TableHeader:
    return read_header(path, "study", what=what)


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise StudyValidationError(problems[:MAX_PROBLEMS])
