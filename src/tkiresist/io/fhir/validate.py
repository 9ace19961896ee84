"""Check a Bundle: the FHIR models of ``fhir.resources`` (R4B), then the profiles' rules.

Two stages, kept apart:

1. structure: every resource must load into the ``fhir.resources.R4B`` model of its type
   (element names, types, cardinalities of the base resource, primitive formats);
2. profiles: each resource must claim the profiles its kind calls for in ``meta.profile``,
   and carry the elements those profiles make required or fix (the rules are written out
   below from the profiles' FHIR Shorthand in Genomics Reporting 3.0.0, mCODE 4.0.0 and the
   US Core profiles mCODE builds on). References must resolve inside the Bundle.

Full conformance (slicing, terminology bindings, invariants in FHIRPath) needs the HL7 Java
validator with the IG packages; ``docs/fhir.md`` says how to run it.

``fhir.resources`` is an optional dependency (extra ``fhir``); it is imported here only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tkiresist.errors import FormatError, Location, Problem
from tkiresist.io.fhir import _vocab as v
from tkiresist.io.fhir.references import BundleIndex

Json = dict[str, Any]
Rule = tuple[str, Callable[[Json], bool]]


def _has(*paths: str) -> Callable[[Json], bool]:
    """True when each dotted path leads to a non-empty value (any alternative with '|')."""

    def one(r: Any, path: str) -> bool:
        node = r
        for part in path.split("."):
            if isinstance(node, list):
                node = node[0] if node else None
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return node not in (None, "", [], {})

    def check(r: Json) -> bool:
        return all(any(one(r, alt) for alt in p.split("|")) for p in paths)

    return check


def _code(element: str, system: str | tuple[str, ...], code: str) -> Callable[[Json], bool]:
    return lambda r: v.has_code(r.get(element), system, code)


def _category(system: str, code: str) -> Callable[[Json], bool]:
    return lambda r: any(v.has_code(c, system, code) for c in r.get("category") or ())


_GENOMIC_BASE: list[Rule] = [
    ("status", _has("status")),
    ("subject", _has("subject")),
    ("category laboratory", _category(v.OBS_CATEGORY, "laboratory")),
    ("category GE", _category(v.DIAG_SERVICE, "GE")),
]

RULES: dict[str, list[Rule]] = {
    v.P_PATIENT: [
        ("identifier", _has("identifier")),
        ("name", _has("name")),
        ("gender", _has("gender")),
    ],
    v.P_PRIMARY: [
        ("code", _has("code")),
        ("subject", _has("subject")),
        ("category", _has("category")),
    ],
    v.P_SECONDARY: [
        ("code", _has("code")),
        ("subject", _has("subject")),
        ("category", _has("category")),
        (
            "related primary condition",
            lambda r: any(x.get("url") == v.X_CONDITION_RELATED for x in r.get("extension") or ()),
        ),
    ],
    v.P_CONDITION: [
        ("code", _has("code")),
        ("subject", _has("subject")),
        ("category", _has("category")),
    ],
    v.P_MED_REQUEST: [
        ("status", _has("status")),
        ("intent", _has("intent")),
        ("medication", _has("medicationCodeableConcept|medicationReference")),
        ("subject", _has("subject")),
        ("requester", _has("requester")),
        ("reason (mcode-reason-required)", _has("reasonReference|reasonCode")),
    ],
    v.P_SURGERY: [
        ("status", _has("status")),
        ("code", _has("code")),
        ("subject", _has("subject")),
        ("performed", _has("performedDateTime|performedPeriod")),
        ("reason (mcode-reason-required)", _has("reasonReference|reasonCode")),
    ],
    v.P_RADIOTHERAPY: [
        ("status", _has("status")),
        ("code = SNOMED 1217123003", _code("code", v.SNOMED, v.S_RT_COURSE)),
        ("subject", _has("subject")),
        ("performedPeriod", _has("performedPeriod")),
        ("reason (mcode-reason-required)", _has("reasonReference|reasonCode")),
    ],
    v.P_RT_VOLUME: [
        ("patient", _has("patient")),
        ("description or identifier", _has("description|identifier")),
    ],
    v.P_SPECIMEN: [("type", _has("type")), ("subject", _has("subject"))],
    v.P_DISEASE_STATUS: [
        ("status", _has("status")),
        ("code = LOINC 97509-4", _code("code", v.LOINC, v.L_DISEASE_STATUS)),
        ("subject", _has("subject")),
        ("effectiveDateTime", _has("effectiveDateTime")),
        ("valueCodeableConcept", _has("valueCodeableConcept")),
        ("no component (not used)", lambda r: not r.get("component")),
    ],
    v.P_ECOG: [
        ("code = LOINC 89247-1", _code("code", v.LOINC, v.L_ECOG)),
        ("valueInteger", _has("valueInteger")),
        ("subject", _has("subject")),
    ],
    v.P_SMOKING: [
        ("code = LOINC 72166-2", _code("code", v.LOINC, v.L_SMOKING)),
        ("value", _has("valueCodeableConcept")),
        ("subject", _has("subject")),
    ],
    v.P_SIMPLE_OBS: [
        ("code", _has("code")),
        ("subject", _has("subject")),
        ("category", _has("category")),
    ],
    v.P_TUMOR_MARKER: [
        ("status", _has("status")),
        ("category laboratory", _category(v.OBS_CATEGORY, "laboratory")),
        ("code", _has("code")),
        ("subject", _has("subject")),
        ("value", _has("valueCodeableConcept|valueQuantity|valueString|valueRatio")),
    ],
    v.P_LAB_OBS: [
        ("status", _has("status")),
        ("code", _has("code")),
        ("subject", _has("subject")),
        ("category laboratory", _category(v.OBS_CATEGORY, "laboratory")),
    ],
    v.P_VARIANT: [
        *_GENOMIC_BASE,
        ("code = LOINC 69548-6", _code("code", v.LOINC, v.L_VARIANT)),
        ("valueCodeableConcept", _has("valueCodeableConcept")),
    ],
    v.P_MCODE_VARIANT: [*_GENOMIC_BASE],
    v.P_IMPLICATION: [
        *_GENOMIC_BASE,
        ("code = therapeutic-implication", _code("code", v.GR_TBD, "therapeutic-implication")),
        ("derivedFrom (1..*)", _has("derivedFrom")),
        ("no value[x] (0..0)", lambda r: not any(k.startswith("value") for k in r)),
    ],
    v.P_GENOMIC_REPORT: [
        ("status", _has("status")),
        ("code = LOINC 51969-4", _code("code", v.LOINC, v.L_REPORT)),
        ("category GE", _category(v.DIAG_SERVICE, "GE")),
        ("subject", _has("subject")),
    ],
    v.P_MCODE_REPORT: [("subject", _has("subject"))],
    v.P_LAB_REPORT: [
        ("status", _has("status")),
        ("category LAB", _category(v.DIAG_SERVICE, "LAB")),
        ("code", _has("code")),
        ("subject", _has("subject")),
        ("effective", _has("effectiveDateTime|effectivePeriod")),
    ],
}

_EXPECTED: dict[str, Callable[[Json], tuple[str, ...]]] = {
    "Patient": lambda r: (v.P_PATIENT,),
    "Specimen": lambda r: (v.P_SPECIMEN,),
    "MedicationRequest": lambda r: (v.P_MED_REQUEST,),
    "BodyStructure": lambda r: (v.P_RT_VOLUME,),
}


def _expected_profiles(r: Json) -> tuple[str, ...]:
    """The profiles a resource of this kind must claim, as tkiresist writes them."""
    kind = r.get("resourceType")
    if kind in _EXPECTED:
        return _EXPECTED[kind](r)
    code = r.get("code")
    if kind == "Observation":
        if v.has_code(code, v.LOINC, v.L_VARIANT):
            return (v.P_VARIANT,)
        if v.has_code(code, v.GR_TBD, "therapeutic-implication"):
            return (v.P_IMPLICATION,)
        if v.has_code(code, v.LOINC, v.L_DISEASE_STATUS):
            return (v.P_DISEASE_STATUS,)
    if kind == "DiagnosticReport" and v.has_code(code, v.LOINC, v.L_REPORT):
        return (v.P_GENOMIC_REPORT,)
    if kind == "Procedure" and v.has_code(code, v.SNOMED, v.S_RT_COURSE):
        return (v.P_RADIOTHERAPY,)
    return ()


def structure_problems(bundle: Json) -> list[Problem]:
    """Problems the ``fhir.resources`` R4B models find, one per entry at most, located."""
    try:
        from fhir.resources.R4B import get_fhir_model_class
        from pydantic import ValidationError
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise FormatError(
            "validating FHIR needs the optional dependency fhir.resources "
            "(pip install 'tkiresist[fhir]')"
        ) from None
    out: list[Problem] = []
    head = {k: val for k, val in bundle.items() if k != "entry"}
    try:
        get_fhir_model_class("Bundle").model_validate(head)
    except ValidationError as exc:
        out.append(Problem(_first(exc), Location(field="Bundle")))
    for i, item in enumerate(bundle.get("entry") or ()):
        resource = item.get("resource") if isinstance(item, dict) else None
        if not isinstance(resource, dict):
            out.append(Problem("entry without a resource", Location(field=f"entry[{i}]")))
            continue
        kind = str(resource.get("resourceType"))
        try:
            model = get_fhir_model_class(kind)
        except KeyError:
            out.append(Problem(f"unknown resourceType {kind!r}", Location(field=f"entry[{i}]")))
            continue
        try:
            model.model_validate(resource)
        except ValidationError as exc:
            out.append(Problem(f"{kind}: {_first(exc)}", Location(field=f"entry[{i}].resource")))
    return out


def _first(exc: Any) -> str:
    errors = exc.errors()
    if not errors:  # pragma: no cover - pydantic always lists one
        return str(exc)
    err = errors[0]
    where = ".".join(str(p) for p in err.get("loc", ()))
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {err.get('msg')}{more}"


def profile_problems(bundle: Json) -> list[Problem]:
    """Missing profile claims, and missing required or fixed elements of claimed profiles."""
    out: list[Problem] = []
    index = BundleIndex(bundle)
    try:
        index.check_references()
    except FormatError as exc:
        out.append(Problem(exc.message, exc.location))
    if v.P_BUNDLE in ((bundle.get("meta") or {}).get("profile") or ()):
        if bundle.get("type") != "collection":
            out.append(Problem("mCODE patient bundle must be a collection", Location(field="type")))
        if sum(e.type == "Patient" for e in index.entries) != 1:
            out.append(Problem("mCODE patient bundle needs one Patient", Location(field="entry")))
    for entry in index.entries:
        r = entry.resource
        claimed = list((r.get("meta") or {}).get("profile") or ())
        for profile in _expected_profiles(r):
            if profile not in claimed:
                out.append(
                    Problem(
                        f"{entry.type} does not claim profile {profile}",
                        Location(field=f"{entry.field}.meta.profile"),
                    )
                )
        for profile in claimed:
            for label, rule in RULES.get(profile, ()):
                if not rule(r):
                    short = profile.rsplit("/", 1)[-1]
                    out.append(
                        Problem(
                            f"{entry.type} claims {short} but lacks {label}",
                            Location(field=entry.field),
                        )
                    )
    return out


def validate_bundle(bundle: Json) -> list[Problem]:
    """Every problem found (empty when the Bundle passes both stages)."""
    return structure_problems(bundle) + profile_problems(bundle)
