"""Histologic findings as sources write them: ``small-cell transformation``, ``SCLC``...

The phrases are a lookup table, not patterns: the text is split into lower-case words (hyphens
and spaces alike separate words) and the word sequence must equal one of the phrases below.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Final

from tkiresist.errors import Location, ParseError
from tkiresist.model.alterations import Histology, HistologyKind
from tkiresist.nomenclature._scanner import DASHES, Scanner

__all__ = ["PHRASES", "format_histology", "parse_histology", "try_parse_histology"]

_SPLIT_RE = re.compile("[\\s" + re.escape(DASHES) + "]+")


def _phrases(kind: HistologyKind, *texts: str) -> dict[tuple[str, ...], HistologyKind]:
    return {tuple(_SPLIT_RE.split(t.lower())): kind for t in texts}


PHRASES: Final = MappingProxyType(
    _phrases("adenocarcinoma", "adenocarcinoma", "lung adenocarcinoma")
    | _phrases("squamous_cell_carcinoma", "squamous cell carcinoma", "SCC")
    | _phrases(
        "small_cell_transformation",
        "small cell transformation",
        "SCLC transformation",
        "small cell lung cancer transformation",
        "transformation to small cell lung cancer",
        "transformation to SCLC",
        "transformation to small cell carcinoma",
    )
    | _phrases(
        "squamous_transformation",
        "squamous transformation",
        "squamous cell transformation",
        "transformation to squamous cell carcinoma",
    )
    | _phrases("sarcomatoid_transformation", "sarcomatoid transformation")
    | _phrases(
        "large_cell_neuroendocrine_transformation",
        "large cell neuroendocrine transformation",
        "LCNEC transformation",
    )
    | _phrases(
        "epithelial_mesenchymal_transition",
        "epithelial mesenchymal transition",
        "epithelial to mesenchymal transition",
        "EMT",
    )
)
"""Word sequences (lower case) and the histology they name."""

_TRANSFORM_WORDS: Final = frozenset({"transformation", "transformed", "sclc", "lcnec"})


def _lookup(text: str) -> tuple[HistologyKind | None, bool]:
    words = tuple(w for w in _SPLIT_RE.split(text.strip().lower()) if w)
    return PHRASES.get(words), bool(_TRANSFORM_WORDS & set(words))


def parse_histology(text: str, location: Location | None = None) -> Histology:
    """Parse a histologic finding named by one of :data:`PHRASES`."""
    kind, _ = _lookup(text)
    if kind is None:
        sc = Scanner(text, "histologic finding", location)
        raise sc.error_at(0, "a histology such as 'small-cell transformation'")
    return Histology(histology=kind)


def try_parse_histology(text: str, location: Location | None = None) -> Histology | None:
    """None unless the text is a known phrase; a phrase about transformation that is not
    known is refused rather than passed on."""
    kind, transformation = _lookup(text)
    if kind is not None:
        return Histology(histology=kind)
    if transformation:
        raise ParseError(
            "histologic finding",
            text,
            0,
            "a known transformation (small cell, squamous, sarcomatoid, large cell neuroendocrine)",
            location,
        )
    return None


def format_histology(h: Histology) -> str:
    """``small cell transformation``, ``adenocarcinoma``..."""
    return h.name
