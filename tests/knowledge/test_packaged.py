"""The packaged knowledge base: loads, lints clean, and covers what a tumour board meets."""

from __future__ import annotations

import pytest

from tkiresist.knowledge.lint import lint
from tkiresist.knowledge.loader import KnowledgeBase, load_knowledge_base
from tkiresist.knowledge.schema import DrugRole, Effect, MeaningKind, Phase
from tkiresist.model.categories import CATALOGUE
from tkiresist.model.vocabulary import DriverState, EvidenceLevel, MechanismClass


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


def test_packaged_kb_lints_clean(kb: KnowledgeBase) -> None:
    assert [str(p) for p in lint(kb)] == []


def test_stamp_has_semver_and_iso_date(kb: KnowledgeBase) -> None:
    major, minor, patch = kb.version.split(".")
    assert all(part.isdigit() for part in (major, minor, patch))
    assert kb.meta()["date"] == kb.date.isoformat()


def test_every_statement_cites_a_doi_or_pmid(kb: KnowledgeBase) -> None:
    for st in kb.statements:
        assert st.citations, st.id
        assert all(c.doi or c.pmid for c in st.citations), st.id
        for regimen in st.regimens:
            assert st.citations_for(regimen), (st.id, regimen.drug_names)


def test_uncertain_statements_say_why(kb: KnowledgeBase) -> None:
    for st in kb.statements:
        if st.uncertain:
            assert st.uncertain_note, st.id
    for cid, c in kb.citations.items():
        if c.uncertain:
            assert c.note, cid


# What the issue asks the knowledge base to cover: (category that must trigger a statement,
# prior EGFR TKI generation, expected mechanism class or None for the fallback).
COVERAGE = [
    ("egfr_t790m", 1, MechanismClass.ON_TARGET),
    ("egfr_c797x", 3, MechanismClass.ON_TARGET),
    ("egfr_l718x", 3, MechanismClass.ON_TARGET),
    ("egfr_g724s", 3, MechanismClass.ON_TARGET),
    ("egfr_l792x", 3, MechanismClass.ON_TARGET),
    ("egfr_g796x", 3, MechanismClass.ON_TARGET),
    ("egfr_amplification", 3, MechanismClass.ON_TARGET),
    ("met_amplification", 3, MechanismClass.OFF_TARGET),
    ("met_amplification", 1, MechanismClass.OFF_TARGET),
    ("met_ex14_skipping", 3, MechanismClass.OFF_TARGET),
    ("erbb2_amplification", 3, MechanismClass.OFF_TARGET),
    ("erbb2_mutation", 3, MechanismClass.OFF_TARGET),
    ("alk_fusion", 3, MechanismClass.OFF_TARGET),
    ("alk_fusion", 2, MechanismClass.OFF_TARGET),
    ("ret_fusion", 3, MechanismClass.OFF_TARGET),
    ("ros1_fusion", 3, MechanismClass.OFF_TARGET),
    ("braf_fusion", 3, MechanismClass.OFF_TARGET),
    ("ntrk_fusion", 3, MechanismClass.OFF_TARGET),
    ("fgfr_fusion", 3, MechanismClass.OFF_TARGET),
    ("braf_v600e", 3, MechanismClass.OFF_TARGET),
    ("kras_mutation", 3, MechanismClass.OFF_TARGET),
    ("nras_mutation", 3, MechanismClass.OFF_TARGET),
    ("pik3ca_mutation", 3, MechanismClass.OFF_TARGET),
    ("sclc_transformation", 3, MechanismClass.HISTOLOGIC),
    ("squamous_transformation", 3, MechanismClass.HISTOLOGIC),
    ("rb1_loss", 3, MechanismClass.HISTOLOGIC),
]


@pytest.mark.parametrize(("category", "generation", "klass"), COVERAGE)
def test_coverage_after_egfr_tki(
    kb: KnowledgeBase, category: str, generation: int, klass: MechanismClass
) -> None:
    assert category in CATALOGUE
    fired = [
        st
        for st in kb.for_categories([category])
        if "egfr_tki" in st.context.prior_drug_classes
        and (st.context.prior_generations is None or generation in st.context.prior_generations)
    ]
    assert fired, f"no statement for {category} after generation {generation}"
    assert {st.meaning.mechanism_class for st in fired} == {klass}


@pytest.mark.parametrize("category", ["alk_g1202r", "alk_l1196m", "alk_i1171x"])
def test_alk_kinase_mutations_point_to_lorlatinib(kb: KnowledgeBase, category: str) -> None:
    (st,) = [s for s in kb.for_categories([category]) if s.context.prior_generations == (1, 2)]
    assert st.context.prior_drug_classes == ("alk_tki",)
    first = st.regimens[0]
    assert first.drug_names == ("lorlatinib",)
    assert first.effect is Effect.SENSITIVITY
    assert first.cns_active


def test_seed_statement_orders_cns_active_alk_tkis_first(kb: KnowledgeBase) -> None:
    st = kb.by_id["alk-fusion-after-egfr-tki"]
    assert st.context.driver_state is DriverState.PERSISTENT
    assert st.evidence_level is EvidenceLevel.C
    assert "cheung-2025" in st.citation_ids
    assert [r.drug_names for r in st.regimens] == [
        ("osimertinib", "alectinib"),
        ("osimertinib", "lorlatinib"),
        ("osimertinib", "crizotinib"),
    ]
    assert [r.cns_active for r in st.regimens] == [True, True, False]
    assert [d.role for d in st.regimens[0].drugs] == [DrugRole.CONTINUE, DrugRole.ADD]
    seed = st.citations_for(st.regimens[0])
    assert any(c.doi == "10.7759/cureus.92202" for c in seed)


def test_driver_lost_prefers_the_bypass_drug_alone(kb: KnowledgeBase) -> None:
    lost = [s for s in kb.statements if s.context.driver_state is DriverState.LOST]
    assert {s.id for s in lost} >= {"alk-fusion-egfr-driver-lost", "ret-fusion-egfr-driver-lost"}
    for st in lost:
        for regimen in st.regimens:
            assert all(d.role is DrugRole.START for d in regimen.drugs)
            assert "osimertinib" not in regimen.drug_names


def test_c797x_with_t790m_depends_on_phase(kb: KnowledgeBase) -> None:
    by_phase = {
        s.context.phase: s
        for s in kb.for_categories(["egfr_c797x"])
        if "egfr_t790m" in s.match.all_of
    }
    assert set(by_phase) == {Phase.CIS, Phase.TRANS}
    combo = frozenset({"osimertinib", "gefitinib"})
    effect = {
        phase: next(r.effect for r in st.regimens if r.drug_set == combo)
        for phase, st in by_phase.items()
    }
    assert effect == {Phase.TRANS: Effect.SENSITIVITY, Phase.CIS: Effect.RESISTANCE}


def test_fallback_statements_give_post_osimertinib_standards(kb: KnowledgeBase) -> None:
    # the classical-driver standard (MARIPOSA-2); a second statement gives platinum-pemetrexed
    # to every sensitising driver (#12)
    st = kb.by_id["no-mechanism-after-osimertinib"]
    assert st.context.prior_generations == (3,)
    assert st.meaning.kind is MeaningKind.SENSITIVITY
    drug_sets = [r.drug_set for r in st.regimens]
    assert frozenset({"amivantamab", "lazertinib", "carboplatin", "pemetrexed"}) in drug_sets
    assert frozenset({"carboplatin", "pemetrexed"}) in drug_sets
    assert any(c.trial == "MARIPOSA-2" and c.pmid == "37879444" for c in st.citations)


def test_met_amplification_states_its_thresholds(kb: KnowledgeBase) -> None:
    st = kb.by_id["met-amplification-after-osimertinib"]
    methods = {t.method for t in st.thresholds}
    assert methods == {"FISH", "FISH (after a third-generation TKI)", "NGS"}
    fish = next(t for t in st.thresholds if t.method == "FISH")
    assert "MET/CEP7" in fish.definition and ">= 5" in fish.definition


def test_risk_markers_are_flagged(kb: KnowledgeBase) -> None:
    st = kb.by_id["tp53-rb1-transformation-risk"]
    assert st.meaning.risk_marker
    assert st.match.all_of == ("tp53_alteration",)
