"""CNS-limited progression on osimertinib: local therapy of the CNS lesion(s) with osimertinib
continued (``statements/local_therapy.yaml``).

EVERY CASE HERE IS SYNTHETIC: an invented scenario, not a published patient. The cases are the
generalisation audit's (its helpers are imported, not copied), run against the packaged
knowledge base. The statement holds only for a progression KNOWN to be limited to the CNS
(``progression_site: cns_only``, never assumed) and only when no mechanism was identified
(``match.without_mechanism``).

What a thoracic oncologist expects: brain-only progression on osimertinib with the extracranial
disease controlled is treated with stereotactic radiosurgery or surgery of the brain lesion(s)
and osimertinib is continued beyond progression (Weickhardt 2012, retrospective: level C); this
is not offered when the progression is extracranial, nor ranked above a targeted option for a
resistance mechanism identified in the tumour.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interpret.test_generalisation_audit import AMI_CHEMO, DEL19, HEADER, drugs, one_line, pd
from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import read_case
from tkiresist.knowledge.lint import lint
from tkiresist.knowledge.loader import KnowledgeBase, load_knowledge_base
from tkiresist.model.interpretation import Interpretation, Option

STATEMENT_ID = "local-therapy-cns-progression-continue-egfr-tki"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    """The packaged knowledge base."""
    return load_knowledge_base()


def _run(tmp_path: Path, events: str, kb: KnowledgeBase) -> Interpretation:
    path = tmp_path / "case.yaml"
    path.write_text(HEADER + events, encoding="utf-8")
    return interpret(read_case(path), kb)


def _brain_only(findings: list[str]) -> str:
    """Progression assessed in the CNS only; the progression biopsy is the resected brain
    lesion (synthetic)."""
    events = one_line(findings, pd_site="cns", cns=True)
    return events.replace("site: lung", "site: brain").replace(
        "site_kind: extracranial", "site_kind: cns"
    )


def _local(result: Interpretation) -> list[Option]:
    return [o for o in result.options if STATEMENT_ID in o.statements]


def test_draft_lints_clean(kb: KnowledgeBase) -> None:
    """The draft statement and its citation pass the knowledge-base lint (schema, drugs,
    citations, contradictions) once added."""
    assert STATEMENT_ID in {s.id for s in kb.statements}
    assert [p for p in lint(kb) if "local_therapy" in str(p) or "weickhardt" in str(p)] == []


def test_cns_only_progression_keeps_osimertinib_with_local_therapy(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    """Brain-only progression on first-line osimertinib, resected lesion with only the exon 19
    deletion (synthetic). The oncologist treats the brain lesion locally (SRS or surgery) and
    continues osimertinib: an option continues osimertinib alone, says the local therapy, is
    level C (retrospective evidence) and is CNS-active (osimertinib's documented CNS activity)."""
    r = _run(tmp_path, _brain_only([DEL19]), kb)
    (opt,) = _local(r)
    assert opt.drugs == ("osimertinib",) and opt.roles == ("continue",)
    assert "local therapy" in opt.rationale and "radiosurgery" in opt.rationale
    assert opt.evidence_level == "C"
    assert opt.cns_active
    assert {c.id for c in opt.citations} == {"weickhardt-2012"}


def test_extracranial_progression_not_offered(tmp_path: Path, kb: KnowledgeBase) -> None:
    """Extracranial progression on osimertinib (synthetic): local therapy of the brain is not
    the answer; the standard options of the line (amivantamab + carboplatin + pemetrexed
    first) stand, and the local-therapy statement does not fire."""
    r = _run(tmp_path, one_line([DEL19], pd_site="extracranial"), kb)
    assert not _local(r), drugs(r)
    assert drugs(r)[0] == AMI_CHEMO


def test_sites_not_given_not_offered(tmp_path: Path, kb: KnowledgeBase) -> None:
    """Progression on osimertinib assessed `overall` (sites not given) (synthetic). Local
    therapy with osimertinib continued presumes a progression limited to the CNS; when that is
    not known, offering osimertinib alone is wrong (a TKI the patient progresses on), so the
    statement must not fire. Needs an engine change (docs: a progression site that must be
    known, e.g. `progression_site: cns_only`, not applied when the sites are not given)."""
    r = _run(tmp_path, one_line([DEL19]), kb)
    assert not _local(r), drugs(r)


def test_cns_and_extracranial_progression_not_offered(tmp_path: Path, kb: KnowledgeBase) -> None:
    """Progression in the brain AND in the lung on osimertinib, the same week (synthetic).
    Local therapy with osimertinib continued is for progression limited to the CNS with the
    extracranial disease controlled (Weickhardt 2012 treated CNS and at most four extra-CNS
    sites, all of them locally); with systemic extracranial progression the oncologist changes
    systemic therapy. The engine's site is `cns` whenever one assessment is in the CNS, so it
    cannot tell CNS-only from CNS-plus-extracranial yet."""
    events = _brain_only([DEL19]) + pd("pd-body", "2025-03-18", "l1", "extracranial")
    r = _run(tmp_path, events, kb)
    assert not _local(r), drugs(r)


def test_acquired_mechanism_ranks_above_local_therapy(tmp_path: Path, kb: KnowledgeBase) -> None:
    """Brain-only progression on osimertinib with an acquired MET amplification (copy number
    12) in the resected lesion (synthetic). The mechanism-directed option (osimertinib + a MET
    TKI) must rank above continuing osimertinib alone: the tumour has shown how it escapes."""
    r = _run(tmp_path, _brain_only([DEL19, "MET amplification (GCN 12)"]), kb)
    ranks = {o.drugs: o.rank for o in r.options}
    local = [o.rank for o in _local(r)]
    met = [ranks[d] for d in ranks if {"savolitinib", "tepotinib"} & set(d)]
    assert met and (not local or min(met) < min(local)), drugs(r)
