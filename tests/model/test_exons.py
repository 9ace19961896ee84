"""Exon boundaries of tkiresist.model.exons, pinned to the values verified in its docstring."""

from __future__ import annotations

from itertools import pairwise

import pytest

from tkiresist.model.exons import EXON_CODONS, exon_of, exons_spanned, met_exon14_splice_site

# (gene, codon, exon or None): both ends of every mapped exon and the codon either side.
BOUNDARIES = [
    ("EGFR", 687, None),
    ("EGFR", 688, 18),
    ("EGFR", 728, 18),
    ("EGFR", 729, 19),
    ("EGFR", 761, 19),
    ("EGFR", 762, 20),
    ("EGFR", 823, 20),
    ("EGFR", 824, 21),
    ("EGFR", 875, 21),
    ("EGFR", 876, None),
    ("ERBB2", 736, None),
    ("ERBB2", 737, 19),
    ("ERBB2", 769, 19),
    ("ERBB2", 770, 20),
    ("ERBB2", 831, 20),
    ("ERBB2", 832, None),
    # c.2887 (first base of codon 963) is the last base of exon 13
    ("MET", 963, None),
    ("MET", 964, 14),
    ("MET", 1003, 14),
    ("MET", 1010, 14),
    ("MET", 1011, None),
    ("KRAS", 12, None),
]


@pytest.mark.parametrize(("gene", "codon", "exon"), BOUNDARIES)
def test_exon_of_boundaries(gene: str, codon: int, exon: int | None) -> None:
    assert exon_of(gene, codon) == exon


def test_mapped_exons_do_not_overlap() -> None:
    for gene, table in EXON_CODONS.items():
        ranges = sorted(table.values())
        for (_, hi), (lo, _) in pairwise(ranges):
            assert hi < lo, f"{gene}: exons overlap at {hi}/{lo}"


@pytest.mark.parametrize(
    ("gene", "start", "end", "expected"),
    [
        ("EGFR", 746, 750, {19}),  # E746_A750del
        ("EGFR", 769, 771, {20}),  # D770_N771ins
        ("EGFR", 759, 763, {19, 20}),  # a deletion across the exon 19/20 junction
        ("ERBB2", 772, 775, {20}),  # Y772_A775dup
        ("KRAS", 12, 13, set()),
    ],
)
def test_exons_spanned(gene: str, start: int, end: int, expected: set[int]) -> None:
    assert exons_spanned(gene, start, end) == frozenset(expected)


@pytest.mark.parametrize(
    ("cdna", "expected"),
    [
        ("c.3028+1G>T", True),  # the exon 14 donor dinucleotide
        ("c.3028+2T>C", True),
        ("c.2888-1G>A", True),  # the exon 14 acceptor dinucleotide
        ("c.2888-2A>G", True),
        ("c.2888-35_2888-2del", True),  # an intron 13 deletion that removes the acceptor
        ("c.3020_3028+5del", True),  # a deletion across the donor
        ("c.3028+3A>G", False),  # beyond the dinucleotide: left out on purpose
        ("c.2888-3C>T", False),
        ("c.2888-35_2888-3del", False),
        ("c.3028G>C", False),  # D1010H, exonic: left out on purpose
        ("c.3082+1G>T", False),  # the donor on NM_001127500 numbering: not recognised
        ("c.-5A>G", False),
    ],
)
def test_met_exon14_splice_sites(cdna: str, expected: bool) -> None:
    assert met_exon14_splice_site(cdna) is expected


def test_met_splice_site_variant_is_exon14_skipping_only_in_met() -> None:
    from tkiresist.model.categories import categorize
    from tkiresist.nomenclature.variants import parse_variant

    assert "met_ex14_skipping" in categorize(parse_variant("c.3028+1G>T", gene="MET"))
    assert "met_ex14_skipping" in categorize(parse_variant("c.2888-2A>G", gene="MET"))
    assert "met_ex14_skipping" not in categorize(parse_variant("c.3028+3A>G", gene="MET"))
    assert categorize(parse_variant("c.3028+1G>T", gene="KEAP1")) == frozenset()
