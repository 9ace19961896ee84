"""Normalising one distinct key (tkiresist.annotate.keys) and reading therapy cells."""

from __future__ import annotations

import pytest

from tkiresist.annotate import keys
from tkiresist.annotate.inputs import parse_prior_therapy
from tkiresist.annotate.keys import RowStatus
from tkiresist.errors import UnknownDrugError

EX19 = "egfr_classical_sensitising,egfr_ex19del,egfr_mutation,egfr_sensitising"

# (gene, protein text, c. text, alteration, categories, status)
VARIANTS = [
    ("EGFR", "p.L747_S752delinsQ", None, "EGFR p.L747_S752delinsQ", EX19, RowStatus.NO_MATCH),
    ("EGFR", "p.Leu858Arg", None, "EGFR p.L858R",
     "egfr_classical_sensitising,egfr_l858r,egfr_mutation,egfr_sensitising", RowStatus.NO_MATCH),
    ("EGFR", "p.T790M", "c.2369C>T", "EGFR p.T790M", "egfr_mutation,egfr_t790m",
     RowStatus.NO_MATCH),
    # an unreadable protein change falls back to the c. change (EGFR hotspot mapping)
    ("EGFR", "p.X858_splice", "ENST00000275493.2:c.2573T>G", "EGFR p.L858R",
     "egfr_classical_sensitising,egfr_l858r,egfr_mutation,egfr_sensitising", RowStatus.NO_MATCH),
    ("TP53", "p.X125_splice", "c.375+1G>A", "TP53 c.375+1G>A", "tp53_alteration",
     RowStatus.NO_MATCH),
    ("KRAS", "p.G12C", None, "KRAS p.G12C", "kras_g12c,kras_mutation", RowStatus.NO_MATCH),
    ("KRAS", "p.G12fs", None, "KRAS p.G12fs", "kras_mutation", RowStatus.NO_MATCH),
    # vcf2maf's splice notation with no c. change: read as written where the gene's every
    # variant has the same categories; unparsed where the category depends on the change
    ("TP53", "p.X125_splice", None, "TP53 p.X125_splice", "tp53_alteration",
     RowStatus.NO_MATCH),
    ("MET", "p.X1010_splice", None, None, "", RowStatus.UNPARSED),
    ("TP53", "p.X125_splice_x", None, None, "", RowStatus.UNPARSED),
    ("TP53", None, None, None, "", RowStatus.UNPARSED),
]  # fmt: skip


@pytest.mark.parametrize(("gene", "p", "c", "alteration", "categories", "status"), VARIANTS)
def test_category_variant(
    gene: str,
    p: str | None,
    c: str | None,
    alteration: str | None,
    categories: str,
    status: RowStatus,
) -> None:
    ann = keys.category_variant(gene, p, c)
    assert (ann.alteration, ann.categories, ann.status) == (alteration, categories, status)
    assert (ann.problem is None) == (status is RowStatus.NO_MATCH)


def test_unparsed_names_why() -> None:
    ann = keys.category_variant("TP53", "p.X125_splicing", None)
    assert ann.problem is not None and "p.X125_splicing" in ann.problem
    ann = keys.category_variant("MET", "p.X1010_splice", None)
    assert ann.problem is not None
    assert "splice-site change" in ann.problem and "HGVSc" in ann.problem
    ann = keys.category_variant("MET", "p.X1010_splice", "c.3028+1G>T")
    assert ann.status is RowStatus.NO_MATCH and "met_ex14_skipping" in ann.categories


@pytest.mark.parametrize(
    ("symbol", "approved"),
    [("EGFR", "EGFR"), ("HER2", "ERBB2"), ("NKX2-1", "NKX2-1"), ("NOTAGENE1", None)],
)
def test_gene(symbol: str, approved: str | None) -> None:
    read = keys.gene(symbol)
    assert read.text == approved
    if approved is None:
        assert read.problem is not None and "NOTAGENE1" in read.problem


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("p.Leu858Arg", "p.L858R"), ("p.N139Qfs*5", "p.N139fs"), ("p.E746_A750delELREA",
     "p.E746_A750del"), ("p.S406=", None), ("p.M1?", None)],
)  # fmt: skip
def test_protein(text: str, canonical: str | None) -> None:
    assert keys.protein(text).text == canonical


def test_cdna_drops_the_transcript() -> None:
    assert keys.cdna("ENST00000275493.2:c.2238_2256delinsGCAA").text == "c.2238_2256delinsGCAA"
    assert keys.cdna("c.12_").text is None


# (site 1, site 2, alteration, categories, status)
PAIRS = [
    ("EML4", "ALK", "EML4::ALK", "alk_fusion,alk_fusion_eml4", RowStatus.NO_MATCH),
    ("ALK", "EML4", "EML4::ALK", "alk_fusion,alk_fusion_eml4", RowStatus.NO_MATCH),
    ("RET", "KIF5B", "KIF5B::RET", "ret_fusion", RowStatus.NO_MATCH),
    (None, "ALK", "ALK fusion", "alk_fusion", RowStatus.NO_MATCH),
    ("TP53", None, None, "", RowStatus.UNPARSED),
    ("EGFR", "EGFR", None, "", RowStatus.UNPARSED),
    ("EML4", "NOTAGENE1", None, "", RowStatus.UNKNOWN_GENE),
]


@pytest.mark.parametrize(("a", "b", "alteration", "categories", "status"), PAIRS)
def test_fusion_pair(
    a: str | None, b: str | None, alteration: str | None, categories: str, status: RowStatus
) -> None:
    ann = keys.fusion_pair(a, b)
    assert (ann.alteration, ann.categories, ann.status) == (alteration, categories, status)


@pytest.mark.parametrize(
    ("text", "alteration", "status"),
    [
        ("ALK-EML4 fusion", "EML4::ALK", RowStatus.NO_MATCH),
        ("NKX2-1::ALK", "NKX2-1::ALK", RowStatus.NO_MATCH),
        ("EML4::NOTAGENE1", None, RowStatus.UNPARSED),
        ("EGFR-intragenic", None, RowStatus.UNPARSED),
    ],
)
def test_fusion_text(text: str, alteration: str | None, status: RowStatus) -> None:
    ann = keys.fusion_text(text)
    assert (ann.alteration, ann.status) == (alteration, status)
    if "NOTAGENE1" in text:
        assert ann.problem is not None and "NOTAGENE1" in ann.problem


@pytest.mark.parametrize(
    ("value", "alteration", "categories"),
    [("2", "MET amplification", "met_amplification"), ("1", "MET gain", ""),
     ("-1.5", "MET loss", ""), ("-2", "MET deletion", "")],
)  # fmt: skip
def test_copy_number(value: str, alteration: str, categories: str) -> None:
    ann = keys.copy_number("MET", value)
    assert (ann.alteration, ann.categories) == (alteration, categories)


# (cell, known, classes, generations)
THERAPIES = [
    ("osimertinib", True, {"egfr_tki"}, {3}),
    ("erlotinib, osimertinib", True, {"egfr_tki"}, {1, 3}),
    ("Carboplatin + Pemetrexed", True, {"chemotherapy"}, set()),
    ("gefitinib -> osimertinib + savolitinib", True, {"egfr_tki", "met_tki"}, {1, 3}),
    ("none", True, set(), set()),
    ("Treatment-naive", True, set(), set()),
    ("", False, set(), set()),
    ("NA", False, set(), set()),
]


@pytest.mark.parametrize(("cell", "known", "classes", "generations"), THERAPIES)
def test_prior_therapy(cell: str, known: bool, classes: set[str], generations: set[int]) -> None:
    prior = parse_prior_therapy(cell)
    assert prior.known is known
    assert prior.classes == classes
    assert prior.generations == generations


def test_prior_therapy_unknown_drug() -> None:
    with pytest.raises(UnknownDrugError):
        parse_prior_therapy("osimertinib, notadrugumab")
