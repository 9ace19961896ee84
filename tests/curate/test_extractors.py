"""Each extractor on short SYNTHETIC sentences (written for these tests, not from any report)."""

from __future__ import annotations

import pytest

from tkiresist.curate.mentions import find_mentions
from tkiresist.curate.outcomes import extract_outcomes
from tkiresist.curate.patient import extract_histology, extract_patient
from tkiresist.curate.testing import extract_tests
from tkiresist.curate.text import Document, number_value
from tkiresist.curate.therapy import durations, extract_lines

from .conftest import sentence, sentences


# -- demographics (synthetic) ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "age", "sex"),
    [
        ("A 58-year-old woman presented with cough.", 58, "female"),
        ("We describe a 71-year-old never-smoking Asian man with dyspnoea.", 71, "male"),
        ("The patient, a 45 year old female, was referred.", 45, "female"),
        ("A patient aged 66 was seen.", 66, None),
    ],
)
def test_age_and_sex_synthetic(text: str, age: int, sex: str | None) -> None:
    to_check: list[str] = []
    got = extract_patient(sentences(text), [], to_check)
    assert got["age_at_diagnosis"].value == age
    assert (got["sex"].value if "sex" in got else None) == sex


def test_smoking_and_ecog_only_when_said_synthetic() -> None:
    to_check: list[str] = []
    got = extract_patient(
        sentences("She was a never-smoker. Her ECOG performance status was 1."), [], to_check
    )
    assert got["smoking"].value == "never"
    assert got["ecog"].value == 1
    got = extract_patient(sentences("He had a performance status of 0."), [], to_check)
    assert "ecog" not in got  # the scale is not named: listed to check, not written
    assert any("names no scale" in c for c in to_check)


def test_ages_that_disagree_are_listed_synthetic() -> None:
    to_check: list[str] = []
    doc = "A 62-year-old man presented. At 65 years old he died."
    got = extract_patient(sentences(doc), [], to_check)
    assert got["age_at_diagnosis"].value == 62
    assert any("also gives 65" in c for c in to_check)


# -- histology (synthetic) ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "histology", "code"),
    [
        ("Biopsy of the lung mass showed adenocarcinoma.", "adenocarcinoma", "LUAD"),
        ("Histology confirmed squamous cell carcinoma.", "squamous cell carcinoma", "LUSC"),
        ("There was no adenocarcinoma in the node.", None, None),
        ("The lesion was suspicious.", None, None),
    ],
)
def test_histology_synthetic(text: str, histology: str | None, code: str | None) -> None:
    got = extract_histology(sentences(text))
    if histology is None:
        assert got is None
    else:
        assert got is not None
        assert (got[0].value, got[1].value) == (histology, code)


# -- alterations and their status (synthetic) ----------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NGS revealed an EGFR L858R mutation.", [("EGFR p.L858R", "detected")]),
        ("The EGFR T790M mutation was negative.", [("EGFR p.T790M", "not_detected")]),
        ("T790M was negative.", [("EGFR p.T790M", "not_detected")]),
        ("T790M was not detected.", [("EGFR p.T790M", "not_detected")]),
        ("There was no evidence of MET amplification.", [("MET amplification", "not_detected")]),
        (
            "Sequencing was positive for EGFR exon 19 deletion but negative for T790M.",
            [("EGFR exon 19 deletion", "detected"), ("EGFR p.T790M", "not_detected")],
        ),
        (
            "Plasma NGS showed EGFR ex19del and EML4-ALK fusion.",
            [("EGFR exon 19 deletion", "detected"), ("EML4::ALK", "detected")],
        ),
        ("KRAS G12C was wild-type.", [("KRAS p.G12C", "not_detected")]),
        # hedged: no status at all
        ("A MET amplification could not be excluded.", []),
        # named without a cue: no status
        ("EGFR L858R is a common driver.", [("EGFR p.L858R", None)]),
    ],
)
def test_mentions_and_status_synthetic(text: str, expected: list[tuple[str, str | None]]) -> None:
    got = [(m.key, m.status) for m in find_mentions(sentence(text))]
    assert got == expected


def test_bare_driver_by_method_synthetic() -> None:
    got = find_mentions(sentence("ROS1 was negative by both FISH and IHC."))
    assert [(m.key, m.status, m.method) for m in got] == [
        ("ROS1 fusion", "not_detected", "fish"),
        ("ROS1 IHC negative", "detected", "ihc"),
    ]


def test_new_alteration_words_kept_synthetic() -> None:
    (m,) = find_mentions(sentence("Rebiopsy NGS revealed a newly emerged MET amplification."))
    assert m.status == "detected"
    assert m.new is not None and m.new.text == "newly emerged MET amplification"


# -- therapy lines and durations (synthetic) ------------------------------------------------
def test_lines_in_order_with_doses_synthetic() -> None:
    text = (
        "She was started on gefitinib 250 mg daily. "
        "After progression she was switched to osimertinib (80 mg once daily). "
        "She was continued on osimertinib. "
        "She then received carboplatin and pemetrexed."
    )
    lines = extract_lines(sentences(text))
    assert [sorted(ln.generics) for ln in lines] == [
        ["gefitinib"], ["osimertinib"], ["carboplatin", "pemetrexed"]
    ]  # fmt: skip
    first = lines[0].agents[0]
    assert first.dose is not None and first.dose.text == "250 mg"
    assert first.schedule is not None and first.schedule.text == "daily"


def test_brand_names_are_read_as_generics_synthetic() -> None:
    (line,) = extract_lines(sentences("He was started on Tagrisso."))
    assert line.generics == {"osimertinib"}


def test_duration_after_months_of_drug_synthetic() -> None:
    ss = sentences(
        "He was started on osimertinib. "
        "He developed progressive liver metastases after thirteen months of osimertinib."
    )
    lines = extract_lines(ss)
    ((fact, line),) = durations(ss[1], lines, before=ss[1].start)
    assert fact.value == "13 months after line1" and line is lines[0]
    assert fact.spans[0].text == "after thirteen months of osimertinib"


def test_number_words() -> None:
    assert number_value("thirteen") == 13 and number_value("2.5") == 2.5
    assert number_value("several") is None


# -- progression and responses (synthetic) --------------------------------------------------
def _outcomes(text: str) -> list[dict[str, object]]:
    ss = sentences(text)
    lines = extract_lines(ss)
    return [
        {k: v.value for k, v in o.fields.items() if k in ("category", "site", "therapy", "time")}
        for o in extract_outcomes(ss, [], lines, [])
    ]


def test_cns_progression_synthetic() -> None:
    got = _outcomes(
        "She was started on erlotinib. "
        "After 10 months of erlotinib, MRI revealed new brain metastases."
    )
    assert got == [
        {"category": "PD", "site": "cns", "therapy": "line1", "time": "10 months after line1"}
    ]


def test_extracranial_progression_and_responses_synthetic() -> None:
    got = _outcomes(
        "He was started on afatinib. CT showed a partial response to afatinib. "
        "Later CT demonstrated progression in the liver."
    )
    assert got == [
        {"category": "PR", "therapy": "line1"},
        {"category": "PD", "site": "extracranial"},
    ]


def test_not_a_progression_synthetic() -> None:
    assert _outcomes("All progressive lesions were resected. There was no progression.") == []
    assert _outcomes("There was a near complete response.") == []


# -- specimens and tests (synthetic) --------------------------------------------------------
def test_specimens_tests_and_findings_synthetic() -> None:
    text = (
        "Biopsy of the right upper lobe mass showed adenocarcinoma. "
        "NGS of the tumour revealed EGFR L858R. "
        "ALK was negative by IHC.\n\n"
        "A liquid biopsy was sent. Plasma NGS detected EGFR T790M."
    )
    to_check: list[str] = []
    specimens, tests = extract_tests(sentences(text), to_check)
    assert [sp.found.fields["kind"].value for sp in specimens] == ["tissue", "plasma"]
    assert specimens[0].found.fields["site"].value == "right upper lobe mass"
    assert [(t.method, t.assay, [(f.key, f.status) for f in t.findings]) for t in tests] == [
        ("ngs", "ngs-unnamed", [("EGFR p.L858R", "detected")]),
        ("ihc", "ihc-alk", [("ALK IHC negative", "detected")]),
        ("ngs", "ngs-unnamed", [("EGFR p.T790M", "detected")]),
    ]


def test_finding_without_specimen_or_method_is_not_written_synthetic() -> None:
    to_check: list[str] = []
    _, tests = extract_tests(sentences("EGFR L858R was detected."), to_check)
    assert tests == []
    assert any("not written" in c for c in to_check)


def test_named_assay_synthetic() -> None:
    to_check: list[str] = []
    _, tests = extract_tests(
        sentences(
            "A tissue biopsy of the liver lesion was tested with FoundationOne CDx, "
            "which revealed MET amplification."
        ),
        to_check,
    )
    assert [(t.assay, [f.key for f in t.findings]) for t in tests] == [
        ("foundationone-cdx", ["MET amplification"])
    ]


def test_narrative_section_and_captions_synthetic() -> None:
    text = (
        "Abstract\n\nWe report a 50-year-old man.\n\nIntroduction\n\nEGFR L858R is common.\n\n"
        "Case Presentation\n\nA 50-year-old man presented.\n\nFIGURE 1: Scan.\n\n"
        "Legend with EGFR T790M detected.\n\nHe was started on osimertinib.\n\n"
        "Discussion\n\nEGFR T790M was detected in many patients."
    )
    doc = Document(text)
    assert [s.text for s in doc.narrative] == [
        "A 50-year-old man presented.", "He was started on osimertinib."
    ]  # fmt: skip
    assert [s.text for s in doc.abstract] == ["We report a 50-year-old man."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a gene glued to its change by a hyphen
        (
            "Lesions showed EGFR-L858R and MET amplification, but not EGFR-T790M.",
            [
                ("EGFR p.L858R", "detected"),
                ("MET amplification", "detected"),
                ("EGFR p.T790M", "not_detected"),
            ],
        ),
        ("A patient with EGFR-L858R-mutated NSCLC was seen.", [("EGFR p.L858R", "detected")]),
        # a disappearance is a negative
        (
            "Sequencing showed the disappearance of the previous EGFR L858R mutation.",
            [("EGFR p.L858R", "not_detected")],
        ),
        ("The tumour was diagnosed with EGFR T790M.", [("EGFR p.T790M", "detected")]),
    ],
)
def test_more_status_cues_synthetic(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert [(m.key, m.status) for m in find_mentions(sentence(text))] == expected


def test_gene_level_finding_is_written_as_read_synthetic() -> None:
    from tkiresist.curate import draft_case

    text = "A liquid biopsy was sent. Plasma NGS revealed a TP53 mutation."
    (test,) = [e for e in draft_case(text).data["events"] if e["type"] == "test"]
    assert test["findings"] == [{"alteration": "TP53 mutation", "status": "detected"}]


def test_statements_about_patients_in_general_are_not_read_synthetic() -> None:
    from tkiresist.curate import draft_case

    text = (
        "A biopsy of the lung mass was sequenced by NGS. "
        "EGFR T790M is detected by NGS in half of the patients. "
        "Most patients were started on osimertinib."
    )
    draft = draft_case(text)
    assert [e["type"] for e in draft.data["events"]] == ["diagnosis"]


def test_doi_is_the_reports_own_synthetic() -> None:
    from tkiresist.curate import draft_case

    text = (
        "DOI: 10.1234/case.2024.7\n\nCase Presentation\n\nA 50-year-old man presented.\n\n"
        "References\n\n- Someone A: A study. J. 2020. doi:10.5555/other.1\n"
    )
    draft = draft_case(text)
    assert draft.data["source"] == {"doi": "10.1234/case.2024.7"}
    # only a reference's DOI: nothing written
    text = "Case Presentation\n\nA 50-year-old man.\n\nReferences\n\n- X. doi:10.5555/other.1\n"
    assert "source" not in draft_case(text).data
