"""The seed patient rebuilt from files gives the same interpretation as the hand-written case.

Start from the bundled case (Cheung et al. 2025, doi:10.7759/cureus.92202) with its NGS and IHC
test events removed (specimens and everything else kept), attach the constructed Oncomine-style
VCFs and the IHC table with ``tkiresist add-test`` on a temporary copy, then interpret both.

What is compared, and how:

* the decision point, the mechanism ids, the ranked option drug lists and the orthogonal IHC
  confirmation are compared as they are;
* alterations are compared by knowledge-base category, not by display name: the VCF spells the
  deletion ``EGFR p.E746_A750del`` where the hand-written case says ``EGFR exon 19 deletion``
  (both are ``egfr_ex19del``), and the IHC table gives the clone (``ALK (D5F3) IHC positive``);
* the VCFs also report what the hand-written case leaves implicit ("no other mutations were
  present"): MET amplification and ROS1, RET and NTRK1 fusions, all not detected. They are
  checked to be exactly those, and never detected.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tkiresist.cli import app
from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import read_case, write_case
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.model.case import Case
from tkiresist.model.findings import Finding
from tkiresist.model.interpretation import AlterationStatus, Interpretation
from tkiresist.model.timeline import MolecularTest

from ..conftest import DATA, SEED_CASE

FORMATS = DATA / "formats"
BASELINE_VCF = FORMATS / "oncomine" / "seed_baseline_lung.vcf"
PROGRESSION_VCF = FORMATS / "oncomine" / "seed_progression_brain.vcf"
IHC = FORMATS / "ihc" / "seed_ihc.tsv"

ATTACH = (
    ("spec-lung", BASELINE_VCF, None),
    ("spec-lung", IHC, "lung biopsy"),
    ("spec-brain", PROGRESSION_VCF, None),
    ("spec-brain", IHC, "brain metastasis"),
)


def _without_tests(case: Case) -> Case:
    kept = tuple(
        e
        for e in case.events
        if not (isinstance(e, MolecularTest) and e.id.startswith(("ngs-", "ihc-")))
    )
    return Case.model_validate({**dict(case), "events": kept})


@pytest.fixture(scope="module")
def rebuilt_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "case.yaml"
    stripped = _without_tests(read_case(SEED_CASE))
    assert not any(isinstance(e, MolecularTest) for e in stripped.events)
    write_case(stripped, path)
    runner = CliRunner()
    for specimen, file, sample in ATTACH:
        args = ["add-test", str(path), "--file", str(file), "--specimen", specimen]
        args += ["--date", f"0 days after {specimen}"]
        if sample is not None:
            args += ["--sample", sample]
        out = runner.invoke(app, args)
        assert out.exit_code == 0, out.output
        assert "added test" in out.stdout
    return path


@pytest.fixture(scope="module")
def rebuilt(rebuilt_path: Path) -> Case:
    return read_case(rebuilt_path)


@pytest.fixture(scope="module")
def answers(rebuilt: Case) -> tuple[Interpretation, Interpretation]:
    kb = load_knowledge_base()
    return interpret(read_case(SEED_CASE), kb), interpret(rebuilt, kb)


def _by_category(result: Interpretation, category: str) -> list[AlterationStatus]:
    return [a for a in result.alterations if category in a.category]


def test_rebuilt_case_has_the_four_tests_on_the_right_specimens(rebuilt: Case) -> None:
    tests = [(e.id, e.specimen, e.assay) for e in rebuilt.events if isinstance(e, MolecularTest)]
    assert tests == [
        ("ngs-spec-lung", "spec-lung", "oncomine-precision"),
        ("ihc-spec-lung", "spec-lung", "ihc-generic"),
        ("ngs-spec-brain", "spec-brain", "oncomine-precision"),
        ("ihc-spec-brain", "spec-brain", "ihc-generic"),
    ]


def test_findings_keep_their_file_and_line(rebuilt: Case) -> None:
    test = rebuilt.event("ngs-spec-brain")
    assert isinstance(test, MolecularTest)
    found: dict[str, Finding] = {f.alteration.name: f for f in test.findings}
    eml4 = found["EML4::ALK"].provenance
    assert eml4 is not None
    assert (Path(eml4.file or "").name, eml4.line, eml4.caller) == (
        PROGRESSION_VCF.name,
        39,
        "ion-reporter",
    )
    ihc = rebuilt.event("ihc-spec-brain")
    assert isinstance(ihc, MolecularTest)
    (stain,) = ihc.findings
    assert stain.provenance is not None and stain.provenance.line == 3
    assert stain.method is None  # the IHC assay's own method is not "another method"


def test_same_decision_point(answers: tuple[Interpretation, Interpretation]) -> None:
    hand, files = answers
    assert files.decision_point == hand.decision_point
    assert files.decision_point.event_id == "pd-brain-3"


@pytest.mark.parametrize(
    ("category", "status"),
    [
        ("egfr_ex19del", "persistent"),
        ("alk_fusion_eml4", "acquired"),
        ("egfr_t790m", "not_detected"),
        ("alk_ihc_positive", "acquired"),
    ],
)
def test_same_serial_status_by_category(
    answers: tuple[Interpretation, Interpretation], category: str, status: str
) -> None:
    for result in answers:
        found = _by_category(result, category)
        assert [a.status for a in found] == [status], (category, found)


def test_display_names_differ_only_in_spelling(
    answers: tuple[Interpretation, Interpretation],
) -> None:
    hand, files = answers
    assert [a.name for a in _by_category(hand, "egfr_ex19del")] == ["EGFR exon 19 deletion"]
    assert [a.name for a in _by_category(files, "egfr_ex19del")] == ["EGFR p.E746_A750del"]


def test_extra_alterations_are_the_vcf_negatives(
    answers: tuple[Interpretation, Interpretation],
) -> None:
    hand, files = answers
    hand_cats = {c for a in hand.alterations for c in a.category}
    extra = {a.name: a.status for a in files.alterations if not set(a.category) & hand_cats}
    assert extra == {
        "MET amplification": "not_detected",
        "ROS1 fusion": "not_detected",
        "RET fusion": "not_detected",
        "NTRK1 fusion": "not_detected",
    }


def test_same_mechanisms_and_ranked_options(
    answers: tuple[Interpretation, Interpretation],
) -> None:
    hand, files = answers
    assert [m.id for m in files.mechanisms] == [m.id for m in hand.mechanisms]
    assert [m.id for m in files.mechanisms] == ["alk-fusion-after-egfr-tki"]
    assert [(o.rank, o.drugs) for o in files.options] == [(o.rank, o.drugs) for o in hand.options]
    assert files.options[0].drugs == ("osimertinib", "alectinib")
    assert [a.drugs for a in files.avoid] == [a.drugs for a in hand.avoid]


def test_orthogonal_ihc_confirmation_noted_as_done(
    answers: tuple[Interpretation, Interpretation],
) -> None:
    for result in answers:
        ortho = [t for t in result.recommended_tests if t.kind == "orthogonal_confirmation"]
        assert [(t.status, t.alterations) for t in ortho] == [("done", ("EML4::ALK",))]
    hand, files = answers
    assert [(t.kind, t.status) for t in files.recommended_tests] == [
        (t.kind, t.status) for t in hand.recommended_tests
    ]
    assert files.warnings == hand.warnings == ()
