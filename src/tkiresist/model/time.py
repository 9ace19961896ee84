"""Points in time as case reports give them: exact, partial, or relative to an anchor.

A :class:`TimePoint` is one of

* an exact date ``2023-05-14``;
* a partial date ``2023-05`` or ``2023`` (precision is kept);
* an offset from an anchor: ``13 months after diagnosis``, ``3 months after srt-1``, written in
  a case file as that string or as ``{after: srt-1, months: 3}``. The anchor is ``diagnosis``
  or the id of another event (its start).

Resolution to "months from diagnosis" needs the whole timeline and lives in
:mod:`tkiresist.model.timeline`. A month is 30.4375 days (365.25 / 12) when converting.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import Field, model_validator

from tkiresist.model.base import Value

DAYS_PER_MONTH = 365.25 / 12

Precision = Literal["day", "month", "year"]

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_REL = re.compile(
    r"^(?:about\s+|~\s*)?(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>days?|weeks?|months?|years?)\s+"
    r"(?:after|from)\s+(?P<anchor>[A-Za-z0-9_.-]+)$",
    re.IGNORECASE,
)
_UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": DAYS_PER_MONTH, "year": 365.25}


class PartialDate(Value):
    """A calendar date known to day, month or year precision."""

    year: int = Field(ge=1900, le=2200)
    month: int | None = Field(default=None, ge=1, le=12)
    day: int | None = Field(default=None, ge=1, le=31)

    @model_validator(mode="after")
    def _check(self) -> PartialDate:
        if self.day is not None:
            if self.month is None:
                raise ValueError("a day needs a month")
            try:
                dt.date(self.year, self.month, self.day)
            except ValueError as exc:
                raise ValueError(f"impossible date {self.iso()}: {exc}") from None
        return self

    @property
    def precision(self) -> Precision:
        return "day" if self.day else "month" if self.month else "year"

    def iso(self) -> str:
        out = f"{self.year:04d}"
        if self.month is not None:
            out += f"-{self.month:02d}"
            if self.day is not None:
                out += f"-{self.day:02d}"
        return out

    def midpoint(self) -> dt.date:
        """The date used for arithmetic: the middle of the month or year when partial."""
        if self.day is not None and self.month is not None:
            return dt.date(self.year, self.month, self.day)
        if self.month is not None:
            return dt.date(self.year, self.month, 15)
        return dt.date(self.year, 7, 1)

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        m = _DATE.match(text.strip())
        if not m:
            raise ValueError(f"expected a date YYYY, YYYY-MM or YYYY-MM-DD, got {text!r}")
        y, mo, d = m.groups()
        return cls(year=int(y), month=int(mo) if mo else None, day=int(d) if d else None)


class TimePoint(Value):
    """When something happened: a (partial) date, or an offset after an anchor event."""

    date: PartialDate | None = None
    after: str | None = Field(
        default=None, description="anchor: 'diagnosis' or an event id (its start)"
    )
    days: float | None = Field(default=None, ge=0)
    approximate: bool = Field(default=False, description="the source says 'about'")

    @model_validator(mode="before")
    @classmethod
    def _from_shorthand(cls, data: Any) -> Any:
        if isinstance(data, dt.date):
            return {"date": {"year": data.year, "month": data.month, "day": data.day}}
        if isinstance(data, int) and 1900 <= data <= 2200:
            return {"date": {"year": data}}
        if isinstance(data, str):
            text = data.strip()
            if _DATE.match(text):
                return {"date": PartialDate.parse(text)}
            m = _REL.match(text)
            if m:
                unit = m["unit"].lower().rstrip("s")
                return {
                    "after": m["anchor"],
                    "days": float(m["n"]) * _UNIT_DAYS[unit],
                    "approximate": text.lower().startswith(("about", "~")),
                }
            raise ValueError(
                f"expected a date (YYYY[-MM[-DD]]) or 'N days|weeks|months|years after ANCHOR', "
                f"got {text!r}"
            )
        if isinstance(data, dict):
            data = dict(data)
            for unit in ("weeks", "months", "years"):
                if unit in data:
                    n = data.pop(unit)
                    if not isinstance(n, int | float) or isinstance(n, bool):
                        raise ValueError(f"{unit} must be a number")
                    data["days"] = float(n) * _UNIT_DAYS[unit.rstrip("s")]
        return data

    @model_validator(mode="after")
    def _check(self) -> TimePoint:
        if (self.date is None) == (self.after is None):
            raise ValueError("give either a date or an offset 'after' an anchor, not both")
        if self.after is not None and self.days is None:
            raise ValueError("an offset needs its length (days, weeks, months or years)")
        return self

    @property
    def months(self) -> float | None:
        return None if self.days is None else self.days / DAYS_PER_MONTH

    def shorthand(self) -> str | None:
        """The short text a case file may give for this time point, which reads back as it
        (``2024-03``, ``0 days after spec-brain``, ``about 395.6875 days after osi``); None
        when there is none."""
        if self.date is not None:
            return self.date.iso()
        days = self.days if self.days is not None else 0.0
        n = str(int(days)) if days == int(days) else repr(days)
        if "e" in n or self.after is None or not re.fullmatch(r"[A-Za-z0-9_.-]+", self.after):
            return None
        return f"{'about ' if self.approximate else ''}{n} days after {self.after}"

    def describe(self) -> str:
        if self.date is not None:
            return self.date.iso()
        months = self.months or 0.0
        about = "about " if self.approximate else ""
        return f"{about}{months:g} months after {self.after}"
