"""An equivocal call (#13, third audit): neither detected nor not detected.

EVERY CASE HERE IS SYNTHETIC: an invented scenario, not a published patient; none carries a
citation of its own. The case files are written with the first generalisation audit's helpers
and read and interpreted as ``tkiresist interpret`` does.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.interpret.test_generalisation_audit import (
    DEL19,
    HEADER,
    KB,
    drugs,
    one_line,
    run,
)
from tkiresist.interpret.engine import interpret
from tkiresist.interpret.recommended_tests import RULES
from tkiresist.io.casefile import parse_case_text
from tkiresist.model.interpretation import AlterationStatus, Interpretation

MET_EQUIVOCAL = "{alteration: 'MET amplification (GCN 5)', status: equivocal}"


def _row(r: Interpretation, text: str) -> AlterationStatus:
    return next(s for s in r.alterations if text in s.name)


def _orthogonal(r: Interpretation) -> list[str]:
    return [t.reason for t in r.recommended_tests if t.kind == "orthogonal_confirmation"]


def test_equivocal_met_amplification_is_not_assessable(tmp_path: Path) -> None:
    """Synthetic scenario: progression on first-line osimertinib; the tissue NGS report calls
    MET amplification equivocal (copy number 5, near its cut-off). A thoracic oncologist does
    not read equivocal as negative, nor as positive: MET is not assessable, no MET mechanism is
    named on it, the report's equivocal call is said, and MET FISH (or IHC) on tissue is asked
    for before choosing between a MET-directed combination and standard care."""
    r = run(tmp_path, one_line([DEL19, MET_EQUIVOCAL]))
    met = _row(r, "MET amplification")
    assert met.status == "not_assessable"
    assert not met.category, "nothing is read from an equivocal call"
    assert any("equivocal" in n for n in met.notes)
    assert any("MET amplification" in w and "equivocal" in w for w in r.warnings)
    assert not any("MET" in m.label for m in r.mechanisms)
    advice = _orthogonal(r)
    assert len(advice) == 1, advice
    assert "FISH" in advice[0] and "MET IHC" in advice[0]
    assert "10.18632/oncotarget.28092" in advice[0]
    assert drugs(r)[0] != ("osimertinib", "savolitinib")


def test_equivocal_driver_at_progression_is_not_lost(tmp_path: Path) -> None:
    """Synthetic scenario: the exon 19 deletion found at diagnosis is called equivocal on the
    progression biopsy (low tumour content). An equivocal call is not a negative: the driver is
    not "lost" (which would suggest a new, EGFR-independent clone), only not assessable."""
    r = run(tmp_path, one_line([f"{{alteration: {DEL19}, status: equivocal}}"]))
    assert _row(r, "exon 19").status == "not_assessable"
    assert any("second method" in a for a in _orthogonal(r)), _orthogonal(r)


def test_equivocal_fusion_asks_for_rna_or_fish(tmp_path: Path) -> None:
    """Synthetic scenario: an EML4::ALK fusion called equivocal by the progression panel. The
    oncologist confirms a fusion by RNA sequencing or FISH (or ALK IHC) before an ALK TKI."""
    r = run(tmp_path, one_line([DEL19, "{alteration: 'EML4::ALK', status: equivocal}"]))
    assert _row(r, "ALK").status == "not_assessable"
    advice = _orthogonal(r)
    assert any("RNA sequencing or FISH" in a and "ALK IHC" in a for a in advice), advice


def test_a_detection_by_another_test_wins_over_an_equivocal_call(tmp_path: Path) -> None:
    """Synthetic scenario: the tissue panel calls MET amplification equivocal, a FISH-like
    second test on the same day detects it. Once a test detects it, the call is settled: MET
    amplification is acquired and no confirmation is asked for on the equivocal rule."""
    events = one_line([DEL19, MET_EQUIVOCAL]) + (
        """  - id: t-pd2
    type: test
    specimen: t-pd-spec
    assay: audit-tissue-panel
    findings:
      - {alteration: 'MET amplification (GCN 12)'}
"""
    )
    r = run(tmp_path, events)
    assert _row(r, "MET amplification").status == "acquired"
    assert not any("called equivocal" in a for a in _orthogonal(r))


def test_the_rule_is_in_the_table() -> None:
    """The advice is a situation rule of the table, with its evidence."""
    rule = next(r for r in RULES if r.id == "equivocal")
    assert "project decision" in rule.evidence and "schmitt-2021" in rule.evidence


_RESULT = st.sampled_from(["detected", "not_detected", "equivocal", None])


@settings(max_examples=25, deadline=None)
@given(before=_RESULT, now=_RESULT)
def test_an_equivocal_call_never_reads_as_a_negative(before: str | None, now: str | None) -> None:
    """Synthetic scenarios: MET amplification at diagnosis and at progression, each detected,
    not detected, equivocal or not listed (the covering panel then counts it not detected).
    Whatever the earlier result, a progression call of equivocal (with nothing detecting it
    now) never makes MET "not detected" or "lost"; and exactly a progression call of equivocal
    asks for the orthogonal confirmation of this rule (an earlier detection does not settle
    today's call)."""

    def finding(result: str | None) -> list[str]:
        if result is None:
            return []
        return [f"{{alteration: 'MET amplification (GCN 5)', status: {result}}}"]

    events = one_line([DEL19, *finding(now)], baseline=[DEL19, *finding(before)])
    r = interpret(parse_case_text(HEADER + events, "case.yaml"), KB)
    met = next((s.status for s in r.alterations if "MET amplification" in s.name), None)
    asked = any("called equivocal" in a for a in _orthogonal(r))
    if now == "equivocal":
        assert met not in (None, "not_detected", "lost"), met
    assert asked == (now == "equivocal")
