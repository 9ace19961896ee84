"""The readers' bridge to the nomenclature layer (parsing kept apart from meaning).

Readers turn cells into values through the two functions here, never with ad-hoc splitting:

* :func:`protein_change` for HGVS ``p.`` text as callers write it (``p.L858R``,
  ``p.Leu858Arg``, ``p.L747_S752delinsQ``, ``p.N139Qfs*5``), parsed by
  :func:`tkiresist.nomenclature.variants.parse_protein_change`;
* :func:`split_fusion` for fusion names in tables (``EML4::ALK``, ``TMPRSS2-ERG fusion``,
  ``NKX2-1--ALK``), parsed by :func:`tkiresist.nomenclature.fusions.parse_fusion`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tkiresist.errors import Location, ParseError
from tkiresist.model.alterations import ProteinChange
from tkiresist.nomenclature.fusions import parse_fusion
from tkiresist.nomenclature.variants import parse_protein_change


def protein_change(text: str, location: Location | None = None) -> ProteinChange:
    """Parse HGVS ``p.`` text into a ProteinChange; ParseError names what was expected."""
    return parse_protein_change(text, location)


# --------------------------------------------------------------------------------------------
# Fusion names in tables
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FusionName:
    """Two gene symbols in the written order."""

    first: str
    second: str


def split_fusion(text: str, location: Location | None = None) -> FusionName:
    """Split ``EML4::ALK``, ``EML4-ALK fusion``, ``NKX2-1--ALK`` into two symbols.

    The text is parsed by :func:`~tkiresist.nomenclature.fusions.parse_fusion` (separators
    ``::``, ``--``, ``-``, ``/``, ``_``; hyphenated HGNC symbols such as ``NKX2-1`` stay whole;
    symbols come back approved). The genes are returned in the written order: the caller decides
    the 5'/3' roles. One fusion with both genes named, or ParseError.
    """
    fusion = parse_fusion(text, location)
    if fusion.five_prime is None:
        raise ParseError("fusion", text, None, "two genes (the partner is not named)", location)
    if fusion.order_corrected:  # the parser put the kinase 3'; give back the written order
        return FusionName(fusion.three_prime, fusion.five_prime)
    return FusionName(fusion.five_prime, fusion.three_prime)
