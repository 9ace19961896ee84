"""The source text as the extractors see it: spans, sentences and the case narrative.

Every value a draft holds points back at a :class:`Span` of the original text (0-based character
offsets, end exclusive), so ``text[span.start:span.end] == span.text`` always holds.

The narrative is the part of a case report that tells the patient's story: the section headed
*Case presentation* (or *Case report*, *Case description*...) up to *Discussion*, without figure
and table captions and abbreviation lists. A text without such a heading is read whole, less its
reference list. The abstract is kept apart: it repeats the story in short and sometimes holds
the only words for an interval ("after 13 months of treatment"). Sentences about patients in
general ("patients", "cases", "studies"...) are left out of both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["Document", "Sentence", "Span", "is_generic", "number_value"]


@dataclass(frozen=True, slots=True)
class Span:
    """A verbatim piece of the source text."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of the source, with its place in the whole text."""

    start: int
    text: str
    index: int
    paragraph: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    def span(self, start: int, end: int) -> Span:
        """The span of ``self.text[start:end]`` in whole-text offsets."""
        return Span(self.start + start, self.start + end, self.text[start:end])

    def match_span(self, m: re.Match[str], group: int | str = 0) -> Span:
        return self.span(m.start(group), m.end(group))


_CASE_HEADING: Final = re.compile(
    r"^[ \t]*(?:\d+\.?\s*)?(?:case\s+(?:presentation|report|description|summary|history)"
    r"|presentation\s+of\s+(?:the\s+)?case|clinical\s+case)[ \t]*:?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_END_HEADING: Final = re.compile(
    r"^[ \t]*(?:\d+\.?\s*)?(?:discussion|conclusions?|references|acknowledge?ments?"
    r"|additional\s+information)[ \t]*:?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_ABSTRACT_HEADING: Final = re.compile(r"^[ \t]*abstract[ \t]*:?[ \t]*$", re.I | re.M)
_ABSTRACT_END: Final = re.compile(
    r"^[ \t]*(?:categories|keywords|introduction|background|case\s+presentation)\b", re.I | re.M
)
_REFERENCES: Final = re.compile(r"^[ \t]*references[ \t]*:?[ \t]*$", re.I | re.M)
_PARAGRAPH: Final = re.compile(r"\S(?:.|\n(?![ \t]*\n))*", re.MULTILINE)
_CAPTION: Final = re.compile(r"^\s*(?:FIGURE|Figure|Fig\.|TABLE|Table)\s+\d+[A-Za-z]?\s*[:.]")
_ABBREVIATIONS: Final = re.compile(r"^(?:[A-Za-z][\w-]*: [^;:]+; )+[A-Za-z][\w-]*: [^;:]+\.?$")
# a sentence ends at . ! ? before a space and a capital, a digit or an opening bracket; not
# after common abbreviations
_SENTENCE_END: Final = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[\"'])")
_NO_BREAK_AFTER: Final = re.compile(
    r"(?:\b(?:et al|e\.g|i\.e|vs|Dr|Fig|Figs|approx|No|ca|cf|St|Mr|Mrs|Ms)\.|\b[A-Z]\.)$"
)

_NUMBER_WORDS: Final = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "twenty-four": 24, "thirty": 30, "thirty-six": 36,
}  # fmt: skip
NUMBER: Final = (
    r"(?:\d+(?:\.\d+)?|"
    + "|".join(sorted((re.escape(w) for w in _NUMBER_WORDS if len(w) > 2), key=len, reverse=True))
    + ")"
)
"""A number as a report writes it: digits or a word (one to twenty, thirty...)."""


_GENERIC: Final = re.compile(
    r"(?i)\b(?:patients|cases|studies|trials?|cohorts?|literature|guidelines?|meta-analys[ie]s"
    r"|in\s+general|commonly|typically|usually)\b"
)
"""Words of a statement about patients in general, not about this patient: such sentences are
not read (\"T790M is detected in half of the patients\")."""


def is_generic(text: str) -> bool:
    """True for a sentence about patients in general (see :data:`_GENERIC`)."""
    return _GENERIC.search(text) is not None


def number_value(text: str) -> float | None:
    """``13`` or ``thirteen`` as a number; None for anything else."""
    t = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", t):
        return float(t)
    n = _NUMBER_WORDS.get(t)
    return None if n is None else float(n)


def _split_sentences(text: str, start: int, paragraph: int, first: int) -> list[Sentence]:
    out: list[Sentence] = []
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        if _NO_BREAK_AFTER.search(text[: m.start()]):
            continue
        piece = text[pos : m.start()]
        if piece.strip():
            out.append(Sentence(start + pos, piece, first + len(out), paragraph))
        pos = m.end()
    piece = text[pos:].rstrip()
    if piece.strip():
        out.append(Sentence(start + pos, piece, first + len(out), paragraph))
    return out


class Document:
    """The source text split into sentences, with the narrative and the abstract marked."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.case_section = self._case_bounds()
        a_start, a_end = self._abstract_bounds()
        self.narrative: list[Sentence] = []
        self.abstract: list[Sentence] = []
        lo, hi = self.case_section
        skip_legend = False
        paragraph = 0
        for m in _PARAGRAPH.finditer(text):
            para = m.group(0)
            if _ABBREVIATIONS.match(" ".join(para.split())):
                continue
            if _CAPTION.match(para):
                # a one-line caption title: its legend is the next paragraph
                skip_legend = len(para) < 200 and "\n" not in para.strip()
                continue
            if skip_legend:
                skip_legend = False
                continue
            paragraph += 1
            if lo <= m.start() < hi:
                target = self.narrative
            elif a_start <= m.start() < a_end:
                target = self.abstract
            else:
                continue
            for sentence in _split_sentences(para, m.start(), paragraph, len(target)):
                if not is_generic(sentence.text):
                    target.append(sentence)

    def _case_bounds(self) -> tuple[int, int]:
        head = _CASE_HEADING.search(self.text)
        if head is None:
            refs = _REFERENCES.search(self.text)
            return 0, refs.start() if refs else len(self.text)
        end = _END_HEADING.search(self.text, head.end())
        return head.end(), end.start() if end else len(self.text)

    def _abstract_bounds(self) -> tuple[int, int]:
        head = _ABSTRACT_HEADING.search(self.text)
        if head is None or _CASE_HEADING.search(self.text) is None:
            return 0, 0
        end = _ABSTRACT_END.search(self.text, head.end())
        return head.end(), end.start() if end else head.end()
