"""A drug one mechanism makes the tumour resistant to, inside another mechanism's regimen.

SYNTHETIC scenarios (tests/interpret/scenario_builder.py), not published patients. The rule
(interpret/options.py, ``_why_flawed``): a regimen containing a drug that an identified
mechanism makes the tumour resistant to ranks below the standard care without such a flaw,
unless that mechanism's own statement offers it (built to overcome it).
"""

from __future__ import annotations

from tests.interpret.scenario_builder import scenario
from tkiresist.interpret.engine import interpret
from tkiresist.knowledge.loader import load_knowledge_base

KB = load_knowledge_base()
DEL19 = "EGFR p.E746_A750del"


def test_met_combination_built_on_osimertinib_ranks_below_standard_care_beside_c797s() -> None:
    """C797S and MET amplification acquired together on osimertinib: osimertinib + savolitinib
    treats the MET clone, not the C797S one; a thoracic oncologist puts amivantamab with
    chemotherapy (or chemotherapy) first and says why the MET combination is lower."""
    r = interpret(
        scenario(
            agents=["osimertinib"],
            baseline=[DEL19],
            progression=[DEL19, "EGFR p.C797S", "MET amplification"],
        ),
        KB,
    )
    options = [o.drugs for o in r.options]
    assert "osimertinib" not in options[0], options
    (combo,) = [o for o in r.options if o.drugs == ("osimertinib", "savolitinib")]
    assert "contains osimertinib, to which the tumour is resistant" in combo.rationale


def test_the_mechanism_s_own_regimen_is_not_held_back() -> None:
    """C797S reported in trans with T790M: the statement that says osimertinib alone fails
    offers osimertinib with a first-generation TKI, built to overcome it; containing
    osimertinib is no reason to rank it lower."""
    from tests.interpret.test_engine_rules import _c797s

    r = _c797s("trans")
    combos = [
        o
        for o in r.options
        if "osimertinib" in o.drugs and ({"gefitinib", "erlotinib"} & set(o.drugs))
    ]
    assert combos, [o.drugs for o in r.options]
    for o in combos:
        assert "to which the tumour is resistant" not in o.rationale, o.rationale
