"""#16 on the web: pooled evidence over reviewed cases, each patient once; curators link and
unlink cases through the API, with history."""

from __future__ import annotations

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
