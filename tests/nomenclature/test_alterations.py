"""The parser registry: contract (None = not mine, raise = mine but invalid) and dispatch."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.nomenclature._alteration_tables import refusal_is_well_formed
from tkiresist.errors import ParseError
from tkiresist.model.alterations import CopyNumber, Fusion, Histology, SequenceVariant
from tkiresist.nomenclature.alterations import REGISTRY, format_alteration, parse_alteration


@pytest.mark.parametrize(
    ("text", "kind"),
    [("EGFR L858R", SequenceVariant), ("MET amp", CopyNumber), ("EML4-ALK", Fusion),
     ("ERBB2/HER2 amplification", CopyNumber), ("ALK rearrangement", Fusion),
     ("MET exon 14 skipping", SequenceVariant), ("SCLC transformation", Histology),
     ("CDKN2A deletion", CopyNumber), ("EGFR del19", SequenceVariant)],
)  # fmt: skip
def test_dispatch(text: str, kind: type) -> None:
    a = parse_alteration(text)
    assert isinstance(a, kind)
    assert parse_alteration(format_alteration(a)) == a


def test_registry_order_and_kinds() -> None:
    assert [p.kind for p in REGISTRY] == ["copy_number", "fusion", "sequence_variant", "histology"]


@pytest.mark.parametrize("parser", REGISTRY, ids=lambda p: p.kind)
def test_each_parser_says_not_mine_to_foreign_text(parser: object) -> None:
    assert parser.try_parse("the quick brown fox", None, None) is None  # type: ignore[attr-defined]


def test_mine_but_invalid_raises_from_the_claiming_parser() -> None:
    with pytest.raises(ParseError, match="ratio of MET"):
        parse_alteration("MET amplification (ERBB2/CEP17 ratio 2)")
    with pytest.raises(ParseError, match="exon 21"):
        parse_alteration("EGFR exon 19 L858R")


def test_no_match_lists_the_kinds_tried() -> None:
    with pytest.raises(ParseError) as info:
        parse_alteration("the quick brown fox")
    message = str(info.value)
    for p in REGISTRY:
        assert p.kind in message
    assert info.value.position == 0


def test_context_gene_is_used_when_the_text_names_none() -> None:
    a = parse_alteration("T790M", gene="EGFR")
    assert isinstance(a, SequenceVariant) and a.gene == "EGFR"
    b = parse_alteration("amplification", gene="MET")
    assert isinstance(b, CopyNumber) and b.gene == "MET"


@settings(max_examples=300)
@given(st.text(max_size=40))
def test_arbitrary_text_raises_only_parse_error(text: str) -> None:
    refusal_is_well_formed(parse_alteration, text)
