"""The knowledge-base schema: one cited statement, as immutable values.

A :class:`Statement` says: this alteration category (:class:`Match`), in this disease and
therapy context (:class:`Context`), means this (:class:`Meaning`), supports these
regimens (:class:`Regimen`), at this level of evidence, because of these citations
(:class:`~tkiresist.model.citation.KnowledgeCitation`). Statements are data
(``statements/*.yaml``); this module only states their shape and the rules a single
statement must keep. Rules that need the whole knowledge base or outside vocabularies
(categories, drugs, genes, contradictions) live in :mod:`tkiresist.knowledge.lint`.

Vocabularies are ``str`` enums so that YAML and JSON carry their plain values; the ones the
interpretation shares (evidence level, AMP tier, mechanism class, driver state) live in
:mod:`tkiresist.model.vocabulary`, the citation in :mod:`tkiresist.model.citation`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, Field, model_validator

from tkiresist.model.base import Kebab, NonEmpty, Value
from tkiresist.model.citation import KnowledgeCitation
from tkiresist.model.vocabulary import AmpTier, DriverState, EvidenceLevel, MechanismClass

SNAKE = r"^[a-z0-9]+(_[a-z0-9]+)*$"
SEMVER = r"^\d+\.\d+\.\d+$"


class MeaningKind(StrEnum):
    RESISTANCE_MECHANISM = "resistance_mechanism"
    SENSITIVITY = "sensitivity"
    RESISTANCE = "resistance"


class Phase(StrEnum):
    """Allelic configuration of EGFR C797X relative to T790M."""

    CIS = "cis"
    TRANS = "trans"


class ProgressionSite(StrEnum):
    """Where the progression at the decision point was, as a trial's enrolment restricts it
    (COMPEL enrolled extracranial progression only)."""

    EXTRACRANIAL = "extracranial"  # outside the CNS, the CNS not progressing
    CNS = "cns"  # in the CNS (with or without extracranial progression)
    CNS_ONLY = "cns_only"  # only in the CNS, the extracranial disease not progressing
    ANY = "any"


class Region(StrEnum):
    """A regulator whose decision on a regimen the knowledge base records."""

    FDA = "FDA"  # United States
    EMA = "EMA"  # European Union
    NMPA = "NMPA"  # China
    PMDA = "PMDA"  # Japan


class ApprovalStatus(StrEnum):
    APPROVED = "approved"
    ACCELERATED = "accelerated"  # conditional / accelerated approval
    UNDER_REVIEW = "under_review"
    NOT_APPROVED = "not_approved"  # studied, not approved for this indication (say why in note)
    WITHDRAWN = "withdrawn"  # the application or the approval was withdrawn


APPROVED_STATUSES = frozenset({ApprovalStatus.APPROVED, ApprovalStatus.ACCELERATED})


def _iso(value: object) -> object:
    """YAML reads ``2026-12-05`` as a date: keep dates as ISO text (``2024-09`` stays text)."""
    import datetime as dt

    return value.isoformat() if isinstance(value, dt.date) else value


IsoDate = Annotated[str, BeforeValidator(_iso), Field(pattern=r"^\d{4}-\d{2}(-\d{2})?$")]


class Approval(Value):
    """One regulator's decision on a regimen for this statement's indication, with its date and
    where it is recorded (a citation id of the statement, or the regulator's page)."""

    region: Region
    status: ApprovalStatus
    date: IsoDate | None = Field(
        default=None, description="year-month(-day); None only when it could not be confirmed"
    )
    indication: NonEmpty
    source: NonEmpty = Field(description="a citation id of the statement, or a URL")
    note: str | None = None

    @model_validator(mode="after")
    def _dated(self) -> Approval:
        if self.date is None and not self.note:
            raise ValueError("an approval without a date needs a note saying why")
        return self

    @property
    def approved(self) -> bool:
        return self.status in APPROVED_STATUSES


class Effect(StrEnum):
    SENSITIVITY = "sensitivity"
    RESISTANCE = "resistance"


class DrugRole(StrEnum):
    """The part a drug plays in a regimen, relative to the line in effect at progression."""

    CONTINUE = "continue"  # keep the drug the patient is on (usually the EGFR TKI)
    ADD = "add"  # add to the continued drug(s)
    START = "start"  # start as (part of) a new regimen that replaces the line


Snake = Annotated[str, Field(pattern=SNAKE)]


class Match(Value):
    """Which findings a statement matches, as category ids of ``model.categories.CATALOGUE``.

    The statement fires when at least one ``any_of`` category is present, every ``all_of``
    category is present and no ``none_of`` category is present. A ``fallback`` statement has
    no trigger of its own: it applies when no resistance mechanism was identified in its
    context (the "no identified mechanism" options).
    """

    any_of: tuple[Snake, ...] = ()
    all_of: tuple[Snake, ...] = ()
    none_of: tuple[Snake, ...] = ()
    fallback: bool = False
    without_mechanism: bool = Field(
        default=False,
        description="a fallback that applies only when no resistance mechanism was identified "
        "(not beside one, as the line's standard options are)",
    )

    @model_validator(mode="after")
    def _trigger(self) -> Match:
        if not self.any_of and not self.fallback:
            raise ValueError("any_of needs at least one category (or set fallback: true)")
        if self.any_of and self.fallback:
            raise ValueError("a fallback statement has no any_of trigger")
        if self.without_mechanism and not self.fallback:
            raise ValueError("without_mechanism is for fallback statements")
        overlap = (set(self.any_of) | set(self.all_of)) & set(self.none_of)
        if overlap:
            raise ValueError(f"categories both required and excluded: {sorted(overlap)}")
        return self

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(self.any_of) | frozenset(self.all_of) | frozenset(self.none_of)


class Context(Value):
    """The therapy context in which a statement holds.

    ``prior_drug_classes``: the statement holds when the line in effect at progression
    includes a drug of one of these classes (classes of ``tkiresist/data/drugs.yaml``).
    ``prior_generations``: further restricts to those TKI generations of that class.
    ``prior_regimen_all_of`` / ``prior_regimen_none_of``: the line as a regimen (FLAURA2's
    osimertinib + pemetrexed; osimertinib without chemotherapy). ``history_classes``: what the
    patient received in any line so far, the current one included.
    ``treatment_naive``: the statement holds only with no prior systemic therapy (first line:
    a driver's own standard care at diagnosis); then ``prior_drug_classes`` is empty and no
    other therapy field is given.
    ``earlier_none_of`` and ``progression_site``: the population a trial enrolled, by what
    the lines before the one in effect gave (COMPEL, first-line osimertinib: no earlier EGFR
    TKI) and where it progressed (COMPEL: extracranial). When the case does not say, the
    statement applies with a note (:mod:`tkiresist.knowledge.applies`, rules 3 and 8).
    ``evidence_after``: the drugs (generic names) or drug classes the patients behind the
    statement's evidence had progressed on (SAVANNAH: osimertinib). It never stops a statement
    from applying: a targeted drug of the line it does not cover is said in a note (another
    TKI of the same generation: a class effect assumed; any other, such as amivantamab: no
    trial enrolled after it). Empty: the evidence's population is not recorded, no note.
    ``evidence_naive_to``: drug classes the patients behind the evidence had NOT received
    before (MARIPOSA-2, COMPEL: chemotherapy). It never stops a statement from applying
    either: when some line up to the decision point gave one (FLAURA2's osimertinib with
    platinum-pemetrexed), the statement's options are outside the trial's population, which a
    note says beside each of them.
    """

    prior_drug_classes: tuple[Snake, ...] = ()
    treatment_naive: bool = Field(
        default=False,
        description="holds only when no systemic therapy was given before (first line)",
    )
    prior_generations: tuple[Annotated[int, Field(ge=1, le=4)], ...] | None = None
    prior_regimen_all_of: tuple[NonEmpty, ...] = Field(
        default=(), description="drugs (generic names) the line in effect must all include"
    )
    prior_regimen_none_of: tuple[NonEmpty, ...] = Field(
        default=(), description="drugs the line in effect must not include"
    )
    history_classes: tuple[Snake, ...] = Field(
        default=(),
        description="drug classes each given in some line up to the decision point "
        "(after an EGFR TKI and platinum chemotherapy: [egfr_tki, chemotherapy])",
    )
    earlier_none_of: tuple[Snake, ...] = Field(
        default=(),
        description="drug classes no line before the one in effect included (the trial "
        "enrolled progression on a first EGFR TKI: COMPEL, first-line osimertinib)",
    )
    progression_site: ProgressionSite = Field(
        default=ProgressionSite.ANY,
        description="the trial enrolled patients whose progression was extracranial (the CNS "
        "not progressing), in the CNS, or any",
    )
    evidence_after: tuple[NonEmpty, ...] = Field(
        default=(),
        description="drugs (generic names) or drug classes the evidence's patients had "
        "progressed on ([osimertinib]: SAVANNAH); a targeted drug of the line outside them is "
        "noted, not excluded",
    )
    evidence_naive_to: tuple[Snake, ...] = Field(
        default=(),
        description="drug classes the evidence's patients had not received ([chemotherapy]: "
        "MARIPOSA-2); a patient who had one is outside the population, noted, not excluded",
    )
    driver: Snake | None = None
    driver_state: DriverState = DriverState.ANY
    phase: Phase | None = None

    @model_validator(mode="after")
    def _generations(self) -> Context:
        if self.prior_generations is not None and not self.prior_generations:
            raise ValueError("prior_generations, when given, lists at least one generation")
        if self.treatment_naive:
            given = [
                name
                for name in (
                    "prior_drug_classes",
                    "prior_generations",
                    "prior_regimen_all_of",
                    "prior_regimen_none_of",
                    "history_classes",
                    "earlier_none_of",
                    "evidence_after",
                    "evidence_naive_to",
                )
                if getattr(self, name)
            ]
            if given:
                raise ValueError(f"a treatment-naive context names no prior therapy: {given}")
        elif not self.prior_drug_classes:
            raise ValueError(
                "prior_drug_classes needs at least one class (or treatment_naive: true)"
            )
        from tkiresist.nomenclature.drugs import drug_classes, is_known

        classes = {c.value for c in drug_classes()}
        unknown = [d for d in self.evidence_after if d not in classes and not is_known(d)]
        if unknown:
            raise ValueError(f"evidence_after names no curated drug or drug class: {unknown}")
        unknown = [c for c in self.evidence_naive_to if c not in classes]
        if unknown:
            raise ValueError(f"evidence_naive_to names no curated drug class: {unknown}")
        return self


class Meaning(Value):
    """What a match means. ``risk_marker`` flags a statement that signals a risk (TP53 + RB1
    co-alteration: risk of small-cell transformation) rather than a mechanism shown in this
    tumour; the engine should turn it into a recommended test, not a diagnosis."""

    kind: MeaningKind
    mechanism_class: MechanismClass | None = None
    label: NonEmpty
    explanation: NonEmpty
    risk_marker: bool = False

    @model_validator(mode="after")
    def _class(self) -> Meaning:
        is_mechanism = self.kind is MeaningKind.RESISTANCE_MECHANISM
        if is_mechanism and self.mechanism_class is None:
            raise ValueError("a resistance_mechanism needs a mechanism_class")
        if not is_mechanism and self.mechanism_class is not None:
            raise ValueError(f"mechanism_class is only for resistance_mechanism, not {self.kind}")
        return self


class RegimenDrug(Value):
    drug: NonEmpty
    role: DrugRole


class Regimen(Value):
    """An ordered drug set with roles, and what the statement says of it.

    ``evidence_level`` and ``citations`` (citation ids) may refine the statement's own for
    this regimen (a trial-backed regimen beside a case-level one).
    """

    drugs: tuple[RegimenDrug, ...] = Field(min_length=1)
    effect: Effect
    cns_active: bool = False
    cns_citations: tuple[Kebab, ...] = Field(
        default=(),
        description="the evidence of the regimen's own CNS activity (citation ids): needed when "
        "cns_active is claimed for a regimen whose drugs are not each documented CNS-active",
    )
    note: str | None = None
    evidence_level: EvidenceLevel | None = None
    citations: tuple[Kebab, ...] = ()
    approvals: tuple[Approval, ...] = ()

    @property
    def approved_in(self) -> tuple[str, ...]:
        """Regions where the regimen is approved (or conditionally) for this indication."""
        return tuple(a.region.value for a in self.approvals if a.approved)

    @property
    def drug_names(self) -> tuple[str, ...]:
        return tuple(d.drug for d in self.drugs)

    @property
    def drug_set(self) -> frozenset[str]:
        """The drugs, lower-cased, without order or roles: what makes two regimens the same."""
        return frozenset(d.drug.lower() for d in self.drugs)

    @model_validator(mode="after")
    def _distinct(self) -> Regimen:
        names = [d.drug.lower() for d in self.drugs]
        if len(names) != len(set(names)):
            raise ValueError(f"a drug is listed twice in one regimen: {names}")
        return self


class Frequency(Value):
    text: NonEmpty
    citation: Kebab


class Threshold(Value):
    """How a trial or guideline defined a category, per method (MET amplification by FISH)."""

    method: NonEmpty
    definition: NonEmpty
    citation: Kebab
    copy_number_min: float | None = Field(
        default=None, gt=0, description="the gene copy number at or above which it is met"
    )
    ratio_min: float | None = Field(
        default=None, gt=0, description="the gene/centromere ratio at or above which it is met"
    )


class Caution(Value):
    """Drugs or drug classes that must not be offered when the statement fires (pemetrexed
    after squamous transformation; immunotherapy after small-cell transformation), with why
    and on what source. The engine moves every option containing one to "avoid"."""

    drugs: tuple[NonEmpty, ...] = ()
    classes: tuple[Snake, ...] = ()
    reason: NonEmpty
    citation: Kebab

    @model_validator(mode="after")
    def _something(self) -> Caution:
        if not self.drugs and not self.classes:
            raise ValueError("a caution names at least one drug or drug class")
        return self


class Statement(Value):
    """One cited claim of the knowledge base."""

    id: Kebab
    title: NonEmpty
    match: Match
    disease: tuple[Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]*$")], ...] = Field(min_length=1)
    context: Context
    meaning: Meaning
    regimens: tuple[Regimen, ...] = ()
    cns_note: str | None = None
    evidence_level: EvidenceLevel
    amp_tier: AmpTier
    frequency: Frequency | None = None
    thresholds: tuple[Threshold, ...] = ()
    cautions: tuple[Caution, ...] = ()
    supersedes_standard: bool = Field(
        default=False,
        description="when it fires, the line's standard-care (fallback) statements do not "
        "apply: a transformation to small-cell or squamous histology has its own standard",
    )
    last_reviewed: IsoDate | None = Field(
        default=None, description="when a curator last checked the statement against the literature"
    )
    genes: tuple[str, ...] = ()
    precedence: int = 0
    uncertain: bool = False
    uncertain_note: str | None = None
    citations: tuple[KnowledgeCitation, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Statement:
        ids = [c.id for c in self.citations]
        if len(ids) != len(set(ids)):
            raise ValueError(f"a citation is listed twice: {ids}")
        if self.uncertain_note and not self.uncertain:
            raise ValueError("uncertain_note is given but uncertain is false")
        known = set(ids)
        cited = [c for r in self.regimens for c in (*r.citations, *r.cns_citations)]
        cited += [t.citation for t in self.thresholds]
        cited += [c.citation for c in self.cautions]
        cited += [
            a.source for r in self.regimens for a in r.approvals if not a.source.startswith("http")
        ]
        if self.frequency is not None:
            cited.append(self.frequency.citation)
        missing = sorted(set(cited) - known)
        if missing:
            raise ValueError(f"cited but not in the statement's citations: {missing}")
        return self

    @property
    def citation_ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.citations)

    def citations_for(self, regimen: Regimen) -> tuple[KnowledgeCitation, ...]:
        """The citations behind one regimen: its own (efficacy, and the evidence of its own CNS
        activity), never the statement's (#12: FLAURA was printed under gefitinib). ``kb lint``
        refuses a sensitivity regimen without any."""
        wanted = {*regimen.citations, *regimen.cns_citations}
        return tuple(c for c in self.citations if c.id in wanted)

    def level_for(self, regimen: Regimen) -> EvidenceLevel:
        return regimen.evidence_level or self.evidence_level
