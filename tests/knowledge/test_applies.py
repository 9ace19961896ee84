"""The one matching rule (knowledge/applies.py): prior regimens, history, unnamed classes,
presumed drivers. Statements here are built in the test, not taken from the packaged KB."""

from __future__ import annotations

from typing import Any

from tkiresist.knowledge.applies import Prior, Situation, verdict
from tkiresist.knowledge.schema import Statement


def statement(**context: Any) -> Statement:
    ctx = {"prior_drug_classes": ["egfr_tki"], **context}
    return Statement.model_validate(
        {
            "id": "s",
            "title": "t",
            "match": {"fallback": True},
            "disease": ["NSCLC"],
            "context": ctx,
            "meaning": {"kind": "sensitivity", "label": "l", "explanation": "e"},
            "evidence_level": "B",
            "amp_tier": "I",
            "citations": [
                {"id": "c", "doi": "10.1000/x", "first_author": "A", "year": 2020, "journal": "J"}
            ],
        }
    )


def situation(
    drugs: set[str], classes: set[str], history: set[str] | None = None, **kw: Any
) -> Situation:
    prior = Prior(
        known=True,
        classes=frozenset(classes),
        generations=frozenset(kw.pop("generations", {3})),
        unnamed=frozenset(kw.pop("unnamed", set())),
        drugs=frozenset(drugs),
        history=None if history is None else frozenset(history),
    )
    return Situation(
        oncotree="LUAD",
        present=frozenset(),
        prior=prior,
        driver_categories=frozenset({"egfr_sensitising", "egfr_classical_sensitising"}),
        driver_state="persistent",
    )


FLAURA2 = situation({"osimertinib", "carboplatin", "pemetrexed"}, {"egfr_tki", "chemotherapy"})
OSI_ALONE = situation({"osimertinib"}, {"egfr_tki"})


def test_a_regimen_context_tells_flaura2_from_osimertinib_alone() -> None:
    """After FLAURA2 the next line is not the one after osimertinib alone: a statement can say
    which regimen the patient progressed on."""
    after_flaura2 = statement(prior_regimen_all_of=["osimertinib", "pemetrexed"])
    after_osi_alone = statement(prior_regimen_none_of=["pemetrexed", "carboplatin", "amivantamab"])
    assert verdict(after_flaura2, FLAURA2).applies
    assert not verdict(after_flaura2, OSI_ALONE).applies
    assert verdict(after_osi_alone, OSI_ALONE).applies
    reason = verdict(after_osi_alone, FLAURA2).reason
    assert reason is not None and "pemetrexed" in reason


def test_history_classes_need_an_earlier_line() -> None:
    """Datopotamab deruxtecan needs an EGFR TKI and platinum chemotherapy in the history."""
    dato = statement(history_classes=["egfr_tki", "chemotherapy"])
    second_line = situation(
        {"amivantamab", "carboplatin", "pemetrexed"},
        {"egfr_met_bispecific", "chemotherapy"},
        {"egfr_tki", "egfr_met_bispecific", "chemotherapy"},
    )
    dato_any = statement(
        prior_drug_classes=["chemotherapy"], history_classes=["egfr_tki", "chemotherapy"]
    )
    assert verdict(dato_any, second_line).applies
    assert not verdict(dato, OSI_ALONE).applies  # no chemotherapy yet
    first_line_only = situation({"osimertinib"}, {"egfr_tki"}, {"egfr_tki"})
    assert "chemotherapy" in (verdict(dato, first_line_only).reason or "")


def test_unnamed_class_applies_any_generation_with_a_note() -> None:
    early = statement(prior_generations=[1, 2])
    unnamed = situation({"egfr tki"}, {"egfr_tki"}, generations=set(), unnamed={"egfr_tki"})
    v = verdict(early, unnamed)
    assert v.applies and any("generation not stated" in n for n in v.notes)
    named_third = situation({"osimertinib"}, {"egfr_tki"})
    assert not verdict(early, named_third).applies
