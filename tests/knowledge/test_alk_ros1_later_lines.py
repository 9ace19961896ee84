"""Later lines of ALK-positive NSCLC after ALK TKIs (#13): the fallback options and the MET
bypass of ``statements/alk_resistance.yaml``.

EVERY CASE HERE IS SYNTHETIC: an invented scenario (no published patient, no citation), written
as a YAML case file and interpreted as ``tkiresist interpret`` does, with the helpers of the
first generalisation audit. Each docstring says what a thoracic oncologist (late 2026) expects
and why.

ROS1: no statement is tested here. The catalogue (``model/categories.py``) has no category for
ROS1 kinase-domain resistance mutations (G2032R and others), so a ROS1 resistance statement
cannot be written without a model change (see the report of #13).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interpret.test_generalisation_audit import (
    CHEMO,
    DEL19,
    avoided,
    drugs,
    mechanism,
    one_line,
    run,
)
from tkiresist.model.interpretation import Interpretation

ALK = "EML4::ALK"
MET_AMP = "MET amplification (GCN 12)"
ABCP = ("atezolizumab", "bevacizumab", "carboplatin", "paclitaxel")
PLATINUM = {"carboplatin", "cisplatin"}
EGFR_TKIS = {"osimertinib", "gefitinib", "erlotinib", "afatinib", "dacomitinib", "lazertinib"}
LORLATINIB_FALLBACK = "alk-no-mechanism-after-second-gen-alk-tki"
CHEMO_FALLBACK = "alk-tki-chemotherapy-options"
MET_BYPASS = "met-amplification-after-next-gen-alk-tki"
NEW_STATEMENTS = {LORLATINIB_FALLBACK, CHEMO_FALLBACK, MET_BYPASS}


def _fired(result: Interpretation) -> set[str]:
    return {t.statement for t in result.trace if t.fired}


def _offered(result: Interpretation) -> set[str]:
    return {d for regimen in drugs(result) for d in regimen}


@pytest.mark.parametrize("tki", ["alectinib", "brigatinib", "ceritinib", "ensartinib"])
def test_no_mechanism_after_a_second_generation_alk_tki(tmp_path: Path, tki: str) -> None:
    """Synthetic scenario: EML4::ALK on a first-line second-generation ALK TKI, progression, the
    re-biopsy shows the fusion and no ALK mutation. Lorlatinib is the next ALK TKI whatever
    the mutation (phase 2 after second-generation TKIs; FDA approval after alectinib or
    ceritinib): it comes first, platinum-pemetrexed is the alternative, and the TKI that
    failed is not offered again. The same for each second-generation TKI: the rule is the
    class and generation, not alectinib."""
    r = run(tmp_path, one_line([ALK], [tki], driver=ALK))
    assert not r.mechanisms
    assert drugs(r)[0] == ("lorlatinib",), drugs(r)
    assert CHEMO in drugs(r)
    assert tki not in _offered(r)
    assert {LORLATINIB_FALLBACK, CHEMO_FALLBACK} <= _fired(r)


def test_lorlatinib_is_cns_active_and_approved(tmp_path: Path) -> None:
    """Synthetic scenario: as above on alectinib. The lorlatinib option says it is CNS-active
    (brain metastases are frequent in ALK-positive disease) and carries its FDA approval after
    alectinib, with its own citations (the phase 2 study), not the statement's alone."""
    r = run(tmp_path, one_line([ALK], ["alectinib"], driver=ALK))
    lorlatinib = r.options[0]
    assert lorlatinib.drugs == ("lorlatinib",)
    assert lorlatinib.cns_active
    assert any(a.region == "FDA" for a in lorlatinib.approvals)
    assert any(c.id == "solomon-2018-lorlatinib" for c in lorlatinib.citations)


def test_no_mechanism_after_lorlatinib_offers_chemotherapy_not_lorlatinib(tmp_path: Path) -> None:
    """Synthetic scenario: EML4::ALK on lorlatinib (after alectinib), progression, no ALK
    mutation. No approved ALK TKI follows lorlatinib: platinum-based chemotherapy
    (platinum-pemetrexed, or the ATTLAS regimen) comes first, lorlatinib is not offered again,
    and the lorlatinib statement (for progression on a second-generation TKI) does not fire."""
    r = run(tmp_path, one_line([ALK], ["lorlatinib"], driver=ALK))
    assert r.options, r.warnings
    assert set(drugs(r)[0]) & PLATINUM, drugs(r)
    assert CHEMO in drugs(r) and ABCP in drugs(r)
    assert "lorlatinib" not in _offered(r)
    assert LORLATINIB_FALLBACK not in _fired(r)


def test_compound_alk_mutations_on_lorlatinib(tmp_path: Path) -> None:
    """Synthetic scenario: EML4::ALK on lorlatinib, G1202R + L1196M at progression. No approved
    ALK TKI overcomes compound mutations: lorlatinib is avoided, the mutations are named, and
    platinum-based chemotherapy comes first."""
    r = run(tmp_path, one_line([ALK, "ALK p.G1202R", "ALK p.L1196M"], ["lorlatinib"], driver=ALK))
    assert r.mechanisms
    assert ("lorlatinib",) in avoided(r)
    assert set(drugs(r)[0]) & PLATINUM, drugs(r)


def test_g1202r_after_alectinib_keeps_lorlatinib_first(tmp_path: Path) -> None:
    """Synthetic scenario: EML4::ALK on alectinib, G1202R acquired. Lorlatinib is active on
    G1202R and stays first (from the mutation's statement, not the no-mechanism fallback, which
    applies only when no mechanism is found); chemotherapy stays available beside it."""
    r = run(tmp_path, one_line([ALK, "ALK p.G1202R"], ["alectinib"], driver=ALK))
    assert mechanism(r, "G1202R").acquired
    assert drugs(r)[0] == ("lorlatinib",), drugs(r)
    assert CHEMO in drugs(r)
    assert LORLATINIB_FALLBACK not in _fired(r)
    assert "alk-g1202r-after-alk-tki" in r.options[0].statements


def test_met_amplification_on_lorlatinib_is_named_as_a_bypass(tmp_path: Path) -> None:
    """Synthetic scenario: EML4::ALK on lorlatinib, acquired MET amplification (copy number 12),
    the fusion persisting. MET amplification is a recognised ALK-independent bypass after
    next-generation ALK TKIs: it is named (off-target, acquired), and since no ALK + MET
    combination has trial evidence, chemotherapy is offered. The EGFR-TKI + MET-TKI
    combinations written for EGFR-mutant disease are not offered to an ALK-positive tumour."""
    r = run(tmp_path, one_line([ALK, MET_AMP], ["lorlatinib"], driver=ALK))
    met = mechanism(r, "MET amplification")
    assert met.acquired
    assert met.class_.value == "off_target"
    assert MET_BYPASS in met.statements
    assert set(drugs(r)[0]) & PLATINUM, drugs(r)
    assert not _offered(r) & EGFR_TKIS, drugs(r)


def test_met_amplification_on_alectinib_does_not_offer_lorlatinib_alone(tmp_path: Path) -> None:
    """Synthetic scenario: EML4::ALK on alectinib, acquired MET amplification. The bypass is
    named; lorlatinib alone does not address a MET-driven bypass (the no-mechanism lorlatinib
    option applies only when nothing was found), so chemotherapy is offered."""
    r = run(tmp_path, one_line([ALK, MET_AMP], ["alectinib"], driver=ALK))
    assert MET_BYPASS in mechanism(r, "MET amplification").statements
    assert ("lorlatinib",) not in drugs(r)
    assert CHEMO in drugs(r)


def test_met_amplification_on_crizotinib_is_not_this_bypass(tmp_path: Path) -> None:
    """Synthetic scenario: EML4::ALK on crizotinib, MET amplification at progression.
    Crizotinib is itself a MET inhibitor and the series behind the bypass statement is after
    next-generation ALK TKIs: the statement does not fire after crizotinib."""
    r = run(tmp_path, one_line([ALK, MET_AMP], ["crizotinib"], driver=ALK))
    assert not _fired(r) & NEW_STATEMENTS


def test_egfr_tumour_on_osimertinib_and_alectinib_keeps_its_egfr_statements(
    tmp_path: Path,
) -> None:
    """Synthetic scenario: EGFR exon 19 deletion, acquired ALK fusion on osimertinib, then
    osimertinib + alectinib until progression with MET amplification. The tumour is EGFR-driven:
    the ALK-positive later-line statements (lorlatinib alone, chemotherapy after ALK TKIs, the
    MET bypass of ALK TKIs) are written for ALK-positive disease on ALK TKIs alone and do not
    fire; the EGFR statements answer."""
    r = run(
        tmp_path,
        one_line([DEL19, ALK, MET_AMP], ["osimertinib", "alectinib"], driver=DEL19),
    )
    assert not _fired(r) & NEW_STATEMENTS
    assert r.options
    assert ("lorlatinib",) not in drugs(r)


def test_ros1_tumour_on_crizotinib_gets_no_alk_option(tmp_path: Path) -> None:
    """Synthetic scenario: CD74::ROS1 on first-line crizotinib (an ALK TKI that is also a ROS1
    and MET inhibitor), progression, no mechanism found. Alectinib, brigatinib and the other
    ALK-selective TKIs have no ROS1 activity: none of the ALK later-line statements may fire
    after crizotinib, whatever the fusion (the matching rule does not yet read an ALK or ROS1
    fusion as the original driver, so crizotinib lines get no ALK fallback at all)."""
    r = run(tmp_path, one_line(["CD74::ROS1"], ["crizotinib"], driver="CD74::ROS1"))
    assert not _fired(r) & NEW_STATEMENTS
    assert not _offered(r) & {"alectinib", "brigatinib", "ceritinib", "ensartinib"}
