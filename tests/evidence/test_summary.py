"""Evidence summary: the seed's Table 1 numbers reproduced, on every kind of source.

References: the seed's own text (Cheung et al. 2025, doi:10.7759/cureus.92202) for the
numbers it reports; scipy (``scipy.stats.binomtest``) and numpy (``np.median``,
``np.quantile(method="linear")``, i.e. R's type 7) computed inside the tests for intervals,
p-values and quantiles.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest

from tests.evidence import seed_facts
from tests.evidence.conftest import make_duckdb, make_sqlite_engine
from tkiresist.errors import EvidenceError, ParseError
from tkiresist.evidence.catalogue import REQUIRED_IDS, case_predicates
from tkiresist.evidence.facts import open_source
from tkiresist.evidence.stats import KaplanMeier, describe
from tkiresist.evidence.summary import EvidenceSummary, summarize

DATASET = seed_facts.DATASET

#: (id, numerator, denominator) as the seed reports them or as its Table 1 gives them.
SEED_PROPORTIONS = [
    ("egfr_ex19del_share", 10, 16),  # the table; the text says 9 (see the claims audit)
    ("egfr_l858r_share", 5, 16),
    ("egfr_uncommon_share", 1, 16),
    ("osimertinib_exposure_share", 12, 16),
    ("eml4_partner_share", 11, 16),
    ("uncommon_partner_share", 5, 16),
    ("eml4_any_share", 12, 16),
    ("cns_involvement_share", 3, 9),
    ("combination_orr", 6, 9),
    ("combination_dcr", 9, 9),
    ("interval_reported_share", 13, 16),
    ("sex_male_share", 5, 16),
    ("prior_tki_afatinib_exposure_share", 4, 16),
    ("prior_tki_gefitinib_exposure_share", 2, 16),
    ("prior_tki_erlotinib_exposure_share", 7, 16),
    ("partner_strn_case_share", 2, 16),
]
SEED_COUNTS = [
    ("regimen_osimertinib_alectinib_count", 5, 10),
    ("regimen_osimertinib_crizotinib_count", 4, 10),
    ("regimen_alectinib_count", 1, 10),
    ("combination_response_cr_count", 1, 9),
    ("combination_response_pr_count", 5, 9),
    ("combination_response_sd_count", 3, 9),
    ("combination_response_pd_count", 0, 9),
    ("combination_grade3plus_count", 0, 8),
    ("grade3plus_any_count", 1, 9),
    ("tki_at_resistance_osimertinib_count", 12, 16),
    ("tki_at_resistance_afatinib_count", 3, 16),
    ("tki_at_resistance_gefitinib_count", 1, 16),
    ("partner_eml4_fusion_count", 12, 17),
    ("partner_strn_fusion_count", 2, 17),
    ("double_fusion_count", 1, 16),
    ("combination_count", 9, 10),
]
SEED_INTERVALS = [6.0, 7.5, 10.0, 10.0, 13.0, 16.0, 16.0, 21.0, 21.0, 23.0, 29.0, 32.0, 34.0]
SEED_AGES = [65, 63, 46, 67, 61, 68, 62, 60, 46, 57, 65, 59, 60, 78, 60, 42]


@pytest.fixture(scope="module", params=["fixture-sqlite", "duckdb-relation", "registry"])
def seed_summary(request: pytest.FixtureRequest) -> EvidenceSummary:
    """The seed summarised from the hand-written rows (SQLite), from the same rows as a DuckDB
    relation, and from the registry's own import of the seed text."""
    if request.param == "fixture-sqlite":
        return summarize(request.getfixturevalue("seed_engine"), dataset=DATASET)
    if request.param == "duckdb-relation":
        conn = request.getfixturevalue("seed_duckdb")
        return summarize(conn.table("registry_case_facts"), dataset=DATASET)
    return summarize(request.getfixturevalue("registry_engine"), dataset=DATASET)


def test_required_ids_are_present(seed_summary: EvidenceSummary) -> None:
    ids = set(seed_summary.ids())
    assert set(REQUIRED_IDS) <= ids
    assert len(ids) == len(seed_summary.statistics), "statistic ids are unique"


def test_case_count(seed_summary: EvidenceSummary) -> None:
    assert seed_summary.n_cases == 16
    assert seed_summary.get("n_cases").value == 16


@pytest.mark.parametrize(("stat_id", "k", "n"), SEED_PROPORTIONS)
def test_seed_proportions_with_exact_and_wilson_intervals(
    seed_summary: EvidenceSummary, stat_id: str, k: int, n: int
) -> None:
    stat = seed_summary.get(stat_id)
    assert (stat.kind, stat.numerator, stat.denominator) == ("proportion", k, n)
    assert stat.value == pytest.approx(k / n)
    assert f"{k}/{n}" in stat.label
    ref = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    wilson = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert stat.ci is not None and stat.ci.exact is not None and stat.ci.wilson is not None
    assert stat.ci.exact == pytest.approx((ref.low, ref.high), abs=1e-9)
    assert stat.ci.wilson == pytest.approx((wilson.low, wilson.high), abs=1e-9)


@pytest.mark.parametrize(("stat_id", "k", "n"), SEED_COUNTS)
def test_seed_counts(seed_summary: EvidenceSummary, stat_id: str, k: int, n: int) -> None:
    stat = seed_summary.get(stat_id)
    assert (stat.kind, stat.numerator, stat.denominator, stat.value) == ("count", k, n, k)


def test_labels_state_their_denominators(seed_summary: EvidenceSummary) -> None:
    assert seed_summary.get("cns_involvement_share").label.endswith("3/9 with CNS status reported")
    assert "6/9 on combination with a best response reported" in (
        seed_summary.get("combination_orr").label
    )


def test_interval_to_resistance_against_numpy(seed_summary: EvidenceSummary) -> None:
    values = np.array(SEED_INTERVALS)
    median = seed_summary.get("interval_median_months")
    assert (median.value, median.denominator) == (16.0, 13)
    assert "n = 13 with resistance observed" in median.label
    assert median.value == float(np.median(values))
    assert seed_summary.get("interval_range_months").value == (6.0, 34.0)
    q1, q3 = np.quantile(values, [0.25, 0.75], method="linear")
    assert seed_summary.get("interval_iqr_months").value == pytest.approx((q1, q3))
    assert seed_summary.get("interval_mean_months").value == pytest.approx(values.mean())
    assert seed_summary.interval.sd == pytest.approx(values.std(ddof=1))
    assert seed_summary.interval_km is None, "no censored case: no Kaplan–Meier estimate"
    assert "interval_km_median_months" not in seed_summary.ids()


def test_age_against_numpy(seed_summary: EvidenceSummary) -> None:
    ages = np.array(SEED_AGES, dtype=float)
    assert seed_summary.get("age_median_years").value == float(np.median(ages))
    assert seed_summary.get("age_range_years").value == (42.0, 78.0)
    q1, q3 = np.quantile(ages, [0.25, 0.75], method="linear")
    assert seed_summary.get("age_iqr_years").value == pytest.approx((q1, q3))


def test_eml4_against_de_novo_by_exact_binomial_test(seed_summary: EvidenceSummary) -> None:
    stat = seed_summary.get("eml4_vs_de_novo_test")
    ref = binomtest(11, 16, 0.95, alternative="less")
    assert (stat.numerator, stat.denominator) == (11, 16)
    assert stat.value == pytest.approx(ref.pvalue, rel=1e-9)
    assert stat.value < 0.001
    assert "EML4 in 11/16 here against >95%" in stat.label
    assert seed_summary.eml4_test is not None and seed_summary.eml4_test.p0 == 0.95


def test_unknown_statistic_and_absent_dynamic_id(seed_summary: EvidenceSummary) -> None:
    with pytest.raises(EvidenceError, match="unknown statistic 'no_such_thing'"):
        seed_summary.get("no_such_thing")
    with pytest.raises(EvidenceError):
        seed_summary.get("regimen_foobarinib_count")  # not a drug
    lorlatinib = seed_summary.get("regimen_lorlatinib_count")
    assert (lorlatinib.numerator, lorlatinib.denominator) == (0, 10)


def test_json_shape(seed_summary: EvidenceSummary) -> None:
    data = seed_summary.as_json()
    by_id = {s["id"]: s for s in data["statistics"]}
    orr = by_id["combination_orr"]
    assert {"id", "label", "numerator", "denominator", "value", "ci"} <= set(orr)
    assert (orr["numerator"], orr["denominator"]) == (6, 9)
    assert set(orr["ci"]) >= {"exact", "wilson", "level"}
    assert by_id["interval_range_months"]["value"] == [6.0, 34.0]


def test_sources_agree(seed_engine: Any, seed_duckdb: Any, registry_engine: Any) -> None:
    """SQLite (engine or connection), a DuckDB relation, a DuckDB connection and the registry
    give equal numbers."""

    def numbers(summary: EvidenceSummary) -> dict[str, Any]:
        return {s.id: (s.numerator, s.denominator, s.value) for s in summary.statistics}

    reference = numbers(summarize(seed_engine, dataset=DATASET))
    assert numbers(summarize(seed_duckdb, dataset=DATASET)) == reference
    assert numbers(summarize(seed_duckdb.table("registry_case_facts"))) == reference
    assert numbers(summarize(registry_engine, dataset=DATASET)) == reference
    with seed_engine.connect() as conn:  # a SQLAlchemy Connection, as well as an Engine
        assert numbers(summarize(conn, dataset=DATASET)) == reference


REGISTRY_COLUMNS = (
    "age", "sex", "egfr_baseline", "egfr_t790m", "prior_tkis", "osimertinib_exposed",
    "alk_partners", "n_alk_fusions", "eml4_any", "uncommon_partner_any", "interval_months",
    "first_post_regimen", "combination_egfr_alk", "best_response", "grade3_any",
    "cns_reported", "cns_involved",
)  # fmt: skip


def test_registry_import_agrees_with_the_hand_written_rows(registry_engine: Any) -> None:
    """The registry's parse of the seed text equals the rows abstracted by hand here."""
    facts = open_source(registry_engine)
    got = {
        r[0]: dict(zip(REGISTRY_COLUMNS, r[1:], strict=True))
        for r in facts.rows(
            f"SELECT source_row, {', '.join(REGISTRY_COLUMNS)} FROM registry_case_facts "
            "WHERE dataset = :d",
            {"d": DATASET},
        )
    }
    assert len(got) == 16
    for row in seed_facts.rows():
        registry_row = got[row["source_row"]]
        for column in REGISTRY_COLUMNS:
            want, have = row[column], registry_row[column]
            if isinstance(want, bool):
                have = None if have is None else bool(have)
            assert have == want, f"row {row['source_row']} column {column}"


def test_filters_select_cases(seed_engine: Any) -> None:
    ex19 = summarize(seed_engine, where="egfr_baseline=ex19del")
    assert ex19.n_cases == 10
    assert ex19.where == "egfr_baseline=ex19del"
    combo = summarize(seed_engine, where="egfr_baseline = ex19del and combination_egfr_alk=true")
    assert (combo.get("combination_orr").numerator, combo.n_cases) == (5, 6)
    assert summarize(seed_engine, where="prior_tkis has afatinib").n_cases == 4
    assert summarize(seed_engine, where="age >= 65").n_cases == 5
    assert summarize(seed_engine, where="best_response in (CR, PR)").n_cases == 7
    empty = summarize(seed_engine, where="age > 100")
    assert empty.n_cases == 0
    assert empty.get("combination_orr").value is None
    assert empty.get("interval_median_months").value is None


def test_bad_dataset_and_filter(seed_engine: Any) -> None:
    with pytest.raises(EvidenceError, match="no cases in dataset 'nope'; datasets: cheung"):
        summarize(seed_engine, dataset="nope")
    with pytest.raises(ParseError, match="expected a known column"):
        summarize(seed_engine, where="nonsense=1")
    with pytest.raises(EvidenceError, match="no column 'last_egfr_tki'"):
        summarize(seed_engine, where="last_egfr_tki=osimertinib")  # optional, absent here


def test_missing_contract_column_is_named() -> None:
    import duckdb

    conn = duckdb.connect()
    conn.execute("CREATE TABLE registry_case_facts (case_uid TEXT, dataset TEXT)")
    with pytest.raises(EvidenceError, match="lacks column\\(s\\) age, sex"):
        summarize(conn)
    with pytest.raises(EvidenceError, match="cannot read case facts from a list"):
        summarize([1, 2, 3])


def test_kaplan_meier_when_cases_are_censored() -> None:
    """Local cases still on treatment carry censored intervals: the summary adds the
    Kaplan–Meier median, equal to the statistics core's fit on the case-level data."""
    rows = seed_facts.rows()
    for row, months in (("2", 40.0), ("6", 12.0), ("7", 30.0)):
        case = next(r for r in rows if r["source_row"] == row)
        case["interval_months"], case["interval_censored"] = months, True
    summary = summarize(make_sqlite_engine(rows))
    durations = SEED_INTERVALS[:]
    durations.remove(16.0)  # case 2 is now censored at 40
    events = [True] * len(durations) + [False, False, False]
    durations += [40.0, 12.0, 30.0]
    reference = KaplanMeier().fit(durations, events)
    km = summary.interval_km
    assert km is not None
    assert (km.n, km.events, km.censored) == (15, 12, 3)
    assert km.median == reference.median_
    assert (km.median_low, km.median_high) == reference.median_ci_
    stat = summary.get("interval_km_median_months")
    assert stat.value == reference.median_ and stat.ci is not None
    assert "3 censored" in stat.label
    # descriptive statistics use observed intervals only
    assert summary.get("interval_median_months").denominator == 12
    assert summary.get("interval_censored_count").numerator == 3


# ----------------------------------------------------------------------------- properties

_row = st.fixed_dictionaries(
    {
        "age": st.none() | st.integers(20, 90),
        "sex": st.sampled_from([None, "male", "female"]),
        "egfr_baseline": st.sampled_from([None, "ex19del", "l858r", "uncommon", "other"]),
        "egfr_t790m": st.booleans(),
        "prior_tkis": st.sampled_from(
            [None, "osimertinib", "erlotinib,osimertinib", "afatinib", "gefitinib,afatinib"]
        ),
        "alk_partners": st.sampled_from([None, "EML4", "STRN", "EML4,STRN", "TFG,DCTN1"]),
        "interval_months": st.none() | st.integers(1, 60).map(lambda m: m / 2),
        "censored": st.booleans(),
        "first_post_regimen": st.sampled_from(
            [None, "osimertinib + alectinib", "osimertinib + crizotinib", "alectinib"]
        ),
        "best_response": st.sampled_from([None, "CR", "PR", "SD", "PD"]),
        "grade3_any": st.sampled_from([None, True, False]),
        "cns_reported": st.booleans(),
        "cns_involved": st.booleans(),
    }
)


def _facts_row(i: int, r: dict[str, Any]) -> dict[str, Any]:
    partners = r["alk_partners"].split(",") if r["alk_partners"] else []
    regimen = r["first_post_regimen"]
    return {
        "case_uid": f"h-{i}",
        "dataset": "h",
        "source_row": str(i + 1),
        "age": r["age"],
        "sex": r["sex"],
        "egfr_baseline": r["egfr_baseline"],
        "egfr_t790m": r["egfr_t790m"],
        "egfr_history_text": None,
        "prior_tkis": r["prior_tkis"],
        "osimertinib_exposed": bool(r["prior_tkis"] and "osimertinib" in r["prior_tkis"]),
        "tki_generations": None,
        "alk_partners": r["alk_partners"],
        "n_alk_fusions": len(partners),
        "eml4_any": "EML4" in partners if partners else None,
        "uncommon_partner_any": any(p != "EML4" for p in partners) if partners else None,
        "interval_months": r["interval_months"],
        "interval_censored": None if r["interval_months"] is None else r["censored"],
        "post_regimen_text": regimen,
        "first_post_regimen": regimen,
        "combination_egfr_alk": None if regimen is None else "+" in regimen,
        "best_response": r["best_response"] if regimen else None,
        "grade3_any": r["grade3_any"],
        "grade3_text": "hepatitis" if r["grade3_any"] else None,
        "biopsy": None,
        "testing": None,
        "cns_reported": r["cns_reported"],
        "cns_involved": r["cns_involved"] if r["cns_reported"] else None,
        "extracranial_sites": None,
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_row, min_size=1, max_size=25))
def test_every_count_equals_its_case_predicates(raw: list[dict[str, Any]]) -> None:
    """For random tables, each proportion and count equals a direct SQL count with the
    predicates the claims audit uses to list cases, and the median equals numpy's."""
    rows = [_facts_row(i, r) for i, r in enumerate(raw)]
    engine = make_sqlite_engine(rows)
    summary = summarize(engine)
    facts = open_source(engine)

    def count(sql: str, params: dict[str, object]) -> int:
        return int(
            facts.rows(f"SELECT COUNT(*) FROM registry_case_facts WHERE {sql}", params)[0][0]
        )

    for stat in summary.statistics:
        if stat.kind not in ("proportion", "count") or stat.id == "n_cases":
            continue
        preds = case_predicates(stat.id, facts.columns)
        assert preds.numerator is not None
        num = preds.numerator.and_(preds.denominator)
        n = count(preds.denominator.sql, dict(preds.denominator.params))
        k = count(num.sql, dict(num.params))
        if not stat.id.startswith("partner_") or stat.id.endswith("_case_share"):
            assert stat.denominator == n, stat.id
        if preds.exact and not stat.id.endswith("_fusion_count"):
            assert stat.numerator == k, stat.id
    observed = [
        r["interval_months"]
        for r in rows
        if r["interval_months"] is not None and not r["interval_censored"]
    ]
    median = summary.get("interval_median_months").value
    if observed:
        assert median == pytest.approx(float(np.median(observed)))
    else:
        assert median is None
    assert summary.n_cases == len(rows)
    assert not math.isnan(summary.get("n_cases").value or 0.0)


def test_weighted_describe_matches_expanded() -> None:
    values, counts = [3.0, 1.5, 7.0, None], [4, 1, 2, 3]
    expanded: list[float | None] = []
    for v, c in zip(values, counts, strict=True):
        expanded += [v] * c
    assert describe(values, counts=counts) == describe(expanded)


def test_duckdb_connection_named_table(seed_rows: list[dict[str, Any]]) -> None:
    conn = make_duckdb(seed_rows)
    conn.execute("ALTER TABLE registry_case_facts RENAME TO other_facts")
    assert summarize(conn, table="other_facts").n_cases == 16
    with pytest.raises(EvidenceError, match="not a plain lower-case SQL identifier"):
        summarize(conn, table="x; DROP TABLE other_facts")
