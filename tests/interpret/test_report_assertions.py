"""What a report says beside its findings (#12): its own claim that an alteration is new, and a
structured record of orthogonal agreement (was a substring of a note).

The case below is a SYNTHETIC scenario, not a published patient."""

from __future__ import annotations

import pytest

from tkiresist.errors import CaseValidationError
from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import parse_case_text, read_case
from tkiresist.knowledge.loader import load_knowledge_base

from ..conftest import SEED_CASE

KB = load_knowledge_base()

CASE = """schema_version: "1.0"
id: scenario-reported-new
pseudonym: SCENARIO
notes: Synthetic scenario (#12); not a published patient.
events:
  - {id: dx, type: diagnosis, histology: adenocarcinoma, oncotree_code: LUAD,
     driver: egfr_sensitising}
  - {id: osi, type: therapy, line: 1, agents: [osimertinib], start: 0 months after dx,
     stop: 20 months after osi, stop_reason: progression}
  - {id: pd, type: response, time: 20 months after osi, category: PD, therapy: osi}
  - {id: spec, type: specimen, time: 0 days after pd, kind: tissue, site: lung,
     site_kind: extracranial}
  - id: ngs
    type: test
    specimen: spec
    assay: oncomine-precision
    findings:
      - alteration: EML4::ALK
        status: detected
        REPORTED
"""


def _case(reported: str) -> str:
    return CASE.replace("REPORTED", reported)


def test_the_reports_claim_that_a_fusion_is_new_makes_it_acquired_and_says_so() -> None:
    """'Newly emerged ALK rearrangement' with no earlier test in the case: an oncologist reads
    the fusion as acquired on the report's word, and wants to see that it is the report's word,
    not the engine's inference."""
    case = parse_case_text(_case('reported_new: "a newly emerged EML4-ALK fusion"'), "c.yaml")
    result = interpret(case, KB)
    (alk,) = [s for s in result.alterations if s.name == "EML4::ALK"]
    assert alk.status == "acquired"
    assert alk.reported_acquired == "a newly emerged EML4-ALK fusion"
    assert any("acquired per the report" in n for n in alk.notes)
    (mech,) = result.mechanisms
    assert mech.acquired is True


def test_without_the_claim_the_fusion_stays_not_assessable() -> None:
    case = parse_case_text(_case("vaf: 0.1"), "c.yaml")
    (alk,) = [s for s in interpret(case, KB).alterations if s.name == "EML4::ALK"]
    assert alk.status == "not_assessable" and alk.reported_acquired is None


def test_a_claim_on_a_negative_finding_is_refused_located() -> None:
    text = _case('reported_new: "new"').replace("status: detected", "status: not_detected")
    with pytest.raises(CaseValidationError) as info:
        parse_case_text(text, "c.yaml")
    assert any("reported_new" in str(p) for p in info.value.problems)


def test_orthogonal_agreement_is_a_field_not_a_phrase() -> None:
    """The seed's EML4::ALK by NGS and ALK IHC positive agree: both carry orthogonal='agree',
    and the IHC row is not listed as unmatched by the knowledge base."""
    result = interpret(read_case(SEED_CASE), KB)
    agreeing = {s.name for s in result.alterations if s.orthogonal == "agree"}
    assert "EML4::ALK" in agreeing
    ihc = [
        s for s in result.alterations if s.alteration.kind == "expression" and s.name in agreeing
    ]
    assert ihc and not set(s.name for s in ihc) & set(result.unmatched)
