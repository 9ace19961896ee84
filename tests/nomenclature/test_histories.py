"""EGFR histories: ordered steps, concurrent sets, de novo, arrows as papers print them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.nomenclature._alteration_tables import refusal_is_well_formed
from tkiresist.errors import ParseError
from tkiresist.model.alterations import SequenceVariant
from tkiresist.nomenclature.histories import format_history, parse_history

ARROWS = ["→", "->", "-->", "\\rightarrow", "$\\rightarrow$", "then", "followed by", "⟶"]


@pytest.mark.parametrize("arrow", ARROWS)
def test_arrows_make_ordered_steps(arrow: str) -> None:
    h = parse_history(f"L858R {arrow} T790M")
    assert len(h.steps) == 2
    first, second = h.steps[0].alterations[0], h.steps[1].alterations[0]
    assert isinstance(first, SequenceVariant) and isinstance(second, SequenceVariant)
    assert (first.gene, first.exon) == ("EGFR", 21)
    assert second.protein is not None and second.protein.short() == "T790M"
    assert h.acquired == (second,)


def test_de_novo_concurrent_set() -> None:
    h = parse_history("Exon 19 deletion + T790M (de novo)")
    assert len(h.steps) == 1
    assert h.steps[0].de_novo is True
    assert len(h.steps[0].alterations) == 2
    assert h.acquired == ()


def test_acquired_skips_what_the_baseline_had() -> None:
    h = parse_history("Ex19del → Ex19del + T790M → Ex19del + T790M + C797S")
    names = [a.name for a in h.acquired]
    assert names == ["EGFR p.T790M", "EGFR p.C797S"]


def test_other_kinds_in_a_history_keep_their_gene() -> None:
    h = parse_history("L858R → T790M → MET amp")
    assert h.steps[2].alterations[0].genes == ("MET",)


def test_errors_point_into_the_whole_history() -> None:
    with pytest.raises(ParseError) as info:
        parse_history("L858R → T790M → FOO")
    assert info.value.position == 16
    assert "'L858R → T790M → FOO'" in str(info.value)


@given(st.lists(st.sampled_from(["L858R", "T790M", "C797S", "Exon 19 deletion", "MET amp",
                                 "EML4-ALK", "G724S"]), min_size=1, max_size=4))  # fmt: skip
def test_format_parse_is_identity(items: list[str]) -> None:
    h = parse_history(" → ".join(items))
    assert parse_history(format_history(h)) == h


@settings(max_examples=200)
@given(st.text(max_size=40))
def test_arbitrary_text_raises_only_parse_error(text: str) -> None:
    refusal_is_well_formed(parse_history, text)
