"""Any alteration from text: a registry of parsers, tried in order.

Each registered parser keeps one contract (as vrs-python's translators do): it returns ``None``
for "not mine" and raises :class:`~tkiresist.errors.ParseError` for "mine, but invalid". "Mine"
means the text reached a point where its kind is clear (a fusion separator between two known
genes, a copy-number word after a gene, a codon position, ``c.``, ``exon N``...). When no parser
claims the text, the error lists the kinds tried, and the farthest-reaching parser's own
complaint.

Order matters and is fixed: copy number first (``ERBB2/HER2 amplification`` is not a fusion),
then fusions, then sequence variants, then histology.

A fusion text must hold exactly one fusion here; for ``EML4- ALK, STRN-ALK`` and for the test
method a text names, use :func:`tkiresist.nomenclature.fusions.parse_fusions`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from tkiresist.errors import Location, ParseError
from tkiresist.model.alterations import (
    CopyNumber,
    Expression,
    Fusion,
    Histology,
    SequenceVariant,
)
from tkiresist.nomenclature._scanner import Scanner
from tkiresist.nomenclature.copynumber import (
    format_copy_number,
    parse_copy_number,
    try_parse_copy_number,
)
from tkiresist.nomenclature.fusions import format_fusion, parse_fusions, try_parse_fusions
from tkiresist.nomenclature.histology import (
    format_histology,
    parse_histology,
    try_parse_histology,
)
from tkiresist.nomenclature.variants import format_variant, parse_variant, try_parse_variant

__all__ = ["REGISTRY", "AlterationParser", "AnyAlteration", "format_alteration", "parse_alteration"]

AnyAlteration = SequenceVariant | Fusion | CopyNumber | Expression | Histology

TryParse = Callable[[str, str | None, Location | None], AnyAlteration | None]
Explain = Callable[[str, str | None], object]


@dataclass(frozen=True, slots=True)
class AlterationParser:
    """One registered parser: the kind it reads, its ``try`` function, and its strict form
    (which raises), used only to say why an unclaimed text failed."""

    kind: str
    label: str
    try_parse: TryParse
    explain: Explain


def _fusion(text: str, gene: str | None, location: Location | None) -> Fusion | None:
    del gene  # a fusion names its own genes
    report = try_parse_fusions(text, location)
    if report is None:
        return None
    if len(report.fusions) != 1:
        names = ", ".join(f.name for f in report.fusions)
        raise Scanner(text, "alteration", location).error_at(
            0, f"one alteration, found {len(report.fusions)} fusions ({names}); use parse_fusions"
        )
    return report.fusions[0]


def _histology(text: str, gene: str | None, location: Location | None) -> Histology | None:
    del gene
    return try_parse_histology(text, location)


REGISTRY: Final[tuple[AlterationParser, ...]] = (
    AlterationParser(
        "copy_number",
        "a copy-number change",
        try_parse_copy_number,
        lambda text, gene: parse_copy_number(text, gene),
    ),
    AlterationParser("fusion", "a fusion", _fusion, lambda text, gene: parse_fusions(text)),
    AlterationParser(
        "sequence_variant",
        "a sequence variant",
        try_parse_variant,
        lambda text, gene: parse_variant(text, gene),
    ),
    AlterationParser(
        "histology", "a histologic finding", _histology, lambda text, gene: parse_histology(text)
    ),
)
"""The parsers :func:`parse_alteration` tries, in order."""


def parse_alteration(
    text: str, gene: str | None = None, location: Location | None = None
) -> AnyAlteration:
    """Parse any alteration; ``gene`` is the gene the context implies (see each parser)."""
    for parser in REGISTRY:
        found = parser.try_parse(text, gene, location)
        if found is not None:
            return found
    labels = [p.label for p in REGISTRY]
    expected = (
        ", ".join(labels[:-1])
        + f" or {labels[-1]}; tried "
        + "; ".join(f"{p.kind} ({_why(p, text, gene)})" for p in REGISTRY)
    )
    raise Scanner(text, "alteration", location).error_at(0, expected)


def _why(parser: AlterationParser, text: str, gene: str | None) -> str:
    """What the parser's strict form says about ``text``."""
    try:
        parser.explain(text, gene)
    except ParseError as exc:
        where = f"at {exc.position}: " if exc.position is not None else ""
        return where + "expected " + (exc.expected or exc.message)
    return "accepted by the strict parser"  # pragma: no cover - try_parse said not mine


def format_alteration(a: AnyAlteration) -> str:
    """The canonical text of an alteration (parsed back by :func:`parse_alteration`).

    Expression results have no parser yet; their text is their ``name``.
    """
    if isinstance(a, SequenceVariant):
        return format_variant(a)
    if isinstance(a, Fusion):
        return format_fusion(a)
    if isinstance(a, CopyNumber):
        return format_copy_number(a)
    if isinstance(a, Histology):
        return format_histology(a)
    return a.name
