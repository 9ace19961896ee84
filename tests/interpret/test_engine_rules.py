"""Engine rules on small constructed cases: each status, heterogeneity, contradictions, the
driver-lost preference, no decision point, and unmatched alterations listed, never dropped."""

from __future__ import annotations

import pytest

from tkiresist.errors import InterpretationError
from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import parse_case_text
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.model.interpretation import Interpretation

BASE = """
schema_version: "1.0"
id: rules-1
pseudonym: RULES
events:
  - {{id: dx, type: diagnosis, histology: adenocarcinoma}}
  - {{id: s0, type: specimen, time: 0 months after dx, kind: tissue}}
  - id: t0
    type: test
    specimen: s0
    assay: {baseline_assay}
    findings: {baseline}
  - {{id: osi, type: therapy, agents: [osimertinib], start: 1 months after dx}}
  - {{id: s1, type: specimen, time: 14 months after dx, kind: {kind1}}}
  - id: t1
    type: test
    specimen: s1
    assay: {progression_assay}
    findings: {progression}
{extra}
  - {{id: pd, type: response, time: 15 months after dx, category: PD, therapy: osi{site}}}
"""


def run(
    baseline: str,
    progression: str,
    *,
    baseline_assay: str = "oncomine-precision",
    progression_assay: str = "oncomine-precision",
    kind1: str = "tissue",
    extra: str = "",
    site: str = "",
) -> Interpretation:
    text = BASE.format(
        baseline=baseline,
        progression=progression,
        baseline_assay=baseline_assay,
        progression_assay=progression_assay,
        kind1=kind1,
        extra=extra,
        site=site,
    )
    return interpret(parse_case_text(text, "rules.yaml"), load_knowledge_base())


def status(result: Interpretation, name: str) -> str:
    return next(a.status for a in result.alterations if a.name == name)


def test_acquired_needs_an_earlier_assay_that_covered_it() -> None:
    r = run('["EGFR L858R"]', '["EGFR L858R", "MET amplification"]')
    assert status(r, "EGFR p.L858R") == "persistent"
    assert status(r, "MET amplification") == "acquired"
    # an IHC-only baseline could not have seen MET amplification: not assessable
    r = run(
        "[{alteration: {kind: expression, marker: ALK, result: negative}}]",
        '["EGFR L858R", "MET amplification"]',
        baseline_assay="ihc-alk",
    )
    assert status(r, "MET amplification") == "not_assessable"


def test_lost_driver_prefers_the_bypass_drug_alone() -> None:
    r = run('["EGFR exon 19 deletion"]', '["EML4::ALK"]')
    assert status(r, "EGFR exon 19 deletion") == "lost"
    assert any(m.class_ == "off_target" for m in r.mechanisms)
    first = r.options[0]
    assert not any(d in ("osimertinib", "gefitinib", "erlotinib", "afatinib") for d in first.drugs)


def test_explicit_negative_is_reported_not_dropped() -> None:
    r = run('["EGFR L858R"]', '["EGFR L858R", {alteration: EGFR T790M, status: not_detected}]')
    assert status(r, "EGFR p.T790M") == "not_detected"


def test_spatial_heterogeneity_between_current_biopsies() -> None:
    extra = """  - {id: s2, type: specimen, time: 14 months after dx, kind: tissue}
  - id: t2
    type: test
    specimen: s2
    assay: oncomine-precision
    findings: ["EGFR L858R"]"""
    r = run('["EGFR L858R"]', '["EGFR L858R", "MET amplification"]', extra=extra)
    met = next(a for a in r.alterations if a.name == "MET amplification")
    assert met.status == "acquired" and met.heterogeneous
    assert any("heterogeneity" in w for w in r.warnings)
    assert {e.specimen for e in met.evidence if e.phase == "current"} == {"s1", "s2"}


def test_contradictory_findings_warn_and_still_answer() -> None:
    r = run(
        '["EGFR L858R"]',
        '["EGFR L858R", "MET amplification", {alteration: MET amplification, '
        "status: not_detected}]",
    )
    assert any("contradictory" in w for w in r.warnings)
    assert r.options


def test_unknown_alteration_listed_as_no_kb_match() -> None:
    r = run('["EGFR L858R"]', '["EGFR L858R", "STK11 Q37*"]', progression_assay="ngs-dna-hotspot")
    assert "STK11 p.Q37*" in r.unmatched


def test_plasma_without_fusion_asks_for_tissue() -> None:
    r = run('["EGFR L858R"]', '["EGFR L858R"]', kind1="plasma")
    kinds = {t.kind: t for t in r.recommended_tests}
    assert "repeat_testing" in kinds
    assert "plasma" in kinds["repeat_testing"].reason


def test_c797s_with_t790m_asks_for_phasing() -> None:
    r = run('["EGFR exon 19 deletion"]', '["EGFR exon 19 deletion", "EGFR T790M", "EGFR C797S"]')
    assert "cis_trans_phasing" in {t.kind for t in r.recommended_tests}
    assert any(m.class_ == "on_target" for m in r.mechanisms)


def test_no_progression_is_a_clear_answer() -> None:
    text = BASE.format(
        baseline='["EGFR L858R"]',
        progression='["EGFR L858R"]',
        baseline_assay="oncomine-precision",
        progression_assay="oncomine-precision",
        kind1="tissue",
        extra="",
        site="",
    ).replace("category: PD", "category: PR")
    case = parse_case_text(text, "no-pd.yaml")
    with pytest.raises(InterpretationError, match="no decision point"):
        interpret(case, load_knowledge_base())
    # --at gives an answer anyway
    assert interpret(case, load_knowledge_base(), at="pd").decision_point.event_id == "pd"


def test_trace_lists_fired_and_unfired_statements() -> None:
    r = run('["EGFR L858R"]', '["EGFR L858R", "MET amplification"]')
    fired = {t.statement for t in r.trace if t.fired}
    assert fired and all(any(s in fired for s in o.statements) for o in r.options)
    assert any(not t.fired for t in r.trace)


def _c797s(phase: str | None) -> Interpretation:
    c797s = "EGFR C797S" if phase is None else f"{{alteration: EGFR C797S, phase: {phase}}}"
    return run('["EGFR exon 19 deletion"]', f'["EGFR exon 19 deletion", "EGFR T790M", {c797s}]')


def test_reported_phase_selects_the_cis_or_trans_statement() -> None:
    unknown = _c797s(None)
    trans = _c797s("trans")
    cis = _c797s("cis")
    fired = {
        name: {t.statement for t in r.trace if t.fired}
        for name, r in (("unknown", unknown), ("trans", trans), ("cis", cis))
    }
    assert {"egfr-c797x-t790m-cis", "egfr-c797x-t790m-trans"} <= fired["unknown"]
    assert "egfr-c797x-t790m-trans" in fired["trans"]
    assert "egfr-c797x-t790m-cis" not in fired["trans"]
    assert "egfr-c797x-t790m-cis" in fired["cis"]
    assert "egfr-c797x-t790m-trans" not in fired["cis"]
    phasing = {r: next(t for t in x.recommended_tests if t.kind == "cis_trans_phasing")
               for r, x in (("unknown", unknown), ("trans", trans))}  # fmt: skip
    assert phasing["unknown"].status == "needed"
    assert phasing["trans"].status == "done"


def test_phase_only_for_c797x() -> None:
    from tkiresist.errors import CaseValidationError

    with pytest.raises(CaseValidationError, match="applies to EGFR C797X only"):
        run('["EGFR L858R"]', "[{alteration: EGFR T790M, phase: cis}]")


def test_unverified_citation_is_marked_in_json_and_text() -> None:
    from tkiresist.report.text import render_text

    r = run('["EGFR exon 19 deletion"]', '["EGFR exon 19 deletion", "CCDC6::RET"]')
    cites = {c.id: c for o in r.options for c in o.citations}
    assert cites["piotrowska-2018"].uncertain is True
    assert cites["offin-2018"].uncertain is False
    assert "Piotrowska 2018, doi:10.1158/2159-8290.CD-18-1022 (citation not fully verified)" in (
        render_text(r)
    )
