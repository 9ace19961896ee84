"""Fusions: orientation, named variants, partner-unknown forms, hypothesis properties."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.nomenclature._alteration_tables import refusal_is_well_formed
from tkiresist.errors import ParseError
from tkiresist.model.alterations import Fusion
from tkiresist.model.categories import categorize
from tkiresist.nomenclature.fusions import (
    EML4_ALK_VARIANTS,
    THREE_PRIME_GENES,
    format_fusion,
    format_fusions,
    orient,
    parse_fusion,
    parse_fusions,
)

PARTNERS = ["EML4", "STRN", "TFG", "PLEKHA7", "DCTN1", "KIF5B", "CCDC6", "CD74", "TPM3",
            "NKX2-1", "HLA-A", "TACC3", "SLC34A2", "AGK"]  # fmt: skip
KINASES = [*sorted(THREE_PRIME_GENES), "FGFR3", "FGFR1"]
SEPARATORS = ["::", "-", "--", "/", "_", "- ", " - ", " :: ", "\u2013"]


@pytest.mark.parametrize(
    ("written", "five", "three", "corrected"),
    [("ALK-EML4", "EML4", "ALK", True), ("EML4-ALK", "EML4", "ALK", False),
     ("RET-CCDC6", "CCDC6", "RET", True), ("ROS1::CD74", "CD74", "ROS1", True),
     ("NTRK1-TPM3", "TPM3", "NTRK1", True), ("BRAF-AGK", "AGK", "BRAF", True),
     ("MET-KIF5B", "KIF5B", "MET", True), ("NRG1-CD74", "CD74", "NRG1", True),
     ("FGFR3-TACC3", "FGFR3", "TACC3", False), ("TACC3::FGFR3", "FGFR3", "TACC3", True),
     ("FGFR2-BICC1", "FGFR2", "BICC1", False), ("BICC1-FGFR2", "BICC1", "FGFR2", False),
     ("ALK-RET", "ALK", "RET", False)],
)  # fmt: skip
def test_orientation_is_decided_by_knowledge(
    written: str, five: str, three: str, corrected: bool
) -> None:
    report = parse_fusions(written)
    f = report.fusions[0]
    assert (f.five_prime, f.three_prime, f.order_corrected) == (five, three, corrected)
    assert report.order_corrected is corrected


def test_swapping_moves_exons_with_their_genes() -> None:
    f = parse_fusion("ALK exon 20::EML4 exon 13")
    assert (f.five_prime, f.five_prime_exon, f.three_prime, f.three_prime_exon) == (
        "EML4", "13", "ALK", "20"
    )  # fmt: skip
    assert f.variant == "v1"


@pytest.mark.parametrize("name", sorted(EML4_ALK_VARIANTS))
def test_named_variants_and_exons_agree(name: str) -> None:
    five, three = EML4_ALK_VARIANTS[name]
    by_name = parse_fusion(f"EML4::ALK {name}")
    by_exons = parse_fusion(f"EML4 exon {five}::ALK exon {three}")
    by_code = parse_fusion(f"E{five};A{three}")
    assert by_name == by_exons == by_code
    assert by_name.variant == name


def test_hyphenated_symbols_split_right() -> None:
    assert parse_fusion("NKX2-1-ALK").five_prime == "NKX2-1"
    assert parse_fusion("HLA-A-ALK").five_prime == "HLA-A"
    assert parse_fusion("ALK-NKX2-1").five_prime == "NKX2-1"


@pytest.mark.parametrize(
    ("text", "method"),
    [("ALK rearrangement", None), ("ALK fusion", None), ("ALK fusion rearrangement", None),
     ("ALK positive by IHC", "IHC"), ("ALK FISH break-apart positive", "FISH"),
     ("ALK-rearranged", None), ("RET fusion (RNA-seq)", "RNA")],
)  # fmt: skip
def test_partner_unknown_forms(text: str, method: str | None) -> None:
    report = parse_fusions(text)
    f = report.fusions[0]
    assert f.five_prime is None
    assert report.method == method
    gene = text.split()[0].split("-")[0]
    assert f.three_prime == gene
    assert f"{gene.lower()}_fusion" in categorize(f)


def test_double_fusion_from_the_seed() -> None:
    report = parse_fusions("EML4- ALK, STRN-ALK")
    assert [f.name for f in report.fusions] == ["EML4::ALK", "STRN::ALK"]
    assert format_fusions(report) == "EML4::ALK; STRN::ALK"
    with pytest.raises(ParseError, match="exactly one fusion"):
        parse_fusion("EML4- ALK, STRN-ALK")


def test_categories_follow_the_corrected_order() -> None:
    assert "alk_fusion_eml4" in categorize(parse_fusion("ALK-EML4"))
    assert "alk_fusion_non_eml4" in categorize(parse_fusion("STRN-ALK"))


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [("EML4-FOO", 5, "not an HGNC symbol: 'FOO'"), ("ALK-", 4, "a 3' gene symbol"),
     ("::ALK", 0, "a 5' gene symbol"), ("EML4", 4, "a fusion partner")],
)  # fmt: skip
def test_refusals_name_the_position(text: str, position: int, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_fusions(text)
    assert info.value.position == position
    assert fragment in str(info.value)
    assert repr(text) in str(info.value)


@st.composite
def fusion_texts(draw: st.DrawFn) -> str:
    kinase = draw(st.sampled_from(KINASES))
    partner = draw(st.sampled_from(PARTNERS))
    assume(kinase != partner)
    first, second = (partner, kinase) if draw(st.booleans()) else (kinase, partner)
    exon = st.one_of(st.none(), st.integers(1, 40).map(str))
    e1, e2 = draw(exon), draw(exon)
    side1 = first + (f" exon {e1}" if e1 else "")
    side2 = second + (f"({e2})" if e2 else "")
    return side1 + draw(st.sampled_from(SEPARATORS)) + side2


@given(fusion_texts())
def test_fusion_parse_format_parse_is_identity(text: str) -> None:
    f = parse_fusion(text)
    again = parse_fusion(format_fusion(f))
    assert again == f.model_copy(update={"order_corrected": False})
    assert format_fusion(again) == format_fusion(f)


@given(st.sampled_from(PARTNERS), st.sampled_from(KINASES), st.one_of(st.none(), st.booleans()))
def test_formatted_fusion_values_read_back(
    partner: str, kinase: str, in_frame: bool | None
) -> None:
    five, three, _ = orient(partner, kinase)
    assume(five != three)
    f = Fusion(five_prime=five, three_prime=three, in_frame=in_frame)
    assert parse_fusion(format_fusion(f)) == f


@settings(max_examples=300)
@given(st.text(max_size=40))
def test_arbitrary_text_raises_only_parse_error(text: str) -> None:
    for parse in (parse_fusions, parse_fusion):
        refusal_is_well_formed(parse, text)


@settings(max_examples=300)
@given(st.text(alphabet="EMLA4KRTS-:/_;,+()vexon 1320abIHCFISHNGSfusion", max_size=30))
def test_fusion_like_text_raises_only_parse_error(text: str) -> None:
    refusal_is_well_formed(parse_fusions, text)
