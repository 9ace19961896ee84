"""Sequence variants: behaviour beyond the golden tables, and hypothesis properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.nomenclature._alteration_tables import refusal_is_well_formed
from tkiresist.errors import Location, ParseError
from tkiresist.model.alterations import AMINO_ACIDS_1, ProteinChange
from tkiresist.model.categories import categorize
from tkiresist.nomenclature.variants import (
    EGFR_CDNA_TO_PROTEIN,
    format_variant,
    parse_protein_change,
    parse_variant,
)

ONE_LETTER = sorted(set(AMINO_ACIDS_1) - {"X", "*"})
THREE = dict(AMINO_ACIDS_1)  # one letter -> three letters


@st.composite
def protein_changes(draw: st.DrawFn) -> ProteinChange:
    edit = draw(
        st.sampled_from(
            ["substitution", "deletion", "delins", "insertion", "duplication", "frameshift"]
        )
    )
    start = draw(st.integers(min_value=1, max_value=5000))
    ref = draw(st.sampled_from(ONE_LETTER))
    ranged = edit == "insertion" or (
        edit in ("deletion", "delins", "duplication") and draw(st.booleans())
    )
    end = None
    ref_end = None
    if ranged:
        end = start + 1 if edit == "insertion" else start + draw(st.integers(1, 30))
        ref_end = draw(st.sampled_from(ONE_LETTER))
    alt = None
    if edit == "substitution":
        alt = draw(st.sampled_from([a for a in [*ONE_LETTER, "X", "*"] if a != ref]))
    elif edit in ("delins", "insertion"):
        alt = "".join(draw(st.lists(st.sampled_from(ONE_LETTER), min_size=1, max_size=6)))
    return ProteinChange(ref_start=ref, start=start, ref_end=ref_end, end=end, edit=edit, alt=alt)


def three_letter(p: ProteinChange) -> str:
    """The same change in three-letter HGVS, written independently of the formatter."""
    loc = f"{THREE[p.ref_start]}{p.start}"
    if p.end is not None and p.ref_end is not None:
        loc += f"_{THREE[p.ref_end]}{p.end}"
    alt = "".join(THREE[a] for a in (p.alt or ""))
    tail = {"substitution": alt, "deletion": "del", "delins": f"delins{alt}",
            "insertion": f"ins{alt}", "duplication": "dup", "frameshift": "fs"}  # fmt: skip
    return f"p.{loc}{tail[p.edit]}"


@given(protein_changes())
def test_protein_change_parse_format_parse_is_identity(p: ProteinChange) -> None:
    assert parse_protein_change(p.hgvs()) == p
    assert parse_protein_change(p.short()) == p
    assert parse_protein_change(f"p.({p.short()})") == p
    assert parse_protein_change(format_variant_protein(p)) == p


def format_variant_protein(p: ProteinChange) -> str:
    return f"NP_005219.2:{p.hgvs()}"


@given(protein_changes())
def test_three_letter_reads_as_one_letter(p: ProteinChange) -> None:
    assert parse_protein_change(three_letter(p)) == p


@given(protein_changes(), st.sampled_from(["EGFR", "ERBB2", "MET", "KRAS", "ALK", "BRAF"]))
def test_variant_parse_format_parse_is_identity(p: ProteinChange, gene: str) -> None:
    v = parse_variant(f"{gene} {p.hgvs()}")
    assert parse_variant(format_variant(v)) == v


PARSERS = [parse_protein_change, parse_variant, lambda t: parse_variant(t, "EGFR")]


@settings(max_examples=300)
@given(st.text(max_size=40))
def test_arbitrary_text_raises_only_parse_error(text: str) -> None:
    for parse in PARSERS:
        refusal_is_well_formed(parse, text)


@settings(max_examples=300)
@given(st.text(alphabet="ACDEGKLMPQRSTVXY*_-:.()0123456789 cdelinsupfxtrExon>NP_", max_size=30))
def test_nomenclature_like_text_raises_only_parse_error(text: str) -> None:
    for parse in PARSERS:
        refusal_is_well_formed(parse, text)


@pytest.mark.parametrize(
    ("text", "exon"),
    [("EGFR E746_A750del", 19), ("EGFR L858R", 21), ("EGFR T790M", 20), ("EGFR G719S", 18),
     ("EGFR D770_N771insSVD", 20), ("EGFR A289V", None), ("EGFR L747_A763del", None)],
)  # fmt: skip
def test_exon_comes_from_the_codon_position(text: str, exon: int | None) -> None:
    # L747_A763del spans exons 19 and 20, so it has no single exon.
    assert parse_variant(text).exon == exon


def test_a_written_exon_is_checked_not_believed() -> None:
    with pytest.raises(ParseError, match="exon 21"):
        parse_variant("EGFR exon 19 L858R")
    # an exon the map cannot check is kept as the source wrote it
    assert parse_variant("KRAS exon 2 G12C").exon == 2


def test_cdna_hotspots_map_to_their_protein_change() -> None:
    v = parse_variant("EGFR c.2573T>G")
    assert v.protein == EGFR_CDNA_TO_PROTEIN["c.2573T>G"]
    assert v.protein is not None and v.protein.short() == "L858R"
    assert parse_variant("c.2369C>T", gene="EGFR").protein == parse_protein_change("T790M")
    # the table is EGFR's: the same c. change in another gene stays unmapped
    assert parse_variant("KRAS c.2573T>G").protein is None


def test_egfr_shorthands_and_categories() -> None:
    for text in ("Exon 19 del", "ex19del", "19del", "del19", "Ex19del", "exon 19 deletion"):
        v = parse_variant(text)
        assert (v.gene, v.exon, v.region_effect) == ("EGFR", 19, "deletion")
        assert "egfr_ex19del" in categorize(v)
    assert "egfr_ex20ins" in categorize(parse_variant("ex20ins"))
    assert "met_ex14_skipping" in categorize(parse_variant("MET exon 14 skipping"))
    assert "egfr_l858r" in categorize(parse_variant("L858R", gene="EGFR"))


def test_gene_is_required_outside_the_egfr_shorthands() -> None:
    for text in ("L858R", "exon 14 skipping", "c.2573T>G"):
        with pytest.raises(ParseError, match="a gene symbol before the change"):
            parse_variant(text)


def test_gene_argument_cannot_contradict_the_text() -> None:
    with pytest.raises(ParseError, match="gene EGFR as given by the caller, not MET"):
        parse_variant("MET exon 14 skipping", gene="EGFR")
    assert parse_variant("HER2 exon 20 insertion").gene == "ERBB2"


def test_error_carries_location_and_column() -> None:
    loc = Location(file="case.yaml", line=12, field="tests.0.findings")
    with pytest.raises(ParseError) as info:
        parse_variant("EGFR L858", location=loc)
    err = info.value
    assert err.position == 9
    assert err.location.column == 10
    assert str(err).startswith("case.yaml:12:10: tests.0.findings: cannot parse")
