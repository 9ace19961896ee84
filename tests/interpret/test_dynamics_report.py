"""The Dynamics section in the text, HTML and JSON outputs (#15), on the synthetic serial-plasma
patient of ``dynamics_builder`` (invented, not a published case)."""

from __future__ import annotations

import json

from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import read_case
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.report.html import render_html
from tkiresist.report.text import render_text

from ..conftest import ROOT
from .dynamics_builder import CLASSIC, serial_case


def test_text_report_has_a_dynamics_section() -> None:
    """A tumour board reads the series, the response, the progression with its lead time and
    the rules behind them, in that order, between the serial comparison and the mechanisms."""
    result = interpret(serial_case(CLASSIC), load_knowledge_base())
    text = render_text(result)
    start = text.index("Dynamics (plasma, line osi; driver EGFR exon 19 deletion):")
    assert text.index("Alterations (serial comparison):") < start < text.index("Mechanisms:")
    section = text[start : text.index("Mechanisms:")]
    assert "EGFR exon 19 deletion [driver]: 0m 12.5% | 4m 2% | 7m ND <0.1%" in section
    assert "molecular response: response: driver VAF fell from 12.5% to 2%" in section
    assert "molecular progression: progression [lead time 4 months]" in section
    assert "clonal context: EGFR p.C797S at 19m: subclonal" in section
    assert "rule: molecular response" in section
    assert "current specimens disagree" not in text and "heterogeneity for" not in text


def test_html_and_json_carry_the_dynamics() -> None:
    """The HTML report shows the draws as columns with the same reading; the JSON carries
    ``dynamics`` for other tools."""
    case = serial_case(CLASSIC)
    result = interpret(case, load_knowledge_base())
    html = render_html(case, result)
    assert 'id="dynamics-plasma"' in html and "lead time 4.0 months" in html
    data = json.loads(result.model_dump_json())
    (dyn,) = data["dynamics"]
    assert dyn["progression"]["lead_time_months"] == 4.0
    assert dyn["response"]["status"] == "response"


def test_seed_outputs_have_no_dynamics() -> None:
    """The seed patient has no serial plasma: its text and HTML are as before, and its JSON has
    an empty ``dynamics`` list (a field added, none changed)."""
    case = read_case(ROOT / "examples" / "cheung2025" / "case.yaml")
    result = interpret(case, load_knowledge_base())
    assert "Dynamics" not in render_text(result)
    assert 'class="dynamics"' not in render_html(case, result)
    assert json.loads(result.model_dump_json())["dynamics"] == []
