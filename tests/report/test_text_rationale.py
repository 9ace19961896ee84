"""The text report says why each option ranks where it does, with the regimen's own notes.

SYNTHETIC scenarios (tests/interpret/scenario_builder.py), not published patients.
"""

from __future__ import annotations

from tests.interpret.scenario_builder import scenario
from tkiresist.interpret.engine import interpret
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.report.text import render_text

KB = load_knowledge_base()
DEL19 = "EGFR p.E746_A750del"


def test_a_population_note_reaches_the_text_report() -> None:
    """After FLAURA2 (osimertinib + platinum-pemetrexed), amivantamab-chemotherapy ranks below
    datopotamab deruxtecan: a tumour board reading the text report must see why (MARIPOSA-2
    enrolled no patient who had had chemotherapy), not only a lower rank."""
    result = interpret(
        scenario(
            agents=["osimertinib", "carboplatin", "pemetrexed"],
            baseline=[DEL19],
            progression=[DEL19],
        ),
        KB,
    )
    text = render_text(result)
    block = text.split("Options (ranked):")[1].split("Tests:")[0]
    assert "why: " in block
    assert "MARIPOSA-2 enrolled patients who had not received chemotherapy" in block


def test_every_option_has_its_why_line() -> None:
    """One "why" line per ranked option, on the seed-like ALK case too."""
    result = interpret(
        scenario(agents=["osimertinib"], baseline=[DEL19], progression=[DEL19, "EML4::ALK"]), KB
    )
    block = render_text(result).split("Options (ranked):")[1].split("Tests:")[0]
    assert block.count("     why: ") == len(result.options) > 0
