"""Gene fusions as sources write them, normalised to HGNC ``5'::3'``.

Writing: every fusion is formatted ``FIVE::THREE`` with the double colon that the HGNC
recommends for gene fusions (Bruford EA et al. HUGO Gene Nomenclature Committee (HGNC)
recommendations for the designation of gene fusions. Leukemia. 2021;35:3040-3043.
doi:10.1038/s41375-021-01436-6), which also notes that sources mostly write a hyphen or a slash.

Reading: ``EML4::ALK``, ``EML4-ALK``, ``EML4--ALK``, ``EML4/ALK``, ``EML4_ALK``, ``EML4:ALK``, an
en dash from PDF extraction, and stray spaces around the separator (``EML4- ALK``). Gene symbols
are resolved with :func:`tkiresist.nomenclature.genes.resolve`; symbols that contain a hyphen
(``NKX2-1``, ``HLA-A``) are found by trying every split of a hyphenated run and keeping the one
whose parts are both known HGNC symbols (longest known symbol first). If two different splits
both give two known symbols the text is refused as ambiguous; ``::`` never is.

Grammar (informal PEG)::

    report   := ws item (listsep (item | method))* ws END
    item     := short | pair | unknown, then (ws qualifier)*
    pair     := side sep side            side := GENE [exon]
    sep      := ws ("::" | "--" | dash | "/" | "_" | ":") ws
    exon     := ws "(" ["exon" ws] EXON ")" | ws "exon" ws EXON        EXON := 13, 6a, 6a/b
    short    := "E" EXON (";" | ":") "A" EXON                           EML4::ALK: E13;A20
    unknown  := GENE [exon] qualifier+     ALK rearrangement, ALK positive by IHC, ALK-rearranged
    qualifier:= "fusion" | "rearrangement" | "rearranged" | "translocation" | "positive" | "+"
              | "in-frame" | "out-of-frame" | variant | short | method | "(" qualifier, ... ")"
    variant  := ("v" | "variant" | "var") ws NAME                        v1, v2, v3a/b
    method   := ["by"] METHOD ((ws ("+" | "and" | "/" | ",") ws) METHOD)*
    METHOD   := IHC | FISH | break-apart | NGS | RNA | RNA-seq | RT-PCR | ...
    listsep  := ws ("," | ";" | "+" | "&" | "and") ws

Orientation. Which gene is 3' is decided by knowledge, not by the order written: the kinases
and ligands below are fused as the 3' partner, keeping their kinase (or EGF-like) domain, while
the 5' partner brings the promoter and an oligomerisation domain (Tabbò F et al. Oncogenic kinase
fusions: an evolving arena with innovative clinical opportunities. Oncotarget. 2016;7:
25064-25086. doi:10.18632/oncotarget.7853). When such a gene is written first and its partner
is not one of them, the two are swapped and ``order_corrected`` is set:

* ALK, RET, ROS1, NTRK1, NTRK2, NTRK3, BRAF, MET: 3' kinase partners. For ALK see the
  discovery of EML4::ALK (Soda M et al. Identification of the transforming EML4-ALK
  fusion gene in non-small-cell lung cancer. Nature. 2007;448(7153). doi:10.1038/nature05945).
* NRG1: 3' ligand partner (CD74::NRG1 brings NRG1's EGF-like domain; Fernandez-Cuesta L et al.
  CD74-NRG1 fusions in lung adenocarcinoma. Cancer Discov. 2014;4:415-422.
  doi:10.1158/2159-8290.CD-13-0633).
* FGFR1, FGFR2, FGFR3: the FGFR kinase usually sits at the 5' end (FGFR3::TACC3, FGFR1::TACC1;
  Singh D et al. Transforming fusions of FGFR and TACC genes in human glioblastoma. Science.
  2012;337:1231-1235. doi:10.1126/science.1220834). Decision: ``TACC1``/``TACC3`` written first
  are swapped behind FGFR; with any other partner the written order is kept, because FGFR
  fusions with FGFR at the 3' end are also reported and we hold no partner table to tell them
  apart.
* Two genes of the same group, or none: the written order is kept.

Named EML4::ALK variants (only for EML4::ALK): v1 = E13;A20, v2 = E20;A20 (Soda 2007; Choi YL
et al. Identification of novel isoforms of the EML4-ALK transforming gene in non-small cell lung
cancer. Cancer Res. 2008. doi:10.1158/0008-5472.CAN-07-6158, PMID 18593892, which
names the intron 13 and intron 20 breakpoints variants 1 and 2), v3a = E6a;A20 and v3b = E6b;A20
(Choi 2008: EML4 exon 6 joined to ALK exon 20, v3b with 33 bp of intron 6), reviewed in Sabir SR
et al. EML4-ALK variants: biological and molecular properties, and the implications for
patients. Cancers. 2017;9:118. doi:10.3390/cancers9090118. A variant and exons written together
must agree; either fills in the other. ``v3`` is read as ``v3a/b``.

A partner-unknown form (``ALK rearrangement``, ``ALK positive by IHC``, ``ALK FISH break-apart
positive``) is a :class:`Fusion` with ``five_prime=None``. The method a text names (IHC, FISH,
NGS, RNA, RT-PCR) is kept on the :class:`FusionReport`, joined with ``+`` when there are several.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal

from pydantic import Field

from tkiresist.errors import Location, ParseError
from tkiresist.model.alterations import Fusion
from tkiresist.model.base import Value
from tkiresist.nomenclature import genes
from tkiresist.nomenclature._scanner import DASHES, Scanner, build, parse_or_none

__all__ = [
    "EML4_ALK_VARIANTS",
    "FGFR_GENES",
    "FGFR_THREE_PRIME_PARTNERS",
    "GERMLINE_SV_STATUS",
    "THREE_PRIME_GENES",
    "FusionReport",
    "SvPair",
    "format_fusion",
    "format_fusions",
    "orient",
    "parse_fusion",
    "parse_fusions",
    "sv_pair",
    "try_parse_fusions",
]

THREE_PRIME_GENES: Final = frozenset(
    {"ALK", "RET", "ROS1", "NTRK1", "NTRK2", "NTRK3", "BRAF", "RAF1", "MET", "NRG1"}
)
"""Genes that are the 3' partner of their fusions whatever the order written."""

FGFR_GENES: Final = frozenset({"FGFR1", "FGFR2", "FGFR3"})
FGFR_THREE_PRIME_PARTNERS: Final = frozenset({"TACC1", "TACC3"})
"""Partners known to sit 3' of an FGFR kinase (Singh 2012)."""

EML4_ALK_VARIANTS: Final = MappingProxyType(
    {
        "v1": ("13", "20"),
        "v2": ("20", "20"),
        "v3a": ("6a", "20"),
        "v3b": ("6b", "20"),
        "v3a/b": ("6a/b", "20"),
    }
)
"""Named EML4::ALK variants and their (EML4 exon, ALK exon) breakpoints; see the docstring."""

_VARIANT_BY_EXONS: Final = MappingProxyType(
    {exons: name for name, exons in EML4_ALK_VARIANTS.items()} | {("6", "20"): "v3a/b"}
)

_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_PART_RE = re.compile(r"[A-Za-z0-9]+")
_EXON_RE = re.compile(r"[0-9]{1,3}[a-z]?(?:/[a-z])?(?![A-Za-z0-9])")
_SHORT_RE = re.compile(
    r"E([0-9]{1,3}[a-z]?(?:/[a-z])?)[ \t]?[;:][ \t]?A([0-9]{1,3}[a-z]?)(?![A-Za-z0-9])"
)
_VARIANT_RE = re.compile(
    r"(?:variant|var\.?|v)[ \t]?([0-9]{1,2}[a-z]?(?:/[a-z])?)(?![A-Za-z0-9])", re.IGNORECASE
)
_SEPARATORS: Final = ("::", "--", "/", "_", ":")
_KEYWORDS: Final[tuple[tuple[str, str], ...]] = (
    ("fusions", "fusion"),
    ("fusion", "fusion"),
    ("rearrangements", "fusion"),
    ("rearrangement", "fusion"),
    ("rearranged", "fusion"),
    ("translocations", "fusion"),
    ("translocation", "fusion"),
    ("translocated", "fusion"),
    ("positive", "positive"),
    ("detected", "positive"),
    ("gene", "noise"),
    ("transcript", "noise"),
)
_FRAME: Final[tuple[tuple[str, bool], ...]] = (
    ("in-frame", True),
    ("in frame", True),
    ("inframe", True),
    ("out-of-frame", False),
    ("out of frame", False),
)
_METHODS: Final[tuple[tuple[str, str], ...]] = (
    ("immunohistochemistry", "IHC"),
    ("IHC", "IHC"),
    ("fluorescence in situ hybridization", "FISH"),
    ("FISH", "FISH"),
    ("break-apart", "FISH"),
    ("break apart", "FISH"),
    ("next-generation sequencing", "NGS"),
    ("DNA NGS", "NGS"),
    ("DNA-NGS", "NGS"),
    ("NGS", "NGS"),
    ("RNA-seq", "RNA"),
    ("RNAseq", "RNA"),
    ("RNA NGS", "RNA"),
    ("RNA-NGS", "RNA"),
    ("RNA", "RNA"),
    ("RT-PCR", "RT-PCR"),
)
_KEYWORD_HINT = "a word such as 'fusion', 'rearranged' or 'positive'"


class FusionReport(Value):
    """One text's fusions, the method it names, and whether any order was corrected."""

    fusions: tuple[Fusion, ...] = Field(min_length=1)
    method: str | None = Field(default=None, description="IHC, FISH, NGS, RNA, RT-PCR; '+'-joined")
    order_corrected: bool = False


@dataclass(frozen=True, slots=True)
class SvPair:
    """What a structural-variant row's two sites (approved symbols, or None) mean: the one
    policy of every table reader (``add-test``'s cBioPortal SV reader, ``annotate``, ``cohort``).

    ``kind``: ``fusion`` (two genes, oriented by knowledge; or one gene that is a 3' fusion
    partner, the other partner not given), ``intragenic`` (both sites in one gene: not a
    fusion), ``one_gene`` (one gene that is not a 3' partner: not a fusion) or ``none``."""

    kind: Literal["fusion", "intragenic", "one_gene", "none"]
    fusion: Fusion | None = None
    gene: str | None = None

    @property
    def reason(self) -> str | None:
        if self.kind == "intragenic":
            return f"both sites in {self.gene}: an intragenic rearrangement, not a fusion"
        if self.kind == "one_gene":
            return (
                f"one gene only ({self.gene}), not a kinase known as a 3' fusion partner: "
                "not a fusion"
            )
        if self.kind == "none":
            return "no gene at either site"
        return None


def sv_pair(site1: str | None, site2: str | None) -> SvPair:
    """The meaning of an SV row with genes ``site1`` and ``site2`` (see :class:`SvPair`)."""
    genes = [g for g in (site1, site2) if g]
    if not genes:
        return SvPair("none")
    if len(genes) == 1:
        gene = genes[0]
        if gene in THREE_PRIME_GENES:
            return SvPair("fusion", Fusion(three_prime=gene), gene)
        return SvPair("one_gene", None, gene)
    if genes[0] == genes[1]:
        return SvPair("intragenic", None, genes[0])
    five, three, swapped = orient(genes[0], genes[1])
    return SvPair(
        "fusion", Fusion(five_prime=five, three_prime=three, order_corrected=swapped), three
    )


GERMLINE_SV_STATUS: Final = "GERMLINE"
"""cBioPortal ``SV_Status`` of a germline event: not a tumour alteration, left out."""


def orient(five: str, three: str) -> tuple[str, str, bool]:
    """Put the 3'-partner gene last; the flag says whether the written order was swapped."""
    if five in THREE_PRIME_GENES and three not in THREE_PRIME_GENES:
        return three, five, True
    if five in FGFR_THREE_PRIME_PARTNERS and three in FGFR_GENES:
        return three, five, True
    return five, three, False


@dataclass(slots=True)
class _Item:
    at: int
    five: str | None = None
    three: str = ""
    five_exon: str | None = None
    three_exon: str | None = None
    variant: str | None = None
    variant_at: int = 0
    in_frame: bool | None = None
    saw_keyword: bool = False
    short_at: int | None = None
    short_exons: tuple[str, str] | None = None


@dataclass(slots=True)
class _State:
    methods: list[str] = field(default_factory=list)


class _FusionGrammar:
    def __init__(self, text: str, location: Location | None) -> None:
        self.sc = Scanner(text, "fusion", location)
        self.state = _State()

    # -- entry --------------------------------------------------------------------------------
    def parse(self) -> FusionReport:
        sc = self.sc
        sc.ws()
        items: list[_Item] = []
        first = self._item()
        if first is None:
            raise sc.error()
        items.append(first)
        while True:
            mark = sc.pos
            if self._listsep():
                nxt = sc.attempt(self._item)
                if nxt is not None:
                    items.append(nxt)
                    continue
                sc.ws()
                if sc.attempt(self._methods) is not None:
                    continue
            sc.pos = mark
            break
        if not sc.expect_end():
            raise sc.error()
        fusions = tuple(self._finish(item) for item in items)
        methods = list(dict.fromkeys(self.state.methods))
        return build(
            FusionReport,
            sc,
            0,
            fusions=fusions,
            method="+".join(methods) if methods else None,
            order_corrected=any(f.order_corrected for f in fusions),
        )

    # -- items --------------------------------------------------------------------------------
    def _item(self) -> _Item | None:
        sc = self.sc
        start = sc.pos
        for rule in (self._short_item, self._pair, self._unknown_partner):
            sc.pos = start
            item = rule()
            if item is not None:
                return item
        sc.pos = start
        return None

    def _short_item(self) -> _Item | None:
        sc = self.sc
        at = sc.pos
        m = sc.rx(_SHORT_RE, "an exon code such as E13;A20")
        if m is None:
            return None
        sc.commit()
        item = _Item(at=at, five="EML4", three="ALK")
        item.short_at, item.short_exons = at, (m.group(1), m.group(2))
        self._qualifiers(item)
        return item

    def _pair(self) -> _Item | None:
        sc = self.sc
        start = sc.pos
        found: list[tuple[int, bool, _Item]] = []
        for end1, g1 in self._gene_candidates("a 5' gene symbol"):
            sc.pos = end1
            ex1 = sc.attempt(self._exon)
            if sc.attempt(self._sep) is None:
                continue
            gene2_at = sc.pos
            for end2, g2 in self._gene_candidates("a 3' gene symbol"):
                sc.pos = end2
                item = _Item(at=start, five=self._resolve(g1, start))
                item.three = self._resolve(g2, gene2_at)
                item.five_exon = ex1
                item.three_exon = sc.attempt(self._exon)
                boundary = not (sc.peek() and sc.peek() in DASHES)
                found.append((sc.pos, boundary, item))
                break
        if not found:
            sc.pos = start
            return None
        sc.commit()  # two known gene symbols joined by a separator
        at_boundary = [f for f in found if f[1]] or found[:1]
        splits = {(f[2].five, f[2].three) for f in at_boundary}
        if len(splits) > 1:
            names = " or ".join(f"{a}::{b}" for a, b in sorted(splits, key=str))
            raise sc.error_at(start, f"one way to split the genes, not {names}; write '::'")
        end, _, item = at_boundary[0]
        sc.pos = end
        self._qualifiers(item)
        return item

    def _unknown_partner(self) -> _Item | None:
        """``ALK rearrangement``: one gene, then at least one fusion word or method."""
        sc = self.sc
        start = sc.pos
        for end, gene in self._gene_candidates("a gene symbol"):
            sc.pos = end
            item = _Item(at=start, three=self._resolve(gene, start))
            methods_before = len(self.state.methods)
            item.three_exon = sc.attempt(self._exon)
            n = self._qualifiers(item, attached=True)
            if n and (item.saw_keyword or len(self.state.methods) > methods_before):
                return item
            del self.state.methods[methods_before:]
            sc.expect(f"a fusion partner after '-' or {_KEYWORD_HINT}")
        sc.pos = start
        return None

    # -- pieces -------------------------------------------------------------------------------
    def _gene_candidates(self, what: str) -> list[tuple[int, str]]:
        """Known symbols starting here, longest hyphenated run first: (end, symbol)."""
        sc = self.sc
        m = _WORD_RE.match(sc.text, sc.pos)
        if m is None:
            sc.expect(what)
            return []
        runs = [(m.end(), m.group())]
        end = m.end()
        while sc.text[end : end + 1] and sc.text[end] in DASHES:
            part = _PART_RE.match(sc.text, end + 1)
            if part is None:
                break
            runs.append((part.end(), runs[-1][1] + "-" + part.group()))
            end = part.end()
        known = [(e, g) for e, g in reversed(runs) if genes.is_known(g)]
        if not known:
            sc.expect(f"{what} (not an HGNC symbol: {m.group()!r})")
        return known

    def _resolve(self, symbol: str, at: int) -> str:
        try:
            return genes.resolve(symbol)
        except ParseError as exc:  # pragma: no cover - candidates are known symbols
            raise self.sc.error_at(at, f"an HGNC gene symbol ({exc.message})") from None

    def _sep(self) -> str | None:
        sc = self.sc
        sc.ws()
        for s in _SEPARATORS:
            if sc.lit(s, expected=""):
                sc.ws()
                return "::" if s == "::" else s
        if sc.dash():
            sc.ws()
            return "-"
        sc.expect("a fusion separator such as '::' or '-'")
        return None

    def _exon(self) -> str | None:
        sc = self.sc
        sc.ws()
        if sc.lit("("):
            sc.ws()
            if sc.lit("exon", ci=True, expected="") or sc.lit("ex", ci=True, expected=""):
                sc.ws()
            m = sc.rx(_EXON_RE, "an exon number")
            sc.ws()
            if m is None or not sc.lit(")"):
                return None
            return m.group()
        if sc.word("exon", expected="'exon' and its number"):
            sc.ws()
            m = sc.rx(_EXON_RE, "an exon number")
            return m.group() if m else None
        return None

    def _listsep(self) -> bool:
        sc = self.sc
        sc.ws()
        for s in (",", ";", "+", "&"):
            if sc.lit(s, expected=""):
                sc.ws()
                return True
        if sc.word("and", expected=""):
            sc.ws()
            return True
        sc.expect("',' or ';' between fusions")
        return False

    def _qualifiers(self, item: _Item, *, attached: bool = False) -> int:
        """Words after an item; ``attached`` lets the first one hang on a dash (ALK-rearranged)."""
        sc = self.sc
        n = 0
        while True:
            mark = sc.pos
            spaced = sc.ws()
            if attached and n == 0 and not spaced and sc.dash():
                spaced = True
            if not spaced and n == 0 and sc.peek() not in ("(", "+"):
                sc.pos = mark
                if sc.at_end():
                    sc.expect(f"{_KEYWORD_HINT}, or a fusion partner")
                return n
            if self._qualifier(item):
                n += 1
                continue
            sc.pos = mark
            return n

    def _qualifier(self, item: _Item) -> bool:
        sc = self.sc
        if sc.lit("("):
            sc.ws()
            if not self._qualifier(item):
                return False
            while True:
                mark = sc.pos
                sc.ws()
                if sc.lit(",", expected="") or sc.lit(";", expected="") or sc.ws():
                    sc.ws()
                    if self._qualifier(item):
                        continue
                sc.pos = mark
                break
            sc.ws()
            return sc.lit(")", expected="')'")
        at = sc.pos
        m = _SHORT_RE.match(sc.text, sc.pos)
        if m is not None:
            sc.pos = m.end()
            sc.commit()
            item.short_at, item.short_exons = at, (m.group(1), m.group(2))
            return True
        m = _VARIANT_RE.match(sc.text, sc.pos)
        if m is not None:
            sc.pos = m.end()
            item.variant, item.variant_at = _variant_name(m.group(1)), at
            return True
        for word, meaning in _KEYWORDS:
            if sc.word(word, expected=""):
                if meaning == "fusion":
                    sc.commit()
                item.saw_keyword = item.saw_keyword or meaning != "noise"
                return True
        for words, in_frame in _FRAME:
            if sc.word(words, expected=""):
                item.in_frame = in_frame
                return True
        if sc.peek() == "+":
            after = sc.text[sc.pos + 1 :].lstrip()
            if not after or after[0] in "),;":
                sc.pos += 1
                item.saw_keyword = True
                return True
        if sc.attempt(self._methods) is not None:
            return True
        sc.expect(_KEYWORD_HINT + ", a variant (v1), exons (E13;A20) or a method (IHC, FISH, NGS)")
        return False

    def _methods(self) -> bool | None:
        sc = self.sc
        mark = sc.pos
        if sc.word("by", expected="") or sc.word("via", expected=""):
            sc.ws()
        if not self._method():
            sc.pos = mark
            return None
        while True:
            m2 = sc.pos
            sc.ws()
            if sc.lit("+", expected="") or sc.lit("/", expected="") or sc.word("and", expected=""):
                sc.ws()
                if self._method():
                    continue
            sc.pos = m2
            return True

    def _method(self) -> bool:
        sc = self.sc
        for word, name in _METHODS:
            if sc.word(word, ci=True, expected=""):
                self.state.methods.append(name)
                return True
        return False

    # -- values -------------------------------------------------------------------------------
    def _finish(self, item: _Item) -> Fusion:
        sc = self.sc
        five, three = item.five, item.three
        five_exon, three_exon = item.five_exon, item.three_exon
        if five == three:
            raise sc.error_at(item.at, f"two different genes; both names resolve to {three}")
        corrected = False
        if five is not None:
            oriented = orient(five, three)
            if oriented[2]:
                five, three, corrected = oriented
                five_exon, three_exon = three_exon, five_exon
        variant = item.variant
        if item.short_exons is not None:
            if (five, three) != ("EML4", "ALK"):
                shown = f"{five}::{three}" if five else f"{three} (partner unknown)"
                raise sc.error_at(
                    item.short_at or item.at, f"E/A exon codes only for EML4::ALK, not {shown}"
                )
            five_exon = _agree(sc, five_exon, item.short_exons[0], item.short_at or 0)
            three_exon = _agree(sc, three_exon, item.short_exons[1], item.short_at or 0)
        if (five, three) == ("EML4", "ALK"):
            if variant is not None:
                canon = EML4_ALK_VARIANTS.get(variant)
                if canon is None:
                    known = ", ".join(EML4_ALK_VARIANTS)
                    raise sc.error_at(item.variant_at, f"a named EML4::ALK variant ({known})")
                for written, expected in ((five_exon, canon[0]), (three_exon, canon[1])):
                    if written is not None and not _compatible(written, expected):
                        raise sc.error_at(
                            item.variant_at,
                            f"exons matching {variant} (E{canon[0]};A{canon[1]}), "
                            f"not E{five_exon};A{three_exon}",
                        )
                five_exon = five_exon or canon[0]
                three_exon = three_exon or canon[1]
            elif five_exon is not None and three_exon is not None:
                variant = _VARIANT_BY_EXONS.get((five_exon, three_exon))
        elif variant is not None:
            raise sc.error_at(
                item.variant_at, "no variant name: named variants are defined only for EML4::ALK"
            )
        return build(
            Fusion,
            sc,
            item.at,
            five_prime=five,
            three_prime=three,
            five_prime_exon=five_exon,
            three_prime_exon=three_exon,
            variant=variant,
            order_corrected=corrected,
            in_frame=item.in_frame,
        )


def _variant_name(raw: str) -> str:
    name = "v" + raw.lower()
    return "v3a/b" if name == "v3" else name


def _compatible(written: str, canonical: str) -> bool:
    if written == canonical:
        return True
    digits = re.match(r"[0-9]+", canonical)
    if digits is not None and written == digits.group():
        return True
    return canonical == "6a/b" and written in ("6a", "6b")


def _agree(sc: Scanner, written: str | None, coded: str, at: int) -> str:
    if written is not None and written != coded:
        raise sc.error_at(at, f"the same exon as written before ({written}), not {coded}")
    return coded


def parse_fusions(text: str, location: Location | None = None) -> FusionReport:
    """Parse one or more fusions (``EML4- ALK, STRN-ALK``) with the method the text names."""
    return _FusionGrammar(text, location).parse()


def try_parse_fusions(text: str, location: Location | None = None) -> FusionReport | None:
    """Like :func:`parse_fusions`, but None when the text does not look like a fusion at all."""
    return parse_or_none(_FusionGrammar(text, location))


def parse_fusion(text: str, location: Location | None = None) -> Fusion:
    """Parse exactly one fusion."""
    report = parse_fusions(text, location)
    if len(report.fusions) != 1:
        names = ", ".join(f.name for f in report.fusions)
        sc = Scanner(text, "fusion", location)
        raise sc.error_at(0, f"exactly one fusion, found {len(report.fusions)} ({names})")
    return report.fusions[0]


def format_fusion(f: Fusion) -> str:
    """``EML4::ALK``, ``EML4 exon 13::ALK exon 20 v1``, ``ALK fusion`` (partner unknown)."""
    three = f.three_prime + (f" exon {f.three_prime_exon}" if f.three_prime_exon else "")
    if f.five_prime is None:
        out = f"{three} fusion"
    else:
        five = f.five_prime + (f" exon {f.five_prime_exon}" if f.five_prime_exon else "")
        out = f"{five}::{three}"
        if f.variant:
            out += f" {f.variant}"
    if f.in_frame is not None:
        out += " in-frame" if f.in_frame else " out-of-frame"
    return out


def format_fusions(report: FusionReport) -> str:
    """All fusions of a report, ``; ``-separated, with ``by METHOD`` when one is known."""
    out = "; ".join(format_fusion(f) for f in report.fusions)
    return f"{out} by {report.method}" if report.method else out
