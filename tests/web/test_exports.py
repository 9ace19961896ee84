"""Exports and reports leave out HIPAA Safe Harbor identifiers unless an admin asks explicitly."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.conftest import DATA

from .conftest import YAML, Session, assert_error_shape, create_seed

DATED = (DATA / "valid" / "minimal.yaml").read_text(encoding="utf-8")
UID = "minimal-1"
DAY = re.compile(r"2023-01-10|2024-03-01|2023-02-01")


def exact_dates(data: Any) -> list[dict[str, Any]]:
    """Every date in ``data`` more precise than a year (case data holds dates as mappings)."""
    found = []
    if isinstance(data, dict):
        date = data.get("date")
        if isinstance(date, dict) and ("month" in date or "day" in date):
            found.append(date)
        for value in data.values():
            found += exact_dates(value)
    elif isinstance(data, list):
        for value in data:
            found += exact_dates(value)
    return found


@pytest.fixture
def settings_kwargs() -> dict[str, Any]:
    return {"shift_secret": "test-secret"}


@pytest.fixture
def dated(curator: Session) -> dict[str, Any]:
    text = DATED.replace("  - id: dx\n", "  - id: dx\n    note: seen by Dr Jane Roe\n")
    return create_seed(curator, text)


@pytest.mark.parametrize("who", ["viewer", "curator", "admin"])
def test_default_export_has_no_identifiers(
    request: pytest.FixtureRequest, dated: dict[str, Any], who: str
) -> None:
    s: Session = request.getfixturevalue(who)
    for fmt in ("json", "yaml"):
        r = s.get(f"/api/cases/{UID}/export?format={fmt}")
        assert r.status_code == 200
        assert exact_dates(yaml.safe_load(r.text)) == [] and "Jane Roe" not in r.text
        assert "attachment" in r.headers["content-disposition"]
    data = yaml.safe_load(s.get(f"/api/cases/{UID}/export?format=yaml").text)
    assert data["events"][0]["time"]["date"] == {"year": 2023}


def test_the_case_view_is_deidentified_for_a_viewer(viewer: Session, dated: dict[str, Any]) -> None:
    r = viewer.get(f"/api/cases/{UID}")
    assert exact_dates(r.json()) == [] and "Jane Roe" not in r.text
    assert_error_shape(viewer.get(f"/api/cases/{UID}?identifiers=include"), 403)


@pytest.mark.parametrize("mode", ["include", "shifted"])
def test_identifiers_need_an_admin(curator: Session, dated: dict[str, Any], mode: str) -> None:
    err = assert_error_shape(curator.get(f"/api/cases/{UID}/export?identifiers={mode}"), 403)
    assert err["details"][0]["loc"] == ["identifiers"]
    assert_error_shape(curator.get(f"/api/cases/{UID}/report.html?identifiers={mode}"), 403)


def test_admin_asks_explicitly_and_it_is_audited(
    app: Any, admin: Session, dated: dict[str, Any]
) -> None:
    full = admin.get(f"/api/cases/{UID}/export?identifiers=include")
    assert full.status_code == 200 and "Jane Roe" in full.text
    assert {"year": 2023, "month": 1, "day": 10} in exact_dates(full.json())
    shifted = admin.get(f"/api/cases/{UID}/export?identifiers=shifted")
    assert shifted.status_code == 200 and "Jane Roe" not in shifted.text
    moved = exact_dates(shifted.json())  # dates, but moved
    assert len(moved) == len(exact_dates(full.json()))
    assert {"year": 2023, "month": 1, "day": 10} not in moved
    again = admin.get(f"/api/cases/{UID}/export?identifiers=shifted")
    assert again.json() == shifted.json()  # the same shift for the same patient
    audit = [(e.user, e.action, e.target) for e in app.state.ctx.store.audit_entries()]
    assert ("ada", "case.export_include", UID) in audit
    assert ("ada", "case.export_shifted", UID) in audit


def test_curator_working_copy_is_audited(app: Any, curator: Session, dated: dict[str, Any]) -> None:
    r = curator.get(f"/api/cases/{UID}?identifiers=include")
    assert {"year": 2023, "month": 1, "day": 10} in exact_dates(r.json())
    audit = [(e.user, e.action, e.target) for e in app.state.ctx.store.audit_entries()]
    assert ("carl", "case.read_identified", UID) in audit


def test_html_report_shows_no_identifiers(viewer: Session, dated: dict[str, Any]) -> None:
    r = viewer.get(f"/api/cases/{UID}/report.html")
    assert r.status_code == 200 and "TEST-MINIMAL" in r.text
    assert not DAY.search(r.text) and "Jane Roe" not in r.text


def test_registry_listing_shows_ages_over_89_as_a_category(curator: Session) -> None:
    uid = "cheung2025-table1-6"
    r = curator.patch(
        f"/api/cases/{uid}/fields",
        json={"version": 1, "changes": {"case.patient.age_at_diagnosis": 93}},
    )
    assert r.status_code == 200
    rows = curator.get("/api/registry/search?dataset=cheung2025-table1").json()["cases"]
    assert next(c for c in rows if c["case_uid"] == uid)["age"] == "90+"
    page = curator.get(f"/registry/{uid}", headers={"accept": "text/html"})
    assert "<td>90+</td>" in page.text


def test_shift_needs_a_secret(app: Any, admin: Session, dated: dict[str, Any]) -> None:
    import dataclasses

    app.state.ctx = dataclasses.replace(app.state.ctx, shift_secret=None)
    err = assert_error_shape(admin.get(f"/api/cases/{UID}/export?identifiers=shifted"), 422)
    assert "TKIRESIST_SHIFT_SECRET" in err["message"]


def test_interpretation_of_a_dated_case(viewer: Session, dated: dict[str, Any]) -> None:
    r = viewer.post("/api/interpret", content=DATED, headers=YAML)
    stored = viewer.get(f"/api/cases/{UID}/interpretation")
    assert r.status_code == stored.status_code == 200
    assert r.json() == stored.json()


def test_history_values_are_for_curators(
    viewer: Session, curator: Session, dated: dict[str, Any]
) -> None:
    case = curator.get(f"/api/cases/{UID}?identifiers=include").json()["case"]
    case["events"][0]["note"] = "called Mrs Example on 2023-01-12"
    assert curator.put(f"/api/cases/{UID}", json={"version": 1, "case": case}).status_code == 200
    theirs = curator.get(f"/api/cases/{UID}/history").json()["history"][-1]
    assert theirs["new"] == "called Mrs Example on 2023-01-12"
    mine = viewer.get(f"/api/cases/{UID}/history").json()["history"][-1]
    assert (mine["field"], mine["who"], mine["old"], mine["new"]) == (
        "case.events[0].note",
        "carl",
        None,
        None,
    )
    page = viewer.get(f"/cases/{UID}", headers={"accept": "text/html"})
    assert page.status_code == 200 and "Mrs Example" not in page.text
