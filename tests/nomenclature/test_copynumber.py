"""Copy-number changes: measures kept, genes resolved, refusals located."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.nomenclature._alteration_tables import refusal_is_well_formed
from tkiresist.errors import ParseError
from tkiresist.model.alterations import CopyNumber
from tkiresist.model.categories import categorize
from tkiresist.nomenclature.copynumber import format_copy_number, parse_copy_number


@pytest.mark.parametrize(
    ("text", "gene", "change", "copy_number", "ratio"),
    [("MET amplification", "MET", "amplification", None, None),
     ("MET amp", "MET", "amplification", None, None),
     ("MET amp (GCN 8)", "MET", "amplification", 8.0, None),
     ("MET amplification (MET/CEP7 ratio 2.5)", "MET", "amplification", None, 2.5),
     ("ERBB2/HER2 amplification", "ERBB2", "amplification", None, None),
     ("HER2 amplification", "ERBB2", "amplification", None, None),
     ("EGFR gain", "EGFR", "gain", None, None),
     ("CDKN2A deletion", "CDKN2A", "deletion", None, None),
     ("RB1 loss", "RB1", "loss", None, None)],
)  # fmt: skip
def test_brief_examples(
    text: str, gene: str, change: str, copy_number: float | None, ratio: float | None
) -> None:
    c = parse_copy_number(text)
    assert (c.gene, c.change, c.copy_number, c.ratio) == (gene, change, copy_number, ratio)


def test_categories() -> None:
    assert "met_amplification" in categorize(parse_copy_number("MET amp (GCN 8)"))
    assert "erbb2_amplification" in categorize(parse_copy_number("HER2 amplification"))
    assert "rb1_loss" in categorize(parse_copy_number("RB1 loss"))


def test_ratio_must_be_of_the_altered_gene() -> None:
    with pytest.raises(ParseError, match="a ratio of MET, not of ERBB2") as info:
        parse_copy_number("MET amplification (ERBB2/CEP17 ratio 2.5)")
    assert info.value.position == 19


@given(
    st.sampled_from(["MET", "ERBB2", "EGFR", "CDKN2A", "RB1"]),
    st.sampled_from(["amplification", "gain", "loss", "deletion"]),
    st.one_of(st.none(), st.integers(0, 200).map(float), st.sampled_from([2.5, 5.25, 10.1])),
    st.one_of(st.none(), st.sampled_from([1.0, 2.2, 3.75])),
    st.one_of(st.none(), st.sampled_from([-1.5, 0.0, 2.3])),
    st.one_of(st.none(), st.sampled_from(["FISH", "NGS", "ddPCR"])),
)
def test_format_parse_is_identity(
    gene: str,
    change: str,
    copy_number: float | None,
    ratio: float | None,
    log2: float | None,
    method: str | None,
) -> None:
    c = CopyNumber(gene=gene, change=change, copy_number=copy_number, ratio=ratio,  # type: ignore[arg-type]
                   log2=log2, method=method)  # fmt: skip
    assert parse_copy_number(format_copy_number(c)) == c


@settings(max_examples=300)
@given(st.text(max_size=40))
def test_arbitrary_text_raises_only_parse_error(text: str) -> None:
    refusal_is_well_formed(parse_copy_number, text)
