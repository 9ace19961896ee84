"""Exon membership of protein positions, for the genes where categories depend on it.

Exon membership is decided from codon positions on the canonical protein, never from the
text a source wrote. A codon split across an exon junction belongs to the exon that holds
its first base; the ranges below follow that rule.

EGFR (NM_005228.5 / NP_005219.2; kinase domain exons 18-21). Exon 19 spans codons 729-761
and exon 20 spans codons 762-823: these are the boundaries used by the exon-20 insertion
literature, which counts "exon 20 insertions" from A763 to C775 inside the C-helix and the
loop following it (Vyse S, Huang PH. Targeting EGFR exon 20 insertion mutations in non-small
cell lung cancer. Signal Transduct Target Ther. 2019;4:5. doi:10.1038/s41392-019-0038-9),
and by reviews that give exon 19 as codons 729-761 (Kobayashi Y, Mitsudomi T. Not all
epidermal growth factor receptor mutations in lung cancer are created equal. Cancer Sci.
2016;107:1179-86. doi:10.1111/cas.12996). Exon 18 is 688-728 and exon 21 is 824-875 on the
same transcript.

MET exon 14 (NM_000245; codons 963-1010 hold the juxtamembrane region whose skipping removes
Y1003) and ERBB2 exon 20 (codons 770-831 on NP_004439) are listed for the categories that
need them.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

EXON_CODONS: Final = MappingProxyType(
    {
        "EGFR": MappingProxyType({18: (688, 728), 19: (729, 761), 20: (762, 823), 21: (824, 875)}),
        "ERBB2": MappingProxyType({19: (724, 769), 20: (770, 831)}),
        "MET": MappingProxyType({14: (963, 1010)}),
    }
)


def exon_of(gene: str, codon: int) -> int | None:
    """The exon holding ``codon`` of ``gene``, or None when the gene's map is not held."""
    table = EXON_CODONS.get(gene)
    if table is None:
        return None
    for exon, (lo, hi) in table.items():
        if lo <= codon <= hi:
            return exon
    return None


def exons_spanned(gene: str, start: int, end: int) -> frozenset[int]:
    """Every mapped exon that a codon range touches (unmapped positions are skipped)."""
    found = {exon_of(gene, c) for c in (start, end)}
    table = EXON_CODONS.get(gene, {})
    for exon, (lo, hi) in table.items():
        if start <= hi and end >= lo:
            found.add(exon)
    return frozenset(e for e in found if e is not None)
