"""p53 and Rb immunohistochemistry read by pattern, not as "positive means altered" (#12 item 1).

In p53 IHC both a *null* pattern (complete absence of nuclear staining in tumour cells, with an
internal positive control) and strong diffuse *overexpression* are aberrant results that stand
for a TP53 mutation; only the *wild-type* pattern (patchy, heterogeneous staining) is normal
(Sung et al., Diagn Pathol 2022, "p53 immunostaining pattern is a useful surrogate marker for
TP53 gene mutations"). Loss of Rb protein by IHC is an aberrant result meaning RB1 inactivation.
Concurrent TP53 and RB1 inactivation is the genomic background of small-cell transformation of
EGFR-mutant adenocarcinoma (Lee et al., J Clin Oncol 2017, "Clonal history and genetic
predictors of transformation into small-cell carcinomas from lung adenocarcinomas"; Offin et
al., J Thorac Oncol 2019), which is why the knowledge base flags the pair as a transformation
risk.

Every case below except the Leonetti 2021 example is a SYNTHETIC SCENARIO written for these
tests: invented, not a published patient.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tkiresist.errors import CaseValidationError
from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import parse_case_text, read_case
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.model.alterations import Expression
from tkiresist.model.case import Case
from tkiresist.model.categories import categorize, expression_categories, ihc_reading
from tkiresist.model.interpretation import AlterationStatus, Interpretation

from ..conftest import ROOT

RISK = "tp53-rb1-transformation-risk"


def _finding(marker: str, result: str, pattern: str | None) -> str:
    extra = f", pattern: {pattern}" if pattern else ""
    return (
        f"      - {{alteration: {{kind: expression, marker: {marker}, result: {result}}}{extra}}}\n"
    )


def synthetic_case(
    *,
    baseline: Sequence[tuple[str, str, str | None]] = (),
    progression: Sequence[tuple[str, str, str | None]],
) -> Case:
    """A SYNTHETIC SCENARIO (not a published patient): EGFR exon 19 deletion adenocarcinoma,
    first-line osimertinib, progression at 14 months, a tissue re-biopsy whose histology is
    still adenocarcinoma, with IHC on the diagnostic and the progression biopsy."""
    text = """schema_version: "1.0"
id: synthetic-ihc
pseudonym: SYNTHETIC-IHC
notes: Synthetic scenario for tests (#12 item 1); not a published patient.
events:
  - id: dx
    type: diagnosis
    histology: adenocarcinoma
  - id: spec-dx
    type: specimen
    time: 0 months after dx
    kind: tissue
  - id: ngs-dx
    type: test
    specimen: spec-dx
    assay: oncomine-dx-target
    findings: ["EGFR exon 19 deletion"]
"""
    if baseline:
        text += """  - id: ihc-dx
    type: test
    specimen: spec-dx
    assay: ihc-generic
    findings:
""" + "".join(_finding(*f) for f in baseline)
    text += """  - id: osi
    type: therapy
    line: 1
    agents: [osimertinib]
    start: 0 months after dx
    stop: 14 months after osi
    stop_reason: progression
  - id: pd
    type: response
    time: 14 months after osi
    category: PD
    therapy: osi
  - id: spec-pd
    type: specimen
    time: 0 days after pd
    kind: tissue
  - id: histology-pd
    type: test
    specimen: spec-pd
    assay: histology
    findings:
      - {alteration: {kind: histology, histology: adenocarcinoma}}
  - id: ngs-pd
    type: test
    specimen: spec-pd
    assay: oncomine-dx-target
    findings: ["EGFR exon 19 deletion"]
  - id: ihc-pd
    type: test
    specimen: spec-pd
    assay: ihc-generic
    findings:
""" + "".join(_finding(*f) for f in progression)
    return parse_case_text(text, "synthetic-ihc.yaml")


def _run(case: Case) -> Interpretation:
    return interpret(case, load_knowledge_base())


def _row(result: Interpretation, gene: str) -> AlterationStatus:
    rows = [
        s for s in result.alterations if s.gene == gene and isinstance(s.alteration, Expression)
    ]
    assert len(rows) == 1, result.alterations
    return rows[0]


def _risk_fired(result: Interpretation) -> bool:
    return any(t.statement == RISK and t.fired for t in result.trace)


@pytest.mark.parametrize("p53", [("negative", "absent"), ("positive", "overexpression")])
def test_aberrant_p53_and_rb_loss_are_detected_and_raise_the_transformation_risk(
    p53: tuple[str, str],
) -> None:
    """Synthetic scenario: at progression on osimertinib the re-biopsy (still adenocarcinoma)
    shows an aberrant p53 (null pattern, or overexpression) and loss of Rb, where the
    diagnostic biopsy showed a wild-type p53 pattern and retained Rb.

    A thoracic oncologist reads this as newly acquired TP53 and RB1 inactivation: the
    tumour now carries the genomic background of small-cell transformation, so the TP53 + RB1
    risk flag should fire and a histologic re-review (neuroendocrine markers) be advised. The
    old reading called the p53 null pattern "TP53 IHC negative: not detected", as if normal."""
    result = _run(
        synthetic_case(
            baseline=[("TP53", "positive", "wild_type"), ("RB1", "positive", "retained")],
            progression=[("TP53", *p53), ("RB1", "negative", "loss")],
        )
    )
    p53_row, rb_row = _row(result, "TP53"), _row(result, "RB1")
    assert p53_row.status == "acquired"
    assert {"tp53_ihc_aberrant", "tp53_alteration"} <= set(p53_row.category)
    assert p53_row.name.startswith("p53 IHC aberrant")
    assert "negative" not in p53_row.name
    assert rb_row.status == "acquired"
    assert {"rb1_ihc_loss", "rb1_loss"} <= set(rb_row.category)
    assert rb_row.name == "Rb IHC loss"
    assert _risk_fired(result)
    assert any("TP53 + RB1" in w for w in result.warnings)
    assert any(
        t.kind == "rebiopsy_histology" and t.status == "needed" and "TP53 and RB1" in t.reason
        for t in result.recommended_tests
    )


def test_wild_type_p53_and_retained_rb_are_not_detected() -> None:
    """Synthetic scenario: the progression biopsy shows a wild-type p53 pattern and retained
    Rb. A thoracic oncologist reads both as normal: no TP53 or RB1 inactivation, no
    transformation risk flag from IHC (the old code read "p53 positive" as a detected
    alteration)."""
    result = _run(
        synthetic_case(
            progression=[("TP53", "positive", "wild_type"), ("RB1", "positive", "retained")]
        )
    )
    p53_row, rb_row = _row(result, "TP53"), _row(result, "RB1")
    assert p53_row.status == "not_detected"
    assert p53_row.name == "p53 IHC wild-type pattern"
    assert rb_row.status == "not_detected"
    assert rb_row.name == "Rb IHC retained"
    assert not _risk_fired(result)


def test_p53_negative_without_a_pattern_is_read_as_the_null_pattern() -> None:
    """Synthetic scenario: the report says only "complete absence of p53 staining" and the
    case records it as p53 negative, with no pattern. No staining at all is the null pattern,
    which a thoracic oncologist reads as TP53 inactivation (aberrant), not as a normal result;
    with Rb negative (loss) the risk flag fires. The reading is said in a note, so a curator
    who meant a wild-type pattern can record it."""
    result = _run(
        synthetic_case(progression=[("TP53", "negative", None), ("RB1", "negative", None)])
    )
    p53_row = _row(result, "TP53")
    assert p53_row.status == "not_assessable"  # present now; no earlier p53 IHC
    assert p53_row.name == "p53 IHC aberrant (null pattern)"
    assert "tp53_alteration" in p53_row.category
    assert any("null pattern" in n for n in p53_row.notes)
    assert _row(result, "RB1").name == "Rb IHC loss"
    assert _risk_fired(result)


def test_p53_positive_without_a_pattern_is_unclear_and_said_so() -> None:
    """Synthetic scenario: "p53 positive" with no pattern. Positive staining is seen both in
    the wild-type pattern (normal) and in overexpression (aberrant), so an oncologist cannot
    call TP53 altered from it: the result is unclear (equivocal), the row says the pattern was
    not stated, a warning asks for it, and the risk flag does not fire on it."""
    result = _run(
        synthetic_case(progression=[("TP53", "positive", None), ("RB1", "negative", "loss")])
    )
    p53_row = _row(result, "TP53")
    assert p53_row.name == "p53 IHC positive (pattern not stated)"
    assert p53_row.status == "not_detected"
    assert [e.result for e in p53_row.evidence] == ["equivocal"]
    assert "tp53_alteration" not in p53_row.category
    assert any("pattern" in w and "p53" in w for w in result.warnings)
    assert not _risk_fired(result)


def test_other_ihc_markers_keep_their_meaning() -> None:
    """Synthetic scenario: ALK IHC negative at diagnosis and positive at progression, PD-L1
    (CD274) positive. ALK protein expression is the abnormal result (an ALK fusion), exactly as
    before; PD-L1 is reported as it was written. Nothing about p53 or Rb leaks into them."""
    result = _run(
        synthetic_case(
            baseline=[("ALK", "negative", None)],
            progression=[("ALK", "positive", None), ("CD274", "positive", None)],
        )
    )
    alk = _row(result, "ALK")
    assert (alk.name, alk.status, alk.category) == (
        "ALK IHC positive",
        "acquired",
        ("alk_ihc_positive",),
    )
    pdl1 = _row(result, "CD274")
    assert (pdl1.name, pdl1.category) == ("CD274 IHC positive", ())
    assert categorize(Expression(marker="ALK", result="negative")) == frozenset()
    assert ihc_reading(Expression(marker="MET", result="positive")) == "aberrant"


@pytest.mark.parametrize(
    ("finding", "message"),
    [
        ("{kind: expression, marker: ALK, result: positive}, pattern: overexpression",
         "p53 (TP53) and Rb (RB1) IHC only"),
        ("{kind: expression, marker: TP53, result: positive}, pattern: absent",
         "contradicts result 'positive'"),
        ("{kind: expression, marker: RB1, result: positive}, pattern: loss",
         "contradicts result 'positive'"),
        ("{kind: expression, marker: RB1, result: negative}, pattern: wild_type",
         "is not one of RB1's"),
        ("'EGFR T790M', pattern: absent", "IHC (expression) result only"),
    ],
)  # fmt: skip
def test_a_pattern_that_cannot_be_meant_is_refused_where_it_is(finding: str, message: str) -> None:
    """A staining pattern on a marker not read by pattern, or one contradicting the result
    (a "null pattern" with positive staining), is an error in the case file, located at the
    finding, rather than a guess."""
    text = f"""schema_version: "1.0"
id: synthetic-bad-pattern
pseudonym: SYNTHETIC
events:
  - {{id: dx, type: diagnosis, histology: adenocarcinoma}}
  - {{id: s, type: specimen, time: 0 months after dx, kind: tissue}}
  - id: t
    type: test
    specimen: s
    assay: ihc-generic
    findings:
      - {{alteration: {finding}}}
"""
    with pytest.raises(CaseValidationError) as err:
        parse_case_text(text, "bad.yaml")
    assert any(message in p.message and p.location.file == "bad.yaml" for p in err.value.problems)


def test_categories_of_ihc_results() -> None:
    """The category layer: an aberrant p53 is a TP53 alteration inferred from IHC, Rb loss an
    RB1 loss inferred from IHC; both keep the broader categories the knowledge base matches
    (``tp53_alteration``, ``rb1_loss``)."""
    p53 = Expression(marker="TP53", result="positive")
    assert expression_categories(p53, "overexpression") == {"tp53_ihc_aberrant", "tp53_alteration"}
    assert expression_categories(p53, "wild_type") == frozenset()
    assert expression_categories(p53, None) == frozenset()
    assert categorize(Expression(marker="TP53", result="negative")) == {
        "tp53_ihc_aberrant",
        "tp53_alteration",
    }
    assert categorize(Expression(marker="RB1", result="negative")) == {"rb1_ihc_loss", "rb1_loss"}
    assert categorize(Expression(marker="RB1", result="positive")) == frozenset()


def test_leonetti_2021_complete_absence_of_p53_and_rb_is_tp53_rb1_inactivation() -> None:
    """The bundled Leonetti 2021 case (published): "complete absence of p53 and Rb expression"
    on the transformed liver lesion. The oncologist's reading is TP53 and RB1 inactivation (the
    classic background of the small-cell transformation found there); the old output listed
    "TP53 IHC negative: not detected", as if p53 were normal."""
    result = _run(read_case(ROOT / "examples" / "leonetti2021" / "case.yaml"))
    p53_row, rb_row = _row(result, "TP53"), _row(result, "RB1")
    assert p53_row.name == "p53 IHC aberrant (null pattern)"
    assert p53_row.status == "not_assessable"
    assert rb_row.name == "Rb IHC loss"
    assert _risk_fired(result)
    assert "TP53 IHC negative" not in {s.name for s in result.alterations}
