"""Lines of therapy: the drugs a sentence says the patient was started on, in text order.

A line starts where the narrative says so (``was started on``, ``commenced``, ``received``,
``was switched to``...) and names at least one drug of the project's dictionary (generic names,
brands, codes and synonyms, :mod:`tkiresist.nomenclature.drugs`); the drugs up to the end of the
clause make the line, each with the dose and schedule written right after it (``osimertinib
(80 mg daily)``). ``was continued on`` and ``after starting`` start nothing. Durations
(``after 13 months of osimertinib``, ``four months after starting combination``) give times
relative to the line they name: see :func:`line_reference` and :func:`durations`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Final

from tkiresist.curate.facts import Fact
from tkiresist.curate.text import NUMBER, Sentence, Span, number_value
from tkiresist.errors import ParseError
from tkiresist.model.time import TimePoint
from tkiresist.nomenclature import drugs

__all__ = ["DrugMention", "Line", "drug_mentions", "durations", "extract_lines"]


@dataclass(frozen=True, slots=True)
class DrugMention:
    generic: str
    span: Span
    dose: Span | None = None
    schedule: Span | None = None


@dataclass(slots=True)
class Line:
    """One line of therapy as the text starts it."""

    position: int
    cue: Span
    agents: list[DrugMention] = field(default_factory=list)
    id: str = ""

    @property
    def generics(self) -> frozenset[str]:
        return frozenset(a.generic for a in self.agents)


@cache
def _drug_regex() -> re.Pattern[str]:
    names = {n for d in drugs.all_drugs() for n in d.names if len(n) > 3}
    alternatives = sorted((re.escape(n).replace(r"\ ", r"[\s-]+") for n in names), key=len,
                          reverse=True)  # fmt: skip
    return re.compile(r"(?i)(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])")


_DOSE: Final = re.compile(
    r"\s*\(?\s*(?P<dose>\d+(?:\.\d+)?\s*(?:mg|g|mcg|µg)(?:/(?:m2|m²|kg))?)"
    r"(?:\s+(?P<schedule>(?:once|twice|three\s+times)\s+(?:a\s+)?daily|daily|once\s+a\s+day"
    r"|twice\s+a\s+day|every\s+\d+\s+weeks|weekly|[bq]\.?i\.?d\.?|q\.?d\.?))?\s*\)?",
    re.IGNORECASE,
)
_START: Final = re.compile(
    r"(?i)\b(?:(?:was|were|is|been)\s+(?:then\s+|subsequently\s+|initially\s+|therefore\s+"
    r"|later\s+|thus\s+)?(?:started|commenced|initiated|begun|placed|switched|changed|treated"
    r"|given|administered|rechallenged)\b|(?:started|commenced|initiated|began|received"
    r"|switched\s+to|changed\s+to)\b)"
)
_PASSIVE: Final = re.compile(r"(?:^|[;:]\s*|,\s*(?:and\s+)?)(?P<clause>[^,;:]*?)(?:,\s*)?$")
_NOT_A_START: Final = re.compile(r"(?i)\b(?:after|before|since|of|upon|on|when)\s+$")
_CLAUSE_END: Final = re.compile(
    r"(?i)[.;]|\b(?:after|until|due\s+to|because|which|but|while|following|prior\s+to)\b"
    r"|,\s*(?:with|and\s+(?:the|he|she|interval))\b"
    r"|\bwith\s+(?:a|an|good|partial|complete|stable|progressive|no|resolution)\b"
)


def drug_mentions(s: Sentence, lo: int = 0, hi: int | None = None) -> list[DrugMention]:
    """The drugs named in ``s.text[lo:hi]``, with a dose and schedule written after each."""
    out: list[DrugMention] = []
    end = len(s.text) if hi is None else hi
    for m in _drug_regex().finditer(s.text, lo, end):
        try:
            generic = drugs.lookup(" ".join(m.group(0).split())).generic
        except ParseError:  # built from the dictionary's names: not expected
            continue
        dm = _DOSE.match(s.text, m.end())
        dose = s.match_span(dm, "dose") if dm and dm["dose"] else None
        schedule = s.match_span(dm, "schedule") if dm and dm["schedule"] else None
        out.append(DrugMention(generic, s.match_span(m), dose, schedule))
    return out


def extract_lines(narrative: list[Sentence]) -> list[Line]:
    """The lines the narrative starts, in order."""
    lines: list[Line] = []
    for s in narrative:
        for m in _START.finditer(s.text):
            if _NOT_A_START.search(s.text[: m.start()]):
                continue
            stop = _CLAUSE_END.search(s.text, m.end())
            hi = stop.start() if stop else len(s.text)
            found = drug_mentions(s, m.end(), hi)
            if not found and (p := _PASSIVE.search(s.text[: m.start()])):
                # "Osimertinib 80 mg once daily was then initiated": the drugs come first
                found = drug_mentions(s, p.start(), m.start())
            agents: dict[str, DrugMention] = {}
            for d in found:
                agents.setdefault(d.generic, d)
            if agents:
                lines.append(Line(s.start + m.start(), s.match_span(m), list(agents.values())))
    for i, line in enumerate(lines, 1):
        line.id = f"line{i}"
    return lines


_UNIT: Final = r"(?P<unit>days?|weeks?|months?|years?)"
_OF: Final = re.compile(
    r"(?i)\bafter\s+(?P<n>" + NUMBER + r")\s+" + _UNIT + r"\s+of\s+(?:(?:treatment|therapy)"
    r"\s+with\s+)?(?P<what>[\w-]+(?:\s+treatment|\s+therapy)?)"
)
_AFTER_START: Final = re.compile(
    r"(?i)\b(?P<n>" + NUMBER + r")\s+" + _UNIT + r"\s+(?:after|from|following|into)\s+(?:the\s+)?"
    r"(?:starting|initiating|initiation\s+of|commencing|commencement\s+of|start\s+of|beginning)"
    r"\s+(?:the\s+|of\s+)?(?P<what>[\w-]+)"
)


def line_reference(
    s: Sentence, what: Span, lines: list[Line], *, before: int | None = None
) -> Line | None:
    """The line a phrase names: a drug (the latest line with it that started before
    ``before``; with no ``before``, as in the abstract, the earliest), or
    ``treatment``/``combination``/``therapy`` when the sentence names the drugs of exactly one
    such line (or, for ``combination``, there is one started combination)."""
    word = what.text.lower().split()[0]
    started = [ln for ln in lines if before is None or ln.position <= before]
    named = {d.generic for d in drug_mentions(s)}
    if word in ("treatment", "therapy", "combination", "it"):
        pool = [ln for ln in started if named and named <= ln.generics]
        if word == "combination":
            pool = [ln for ln in (pool or started) if len(ln.agents) > 1]
        pool = [ln for ln in pool if not named or ln.generics >= named]
        exact = [ln for ln in pool if ln.generics == named] or pool
        if not exact or len({ln.generics for ln in exact}) != 1:
            return None
        return exact[0] if before is None else exact[-1]
    try:
        generic = drugs.lookup(what.text).generic
    except ParseError:  # not a drug name
        return None
    with_it = [ln for ln in started if generic in ln.generics]
    if not with_it:
        return None
    return with_it[0] if before is None else with_it[-1]


def durations(
    s: Sentence, lines: list[Line], *, before: int | None = None
) -> list[tuple[Fact, Line]]:
    """Times the sentence gives relative to a line's start: ``after 13 months of X`` and
    ``4 months after starting X``. Each is a :class:`Fact` holding the case-format text
    (``13 months after line1``), checked by :class:`~tkiresist.model.time.TimePoint`."""
    out: list[tuple[Fact, Line]] = []
    for rx in (_OF, _AFTER_START):
        for m in rx.finditer(s.text):
            n = number_value(m["n"])
            line = line_reference(s, s.match_span(m, "what"), lines, before=before)
            if n is None or line is None:
                continue
            unit = m["unit"].lower().rstrip("s") + "s"
            text = f"{n:g} {unit} after {line.id}"
            TimePoint.model_validate(text)
            out.append((Fact(text, (s.match_span(m),)), line))
    return out
