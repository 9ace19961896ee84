"""Published tables read into abstractions, and the bundled datasets as cases: no database.

Reading a review table (:mod:`tkiresist.registry.tables`) and abstracting its rows
(:mod:`tkiresist.registry.literature`) need no SQLAlchemy: ``export cbioportal --dataset``,
figures and tests use them without a registry. :mod:`tkiresist.registry.importers` writes the
abstractions into a registry.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tkiresist.errors import Location, ParseError
from tkiresist.model.case import Case
from tkiresist.model.citation import Citation
from tkiresist.registry.literature import abstract_row
from tkiresist.registry.record import Abstraction, PrimarySource, SourceRef
from tkiresist.registry.tables import SourceTable


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


def dataset_cases(name: str) -> list[Case]:
    """The cases of bundled literature dataset ``name``, abstracted as the registry does (no
    database needed). Case ids are ``<dataset>-row<N>``."""
    from importlib import resources

    from tkiresist.registry import datasets
    from tkiresist.registry.tables import read_table

    meta = datasets.info(name)
    with resources.as_file(datasets.table_path(name)) as path:
        table = read_table(path, meta.format, None, meta.table)
    source = SourceRef.parse(meta.source.doi or f"pmid:{meta.source.pmid}")
    items = abstract_table(
        table, source, citation=meta.source, primary_sources=meta.primary_sources()
    )
    out: list[Case] = []
    for key, abstraction in items:
        case_id = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{name}-row{key}")
        out.append(abstraction.case.model_copy(update={"id": case_id}))
    return out
