"""De-identification (HIPAA Safe Harbor) and per-patient date shifts."""

from __future__ import annotations

import json
import re

import pytest

from tkiresist.errors import TkiResistError
from tkiresist.io.casefile import case_to_data, parse_case_text, read_case
from tkiresist.model.case import Case
from tkiresist.privacy import deidentify, patient_shift_days, shift_dates

from .conftest import DATA, SEED_CASE

DATED = DATA / "valid" / "minimal.yaml"
FULL_DATE = re.compile(r"\b(19|20)\d\d-\d\d(-\d\d)?\b")


def _with(case: Case, **changes: object) -> Case:
    data = case_to_data(case)
    data.update(changes)
    return Case.model_validate(data)


def _months(case: Case) -> dict[str, float]:
    return {k: round(v, 9) for k, v in case.months().items()}


def test_dates_become_offsets_and_months_are_unchanged() -> None:
    case = read_case(DATED)
    out = deidentify(case)
    text = json.dumps(case_to_data(out))
    assert not FULL_DATE.search(text), text  # no date more precise than the year
    assert out.diagnosis.time is not None and out.diagnosis.time.date is not None
    assert out.diagnosis.time.date.iso() == "2023"
    assert _months(out) == _months(case)


def test_offsets_from_partial_dates_are_approximate() -> None:
    out = deidentify(read_case(DATED))
    spec = next(e for e in out.events if e.id == "spec-1")
    line = next(e for e in out.events if e.id == "line1")
    assert spec.time.approximate is True  # "2023-01" against "2023-01-10"
    assert line.start.approximate is False  # both exact days


def test_a_date_before_the_diagnosis_becomes_day_zero() -> None:
    text = DATED.read_text().replace("time: 2023-01\n", "time: 2022-12-20\n")
    out = deidentify(parse_case_text(text))
    spec = next(e for e in out.events if e.id == "spec-1")
    assert (spec.time.after, spec.time.days, spec.time.approximate) == ("diagnosis", 0.0, True)


@pytest.mark.parametrize(("age", "kept"), [(89, 89), (90, None), (104, None), (None, None)])
def test_ages_over_89_are_removed(age: int | None, kept: int | None) -> None:
    case = read_case(DATED)
    patient = {**case_to_data(case)["patient"], "age_at_diagnosis": age}
    out = deidentify(_with(case, patient=patient))
    assert out.patient.age_at_diagnosis == kept


def test_free_text_is_removed_and_the_pseudonym_kept() -> None:
    case = read_case(SEED_CASE)
    assert case.notes or any(e.note for e in case.events) or case.conflicts
    out = deidentify(case)
    assert out.notes is None and out.conflicts == ()
    assert all(e.note is None for e in out.events)
    assert out.diagnosis.presentation is None
    assert out.pseudonym == case.pseudonym and out.id == case.id
    assert out.source == case.source  # a published case report is public


def test_a_case_without_dates_keeps_its_times() -> None:
    case = read_case(SEED_CASE)
    out = deidentify(case)
    assert _months(out) == _months(case)
    assert [e.id for e in out.events] == [e.id for e in case.events]


@pytest.mark.parametrize("days", [-400, -1, 1, 37, 365])
def test_shifted_dates_keep_intervals_and_precision(days: int) -> None:
    case = read_case(DATED)
    out = shift_dates(case, days)
    dx_in, dx_out = case.diagnosis.time, out.diagnosis.time
    assert dx_in is not None and dx_out is not None and dx_in.date and dx_out.date
    moved = dx_out.date.midpoint() - dx_in.date.midpoint()
    assert moved.days == days
    line_in = next(e for e in case.events if e.id == "line1")
    line_out = next(e for e in out.events if e.id == "line1")
    assert line_out.start.date is not None and line_in.start.date is not None
    assert line_out.start.date.precision == line_in.start.date.precision == "day"
    spec = next(e for e in out.events if e.id == "spec-1")
    assert spec.time.date is not None and spec.time.date.precision == "month"
    partial = {"spec-1", "ngs-1"}  # a month-precision date (the test takes its specimen's)
    exact = {k: v for k, v in _months(case).items() if k not in partial}
    assert {k: v for k, v in _months(out).items() if k not in partial} == exact


def test_patient_shift_is_stable_secret_and_bounded() -> None:
    a = patient_shift_days("case-1", b"secret")
    assert a == patient_shift_days("case-1", b"secret")
    shifts = {patient_shift_days(f"case-{i}", b"secret", 30) for i in range(200)}
    assert 0 not in shifts and shifts <= set(range(-30, 31))
    assert len(shifts) > 30  # spread over the range, both signs
    assert any(s < 0 for s in shifts) and any(s > 0 for s in shifts)
    assert patient_shift_days("case-1", b"other") != a or patient_shift_days(
        "case-2", b"other"
    ) != patient_shift_days("case-2", b"secret")
    with pytest.raises(TkiResistError):
        patient_shift_days("case-1", b"secret", 0)
