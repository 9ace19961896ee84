"""``search`` (for ``tkiresist kb show QUERY``) and ``describe``."""

from __future__ import annotations

import pytest

from tkiresist.knowledge.loader import KnowledgeBase, load_knowledge_base
from tkiresist.knowledge.query import describe, search


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


# query, a statement id that must be found, a statement id that must not
CASES = [
    ("alk-fusion-after-egfr-tki", "alk-fusion-after-egfr-tki", "ret-fusion-after-osimertinib"),
    ("ALK", "alk-g1202r-after-alk-tki", "egfr-t790m-after-early-gen-tki"),
    ("HER2", "erbb2-amplification-after-egfr-tki", "alk-fusion-after-egfr-tki"),  # alias
    ("met_amplification", "met-amplification-after-osimertinib", "ret-fusion-after-osimertinib"),
    ("Tagrisso", "egfr-t790m-after-early-gen-tki", "alk-g1202r-after-alk-tki"),  # brand
    ("savolitinib", "met-amplification-after-osimertinib", "ret-fusion-after-osimertinib"),
    ("MARIPOSA-2", "no-mechanism-after-osimertinib", "alk-fusion-after-egfr-tki"),
    ("10.7759/cureus.92202", "alk-fusion-after-egfr-tki", "egfr-c797x-t790m-cis"),
    ("transformation", "sclc-transformation-after-egfr-tki", "met-exon14-skipping-after-egfr-tki"),
]


@pytest.mark.parametrize(("query", "found", "absent"), CASES, ids=[c[0] for c in CASES])
def test_search(kb: KnowledgeBase, query: str, found: str, absent: str) -> None:
    ids = [s.id for s in search(kb, query)]
    assert found in ids
    assert absent not in ids


def test_exact_id_comes_first(kb: KnowledgeBase) -> None:
    results = search(kb, "ALK-FUSION-AFTER-EGFR-TKI")
    assert results[0].id == "alk-fusion-after-egfr-tki"
    assert len({s.id for s in results}) == len(results)


@pytest.mark.parametrize("query", ["", "   ", "no-such-thing-anywhere"])
def test_nothing_matches(kb: KnowledgeBase, query: str) -> None:
    assert search(kb, query) == []


def test_describe_shows_options_levels_and_citations(kb: KnowledgeBase) -> None:
    text = describe(kb.by_id["alk-fusion-after-egfr-tki"])
    assert text.splitlines()[0].startswith("alk-fusion-after-egfr-tki: ")
    assert "option 1: osimertinib (continue) + alectinib (add) -> sensitivity" in text
    assert "CNS-active" in text
    assert "doi:10.7759/cureus.92202" in text
    assert "level C" in text
