"""Report shapes the case format reads (#13, third audit): histology as the pathologist writes
it, and a lesion measured by one diameter.

EVERY CASE HERE IS SYNTHETIC: an invented scenario, not a published patient; none carries a
citation. The case files are written with the first generalisation audit's helpers and read as
``tkiresist interpret`` reads them.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.interpret.test_generalisation_audit import (
    DEL19,
    HEADER,
    dx,
    line,
    pd,
    sample,
)
from tkiresist.errors import CaseValidationError, ParseError
from tkiresist.io.casefile import parse_case_text
from tkiresist.model.alterations import Histology
from tkiresist.model.case import Case
from tkiresist.model.timeline import Lesion, MolecularTest, ResponseAssessment
from tkiresist.nomenclature.histology import (
    PHRASES,
    TUMOUR_TYPES,
    is_non_small_cell,
    read_histology_finding,
)


def _case(finding: str, diagnosis: str = "adenocarcinoma") -> Case:
    """Synthetic: a diagnosis, the driver, first-line osimertinib, progression and a biopsy
    whose histology test gives ``finding`` as text."""
    events = (
        dx(histology=diagnosis)
        + sample("t-dx", "2023-01-12", "audit-tissue-panel", [DEL19])
        + line("l1", ["osimertinib"], "2023-02-01", "2025-03-20")
        + pd("pd", "2025-03-20", "l1")
        + f"""  - id: bx-spec
    type: specimen
    time: 2025-03-28
    kind: tissue
    site: liver
  - id: bx-h
    type: test
    specimen: bx-spec
    assay: histology
    findings:
      - {finding}
"""
    )
    return parse_case_text(HEADER + events, "case.yaml")


def _histology_of(case: Case) -> Histology:
    test = next(e for e in case.events if isinstance(e, MolecularTest) and e.id == "bx-h")
    alt = test.findings[0].alteration
    assert isinstance(alt, Histology)
    return alt


# ------------------------------------------------------------------------------------------
# Histology in the pathologist's words


@pytest.mark.parametrize(
    "text",
    ["small cell carcinoma", "SCLC", "small-cell lung cancer", "Small Cell Lung Carcinoma"],
)
def test_small_cell_carcinoma_after_adenocarcinoma_is_the_transformation(text: str) -> None:
    """Synthetic: a progression biopsy of an EGFR-mutant adenocarcinoma on osimertinib reads
    "small cell carcinoma". A pathology report never says "transformation"; a thoracic
    oncologist reads small cell carcinoma after an adenocarcinoma as small-cell
    transformation, the mechanism that decides platinum-etoposide."""
    assert _histology_of(_case(text)).histology == "small_cell_transformation"


@pytest.mark.parametrize(
    "diagnosis", ["non-small cell lung cancer", "NSCLC", "lung adenocarcinoma"]
)
def test_small_cell_after_any_non_small_cell_diagnosis(diagnosis: str) -> None:
    """Synthetic: the diagnosis written as NSCLC (not otherwise specified) or "non-small cell
    lung cancer": small cell carcinoma found later is still a transformation (NSCLC is not
    SCLC, and "non-small cell" does not say small cell)."""
    assert _histology_of(_case("small cell carcinoma", diagnosis)).histology == (
        "small_cell_transformation"
    )


def test_squamous_cell_carcinoma_after_adenocarcinoma_is_squamous_transformation() -> None:
    """Synthetic: squamous cell carcinoma on the progression biopsy of an adenocarcinoma is
    squamous transformation (the oncologist's reading), not the tumour's own type."""
    assert _histology_of(_case("squamous cell carcinoma")).histology == "squamous_transformation"


@pytest.mark.parametrize("diagnosis", ["squamous cell carcinoma", "adenosquamous carcinoma"])
def test_squamous_after_a_squamous_diagnosis_is_no_transformation(diagnosis: str) -> None:
    """Synthetic: a tumour diagnosed squamous (or adenosquamous) that shows squamous cell
    carcinoma again has not transformed: the finding is its own type."""
    assert _histology_of(_case("squamous cell carcinoma", diagnosis)).histology == (
        "squamous_cell_carcinoma"
    )


def test_adenocarcinoma_is_no_transformation() -> None:
    """Synthetic: the progression biopsy shows adenocarcinoma again: no transformation."""
    assert _histology_of(_case("adenocarcinoma")).histology == "adenocarcinoma"


def test_small_cell_after_a_small_cell_diagnosis_is_refused_saying_why() -> None:
    """Synthetic: a case diagnosed as small cell lung cancer: a later small cell carcinoma is
    not a transformation, and the vocabulary has no other term for it. The reader refuses it
    with the line, the field and the reason, rather than inventing a mechanism."""
    with pytest.raises(CaseValidationError) as exc:
        _case("small cell carcinoma", "small cell lung cancer")
    text = str(exc.value)
    assert "case.yaml:" in text and "findings[0].alteration" in text
    assert "only when found after the diagnosis of a non-small-cell carcinoma" in text


def test_an_unknown_histology_word_is_refused_naming_what_is_read() -> None:
    """A misspelt histology on a histology test is refused at its line, and the message names
    the histologies that are read."""
    with pytest.raises(CaseValidationError) as exc:
        _case("small cel carcinoma")
    text = str(exc.value)
    assert "findings[0].alteration" in text
    assert "small cell carcinoma (SCLC" in text and "squamous cell carcinoma" in text


def test_one_list_of_phrases() -> None:
    """The tumour types are listed once: the squamous term of the plain vocabulary comes from
    the tumour-type table, and the transformation phrases stay apart from it."""
    plain = {w for w, t in TUMOUR_TYPES.items() if t.plain is not None}
    assert plain <= set(PHRASES)
    assert not (set(TUMOUR_TYPES) - plain) & set(PHRASES)


@given(
    st.sampled_from(sorted(TUMOUR_TYPES)),
    st.lists(st.sampled_from([" ", "-", "  "]), min_size=8, max_size=8),
    st.booleans(),
)
def test_tumour_types_read_whatever_the_case_and_separators(
    words: tuple[str, ...], seps: list[str], upper: bool
) -> None:
    """Any spelling of a tumour type (upper or lower case, words separated by spaces or
    hyphens) reads as the same finding after an adenocarcinoma: its transformation."""
    text = words[0] + "".join(s + w for s, w in zip(seps, words[1:], strict=False))
    text = text.upper() if upper else text
    h = read_histology_finding(text, "adenocarcinoma")
    assert h is not None and h.histology == TUMOUR_TYPES[words].transformation


@given(st.text(max_size=40))
def test_histology_reader_never_crashes(text: str) -> None:
    """Any text: a histology, None (not a tumour type) or a ParseError, never anything else."""
    try:
        h = read_histology_finding(text, "adenocarcinoma")
    except ParseError:
        return
    assert h is None or isinstance(h, Histology)


def test_non_small_cell_diagnoses() -> None:
    """The diagnosis words that make a non-small-cell carcinoma, whatever the hyphens."""
    for yes in ("Adenocarcinoma", "non small cell lung cancer", "Non-Small-Cell", "NSCLC"):
        assert is_non_small_cell(yes), yes
    for no in ("small cell lung cancer", "SCLC", "carcinoid"):
        assert not is_non_small_cell(no), no


# ------------------------------------------------------------------------------------------
# Lesion sizes


def _lesions(value: str) -> tuple[Lesion, ...]:
    """Synthetic: a PD brain MRI whose one lesion is written with ``size_mm: value``."""
    events = (
        dx()
        + line("l1", ["osimertinib"], "2023-02-01", "2025-03-20")
        + f"""  - id: pd
    type: response
    time: 2025-03-20
    category: PD
    criteria: RANO-BM
    site: cns
    therapy: l1
    lesions:
      - {{site: right frontal lobe, size_mm: {value}}}
"""
    )
    case = parse_case_text(HEADER + events, "case.yaml")
    pd_event = next(e for e in case.events if isinstance(e, ResponseAssessment))
    return pd_event.lesions


def test_one_diameter_is_a_list_of_one() -> None:
    """Synthetic: a RANO-BM report gives each lesion one diameter ("right frontal 14 mm"), as
    RECIST and RANO-BM measure: ``size_mm: 14`` means the same as ``[14]``."""
    assert _lesions("14")[0].size_mm == (14.0,)
    assert _lesions("14") == _lesions("[14]")
    assert _lesions("[31, 22.5]")[0].size_mm == (31.0, 22.5)


def test_zero_diameter_is_read() -> None:
    """RECIST records a target lesion that disappeared as 0 mm: a size of 0 is read."""
    assert _lesions("0")[0].size_mm == (0.0,)


@pytest.mark.parametrize("bad", ["'14 mm'", "true", "-3", "[14, -1]", "{a: 1}"])
def test_malformed_sizes_are_refused_at_their_line(bad: str) -> None:
    """A size that is not a number of mm (text with a unit, a boolean, a negative diameter, a
    mapping) is refused at its line, the field named."""
    with pytest.raises(CaseValidationError) as exc:
        _lesions(bad)
    text = str(exc.value)
    assert "lesions[0].size_mm" in text
    assert "case.yaml:" in text


def test_text_size_message_says_what_to_write() -> None:
    """The refusal of ``size_mm: 14 mm`` says to write a number or a list of numbers."""
    with pytest.raises(CaseValidationError, match=r"a diameter in mm \(a number, e\.g\. 14\)"):
        _lesions("'14 mm'")


@given(st.floats(min_value=0, max_value=500, allow_nan=False) | st.integers(0, 500))
def test_any_single_diameter_reads_as_its_list(value: float) -> None:
    """Any non-negative diameter, integer or decimal, is read as the list of one."""
    assert Lesion(size_mm=value).size_mm == (float(value),)
    assert Lesion(size_mm=value) == Lesion(size_mm=[value])
