"""Statements say which prior drugs their evidence comes from (``context.evidence_after``).

A statement written from trials after osimertinib applies by TKI generation after another
third-generation TKI, and a MET-TKI statement applies after amivantamab + lazertinib: both are
reasonable extrapolations an oncologist makes, but the answer must say that they are ones.
The matching rule (:mod:`tkiresist.knowledge.applies`) writes the note once for the case
engine, ``annotate`` and ``cohort``. All cases are synthetic scenarios.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interpret.test_generalisation_audit import DEL19, KB, mechanism, one_line, run
from tkiresist.knowledge.applies import Prior, Situation, verdict
from tkiresist.knowledge.schema import Context

STATEMENTS = {st.id: st for st in KB.statements}
C797X = STATEMENTS["egfr-c797x-without-t790m-after-osimertinib"]
MET_AMP = STATEMENTS["met-amplification-after-osimertinib"]


def _situation(drugs: set[str], classes: set[str]) -> Situation:
    driver = frozenset({"egfr_sensitising", "egfr_classical_sensitising"})
    return Situation(
        oncotree="LUAD",
        present=frozenset({"egfr_c797x", "met_amplification"}) | driver,
        prior=Prior(
            known=True,
            classes=frozenset(classes),
            generations=frozenset({3}),
            drugs=frozenset(drugs),
        ),
        driver_categories=driver,
        driver_state="persistent",
        progression_site="extracranial",
    )


@pytest.mark.parametrize("tki", ["aumolertinib", "furmonertinib", "lazertinib"])
def test_same_generation_tki_is_said_as_a_class_effect(tki: str) -> None:
    """C797X after another third-generation TKI: the osimertinib evidence is carried over
    (the same covalent C797 binding), which an oncologist accepts as a class effect; the
    statement applies and its note names the drug and the assumption."""
    v = verdict(C797X, _situation({tki}, {"egfr_tki"}))
    assert v.applies
    assert any(tki in n and "class effect" in n and "osimertinib" in n for n in v.notes), v.notes


def test_osimertinib_itself_adds_no_note() -> None:
    """On osimertinib (with or without chemotherapy, FLAURA2) the evidence's population is the
    patient's: nothing to say."""
    for drugs in ({"osimertinib"}, {"osimertinib", "carboplatin", "pemetrexed"}):
        classes = {"egfr_tki"} | ({"chemotherapy"} if len(drugs) > 1 else set())
        v = verdict(C797X, _situation(drugs, classes))
        assert v.applies and not v.notes, v.notes


def test_amivantamab_is_outside_every_met_trial() -> None:
    """MET amplification after amivantamab + lazertinib: MET-TKI combinations were studied
    after EGFR TKIs only (SACHI, INSIGHT, TATTON); lazertinib is an EGFR TKI (covered), the
    antibody is not: the note says no trial enrolled after amivantamab."""
    v = verdict(
        MET_AMP, _situation({"amivantamab", "lazertinib"}, {"egfr_tki", "egfr_met_bispecific"})
    )
    assert v.applies
    assert len(v.notes) == 1, v.notes
    assert "no trial" in v.notes[0] and "amivantamab" in v.notes[0]
    assert "lazertinib" not in v.notes[0]


def test_class_listed_covers_every_drug_of_the_class() -> None:
    """Evidence after any EGFR TKI (MET amplification) covers aumolertinib: no note."""
    v = verdict(MET_AMP, _situation({"aumolertinib"}, {"egfr_tki"}))
    assert v.applies and not v.notes, v.notes


def test_unknown_drug_or_class_is_refused() -> None:
    """A misspelt drug in ``evidence_after`` would silently never match: the schema refuses it."""
    with pytest.raises(ValueError, match="evidence_after"):
        Context(prior_drug_classes=("egfr_tki",), evidence_after=("osimertinibb",))


@pytest.mark.parametrize("tki", ["aumolertinib", "furmonertinib"])
def test_engine_says_the_extrapolation_in_the_mechanism_and_warnings(
    tmp_path: Path, tki: str
) -> None:
    """C797S on first-line aumolertinib / furmonertinib (synthetic scenario): the mechanism is
    named, and its explanation and the warnings say the evidence is from osimertinib."""
    r = run(tmp_path, one_line([DEL19, "EGFR p.C797S"], [tki]))
    explanation = mechanism(r, "C797X").explanation
    assert tki in explanation and "class effect" in explanation, explanation
    assert any(tki in w and "osimertinib" in w for w in r.warnings), r.warnings


def test_engine_says_no_met_trial_after_amivantamab(tmp_path: Path) -> None:
    """MET amplification (copy number 12) on first-line amivantamab + lazertinib (synthetic
    scenario): the MET-directed options stay, and the warnings say no trial enrolled after
    amivantamab."""
    r = run(
        tmp_path, one_line([DEL19, "MET amplification (GCN 12)"], ["amivantamab", "lazertinib"])
    )
    assert any({"savolitinib", "tepotinib"} & set(o.drugs) for o in r.options)
    assert any("no trial" in w and "amivantamab" in w for w in r.warnings), r.warnings
