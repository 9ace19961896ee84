"""The answer first (#17 item 4) in the web pages: the case page opens on the bottom line (the
timeline below it), and the claims audit opens on a summary of verdicts with filters that are
query parameters (no script)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import SEED_CASE

from .conftest import Session, assert_error_shape

HTML = {"accept": "text/html"}


def _page(s: Session, url: str, status: int = 200) -> str:
    r = s.client.get(url, headers=HTML)
    assert r.status_code == status, (url, r.status_code, r.text[:500])
    text: str = r.text
    return text


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _claim_ids(html: str) -> list[str]:
    return re.findall(r'<div class="card[^"]*" id="claim-([^"]+)"', html)


@pytest.fixture
def seed_page(curator: Session) -> str:
    files = {"file": ("case.yaml", SEED_CASE.read_bytes(), "application/yaml")}
    r = curator.client.post(
        "/cases/new",
        data={"csrf_token": curator.csrf},
        files=files,
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:500]
    return _page(curator, r.headers["location"])


def test_case_page_opens_on_the_bottom_line(seed_page: str) -> None:
    at = seed_page.index('id="bottom-line"')
    assert at < seed_page.index('id="timeline"') < seed_page.index('id="interpretation"')
    block = seed_page[at : seed_page.index("</section>", at)]
    text = _text(block)
    assert "PD (cns) at month 20.0" in text and "progression in the CNS" in text
    assert "ALK fusion (bypass)" in text
    assert "1. osimertinib + alectinib" in text and "evidence level C" in text
    assert "CNS-active" in text
    assert "Pooled registry evidence" in text and "6/9 = 66.7%" in text  # the registry's pool
    assert "Test next" in text and "none further" in text
    # the detailed cards below keep their ids
    assert 'id="option-1"' in seed_page[seed_page.index('id="interpretation"') :]


def test_claims_page_opens_on_a_summary(viewer: Session) -> None:
    html = _page(viewer, "/claims")
    summary_at = html.index('id="claims-summary"')
    assert summary_at < html.index('id="claims-filters"') < html.index('id="claim-')
    summary = html[summary_at : html.index("</section>", summary_at)]
    every = _claim_ids(html)
    assert f"{len(every)} claims by verdict and kind" in _text(summary)
    counts = {}
    for verdict in ("match", "mismatch", "not_checked"):
        row = re.search(rf'<tr id="summary-{verdict}">(.*?)</tr>', summary, re.S)
        assert row, verdict
        total = re.findall(r'<td class="num"><strong>(\d+)</strong></td>', row.group(1))
        counts[verdict] = int(total[-1])
    assert sum(counts.values()) == len(every) and counts["mismatch"] >= 1
    # each count links to the page filtered to it
    assert '<a href="/claims?name=cheung2025&amp;status=mismatch&amp;kind=case">' in summary
    assert "<script" not in html  # the filters work without JavaScript


def test_claims_filters_narrow_the_rows(viewer: Session) -> None:
    every = _claim_ids(_page(viewer, "/claims"))
    mismatches = _claim_ids(_page(viewer, "/claims?status=mismatch"))
    per_case = _claim_ids(_page(viewer, "/claims?kind=case"))
    both = _claim_ids(_page(viewer, "/claims?status=mismatch&kind=case"))
    assert 0 < len(both) < len(mismatches) < len(every)
    assert 0 < len(both) < len(per_case) < len(every)
    assert set(both) == set(mismatches) & set(per_case)
    assert "abstract-case-age" in both  # the paper's 62 against Table 1's 65
    conclusions = _page(viewer, "/claims?section=Conclusions")
    shown = _claim_ids(conclusions)
    assert 0 < len(shown) < len(every)
    assert f"<strong>{len(shown)}</strong> of {len(every)} claims shown (filtered)" in conclusions
    assert "<option selected>Conclusions</option>" in conclusions  # the form keeps the choice
    assert "No claim matches the filters." in _page(viewer, "/claims?kind=external&status=match")


def test_claims_filters_refuse_unknown_values(viewer: Session) -> None:
    assert_error_shape(viewer.get("/claims?kind=opinion"), 422)
    assert_error_shape(viewer.get("/claims?section=Methods"), 422)
    assert viewer.client.get("/claims?kind=opinion", headers=HTML).status_code == 422
