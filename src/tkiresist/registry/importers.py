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
from pathlib import Path

from tkiresist.model.citation import Citation
from tkiresist.registry import datasets
from tkiresist.registry.db import DatasetMeta, ImportReport, Registry
from tkiresist.registry.published import iter_abstractions, parse_source
from tkiresist.registry.record import CurationStatus, PrimarySource, SourceRef
from tkiresist.registry.tables import (
    ColumnMapping,
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
    status: CurationStatus = "draft",
) -> ImportReport:
    """Import a review table (see the module docstring). ``dataset`` defaults to the source
    id; ``table`` to the table's caption (seed-text), the mapping's ``table`` or the sheet.
    ``label`` names the file in the cases' provenance (default: the path as given).
    New cases get ``status`` (default ``draft``)."""
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
        status=status,
    )


def load_dataset(registry: Registry, name: str, *, who: str | None = None) -> ImportReport:
    """Import bundled dataset ``name`` into ``registry`` (idempotent; see import_table).

    Its cases are loaded ``reviewed``: a bundled dataset is a published table whose
    abstraction ships tested against the paper (its claims file), so pooled evidence, which
    reads reviewed cases only, includes it."""
    from importlib import resources

    meta = datasets.info(name)
    with resources.as_file(datasets.table_path(name)) as path:
        return import_table(
            registry,
            path,
            source=meta.source.doi or f"pmid:{meta.source.pmid}",
            fmt=meta.format,
            dataset=meta.id,
            table=meta.table,
            who=who,
            citation=meta.source,
            meta=DatasetMeta(
                name=meta.id,
                title=meta.title,
                source_id=meta.source.doi or meta.source.pmid,
                citation=meta.source.model_dump(mode="json", exclude_none=True),
                licence=meta.licence,
            ),
            primary_sources=meta.primary_sources(),
            label=f"tkiresist/data/{datasets.FOLDER}/{meta.file}",
            status="reviewed",
        )
