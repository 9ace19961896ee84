"""The answer first (#17 item 4): the report opens on a bottom line, before the timeline, and the
PDF's first page holds it (decision point, mechanism, first option with its evidence level, CNS
activity, pooled number, the tests still needed), under the research-use disclaimer."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tkiresist import DISCLAIMER
from tkiresist.interpret.engine import interpret
from tkiresist.knowledge.loader import KnowledgeBase
from tkiresist.model.case import Case
from tkiresist.model.interpretation import Interpretation, PooledEvidence
from tkiresist.report import write_report
from tkiresist.report.html import bottom_line, render_html

DAY = dt.date(2026, 1, 2)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _text(html: str) -> str:
    p = _Text()
    p.feed(html)
    p.close()
    return " ".join("".join(p.parts).split())


def _bottom_line(html: str) -> str:
    m = re.search(r'<section id="bottom-line">(.*?)</section>', html, re.DOTALL)
    assert m, "no bottom-line section"
    return _text(m.group(1))


def _pooled_lookup() -> PooledEvidence:
    return PooledEvidence(
        label="ORR, EGFR TKI + ALK TKI",
        numerator=6,
        denominator=9,
        value=6 / 9,
        ci_low=0.2993,
        ci_high=0.9251,
        source="registry test fixture",
    )


@pytest.fixture(scope="module")
def pooled_result(seed_case: Case, kb: KnowledgeBase) -> Interpretation:
    pooled = _pooled_lookup()
    return interpret(
        seed_case, kb, pooled=lambda drugs, _categories: pooled if "alectinib" in drugs else None
    )


def test_bottom_line_comes_before_the_timeline(
    seed_case: Case, seed_result: Interpretation
) -> None:
    html = render_html(seed_case, seed_result, generated=DAY)
    at = html.index('<section id="bottom-line">')
    assert html.index(DISCLAIMER) < at  # the research-use disclaimer stays on top
    assert at < html.index('<section id="timeline">')
    assert at < html.index('<section id="mechanisms">') < html.index('<section id="options">')


def test_bottom_line_states_the_answer(seed_case: Case, pooled_result: Interpretation) -> None:
    text = _bottom_line(render_html(seed_case, pooled_result, generated=DAY))
    assert "PD (cns) at month 20.0 (pd-brain-3)" in text
    assert "osimertinib (line 1), from month 0" in text and "progression in the CNS" in text
    assert "ALK fusion (bypass): off-target (bypass), evidence level C, acquired" in text
    assert "1. osimertinib + alectinib: evidence level C: case study or case series" in text
    assert "CNS-active (osimertinib: high (FLAURA); alectinib: high (ALEX))" in text
    assert "ORR, EGFR TKI + ALK TKI: 6/9 = 66.7%, exact 95% CI 29.9–92.5%" in text
    assert f"({len(pooled_result.options) - 1} more ranked below)" in text
    assert "Test next none further (1 already done)" in text


def test_bottom_line_names_tests_to_do_and_regimens_to_avoid(
    busy_case: Case, busy_result: Interpretation
) -> None:
    bl = bottom_line(busy_result)
    needed = [t for t in busy_result.recommended_tests if t.status == "needed"]
    assert needed and len(bl.tests) == len(needed)
    text = _bottom_line(render_html(busy_case, busy_result, generated=DAY))
    for t in needed:
        assert t.reason in text
    assert "Cis/trans phasing" in text
    assert len(busy_result.mechanisms) > 1 and "Mechanisms" in text
    for m in busy_result.mechanisms:
        assert m.label in text
    assert "Avoid" in text and busy_result.avoid[0].drugs[0] in text
    assert "no pooled registry number for this option" in text


def test_bottom_line_without_mechanism_or_option(
    seed_case: Case, seed_result: Interpretation
) -> None:
    bare = seed_result.model_copy(update={"mechanisms": (), "options": (), "avoid": ()})
    text = _bottom_line(render_html(seed_case, bare, generated=DAY))
    assert "none identified in the knowledge base" in text
    assert "no option in the knowledge base for this context" in text


@pytest.mark.skipif(
    importlib.util.find_spec("weasyprint") is None,
    reason="WeasyPrint is not installed (pip install 'tkiresist[pdf]'; Debian libpango-1.0-0)",
)
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")
def test_pdf_page_one_has_the_bottom_line(
    seed_case: Case, pooled_result: Interpretation, tmp_path: Path
) -> None:
    pdf = write_report(seed_case, pooled_result, tmp_path / "seed.pdf", generated=DAY)
    page1 = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-f", "1", "-l", "1", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    flat = " ".join(page1.split())
    assert " ".join(DISCLAIMER.split()) in flat
    assert "Bottom line" in flat
    assert "ALK fusion (bypass)" in flat  # the mechanism
    assert f"1. {pooled_result.options[0].label}" in flat  # the first option
    assert "evidence level C" in flat
    assert "CNS-active" in flat
    assert "6/9 = 66.7%" in flat  # the pooled number
