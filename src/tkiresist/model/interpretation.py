"""The interpretation of one case at one decision point, as immutable values.

Its JSON form (``Interpretation.model_dump(mode="json")``) is a contract other tools depend on:
fields may be added, but these stay: ``decision_point`` (``event_id``, ``therapy``),
``alterations`` (``name``, ``gene``/``genes``, ``category``, ``status``, ``evidence``),
``mechanisms`` (``id``, ``label``, ``class``, ``alterations``, ``statements``), ``options``
(``rank``, ``drugs``, ``rationale``, ``evidence_level``, ``cns_active``, ``citations``),
``recommended_tests`` (``kind``, ``reason``), ``knowledge_base`` (``version``, ``date``) and
``disclaimer``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tkiresist import DISCLAIMER
from tkiresist.model.alterations import Alteration
from tkiresist.model.base import Value
from tkiresist.model.citation import ReportedCitation
from tkiresist.model.vocabulary import AmpTier, EvidenceLevel, MechanismClass

AlterationState = Literal[
    "acquired", "baseline", "persistent", "lost", "not_assessable", "not_detected"
]
"""An alteration's status at the decision point (:mod:`tkiresist.interpret.serial`); ``baseline``
is a finding detected before any therapy (the decision point is the diagnosis)."""
PRESENT_STATES: tuple[AlterationState, ...] = (
    "acquired",
    "persistent",
    "not_assessable",
    "baseline",
)
"""The statuses of an alteration that is there at the decision point."""


class TherapyContext(Value):
    event_id: str
    drugs: tuple[str, ...]
    drug_classes: tuple[str, ...]
    generations: tuple[int, ...] = ()
    unnamed_classes: tuple[str, ...] = Field(
        default=(), description="classes of agents named only by their class (generation unknown)"
    )
    history_classes: tuple[str, ...] = Field(
        default=(), description="drug classes of this line and every line started before it"
    )
    start_month: float
    line: int | None = None


class DecisionPoint(Value):
    event_id: str
    month: float = Field(description="months from diagnosis")
    description: str
    therapy: TherapyContext | None
    cns_disease: bool = Field(description="the timeline shows CNS disease up to this point")
    cns_progression: bool = Field(description="this progression involves the CNS")
    cns_lesions: int | None = Field(
        default=None,
        description="the lesions the progression's CNS assessment lists (None: not listed)",
    )


class TestEvidence(Value):
    """One test's word on one alteration."""

    test: str
    specimen: str
    specimen_kind: str
    assay: str
    month: float
    phase: Literal["earlier", "current"]
    result: Literal["detected", "not_detected", "not_detected_implicit", "equivocal"]
    vaf: float | None = None
    reads: int | None = None
    name_as_reported: str


class AlterationStatus(Value):
    name: str
    gene: str | None
    genes: tuple[str, ...]
    category: tuple[str, ...]
    status: AlterationState
    alteration: Alteration
    evidence: tuple[TestEvidence, ...]
    heterogeneous: bool = Field(
        default=False, description="biopsies at progression disagree (spatial heterogeneity)"
    )
    notes: tuple[str, ...] = ()
    orthogonal: Literal["agree", "discordant"] | None = Field(
        default=None,
        description="a test of another kind (IHC against sequencing) on the same gene agrees "
        "with it or not, at the decision point",
    )
    reported_acquired: str | None = Field(
        default=None,
        description="the source's own words that the alteration is new, when no earlier test "
        "in the case shows it (the status is then acquired, per the report)",
    )
    kb_match: bool = Field(default=False, description="a knowledge-base statement matched it")


class Mechanism(Value):
    id: str
    label: str
    class_: MechanismClass = Field(alias="class")
    alterations: tuple[str, ...]
    statements: tuple[str, ...]
    explanation: str
    acquired: bool = Field(description="every alteration behind it was shown to be acquired")
    evidence_level: EvidenceLevel
    citations: tuple[ReportedCitation, ...] = ()

    model_config = Value.model_config | {"populate_by_name": True, "serialize_by_alias": True}


class PooledEvidence(Value):
    """Pooled registry evidence for a regimen class, e.g. ORR 6/9 with its exact CI."""

    label: str
    scope: Literal["regimen", "class"] = Field(
        default="regimen",
        description="regimen: patients who received these drugs; class: a drug class's pool",
    )
    numerator: int
    denominator: int
    value: float | None
    ci_low: float | None
    ci_high: float | None
    method: str = "Clopper-Pearson exact 95% CI"
    source: str

    def __str__(self) -> str:
        if self.value is None or self.ci_low is None or self.ci_high is None:
            return f"{self.label}: {self.numerator}/{self.denominator}"
        return (
            f"{self.label}: {self.numerator}/{self.denominator} = {100 * self.value:.1f}%, "
            f"exact 95% CI {100 * self.ci_low:.1f}–{100 * self.ci_high:.1f}%"
        )


class ApprovalOut(Value):
    """A regulator's decision on an option's regimen for this indication."""

    region: str
    status: str
    date: str | None
    indication: str
    source: str

    def __str__(self) -> str:
        when = f" {self.date}" if self.date else ""
        return f"{self.region} {self.status.replace('_', ' ')}{when}"


class Option(Value):
    rank: int = Field(ge=1)
    drugs: tuple[str, ...] = Field(description="lower-case generic names, in order")
    roles: tuple[str, ...]
    label: str
    rationale: str
    evidence_level: EvidenceLevel
    amp_tier: AmpTier
    cns_active: bool
    cns_detail: str = Field(
        default="", description="documented CNS activity of each drug, with the trial behind it"
    )
    citations: tuple[ReportedCitation, ...]
    statements: tuple[str, ...]
    mechanisms: tuple[str, ...]
    pooled: PooledEvidence | None = None
    uncertain: bool = False
    approvals: tuple[ApprovalOut, ...] = Field(
        default=(), description="regulators' decisions on this regimen for this indication"
    )
    score: float = Field(description="the ranking score, for the trace")


class Avoid(Value):
    """A regimen the knowledge base says the tumour is resistant to, in this context."""

    drugs: tuple[str, ...]
    reason: str
    statements: tuple[str, ...]


class RecommendedTest(Value):
    kind: Literal[
        "orthogonal_confirmation",
        "rebiopsy_histology",
        "cis_trans_phasing",
        "repeat_testing",
        "rebiopsy",
    ]
    reason: str
    status: Literal["needed", "done"] = "needed"
    alterations: tuple[str, ...] = ()


class TraceEntry(Value):
    statement: str
    fired: bool
    reason: str
    findings: tuple[str, ...] = ()


class SeriesPoint(Value):
    """One draw's word on one alteration in a serial liquid-biopsy series (#15). A result of
    "not detected" is below the assay's limit of detection (``below``), never a VAF of 0."""

    test: str
    month: float
    result: Literal["detected", "not_detected", "equivocal"]
    vaf: float | None = Field(default=None, description="variant allele fraction 0-1, detected")
    below: float | None = Field(
        default=None,
        description="not detected: the test's limit of detection (fraction), when it is stated",
    )

    def __str__(self) -> str:
        if self.result == "detected":
            return f"{100 * self.vaf:.3g}%" if self.vaf is not None else "detected (no VAF)"
        if self.result == "equivocal":
            return "equivocal"
        return f"ND <{100 * self.below:.3g}%" if self.below is not None else "ND (LoD not stated)"


class Series(Value):
    """One alteration followed across the draws of one compartment."""

    name: str
    role: Literal["driver", "new", "co-alteration"] = Field(
        description="driver: the truncal EGFR driver; new: first detected on the line, absent "
        "before (a candidate resistance alteration); co-alteration: anything else"
    )
    points: tuple[SeriesPoint, ...]
    notes: tuple[str, ...] = ()


class Draw(Value):
    """One plasma (or CSF) draw, and what it can say."""

    test: str
    specimen: str
    month: float
    phase: Literal["earlier", "baseline", "on_line"]
    tumour_fraction: float | None = None
    limit_of_detection: float | None = None
    driver: Literal["detected", "not_detected", "equivocal", "not_covered"]
    informative: bool = Field(
        description="the driver was detected, so a negative for other alterations means "
        "something (down to the limit of detection)"
    )
    note: str | None = None


class MolecularResponse(Value):
    status: Literal["response", "no_response", "not_assessable"]
    how: Literal["clearance", "fall"] | None = Field(
        default=None, description="the first draw meeting the rule: clearance or a fall"
    )
    month: float | None = None
    test: str | None = None
    baseline_test: str | None = None
    baseline_vaf: float | None = None
    cleared_month: float | None = Field(default=None, description="first draw with clearance")
    reason: str


class MolecularProgression(Value):
    status: Literal["progression", "none", "not_assessable"]
    kinds: tuple[Literal["new_alteration", "driver_rise"], ...] = ()
    alterations: tuple[str, ...] = Field(default=(), description="new alterations on the line")
    month: float | None = Field(default=None, description="first draw showing it")
    test: str | None = None
    confirmed_month: float | None = Field(
        default=None, description="the next draw that showed it again, if any"
    )
    radiographic_event: str | None = Field(
        default=None, description="the first radiographic progression (PD) on the same line"
    )
    radiographic_month: float | None = None
    lead_time_months: float | None = Field(
        default=None,
        description="radiographic minus molecular progression, in months (positive: the blood "
        "showed it first)",
    )
    reason: str


class ClonalCall(Value):
    """A new alteration's VAF against the truncal driver's in the same draw."""

    alteration: str
    test: str
    month: float
    ratio: float | None
    call: Literal["clonal", "subclonal", "uncertain"]
    note: str


class Dynamics(Value):
    """Serial liquid-biopsy dynamics of one compartment (plasma or CSF) on the line in effect
    at the decision point (#15); see :mod:`tkiresist.interpret.dynamics` for the rules."""

    compartment: Literal["plasma", "csf"]
    line: str | None
    driver: str | None
    draws: tuple[Draw, ...]
    series: tuple[Series, ...]
    response: MolecularResponse
    progression: MolecularProgression
    clonality: tuple[ClonalCall, ...] = ()
    polyclonal: tuple[str, ...] = Field(
        default=(), description="two or more new alterations on the line: polyclonal resistance"
    )
    notes: tuple[str, ...] = ()
    rules: tuple[str, ...] = Field(default=(), description="the rules applied, with sources")


class KnowledgeBaseStamp(Value):
    version: str
    date: str


class Interpretation(Value):
    case_id: str
    decision_point: DecisionPoint
    alterations: tuple[AlterationStatus, ...]
    mechanisms: tuple[Mechanism, ...]
    options: tuple[Option, ...]
    avoid: tuple[Avoid, ...] = ()
    recommended_tests: tuple[RecommendedTest, ...]
    unmatched: tuple[str, ...] = Field(
        default=(), description="alterations with no knowledge-base match (never dropped)"
    )
    warnings: tuple[str, ...] = ()
    trace: tuple[TraceEntry, ...] = ()
    dynamics: tuple[Dynamics, ...] = Field(
        default=(),
        description="serial plasma/CSF dynamics, for a case with two or more such draws (#15)",
    )
    knowledge_base: KnowledgeBaseStamp
    disclaimer: str = DISCLAIMER
