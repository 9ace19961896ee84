"""HGNC symbol resolution: approved, previous and alias symbols, hyphens, ambiguity, case."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tkiresist.errors import ParseError, UnknownGeneError
from tkiresist.nomenclature import genes


@pytest.mark.parametrize(
    ("written", "approved", "kind"),
    [
        ("EGFR", "EGFR", "approved"),
        ("ALK", "ALK", "approved"),
        ("NKX2-1", "NKX2-1", "approved"),
        ("HLA-A", "HLA-A", "approved"),
        ("HER2", "ERBB2", "alias"),
        ("Her2", "ERBB2", "alias"),
        ("ERBB", "EGFR", "previous"),
        ("PLEKHA7", "PLEKHA7", "approved"),
        ("egfr", "EGFR", "approved"),
    ],
)
def test_resolves_to_the_current_symbol(written: str, approved: str, kind: str) -> None:
    sym = genes.lookup(written)
    assert (sym.approved, sym.kind, sym.written) == (approved, kind, written)
    assert sym.hgnc_id.startswith("HGNC:")
    assert genes.resolve(written) == approved


def test_hgnc_ids_are_the_right_ones() -> None:
    assert genes.lookup("EGFR").hgnc_id == "HGNC:3236"
    assert genes.lookup("ALK").hgnc_id == "HGNC:427"
    assert genes.lookup("EML4").hgnc_id == "HGNC:1316"


@pytest.mark.parametrize("bad", ["FOOBAR1", "NOTAGENE", "EML4ALK"])
def test_unknown_symbols_are_refused_by_name(bad: str) -> None:
    with pytest.raises(UnknownGeneError, match=f"unknown gene symbol '{bad}'"):
        genes.resolve(bad)
    assert not genes.is_known(bad)


def test_empty_symbol_names_position() -> None:
    with pytest.raises(ParseError, match="position 0"):
        genes.resolve("  ")


def test_hyphenated_symbols_include_the_ones_fusions_need() -> None:
    hy = genes.hyphenated_symbols()
    assert {"NKX2-1", "HLA-A"} <= hy
    assert all("-" in s for s in hy)


def test_text_search_and_bulk_dict_agree() -> None:
    sample = ["EGFR", "ALK", "NKX2-1", "TP53", "KRAS", "C1orf112", "HLA-DRB1", "XYZ123"]
    by_text = [genes._approved_id(s) for s in sample]
    table = genes._approved()
    assert by_text == [table.get(s) for s in sample]
    assert by_text[-1] is None


@given(st.text(max_size=30))
def test_arbitrary_text_never_crashes(text: str) -> None:
    # only our error type may escape: anything else fails the test
    with contextlib.suppress(ParseError):
        genes.lookup(text)
