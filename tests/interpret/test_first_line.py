"""First-line answers at diagnosis (#18): ``interpret --at <diagnosis>`` for each NSCLC driver.

Every case here is SYNTHETIC (tests/interpret/scenario_builder.py): an invented patient with a
baseline tissue panel and, after the diagnosis, a first line and a progression that the
decision point at diagnosis must ignore. The question asked is the first line: what the driver
itself means before any therapy. The bundled examples are asked the same question.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tkiresist.errors import InterpretationError
from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import read_case
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.model.interpretation import Interpretation

from ..conftest import ROOT
from .scenario_builder import scenario

KB = load_knowledge_base()


def _at_diagnosis(
    baseline: Sequence[str], agents: Sequence[str] = ("carboplatin",)
) -> Interpretation:
    case = scenario(agents=list(agents), baseline=list(baseline))
    return interpret(case, KB, at="dx")


def _options(result: Interpretation) -> list[list[str]]:
    return [list(o.drugs) for o in result.options]


def _avoid(result: Interpretation) -> list[list[str]]:
    return [list(a.drugs) for a in result.avoid]


def test_ex19del_first_line_is_osimertinib_with_flaura2_and_mariposa() -> None:
    """Synthetic. EGFR exon 19 deletion at diagnosis: a thoracic oncologist offers osimertinib
    (FLAURA), osimertinib with platinum-pemetrexed (FLAURA2) or amivantamab-lazertinib
    (MARIPOSA), all approved first line; osimertinib alone first (least toxic, level A, CNS
    active). No resistance mechanism is named and no re-biopsy is asked for: nothing was given
    yet. The first line that follows (here osimertinib) is not taken as the line in effect."""
    result = _at_diagnosis(["EGFR p.E746_A750del"], agents=["osimertinib"])
    options = _options(result)
    assert options[0] == ["osimertinib"]
    assert ["osimertinib", "carboplatin", "pemetrexed"] in options
    assert ["amivantamab", "lazertinib"] in options
    assert not result.mechanisms
    assert result.decision_point.therapy is None
    assert "rebiopsy_histology" not in {t.kind for t in result.recommended_tests}


def test_l858r_first_line_is_the_same_as_ex19del() -> None:
    """Synthetic. L858R is the other classical sensitising mutation: the same three first-line
    regimens, osimertinib first."""
    options = _options(_at_diagnosis(["EGFR p.L858R"]))
    assert options[0] == ["osimertinib"]
    assert len(options) == 3


def test_uncommon_g719x_first_line_is_afatinib_then_osimertinib() -> None:
    """Synthetic. G719A (uncommon, sensitising): afatinib, whose label covers G719X, L861Q and
    S768I (LUX-Lung post-hoc), ranks above osimertinib (phase II KCSG-LU15-09)."""
    options = _options(_at_diagnosis(["EGFR p.G719A"]))
    assert options[:2] == [["afatinib"], ["osimertinib"]]


def test_ex20ins_first_line_is_amivantamab_chemotherapy_and_classical_tkis_are_avoided() -> None:
    """Synthetic. An EGFR exon 20 insertion is not a classical TKI sensitivity: amivantamab
    with carboplatin-pemetrexed (PAPILLON) is the first line; gefitinib, erlotinib and
    osimertinib are listed to avoid, never offered."""
    result = _at_diagnosis(["EGFR p.A767_V769dup"])
    assert _options(result)[0] == ["amivantamab", "carboplatin", "pemetrexed"]
    avoid = _avoid(result)
    for drug in ("gefitinib", "erlotinib", "osimertinib"):
        assert [drug] in avoid
        assert [drug] not in _options(result)


@pytest.mark.parametrize(
    ("finding", "first"),
    [
        ("EML4::ALK", ["alectinib"]),
        ("EZR::ROS1", ["crizotinib"]),
        ("KIF5B::RET", ["selpercatinib"]),
        ("MET exon 14 skipping", ["tepotinib"]),
        ("BRAF p.V600E", ["dabrafenib", "trametinib"]),
        ("TPM3::NTRK1", ["larotrectinib"]),
    ],
)
def test_targetable_driver_first_line(finding: str, first: list[str]) -> None:
    """Synthetic. A driver with a targeted first line: ALK (alectinib and lorlatinib, both
    approved first line: a tie keeps knowledge-base order), ROS1
    (crizotinib), RET (selpercatinib), MET exon 14 (tepotinib), BRAF V600E
    (dabrafenib-trametinib), NTRK (larotrectinib): the targeted drug is the first option, as a
    thoracic oncologist would start it before chemotherapy."""
    assert _options(_at_diagnosis([finding]))[0] == first


def test_alk_offers_alectinib_and_lorlatinib() -> None:
    """Synthetic. ALK fusion: both approved first-line ALK TKIs of the knowledge base."""
    options = _options(_at_diagnosis(["EML4::ALK"]))
    assert ["alectinib"] in options and ["lorlatinib"] in options


@pytest.mark.parametrize(
    ("finding", "drug"),
    [
        ("KRAS p.G12C", "sotorasib"),
        ("ERBB2 p.Y772_A775dup", "trastuzumab deruxtecan"),
        ("CD74::NRG1", "zenocutuzumab"),
    ],
)
def test_driver_without_first_line_approval_is_inferential(finding: str, drug: str) -> None:
    """Synthetic. KRAS G12C, ERBB2 mutation, NRG1 fusion: the targeted drug is approved only
    after prior systemic therapy, so first line it is level E (inferential) and a thoracic
    oncologist would start standard chemo-immunotherapy; the engine shows the drug at E, not
    as standard care."""
    result = _at_diagnosis([finding])
    levels = {tuple(o.drugs): o.evidence_level for o in result.options}
    assert levels[(drug,)] == "E"


def test_no_driver_at_diagnosis_has_no_option() -> None:
    """Synthetic. No actionable driver: the knowledge base holds no first-line statement for
    it (chemo-immunotherapy is not curated), so no option, said in a warning."""
    result = _at_diagnosis(["TP53 p.R273H"])
    assert not result.options
    assert any("no option" in w for w in result.warnings)


def test_first_line_statements_never_fire_at_progression() -> None:
    """Synthetic. Progression on osimertinib with the exon 19 deletion persisting: the
    first-line statements must not come back as options (osimertinib would be a drug the
    patient is failing); the trace says why."""
    case = scenario(
        agents=["osimertinib"],
        baseline=["EGFR p.E746_A750del"],
        progression=["EGFR p.E746_A750del"],
    )
    result = interpret(case, KB)
    fired = {t.statement for t in result.trace if t.fired}
    assert "egfr-classical-first-line" not in fired
    reasons = {t.statement: t.reason for t in result.trace}
    assert "first-line statement" in reasons["egfr-classical-first-line"]


def test_without_at_a_case_with_no_progression_is_still_refused() -> None:
    """The refusal stays when no event is named: without a progression there is no decision
    point to guess."""
    case = read_case(ROOT / "tests/golden/shiroyama2016-no-progression.case.yaml")
    with pytest.raises(InterpretationError, match="no decision point"):
        interpret(case, KB)
    result = interpret(case, KB, at="dx")
    assert _options(result)[0] == ["osimertinib"]


EXAMPLES_FIRST_LINE = {
    "cancersci2020": ["osimertinib"],  # L858R
    "cheung2025": ["osimertinib"],  # exon 19 deletion (the seed)
    "liang2016": ["osimertinib"],
    "offin2018": ["osimertinib"],
    "shiroyama2016": ["osimertinib"],
    "taniguchi2018": ["osimertinib"],
    "vonbuttlar2021": ["osimertinib"],
    "yin2022": ["osimertinib"],
    "zeng2022": ["osimertinib"],  # L858R
}


@pytest.mark.parametrize("name", sorted(EXAMPLES_FIRST_LINE))
def test_bundled_example_at_diagnosis_gives_its_first_line_choice(name: str) -> None:
    """The published cases asked at diagnosis: each had a classical sensitising EGFR mutation,
    so today's first-line choice is osimertinib (alone first; FLAURA2 and MARIPOSA beside it),
    whatever the patient actually received then (often gefitinib or erlotinib, before 2018)."""
    case = read_case(ROOT / "examples" / name / "case.yaml")
    result = interpret(case, KB, at="dx")
    options = _options(result)
    assert options[0] == EXAMPLES_FIRST_LINE[name]
    assert ["amivantamab", "lazertinib"] in options
    assert not result.mechanisms


def test_leonetti_at_diagnosis_has_no_test_so_no_first_line_answer() -> None:
    """leonetti2021 reports no molecular test at diagnosis (the EGFR driver is only declared):
    without a finding, no first-line statement can fire; the engine says no option."""
    case = read_case(ROOT / "examples" / "leonetti2021" / "case.yaml")
    result = interpret(case, KB, at="dx")
    assert not result.options


@pytest.mark.parametrize(
    ("baseline", "first", "also"),
    [
        # two uncommon sensitising mutations: afatinib (the uncommon statement's level A) first
        (["EGFR p.G719A", "EGFR p.S768I"], ["afatinib"], [["osimertinib"]]),
        # a classical mutation with an uncommon one: the classical standard, afatinib beside it
        (["EGFR p.L858R", "EGFR p.G719A"], ["osimertinib"], [["afatinib"]]),
        (["EGFR p.L858R", "EGFR p.L861Q"], ["osimertinib"], [["afatinib"]]),
        # de novo T790M with an exon 19 deletion: osimertinib, which covers T790M
        (["EGFR exon 19 deletion", "EGFR p.T790M"], ["osimertinib"], []),
    ],
    ids=["g719a+s768i", "l858r+g719a", "l858r+l861q", "ex19del+de-novo-t790m"],
)
def test_compound_egfr_mutations_get_the_options_of_their_components(
    baseline: list[str], first: list[str], also: list[list[str]]
) -> None:
    """Synthetic. A compound EGFR genotype is read as its components (a project decision: no
    statement of its own): each sensitising mutation brings its first-line statement, and the
    ranking orders their regimens. A thoracic oncologist expects afatinib first for two
    uncommon mutations (its label covers G719X, S768I and L861Q), the classical standard
    (osimertinib) first when one mutation is classical, with afatinib as an alternative for the
    uncommon partner, and osimertinib for a de novo T790M; never a first- or second-generation
    TKI alone against T790M."""
    result = _at_diagnosis(baseline)
    options = _options(result)
    assert options[0] == first
    for regimen in also:
        assert regimen in options
    if "EGFR p.T790M" in baseline:
        assert not any(o in (["gefitinib"], ["erlotinib"], ["afatinib"]) for o in options)
