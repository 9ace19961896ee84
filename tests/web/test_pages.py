"""The server-rendered pages, driven as a browser would (Accept: text/html, form posts)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import SEED_CASE

from .conftest import Session

HTML = {"accept": "text/html"}


def _page(s: Session, url: str, status: int = 200) -> str:
    r = s.client.get(url, headers=HTML)
    assert r.status_code == status, (url, r.status_code, r.text[:500])
    text: str = r.text
    return text


def _post(s: Session, url: str, data: dict[str, str], **kw: Any) -> Any:
    return s.client.post(
        url, data={"csrf_token": s.csrf, **data}, headers=HTML, follow_redirects=False, **kw
    )


def _field_errors(html: str, name: str) -> list[str]:
    m = re.search(rf'<ul class="field-error" id="err-{name}">(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", m.group(1), re.S) if m else []


BAD_EVENTS = """- id: dx
  type: diagnosis
  histology: adenocarcinoma
- id: osi
  type: therapy
  agents: [osimertinibb]
  start: 3 months after dx
"""


def test_form_errors_are_shown_next_to_their_fields(curator: Session) -> None:
    form = {
        "id": "bad id!",
        "pseudonym": "P-2",
        "age_at_diagnosis": "abc",
        "sex": "unknown",
        "smoking": "unknown",
        "ecog": "",
        "events": BAD_EVENTS,
        "extra": "",
    }
    r = _post(curator, "/cases/new", form)
    assert r.status_code == 422
    events = _field_errors(r.text, "events")
    assert len(events) == 1 and events[0].startswith("line 6:") and "osimertinibb" in events[0]
    assert _field_errors(r.text, "id") and "pattern" in _field_errors(r.text, "id")[0]
    assert _field_errors(r.text, "age_at_diagnosis")
    for name in ("id", "age_at_diagnosis", "events"):
        assert re.search(rf'id="{name}"[^>]*class="invalid"', r.text), name
    assert not re.search(r'id="pseudonym"[^>]*class="invalid"', r.text)
    assert "bad id!" in r.text and "osimertinibb" in r.text  # what was typed is kept
    assert curator.get("/api/cases?dataset=local").json()["total"] == 0


def test_malformed_yaml_in_the_events_box_names_its_line(curator: Session) -> None:
    form = {"id": "p2", "pseudonym": "P-2", "events": "- id: dx\n  type: [unclosed\n"}
    r = _post(curator, "/cases/new", form)
    assert r.status_code == 422
    (msg,) = _field_errors(r.text, "events")
    assert msg.startswith("line ") and "malformed YAML" in msg


def test_upload_the_seed_case_then_see_timeline_and_first_option(curator: Session) -> None:
    files = {"file": ("case.yaml", SEED_CASE.read_bytes(), "application/yaml")}
    r = _post(curator, "/cases/new", {}, files=files)
    assert r.status_code == 303 and r.headers["location"] == "/cases/cheung2025-case1"
    html = _page(curator, "/cases/cheung2025-case1")
    assert '<div class="figure" id="timeline"><svg' in html
    first = re.search(r'id="option-1">\s*<h3>(.*?)</h3>', html, re.S)
    assert first is not None and first.group(1) == "1. osimertinib + alectinib"
    assert "ALK fusion (bypass)" in html


def test_upload_of_an_invalid_file_lists_located_problems(curator: Session) -> None:
    bad = SEED_CASE.read_text().replace("age_at_diagnosis: 62", "age_at_diagnosis: -1")
    r = _post(curator, "/cases/new", {}, files={"file": ("mine.yaml", bad.encode())})
    assert r.status_code == 422
    (msg,) = _field_errors(r.text, "file")
    assert re.match(r"mine\.yaml:\d+: patient\.age_at_diagnosis: ", msg)


def test_curator_edits_a_registry_field_and_history_shows_it(curator: Session) -> None:
    uid = "cheung2025-table1-6"
    html = _page(curator, f"/registry/{uid}")
    assert '<span class="verbatim">68/M</span>' in html
    path = "case.patient.age_at_diagnosis"
    r = _post(
        curator,
        f"/registry/{uid}",
        {"version": "1", f"v:{path}": "67", f"o:{path}": "68", "reason": "typo in the table"},
    )
    assert r.status_code == 303, r.text[:500]
    html = _page(curator, f"/registry/{uid}")
    row = re.search(rf"<code>{re.escape(path)}</code></td>\s*<td>(.*?)</td>", html, re.S)
    assert row is not None and "68" in row.group(1) and "67" in row.group(1)
    assert "carl" in html and "typo in the table" in html


def test_curation_value_problems_are_shown_by_the_value(curator: Session) -> None:
    uid = "cheung2025-table1-6"
    path = "case.patient.sex"
    r = _post(
        curator, f"/registry/{uid}", {"version": "1", f"v:{path}": "robot", f"o:{path}": "male"}
    )
    assert r.status_code == 422
    m = re.search(
        rf'name="v:{re.escape(path)}" value="robot".*?<ul class="field-error">(.*?)</ul>',
        r.text,
        re.S,
    )
    assert m is not None and "female" in m.group(1)


def test_viewer_sees_no_edit_controls_and_cannot_post(viewer: Session, curator: Session) -> None:
    _post(curator, "/cases/new", {}, files={"file": ("c.yaml", SEED_CASE.read_bytes())})
    html = _page(viewer, "/cases/cheung2025-case1")
    assert "Edit case" not in html and 'id="attach-form"' not in html
    assert "readonly" in _page(viewer, "/registry/cheung2025-table1-6")
    assert _post(viewer, "/cases/new", {"id": "x"}).status_code == 403
    _page(viewer, "/cases/new", 403)


def test_registry_browser_filters_and_summary(viewer: Session) -> None:
    html = _page(viewer, "/registry?dataset=cheung2025-table1&partner=STRN")
    assert "<strong>2</strong> cases match" in html
    assert 'id="summary"' in html and "Evidence summary" in html
    assert html.count('href="/registry/cheung2025-table1-') == 2
    bad = viewer.client.get("/registry?where=age%3E%3Dold", headers=HTML)
    assert bad.status_code == 422 and 'id="filter-error"' in bad.text


def test_attach_form_problem_shown_by_the_field(curator: Session) -> None:
    _post(curator, "/cases/new", {}, files={"file": ("c.yaml", SEED_CASE.read_bytes())})
    vcf = (SEED_CASE.parents[2] / "tests/data/formats/oncomine/seed_baseline_lung.vcf").read_bytes()
    r = _post(
        curator,
        "/cases/cheung2025-case1/tests",
        {
            "version": "1",
            "specimen": "spec-lung",
            "specimen_new": "spec-x",
            "date": "1 month after dx",
        },
        files={"file": ("b.vcf", vcf)},
    )
    assert r.status_code == 422
    assert 'id="err-specimen_kind"' in r.text


def test_attach_form_allows_another_build_only_when_asked(curator: Session) -> None:
    _post(curator, "/cases/new", {}, files={"file": ("c.yaml", SEED_CASE.read_bytes())})
    formats = SEED_CASE.parents[2] / "tests/data/formats/oncomine"
    grch37 = (formats / "seed_baseline_lung.vcf").read_bytes()
    grch38 = b"\n".join(
        b"##reference=GRCh38" if ln == b"##reference=hg19" else ln
        for ln in (formats / "seed_progression_brain.vcf").read_bytes().split(b"\n")
        if not ln.startswith(b"##contig=")
    )
    form = {"specimen": "spec-brain", "date": "0 days after spec-brain"}
    first = _post(
        curator, "/cases/cheung2025-case1/tests", {**form, "version": "1"},
        files={"file": ("a.vcf", grch37)},
    )  # fmt: skip
    assert first.status_code == 303
    refused = _post(
        curator, "/cases/cheung2025-case1/tests", {**form, "version": "2"},
        files={"file": ("b.vcf", grch38)},
    )  # fmt: skip
    assert refused.status_code == 422
    assert "genome build mismatch" in refused.text
    allowed = _post(
        curator, "/cases/cheung2025-case1/tests",
        {**form, "version": "2", "allow_build_mix": "1"}, files={"file": ("b.vcf", grch38)},
    )  # fmt: skip
    assert allowed.status_code == 303


def test_admin_pages(admin: Session, viewer: Session) -> None:
    r = _post(
        admin,
        "/admin/users",
        {"op": "add", "name": "nina", "password": "long enough pw", "role": "curator"},
    )
    assert r.status_code == 303
    assert "nina" in _page(admin, "/admin/users")
    short = _post(
        admin, "/admin/users", {"op": "add", "name": "otto", "password": "short", "role": "viewer"}
    )
    assert short.status_code == 422 and _field_errors(short.text, "password")
    audit = _page(admin, "/admin/audit?user=ada")
    assert "user.add" in audit and "nina" in audit
    _page(viewer, "/admin/users", 403)


@pytest.mark.parametrize("url", ["/", "/registry", "/claims", "/cases/new"])
def test_pages_render_for_a_curator(curator: Session, url: str) -> None:
    html = _page(curator, url)
    assert "For research use only" in html and "carl" in html


def test_anonymous_browser_is_sent_to_login_and_back(app: Any) -> None:
    from .conftest import PASSWORD, client_for

    client = client_for(app, follow_redirects=False)
    first = client.get("/registry?partner=EML4", headers=HTML)
    assert first.status_code == 303
    assert first.headers["location"] == "/login?next=/registry%3Fpartner%3DEML4"
    login_page = client.get(first.headers["location"], headers=HTML)
    token = client.cookies.get("tkiresist_login_csrf")
    assert 'name="next" value="/registry?partner=EML4"' in login_page.text
    r = client.post(
        "/login",
        data={
            "name": "vera",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "/registry?partner=EML4",
        },
        headers=HTML,
    )
    assert r.status_code == 303 and r.headers["location"] == "/registry?partner=EML4"
    wrong = client_for(app)
    wrong.get("/login")
    bad = wrong.post(
        "/login",
        data={
            "name": "vera",
            "password": "nope nope",
            "csrf_token": wrong.cookies.get("tkiresist_login_csrf"),
        },
        headers=HTML,
    )
    assert bad.status_code == 401 and 'id="login-error"' in bad.text


def test_claims_audit_page_and_a_curator_correction(curator: Session) -> None:
    html = _page(curator, "/claims?status=mismatch")
    assert 'id="claim-abstract-case-age"' in html
    assert re.search(r'id="count-mismatch">(\d+) mismatch', html)
    before = int(re.search(r'id="count-mismatch">(\d+) mismatch', html).group(1))  # type: ignore[union-attr]
    # the paper's own case: the narrative says 62, Table 1 says 65; correct the registry row
    r = curator.patch(
        "/api/cases/cheung2025-table1-1/fields",
        json={"version": 1, "changes": {"case.patient.age_at_diagnosis": 62}},
    )
    assert r.status_code == 200
    after = curator.get("/api/registry/claims?name=cheung2025").json()
    assert after["counts"]["mismatch"] == before - 1
    age = next(x for x in after["results"] if x["claim"]["id"] == "abstract-case-age")
    assert age["status"] == "match"
    assert after["source"] == "registry" and after["claims_file"] == "cheung2025"


def test_claims_unknown_file_is_404(curator: Session) -> None:
    from .conftest import assert_error_shape

    assert_error_shape(curator.get("/api/registry/claims?name=nope"), 404)
    assert curator.client.get("/claims?name=nope", headers=HTML).status_code == 404
