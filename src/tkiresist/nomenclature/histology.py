"""Histologic findings as sources write them: ``small-cell transformation``, ``SCLC``...

The phrases are a lookup table, not patterns: the text is split into lower-case words (hyphens
and spaces alike separate words) and the word sequence must equal one of the phrases below.

Two tables, one vocabulary:

* :data:`PHRASES` name a histology by itself: a tumour type (``adenocarcinoma``) or a
  transformation (``small cell transformation``, ``transformation to SCLC``);
* :data:`TUMOUR_TYPES` name a tumour type as a pathology report writes it (``small cell
  carcinoma``, ``SCLC``, ``squamous cell carcinoma``, ``large cell neuroendocrine carcinoma``):
  a pathologist never writes "transformation". Found on a biopsy after the diagnosis of a
  non-small-cell carcinoma of another type, such a finding IS the transformation;
  :func:`read_histology_finding` reads it against the diagnosis's histology. Every reader of a
  finding's text (case files, FHIR, the curation assistant) uses these tables: there is no
  other list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from tkiresist.errors import Location, ParseError
from tkiresist.model.alterations import Histology, HistologyKind
from tkiresist.nomenclature._scanner import DASHES, Scanner

__all__ = [
    "ACCEPTED",
    "NON_SMALL_CELL",
    "PHRASES",
    "TUMOUR_TYPES",
    "format_histology",
    "is_non_small_cell",
    "parse_histology",
    "read_histology_finding",
    "try_parse_histology",
]

_SPLIT_RE = re.compile("[\\s" + re.escape(DASHES) + "]+")


def _phrases(kind: HistologyKind, *texts: str) -> dict[tuple[str, ...], HistologyKind]:
    return {tuple(_SPLIT_RE.split(t.lower())): kind for t in texts}


@dataclass(frozen=True, slots=True)
class TumourType:
    """A tumour type as a pathology report names it, and what it means as a finding:
    ``transformation`` after the diagnosis of a non-small-cell carcinoma whose histology names
    none of ``same`` (the words saying the tumour was this type from the start); ``plain``
    otherwise (None: the vocabulary has no term for it there, and the finding is refused)."""

    transformation: HistologyKind
    plain: HistologyKind | None
    same: tuple[str, ...]


def _types(t: TumourType, *texts: str) -> dict[tuple[str, ...], TumourType]:
    return {tuple(_SPLIT_RE.split(x.lower())): t for x in texts}


_SMALL_CELL: Final = TumourType("small_cell_transformation", None, ("small cell", "sclc"))
_SQUAMOUS: Final = TumourType(
    "squamous_transformation", "squamous_cell_carcinoma", ("squamous", "adenosquamous")
)

TUMOUR_TYPES: Final = MappingProxyType(
    _types(
        _SMALL_CELL,
        "small cell carcinoma",
        "small cell lung cancer",
        "small cell lung carcinoma",
        "small cell neuroendocrine carcinoma",
        "combined small cell carcinoma",
        "SCLC",
    )
    | _types(
        _SQUAMOUS,
        "squamous cell carcinoma",
        "squamous cell lung cancer",
        "squamous cell lung carcinoma",
        "squamous carcinoma",
        "SCC",
    )
    | _types(
        TumourType("large_cell_neuroendocrine_transformation", None, ("neuroendocrine", "lcnec")),
        "large cell neuroendocrine carcinoma",
        "LCNEC",
    )
    | _types(
        TumourType("sarcomatoid_transformation", None, ("sarcomatoid",)),
        "sarcomatoid carcinoma",
    )
)
"""Word sequences (lower case) naming a tumour type as a pathology report does; read against
the diagnosis by :func:`read_histology_finding`. ``adenocarcinoma`` is not here: found after an
adenocarcinoma it is the tumour's own type, no transformation (:data:`PHRASES`)."""

PHRASES: Final = MappingProxyType(
    _phrases("adenocarcinoma", "adenocarcinoma", "lung adenocarcinoma")
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
    | {words: t.plain for words, t in TUMOUR_TYPES.items() if t.plain is not None}
)
"""Word sequences (lower case) and the histology they name, read as written (a tumour type of
:data:`TUMOUR_TYPES` with a term of its own, ``squamous cell carcinoma``, is here as that
term; :func:`read_histology_finding` reads it against the diagnosis)."""

NON_SMALL_CELL: Final = ("adenocarcinoma", "non-small", "nsclc", "squamous", "large cell")
"""Words of a diagnosis's histology that make it a non-small-cell carcinoma (``non-small``
after hyphens are kept as written: ``non-small cell``, ``non small cell``)."""

ACCEPTED: Final = (
    "a histology such as adenocarcinoma, squamous cell carcinoma (SCC), small cell carcinoma "
    "(SCLC, small cell lung cancer), large cell neuroendocrine carcinoma (LCNEC) or sarcomatoid "
    "carcinoma (each read as a transformation when found after the diagnosis of a "
    "non-small-cell carcinoma of another type), or a transformation: small cell "
    "transformation, squamous transformation, sarcomatoid transformation, large cell "
    "neuroendocrine transformation, epithelial mesenchymal transition (EMT)"
)
"""What a histologic finding may say, for error messages."""

_TRANSFORM_WORDS: Final = frozenset({"transformation", "transformed", "sclc", "lcnec"})


def _words(text: str) -> tuple[str, ...]:
    return tuple(w for w in _SPLIT_RE.split(text.strip().lower()) if w)


def _lookup(text: str) -> tuple[HistologyKind | None, bool]:
    words = _words(text)
    return PHRASES.get(words), bool(_TRANSFORM_WORDS & set(words))


def is_non_small_cell(diagnosis: str) -> bool:
    """Whether a diagnosis's histology (free text) names a non-small-cell carcinoma."""
    text = " ".join(_words(diagnosis))
    return any(" ".join(_words(word)) in text for word in NON_SMALL_CELL)


def read_histology_finding(
    text: str, diagnosis: str | None, location: Location | None = None
) -> Histology | None:
    """A finding's text read as a histology against the diagnosis's histology (free text, as
    the case's diagnosis gives it; None when the case has none): a tumour type of
    :data:`TUMOUR_TYPES` found after a non-small-cell diagnosis of another type is its
    transformation (``small cell carcinoma`` after an adenocarcinoma is small-cell
    transformation; ``squamous cell carcinoma`` after an adenocarcinoma is squamous
    transformation). None when the text names no tumour type of :data:`TUMOUR_TYPES` (a
    phrase of :data:`PHRASES` or a molecular finding: the alteration parser reads it); a tumour
    type the diagnosis leaves without a term of the vocabulary is refused, saying why. The
    time of the finding is not read here: a transformation found on the diagnostic biopsy is
    present at baseline, and the engine's serial comparison says so."""
    tumour = TUMOUR_TYPES.get(_words(text))
    if tumour is None:
        return None
    # word by word (NSCLC is not SCLC), "non-small cell" taken out (it is not small cell)
    dx = f" {' '.join(_words(diagnosis or ''))} ".replace(" non small cell ", " ")
    other_type = not any(f" {' '.join(_words(w))} " in dx for w in tumour.same)
    if diagnosis is not None and is_non_small_cell(diagnosis) and other_type:
        return Histology(histology=tumour.transformation)
    if tumour.plain is not None:
        return Histology(histology=tumour.plain)
    said = f"the diagnosis is {diagnosis!r}" if diagnosis else "the case has no diagnosis"
    raise ParseError(
        "histologic finding",
        text,
        0,
        f"a histology the case can read: {text.strip()!r} is read as "
        f"{tumour.transformation.replace('_', ' ')} only when found after the diagnosis of a "
        f"non-small-cell carcinoma of another type, and {said}",
        location,
    )


def parse_histology(text: str, location: Location | None = None) -> Histology:
    """Parse a histologic finding named by one of :data:`PHRASES`."""
    kind, _ = _lookup(text)
    if kind is None:
        sc = Scanner(text, "histologic finding", location)
        raise sc.error_at(0, ACCEPTED)
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
