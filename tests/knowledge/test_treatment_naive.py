"""The first-line context (#18): ``context.treatment_naive`` in the schema and the matching rule."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tkiresist.knowledge.applies import UNKNOWN_PRIOR, Prior, Situation, verdict
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.knowledge.schema import Context


def test_a_context_needs_classes_or_treatment_naive() -> None:
    with pytest.raises(ValidationError, match="treatment_naive"):
        Context()
    assert Context(treatment_naive=True).prior_drug_classes == ()
    assert Context(prior_drug_classes=("egfr_tki",)).treatment_naive is False


def test_a_treatment_naive_context_names_no_prior_therapy() -> None:
    with pytest.raises(ValidationError, match="names no prior therapy"):
        Context(treatment_naive=True, prior_drug_classes=("egfr_tki",))
    with pytest.raises(ValidationError, match="names no prior therapy"):
        Context(treatment_naive=True, history_classes=("chemotherapy",))


def _situation(prior: Prior, present: frozenset[str]) -> Situation:
    return Situation(oncotree="LUAD", present=present, prior=prior)


def test_first_line_statement_holds_only_without_prior_therapy() -> None:
    st = load_knowledge_base().by_id["egfr-classical-first-line"]
    present = frozenset({"egfr_ex19del", "egfr_classical_sensitising", "egfr_sensitising"})
    assert verdict(st, _situation(Prior(known=True), present)).applies
    after_osimertinib = Prior(
        known=True,
        classes=frozenset({"egfr_tki"}),
        generations=frozenset({3}),
        drugs=frozenset({"osimertinib"}),
    )
    v = verdict(st, _situation(after_osimertinib, present))
    assert not v.applies
    assert v.reason is not None and "first-line statement" in v.reason
    # unknown therapy (a table without a therapy column): not applied, noted
    unknown = verdict(st, _situation(UNKNOWN_PRIOR, present))
    assert unknown.applies and any("not known" in n for n in unknown.notes)


def test_statements_after_a_tki_still_need_that_tki() -> None:
    st = load_knowledge_base().by_id["egfr-t790m-after-early-gen-tki"]
    present = frozenset({"egfr_t790m", "egfr_ex19del", "egfr_sensitising"})
    sit = Situation(
        oncotree="LUAD",
        present=present,
        prior=Prior(known=True),
        driver_categories=frozenset({"egfr_sensitising"}),
        driver_state="persistent",
    )
    assert not verdict(st, sit).applies
