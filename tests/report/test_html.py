"""The HTML report: its content, that it is self-contained, and that it escapes everything."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tkiresist import DISCLAIMER
from tkiresist.errors import FormatError
from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import read_case
from tkiresist.knowledge.loader import KnowledgeBase
from tkiresist.model.case import Case
from tkiresist.model.interpretation import Interpretation, PooledEvidence
from tkiresist.report import write_report
from tkiresist.report.html import citation_links, columns_for, render_html

from .conftest import EXAMPLE_CASES

DAY = dt.date(2026, 1, 2)


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("br", "p", "div", "tr", "td", "th", "li", "h1", "h2", "h3", "section"):
            self.text.append(" ")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Tags:
    p = _Tags()
    p.feed(html)
    p.close()
    return p


def _text(html: str) -> str:
    return " ".join("".join(_parse(html).text).split())


def _section(html: str, section_id: str) -> str:
    m = re.search(rf'<section id="{section_id}">(.*?)</section>', html, re.DOTALL)
    assert m, section_id
    return m.group(1)


@pytest.fixture(scope="module")
def seed_html(seed_case: Case, seed_result: Interpretation) -> str:
    return render_html(seed_case, seed_result, generated=DAY)


def test_header(seed_html: str, seed_result: Interpretation) -> None:
    text = _text(seed_html)
    assert "CHEUNG-2025-P1" in text
    assert "PD (cns) at month 20.0" in text and "pd-brain-3" in text
    kb = seed_result.knowledge_base
    assert f"version {kb.version}, reviewed {kb.date}" in text
    assert DISCLAIMER in text
    assert "generated 2026-01-02" in text
    assert "osimertinib (line 1), from month 0" in text
    assert '<a href="https://doi.org/10.7759/cureus.92202">' in seed_html  # the source


def test_findings_table_marks_eml4_alk_acquired(seed_html: str) -> None:
    table = _section(seed_html, "findings")
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL)
    by_name = {}
    for row in rows:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
        if cells:
            by_name[_text(cells[0]).split(" EML4::ALK confirmed")[0]] = [_text(c) for c in cells]
    assert by_name["EML4::ALK"][1] == "acquired"
    assert by_name["EML4::ALK"][2:] == ["–", "not detected as “ALK fusion”", "–", "detected"]
    assert by_name["EGFR exon 19 deletion"][1] == "persistent"
    assert by_name["EGFR p.T790M"][1] == "not detected"
    assert by_name["ALK IHC positive"][1] == "acquired"
    heads = [_text(h) for h in re.findall(r"<th>(.*?)</th>", table, re.DOTALL)]
    assert heads[:2] == ["Alteration", "Status"]
    assert heads[2:] == [
        "ihc-baseline month 0, earlier",
        "ngs-baseline month 0, earlier",
        "ihc-progression month 13, current",
        "ngs-progression month 13, current",
    ]
    legend = _text(table)
    assert "Oncomine Precision Assay (GX) on lung, left lower lobe (tissue), month 0" in legend


def test_test_columns_are_ordered_by_time(seed_case: Case, seed_result: Interpretation) -> None:
    cols = columns_for(seed_case, seed_result)
    assert [c.month for c in cols] == sorted(c.month for c in cols)
    assert {c.assay_id for c in cols} == {"oncomine-precision", "ihc-alk"}


def test_vaf_and_read_support_are_shown(busy_case: Case, busy_result: Interpretation) -> None:
    text = _text(_section(render_html(busy_case, busy_result, generated=DAY), "findings"))
    assert "VAF 31.0% 310 reads" in text  # EGFR L858R at diagnosis: 310/1000 reads
    assert "VAF 3.4% 34 reads" in text  # T790M in plasma


def test_mechanisms_with_class_and_explanation(seed_html: str, seed_result: Interpretation) -> None:
    text = _text(_section(seed_html, "mechanisms"))
    mech = seed_result.mechanisms[0]
    assert mech.label in text
    assert "off-target (bypass)" in text
    assert mech.explanation in text
    assert f"evidence level {mech.evidence_level}" in text


def test_options_ranked_with_level_cns_and_citation_links(
    seed_html: str, seed_result: Interpretation
) -> None:
    section = _section(seed_html, "options")
    first = seed_result.options[0]
    card = re.search(r'<div class="card first">(.*?)</div>\s*<div class="card', section, re.DOTALL)
    assert card, "the first option's card"
    first_text = _text(card.group(1))
    assert first_text.startswith(f"1. {first.label}")
    for drug in first.drugs:
        assert drug in first_text
    assert f"evidence level {first.evidence_level}" in first_text
    assert ("CNS-active" if first.cns_active else "CNS activity not documented") in first_text
    for c in first.citations:
        if c.doi:
            assert f'href="https://doi.org/{c.doi}"' in card.group(1)
    # every option appears, in rank order
    ranks = [int(r) for r in re.findall(r'<span class="rank">(\d+)\.</span>', section)]
    assert ranks == [o.rank for o in seed_result.options]
    # a citation with a PMID links to PubMed
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/33207094/"' in section


def test_citation_links() -> None:
    from tkiresist.model.citation import KnowledgeCitation

    c = KnowledgeCitation(
        id="x",
        doi="10.1056/NEJMoa2027187",
        pmid="33207094",
        first_author="Shaw",
        year=2020,
        journal="N Engl J Med",
    )
    assert [(link.text, link.href) for link in citation_links(c)] == [
        ("doi:10.1056/NEJMoa2027187", "https://doi.org/10.1056/NEJMoa2027187"),
        ("PMID 33207094", "https://pubmed.ncbi.nlm.nih.gov/33207094/"),
    ]


def test_pooled_registry_evidence_is_shown(seed_case: Case, kb: KnowledgeBase) -> None:
    pooled = PooledEvidence(
        label="ORR, EGFR TKI + ALK TKI",
        numerator=6,
        denominator=9,
        value=6 / 9,
        ci_low=0.2993,
        ci_high=0.9251,
        source="registry test fixture",
    )

    def lookup(drugs: tuple[str, ...], _categories: frozenset[str]) -> PooledEvidence | None:
        return pooled if "alectinib" in drugs else None

    result = interpret(seed_case, kb, pooled=lookup)
    text = _text(_section(render_html(seed_case, result, generated=DAY), "options"))
    assert (
        "Pooled registry evidence: ORR, EGFR TKI + ALK TKI, n = 9: 6/9 = 66.7%, "
        "95% CI 29.9%–92.5% (Clopper-Pearson exact 95% CI)."
    ) in text
    assert text.count("Pooled registry evidence") == 1  # only the option that carries one


def test_tests_needed_and_trace(seed_html: str, seed_result: Interpretation) -> None:
    tests = _text(_section(seed_html, "tests"))
    for rt in seed_result.recommended_tests:
        assert rt.reason in tests
    trace = _section(seed_html, "trace")
    text = _text(trace)
    fired = [t for t in seed_result.trace if t.fired]
    assert f"{len(fired)} of {len(seed_result.trace)} statements fired" in text
    for t in seed_result.trace:
        assert t.statement in text and t.reason in text
    # fired statements come first
    first_row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", trace, re.DOTALL)
    assert first_row and "✓ fired" in first_row.group(1)


def test_self_contained(seed_html: str) -> None:
    tags = _parse(seed_html).tags
    names = {t for t, _ in tags}
    assert "script" not in names and "link" not in names and "iframe" not in names
    for tag, attrs in tags:
        for attr in ("src", "srcset", "data", "poster", "xlink:href", "background"):
            value = attrs.get(attr)
            assert value is None or value.startswith(("data:", "#")), (tag, attr, value)
        if tag == "a":
            assert (attrs.get("href") or "").startswith("https://")
        else:
            assert attrs.get("href") is None, (tag, attrs)
    styles = re.findall(r"<style>(.*?)</style>", seed_html, re.DOTALL)
    assert len(styles) == 1
    assert "@import" not in styles[0] and "url(" not in styles[0]
    assert "<svg" in _section(seed_html, "timeline")
    assert not re.search(r"""(src|href)\s*=\s*["']?http:""", seed_html)


def test_png_figure_is_a_data_uri(seed_case: Case, seed_result: Interpretation) -> None:
    html = render_html(seed_case, seed_result, generated=DAY, figure="png")
    imgs = [a for t, a in _parse(html).tags if t == "img"]
    assert len(imgs) == 1 and (imgs[0]["src"] or "").startswith("data:image/png;base64,")
    assert "<svg" not in _section(html, "timeline")


def test_escapes_case_text_and_hides_identifiers(
    busy_case: Case, busy_result: Interpretation
) -> None:
    html = render_html(busy_case, busy_result, generated=DAY)
    assert "SYNTH-BUSY-&lt;01&gt; &amp; &#34;x&#34;" in html
    assert "SYNTH-BUSY-<01>" not in html
    assert "<script" not in html
    assert "{{ not jinja }}" in html  # case text is data, never template code
    assert "90 or older" in _text(html)  # Safe Harbor: ages above 89 are aggregated
    assert "93" not in _text(_section(html, "timeline") + html.split("<section")[0])
    # the case has calendar dates; the report shows months from diagnosis only
    for date in ("2021-03", "2022-06", "2023-09", "2024-02"):
        assert date not in html, date


def test_write_report_by_suffix(
    seed_case: Case, seed_result: Interpretation, tmp_path: Path
) -> None:
    out = write_report(seed_case, seed_result, tmp_path / "r.html", generated=DAY)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(FormatError, match=r"expected a \.html or \.pdf"):
        write_report(seed_case, seed_result, tmp_path / "r.docx")


@pytest.mark.parametrize("path", EXAMPLE_CASES, ids=lambda p: p.parent.name)
def test_every_example_renders(path: Path, kb: KnowledgeBase) -> None:
    case = read_case(path)
    result = interpret(case, kb)
    html = render_html(case, result, generated=DAY)
    text = _text(html)
    assert case.pseudonym in text and DISCLAIMER in text
    assert result.decision_point.description in text
    for a in result.alterations:
        assert a.name in text
    for o in result.options:
        assert o.label in text
