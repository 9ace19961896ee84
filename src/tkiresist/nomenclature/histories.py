"""Alteration histories as papers write them: ``Exon 19 deletion → T790M``.

A history is a sequence of steps. The first step is the baseline; each later step holds what was
found at a later progression (acquired). Within a step, alterations found together are joined
by ``+``, ``&``, ``,``, ``;`` or ``and``; ``(de novo)`` marks a step whose alterations were
present before any TKI (``Exon 19 deletion + T790M (de novo)`` is one concurrent set with
``de_novo=True``).

Grammar (informal; separators count only outside parentheses)::

    history := step (arrow step)*
    step    := item (and item)*            an item may carry "(de novo)" / "de novo"
    arrow   := "→" | "⟶" | "⇒" | "->" | "-->" | "=>" | "\\rightarrow" | "$\\rightarrow$"
             | "\\to" | "then" | "followed by"
    and     := "+" | "&" | "," | ";" | "and"

``\\rightarrow`` is listed because LaTeX survives PDF extraction (the seed paper's Table 1 has
it). Each item is parsed with :func:`tkiresist.nomenclature.alterations.parse_alteration`, with
``gene`` (default EGFR, since these are EGFR histories) as the gene an item means when it names
none: ``L858R → T790M`` is EGFR L858R, then EGFR T790M; ``MET amp`` keeps its own gene.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from pydantic import Field

from tkiresist.errors import Location, ParseError
from tkiresist.model.alterations import Alteration
from tkiresist.model.base import Value
from tkiresist.nomenclature._scanner import Scanner
from tkiresist.nomenclature.alterations import format_alteration, parse_alteration

__all__ = ["HistoryStep", "VariantHistory", "format_history", "parse_history"]


class HistoryStep(Value):
    """Alterations found together at one time point."""

    alterations: tuple[Alteration, ...] = Field(min_length=1)
    de_novo: bool = Field(default=False, description="present before any TKI")


class VariantHistory(Value):
    """Steps in time order: the baseline first, then each progression."""

    steps: tuple[HistoryStep, ...] = Field(min_length=1)

    @property
    def baseline(self) -> HistoryStep:
        return self.steps[0]

    @property
    def acquired(self) -> tuple[Alteration, ...]:
        """Alterations of later steps that the baseline did not have, in order, once each."""
        seen = list(self.baseline.alterations)
        out: list[Alteration] = []
        for step in self.steps[1:]:
            for a in step.alterations:
                if a not in seen:
                    seen.append(a)
                    out.append(a)
        return tuple(out)


_ARROW_RE: Final = re.compile(
    r"\$?\\rightarrow\$?|\$?\\to\$?(?![A-Za-z])|\u2192|\u27f6|\u21d2|-->|->|=>"
    r"|(?<![A-Za-z0-9])(?:then|followed\s+by)(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_AND_RE: Final = re.compile(r"[+&,;]|(?<![A-Za-z0-9])and(?![A-Za-z0-9])", re.IGNORECASE)
_DE_NOVO_RE: Final = re.compile(
    r"\(\s*de\s+novo\s*\)|(?<![A-Za-z0-9])de\s+novo(?![A-Za-z0-9])", re.IGNORECASE
)
_OPEN, _CLOSE = "([{", ")]}"


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int


def _split(text: str) -> list[list[_Span]]:
    """Steps of item spans, splitting only at depth 0 (outside parentheses)."""
    steps: list[list[_Span]] = [[]]
    depth = 0
    item_start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0:
            arrow = _ARROW_RE.match(text, i)
            if arrow is not None:
                steps[-1].append(_Span(item_start, i))
                steps.append([])
                i = item_start = arrow.end()
                continue
            conj = _AND_RE.match(text, i)
            if conj is not None and not (ch == "+" and _trailing_plus(text, conj.end())):
                steps[-1].append(_Span(item_start, i))
                i = item_start = conj.end()
                continue
        i += 1
    steps[-1].append(_Span(item_start, len(text)))
    return steps


def _trailing_plus(text: str, after: int) -> bool:
    """A ``+`` that ends an item (``ALK+``) rather than joining two."""
    rest = text[after:].lstrip()
    return not rest or rest[0] in ")]}" or _ARROW_RE.match(rest) is not None


def parse_history(
    text: str, gene: str | None = "EGFR", location: Location | None = None
) -> VariantHistory:
    """Parse a history such as ``L858R → T790M`` or ``Exon 19 deletion + T790M (de novo)``."""
    sc = Scanner(text, "alteration history", location)
    steps: list[HistoryStep] = []
    for spans in _split(text):
        alterations: list[Alteration] = []
        de_novo = False
        for span in spans:
            raw = text[span.start : span.end]
            marker = _DE_NOVO_RE.search(raw)
            if marker is not None:
                de_novo = True
                raw = (
                    raw[: marker.start()]
                    + " " * (marker.end() - marker.start())
                    + raw[marker.end() :]
                )
            lead = len(raw) - len(raw.lstrip())
            item = raw.strip()
            at = span.start + lead
            if not item:
                if marker is not None:
                    continue
                raise sc.error_at(at, "an alteration (a step or item is empty)")
            try:
                alterations.append(parse_alteration(item, gene, location))
            except ParseError as exc:
                inner = (exc.position or 0) if exc.text == item else 0
                why = exc.expected or exc.message
                raise sc.error_at(at + inner, f"{why} (in {exc.what} {item!r})") from None
        if not alterations:
            raise sc.error_at(spans[0].start, "an alteration in this step")
        steps.append(HistoryStep(alterations=tuple(alterations), de_novo=de_novo))
    return VariantHistory(steps=tuple(steps))


def format_history(history: VariantHistory) -> str:
    """``EGFR exon 19 deletion → EGFR p.T790M``; ``(de novo)`` ends a de novo step."""
    parts = []
    for step in history.steps:
        text = " + ".join(format_alteration(a) for a in step.alterations)
        parts.append(text + (" (de novo)" if step.de_novo else ""))
    return " \u2192 ".join(parts)
