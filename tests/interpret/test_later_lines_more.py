"""Later lines the knowledge base missed (#13): EGFR exon 20 insertions after their first line,
and KRAS G12C or ERBB2 mutations that replaced a lost EGFR driver.

EVERY CASE HERE IS A SYNTHETIC SCENARIO (:func:`scenario`), not a published patient. The
answers come from statement contexts (``statements/later_lines.yaml``,
``statements/bypass_mutations.yaml``), never from a branch for the case.

Before these statements an exon 20 insertion progressing on PAPILLON's amivantamab +
carboplatin + pemetrexed, or on platinum chemotherapy, got "no option in the knowledge base for
this context"; and a KRAS G12C or ERBB2 mutation that replaced a lost EGFR driver got its drug
at level E (inferential), although a previously treated patient is the population the drug is
approved for.
"""

from __future__ import annotations

import pytest

from tkiresist.interpret.engine import interpret
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.model.interpretation import Interpretation

from .scenario_builder import scenario

KB = load_knowledge_base()

EX20 = "EGFR p.A767_V769dup"
DEL19 = "EGFR p.E746_A750del"
KRAS_G12C = "KRAS p.G12C"
HER2_EX20 = "ERBB2 p.Y772_A775dup"
PAPILLON = ("amivantamab", "carboplatin", "pemetrexed")
PLATINUM = ("carboplatin", "pemetrexed")
DOCETAXEL_RAM = ("docetaxel", "ramucirumab")
EGFR_TKIS = {"osimertinib", "gefitinib", "erlotinib", "afatinib", "lazertinib", "aumolertinib"}
NO_OPTION = "no option in the knowledge base for this context"


def _ex20(agents: tuple[str, ...], history: tuple[str, ...] = ()) -> Interpretation:
    return interpret(
        scenario(agents=agents, history=history, baseline=[EX20], progression=[EX20]), KB
    )


def _drug_sets(r: Interpretation) -> list[tuple[str, ...]]:
    return [o.drugs for o in r.options]


def _offers(r: Interpretation, drug: str) -> bool:
    return any(drug in o.drugs for o in r.options)


# --------------------------------------------------------------- EGFR exon 20 insertion


def test_after_papillon_docetaxel_based_care_and_nothing_that_failed() -> None:
    """SYNTHETIC: exon 20 insertion, first-line amivantamab + carboplatin + pemetrexed
    (PAPILLON), progression. A thoracic oncologist gives docetaxel with ramucirumab (REVEL) or
    alone: amivantamab, alone or with chemotherapy, and platinum-pemetrexed are what failed and
    are not given again; classical EGFR TKIs and mobocertinib (withdrawn) are not offered.
    Before, the answer was empty."""
    r = _ex20(PAPILLON)
    assert r.options, r.warnings
    assert NO_OPTION not in r.warnings
    assert r.options[0].drugs == DOCETAXEL_RAM, _drug_sets(r)
    assert ("docetaxel",) in _drug_sets(r)
    assert not _offers(r, "amivantamab"), _drug_sets(r)
    assert PLATINUM not in _drug_sets(r)
    assert not any(set(o.drugs) & (EGFR_TKIS | {"mobocertinib"}) for o in r.options)
    assert "egfr-ex20ins-after-platinum" in r.options[0].statements


def test_after_platinum_alone_amivantamab_ranks_first() -> None:
    """SYNTHETIC: exon 20 insertion, first-line carboplatin + pemetrexed (PAPILLON's control
    arm, or the pre-2024 standard), progression. Amivantamab alone is FDA-approved after
    platinum (CHRYSALIS, ORR 40%; traditional approval 2024) and comes first, above docetaxel;
    the platinum doublet that failed is not offered again."""
    r = _ex20(PLATINUM)
    first = r.options[0]
    assert first.drugs == ("amivantamab",), _drug_sets(r)
    assert first.evidence_level == "A"
    assert any(a.region == "FDA" for a in first.approvals)
    assert DOCETAXEL_RAM in _drug_sets(r)
    assert PLATINUM not in _drug_sets(r)


def test_amivantamab_given_in_an_earlier_line_is_not_offered_again() -> None:
    """SYNTHETIC: exon 20 insertion, PAPILLON first line, then docetaxel, progression on
    docetaxel. Amivantamab failed in the earlier line: not offered again (the statement's
    ``earlier_none_of``), nor docetaxel alone (progressing on it)."""
    r = _ex20(("docetaxel",), history=PAPILLON)
    assert not _offers(r, "amivantamab"), _drug_sets(r)
    assert ("docetaxel",) not in _drug_sets(r)


def test_after_an_exon_20_tki_without_platinum_papillon_regimen_is_offered() -> None:
    """SYNTHETIC: exon 20 insertion, first-line sunvozertinib (WU-KONG28 setting), no
    chemotherapy yet. The first-line standard of exon 20 insertions remains: amivantamab +
    carboplatin + pemetrexed ranks first, the doublet alone follows; sunvozertinib, which
    failed, is not offered. PAPILLON enrolled treatment-naive patients, which a note says."""
    r = _ex20(("sunvozertinib",))
    assert r.options[0].drugs == PAPILLON, _drug_sets(r)
    assert PLATINUM in _drug_sets(r)
    assert not _offers(r, "sunvozertinib")
    assert any("PAPILLON enrolled patients who had not received" in w for w in r.warnings)


@pytest.mark.parametrize("agents", [("osimertinib",), ("osimertinib", "carboplatin", "pemetrexed")])
def test_nothing_for_exon_20_insertions_fires_for_a_classical_driver(
    agents: tuple[str, ...],
) -> None:
    """SYNTHETIC: an exon 19 deletion after osimertinib, alone or with platinum-pemetrexed
    (FLAURA2): the exon 20 insertion statements need that driver and do not apply; no
    amivantamab monotherapy (an exon 20 insertion label) is offered."""
    r = interpret(scenario(agents=agents, baseline=[DEL19], progression=[DEL19]), KB)
    used = {s for o in r.options for s in o.statements}
    assert not {s for s in used if s.startswith("egfr-ex20ins")}, used
    assert ("amivantamab",) not in _drug_sets(r)


# --------------------------------------------------------------- a new driver, pretreated


def _osimertinib(progression: list[str], lost: list[str]) -> Interpretation:
    return interpret(
        scenario(agents=["osimertinib"], baseline=[DEL19], progression=progression, lost=lost),
        KB,
    )


def test_kras_g12c_with_the_egfr_driver_lost_gets_its_pretreated_standard() -> None:
    """SYNTHETIC: exon 19 deletion, first-line osimertinib; the re-biopsy no longer finds the
    deletion and finds KRAS G12C. The tumour is now KRAS G12C-driven and previously treated:
    sotorasib (CodeBreaK 100/200) or adagrasib (KRYSTAL-1), approved after prior therapy, come
    first at level B, not E, with no EGFR TKI; the trials' EGFR-wild-type population is said."""
    r = _osimertinib([KRAS_G12C], [DEL19])
    first = r.options[0]
    assert first.drugs in {("sotorasib",), ("adagrasib",)}, _drug_sets(r)
    assert first.evidence_level == "B"
    assert "kras-g12c-egfr-driver-lost" in first.statements
    assert any(a.region == "FDA" and a.status == "accelerated" for a in first.approvals)
    mech = next(m for m in r.mechanisms if "loss of the EGFR driver" in m.label)
    assert "EGFR-wild-type" in mech.explanation


def test_kras_g12c_with_the_egfr_driver_kept_does_not_put_sotorasib_alone_first() -> None:
    """SYNTHETIC: the same KRAS G12C beside the persisting deletion: EGFR still drives (part
    of) the tumour and no KRAS G12C inhibitor is established there; standard care after
    osimertinib comes first, and sotorasib or adagrasib alone is not first."""
    r = _osimertinib([DEL19, KRAS_G12C], [])
    assert r.options[0].drugs not in {("sotorasib",), ("adagrasib",)}, _drug_sets(r)
    assert not any("kras-g12c-egfr-driver-lost" in m.statements for m in r.mechanisms)


def test_her2_exon_20_insertion_with_the_egfr_driver_lost_gets_trastuzumab_deruxtecan() -> None:
    """SYNTHETIC: exon 19 deletion, first-line osimertinib; the re-biopsy no longer finds the
    deletion and finds ERBB2 p.Y772_A775dup (a HER2 exon 20 insertion). The tumour is now
    HER2-mutant and previously treated: trastuzumab deruxtecan (DESTINY-Lung02, FDA
    accelerated approval 2022) ranks first at level B, zongertinib (tyrosine-kinase-domain
    mutations) beside it; no EGFR TKI."""
    r = _osimertinib([HER2_EX20], [DEL19])
    first = r.options[0]
    assert first.drugs == ("trastuzumab deruxtecan",), _drug_sets(r)
    assert first.evidence_level == "B"
    assert ("zongertinib",) in _drug_sets(r)
    assert not set(first.drugs) & EGFR_TKIS


def test_her2_with_the_egfr_driver_kept_stays_inferential() -> None:
    """SYNTHETIC: the same ERBB2 insertion beside the persisting deletion: trastuzumab
    deruxtecan has not been studied for this resistance and stays level E, below the standard
    care after osimertinib."""
    r = _osimertinib([DEL19, HER2_EX20], [])
    tdxd = next(o for o in r.options if o.drugs == ("trastuzumab deruxtecan",))
    assert tdxd.evidence_level == "E"
    assert r.options[0].drugs != ("trastuzumab deruxtecan",)
