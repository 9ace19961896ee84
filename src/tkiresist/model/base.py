"""The base of every domain value: immutable, strict (unknown fields are rejected)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


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


KEBAB = r"^[a-z0-9]+(-[a-z0-9]+)*$"
"""Lower-case words joined by hyphens: the form of an id in a curated registry
(``soria-2018-flaura``)."""

Kebab = Annotated[str, Field(pattern=KEBAB)]
NonEmpty = Annotated[str, Field(min_length=1)]
