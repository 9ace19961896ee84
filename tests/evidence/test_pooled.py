"""Pooled evidence for the interpretation engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.evidence import seed_facts
from tkiresist.errors import EvidenceError, UnknownDrugError
from tkiresist.evidence import pooled
from tkiresist.evidence.pooled import PooledEvidenceIndex
from tkiresist.evidence.summary import summarize
from tkiresist.model.interpretation import PooledEvidence


@pytest.fixture(scope="module")
def index(seed_engine: Any) -> PooledEvidenceIndex:
    return PooledEvidenceIndex(summarize(seed_engine, dataset=seed_facts.DATASET))


CLASS = "class-level: combination EGFR + ALK TKI, any pair"


@pytest.mark.parametrize(
    ("drugs", "label", "scope", "k", "n"),
    [
        # registry patients were assessed on osimertinib + alectinib, not on this exact pair
        (("osimertinib", "alectinib"), CLASS, "class", 6, 9),
        (
            ("crizotinib", "osimertinib"),
            CLASS + "; no registry patient received crizotinib + osimertinib",
            "class",
            6,
            9,
        ),
        # nobody received osimertinib + lorlatinib: the class's number is said to be the class's
        # (#12: it was printed under this regimen as if its own)
        (
            ("osimertinib", "lorlatinib"),
            CLASS + "; no registry patient received osimertinib + lorlatinib",
            "class",
            6,
            9,
        ),
        (("alectinib",), "alectinib", "regimen", 1, 1),
    ],
)
def test_lookup(
    index: PooledEvidenceIndex, drugs: tuple[str, ...], label: str, scope: str, k: int, n: int
) -> None:
    found = index(drugs)
    assert isinstance(found, PooledEvidence)
    assert found.label == f"{label} (registry: cheung2025-table1)"
    assert found.scope == scope
    assert (found.numerator, found.denominator) == (k, n)
    assert found.value == pytest.approx(k / n)


def test_combination_interval_is_exact(index: PooledEvidenceIndex) -> None:
    from scipy.stats import binomtest

    found = index(("osimertinib", "alectinib"))
    assert found is not None
    ci = binomtest(6, 9).proportion_ci(method="exact")
    assert (found.ci_low, found.ci_high) == pytest.approx((ci.low, ci.high))
    assert str(found).endswith("6/9 = 66.7%, exact 95% CI 29.9–92.5%")


def test_no_evidence_is_none_and_bad_input_raises(index: PooledEvidenceIndex) -> None:
    assert index(("lorlatinib",)) is None  # no case received it
    assert index(("osimertinib", "alectinib", "carboplatin")) is None
    with pytest.raises(UnknownDrugError):
        index(("notadrug",))
    with pytest.raises(EvidenceError):
        index(())


def test_default_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TKIRESIST_DB", f"sqlite:///{tmp_path / 'registry.sqlite'}")
    pooled.default_index.cache_clear()
    try:
        found = pooled.pooled_for_regimen(("osimertinib", "alectinib"))
    finally:
        pooled.default_index.cache_clear()
    assert found is not None and (found.numerator, found.denominator) == (6, 9)
    assert "cheung2025-table1" in found.label


@pytest.mark.parametrize(
    ("drugs", "categories"),
    [
        # crizotinib is a MET and ROS1 inhibitor too: the registry's ALK cases say nothing of
        # osimertinib + crizotinib against a MET fusion, or crizotinib alone against ROS1
        (("osimertinib", "crizotinib"), frozenset({"met_fusion"})),
        (("alectinib",), frozenset({"ros1_fusion"})),
        # standard care targets no mechanism
        (("alectinib",), frozenset()),
    ],
)
def test_no_registry_evidence_outside_its_mechanism(
    index: PooledEvidenceIndex, drugs: tuple[str, ...], categories: frozenset[str]
) -> None:
    """The registry holds ALK-fusion resistance cases: its response rates stand beside an
    option only when the option targets an ALK fusion. A tumour board reading "6/9 responded"
    beside osimertinib + crizotinib for a MET fusion would take ALK evidence for MET evidence
    (found by a synthetic MET-fusion scenario, #13)."""
    assert index(drugs, categories) is None
    assert index(drugs, frozenset({"alk_fusion"})) is not None


def test_an_eml4_alk_mechanism_is_in_scope(index: PooledEvidenceIndex) -> None:
    """A statement matching EML4::ALK specifically is an ALK-fusion mechanism too."""
    assert index(("osimertinib", "alectinib"), frozenset({"alk_fusion_eml4"})) is not None
