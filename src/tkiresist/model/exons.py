"""Exon membership of protein positions, for the genes where categories depend on it.

Exon membership is decided from codon positions on the canonical protein, never from the
text a source wrote. A codon split across an exon junction belongs to the exon that holds
its first base; the ranges below follow that rule.

EGFR (NM_005228 / NP_005219; kinase domain exons 18-21): exon 18 is codons 688-728, exon 19
is 729-761, exon 20 is 762-823 and exon 21 is 824-875. These boundaries fall between codons
(exon 20 starts at c.2284, the first base of codon 762; exon 21 is c.2470-c.2625, codons
824-875), so the rule above changes nothing here. Source: the exon/amino-acid table of the
MSK-IMPACT clinical report (EGFR NM_005228: exon 18 (688-728), exon 19 (729-761), exon 20
(762-823), exon 21 (824-875)) in rhshah/IMPACT-Pipeline,
support-scripts/dmp_create_coverage_files_and_clinical_reports.pl (commit 1e9265d); the
c. positions agree with HGVS names used in public variant pipelines and hgvs test cases
(NM_005228: c.2284-5_2290dup spanning intron 19/exon 20; exon 21 as c.2470-5_2625+5).

ERBB2 (NM_004448): exon 19 is codons 737-769 and exon 20 is 770-831, from the same
MSK-IMPACT table. Exon 20 holds the ERBB2 exon 20 insertions (e.g. A775_G776insYVMA).

MET (NM_000245): exon 14 is c.2888-c.3028 (public variant pipelines annotate NM_000245.2
c.2888-41_2888-2del as intron 13 and c.3028_3028+16del as exon14_intron14). Codon 963
(c.2887-c.2889) starts in exon 13, so by the first-base rule exon 14 holds codons
964-1010: the juxtamembrane stretch whose skipping removes Y1003.

Not used as sources for these numbers: Vyse & Huang, Signal Transduct Target Ther
2019;4:5 (doi:10.1038/s41392-019-0038-9) is a real review of EGFR exon 20 insertions, but
its text giving codon ranges was not verified; Kobayashi & Mitsudomi, Cancer Sci
2016;107:1179-86 (doi:10.1111/cas.12996) could not be checked at all (uncertain).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

EXON_CODONS: Final = MappingProxyType(
    {
        "EGFR": MappingProxyType({18: (688, 728), 19: (729, 761), 20: (762, 823), 21: (824, 875)}),
        "ERBB2": MappingProxyType({19: (737, 769), 20: (770, 831)}),
        "MET": MappingProxyType({14: (964, 1010)}),
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
    table: Mapping[int, tuple[int, int]] = EXON_CODONS.get(gene, {})
    for exon, (lo, hi) in table.items():
        if start <= hi and end >= lo:
            found.add(exon)
    return frozenset(e for e in found if e is not None)


MET_EXON14_CDNA: Final = (2888, 3028)
"""MET exon 14 on NM_000245, first and last c. position (see the module docstring)."""

_MET_EX14_SPLICE_SITES: Final = (
    (MET_EXON14_CDNA[0], -2),
    (MET_EXON14_CDNA[0], -1),
    (MET_EXON14_CDNA[1], 1),
    (MET_EXON14_CDNA[1], 2),
)
_CDNA_RANGE = re.compile(
    r"^c\.([1-9][0-9]*)([+-][1-9][0-9]*)?(?:_([1-9][0-9]*)([+-][1-9][0-9]*)?)?"
)


def met_exon14_splice_site(cdna: str) -> bool:
    """Whether a MET c. change (NM_000245 numbering, canonical form such as ``c.3028+1G>T``
    or ``c.2888-35_2888-2del``) touches one of the two canonical splice-site dinucleotides of
    exon 14: the acceptor (c.2888-2, c.2888-1) or the donor (c.3028+1, c.3028+2).

    Such changes make exon 14 skip: "mutations in the MET exon 14 RNA splice acceptor and
    donor sites, which lead to exon skipping" (Paik PK et al., Cancer Discov 2015;5:842-849,
    doi:10.1158/2159-8290.CD-14-1467, PMID 25971939; also Frampton GM et al., Cancer Discov
    2015;5:850-859, doi:10.1158/2159-8290.CD-15-0285, PMID 25971938). Changes elsewhere in
    the introns (the polypyrimidine tract, +3 to +6), which may also cause skipping, and
    exonic changes at D1010 are left out: not every one does, and a wrong category costs
    more than a missing one. A c. change on another transcript (NM_001127500 numbers exon 14
    c.2942-c.3082) is not recognised.
    """
    m = _CDNA_RANGE.match(cdna)
    if m is None:
        return False
    start = (int(m[1]), int(m[2] or 0))
    end = (int(m[3]), int(m[4] or 0)) if m[3] else start
    return any(start <= site <= end for site in _MET_EX14_SPLICE_SITES)
