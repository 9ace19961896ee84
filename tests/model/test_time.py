"""Time points: exact, partial and relative, and their resolution along the timeline."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tkiresist.model.time import DAYS_PER_MONTH, PartialDate, TimePoint
from tkiresist.model.timeline import (
    Agent,
    Diagnosis,
    TherapyLine,
    TimelineError,
    resolve_months,
)


@pytest.mark.parametrize(
    ("text", "iso", "precision"),
    [
        ("2023-05-14", "2023-05-14", "day"),
        ("2023-05", "2023-05", "month"),
        ("2023", "2023", "year"),
    ],
)
def test_partial_dates_keep_precision(text: str, iso: str, precision: str) -> None:
    tp = TimePoint.model_validate(text)
    assert tp.date is not None
    assert tp.date.iso() == iso
    assert tp.date.precision == precision


@pytest.mark.parametrize(
    ("text", "anchor", "months", "approx"),
    [
        ("13 months after diagnosis", "diagnosis", 13.0, False),
        ("about 3 months after srt", "srt", 3.0, True),
        ("2 weeks after osi", "osi", 14 / DAYS_PER_MONTH, False),
        ("1 year after dx", "dx", 12.0, False),
    ],
)
def test_relative_times(text: str, anchor: str, months: float, approx: bool) -> None:
    tp = TimePoint.model_validate(text)
    assert tp.after == anchor
    assert tp.months == pytest.approx(months)
    assert tp.approximate is approx


@pytest.mark.parametrize("bad", ["2023-02-30", "2023-13", "last spring", "13 months", ""])
def test_bad_times_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        TimePoint.model_validate(bad)


def test_impossible_date_message_names_the_date() -> None:
    with pytest.raises(ValidationError, match="impossible date 2023-02-30"):
        PartialDate.parse("2023-02-30")


def _line(id_: str, start: str) -> TherapyLine:
    return TherapyLine(
        id=id_, agents=(Agent(drug="osimertinib"),), start=TimePoint.model_validate(start)
    )


def test_resolution_follows_anchors() -> None:
    events = [
        Diagnosis(id="dx", histology="adenocarcinoma"),
        _line("a", "2 months after dx"),
        _line("b", "13 months after a"),
    ]
    months = resolve_months(events)
    assert months["b"] == pytest.approx(15.0)


def test_cycles_and_unknown_anchors_are_refused() -> None:
    dx = Diagnosis(id="dx", histology="adenocarcinoma")
    with pytest.raises(TimelineError, match="cycle"):
        resolve_months([dx, _line("a", "1 months after b"), _line("b", "1 months after a")])
    with pytest.raises(TimelineError, match="unknown anchor 'zz'") as info:
        resolve_months([dx, _line("a", "1 months after zz")])
    assert info.value.key == "a"


def test_dates_resolve_against_a_dated_diagnosis() -> None:
    dx = Diagnosis(id="dx", histology="adenocarcinoma", time=TimePoint.model_validate("2020-01-15"))
    months = resolve_months([dx, _line("a", "2021-01-15")])
    assert months["a"] == pytest.approx(366 / DAYS_PER_MONTH)


@given(
    st.one_of(
        st.builds(
            lambda days, anchor, about: TimePoint(after=anchor, days=days, approximate=about),
            st.one_of(
                st.integers(min_value=0, max_value=20_000).map(float),
                st.floats(min_value=0, max_value=20_000, allow_nan=False, allow_infinity=False),
                st.integers(min_value=0, max_value=200).map(lambda m: m * 365.25 / 12),
            ),
            st.from_regex(r"[A-Za-z][A-Za-z0-9_.-]{0,12}", fullmatch=True),
            st.booleans(),
        ),
        st.sampled_from(["2024", "2024-03", "2024-03-05"]).map(TimePoint.model_validate),
    )
)
def test_shorthand_reads_back_as_the_same_time_point(tp: TimePoint) -> None:
    short = tp.shorthand()
    if short is not None:  # None only where no short text exists (e.g. 1e-05 days)
        assert TimePoint.model_validate(short) == tp


def test_shorthand_examples() -> None:
    assert TimePoint.model_validate("0 days after spec-brain").shorthand() == (
        "0 days after spec-brain"
    )
    assert TimePoint.model_validate("about 13 months after osi").shorthand() == (
        "about 395.6875 days after osi"
    )
    assert TimePoint.model_validate("2024-03").shorthand() == "2024-03"
