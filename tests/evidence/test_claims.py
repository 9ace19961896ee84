"""Claims audit: the seed's own inconsistencies found from the data, and located errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SEED_TEXT
from tests.evidence import seed_facts
from tests.evidence.conftest import make_sqlite_engine
from tkiresist.errors import EvidenceError
from tkiresist.evidence.claims import (
    audit,
    audit_file,
    load_claims,
    packaged_claims,
    parse_claims,
)
from tkiresist.evidence.summary import summarize

SEED_CLAIMS = packaged_claims("cheung2025")


@pytest.fixture(scope="module", params=["fixture", "registry"])
def seed_report(request: pytest.FixtureRequest) -> Any:
    engine = request.getfixturevalue("seed_engine" if request.param == "fixture" else
                                     "registry_engine")  # fmt: skip
    return audit_file(SEED_CLAIMS, engine)


def test_the_audit_finds_the_two_inconsistencies(seed_report: Any) -> None:
    assert {r.claim.id for r in seed_report.mismatches} == {"abstract-case-age", "results-ex19del"}
    counts = seed_report.counts()
    assert counts["mismatch"] == 2
    assert counts["match"] >= 30
    assert counts["not_checked"] == 4  # three external numbers, one not recorded


def test_exon19_mismatch_is_explained_by_the_cases(seed_report: Any) -> None:
    result = next(r for r in seed_report.results if r.claim.id == "results-ex19del")
    checks = {c.what.split(" ")[0]: c for c in result.checks}
    assert (checks["numerator"].claimed, checks["numerator"].recomputed) == ("9", "10")
    assert not checks["percent"].ok and checks["percent"].recomputed == "62.5%"
    rows = {c.source_row for c in result.cases}
    assert rows == {"1", "2", "6", "7", "9", "10", "11", "13", "14", "15"}
    assert result.explanation is not None
    assert "1 more than the claim's 9" in result.explanation
    assert "9/16 = 56.2%, consistent with the 56% stated" in result.explanation
    singles = [line for line in result.explanation.splitlines() if "  1 case with" in line]
    assert any("row 15" in line for line in singles)  # it stands apart: listed first


def test_age_mismatch_compares_the_present_case_row(seed_report: Any) -> None:
    result = next(r for r in seed_report.results if r.claim.id == "abstract-case-age")
    assert result.checks[0].claimed == "62" and result.checks[0].recomputed == "65"
    assert result.cases[0].source_row == "1"
    assert result.explanation is not None and "age = 65; the claim says 62" in (result.explanation)


def test_rounded_percentages_match(seed_report: Any) -> None:
    by_id = {r.claim.id: r for r in seed_report.results}
    for claim_id in ("results-uncommon", "results-eml4", "abstract-cns", "results-orr"):
        assert by_id[claim_id].status == "match", claim_id


def test_no_list_of_mismatches_is_hard_coded(seed_rows: list[dict[str, Any]]) -> None:
    """Change the data and the audit follows: make the table agree with the text."""
    rows = [dict(r) for r in seed_rows]
    rows[0]["age"] = 62
    rows[14]["egfr_baseline"] = "other"  # case 15 no longer counted as exon 19
    report = audit_file(SEED_CLAIMS, make_sqlite_engine(rows))
    assert report.mismatches == ()
    rows[10]["best_response"] = "SD"  # case 11: PR -> SD
    report = audit_file(SEED_CLAIMS, make_sqlite_engine(rows))
    assert {r.claim.id for r in report.mismatches} == {
        "abstract-orr", "results-orr", "results-orr-sd", "results-orr-pr", "conclusions-orr",
    }  # fmt: skip


def test_every_quote_is_verbatim_in_the_seed() -> None:
    text = " ".join(SEED_TEXT.read_text(encoding="utf-8").split())
    claims = load_claims(SEED_CLAIMS)
    assert len(claims.claims) >= 40
    for claim in claims.claims:
        assert claim.quote in text, claim.id


def test_report_text_and_json(seed_report: Any) -> None:
    text = seed_report.text()
    assert "2 mismatch" in text and "[MISMATCH] results-ex19del" in text
    data = seed_report.as_json()
    assert data["counts"]["mismatch"] == 2
    assert {"claim", "status", "checks", "explanation", "cases"} <= set(data["results"][0])


# ----------------------------------------------------------------------------- bad files

HEAD = "schema_version: 1\ndataset: cheung2025-table1\nclaims:\n"
GOOD = '  - id: a\n    where: x\n    quote: "q"\n    statistic: n_cases\n    value: 16\n'

BAD_FILES = [
    (HEAD + GOOD + '  - id: b\n    where: x\n    quote: "q"\n    statistic: no_such_statistic\n'
     "    value: 1\n", 12, "claims[1].statistic", "unknown statistic 'no_such_statistic'"),
    (HEAD + '  - id: b\n    where: x\n    quote: "q"\n    statistic: regimen_notadrug_count\n'
     "    value: 1\n", 7, "claims[0].statistic", "unknown statistic"),
    (HEAD + GOOD + GOOD, 9, "claims[1].id", "duplicate claim id 'a' (first on line 4)"),
    (HEAD + '  - id: b\n    where: x\n    quote: "q"\n    statistic: n_cases\n', 4, "claims[0]",
     "nothing to compare"),
    (HEAD + '  - id: b\n    where: x\n    quote: "q"\n    case: "1"\n    field: shoe_size\n'
     "    value: 1\n", 8, "claims[0].field", "a case-facts column"),
    (HEAD + '  - id: b\n    where: x\n    quote: "q"\n    statistic: n_cases\n    valu: 1\n', 8,
     "claims[0].valu", "unknown key 'valu'"),
    (HEAD + '  - id: b\n    where: x\n    quote: "q"\n    statistic: n_cases\n    case: "1"\n'
     "    value: 1\n", 4, "claims[0]", "exactly one of"),
    (HEAD + '  - id: b\n    where: x\n    statistic: n_cases\n    value: 1\n', 4,
     "claims[0].quote", "'quote' is required"),
    (HEAD + '  - id: b\n    where: x\n    quote: "q"\n    statistic: n_cases\n    numerator: -1\n',
     8, "claims[0].numerator", "a whole number"),
    (HEAD + '  - id: b\n    where: x\n    quote: "q\n', 7, None, "malformed YAML"),
    ("claims: []\n", None, "claims", "non-empty list"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "field", "message"), BAD_FILES)
def test_bad_claims_files_are_located(
    tmp_path: Path, text: str, line: int | None, field: str | None, message: str
) -> None:
    path = tmp_path / "claims.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EvidenceError) as info:
        load_claims(path)
    err = info.value
    assert message in err.message
    assert err.location.file == str(path)
    if line is not None:
        assert err.location.line == line
    if field is not None:
        assert err.location.field == field


def test_missing_file() -> None:
    with pytest.raises(EvidenceError, match="no such claims file"):
        load_claims("/nonexistent/claims.yaml")


def test_tolerance_and_ranges(seed_engine: Any) -> None:
    summary = summarize(seed_engine, dataset=seed_facts.DATASET)
    text = HEAD + "".join(
        f'  - id: c{i}\n    where: x\n    quote: "q"\n    statistic: {stat}\n    {body}\n'
        for i, (stat, body) in enumerate(
            [
                ("egfr_ex19del_share", "percent: 62"),  # 62.5 within ±0.5
                ("egfr_ex19del_share", "percent: 62.4"),  # not within ±0.05
                ("cns_involvement_share", "percent: 33.3"),
                ("cns_involvement_share", "percent: 33.4"),
                ("interval_range_months", "value: [6, 34]"),
                ("interval_range_months", "value: [7, 34]"),
                ("interval_median_months", "value: 15\n    tolerance: 1"),
                ("eml4_vs_de_novo_test", "p_below: 0.0005"),
            ]
        )
    )
    report = audit(parse_claims(text, "t.yaml"), summary, seed_engine)
    assert [r.status for r in report.results] == [
        "match", "mismatch", "match", "mismatch", "match", "mismatch", "match", "mismatch",
    ]  # fmt: skip
    # a range mismatch lists the values with their rows
    range_result = report.results[5]
    assert range_result.explanation is not None
    assert "6 (row 9), 7.5 (row 5)" in range_result.explanation


def test_per_case_claims_need_the_source(seed_engine: Any) -> None:
    summary = summarize(seed_engine, dataset=seed_facts.DATASET)
    claims = load_claims(SEED_CLAIMS)
    with pytest.raises(EvidenceError, match="per-case claims need the facts source"):
        audit(claims, summary)
    text = (
        HEAD + '  - id: b\n    where: x\n    quote: "q"\n    case: "99"\n    field: age\n'
        "    value: 1\n"
    )
    with pytest.raises(EvidenceError, match="no case with row label '99'") as info:
        audit(parse_claims(text, "t.yaml"), summary, seed_engine)
    assert info.value.location.file == "t.yaml" and info.value.location.line == 4
