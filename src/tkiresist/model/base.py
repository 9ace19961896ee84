"""The base of every domain value: immutable, strict (unknown fields are rejected)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Annotated, Any, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


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


_DERIVED: dict[tuple[int, Hashable], tuple[object, Any]] = {}
"""Values derived from immutable owners, by (owner id, what), least recently used first.
Identity-checked: an id is reused only after its owner is gone, and the entry keeps the owner
alive."""
_DERIVED_MAX = 4096
_DERIVED_LOCK = threading.Lock()  # the web server interprets cases on several threads


def derived(owner: object, what: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, once per immutable ``owner`` object and ``what``: the one memo of values
    the engine derives several times from the same case events (months, time points, a
    decision point's test phases) or the same knowledge-base regimen. The caller must not
    mutate the result (copy it if it hands it out)."""
    key = (id(owner), what)
    with _DERIVED_LOCK:
        hit = _DERIVED.pop(key, None)
        if hit is not None:
            _DERIVED[key] = hit  # most recently used last: eviction takes the oldest
    if hit is not None and hit[0] is owner:
        return cast(T, hit[1])
    value = compute()
    with _DERIVED_LOCK:
        if len(_DERIVED) >= _DERIVED_MAX:
            _DERIVED.pop(next(iter(_DERIVED)), None)
        _DERIVED[key] = (owner, value)
    return value
