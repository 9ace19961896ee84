"""#16 on the web: the curation assistant's page and API. A curator pastes a case report, sees
each drafted value highlighted at its span, corrects the draft and saves it as a local draft
case with its source and the curator recorded."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import yaml

from tests.conftest import SEED_TEXT

from .conftest import Session, assert_error_shape

HTML = {"accept": "text/html"}
SEED_DOI = "10.7759/cureus.92202"
SEED_NAME = "cheung2025_cureus_92202.txt"

# SYNTHETIC: written for these tests, not from any report; no DOI in it
SYNTHETIC = (
    "Case Presentation\n\n"
    "A 55-year-old woman, a never-smoker, presented with cough. Biopsy of the right lower lobe "
    "mass revealed adenocarcinoma. NGS of the tumour demonstrated EGFR L858R; T790M was not "
    "detected.\n\n"
    "She was started on osimertinib (80 mg daily). After 18 months of osimertinib, MRI "
    "revealed new brain metastases.\n"
)


@pytest.fixture(scope="module")
def seed_text() -> str:
    if not SEED_TEXT.exists():
        pytest.skip(f"the seed paper's text is not at {SEED_TEXT}")
    return SEED_TEXT.read_text(encoding="utf-8")


def _post(s: Session, data: dict[str, str]) -> Any:
    return s.client.post(
        "/curate/draft",
        data={"csrf_token": s.csrf, **data},
        headers=HTML,
        follow_redirects=False,
    )


def _report(page: str) -> tuple[str, dict[int, set[int]]]:
    """The text shown in the report box (tags removed, entities decoded) and, per character
    offset, the span numbers of the marks covering it."""
    m = re.search(r'<div class="report" id="report">(.*?)</div>', page, re.S)
    assert m is not None, page[:500]
    shown: list[str] = []
    covered: dict[int, set[int]] = {}
    pos = 0
    current: set[int] = set()
    for tag_open, tag_close, chunk in re.findall(r"(<mark[^>]*>)|(</mark>)|([^<]+)", m.group(1)):
        if tag_open:
            spans = re.search(r'data-spans="([^"]*)"', tag_open)
            assert spans is not None, tag_open
            current = {int(n) for n in spans.group(1).split()}
        elif tag_close:
            current = set()
        else:
            text = html.unescape(chunk)
            for i in range(len(text)):
                if current:
                    covered[pos + i] = current
            shown.append(text)
            pos += len(text)
    return "".join(shown), covered


def _textarea(page: str, name: str) -> str:
    m = re.search(rf'<textarea id="{name}" name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert m is not None, name
    return html.unescape(m.group(1))


def _input(page: str, name: str) -> str:
    m = re.search(rf'<input type="(?:text|hidden)"[^>]*name="{name}" value="([^"]*)"', page)
    assert m is not None, name
    return html.unescape(m.group(1))


def _filled(draft_yaml: str) -> str:
    """The draft as a curator corrects it: the times the text does not give, filled in."""
    data = yaml.safe_load(draft_yaml)
    for e in data["events"]:
        if e["type"] == "therapy" and "start" not in e:
            e["start"] = "0 months after diagnosis"
        elif e["type"] in ("specimen", "response") and "time" not in e:
            e["time"] = "0 months after diagnosis"
    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def test_the_seed_text_is_shown_with_every_value_highlighted_at_its_span(
    curator: Session, seed_text: str
) -> None:
    page = curator.get("/curate/draft", headers=HTML)
    assert page.status_code == 200 and 'id="text-form"' in page.text
    r = _post(curator, {"op": "draft", "text": seed_text, "name": SEED_NAME})
    assert r.status_code == 200, r.text[:500]
    api = curator.post("/api/curate/draft", json={"text": seed_text, "name": SEED_NAME})
    assert api.status_code == 200, api.text
    spans = api.json()["spans"]
    assert len(spans) > 40  # the seed's draft has dozens of values
    shown, covered = _report(r.text)
    assert shown == seed_text  # nothing lost, nothing added: the offsets hold on the page
    for sp in spans:
        assert shown[sp["start"] : sp["end"]] == sp["text"]
        for i in range(sp["start"], sp["end"]):
            assert sp["n"] in covered.get(i, set()), (sp, i)
    assert not any(i in covered for i in range(0, min(s["start"] for s in spans)))
    age = next(s for s in spans if s["field"] == "patient.age_at_diagnosis")
    assert (age["text"], age["start"]) == ("62", 4686)
    draft = yaml.safe_load(_textarea(r.text, "case"))
    assert draft["patient"]["age_at_diagnosis"] == 62 and draft["source"]["doi"] == SEED_DOI
    assert _input(r.text, "source") == SEED_DOI
    assert _input(r.text, "text") == seed_text  # carried to the save, unchanged
    assert 'id="to-check"' in r.text and "the text gives no start for" in r.text
    assert "does not validate yet" in r.text


def test_crlf_from_a_browser_is_drafted_as_lf(curator: Session) -> None:
    r = curator.post(
        "/api/curate/draft", json={"text": SYNTHETIC.replace("\n", "\r\n"), "name": "s.txt"}
    )
    body = r.json()
    lf = curator.post("/api/curate/draft", json={"text": SYNTHETIC, "name": "s.txt"}).json()
    assert body["spans"] == lf["spans"] and body["spans"]
    assert all(SYNTHETIC[s["start"] : s["end"]] == s["text"] for s in body["spans"])


def test_pasted_markup_is_escaped_everywhere(curator: Session) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>"><b>'
    text = f"{evil}\n\n{SYNTHETIC}\n{evil}"
    r = _post(curator, {"op": "draft", "text": text, "name": '"><script>n()</script>.txt'})
    assert r.status_code == 200
    page = r.text
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>" not in page
    assert "<script>n()" not in page
    assert "&lt;script&gt;alert(" in page  # shown, as text
    shown, covered = _report(page)
    assert shown == text and covered  # highlighted values and the markup as plain text
    assert _input(page, "text") == text
    # a failed save shows the page again, still escaped
    r = _post(curator, {"op": "save", "text": text, "case": "id: [", "source": evil})
    assert r.status_code == 422
    assert "<script>alert" not in r.text and "<img src=x" not in r.text


def test_a_viewer_is_refused(viewer: Session) -> None:
    page = viewer.get("/curate/draft", headers=HTML)
    assert page.status_code == 403
    r = _post(viewer, {"op": "draft", "text": SYNTHETIC})
    assert r.status_code == 403
    err = assert_error_shape(viewer.post("/api/curate/draft", json={"text": SYNTHETIC}), 403)
    assert err["details"][0]["loc"] == ["role"]
    assert_error_shape(viewer.post("/api/curate/save", json={"case": "id: x"}), 403)


def test_without_the_csrf_token_nothing_is_drafted(curator: Session) -> None:
    r = curator.client.post("/curate/draft", data={"op": "draft", "text": SYNTHETIC}, headers=HTML)
    assert r.status_code == 403


def test_save_records_the_curator_and_the_source(
    curator: Session, viewer: Session, seed_text: str
) -> None:
    r = _post(curator, {"op": "draft", "text": seed_text, "name": SEED_NAME})
    as_drafted = _textarea(r.text, "case")
    # as drafted it does not validate: the errors are shown, the curator's text is kept
    r = _post(
        curator,
        {"op": "save", "text": seed_text, "name": SEED_NAME, "case": as_drafted,
         "source": SEED_DOI},
    )  # fmt: skip
    assert r.status_code == 422
    errors = re.search(r'<ul class="field-error" id="err-case">(.*?)</ul>', r.text, re.S)
    assert errors is not None and "required field" in errors.group(1)
    assert re.search(r"line \d+: events\[\d+\]", html.unescape(errors.group(1)))
    assert _textarea(r.text, "case") == as_drafted
    assert _report(r.text)[0] == seed_text  # the highlighted text is shown again
    r = _post(
        curator,
        {"op": "save", "text": seed_text, "name": SEED_NAME, "case": _filled(as_drafted),
         "source": SEED_DOI},
    )  # fmt: skip
    assert r.status_code == 303, r.text[:800]
    uid = "draft-cheung2025_cureus_92202"
    assert r.headers["location"] == f"/registry/{uid}#history"
    rec = curator.get(f"/api/cases/{uid}?identifiers=include").json()
    assert (rec["dataset"], rec["status"], rec["created_by"]) == ("local", "draft", "carl")
    assert rec["case"]["source"]["doi"] == SEED_DOI
    assert rec["case"]["provenance"]["spans"]  # the evidence is kept with the case
    [created] = curator.get(f"/api/cases/{uid}/history").json()["history"]
    assert (created["action"], created["who"]) == ("create", "carl")
    assert SEED_NAME in created["reason"] and f"doi {SEED_DOI}" in created["reason"]
    page = viewer.get(f"/registry/{uid}", headers=HTML).text
    assert "draft" in page and "carl" in page
    assert f'the case cites <a href="https://doi.org/{SEED_DOI}"' in page
    # pooled evidence reads reviewed cases only: the new draft is not pooled
    assert viewer.get("/api/registry/summary").json()["n_cases"] == 16
    # saving it again: the id is taken (409), nothing is replaced
    again = curator.post("/api/curate/save", json={"case": _filled(as_drafted), "source": SEED_DOI})
    assert_error_shape(again, 409)


def test_a_text_without_a_doi_needs_the_source_filled_in(curator: Session) -> None:
    r = _post(curator, {"op": "draft", "text": SYNTHETIC, "name": "synthetic.txt"})
    assert r.status_code == 200 and _input(r.text, "source") == ""
    filled = _filled(_textarea(r.text, "case"))
    r = _post(curator, {"op": "save", "text": SYNTHETIC, "name": "synthetic.txt",
                        "case": filled, "source": ""})  # fmt: skip
    assert r.status_code == 422
    assert re.search(r'id="err-source">.*DOI or PMID', r.text, re.S)
    r = _post(curator, {"op": "save", "text": SYNTHETIC, "name": "synthetic.txt",
                        "case": filled, "source": "not a doi"})  # fmt: skip
    assert r.status_code == 422 and "not a DOI or PMID" in html.unescape(r.text)
    # SYNTHETIC: an invented PMID, used only as a value here
    saved = curator.post(
        "/api/curate/save",
        json={"case": filled, "source": "PMID 12345678", "document": "synthetic.txt"},
    )
    assert saved.status_code == 201, saved.text
    body = saved.json()
    assert body["case"]["source"]["pmid"] == "12345678" and body["created_by"] == "carl"


def test_a_source_that_contradicts_the_case_is_refused(curator: Session, seed_text: str) -> None:
    drafted = curator.post("/api/curate/draft", json={"text": seed_text}).json()
    assert drafted["source"] == SEED_DOI and drafted["validates"] is False
    r = curator.post(
        "/api/curate/save", json={"case": _filled(drafted["yaml"]), "source": "10.1000/other"}
    )
    err = assert_error_shape(r, 422)
    assert err["details"][0]["loc"] == ["source"] and "make them agree" in err["message"]


@pytest.mark.parametrize(
    ("body", "status"),
    [({"text": "   "}, 422), ({"text": "x" * 200_001}, 422), ({}, 422), ({"text": 3}, 422)],
)
def test_bad_drafting_requests_keep_the_error_shape(
    curator: Session, body: dict[str, Any], status: int
) -> None:
    assert_error_shape(curator.post("/api/curate/draft", json=body), status)
