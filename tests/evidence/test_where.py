"""The --where filter language: what it accepts, what it refuses, and that it cannot inject."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tkiresist.errors import ParseError
from tkiresist.evidence.facts import FACT_COLUMNS
from tkiresist.evidence.where import compile_filter, parse_filter

ACCEPTED = [
    ("egfr_baseline=ex19del", "(egfr_baseline = :w0)", {"w0": "ex19del"}),
    ("EGFR_BASELINE == L858R", "(egfr_baseline = :w0)", {"w0": "l858r"}),
    ("osimertinib_exposed=true", "(osimertinib_exposed IS TRUE)", {}),
    ("osimertinib_exposed != yes", "(osimertinib_exposed IS FALSE)", {}),
    ("age>=60 and age<70", "(age >= :w0) AND (age < :w1)", {"w0": 60, "w1": 70}),
    ("interval_months <= 12.5", "(interval_months <= :w0)", {"w0": 12.5}),
    ("sex=M & dataset='cheung2025-table1'", "(sex = :w0) AND (dataset = :w1)",
     {"w0": "male", "w1": "cheung2025-table1"}),
    ("best_response in (CR, pr)", "(best_response IN (:w0, :w1))", {"w0": "CR", "w1": "PR"}),
    ("cns_involved = null", "(cns_involved IS NULL)", {}),
    ("cns_involved != null", "(cns_involved IS NOT NULL)", {}),
    ("prior_tkis has Tagrisso", None, {"w0": "%,osimertinib,%"}),
    ("alk_partners has strn", None, {"w0": "%,STRN,%"}),
    ('first_post_regimen = "Osimertinib plus Alectinib"', "(first_post_regimen = :w0)",
     {"w0": "osimertinib + alectinib"}),
    ("study = \"Schrock et al. (2018), Case 7\"", "(study = :w0)",
     {"w0": "Schrock et al. (2018), Case 7"}),
]  # fmt: skip


@pytest.mark.parametrize(("text", "sql", "params"), ACCEPTED)
def test_accepted_filters_compile_to_bound_sql(
    text: str, sql: str | None, params: dict[str, Any]
) -> None:
    compiled = compile_filter(parse_filter(text))
    if sql is not None:
        assert compiled.sql == sql
    assert dict(compiled.params) == params


REFUSED = [
    ("", 0, "a condition"),
    ("password=1", 0, "a known column"),
    ("age=abc", 4, "a number for column age"),
    ("age = nan", 6, "a finite number"),
    ("egfr_baseline=ex20ins", 14, "one of ex19del, l858r, uncommon, other"),
    ("osimertinib_exposed=maybe", 20, "true or false"),
    ("egfr_baseline='ex19del' or 1=1", 24, "'and' between conditions"),
    ("egfr_baseline=ex19del; DROP TABLE registry_case_facts", 21, "a column name, an operator"),
    ("egfr_baseline=ex19del -- comment", 22, "'and' between conditions"),
    ("age > 1 and", 11, "a column name"),
    ("age in (1, 2", 12, "',' or ')'"),
    ("age in 1", 7, "'('"),
    ("sex has male", 4, "one of =, !=, in for column sex"),
    ("prior_tkis has notadrug", 15, "a drug name the dictionary knows"),
    ("alk_partners has NOTAGENE1", 17, "an HGNC gene symbol"),
    ("first_post_regimen = 'osimertinib + foo'", 21, "a regimen of known drugs"),
    ("age < null", 6, "null only with = or !="),
    ("age in (1, null)", 11, "null only with = or !="),
    ("'age'=1", 0, "a column name"),
    ("registry_case_facts.age=1", 0, "a known column"),
]


@pytest.mark.parametrize(("text", "position", "expected"), REFUSED)
def test_refused_filters_name_the_position(text: str, position: int, expected: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_filter(text)
    err = info.value
    assert err.position == position
    assert expected in str(err)
    assert err.location.field == "where"


_SAFE_SQL = re.compile(
    r"^(?:[()\s,]|AND|IN|IS|NOT|NULL|TRUE|FALSE|LIKE|ESCAPE|REPLACE|'\\'|' '|''|','|\|\||"
    r"<=|>=|<>|[=<>]|:w\d+|" + "|".join(sorted(FACT_COLUMNS, key=len, reverse=True)) + r")+$"
)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_arbitrary_text_is_refused_or_compiles_to_safe_sql(text: str) -> None:
    """Whatever the input, the SQL holds only contract columns, keywords and placeholders:
    values are never in it."""
    try:
        flt = parse_filter(text)
    except ParseError:
        return
    compiled = compile_filter(flt)
    assert _SAFE_SQL.match(compiled.sql), compiled.sql


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["dataset", "study", "biopsy", "testing", "egfr_history_text"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="'"), max_size=30),
)
def test_any_quoted_text_value_is_a_parameter(column: str, value: str) -> None:
    compiled = compile_filter(parse_filter(f"{column} = '{value}'"))
    assert compiled.sql == f"({column} = :w0)"
    assert compiled.params == {"w0": value}


def test_injection_attempt_leaves_the_table_alone(seed_engine: Any) -> None:
    from tkiresist.evidence.summary import summarize

    hostile = "egfr_history_text = 'x''); DROP TABLE registry_case_facts; --'"
    with pytest.raises(ParseError):
        summarize(seed_engine, where=hostile)
    quoted = 'egfr_history_text = "x\'); DROP TABLE registry_case_facts; --"'
    assert summarize(seed_engine, where=quoted).n_cases == 0  # a value, matched literally
    assert summarize(seed_engine).n_cases == 16


def test_like_wildcards_in_list_values_are_escaped() -> None:
    from tkiresist.evidence.facts import list_member_pattern

    assert list_member_pattern("a_b%c") == "%,a\\_b\\%c,%"
