"""Acquired MET fusion at resistance to osimertinib (#13, ``met-fusion-after-egfr-tki``).

EVERY CASE HERE IS SYNTHETIC: an invented scenario (``scenario_builder`` or a small case file
written below), not a published patient. Each test says what a thoracic oncologist would expect
and why. The statement is inferential (level E): the cited reports treated MET fusion-positive
NSCLC without an EGFR mutation (crizotinib, savolitinib); no treated case of an acquired MET
fusion after osimertinib was verified, so the combination is offered beside standard care and,
by the engine's ranking rule (docs/ranking.md: a level D/E option never outranks a level A/B
standard-care option of the same situation), below it.
"""

from __future__ import annotations

from tests.interpret.scenario_builder import scenario
from tests.interpret.test_generalisation_audit import HEADER, dx, line, one_line, pd, sample
from tkiresist.evidence.pooled import PooledEvidenceIndex, ResponseRate
from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import parse_case_text
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.model.interpretation import Interpretation, Mechanism, Option

KB = load_knowledge_base()

DEL19 = "EGFR p.E746_A750del"
STATEMENT = "met-fusion-after-egfr-tki"
LOST_STATEMENT = "met-fusion-egfr-driver-lost"
EARLY_STATEMENT = "met-fusion-after-early-gen-egfr-tki"
OSI_SAVO = ("osimertinib", "savolitinib")
OSI_CRIZO = ("osimertinib", "crizotinib")
AMI_CHEMO = ("amivantamab", "carboplatin", "pemetrexed")


def _mechanism(result: Interpretation) -> Mechanism:
    found = [m for m in result.mechanisms if STATEMENT in m.statements]
    assert len(found) == 1, [m.label for m in result.mechanisms]
    return found[0]


def _option(result: Interpretation, drugs: tuple[str, ...]) -> Option:
    found = [o for o in result.options if o.drugs == drugs]
    assert len(found) == 1, [o.drugs for o in result.options]
    return found[0]


def _standard_ab(result: Interpretation) -> list[Option]:
    return [
        o
        for o in result.options
        if STATEMENT not in o.statements and o.evidence_level in ("A", "B")
    ]


def test_acquired_kif5b_met_on_osimertinib_names_the_bypass_and_offers_a_met_tki() -> None:
    """SYNTHETIC: exon 19 deletion, first-line osimertinib, progression at 14 months; the
    re-biopsy (same broad DNA+RNA panel as at diagnosis) shows the exon 19 deletion and a new
    KIF5B::MET.

    A thoracic oncologist reads a new MET fusion beside the persisting EGFR driver as a MET
    bypass (like MET amplification) and would consider continuing osimertinib and adding a MET
    TKI. The evidence is inferential (MET fusion-positive NSCLC responding to crizotinib or
    savolitinib, without an EGFR mutation), so the combination stands beside the approved
    standard (amivantamab + carboplatin + pemetrexed, level A), not above it: the engine caps a
    level E option one point below the lowest level A/B standard-care option and says so.
    """
    case = scenario(agents=["osimertinib"], baseline=[DEL19], progression=[DEL19, "KIF5B::MET"])
    result = interpret(case, KB)

    mechanism = _mechanism(result)
    assert "MET fusion" in mechanism.label
    assert mechanism.acquired
    assert mechanism.class_ == "off_target"
    assert mechanism.evidence_level == "E"

    for drugs in (OSI_SAVO, OSI_CRIZO):
        option = _option(result, drugs)
        assert option.evidence_level == "E"
        assert option.roles == ("continue", "add")
        assert not option.cns_active
        assert "capped" in option.rationale
        assert option.citations, "each regimen carries its own citations"
        standard = _standard_ab(result)
        assert standard and all(option.rank > s.rank for s in standard)
        assert option.score < min(s.score for s in standard)

    assert result.options[0].drugs == AMI_CHEMO
    assert "KIF5B::MET" not in result.unmatched


def test_alk_fusion_registry_evidence_is_not_shown_for_a_met_fusion() -> None:
    """SYNTHETIC: the KIF5B::MET situation above. The registry's pooled response rate comes
    from reported ALK-fusion cases (osimertinib with an ALK TKI); shown beside osimertinib +
    crizotinib for a MET fusion it would suggest evidence that does not exist for MET. A
    thoracic oncologist expects no pooled figure on this option. The index holds a synthetic
    class rate (6 of 9, the shape of the seed's Table 1), not a registry read."""
    rate = ResponseRate("synthetic EGFR + ALK TKI combination ORR", 6, 9, None, None)
    index = PooledEvidenceIndex(rates={"combination_orr": rate}, dataset="synthetic")
    case = scenario(agents=["osimertinib"], baseline=[DEL19], progression=[DEL19, "KIF5B::MET"])
    result = interpret(case, KB, pooled=index)

    assert _option(result, OSI_CRIZO).pooled is None


def test_uncommon_five_prime_partner_matches_like_kif5b() -> None:
    """SYNTHETIC: the same situation with CAPZA2::MET. The fusion is matched on its 3' kinase
    (MET), so an uncommon 5' partner is read like KIF5B: the same bypass, the same options."""
    case = scenario(agents=["osimertinib"], baseline=[DEL19], progression=[DEL19, "CAPZA2::MET"])
    result = interpret(case, KB)

    assert _mechanism(result).acquired
    _option(result, OSI_SAVO)


def test_after_gefitinib_the_fusion_is_named_and_osimertinib_with_a_met_tki_offered() -> None:
    """SYNTHETIC: exon 19 deletion, first-line gefitinib, progression with the deletion
    persisting and a new KIF5B::MET (no T790M).

    The same MET bypass after a first-generation TKI: a thoracic oncologist would switch to
    osimertinib with a MET TKI (by analogy with TATTON's MET-amplified patients without a prior
    third-generation TKI), beside platinum chemotherapy, which stays above the inferential
    combination.
    """
    case = scenario(agents=["gefitinib"], baseline=[DEL19], progression=[DEL19, "KIF5B::MET"])
    result = interpret(case, KB)

    early = [m for m in result.mechanisms if EARLY_STATEMENT in m.statements]
    assert len(early) == 1 and early[0].acquired
    option = _option(result, OSI_SAVO)
    assert option.roles == ("start", "start")
    assert all(option.rank > s.rank for s in _standard_ab(result))
    assert "KIF5B::MET" not in result.unmatched


def test_met_fusion_present_at_diagnosis_is_not_called_acquired() -> None:
    """SYNTHETIC: KIF5B::MET already found beside the exon 19 deletion at diagnosis, and again
    at progression on osimertinib.

    A fusion that was there before a 14-month response is not shown to have caused the
    resistance: a thoracic oncologist would not call it acquired. The engine still names it (it
    is a MET-driven clone the treatment did not control) but marks it not acquired, and the
    inferential combination stays below standard care.
    """
    case = scenario(
        agents=["osimertinib"],
        baseline=[DEL19, "KIF5B::MET"],
        progression=[DEL19, "KIF5B::MET"],
    )
    result = interpret(case, KB)

    assert not _mechanism(result).acquired
    fusion = [a for a in result.alterations if a.name == "KIF5B::MET"]
    assert fusion and fusion[0].status == "persistent"
    option = _option(result, OSI_SAVO)
    assert all(option.rank > s.rank for s in _standard_ab(result))


def test_with_the_egfr_driver_lost_a_met_tki_alone_is_offered() -> None:
    """SYNTHETIC: KIF5B::MET at progression on osimertinib with the exon 19 deletion no longer
    found on the same covering panel.

    With the EGFR driver gone the tumour behaves as MET fusion-driven NSCLC: a thoracic
    oncologist would give a MET TKI alone rather than keep osimertinib beside it, and the
    fusion's own evidence (single case reports without an EGFR mutation) is for the MET TKI
    alone. So ``met-fusion-egfr-driver-lost`` names the mechanism and offers savolitinib or
    crizotinib alone; the osimertinib combinations are not offered. The engine exempts a
    regimen aimed at the tumour's new driver from the level-E cap (docs/ranking.md), so these
    stand with, not below, the level-A standard (amivantamab + carboplatin + pemetrexed,
    whose antibody also targets MET), which stays among the first three.
    """
    case = scenario(
        agents=["osimertinib"], baseline=[DEL19], progression=["KIF5B::MET"], lost=[DEL19]
    )
    result = interpret(case, KB)

    lost = [m for m in result.mechanisms if LOST_STATEMENT in m.statements]
    assert len(lost) == 1 and lost[0].acquired
    assert not [m for m in result.mechanisms if STATEMENT in m.statements]
    offered = [o.drugs for o in result.options]
    assert ("savolitinib",) in offered and ("crizotinib",) in offered
    assert OSI_SAVO not in offered and OSI_CRIZO not in offered
    assert AMI_CHEMO in offered[:3]
    assert "KIF5B::MET" not in result.unmatched


# The audit's case header, its plasma panel also covering MET fusions (a synthetic assay).
PLASMA_HEADER = HEADER.replace(
    "fusion: [ALK, ROS1, RET, NTRK1]", "fusion: [ALK, ROS1, RET, NTRK1, MET]"
)
PLASMA = {"kind": "plasma", "site": "blood", "site_kind": "overall"}


def _liquid(events: str) -> Interpretation:
    assert PLASMA_HEADER != HEADER
    return interpret(parse_case_text(PLASMA_HEADER + events, "synthetic.yaml"), KB)


def test_met_fusion_on_plasma_only_is_named_and_sent_for_tissue_confirmation() -> None:
    """SYNTHETIC: diagnosis by a tissue panel covering MET fusions (exon 19 deletion only);
    progression on osimertinib tested on plasma only, which shows the exon 19 deletion and
    KIF5B::MET.

    A plasma fusion call is usable but a thoracic oncologist confirms it before adding a MET
    TKI (RNA sequencing, FISH or IHC on a re-biopsy). The fusion is new against a covering
    baseline test, so it is called acquired; the inferential combination is offered below
    standard care and an orthogonal confirmation of KIF5B::MET is recommended.
    """
    result = _liquid(one_line([DEL19, "KIF5B::MET"], plasma=True))

    assert _mechanism(result).acquired
    assert all(o.rank > s.rank for o in [_option(result, OSI_SAVO)] for s in _standard_ab(result))
    confirmations = [
        t
        for t in result.recommended_tests
        if t.kind == "orthogonal_confirmation" and "KIF5B::MET" in t.alterations
    ]
    assert confirmations and "plasma" in confirmations[0].reason


def test_met_fusion_on_plasma_without_an_earlier_covering_test_is_not_called_acquired() -> None:
    """SYNTHETIC: as above, but no test before osimertinib is recorded.

    Without an earlier test that covered MET fusions nobody can tell whether the fusion was
    there at diagnosis: a thoracic oncologist would not call it acquired, though it still
    explains a MET-driven progression and is still sent for confirmation.
    """
    result = _liquid(
        dx()
        + line("l1", ["osimertinib"], "2023-02-01", "2025-03-20")
        + pd("pd", "2025-03-20", "l1")
        + sample("t-pd", "2025-03-20", "audit-plasma-panel", [DEL19, "KIF5B::MET"], **PLASMA)
    )

    assert not _mechanism(result).acquired
    fusion = [a for a in result.alterations if a.name == "KIF5B::MET"]
    assert fusion and fusion[0].status == "not_assessable"
    assert any(
        t.kind == "orthogonal_confirmation" and "KIF5B::MET" in t.alterations
        for t in result.recommended_tests
    )


def test_every_met_fusion_regimen_has_its_own_resolvable_citation() -> None:
    """The curated statements themselves: every regimen cites its own sources, each with a DOI
    or a PMID in citations.yaml; no regimen claims CNS activity; only MET TKIs with a verified
    MET-fusion case (savolitinib, crizotinib) are listed, with osimertinib while the EGFR
    driver persists and alone once it is lost."""
    for sid, role in ((STATEMENT, "add"), (EARLY_STATEMENT, "start"), (LOST_STATEMENT, "start")):
        statement = next(s for s in KB.statements if s.id == sid)
        assert statement.evidence_level == "E"
        targeted = set()
        for regimen in statement.regimens:
            assert regimen.citations
            assert not regimen.cns_active
            for cid in regimen.citations:
                citation = KB.citations[cid]
                assert citation.doi or citation.pmid
            targeted |= {d.drug for d in regimen.drugs if d.role == role} - {"osimertinib"}
        assert targeted == {"savolitinib", "crizotinib"}
