"""IHC results of the markers read by staining pattern (p53, Rb), as pathology reports write them.

For p53 (TP53) and Rb (RB1) the words of a report, not "positive" or "negative", carry the
meaning (see :func:`tkiresist.model.categories.ihc_reading`): "null pattern" and "complete
absence" of p53 are aberrant, like "overexpression"; "wild-type pattern" is normal; Rb "loss" is
aberrant and "retained" normal. This module turns those words into a result and a staining
pattern (:data:`tkiresist.model.findings.IhcPattern`).

The phrases are a lookup table, not patterns: the text is split into lower-case words (hyphens,
underscores and spaces alike separate words) and the word sequence must equal one of the
phrases below. Every other marker keeps the plain ``positive``/``negative``/``equivocal``
vocabulary of its reader.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Final

from tkiresist.model.alterations import ExpressionResult
from tkiresist.model.findings import IhcPattern
from tkiresist.nomenclature._scanner import DASHES

__all__ = ["PROTEIN_GENES", "protein_gene", "read_pattern_result", "words_for"]

_SPLIT_RE = re.compile("[\\s_" + re.escape(DASHES) + "]+")


def _words(text: str) -> tuple[str, ...]:
    text = text.strip().lower()
    if text in ("-", "+"):  # the signs are results, not separators
        return (text,)
    return tuple(w for w in _SPLIT_RE.split(text) if w)


PROTEIN_GENES: Final = MappingProxyType(
    {
        ("p53",): "TP53",
        ("tp53",): "TP53",
        ("rb",): "RB1",
        ("prb",): "RB1",
        ("rb1",): "RB1",
        ("rb", "protein"): "RB1",
        ("retinoblastoma", "protein"): "RB1",
    }
)
"""Protein names of the pattern-read markers and their genes. ``Rb`` is what reports write; it
is not an HGNC symbol or alias, so the gene lookup alone would not find RB1."""

Reading = tuple[ExpressionResult, IhcPattern | None]


def _table(*entries: tuple[Reading, tuple[str, ...]]) -> dict[tuple[str, ...], Reading]:
    return {_words(text): reading for reading, texts in entries for text in texts}


_P53: Final = MappingProxyType(
    _table(
        (
            ("negative", "absent"),
            (
                "null", "null pattern", "null type", "absent", "absence", "complete absence",
                "complete loss", "loss", "lost", "no staining", "0%",
            ),
        ),
        (
            ("positive", "overexpression"),
            (
                "overexpression", "overexpressed", "strong diffuse", "diffuse strong",
                "diffuse strong positive", "strong diffuse positive",
            ),
        ),
        (("positive", "cytoplasmic"), ("cytoplasmic", "cytoplasmic pattern")),
        (
            ("positive", "wild_type"),
            ("wild type", "wild type pattern", "wt", "patchy", "heterogeneous"),
        ),
        (("negative", None), ("negative", "neg", "-")),
        (("positive", None), ("positive", "pos", "+")),
        (("equivocal", None), ("equivocal",)),
    )
)  # fmt: skip
_RB: Final = MappingProxyType(
    _table(
        (
            ("negative", "loss"),
            ("loss", "lost", "complete loss", "absent", "absence", "complete absence", "null"),
        ),
        (("positive", "retained"), ("retained", "intact", "preserved")),
        (("negative", None), ("negative", "neg", "-")),
        (("positive", None), ("positive", "pos", "+")),
        (("equivocal", None), ("equivocal",)),
    )
)  # fmt: skip


def protein_gene(text: str) -> str | None:
    """The gene of a pattern-read marker named as its protein (``p53``, ``Rb``), else None."""
    return PROTEIN_GENES.get(_words(text))


def read_pattern_result(gene: str, text: str) -> Reading | None:
    """The result and staining pattern of a p53 (``gene`` TP53) or Rb (RB1) IHC result text,
    e.g. ``null pattern`` -> (negative, absent), ``overexpression`` -> (positive,
    overexpression), ``wild-type`` -> (positive, wild_type), ``loss`` (Rb) -> (negative,
    loss). None when the text is not one of :func:`words_for` ``gene`` (or ``gene`` is not
    read by pattern)."""
    table = _P53 if gene == "TP53" else _RB if gene == "RB1" else None
    words = _words(text)
    return table.get(words) if table is not None and words else None


def words_for(gene: str) -> tuple[str, ...]:
    """The result words accepted for ``gene`` (for error messages)."""
    table = _P53 if gene == "TP53" else _RB if gene == "RB1" else {}
    return tuple(" ".join(w) for w in table)
