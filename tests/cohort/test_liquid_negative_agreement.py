"""A negative in plasma or CSF, read the same way by cohort mode and the engine (#14 follow-up).

The engine (:mod:`tkiresist.interpret.serial`, ``_sheds``) reads a liquid draw's negative only
when the draw shows tumour DNA: a tumour fraction of at least 1%, or, with none stated, another
tumour alteration (its genes not all genes of clonal haematopoiesis,
:data:`tkiresist.interpret.serial.CH_GENES`) detected in that draw. A study carries no tumour
fraction, so cohort mode has only the second ground. Each case below is a **synthetic
scenario** (invented, never a published patient), exported as a cBioPortal study; cohort mode's
context, driver state and mechanisms must be the engine's for it, as in
``test_engine_agreement.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tkiresist.cohort import load_study, run_cohort, situations
from tkiresist.interpret.engine import interpret
from tkiresist.interpret.serial import CH_GENES
from tkiresist.io.casefile import parse_case_text
from tkiresist.io.cbioportal import export_study
from tkiresist.knowledge.applies import Situation
from tkiresist.model.case import Case
from tkiresist.model.interpretation import Interpretation

from .test_engine_agreement import (
    KB,
    _cohort_statements,
    _engine_situation,
    _engine_statements,
)

DEL19 = "EGFR exon 19 deletion"
T790M = "EGFR T790M"
GENES = "[EGFR, MET, KRAS, TP53, DNMT3A]"
T790M_STATEMENT = "egfr-t790m-after-early-gen-tki"


def _test(name: str, kind: str, month: str, findings: Sequence[str]) -> str:
    assay = "synthetic-tissue" if kind == "tissue" else "synthetic-cfdna"
    items = ", ".join(repr(f) for f in findings)
    return f"""  - {{id: s-{name}, type: specimen, time: {month}, kind: {kind}}}
  - id: t-{name}
    type: test
    specimen: s-{name}
    assay: {assay}
    findings: [{items}]
"""


def _case(
    pid: str,
    *,
    baseline: tuple[str, Sequence[str]],
    progression: tuple[str, Sequence[str]],
    agent: str = "osimertinib",
) -> Case:
    """A synthetic scenario: one test before ``agent`` (month 0; the line starts at month 1)
    and one at its progression (month 15), each ``(specimen kind, detected findings)``; both
    assays are NGS panels of the same genes, one on tissue, one on cell-free DNA."""
    text = f"""schema_version: "1.0"
id: {pid}
pseudonym: SYNTHETIC
notes: Synthetic scenario for the liquid-negative agreement tests; not a published patient.
assays:
  - id: synthetic-tissue
    name: Synthetic tissue panel
    method: ngs
    materials: [tissue_dna, tissue_rna]
    coverage:
      sequence_variant: {GENES}
      copy_number: [EGFR, MET]
  - id: synthetic-cfdna
    name: Synthetic cell-free DNA panel
    method: ngs
    materials: [plasma_ctdna, csf_ctdna]
    coverage:
      sequence_variant: {GENES}
      copy_number: [EGFR, MET]
events:
  - {{id: dx, type: diagnosis, histology: adenocarcinoma, oncotree_code: LUAD, stage: IVB}}
{_test("base", baseline[0], "0 months after dx", baseline[1])}\
  - {{id: line1, type: therapy, line: 1, agents: [{agent}], start: 1 months after dx}}
  - {{id: pd, type: response, time: 15 months after dx, category: PD, therapy: line1}}
{_test("pd", progression[0], "0 days after pd", progression[1])}"""
    return parse_case_text(text, f"{pid}.yaml")


CASES: dict[str, Case] = {
    # (1) the driver absent from a progression plasma draw that shows no tumour DNA
    "plasma-silent": _case(
        "plasma-silent", baseline=("tissue", [DEL19]), progression=("plasma", [])
    ),
    # (2) the same draw showing tumour DNA by another tumour alteration
    "plasma-met": _case(
        "plasma-met", baseline=("tissue", [DEL19]), progression=("plasma", ["MET amplification"])
    ),
    "plasma-kras": _case(
        "plasma-kras", baseline=("tissue", [DEL19]), progression=("plasma", ["KRAS G12C"])
    ),
    # (3) only a variant of a clonal-haematopoiesis gene in that draw
    "plasma-tp53": _case(
        "plasma-tp53", baseline=("tissue", [DEL19]), progression=("plasma", ["TP53 R273H"])
    ),
    "plasma-dnmt3a": _case(
        "plasma-dnmt3a", baseline=("tissue", [DEL19]), progression=("plasma", ["DNMT3A R882H"])
    ),
    # CSF read by the same rule
    "csf-silent": _case("csf-silent", baseline=("tissue", [DEL19]), progression=("csf", [])),
    "csf-met": _case(
        "csf-met", baseline=("tissue", [DEL19]), progression=("csf", ["MET amplification"])
    ),
    # (4) T790M at progression against a baseline only a plasma draw covered
    "t790m-plasma-silent": _case(
        "t790m-plasma-silent",
        baseline=("plasma", []),
        progression=("tissue", [DEL19, T790M]),
        agent="erlotinib",
    ),
    "t790m-plasma-shows-driver": _case(
        "t790m-plasma-shows-driver",
        baseline=("plasma", [DEL19]),
        progression=("tissue", [DEL19, T790M]),
        agent="erlotinib",
    ),
}
"""Synthetic scenarios (invented patients), exported together as one study."""


@dataclass(frozen=True)
class Both:
    """Cohort mode's rows and contexts, and the engine's results, per scenario."""

    rows: dict[str, dict[str, Any]]
    contexts: dict[str, Situation]
    engine: dict[str, Interpretation]


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Both:
    study = tmp_path_factory.mktemp("liquid") / "study"
    export_study(list(CASES.values()), study, study_id="liquid_negatives")
    rows = {r["patient_id"]: r for r in run_cohort(study).per_patient.to_pylist()}
    loaded = load_study(study)
    try:
        contexts = situations(loaded.con)
    finally:
        loaded.con.close()
    return Both(rows, contexts, {pid: interpret(case, KB) for pid, case in CASES.items()})


@pytest.mark.parametrize("pid", sorted(CASES))
def test_cohort_reads_each_scenario_as_the_engine_does(both: Both, pid: str) -> None:
    """Per scenario, cohort mode's context (driver state included) is the engine's Situation
    and the mechanisms it names, acquired or not, are the engine's."""
    assert both.contexts[pid] == _engine_situation(CASES[pid])
    assert _cohort_statements(both.rows[pid]) == _engine_statements(CASES[pid])


def _status(result: Interpretation, name: str) -> str:
    (found,) = [s for s in result.alterations if s.alteration.name == name]
    return found.status


def _specimen_types(study: Path) -> dict[str, str]:
    lines = (study / "data_clinical_sample.txt").read_text(encoding="utf-8").splitlines()
    header = next(x for x in lines if x.startswith("PATIENT_ID")).split("\t")
    rows = [x.split("\t") for x in lines[lines.index("\t".join(header)) + 1 :]]
    return {r[header.index("SAMPLE_ID")]: r[header.index("SPECIMEN_TYPE")] for r in rows}


def test_the_export_keeps_the_cell_free_samples(tmp_path: Path) -> None:
    """The study says plasma and CSF where the cases do, so cohort reads the same draws."""
    export_study([CASES["plasma-silent"], CASES["csf-silent"]], tmp_path / "s", study_id="x")
    kinds = _specimen_types(tmp_path / "s")
    assert kinds["plasma-silent-s-pd"] == "plasma" and kinds["csf-silent-s-pd"] == "csf"
    assert kinds["plasma-silent-s-base"] == "tissue"


def test_another_studys_words_for_plasma_and_csf_count(tmp_path: Path) -> None:
    """A study that writes "cfDNA" and "Cerebrospinal fluid" (in the sample file and on the
    SPECIMEN timeline) names the same cell-free draws: their silence is still uninformative,
    while a tissue biopsy written the same way would have made the driver lost."""
    study = tmp_path / "study"
    export_study([CASES["plasma-silent"], CASES["csf-silent"]], study, study_id="words")
    for name in ("data_clinical_sample.txt", "data_timeline_specimen.txt"):
        path = study / name
        text = path.read_text(encoding="utf-8")
        assert "\tplasma\t" in text and "\tcsf\t" in text, name
        text = text.replace("\tplasma\t", "\tcfDNA\t").replace("\tcsf\t", "\tCerebrospinal fluid\t")
        path.write_text(text, encoding="utf-8")
    rows = {r["patient_id"]: r for r in run_cohort(study).per_patient.to_pylist()}
    assert rows["plasma-silent"]["driver_state"] == "unknown"
    assert rows["csf-silent"]["driver_state"] == "unknown"
    for name in ("data_clinical_sample.txt", "data_timeline_specimen.txt"):
        path = study / name
        text = path.read_text(encoding="utf-8").replace("\tcfDNA\t", "\ttissue\t")
        path.write_text(text, encoding="utf-8")
    rows = {r["patient_id"]: r for r in run_cohort(study).per_patient.to_pylist()}
    assert rows["plasma-silent"]["driver_state"] == "lost"


@pytest.mark.parametrize("pid", ["plasma-silent", "csf-silent"])
def test_a_silent_draw_does_not_make_the_driver_lost(both: Both, pid: str) -> None:
    """Synthetic scenario (1): EGFR exon 19 deletion in the diagnostic biopsy; at progression on
    osimertinib only a plasma (or CSF) draw, on a panel covering EGFR, detects nothing. A
    thoracic oncologist reads this as *no information*, not as loss of the driver: a tumour
    progressing only in the brain, or shedding little DNA, leaves plasma negative, and
    parenchymal brain metastases may shed little into CSF. "Lost" needs tissue or a draw with
    tumour DNA; otherwise a 'driver lost' statement (e.g. for a transformed tumour) could fire
    on silence. Cohort and engine both say not assessable / unknown."""
    rows, engine = both.rows, both.engine
    assert _status(engine[pid], DEL19) == "not_assessable"
    assert rows[pid]["driver_state"] == "unknown"


@pytest.mark.parametrize("pid", ["plasma-met", "plasma-kras", "csf-met"])
def test_a_draw_with_another_tumour_alteration_reads_the_driver_as_lost(
    both: Both, pid: str
) -> None:
    """Synthetic scenario (2): the same progression draw also detects MET amplification or KRAS
    G12C. That draw holds tumour DNA, so its silence on the exon 19 deletion on a panel that
    covers EGFR is a real negative: an oncologist would read the driver as lost (a clone
    without the EGFR driver, as in a KRAS- or MET-driven escape), in both paths."""
    rows, engine = both.rows, both.engine
    assert _status(engine[pid], DEL19) == "lost"
    assert rows[pid]["driver_state"] == "lost"


@pytest.mark.parametrize("pid", ["plasma-tp53", "plasma-dnmt3a"])
def test_a_clonal_haematopoiesis_variant_does_not_show_tumour_dna(both: Both, pid: str) -> None:
    """Synthetic scenario (3): the progression plasma draw detects only a TP53 or DNMT3A
    variant. Both genes are often mutated in clonal haematopoiesis, so the variant may come
    from blood cells, not the tumour: an oncologist would not take it as proof that the draw
    holds tumour DNA, and the driver's absence stays uninformative (not assessable, never
    lost) in both paths."""
    rows, engine = both.rows, both.engine
    gene = pid.removeprefix("plasma-").upper()
    assert gene in CH_GENES
    assert _status(engine[pid], DEL19) == "not_assessable"
    assert rows[pid]["driver_state"] == "unknown"


def test_t790m_is_not_acquired_against_a_silent_plasma_baseline(both: Both) -> None:
    """Synthetic scenario (4): before erlotinib only a plasma draw was tested, and it detected
    nothing (not even the driver); at progression a tissue biopsy shows the exon 19 deletion
    and T790M. The plasma negative for T790M says nothing when the draw shows no tumour DNA,
    so an oncologist cannot call T790M acquired (it may have been there, unseen): it is not
    assessable, and its mechanism is named as not assessable, in both paths."""
    rows, engine = both.rows, both.engine
    result = engine["t790m-plasma-silent"]
    assert _status(result, "EGFR p.T790M") == "not_assessable"
    row = rows["t790m-plasma-silent"]
    assert row["acquired"] == []
    assert row["mechanisms"] == []
    assert row["mechanisms_not_assessable"] == [T790M_STATEMENT]


def test_t790m_is_acquired_against_a_plasma_baseline_showing_the_driver(both: Both) -> None:
    """Synthetic scenario, the contrast to (4): the baseline plasma draw detected the exon 19
    deletion, so it held tumour DNA and its silence on T790M (EGFR covered) is a negative:
    T790M found in tissue at progression on erlotinib is acquired, the classic mechanism, in
    both paths."""
    rows, engine = both.rows, both.engine
    result = engine["t790m-plasma-shows-driver"]
    assert _status(result, "EGFR p.T790M") == "acquired"
    row = rows["t790m-plasma-shows-driver"]
    assert row["acquired"] == ["EGFR p.T790M"]
    assert row["mechanisms"] == [T790M_STATEMENT]
