"""Regimens and therapy sequences: grammar tables, the seed's Table 1, round trips (issue #2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.conftest import SEED_TEXT
from tkiresist.errors import Location, ParseError, UnknownDrugError
from tkiresist.nomenclature import drugs, regimens
from tkiresist.nomenclature.regimens import (
    ROLES,
    Regimen,
    RegimenComponent,
    TherapySequence,
    format_regimen,
    format_sequence,
    parse_regimen,
    parse_sequence,
)

DATA = Path(__file__).parent / "data"
SEED = SEED_TEXT  # the seed paper, copied into tests/data/seed/


def _rows(name: str) -> list[list[str]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line and not line.startswith("#")]


def _parse(kind: str, text: str) -> Regimen | TherapySequence:
    return parse_regimen(text) if kind == "regimen" else parse_sequence(text)


def _format(value: Regimen | TherapySequence) -> str:
    return format_regimen(value) if isinstance(value, Regimen) else format_sequence(value)


VALID = _rows("regimens_valid.tsv")
INVALID = _rows("regimens_invalid.tsv")
ROUND_TRIP = [r[0] for r in _rows("regimens_roundtrip.txt")]
TABLE1 = _rows("seed_table1_therapies.tsv")


@pytest.mark.parametrize(("kind", "text", "canonical"), VALID, ids=[r[1] for r in VALID])
def test_valid(kind: str, text: str, canonical: str) -> None:
    value = _parse(kind, text)
    assert _format(value) == canonical
    assert _parse(kind, canonical) == value


@pytest.mark.parametrize(
    ("kind", "text", "error", "position"), INVALID, ids=[repr(r[1]) for r in INVALID]
)
def test_invalid(kind: str, text: str, error: str, position: str) -> None:
    with pytest.raises(ParseError) as info:
        _parse(kind, text)
    assert isinstance(info.value, UnknownDrugError) == (error == "unknown_drug")
    assert info.value.position == int(position)
    assert repr(text) in str(info.value)


@pytest.mark.parametrize("canonical", ROUND_TRIP)
def test_round_trip(canonical: str) -> None:
    assert format_sequence(parse_sequence(canonical)) == canonical


def test_every_separator_has_a_row() -> None:
    texts = [r[1] for r in VALID]
    symbols = [s for s, _ in regimens._SYMBOLS if s not in "()"]
    words = [*regimens._SEPARATOR_WORDS, *(" ".join(p) for p in regimens._SEPARATOR_PAIRS)]
    latex = ["\\" + a for a in regimens._LATEX_ARROWS]
    missing = [s for s in symbols + latex if not any(s in t for t in texts)]
    missing += [w for w in words if not any(f" {w} " in f" {t.casefold()} " for t in texts)]
    assert missing == []


def test_every_role_has_a_row() -> None:
    texts = " ".join(r[1] for r in VALID).casefold()
    assert [r for r in ROLES if f"({r})" not in texts] == []


# ------------------------------------------------------------------------ the seed's Table 1


@pytest.mark.parametrize(
    ("case", "column", "printed", "expected"), TABLE1, ids=[f"{r[0]}-{r[1]}" for r in TABLE1]
)
def test_seed_table1_cells(case: str, column: str, printed: str, expected: str) -> None:
    if expected == "!unknown_drug":
        with pytest.raises(UnknownDrugError) as info:
            parse_sequence(printed)
        assert info.value.position == 0
    else:
        assert format_sequence(parse_sequence(printed)) == expected


def test_seed_table1_covers_all_sixteen_cases_in_both_columns() -> None:
    cells = {(int(r[0]), r[1]) for r in TABLE1}
    assert cells == {(c, col) for c in range(1, 17) for col in ("egfr_tki", "post_resistance")}


def test_seed_case6_cell_broken_over_two_lines() -> None:
    assert parse_sequence("Erlotinib →\nosimertinib") == parse_sequence("Erlotinib → osimertinib")


def test_seed_case13_sequence_in_detail() -> None:
    (row,) = [r for r in TABLE1 if r[:2] == ["13", "post_resistance"]]
    sequence = parse_sequence(row[2])
    assert [line.drugs for line in sequence.lines] == [
        ("osimertinib", "crizotinib"),
        ("brigatinib",),
        ("osimertinib", "crizotinib"),
        ("chemotherapy", "bevacizumab", "osimertinib", "dasatinib"),
        ("osimertinib", "egfr antibody"),
        ("chemotherapy",),
        ("osimertinib", "alectinib"),
    ]
    assert sequence.drugs[:3] == ("osimertinib", "crizotinib", "brigatinib")
    assert sequence.lines[4].has_class("anti_egfr_antibody")
    assert sequence.lines[0].has_class("alk_tki") and sequence.lines[0].is_combination


@pytest.mark.skipif(not SEED.exists(), reason=f"seed text {SEED} is not on this machine")
def test_seed_table1_cells_are_printed_verbatim() -> None:
    """Each non-empty cell in our table occurs in the seed's extracted text as written."""
    seed = SEED.read_text(encoding="utf-8")
    for case, column, printed, _ in TABLE1:
        if (case, column) == ("6", "egfr_tki"):
            assert "Erlotinib →\t" in seed and "\tosimertinib\t" in seed
        else:
            assert f"\t{printed}\t" in seed, (case, column)


# ------------------------------------------------------------------------ values and errors


def test_values_are_immutable_and_validated() -> None:
    regimen = Regimen.of("osimertinib", "alectinib")
    with pytest.raises(ValidationError):
        regimen.components = ()  # type: ignore[misc]
    with pytest.raises(ValidationError, match="appears twice"):
        Regimen.of("osimertinib", "osimertinib")
    with pytest.raises(ValidationError, match="generic ids"):
        RegimenComponent(drug="Tagrisso")
    with pytest.raises(ValidationError, match="unknown drug"):
        RegimenComponent(drug="foo")
    with pytest.raises(ValidationError):
        Regimen(components=())
    with pytest.raises(ValidationError):
        TherapySequence(lines=())
    assert str(regimen) == "osimertinib + alectinib"
    assert regimen.agents[1].is_alk_tki


def test_unknown_drug_error_names_input_and_position() -> None:
    text = "Erlotinib → osimertinib + necitumumb"
    with pytest.raises(UnknownDrugError) as info:
        parse_sequence(text, Location(file="case.yaml", line=12, field="therapy"))
    err = info.value
    assert err.text == "necitumumb"
    assert err.within == text
    assert err.position == text.index("necitumumb")
    assert err.suggestions == ("necitumumab",)
    assert str(err).startswith("case.yaml:12: therapy: unknown drug 'necitumumb' at position 26")


def test_ascii_arrow_output_round_trips() -> None:
    sequence = parse_sequence("Erlotinib → osimertinib + necitumumab")
    ascii_form = format_sequence(sequence, then=" -> ")
    assert ascii_form == "erlotinib -> osimertinib + necitumumab"
    assert parse_sequence(ascii_form) == sequence


def test_every_drug_name_parses_as_a_one_drug_regimen() -> None:
    """No name in the dictionary collides with a separator word or symbol."""
    for drug in drugs.all_drugs():
        for name in drug.names:
            assert parse_regimen(name).drugs == (drug.generic,), name


# ------------------------------------------------------------------------ property tests

GENERICS = sorted(d.generic for d in drugs.all_drugs())

components = st.builds(
    RegimenComponent,
    drug=st.sampled_from(GENERICS),
    role=st.one_of(st.none(), st.sampled_from(ROLES)),
)
regimen_values = st.lists(components, min_size=1, max_size=4, unique_by=lambda c: c.drug).map(
    lambda cs: Regimen(components=tuple(cs))
)
sequence_values = st.lists(regimen_values, min_size=1, max_size=6).map(
    lambda ls: TherapySequence(lines=tuple(ls))
)


@given(sequence_values)
def test_parse_format_round_trip(sequence: TherapySequence) -> None:
    assert parse_sequence(format_sequence(sequence)) == sequence


COMBINE = ["+", " + ", " plus ", " and ", " with ", " / ", " PLUS ", " With "]
THEN = [" → ", "->", " -> ", " => ", " ; ", " then ", " followed by ", " \\rightarrow ", "\n→\n"]


@st.composite
def written_sequences(draw: st.DrawFn) -> tuple[str, TherapySequence]:
    """A sequence value and one way a paper might print it (any name, case and separators)."""
    sequence = draw(sequence_values)
    lines: list[str] = []
    for line in sequence.lines:
        parts = []
        for component in line.components:
            name = draw(st.sampled_from(drugs.lookup(component.drug).names))
            name = draw(st.sampled_from([name, name.upper(), name.lower(), name.title()]))
            parts.append(name if component.role is None else f"{name} ({component.role})")
        joined = parts[0]
        for part in parts[1:]:
            joined += draw(st.sampled_from(COMBINE)) + part
        lines.append(joined)
    text = lines[0]
    for printed in lines[1:]:
        text += draw(st.sampled_from(THEN)) + printed
    return text, sequence


@given(written_sequences())
def test_any_printed_form_parses_to_the_value(case: tuple[str, TherapySequence]) -> None:
    text, sequence = case
    assert parse_sequence(text) == sequence


@settings(max_examples=300)
@given(st.text(max_size=60))
def test_arbitrary_text_raises_only_parse_error(text: str) -> None:
    for parse in (parse_sequence, parse_regimen):
        try:
            value = parse(text)
        except UnknownDrugError as exc:
            assert exc.within == text
            assert exc.position is not None and 0 <= exc.position < len(text)
        except ParseError as exc:
            assert exc.text == text
            assert exc.position is not None and 0 <= exc.position <= len(text)
        else:
            assert parse(_format(value)) == value


SEPARATOR_SOUP = st.lists(
    st.sampled_from(["osimertinib", "AZD9291", "+", "→", "then", "and", "(", ")", "NA", "$", "\\"]),
    max_size=8,
).map(" ".join)


@given(SEPARATOR_SOUP)
def test_token_soup_raises_only_parse_error(text: str) -> None:
    try:
        parse_sequence(text)
    except ParseError as exc:
        assert exc.position is not None
