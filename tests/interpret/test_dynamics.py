"""Serial ctDNA dynamics (#15) on a synthetic patient (``dynamics_builder``: invented, not a
published case): EGFR exon 19 deletion, first-line osimertinib from month 1, plasma every three
months, radiographic progression (RECIST PD) at month 20.

Each test says what a thoracic oncologist reading the draws would expect, and why.
"""

from __future__ import annotations

import json

import pytest

from tkiresist.errors import TkiResistError
from tkiresist.interpret.dynamics import RULES, dynamics
from tkiresist.interpret.engine import interpret
from tkiresist.interpret.serial import decision_point
from tkiresist.io.casefile import read_case
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.model.interpretation import Dynamics, Interpretation

from ..conftest import ROOT
from .dynamics_builder import CLASSIC, LOD, DrawSpec, serial_case, serial_text

EX19 = "EGFR exon 19 deletion"


def run(draws: list[DrawSpec], pd_month: float = 20, kind: str = "plasma") -> Interpretation:
    return interpret(serial_case(draws, pd_month, kind), load_knowledge_base())


def only(result: Interpretation) -> Dynamics:
    assert len(result.dynamics) == 1, result.dynamics
    return result.dynamics[0]


def test_clearance_then_c797s_four_months_before_progression() -> None:
    """The textbook course on osimertinib: the exon 19 deletion falls from 12.5% to 2% at the
    first on-treatment draw (a molecular response: more than half gone), clears for three
    draws, then comes back with C797S at month 16, four months before the scan shows
    progression at month 20. An oncologist expects: molecular response at month 4 (cleared at
    month 7), molecular progression at month 16 (a new C797S and the driver's return, seen
    again at month 19), a lead time of 4 months, and C797S named as the new alteration."""
    d = only(run(CLASSIC))
    assert d.compartment == "plasma" and d.line == "osi" and d.driver == EX19
    assert [x.phase for x in d.draws] == ["baseline"] + ["on_line"] * 6
    r = d.response
    assert (r.status, r.how, r.month, r.cleared_month) == ("response", "fall", 4.0, 7.0)
    assert r.baseline_test == "plasma0" and r.baseline_vaf == 0.125
    p = d.progression
    assert p.status == "progression"
    assert set(p.kinds) == {"new_alteration", "driver_rise"}
    assert p.alterations == ("EGFR p.C797S",)
    assert (p.month, p.confirmed_month, p.radiographic_month) == (16.0, 19.0, 20.0)
    assert p.lead_time_months == 4.0
    assert "4 months before radiographic progression" in p.reason
    roles = {s.name: s.role for s in d.series}
    assert roles == {EX19: "driver", "EGFR p.C797S": "new"}
    assert any("50%" in rule and "project's choice" in rule for rule in d.rules)


def test_clonal_context_of_c797s_with_its_uncertainty() -> None:
    """C797S at 0.3% beside a driver at 0.6% (month 16) is a ratio of 0.5 on tiny VAFs: an
    oncologist would not call clonality from that (sampling noise), so uncertain. At month 19,
    1.2% against 3% (0.4) is subclonal, with the caveat that an amplified mutant EGFR allele
    would make a clonal alteration look subclonal."""
    d = only(run(CLASSIC))
    calls = {(c.month, c.call) for c in d.clonality}
    assert calls == {(16.0, "uncertain"), (19.0, "subclonal")}
    sub = next(c for c in d.clonality if c.call == "subclonal")
    assert sub.ratio == pytest.approx(0.4) and "amplified" in sub.note
    assert d.polyclonal == ()


def test_serial_plasma_is_not_spatial_heterogeneity() -> None:
    """Before #15 the serial comparison read every on-treatment draw as one "current" time
    point and printed "current specimens disagree ... spatial heterogeneity" for the driver.
    Draws of one patient's blood months apart disagree because the tumour responded and then
    relapsed: an oncologist expects no heterogeneity flag, and a note that points to the
    dynamics instead."""
    result = run(CLASSIC)
    assert not any("heterogeneity for" in w for w in result.warnings)
    driver = next(a for a in result.alterations if a.name == EX19)
    assert driver.status == "persistent" and not driver.heterogeneous
    assert any("dynamics, not spatial heterogeneity" in n for n in driver.notes)
    assert not any("current specimens disagree" in n for n in driver.notes)


def test_two_biopsies_at_progression_are_still_heterogeneity() -> None:
    """The change to the serial comparison is narrow: two plasma draws on the same day that
    disagree are not dynamics (no time passed between them), so the old flag stays. (Two
    tissue biopsies that disagree are covered in test_engine_rules.)"""
    draws: list[DrawSpec] = [
        (0, [f"{{alteration: {EX19}, vaf: 0.1}}"], LOD),
        (19, [f"{{alteration: {EX19}, vaf: 0.05}}", "EGFR C797S"], LOD),
    ]
    text = serial_text(draws)
    text += (
        "  - {id: s-plasma19b, type: specimen, time: 19 months after dx, kind: plasma}\n"
        "  - {id: plasma19b, type: test, specimen: s-plasma19b, assay: synthetic-cfdna, "
        f"findings: ['{EX19}']}}\n"
    )
    from tkiresist.io.casefile import parse_case_text

    result = interpret(parse_case_text(text, "synthetic.yaml"), load_knowledge_base())
    c797s = next(a for a in result.alterations if a.name == "EGFR p.C797S")
    assert c797s.heterogeneous


def test_driver_not_detected_at_low_tumour_fraction_is_uninformative() -> None:
    """At progression (month 20) the plasma shows nothing, not even the exon 19 deletion, and
    the laboratory reports a tumour fraction of 0.4%. An oncologist reads this as a draw with
    too little tumour DNA, not as a cleared driver nor as "no resistance": it cannot rule out
    C797S, MET amplification or transformation in tissue, so a tissue biopsy is needed. An
    on-treatment draw with the same low tumour fraction is not counted as clearance either."""
    draws: list[DrawSpec] = [
        (0, [f"{{alteration: {EX19}, vaf: 0.08}}"], LOD),
        (
            4,
            [f"{{alteration: {EX19}, status: not_detected}}"],
            f"{LOD}\n    tumour_fraction: 0.004",
        ),
        (
            20,
            [f"{{alteration: {EX19}, status: not_detected}}"],
            f"{LOD}\n    tumour_fraction: 0.004",
        ),
    ]
    d = only(run(draws))
    at_pd = d.draws[-1]
    assert at_pd.driver == "not_detected" and not at_pd.informative
    assert at_pd.note is not None and "uninformative, not cleared" in at_pd.note
    assert any("cannot rule out resistance in tissue" in n for n in d.notes)
    assert d.response.status == "no_response"  # the low-fraction negative is no clearance
    assert d.draws[1].note is not None and "uninformative" in d.draws[1].note
    assert d.progression.status == "none"


def test_driver_negative_at_progression_without_tumour_fraction_is_not_clearance() -> None:
    """A draw at the scan that shows progression and finds no driver is not a response, even
    without a reported tumour fraction: the tumour is growing, so the blood simply carried too
    little of its DNA. An oncologist expects "uninformative" and the advice to biopsy tissue."""
    draws: list[DrawSpec] = [
        (0, [f"{{alteration: {EX19}, vaf: 0.08}}"], LOD),
        (20, [f"{{alteration: {EX19}, status: not_detected}}"], LOD),
    ]
    d = only(run(draws))
    assert (
        d.draws[-1].note is not None and "at or after radiographic progression" in d.draws[-1].note
    )
    assert d.response.status == "not_assessable"  # no draw on the line before the PD


def test_driver_without_resistance_in_plasma_does_not_rule_out_tissue_resistance() -> None:
    """At progression the plasma shows the exon 19 deletion rising again but no new
    alteration. An oncologist knows plasma cannot show a transformation to small-cell
    carcinoma and often misses MET amplification or fusions: the draw is informative for the
    driver, and the reading must say that it does not rule out resistance in tissue."""
    draws: list[DrawSpec] = [
        (0, [f"{{alteration: {EX19}, vaf: 0.08}}"], LOD),
        (4, [f"{{alteration: {EX19}, vaf: 0.004}}"], LOD),
        (19, [f"{{alteration: {EX19}, vaf: 0.05}}"], LOD),
    ]
    d = only(run(draws))
    assert d.draws[-1].informative
    assert any(
        "latest plasma draw (plasma19, month 19.0)" in n and "does not rule out" in n
        for n in d.notes
    )


def test_percent_vaf_is_refused_with_the_fraction_to_write() -> None:
    """A report that gives "VAF 12.5%" copied as ``vaf: 12.5`` would be read as 1250% if
    accepted, and dividing by 100 silently would be wrong for the report that meant 0.5 as a
    fraction: the case format asks for fractions, so the file is refused with a message naming
    the value to write (0.125). tumour_fraction and limit_of_detection follow the same rule."""
    draws: list[DrawSpec] = [(0, [f"{{alteration: {EX19}, vaf: 12.5}}"], ""), (4, [EX19], "")]
    with pytest.raises(TkiResistError, match=r"not a percentage; for 12\.5% write 0\.125"):
        serial_case(draws)
    draws = [(0, [EX19], "tumour_fraction: 15"), (4, [EX19], "")]
    with pytest.raises(TkiResistError, match=r"tumour_fraction 15 is above 1"):
        serial_case(draws)


def test_draws_listed_out_of_time_order_give_the_same_dynamics() -> None:
    """A case file lists events in any order (a report may give the latest result first). The
    series must follow the calendar, so an oncologist expects exactly the same reading when the
    draws are written in reverse."""
    kb = load_knowledge_base()
    forward = interpret(serial_case(CLASSIC), kb)
    backward = interpret(serial_case(CLASSIC, reverse=True), kb)
    assert [e.id for e in serial_case(CLASSIC, reverse=True).events][-1] == "s-lung"
    assert forward.dynamics == backward.dynamics
    months = [p.month for p in backward.dynamics[0].series[0].points]
    assert months == sorted(months)


def test_missing_limit_of_detection_is_never_a_vaf_of_zero() -> None:
    """When the report does not state the assay's limit of detection, "not detected" means
    "below some unknown limit", not 0%: an oncologist would not accept a 0 in the series (it
    would fake a 100% fall). The point keeps no VAF and no limit, and a note says the limit was
    not stated."""
    draws: list[DrawSpec] = [
        (0, [f"{{alteration: {EX19}, vaf: 0.1}}"], ""),
        # a report's "0%" for a negative is accepted by the format and still not carried as 0
        (4, [f"{{alteration: {EX19}, status: not_detected, vaf: 0}}"], ""),
        (7, [f"{{alteration: {EX19}, vaf: 0.01}}"], ""),
    ]
    d = only(run(draws))
    nd = d.series[0].points[1]
    assert (nd.result, nd.vaf, nd.below) == ("not_detected", None, None)
    assert str(nd) == "ND (LoD not stated)"
    assert any("limit of detection not stated for plasma4" in n for n in d.notes)
    dumped = json.loads(json.dumps([s.model_dump(mode="json") for s in d.series]))
    assert all(p["vaf"] is None for s in dumped for p in s["points"] if p["result"] != "detected")
    assert d.response.how == "clearance" and d.response.month == 4.0


def test_new_alterations_together_are_polyclonal_resistance() -> None:
    """C797S and MET amplification both appearing on osimertinib is polyclonal resistance,
    which changes the choice (a MET inhibitor alone or a fourth-generation EGFR inhibitor alone
    will not cover both). An oncologist expects both named; MET amplification's clonality is
    uncertain because a copy-number change has no VAF that counts cells."""
    draws: list[DrawSpec] = [
        (0, [f"{{alteration: {EX19}, vaf: 0.1}}"], LOD),
        (4, [f"{{alteration: {EX19}, vaf: 0.01}}"], LOD),
        (
            16,
            [
                f"{{alteration: {EX19}, vaf: 0.05}}",
                "{alteration: EGFR C797S, vaf: 0.03}",
                "MET amplification",
            ],
            LOD,
        ),
    ]
    d = only(run(draws))
    assert set(d.polyclonal) == {"EGFR p.C797S", "MET amplification"}
    assert any(n.startswith("polyclonal resistance") for n in d.notes)
    calls = {c.alteration: c.call for c in d.clonality}
    assert calls == {"EGFR p.C797S": "clonal", "MET amplification": "uncertain"}
    assert d.progression.lead_time_months == 4.0


def test_no_baseline_draw_leaves_response_not_assessable() -> None:
    """Without a plasma draw before osimertinib began there is no reference level: an
    oncologist cannot call a molecular response, and a new alteration cannot be told from one
    present at the start of the line unless an earlier on-line draw covered it."""
    draws: list[DrawSpec] = [
        (4, [f"{{alteration: {EX19}, vaf: 0.02}}"], LOD),
        (16, [f"{{alteration: {EX19}, vaf: 0.03}}", "EGFR C797S"], LOD),
    ]
    d = only(run(draws))
    assert d.response.status == "not_assessable" and "baseline" in d.response.reason
    assert d.progression.alterations == ("EGFR p.C797S",)  # not in the month-4 draw that covered it


def test_a_rise_seen_once_is_not_molecular_progression() -> None:
    """The driver doubling in the last draw before the scan, with no later draw to confirm it,
    could be assay noise: an oncologist would repeat the test rather than call progression. The
    rule asks for confirmation, and the reason says the rise was not confirmed."""
    draws: list[DrawSpec] = [
        (0, [f"{{alteration: {EX19}, vaf: 0.1}}"], LOD),
        (4, [f"{{alteration: {EX19}, vaf: 0.01}}"], LOD),
        (7, [f"{{alteration: {EX19}, vaf: 0.03}}"], LOD),
    ]
    d = only(run(draws))
    assert d.progression.status == "none"
    assert "not confirmed" in d.progression.reason
    assert RULES.rise_fold == 2.0


def test_csf_is_read_apart_from_plasma() -> None:
    """Allele fractions in cerebrospinal fluid are not comparable with plasma ones: serial CSF
    draws form their own compartment."""
    d = only(run(CLASSIC, kind="csf"))
    assert d.compartment == "csf" and d.progression.lead_time_months == 4.0


def test_one_plasma_draw_or_the_seed_has_no_dynamics() -> None:
    """Dynamics need two or more draws of one compartment; the seed patient (tissue biopsies
    only) keeps the interpretation it had, with no Dynamics section."""
    case = read_case(ROOT / "examples" / "cheung2025" / "case.yaml")
    assert dynamics(case, decision_point(case)) == ()
    one = run([(0, [EX19], LOD)])
    assert one.dynamics == ()
