"""General rules of the serial comparison and the dynamics anchor (#12 audit, #15, #18).

EVERY CASE HERE IS SYNTHETIC: invented scenarios built with the audit's case writer
(:mod:`tests.interpret.test_generalisation_audit`) or the dynamics builder
(:mod:`tests.interpret.dynamics_builder`); none is a published patient. Each case is read and
interpreted as ``tkiresist interpret`` does. Each test says what a thoracic oncologist would
expect, and why.

The rules (module docstring of :mod:`tkiresist.interpret.serial`):

* a test dated after a progression belongs to it until the next line starts (or, with no later
  line, for 90 days); a test after the next line began belongs to that line;
* a liquid (plasma or CSF) negative counts only when the draw shows tumour DNA (tumour fraction
  at least 1%, or another tumour alteration detected in it); otherwise it is uninformative;
* before any therapy, a detected finding is ``baseline`` (present at diagnosis);
* the plasma lead time is measured to radiographic progression, not a clinical one.
"""

from __future__ import annotations

from pathlib import Path

from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import parse_case_text, read_case
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.model.interpretation import PRESENT_STATES, AlterationStatus, Interpretation
from tkiresist.report.text import render_text

from .dynamics_builder import CLASSIC, serial_text
from .test_generalisation_audit import (
    DEL19,
    HEADER,
    dx,
    line,
    one_line,
    pd,
    run,
    sample,
)

KB = load_knowledge_base()


def alteration(r: Interpretation, word: str) -> AlterationStatus:
    return next(a for a in r.alterations if word in a.name)


def run_at(tmp_path: Path, events: str, at: str) -> Interpretation:
    """Write the case file and interpret it at the event ``at`` (``tkiresist interpret --at``)."""
    path = tmp_path / "case.yaml"
    path.write_text(HEADER + events, encoding="utf-8")
    return interpret(read_case(path), KB, at=at)


def used_tests(r: Interpretation) -> set[str]:
    return {e.test for a in r.alterations for e in a.evidence}


# ------------------------------------------------------------------------------------------
# Which tests belong to the decision point


def test_rebiopsy_after_the_scan_is_the_progression_test_and_said_so(tmp_path: Path) -> None:
    """Scan on 20 March shows progression on osimertinib; the re-biopsy is on 28 March, no new
    line yet. The oncologist reads the re-biopsy as the progression test: C797S acquired, the
    driver persistent, and the interpretation says the test was dated after the scan."""
    r = run(tmp_path, one_line([DEL19, "EGFR p.C797S"], biopsy="2025-03-28"))
    assert alteration(r, "C797S").status == "acquired"
    assert alteration(r, "exon 19").status == "persistent"
    assert any("t-pd (8 days after)" in w and "after the decision point" in w for w in r.warnings)


def test_rebiopsy_weeks_later_but_before_the_next_line_is_still_used(tmp_path: Path) -> None:
    """Progression in March, next line (chemotherapy) from June, re-biopsy in late May: the
    biopsy that guided the choice of the next line. It belongs to the March progression, and
    the warning says it was read with it because it preceded the next line."""
    events = (
        dx()
        + sample("t-dx", "2023-01-12", "audit-tissue-panel", [DEL19])
        + line("l1", ["osimertinib"], "2023-02-01", "2025-06-01")
        + pd("pd", "2025-03-20", "l1")
        + sample("t-pd", "2025-05-25", "audit-tissue-panel", [DEL19, "MET amplification (GCN 9)"])
        + line("l2", ["carboplatin", "pemetrexed"], "2025-06-01", None)
    )
    r = run(tmp_path, events)
    assert alteration(r, "MET").status == "acquired"
    assert any("before the next line (l2) began" in w for w in r.warnings)


def test_a_test_after_the_next_line_began_belongs_to_that_line(tmp_path: Path) -> None:
    """Gefitinib, progression (no re-biopsy), osimertinib from March; a biopsy two weeks into
    osimertinib shows T790M. Interpreted at the gefitinib progression, that biopsy is not the
    progression test: it was taken on the next line. T790M must not appear at that decision
    point, and only the diagnostic test is used."""
    events = (
        dx()
        + sample("t-dx", "2023-01-12", "audit-tissue-panel", [DEL19])
        + line("gef", ["gefitinib"], "2023-02-01", "2024-03-01")
        + pd("pd1", "2024-02-20", "gef")
        + line("osi", ["osimertinib"], "2024-03-05", None)
        + sample("t-osi", "2024-03-19", "audit-tissue-panel", [DEL19, "EGFR p.T790M"])
    )
    r = run(tmp_path, events)  # latest progression: pd1 is the only one
    assert used_tests(r) == {"t-dx"}, used_tests(r)
    assert not any("T790M" in a.name for a in r.alterations)


def test_no_later_test_is_read_once_the_next_line_is_running(tmp_path: Path) -> None:
    """The gefitinib progression is written on 10 March, but osimertinib already began on 5
    March (a report that dates the scan's reading late). A biopsy on 19 March was taken on
    osimertinib: it belongs to that line, not to the gefitinib progression."""
    events = (
        dx()
        + sample("t-dx", "2023-01-12", "audit-tissue-panel", [DEL19])
        + line("gef", ["gefitinib"], "2023-02-01", "2024-03-01")
        + pd("pd1", "2024-03-10", "gef")
        + line("osi", ["osimertinib"], "2024-03-05", None)
        + sample("t-osi", "2024-03-19", "audit-tissue-panel", [DEL19, "EGFR p.T790M"])
    )
    r = run(tmp_path, events)
    assert used_tests(r) == {"t-dx"}, used_tests(r)


def test_with_no_later_line_the_window_closes_after_90_days(tmp_path: Path) -> None:
    """No line after the progression, and the only later test is four months after the scan:
    too late to read as the progression's test (the disease has had a restaging interval to
    change). The oncologist does not read it as the progression's test; the interpretation says
    it was left out and why."""
    r = run(tmp_path, one_line([DEL19, "EGFR p.C797S"], biopsy="2025-07-25"))
    assert "t-pd" not in used_tests(r)
    assert not any("C797S" in a.name for a in r.alterations)
    assert any("not read with it" in w and "90 days" in w for w in r.warnings)


def test_a_later_progression_owns_its_own_test(tmp_path: Path) -> None:
    """Osimertinib continued beyond a first progression (March) to a second one (May), with a
    biopsy on the day of the second. Interpreted at the first progression (``--at pd-a``), the
    May biopsy is the second progression's test, not the first's."""
    events = (
        dx()
        + sample("t-dx", "2023-01-12", "audit-tissue-panel", [DEL19])
        + line("l1", ["osimertinib"], "2023-02-01", None)
        + pd("pd-a", "2025-03-20", "l1")
        + pd("pd-b", "2025-05-20", "l1")
        + sample("t-b", "2025-05-20", "audit-tissue-panel", [DEL19, "EGFR p.C797S"])
    )
    at_a = run_at(tmp_path, events, "pd-a")
    assert "t-b" not in used_tests(at_a)
    at_b = run_at(tmp_path, events, "pd-b")
    assert alteration(at_b, "C797S").status == "acquired"


# ------------------------------------------------------------------------------------------
# Liquid negatives


def _plasma_progression(tmp_path: Path, findings: list[str], extra: str = "") -> Interpretation:
    return run(tmp_path, one_line(findings, plasma=True, extra=extra))


NEG_DRIVER = f"{{alteration: {DEL19}, status: not_detected}}"


def test_plasma_without_the_driver_and_nothing_else_is_not_assessable(tmp_path: Path) -> None:
    """Plasma at progression shows nothing at all, no tumour fraction given. A blank plasma is
    the commonest false negative (low shedding): the oncologist does not call the exon 19
    deletion lost, and the note says the draw showed no tumour DNA."""
    r = _plasma_progression(tmp_path, [NEG_DRIVER])
    a = alteration(r, "exon 19")
    assert a.status == "not_assessable"
    assert any("uninformative" in n and "no tumour DNA" in n for n in a.notes), a.notes


def test_plasma_at_low_tumour_fraction_is_not_assessable(tmp_path: Path) -> None:
    """Plasma negative for the driver at tumour fraction 0.3%: below 1%, a liquid negative
    often misses drivers that tissue finds; not lost, and the fraction is named."""
    r = _plasma_progression(tmp_path, [NEG_DRIVER], "    tumour_fraction: 0.003\n")
    a = alteration(r, "exon 19")
    assert a.status == "not_assessable"
    assert any("0.3%" in n for n in a.notes), a.notes


def test_plasma_at_high_tumour_fraction_can_show_the_driver_lost(tmp_path: Path) -> None:
    """Same negative at tumour fraction 12%: the draw is full of tumour DNA, so the absence of
    the driver means something (as in a transformation that lost it, or a new clone). Lost."""
    r = _plasma_progression(tmp_path, [NEG_DRIVER], "    tumour_fraction: 0.12\n")
    assert alteration(r, "exon 19").status == "lost"


def test_another_tumour_alteration_in_the_draw_makes_the_negative_informative(
    tmp_path: Path,
) -> None:
    """No fraction given, but the same draw detects KRAS G12C: tumour DNA is there, so the
    driver's absence is read as lost (a KRAS-driven clone has taken over)."""
    r = _plasma_progression(tmp_path, [NEG_DRIVER, "KRAS p.G12C"])
    assert alteration(r, "exon 19").status == "lost"


def test_a_clonal_haematopoiesis_variant_is_not_evidence_of_tumour_dna(tmp_path: Path) -> None:
    """Only a TP53 variant in the draw: TP53 is often mutated in blood cells (clonal
    haematopoiesis), so it does not prove tumour shedding. Not lost."""
    r = _plasma_progression(tmp_path, [NEG_DRIVER, "TP53 p.R248Q"])
    assert alteration(r, "exon 19").status == "not_assessable"


def test_tissue_negative_is_still_lost(tmp_path: Path) -> None:
    """The control: a tissue re-biopsy that does not show the driver is an informative
    negative. Lost, as before."""
    r = run(tmp_path, one_line([NEG_DRIVER, "KRAS p.G12C"]))
    assert alteration(r, "exon 19").status == "lost"


def test_csf_without_tumour_dna_is_not_assessable(tmp_path: Path) -> None:
    """CNS-only progression; CSF shows nothing. Parenchymal metastases may shed little into
    CSF: the oncologist does not call the driver lost from a blank CSF either."""
    events = one_line([NEG_DRIVER], pd_site="cns", cns=True, plasma=True).replace(
        "kind: plasma", "kind: csf"
    )
    r = run(tmp_path, events)
    a = alteration(r, "exon 19")
    assert a.status == "not_assessable"
    assert any("CSF draw" in n for n in a.notes), a.notes


def test_a_blank_plasma_baseline_cannot_make_an_alteration_acquired(tmp_path: Path) -> None:
    """The only earlier test of T790M is a plasma draw that showed nothing (not even the
    driver, seen in tissue). T790M found in tissue at progression cannot be called acquired
    against that blank draw: it is not assessable."""
    events = (
        dx()
        + sample("t-dx", "2023-01-12", "audit-egfr-pcr", [DEL19])
        + sample(
            "p-dx",
            "2023-01-15",
            "audit-plasma-panel",
            [NEG_DRIVER],
            kind="plasma",
            site="blood",
            site_kind="overall",
        )
        + line("l1", ["gefitinib"], "2023-02-01", "2025-03-20")
        + pd("pd", "2025-03-20", "l1")
        + sample("t-pd", "2025-03-20", "audit-tissue-panel", [DEL19, "EGFR p.T790M"])
    )
    r = run(tmp_path, events)
    assert alteration(r, "T790M").status == "not_assessable"


# ------------------------------------------------------------------------------------------
# Before any therapy


def test_at_diagnosis_the_driver_is_present_at_diagnosis(tmp_path: Path) -> None:
    """Interpreted at the diagnosis, before any therapy: the exon 19 deletion on the diagnostic
    biopsy (dated two days after the diagnosis event) is simply the tumour's driver, present
    at diagnosis: not "not assessable", not "acquired". It counts as present (it drives the
    first-line choice) and the text report says "at diagnosis"."""
    events = dx() + sample("t-dx", "2023-01-12", "audit-tissue-panel", [DEL19])
    events += line("l1", ["osimertinib"], "2023-02-01", None)
    r = run_at(tmp_path, events, "dx")
    a = alteration(r, "exon 19")
    assert a.status == "baseline"
    assert a.status in PRESENT_STATES
    assert a.name not in r.unmatched
    assert r.options and "osimertinib" in r.options[0].drugs
    assert "at diagnosis" in render_text(r)


# ------------------------------------------------------------------------------------------
# Dynamics: the lead time's anchor


def test_lead_time_is_measured_to_radiographic_not_clinical_progression() -> None:
    """A clinical progression (symptoms, no scan) is recorded at month 18, the RECIST
    progression at month 20; plasma showed C797S at month 16. The lead time of the blood over
    imaging is 4 months (to the scan), not 2 (to the symptoms), and the reason names the
    radiographic anchor."""
    text = serial_text(CLASSIC, pd_month=20).replace(
        "  - {id: pd,",
        "  - {id: pd-clin, type: response, time: 18 months after dx, category: PD, "
        "criteria: clinical, therapy: osi}\n  - {id: pd,",
    )
    r = interpret(parse_case_text(text, "synthetic.yaml"), KB)
    p = r.dynamics[0].progression
    assert p.radiographic_event == "pd" and p.lead_time_months == 4.0
    assert "radiographic progression (pd)" in p.reason


def test_without_radiographic_progression_the_fallback_anchor_is_said() -> None:
    """The only progression is clinical. The lead time falls back to that decision point, and
    the output says so: no radiographic event is claimed."""
    text = serial_text(CLASSIC, pd_month=20).replace("criteria: RECIST 1.1", "criteria: clinical")
    r = interpret(parse_case_text(text, "synthetic.yaml"), KB)
    p = r.dynamics[0].progression
    assert p.radiographic_event is None and p.radiographic_month is None
    assert p.lead_time_months == 4.0
    assert "clinical progression (pd; no radiographic progression on the line)" in p.reason
