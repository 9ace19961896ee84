"""The clinical case: patient, diagnosis and timeline, checked for contradictions.

Two stages of checking, kept apart:

* types and shapes: pydantic, on construction (unknown fields rejected, values in range);
* consistency across events (:func:`consistency_problems`): unique ids, anchors that exist, a
  therapy that stops before it starts, a response assessment for a line not yet begun, a test
  on an unknown specimen, a finding for a gene the assay does not cover. Each problem carries a
  field path (``events[4].stop``) that the case-file reader turns into a line number.

Checks against reference data (HGNC symbols, the drug dictionary) are extrinsic and live in
:mod:`tkiresist.validation`.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import Field, ValidationInfo, model_validator

from tkiresist.errors import Location, Problem
from tkiresist.model.assays import Assay, catalogue
from tkiresist.model.base import Value, derived
from tkiresist.model.categories import CATALOGUE
from tkiresist.model.citation import Citation
from tkiresist.model.time import TimePoint
from tkiresist.model.timeline import (
    AdverseEvent,
    AnyEvent,
    Diagnosis,
    Event,
    MolecularTest,
    ResponseAssessment,
    Specimen,
    TherapyLine,
    TimelineError,
    resolve_months,
    time_points,
)

T = TypeVar("T")

SCHEMA_VERSION = "1.0"
DEFER_CONSISTENCY = "defer_consistency"


class Patient(Value):
    age_at_diagnosis: int | None = Field(default=None, ge=0, le=120)
    sex: Literal["female", "male", "other", "unknown"] = "unknown"
    smoking: Literal["never", "former", "current", "unknown"] = "unknown"
    pack_years: float | None = Field(default=None, ge=0)
    ecog: int | None = Field(default=None, ge=0, le=4)
    ethnicity: str | None = None


class ConflictValue(Value):
    value: Any
    source: str = Field(description="where the source says it, e.g. 'text, Case Presentation'")


class SourceConflict(Value):
    """Two parts of a source disagree on one field. Recorded, never silently resolved."""

    field: str = Field(description="dotted path of the field, e.g. patient.age_at_diagnosis")
    values: tuple[ConflictValue, ...] = Field(min_length=2)
    resolution: str = Field(
        default="unresolved", description="what the case file holds and why, or 'unresolved'"
    )


class EvidenceSpan(Value):
    """Where one value of a drafted case came from: the verbatim text and its character
    offsets (0-based, end exclusive) in the source text (see docs/curation-assistant.md)."""

    field: str = Field(description="dotted path of the value, e.g. patient.age_at_diagnosis")
    text: str = Field(min_length=1, description="the source's words, verbatim")
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class DraftProvenance(Value):
    """The evidence of a case drafted from a text by ``tkiresist draft-case``: every value's
    span, and what the text did not give (to check by a curator)."""

    document: str | None = Field(default=None, description="the source text's file name")
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    spans: tuple[EvidenceSpan, ...] = ()
    to_check: tuple[str, ...] = ()


class Case(Value):
    schema_version: Literal["1.0"] = "1.0"
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)
    pseudonym: str = Field(description="never a real name")
    source: Citation | None = Field(default=None, description="the publication, for cases from one")
    patient: Patient = Patient()
    assays: tuple[Assay, ...] = Field(default=(), description="assays described inline")
    events: tuple[Event, ...] = Field(min_length=1)
    conflicts: tuple[SourceConflict, ...] = ()
    notes: str | None = None
    provenance: DraftProvenance | None = Field(
        default=None, description="a drafted case's evidence spans and what is left to check"
    )

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Case:
        if info.context and info.context.get(DEFER_CONSISTENCY):
            return self
        problems = consistency_problems(self)
        if problems:
            raise ValueError("; ".join(str(p) for p in problems))
        return self

    # -- convenience -------------------------------------------------------------------
    def event(self, event_id: str) -> AnyEvent:
        for e in self.events:
            if e.id == event_id:
                return e
        raise KeyError(event_id)

    @property
    def diagnosis(self) -> Diagnosis:
        return next(e for e in self.events if isinstance(e, Diagnosis))

    def assay(self, assay_id: str) -> Assay | None:
        for a in self.assays:
            if a.id == assay_id:
                return a
        return catalogue().get(assay_id)

    def months(self) -> dict[str, float]:
        """Months from diagnosis for every event (see timeline.resolve_months). The events are
        an immutable tuple: their months are resolved once per tuple (the engine asks several
        times per case) and copied for each caller."""
        return dict(derived(self.events, "months", lambda: resolve_months(self.events)))

    def time_points(self) -> dict[str, TimePoint]:
        """The time each event is written with (see timeline.time_points), resolved once per
        events tuple and copied for each caller."""
        return dict(derived(self.events, "time_points", lambda: time_points(self.events)))


def _loc(path: str) -> Location:
    return Location(field=path)


def _time_path(case: Case, key: str | None) -> str:
    """The field path of the time that ``key`` (``id``, ``id.stop`` or ``id.end``) names."""
    if key is None:
        return "events"
    event_id, _, part = key.partition(".")
    for i, e in enumerate(case.events):
        if e.id == event_id:
            field = part or ("start" if isinstance(e, TherapyLine) else "time")
            return f"events[{i}].{field}"
    return "events"


def consistency_problems(case: Case) -> list[Problem]:
    """Every cross-event contradiction in ``case``, each with its field path."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, e in enumerate(case.events):
        if e.id in seen:
            problems.append(
                Problem(
                    f"duplicate event id {e.id!r} (first used by events[{seen[e.id]}])",
                    _loc(f"events[{i}].id"),
                )
            )
        else:
            seen[e.id] = i
    diagnoses = [i for i, e in enumerate(case.events) if isinstance(e, Diagnosis)]
    if len(diagnoses) != 1:
        problems.append(
            Problem(
                f"a case needs exactly one diagnosis event, found {len(diagnoses)}",
                _loc("events"),
            )
        )
        return problems
    try:
        months = resolve_months(case.events)
    except TimelineError as exc:
        problems.append(Problem(str(exc), _loc(_time_path(case, exc.key))))
        return problems
    by_id = {e.id: e for e in case.events}
    for conflict in case.conflicts:
        head = conflict.field.split(".")[0]
        if head not in Case.model_fields:
            problems.append(
                Problem(f"conflict names unknown field {conflict.field!r}", _loc("conflicts"))
            )
    for i, e in enumerate(case.events):
        here = f"events[{i}]"
        if isinstance(e, Diagnosis) and e.driver is not None and e.driver not in CATALOGUE:
            problems.append(
                Problem(
                    f"unknown driver category {e.driver!r} (see model/categories.py)",
                    _loc(f"{here}.driver"),
                )
            )
        if isinstance(e, TherapyLine) and e.stop is not None:  # noqa: SIM102
            if months[f"{e.id}.stop"] < months[e.id] - 1e-9:
                problems.append(
                    Problem(
                        f"therapy {e.id!r} stops ({e.stop.describe()}) before it starts "
                        f"({e.start.describe()})",
                        _loc(f"{here}.stop"),
                    )
                )
        if isinstance(e, ResponseAssessment) and e.therapy is not None:
            line = by_id.get(e.therapy)
            if not isinstance(line, TherapyLine):
                problems.append(
                    Problem(
                        f"therapy {e.therapy!r} is not a therapy event", _loc(f"{here}.therapy")
                    )
                )
            elif months[e.id] < months[line.id] - 1e-9:
                problems.append(
                    Problem(
                        f"response assessment {e.id!r} ({e.time.describe()}) is before therapy "
                        f"{line.id!r} began ({line.start.describe()})",
                        _loc(f"{here}.time"),
                    )
                )
        if isinstance(e, AdverseEvent) and e.therapy is not None:  # noqa: SIM102
            if not isinstance(by_id.get(e.therapy), TherapyLine):
                problems.append(
                    Problem(
                        f"therapy {e.therapy!r} is not a therapy event", _loc(f"{here}.therapy")
                    )
                )
        if isinstance(e, MolecularTest):
            problems.extend(_test_problems(case, e, here, by_id))
    return problems


def _test_problems(
    case: Case, test: MolecularTest, here: str, by_id: dict[str, AnyEvent]
) -> list[Problem]:
    out: list[Problem] = []
    if not isinstance(by_id.get(test.specimen), Specimen):
        out.append(
            Problem(f"specimen {test.specimen!r} is not a specimen event", _loc(f"{here}.specimen"))
        )
    assay = case.assay(test.assay)
    if assay is None:
        known = ", ".join(sorted(catalogue()))
        out.append(
            Problem(
                f"unknown assay {test.assay!r}: describe it under 'assays' or use one of {known}",
                _loc(f"{here}.assay"),
            )
        )
        return out
    for j, f in enumerate(test.findings):
        if f.method is None and not assay.covers(f.alteration):
            out.append(
                Problem(
                    f"finding {f.alteration.name!r} is for a gene or kind that assay "
                    f"{assay.id!r} does not cover (set 'method' if another test found it)",
                    _loc(f"{here}.findings[{j}].alteration"),
                )
            )
    return out
