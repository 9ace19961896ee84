"""Registry values: a case with its source, provenance, curation state and history.

These are plain immutable values (no database here). :mod:`tkiresist.registry.db` stores them,
:mod:`tkiresist.registry.literature` builds them from published tables and
:mod:`tkiresist.registry.facts` flattens them into one row for evidence synthesis.

A registry case holds:

* the normalised case, in the foundation model (:class:`~tkiresist.model.case.Case`); a case
  abstracted from a literature table is a *sparse* case;
* :class:`ReportedSummary`: what a source states at summary level that a sparse timeline
  cannot hold without inventing events ("no CNS progression", "no grade >=3 adverse event",
  "no post-resistance treatment"), and the primary study a review row cites;
* for every field, the verbatim source text it came from (:class:`FieldSource`);
* its source (:class:`SourceRef`): a DOI or PMID with table and row, or ``local``;
* a curation status (``draft``, ``reviewed``) and the cells that need a curator
  (:class:`CurationFlag`);
* a version (optimistic locking) and, in the database, its history.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from tkiresist.errors import Location, ParseError
from tkiresist.model.base import Value
from tkiresist.model.case import Case
from tkiresist.model.citation import DOI, PMID, Doi

SourceKind = Literal["doi", "pmid", "local"]
CurationStatus = Literal["draft", "reviewed"]
STATUSES: tuple[CurationStatus, ...] = ("draft", "reviewed")

_DOI = re.compile(DOI)
_DOI_PREFIX = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)", re.IGNORECASE)
_PMID = re.compile(rf"^(?:pmid\s*:?\s*)?({PMID.strip('^$')})$", re.IGNORECASE)


class SourceRef(Value):
    """Where a registry case comes from: a publication's table row, or ``local``."""

    kind: SourceKind
    id: str = Field(description="the DOI (10.x/...), the PMID (digits), or 'local'")
    table: str | None = Field(default=None, description="e.g. 'Table 1'")
    row: str | None = Field(default=None, description="the row's label in the table, e.g. '6'")

    @model_validator(mode="after")
    def _check(self) -> SourceRef:
        if self.kind == "doi" and not _DOI.match(self.id):
            raise ValueError(f"not a DOI: {self.id!r}")
        if self.kind == "pmid" and not self.id.isdigit():
            raise ValueError(f"not a PMID: {self.id!r}")
        if self.kind == "local" and (self.id != "local" or self.table or self.row):
            raise ValueError("a local source has id 'local' and no table or row")
        return self

    @classmethod
    def parse(cls, text: str, table: str | None = None, row: str | None = None) -> SourceRef:
        """``10.7759/cureus.92202``, ``doi:10...``, ``https://doi.org/10...``, ``PMID 123``,
        ``pmid:123`` or ``local``; raise ParseError naming what was expected."""
        raw = text.strip()
        if raw.lower() == "local":
            return cls(kind="local", id="local")
        doi = _DOI_PREFIX.sub("", raw)
        if _DOI.match(doi):
            return cls(kind="doi", id=doi, table=table, row=row)
        pmid = _PMID.match(raw)
        if pmid:
            return cls(kind="pmid", id=pmid.group(1), table=table, row=row)
        raise ParseError(
            "source",
            text,
            0,
            "a DOI (10.NNNN/...), a PMID (digits, optionally 'PMID:'), or 'local'",
            Location(field="source"),
        )

    def describe(self) -> str:
        head = "local" if self.kind == "local" else f"{self.kind}:{self.id}"
        if self.table:
            head += f" {self.table}"
        if self.row:
            head += f" row {self.row}"
        return head


class FieldSource(Value):
    """One source field (a table column) of one case: its verbatim text and what became of it."""

    field: str = Field(description="the canonical field name, e.g. egfr_mutation")
    verbatim: str = Field(description="the cell text exactly as read ('' for a blank cell)")
    parsed: bool = Field(description="False when the text did not parse (see the case's flags)")
    message: str | None = Field(default=None, description="why it did not parse")
    line: int | None = Field(default=None, ge=1, description="first line of the cell in the file")
    paths: tuple[str, ...] = Field(
        default=(), description="the record paths it filled, e.g. case.patient.sex"
    )

    # The verbatim text is kept exactly, surrounding whitespace included.
    model_config = ConfigDict(
        frozen=True, extra="forbid", str_strip_whitespace=False, validate_default=True
    )


class CurationFlag(Value):
    """A cell a curator must look at: it did not parse, or it parsed only in part."""

    field: str
    verbatim: str
    reason: str


class PrimarySource(Value):
    """The study a review row cites (``Schrock et al. (2018), Case 7``)."""

    text: str = Field(description="as written in the table")
    present_case: bool = Field(default=False, description="the reviewing paper's own case")
    first_author: str | None = None
    year: int | None = Field(default=None, ge=1900, le=2200)
    case_label: str | None = Field(default=None, description="e.g. 'Case 7'")
    reference: int | None = Field(default=None, ge=1, description="the review's reference number")
    doi: Doi | None = None
    uncertain: bool = Field(
        default=False, description="the identifier was not independently verified"
    )


PostResistance = Literal["given", "none"]
Grade3Status = Literal["none", "some"]


class ReportedSummary(Value):
    """Summary statements of a source that a sparse timeline cannot hold honestly.

    ``None`` everywhere means "not reported". For local cases with a full timeline these stay
    ``None`` and the facts are derived from the events (see :mod:`tkiresist.registry.facts`).
    """

    primary_source: PrimarySource | None = None
    cns_progression: bool | None = Field(
        default=None, description="CNS progression at resistance: yes/no as the source says"
    )
    extracranial_progression: tuple[str, ...] | None = Field(
        default=None, description="sites of extracranial progression; () = the source says none"
    )
    post_resistance: PostResistance | None = Field(
        default=None, description="'none': the source says no post-resistance treatment"
    )
    grade3: Grade3Status | None = Field(
        default=None, description="'none': the source says no grade >=3 adverse event"
    )
    testing: tuple[str, ...] | None = Field(
        default=None, description="methods that found the resistance alteration, e.g. IHC, NGS"
    )


@dataclass(frozen=True, slots=True)
class Abstraction:
    """What one source row became: the case, the summary, the provenance and the flags.

    A frozen dataclass, not a model: wrapping an already validated case must not validate it
    again (an import builds 100,000 of these)."""

    case: Case
    reported: ReportedSummary = field(default_factory=ReportedSummary)
    provenance: tuple[FieldSource, ...] = ()
    flags: tuple[CurationFlag, ...] = ()


class CaseRecord(Value):
    """A registry case as stored: everything in :class:`Abstraction` plus its bookkeeping."""

    uid: str
    dataset: str
    source: SourceRef
    status: CurationStatus
    version: int = Field(ge=1)
    case: Case
    reported: ReportedSummary = ReportedSummary()
    provenance: tuple[FieldSource, ...] = ()
    flags: tuple[CurationFlag, ...] = ()
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str
    deleted_at: dt.datetime | None = None
    deleted_by: str | None = None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


HistoryAction = Literal["create", "update", "import", "delete", "restore", "link", "unlink"]


class HistoryEntry(Value):
    """One change to one field of one case: who, when, from what to what."""

    id: int
    uid: str
    version: int = Field(description="the case's version after the change")
    at: dt.datetime
    who: str
    action: HistoryAction
    field: str = Field(description="record path, e.g. case.patient.age_at_diagnosis; '*' = all")
    old: Any = None
    new: Any = None
    reason: str | None = None


class CaseSummary(Value):
    """One line of a registry listing (no case JSON is parsed to build it)."""

    uid: str
    dataset: str
    source: SourceRef
    status: CurationStatus
    version: int
    n_flags: int
    deleted: bool
    updated_at: dt.datetime
    updated_by: str
