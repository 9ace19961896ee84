"""The ``coverage_gaps`` rule of :mod:`tkiresist.interpret.recommended_tests`: what the
progression's tests could not see is *not assessed*, not negative.

All cases here are synthetic scenarios (built with the first audit's helpers and its synthetic
assays: a tissue DNA+RNA panel, a plasma panel, a single-gene EGFR PCR); none is a published
patient.
"""

from __future__ import annotations

from pathlib import Path

from tests.interpret.test_generalisation_audit import (
    DEL19,
    GENES,
    HEADER,
    KB,
    dx,
    one_line,
    run,
    sample,
)
from tkiresist.interpret.engine import interpret
from tkiresist.interpret.recommended_tests import RULES, _category_kind
from tkiresist.io.casefile import read_case
from tkiresist.model.interpretation import Interpretation

NOT_ASSESSED = "not assessed at this progression"


def _gaps(result: Interpretation) -> list[str]:
    return [t.reason for t in result.recommended_tests if t.reason.startswith(NOT_ASSESSED)]


def _pcr_progression(
    tmp_path: Path, findings: list[str], agents: tuple[str, ...]
) -> Interpretation:
    """Diagnosis on the tissue panel, one line of ``agents``, progression tested only by the
    single-gene EGFR PCR showing ``findings``."""
    events = one_line([DEL19], agents).split("  - id: t-pd-spec")[0] + sample(
        "t-pd", "2025-03-20", "audit-egfr-pcr", findings
    )
    return run(tmp_path, events)


def test_single_gene_pcr_leaves_the_kb_mechanisms_not_assessed(tmp_path: Path) -> None:
    """Progression on first-line osimertinib tested only by an EGFR PCR (exon 19 deletion, no
    T790M/C797S) (synthetic). A thoracic oncologist reads the PCR as silent on everything but
    EGFR: MET and ERBB2 copy number, BRAF mutations (each of which has a targeted option after
    an EGFR TKI in the knowledge base) are not assessed, not negative, and asks for a broad
    NGS panel, on tissue, or plasma when tissue cannot be had. One advice lists them all."""
    r = _pcr_progression(tmp_path, [DEL19], ("osimertinib",))
    gaps = _gaps(r)
    assert len(gaps) == 1, r.recommended_tests
    text = gaps[0]
    for named in ("MET copy number", "ERBB2 copy number", "BRAF mutations"):
        assert named in text, text
    assert "broad NGS panel" in text and "plasma" in text
    # each option's evidence is named: the statements' own citation ids from the KB
    assert any(c in text for c in KB.citations), text
    assert "EGFR" not in text  # the PCR covered EGFR: T790M/C797S were assessed, and negative
    # fusions keep their own advice (an assay with no fusion coverage at all)
    assert any("could not assess fusions" in t.reason for t in r.recommended_tests)


def test_broad_panel_names_no_gene_it_covers(tmp_path: Path) -> None:
    """Progression tested on the same tissue DNA+RNA panel as at diagnosis (synthetic). What the
    panel covers was assessed, so the oncologist expects no gene of the panel to be called
    not assessed (a gene outside it, for which the KB has an option, may be)."""
    r = run(tmp_path, one_line([DEL19]))
    covered = {g.strip() for g in GENES.split(",")}
    gaps = _gaps(r)
    # the panel has no NRG1, for whose fusions the KB has an option after an EGFR TKI
    assert len(gaps) == 1 and "NRG1 fusions" in gaps[0], r.recommended_tests
    for text in gaps:
        listed = text.split(": ", 1)[1].split("; each")[0]
        named = {part.strip().split(" ")[0] for part in listed.split("),")}
        assert not named & covered, text


def test_mechanism_found_no_gap_advice(tmp_path: Path) -> None:
    """Progression on first-line gefitinib with T790M on the EGFR PCR (synthetic). The
    mechanism that decides the option (osimertinib) is found; chasing a second one on a broad
    panel is not what the oncologist asks for now (the project's decision, as for a negative
    plasma test), so no not-assessed advice."""
    r = _pcr_progression(tmp_path, [DEL19, "EGFR p.T790M"], ("gefitinib",))
    assert r.mechanisms, "T790M after gefitinib is a mechanism"
    assert not _gaps(r), r.recommended_tests


def test_diagnosis_with_single_gene_test_gets_no_resistance_gap(tmp_path: Path) -> None:
    """Untreated disease tested only by the EGFR PCR (synthetic): there is no progression, so
    the resistance mechanisms are not in question; no not-assessed advice (first-line
    genotyping is another question)."""
    path = tmp_path / "case.yaml"
    path.write_text(
        HEADER + dx() + sample("t-dx", "2023-01-12", "audit-egfr-pcr", [DEL19]), encoding="utf-8"
    )
    r = interpret(read_case(path), KB, at="t-dx")
    assert not _gaps(r), r.recommended_tests


def test_category_kinds_come_from_the_category_rules() -> None:
    """The kind each category is measured by is read from the category rules: a narrower
    fusion inherits it, an IHC or histology category is for other rules (``None``)."""
    assert _category_kind("met_amplification") == "copy_number"
    assert _category_kind("alk_fusion_non_eml4") == "fusion"
    assert _category_kind("braf_v600e") == "sequence_variant"
    assert _category_kind("rb1_loss") == "sequence_variant"
    assert _category_kind("rb1_ihc_loss") is None
    assert _category_kind("met_overexpression") is None
    assert _category_kind("sclc_transformation") is None


def test_rule_is_recorded() -> None:
    """The rule sits in the RULES table with its condition and evidence."""
    rule = {r.id: r for r in RULES}["coverage_gaps"]
    assert "not assessed" in rule.when and rule.evidence
