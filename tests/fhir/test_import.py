"""bundle_to_case: the round trip, foreign Bundles, and located errors for bad Bundles."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from tkiresist.errors import FormatError
from tkiresist.io.casefile import read_case
from tkiresist.io.fhir import _vocab as v
from tkiresist.io.fhir import bundle_to_case, case_to_bundle, read_bundle
from tkiresist.model.case import Case

from ..conftest import DATA, EXAMPLES
from .conftest import resources

FHIR_DATA = DATA / "formats" / "fhir"
EXAMPLE_CASES = sorted(EXAMPLES.glob("*/case.yaml"))


def _without_conflicts(case: Case, like: Case) -> Case:
    """FHIR has no place for source conflicts (documented): compare the rest."""
    return case.model_copy(update={"conflicts": like.conflicts})


@pytest.mark.parametrize("path", EXAMPLE_CASES, ids=[p.parent.name for p in EXAMPLE_CASES])
@pytest.mark.parametrize("include_identifiers", [False, True], ids=["shifted", "real"])
def test_round_trip_of_every_example_is_exact(path: Path, include_identifiers: bool) -> None:
    case = read_case(path)
    back = bundle_to_case(
        case_to_bundle(case, shift_days=11, include_identifiers=include_identifiers)
    )
    assert _without_conflicts(back, case) == case


def test_seed_round_trip_with_interpretation(seed_case: Case, seed_bundle: dict[str, Any]) -> None:
    result = read_bundle(seed_bundle)
    assert _without_conflicts(result.case, seed_case) == seed_case
    assert sum("TherapeuticImplication" in s or "therapeutic" in s.lower() for s in result.skipped)
    assert result.approximated == ()


def test_round_trip_of_a_dated_case_with_real_dates_is_exact(dated_case: Case) -> None:
    back = bundle_to_case(case_to_bundle(dated_case, include_identifiers=True))
    assert back == dated_case


def test_round_trip_of_a_dated_case_shifted_keeps_times_to_the_day(dated_case: Case) -> None:
    result = read_bundle(case_to_bundle(dated_case, shift_days=200))
    back = result.case
    assert [e.id for e in back.events] == [e.id for e in dated_case.events]
    assert back.diagnosis.time is None  # the real date is not exported
    before, after = dated_case.months(), back.months()
    for key, month in before.items():
        if key in ("spec-1", "ngs-1"):  # 12 days before the diagnosis: placed at it
            assert after[key] == 0
            continue
        assert abs(month - after[key]) * 30.4375 < 1, key
    assert result.approximated == ("entry 6 collectedDateTime: 12 days before 'dx', placed at it",)
    for old, new in zip(dated_case.events, back.events, strict=True):
        if old.type == "test":
            assert new.type == "test"
            assert new.findings == old.findings
            assert new.assay == old.assay
        if old.type == "response":
            assert new.type == "response"
            assert (new.category, new.criteria, new.lesions) == (
                old.category,
                old.criteria,
                old.lesions,
            )
    assert back.patient == dated_case.patient
    assert back.assays == dated_case.assays


@settings(max_examples=30, deadline=None)
@given(
    days=hs.lists(hs.floats(min_value=0, max_value=3000, allow_nan=False), min_size=3, max_size=3),
    shift=hs.integers(min_value=-3650, max_value=3650),
    approximate=hs.booleans(),
)
def test_relative_times_survive_any_offset_and_shift(
    seed_case: Case, days: list[float], shift: int, approximate: bool
) -> None:
    from tkiresist.model.time import TimePoint

    def at(event_id: str, d: float) -> TimePoint:
        return TimePoint(after=event_id, days=d, approximate=approximate)

    events = list(seed_case.events)
    for i, e in enumerate(events):
        if e.id == "resp-pr":
            events[i] = e.model_copy(update={"time": at("osi", days[0])})
        if e.id == "status-epilepticus":
            events[i] = e.model_copy(update={"time": at("srt", days[1])})
        if e.id == "cr-12m":
            events[i] = e.model_copy(update={"time": at("combo", days[2])})
    case = Case.model_validate({**seed_case.model_dump(), "events": events})
    back = bundle_to_case(case_to_bundle(case, shift_days=shift))
    assert _without_conflicts(back, case) == case


def _swap_reference(bundle: dict[str, Any], index: int, key: str, ref: str) -> dict[str, Any]:
    bad = copy.deepcopy(bundle)
    bad["entry"][index]["resource"][key] = {"reference": ref}
    return bad


def test_unresolved_reference_is_a_located_error(seed_bundle: dict[str, Any]) -> None:
    index = next(
        i
        for i, e in enumerate(seed_bundle["entry"])
        if e["resource"]["resourceType"] == "Observation" and "subject" in e["resource"]
    )
    bad = _swap_reference(seed_bundle, index, "subject", "Patient/nobody")
    with pytest.raises(FormatError) as info:
        bundle_to_case(bad)
    err = info.value
    assert "'Patient/nobody'" in err.message
    assert f"entry {index}" in err.message
    assert err.location.field == f"entry[{index}].resource.subject.reference"


def test_unresolved_reference_inside_an_extension_is_found(seed_bundle: dict[str, Any]) -> None:
    bad = copy.deepcopy(seed_bundle)
    for i, e in enumerate(bad["entry"]):
        ext = e["resource"].get("extension", [])
        for x in ext:
            if x["url"] == v.X_THERAPY:
                x["valueReference"]["reference"] = "urn:uuid:00000000-0000-0000-0000-000000000000"
                with pytest.raises(FormatError) as info:
                    bundle_to_case(bad)
                assert info.value.location.field is not None
                assert info.value.location.field.startswith(f"entry[{i}].resource.extension[")
                return
    pytest.fail("no response assessment names its therapy")


@pytest.mark.parametrize(
    ("bundle", "message", "field"),
    [
        ({"resourceType": "Patient"}, "expected a FHIR Bundle", "resourceType"),
        ([], "expected a FHIR Bundle", "resourceType"),
        ({"resourceType": "Bundle", "entry": {}}, "Bundle.entry must be a list", "entry"),
        ({"resourceType": "Bundle", "entry": [{"fullUrl": "x"}]}, "no resource", "entry[0]"),
        ({"resourceType": "Bundle", "entry": []}, "exactly one Patient", "entry"),
    ],
)
def test_malformed_bundles_are_refused(bundle: Any, message: str, field: str) -> None:
    with pytest.raises(FormatError, match=message) as info:
        bundle_to_case(bundle)
    assert info.value.location.field == field


def test_gene_code_and_symbol_must_agree(seed_bundle: dict[str, Any]) -> None:
    bad = copy.deepcopy(seed_bundle)
    for e in bad["entry"]:
        for comp in e["resource"].get("component", ()):
            coding = comp.get("valueCodeableConcept", {}).get("coding", [{}])[0]
            if coding.get("display") == "EML4":
                coding["code"] = "HGNC:427"
    with pytest.raises(FormatError, match="'EML4' is HGNC:1316 in HGNC, not HGNC:427"):
        bundle_to_case(bad)


def test_unknown_drug_is_a_located_error(seed_bundle: dict[str, Any]) -> None:
    bad = copy.deepcopy(seed_bundle)
    i = next(
        i
        for i, e in enumerate(bad["entry"])
        if e["resource"]["resourceType"] == "MedicationRequest"
    )
    bad["entry"][i]["resource"]["medicationCodeableConcept"] = {"text": "osimertinob"}
    with pytest.raises(FormatError, match="unknown drug 'osimertinob'") as info:
        bundle_to_case(bad)
    assert info.value.location.field == f"entry[{i}].resource.medicationCodeableConcept"


def test_genomics_reporting_oncology_example_is_refused_without_a_diagnosis() -> None:
    bundle = json.loads((FHIR_DATA / "genomics-reporting_oncology-report-example.json").read_text())
    with pytest.raises(FormatError, match="no primary-cancer Condition"):
        bundle_to_case(bundle)


def test_genomics_reporting_oncology_example_imports_under_a_placeholder() -> None:
    bundle = json.loads((FHIR_DATA / "genomics-reporting_oncology-report-example.json").read_text())
    result = read_bundle(bundle, placeholder_diagnosis=True)
    case = result.case
    assert case.diagnosis.oncotree_code == "UNKNOWN"
    (test,) = [e for e in case.events if e.type == "test"]
    assert test.type == "test"
    assert len(test.findings) == 12
    first = test.findings[0]
    assert first.alteration.name == "PIK3CA p.H1047R"
    assert (first.vaf, first.alt_reads, first.status) == (0.2188, 64, "detected")
    names = {f.alteration.name for f in test.findings}
    assert {"NRAS p.G12C", "CDKN2A p.A4_P11del", "IRS2 c.3960C>T"} <= names
    assert result.skipped == ("entry 0: Organization (no place in a case)",)
    assay = case.assay(test.assay)
    assert assay is not None and "PIK3CA" in assay.coverage.sequence_variant
    assert case.pseudonym.startswith("FHIR-") and "11111" not in case.pseudonym


def test_a_single_observation_is_not_a_bundle() -> None:
    obs = json.loads((FHIR_DATA / "genomics-reporting_Observation-SNVexample.json").read_text())
    with pytest.raises(FormatError, match="got 'Observation'"):
        bundle_to_case(obs)


def test_two_primary_cancers_are_refused(seed_bundle: dict[str, Any]) -> None:
    bad = copy.deepcopy(seed_bundle)
    (primary,) = [
        e for e in bad["entry"] if v.P_PRIMARY in e["resource"].get("meta", {}).get("profile", [])
    ]
    twin = copy.deepcopy(primary)
    twin["fullUrl"] = "urn:uuid:11111111-1111-1111-1111-111111111111"
    twin["resource"]["id"] = "11111111-1111-1111-1111-111111111111"
    bad["entry"].append(twin)
    with pytest.raises(FormatError, match="second primary-cancer Condition"):
        bundle_to_case(bad)


def test_resources_without_a_place_are_listed(seed_bundle: dict[str, Any]) -> None:
    extra = copy.deepcopy(seed_bundle)
    extra["entry"].append(
        {
            "fullUrl": "urn:uuid:22222222-2222-2222-2222-222222222222",
            "resource": {"resourceType": "Organization", "name": "Lab"},
        }
    )
    result = read_bundle(extra)
    assert any("Organization" in s for s in result.skipped)
    assert len(resources(extra, "Organization")) == 1


def test_histology_finding_as_the_pathologist_writes_it_is_read_against_the_diagnosis(
    seed_case: Case,
) -> None:
    """A FHIR Bundle whose re-biopsy histology finding carries only the pathologist's words
    ("Small cell carcinoma", no code), after an adenocarcinoma diagnosis: read as small-cell
    transformation, as the case-file reader reads it (one reading, nomenclature.histology).
    SYNTHETIC: the seed's Bundle with a finding added."""
    from tkiresist.model.alterations import Histology
    from tkiresist.model.findings import Finding
    from tkiresist.model.timeline import MolecularTest

    events = list(seed_case.events)
    i = next(k for k, e in enumerate(events) if isinstance(e, MolecularTest) and k > 2)
    test = events[i]
    assert isinstance(test, MolecularTest)
    finding = Finding(
        alteration=Histology(histology="small_cell_transformation"), method="histology"
    )
    events[i] = test.model_copy(update={"findings": (*test.findings, finding)})
    case = seed_case.model_copy(update={"events": tuple(events)})
    bundle = case_to_bundle(case, shift_days=0)
    n = 0
    for entry in bundle["entry"]:
        r = entry["resource"]
        if r.get("resourceType") == "Observation" and v.has_code(
            r.get("code"), v.SYS_CODES, "histology-finding"
        ):
            r["valueCodeableConcept"] = {"text": "Small cell carcinoma"}
            n += 1
    assert n == 1
    back = bundle_to_case(bundle)
    read = [
        f.alteration
        for e in back.events
        if isinstance(e, MolecularTest)
        for f in e.findings
        if isinstance(f.alteration, Histology)
    ]
    assert [h.histology for h in read] == ["small_cell_transformation"]
