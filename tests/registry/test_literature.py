"""Cell grammars of review tables, and a row becoming a sparse case."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tkiresist.errors import ParseError
from tkiresist.model.alterations import Fusion
from tkiresist.model.timeline import AdverseEvent, MolecularTest, TherapyLine
from tkiresist.registry.literature import (
    abstract_row,
    is_not_reported,
    parse_age_sex,
    parse_biopsy,
    parse_grade3,
    parse_interval,
    parse_response,
    parse_sites,
    parse_study,
    parse_testing,
    parse_yes_no,
)
from tkiresist.registry.record import SourceRef
from tkiresist.registry.tables import Cell, SourceRow

SOURCE = SourceRef.parse("10.7759/cureus.92202", "Table 1", "1")


@pytest.mark.parametrize("text", ["", "  ", "NA", "N/A", "n/a", "NR", "not reported", "-", "—"])
def test_not_reported(text: str) -> None:
    assert is_not_reported(text)


@pytest.mark.parametrize("text", ["No", "None", "0", "Yes", "CR"])
def test_statements_are_not_not_reported(text: str) -> None:
    assert not is_not_reported(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("65/M", (65, "male")),
        ("63/F", (63, "female")),
        ("65 M", (65, "male")),
        ("F/42", (42, "female")),
        ("65 years, female", (65, "female")),
    ],
)
def test_age_sex(text: str, expected: tuple[int, str]) -> None:
    assert parse_age_sex(text) == expected


@pytest.mark.parametrize("text", ["65", "M", "165/M", "65/X", "sixty/M"])
def test_age_sex_invalid(text: str) -> None:
    with pytest.raises(ParseError):
        parse_age_sex(text)


@given(st.integers(0, 120), st.sampled_from(["M", "F", "male", "female", "m", "f"]))
def test_age_sex_round_trip(age: int, sex: str) -> None:
    parsed_age, parsed_sex = parse_age_sex(f"{age}/{sex}")
    assert parsed_age == age
    assert parsed_sex == ("male" if sex.lower().startswith("m") else "female")


@pytest.mark.parametrize(
    ("text", "author", "year", "case", "ref", "present"),
    [
        ("Present", None, None, None, None, True),
        ("Schrock et al. (2018), Case 7", "Schrock", 2018, "Case 7", None, False),
        ("Liang et al. (2016) [10]", "Liang", 2016, None, 10, False),
        ("Offin et al. (2018), Case 1 [11]", "Offin", 2018, "Case 1", 11, False),
        ("von Buttlar et al. (2021) [14]", "von Buttlar", 2021, None, 14, False),
        ("Hou et al. (2021)", "Hou", 2021, None, None, False),
    ],
)
def test_study(
    text: str, author: str | None, year: int | None, case: str | None, ref: int | None,
    present: bool,
) -> None:  # fmt: skip
    s = parse_study(text)
    assert (s.first_author, s.year, s.case_label, s.reference, s.present_case) == (
        author, year, case, ref, present,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [("13", (13.0, False)), ("7.5", (7.5, False)), ("13 months", (13.0, False)),
     ("~13", (13.0, True)), ("7,5", (7.5, False))],
)  # fmt: skip
def test_interval(text: str, expected: tuple[float, bool]) -> None:
    assert parse_interval(text) == expected


@pytest.mark.parametrize("text", ["13-16", "about a year", "-3"])
def test_interval_invalid(text: str) -> None:
    with pytest.raises(ParseError):
        parse_interval(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("CR", "CR"), ("pr", "PR"), ("Stable disease", "SD"), ("PD", "PD")],
)
def test_response(text: str, expected: str) -> None:
    assert parse_response(text) == expected


def test_response_invalid() -> None:
    with pytest.raises(ParseError, match="CR, PR, SD or PD"):
        parse_response("MR")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("None", []),
        ("Brigatinib- induced", [("brigatinib", None, None)]),
        ("Brigatinib-induced ILD", [("brigatinib", "ILD", None)]),
        ("Osimertinib–related pneumonitis (grade 4)", [("osimertinib", "pneumonitis", 4)]),
        ("Pneumonitis; Alectinib-induced myalgia", [(None, "Pneumonitis", None),
                                                     ("alectinib", "myalgia", None)]),
    ],
)  # fmt: skip
def test_grade3(text: str, expected: list[tuple[Any, ...]]) -> None:
    assert [(a.drug, a.term, a.grade) for a in parse_grade3(text)] == expected


def test_grade3_unknown_drug() -> None:
    with pytest.raises(ParseError, match="unknown drug 'Foobarinib'"):
        parse_grade3("Foobarinib-induced")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("IHC +", ("IHC",)), ("NGS", ("NGS",)), ("IHC + NGS", ("IHC", "NGS")),
     ("FISH/RT-PCR", ("FISH", "RT-PCR")), ("ngs and ihc", ("NGS", "IHC"))],
)  # fmt: skip
def test_testing(text: str, expected: tuple[str, ...]) -> None:
    assert parse_testing(text) == expected


def test_testing_invalid() -> None:
    with pytest.raises(ParseError, match="methods such as IHC"):
        parse_testing("IHC + telepathy")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No", ()),
        ("Liver", ("liver",)),
        ("Liver & bone", ("liver", "bone")),
        ("Lung, pleural effusion", ("lung", "pleural effusion")),
        ("Lung, adrenal", ("lung", "adrenal")),
    ],
)
def test_sites(text: str, expected: tuple[str, ...]) -> None:
    assert parse_sites(text) == expected


@given(st.text(max_size=30))
def test_sites_either_parse_or_raise(text: str) -> None:
    try:
        sites = parse_sites(text)
    except ParseError as exc:
        assert exc.text == text
    else:
        assert all(s and s == s.casefold() for s in sites)


@pytest.mark.parametrize(
    ("text", "kind", "site", "site_kind"),
    [("Liquid", "plasma", None, None), ("Brain", "tissue", "brain", "cns"),
     ("Lung", "tissue", "lung", "extracranial"), ("CSF", "csf", None, None)],
)  # fmt: skip
def test_biopsy(text: str, kind: str, site: str | None, site_kind: str | None) -> None:
    b = parse_biopsy(text)
    assert (b.kind, b.site, b.site_kind) == (kind, site, site_kind)


@pytest.mark.parametrize(("text", "expected"), [("Yes", True), ("No", False), ("y", True)])
def test_yes_no(text: str, expected: bool) -> None:
    assert parse_yes_no(text) is expected


def _row(**cells: str) -> SourceRow:
    return SourceRow("1", 5, {k: Cell(v, 5, (5,)) for k, v in {"case_label": "1", **cells}.items()})


def test_a_cell_that_does_not_parse_is_kept_and_flagged() -> None:
    a = abstract_row(
        _row(egfr_mutation="EGFR wobble", alk_fusion="EML4-ALK", age_sex="50/F"),
        case_id="c1",
        source=SOURCE,
    )
    assert [(f.field, f.verbatim) for f in a.flags] == [("egfr_mutation", "EGFR wobble")]
    prov = {p.field: p for p in a.provenance}
    assert prov["egfr_mutation"].parsed is False
    assert prov["egfr_mutation"].verbatim == "EGFR wobble"
    assert prov["egfr_mutation"].message
    assert prov["alk_fusion"].parsed is True
    assert not any(e.id == "test-baseline" for e in a.case.events)
    fusions = [
        f.alteration
        for e in a.case.events
        if isinstance(e, MolecularTest)
        for f in e.findings
        if isinstance(f.alteration, Fusion)
    ]
    assert [(f.five_prime, f.three_prime) for f in fusions] == [("EML4", "ALK")]


def test_verbatim_text_keeps_its_spaces() -> None:
    a = abstract_row(_row(alk_fusion=" EML4- ALK "), case_id="c1", source=SOURCE)
    prov = {p.field: p for p in a.provenance}
    assert prov["alk_fusion"].verbatim == " EML4- ALK "


def test_adverse_event_is_attached_to_the_regimen_holding_its_drug() -> None:
    a = abstract_row(
        _row(
            egfr_tki="Osimertinib",
            alk_fusion="EML4-ALK",
            interval_months="10",
            post_regimen="Osimertinib + crizotinib \\rightarrow brigatinib",
            grade3_ae="Brigatinib- induced",
        ),
        case_id="c1",
        source=SOURCE,
    )
    lines = {e.id: e for e in a.case.events if isinstance(e, TherapyLine)}
    (ae,) = [e for e in a.case.events if isinstance(e, AdverseEvent)]
    assert ae.therapy is not None
    assert [g.drug for g in lines[ae.therapy].agents] == ["brigatinib"]
    assert ae.grade == 3 and ae.term == "not stated"
    assert a.reported.grade3 == "some"


def test_no_post_regimen_is_not_the_same_as_not_reported() -> None:
    none = abstract_row(_row(post_regimen="No"), case_id="c1", source=SOURCE)
    unknown = abstract_row(_row(post_regimen="NA"), case_id="c1", source=SOURCE)
    assert none.reported.post_resistance == "none"
    assert unknown.reported.post_resistance is None
