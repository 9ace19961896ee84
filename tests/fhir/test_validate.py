"""validate_bundle: the fhir.resources R4B models, then the profiles' required elements."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tkiresist.io.casefile import read_case
from tkiresist.io.fhir import _vocab as v
from tkiresist.io.fhir import case_to_bundle, validate_bundle
from tkiresist.io.fhir.validate import profile_problems, structure_problems
from tkiresist.model.case import Case

from ..conftest import EXAMPLES

EXAMPLE_CASES = sorted(EXAMPLES.glob("*/case.yaml"))


def test_seed_bundle_validates(seed_bundle: dict[str, Any]) -> None:
    assert validate_bundle(seed_bundle) == []


@pytest.mark.parametrize("path", EXAMPLE_CASES, ids=[p.parent.name for p in EXAMPLE_CASES])
def test_every_example_validates(path: Path) -> None:
    assert validate_bundle(case_to_bundle(read_case(path), shift_days=0)) == []


def test_dated_case_validates_both_ways(dated_case: Case) -> None:
    assert validate_bundle(case_to_bundle(dated_case, shift_days=3)) == []
    assert validate_bundle(case_to_bundle(dated_case, include_identifiers=True)) == []


def _index(bundle: dict[str, Any], kind: str, profile: str | None = None) -> int:
    return next(
        i
        for i, e in enumerate(bundle["entry"])
        if e["resource"]["resourceType"] == kind
        and (profile is None or profile in e["resource"].get("meta", {}).get("profile", []))
    )


def test_the_models_catch_an_unknown_element(seed_bundle: dict[str, Any]) -> None:
    bad = copy.deepcopy(seed_bundle)
    i = _index(bad, "Specimen")
    bad["entry"][i]["resource"]["colour"] = "red"
    problems = structure_problems(bad)
    assert [(p.location.field, "colour" in p.message) for p in problems] == [
        (f"entry[{i}].resource", True)
    ]


def test_the_models_catch_a_malformed_date(seed_bundle: dict[str, Any]) -> None:
    bad = copy.deepcopy(seed_bundle)
    i = _index(bad, "Observation", v.P_DISEASE_STATUS)
    bad["entry"][i]["resource"]["effectiveDateTime"] = "13 months after osi"
    problems = structure_problems(bad)
    assert len(problems) == 1 and problems[0].location.field == f"entry[{i}].resource"


@pytest.mark.parametrize(
    ("kind", "profile", "remove", "lacks"),
    [
        ("Patient", v.P_PATIENT, "gender", "gender"),
        ("Patient", v.P_PATIENT, "name", "name"),
        ("MedicationRequest", v.P_MED_REQUEST, "reasonReference", "reason"),
        ("MedicationRequest", v.P_MED_REQUEST, "requester", "requester"),
        ("Observation", v.P_VARIANT, "valueCodeableConcept", "valueCodeableConcept"),
        ("Observation", v.P_VARIANT, "category", "category laboratory"),
        ("Observation", v.P_IMPLICATION, "derivedFrom", "derivedFrom"),
        ("Observation", v.P_DISEASE_STATUS, "effectiveDateTime", "effectiveDateTime"),
        ("Procedure", v.P_RADIOTHERAPY, "performedPeriod", "performedPeriod"),
        ("DiagnosticReport", v.P_GENOMIC_REPORT, "category", "category GE"),
        ("Condition", v.P_SECONDARY, "extension", "related primary condition"),
        ("Specimen", v.P_SPECIMEN, "type", "type"),
    ],
)
def test_missing_required_elements_are_named(
    seed_bundle: dict[str, Any], kind: str, profile: str, remove: str, lacks: str
) -> None:
    bad = copy.deepcopy(seed_bundle)
    i = _index(bad, kind, profile)
    del bad["entry"][i]["resource"][remove]
    messages = [
        p.message for p in profile_problems(bad) if p.location.field == f"entry[{i}].resource"
    ]
    assert any(f"lacks {lacks}" in m for m in messages), messages


def test_a_missing_profile_claim_is_named(seed_bundle: dict[str, Any]) -> None:
    bad = copy.deepcopy(seed_bundle)
    i = _index(bad, "Observation", v.P_VARIANT)
    bad["entry"][i]["resource"]["meta"]["profile"] = [v.P_MCODE_VARIANT]
    (problem,) = profile_problems(bad)
    assert problem.message == f"Observation does not claim profile {v.P_VARIANT}"
    assert problem.location.field == f"entry[{i}].resource.meta.profile"


def test_fixed_codes_are_checked(seed_bundle: dict[str, Any]) -> None:
    bad = copy.deepcopy(seed_bundle)
    i = _index(bad, "Procedure", v.P_RADIOTHERAPY)
    bad["entry"][i]["resource"]["code"] = {"text": "radiotherapy"}
    messages = [p.message for p in profile_problems(bad)]
    assert any("lacks code = SNOMED 1217123003" in m for m in messages)


def test_unresolved_references_are_reported(seed_bundle: dict[str, Any]) -> None:
    bad = copy.deepcopy(seed_bundle)
    i = _index(bad, "Specimen")
    bad["entry"][i]["resource"]["subject"] = {"reference": "Patient/ghost"}
    (problem,) = profile_problems(bad)
    assert "'Patient/ghost'" in problem.message
    assert problem.location.field == f"entry[{i}].resource.subject.reference"
