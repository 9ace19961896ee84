"""The seed patient must come out as issue #3 states (Cheung et al. 2025)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tkiresist.cli import app
from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import read_case
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.model.interpretation import Interpretation

from ..conftest import SEED_CASE


@pytest.fixture(scope="module")
def result() -> Interpretation:
    return interpret(read_case(SEED_CASE), load_knowledge_base())


def _status(result: Interpretation, name: str) -> str:
    for a in result.alterations:
        if a.name == name:
            return a.status
    raise AssertionError(f"{name} not in {[a.name for a in result.alterations]}")


def test_decision_point_is_the_last_brain_progression_on_osimertinib(
    result: Interpretation,
) -> None:
    dp = result.decision_point
    assert dp.event_id == "pd-brain-3"
    assert dp.therapy is not None
    assert dp.therapy.drugs == ("osimertinib",)
    assert "egfr_tki" in dp.therapy.drug_classes
    assert dp.cns_disease and dp.cns_progression


def test_serial_statuses(result: Interpretation) -> None:
    assert _status(result, "EGFR exon 19 deletion") == "persistent"
    assert _status(result, "EML4::ALK") == "acquired"
    assert _status(result, "EGFR p.T790M") == "not_detected"
    assert _status(result, "ALK IHC positive") == "acquired"


def test_alk_fusion_bypass_mechanism(result: Interpretation) -> None:
    alk = [m for m in result.mechanisms if "EML4::ALK" in m.alterations]
    assert alk, result.mechanisms
    assert all(m.class_ == "off_target" for m in alk)
    assert all(m.acquired for m in alk)


def test_first_option_is_cns_active_egfr_plus_alk_tki(result: Interpretation) -> None:
    first = result.options[0]
    assert first.drugs in (("osimertinib", "alectinib"), ("osimertinib", "lorlatinib"))
    assert first.cns_active is True
    assert first.citations and all(c.doi or c.pmid for c in first.citations)
    ranks = {o.drugs: o.rank for o in result.options}
    assert ("osimertinib", "crizotinib") in ranks
    assert first.rank < ranks[("osimertinib", "crizotinib")]
    # with progression in the CNS, both CNS-active ALK TKIs rank above crizotinib
    assert ranks[("osimertinib", "lorlatinib")] < ranks[("osimertinib", "crizotinib")]


def test_orthogonal_ihc_confirmation_is_noted_as_done(result: Interpretation) -> None:
    ortho = [t for t in result.recommended_tests if t.kind == "orthogonal_confirmation"]
    assert [t.status for t in ortho] == ["done"]


def test_json_contract_via_cli() -> None:
    out = CliRunner().invoke(app, ["interpret", str(SEED_CASE), "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert set(data["decision_point"]) >= {"event_id", "therapy"}
    alt = data["alterations"][0]
    assert set(alt) >= {"name", "genes", "category", "status", "evidence"}
    mech = data["mechanisms"][0]
    assert set(mech) >= {"id", "label", "class", "alterations", "statements"}
    opt = data["options"][0]
    assert set(opt) >= {"rank", "drugs", "rationale", "evidence_level", "cns_active", "citations"}
    assert all(d == d.lower() for d in opt["drugs"])
    assert set(data["knowledge_base"]) == {"version", "date"}
    assert "research use only" in data["disclaimer"].lower()
    assert {"kind", "reason"} <= set(data["recommended_tests"][0])


def test_text_summary_carries_stamp_and_disclaimer() -> None:
    out = CliRunner().invoke(app, ["interpret", str(SEED_CASE)])
    assert out.exit_code == 0, out.output
    assert "EML4::ALK" in out.stdout and "ACQUIRED" in out.stdout
    assert "Knowledge base" in out.stdout
    assert "For research use only" in out.stdout


def test_unverified_citations_are_flagged_wherever_shown(result: Interpretation) -> None:
    from tkiresist.report.text import render_text

    kb = load_knowledge_base()
    shown = [c for o in result.options for c in o.citations]
    assert shown
    for c in shown:
        assert c.uncertain == kb.citations[c.id].uncertain, c.id
    text = render_text(result)
    assert ("(citation not fully verified)" in text) == any(c.uncertain for c in shown)
