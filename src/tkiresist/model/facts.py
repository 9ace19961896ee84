"""The columns of ``registry_case_facts``, defined once (#14).

The flat facts table (one row per case) has three readers, and each derives its view from
:class:`CaseFacts` here:

* the registry writes :class:`CaseFacts` values (:func:`tkiresist.registry.facts.derive_facts`);
* the registry's SQLAlchemy table is generated from :data:`FACT_SPEC` (SQL type from the kind,
  ``String`` length, index, primary key) in :mod:`tkiresist.registry.models`;
* evidence synthesis reads the columns marked for it (:data:`FACT_SPEC` entries with
  ``evidence`` true; the ``required`` ones are its contract), with no registry and no
  database needed (a parquet file through DuckDB will do).

Each field of :class:`CaseFacts` carries one :class:`Col`: its meaning, whether evidence
synthesis reads it (required or optional), its SQL length and index, and, when the Python type
does not say it, its kind (``list``: a comma-joined list) or vocabulary (a ``str`` whose values
are a closed set the registry guarantees elsewhere). The column order is the field order. The
Alembic migrations freeze the schema at each revision and are history, not a copy; a test
compares the migrations' head with the generated table.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Annotated, Final, Literal, Union

from pydantic import Field

from tkiresist.model.base import Value

FACTS_TABLE: Final = "registry_case_facts"
"""The table's name (the registry's, and the default evidence synthesis reads)."""

ColumnKind = Literal["text", "vocab", "bool", "int", "float", "list"]
Reader = Literal["required", "optional", "registry"]


@dataclass(frozen=True, slots=True)
class Col:
    """What a :class:`CaseFacts` field says beyond its Python type.

    ``reader``: ``required`` (part of evidence synthesis's contract), ``optional`` (evidence
    uses it when the table has it), ``registry`` (written and read by the registry only).
    ``length``: the SQL ``String`` length of a text column (none: unbounded ``Text``).
    """

    meaning: str
    reader: Reader = "required"
    length: int | None = None
    index: bool = False
    key: bool = False
    kind: Literal["list"] | None = None
    vocabulary: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FactColumn:
    """One column of the facts table, as every reader sees it."""

    name: str
    kind: ColumnKind
    meaning: str
    vocabulary: tuple[str, ...] = ()
    required: bool = True
    evidence: bool = True
    nullable: bool = True
    length: int | None = None
    index: bool = False
    key: bool = False


EgfrBaseline = Literal["ex19del", "l858r", "uncommon", "other"]
PartnerClass = Literal["eml4", "uncommon", "both", "unknown"]
BestResponse = Literal["CR", "PR", "SD", "PD"]
PostRegimenStatus = Literal["given", "none"]

_OPT: Final = "optional"
_REG: Final = "registry"


class CaseFacts(Value):
    """The flat facts of one case (one row of ``registry_case_facts``); what each column is
    derived from and what NULL means is in ``docs/registry.md``."""

    case_uid: Annotated[str, Col("the registry case's identifier", length=64, key=True)]
    dataset: Annotated[
        str,
        Col("the dataset the case belongs to, e.g. cheung2025-table1", length=100, index=True),
    ]
    status: Annotated[
        str, Col("curation status", _OPT, length=16, vocabulary=("draft", "reviewed"))
    ]
    source_id: Annotated[str, Col("DOI, PMID or local", _REG, length=200)]
    source_row: Annotated[
        str | None,
        Col(
            "the row label in the source table ('1' for the seed's present case); needed by "
            "per-case claims",
            _OPT,
            length=100,
        ),
    ] = None
    study: Annotated[str | None, Col("the cited study as written", _OPT)] = None
    needs_curation: Annotated[bool, Col("the case has cells to curate", _OPT)] = False
    n_flags: Annotated[int, Col("number of curation flags", _REG)] = 0
    age: Annotated[int | None, Col("age in years")] = None
    sex: Annotated[str | None, Col("sex", length=8, vocabulary=("female", "male", "other"))] = None
    egfr_baseline: Annotated[
        EgfrBaseline | None,
        Col("the baseline (sensitising) EGFR mutation class", length=16, index=True),
    ] = None
    egfr_t790m: Annotated[bool, Col("T790M present at any time in the EGFR history")] = False
    egfr_t790m_de_novo: Annotated[bool, Col("T790M among the baseline variants", _REG)] = False
    egfr_history_text: Annotated[str | None, Col("the EGFR history as the source wrote it")] = None
    prior_tkis: Annotated[
        str | None,
        Col("EGFR TKIs before resistance, generic names in order", kind="list"),
    ] = None
    last_egfr_tki: Annotated[
        str | None,
        Col(
            "the EGFR TKI at resistance (without the column: the last prior TKI)",
            _OPT,
            length=64,
            index=True,
        ),
    ] = None
    osimertinib_exposed: Annotated[bool, Col("osimertinib among the prior TKIs")] = False
    tki_generations: Annotated[str | None, Col("generations of the prior TKIs", length=16)] = None
    alk_partners: Annotated[
        str | None,
        Col("5' partner genes of the ALK fusion(s), e.g. EML4,STRN", kind="list"),
    ] = None
    n_alk_fusions: Annotated[int, Col("number of distinct ALK fusions")] = 0
    eml4_any: Annotated[bool | None, Col("an EML4::ALK fusion among the fusions")] = None
    uncommon_partner_any: Annotated[
        bool | None, Col("a partner other than EML4 among the fusions")
    ] = None
    partner_class: Annotated[
        PartnerClass | None,
        Col(
            "eml4 (EML4 only), uncommon (non-EML4 only), both, unknown",
            _OPT,
            length=16,
            index=True,
        ),
    ] = None
    interval_months: Annotated[
        float | None, Col("months from the start of the line to resistance")
    ] = None
    interval_censored: Annotated[
        bool | None, Col("still on treatment: the interval is a lower bound")
    ] = None
    post_regimen_status: Annotated[
        PostRegimenStatus | None,
        Col("post-resistance regimens given, or none (the source says none)", _REG, length=8),
    ] = None
    post_regimen_text: Annotated[
        str | None, Col("post-resistance regimens as the source wrote them")
    ] = None
    first_post_regimen: Annotated[
        str | None,
        Col("the first post-resistance regimen, canonical generics", length=400, index=True),
    ] = None
    n_post_regimens: Annotated[int, Col("number of post-resistance regimens", _REG)] = 0
    combination_egfr_alk: Annotated[
        bool | None,
        Col("the first post-resistance regimen combines an EGFR TKI and an ALK TKI", index=True),
    ] = None
    best_response: Annotated[
        BestResponse | None,
        Col("best response to the first post-resistance regimen", length=4),
    ] = None
    grade3_any: Annotated[bool | None, Col("any grade ≥3 adverse event reported")] = None
    grade3_on_first_post_regimen: Annotated[
        bool | None,
        Col(
            "a grade ≥3 event attributed to the first post-resistance regimen (without the "
            "column, attribution is read from grade3_text)",
            _OPT,
        ),
    ] = None
    grade3_text: Annotated[
        str | None, Col("the grade ≥3 adverse events as the source wrote them")
    ] = None
    biopsy: Annotated[str | None, Col("the resistance specimen", length=200)] = None
    testing: Annotated[str | None, Col("the method(s) that found the fusion", length=200)] = None
    cns_reported: Annotated[bool, Col("CNS progression status reported (yes or no)")] = False
    cns_involved: Annotated[bool | None, Col("CNS progression at resistance")] = None
    extracranial_sites: Annotated[str | None, Col("extracranial progression sites")] = None
    n_events: Annotated[int, Col("events in the case's timeline", _REG), Field(ge=0)] = 0
    patient_source: Annotated[
        str | None,
        Col("the publication the patient was first reported in (doi:... or pmid:...)", _REG,
            length=220),
    ] = None  # fmt: skip
    patient_ages: Annotated[
        str | None,
        Col("every age the case's sources give, ascending", _REG, length=64, kind="list"),
    ] = None
    duplicate_of: Annotated[
        str | None,
        Col("the uid of the case counted for this patient (this one is a duplicate)", _REG,
            length=64),
    ] = None  # fmt: skip
    patient_source_ids: Annotated[
        str | None,
        Col("every identifier known for that publication, space-joined", _REG, length=400),
    ] = None


_KINDS: Final[dict[type, ColumnKind]] = {bool: "bool", int: "int", float: "float", str: "text"}


def _column(name: str, annotation: object, col: Col) -> FactColumn:
    args = typing.get_args(annotation)
    union = typing.get_origin(annotation) in (Union, types.UnionType)
    nullable = union and type(None) in args
    base: object = next(a for a in args if a is not type(None)) if union else annotation
    kind: ColumnKind
    vocabulary = col.vocabulary
    if typing.get_origin(base) is Literal:
        kind, vocabulary = "vocab", tuple(str(v) for v in typing.get_args(base))
    elif isinstance(base, type) and base in _KINDS:
        kind = _KINDS[base]
    else:  # a field added with a type the table cannot hold
        raise TypeError(f"CaseFacts.{name}: no column kind for {annotation!r}")
    if col.kind is not None:
        kind = col.kind
    elif vocabulary:
        kind = "vocab"
    return FactColumn(
        name=name,
        kind=kind,
        meaning=col.meaning,
        vocabulary=vocabulary,
        required=col.reader == "required",
        evidence=col.reader != "registry",
        nullable=nullable,
        length=col.length,
        index=col.index,
        key=col.key,
    )


def _spec() -> tuple[FactColumn, ...]:
    out = []
    for name, info in CaseFacts.model_fields.items():
        col = next(m for m in info.metadata if isinstance(m, Col))
        out.append(_column(name, info.annotation, col))
    return tuple(out)


FACT_SPEC: Final[tuple[FactColumn, ...]] = _spec()
"""Every column of ``registry_case_facts``, in table order."""
