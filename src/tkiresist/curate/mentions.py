"""Alterations named in a sentence, found by the project's own parsers, and what the sentence
says of each: detected, not detected, or (when it cannot tell) nothing.

Candidates start at a gene symbol HGNC knows (written in capitals), at an EGFR shorthand
(``exon 19 deletion``, ``ex19del``...) or at a bare EGFR hotspot (``T790M``, ``L858R``,
``C797S``...); each candidate window, longest first, goes to
:func:`tkiresist.nomenclature.alterations.parse_alteration`, so every spelling the case format
accepts is found and nothing else is. A bare fusion driver with a result (``ALK was negative by
both NGS and IHC``) is read by the method the sentence names: NGS or FISH give a fusion, IHC an
expression result.

The status is taken from the cue nearest to the mention in its clause (``positive``,
``revealed``, ``harbored``... against ``negative``, ``not detected``, ``wild-type``,
``absence of``...). A hedged sentence (``suspicious of``, ``possible``) gives no status, and a
mention without a cue gives none: nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from tkiresist.curate.text import Sentence, Span
from tkiresist.errors import ParseError
from tkiresist.model.alterations import Expression
from tkiresist.nomenclature import genes
from tkiresist.nomenclature.alterations import AnyAlteration, format_alteration, parse_alteration
from tkiresist.nomenclature.variants import try_parse_variant

__all__ = ["Mention", "Method", "find_mentions", "methods_in"]

Status = Literal["detected", "not_detected"]
Method = Literal["ngs", "pcr", "ihc", "fish"]


@dataclass(frozen=True, slots=True)
class Mention:
    """An alteration the sentence names, its status and the words that say so."""

    alteration: AnyAlteration
    span: Span
    status: Status | None
    cue: Span | None
    method: Method | None = None  # the method the mention itself names ("by IHC")
    new: Span | None = None  # the source's words that it is new ("acquired", "newly emerged")

    @property
    def key(self) -> str:
        return format_alteration(self.alteration)


_PIECE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9.:>*_]*")
_MAX_PIECES: Final = 9
_SHORTHAND_START: Final = re.compile(r"(?i)^(?:exon|ex\d|del\d|\d+del)")
_EGFR_HOTSPOTS: Final = frozenset(
    {"T790M", "L858R", "C797S", "C797G", "C797X", "L861Q", "S768I", "G719X", "G719A",
     "G719S", "G719C", "L718Q", "G724S", "L792H", "G796S", "E709K", "L747P"}
)  # fmt: skip
_NOT_GENES: Final = frozenset(
    {"NGS", "IHC", "FISH", "PCR", "MRI", "CT", "PET", "CR", "PR", "SD", "PD", "CNS", "WBRT",
     "SRT", "SRS", "TKI", "TKIS", "NSCLC", "SCLC", "DNA", "RNA", "ECOG", "PS", "OS", "PFS",
     "ORR", "LUAD", "AJCC", "TNM", "II", "III", "IV", "IVA", "IVB", "GY", "MG", "CSF", "CTDNA"}
)  # fmt: skip

_HEDGE: Final = re.compile(
    r"(?i)\b(?:suspicious|suspected|suspicion|possible|possibly|probable|probably|likely"
    r"|may|might|could|cannot be (?:excluded|ruled out)|equivocal|indeterminate|unclear"
    r"|if|whether|would|should)\b"
)
_NEGATIVE: Final = re.compile(
    r"(?i)(?:\bnegative\b|\bnot\b|\bundetect\w*|\babsen(?:t|ce\s+of)\b|\bno\s+evidence\s+of\b"
    r"|\bwild[- ]?type\b|\bno\b|\bwithout\b|\bnor\b|\bneither\b|\bdisappear\w*"
    r"|\bloss\s+of\b|\blost\b|\bno\s+longer\b|\bclear(?:ed|ance)\b)"
)
_POSITIVE: Final = re.compile(
    r"(?i)\b(?:positive|detected|detection|reveal\w*|demonstrat\w*|show\w*|identif\w*"
    r"|harbou?r\w*|confirm\w*|found|presence|emerg\w*|acquired|carr(?:y|ies|ied|ying)"
    r"|positivity|maintain\w*|retain\w*|persist\w*|mutated|mutant)\b"
)
_WITH: Final = re.compile(r"(?i)\bwith\s+(?:an?\s+|the\s+)?$")
_NEW: Final = re.compile(
    r"(?i)\b(?:newly\s+(?:emerged|emergent|acquired|detected|identified|developed)|new(?:ly)?"
    r"|acquired|emerging|emergent|novel)\s+(?:\w+\s+){0,2}$"
)
_CLAUSE_BREAK: Final = re.compile(r"(?i);|\bbut\b|\bwhereas\b|\bwhile\b|\balthough\b|\bhowever\b")
_BARE_DRIVER: Final = re.compile(
    r"\b(?P<gene>ALK|ROS1|RET|NTRK[123])\s+(?:was|were|is|tested|returned)\s+(?:also\s+)?"
    r"(?P<result>negative|positive)\b(?P<tail>[^.;]*)"
)
_METHODS: Final[tuple[tuple[Method, re.Pattern[str]], ...]] = (
    ("ngs", re.compile(r"(?i)\b(?:NGS|next[- ]generation\s+sequencing|sequencing|Oncomine"
                       r"|FoundationOne|Guardant\s?360|gene\s+panel|genomic\s+profiling)\b")),
    ("pcr", re.compile(r"(?i)\b(?:\w*PCR|ARMS|cobas)\b")),
    ("ihc", re.compile(r"(?i)\b(?:IHC|immunohistochemi\w*|immunostain\w*)\b")),
    ("fish", re.compile(r"(?i)\b(?:FISH|fluorescen\w+\s+in\s+situ\s+hybridi[sz]ation)\b")),
)  # fmt: skip


def methods_in(text: str) -> list[tuple[Method, re.Match[str]]]:
    """The test methods a text names, in order of appearance."""
    found = [(name, m) for name, rx in _METHODS for m in rx.finditer(text)]
    return sorted(found, key=lambda x: x[1].start())


def _is_gene_start(piece: str) -> bool:
    p = piece.rstrip(".:")
    if p.upper() in _NOT_GENES or not p.isupper() or len(p) < 2:
        return False
    head = re.split(r"::|-|/", p)[0]
    return genes.is_known(head) or p in _EGFR_HOTSPOTS


_GLUED_GENE: Final = re.compile(r"^([A-Z][A-Z0-9]{1,9})-(?=[A-Za-z]{0,3}\d)")


def _parse(window: str) -> AnyAlteration | None:
    """The alteration ``window`` names; ``EGFR-T790M`` is read as ``EGFR T790M``."""
    for text in (window, _GLUED_GENE.sub(r"\1 ", window)):
        try:
            return parse_alteration(text)
        except ParseError:
            continue
    return None


def _bare_hotspot(piece: str) -> AnyAlteration | None:
    p = piece.rstrip(".,")
    if p.removeprefix("p.") not in _EGFR_HOTSPOTS:
        return None
    try:
        return try_parse_variant(p, "EGFR")
    except ParseError:
        return None


def _clause(sentence: str, at: int, end: int) -> tuple[int, int]:
    """The clause around [at, end): bounded by the sentence and by ';', 'but', 'while'..."""
    lo, hi = 0, len(sentence)
    for m in _CLAUSE_BREAK.finditer(sentence):
        if m.end() <= at:
            lo = m.end()
        elif m.start() >= end:
            hi = m.start()
            break
    return lo, hi


def _status(
    s: Sentence, start: int, end: int, others: list[tuple[int, int]]
) -> tuple[Status | None, Span | None]:
    """The status the nearest cue in the mention's clause gives. A cue before a list of
    mentions holds for each ("positive for A as well as B", "negative for A and B"), unless a
    cue of the other sense comes before it: in "showed A, loss of B and C", C is left
    without a status (it may be shown or lost)."""
    lo, hi = _clause(s.text, start, end)
    cues: list[tuple[int, Status, re.Match[str]]] = []
    senses: tuple[tuple[Status, re.Pattern[str]], ...] = (
        ("not_detected", _NEGATIVE),
        ("detected", _POSITIVE),
    )
    for status, rx in senses:
        for m in rx.finditer(s.text, lo, hi):
            if not start <= m.start() < end:
                dist = start - m.end() if m.end() <= start else m.start() - end
                cues.append((dist, status, m))
    if not cues:
        w = _WITH.search(s.text, lo, start)
        return ("detected", s.match_span(w)) if w else (None, None)
    _, status, m = min(cues, key=lambda c: c[0])
    if m.end() <= start and any(m.end() <= a and b <= start for a, b in others):
        earlier = [c for c in cues if c[2].end() <= m.start() and c[1] != status]
        if earlier:
            return None, None
    return status, s.match_span(m)


def find_mentions(s: Sentence) -> list[Mention]:
    """Every alteration the sentence names, left to right, with its status when it says one."""
    if _HEDGE.search(s.text):
        return []
    pieces = list(_PIECE.finditer(s.text))
    found: list[tuple[int, int, AnyAlteration]] = []
    i = 0
    while i < len(pieces):
        piece = pieces[i].group(0)
        hit: tuple[int, int, AnyAlteration] | None = None
        if _is_gene_start(piece) or _SHORTHAND_START.match(piece):
            for j in range(min(len(pieces), i + _MAX_PIECES) - 1, i - 1, -1):
                start, end = pieces[i].start(), pieces[j].end()
                window = s.text[start:end].rstrip(".:")
                alt = _parse(window)
                if alt is not None:
                    hit = (start, start + len(window), alt)
                    i = j
                    break
        if hit is None and (alt := _bare_hotspot(piece)) is not None:
            start = pieces[i].start()
            hit = (start, start + len(piece.rstrip(".,")), alt)
        if hit is not None:
            found.append(hit)
        i += 1
    mentions: list[Mention] = []
    spans = [(a, b) for a, b, _ in found]
    for a, b, alt in found:
        status, cue = _status(s, a, b, [x for x in spans if x != (a, b)])
        new = _NEW.search(s.text[max(0, a - 40) : a]) if status == "detected" else None
        new_span = s.span(a - 40 + new.start() if a >= 40 else new.start(), b) if new else None
        mentions.append(Mention(alt, s.span(a, b), status, cue, None, new_span))
    mentions.extend(_bare_drivers(s, spans))
    return sorted(mentions, key=lambda m: m.span.start)


def _bare_drivers(s: Sentence, taken: list[tuple[int, int]]) -> list[Mention]:
    """``ALK was negative by both NGS and IHC``: one finding per method named."""
    out: list[Mention] = []
    for m in _BARE_DRIVER.finditer(s.text):
        if any(a <= m.start("gene") < b for a, b in taken):
            continue
        gene = m["gene"]
        status: Status = "detected" if m["result"] == "positive" else "not_detected"
        named = methods_in(m["tail"]) or methods_in(s.text)
        for method in dict.fromkeys(name for name, _ in named):
            alt: AnyAlteration | None
            if method == "ihc":
                # an IHC result is its own call: detected, positive or negative
                alt = Expression(
                    marker=gene, result="positive" if status == "detected" else "negative"
                )
                out.append(Mention(alt, s.match_span(m, "gene"), "detected",
                                   s.match_span(m, "result"), method))  # fmt: skip
                continue
            elif method in ("ngs", "fish"):
                alt = _parse(f"{gene} fusion")
            else:
                alt = None
            if alt is not None:
                out.append(
                    Mention(alt, s.match_span(m, "gene"), status, s.match_span(m, "result"), method)
                )
    return out
