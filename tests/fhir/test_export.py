"""case_to_bundle: resources, codes and profiles the IGs specify, and Safe Harbor dates."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tkiresist.errors import FormatError
from tkiresist.io.fhir import _vocab as v
from tkiresist.io.fhir import case_to_bundle
from tkiresist.model.case import Case
from tkiresist.model.time import DAYS_PER_MONTH

from .conftest import components, has_code, resources


def _variant(bundle: dict[str, Any], name: str) -> dict[str, Any]:
    found = [
        r
        for r in resources(bundle, "Observation")
        if any(
            c["valueCodeableConcept"].get("text") == name
            for c in components(r, v.LOINC, v.L_VARIATION_CODE)
        )
    ]
    assert found, f"no Variant observation for {name}"
    return found[0]


def test_seed_bundle_is_a_collection_with_one_patient(seed_bundle: dict[str, Any]) -> None:
    assert seed_bundle["resourceType"] == "Bundle"
    assert seed_bundle["type"] == "collection"
    assert v.P_BUNDLE in seed_bundle["meta"]["profile"]
    assert len(resources(seed_bundle, "Patient")) == 1
    urls = [e["fullUrl"] for e in seed_bundle["entry"]]
    assert len(set(urls)) == len(urls)
    assert all(u.startswith("urn:uuid:") for u in urls)


def test_eml4_alk_has_two_gene_studied_components_and_gene_fusion(
    seed_bundle: dict[str, Any],
) -> None:
    obs = _variant(seed_bundle, "EML4::ALK")
    genes = [c["valueCodeableConcept"]["coding"][0] for c in components(obs, v.LOINC, "48018-6")]
    assert [(g["code"], g["display"]) for g in genes] == [
        ("HGNC:1316", "EML4"),
        ("HGNC:427", "ALK"),
    ]
    assert all(g["system"] == "http://www.genenames.org" for g in genes)
    (change,) = components(obs, v.LOINC, "48019-4")
    assert has_code(change["valueCodeableConcept"], "http://www.sequenceontology.org", "SO:0001565")
    assert has_code(obs["code"], v.LOINC, "69548-6")
    assert has_code(obs["valueCodeableConcept"], v.LOINC, "LA9633-4")  # Present
    assert {p for p in obs["meta"]["profile"]} == {v.P_VARIANT, v.P_MCODE_VARIANT}


def test_not_detected_variant_is_absent(seed_bundle: dict[str, Any]) -> None:
    absent = [
        r
        for r in resources(seed_bundle, "Observation")
        if has_code(r.get("valueCodeableConcept", {}), v.LOINC, "LA9634-2")
    ]
    names = sorted(
        components(r, v.LOINC, v.L_VARIATION_CODE)[0]["valueCodeableConcept"]["text"]
        for r in absent
    )
    assert names == ["ALK fusion", "EGFR p.T790M", "EGFR p.T790M"]


EXPECTED_PROFILES = [
    ("Patient", v.P_PATIENT),
    ("Specimen", v.P_SPECIMEN),
    ("MedicationRequest", v.P_MED_REQUEST),
    ("BodyStructure", v.P_RT_VOLUME),
]


@pytest.mark.parametrize(("kind", "profile"), EXPECTED_PROFILES)
def test_every_resource_of_a_kind_claims_its_profile(
    seed_bundle: dict[str, Any], kind: str, profile: str
) -> None:
    found = resources(seed_bundle, kind)
    assert found
    assert all(profile in r["meta"]["profile"] for r in found)


def test_every_resource_claims_a_profile(seed_bundle: dict[str, Any]) -> None:
    assert all(r.get("meta", {}).get("profile") for r in resources(seed_bundle))


def test_conditions_primary_and_secondary(seed_bundle: dict[str, Any]) -> None:
    conditions = resources(seed_bundle, "Condition")
    primary = [c for c in conditions if v.P_PRIMARY in c["meta"]["profile"]]
    secondary = [c for c in conditions if v.P_SECONDARY in c["meta"]["profile"]]
    assert len(primary) == 1
    assert has_code(primary[0]["code"], v.SNOMED, "254637007")
    assert has_code(primary[0]["code"], v.ONCOTREE, "LUAD")
    assert [c["bodySite"][0]["text"] for c in secondary] == ["brain", "bone"]
    assert has_code(secondary[0]["code"], v.SNOMED, "94225005")
    primary_id = primary[0]["id"]
    for c in secondary:
        (related,) = [x for x in c["extension"] if x["url"] == v.X_CONDITION_RELATED]
        assert related["valueReference"]["reference"].endswith(primary_id)


def test_therapy_lines_are_medication_requests_with_dose_text(
    seed_bundle: dict[str, Any],
) -> None:
    requests = resources(seed_bundle, "MedicationRequest")
    drugs = [
        (r["groupIdentifier"]["value"], r["medicationCodeableConcept"]["text"]) for r in requests
    ]
    assert drugs == [("osi", "osimertinib"), ("combo", "osimertinib"), ("combo", "alectinib")]
    alectinib = requests[2]["dosageInstruction"][0]
    assert alectinib["text"] == "600 mg"
    assert alectinib["timing"]["code"]["text"] == "twice daily"
    assert alectinib["doseAndRate"][0]["doseQuantity"] == {
        "value": 600,
        "unit": "mg",
        "system": v.UCUM,
        "code": "mg",
    }
    osi = requests[0]
    assert osi["status"] == "stopped"
    assert has_code(osi["statusReason"], v.SNOMED, "266721009")


def test_radiotherapy_course_summary_with_dose_and_fractions(
    seed_bundle: dict[str, Any],
) -> None:
    courses = [
        r for r in resources(seed_bundle, "Procedure") if v.P_RADIOTHERAPY in r["meta"]["profile"]
    ]
    assert len(courses) == 2
    doses = []
    for course in courses:
        assert has_code(course["code"], v.SNOMED, "1217123003")
        (dose,) = [x for x in course["extension"] if x["url"] == v.X_RT_DOSE]
        parts = {p["url"]: p for p in dose["extension"]}
        doses.append(
            (
                parts["totalDoseDelivered"]["valueQuantity"]["value"],
                parts["totalDoseDelivered"]["valueQuantity"]["code"],
                parts["fractionsDelivered"]["valueUnsignedInt"],
            )
        )
    assert doses == [(3250.0, "cGy", 5), (2000.0, "cGy", 5)]
    surgeries = [
        r for r in resources(seed_bundle, "Procedure") if v.P_SURGERY in r["meta"]["profile"]
    ]
    assert [s["code"]["text"] for s in surgeries] == [
        "Craniotomy with excision of brain metastasis"
    ]


def test_disease_status_for_every_response(seed_bundle: dict[str, Any], seed_case: Case) -> None:
    status = [
        r for r in resources(seed_bundle, "Observation") if has_code(r["code"], v.LOINC, "97509-4")
    ]
    responses = [e for e in seed_case.events if e.type == "response"]
    assert len(status) == len(responses) == 8
    trend = {"PD": "271299001", "CR": "268910001", "PR": "268910001"}
    for obs, resp in zip(status, responses, strict=True):
        assert resp.type == "response"
        assert obs["valueCodeableConcept"]["text"] == resp.category
        assert has_code(obs["valueCodeableConcept"], v.SNOMED, trend[resp.category])
        assert v.P_DISEASE_STATUS in obs["meta"]["profile"]


def test_therapeutic_implications(seed_bundle: dict[str, Any]) -> None:
    implications = [
        r
        for r in resources(seed_bundle, "Observation")
        if has_code(r["code"], v.GR_TBD, "therapeutic-implication")
    ]
    eml4 = next(
        e["fullUrl"]
        for e in seed_bundle["entry"]
        if e["resource"] is _variant(seed_bundle, "EML4::ALK")
    )

    def answer(obs: dict[str, Any]) -> str:
        (comp,) = components(obs, v.GR_TBD, "therapeutic-implication")
        return str(comp["valueCodeableConcept"]["coding"][0]["code"])

    def drugs(obs: dict[str, Any]) -> list[str]:
        return [c["valueCodeableConcept"]["text"] for c in components(obs, v.LOINC, "51963-7")]

    resistant = [o for o in implications if answer(o) == "LA6676-6"]
    responsive = [o for o in implications if answer(o) == "LA6677-4"]
    assert [drugs(o) for o in resistant] == [["osimertinib"]]
    assert drugs(responsive[0]) == ["osimertinib", "alectinib"]
    # mechanism-directed options derive from the ALK fusion; standard care of the line (offered
    # beside it since #12) derives from every finding present at the decision point
    for obs in [*resistant, *(o for o in responsive if "alectinib" in drugs(o))]:
        assert [d["reference"] for d in obs["derivedFrom"]] == [eml4]
    standard = [o for o in responsive if "carboplatin" in drugs(o)]
    assert standard and all(eml4 in [d["reference"] for d in o["derivedFrom"]] for o in standard)
    for obs in implications:
        assert components(obs, v.LOINC, "93044-6")  # evidence level
        assert "valueCodeableConcept" not in obs
        assert v.P_IMPLICATION in obs["meta"]["profile"]


def test_hgvs_vaf_and_read_components(dated_case: Case) -> None:
    bundle = case_to_bundle(dated_case, shift_days=0)
    obs = _variant(bundle, "EGFR c.2573T>G (NP_005219.2:p.L858R)")
    (protein,) = components(obs, v.LOINC, "48005-3")
    (cdna,) = components(obs, v.LOINC, "48004-6")
    (vaf,) = components(obs, v.LOINC, "81258-6")
    (reads,) = components(obs, v.LOINC, "82121-5")
    assert protein["valueCodeableConcept"]["coding"][0]["code"] == "NP_005219.2:p.L858R"
    assert cdna["valueCodeableConcept"]["coding"][0]["code"] == "c.2573T>G"
    assert vaf["valueQuantity"] == {
        "value": 0.31,
        "unit": "relative frequency of a particular allele in the specimen",
        "system": v.UCUM,
        "code": "1",
    }
    assert reads["valueQuantity"]["value"] == 252
    met = _variant(bundle, "MET amplification (copy number 8)")
    (cn,) = components(met, v.LOINC, "82155-3")
    assert cn["valueQuantity"]["value"] == 8


_DATE = re.compile(r"\b\d{4}-\d{2}(?:-\d{2})?\b")


def _dates(bundle: dict[str, Any]) -> set[str]:
    return set(_DATE.findall(json.dumps(bundle)))


def test_default_export_holds_no_real_date_other_than_year(dated_case: Case) -> None:
    real = {"2021-03-14", "2021-03-02", "2021-04", "2022-07-20", "2022-08-01", "2022-08-12"}
    for shift in (0, 1, 100, 364):
        bundle = case_to_bundle(dated_case, shift_days=shift)
        found = _dates(bundle)
        assert found, "the shifted timeline still has dates"
        assert not found & real
        assert all(len(d) == 10 for d in found)  # synthetic days, never the source's months
        assert "dates-shifted" in {t["code"] for t in bundle["meta"]["tag"]}
        (patient,) = resources(bundle, "Patient")
        assert patient["birthDate"] == "1963"  # year only (2021 - 58)
        assert "family" not in json.dumps(patient["name"])


def test_default_dates_follow_the_shift_not_the_calendar(dated_case: Case) -> None:
    """Every exported date moves by exactly one day when the shift does: none is anchored
    to the source's real month or day."""
    import datetime as dt

    def all_dates(bundle: dict[str, Any]) -> list[dt.date]:
        return [dt.date.fromisoformat(d) for d in _DATE.findall(json.dumps(bundle))]

    a = all_dates(case_to_bundle(dated_case, shift_days=40))
    b = all_dates(case_to_bundle(dated_case, shift_days=41))
    assert len(a) == len(b) > 10
    assert {(y - x).days for x, y in zip(a, b, strict=True)} == {1}


def test_default_export_shifts_origin_by_shift_days(dated_case: Case) -> None:
    a = case_to_bundle(dated_case, shift_days=0)
    b = case_to_bundle(dated_case, shift_days=10)
    (dx_a,) = [r for r in resources(a, "Condition") if v.P_PRIMARY in r["meta"]["profile"]]
    (dx_b,) = [r for r in resources(b, "Condition") if v.P_PRIMARY in r["meta"]["profile"]]
    assert dx_a["onsetDateTime"] == "2021-01-01"
    assert dx_b["onsetDateTime"] == "2021-01-11"


def test_shifted_timeline_keeps_intervals(dated_case: Case) -> None:
    bundle = case_to_bundle(dated_case, shift_days=33)
    months = dated_case.months()
    (dx,) = [r for r in resources(bundle, "Condition") if v.P_PRIMARY in r["meta"]["profile"]]
    (pd,) = [r for r in resources(bundle, "Observation") if has_code(r["code"], v.LOINC, "97509-4")]
    import datetime as dt

    gap = dt.date.fromisoformat(pd["effectiveDateTime"]) - dt.date.fromisoformat(
        dx["onsetDateTime"]
    )
    assert gap.days == round(months["pd-1"] * DAYS_PER_MONTH)
    rel = next(x for x in pd["_effectiveDateTime"]["extension"] if x["url"] == v.X_RELATIVE)
    parts = {p["url"]: p for p in rel["extension"]}
    assert parts["relationship"]["valueCode"] == "after-start"
    assert parts["offset"]["valueDuration"]["value"] == pytest.approx(
        months["pd-1"] * DAYS_PER_MONTH
    )


def test_include_identifiers_writes_the_real_dates(dated_case: Case) -> None:
    bundle = case_to_bundle(dated_case, include_identifiers=True)
    found = _dates(bundle)
    assert {"2021-03-14", "2021-03-02", "2021-04", "2022-07-20"} <= found
    assert "dates-real" in {t["code"] for t in bundle["meta"]["tag"]}


def test_age_over_89_is_aggregated(dated_case: Case) -> None:
    old = dated_case.model_copy(
        update={"patient": dated_case.patient.model_copy(update={"age_at_diagnosis": 93})}
    )
    bundle = case_to_bundle(old, shift_days=0)
    (patient,) = resources(bundle, "Patient")
    assert "birthDate" not in patient
    (dx,) = [r for r in resources(bundle, "Condition") if v.P_PRIMARY in r["meta"]["profile"]]
    (age,) = [x for x in dx["extension"] if x["url"] == v.X_AGE]
    assert age["valueAge"]["value"] == 90 and age["valueAge"]["comparator"] == ">="


def test_shift_days_out_of_range_is_refused(dated_case: Case) -> None:
    with pytest.raises(FormatError, match="shift_days"):
        case_to_bundle(dated_case, shift_days=10**6)


def test_export_is_deterministic_for_a_given_shift(seed_case: Case) -> None:
    assert case_to_bundle(seed_case, shift_days=5) == case_to_bundle(seed_case, shift_days=5)


def test_first_line_implications_derive_from_the_driver_at_diagnosis(seed_case: Case) -> None:
    """At diagnosis (``interpret --at dx``) the seed's EGFR exon 19 deletion is there before any
    therapy (status ``baseline``): the first-line implications (osimertinib, FLAURA) must name
    it as what they derive from, as a molecular tumour board reading the FHIR export expects.
    Before the ``baseline`` status reached the export, they derived from nothing."""
    from tkiresist.interpret.engine import interpret
    from tkiresist.knowledge.loader import load_knowledge_base

    result = interpret(seed_case, load_knowledge_base(), at="dx")
    assert "baseline" in {s.status for s in result.alterations}
    bundle = case_to_bundle(seed_case, result, shift_days=0)
    implications = [
        r
        for r in resources(bundle, "Observation")
        if has_code(r["code"], v.GR_TBD, "therapeutic-implication")
    ]
    assert implications
    for obs in implications:
        assert obs.get("derivedFrom"), obs["id"]
