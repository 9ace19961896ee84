"""The situation rules of the recommended tests (#12 audit): general rules, probed off the
audit's own scenarios.

EVERY CASE HERE IS SYNTHETIC: an invented scenario (other drugs, other specimens, other
measurements than the audit's), written with the audit's case builders
(:mod:`tests.interpret.test_generalisation_audit`) and interpreted as the CLI does. None is a
published patient. Each docstring says what a thoracic oncologist would expect and why.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tests.interpret.test_generalisation_audit import (
    DEL19,
    HEADER,
    KB,
    L858R,
    MET_IHC3,
    dx,
    line,
    one_line,
    pd,
    recommended,
    run,
    sample,
)
from tkiresist.interpret.engine import interpret
from tkiresist.interpret.recommended_tests import RULES, SOURCES, recommend
from tkiresist.io.casefile import read_case
from tkiresist.knowledge.schema import Threshold

HER2_NEG = "{alteration: {kind: expression, marker: ERBB2, result: negative, score: '1+'}}"


# --------------------------------------------------------------------------------- quantify


def test_met_ihc3_after_osimertinib_asks_for_the_post_osimertinib_fish_threshold(
    tmp_path: Path,
) -> None:
    """MET IHC 3+ on the progression biopsy after osimertinib, no MET copy number measured
    (synthetic). The MET TKI trials after osimertinib selected by FISH copy number >= 10: the
    oncologist asks for MET FISH and the advice carries the threshold the knowledge base
    records, with its source (SACHI), not a number written into the engine."""
    events = one_line([DEL19]) + sample("t-ihc", "2025-03-20", "ihc-generic", [MET_IHC3])
    text = recommended(run(tmp_path, events))
    assert "fish" in text and "met amplification" in text, text
    assert ">= 10" in text and "sachi-2026" in text, text


def test_met_amplification_in_plasma_after_erlotinib_uses_the_early_generation_threshold(
    tmp_path: Path,
) -> None:
    """ "MET amplification" without a copy number in plasma after first-line erlotinib
    (synthetic). The applicable statement is the one after an early-generation TKI, whose
    trials (INSIGHT) defined MET amplification as FISH copy number >= 5 or MET/CEP7 >= 2: the
    advice asks for tissue FISH and quotes that definition, not the post-osimertinib one."""
    events = one_line(
        [DEL19, "MET amplification"], ["erlotinib"], pd_date="2024-05-20", plasma=True
    )
    text = recommended(run(tmp_path, events))
    assert "fish" in text and "met-amplification-after-early-gen-tki" in text, text
    assert "met-amplification-after-osimertinib" not in text, text


def test_met_amplification_quantified_on_tissue_needs_no_quantification(tmp_path: Path) -> None:
    """MET amplification with copy number 12 on a tissue panel after osimertinib (synthetic):
    the number the MET TKI trials used is known, so no FISH is asked for."""
    r = run(tmp_path, one_line([DEL19, "MET amplification (GCN 12)"]))
    assert not any("quantify" in t.reason for t in r.recommended_tests), r.recommended_tests


def test_met_fish_at_progression_needs_no_quantification(tmp_path: Path) -> None:
    """MET IHC 3+ and a MET FISH (copy number 14) on the same progression biopsy (synthetic):
    both measurements are done; nothing more is asked for MET."""
    events = (
        one_line([DEL19])
        + sample("t-ihc", "2025-03-20", "ihc-generic", [MET_IHC3])
        + sample("t-fish", "2025-03-20", "fish-met", ["MET amplification (GCN 14)"])
    )
    r = run(tmp_path, events)
    assert not any("MET" in t.reason and "quantify" in t.reason for t in r.recommended_tests)


def test_erbb2_amplification_in_plasma_after_gefitinib_asks_for_her2_ihc(tmp_path: Path) -> None:
    """ERBB2 amplification in plasma at progression on gefitinib (synthetic). Trastuzumab
    deruxtecan's tumour-agnostic FDA approval is for HER2 IHC 3+: the oncologist asks for HER2
    immunohistochemistry, and the advice names the approval the knowledge base records."""
    events = one_line(
        [L858R, "ERBB2 amplification"],
        ["gefitinib"],
        driver=L858R,
        pd_date="2024-05-20",
        plasma=True,
    )
    text = recommended(run(tmp_path, events))
    assert "her2" in text and "ihc" in text and "meric-bernstam-2024" in text, text


def test_her2_ihc_done_is_not_asked_again(tmp_path: Path) -> None:
    """ERBB2 amplification on tissue with a HER2 IHC (1+) on the same biopsy (synthetic): the
    stain was done; no HER2 IHC is asked for."""
    events = one_line([DEL19, "ERBB2 amplification"]) + sample(
        "t-ihc", "2025-03-20", "ihc-generic", [HER2_NEG]
    )
    r = run(tmp_path, events)
    assert not any("by IHC on tissue" in t.reason for t in r.recommended_tests), r.recommended_tests


def test_quantify_reads_the_thresholds_from_the_knowledge_base(tmp_path: Path) -> None:
    """The same MET IHC 3+ scenario against a knowledge base whose MET statement records
    another threshold (synthetic KB edit): the advice follows the knowledge base, which shows
    the number is read from it and not written into the rule."""
    events = one_line([DEL19]) + sample("t-ihc", "2025-03-20", "ihc-generic", [MET_IHC3])
    path = tmp_path / "case.yaml"
    r = run(tmp_path, events)
    case = read_case(path)
    st = KB.by_id["met-amplification-after-osimertinib"]
    edited = st.model_copy(
        update={
            "thresholds": (
                Threshold(
                    method="FISH", definition="SYNTHETIC copy number >= 42", citation="sachi-2026"
                ),
            )
        }
    )
    kb = replace(KB, statements=tuple(edited if s is st else s for s in KB.statements))
    tests = recommend(case, r.decision_point, r.alterations, r.mechanisms, None, kb=kb)
    text = " | ".join(t.reason for t in tests)
    assert "SYNTHETIC copy number >= 42" in text, text


# -------------------------------------------------------------------------- plasma negative


def test_t790m_not_in_plasma_after_afatinib_asks_for_tissue(tmp_path: Path) -> None:
    """Progression on afatinib, plasma shows the driver but not T790M (synthetic). Plasma
    misses T790M in about 30% (Oxnard 2016): the oncologist asks for tissue to test T790M before
    giving up osimertinib."""
    events = one_line(
        [DEL19, "{alteration: EGFR p.T790M, status: not_detected}"],
        ["afatinib"],
        pd_date="2024-05-20",
        plasma=True,
    )
    text = recommended(run(tmp_path, events))
    assert "t790m" in text and "tissue" in text and "27354477" in text, text


def test_t790m_negative_on_tissue_is_not_sent_back_to_tissue(tmp_path: Path) -> None:
    """The same T790M-negative result, on a tissue re-biopsy (synthetic): tissue is the
    reference; no further tissue test for T790M is asked for."""
    events = one_line(
        [DEL19, "{alteration: EGFR p.T790M, status: not_detected}"],
        ["afatinib"],
        pd_date="2024-05-20",
    )
    text = recommended(run(tmp_path, events))
    assert "did not show egfr t790m" not in text, text


def test_standard_of_care_target_is_chased_in_tissue_even_beside_another_mechanism(
    tmp_path: Path,
) -> None:
    """After erlotinib, plasma shows MET amplification (GCN 7) but not T790M (synthetic).
    Osimertinib for T790M is the standard of care (level A) and plasma misses T790M often: the
    oncologist still wants tissue for T790M although another mechanism was found."""
    events = one_line(
        [DEL19, "MET amplification (GCN 7)", "{alteration: EGFR p.T790M, status: not_detected}"],
        ["erlotinib"],
        pd_date="2024-05-20",
        plasma=True,
    )
    text = recommended(run(tmp_path, events))
    assert "did not show egfr t790m" in text, text


def test_trial_level_target_is_not_chased_when_a_mechanism_is_found(tmp_path: Path) -> None:
    """After osimertinib, plasma shows an acquired EML4::ALK fusion (synthetic). MET
    amplification was not seen in plasma either, but with a mechanism found (and confirmed in
    tissue as advised) a re-biopsy to chase MET amplification, whose option rests on trials
    (level B), is not asked for."""
    text = recommended(run(tmp_path, one_line([DEL19, "EML4::ALK"], plasma=True)))
    assert "did not show met amplification" not in text, text


def test_trial_level_target_is_chased_when_nothing_explains_progression(tmp_path: Path) -> None:
    """After osimertinib, plasma shows only the driver (synthetic): MET amplification, among the
    most frequent bypass mechanisms after osimertinib, is not ruled out by plasma; tissue is
    advised for it."""
    text = recommended(run(tmp_path, one_line([DEL19], plasma=True)))
    assert "did not show met amplification" in text, text


def test_plasma_at_diagnosis_is_not_read_as_a_progression_test(tmp_path: Path) -> None:
    """Plasma at diagnosis shows the exon 19 deletion (synthetic). The plasma rules are about
    a progression on a line: at diagnosis no 'progression tested on plasma only' advice is
    given (and the driver found is not listed as missing)."""
    events = dx() + sample(
        "t-dx",
        "2023-01-12",
        "audit-plasma-panel",
        [DEL19],
        kind="plasma",
        site="blood",
        site_kind="overall",
    )
    path = tmp_path / "case.yaml"
    path.write_text(HEADER + events, encoding="utf-8")
    r = interpret(read_case(path), KB, at="dx")
    text = recommended(r)
    assert "tested on plasma only" not in text and "did not show" not in text, text


# --------------------------------------------------------------------- uninformative plasma


def test_plasma_with_the_driver_and_a_high_tumour_fraction_is_informative(
    tmp_path: Path,
) -> None:
    """Plasma at progression on osimertinib shows the exon 19 deletion with a tumour fraction
    of 20% (synthetic): the draw carries tumour DNA, so no 'uninformative plasma' advice."""
    events = one_line([DEL19], plasma=True, extra="    tumour_fraction: 0.2\n")
    text = recommended(run(tmp_path, events))
    assert "tumour fraction" not in text and "founding driver" not in text, text


def test_plasma_with_the_driver_but_a_low_tumour_fraction_asks_for_tissue(tmp_path: Path) -> None:
    """Plasma shows the driver, but the report gives a tumour fraction of 0.5% (synthetic).
    Below 1% a negative result for resistance mechanisms is not informative: tissue is
    advised, whatever the driver's call."""
    events = one_line([DEL19], plasma=True, extra="    tumour_fraction: 0.005\n")
    text = recommended(run(tmp_path, events))
    assert "tumour fraction (0.5%)" in text and "tissue" in text, text


def test_plasma_without_the_driver_but_with_a_mechanism_is_not_called_uninformative(
    tmp_path: Path,
) -> None:
    """Plasma after osimertinib shows an acquired MET amplification but not the exon 19
    deletion (synthetic). The MET amplification is tumour DNA, so the draw is not read as one
    without tumour DNA."""
    events = one_line(
        [f"{{alteration: {DEL19}, status: not_detected}}", "MET amplification"], plasma=True
    )
    text = recommended(run(tmp_path, events))
    assert "founding driver" not in text, text


# -------------------------------------------------------------------------- CNS progression


def test_cns_progression_tested_on_csf_needs_no_csf(tmp_path: Path) -> None:
    """Progression in the brain on osimertinib tested by CSF ctDNA that shows only the driver
    (synthetic): the CNS was sampled; no CSF or CNS tissue is asked for again."""
    events = (
        dx(cns=True)
        + sample("t-dx", "2023-01-12", "audit-tissue-panel", [DEL19])
        + line("l1", ["osimertinib"], "2023-02-01", "2025-03-20")
        + pd("pd", "2025-03-20", "l1", "cns")
        + sample(
            "t-pd",
            "2025-03-20",
            "audit-plasma-panel",
            [DEL19],
            kind="csf",
            site="CSF",
            site_kind="cns",
        )
    )
    text = recommended(run(tmp_path, events))
    assert "csf" not in text, text


def test_untested_cns_progression_is_told_where_to_test(tmp_path: Path) -> None:
    """Progression in the brain on osimertinib and no molecular test since (synthetic): beside
    the general re-biopsy advice, the oncologist is told that plasma often misses intracranial
    disease and that CSF or the CNS lesion is where to look."""
    events = (
        dx(cns=True)
        + sample("t-dx", "2023-01-12", "audit-tissue-panel", [DEL19])
        + line("l1", ["osimertinib"], "2023-02-01", "2025-03-20")
        + pd("pd", "2025-03-20", "l1", "cns")
    )
    r = run(tmp_path, events)
    assert any(t.kind == "rebiopsy" for t in r.recommended_tests), r.recommended_tests
    assert "cerebrospinal" in recommended(r), r.recommended_tests


def test_extracranial_progression_gets_no_csf_advice(tmp_path: Path) -> None:
    """Progression outside the CNS with a negative plasma test (synthetic): CSF is not the
    answer; the advice is tissue."""
    events = one_line([f"{{alteration: {DEL19}, status: not_detected}}"], plasma=True)
    text = recommended(run(tmp_path, events))
    assert "csf" not in text and "tissue" in text, text


# --------------------------------------------------------------------------------- the table


def test_every_rule_cites_its_evidence(tmp_path: Path) -> None:
    """Every advice of the situation rules names its evidence: a knowledge-base citation
    id or a DOI of :data:`SOURCES` (synthetic scenarios between them firing every rule)."""
    scenarios = [
        one_line([DEL19]) + sample("t-ihc", "2025-03-20", "ihc-generic", [MET_IHC3]),
        one_line(
            [DEL19, "{alteration: EGFR p.T790M, status: not_detected}"],
            ["erlotinib"],
            pd_date="2024-05-20",
            plasma=True,
        ),
        one_line(
            [f"{{alteration: {DEL19}, status: not_detected}}"],
            pd_site="cns",
            cns=True,
            plasma=True,
            extra="    tumour_fraction: 0.002\n",
        ),
        # a progression tested by a single-gene EGFR PCR: what it could not see is not assessed
        one_line([DEL19]).split("  - id: t-pd-spec")[0]
        + sample("t-pd", "2025-03-20", "audit-egfr-pcr", [DEL19]),
        # an equivocal MET copy-number call asks for an orthogonal test
        one_line([DEL19, "{alteration: 'MET amplification (GCN 5)', status: equivocal}"]),
    ]
    marks = {
        "quantify": "quantify",
        "plasma_negative": "which did not show",
        "uninformative_plasma": "tumour fraction (",
        "cns_progression": "cerebrospinal",
        "coverage_gaps": "not assessed at this progression",
        "equivocal": "called equivocal",
    }
    assert set(marks) == {rule.id for rule in RULES}
    for rule in RULES:
        assert rule.evidence, rule.id
        for ev in rule.evidence:
            assert ev in SOURCES or ev in ("knowledge base", "project decision"), ev
    dois = [c.doi or c.pmcid or "" for c in SOURCES.values()]
    assert all(dois)
    seen = set()
    for i, events in enumerate(scenarios):
        sub = tmp_path / str(i)
        sub.mkdir()
        for t in run(sub, events).recommended_tests:
            rules = {name for name, mark in marks.items() if mark in t.reason}
            if not rules:
                continue
            seen |= rules
            cited = any(d in t.reason for d in dois) or any(c in t.reason for c in KB.citations)
            assert cited, t.reason
    assert seen == set(marks), seen
