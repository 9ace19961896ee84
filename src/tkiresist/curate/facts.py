"""What the extractors hand to the draft: values with the spans that show them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tkiresist.curate.text import Span

__all__ = ["Fact", "Found"]


@dataclass(frozen=True, slots=True)
class Fact:
    """One value and its evidence (never empty: a value without a span is not a fact)."""

    value: Any
    spans: tuple[Span, ...]

    def __post_init__(self) -> None:
        if not self.spans:
            raise ValueError("a fact needs at least one span")


@dataclass(slots=True)
class Found:
    """An event the text describes: its type, where it is told, and its fields as facts."""

    kind: str
    position: int
    fields: dict[str, Fact] = field(default_factory=dict)
    id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
