"""FHIR R4 Bundle -> Case.

Reads what :func:`tkiresist.io.fhir.export.case_to_bundle` writes, losslessly for what the
Bundle holds, and reads other Genomics Reporting / mCODE Bundles as far as they map (see
``docs/fhir.md``). Every reference must resolve inside the Bundle; the first that does not is
a :class:`~tkiresist.errors.FormatError` naming the entry index and the reference. Resources
that have no place in a case (TherapeuticImplication observations, organisations...) are
listed in :attr:`ImportResult.skipped`, never dropped silently.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from tkiresist.errors import CaseValidationError, FormatError, Location, ParseError, Problem
from tkiresist.io.fhir import _vocab as v
from tkiresist.io.fhir.references import BundleIndex, Entry
from tkiresist.model.case import DEFER_CONSISTENCY, Case, consistency_problems
from tkiresist.model.time import DAYS_PER_MONTH

Json = dict[str, Any]
_STOP_REASONS = ("progression", "toxicity", "completed", "patient_choice", "death", "other")
_RESPONSES = ("CR", "PR", "SD", "PD", "NE", "non-CR/non-PD")
_CRITERIA = ("RECIST 1.1", "RANO-BM", "PERCIST", "clinical", "not stated")
_UNIT_DAYS = {"d": 1.0, "wk": 7.0, "mo": DAYS_PER_MONTH, "a": 365.25, "h": 1 / 24}


PLACEHOLDER_ONCOTREE = "UNKNOWN"
"""Not an OncoTree code: the placeholder diagnosis's, so that nothing matches it."""
_PLACEHOLDER_DIAGNOSIS: Json = {
    "id": "dx",
    "type": "diagnosis",
    "histology": "not stated in the FHIR Bundle",
    "oncotree_code": PLACEHOLDER_ONCOTREE,
    "note": "placeholder: the Bundle has no primary-cancer Condition",
}


@dataclass
class ImportResult:
    """The case, and what in the Bundle had no place in it."""

    case: Case
    skipped: tuple[str, ...] = ()
    approximated: tuple[str, ...] = ()


@dataclass
class _State:
    index: BundleIndex
    shifted: bool
    placeholder: bool
    ids: dict[int, str] = field(default_factory=dict)  # entry index -> event id
    events: list[tuple[int, Json]] = field(default_factory=list)  # (entry index, event)
    assays: list[Json] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    approximated: list[str] = field(default_factory=list)
    used: set[int] = field(default_factory=set)
    dx_id: str = "dx"
    dx_date: dt.date | None = None
    dx_histology: str | None = None
    """The diagnosis's histology, against which a later histologic finding is read."""

    def loc(self, entry: Entry, path: str = "") -> Location:
        return Location(
            file=self.index.file, field=f"{entry.field}.{path}" if path else entry.field
        )


def bundle_to_case(bundle: dict[str, Any], *, placeholder_diagnosis: bool = False) -> Case:
    """The case a Bundle describes (see :func:`read_bundle`)."""
    return read_bundle(bundle, placeholder_diagnosis=placeholder_diagnosis).case


def read_bundle(
    bundle: Any, *, placeholder_diagnosis: bool = False, file: str | None = None
) -> ImportResult:
    """Read a Bundle into a case.

    A Bundle with no primary-cancer Condition is refused unless ``placeholder_diagnosis``:
    then the case gets a diagnosis whose histology says it was not given, every undated
    event is placed at it, and the Bundle's calendar dates are not used.
    """
    index = BundleIndex(bundle, file)
    index.check_references()
    tags = {c for _, c in v.codes_of({"coding": (bundle.get("meta") or {}).get("tag", [])})}
    st = _State(index=index, shifted=v.TAG_SHIFTED in tags, placeholder=placeholder_diagnosis)
    patients = [e for e in index.entries if e.type == "Patient"]
    if len(patients) != 1:
        raise FormatError(
            f"expected exactly one Patient entry, found {len(patients)}",
            Location(file=file, field="entry"),
        )
    data = _patient(st, patients[0])
    _assign_ids(st)
    primaries = [e for e in index.entries if e.type == "Condition" and _event_kind(e) == "dx"]
    if len(primaries) > 1:
        raise FormatError(
            f"a second primary-cancer Condition (entries {primaries[0].index} and "
            f"{primaries[1].index}): a case has one diagnosis",
            st.loc(primaries[1]),
        )
    if primaries:
        _condition(st, primaries[0], data)
    elif placeholder_diagnosis:
        st.events.append((-1, _PLACEHOLDER_DIAGNOSIS))
    else:
        raise FormatError(
            "the Bundle has no primary-cancer Condition: a case needs a diagnosis "
            "(import with placeholder_diagnosis=True / --placeholder-diagnosis to take the "
            "findings under a placeholder)",
            Location(file=file, field="entry"),
        )
    for entry in index.entries:
        if entry.index in st.used:
            continue
        reader = _READERS.get(entry.type)
        if reader is None:
            st.skipped.append(f"entry {entry.index}: {entry.type} (no place in a case)")
            continue
        reader(st, entry, data)
    for entry in index.entries:
        if entry.index not in st.used and entry.type in ("Observation", "BodyStructure"):
            label = _text(entry.resource.get("code")) or entry.type
            st.skipped.append(f"entry {entry.index}: {entry.type} {label!r} (no place in a case)")
    data["events"] = [ev for _, ev in sorted(st.events, key=lambda item: item[0])]
    if st.assays:
        data["assays"] = st.assays
    return ImportResult(_build(data, file), tuple(st.skipped), tuple(st.approximated))


def _build(data: Json, file: str | None) -> Case:
    try:
        case = Case.model_validate(data, context={DEFER_CONSISTENCY: True})
    except ValidationError as exc:
        raise CaseValidationError(
            [
                Problem(
                    str(err.get("msg", "invalid")).removeprefix("Value error, "),
                    Location(file=file, field=".".join(str(p) for p in err["loc"])),
                )
                for err in exc.errors()
            ]
        ) from None
    from tkiresist.validation import reference_problems

    problems = consistency_problems(case) + reference_problems(case)
    if problems:
        raise CaseValidationError(
            [Problem(p.message, Location(file=file, field=p.location.field)) for p in problems]
        )
    return case


# -- identifiers --------------------------------------------------------------------------
def _own_id(resource: Json) -> str | None:
    idents = resource.get("identifier")
    if isinstance(idents, dict):
        idents = [idents]
    for ident in idents or ():
        if isinstance(ident, dict) and ident.get("system") == v.SYS_EVENT:
            value = ident.get("value")
            if isinstance(value, str):
                return value
    return None


def _safe_id(text: str) -> str:
    out = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")[:64]
    return out if out and out[0].isalnum() else f"e{out}"[:64]


def _assign_ids(st: _State) -> None:
    """Every entry that becomes an event gets its event id, before any reference is read."""
    taken: set[str] = set()
    counters: dict[str, int] = {}
    for entry in st.index.entries:
        kind = _event_kind(entry)
        if kind is None:
            continue
        own = _own_id(entry.resource)
        if entry.type == "MedicationRequest":
            group = entry.resource.get("groupIdentifier") or {}
            if group.get("system") == v.SYS_EVENT and isinstance(group.get("value"), str):
                own = group["value"]
            elif own is not None:
                own = own.split("#")[0]
        if own is not None and "#" not in own and ".metastasis." not in own:
            st.ids[entry.index] = own
            taken.add(own)
    for entry in st.index.entries:
        kind = _event_kind(entry)
        if kind is None or entry.index in st.ids:
            continue
        counters[kind] = counters.get(kind, 0) + 1
        candidate = _safe_id(f"{kind}-{counters[kind]}")
        while candidate in taken:
            counters[kind] += 1
            candidate = _safe_id(f"{kind}-{counters[kind]}")
        st.ids[entry.index] = candidate
        taken.add(candidate)


def _event_kind(entry: Entry) -> str | None:
    r = entry.resource
    profiles = set((r.get("meta") or {}).get("profile") or ())
    if entry.type == "Condition":
        if v.P_SECONDARY in profiles or _ext(r, v.X_CONDITION_RELATED) is not None:
            return None
        return "dx" if _is_primary(r) else "clinical"
    if entry.type == "MedicationRequest":
        return "therapy"
    if entry.type == "Procedure":
        return "radiotherapy" if _is_radiotherapy(r) else "surgery"
    if entry.type == "Specimen":
        return "specimen"
    if entry.type == "DiagnosticReport":
        return "test"
    if entry.type == "AdverseEvent":
        return "adverse-event"
    if entry.type == "Observation" and v.has_code(r.get("code"), v.LOINC, v.L_DISEASE_STATUS):
        return "response"
    return None


def _is_primary(r: Json) -> bool:
    profiles = set((r.get("meta") or {}).get("profile") or ())
    return v.P_PRIMARY in profiles or _ext(r, v.X_HISTOLOGY) is not None


def _is_radiotherapy(r: Json) -> bool:
    profiles = set((r.get("meta") or {}).get("profile") or ())
    return v.P_RADIOTHERAPY in profiles or v.has_code(r.get("code"), v.SNOMED, v.S_RT_COURSE)


# -- small readers ------------------------------------------------------------------------
def _ext(r: Any, url: str) -> Any:
    for x in (r.get("extension") or ()) if isinstance(r, dict) else ():
        if isinstance(x, dict) and x.get("url") == url:
            return x
    return None


def _exts(r: Any, url: str) -> list[Json]:
    return [
        x
        for x in ((r.get("extension") or ()) if isinstance(r, dict) else ())
        if isinstance(x, dict) and x.get("url") == url
    ]


def _ext_value(r: Any, url: str, kind: str) -> Any:
    x = _ext(r, url)
    return None if x is None else x.get(kind)


def _text(cc: Any) -> str | None:
    if not isinstance(cc, dict):
        return None
    if isinstance(cc.get("text"), str):
        return str(cc["text"])
    for c in cc.get("coding") or ():
        if isinstance(c, dict):
            label = c.get("display") or c.get("code")
            if isinstance(label, str):
                return label
    return None


def _first_note(r: Json) -> str | None:
    notes = r.get("note") or ()
    if notes and isinstance(notes[0], dict) and isinstance(notes[0].get("text"), str):
        return str(notes[0]["text"])
    return None


def _ref_id(st: _State, entry: Entry, ref: Any, path: str) -> str | None:
    target = st.index.target(ref, entry, path)
    if target is None:
        return None
    if target.index not in st.ids:
        raise FormatError(
            f"reference {ref['reference']!r} names a {target.type} that is not an event",
            st.loc(entry, path),
        )
    return st.ids[target.index]


def _parse_date(text: str, st: _State, entry: Entry, path: str) -> dt.date:
    """The date arithmetic uses, as :meth:`PartialDate.midpoint` does for partial dates."""
    m = re.match(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text)
    if not m:
        raise FormatError(f"cannot read the date {text!r}", st.loc(entry, path))
    try:
        if m[3]:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m[2]:
            return dt.date(int(m[1]), int(m[2]), 15)
        return dt.date(int(m[1]), 7, 1)
    except ValueError as exc:
        raise FormatError(f"impossible date {text!r}: {exc}", st.loc(entry, path)) from None


def _time(st: _State, entry: Entry, holder: Json, name: str, path: str) -> Json | str | None:
    """A case time point from ``holder[name]`` and its ``_name`` extensions."""
    prim = holder.get("_" + name)
    value = holder.get(name)
    approximate = bool(_ext_value(prim, v.X_APPROXIMATE, "valueBoolean"))
    rel = _ext(prim, v.X_RELATIVE)
    if rel is not None:
        parts = {x.get("url"): x for x in rel.get("extension") or () if isinstance(x, dict)}
        target_ref = (parts.get("target") or {}).get("valueReference")
        anchor = _ref_id(st, entry, target_ref, f"_{name}.extension.target")
        relation = str((parts.get("relationship") or {}).get("valueCode", "after-start"))
        offset = (parts.get("offset") or {}).get("valueDuration") or {}
        unit = str(offset.get("code") or offset.get("unit") or "d")
        if unit not in _UNIT_DAYS or not isinstance(offset.get("value"), int | float):
            raise FormatError(
                f"relative time offset {offset!r}: expected a Duration in d, wk, mo or a",
                st.loc(entry, f"_{name}"),
            )
        days = float(offset["value"]) * _UNIT_DAYS[unit]
        if anchor is None:
            raise FormatError("relative time without a target", st.loc(entry, f"_{name}"))
        if relation.endswith("-end"):
            anchor += ".stop" if _is_therapy_id(st, anchor) else ".end"
        if relation.startswith("before") and days > 0:  # a case time cannot precede its anchor
            st.approximated.append(
                f"entry {entry.index} {name}: {days:g} days before {anchor!r}, placed at it"
            )
            days = 0.0
        return {"after": anchor, "days": days, "approximate": approximate}
    if not isinstance(value, str):
        return None
    if st.placeholder:
        return None
    if st.shifted:
        when = _parse_date(value, st, entry, path)
        if st.dx_date is None:
            raise FormatError(
                "a shifted Bundle needs the diagnosis date as its origin", st.loc(entry, path)
            )
        days = (when - st.dx_date).days
        if days < 0:
            st.approximated.append(
                f"entry {entry.index} {name}: {-days} days before the diagnosis, placed at it"
            )
        return {"after": st.dx_id, "days": max(0, days)}
    m = re.match(r"^(\d{4}(?:-\d{2}(?:-\d{2})?)?)", value)
    if not m:
        raise FormatError(f"cannot read the date {value!r}", st.loc(entry, path))
    return m[1]


def _is_therapy_id(st: _State, event_id: str) -> bool:
    for entry in st.index.entries:
        if st.ids.get(entry.index) == event_id:
            return entry.type == "MedicationRequest"
    return False


def _site_kind(r: Json) -> str | None:
    value = _ext_value(r, v.X_SITE_KIND, "valueCode")
    return str(value) if isinstance(value, str) else None


def _put(data: Json, key: str, value: Any) -> None:
    if value is not None and value != [] and value != ():
        data[key] = value


# -- patient ------------------------------------------------------------------------------
def _patient(st: _State, entry: Entry) -> Json:
    r = entry.resource
    st.used.add(entry.index)
    pseudonym = case_id = None
    foreign: list[str] = []
    for ident in r.get("identifier") or ():
        if not isinstance(ident, dict) or not isinstance(ident.get("value"), str):
            continue
        if ident.get("system") == v.SYS_PSEUDONYM:
            pseudonym = ident["value"]
        elif ident.get("system") == v.SYS_CASE:
            case_id = ident["value"]
        else:
            foreign.append(f"{ident.get('system', '')}|{ident['value']}")
    if pseudonym is None or case_id is None:
        basis = foreign[0] if foreign else str(r.get("id") or entry.full_url or entry.index)
        digest = hashlib.sha256(basis.encode("utf-8")).hexdigest()[:12]
        pseudonym = pseudonym or f"FHIR-{digest}"
        case_id = case_id or f"fhir-{digest}"
    patient: Json = {}
    gender = r.get("gender")
    if gender in ("female", "male", "other", "unknown"):
        patient["sex"] = gender
    _put(patient, "ethnicity", _ext_value(r, v.X_ETHNICITY, "valueString"))
    data: Json = {"id": case_id, "pseudonym": pseudonym, "patient": patient}
    source = _ext(r, v.X_SOURCE)
    if source is not None:
        cite: Json = {}
        for part in source.get("extension") or ():
            key = part.get("url")
            value = part.get("valueString", part.get("valueInteger"))
            if key in ("doi", "pmid", "first_author", "title", "journal", "year"):
                cite[key] = value
        data["source"] = cite
    _put(data, "notes", _ext_value(r, v.X_CASE_NOTES, "valueString"))
    for k, x in enumerate(_exts(r, v.X_ASSAY)):
        try:
            st.assays.append(json.loads(str(x.get("valueString"))))
        except json.JSONDecodeError as exc:
            raise FormatError(
                f"assay definition is not JSON: {exc.msg}", st.loc(entry, f"extension[{k}]")
            ) from None
    return data


# -- per resource type --------------------------------------------------------------------
def _add(st: _State, entry: Entry, event: Json) -> None:
    st.events.append((entry.index, event))
    st.used.add(entry.index)


def _condition(st: _State, entry: Entry, data: Json) -> None:
    r = entry.resource
    if entry.index not in st.ids:  # a secondary cancer condition: read with its primary
        st.used.add(entry.index)
        return
    event_id = st.ids[entry.index]
    if not _is_primary(r):
        ev: Json = {"id": event_id, "type": "clinical", "description": _text(r.get("code"))}
        ev["time"] = _time(st, entry, r, "onsetDateTime", "onsetDateTime")
        _put(ev, "site", _site_kind(r))
        _put(ev, "note", _first_note(r))
        if ev["time"] is None:
            ev["time"] = {"after": st.dx_id, "days": 0}
            ev["note"] = ((ev.get("note") or "") + " (time not given in the Bundle)").strip()
        _add(st, entry, ev)
        return
    if entry.index in st.used:  # read first, before the other events
        return
    code = r.get("code") or {}
    oncotree = next((c for s, c in v.codes_of(code) if s == v.ONCOTREE), None)
    histology = _text(_ext_value(r, v.X_HISTOLOGY, "valueCodeableConcept")) or _text(code)
    ev = {"id": event_id, "type": "diagnosis", "histology": histology or "not stated"}
    st.dx_histology = histology
    if oncotree is None:
        text = (_text(code) or "").lower()
        oncotree = "NSCLC" if "non-small cell lung" in text else None
    if oncotree is None:
        raise FormatError(
            "the primary-cancer Condition has no OncoTree code (system "
            f"{v.ONCOTREE}) and no code we can map to one",
            st.loc(entry, "code"),
        )
    ev["oncotree_code"] = oncotree
    stage = r.get("stage") or ()
    if stage and isinstance(stage[0], dict):
        _put(ev, "stage", _text(stage[0].get("summary")))
    has_time = _ext_value(r, v.X_DIAGNOSIS_TIME, "valueBoolean")
    onset = r.get("onsetDateTime")
    if isinstance(onset, str):
        st.dx_date = _parse_date(onset, st, entry, "onsetDateTime")
    st.dx_id = event_id
    if has_time is not False and not st.shifted and not st.placeholder:
        _put(ev, "time", _time(st, entry, r, "onsetDateTime", "onsetDateTime"))
    elif has_time is not False and st.shifted and _ext(r.get("_onsetDateTime"), v.X_RELATIVE):
        ev["time"] = _time(st, entry, r, "onsetDateTime", "onsetDateTime")
    sites: list[str] = []
    for other in st.index.entries:
        o = other.resource
        related = _ext_value(o, v.X_CONDITION_RELATED, "valueReference")
        if other.type == "Condition" and related is not None:
            target = st.index.target(related, other, "extension.valueReference")
            if target is not None and target.index == entry.index:
                body = o.get("bodySite") or ()
                site = _text(body[0]) if body else None
                if site is None:
                    site = (_text(o.get("code")) or "").removeprefix(
                        "Secondary malignant neoplasm of "
                    )
                sites.append(site)
    _put(ev, "metastatic_sites", sites)
    _put(ev, "cns_involvement", _ext_value(r, v.X_CNS, "valueBoolean"))
    _put(ev, "presentation", _ext_value(r, v.X_PRESENTATION, "valueString"))
    _put(ev, "driver", _ext_value(r, v.X_DRIVER, "valueCode"))
    _put(ev, "note", _first_note(r))
    age = _ext_value(r, v.X_AGE, "valueAge")
    if isinstance(age, dict) and isinstance(age.get("value"), int | float):
        data["patient"]["age_at_diagnosis"] = int(age["value"])
    _add(st, entry, ev)


def _medication(st: _State, entry: Entry, data: Json) -> None:
    from tkiresist.nomenclature import drugs

    r = entry.resource
    event_id = st.ids[entry.index]
    existing = next((e for _, e in st.events if e.get("id") == event_id), None)
    name = _text(r.get("medicationCodeableConcept"))
    if name is None:
        raise FormatError(
            "MedicationRequest without a medicationCodeableConcept text or coding",
            st.loc(entry, "medicationCodeableConcept"),
        )
    try:
        generic = drugs.lookup(name).generic
    except ParseError as exc:
        raise FormatError(exc.message, st.loc(entry, "medicationCodeableConcept")) from None
    dosage = (r.get("dosageInstruction") or [{}])[0]
    agent: Json = {"drug": generic}
    _put(agent, "dose", dosage.get("text"))
    timing = dosage.get("timing") or {}
    _put(agent, "schedule", _text(timing.get("code")))
    if existing is not None:
        existing["agents"].append(agent)
        st.used.add(entry.index)
        return
    period = (timing.get("repeat") or {}).get("boundsPeriod") or {}
    path = "dosageInstruction[0].timing.repeat.boundsPeriod"
    start = _time(st, entry, period, "start", f"{path}.start")
    if start is None:
        start = _time(st, entry, r, "authoredOn", "authoredOn")
    if start is None:
        start = {"after": st.dx_id, "days": 0}
    ev: Json = {"id": event_id, "type": "therapy", "agents": [agent], "start": start}
    _put(ev, "stop", _time(st, entry, period, "end", f"{path}.end"))
    _put(ev, "line", _ext_value(r, v.X_LINE, "valueInteger"))
    _put(ev, "intent", _text(_ext_value(r, v.X_INTENT, "valueCodeableConcept")))
    reason = r.get("statusReason")
    if reason is not None:
        text = (_text(reason) or "").strip()
        if text in (*_STOP_REASONS, "ongoing"):
            ev["stop_reason"] = text
        else:
            codes = {c for _, c in v.codes_of(reason)}
            by_code = {code: key for key, (code, _) in v.TERMINATION.items()}
            ev["stop_reason"] = next((by_code[c] for c in codes if c in by_code), "other")
    _put(ev, "note", _first_note(r))
    _add(st, entry, ev)


def _procedure(st: _State, entry: Entry, data: Json) -> None:
    r = entry.resource
    event_id = st.ids[entry.index]
    body = r.get("bodySite") or ()
    site = _text(body[0]) if body else None
    if _is_radiotherapy(r):
        period = r.get("performedPeriod") or {}
        time = _time(st, entry, period, "start", "performedPeriod.start")
        ev: Json = {"id": event_id, "type": "radiotherapy", "site": site or "not stated"}
        ev["time"] = time if time is not None else {"after": st.dx_id, "days": 0}
        _put(ev, "end", _time(st, entry, period, "end", "performedPeriod.end"))
        _put(ev, "site_kind", _site_kind(r))
        _put(ev, "technique", _ext_value(r, v.X_TECHNIQUE, "valueString"))
        dose = _ext(r, v.X_RT_DOSE)
        parts = {x.get("url"): x for x in (dose or {}).get("extension") or ()}
        quantity = (parts.get("totalDoseDelivered") or {}).get("valueQuantity") or {}
        fractions = (parts.get("fractionsDelivered") or {}).get("valueUnsignedInt")
        value = quantity.get("value")
        if value is not None and not isinstance(value, int | float):
            raise FormatError(
                "a radiotherapy dose is a number (mCODE dose-delivered-to-volume extension)",
                st.loc(entry, "extension"),
            )
        if fractions is not None and not isinstance(fractions, int):
            raise FormatError(
                "radiotherapy fractions are a whole number (mCODE dose-delivered-to-volume "
                "extension)",
                st.loc(entry, "extension"),
            )
        if value is not None:  # dose and fractions are optional: a source may not give them
            unit = quantity.get("code") or quantity.get("unit")
            ev["dose_gy"] = round(float(value) / (100.0 if unit == "cGy" else 1.0), 9)
        if fractions is not None:
            ev["fractions"] = fractions
        target = st.index.target(
            (parts.get("volume") or {}).get("valueReference"), entry, "extension.volume"
        )
        if target is not None:
            st.used.add(target.index)
    else:
        ev = {"id": event_id, "type": "surgery", "procedure": _text(r.get("code"))}
        time = _time(st, entry, r, "performedDateTime", "performedDateTime")
        if time is None:
            period = r.get("performedPeriod") or {}
            time = _time(st, entry, period, "start", "performedPeriod.start")
        ev["time"] = time if time is not None else {"after": st.dx_id, "days": 0}
        _put(ev, "site", site)
        _put(ev, "site_kind", _site_kind(r))
    _put(ev, "note", _first_note(r))
    _add(st, entry, ev)


def _specimen(st: _State, entry: Entry, data: Json) -> None:
    r = entry.resource
    kind = "other"
    for system, code in v.codes_of(r.get("type")):
        if system == v.SYS_CODES and code.startswith("specimen-"):
            kind = code.removeprefix("specimen-")
            break
        if system == v.SPECIMEN_TYPE and code in v.SPECIMEN_CODE:
            kind = v.SPECIMEN_CODE[code]
    collection = r.get("collection") or {}
    ev: Json = {"id": st.ids[entry.index], "type": "specimen", "kind": kind}
    time = _time(st, entry, collection, "collectedDateTime", "collection.collectedDateTime")
    if time is None:
        time = {"after": st.dx_id, "days": 0}
        ev["note"] = "collection time not given in the Bundle"
    ev["time"] = time
    site = collection.get("bodySite")
    _put(ev, "site", _text(site))
    _put(ev, "site_kind", _site_kind(r))
    _put(ev, "procedure", _text(collection.get("method")))
    if _first_note(r) is not None:
        ev["note"] = _first_note(r)
    _add(st, entry, ev)


def _response(st: _State, entry: Entry, data: Json) -> None:
    r = entry.resource
    value = r.get("valueCodeableConcept") or {}
    category = value.get("text")
    if category not in _RESPONSES:
        codes = [c for s, c in v.codes_of(value) if s == v.SNOMED]
        category = next((v.TREND_RESPONSE[c] for c in codes if c in v.TREND_RESPONSE), "NE")
    ev: Json = {"id": st.ids[entry.index], "type": "response", "category": category}
    ev["time"] = _time(st, entry, r, "effectiveDateTime", "effectiveDateTime") or {
        "after": st.dx_id,
        "days": 0,
    }
    criteria = _ext_value(r, v.X_CRITERIA, "valueString")
    _put(ev, "criteria", criteria if criteria in _CRITERIA else None)
    _put(ev, "site", _site_kind(r))
    therapy = _ext_value(r, v.X_THERAPY, "valueReference")
    if therapy is not None:
        _put(ev, "therapy", _ref_id(st, entry, therapy, "extension.valueReference"))
    _put(ev, "modality", _text(r.get("method")))
    lesions: list[Json] = []
    for x in _exts(r, v.X_LESION):
        lesion: Json = {}
        sizes: list[float] = []
        for part in x.get("extension") or ():
            if part.get("url") == "site":
                lesion["site"] = part.get("valueString")
            elif part.get("url") == "size":
                size = (part.get("valueQuantity") or {}).get("value")
                if not isinstance(size, int | float):
                    raise FormatError("lesion size without a number", st.loc(entry, "extension"))
                sizes.append(float(size))
        if sizes:
            lesion["size_mm"] = sizes
        lesions.append(lesion)
    _put(ev, "lesions", lesions)
    _put(ev, "note", _first_note(r))
    _add(st, entry, ev)


def _observation(st: _State, entry: Entry, data: Json) -> None:
    r = entry.resource
    code = r.get("code")
    if v.has_code(code, v.LOINC, v.L_DISEASE_STATUS):
        _response(st, entry, data)
    elif v.has_code(code, v.LOINC, v.L_ECOG):
        _put(data["patient"], "ecog", r.get("valueInteger"))
        st.used.add(entry.index)
    elif v.has_code(code, v.LOINC, v.L_SMOKING):
        for system, c in v.codes_of(r.get("valueCodeableConcept")):
            if system == v.SYS_CODES and c.startswith("smoking-"):
                data["patient"]["smoking"] = c.removeprefix("smoking-")
        st.used.add(entry.index)
    elif v.has_code(code, v.SNOMED, v.S_PACK_YEARS):
        _put(data["patient"], "pack_years", (r.get("valueQuantity") or {}).get("value"))
        st.used.add(entry.index)
    else:
        # findings are read with their DiagnosticReport; anything left is reported skipped
        return


def _is_implication(r: Json) -> bool:
    return v.has_code(r.get("code"), (v.GR_TBD, v.GR_TBD_OLD), "therapeutic-implication")


def _report(st: _State, entry: Entry, data: Json) -> None:
    r = entry.resource
    event_id = st.ids[entry.index]
    specimens = r.get("specimen") or ()
    specimen_id = _ref_id(st, entry, specimens[0], "specimen[0]") if specimens else None
    if specimen_id is None:
        raise FormatError(
            "a DiagnosticReport needs a specimen reference to become a molecular test",
            st.loc(entry, "specimen"),
        )
    ev: Json = {"id": event_id, "type": "test", "specimen": specimen_id}
    prim = r.get("_effectiveDateTime")
    if not _ext_value(prim, v.X_TIME_FROM_SPECIMEN, "valueBoolean"):
        _put(ev, "time", _time(st, entry, r, "effectiveDateTime", "effectiveDateTime"))
    assay = next((c for s, c in v.codes_of(r.get("code")) if s == v.SYS_ASSAY), None)
    findings: list[Json] = []
    genes: dict[str, set[str]] = {}
    for k, ref in enumerate(r.get("result") or ()):
        target = st.index.target(ref, entry, f"result[{k}]")
        if target is None:
            continue
        obs = target.resource
        st.used.add(target.index)
        if _is_implication(obs):
            st.skipped.append(f"entry {target.index}: TherapeuticImplication (recomputed)")
            continue
        if v.has_code(obs.get("code"), v.SYS_CODES, "test-histology"):
            ev["histology"] = _histology_value(st, target)
            continue
        finding = _finding(st, target)
        if finding is None:
            continue
        findings.append(finding)
        alt = finding["alteration"]
        kind = alt["kind"]
        genes.setdefault(kind, set()).update(
            g
            for g in (
                alt.get("gene"),
                alt.get("five_prime"),
                alt.get("three_prime"),
                alt.get("marker"),
            )
            if g
        )
    _put(ev, "findings", findings)
    if assay is None:
        assay = _safe_id(f"fhir-{event_id}").lower()
        cov: Json = {k: sorted(g) for k, g in genes.items() if k != "histology"}
        if "histology" in genes:
            cov["histology"] = True
        st.assays.append(
            {
                "id": assay,
                "name": _text(r.get("code")) or "assay from a FHIR DiagnosticReport",
                "method": "ngs"
                if v.has_code(r.get("code"), v.LOINC, v.L_REPORT)
                or any(v.has_code(c, v.DIAG_SERVICE, "GE") for c in r.get("category") or ())
                else "other",
                "coverage": cov,
                "limits": "coverage unknown: only the genes reported in the Bundle are listed",
            }
        )
    ev["assay"] = assay
    _put(ev, "report_text", r.get("conclusion"))
    _put(ev, "note", _ext_value(r, v.X_NOTE, "valueString"))
    _add(st, entry, ev)


def _component(obs: Json, system: str | tuple[str, ...], code: str) -> Json | None:
    for comp in obs.get("component") or ():
        if isinstance(comp, dict) and v.has_code(comp.get("code"), system, code):
            return comp
    return None


def _components(obs: Json, system: str, code: str) -> list[Json]:
    return [
        c
        for c in obs.get("component") or ()
        if isinstance(c, dict) and v.has_code(c.get("code"), system, code)
    ]


def _histology_value(st: _State, entry: Entry) -> Json:
    value = entry.resource.get("valueCodeableConcept") or {}
    kind = next((c for s, c in v.codes_of(value) if s == v.SYS_CODES), None)
    if kind is None:
        from tkiresist.nomenclature.histology import parse_histology, read_histology_finding

        text = _text(value) or ""
        try:
            # as the case-file reader does: a tumour type read against the diagnosis
            found = read_histology_finding(text, st.dx_histology) or parse_histology(text)
            return found.model_dump(mode="json")
        except ParseError as exc:
            raise FormatError(exc.message, st.loc(entry, "valueCodeableConcept")) from None
    return {"kind": "histology", "histology": kind}


def _finding(st: _State, entry: Entry) -> Json | None:
    obs = entry.resource
    code = obs.get("code")
    finding: Json = {}
    if v.has_code(code, v.LOINC, v.L_VARIANT):
        finding["alteration"] = _variant_alteration(st, entry)
        value = obs.get("valueCodeableConcept")
        if v.has_code(value, v.LOINC, v.LA_ABSENT):
            finding["status"] = "not_detected"
        elif v.has_code(value, v.LOINC, v.LA_INDETERMINATE):
            finding["status"] = "equivocal"
        vaf = _component(obs, v.LOINC, v.L_VAF)
        if vaf is not None:
            q = vaf.get("valueQuantity") or {}
            if isinstance(q.get("value"), int | float):
                unit = q.get("code") or q.get("unit")
                finding["vaf"] = float(q["value"]) / (100.0 if unit == "%" else 1.0)
        reads = _component(obs, v.LOINC, v.L_READS)
        if reads is not None:
            q = reads.get("valueQuantity") or {}
            if isinstance(q.get("value"), int | float):
                finding["alt_reads"] = int(q["value"])
    elif v.has_code(code, v.SYS_CODES, "histology-finding"):
        finding["alteration"] = _histology_value(st, entry)
    elif (
        v.P_TUMOR_MARKER in ((obs.get("meta") or {}).get("profile") or ())
        or _component(obs, v.SYS_CODES, "marker") is not None
    ):
        finding["alteration"] = _marker_alteration(st, entry)
    else:
        st.skipped.append(f"entry {entry.index}: Observation {_text(code)!r} (not a finding)")
        return None
    status = _component(obs, v.SYS_CODES, "finding-status")
    if status is not None:
        finding["status"] = status.get("valueString")
    for name, key in (
        ("total-read-depth", "depth"),
        ("split-reads", "split_reads"),
        ("spanning-pairs", "spanning_pairs"),
    ):
        comp = _component(obs, v.SYS_CODES, name)
        if comp is not None:
            finding[key] = comp.get("valueInteger")
    note = _component(obs, v.SYS_CODES, "note")
    if note is not None:
        finding["note"] = note.get("valueString")
    confidence = _component(obs, v.GR_TBD, "variant-confidence-status")
    if confidence is not None:
        level = next((c for _, c in v.codes_of(confidence.get("valueCodeableConcept"))), None)
        quality = {"high": "pass", "intermediate": "low", "low": "fail"}.get(level or "")
        _put(finding, "quality", quality)
    method = obs.get("method")
    if isinstance(method, dict) and not method.get("coding") and method.get("text"):
        finding["method"] = method["text"]
    return finding


def _marker_alteration(st: _State, entry: Entry) -> Json:
    obs = entry.resource
    marker = (_component(obs, v.SYS_CODES, "marker") or {}).get("valueString")
    if marker is None:
        gene = _component(obs, v.LOINC, v.L_GENE)
        marker = _text((gene or {}).get("valueCodeableConcept"))
    if marker is None:
        raise FormatError("tumour-marker observation names no marker", st.loc(entry, "code"))
    value = obs.get("valueCodeableConcept") or {}
    result = value.get("text")
    if result not in ("positive", "negative", "equivocal"):
        by_code = {code: key for key, (_, code, _) in v.MARKER_RESULT.items()}
        result = next((by_code[c] for _, c in v.codes_of(value) if c in by_code), None)
    if result is None:
        raise FormatError(
            "tumour-marker result is not positive, negative or equivocal",
            st.loc(entry, "valueCodeableConcept"),
        )
    alt: Json = {"kind": "expression", "marker": marker, "result": result}
    _put(alt, "clone", (_component(obs, v.SYS_CODES, "antibody-clone") or {}).get("valueString"))
    _put(alt, "score", (_component(obs, v.SYS_CODES, "score") or {}).get("valueString"))
    return alt


def _hgnc_symbol(st: _State, entry: Entry, comp: Json, k: int) -> str:
    from tkiresist.nomenclature.genes import lookup

    cc = comp.get("valueCodeableConcept") or {}
    for c in cc.get("coding") or ():
        if c.get("system") in (v.HGNC, v.HGNC_OLD) and isinstance(c.get("display"), str):
            try:
                gene = lookup(c["display"])
            except ParseError as exc:
                raise FormatError(exc.message, st.loc(entry, f"component[{k}]")) from None
            code = str(c.get("code", ""))
            if code and code.removeprefix("HGNC:") != gene.hgnc_id.removeprefix("HGNC:"):
                raise FormatError(
                    f"gene {c['display']!r} is {gene.hgnc_id} in HGNC, not {code}",
                    st.loc(entry, f"component[{k}]"),
                )
            return gene.approved
    text = _text(cc)
    if text is None:
        raise FormatError("gene-studied component names no gene", st.loc(entry, "component"))
    try:
        return lookup(text).approved
    except ParseError as exc:
        raise FormatError(exc.message, st.loc(entry, "component")) from None


def _variant_alteration(st: _State, entry: Entry) -> Json:
    from tkiresist.nomenclature.alterations import parse_alteration

    obs = entry.resource
    comps = obs.get("component") or []
    genes = [
        _hgnc_symbol(st, entry, comp, k)
        for k, comp in enumerate(comps)
        if isinstance(comp, dict) and v.has_code(comp.get("code"), v.LOINC, v.L_GENE)
    ]
    name = _text((_component(obs, v.LOINC, v.L_VARIATION_CODE) or {}).get("valueCodeableConcept"))
    candidates: list[str] = []
    if name:
        candidates.append(name)
    fusion = _component(obs, v.LOINC, v.L_CHANGE_TYPE)
    is_fusion = fusion is not None and v.has_code(
        fusion.get("valueCodeableConcept"), (v.SO, v.SO + "/"), v.SO_GENE_FUSION[0]
    )
    if is_fusion and genes:
        candidates.append("::".join(genes) if len(genes) == 2 else f"{genes[0]} fusion")
    if genes and not is_fusion:
        for loinc_code in (v.L_PHGVS, v.L_CHGVS):
            comp = _component(obs, v.LOINC, loinc_code)
            text = _text((comp or {}).get("valueCodeableConcept"))
            if text:
                candidates.append(f"{genes[0]} {text.split(':')[-1]}")
    errors: list[str] = []
    for text in candidates:
        try:
            alt = parse_alteration(text)
        except ParseError as exc:
            errors.append(f"{text!r}: {exc.message}")
            continue
        if genes and set(alt.genes) != set(genes) and not is_fusion:
            errors.append(f"{text!r} names genes {alt.genes}, the components {genes}")
            continue
        data = alt.model_dump(mode="json", exclude_none=True)
        if data["kind"] == "fusion" and text == name:
            _orient(data, genes, _component(obs, v.SYS_CODES, "fusion-order-corrected"))
        transcript = _text(
            (_component(obs, v.LOINC, v.L_TRANSCRIPT) or {}).get("valueCodeableConcept")
        )
        if data.get("kind") == "sequence_variant" and transcript and "reference" not in data:
            data["reference"] = transcript
        return data
    raise FormatError(
        "cannot read the variant: " + ("; ".join(errors) or "no gene, HGVS or name given"),
        st.loc(entry, "component"),
    )


def _orient(data: Json, genes: list[str], corrected: Json | None) -> None:
    """Our own fusion, as written: 5'/3' from the gene-studied order, the flag as exported
    (the fusion grammar may reorient a kinase written 5', which the case had kept)."""
    if len(genes) == 2 and [data.get("five_prime"), data.get("three_prime")] == genes[::-1]:
        data["five_prime"], data["three_prime"] = genes
        five, three = data.pop("five_prime_exon", None), data.pop("three_prime_exon", None)
        _put(data, "five_prime_exon", three)
        _put(data, "three_prime_exon", five)
    data["order_corrected"] = bool(corrected and corrected.get("valueBoolean"))


def _adverse(st: _State, entry: Entry, data: Json) -> None:
    r = entry.resource
    ev: Json = {"id": st.ids[entry.index], "type": "adverse_event"}
    ev["term"] = _text(r.get("event")) or "not stated"
    grade = _ext_value(r, v.X_GRADE, "valueInteger")
    if not isinstance(grade, int):
        raise FormatError("adverse event without a CTCAE grade", st.loc(entry, "extension"))
    ev["grade"] = grade
    _put(ev, "time", _time(st, entry, r, "date", "date"))
    _put(ev, "ctcae_version", _ext_value(r, v.X_CTCAE_VERSION, "valueString"))
    therapy = _ext_value(r, v.X_THERAPY, "valueReference")
    if therapy is not None:
        ev["therapy"] = _ref_id(st, entry, therapy, "extension.valueReference")
    _put(ev, "note", _ext_value(r, v.X_NOTE, "valueString"))
    _add(st, entry, ev)


def _body_structure(st: _State, entry: Entry, data: Json) -> None:
    if entry.index not in st.used:
        st.skipped.append(f"entry {entry.index}: BodyStructure not used by a radiotherapy")


_READERS: dict[str, Any] = {
    "Condition": _condition,
    "MedicationRequest": _medication,
    "Procedure": _procedure,
    "Specimen": _specimen,
    "Observation": _observation,
    "DiagnosticReport": _report,
    "AdverseEvent": _adverse,
    "BodyStructure": _body_structure,
}
