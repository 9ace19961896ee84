"""The REST API on the test client: interpretation, cases, history, uploads, registry, reports.

Runs on SQLite and, with ``TKIRESIST_TEST_PG_URL``, on PostgreSQL (see conftest)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from tests.conftest import DATA

from .conftest import YAML, Session, assert_error_shape, create_seed

VCF_BASELINE = DATA / "formats" / "oncomine" / "seed_baseline_lung.vcf"
VCF_PROGRESSION = DATA / "formats" / "oncomine" / "seed_progression_brain.vcf"


# ----------------------------------------------------------------------------- interpret


def test_interpret_yaml_body_gives_the_seed_answer(viewer: Session, seed_yaml: str) -> None:
    r = viewer.post("/api/interpret", content=seed_yaml, headers=YAML)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["case_id"] == "cheung2025-case1"
    assert body["options"][0]["drugs"] == ["osimertinib", "alectinib"]
    assert [m["class"] for m in body["mechanisms"]] == ["off_target"]
    pooled = body["options"][0]["pooled"]  # the registry's combination EGFR + ALK TKI ORR
    assert (pooled["numerator"], pooled["denominator"]) == (6, 9)


def test_pooled_evidence_follows_curation(curator: Session, seed_yaml: str) -> None:
    def first_pooled() -> tuple[int, int]:
        result = curator.post("/api/interpret", content=seed_yaml, headers=YAML).json()
        pooled = result["options"][0]["pooled"]
        return pooled["numerator"], pooled["denominator"]

    assert first_pooled() == (6, 9)
    # row 4 (PR on osimertinib + crizotinib): a curator corrects the response to SD
    r = curator.patch(
        "/api/cases/cheung2025-table1-4/fields",
        json={"version": 1, "changes": {"case.events#response-1.category": "SD"}},
    )
    assert r.status_code == 200, r.text
    assert first_pooled() == (5, 9)


def test_interpret_json_body_equals_yaml_body(viewer: Session, seed_yaml: str) -> None:
    data = yaml.safe_load(seed_yaml)
    from_json = viewer.post("/api/interpret", json=data).json()
    from_yaml = viewer.post("/api/interpret", content=seed_yaml, headers=YAML).json()
    assert from_json == from_yaml


def test_interpret_at_another_decision_point(viewer: Session, seed_yaml: str) -> None:
    r = viewer.post("/api/interpret?at=nope", content=seed_yaml, headers=YAML)
    err = assert_error_shape(r, 422)
    assert err["code"] == "interpretation_error"


def test_invalid_case_problems_are_located_with_lines(viewer: Session, seed_yaml: str) -> None:
    bad = seed_yaml.replace("age_at_diagnosis: 62", "age_at_diagnosis: -4")
    r = viewer.post("/api/interpret", content=bad, headers=YAML)
    err = assert_error_shape(r, 422)
    assert err["code"] == "case_invalid"
    line = next(i for i, t in enumerate(bad.splitlines(), 1) if "age_at_diagnosis: -4" in t)
    assert err["details"][0]["loc"] == ["body", line, "patient", "age_at_diagnosis"]


def test_invalid_json_case_gets_lines_too(viewer: Session, seed_yaml: str) -> None:
    data = yaml.safe_load(seed_yaml)
    data["events"][1]["agents"] = [{"drug": "osimertinibb"}]
    text = json.dumps(data, indent=1)
    r = viewer.post("/api/interpret", content=text, headers={"content-type": "application/json"})
    err = assert_error_shape(r, 422)
    loc = err["details"][0]["loc"]
    assert loc[0] == "body" and isinstance(loc[1], int) and loc[-1] == "drug"
    assert "osimertinibb" in text.splitlines()[loc[1] - 1]
    assert "osimertinib" in err["details"][0]["msg"]


def test_malformed_json_is_400(viewer: Session) -> None:
    r = viewer.post(
        "/api/interpret", content='{"id": ', headers={"content-type": "application/json"}
    )
    err = assert_error_shape(r, 400)
    assert err["message"].startswith("malformed JSON")
    assert err["details"][0]["loc"][0] == "body"


def test_unsupported_content_type_is_400(viewer: Session) -> None:
    r = viewer.post("/api/interpret", content=b"x", headers={"content-type": "image/png"})
    assert_error_shape(r, 400)


# ----------------------------------------------------------------------------- cases


def test_create_read_list_case(curator: Session, seed_yaml: str) -> None:
    rec = create_seed(curator, seed_yaml)
    assert rec["uid"] == "cheung2025-case1" and rec["version"] == 1
    assert rec["dataset"] == "local" and rec["created_by"] == "carl"
    listed = curator.get("/api/cases?dataset=local").json()
    assert [c["uid"] for c in listed["cases"]] == ["cheung2025-case1"]
    assert listed["total"] == 1
    got = curator.get("/api/cases/cheung2025-case1").json()
    assert got["case"]["pseudonym"] == "CHEUNG-2025-P1"


def test_create_twice_is_409_and_keeps_the_first(curator: Session, seed_yaml: str) -> None:
    create_seed(curator, seed_yaml)
    again = seed_yaml.replace("pseudonym: CHEUNG-2025-P1", "pseudonym: OTHER")
    err = assert_error_shape(curator.post("/api/cases", content=again, headers=YAML), 409)
    assert err["code"] == "exists"
    assert curator.get("/api/cases/cheung2025-case1").json()["case"]["pseudonym"] == (
        "CHEUNG-2025-P1"
    )


def test_update_and_history_name_who_changed_what(curator: Session, seed_yaml: str) -> None:
    rec = create_seed(curator, seed_yaml)
    case = curator.get("/api/cases/cheung2025-case1?identifiers=include").json()["case"]
    case["patient"]["ecog"] = 1
    r = curator.put(
        "/api/cases/cheung2025-case1",
        json={"version": rec["version"], "case": case, "reason": "re-read the paper"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    history = curator.get("/api/cases/cheung2025-case1/history").json()["history"]
    change = [h for h in history if h["action"] == "update"]
    assert [(h["field"], h["old"], h["new"], h["who"]) for h in change] == [
        ("case.patient.ecog", 0, 1, "carl")
    ]
    assert change[0]["reason"] == "re-read the paper"


def test_update_with_invalid_case_changes_nothing(curator: Session, seed_yaml: str) -> None:
    create_seed(curator, seed_yaml)
    case = curator.get("/api/cases/cheung2025-case1?identifiers=include").json()["case"]
    case["events"][0]["type"] = "nonsense"
    err = assert_error_shape(
        curator.put("/api/cases/cheung2025-case1", json={"version": 1, "case": case}), 422
    )
    assert err["details"][0]["loc"][:2] == ["case", "events[0]"]
    assert curator.get("/api/cases/cheung2025-case1").json()["version"] == 1


def test_field_edit_of_a_registry_case(curator: Session) -> None:
    uid = "cheung2025-table1-6"
    before = curator.get(f"/api/cases/{uid}").json()
    r = curator.patch(
        f"/api/cases/{uid}/fields",
        json={
            "version": before["version"],
            "changes": {"case.patient.age_at_diagnosis": 67},
            "reason": "typo",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["case"]["patient"]["age_at_diagnosis"] == 67
    history = curator.get(f"/api/cases/{uid}/history").json()["history"]
    assert history[-1]["field"] == "case.patient.age_at_diagnosis"
    assert (history[-1]["old"], history[-1]["new"], history[-1]["who"]) == (68, 67, "carl")
    facts = curator.get("/api/registry/search?where=age%3D67").json()
    assert uid in [c["case_uid"] for c in facts["cases"]]


@pytest.mark.parametrize(
    ("changes", "loc_tail"),
    [
        ({"case.patient.sex": "robot"}, "sex"),
        ({"case.nothing": 1}, None),
        ({"case.events#nope.type": "x"}, None),
        ({"source.row": "7"}, None),
    ],
)
def test_field_edit_refused_is_located(
    curator: Session, changes: dict[str, Any], loc_tail: str | None
) -> None:
    uid = "cheung2025-table1-6"
    r = curator.patch(f"/api/cases/{uid}/fields", json={"version": 1, "changes": changes})
    err = assert_error_shape(r, 422)
    if loc_tail is not None:
        assert err["details"][0]["loc"][-1] == loc_tail
    assert curator.get(f"/api/cases/{uid}").json()["version"] == 1


# ----------------------------------------------------------------------------- uploads


def _strip_tests(text: str) -> str:
    data = yaml.safe_load(text)
    data["events"] = [
        e for e in data["events"] if not (e["type"] == "test" and e["id"].startswith("ngs-"))
    ]
    return yaml.safe_dump(data, sort_keys=False)


def test_attach_vcf_as_a_new_test(curator: Session, seed_yaml: str) -> None:
    create_seed(curator, _strip_tests(seed_yaml))
    r = curator.post(
        "/api/cases/cheung2025-case1/tests",
        data={"version": "1", "specimen": "spec-brain", "date": "0 days after spec-brain"},
        files={"file": ("progression.vcf", VCF_PROGRESSION.read_bytes(), "text/plain")},
    )
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["version"] == 2
    tests = [e for e in rec["case"]["events"] if e["type"] == "test"]
    added = [t for t in tests if t["assay"] == "oncomine-precision"]
    assert len(added) == 1
    files = {f.get("provenance", {}).get("file") for f in added[0]["findings"]}
    assert files == {"progression.vcf"}  # the upload's name, never the temporary path
    history = curator.get("/api/cases/cheung2025-case1/history").json()["history"]
    assert history[-1]["reason"] == "attached progression.vcf"


def test_attach_on_another_genome_build_is_a_typed_error_unless_allowed(
    curator: Session, seed_yaml: str
) -> None:
    create_seed(curator, _strip_tests(seed_yaml))
    form = {"specimen": "spec-brain", "date": "0 days after spec-brain"}
    first = curator.post(
        "/api/cases/cheung2025-case1/tests",
        data={**form, "version": "1"},
        files={"file": ("baseline.vcf", VCF_BASELINE.read_bytes())},  # hg19 = GRCh37
    )
    assert first.status_code == 201, first.text
    grch38 = b"\n".join(
        b"##reference=GRCh38" if ln == b"##reference=hg19" else ln
        for ln in VCF_PROGRESSION.read_bytes().split(b"\n")
        if not ln.startswith(b"##contig=")
    )
    refused = curator.post(
        "/api/cases/cheung2025-case1/tests",
        data={**form, "version": "2"},
        files={"file": ("progression38.vcf", grch38)},
    )
    err = assert_error_shape(refused, 422)
    assert "genome build mismatch" in err["details"][0]["msg"]
    assert err["details"][0]["loc"][0] == "progression38.vcf"
    assert curator.get("/api/cases/cheung2025-case1").json()["version"] == 2
    allowed = curator.post(
        "/api/cases/cheung2025-case1/tests",
        data={**form, "version": "2", "allow_build_mix": "true"},
        files={"file": ("progression38.vcf", grch38)},
    )
    assert allowed.status_code == 201, allowed.text
    events = allowed.json()["case"]["events"]
    builds = sorted(
        e["genome_build"] for e in events if e["type"] == "test" and "genome_build" in e
    )
    assert builds == ["GRCh37", "GRCh38"]


def test_bad_upload_names_the_file_and_leaves_no_state(curator: Session, seed_yaml: str) -> None:
    create_seed(curator, seed_yaml)
    before = curator.get("/api/cases/cheung2025-case1/history").json()
    r = curator.post(
        "/api/cases/cheung2025-case1/tests",
        data={"version": "1", "specimen": "spec-brain", "date": "0 days after spec-brain"},
        files={"file": ("junk.vcf", b"##fileformat=VCFv4.2\n#CHROM\tPOS\nnot a vcf\n")},
    )
    err = assert_error_shape(r, 422)
    assert all("tkiresist-upload" not in json.dumps(d) for d in err["details"])
    assert err["details"][0]["loc"][0] == "junk.vcf"
    assert curator.get("/api/cases/cheung2025-case1/history").json() == before
    assert curator.get("/api/cases/cheung2025-case1").json()["version"] == 1


def test_attach_to_unknown_specimen_without_kind_is_located(
    curator: Session, seed_yaml: str
) -> None:
    create_seed(curator, seed_yaml)
    r = curator.post(
        "/api/cases/cheung2025-case1/tests",
        data={"version": "1", "specimen": "spec-new", "date": "2 months after dx"},
        files={"file": ("b.vcf", VCF_BASELINE.read_bytes())},
    )
    err = assert_error_shape(r, 422)
    assert ["specimen_kind"] in [d["loc"][-1:] for d in err["details"]]


def test_import_review_table_all_or_nothing(curator: Session) -> None:
    from tkiresist.registry.datasets import table_path

    data = table_path("cheung2025-table1").read_bytes()
    form = {"source": "10.7759/cureus.92202", "format": "seed-text"}

    def upload() -> dict[str, Any]:
        r = curator.post("/api/registry/import", data=form, files={"file": ("table1.txt", data)})
        assert r.status_code == 201, r.text
        report: dict[str, Any] = r.json()
        return report

    first = upload()
    # the rows are in the registry already (matched by source, table and row label) and the
    # bundled dataset is loaded reviewed (#16): a re-import keeps the reviewed versions
    assert first["rows"] == 16 and first["created"] == [] and first["updated"] == []
    assert len(first["skipped"]) == 16
    history = curator.get("/api/cases/cheung2025-table1-6/history").json()["history"]
    assert [h["action"] for h in history] == ["import"]
    second = upload()
    assert len(second["skipped"]) == 16 and second["updated"] == []
    bad = curator.post(
        "/api/registry/import",
        data={"source": "not a doi", "format": "csv"},
        files={"file": ("t.csv", b"a,b\n1,2\n")},
    )
    assert assert_error_shape(bad, 422)["details"][0]["loc"] == ["source"]


# ----------------------------------------------------------------------------- registry


def test_registry_search_filters(viewer: Session) -> None:
    everything = viewer.get("/api/registry/search?dataset=cheung2025-table1").json()
    assert everything["total"] == 16
    strn = viewer.get("/api/registry/search?partner=STRN").json()
    assert strn["total"] == 2 and "alk_partners has" in strn["where"]
    combo = viewer.get("/api/registry/search", params={"regimen": "osimertinib + alectinib"}).json()
    assert {c["first_post_regimen"] for c in combo["cases"]} == {"osimertinib + alectinib"}
    alk = viewer.get("/api/registry/search?mechanism=alk-fusion").json()
    assert alk["total"] == 16


def test_registry_summary_reproduces_the_seed_counts(viewer: Session) -> None:
    s = viewer.get("/api/registry/summary?dataset=cheung2025-table1").json()
    assert s["n_cases"] == 16
    by_id = {st["id"]: st for st in s["statistics"]}
    assert (by_id["combination_orr"]["numerator"], by_id["combination_orr"]["denominator"]) == (
        6,
        9,
    )


def test_registry_filter_errors_are_located(viewer: Session) -> None:
    err = assert_error_shape(viewer.get("/api/registry/summary?where=age%3E%3Dold"), 422)
    assert err["code"] == "parse_error"
    err = assert_error_shape(viewer.get("/api/registry/search?mechanism=magic"), 422)
    assert err["details"][0]["loc"] == ["mechanism"]


def test_datasets_and_facets(viewer: Session) -> None:
    body = viewer.get("/api/registry/datasets").json()
    assert [d["name"] for d in body["datasets"]] == ["cheung2025-table1"]
    assert body["datasets"][0]["cases"] == 16
    assert body["datasets"][0]["patients"] == 16
    assert body["totals"] == {"cases": 16, "patients": 16}
    assert "EML4" in body["facets"]["partners"]


def test_datasets_count_the_seed_patient_saved_twice_once(
    curator: Session, viewer: Session, seed_yaml: str
) -> None:
    """#16: the seed patient saved as a local case is a 17th stored case but not a 17th
    patient; the old ``cases`` field keeps counting stored cases."""
    create_seed(curator, seed_yaml)
    body = viewer.get("/api/registry/datasets").json()
    by_name = {d["name"]: d for d in body["datasets"]}
    assert (by_name["local"]["cases"], by_name["local"]["patients"]) == (1, 1)
    assert (by_name["cheung2025-table1"]["cases"], by_name["cheung2025-table1"]["patients"]) == (
        16,
        16,
    )
    assert body["totals"] == {"cases": 17, "patients": 16}
    home = viewer.get("/", headers={"accept": "text/html"}).text
    assert "(17 cases, 16 patients)" in home


# ----------------------------------------------------------------------------- reports


def test_html_report_has_timeline_and_first_option(curator: Session, seed_yaml: str) -> None:
    create_seed(curator, seed_yaml)
    r = curator.get("/api/cases/cheung2025-case1/report.html")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<svg" in r.text and "CHEUNG-2025-P1" in r.text
    assert "osimertinib + alectinib" in r.text


def test_timeline_svg(viewer: Session, curator: Session, seed_yaml: str) -> None:
    create_seed(curator, seed_yaml)
    r = viewer.get("/api/cases/cheung2025-case1/timeline.svg")
    assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in r.content


def test_openapi_lists_the_routes_and_the_case_schema(viewer: Session) -> None:
    spec = viewer.get("/api/openapi.json").json()
    assert "/api/interpret" in spec["paths"] and "/api/cases/{uid}" in spec["paths"]
    assert "Case" in spec["components"]["schemas"]
    assert "ErrorOut" in spec["components"]["schemas"]


SERIAL_CSV = DATA / "formats" / "ctdna" / "serial_plasma.csv"


def test_attach_a_serial_ctdna_csv_adds_one_test_per_draw(curator: Session, seed_yaml: str) -> None:
    """A clinic copying a commercial plasma report's serial results (one row per alteration
    per draw, synthetic values) uploads them once: each draw becomes its own dated plasma test
    on its own specimen, as `tkiresist add-test` does, and the interpretation then reads the
    series (the dynamics section). Before, the web attached one sample per submission, so a
    series needed one upload per draw with the date typed by hand (#15)."""
    create_seed(curator, seed_yaml)
    before = {e["id"] for e in curator.get("/api/cases/cheung2025-case1").json()["case"]["events"]}
    r = curator.post(
        "/api/cases/cheung2025-case1/tests",
        data={"version": "1"},
        files={"file": ("serial.csv", SERIAL_CSV.read_bytes(), "text/csv")},
    )
    assert r.status_code == 201, r.text
    events = r.json()["case"]["events"]
    added = [e for e in events if e["type"] == "test" and e["id"] not in before]
    dates = {row.split(",")[0] for row in SERIAL_CSV.read_text().splitlines()[3:] if row}
    assert len(added) == len(dates) >= 2
    specimens = {e["id"]: e for e in events if e["type"] == "specimen"}
    assert {specimens[t["specimen"]]["kind"] for t in added} == {"plasma"}
    assert len({t["specimen"] for t in added}) == len(added)
    result = curator.post(
        "/api/interpret", content=yaml.safe_dump(r.json()["case"]), headers=YAML
    ).json()
    assert result["dynamics"], "the series is read"


def test_a_date_given_with_a_serial_ctdna_csv_is_refused_located(
    curator: Session, seed_yaml: str
) -> None:
    """The CSV dates each draw; a date typed in the form would be ambiguous, so it is refused
    naming the field, and nothing is saved."""
    create_seed(curator, seed_yaml)
    r = curator.post(
        "/api/cases/cheung2025-case1/tests",
        data={"version": "1", "date": "2024-03-05"},
        files={"file": ("serial.csv", SERIAL_CSV.read_bytes(), "text/csv")},
    )
    assert r.status_code == 422, r.text
    assert_error_shape(r)
    assert "date" in r.text
    assert curator.get("/api/cases/cheung2025-case1").json()["version"] == 1
