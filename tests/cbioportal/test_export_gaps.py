"""What the export used to drop (#14 / #12 follow-up): the histology of every sample, the
staining pattern of a p53/Rb IHC result, and overall survival.

Every case here is a SYNTHETIC SCENARIO written for these tests: invented, not a published
patient. Each is an EGFR exon 19 deletion adenocarcinoma on first-line osimertinib that
progresses at 14 months and is re-biopsied.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tkiresist.io.casefile import parse_case_text
from tkiresist.io.cbioportal import check_study, export_study
from tkiresist.model.case import Case

from ..interpret.scenario_builder import scenario

BASE = """schema_version: "1.0"
id: {case_id}
pseudonym: SYNTHETIC
notes: Synthetic scenario for tests (#14); not a published patient.
events:
  - id: dx
    type: diagnosis
    histology: adenocarcinoma
  - id: spec-dx
    type: specimen
    time: 0 months after dx
    kind: tissue
  - id: histology-dx
    type: test
    specimen: spec-dx
    assay: histology
    findings:
      - {{alteration: {{kind: histology, histology: adenocarcinoma}}}}
  - id: ngs-dx
    type: test
    specimen: spec-dx
    assay: oncomine-dx-target
    findings: ["EGFR exon 19 deletion"]
  - id: osi
    type: therapy
    line: 1
    agents: [osimertinib]
    start: 0 months after dx
    stop: 14 months after osi
    stop_reason: {stop_reason}
  - id: spec-pd
    type: specimen
    time: 14 months after dx
    kind: tissue
  - id: ngs-pd
    type: test
    specimen: spec-pd
    assay: oncomine-dx-target
    findings: ["EGFR exon 19 deletion"]
"""


def _case(case_id: str, extra: str = "", stop_reason: str = "progression") -> Case:
    text = BASE.format(case_id=case_id, stop_reason=stop_reason) + extra
    return parse_case_text(text, f"{case_id}.yaml")


def _export(cases: list[Case], out: Path) -> Path:
    export_study(cases, out, study_id="synthetic")
    assert check_study(out) == []
    return out


def _clinical(path: Path) -> dict[str, dict[str, str]]:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    header = lines[0].split("\t")
    rows = [dict(zip(header, ln.split("\t"), strict=True)) for ln in lines[1:]]
    key = "SAMPLE_ID" if "SAMPLE_ID" in header else "PATIENT_ID"
    return {r[key]: r for r in rows}


MIXED_HISTOLOGY = """  - id: histology-pd
    type: test
    specimen: spec-pd
    assay: histology
    findings:
      - {alteration: {kind: histology, histology: adenocarcinoma}}
      - {alteration: {kind: histology, histology: sarcomatoid_transformation}}
      - {alteration: {kind: histology, histology: epithelial_mesenchymal_transition}}
      - {alteration: {kind: histology, histology: small_cell_transformation}, status: not_detected}
"""


def test_every_histology_of_a_sample_is_written(tmp_path: Path) -> None:
    """A thoracic oncologist reading the study expects the diagnostic biopsy to say
    adenocarcinoma, and the progression biopsy to say everything the pathologist saw: a
    sarcomatoid transformation with mesenchymal (EMT) features in a tumour that still has an
    adenocarcinoma component. The transformation leads (it is the resistance mechanism cohort
    mode reads from SAMPLE_HISTOLOGY); a small-cell component looked for and not found is not a
    histology of the sample. Before, both samples had no histology at all (only small-cell and
    squamous transformations were written)."""
    out = _export([_case("synthetic-mixed", MIXED_HISTOLOGY)], tmp_path / "study")
    samples = _clinical(out / "data_clinical_sample.txt")
    dx, pd_ = samples["synthetic-mixed-spec-dx"], samples["synthetic-mixed-spec-pd"]
    assert (dx["SAMPLE_HISTOLOGY"], dx["OTHER_HISTOLOGIES"]) == ("adenocarcinoma", "NA")
    assert pd_["SAMPLE_HISTOLOGY"] == "sarcomatoid transformation"
    assert pd_["OTHER_HISTOLOGIES"] == "epithelial mesenchymal transition; adenocarcinoma"
    # no OncoTree code of its own: the diagnosis's stays
    assert pd_["ONCOTREE_CODE"] == dx["ONCOTREE_CODE"] == "LUAD"


def test_cohort_mode_reads_back_an_emt_progression_biopsy(tmp_path: Path) -> None:
    """Epithelial-mesenchymal transition at progression on osimertinib is a resistance
    mechanism the case engine names; cohort mode reads it from SAMPLE_HISTOLOGY. Before, the
    export wrote no histology for it, so the study lost it (tests/cohort named it a known
    difference)."""
    from tkiresist.cohort import load_study, situations

    case = scenario(agents=["osimertinib"], histology="epithelial_mesenchymal_transition")
    out = _export([case.model_copy(update={"id": "synthetic-emt"})], tmp_path / "study")
    loaded = load_study(out)
    try:
        present = situations(loaded.con)["synthetic-emt"].present
    finally:
        loaded.con.close()
    assert "emt" in present


IHC = """  - id: ihc-pd
    type: test
    specimen: spec-pd
    assay: ihc-generic
    findings:
      - {alteration: {kind: expression, marker: TP53, result: positive}, pattern: overexpression}
      - {alteration: {kind: expression, marker: RB1, result: negative}, pattern: loss}
      - {alteration: {kind: expression, marker: MET, result: positive, score: 3+}}
"""


def test_p53_and_rb_staining_patterns_reach_the_lab_test_timeline(tmp_path: Path) -> None:
    """p53 "positive" alone cannot tell strong diffuse overexpression (aberrant: a TP53
    missense mutation) from the patchy wild-type pattern (normal); the pattern decides, so a
    pathologist's "p53 overexpressed, Rb lost" must reach the study as written, beside the
    result. A marker without a pattern (MET 3+) has none. Before, the pattern was dropped."""
    out = _export([_case("synthetic-ihc", IHC)], tmp_path / "study")
    lines = (out / "data_timeline_lab_test.txt").read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    rows = [dict(zip(header, ln.split("\t"), strict=True)) for ln in lines[1:]]
    got = {(r["TEST"], r["RESULT"], r["SCORE"], r["PATTERN"]) for r in rows}
    assert got == {
        ("TP53 IHC", "positive", "NA", "overexpression"),
        ("RB1 IHC", "negative", "NA", "loss"),
        ("MET IHC", "positive", "3+", "NA"),
    }
    assert {r["SAMPLE_ID"] for r in rows} == {"synthetic-ihc-spec-pd"}


def test_cohort_mode_reads_the_staining_pattern_as_the_engine_does(tmp_path: Path) -> None:
    """p53 overexpression with Rb loss at progression on osimertinib is the immunophenotype of
    a tumour heading for small-cell transformation (TP53 and RB1 inactivation): cohort mode
    must read it from the study as the case engine reads it from the case, not as the unclear
    pattern-less "p53 positive". Before, cohort mode ignored PATTERN and found neither."""
    from tkiresist.cohort import load_study
    from tkiresist.model.categories import expression_categories
    from tkiresist.model.findings import Finding

    case = _case("synthetic-ihc", IHC)
    out = _export([case], tmp_path / "study")
    loaded = load_study(out)
    try:
        cohort = {
            c
            for (c,) in loaded.con.execute(
                "SELECT c.category FROM alterations a JOIN alt_category c USING (alt_id) "
                "WHERE a.sample_id = 'synthetic-ihc-spec-pd'"
            ).fetchall()
        }
    finally:
        loaded.con.close()
    test = next(e for e in case.events if e.id == "ihc-pd")
    engine: set[str] = set()
    for f in test.findings:  # type: ignore[attr-defined]
        assert isinstance(f, Finding)
        engine |= expression_categories(f.alteration, f.pattern)  # type: ignore[arg-type]
    assert {"tp53_alteration", "rb1_loss", "met_overexpression"} <= engine
    # the re-biopsy's NGS adds the EGFR driver's categories; the IHC ones are the engine's
    assert {c for c in cohort if not c.startswith("egfr_")} == engine


DEATH = """  - id: death
    type: death
    time: 20 months after dx
"""


@pytest.mark.parametrize(
    ("extra", "stop_reason", "status", "months"),
    [
        # died 20 months after diagnosis
        (DEATH, "progression", "1:DECEASED", "20"),
        # the line stopped because the patient died, 14 months in, and no death event
        ("", "death", "1:DECEASED", "14"),
        # no death reported: alive at the last dated event (the re-biopsy), censored there
        ("", "progression", "0:LIVING", "14"),
    ],
    ids=["death-event", "line-stopped-by-death", "alive"],
)
def test_overall_survival_from_diagnosis(
    tmp_path: Path, extra: str, stop_reason: str, status: str, months: str
) -> None:
    """cBioPortal draws survival from OS_STATUS (``1:DECEASED`` / ``0:LIVING``) and OS_MONTHS
    since diagnosis (File Formats, clinical data). An oncologist expects a patient who died 20
    months after diagnosis to count as a death at 20 months, a patient whose osimertinib was
    stopped by death to count as a death then, and a patient the report leaves alive to be
    censored at the last time the report saw them. Before, neither column was written."""
    out = _export([_case("synthetic-os", extra, stop_reason)], tmp_path / "study")
    patient = _clinical(out / "data_clinical_patient.txt")["synthetic-os"]
    assert (patient["OS_STATUS"], patient["OS_MONTHS"]) == (status, months)
