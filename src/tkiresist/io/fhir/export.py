"""Case (and interpretation) -> FHIR R4 Bundle (type ``collection``).

The mapping, element by element, is in ``docs/fhir.md``. In short: a CancerPatient, a
PrimaryCancerCondition with one SecondaryCancerCondition per metastatic site, one
CancerRelatedMedicationRequest per drug of a therapy line, surgical procedures and
RadiotherapyCourseSummary procedures, HumanSpecimens, a GenomicReport per molecular test with
its Variant observations (TumorMarkerTest observations for IHC), CancerDiseaseStatus
observations for the response assessments and, when an interpretation is given,
TherapeuticImplication observations.

Dates (HIPAA Safe Harbor). Unless ``include_identifiers=True``, no exact date other than a
year leaves the case: every time is written on a *shifted* timeline. Its origin (the diagnosis)
is 1 January of the diagnosis year (2000 when the case has no calendar dates) plus
``shift_days``; every other time is that origin plus its offset from diagnosis. Each time also
carries the standard ``cqf-relativeDateTime`` extension naming the event it is relative to and
the offset, so a reader gets the case's own relative times back. With
``include_identifiers=True`` and a dated diagnosis, the real (partial) dates are written.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tkiresist.errors import FormatError, Location
from tkiresist.io.fhir import _vocab as v
from tkiresist.model.alterations import CopyNumber, Expression, Fusion, Histology, SequenceVariant
from tkiresist.model.assays import Assay
from tkiresist.model.case import Case
from tkiresist.model.findings import Finding
from tkiresist.model.interpretation import Interpretation
from tkiresist.model.time import DAYS_PER_MONTH, TimePoint
from tkiresist.model.timeline import (
    AdverseEvent,
    ClinicalEvent,
    Death,
    Diagnosis,
    MolecularTest,
    Radiotherapy,
    ResponseAssessment,
    Specimen,
    Surgery,
    TherapyLine,
)

NO_DATES_BASE_YEAR = 2000
"""Origin year of the shifted timeline for a case with no calendar dates at all."""

_NAMESPACE = uuid.UUID("6c1f3d4e-8b7a-5c2d-9e0f-1a2b3c4d5e6f")
Json = dict[str, Any]


@dataclass
class _Ctx:
    case: Case
    months: dict[str, float]
    origin: dt.date
    real: bool
    urls: dict[str, str] = field(default_factory=dict)  # event id -> fullUrl
    paths: dict[str, str] = field(default_factory=dict)  # event id -> time element path
    finding_urls: dict[tuple[str, int], str] = field(default_factory=dict)
    patient: str = ""
    primary: str = ""
    entries: list[Json] = field(default_factory=list)

    def url(self, *key: object) -> str:
        name = "/".join(str(k) for k in (self.case.id, *key))
        return f"urn:uuid:{uuid.uuid5(_NAMESPACE, name)}"

    def add(self, url: str, resource: Json) -> None:
        resource["id"] = url.removeprefix("urn:uuid:")
        self.entries.append({"fullUrl": url, "resource": resource})

    def ref(self, url: str) -> Json:
        return {"reference": url}


def case_to_bundle(
    case: Case,
    interpretation: Interpretation | None = None,
    *,
    shift_days: int | None = None,
    include_identifiers: bool = False,
) -> dict[str, Any]:
    """The case as a FHIR R4 ``collection`` Bundle (a JSON-ready dict).

    ``shift_days`` moves the shifted timeline's origin (see the module docstring); ``None``
    picks a random shift in [0, 365) per call, so that two exports of one patient cannot be
    lined up with a real calendar. Pass a number for reproducible output.
    """
    if shift_days is not None and not -36500 <= shift_days <= 36500:
        raise FormatError(
            f"shift_days {shift_days} is out of range: expected -36500..36500",
            Location(field="shift_days"),
        )
    months = dict(case.months())
    dx = case.diagnosis
    dx_date = dx.time.date if dx.time is not None else None
    real = include_identifiers and dx_date is not None
    if real:
        assert dx_date is not None
        origin = dx_date.midpoint()
    else:
        shift = secrets.randbelow(365) if shift_days is None else shift_days
        year = dx_date.year if dx_date is not None else NO_DATES_BASE_YEAR
        origin = dt.date(year, 1, 1) + dt.timedelta(days=shift)
    ctx = _Ctx(case=case, months=months, origin=origin, real=real)
    _plan(ctx)
    _patient(ctx)
    for event in case.events:
        _EXPORTERS[type(event)](ctx, event)
    if interpretation is not None:
        _implications(ctx, interpretation)
    tags = [
        v.coding(
            v.SYS_TAG,
            v.TAG_REAL if real else v.TAG_SHIFTED,
            "Dates are the case's own"
            if real
            else "Dates are on a shifted timeline: offsets from a per-patient shifted origin",
        ),
        v.coding(v.SYS_TAG, v.TAG_RESEARCH, "For research use only, not for clinical decisions"),
    ]
    return {
        "resourceType": "Bundle",
        "id": ctx.url("bundle").removeprefix("urn:uuid:"),
        "meta": {"profile": [v.P_BUNDLE], "tag": tags},
        "type": "collection",
        "entry": ctx.entries,
    }


# -- planning: every event's resource URL and time path, before any reference is written ----
_TIME_PATH: dict[type, str] = {
    Diagnosis: "onset",
    TherapyLine: "dosageInstruction.timing.repeat.boundsPeriod",
    Surgery: "performed",
    Radiotherapy: "performed",
    ResponseAssessment: "effective",
    ClinicalEvent: "onset",
    Specimen: "collection.collected",
    MolecularTest: "effective",
    AdverseEvent: "date",
    Death: "onset",
}


def _plan(ctx: _Ctx) -> None:
    ctx.patient = ctx.url("patient")
    for e in ctx.case.events:
        key: tuple[object, ...] = ("event", e.id)
        if isinstance(e, TherapyLine):
            key = ("event", e.id, 0)
        ctx.urls[e.id] = ctx.url(*key)
        ctx.paths[e.id] = _TIME_PATH[type(e)]
    ctx.primary = ctx.urls[ctx.case.diagnosis.id]
    ctx.urls.setdefault("diagnosis", ctx.primary)
    ctx.paths.setdefault("diagnosis", "onset")


# -- time ---------------------------------------------------------------------------------
def _days(ctx: _Ctx, key: str) -> float:
    return ctx.months[key] * DAYS_PER_MONTH


def _timestr(ctx: _Ctx, key: str, tp: TimePoint | None) -> str:
    if ctx.real and tp is not None and tp.date is not None:
        return tp.date.iso()
    return (ctx.origin + dt.timedelta(days=round(_days(ctx, key)))).isoformat()


def _relative(ctx: _Ctx, anchor: str, days: float) -> Json:
    event_id, _, part = anchor.partition(".")
    target = ctx.urls.get(event_id)
    if target is None:  # pragma: no cover - the case's consistency check forbids it
        raise FormatError(f"unknown anchor {anchor!r}", Location(field="events"))
    relation = "after-end" if part in ("stop", "end") else "after-start"
    if days < 0:
        relation = relation.replace("after", "before")
    return {
        "url": v.X_RELATIVE,
        "extension": [
            {"url": "target", "valueReference": ctx.ref(target)},
            {"url": "targetPath", "valueString": ctx.paths.get(event_id, "effective")},
            {"url": "relationship", "valueCode": relation},
            {
                "url": "offset",
                "valueDuration": {
                    "value": abs(days),
                    "unit": "d",
                    "system": v.UCUM,
                    "code": "d",
                },
            },
        ],
    }


def _when(
    ctx: _Ctx, key: str, tp: TimePoint | None, *, origin: bool = False
) -> tuple[str, Json | None]:
    """A time's value and the primitive's extension element (``_<name>``), if any."""
    value = _timestr(ctx, key, tp)
    exts: list[Json] = []
    if tp is not None and tp.after is not None and tp.days is not None:
        exts.append(_relative(ctx, tp.after, tp.days))
    elif not ctx.real and not origin:
        exts.append(_relative(ctx, ctx.case.diagnosis.id, _days(ctx, key)))
    if tp is not None and tp.approximate:
        exts.append({"url": v.X_APPROXIMATE, "valueBoolean": True})
    return value, ({"extension": exts} if exts else None)


def _put_time(
    target: Json, name: str, ctx: _Ctx, key: str, tp: TimePoint | None, **kw: bool
) -> None:
    value, ext = _when(ctx, key, tp, **kw)
    target[name] = value
    if ext is not None:
        target["_" + name] = ext


# -- small builders -----------------------------------------------------------------------
def _ident(event_id: str) -> list[Json]:
    return [{"system": v.SYS_EVENT, "value": event_id}]


def _meta(*profiles: str) -> Json:
    return {"profile": list(profiles)}


def _text_ext(url: str, text: str | None) -> list[Json]:
    return [] if text is None else [{"url": url, "valueString": text}]


def _site_ext(kind: str | None) -> list[Json]:
    return [] if kind is None else [{"url": v.X_SITE_KIND, "valueCode": kind}]


def _note(text: str | None) -> list[Json]:
    return [] if text is None else [{"text": text}]


def _own(code: str, display: str | None = None) -> Json:
    return v.concept(v.SYS_CODES, code, display)


def _lab_categories() -> list[Json]:
    return [
        v.concept(v.OBS_CATEGORY, "laboratory", "Laboratory"),
        v.concept(v.DIAG_SERVICE, "GE", "Genetics"),
    ]


def _compact(resource: Json) -> Json:
    """Drop empty lists and dicts (FHIR forbids empty elements)."""
    return {k: val for k, val in resource.items() if val not in ([], {}, None)}


# -- patient ------------------------------------------------------------------------------
def _patient(ctx: _Ctx) -> None:
    case = ctx.case
    p = case.patient
    ext: list[Json] = []
    if case.source is not None:
        src = case.source
        parts: list[Json] = [
            {"url": name, "valueString": str(val)}
            for name, val in (
                ("doi", src.doi),
                ("pmid", src.pmid),
                ("first_author", src.first_author),
                ("title", src.title),
                ("journal", src.journal),
            )
            if val is not None
        ]
        if src.year is not None:
            parts.append({"url": "year", "valueInteger": src.year})
        ext.append({"url": v.X_SOURCE, "extension": parts})
    ext += _text_ext(v.X_CASE_NOTES, case.notes)
    # Assays described inline in the case (not in the catalogue) travel with the patient,
    # in order, as tkiresist's JSON: no FHIR element describes an assay's coverage.
    ext += [
        {"url": v.X_ASSAY, "valueString": a.model_dump_json(exclude_defaults=True)}
        for a in case.assays
    ]
    ext += _text_ext(v.X_ETHNICITY, p.ethnicity)
    resource: Json = {
        "resourceType": "Patient",
        "meta": _meta(v.P_PATIENT),
        "extension": ext,
        "identifier": [
            {"use": "usual", "system": v.SYS_PSEUDONYM, "value": case.pseudonym},
            {"use": "secondary", "system": v.SYS_CASE, "value": case.id},
        ],
        # US Core needs a name; a pseudonymised patient has none, and says so.
        "name": [{"extension": [{"url": v.X_DATA_ABSENT, "valueCode": "masked"}]}],
        "gender": p.sex,
    }
    dx = case.diagnosis
    age = p.age_at_diagnosis
    # Safe Harbor: ages over 89 are aggregated, and so is any year that reveals them.
    if dx.time is not None and dx.time.date is not None and age is not None and age <= 89:
        resource["birthDate"] = str(dx.time.date.year - age)
    ctx.add(ctx.patient, _compact(resource))
    when, when_ext = _when(ctx, dx.id, dx.time, origin=True)
    if p.ecog is not None:
        obs: Json = {
            "resourceType": "Observation",
            "meta": _meta(v.P_ECOG),
            "status": "final",
            "category": [v.concept(v.OBS_CATEGORY, "survey", "Survey")],
            "code": v.loinc(v.L_ECOG, "ECOG Performance Status score"),
            "subject": ctx.ref(ctx.patient),
            "effectiveDateTime": when,
            "valueInteger": p.ecog,
        }
        ctx.add(ctx.url("ecog"), obs)
    if p.smoking != "unknown":
        obs = {
            "resourceType": "Observation",
            "meta": _meta(v.P_SMOKING),
            "status": "final",
            "category": [v.concept(v.OBS_CATEGORY, "social-history", "Social History")],
            "code": v.loinc(v.L_SMOKING, "Tobacco smoking status"),
            "subject": ctx.ref(ctx.patient),
            "effectiveDateTime": when,
            "valueCodeableConcept": {
                "coding": [v.coding(v.SYS_CODES, f"smoking-{p.smoking}")],
                "text": f"{p.smoking} smoker",
            },
        }
        ctx.add(ctx.url("smoking"), obs)
    if p.pack_years is not None:
        obs = {
            "resourceType": "Observation",
            "meta": _meta(v.P_SIMPLE_OBS),
            "status": "final",
            "category": [v.concept(v.OBS_CATEGORY, "social-history", "Social History")],
            "code": v.concept(v.SNOMED, v.S_PACK_YEARS, "Cigarette pack-years"),
            "subject": ctx.ref(ctx.patient),
            "effectiveDateTime": when,
            "valueQuantity": {
                "value": p.pack_years,
                "unit": "Pack-Years",
                "system": v.UCUM,
                "code": "1",
            },
        }
        ctx.add(ctx.url("pack-years"), obs)
    del when_ext


# -- events -------------------------------------------------------------------------------
def _condition_base(ctx: _Ctx, event_id: str, profile: str) -> Json:
    return {
        "resourceType": "Condition",
        "meta": _meta(profile),
        "identifier": _ident(event_id),
        "clinicalStatus": v.concept(v.COND_CLINICAL, "active", "Active"),
        "verificationStatus": v.concept(v.COND_VERIFICATION, "confirmed", "Confirmed"),
        "category": [v.concept(v.COND_CATEGORY, "problem-list-item", "Problem List Item")],
        "subject": ctx.ref(ctx.patient),
    }


def _diagnosis(ctx: _Ctx, e: Diagnosis) -> None:
    res = _condition_base(ctx, e.id, v.P_PRIMARY)
    histology: Json = {"text": e.histology}
    if e.histology.strip().lower() == "adenocarcinoma":
        histology["coding"] = [
            v.coding(v.SNOMED, v.S_ADENOCARCINOMA, "Adenocarcinoma (morphologic abnormality)")
        ]
    ext: list[Json] = [{"url": v.X_HISTOLOGY, "valueCodeableConcept": histology}]
    age = ctx.case.patient.age_at_diagnosis
    if age is not None:
        quantity: Json = {"value": age, "unit": "a", "system": v.UCUM, "code": "a"}
        if age > 89 and not ctx.real:
            quantity = {**quantity, "value": 90, "comparator": ">="}
        ext.append({"url": v.X_AGE, "valueAge": quantity})
    if e.cns_involvement is not None:
        ext.append({"url": v.X_CNS, "valueBoolean": e.cns_involvement})
    ext += _text_ext(v.X_PRESENTATION, e.presentation)
    if e.driver is not None:
        ext.append({"url": v.X_DRIVER, "valueCode": e.driver})
    ext.append({"url": v.X_DIAGNOSIS_TIME, "valueBoolean": e.time is not None})
    codings = [v.coding(v.ONCOTREE, e.oncotree_code)]
    if e.oncotree_code in v.NSCLC_ONCOTREE:
        codings.insert(0, v.coding(v.SNOMED, v.S_NSCLC, "Non-small cell lung cancer (disorder)"))
    res["extension"] = ext
    res["code"] = {"coding": codings, "text": f"{e.histology} ({e.oncotree_code})"}
    if e.stage is not None:
        res["stage"] = [{"summary": {"text": e.stage}}]
    _put_time(res, "onsetDateTime", ctx, e.id, e.time, origin=True)
    res["note"] = _note(e.note)
    ctx.add(ctx.primary, _compact(res))
    for i, site in enumerate(e.metastatic_sites):
        sec = _condition_base(ctx, f"{e.id}.metastasis.{i}", v.P_SECONDARY)
        sec["extension"] = [{"url": v.X_CONDITION_RELATED, "valueReference": ctx.ref(ctx.primary)}]
        code: Json = {"text": f"Secondary malignant neoplasm of {site}"}
        if site.strip().lower() == "brain":
            code["coding"] = [
                v.coding(v.SNOMED, v.S_BRAIN_METASTASIS, "Secondary malignant neoplasm of brain")
            ]
        sec["code"] = code
        sec["bodySite"] = [{"text": site}]
        onset, onset_ext = _when(ctx, e.id, e.time, origin=True)
        sec["onsetDateTime"] = onset
        ctx.add(ctx.url("event", e.id, "metastasis", i), sec)
        del onset_ext


def _therapy(ctx: _Ctx, e: TherapyLine) -> None:
    period: Json = {}
    _put_time(period, "start", ctx, e.id, e.start)
    if e.stop is not None:
        _put_time(period, "end", ctx, f"{e.id}.stop", e.stop)
    status = "active"
    reason: Json | None = None
    if e.stop_reason is not None:
        if e.stop_reason == "ongoing":
            reason = {"text": "ongoing"}
        elif e.stop_reason in v.TERMINATION:
            code, display = v.TERMINATION[e.stop_reason]
            status = "stopped"
            reason = v.concept(v.SNOMED, code, display, e.stop_reason)
        else:
            status = "completed" if e.stop_reason == "completed" else "stopped"
            reason = {"text": e.stop_reason}
    elif e.stop is not None:
        status = "completed"
    ext: list[Json] = []
    if e.line is not None:
        ext.append({"url": v.X_LINE, "valueInteger": e.line})
    if e.intent is not None:
        ext.append({"url": v.X_INTENT, "valueCodeableConcept": {"text": e.intent}})
    for j, agent in enumerate(e.agents):
        dosage: Json = {"timing": {"repeat": {"boundsPeriod": period}}}
        if agent.dose is not None:
            dosage["text"] = agent.dose
            m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(mg|g|mcg|µg|mg/m2|mg/kg)", agent.dose)
            if m:
                unit = "ug" if m[2] in ("mcg", "µg") else m[2]
                dosage["doseAndRate"] = [
                    {
                        "doseQuantity": {
                            "value": float(m[1]) if "." in m[1] else int(m[1]),
                            "unit": m[2],
                            "system": v.UCUM,
                            "code": unit,
                        }
                    }
                ]
        if agent.schedule is not None:
            dosage["timing"]["code"] = {"text": agent.schedule}
        authored, authored_ext = _when(ctx, e.id, e.start)
        res: Json = {
            "resourceType": "MedicationRequest",
            "meta": _meta(v.P_MED_REQUEST),
            "extension": ext,
            "identifier": [{"system": v.SYS_EVENT, "value": f"{e.id}#{j}"}],
            "groupIdentifier": {"system": v.SYS_EVENT, "value": e.id},
            "status": status,
            "statusReason": reason,
            "intent": "order",
            "medicationCodeableConcept": {"text": agent.drug},
            "subject": ctx.ref(ctx.patient),
            "authoredOn": authored,
            "_authoredOn": authored_ext,
            # US Core wants a requester; a published case names none.
            "requester": {"extension": [{"url": v.X_DATA_ABSENT, "valueCode": "unknown"}]},
            "reasonReference": [ctx.ref(ctx.primary)],
            "note": _note(e.note) if j == 0 else [],
            "dosageInstruction": [dosage],
        }
        url = ctx.urls[e.id] if j == 0 else ctx.url("event", e.id, j)
        ctx.add(url, _compact(res))


def _surgery(ctx: _Ctx, e: Surgery) -> None:
    res: Json = {
        "resourceType": "Procedure",
        "meta": _meta(v.P_SURGERY),
        "extension": _site_ext(e.site_kind),
        "identifier": _ident(e.id),
        "status": "completed",
        "code": {"text": e.procedure},
        "subject": ctx.ref(ctx.patient),
        "reasonReference": [ctx.ref(ctx.primary)],
        "bodySite": [{"text": e.site}] if e.site is not None else [],
        "note": _note(e.note),
    }
    _put_time(res, "performedDateTime", ctx, e.id, e.time)
    ctx.add(ctx.urls[e.id], _compact(res))


def _radiotherapy(ctx: _Ctx, e: Radiotherapy) -> None:
    volume_url = ctx.url("event", e.id, "volume")
    volume: Json = {
        "resourceType": "BodyStructure",
        "meta": _meta(v.P_RT_VOLUME),
        "identifier": [{"use": "usual", "system": v.SYS_EVENT, "value": f"{e.id}.volume"}],
        "description": e.site,
        "patient": ctx.ref(ctx.patient),
    }
    period: Json = {}
    _put_time(period, "start", ctx, e.id, e.time)
    if e.end is not None:
        _put_time(period, "end", ctx, f"{e.id}.end", e.end)
    parts: list[Json] = [{"url": "volume", "valueReference": ctx.ref(volume_url)}]
    if e.dose_gy is not None:  # a source may give neither dose nor fractions
        parts.append(
            {
                "url": "totalDoseDelivered",
                "valueQuantity": {
                    "value": round(e.dose_gy * 100, 6),
                    "unit": "cGy",
                    "system": v.UCUM,
                    "code": "cGy",
                },
            }
        )
    if e.fractions is not None:
        parts.append({"url": "fractionsDelivered", "valueUnsignedInt": e.fractions})
    ext: list[Json] = [{"url": v.X_RT_DOSE, "extension": parts}]
    ext += _text_ext(v.X_TECHNIQUE, e.technique)
    ext += _site_ext(e.site_kind)
    res: Json = {
        "resourceType": "Procedure",
        "meta": _meta(v.P_RADIOTHERAPY),
        "extension": ext,
        "identifier": _ident(e.id),
        "status": "completed",
        "code": v.concept(
            v.SNOMED, v.S_RT_COURSE, "Radiotherapy course of treatment (regime/therapy)"
        ),
        "subject": ctx.ref(ctx.patient),
        "performedPeriod": period,
        "reasonReference": [ctx.ref(ctx.primary)],
        "bodySite": [{"text": e.site}],
        "note": _note(e.note),
    }
    ctx.add(ctx.urls[e.id], _compact(res))
    ctx.add(volume_url, volume)


def _response(ctx: _Ctx, e: ResponseAssessment) -> None:
    trend = v.RESPONSE_TREND[e.category]
    code, display = v.STATUS_TREND[trend]
    ext: list[Json] = []
    modality = (e.modality or "").lower()
    if any(word in modality for word in ("mri", "ct", "pet", "imaging", "x-ray")):
        ext.append(
            {
                "url": v.X_EVIDENCE_TYPE,
                "valueCodeableConcept": v.concept(v.SNOMED, v.S_IMAGING, "Imaging (procedure)"),
            }
        )
    ext.append({"url": v.X_CRITERIA, "valueString": e.criteria})
    ext += _site_ext(e.site)
    if e.therapy is not None:
        ext.append({"url": v.X_THERAPY, "valueReference": ctx.ref(ctx.urls[e.therapy])})
    for lesion in e.lesions:
        parts: list[Json] = _text_ext("site", lesion.site)
        parts += [
            {
                "url": "size",
                "valueQuantity": {"value": mm, "unit": "mm", "system": v.UCUM, "code": "mm"},
            }
            for mm in lesion.size_mm
        ]
        ext.append({"url": v.X_LESION, "extension": parts})
    res: Json = {
        "resourceType": "Observation",
        "meta": _meta(v.P_DISEASE_STATUS),
        "extension": ext,
        "identifier": _ident(e.id),
        "status": "final",
        "code": v.loinc(v.L_DISEASE_STATUS, "Cancer Disease Progression"),
        "subject": ctx.ref(ctx.patient),
        "focus": [ctx.ref(ctx.primary)],
        "valueCodeableConcept": v.concept(v.SNOMED, code, display, e.category),
        "method": {"text": e.modality} if e.modality is not None else None,
        "bodySite": {"text": e.site},
        "note": _note(e.note),
    }
    _put_time(res, "effectiveDateTime", ctx, e.id, e.time)
    ctx.add(ctx.urls[e.id], _compact(res))


def _clinical(ctx: _Ctx, e: ClinicalEvent) -> None:
    res = _condition_base(ctx, e.id, v.P_CONDITION)
    res["extension"] = _site_ext(e.site)
    res["code"] = {"text": e.description}
    res["note"] = _note(e.note)
    _put_time(res, "onsetDateTime", ctx, e.id, e.time)
    ctx.add(ctx.urls[e.id], _compact(res))


def _death(ctx: _Ctx, e: Death) -> None:
    """The death as a Condition whose text says so, with cause and autopsy findings; the
    importer reads it back as a clinical event (the case format's death has no FHIR profile
    of its own here: a documented loss)."""
    res = _condition_base(ctx, e.id, v.P_CONDITION)
    parts = ["death"]
    if e.cause:
        parts.append(f"cause: {e.cause}")
    if e.autopsy:
        parts.append(f"autopsy: {e.autopsy}")
    res["code"] = {"text": "; ".join(parts)}
    res["note"] = _note(e.note)
    _put_time(res, "onsetDateTime", ctx, e.id, e.time)
    ctx.add(ctx.urls[e.id], _compact(res))


def _specimen(ctx: _Ctx, e: Specimen) -> None:
    kind_codings = [v.coding(v.SYS_CODES, f"specimen-{e.kind}", e.kind)]
    if e.kind in v.SPECIMEN_KIND:
        code, display = v.SPECIMEN_KIND[e.kind]
        kind_codings.insert(0, v.coding(v.SPECIMEN_TYPE, code, display))
    collection: Json = {}
    _put_time(collection, "collectedDateTime", ctx, e.id, e.time)
    if e.site is not None:
        collection["bodySite"] = {"text": e.site}
    if e.procedure is not None:
        collection["method"] = {"text": e.procedure}
    res: Json = {
        "resourceType": "Specimen",
        "meta": _meta(v.P_SPECIMEN),
        "extension": _site_ext(e.site_kind),
        "identifier": _ident(e.id),
        "status": "available",
        "type": {"coding": kind_codings, "text": e.kind},
        "subject": ctx.ref(ctx.patient),
        "collection": collection,
        "note": _note(e.note),
    }
    ctx.add(ctx.urls[e.id], _compact(res))


def _assay_of(ctx: _Ctx, test: MolecularTest) -> Assay:
    assay = ctx.case.assay(test.assay)
    if assay is None:  # pragma: no cover - the case's consistency check forbids it
        raise FormatError(f"unknown assay {test.assay!r}", Location(field="assay"))
    return assay


def _test(ctx: _Ctx, e: MolecularTest) -> None:
    assay = _assay_of(ctx, e)
    genomic = assay.method in ("ngs", "pcr", "fish")
    key = e.id if e.time is not None else ctx.case.event(e.specimen).id
    when, when_ext = _when(ctx, key, e.time)
    if e.time is None:
        when_ext = {
            "extension": [
                _relative(ctx, e.specimen, 0.0),
                {"url": v.X_TIME_FROM_SPECIMEN, "valueBoolean": True},
            ]
        }
    results: list[Json] = []
    obs_entries: list[tuple[str, Json]] = []
    for j, finding in enumerate(e.findings):
        url = ctx.url("event", e.id, "finding", j)
        ctx.finding_urls[(e.id, j)] = url
        obs_entries.append((url, _finding(ctx, e, assay, j, finding, when)))
        results.append(ctx.ref(url))
    if e.histology is not None:
        url = ctx.url("event", e.id, "histology")
        obs_entries.append((url, _histology_obs(ctx, e, e.histology, "test-histology", when)))
        results.append(ctx.ref(url))
    ext: list[Json] = _text_ext(v.X_NOTE, e.note)
    codings = [v.coding(v.SYS_ASSAY, assay.id, assay.name)]
    if genomic:
        codings.insert(0, v.coding(v.LOINC, v.L_REPORT, "Genetic analysis report"))
        category = [v.concept(v.DIAG_SERVICE, "GE", "Genetics")]
        profiles: tuple[str, ...] = (v.P_GENOMIC_REPORT, v.P_MCODE_REPORT)
    else:
        category = [v.concept(v.DIAG_SERVICE, "LAB", "Laboratory")]
        profiles = (v.P_LAB_REPORT,)
    res: Json = {
        "resourceType": "DiagnosticReport",
        "meta": _meta(*profiles),
        "extension": ext,
        "identifier": _ident(e.id),
        "status": "final",
        "category": category,
        "code": {"coding": codings, "text": assay.name},
        "subject": ctx.ref(ctx.patient),
        "effectiveDateTime": when,
        "_effectiveDateTime": when_ext,
        "specimen": [ctx.ref(ctx.urls[e.specimen])],
        "result": results,
        "conclusion": e.report_text,
    }
    ctx.add(ctx.urls[e.id], _compact(res))
    for url, obs in obs_entries:
        obs["specimen"] = ctx.ref(ctx.urls[e.specimen])
        ctx.add(url, _compact(obs))


def _finding(ctx: _Ctx, test: MolecularTest, assay: Assay, j: int, f: Finding, when: str) -> Json:
    alt = f.alteration
    if isinstance(alt, Expression):
        obs = _marker_obs(ctx, alt, when)
    elif isinstance(alt, Histology):
        obs = _histology_obs(ctx, test, alt, "histology-finding", when)
    else:
        obs = _variant_obs(ctx, alt, f, assay, when)
    obs["identifier"] = [{"system": v.SYS_EVENT, "value": f"{test.id}#{j}"}]
    extra: list[Json] = obs.setdefault("component", [])
    if not isinstance(alt, SequenceVariant | Fusion | CopyNumber):
        extra.append({"code": _own("finding-status"), "valueString": f.status})
    if f.depth is not None:
        extra.append({"code": _own("total-read-depth"), "valueInteger": f.depth})
    if f.split_reads is not None:
        extra.append({"code": _own("split-reads"), "valueInteger": f.split_reads})
    if f.spanning_pairs is not None:
        extra.append({"code": _own("spanning-pairs"), "valueInteger": f.spanning_pairs})
    if f.note is not None:
        extra.append({"code": _own("note"), "valueString": f.note})
    if f.quality != "unknown":
        confidence = {"pass": "high", "low": "intermediate", "fail": "low"}[f.quality]
        extra.append(
            {
                "code": v.concept(v.GR_TBD, "variant-confidence-status"),
                "valueCodeableConcept": v.concept(v.VARIANT_CONFIDENCE, confidence),
            }
        )
    if f.method is not None:
        obs["method"] = {"text": f.method}
    return obs


def _gene(symbol: str) -> Json:
    from tkiresist.nomenclature.genes import lookup

    gene = lookup(symbol)
    return {
        "code": v.loinc(v.L_GENE, "Gene studied [ID]"),
        "valueCodeableConcept": v.concept(v.HGNC, gene.hgnc_id, gene.approved),
    }


def _variant_obs(
    ctx: _Ctx, alt: SequenceVariant | Fusion | CopyNumber, f: Finding, assay: Assay, when: str
) -> Json:
    from tkiresist.nomenclature.alterations import format_alteration

    value = {
        "detected": (v.LA_PRESENT, "Present"),
        "not_detected": (v.LA_ABSENT, "Absent"),
        "equivocal": (v.LA_INDETERMINATE, "Indeterminate"),
    }[f.status]
    comps: list[Json] = [_gene(g) for g in alt.genes]
    comps.append(
        {
            "code": v.loinc(v.L_VARIATION_CODE, "Variation code"),
            "valueCodeableConcept": {"text": format_alteration(alt)},
        }
    )
    change: tuple[str, str] | None = None
    if isinstance(alt, Fusion):
        change = v.SO_GENE_FUSION
        if alt.order_corrected:
            comps.append({"code": _own("fusion-order-corrected"), "valueBoolean": True})
    elif isinstance(alt, CopyNumber):
        change = v.SO_CNV
        if alt.copy_number is not None:
            comps.append(
                {
                    "code": v.loinc(v.L_COPY_NUMBER, "Genomic structural variant copy number"),
                    "valueQuantity": {"value": alt.copy_number, "system": v.UCUM, "code": "1"},
                }
            )
    else:
        change = _change_type(alt)
        ref = alt.reference or ""
        if alt.protein is not None:
            p = alt.protein.hgvs()
            p = f"{ref}:{p}" if ref.startswith(("NP_", "ENSP")) else p
            comps.append(
                {
                    "code": v.loinc(v.L_PHGVS, "Amino acid change (pHGVS)"),
                    "valueCodeableConcept": v.concept(v.HGVS, p, p),
                }
            )
        if alt.cdna is not None:
            c = f"{ref}:{alt.cdna}" if ref.startswith(("NM_", "ENST")) else alt.cdna
            comps.append(
                {
                    "code": v.loinc(v.L_CHGVS, "DNA change (c.HGVS)"),
                    "valueCodeableConcept": v.concept(v.HGVS, c, c),
                }
            )
        if ref.startswith(("NM_", "ENST")):
            comps.append(
                {
                    "code": v.loinc(v.L_TRANSCRIPT, "Transcript reference sequence [ID]"),
                    "valueCodeableConcept": v.concept(v.REFSEQ, ref, ref),
                }
            )
    if change is not None:
        comps.append(
            {
                "code": v.loinc(v.L_CHANGE_TYPE, "DNA change type"),
                "valueCodeableConcept": v.concept(v.SO, change[0], change[1]),
            }
        )
    comps.append(
        {
            "code": v.loinc(v.L_SOURCE_CLASS, "Genomic source class"),
            "valueCodeableConcept": v.concept(v.LOINC, v.LA_SOMATIC, "Somatic"),
        }
    )
    if f.vaf is not None:
        comps.append(
            {
                "code": v.loinc(v.L_VAF, "Sample variant allelic frequency"),
                "valueQuantity": {
                    "value": f.vaf,
                    "unit": "relative frequency of a particular allele in the specimen",
                    "system": v.UCUM,
                    "code": "1",
                },
            }
        )
    if f.alt_reads is not None:
        comps.append(
            {
                "code": v.loinc(v.L_READS, "Allelic read depth"),
                "valueQuantity": {
                    "value": f.alt_reads,
                    "unit": "reads",
                    "system": v.UCUM,
                    "code": "{reads}",
                },
            }
        )
    obs: Json = {
        "resourceType": "Observation",
        "meta": _meta(v.P_VARIANT, v.P_MCODE_VARIANT),
        "status": "final",
        "category": _lab_categories(),
        "code": v.loinc(v.L_VARIANT, "Genetic variant assessment"),
        "subject": ctx.ref(ctx.patient),
        "effectiveDateTime": when,
        "valueCodeableConcept": v.concept(v.LOINC, value[0], value[1]),
        "component": comps,
    }
    if assay.method == "ngs":
        obs["method"] = v.concept(v.LOINC, v.LA_SEQUENCING, "Sequencing")
    return obs


def _change_type(alt: SequenceVariant) -> tuple[str, str] | None:
    effect: str | None = alt.region_effect
    if alt.protein is not None:
        effect = {
            "deletion": "deletion",
            "insertion": "insertion",
            "delins": "delins",
            "duplication": "duplication",
        }.get(alt.protein.edit)
    return {
        "deletion": v.SO_DELETION,
        "insertion": v.SO_INSERTION,
        "delins": v.SO_DELINS,
        "duplication": v.SO_DUPLICATION,
    }.get(effect or "")


def _marker_obs(ctx: _Ctx, alt: Expression, when: str) -> Json:
    system, code, display = v.MARKER_RESULT[alt.result]
    comps: list[Json] = []
    from tkiresist.nomenclature.genes import is_known

    if is_known(alt.marker):
        comps.append(_gene(alt.marker))
    comps.append({"code": _own("marker"), "valueString": alt.marker})
    if alt.clone is not None:
        comps.append({"code": _own("antibody-clone"), "valueString": alt.clone})
    if alt.score is not None:
        comps.append({"code": _own("score"), "valueString": alt.score})
    clone = f" ({alt.clone})" if alt.clone else ""
    return {
        "resourceType": "Observation",
        "meta": _meta(v.P_TUMOR_MARKER),
        "status": "final",
        "category": [v.concept(v.OBS_CATEGORY, "laboratory", "Laboratory")],
        "code": {"text": f"{alt.marker}{clone} immunohistochemistry"},
        "subject": ctx.ref(ctx.patient),
        "effectiveDateTime": when,
        "valueCodeableConcept": v.concept(system, code, display, alt.result),
        "component": comps,
    }


def _histology_obs(ctx: _Ctx, test: MolecularTest, alt: Histology, role: str, when: str) -> Json:
    return {
        "resourceType": "Observation",
        "meta": _meta(v.P_LAB_OBS),
        "status": "final",
        "category": [v.concept(v.OBS_CATEGORY, "laboratory", "Laboratory")],
        "code": _own(role, "Histologic finding"),
        "subject": ctx.ref(ctx.patient),
        "effectiveDateTime": when,
        "valueCodeableConcept": v.concept(v.SYS_CODES, alt.histology, alt.name, alt.name),
        "identifier": [{"system": v.SYS_EVENT, "value": f"{test.id}#histology"}],
    }


def _adverse(ctx: _Ctx, e: AdverseEvent) -> None:
    ext: list[Json] = [{"url": v.X_GRADE, "valueInteger": e.grade}]
    ext += _text_ext(v.X_CTCAE_VERSION, e.ctcae_version)
    if e.therapy is not None:
        ext.append({"url": v.X_THERAPY, "valueReference": ctx.ref(ctx.urls[e.therapy])})
    res: Json = {
        "resourceType": "AdverseEvent",
        "extension": ext,
        "identifier": {"system": v.SYS_EVENT, "value": e.id},
        "actuality": "actual",
        "event": {"text": e.term},
        "subject": ctx.ref(ctx.patient),
    }
    if e.time is not None:
        _put_time(res, "date", ctx, e.id, e.time)
    if e.note is not None:
        ext.append({"url": v.X_NOTE, "valueString": e.note})
    ctx.add(ctx.urls[e.id], res)


_EXPORTERS: dict[type, Any] = {
    Diagnosis: _diagnosis,
    TherapyLine: _therapy,
    Surgery: _surgery,
    Radiotherapy: _radiotherapy,
    ResponseAssessment: _response,
    ClinicalEvent: _clinical,
    Specimen: _specimen,
    MolecularTest: _test,
    AdverseEvent: _adverse,
    Death: _death,
}


# -- interpretation -> TherapeuticImplication ----------------------------------------------
def _variant_urls(ctx: _Ctx, interp: Interpretation, names: Iterable[str]) -> list[str]:
    """The Variant observations behind the named alterations, at the decision point."""
    wanted = set(names)
    out: list[str] = []
    for status in interp.alterations:
        if status.name not in wanted:
            continue
        ordered = sorted(status.evidence, key=lambda ev: ev.phase != "current")
        for ev in ordered:
            if ev.result != "detected":
                continue
            test = ctx.case.event(ev.test)
            if not isinstance(test, MolecularTest):  # pragma: no cover - engine invariant
                continue
            for j, f in enumerate(test.findings):
                if f.alteration == status.alteration and (ev.test, j) in ctx.finding_urls:
                    out.append(ctx.finding_urls[(ev.test, j)])
                    break
            else:
                continue
            break
    return list(dict.fromkeys(out))


def _implications(ctx: _Ctx, interp: Interpretation) -> None:
    dp = interp.decision_point
    when = _timestr(ctx, dp.event_id, None)
    dx = ctx.case.diagnosis
    context: Json = {"text": dx.histology}
    if dx.oncotree_code in v.NSCLC_ONCOTREE:
        context = v.concept(
            v.SNOMED,
            v.S_NSCLC,
            "Non-small cell lung cancer (disorder)",
            "Non-small cell lung cancer",
        )
    kb = interp.knowledge_base
    current = [
        s.name
        for s in interp.alterations
        if s.status in ("acquired", "persistent", "baseline") and s.alteration.kind != "expression"
    ]

    def implication(
        key: str,
        answer: tuple[str, str],
        drugs: Iterable[str],
        derived: list[str],
        level: str | None,
        conclusion: str,
        citations: Iterable[tuple[str | None, str | None, str]],
        rank: int | None = None,
    ) -> None:
        if not derived:
            return
        comps: list[Json] = [
            {
                "code": v.concept(v.GR_TBD, "therapeutic-implication", "Therapeutic Implication"),
                "valueCodeableConcept": v.concept(v.LOINC, answer[0], answer[1]),
            },
            {
                "code": v.loinc(v.L_CONTEXT, "Phenotypic treatment context"),
                "valueCodeableConcept": context,
            },
        ]
        comps += [
            {
                "code": v.loinc(v.L_MEDICATION, "Medication assessed"),
                "valueCodeableConcept": {"text": drug},
            }
            for drug in drugs
        ]
        if level is not None:
            comps.append(
                {
                    "code": v.loinc(v.L_EVIDENCE, "Level of evidence"),
                    "valueCodeableConcept": v.concept(
                        v.SYS_LEVEL, level, f"tkiresist level {level}", f"Level {level}"
                    ),
                }
            )
        comps.append(
            {
                "code": v.concept(v.GR_TBD, "knowledge-base", "Knowledge Base"),
                "valueCodeableConcept": {
                    "text": f"tkiresist knowledge base {kb.version} ({kb.date})"
                },
            }
        )
        comps.append({"code": v.concept(v.GR_TBD, "conclusion-string"), "valueString": conclusion})
        ext: list[Json] = []
        for doi, pmid, label in citations:
            artifact: Json = {"type": "citation", "citation": label}
            if doi:
                artifact["url"] = f"https://doi.org/{doi}"
            elif pmid:
                artifact["url"] = f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
            ext.append({"url": v.X_RELATED_ARTIFACT, "valueRelatedArtifact": artifact})
        if rank is not None:
            ext.append({"url": v.X_RANK, "valueInteger": rank})
        res: Json = {
            "resourceType": "Observation",
            "meta": {
                "profile": [v.P_IMPLICATION],
                "tag": [v.coding(v.SYS_TAG, v.TAG_RESEARCH, "For research use only")],
            },
            "extension": ext,
            "status": "final",
            "category": _lab_categories(),
            "code": v.concept(v.GR_TBD, "therapeutic-implication", "Therapeutic Implication"),
            "subject": ctx.ref(ctx.patient),
            "effectiveDateTime": when,
            "derivedFrom": [ctx.ref(u) for u in derived],
            "component": comps,
        }
        ctx.add(ctx.url("implication", key), _compact(res))

    if dp.therapy is not None:
        for m in interp.mechanisms:
            implication(
                f"resistant/{m.id}",
                (v.LA_RESISTANT, "Resistant"),
                dp.therapy.drugs,
                _variant_urls(ctx, interp, m.alterations),
                m.evidence_level,
                m.explanation,
                ((c.doi, c.pmid, f"{c.first_author} {c.year}") for c in m.citations),
            )
    for k, avoid in enumerate(interp.avoid):
        implication(
            f"avoid/{k}",
            (v.LA_RESISTANT, "Resistant"),
            avoid.drugs,
            _variant_urls(ctx, interp, current),
            None,
            avoid.reason,
            (),
        )
    for option in interp.options:
        names = [a for m in interp.mechanisms if m.id in option.mechanisms for a in m.alterations]
        implication(
            f"option/{option.rank}",
            (v.LA_RESPONSIVE, "Responsive"),
            option.drugs,
            _variant_urls(ctx, interp, names or current),
            option.evidence_level,
            option.rationale,
            ((c.doi, c.pmid, f"{c.first_author} {c.year}") for c in option.citations),
            option.rank,
        )
