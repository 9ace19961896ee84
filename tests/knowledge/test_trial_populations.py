"""Trial populations in statement contexts: where the progression was, what came before the line,
and which regimen the line was (the #12 generalisation audit).

A statement holds for the population its trial enrolled. COMPEL (osimertinib continued with
platinum-pemetrexed) enrolled extracranial progression on FIRST-line osimertinib alone;
MARIPOSA-2 (amivantamab with chemotherapy) enrolled progression on osimertinib, not on
amivantamab. Every case here is a SYNTHETIC scenario, invented for the test, never a published
patient. The knowledge base is the packaged one, read as shipped.
"""

from __future__ import annotations

import pytest

from tkiresist.annotate.levels import PriorTherapy, SampleContext, situation_of
from tkiresist.cohort.analysis import _situation
from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import parse_case_text
from tkiresist.knowledge.applies import Prior, Situation, verdict
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.model.case import Case
from tkiresist.model.interpretation import Interpretation

from ..interpret.scenario_builder import scenario

KB = load_knowledge_base()
COMPEL_ID = "osimertinib-continued-with-chemotherapy-after-osimertinib"
COMPEL = ("osimertinib", "carboplatin", "pemetrexed")
AMI_CHEMO = ("amivantamab", "carboplatin", "pemetrexed")
CHEMO = ("carboplatin", "pemetrexed")
DEL19 = "EGFR exon 19 deletion"
CLASSICAL = frozenset({"egfr_sensitising", "egfr_classical_sensitising"})


def _drugs(result: Interpretation) -> list[tuple[str, ...]]:
    return [tuple(o.drugs) for o in result.options]


def _trace(result: Interpretation, statement: str) -> str:
    (entry,) = [t for t in result.trace if t.statement == statement]
    return f"{entry.fired}: {entry.reason}"


def _on_osimertinib(site: str | None = None, earlier: frozenset[str] | None = None) -> Situation:
    """Progression on osimertinib alone, no mechanism, exon 19 deletion persisting."""
    prior = Prior(
        known=True,
        classes=frozenset({"egfr_tki"}),
        generations=frozenset({3}),
        drugs=frozenset({"osimertinib"}),
        earlier=earlier,
    )
    return Situation(
        oncotree="LUAD",
        present=CLASSICAL,
        prior=prior,
        driver_categories=CLASSICAL,
        driver_state="persistent",
        progression_site=site,
    )


# --------------------------------------------------------------------------------------------
# the rule itself
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("site", "applies"), [("extracranial", True), ("cns", False), (None, True)]
)
def test_progression_site_rule(site: str | None, applies: bool) -> None:
    """COMPEL's population is extracranial progression: a progression in the CNS is outside
    it; a progression whose sites were not given keeps the option, with a note that names the
    trial, so that the oncologist checks the brain before using it."""
    v = verdict(KB.by_id[COMPEL_ID], _on_osimertinib(site, frozenset()))
    assert v.applies is applies
    if site == "cns":
        assert v.reason is not None and "COMPEL" in v.reason and "extracranial" in v.reason
    noted = [n for n in v.notes if "extracranial" in n]
    assert bool(noted) is (site is None), v.notes


@pytest.mark.parametrize(
    ("earlier", "applies"),
    [(frozenset(), True), (frozenset({"egfr_tki"}), False), (frozenset({"chemotherapy"}), True)],
)
def test_earlier_lines_rule(earlier: frozenset[str], applies: bool) -> None:
    """COMPEL enrolled progression on first-line osimertinib: an EGFR TKI before it (gefitinib,
    T790M, then osimertinib) puts the patient outside it; an earlier (neo)adjuvant
    chemotherapy does not."""
    v = verdict(KB.by_id[COMPEL_ID], _on_osimertinib("extracranial", earlier))
    assert v.applies is applies, v.reason
    assert not v.notes


def test_unknown_earlier_lines_apply_with_a_note() -> None:
    """Earlier lines not known (a table, a cohort, a source naming the line number only): the
    statement applies and says what it assumed."""
    v = verdict(KB.by_id[COMPEL_ID], _on_osimertinib("extracranial", None))
    assert v.applies
    assert any("COMPEL" in n and "egfr_tki" in n for n in v.notes), v.notes


def test_unknown_means_the_same_in_annotate_cohort_and_the_rule() -> None:
    """A table row (annotate) and a cohort context know neither the progression sites nor the
    earlier lines: COMPEL's verdict there is the engine's verdict for a case that does not say,
    the same notes included (one rule, one answer for one unknown)."""
    st = KB.by_id[COMPEL_ID]
    table = situation_of(
        CLASSICAL,
        SampleContext(
            prior=PriorTherapy(
                known=True,
                classes=frozenset({"egfr_tki"}),
                generations=frozenset({3}),
                drugs=("osimertinib",),
            )
        ),
    )
    cohort = _situation(
        ("LUAD", sorted(CLASSICAL), ["egfr_tki"], [3], [], ["osimertinib"], ["egfr_tki"],
         sorted(CLASSICAL), "persistent")
    )  # fmt: skip
    expected = verdict(st, _on_osimertinib(None, None))
    assert expected.applies and len(expected.notes) == 2
    for situation in (table, cohort):
        assert situation.progression_site is None and situation.prior.earlier is None
        assert verdict(st, situation) == expected


# --------------------------------------------------------------------------------------------
# the engine: what the timeline says of the progression
# --------------------------------------------------------------------------------------------


def test_cns_progression_does_not_offer_compel() -> None:
    """Synthetic: exon 19 deletion progressing in the brain on first-line osimertinib, no
    mechanism. COMPEL enrolled only extracranial progression (stable brain metastases
    allowed): continuing osimertinib with chemotherapy is not its evidence here; amivantamab
    with chemotherapy (MARIPOSA-2, intracranial PFS benefit) stays first."""
    r = interpret(
        scenario(
            agents=["osimertinib"], baseline=[DEL19], progression=[DEL19], cns_progression=True
        ),
        KB,
    )
    assert COMPEL not in _drugs(r), _drugs(r)
    assert _drugs(r)[0] == AMI_CHEMO
    assert "limited to the CNS" in _trace(r, COMPEL_ID)


def test_progression_without_sites_offers_compel_with_the_assumption_traced() -> None:
    """Synthetic: the same case with an "overall" progression (sites not given). The oncologist
    still sees COMPEL as an option below the approved regimen; the trace says it assumed an
    extracranial progression."""
    r = interpret(scenario(agents=["osimertinib"], baseline=[DEL19], progression=[DEL19]), KB)
    assert COMPEL in _drugs(r)
    assert _drugs(r)[0] == AMI_CHEMO
    assert "assumes the progression was extracranial" in _trace(r, COMPEL_ID)


def _two_assessments(second_site: str, when: str) -> Case:
    """Synthetic: extracranial PD on first-line osimertinib, and a second PD assessment of the
    same line at ``second_site`` on ``when`` (the decision point is 2025-03-20)."""
    text = f"""schema_version: "1.0"
id: population-scenario
pseudonym: SYNTHETIC
notes: Synthetic scenario (trial populations); not a published patient.
assays:
  - id: panel
    name: Synthetic EGFR panel
    method: ngs
    materials: [tissue_dna]
    coverage:
      sequence_variant: [EGFR, MET, ERBB2, KRAS, BRAF, PIK3CA]
      copy_number: [MET, ERBB2, EGFR]
events:
  - id: dx
    type: diagnosis
    time: 2023-01-10
    histology: adenocarcinoma
  - id: s0
    type: specimen
    time: 2023-01-12
    kind: tissue
    site: lung
    site_kind: extracranial
  - id: t0
    type: test
    specimen: s0
    assay: panel
    findings:
      - alteration: {DEL19!r}
  - id: osi
    type: therapy
    agents: [osimertinib]
    start: 2023-02-01
    stop: 2025-03-20
    stop_reason: progression
  - id: pd-mri
    type: response
    time: {when}
    category: PD
    criteria: RANO-BM
    site: {second_site}
    therapy: osi
  - id: pd-ct
    type: response
    time: 2025-03-20
    category: PD
    site: extracranial
    therapy: osi
  - id: s1
    type: specimen
    time: 2025-03-20
    kind: tissue
    site: liver
    site_kind: extracranial
  - id: t1
    type: test
    specimen: s1
    assay: panel
    findings:
      - alteration: {DEL19!r}
"""
    return parse_case_text(text, "population.yaml")


def test_brain_progression_a_week_before_the_body_scan_counts() -> None:
    """Synthetic: brain MRI shows progression a week before the body CT that shows extracranial
    progression, both on first-line osimertinib. The progression involves the CNS: COMPEL (no
    CNS progression) is not offered."""
    r = interpret(_two_assessments("cns", "2025-03-13"), KB)
    assert COMPEL not in _drugs(r), _drugs(r)


def test_extracranial_progression_offers_compel_without_a_site_note() -> None:
    """Synthetic: the same timeline with the brain stable (the second assessment is
    extracranial too): COMPEL's population exactly, offered without a site assumption."""
    r = interpret(_two_assessments("extracranial", "2025-03-13"), KB)
    assert COMPEL in _drugs(r)
    assert "assumes the progression" not in _trace(r, COMPEL_ID)


def test_brain_progression_months_earlier_is_another_progression() -> None:
    """Synthetic: a CNS progression four months before (treated locally, osimertinib
    continued) is not the progression at the decision point, which is extracranial."""
    r = interpret(_two_assessments("cns", "2024-11-20"), KB)
    assert COMPEL in _drugs(r)


def test_second_line_osimertinib_does_not_offer_compel() -> None:
    """Synthetic: gefitinib first line, then osimertinib, progression without a mechanism.
    COMPEL enrolled progression on first-line osimertinib; MARIPOSA-2 (after osimertinib in
    any line) still gives amivantamab with chemotherapy, first."""
    r = interpret(
        scenario(
            agents=["osimertinib"], history=["gefitinib"], baseline=[DEL19], progression=[DEL19]
        ),
        KB,
    )
    assert COMPEL not in _drugs(r), _drugs(r)
    assert _drugs(r)[0] == AMI_CHEMO
    assert "egfr_tki" in _trace(r, COMPEL_ID)


def test_line_number_without_earlier_lines_is_not_known() -> None:
    """Synthetic: the source says osimertinib was the second line but gives no earlier line.
    What came before is not known: COMPEL stays, and the trace says what it assumed."""
    case = scenario(agents=["osimertinib"], baseline=[DEL19], progression=[DEL19])
    events = tuple(e.model_copy(update={"line": 2}) if e.id == "line1" else e for e in case.events)
    r = interpret(case.model_copy(update={"events": events}), KB)
    assert COMPEL in _drugs(r)
    assert "earlier lines are not known" in _trace(r, COMPEL_ID)


# --------------------------------------------------------------------------------------------
# after amivantamab + lazertinib (MARIPOSA)
# --------------------------------------------------------------------------------------------


def test_amivantamab_is_not_re_offered_after_mariposa() -> None:
    """Synthetic: progression on first-line amivantamab + lazertinib without a mechanism.
    MARIPOSA-2 enrolled progression on osimertinib; re-giving amivantamab (with or without
    lazertinib) on which the tumour progressed has no evidence. Platinum-pemetrexed, the
    standard chemotherapy after a third-generation EGFR TKI, is still offered first."""
    r = interpret(
        scenario(agents=["amivantamab", "lazertinib"], baseline=[DEL19], progression=[DEL19]), KB
    )
    assert not any("amivantamab" in d for d in _drugs(r)), _drugs(r)
    assert _drugs(r)[0] == CHEMO
    assert "amivantamab" in _trace(r, "no-mechanism-after-osimertinib")


def test_mariposa2_still_offered_after_osimertinib() -> None:
    """Synthetic control: after osimertinib alone the MARIPOSA-2 regimen stays first; the
    amivantamab exclusion is about the failed line, not about the statement."""
    r = interpret(scenario(agents=["osimertinib"], baseline=[DEL19], progression=[DEL19]), KB)
    assert _drugs(r)[0] == AMI_CHEMO
