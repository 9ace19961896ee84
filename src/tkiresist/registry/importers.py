"""Importing published review tables into the registry: all or nothing, idempotent.

``tkiresist registry import-table FILE --source DOI [--format seed-text|csv|xlsx]
[--mapping M]`` is :func:`import_table`:

1. read the table (:mod:`tkiresist.registry.tables`): a structural problem (a column that maps
   to no field, a row with too many cells, a duplicate row label) is a FormatError naming the
   file, line and column, and nothing is written;
2. abstract every row (:mod:`tkiresist.registry.literature`): a cell that does not parse is
   kept verbatim and flagged for curation, never dropped;
3. write every row in one transaction (:meth:`Registry.import_abstractions`): any failure rolls
   the whole import back. Rows are matched by (source, table, row label): importing the same
   table again creates nothing new, changes nothing that did not change, and records a history
   row for every field that did.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from pathlib import Path

from tkiresist.errors import Location, ParseError
from tkiresist.model.case import Citation
from tkiresist.registry.db import DatasetMeta, ImportReport, Registry
from tkiresist.registry.literature import abstract_row
from tkiresist.registry.record import Abstraction, PrimarySource, SourceRef
from tkiresist.registry.tables import (
    ColumnMapping,
    SourceTable,
    TableFormat,
    load_mapping,
    read_table,
)


def current_user() -> str:
    """Who is acting, for history rows: ``$TKIRESIST_USER``, else the login name."""
    env = os.environ.get("TKIRESIST_USER", "").strip()
    if env:
        return env
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def iter_abstractions(
    table: SourceTable,
    source: SourceRef,
    *,
    citation: Citation | None = None,
    primary_sources: dict[str, PrimarySource] | None = None,
    label: str | None = None,
) -> Iterator[tuple[str, Abstraction]]:
    """Every row of ``table`` as (row key, abstraction), one at a time; cells that fail are
    flagged inside. ``label`` names the file in provenance (default: ``table.file``)."""
    for row in table.iter_rows():
        src = source.model_copy(update={"table": table.name, "row": row.key})
        yield (
            row.key,
            abstract_row(
                row,
                case_id="row",  # the registry gives the uid
                source=src,
                file=label or table.file,
                citation=citation,
                not_reported=table.not_reported,
                primary_source=(primary_sources or {}).get(row.key),
            ),
        )


def abstract_table(
    table: SourceTable,
    source: SourceRef,
    *,
    citation: Citation | None = None,
    primary_sources: dict[str, PrimarySource] | None = None,
    label: str | None = None,
) -> list[tuple[str, Abstraction]]:
    """:func:`iter_abstractions` as a list."""
    return list(
        iter_abstractions(
            table, source, citation=citation, primary_sources=primary_sources, label=label
        )
    )


def parse_source(text: str) -> SourceRef:
    """The ``--source`` of an import: a DOI or a PMID (not ``local``)."""
    src = SourceRef.parse(text)
    if src.kind == "local":
        raise ParseError(
            "source", text, 0, "a DOI or PMID: an imported table comes from a publication",
            Location(field="source"),
        )  # fmt: skip
    return src


def import_table(
    registry: Registry,
    path: str | Path,
    *,
    source: str | SourceRef,
    fmt: TableFormat | None = None,
    mapping: str | Path | ColumnMapping | None = None,
    dataset: str | None = None,
    table: str | None = None,
    who: str | None = None,
    citation: Citation | None = None,
    meta: DatasetMeta | None = None,
    primary_sources: dict[str, PrimarySource] | None = None,
    label: str | None = None,
) -> ImportReport:
    """Import a review table (see the module docstring). ``dataset`` defaults to the source
    id; ``table`` to the table's caption (seed-text), the mapping's ``table`` or the sheet.
    ``label`` names the file in the cases' provenance (default: the path as given)."""
    src = source if isinstance(source, SourceRef) else parse_source(source)
    col_map = load_mapping(mapping) if isinstance(mapping, str | Path) else mapping
    parsed = read_table(path, fmt, col_map, table)
    if citation is None:
        citation = Citation(doi=src.id) if src.kind == "doi" else Citation(pmid=src.id)
    src = src.model_copy(update={"table": parsed.name, "row": None})
    items = iter_abstractions(
        parsed, src, citation=citation, primary_sources=primary_sources, label=label
    )
    return registry.import_abstractions(
        items,
        source=src,
        dataset=dataset or src.id,
        who=who or current_user(),
        meta=meta,
    )
