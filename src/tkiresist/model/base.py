"""The base of every domain value: immutable, strict (unknown fields are rejected)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Value(BaseModel):
    """An immutable, strict domain value.

    ``frozen`` makes instances hashable and unchangeable; ``extra="forbid"`` rejects unknown
    fields so that a typo in a case file is an error, not silently ignored.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        str_strip_whitespace=True,
        validate_default=True,
    )
