"""An option whose mechanism rests only on findings that do not show the eligibility its own
statement records (``thresholds``) is marked uncertain, says why, and ranks below level A/B
standard care (``interpret/options.py``, docs/ranking.md).

EVERY CASE HERE IS SYNTHETIC: an invented scenario, not a published patient. Cases are written
as YAML case files and interpreted through the public API with the first audit's helpers.
"""

from __future__ import annotations

from pathlib import Path

from tests.interpret.test_generalisation_audit import (
    AMI_CHEMO,
    DEL19,
    drugs,
    index,
    one_line,
    option,
    run,
)
from tkiresist.model.interpretation import Interpretation

OSI_SAVO = ("osimertinib", "savolitinib")
OSI_TRAS = ("osimertinib", "trastuzumab deruxtecan")


def _met(tmp_path: Path, finding: str, *, plasma: bool) -> Interpretation:
    return run(tmp_path, one_line([DEL19, finding], plasma=plasma))


def test_low_met_copy_number_in_plasma_is_capped_uncertain_and_says_why(tmp_path: Path) -> None:
    """Plasma NGS on osimertinib: the exon 19 deletion and MET amplification at copy number 3
    (synthetic). The trials of a MET TKI after osimertinib selected tissue FISH (SACHI: copy
    number >= 10; INSIGHT, after earlier TKIs: >= 5 or MET/CEP7 >= 2); a plasma copy number of 3
    meets none of them. A thoracic oncologist confirms on tissue before starting osimertinib +
    savolitinib, and meanwhile approved standard care stays first: the MET combination is still
    listed, marked uncertain, with the threshold and the confirming test in its rationale."""
    r = _met(tmp_path, "MET amplification (GCN 3)", plasma=True)
    assert index(r, AMI_CHEMO) < index(r, OSI_SAVO), drugs(r)
    met = option(r, OSI_SAVO)
    assert met.uncertain
    assert "eligibility not shown: FISH" in met.rationale, met.rationale
    assert "copy number >= 10" in met.rationale, met.rationale
    assert "confirm by FISH on tissue" in met.rationale, met.rationale
    assert "plasma, copy number 3" in met.rationale, met.rationale
    assert "capped at" in met.rationale, met.rationale


def test_low_met_copy_number_on_tissue_is_capped(tmp_path: Path) -> None:
    """Tissue NGS reports MET amplification at copy number 3 (synthetic): below every copy-number
    threshold the knowledge base records (the lowest, INSIGHT's, is 5). The oncologist would not
    start a MET TKI on a low-level gain either: standard care ranks first."""
    r = _met(tmp_path, "MET amplification (GCN 3)", plasma=False)
    assert index(r, AMI_CHEMO) < index(r, OSI_SAVO), drugs(r)
    assert "eligibility not shown" in option(r, OSI_SAVO).rationale


def test_high_met_copy_number_in_plasma_still_needs_tissue(tmp_path: Path) -> None:
    """Plasma NGS reports MET copy number 12 (synthetic). A plasma copy number is diluted by the
    tumour fraction and is not on the scale of the trials' tissue FISH thresholds: the oncologist
    confirms on tissue first, so the MET combination ranks below standard care until then."""
    r = _met(tmp_path, "MET amplification (GCN 12)", plasma=True)
    assert index(r, AMI_CHEMO) < index(r, OSI_SAVO), drugs(r)
    assert "confirm by FISH on tissue" in option(r, OSI_SAVO).rationale


def test_met_copy_number_at_threshold_on_tissue_ranks_first_as_before(tmp_path: Path) -> None:
    """Tissue MET copy number 10 and 12 on osimertinib (synthetic): SACHI's threshold is met, so
    continuing osimertinib and adding savolitinib is the first option, as the oncologist would
    choose, with nothing said about eligibility."""
    for gcn in (10, 12):
        r = _met(tmp_path, f"MET amplification (GCN {gcn})", plasma=False)
        assert drugs(r)[0] == OSI_SAVO, drugs(r)
        assert "eligibility" not in option(r, OSI_SAVO).rationale


def test_tissue_amplification_call_without_a_number_is_unchanged(tmp_path: Path) -> None:
    """A tissue report says "MET amplification" without a copy number (synthetic): the
    laboratory's own amplification call on tissue, the specimen the thresholds are defined on,
    is not contradicted by any number; the MET combination ranks first as before (the
    ``quantify`` advice still asks for the number)."""
    r = _met(tmp_path, "MET amplification", plasma=False)
    assert drugs(r)[0] == OSI_SAVO, drugs(r)
    assert "eligibility" not in option(r, OSI_SAVO).rationale


def test_no_threshold_recorded_leaves_the_option_unchanged(tmp_path: Path) -> None:
    """ERBB2 amplification at copy number 3 in plasma (synthetic): its statement records no
    threshold, so the engine has nothing to hold the finding to; the ERBB2-directed option
    scores exactly as on tissue and its rationale says nothing about eligibility."""
    plasma = run(tmp_path, one_line([DEL19, "ERBB2 amplification (GCN 3)"], plasma=True))
    tissue = run(tmp_path, one_line([DEL19, "ERBB2 amplification (GCN 3)"]))
    targeted = [o for o in plasma.options if o.mechanisms]
    assert targeted, drugs(plasma)
    for o in targeted:
        assert "eligibility" not in o.rationale, o.rationale
        assert option(tissue, o.drugs).score == o.score


def test_a_second_mechanism_without_threshold_keeps_the_option(tmp_path: Path) -> None:
    """Plasma shows a low MET copy number (3) and MET exon 14 skipping (synthetic). The exon 14
    statement records no copy-number threshold: the MET combination rests on a finding that needs
    none, so it is not held back by the plasma copy number and ranks first as the exon 14
    scenario does, with nothing said about eligibility."""
    r = run(
        tmp_path,
        one_line([DEL19, "MET amplification (GCN 3)", "MET exon 14 skipping"], plasma=True),
    )
    assert drugs(r)[0] == OSI_SAVO, drugs(r)
    assert "eligibility" not in option(r, OSI_SAVO).rationale


def test_the_sachi_threshold_is_ten_copies_not_the_early_generation_five() -> None:
    """SACHI's FISH threshold after a third-generation TKI is MET copy number >= 10; its text
    also mentions >= 5 after a first- or second-generation TKI. The eligibility rule reads the
    threshold's numeric field, so it takes 10 (parsing the text took the lower number)."""
    from tkiresist.knowledge.loader import load_knowledge_base

    kb = load_knowledge_base()
    st = next(s for s in kb.statements if s.id == "met-amplification-after-osimertinib")
    sachi = next(t for t in st.thresholds if t.citation == "sachi-2026")
    assert ">= 5" in sachi.definition  # the text names both numbers
    assert (sachi.copy_number_min, sachi.ratio_min) == (10, None)
