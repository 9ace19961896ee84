"""When the EGFR driver is lost, the tumour runs on what it acquired (#13, generalisation).

EVERY CASE HERE IS A SYNTHETIC SCENARIO (:func:`scenario`), not a published patient: an EGFR
exon 19 deletion at diagnosis, first-line osimertinib, and a re-biopsy on the same broad panel
at progression that no longer finds the deletion but finds another driver.

What a thoracic oncologist expects: the deletion's absence on an assay that covers it means the
progressing tumour is driven by the new alteration (as in the lineage switch cases of acquired
ALK or RET fusions), so that alteration's own standard, without the EGFR TKI, comes first; the
mechanism is named whatever the EGFR driver's state. One general rule (the matching rule's rule
3 exception, :mod:`tkiresist.knowledge.applies`) gives this for every driver with a first-line
statement; no driver has a branch of its own. Before it, an acquired ROS1 fusion with the EGFR
driver lost was named nowhere and only chemotherapy was offered.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tkiresist.interpret.engine import interpret
from tkiresist.knowledge.applies import Prior, Situation, verdict
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.model.interpretation import Interpretation

from .scenario_builder import scenario

KB = load_knowledge_base()
DEL19 = "EGFR p.E746_A750del"
EGFR_TKIS = {"osimertinib", "lazertinib", "gefitinib", "erlotinib", "afatinib", "aumolertinib"}

# the acquired driver, the mechanism label's words, the drugs one of which must come first
NEW_DRIVERS = [
    ("CD74::ROS1", "ROS1 fusion", {"crizotinib", "entrectinib", "repotrectinib", "taletrectinib"}),
    ("BRAF p.V600E", "BRAF V600E", {"dabrafenib"}),
    ("MET amplification", "MET amplification", {"capmatinib", "tepotinib", "crizotinib"}),
    ("EML4::ALK", "ALK fusion", {"alectinib", "lorlatinib", "brigatinib"}),
    ("MET exon 14 skipping", "MET exon 14", {"capmatinib", "tepotinib"}),
    ("KIF5B::RET", "RET fusion", {"selpercatinib", "pralsetinib"}),
]


def _run(progression: list[str], lost: list[str]) -> Interpretation:
    return interpret(
        scenario(agents=["osimertinib"], baseline=[DEL19], progression=progression, lost=lost),
        KB,
    )


@pytest.mark.parametrize(("alteration", "words", "drugs"), NEW_DRIVERS)
def test_the_new_driver_s_own_standard_ranks_first(
    alteration: str, words: str, drugs: set[str]
) -> None:
    """EGFR deletion lost, a new driver acquired: the mechanism is named, and the new driver's
    targeted drug alone (no EGFR TKI) ranks first, above standard chemotherapy."""
    r = _run([alteration], [DEL19])
    assert any(words in m.label for m in r.mechanisms), [m.label for m in r.mechanisms]
    first = r.options[0]
    assert set(first.drugs) & drugs, [o.drugs for o in r.options]
    assert not set(first.drugs) & EGFR_TKIS, first.drugs
    assert first.mechanisms, first
    assert any("original EGFR driver is lost" in w for w in r.warnings) or any(
        "driver lost" in o.rationale for o in r.options
    )


@pytest.mark.parametrize(
    ("alteration", "drugs"),
    [("CD74::ROS1", {"crizotinib", "entrectinib"}), ("BRAF p.V600E", {"dabrafenib"})],
)
def test_with_the_driver_kept_the_new_drug_alone_is_not_first(
    alteration: str, drugs: set[str]
) -> None:
    """The same alteration with the deletion still there: EGFR still drives (part of) the
    tumour, so the new drug is not given alone in first place; whatever it adds to continues
    the EGFR TKI or is standard care."""
    r = _run([DEL19, alteration], [])
    first = r.options[0]
    assert not (set(first.drugs) & drugs and not set(first.drugs) & EGFR_TKIS), [
        o.drugs for o in r.options
    ]
    assert not any("original EGFR driver is lost" in w for w in r.warnings)


def test_a_driver_not_re_tested_is_not_taken_as_lost() -> None:
    """A progression panel that did not report the deletion at all (a positives-only report on
    an assay whose coverage is not known) leaves the driver's state unknown: the first-line rule
    for a new driver needs the loss shown, so it does not apply."""
    present = frozenset({"ros1_fusion"})
    prior = Prior(known=True, classes=frozenset({"egfr_tki"}), generations=frozenset({3}),
                  drugs=frozenset({"osimertinib"}))  # fmt: skip
    first_line = next(s for s in KB.statements if s.id == "ros1-fusion-first-line")
    for state, applies in [("lost", True), ("unknown", False), ("persistent", False)]:
        sit = Situation(
            oncotree="LUAD",
            present=present,
            prior=prior,
            driver_categories=frozenset({"egfr_sensitising"}),
            driver_state=state,
        )
        v = verdict(first_line, sit)
        assert v.applies is applies, (state, v.reason)
        assert v.new_driver is applies


def test_at_diagnosis_the_first_line_rule_is_unchanged() -> None:
    """No therapy given: the first-line statement applies as it always did, not as a new
    driver (nothing was lost)."""
    first_line = next(s for s in KB.statements if s.id == "ros1-fusion-first-line")
    sit = Situation(oncotree="LUAD", present=frozenset({"ros1_fusion"}), prior=Prior(known=True))
    v = verdict(first_line, sit)
    assert v.applies and not v.new_driver


def test_the_mechanism_is_named_the_same_in_every_driver_state() -> None:
    """Naming the mechanism does not depend on the EGFR driver's state: an acquired ROS1 fusion
    is the resistance mechanism whether the deletion persists or was lost."""
    kept = _run([DEL19, "CD74::ROS1"], [])
    lost = _run(["CD74::ROS1"], [DEL19])
    assert [m.label for m in kept.mechanisms] == [m.label for m in lost.mechanisms]


def test_a_new_driver_without_a_standard_keeps_its_weak_options_below_standard_care() -> None:
    """An acquired KIF5B::MET with the deletion lost: MET fusions have no first-line standard
    (two single case reports, level E), so a MET TKI alone is offered but ranks below standard
    care; the new-driver exemption from the level cap needs the driver's own first-line
    standard behind the option (as crizotinib or entrectinib have for ROS1)."""
    r = _run(["KIF5B::MET"], [DEL19])
    assert any("MET fusion" in m.label for m in r.mechanisms), [m.label for m in r.mechanisms]
    options = [o for o in r.options]
    first_weak = next(i for i, o in enumerate(options) if o.evidence_level in ("D", "E"))
    assert all(o.evidence_level in ("A", "B") for o in options[:first_weak]), options
    assert first_weak > 0
    assert "ranks below the level A/B standard care" in options[first_weak].rationale


def test_a_first_line_not_approved_record_is_not_shown_after_therapy() -> None:
    """KRAS G12C replacing a lost EGFR driver after osimertinib: sotorasib is approved after
    prior systemic therapy, which this patient had. The first-line statement's record "not
    approved first line" says nothing of this line and must not stand beside the option as if
    it did; the first-line regimen note ("extrapolated from the pretreated setting") neither."""
    r = _run(["KRAS p.G12C"], [DEL19])
    (sotorasib,) = [o for o in r.options if o.drugs == ("sotorasib",)]
    assert [a.status for a in sotorasib.approvals if a.region == "FDA"] == ["accelerated"]
    assert "Extrapolated from the pretreated setting" not in sotorasib.rationale
    assert "original EGFR driver is lost" in sotorasib.rationale


def test_generations_are_read_per_drug_class() -> None:
    """A line of osimertinib + alectinib (an EGFR TKI of generation 3 with an ALK TKI of
    generation 2; the seed patient's regimen): a statement for progression after a first- or
    second-generation EGFR TKI does not hold. Alectinib's generation is an ALK TKI's; read as
    the line's, it made gefitinib + tepotinib (INSIGHT 2) rank first for a MET amplification
    on osimertinib + alectinib (found by a helper, #13)."""
    early = next(s for s in KB.statements if s.id == "met-amplification-after-early-gen-tki")
    prior = Prior(
        known=True,
        classes=frozenset({"egfr_tki", "alk_tki"}),
        generations=frozenset({2, 3}),
        drugs=frozenset({"osimertinib", "alectinib"}),
    )
    sit = Situation(
        oncotree="LUAD",
        present=frozenset({"met_amplification"}),
        prior=prior,
        driver_categories=frozenset({"egfr_sensitising", "egfr_classical_sensitising"}),
        driver_state="persistent",
    )
    v = verdict(early, sit)
    assert not v.applies and "generation" in (v.reason or ""), v
    on_gefitinib = Prior(
        known=True,
        classes=frozenset({"egfr_tki"}),
        generations=frozenset({1}),
        drugs=frozenset({"gefitinib"}),
    )
    from dataclasses import replace

    assert verdict(early, replace(sit, prior=on_gefitinib)).applies


def test_a_line_stopped_for_toxicity_is_still_the_line_progressed_on(tmp_path: Path) -> None:
    """SYNTHETIC: osimertinib stopped for pneumonitis, progression eight months later. A
    thoracic oncologist does not re-challenge a drug stopped for its toxicity on the engine's
    word: the relapse-off-therapy rule (first-line options again) applies to a line completed
    as planned or stopped by the patient's choice, not to one stopped for toxicity."""
    from tests.interpret.test_generalisation_audit import DEL19 as DEL19_WORDS
    from tests.interpret.test_generalisation_audit import dx, pd, run, sample

    def events(reason: str) -> str:
        return (
            dx()
            + sample("t-dx", "2023-01-12", "audit-tissue-panel", [DEL19_WORDS])
            + f"""  - id: l1
    type: therapy
    agents: [osimertinib]
    start: 2023-02-01
    stop: 2024-01-15
    stop_reason: {reason}
"""
            + pd("pd", "2024-09-20", "l1")
            + sample("t-pd", "2024-09-25", "audit-tissue-panel", [DEL19_WORDS])
        )

    toxic = run(tmp_path, events("toxicity"))
    assert toxic.decision_point.therapy is not None
    assert ("osimertinib",) not in [o.drugs for o in toxic.options]
    completed = run(tmp_path, events("completed"))
    assert completed.decision_point.therapy is None
    assert any("relapse" in w for w in completed.warnings)


def test_a_new_driver_no_resistance_statement_covers_is_still_named() -> None:
    """SYNTHETIC: L858R on first-line erlotinib, the re-biopsy shows BRAF V600E and no L858R.
    The knowledge base's BRAF bypass statement is written for osimertinib, but the tumour is
    BRAF-driven whatever the TKI it escaped: the mechanism is named (by BRAF's first-line
    statement, said to be a new driver), and dabrafenib + trametinib ranks first as its
    targeted option. Before, the options were right and the mechanism list was empty."""
    r = interpret(
        scenario(
            agents=["erlotinib"],
            baseline=["EGFR p.L858R"],
            progression=["BRAF p.V600E"],
            lost=["EGFR p.L858R"],
        ),
        KB,
    )
    (m,) = r.mechanisms
    assert "BRAF V600E" in m.label and "new driver" in m.label and m.acquired
    assert r.options[0].drugs == ("dabrafenib", "trametinib")
    assert r.options[0].mechanisms == (m.id,)
