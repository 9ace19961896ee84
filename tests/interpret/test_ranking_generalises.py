"""Ranking rules that must hold across situations, not for one case (#12 audit follow-up).

EVERY CASE HERE IS A SYNTHETIC SCENARIO (invented timelines, no published patient, no citation),
written as a case file and interpreted as the CLI does, with the audit's case builders.

The rules (``interpret/options.py``, ``docs/ranking.md``):

* evidence level dominates the bonuses across tiers: a level D (preclinical) or E (inferential)
  option never outranks a level A or B standard-care option of the same situation, however well
  it targets the mechanism; the exceptions are a standard option that does not reach a CNS
  progression the weak option reaches, and the therapy of a new driver that replaced a lost EGFR
  driver;
* a targeted or antibody drug the patient is progressing on, given again as the active part of
  a new regimen (beside only new chemotherapy), is not a new option: it is avoided;
* a mechanism is acquired when its defining alterations (the statement's ``any_of`` triggers)
  were acquired; an ``all_of`` companion found earlier does not make it pre-existing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tkiresist.interpret.mechanisms import Fired, case_context
from tkiresist.interpret.options import rank
from tkiresist.interpret.serial import decision_point, serial_comparison
from tkiresist.io.casefile import read_case
from tkiresist.model.interpretation import Avoid, Interpretation, Option

from .test_generalisation_audit import (
    AMI_CHEMO,
    CHEMO,
    DEL19,
    HEADER,
    KB,
    L858R,
    drugs,
    index,
    mechanism,
    one_line,
    option,
    run,
    second_line_osimertinib,
)

FALLBACK = {st.id for st in KB.fallback}
ABCP = ("atezolizumab", "bevacizumab", "carboplatin", "paclitaxel")


def _standard(o: Option) -> bool:
    """An option of the line's standard care (from a fallback statement)."""
    return bool(FALLBACK & set(o.statements))


def _weak(r: Interpretation) -> list[Option]:
    return [o for o in r.options if o.evidence_level in ("D", "E")]


def _strong_standard(r: Interpretation) -> list[Option]:
    return [o for o in r.options if _standard(o) and o.evidence_level in ("A", "B")]


WEAK_EVIDENCE_SCENARIOS = {
    # C797S without T790M on first-line osimertinib: a preclinical first-generation TKI switch
    "c797s-alone-after-osimertinib": one_line([DEL19, "EGFR p.C797S"]),
    # G724S on first-line osimertinib: a preclinical second-generation TKI option
    "g724s-after-osimertinib": one_line([DEL19, "EGFR p.G724S"]),
    # ALK fusion on osimertinib, no CNS disease: the lorlatinib combination is inferential (E)
    "alk-fusion-after-osimertinib": one_line([DEL19, "EML4::ALK"]),
    # ALK fusion on erlotinib: the osimertinib + alectinib combination is extrapolated (E)
    "alk-fusion-after-erlotinib": one_line(
        [L858R, "EML4::ALK"], ["erlotinib"], driver=L858R, pd_date="2024-05-20"
    ),
}


@pytest.mark.parametrize("events", WEAK_EVIDENCE_SCENARIOS.values(), ids=WEAK_EVIDENCE_SCENARIOS)
def test_weak_evidence_never_outranks_standard_care(tmp_path: Path, events: str) -> None:
    """Synthetic scenarios with a level D or E targeted option for the mechanism found and no
    CNS progression. A thoracic oncologist offers the approved or trial-proven standard care of
    the line (level A or B) before a regimen supported only by cell lines, mouse models or
    extrapolation, even one aimed at the mechanism in this tumour: the mechanism shows what to
    aim at, not that the drug works in patients. The weak option is still listed, below, with
    the reason in its rationale."""
    r = run(tmp_path, events)
    weak, strong = _weak(r), _strong_standard(r)
    assert weak and strong, drugs(r)
    last_strong = max(o.rank for o in strong)
    for o in weak:
        assert o.rank > last_strong, [(x.drugs, x.evidence_level, x.score) for x in r.options]


def test_level_c_combination_keeping_the_persisting_driver_still_leads(tmp_path: Path) -> None:
    """Synthetic: EML4::ALK acquired on first-line osimertinib, exon 19 deletion persisting. The
    cap is for preclinical and inferential evidence only: case series in patients (level C) of
    osimertinib + alectinib, aimed at the mechanism shown in this tumour and keeping the EGFR
    driver inhibited, rank first, above amivantamab-chemotherapy (as the seed review concludes
    and docs/ranking.md states)."""
    r = run(tmp_path, one_line([DEL19, "EML4::ALK"]))
    assert drugs(r)[0] == ("osimertinib", "alectinib"), drugs(r)
    assert index(r, ("osimertinib", "alectinib")) < index(r, AMI_CHEMO)


def test_cns_progression_lets_a_cns_active_weak_option_pass_standard_care_that_misses_it(
    tmp_path: Path,
) -> None:
    """Synthetic: EML4::ALK acquired on osimertinib with progression in the brain. Standard care
    that does not reach the brain (platinum-pemetrexed) is not the standard of this situation,
    so the CNS-active osimertinib + lorlatinib (level E) may rank above it, and above
    osimertinib + crizotinib (level C, poor CNS penetration; alectinib or lorlatinib over
    crizotinib, as the seed review concludes). It still ranks below every CNS-active level A or
    B standard option (amivantamab-chemotherapy)."""
    r = run(tmp_path, one_line([DEL19, "EML4::ALK"], pd_site="cns", cns=True))
    lorla = option(r, ("osimertinib", "lorlatinib"))
    assert lorla.evidence_level == "E"
    assert lorla.rank < option(r, ("osimertinib", "crizotinib")).rank
    assert lorla.rank < option(r, CHEMO).rank
    for o in _strong_standard(r):
        if o.cns_active:
            assert o.rank < lorla.rank, (o.drugs, o.rank, lorla.rank)
    assert "capped" in lorla.rationale


def test_new_driver_therapy_is_not_capped(tmp_path: Path) -> None:
    """Synthetic: EML4::ALK on osimertinib with the exon 19 deletion no longer detected on the
    same panel. The tumour now runs on ALK: an ALK TKI alone is that tumour's standard first
    line, whatever the (inferential) level of the acquired-resistance literature, so it ranks
    above chemotherapy and no cap applies."""
    events = one_line(["EML4::ALK", f"{{alteration: {DEL19}, status: not_detected}}"])
    r = run(tmp_path, events)
    first = option(r, drugs(r)[0])
    assert first.drugs in (("alectinib",), ("lorlatinib",)), drugs(r)
    assert first.rank < option(r, CHEMO).rank
    assert "capped" not in first.rationale


def _ranked_with(tmp_path: Path, events: str, statement: str) -> tuple[list[Option], list[Avoid]]:
    """The ranking step alone, for the case's situation and one knowledge-base statement taken
    as firing (whatever its context says): the ranking rule must hold on its own, not only
    because a statement's context keeps the regimen out."""
    path = tmp_path / "case.yaml"
    path.write_text(HEADER + events, encoding="utf-8")
    case = read_case(path)
    point = decision_point(case)
    statuses, _ = serial_comparison(case, point)
    ctx = case_context(point, case.diagnosis.oncotree_code, statuses, case.diagnosis.driver)
    return rank([Fired(KB.by_id[statement], ())], ctx)


def test_amivantamab_arms_are_avoided_after_amivantamab_lazertinib(tmp_path: Path) -> None:
    """Synthetic: progression on first-line amivantamab + lazertinib (MARIPOSA) without a
    mechanism. The MARIPOSA-2 arms add chemotherapy to amivantamab (with or without lazertinib),
    the drugs the tumour is progressing on: only the chemotherapy is new, so an oncologist does
    not present them as new options. Even if the MARIPOSA-2 statement were taken as applying,
    both arms are avoided with the reason, and its chemotherapy arm is still offered."""
    events = one_line([DEL19], ["amivantamab", "lazertinib"])
    options, avoid = _ranked_with(tmp_path, events, "no-mechanism-after-osimertinib")
    offered = [tuple(o.drugs) for o in options]
    assert not any("amivantamab" in d for d in offered), offered
    reasons = {tuple(a.drugs): a.reason for a in avoid}
    assert "amivantamab" in reasons[AMI_CHEMO]
    assert "amivantamab" in reasons[("amivantamab", "lazertinib", "carboplatin", "pemetrexed")]
    assert CHEMO in offered
    # and through the whole engine (whatever statement keeps it out): no amivantamab offered
    r = run(tmp_path, events)
    assert not any("amivantamab" in d for d in drugs(r)), drugs(r)


def test_same_generation_is_not_the_same_drug(tmp_path: Path) -> None:
    """Synthetic: progression on first-line osimertinib without a mechanism. MARIPOSA-2 enrolled
    exactly these patients: amivantamab + chemotherapy, and its lazertinib arm, are new options
    (lazertinib is of osimertinib's generation, which lowers its rank, but it is not the drug
    the patient is progressing on)."""
    r = run(tmp_path, one_line([DEL19]))
    assert AMI_CHEMO in drugs(r)
    assert ("amivantamab", "lazertinib", "carboplatin", "pemetrexed") in drugs(r)


def test_continued_egfr_tki_is_not_a_re_offer(tmp_path: Path) -> None:
    """Synthetic: MET amplification acquired on first-line osimertinib, driver persisting.
    Continuing osimertinib and adding a MET TKI is the point of the regimen (role continue),
    not a re-offer of a failing drug: it is offered."""
    r = run(tmp_path, one_line([DEL19, "MET amplification (GCN 12)"]))
    assert ("osimertinib", "savolitinib") in drugs(r)


def test_failing_antibody_beside_a_new_antibody_stays_an_option(tmp_path: Path) -> None:
    """Synthetic: progression on first-line erlotinib + bevacizumab without T790M. In
    atezolizumab-bevacizumab-carboplatin-paclitaxel (ATTLAS) atezolizumab is new beside the
    bevacizumab the tumour progressed on, so the regimen is not a mere re-offer: it stays an
    option, ranked lower for the failing drug, and the rationale says so."""
    events = one_line(
        [L858R, "{alteration: EGFR p.T790M, status: not_detected}"],
        ["erlotinib", "bevacizumab"],
        driver=L858R,
        pd_date="2024-05-20",
    )
    r = run(tmp_path, events)
    assert ABCP in drugs(r), drugs(r)
    assert "progressing on bevacizumab" in option(r, ABCP).rationale


def test_c797s_on_a_t790m_background_is_an_acquired_mechanism(tmp_path: Path) -> None:
    """Synthetic: T790M found before second-line osimertinib, C797S new at progression on it.
    The mechanism of resistance to osimertinib is C797S (the statement's defining trigger);
    T790M is its required background, present before. An oncologist reads the mechanism as
    acquired."""
    r = run(
        tmp_path,
        second_line_osimertinib(DEL19, [DEL19, "EGFR p.T790M", "EGFR p.C797S"]),
    )
    c797 = [m for m in r.mechanisms if "C797" in m.label]
    assert c797, [m.label for m in r.mechanisms]
    assert all(m.acquired for m in c797), [(m.label, m.acquired) for m in c797]


def test_defining_alteration_found_before_the_line_is_not_acquired(tmp_path: Path) -> None:
    """Synthetic: T790M detected at diagnosis beside L858R (de novo) and again at progression on
    erlotinib. T790M defines the mechanism and was there before the drug: it explains primary
    rather than acquired resistance, so the mechanism is not acquired."""
    events = one_line(
        [L858R, "EGFR p.T790M"],
        ["erlotinib"],
        driver=L858R,
        baseline=[L858R, "EGFR p.T790M"],
        pd_date="2024-05-20",
    )
    r = run(tmp_path, events)
    assert not mechanism(r, "T790M").acquired
