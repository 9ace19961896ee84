"""Time points: exact, partial and relative, and their resolution along the timeline."""

from __future__ import annotations

import pytest
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
