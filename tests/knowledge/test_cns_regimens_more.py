"""CNS evidence per regimen, continued (#13): BLOOM, and the MET TKIs' intracranial evidence.

EVERY CASE HERE IS SYNTHETIC: an invented scenario built by ``scenario(...)``, never a
published patient. Each test runs the real engine on the packaged knowledge base and shows
what one curated datum changes (or, for the MET TKIs, deliberately does not change) in the
output of ``interpret``:

* BLOOM (osimertinib 160 mg for leptomeningeal metastases regardless of T790M, known here from
  its 2017 abstract as the NCCN Guidelines summarise it) is a level C, uncertain option for a
  progression KNOWN to be limited to the CNS on a first- or second-generation EGFR TKI when no
  mechanism was identified (``statements/local_therapy.yaml``);
* tepotinib and savolitinib stay undocumented in the CNS (only VISION conference abstracts for
  tepotinib; nothing for savolitinib), so osimertinib + a MET TKI is not counted CNS-active.
"""

from __future__ import annotations

import pytest

from tests.interpret.scenario_builder import scenario
from tkiresist.interpret.engine import interpret
from tkiresist.knowledge.lint import lint
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.model.interpretation import Interpretation, Option
from tkiresist.nomenclature.drugs import CnsLevel, documented_cns, lookup

KB = load_knowledge_base()
BLOOM = "osimertinib-160-cns-progression-after-early-gen-tki"
BLOOM_CITATION = "yang-2017-bloom"
DEL19 = "EGFR p.E746_A750del"
L858R = "EGFR p.L858R"
T790M = "EGFR p.T790M"
CHEMO = ("carboplatin", "pemetrexed")


def _run(agents: list[str], progression: list[str], *, cns: bool) -> Interpretation:
    """A synthetic case: first line ``agents`` on an exon 19 deletion, then ``progression``
    found in the re-biopsy (brain when ``cns``)."""
    case = scenario(agents=agents, baseline=[DEL19], progression=progression, cns_progression=cns)
    return interpret(case, KB)


def _bloom(result: Interpretation) -> list[Option]:
    return [o for o in result.options if BLOOM in o.statements]


def test_bloom_statement_and_citation_lint_clean_and_say_what_was_not_verified() -> None:
    """The statement, its CNS claim and its citation pass `kb lint`; the citation is the 2017
    abstract, marked uncertain with a `checked:` line, and the statement says it rests on it."""
    assert [p for p in lint(KB) if BLOOM in str(p) or BLOOM_CITATION in str(p)] == []
    st = next(s for s in KB.statements if s.id == BLOOM)
    (cit,) = st.citations
    assert cit.id == BLOOM_CITATION and cit.trial == "BLOOM" and cit.uncertain
    assert cit.checked and "2026-12-05" in cit.checked
    assert st.uncertain and "abstract" in (st.uncertain_note or "")
    (reg,) = st.regimens
    assert reg.cns_active and reg.cns_citations == (BLOOM_CITATION,)
    assert "160 mg" in (reg.note or "")


@pytest.mark.parametrize("agents", [["gefitinib"], ["erlotinib"], ["afatinib"]])
def test_cns_only_progression_on_an_early_tki_ranks_osimertinib_160_first(
    agents: list[str],
) -> None:
    """SYNTHETIC: progression in the brain only on gefitinib, erlotinib or afatinib, the
    resected lesion with the exon 19 deletion alone (no T790M). A thoracic oncologist switches
    to the CNS-penetrant osimertinib rather than to platinum-pemetrexed, which reaches the
    CNS poorly: NCCN (2019) advised osimertinib regardless of T790M for leptomeningeal
    progression, on BLOOM's 160 mg cohort. The option starts osimertinib, says 160 mg, is level
    C and uncertain (an abstract), CNS-active with BLOOM cited, and ranks above chemotherapy."""
    r = _run(agents, [DEL19], cns=True)
    (opt,) = _bloom(r)
    assert opt.rank == 1, [o.drugs for o in r.options]
    assert opt.drugs == ("osimertinib",) and opt.roles == ("start",)
    assert "160 mg" in opt.rationale
    assert opt.evidence_level == "C" and opt.uncertain
    assert opt.cns_active and BLOOM_CITATION in {c.id for c in opt.citations}
    assert CHEMO in [o.drugs for o in r.options]


def test_progression_not_known_to_be_cns_only_gets_no_bloom_option() -> None:
    """SYNTHETIC: progression on gefitinib assessed overall (sites not given), no T790M. A
    T790M-negative tumour progressing outside the CNS is not expected to respond to
    osimertinib; platinum-pemetrexed stays offered and no osimertinib is, since BLOOM's option
    needs a progression known to be limited to the CNS (never assumed)."""
    r = _run(["gefitinib"], [DEL19], cns=False)
    assert not _bloom(r)
    options = [o.drugs for o in r.options]
    assert ("osimertinib",) not in options and CHEMO in options, options


def test_t790m_found_is_served_by_standard_osimertinib_not_bloom() -> None:
    """SYNTHETIC: brain-only progression on gefitinib with T790M in the resected lesion. The
    standard is osimertinib 80 mg (AURA3, level A); the 160 mg fallback, which holds only when
    no mechanism was identified, must not fire or lend its dose to that option."""
    r = _run(["gefitinib"], [DEL19, T790M], cns=True)
    assert not _bloom(r)
    first = r.options[0]
    assert first.drugs == ("osimertinib",) and first.evidence_level == "A"
    assert "160 mg" not in first.rationale


def test_cns_only_progression_on_osimertinib_gets_no_bloom_switch() -> None:
    """SYNTHETIC: brain-only progression on first-line osimertinib, no mechanism. BLOOM's
    switch is for patients after an early TKI; osimertinib is what the patient progresses on,
    so the engine offers local therapy with osimertinib continued (Weickhardt, level C) and the
    line's standard care, not 'start osimertinib 160 mg'. (Dose escalation on osimertinib was
    not curated: no published series was verified.)"""
    r = _run(["osimertinib"], [DEL19], cns=True)
    assert not _bloom(r)
    assert all("160 mg" not in o.rationale for o in r.options)
    assert any(o.drugs == ("osimertinib",) and o.roles == ("continue",) for o in r.options)


def test_tepotinib_and_savolitinib_stay_undocumented_in_the_cns() -> None:
    """Tepotinib's intracranial data were seen only in conference abstracts (VISION, ASCO and
    ESMO 2020) and savolitinib's not at all: a curator must not count them CNS-active on that,
    so both stay `unknown` (tepotinib marked uncertain, saying what was seen), while
    capmatinib keeps GEOMETRY mono-1's moderate level with its source."""
    tep, sav, cap = (lookup(n).cns for n in ("tepotinib", "savolitinib", "capmatinib"))
    assert tep.level is CnsLevel.UNKNOWN and tep.uncertain and "abstract" in (tep.note or "")
    assert sav.level is CnsLevel.UNKNOWN and not sav.sources
    assert cap.level is CnsLevel.MODERATE and cap.sources
    for partner in ("tepotinib", "savolitinib"):
        assert not documented_cns(("osimertinib", partner))


def test_met_amplified_brain_progression_does_not_count_met_combinations_cns_active() -> None:
    """SYNTHETIC: brain-only progression on first-line osimertinib with MET amplification (copy
    number 12) in the resected lesion. The oncologist still adds a MET TKI to osimertinib (the
    mechanism-directed option), but must not be told the combination is CNS-active: only
    osimertinib's activity is documented. The options say so (not CNS-active, the MET TKI's
    CNS level `unknown`), and every MET statement explains why in its CNS note."""
    r = _run(["osimertinib"], [DEL19, "MET amplification (GCN 12)"], cns=True)
    met = [o for o in r.options if {"savolitinib", "tepotinib"} & set(o.drugs)]
    assert met, [o.drugs for o in r.options]
    for o in met:
        assert not o.cns_active, o.drugs
        assert "osimertinib: high" in o.cns_detail and "unknown" in o.cns_detail
    after_tki = [
        st
        for st in KB.statements
        if not st.context.treatment_naive
        and any({"savolitinib", "tepotinib"} & set(reg.drug_names) for reg in st.regimens)
    ]
    assert len(after_tki) >= 4
    for st in after_tki:
        assert st.cns_note and "counted CNS-active" in st.cns_note, st.id
        assert not any(reg.cns_active for reg in st.regimens), st.id
