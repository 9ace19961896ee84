"""Sequence variants as sources write them: HGVS p. and c., and described exon regions.

Parsing turns text into :class:`~tkiresist.model.alterations.SequenceVariant` and
:class:`~tkiresist.model.alterations.ProteinChange` values, or raises
:class:`~tkiresist.errors.ParseError` naming the input, the 0-based character position and what
was expected there. The grammar (informal PEG: ordered choice, ``?`` optional, ``ws`` optional
whitespace) is::

    variant   := ws [gene (ws+ | ":") ws] body [ws "mutation"] ws END
               | gene ws+ ("mutation" | "mutated" | "alteration" | ...) ws END    TP53 mutation
               | GENE "ex" INT [effect]                      glued: METex14, EGFRex19del
    body      := region [ws "(" hgvs ")"]                     Exon 19 deletion (p.E746_A750del)
               | [exon_tag ws] hgvs [ws "(" exon_tag ")"]     exon 21 L858R, L858R (exon 21)
    exon_tag  := ("exon" | "ex") ws INT
    hgvs      := cdna [ws ("(" protein ")" | protein)] | protein [ws "(" cdna ")"]
    cdna      := [accession ":"] "c." cpos ["_" cpos] cedit
    protein   := [accession ":"] ["p."] ("(" pbody ")" | pbody)
    accession := (NM_|NP_|NR_|NC_|NG_|XM_|XP_) digits ["." version] ["(" gene ")"] | ENST/ENSP id
    pbody     := "del" ws residue INT ("_"|"-") residue INT                legacy delE746-A750
               | residue INT [("_"|"-") residue INT] pedit
    pedit     := "delins" residues | "del" [residues] | "dup" [residues] | "ins" residues
               | [residue] "fs" [("*"|"Ter") (INT|"?")] | [residue] "ext" [...] | residue
    region    := ("exon"|"ex") ws INT ws effect | INT ws effect | effect ws [("exon"|"ex") ws] INT
    effect    := deletion|del|insertion|ins|duplication|dup|skipping|skip|mutation|mut

Residues are one-letter (``L858R``) or three-letter (``Leu858Arg``), not mixed within one change;
``X``/``Xaa`` as the new residue means "any residue" (``G719X``); ``*``/``Ter`` is a stop.

Normalisation (what the values keep):

* ``p.``, the predicted-form parentheses ``p.(...)`` and three-letter codes are not kept: a
  :class:`ProteinChange` is the one-letter change. The accession is kept in
  ``SequenceVariant.reference`` (the c. accession when both are given).
* A frameshift keeps its position only (``L747Ffs*3`` becomes ``L747fs``) and an extension its
  position only: the model holds no new residue or stop distance for these edits.
* Deleted or duplicated residues/bases written after ``del``/``dup`` are checked against the
  range and then dropped (``E746_A750delELREA`` becomes ``E746_A750del``; ``c.2235_2249del15``
  becomes ``c.2235_2249del``).
* ``exon`` comes from the codon position through :func:`tkiresist.model.exons.exon_of`, never
  from the words: an exon written next to a change is checked against the position, and kept
  only when the gene's exon map cannot place the codon.

The gene: a variant names its gene (``EGFR L858R``), or the caller passes ``gene``. Only the
EGFR-only shorthands (exon 19 deletion and exon 20 insertion in any spelling: ``ex19del``,
``del19``, ``19del``, ``Exon 19 del``, ``ex20ins``...) default to EGFR; ERBB2 exon 20 insertions
must name ERBB2 (or HER2).

c. to p.: two EGFR hotspots are mapped from a small table, :data:`EGFR_CDNA_TO_PROTEIN`. Both
are ClinVar's preferred names on NM_005228.5, ``NM_005228.5(EGFR):c.2573T>G (p.Leu858Arg)`` and
``NM_005228.5(EGFR):c.2369C>T (p.Thr790Met)``, as quoted in public code (the ClinVar records were
not opened directly, so the source is marked *secondary* here). The codon arithmetic agrees:
c.2573 is the 2nd base of codon 858 (2573 = 3 x 857 + 2; CTG Leu to CGG Arg) and c.2369 is the
2nd base of codon 790 (2369 = 3 x 789 + 2; ACG Thr to ATG Met). Other c. changes stay unmapped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from tkiresist.errors import Location, ParseError
from tkiresist.model.alterations import (
    AMINO_ACIDS_1,
    AMINO_ACIDS_3,
    EditKind,
    ProteinChange,
    RegionEffect,
    SequenceVariant,
)
from tkiresist.model.exons import EXON_CODONS, exon_of
from tkiresist.nomenclature import genes
from tkiresist.nomenclature._scanner import DASHES, Scanner, build, parse_or_none

__all__ = [
    "EGFR_CDNA_TO_PROTEIN",
    "EGFR_DEFAULT_REGIONS",
    "format_protein_change",
    "format_variant",
    "parse_cdna",
    "parse_protein_change",
    "parse_variant",
    "try_parse_variant",
]

EGFR_CDNA_TO_PROTEIN: Final = MappingProxyType(
    {
        # ClinVar preferred name NM_005228.5(EGFR):c.2573T>G (p.Leu858Arg) [secondary]
        "c.2573T>G": ProteinChange(ref_start="L", start=858, edit="substitution", alt="R"),
        # ClinVar preferred name NM_005228.5(EGFR):c.2369C>T (p.Thr790Met) [secondary]
        "c.2369C>T": ProteinChange(ref_start="T", start=790, edit="substitution", alt="M"),
    }
)
"""EGFR c. changes (NM_005228.5) mapped to their protein change; see the module docstring."""

EGFR_DEFAULT_REGIONS: Final = frozenset({(19, "deletion"), (20, "insertion"), (20, "duplication")})
"""Described regions that mean EGFR when no gene is named (the EGFR-only shorthands)."""

# Which protein edits a described region effect admits when both are written.
_EFFECT_EDITS: Final[dict[str, frozenset[EditKind]]] = {
    "deletion": frozenset({"deletion", "delins"}),
    "insertion": frozenset({"insertion", "duplication", "delins"}),
    "duplication": frozenset({"duplication", "insertion"}),
}

_AA3_RE = re.compile("|".join(sorted(AMINO_ACIDS_3)))
_AA1: Final = frozenset(AMINO_ACIDS_1)
_ACCESSION_RE = re.compile(
    r"(?:(?:NM|NP|NR|NC|NG|XM|XP)_[0-9]{1,12}|ENS[TP][0-9]{11})(?:\.[0-9]{1,4})?(?![0-9A-Za-z])"
)
_PROTEIN_ACCESSION = ("NP_", "XP_", "ENSP")
_CPOS_RE = re.compile(r"[-*]?[0-9]{1,9}(?:[+-][0-9]{1,9})?(?![0-9])")
_BASES_RE = re.compile(r"[ACGT]{1,1000}")
_GENE_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
_GLUED_RE = re.compile(r"([A-Z][A-Z0-9]*?)[Ee][Xx](?=[0-9])")
_EFFECTS: Final[tuple[tuple[str, RegionEffect], ...]] = (
    ("deletion", "deletion"),
    ("del", "deletion"),
    ("insertion", "insertion"),
    ("ins", "insertion"),
    ("duplication", "duplication"),
    ("dup", "duplication"),
    ("skipping", "skipping"),
    ("skip", "skipping"),
    ("mutations", "mutation"),
    ("mutation", "mutation"),
    ("mut", "mutation"),
)
_RESIDUE = "an amino acid (one-letter such as L, or three-letter such as Leu)"
_GENE_NEEDED = "a gene symbol before the change (e.g. 'EGFR L858R'), or the gene argument"


# ---------------------------------------------------------------------------------------------
# Protein changes
# ---------------------------------------------------------------------------------------------


def _residue(sc: Scanner, style: int | None) -> tuple[str, int] | None:
    """One residue; ``style`` 1 or 3 restricts to one- or three-letter codes."""
    if style in (None, 3):
        m = _AA3_RE.match(sc.text, sc.pos)
        if m is not None:
            sc.pos = m.end()
            return AMINO_ACIDS_3[m.group()], 3
        if style == 3 and sc.peek() == "*":
            sc.pos += 1
            return "*", 3
    if style in (None, 1):
        ch = sc.peek()
        if ch and ch in _AA1:
            sc.pos += 1
            return ch, 1
    sc.expect(_RESIDUE)
    return None


def _residues(sc: Scanner, style: int) -> str | None:
    out: list[str] = []
    while True:
        start = sc.pos
        r = _residue(sc, style)
        if r is None:
            sc.pos = start
            break
        out.append(r[0])
    return "".join(out) or None


def _stop_tail(sc: Scanner) -> None:
    """Optional ``*3``, ``Ter3``, ``*?`` after fs/ext (not kept by the model)."""
    start = sc.pos
    if sc.lit("*") or sc.lit("Ter") or sc.lit("X"):
        sc.lit("-")
        if sc.integer("the stop distance") is None and not sc.lit("?"):
            sc.pos = start


def _check_listed(
    sc: Scanner, listed: str, ref1: str, ref2: str | None, n: int, at: int, what: str
) -> None:
    """Residues written after del/dup must fit the range they delete or duplicate."""
    if len(listed) != n or listed[0] != ref1 or (ref2 is not None and listed[-1] != ref2):
        raise sc.error_at(
            at, f"the {n} {what} residue(s) of the range, starting {ref1}, got {listed!r}"
        )


def _protein_body(sc: Scanner) -> ProteinChange | None:
    start = sc.pos
    legacy = sc.attempt(lambda: _legacy_deletion(sc))
    if legacy is not None:
        return legacy
    first = _residue(sc, None)
    if first is None:
        return None
    ref1, style = first
    p1 = sc.integer("a codon number")
    if p1 is None:
        return None
    sc.commit()
    if ref1 == "X":
        raise sc.error_at(start, "a specific reference amino acid, not X")
    ref2: str | None = None
    p2: int | None = None
    range_at = sc.pos
    if sc.lit("_") or (sc.peek() in DASHES and sc.peek() != "" and _residue_ahead(sc)):
        if sc.pos == range_at:
            sc.pos += 1  # the dash of a legacy E746-A750 range
        second = _residue(sc, style)
        if second is None:
            return None
        ref2 = second[0]
        p2 = sc.integer("the codon number ending the range")
        if p2 is None:
            return None
        if p2 <= p1:
            raise sc.error_at(range_at + 1, f"a range end after codon {p1}")
    return _protein_edit(sc, start, style, ref1, p1, ref2, p2)


def _residue_ahead(sc: Scanner) -> bool:
    nxt = sc.text[sc.pos + 1 : sc.pos + 2]
    return bool(nxt) and (nxt in _AA1 or _AA3_RE.match(sc.text, sc.pos + 1) is not None)


def _protein_edit(
    sc: Scanner, start: int, style: int, ref1: str, p1: int, ref2: str | None, p2: int | None
) -> ProteinChange | None:
    n = (p2 - p1 + 1) if p2 is not None else 1
    fields: dict[str, object] = {"ref_start": ref1, "start": p1, "ref_end": ref2, "end": p2}
    edit_at = sc.pos
    if sc.lit("delins", expected=""):
        alt = _residues(sc, style)
        if alt is None:
            return None
        return build(ProteinChange, sc, start, edit="delins", alt=alt, **fields)
    if sc.lit("del", expected=""):
        listed = _residues(sc, style)
        if listed is not None:
            _check_listed(sc, listed, ref1, ref2, n, edit_at + 3, "deleted")
        return build(ProteinChange, sc, start, edit="deletion", **fields)
    if sc.lit("dup", expected=""):
        listed = _residues(sc, style)
        if listed is not None:
            _check_listed(sc, listed, ref1, ref2, n, edit_at + 3, "duplicated")
        return build(ProteinChange, sc, start, edit="duplication", **fields)
    if sc.lit("ins", expected=""):
        alt = _residues(sc, style)
        if alt is None:
            return None
        if p2 is None or p2 != p1 + 1:
            raise sc.error_at(edit_at, "an insertion between two adjacent codons (A_Bins...)")
        return build(ProteinChange, sc, start, edit="insertion", alt=alt, **fields)
    if p2 is not None:
        sc.expect("an edit for the range: del, delins, ins or dup")
        return None
    if sc.peek() == "=":
        raise sc.error_at(sc.pos, "a change of residue (synonymous changes are not represented)")
    new = sc.attempt(lambda: _residue(sc, style))
    if sc.lit("fs", expected=""):
        _stop_tail(sc)
        return build(ProteinChange, sc, start, edit="frameshift", **fields)
    if sc.lit("ext", expected=""):
        _stop_tail(sc)
        return build(ProteinChange, sc, start, edit="extension", **fields)
    if new is None:
        sc.expect("an edit: a new amino acid, del, delins, dup, ins, fs or ext", edit_at)
        return None
    alt = new[0]
    if alt == ref1:
        raise sc.error_at(edit_at, f"a new residue other than {ref1} (synonymous is not a change)")
    return build(ProteinChange, sc, start, edit="substitution", alt=alt, **fields)


def _legacy_deletion(sc: Scanner) -> ProteinChange | None:
    """``delE746-A750`` / ``del E746_A750``: the deletion written before its range."""
    start = sc.pos
    if not sc.lit("del", expected="'del'"):
        return None
    sc.ws()
    first = _residue(sc, None)
    if first is None:
        return None
    p1 = sc.integer("a codon number")
    if p1 is None:
        return None
    if not (sc.lit("_") or sc.dash()):
        return None
    second = _residue(sc, first[1])
    p2 = sc.integer("the codon number ending the range") if second else None
    if second is None or p2 is None:
        return None
    sc.commit()
    if p2 <= p1:
        raise sc.error_at(start, f"a range end after codon {p1}")
    return build(
        ProteinChange,
        sc,
        start,
        ref_start=first[0],
        start=p1,
        ref_end=second[0],
        end=p2,
        edit="deletion",
    )


@dataclass(frozen=True, slots=True)
class _Accession:
    accession: str
    gene: str | None
    gene_at: int


def _accession(sc: Scanner) -> _Accession | None:
    m = sc.rx(_ACCESSION_RE, "a RefSeq or Ensembl accession")
    if m is None:
        return None
    gene: str | None = None
    gene_at = 0
    if sc.lit("("):
        gene_at = sc.pos
        g = sc.rx(_GENE_RE, "a gene symbol")
        if g is None or not sc.lit(")"):
            return None
        gene = g.group()
    if not sc.lit(":"):
        return None
    sc.commit()
    return _Accession(m.group(), gene, gene_at)


def _protein(sc: Scanner) -> tuple[ProteinChange, _Accession | None] | None:
    acc = sc.attempt(lambda: _accession(sc))
    if sc.lit("p."):
        sc.commit()
    elif acc is not None:
        sc.expect("'p.' or 'c.' after the accession")
        return None
    if sc.lit("("):
        body = _protein_body(sc)
        if body is None or not sc.lit(")", expected="')' closing p.("):
            return None
        return body, acc
    body = _protein_body(sc)
    return (body, acc) if body is not None else None


def parse_protein_change(text: str, location: Location | None = None) -> ProteinChange:
    """Parse one protein change: ``L858R``, ``p.Leu858Arg``, ``NP_005219.2:p.(Leu858Arg)``..."""
    sc = Scanner(text, "protein change", location)
    sc.ws()
    out = _protein(sc)
    if out is None or not sc.expect_end():
        raise sc.error()
    return out[0]


def format_protein_change(change: ProteinChange, *, prefix: bool = True) -> str:
    """The one-letter HGVS form, ``p.L858R`` (``L858R`` without ``prefix``)."""
    return change.hgvs() if prefix else change.short()


# ---------------------------------------------------------------------------------------------
# c. changes
# ---------------------------------------------------------------------------------------------


def _plain(pos: str) -> int | None:
    return int(pos) if pos.isascii() and pos.isdigit() else None


def _cdna_body(sc: Scanner) -> str | None:
    """``c.`` and what follows, normalised (counts and listed bases after del/dup dropped)."""
    if not sc.lit("c."):
        return None
    sc.commit()
    m1 = sc.rx(_CPOS_RE, "a c. position such as 2573 or 3082+1")
    if m1 is None:
        return None
    loc = m1.group()
    a, b = _plain(m1.group()), None
    ranged = False
    if sc.lit("_"):
        m2 = sc.rx(_CPOS_RE, "the c. position ending the range")
        if m2 is None:
            return None
        loc += "_" + m2.group()
        b = _plain(m2.group())
        ranged = True
        if a is not None and b is not None and b <= a:
            raise sc.error_at(m2.start(), f"a range end after c.{a}")
    length = (b - a + 1) if a is not None and b is not None else (1 if not ranged else None)
    edit_at = sc.pos
    if not ranged:
        ref = sc.rx(_BASES_RE, "a reference base") if sc.peek() in "ACGT" else None
        if ref is not None:
            if len(ref.group()) != 1 or not sc.lit(">", expected="'>'"):
                return None
            alt = sc.rx(_BASES_RE, "the new base")
            if alt is None or len(alt.group()) != 1:
                return None
            if alt.group() == ref.group():
                raise sc.error_at(edit_at, "a different base after '>'")
            return f"c.{loc}{ref.group()}>{alt.group()}"
    if sc.lit("delins"):
        ins = sc.rx(_BASES_RE, "the inserted bases")
        return f"c.{loc}delins{ins.group()}" if ins else None
    for kw in ("del", "dup"):
        if sc.lit(kw):
            listed_at = sc.pos
            bases = sc.attempt(lambda: sc.rx(_BASES_RE, "bases"))
            count = None if bases else sc.attempt(lambda: sc.integer("a base count"))
            n = len(bases.group()) if bases else count
            if n is not None and length is not None and n != length:
                raise sc.error_at(listed_at, f"{length} base(s) for the range {loc}, got {n}")
            return f"c.{loc}{kw}"
    if sc.lit("ins"):
        if not ranged:
            raise sc.error_at(edit_at, "an insertion between two adjacent positions (A_Bins...)")
        ins = sc.rx(_BASES_RE, "the inserted bases")
        return f"c.{loc}ins{ins.group()}" if ins else None
    sc.expect("a c. edit: N>N, del, delins, dup or ins")
    return None


def _cdna(sc: Scanner) -> tuple[str, _Accession | None] | None:
    acc = sc.attempt(lambda: _accession(sc))
    body = _cdna_body(sc)
    return (body, acc) if body is not None else None


def parse_cdna(text: str, location: Location | None = None) -> str:
    """Parse and normalise one HGVS c. change (``c.2573T>G``, ``c.2235_2249del15``)."""
    sc = Scanner(text, "c. change", location)
    sc.ws()
    out = _cdna(sc)
    if out is None or not sc.expect_end():
        raise sc.error()
    return out[0]


# ---------------------------------------------------------------------------------------------
# Sequence variants
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Body:
    at: int
    protein: ProteinChange | None = None
    protein_at: int = 0
    cdna: str | None = None
    cdna_at: int = 0
    reference: str | None = None
    gene_in_accession: str | None = None
    gene_in_accession_at: int = 0
    exon: int | None = None
    exon_at: int = 0
    effect: RegionEffect | None = None


def _effect(sc: Scanner, *, boundary: bool) -> RegionEffect | None:
    for w, effect in _EFFECTS:
        ok = (
            sc.word(w, expected="an effect such as deletion, insertion or skipping")
            if (boundary)
            else sc.lit(w, ci=True, expected="an effect such as del or ins")
        )
        if ok:
            return effect
    return None


def _exon_word(sc: Scanner) -> bool:
    """``exon`` or ``ex`` (any case), directly followed by optional space and a digit."""
    start = sc.pos
    for w in ("exon", "ex"):
        if sc.lit(w, ci=True, expected="'exon'"):
            sc.ws()
            if sc.peek().isascii() and sc.peek().isdigit():
                return True
            sc.expect("an exon number")
            sc.pos = start
    return False


def _region(sc: Scanner, body: _Body) -> bool:
    """A described region; fills ``body.exon``/``effect``. False (cursor unmoved) if none."""
    start = sc.pos
    if _exon_word(sc):
        sc.commit()
        body.exon_at = sc.pos
        body.exon = sc.integer("an exon number")
        sc.ws()
        effect = _effect(sc, boundary=True)
        body.effect = effect
        return body.exon is not None
    sc.pos = start
    num_at = sc.pos
    n = sc.integer("an exon number")
    if n is not None:
        sc.ws()
        effect = _effect(sc, boundary=True)
        if effect is not None:
            sc.commit()
            body.exon, body.exon_at, body.effect = n, num_at, effect
            return True
    sc.pos = start
    effect = _effect(sc, boundary=False)
    if effect is not None:
        sc.ws()
        sc.attempt(lambda: _exon_word(sc) or None)
        num_at = sc.pos
        n = sc.integer("an exon number")
        if n is not None:
            sc.commit()
            body.exon, body.exon_at, body.effect = n, num_at, effect
            return True
    sc.pos = start
    return False


def _exon_tag(sc: Scanner, body: _Body) -> bool:
    start = sc.pos
    if _exon_word(sc):
        at = sc.pos
        n = sc.integer("an exon number")
        if n is not None:
            body.exon, body.exon_at = n, at
            return True
    sc.pos = start
    return False


def _hgvs(sc: Scanner, body: _Body) -> bool:
    """c. and/or p., either order, the second in parentheses (or after a space)."""
    start = sc.pos
    c_at = sc.pos
    c = sc.attempt(lambda: _cdna(sc))
    if c is not None:
        body.cdna, body.cdna_at = c[0], c_at
        _take_accession(body, c[1])
        mark = sc.pos
        sc.ws()
        paren = sc.lit("(")
        p_at = sc.pos
        p = sc.attempt(lambda: _protein(sc))
        if p is not None and (not paren or sc.lit(")", expected="')'")):
            body.protein, body.protein_at = p[0], p_at
            if body.reference is None:
                _take_accession(body, p[1])
        else:
            sc.pos = mark
        return True
    sc.pos = start
    p_at = sc.pos
    p = sc.attempt(lambda: _protein(sc))
    if p is None:
        return False
    body.protein, body.protein_at = p[0], p_at
    _take_accession(body, p[1])
    mark = sc.pos
    sc.ws()
    if sc.lit("("):
        c_at = sc.pos
        c = sc.attempt(lambda: _cdna(sc))
        if c is not None and sc.lit(")", expected="')'"):
            body.cdna, body.cdna_at = c[0], c_at
            if c[1] is not None:
                body.reference = None
                _take_accession(body, c[1])
            return True
    sc.pos = mark
    return True


def _take_accession(body: _Body, acc: _Accession | None) -> None:
    if acc is not None:
        body.reference = acc.accession
        if acc.gene is not None:
            body.gene_in_accession = acc.gene
            body.gene_in_accession_at = acc.gene_at


def _trailing_words(sc: Scanner) -> None:
    mark = sc.pos
    sc.ws()
    if sc.one_of(("mutations", "mutation", "mutant"), expected="'mutation'") is None:
        sc.pos = mark


def _region_body(sc: Scanner) -> _Body | None:
    """A described region, optionally followed by its exact change in parentheses."""
    body = _Body(at=sc.pos)
    if not _region(sc, body):
        return None
    mark = sc.pos
    sc.ws()
    if sc.lit("("):
        inner = _Body(at=sc.pos)
        if _hgvs(sc, inner) and sc.lit(")", expected="')'"):
            body.protein, body.protein_at = inner.protein, inner.protein_at
            body.cdna, body.cdna_at = inner.cdna, inner.cdna_at
            body.reference = inner.reference
            body.gene_in_accession = inner.gene_in_accession
            body.gene_in_accession_at = inner.gene_in_accession_at
        else:
            sc.pos = mark
    else:
        sc.pos = mark
    _trailing_words(sc)
    return body


def _change_body(sc: Scanner) -> _Body | None:
    """An HGVS change with an optional exon tag before it or in parentheses after it."""
    body = _Body(at=sc.pos)
    tagged = _exon_tag(sc, body)
    if tagged and not sc.ws():
        sc.expect("a space after the exon number")
        return None
    if not _hgvs(sc, body):
        return None
    if not tagged:
        mark = sc.pos
        sc.ws()
        if not (sc.lit("(") and _exon_tag(sc, body) and sc.lit(")", expected="')'")):
            sc.pos = mark
    _trailing_words(sc)
    return body


def _body(sc: Scanner) -> _Body | None:
    """Region (with its effect) or HGVS change; a bare ``exon N`` region comes last."""
    start = sc.pos
    body = _region_body(sc)
    if body is not None and body.effect is not None:
        return body
    sc.pos = start
    change = _change_body(sc)
    if change is not None:
        return change
    sc.pos = start
    return _region_body(sc)


_UNSPECIFIED_RE = re.compile(r"(?i)(mutation|mutated|mutant|alteration|altered|variant)s?\b")
"""Words after a gene that give a finding of unspecified type (``TP53 mutation``)."""


class _VariantGrammar:
    def __init__(self, text: str, gene: str | None, location: Location | None) -> None:
        self.sc = Scanner(text, "sequence variant", location)
        self.gene_arg = gene
        self.location = location

    def parse(self) -> SequenceVariant:
        sc = self.sc
        sc.ws()
        start = sc.pos
        body = _body(sc)
        if body is not None and sc.expect_end():
            return self._finish(None, 0, body)
        sc.pos = start
        out = self._with_gene(start)
        if out is not None:
            return out
        sc.pos = start
        out = self._glued(start)
        if out is not None:
            return out
        raise sc.error()

    def _with_gene(self, start: int) -> SequenceVariant | None:
        sc = self.sc
        m = sc.rx(_GENE_RE, "a gene symbol")
        if m is None:
            return None
        token = m.group()
        sep_ok = sc.lit(":") or sc.ws()
        if not sep_ok:
            sc.expect("a space after the gene symbol")
            return None
        sc.ws()
        after_gene = sc.pos
        m = _UNSPECIFIED_RE.match(sc.text, sc.pos)
        if m is not None and not sc.text[m.end() :].strip():
            # "TP53 mutation", "PTEN alteration": a finding of unspecified type, as reports
            # and abstracts give them (#12)
            if not genes.is_known(token):
                raise self._gene_error(token, start)
            word = m.group(1).lower()
            effect = "alteration" if word.startswith("alter") else "mutation"
            return SequenceVariant(gene=self._resolve(token, start), region_effect=effect)
        sc.pos = after_gene
        body = _body(sc)
        if body is None or not sc.expect_end():
            return None
        if not genes.is_known(token):
            raise self._gene_error(token, start)
        return self._finish(token, start, body)

    def _glued(self, start: int) -> SequenceVariant | None:
        """``METex14``, ``EGFRex19del``: a gene glued to an ``ex`` region."""
        sc = self.sc
        m = _GLUED_RE.match(sc.text, sc.pos)
        if m is None or not genes.is_known(m.group(1)):
            return None
        sc.pos = m.end()
        body = _Body(at=sc.pos)
        body.exon_at = sc.pos
        body.exon = sc.integer("an exon number")
        sc.commit()
        body.effect = _effect(sc, boundary=True)
        _trailing_words(sc)
        if body.exon is None or not sc.expect_end():
            return None
        return self._finish(m.group(1), start, body)

    def _gene_error(self, token: str, at: int) -> ParseError:
        try:
            genes.lookup(token)
        except ParseError as exc:
            return self.sc.error_at(at, f"an HGNC gene symbol ({exc.message})")
        return self.sc.error_at(at, "an HGNC gene symbol")  # pragma: no cover - known symbol

    def _resolve(self, token: str, at: int) -> str:
        try:
            return genes.resolve(token)
        except ParseError:
            raise self._gene_error(token, at) from None

    def _finish(self, gene_token: str | None, gene_at: int, body: _Body) -> SequenceVariant:
        sc = self.sc
        sc.commit()
        gene = self._gene(gene_token, gene_at, body)
        protein = body.protein
        if body.cdna is not None and gene == "EGFR":
            mapped = EGFR_CDNA_TO_PROTEIN.get(body.cdna)
            if mapped is not None and protein is not None and mapped != protein:
                raise sc.error_at(
                    body.protein_at, f"{mapped.hgvs()}, which {body.cdna} encodes in EGFR"
                )
            protein = protein or mapped
        exon = body.exon
        effect = body.effect
        if protein is not None:
            derived = _derived_exon(gene, protein)
            if exon is not None and derived is not None and exon != derived:
                raise sc.error_at(
                    body.exon_at,
                    f"exon {derived}: {gene} {protein.short()} lies in exon {derived} "
                    "(exon membership comes from the codon position)",
                )
            if effect is not None and protein.edit not in _EFFECT_EDITS.get(
                effect, frozenset({protein.edit})
            ):
                raise sc.error_at(
                    body.protein_at, f"a change that is a {effect}, as the region says"
                )
            exon = derived if derived is not None else exon
        elif effect is None and body.cdna is None:
            if gene == "MET" and exon == 14:
                effect = "skipping"
            else:
                raise sc.error_at(
                    body.exon_at, "an effect after the exon number (deletion, insertion...)"
                )
        return build(
            SequenceVariant,
            sc,
            body.at,
            gene=gene,
            protein=protein,
            cdna=body.cdna,
            reference=body.reference,
            exon=exon,
            region_effect=effect,
        )

    def _gene(self, token: str | None, at: int, body: _Body) -> str:
        sc = self.sc
        named = self._resolve(token, at) if token is not None else None
        if body.gene_in_accession is not None:
            in_acc = self._resolve(body.gene_in_accession, body.gene_in_accession_at)
            if named is not None and named != in_acc:
                raise sc.error_at(body.gene_in_accession_at, f"the gene named before, {named}")
            named = in_acc
        arg = genes.resolve(self.gene_arg, self.location) if self.gene_arg else None
        if named is not None:
            if arg is not None and arg != named:
                raise sc.error_at(at, f"gene {arg} as given by the caller, not {named}")
            return named
        if arg is not None:
            return arg
        if (body.exon, body.effect) in EGFR_DEFAULT_REGIONS:
            return "EGFR"
        raise sc.error_at(body.at, _GENE_NEEDED)


def _derived_exon(gene: str, p: ProteinChange) -> int | None:
    """The exon holding the whole change, when the gene's map places it in one exon."""
    if gene not in EXON_CODONS:
        return None
    first, last = exon_of(gene, p.start), exon_of(gene, p.last)
    return first if first is not None and first == last else None


def parse_variant(
    text: str, gene: str | None = None, location: Location | None = None
) -> SequenceVariant:
    """Parse a sequence variant: ``EGFR L858R``, ``c.2573T>G``, ``Exon 19 deletion``...

    ``gene`` is the gene the context implies (a table column, say); it is used when the text
    names none, and a text that names another gene is refused.
    """
    return _VariantGrammar(text, gene, location).parse()


def try_parse_variant(
    text: str, gene: str | None = None, location: Location | None = None
) -> SequenceVariant | None:
    """Like :func:`parse_variant`, but None when the text does not look like a variant at all."""
    return parse_or_none(_VariantGrammar(text, gene, location))


def format_variant(v: SequenceVariant) -> str:
    """The canonical text of a variant; :func:`parse_variant` reads it back to an equal value.

    ``EGFR p.L858R``, ``EGFR NM_005228.5:c.2573T>G (p.L858R)``, ``EGFR exon 19 deletion``,
    ``EGFR exon 19 deletion (p.E746_A750del)``.
    """
    ref = v.reference
    on_protein = ref is not None and ref.startswith(_PROTEIN_ACCESSION)
    c_text = p_text = None
    if v.cdna is not None:
        c_text = (f"{ref}:" if ref and (not on_protein or v.protein is None) else "") + v.cdna
    if v.protein is not None:
        p_ref = ref if ref and (on_protein or v.cdna is None) else None
        p_text = (f"{p_ref}:" if p_ref else "") + v.protein.hgvs()
    change = f"{c_text} ({p_text})" if c_text and p_text else c_text or p_text or ""
    if v.region_effect is not None and v.exon is None:  # "TP53 mutation": unspecified type
        return f"{v.gene} {v.region_effect}"
    if v.region_effect is not None:
        region = f"exon {v.exon} {v.region_effect}"
        return f"{v.gene} {region} ({change})" if change else f"{v.gene} {region}"
    derived = _derived_exon(v.gene, v.protein) if v.protein is not None else None
    if v.exon is not None and v.exon != derived:
        return f"{v.gene} exon {v.exon} {change}"
    return f"{v.gene} {change}"
