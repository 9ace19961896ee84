"""De-identification of a case for exports and reports (HIPAA Safe Harbor, 45 CFR 164.514(b)(2)).

Of the eighteen Safe Harbor identifiers, a case in our format can hold three kinds:

* **dates** more precise than the year: every calendar date becomes an offset from the
  diagnosis (``N days after diagnosis``) and the diagnosis keeps its year only, so the timeline
  (months from diagnosis) and every interpretation are unchanged. A date before the diagnosis
  becomes day 0, marked approximate;
* **ages over 89**: the age is removed (a report shows "90 or older");
* **free text**, which may hold names, places or dates that no rule can find: ``notes``, every
  event's ``note``, the diagnosis' ``presentation``, a test's verbatim ``report_text`` and the
  ``conflicts`` (source values and their resolution) are removed.

The pseudonym, the case id and the publication a case comes from are kept: a pseudonym is never
a name (see the case format), and a published case report is public.

:func:`shift_dates` is the alternative for analyses that need calendar structure: every date
moves by the same number of days for one patient (:func:`patient_shift_days` derives it from
the case id and a secret), free text and ages over 89 go as above. Shifted dates are not Safe
Harbor (that needs an expert determination); the web application offers them to admins only.

Pure functions on :class:`~tkiresist.model.case.Case` values; nothing is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from tkiresist.errors import Location, TkiResistError
from tkiresist.model.case import Case
from tkiresist.model.time import PartialDate

AGE_LIMIT = 89
"""Ages above this are identifiers (Safe Harbor aggregates them as "90 or older")."""

FREE_TEXT_EVENT_FIELDS = ("note", "presentation", "report_text")
TIME_FIELDS = ("time", "start", "stop", "end")


def _partial(value: dict[str, Any]) -> PartialDate:
    return PartialDate.model_validate(value)


def _strip_free_text(data: dict[str, Any]) -> None:
    data.pop("notes", None)
    data.pop("conflicts", None)
    data.pop("provenance", None)  # a draft's verbatim evidence spans
    patient = data.get("patient")
    if isinstance(patient, dict):
        age = patient.get("age_at_diagnosis")
        if isinstance(age, int) and age > AGE_LIMIT:
            patient.pop("age_at_diagnosis")
    for event in data.get("events", []):
        for name in FREE_TEXT_EVENT_FIELDS:
            event.pop(name, None)


def _map_dates(data: dict[str, Any], fn: Callable[[dict[str, Any], dict[str, Any]], Any]) -> None:
    """Replace every time point that holds a date by ``fn(event, point)``."""
    for event in data.get("events", []):
        for name in TIME_FIELDS:
            point = event.get(name)
            if isinstance(point, dict) and isinstance(point.get("date"), dict):
                event[name] = fn(event, point)


def deidentify(case: Case) -> Case:
    """``case`` without Safe Harbor identifiers (see the module docstring); the months from
    diagnosis of every event are unchanged, except dates before the diagnosis (day 0)."""
    from tkiresist.io.casefile import case_to_data

    data = case_to_data(case)
    _strip_free_text(data)
    diagnosis = case.diagnosis
    origin = diagnosis.time.date if diagnosis.time is not None else None

    def relative(event: dict[str, Any], point: dict[str, Any]) -> dict[str, Any]:
        date = _partial(point["date"])
        if event.get("id") == diagnosis.id and event.get("type") == "diagnosis":
            return {"date": {"year": date.year}}
        assert origin is not None, "a valid case with dates has a dated diagnosis"
        days = (date.midpoint() - origin.midpoint()).days
        approximate = (
            bool(point.get("approximate")) or date.precision != "day" or origin.precision != "day"
        )
        if days < 0:
            days, approximate = 0, True
        return {"after": "diagnosis", "days": float(days), "approximate": approximate}

    _map_dates(data, relative)
    return Case.model_validate(data)


def _shift(date: PartialDate, days: int) -> dict[str, int]:
    moved = date.midpoint() + dt.timedelta(days=days)
    out = {"year": moved.year}
    if date.month is not None:
        out["month"] = moved.month
        if date.day is not None:
            out["day"] = moved.day
    return out


def shift_dates(case: Case, days: int) -> Case:
    """``case`` with every calendar date moved by ``days`` (partial dates keep their precision:
    their middle is moved) and free text and ages over 89 removed."""
    from tkiresist.io.casefile import case_to_data

    data = case_to_data(case)
    _strip_free_text(data)

    def moved(_event: dict[str, Any], point: dict[str, Any]) -> dict[str, Any]:
        return {**point, "date": _shift(_partial(point["date"]), days)}

    _map_dates(data, moved)
    return Case.model_validate(data)


def patient_shift_days(case_id: str, secret: bytes, max_days: int = 365) -> int:
    """A per-patient shift in ``[-max_days, -1] ∪ [1, max_days]``: HMAC-SHA256 of the case id
    under ``secret``, so the same patient always moves by the same amount and nobody without
    the secret can undo it."""
    if max_days < 1:
        raise TkiResistError("max_days must be at least 1", Location(field="max_days"))
    digest = hmac.new(secret, case_id.encode("utf-8"), hashlib.sha256).digest()
    n = int.from_bytes(digest[:8], "big")
    magnitude = 1 + n % max_days
    return magnitude if (n >> 32) % 2 else -magnitude
