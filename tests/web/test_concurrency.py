"""Two curators editing the same case: optimistic locking by version number.

The second save, made on the version both read, gets 409 with a message naming who saved first;
the stored case keeps the first change, the second curator keeps their text (the page shows it
again), and saving it on the new version keeps both changes."""

from __future__ import annotations

import threading
from typing import Any

from .conftest import Session, assert_error_shape, create_seed

UID = "cheung2025-case1"


def _working_copy(s: Session) -> tuple[int, dict[str, Any]]:
    rec = s.get(f"/api/cases/{UID}?identifiers=include").json()
    return rec["version"], rec["case"]


def test_second_save_is_a_conflict_and_nothing_is_lost(
    curator: Session, curator2: Session, seed_yaml: str
) -> None:
    create_seed(curator, seed_yaml)
    v_a, case_a = _working_copy(curator)
    v_b, case_b = _working_copy(curator2)
    assert v_a == v_b == 1
    case_a["patient"]["ecog"] = 1
    case_b["patient"]["smoking"] = "never"

    first = curator.put(f"/api/cases/{UID}", json={"version": v_a, "case": case_a})
    assert first.status_code == 200 and first.json()["version"] == 2
    second = curator2.put(f"/api/cases/{UID}", json={"version": v_b, "case": case_b})
    err = assert_error_shape(second, 409)
    assert err["code"] == "conflict"
    assert "carl" in err["message"] and "version 2" in err["message"]
    assert err["details"][0]["loc"] == ["version"]

    stored = curator.get(f"/api/cases/{UID}?identifiers=include").json()
    assert stored["version"] == 2
    assert stored["case"]["patient"]["ecog"] == 1  # the first change is kept
    assert stored["case"]["patient"].get("smoking", "unknown") == "unknown"  # nothing merged

    # the second curator re-applies their change on the current version: both changes stay
    v_now, current = _working_copy(curator2)
    current["patient"]["smoking"] = case_b["patient"]["smoking"]
    third = curator2.put(f"/api/cases/{UID}", json={"version": v_now, "case": current})
    assert third.status_code == 200
    final = third.json()["case"]["patient"]
    assert (final["ecog"], final["smoking"]) == (1, "never")
    history = curator.get(f"/api/cases/{UID}/history").json()["history"]
    assert [(h["who"], h["field"]) for h in history if h["action"] == "update"] == [
        ("carl", "case.patient.ecog"),
        ("cora", "case.patient.smoking"),
    ]


def test_simultaneous_saves_exactly_one_wins(
    curator: Session, curator2: Session, seed_yaml: str
) -> None:
    create_seed(curator, seed_yaml)
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}

    def save(s: Session, ecog: int) -> None:
        _, case = _working_copy(s)
        case["patient"]["ecog"] = ecog
        barrier.wait()
        r = s.put(f"/api/cases/{UID}", json={"version": 1, "case": case})
        results[s.name] = r.status_code

    threads = [
        threading.Thread(target=save, args=(curator, 1)),
        threading.Thread(target=save, args=(curator2, 2)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == [200, 409]
    winner = next(name for name, status in results.items() if status == 200)
    stored = curator.get(f"/api/cases/{UID}?identifiers=include").json()
    assert stored["version"] == 2 and stored["updated_by"] == winner
    assert stored["case"]["patient"]["ecog"] == {"carl": 1, "cora": 2}[winner]


def test_field_edits_conflict_too(curator: Session, curator2: Session) -> None:
    uid = "cheung2025-table1-6"
    a = curator.patch(
        f"/api/cases/{uid}/fields", json={"version": 1, "changes": {"case.patient.sex": "female"}}
    )
    assert a.status_code == 200
    b = curator2.patch(
        f"/api/cases/{uid}/fields",
        json={"version": 1, "changes": {"case.patient.age_at_diagnosis": 61}},
    )
    assert_error_shape(b, 409)
    stored = curator.get(f"/api/cases/{uid}").json()["case"]["patient"]
    assert (stored["sex"], stored["age_at_diagnosis"]) == ("female", 68)


def test_conflict_on_the_edit_page_keeps_the_curators_text(
    curator: Session, curator2: Session, seed_yaml: str
) -> None:
    create_seed(curator, seed_yaml)
    html = {"accept": "text/html"}
    page = curator2.get(f"/cases/{UID}/edit", headers=html)
    assert page.status_code == 200 and 'name="version" value="1"' in page.text
    # carl saves first, through the API
    _, case = _working_copy(curator)
    case["patient"]["ecog"] = 1
    assert curator.put(f"/api/cases/{UID}", json={"version": 1, "case": case}).status_code == 200
    # cora submits the form she loaded at version 1
    mine = "MY-UNSAVED-PSEUDONYM"
    form = {
        "csrf_token": curator2.csrf,
        "version": "1",
        "id": UID,
        "pseudonym": mine,
        "age_at_diagnosis": "62",
        "sex": "male",
        "smoking": "unknown",
        "ecog": "0",
        "events": "- id: dx\n  type: diagnosis\n  histology: adenocarcinoma\n",
        "extra": "",
    }
    r = curator2.client.post(f"/cases/{UID}/edit", data=form, headers=html)
    assert r.status_code == 409
    assert "Someone saved this case first" in r.text
    assert f'value="{mine}"' in r.text  # her text is shown again, unchanged
    assert 'name="version" value="2"' in r.text  # a new save applies on top of version 2
    stored = curator.get(f"/api/cases/{UID}").json()
    assert stored["version"] == 2 and stored["case"]["pseudonym"] == "CHEUNG-2025-P1"
