"""COMPEL and per-regimen CNS evidence in the knowledge base (#13).

Every case here is a SYNTHETIC scenario (``tests/interpret/scenario_builder``): an invented
situation, not a published patient. The knowledge base is the packaged one, read as shipped.
"""

from __future__ import annotations

from tkiresist.interpret.engine import interpret
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.model.interpretation import Interpretation, Option

from ..interpret.scenario_builder import scenario

KB = load_knowledge_base()

L858R = "EGFR p.L858R"
COMPEL = ("osimertinib", "carboplatin", "pemetrexed")
COMPEL_ID = "osimertinib-continued-with-chemotherapy-after-osimertinib"
AMI_CHEMO = ("amivantamab", "carboplatin", "pemetrexed")
LAZ_CHEMO = ("lazertinib", "carboplatin", "pemetrexed")


def _run(agents: list[str], *, cns_progression: bool = False) -> Interpretation:
    """A synthetic L858R case progressing on ``agents`` with no resistance mechanism found."""
    case = scenario(
        agents=agents, baseline=[L858R], progression=[L858R], cns_progression=cns_progression
    )
    return interpret(case, KB)


def _option(result: Interpretation, drugs: tuple[str, ...]) -> Option:
    (option,) = [o for o in result.options if o.drugs == drugs]
    return option


def test_compel_is_offered_after_osimertinib_alone_below_the_approved_regimen() -> None:
    """Synthetic: L858R progressing (outside the CNS) on first-line osimertinib, no mechanism.
    A thoracic oncologist would discuss continuing osimertinib with platinum-pemetrexed
    (COMPEL: randomised phase 3, PFS HR 0.43, but descriptive and not approved) as an option,
    at level B with its own citation, and would still put the approved amivantamab +
    carboplatin-pemetrexed (MARIPOSA-2) first."""
    result = _run(["osimertinib"])
    assert result.mechanisms == ()
    compel = _option(result, COMPEL)
    assert compel.evidence_level.value == "B"
    assert compel.roles[0] == "continue"
    assert [c.id for c in compel.citations] == ["compel-2025"]
    assert compel.approvals == ()
    assert result.options[0].drugs == AMI_CHEMO
    assert result.options[0].score > compel.score


def test_compel_does_not_apply_after_flaura2_or_mariposa() -> None:
    """Synthetic: progression on osimertinib + platinum-pemetrexed (FLAURA2) or on amivantamab +
    lazertinib (MARIPOSA). COMPEL enrolled only patients progressing on osimertinib alone, so
    neither continuing osimertinib with the chemotherapy just failed nor continuing lazertinib
    with chemotherapy is offered on its evidence."""
    flaura2 = _run(["osimertinib", "carboplatin", "pemetrexed"])
    assert COMPEL not in [o.drugs for o in flaura2.options]
    mariposa = _run(["amivantamab", "lazertinib"])
    offered = [o.drugs for o in mariposa.options]
    assert LAZ_CHEMO not in offered and COMPEL not in offered
    assert not any(COMPEL_ID in o.statements for o in mariposa.options)


def test_amivantamab_chemotherapy_is_cns_active_and_first_on_cns_progression() -> None:
    """Synthetic: L858R progressing in the brain on osimertinib, no mechanism. MARIPOSA-2 showed
    a longer intracranial PFS with amivantamab + chemotherapy (12.5 vs 8.3 months), so the
    regimen is CNS-active on its own evidence and, being approved, ranks first. COMPEL enrolled
    only extracranial progression: its evidence does not reach a brain progression, so it is
    not offered at all (the statement's `progression_site: extracranial`)."""
    result = _run(["osimertinib"], cns_progression=True)
    ami = _option(result, AMI_CHEMO)
    assert ami.cns_active is True
    assert result.options[0].drugs == AMI_CHEMO
    assert COMPEL not in [o.drugs for o in result.options]


def test_platinum_pemetrexed_alone_is_not_marked_cns_active() -> None:
    """The MARIPOSA-2 control arm has no CNS claim of its own: marking the amivantamab regimens
    CNS-active must not spill over to chemotherapy alone."""
    result = _run(["osimertinib"], cns_progression=True)
    assert _option(result, ("carboplatin", "pemetrexed")).cns_active is False


def test_compel_citation_is_marked_uncertain_for_its_unseen_first_author() -> None:
    """The COMPEL DOI and results were confirmed, its first author was not: the citation says
    so (uncertain, with a note), and so does the statement resting on it."""
    (st,) = [s for s in KB.statements if s.id == COMPEL_ID]
    (cit,) = st.citations
    assert cit.doi == "10.1016/j.esmoop.2025.105807"
    assert cit.uncertain and cit.note and "NOT CONFIRMED" in cit.note
    assert st.uncertain
