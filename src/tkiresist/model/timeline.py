"""The patient's timeline: typed events, in order.

Every event has an ``id`` (unique in the case) and a ``type`` tag. Times are
:class:`~tkiresist.model.time.TimePoint` values; :func:`resolve_months` turns them all into
months from diagnosis, following anchors (``3 months after srt-1``) and refusing cycles.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from tkiresist.model.alterations import Histology
from tkiresist.model.base import Value
from tkiresist.model.findings import Finding, fraction_not_percent
from tkiresist.model.time import DAYS_PER_MONTH, TimePoint

EventId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)]
Site = Literal["cns", "extracranial", "overall"]


class _Event(Value):
    id: EventId
    note: str | None = None
    age: int | None = Field(
        default=None,
        ge=0,
        le=120,
        description="the patient's age at this event, as the source says",
    )


class Diagnosis(_Event):
    """The diagnosis; its time is the origin of the timeline (month 0). A case whose source
    gives no calendar dates leaves ``time`` out and dates everything relative to it."""

    type: Literal["diagnosis"] = "diagnosis"
    time: TimePoint | None = None
    histology: str = Field(description="e.g. adenocarcinoma")
    oncotree_code: str = Field(default="LUAD", pattern=r"^[A-Z0-9_]+$")
    stage: str | None = Field(default=None, description="e.g. IVB (AJCC 8th)")
    metastatic_sites: tuple[str, ...] = ()
    cns_involvement: bool | None = None
    presentation: str | None = None
    driver: str | None = Field(
        default=None,
        description="the founding driver as a category id (e.g. egfr_sensitising), for sources "
        "that say 'EGFR-mutated' without naming the variant; a named variant in a test wins",
    )


class Agent(Value):
    drug: str = Field(description="generic name; checked against the drug dictionary")
    dose: str | None = Field(default=None, description="as written, e.g. '80 mg'")
    schedule: str | None = Field(default=None, description="e.g. 'once daily', 'twice daily'")


StopReason = Literal[
    "progression", "toxicity", "completed", "patient_choice", "death", "other", "ongoing"
]


class TherapyLine(_Event):
    type: Literal["therapy"] = "therapy"
    line: int | None = Field(default=None, ge=1, description="line number, when the source gives")
    agents: tuple[Agent, ...] = Field(min_length=1)
    start: TimePoint
    stop: TimePoint | None = None
    stop_reason: StopReason | None = None
    intent: str | None = None


class Surgery(_Event):
    type: Literal["surgery"] = "surgery"
    time: TimePoint
    procedure: str
    site: str | None = None
    site_kind: Site | None = None


class Radiotherapy(_Event):
    type: Literal["radiotherapy"] = "radiotherapy"
    time: TimePoint
    site: str
    site_kind: Site | None = None
    technique: str | None = Field(default=None, description="SRT, SRS, WBRT, SBRT, conventional")
    dose_gy: float | None = Field(default=None, gt=0, le=200, description="when the source says")
    fractions: int | None = Field(default=None, ge=1, le=60, description="when the source says")
    end: TimePoint | None = None

    @property
    def label(self) -> str:
        tech = f"{self.technique} " if self.technique else ""
        dose = f"{self.dose_gy:g} Gy" if self.dose_gy is not None else "dose not stated"
        fr = f"/{self.fractions} fr" if self.fractions is not None else ""
        return f"{tech}{dose}{fr}"


ResponseCategory = Literal["CR", "PR", "SD", "PD", "NE", "non-CR/non-PD"]


class Lesion(Value):
    site: str | None = None
    size_mm: tuple[Annotated[float, Field(ge=0)], ...] = Field(
        default=(),
        description="diameters as reported, in mm: one number (the single diameter RECIST and "
        "RANO-BM measure, read as a list of one) or a list",
    )

    @field_validator("size_mm", mode="before")
    @classmethod
    def _one_diameter(cls, value: object) -> object:
        """A single diameter (``size_mm: 14``) is the list of one (``[14]``); anything that is
        neither a number nor a list of numbers is refused, saying what is read."""
        if isinstance(value, bool) or not isinstance(value, (int, float, list, tuple)):
            raise ValueError(
                "expected a diameter in mm (a number, e.g. 14) or a list of diameters "
                f"(e.g. [14, 9]); got {value!r}"
            )
        return (value,) if isinstance(value, (int, float)) else value


class ResponseAssessment(_Event):
    type: Literal["response"] = "response"
    time: TimePoint
    category: ResponseCategory
    criteria: Literal["RECIST 1.1", "RANO-BM", "PERCIST", "clinical", "not stated"] = "not stated"
    site: Site = "overall"
    therapy: EventId | None = Field(default=None, description="the therapy line assessed")
    modality: str | None = Field(default=None, description="MRI brain, PET-CT...")
    lesions: tuple[Lesion, ...] = ()

    @property
    def is_progression(self) -> bool:
        return self.category == "PD"


class ClinicalEvent(_Event):
    """A symptom or complication worth placing on the timeline (e.g. status epilepticus)."""

    type: Literal["clinical"] = "clinical"
    time: TimePoint
    description: str
    site: Site | None = None


SpecimenKind = Literal["tissue", "plasma", "csf", "pleural_fluid", "cytology", "other"]


class Specimen(_Event):
    type: Literal["specimen"] = "specimen"
    time: TimePoint
    kind: SpecimenKind
    site: str | None = Field(default=None, description="e.g. left lower lobe, brain (left frontal)")
    site_kind: Site | None = None
    procedure: str | None = None


GenomeBuild = Literal["GRCh37", "GRCh38"]
"""The two reference genomes result files are read on (aliases such as hg19 map to these)."""


class MolecularTest(_Event):
    """One test on one specimen with one assay, and everything it reported."""

    type: Literal["test"] = "test"
    time: TimePoint | None = Field(default=None, description="defaults to the specimen's time")
    specimen: EventId
    assay: str = Field(description="an assay id from the catalogue, e.g. oncomine-precision")
    findings: tuple[Finding, ...] = ()
    lists: Literal["all", "positives_only"] = Field(
        default="all",
        description="all: the report lists every result, so a covered alteration it does not "
        "name was not detected; positives_only: it names positive findings only (an abstract), "
        "so silence says nothing",
    )
    histology: Histology | None = None
    report_text: str | None = Field(default=None, description="the source's words, verbatim")
    genome_build: GenomeBuild | None = Field(
        default=None,
        description="the reference genome of the test's result file (GRCh37 or GRCh38), as "
        "read from it by add-test; findings are compared across tests by gene and protein "
        "change, which do not depend on it, but genomic coordinates do",
    )
    tumour_fraction: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="the tumour-derived fraction of the DNA tested (0-1), when the report gives "
        "it (a plasma draw's ctDNA fraction, a tissue sample's tumour content)",
    )
    limit_of_detection: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="the assay's limit of detection for this test as an allele fraction (0-1): "
        "a 'not detected' is below it",
    )

    @field_validator("tumour_fraction", "limit_of_detection", mode="before")
    @classmethod
    def _fraction_not_percent(cls, value: object, info: ValidationInfo) -> object:
        return fraction_not_percent(value, info.field_name or "value")


class AdverseEvent(_Event):
    type: Literal["adverse_event"] = "adverse_event"
    time: TimePoint | None = None
    term: str = Field(description="CTCAE term, e.g. Pneumonitis")
    grade: int = Field(ge=1, le=5)
    therapy: EventId | None = None
    ctcae_version: str | None = None


class Death(_Event):
    """The patient's death, with its cause and autopsy findings when the source gives them."""

    type: Literal["death"] = "death"
    time: TimePoint
    cause: str | None = Field(default=None, description="as the source words it")
    autopsy: str | None = Field(
        default=None,
        description="autopsy findings, verbatim (tissue tested at autopsy is a "
        "specimen with procedure 'autopsy' and its tests)",
    )


Event = Annotated[
    Diagnosis
    | TherapyLine
    | Surgery
    | Radiotherapy
    | ResponseAssessment
    | ClinicalEvent
    | Specimen
    | MolecularTest
    | AdverseEvent
    | Death,
    Field(discriminator="type"),
]

AnyEvent = (
    Diagnosis
    | TherapyLine
    | Surgery
    | Radiotherapy
    | ResponseAssessment
    | ClinicalEvent
    | Specimen
    | MolecularTest
    | AdverseEvent
    | Death
)


def event_time(event: AnyEvent) -> TimePoint | None:
    """The time an event happens (a therapy's start)."""
    if isinstance(event, TherapyLine):
        return event.start
    return event.time


class TimelineError(ValueError):
    """A time that cannot be resolved; ``key`` is the event id (or ``id.stop``) it belongs to."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


def time_points(events: Iterable[AnyEvent]) -> dict[str, TimePoint]:
    """The time each event is written with, by id (a test with no time has its specimen's),
    and ``<id>.stop`` of therapy lines and ``<id>.end`` of radiotherapy that have one."""
    evs = list(events)
    by_id = {e.id: e for e in evs}
    points: dict[str, TimePoint] = {}
    for e in evs:
        t = event_time(e)
        if t is None and isinstance(e, MolecularTest) and e.specimen in by_id:
            t = event_time(by_id[e.specimen])
        if t is not None:
            points[e.id] = t
        if isinstance(e, TherapyLine) and e.stop is not None:
            points[f"{e.id}.stop"] = e.stop
        if isinstance(e, Radiotherapy) and e.end is not None:
            points[f"{e.id}.end"] = e.end
    return points


def resolve_months(events: Iterable[AnyEvent]) -> Mapping[str, float]:
    """Months from diagnosis for every event (a therapy line: its start; a test with no time:
    its specimen's). Also ``<id>.stop`` for therapy lines with a stop and ``<id>.end`` for
    radiotherapy with an end. Raises :class:`TimelineError` for unknown anchors or cycles."""
    evs = list(events)
    diagnosis = next((e for e in evs if isinstance(e, Diagnosis)), None)
    points = time_points(evs)
    out: dict[str, float] = {}
    visiting: set[str] = set()
    current: list[str] = []

    def months(key: str) -> float:
        if key in out:
            return out[key]
        if key == "diagnosis":
            if diagnosis is None:
                raise TimelineError("the timeline has no diagnosis event to anchor times")
            return months(diagnosis.id)
        if diagnosis is not None and key == diagnosis.id and key not in points:
            out[key] = 0.0
            return 0.0
        if key not in points:
            raise TimelineError(
                f"unknown anchor {key!r}: not 'diagnosis' nor an event id", current[-1]
            )
        if key in visiting:
            raise TimelineError(f"times refer to each other in a cycle through {key!r}", key)
        visiting.add(key)
        current.append(key)
        tp = points[key]
        if tp.date is not None:
            if diagnosis is None or diagnosis.id == key:
                value = 0.0
            else:
                anchor = points.get(diagnosis.id)
                if anchor is None or anchor.date is None:
                    raise TimelineError(
                        "the diagnosis needs a date when other events have dates", key
                    )
                delta = tp.date.midpoint() - anchor.date.midpoint()
                value = delta.days / DAYS_PER_MONTH
        else:
            assert tp.after is not None and tp.days is not None
            value = months(tp.after) + tp.days / DAYS_PER_MONTH
        visiting.discard(key)
        current.pop()
        out[key] = value
        return value

    for key in points:
        months(key)
    return out
