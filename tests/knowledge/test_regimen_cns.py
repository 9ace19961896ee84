"""CNS evidence per regimen, not only per drug (#13).

A regimen counts as CNS-active on one of two grounds, and `kb lint` refuses any other: every
targeted drug in it is documented CNS-active in the drug dictionary (high or moderate, with
its source), or the regimen cites its own CNS evidence (`cns_citations`), as amivantamab with
carboplatin-pemetrexed does with MARIPOSA-2's intracranial PFS, although amivantamab alone is
not documented to cross the blood-brain barrier.
"""

from __future__ import annotations

from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.nomenclature.drugs import documented_cns, lookup

KB = load_knowledge_base()


def test_selpercatinib_and_entrectinib_are_documented_cns_active_with_a_source() -> None:
    """A thoracic oncologist choosing for a RET or ROS1 fusion with brain metastases expects
    selpercatinib (LIBRETTO-001: intracranial response in 82% of 22 with measurable disease)
    and entrectinib (11 of 20) to count as CNS-active, on the drug's own cited evidence."""
    for name, level in (("selpercatinib", "high"), ("entrectinib", "moderate")):
        cns = lookup(name).cns
        assert cns.level.value == level
        assert cns.sources and all(s.doi for s in cns.sources)
    assert documented_cns(("osimertinib", "selpercatinib"))


def test_a_first_plus_third_generation_egfr_tki_pair_is_not_cns_active() -> None:
    """Osimertinib is CNS-active, gefitinib is not documented so, and no study measured the
    pair in the brain: the combination offered for C797S in trans must not get the ranking's
    CNS bonus on a brain progression (it used to, on a bare flag)."""
    assert not documented_cns(("osimertinib", "gefitinib"))
    pairs = [
        r
        for st in KB.statements
        for r in st.regimens
        if set(r.drug_names) == {"osimertinib", "gefitinib"}
    ]
    assert pairs and not any(r.cns_active for r in pairs)


def test_every_cns_claim_of_the_packaged_kb_rests_on_evidence() -> None:
    """Each regimen flagged CNS-active either cites its own CNS evidence, which is among its
    statement's citations, or has every targeted drug documented CNS-active."""
    for st in KB.statements:
        for r in st.regimens:
            if not r.cns_active:
                continue
            if r.cns_citations:
                assert set(r.cns_citations) <= st.citation_ids, st.id
                assert {c.id for c in st.citations_for(r)} >= set(r.cns_citations)
            else:
                assert documented_cns(r.drug_names), (st.id, r.drug_names)


def test_amivantamab_chemotherapy_cites_its_own_intracranial_evidence() -> None:
    """MARIPOSA-2 reported intracranial PFS of 12.5 and 12.8 versus 8.3 months; the regimen's CNS
    activity after osimertinib is that trial's finding, cited on the regimen (passaro-2024).
    The same drugs first line for an exon 20 insertion (PAPILLON) claim no CNS activity: that
    trial did not establish it."""
    regimens = [
        (r, st)
        for st in KB.statements
        for r in st.regimens
        if {"amivantamab", "carboplatin", "pemetrexed"} <= set(r.drug_names)
    ]
    mariposa2 = [r for r, _ in regimens if "passaro-2024" in r.citations]
    assert len(mariposa2) >= 3
    for r in mariposa2:
        assert r.cns_active and "passaro-2024" in r.cns_citations
    papillon = [r for r, st in regimens if st.id == "egfr-ex20ins-first-line"]
    assert papillon and not any(r.cns_active for r in papillon)
