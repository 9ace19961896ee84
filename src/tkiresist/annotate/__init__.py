"""Cohort-scale table annotation (``tkiresist annotate``), offline and in context.

Public API::

    annotate_tables(maf, sv=None, cna=None, clinical=None, *, out, fmt="tsv", kb=None)
        -> AnnotateReport
    annotate_command            # the typer command function, for the CLI to register

Modules, one concept each: :mod:`~tkiresist.annotate.inputs` (the input tables and their
checks), :mod:`~tkiresist.annotate.keys` (normalising distinct keys once),
:mod:`~tkiresist.annotate.levels` (what a row's statements and levels mean),
:mod:`~tkiresist.annotate.engine` (the DuckDB plan) and :mod:`~tkiresist.annotate.command`.

Importing this package is cheap (the CLI imports it at start-up): the modules behind the
names below load on first use, and DuckDB only inside the functions that use it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tkiresist.annotate.command import annotate_command
    from tkiresist.annotate.engine import (
        OUTPUT_COLUMNS,
        AnnotateReport,
        TableReport,
        annotate_tables,
        output_paths,
    )
    from tkiresist.annotate.keys import RowStatus

_WHERE = {
    "annotate_command": "command",
    "OUTPUT_COLUMNS": "engine",
    "AnnotateReport": "engine",
    "TableReport": "engine",
    "annotate_tables": "engine",
    "output_paths": "engine",
    "RowStatus": "keys",
}

__all__ = [
    "OUTPUT_COLUMNS",
    "AnnotateReport",
    "RowStatus",
    "TableReport",
    "annotate_command",
    "annotate_tables",
    "output_paths",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'tkiresist.annotate' has no attribute {name!r}")
    return getattr(importlib.import_module(f"tkiresist.annotate.{module}"), name)
