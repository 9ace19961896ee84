"""#16 on the web: pooled evidence over reviewed cases, each patient once; curators link and
unlink cases through the API, with history."""

from __future__ import annotations

from typing import Any

from .conftest import Session, assert_error_shape, create_seed

ROW1 = "cheung2025-table1-1"


def test_the_seed_patient_saved_as_a_local_case_is_counted_once(
    curator: Session, viewer: Session, seed_yaml: str
) -> None:
    create_seed(curator, seed_yaml)  # cheung2025-case1: a local draft of the seed's row 1
    reviewed = viewer.get("/api/registry/summary").json()
    assert reviewed["n_cases"] == 16 and reviewed["statuses"] == ["reviewed"]
    drafts = viewer.get("/api/registry/summary?include_drafts=true").json()
    assert drafts["n_cases"] == 16 and drafts["statuses"] == ["draft", "reviewed"]
    assert drafts["duplicates_excluded"] == 1
    found = viewer.get("/api/registry/search?where=dataset=local").json()["cases"]
    assert [c["duplicate_of"] for c in found] == [ROW1]
    page = viewer.get("/registry", headers={"accept": "text/html"}).text
    assert "Pooled: reviewed cases only" in page and "same patient as" in page
    assert '17</strong> cases in the registry; <strong id="n-pooled">16</strong> pooled' in page


def test_curators_link_and_unlink_through_the_api(
    curator: Session, viewer: Session, seed_yaml: str
) -> None:
    create_seed(curator, seed_yaml)
    url = "/api/cases/cheung2025-case1/links"

    def n_with_drafts() -> int:
        data = viewer.get("/api/registry/summary?include_drafts=true").json()
        return int(data["n_cases"])

    body = {"other": ROW1, "same_patient": False, "reason": "a different patient"}
    r = curator.post(url, json=body)
    assert r.status_code == 200, r.text
    assert r.json()["changed"] is True and r.json()["counted_once_with"] == []
    assert n_with_drafts() == 17
    r = curator.post(url, json={"other": ROW1, "reason": "the same patient after all"})
    assert r.json()["counted_once_with"] == [ROW1]
    assert n_with_drafts() == 16
    history = curator.get("/api/cases/cheung2025-case1/history").json()["history"]
    assert [h["action"] for h in history[-2:]] == ["unlink", "link"]
    assert history[-1]["new"] == ROW1 and history[-1]["who"] == "carl"
    assert curator.get(f"/api/cases/{ROW1}/history").json()["history"][-1]["action"] == "link"
    assert_error_shape(viewer.post(url, json={"other": ROW1, "reason": "x"}), 403)
    assert_error_shape(curator.post(url, json={"other": ROW1, "reason": ""}), 422)
    assert_error_shape(curator.post(url, json={"other": "nope", "reason": "x"}), 404)


def _form_post(s: Session, url: str, data: dict[str, str]) -> Any:
    return s.client.post(
        url,
        data={"csrf_token": s.csrf, **data},
        headers={"accept": "text/html"},
        follow_redirects=False,
    )


def test_curators_link_and_unlink_from_the_registry_page(
    curator: Session, viewer: Session, seed_yaml: str
) -> None:
    create_seed(curator, seed_yaml)  # matched with row 1 by the rule
    page = viewer.get("/registry/cheung2025-case1", headers={"accept": "text/html"}).text
    assert 'id="same-patient-group"' in page and f'href="/registry/{ROW1}"' in page
    assert 'id="link-form"' not in page  # a viewer sees the group, not the form
    other = "cheung2025-table1-2"
    url = "/registry/cheung2025-case1/links"
    r = _form_post(curator, url, {"op": "link", "other": other, "reason": "same chart number"})
    assert r.status_code == 303 and r.headers["location"].endswith("#same-patient")
    page = curator.get("/registry/cheung2025-case1", headers={"accept": "text/html"}).text
    assert 'id="link-form"' in page and 'id="link-decisions"' in page
    assert "same chart number" in page and "same patient (linked)" in page
    assert other in page.split('id="same-patient-group"')[1].split("</p>")[0]
    history = curator.get(f"/api/cases/{other}/history").json()["history"]
    assert (history[-1]["action"], history[-1]["who"]) == ("link", "carl")
    r = _form_post(curator, url, {"op": "unlink", "other": other, "reason": "no: checked"})
    assert r.status_code == 303
    group = viewer.get("/api/registry/search?where=dataset=local").json()["cases"]
    assert [c["duplicate_of"] for c in group] == [ROW1]  # the rule's match stays
    page = curator.get("/registry/cheung2025-case1", headers={"accept": "text/html"}).text
    assert other not in page.split('id="same-patient-group"')[1].split("</p>")[0]
    assert "different patients (unlinked)" in page


def test_the_link_form_shows_its_problems_and_refuses_viewers(
    curator: Session, viewer: Session, seed_yaml: str
) -> None:
    create_seed(curator, seed_yaml)
    url = "/registry/cheung2025-case1/links"
    r = _form_post(curator, url, {"op": "link", "other": "", "reason": ""})
    assert r.status_code == 422
    assert 'id="err-link-other"' in r.text and 'id="err-link-reason"' in r.text
    r = _form_post(curator, url, {"op": "link", "other": "nope", "reason": "x<b>y"})
    assert r.status_code == 404 and "no case" in r.text and 'value="x&lt;b&gt;y"' in r.text
    r = _form_post(viewer, url, {"op": "link", "other": ROW1, "reason": "x"})
    assert r.status_code == 403
    assert (
        curator.get("/api/cases/cheung2025-case1/history").json()["history"][-1]["action"]
        == "create"
    )


def test_a_decision_contradicting_the_curators_links_is_a_conflict(
    curator: Session, seed_yaml: str
) -> None:
    """case1 ~ row 1 (the rule) and case1 ~ row 2 (a link): row 1 and row 2 are then one
    patient through case1 unless a curator says otherwise; "row 2 is not row 1" after a link
    "case1 is row 2" and a link "case1 is row 1" cannot all hold: 409, nothing recorded."""
    create_seed(curator, seed_yaml)
    row2 = "cheung2025-table1-2"
    for other in (ROW1, row2):
        r = curator.post(
            "/api/cases/cheung2025-case1/links", json={"other": other, "reason": "same chart"}
        )
        assert r.status_code == 200, r.text
    r = curator.post(
        f"/api/cases/{ROW1}/links",
        json={"other": row2, "same_patient": False, "reason": "two patients"},
    )
    err = assert_error_shape(r, 409)
    assert "contradicts the curators' links" in err["message"]
    assert curator.get(f"/api/cases/{row2}/history").json()["history"][-1]["action"] == "link"
