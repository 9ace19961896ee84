"""Copy-number changes as sources write them: ``MET amplification (MET/CEP7 ratio 2.5)``.

Grammar (informal PEG; ``ws`` optional whitespace)::

    cn       := ws [genes (ws | dash)] change [measures] [ws method] ws END
    genes    := GENE [ws "/" ws GENE]          ERBB2/HER2: both must name the same gene
    change   := amplification | amplified | amp | copy number gain | gain
              | copy number loss | loss | homozygous deletion | deep deletion | deletion | del
    measures := ws "(" measure ((";" | ",") measure)* ")" | ("," ws | ws) measure ...
    measure  := ("GCN" | "gene copy number" | "copy number" | "CN") [":" | "="] NUMBER
              | NUMBER ("copies" | "copy")
              | [GENE ("/" | ":") "CEP" INT] ["ratio"] [":" | "="] NUMBER       (one of the two)
              | "log2" ["ratio"] [":" | "="] [-]NUMBER
              | method
    method   := ["by"] (FISH | NGS | ddPCR | qPCR | array CGH)

The change words map to the four kinds of :class:`~tkiresist.model.alterations.CopyNumber`:
amplification, gain, loss, deletion (homozygous or deep deletion is a deletion). A copy number,
a gene/centromere ratio and a log2 value are kept when given; the ratio's gene must be the
altered gene. The gene is resolved with :func:`tkiresist.nomenclature.genes.resolve`
(``HER2`` -> ``ERBB2``); when the text starts with the change word the caller's ``gene`` is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from tkiresist.errors import Location, ParseError
from tkiresist.model.alterations import CopyNumber, CopyNumberChange
from tkiresist.nomenclature import genes
from tkiresist.nomenclature._scanner import NUMBER_RE, Scanner, build, parse_or_none

__all__ = ["format_copy_number", "parse_copy_number", "try_parse_copy_number"]

_CHANGES: Final[tuple[tuple[str, CopyNumberChange], ...]] = (
    ("amplification", "amplification"),
    ("amplified", "amplification"),
    ("amp", "amplification"),
    ("copy number gain", "gain"),
    ("copy-number gain", "gain"),
    ("gain", "gain"),
    ("copy number loss", "loss"),
    ("copy-number loss", "loss"),
    ("loss", "loss"),
    ("homozygous deletion", "deletion"),
    ("deep deletion", "deletion"),
    ("deletion", "deletion"),
    ("deleted", "deletion"),
    ("del", "deletion"),
)
_METHODS: Final[tuple[tuple[str, str], ...]] = (
    ("FISH", "FISH"),
    ("NGS", "NGS"),
    ("ddPCR", "ddPCR"),
    ("qPCR", "qPCR"),
    ("array CGH", "array CGH"),
    ("aCGH", "array CGH"),
)
_CN_WORDS: Final = ("gene copy number", "copy number", "GCN", "CN")
_GENE_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
_CEP_RE = re.compile(r"CEP[0-9]{1,2}(?![0-9])", re.IGNORECASE)
_CHANGE_HINT = "a copy-number change (amplification, gain, loss or deletion)"


@dataclass(slots=True)
class _Measures:
    copy_number: float | None = None
    ratio: float | None = None
    log2: float | None = None
    method: str | None = None


class _CopyNumberGrammar:
    def __init__(self, text: str, gene: str | None, location: Location | None) -> None:
        self.sc = Scanner(text, "copy-number change", location)
        self.gene_arg = gene
        self.location = location

    def parse(self) -> CopyNumber:
        sc = self.sc
        sc.ws()
        start = sc.pos
        gene = sc.attempt(self._genes)
        if gene is not None:
            if not (sc.ws() or sc.dash()):
                sc.expect("a space after the gene")
                raise sc.error()
        else:
            sc.pos = start
        change_at = sc.pos
        change = self._change()
        if change is None:
            raise sc.error()
        sc.commit()
        if gene is None:
            if self.gene_arg is None:
                raise sc.error_at(change_at, "a gene before the change (e.g. 'MET amplification')")
            gene = genes.resolve(self.gene_arg, self.location)
        m = _Measures()
        self._measures(gene, m)
        if not sc.expect_end():
            raise sc.error()
        return build(
            CopyNumber,
            sc,
            start,
            gene=gene,
            change=change,
            copy_number=m.copy_number,
            ratio=m.ratio,
            log2=m.log2,
            method=m.method,
        )

    def _gene(self) -> str | None:
        """A gene symbol; in a hyphenated run (``MET-amplified``) the longest known prefix."""
        sc = self.sc
        at = sc.pos
        m = sc.rx(_GENE_RE, "a gene symbol")
        if m is None:
            return None
        parts = m.group().split("-")
        for k in range(len(parts), 0, -1):
            word = "-".join(parts[:k])
            if any(word.lower() == w.split()[0] for w, _ in _CHANGES):
                break
            if genes.is_known(word):
                sc.pos = at + len(word)
                return genes.resolve(word)
        sc.pos = at
        try:
            genes.lookup(parts[0])
        except ParseError as exc:
            sc.expect(f"a gene symbol ({exc.message})", at)
        return None

    def _genes(self) -> str | None:
        """``MET``, ``ERBB2/HER2`` (one gene under two names)."""
        sc = self.sc
        first = self._gene()
        if first is None:
            return None
        mark = sc.pos
        sc.ws()
        if sc.lit("/", expected=""):
            sc.ws()
            second_at = sc.pos
            second = self._gene()
            if second is None:
                return None
            if second != first:
                sc.commit()
                raise sc.error_at(second_at, f"another name of {first}, not {second}")
            return first
        sc.pos = mark
        return first

    def _change(self) -> CopyNumberChange | None:
        sc = self.sc
        for word, change in _CHANGES:
            if sc.word(word, ci=True, expected=""):
                return change
        sc.expect(_CHANGE_HINT)
        return None

    def _measures(self, gene: str, m: _Measures) -> None:
        sc = self.sc
        while True:
            mark = sc.pos
            spaced = sc.ws()
            if sc.lit("(", expected=""):
                sc.ws()
                if not self._measure(gene, m):
                    sc.pos = mark
                    return
                while True:
                    inner = sc.pos
                    sc.ws()
                    if sc.lit(";", expected="") or sc.lit(",", expected=""):
                        sc.ws()
                        if self._measure(gene, m):
                            continue
                    sc.pos = inner
                    break
                sc.ws()
                if not sc.lit(")", expected="')'"):
                    raise sc.error()
                continue
            sep = sc.lit(",", expected="") or sc.lit(";", expected="")
            if sep:
                sc.ws()
            if (spaced or sep) and self._measure(gene, m):
                continue
            sc.pos = mark
            return

    def _measure(self, gene: str, m: _Measures) -> bool:
        sc = self.sc
        at = sc.pos
        for word in _CN_WORDS:
            if sc.word(word, ci=True, expected=""):
                m.copy_number = self._value("a copy number")
                return m.copy_number is not None
        n = sc.attempt(lambda: self._copies())
        if n is not None:
            m.copy_number = n
            return True
        sc.pos = at
        if sc.word("log2", ci=True, expected=""):
            sc.ws()
            sc.word("ratio", ci=True, expected="")
            m.log2 = self._value("a log2 value", signed=True)
            return m.log2 is not None
        ratio = sc.attempt(lambda: self._ratio(gene))
        if ratio is not None:
            m.ratio = ratio
            return True
        sc.pos = at
        method = self._method()
        if method is not None:
            m.method = method
            return True
        sc.expect("a copy number (GCN 8), a ratio (MET/CEP7 ratio 2.5), log2 or a method", at)
        return False

    def _copies(self) -> float | None:
        sc = self.sc
        n = sc.number("a copy number")
        if n is None:
            return None
        sc.ws()
        if sc.one_of(("copies", "copy"), expected="'copies'") is None:
            return None
        return n

    def _ratio(self, gene: str) -> float | None:
        sc = self.sc
        named = False
        at = sc.pos
        g = sc.attempt(self._gene)
        if g is not None:
            sc.ws()
            if not (sc.lit("/", expected="") or sc.lit(":", expected="")):
                return None
            sc.ws()
            if sc.rx(_CEP_RE, "a centromere probe such as CEP7") is None:
                return None
            if g != gene:
                raise sc.error_at(at, f"a ratio of {gene}, not of {g}")
            named = True
            sc.ws()
        if not sc.word("ratio", ci=True, expected="'ratio'") and not named:
            return None
        return self._value("a ratio")

    def _value(self, what: str, *, signed: bool = False) -> float | None:
        sc = self.sc
        sc.ws()
        if sc.lit(":", expected="") or sc.lit("=", expected="") or sc.lit("of", expected=""):
            sc.ws()
        negative = signed and (sc.lit("-", expected="") or sc.lit("\u2212", expected=""))
        m = sc.rx(NUMBER_RE, what)
        if m is None:
            return None
        value = float(m.group())
        return -value if negative else value

    def _method(self) -> str | None:
        sc = self.sc
        mark = sc.pos
        if sc.word("by", expected="") or sc.word("via", expected=""):
            sc.ws()
        for word, name in _METHODS:
            if sc.word(word, ci=True, expected=""):
                return name
        sc.pos = mark
        return None


def parse_copy_number(
    text: str, gene: str | None = None, location: Location | None = None
) -> CopyNumber:
    """Parse a copy-number change: ``MET amp (GCN 8)``, ``ERBB2/HER2 amplification``..."""
    return _CopyNumberGrammar(text, gene, location).parse()


def try_parse_copy_number(
    text: str, gene: str | None = None, location: Location | None = None
) -> CopyNumber | None:
    """Like :func:`parse_copy_number`, but None when the text names no copy-number change."""
    return parse_or_none(_CopyNumberGrammar(text, gene, location))


def _num(x: float) -> str:
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def format_copy_number(c: CopyNumber) -> str:
    """``MET amplification (copy number 8; ratio 2.5) by FISH``; parses back to an equal value."""
    parts = []
    if c.copy_number is not None:
        parts.append(f"copy number {_num(c.copy_number)}")
    if c.ratio is not None:
        parts.append(f"ratio {_num(c.ratio)}")
    if c.log2 is not None:
        parts.append(f"log2 {_num(c.log2)}")
    out = f"{c.gene} {c.change}"
    if parts:
        out += " (" + "; ".join(parts) + ")"
    if c.method:
        out += f" by {c.method}"
    return out
