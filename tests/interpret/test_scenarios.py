"""Synthetic scenarios of #12: incompletely reported and common post-TKI situations.

Every case here is INVENTED (see ``scenario_builder``): a situation, not a published patient.
Each scenario states what a thoracic oncologist would expect and why; the assertions check the
mechanism named, what ranks first (or among the first), and what must not be offered. They
exercise the general rules (:mod:`tkiresist.knowledge.applies`, :mod:`tkiresist.interpret.options`),
not special branches: no scenario id appears in the library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tkiresist.interpret.engine import interpret
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.model.interpretation import Interpretation

from .scenario_builder import scenario

KB = load_knowledge_base()

CHEMO = ("carboplatin", "pemetrexed")
AMI_CHEMO = ("amivantamab", "carboplatin", "pemetrexed")
AMI_LAZ_CHEMO = ("amivantamab", "lazertinib", "carboplatin", "pemetrexed")
ABCP = ("atezolizumab", "bevacizumab", "carboplatin", "paclitaxel")


@dataclass(frozen=True)
class Scenario:
    id: str
    why: str
    case: dict[str, Any]
    mechanism: str | None  # a substring of a mechanism label, or None for none
    first: tuple[tuple[str, ...], ...]  # the first option is one of these
    offered: tuple[tuple[str, ...], ...] = ()  # also among the options
    not_offered: tuple[tuple[str, ...], ...] = ()  # neither an option nor... only in avoid
    avoided: tuple[tuple[str, ...], ...] = ()
    warns: tuple[str, ...] = ()  # substrings of warnings
    extra: dict[str, Any] = field(default_factory=dict)


L858R = "EGFR p.L858R"
DEL19 = "EGFR p.E746_A750del"

SCENARIOS = [
    # --- a prior line given only as a class --------------------------------------------------
    Scenario(
        "class-only-met-ex14",
        "'Progressed on EGFR TKIs' with an acquired MET exon 14 skipping: the MET bypass is named, "
        "a MET TKI added to an EGFR TKI is offered, standard care stands beside it, and the "
        "report says the TKI's generation and the driver were not stated.",
        {"agents": ["EGFR TKI"], "progression": ["MET exon 14 skipping"]},
        "MET exon 14",
        (AMI_CHEMO, CHEMO, AMI_LAZ_CHEMO),
        offered=(("osimertinib", "savolitinib"),),
        warns=("generation not stated", "driver not stated"),
    ),
    Scenario(
        "class-only-ros1",
        "An acquired EZR::ROS1 after unnamed EGFR TKIs is a ROS1 bypass; an EGFR TKI with a ROS1 "
        "TKI is the rational (inferential) option, beside standard chemotherapy.",
        {"agents": ["EGFR TKI"], "progression": ["EZR::ROS1"]},
        "ROS1 fusion",
        (AMI_CHEMO, CHEMO, AMI_LAZ_CHEMO),
        offered=(("osimertinib", "crizotinib"),),
        warns=("generation not stated",),
    ),
    Scenario(
        "class-only-sclc",
        "Small-cell transformation after unnamed EGFR TKIs, no driver declared: treated as SCLC "
        "(platinum-etoposide first); no pemetrexed, and no immunotherapy (0/17 responses, "
        "Marcoux 2019).",
        {"agents": ["EGFR TKI"], "histology": "small_cell_transformation"},
        "Small-cell",
        (("carboplatin", "etoposide"), ("cisplatin", "etoposide")),
        offered=(("paclitaxel",),),
        avoided=(("immunotherapy (any)",), ("pemetrexed",)),
        not_offered=(CHEMO, ABCP, AMI_CHEMO),
    ),
    # --- transformation is not tied to one drug -------------------------------------------
    Scenario(
        "squamous-after-erlotinib",
        "Squamous transformation after erlotinib: a squamous platinum doublet; pemetrexed "
        "(no role in squamous histology) and bevacizumab (haemorrhage risk) are avoided.",
        {
            "agents": ["erlotinib"],
            "baseline": [DEL19],
            "progression": [DEL19],
            "histology": "squamous_transformation",
        },
        "Squamous",
        (("carboplatin", "paclitaxel"),),
        avoided=(("pemetrexed",), ("bevacizumab",)),
        not_offered=(CHEMO, ABCP),
    ),
    Scenario(
        "sclc-after-osimertinib-driver-known",
        "Small-cell transformation after first-line osimertinib with the founder exon 19 "
        "deletion persisting: platinum-etoposide, no immunotherapy.",
        {
            "agents": ["osimertinib"],
            "baseline": [DEL19],
            "progression": [DEL19],
            "histology": "small_cell_transformation",
        },
        "Small-cell",
        (("carboplatin", "etoposide"), ("cisplatin", "etoposide")),
        avoided=(("immunotherapy (any)",),),
        not_offered=(ABCP,),
    ),
    Scenario(
        "sclc-declared-driver-only",
        "Small-cell transformation after gefitinib when the source only says 'EGFR-mutant': the "
        "same answer as with a named driver.",
        {
            "agents": ["gefitinib"],
            "histology": "small_cell_transformation",
            "declared_driver": "egfr_sensitising",
        },
        "Small-cell",
        (("carboplatin", "etoposide"), ("cisplatin", "etoposide")),
        avoided=(("immunotherapy (any)",),),
        not_offered=(ABCP,),
    ),
    # --- drivers: every sensitising and uncommon class ------------------------------------
    Scenario(
        "ex19-insertion-t790m",
        "An EGFR exon 19 insertion is a sensitising driver: T790M after 28 months of erlotinib "
        "is the gatekeeper mechanism and osimertinib ranks first.",
        {
            "agents": ["erlotinib"],
            "baseline": ["EGFR p.I744_K745insKIPVAI"],
            "progression": ["EGFR p.I744_K745insKIPVAI", "EGFR p.T790M"],
            "months": 28,
        },
        "T790M",
        (("osimertinib",),),
    ),
    Scenario(
        "g719x-t790m",
        "G719A is an uncommon sensitising driver; T790M after afatinib still means osimertinib.",
        {
            "agents": ["afatinib"],
            "baseline": ["EGFR p.G719A"],
            "progression": ["EGFR p.G719A", "EGFR p.T790M"],
        },
        "T790M",
        (("osimertinib",),),
    ),
    Scenario(
        "l861q-t790m",
        "L861Q with T790M after gefitinib: osimertinib.",
        {
            "agents": ["gefitinib"],
            "baseline": ["EGFR p.L861Q"],
            "progression": ["EGFR p.L861Q", "EGFR p.T790M"],
        },
        "T790M",
        (("osimertinib",),),
    ),
    Scenario(
        "s768i-no-mechanism-after-osimertinib",
        "S768I progressing on osimertinib without a mechanism: MARIPOSA-2 enrolled only exon 19 "
        "deletions and L858R, so platinum-pemetrexed is the standard offered, not amivantamab.",
        {
            "agents": ["osimertinib"],
            "baseline": ["EGFR p.S768I"],
            "progression": ["EGFR p.S768I"],
        },
        None,
        (CHEMO,),
        not_offered=(AMI_CHEMO, AMI_LAZ_CHEMO),
    ),
    Scenario(
        "ex18-delins-t790m",
        "An exon 18 deletion-insertion (E709_T710delinsD) is sensitising; T790M after afatinib "
        "means osimertinib.",
        {
            "agents": ["afatinib"],
            "baseline": ["EGFR p.E709_T710delinsD"],
            "progression": ["EGFR p.E709_T710delinsD", "EGFR p.T790M"],
        },
        "T790M",
        (("osimertinib",),),
    ),
    Scenario(
        "compound-g719a-s768i-no-mechanism",
        "A compound G719A + S768I driver on osimertinib, no mechanism: standard chemotherapy, "
        "never an empty answer.",
        {
            "agents": ["osimertinib"],
            "baseline": ["EGFR p.G719A", "EGFR p.S768I"],
            "progression": ["EGFR p.G719A", "EGFR p.S768I"],
        },
        None,
        (CHEMO,),
    ),
    # --- a mechanism without a strong targeted regimen keeps standard care -----------------
    Scenario(
        "her2-amplification",
        "HER2 amplification on osimertinib: standard care ranks first; nothing is withheld "
        "because a mechanism was found.",
        {
            "agents": ["osimertinib"],
            "baseline": [L858R],
            "progression": [L858R, "ERBB2 amplification"],
        },
        "ERBB2",
        (AMI_CHEMO,),
        offered=(CHEMO,),
    ),
    Scenario(
        "kras-driver-persists",
        "An acquired KRAS G12D on osimertinib has no targeted option: standard care.",
        {"agents": ["osimertinib"], "baseline": [L858R], "progression": [L858R, "KRAS p.G12D"]},
        "KRAS",
        (AMI_CHEMO,),
        offered=(CHEMO,),
    ),
    Scenario(
        "kras-driver-lost",
        "KRAS with loss of the EGFR driver: still standard care first.",
        {
            "agents": ["osimertinib"],
            "baseline": [L858R],
            "progression": ["KRAS p.G12D"],
            "lost": [L858R],
        },
        "KRAS",
        (AMI_CHEMO, CHEMO),
    ),
    Scenario(
        "pik3ca",
        "An acquired PIK3CA E545K on osimertinib: standard care.",
        {"agents": ["osimertinib"], "baseline": [DEL19], "progression": [DEL19, "PIK3CA p.E545K"]},
        "PIK3CA",
        (AMI_CHEMO,),
        offered=(CHEMO,),
    ),
    # --- prior lines are regimens, and third-generation TKIs are one class ----------------
    Scenario(
        "after-amivantamab-lazertinib",
        "After first-line amivantamab + lazertinib (MARIPOSA) without a mechanism, the patient "
        "is progressing on both: platinum-pemetrexed first, and the amivantamab-lazertinib-"
        "chemotherapy regimen not first.",
        {"agents": ["amivantamab", "lazertinib"], "baseline": [L858R], "progression": [L858R]},
        None,
        (CHEMO,),
    ),
    Scenario(
        "after-flaura2",
        "After osimertinib + platinum-pemetrexed (FLAURA2), platinum-pemetrexed is not offered "
        "again; an EGFR TKI and platinum have both been given, so datopotamab deruxtecan (FDA "
        "accelerated approval for exactly that) is the first option.",
        {
            "agents": ["osimertinib", "carboplatin", "pemetrexed"],
            "baseline": [DEL19],
            "progression": [DEL19],
        },
        None,
        (("datopotamab deruxtecan",),),
        offered=(("docetaxel", "ramucirumab"),),
        avoided=(CHEMO,),
    ),
    Scenario(
        "aumolertinib-met-amplification",
        "MET amplification on aumolertinib: add a MET TKI to the patient's own TKI (the evidence "
        "is with osimertinib, a class effect assumed), with switching to osimertinib offered "
        "separately.",
        {
            "agents": ["aumolertinib"],
            "baseline": [DEL19],
            "progression": [DEL19, "MET amplification"],
        },
        "MET amplification",
        (("aumolertinib", "savolitinib"),),
        offered=(("osimertinib", "savolitinib"),),
    ),
    Scenario(
        "furmonertinib-no-mechanism",
        "Furmonertinib is a third-generation TKI: the post-osimertinib standard applies, and "
        "lazertinib (the same generation) is not counted as a new drug.",
        {"agents": ["furmonertinib"], "baseline": [L858R], "progression": [L858R]},
        None,
        (AMI_CHEMO,),
    ),
    Scenario(
        "lazertinib-monotherapy-t790m-free",
        "Progression on lazertinib alone without a mechanism is treated like progression on "
        "osimertinib.",
        {"agents": ["lazertinib"], "baseline": [DEL19], "progression": [DEL19]},
        None,
        (AMI_CHEMO,),
    ),
    # --- acquired RET fusion and C797S (the earlier issue's published examples were not
    # readable here: covered as scenarios) ---------------------------------------------------
    Scenario(
        "ret-fusion-after-osimertinib",
        "An acquired CCDC6::RET on osimertinib with the driver persisting: continue osimertinib "
        "and add selpercatinib.",
        {"agents": ["osimertinib"], "baseline": [DEL19], "progression": [DEL19, "CCDC6::RET"]},
        "RET",
        (("osimertinib", "selpercatinib"),),
    ),
    Scenario(
        "ret-fusion-driver-lost",
        "An acquired RET fusion with the EGFR driver lost: the tumour is RET-driven, "
        "selpercatinib alone ranks above chemotherapy.",
        {
            "agents": ["osimertinib"],
            "baseline": [DEL19],
            "progression": ["KIF5B::RET"],
            "lost": [DEL19],
        },
        "RET",
        (("selpercatinib",),),
    ),
    Scenario(
        "c797s-first-line-osimertinib",
        "C797S without T790M after first-line osimertinib: osimertinib is avoided; a first-"
        "generation TKI (preclinical, level D) is offered beside standard care, which ranks "
        "higher.",
        {"agents": ["osimertinib"], "baseline": [L858R], "progression": [L858R, "EGFR p.C797S"]},
        "C797",
        (AMI_CHEMO,),
        offered=(("gefitinib",),),
        avoided=(("osimertinib",),),
    ),
    Scenario(
        "braf-v600e-not-cns-active",
        "BRAF V600E with brain progression: osimertinib + dabrafenib + trametinib is not called "
        "CNS-active (dabrafenib and trametinib are not documented so).",
        {
            "agents": ["osimertinib"],
            "baseline": [DEL19],
            "progression": [DEL19, "BRAF p.V600E"],
            "cns_progression": True,
        },
        "BRAF",
        (("osimertinib", "dabrafenib", "trametinib"), AMI_CHEMO, CHEMO),
        extra={"not_cns": ("osimertinib", "dabrafenib", "trametinib")},
    ),
]


# --- prior-line contexts at today's standard of care (#13) --------------------------------
SCENARIOS += [
    Scenario(
        "osimertinib-alone-no-mechanism",
        "Progression on first-line osimertinib alone without a mechanism: amivantamab with "
        "carboplatin-pemetrexed (MARIPOSA-2, approved) first; the unapproved lazertinib arm is "
        "offered but not first.",
        {"agents": ["osimertinib"], "baseline": [DEL19], "progression": [DEL19]},
        None,
        (AMI_CHEMO,),
        offered=(CHEMO, AMI_LAZ_CHEMO, ABCP),
    ),
    Scenario(
        "gefitinib-t790m-negative",
        "T790M-negative progression on gefitinib: platinum-pemetrexed (the AURA3 comparator) "
        "first; no amivantamab (MARIPOSA-2 was after osimertinib).",
        {"agents": ["gefitinib"], "baseline": [L858R], "progression": [L858R]},
        None,
        (CHEMO,),
        not_offered=(AMI_CHEMO,),
    ),
    Scenario(
        "after-mariposa2-second-line",
        "Third line after osimertinib then amivantamab + carboplatin-pemetrexed: an EGFR TKI and "
        "platinum were both given, so datopotamab deruxtecan; neither the failing regimen nor "
        "platinum-pemetrexed is offered again.",
        {
            "agents": ["amivantamab", "carboplatin", "pemetrexed"],
            "baseline": [DEL19],
            "progression": [DEL19],
            "history": ["osimertinib"],
        },
        None,
        (("datopotamab deruxtecan",),),
        offered=(("docetaxel", "ramucirumab"),),
        not_offered=(AMI_CHEMO, CHEMO),
    ),
    Scenario(
        "her2-ihc3",
        "HER2 IHC 3+ after osimertinib: trastuzumab deruxtecan's tumour-agnostic approval applies "
        "and is offered beside standard care.",
        {
            "agents": ["osimertinib"],
            "baseline": [L858R],
            "progression": [
                L858R,
                "{kind: expression, marker: ERBB2, result: positive, score: 3+}",
            ],
        },
        None,
        (AMI_CHEMO,),
        offered=(("trastuzumab deruxtecan",),),
    ),
    Scenario(
        "nrg1-fusion",
        "An acquired CD74::NRG1 on osimertinib: zenocutuzumab (approved for NRG1-fusion NSCLC "
        "after systemic therapy; inferential here) is offered beside standard care.",
        {"agents": ["osimertinib"], "baseline": [DEL19], "progression": [DEL19, "CD74::NRG1"]},
        "NRG1",
        (AMI_CHEMO,),
        offered=(("zenocutuzumab",),),
    ),
    Scenario(
        "emt",
        "Epithelial-mesenchymal transition at progression on osimertinib: named as the "
        "mechanism, no targeted option, standard care.",
        {
            "agents": ["osimertinib"],
            "baseline": [DEL19],
            "progression": [DEL19],
            "histology": "epithelial_mesenchymal_transition",
        },
        "mesenchymal",
        (AMI_CHEMO,),
    ),
    Scenario(
        "met-ihc3-without-amplification",
        "MET IHC 3+ without amplification after osimertinib: a possible MET bypass, named with "
        "its weaker basis; savolitinib offered below approved standard care, FISH advised.",
        {
            "agents": ["osimertinib"],
            "baseline": [DEL19],
            "progression": [DEL19, "{kind: expression, marker: MET, result: positive, score: 3+}"],
        },
        "MET overexpression",
        (AMI_CHEMO,),
        offered=(("osimertinib", "savolitinib"),),
    ),
    Scenario(
        "met-amplification-after-osimertinib",
        "MET amplification after osimertinib with the driver persisting: continue osimertinib "
        "and add savolitinib (SACHI), first.",
        {
            "agents": ["osimertinib"],
            "baseline": [DEL19],
            "progression": [DEL19, "MET amplification"],
        },
        "MET amplification",
        (("osimertinib", "savolitinib"),),
    ),
]


SCENARIOS += [
    Scenario(
        "squamous-at-diagnosis",
        "An EGFR-mutant tumour diagnosed as squamous (OncoTree LUSC) progressing on osimertinib "
        "without a mechanism: no pemetrexed and no bevacizumab regimen is offered, whatever the "
        "adenocarcinoma standard lists.",
        {
            "agents": ["osimertinib"],
            "baseline": [L858R],
            "progression": [L858R],
            "oncotree": "LUSC",
        },
        None,
        (("sacituzumab tirumotecan",), ("datopotamab deruxtecan",), ("docetaxel",)),
        avoided=(("pemetrexed",), ("bevacizumab",), CHEMO, AMI_CHEMO, ABCP),
    ),
]


def test_options_show_their_approvals() -> None:
    """The approved regimen says so, by region and date, in the option itself."""
    s = next(x for x in SCENARIOS if x.id == "osimertinib-alone-no-mechanism")
    first = _result(s).options[0]
    assert first.drugs == AMI_CHEMO
    assert any(a.region == "FDA" and a.status == "approved" for a in first.approvals)
    assert "approved for this indication (EMA, FDA)" in first.rationale


def _result(s: Scenario) -> Interpretation:
    return interpret(scenario(**s.case), KB)


@pytest.mark.parametrize("s", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_scenario(s: Scenario) -> None:
    result = _result(s)
    labels = [m.label for m in result.mechanisms]
    if s.mechanism is None:
        assert labels == [], labels
    else:
        assert any(s.mechanism in label for label in labels), labels
    options = [tuple(o.drugs) for o in result.options]
    assert options, "a patient always has standard care"
    assert options[0] in s.first, options
    for drugs in s.offered:
        assert drugs in options, options
    for drugs in s.not_offered:
        assert drugs not in options, options
    avoided = [tuple(a.drugs) for a in result.avoid]
    for drugs in s.avoided:
        assert drugs in avoided and drugs not in options, (avoided, options)
    for text in s.warns:
        assert any(text in w for w in result.warnings), result.warnings
    not_cns = s.extra.get("not_cns")
    if not_cns:
        (option,) = [o for o in result.options if tuple(o.drugs) == not_cns]
        assert option.cns_active is False


def test_at_least_25_scenarios() -> None:
    assert len(SCENARIOS) >= 25


def test_no_option_inherits_its_statements_citations() -> None:
    """C797S: gefitinib's citation is its own preclinical source, not FLAURA (Soria 2018)."""
    s = next(x for x in SCENARIOS if x.id == "c797s-first-line-osimertinib")
    (gef,) = [o for o in _result(s).options if o.drugs == ("gefitinib",)]
    assert [c.id for c in gef.citations] == ["niederst-2015"]


def test_ranking_parts_are_in_the_rationale() -> None:
    """A reviewer can check the ranking: the mechanism bonus and the standard-care label."""
    s = next(x for x in SCENARIOS if x.id == "her2-amplification")
    result = _result(s)
    assert all(o.rationale for o in result.options)
    assert any("standard care of the line" in o.rationale for o in result.options)


def test_untested_driver_gives_one_mechanism_with_its_uncertainty() -> None:
    """von Buttlar 2021 (bundled example): the EGFR driver was not re-tested when EML4::ALK was
    found. An oncologist reads that as one mechanism, the ALK bypass, with an open question (was
    the driver lost?), not as two opposite mechanisms (#17 item 3)."""
    from tkiresist.io.casefile import read_case

    from ..conftest import ROOT

    result = interpret(read_case(ROOT / "examples" / "vonbuttlar2021" / "case.yaml"), KB)
    (mech,) = result.mechanisms
    assert mech.statements == ("alk-fusion-after-egfr-tki", "alk-fusion-egfr-driver-lost")
    assert "if it was lost" in mech.explanation and "re-test the EGFR driver" in mech.explanation


def test_a_driver_known_lost_keeps_its_own_reading() -> None:
    """When a re-test shows the driver lost, only the 'driver lost' reading fires."""
    case = scenario(
        agents=["osimertinib"], baseline=[DEL19], progression=["EML4::ALK"], lost=[DEL19]
    )
    (mech,) = interpret(case, KB).mechanisms
    assert mech.id == "alk-fusion-egfr-driver-lost" and "if it was lost" not in mech.explanation
