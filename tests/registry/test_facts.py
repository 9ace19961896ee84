"""Facts: the seed's 16 rows give the values worked out by hand; local timelines too."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SEED_CASE
from tkiresist.io.casefile import parse_case_text, read_case
from tkiresist.model.facts import CaseFacts
from tkiresist.registry.facts import FACT_COLUMNS, derive_facts
from tkiresist.registry.published import abstract_table
from tkiresist.registry.record import ReportedSummary, SourceRef
from tkiresist.registry.tables import read_seed_text

EXPECTED = Path(__file__).parent / "data" / "seed_table1_facts.tsv"
CONTRACT = [
    *("case_uid", "dataset", "age", "sex", "egfr_baseline", "egfr_t790m", "egfr_history_text"),
    *("prior_tkis", "osimertinib_exposed", "tki_generations", "alk_partners", "n_alk_fusions"),
    *("eml4_any", "uncommon_partner_any", "interval_months", "interval_censored"),
    *("post_regimen_text", "first_post_regimen", "combination_egfr_alk", "best_response"),
    *("grade3_any", "grade3_text", "biopsy", "testing", "cns_reported", "cns_involved"),
    "extracranial_sites",
]


def _expected() -> list[dict[str, str]]:
    lines = [ln for ln in EXPECTED.read_text().splitlines() if not ln.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def _value(text: str, current: Any) -> Any:
    if text == "-":
        return None
    if text in ("true", "false"):
        return text == "true"
    if isinstance(current, float):
        return float(text)
    if isinstance(current, int) and not isinstance(current, bool):
        return int(text)
    return text


@pytest.fixture(scope="module")
def seed_facts() -> dict[str, CaseFacts]:
    text = resources.files("tkiresist.data").joinpath("datasets/cheung2025-table1.txt")
    table = read_seed_text(text.read_text(encoding="utf-8"), "table1.txt")
    source = SourceRef.parse("10.7759/cureus.92202")
    out = {}
    for key, a in abstract_table(table, source):
        out[key] = derive_facts(
            uid=f"c{key}", dataset="d", status="draft", source_id=source.id, source_row=key,
            case=a.case, reported=a.reported, flags=a.flags,
        )  # fmt: skip
    return out


def test_the_contract_columns_exist() -> None:
    assert not [c for c in CONTRACT if c not in FACT_COLUMNS]


@pytest.mark.parametrize("expected", _expected(), ids=lambda e: f"row{e['row']}")
def test_seed_row_facts(seed_facts: dict[str, CaseFacts], expected: dict[str, str]) -> None:
    facts = seed_facts[expected["row"]].model_dump()
    got = {k: facts[k] for k in expected if k != "row"}
    want = {k: _value(v, facts[k]) for k, v in expected.items() if k != "row"}
    assert got == want


def test_seed_table_has_no_flags(seed_facts: dict[str, CaseFacts]) -> None:
    assert not [k for k, f in seed_facts.items() if f.needs_curation]


def test_case_13_long_sequence_and_brigatinib_event(seed_facts: dict[str, CaseFacts]) -> None:
    f = seed_facts["13"]
    assert f.n_post_regimens == 7
    assert f.post_regimen_text == (
        "osimertinib + crizotinib → brigatinib → osimertinib + crizotinib → chemotherapy + "
        "bevacizumab + osimertinib + dasatinib → osimertinib + egfr antibody → chemotherapy → "
        "osimertinib + alectinib"
    )
    assert f.grade3_any is True and f.grade3_on_first_post_regimen is False
    assert f.grade3_text is not None and "brigatinib" in f.grade3_text


def test_case_15_de_novo_t790m(seed_facts: dict[str, CaseFacts]) -> None:
    f = seed_facts["15"]
    assert (f.egfr_t790m, f.egfr_t790m_de_novo) == (True, True)
    assert f.egfr_history_text == "EGFR exon 19 deletion + EGFR p.T790M"
    assert seed_facts["4"].egfr_history_text == "EGFR p.L858R → EGFR p.T790M"


def test_case_12_double_fusion(seed_facts: dict[str, CaseFacts]) -> None:
    f = seed_facts["12"]
    assert (f.n_alk_fusions, f.alk_partners, f.eml4_any, f.uncommon_partner_any) == (
        2, "EML4,STRN", True, True,
    )  # fmt: skip


def test_the_seed_patient_case_file() -> None:
    """The full local timeline of the seed's own case gives the same facts as its table row."""
    case = read_case(SEED_CASE)
    f = derive_facts(
        uid=case.id, dataset="local", status="draft", source_id="local", source_row=None,
        case=case, reported=ReportedSummary(),
    )  # fmt: skip
    assert (f.egfr_baseline, f.prior_tkis, f.alk_partners) == ("ex19del", "osimertinib", "EML4")
    assert (f.interval_months, f.interval_censored) == (13.0, False)
    assert (f.first_post_regimen, f.combination_egfr_alk) == ("osimertinib + alectinib", True)
    assert (f.best_response, f.cns_reported, f.cns_involved) == ("CR", True, True)
    assert f.age == 62  # the narrative's age; the table says 65


ONGOING = """
id: ongoing-1
pseudonym: P1
patient: {age_at_diagnosis: 70, sex: female}
events:
  - {id: dx, type: diagnosis, histology: adenocarcinoma, time: 2023-01-10}
  - {id: s1, type: specimen, time: 2023-01-10, kind: tissue}
  - id: t1
    type: test
    specimen: s1
    assay: ngs-dna-hotspot
    findings: [{alteration: EGFR L858R}]
  - {id: osi, type: therapy, agents: [osimertinib], start: 2023-02-01, stop_reason: ongoing}
  - {id: r1, type: response, time: 2023-08-01, category: PR, therapy: osi}
"""


def test_still_on_treatment_is_censored() -> None:
    case = parse_case_text(ONGOING)
    f = derive_facts(
        uid=case.id, dataset="local", status="draft", source_id="local", source_row=None,
        case=case, reported=ReportedSummary(),
    )  # fmt: skip
    assert f.interval_censored is True
    assert f.interval_months == pytest.approx(181 / (365.25 / 12), abs=1e-3)
    assert f.egfr_baseline == "l858r" and f.alk_partners is None and f.partner_class is None


def _with_resistance(start: str, resistance: str) -> str:
    """ONGOING with osimertinib starting at ``start`` and an EML4::ALK plasma test at
    ``resistance``."""
    body = ONGOING.replace("start: 2023-02-01, stop_reason: ongoing", f"start: {start}")
    return body + (
        f"  - {{id: s2, type: specimen, time: {resistance}, kind: plasma}}\n"
        "  - {id: t2, type: test, specimen: s2, assay: ngs-rna-fusion,"
        " findings: [{alteration: EML4::ALK}]}\n"
    )


@pytest.mark.parametrize(
    ("start", "resistance", "interval"),
    [
        ("about 1 months after dx", "9 months after osi", 9.0),  # exact offset from osi
        ("about 1 months after dx", "about 9 months after osi", None),
        ("2023-02-01", "2023-11-01", 273 / (365.25 / 12)),  # two full dates
        ("about 1 months after dx", "2023-11-01", None),  # the start is approximate
    ],
)
def test_interval_only_from_exact_times(
    start: str, resistance: str, interval: float | None
) -> None:
    case = parse_case_text(_with_resistance(start, resistance))
    f = derive_facts(
        uid=case.id, dataset="local", status="draft", source_id="local", source_row=None,
        case=case, reported=ReportedSummary(),
    )  # fmt: skip
    assert f.biopsy == "liquid" and f.alk_partners == "EML4"
    if interval is None:
        assert f.interval_months is None and f.interval_censored is None
    else:
        assert f.interval_months == pytest.approx(interval, abs=1e-3)
        assert f.interval_censored is False
