"""Cohort mode's plasma lead time (#15): per patient, when each resistance alteration first
appeared in a plasma sample of the line, and how long before the decision point; across the
study, the distribution. The study is exported from synthetic serial-plasma cases (invented
patients: ``tests/interpret/dynamics_builder.py``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from tkiresist.cohort import run_cohort, write_outputs
from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import parse_case_text
from tkiresist.io.cbioportal import export_study
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.model.case import Case
from tkiresist.model.time import DAYS_PER_MONTH

from ..interpret.dynamics_builder import CLASSIC, LOD, DrawSpec, serial_text

EARLY: list[DrawSpec] = [  # C797S from month 10, tissue at progression at month 14
    (0, ["{alteration: EGFR exon 19 deletion, vaf: 0.05}"], LOD),
    (4, ["{alteration: EGFR exon 19 deletion, status: not_detected}"], LOD),
    (
        10,
        ["{alteration: EGFR exon 19 deletion, vaf: 0.01}", "{alteration: EGFR C797S, vaf: 0.01}"],
        LOD,
    ),
]
QUIET: list[DrawSpec] = [  # no resistance alteration in plasma; MET found in tissue only
    (0, ["{alteration: EGFR exon 19 deletion, vaf: 0.05}"], LOD),
    (6, ["{alteration: EGFR exon 19 deletion, status: not_detected}"], LOD),
]


def _case(pid: str, draws: Sequence[DrawSpec], pd: int, tissue: str) -> Case:
    text = serial_text(draws, pd).replace("id: synthetic-serial-plasma", f"id: {pid}")
    text += f"""  - {{id: s-pd, type: specimen, time: {pd} months after dx, kind: tissue}}
  - id: t-pd
    type: test
    specimen: s-pd
    assay: synthetic-tissue
    findings: {tissue}
"""
    return parse_case_text(text, f"{pid}.yaml")


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return [
        _case("classic", CLASSIC, 20, '["EGFR exon 19 deletion", "EGFR C797S"]'),
        _case("early", EARLY, 14, '["EGFR exon 19 deletion", "EGFR C797S"]'),
        _case("quiet", QUIET, 12, '["EGFR exon 19 deletion", "MET amplification"]'),
    ]


@pytest.fixture(scope="module")
def study(cases: list[Case], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("serial") / "study"
    export_study(cases, out, study_id="serial_plasma")
    return out


def _day(month: float) -> int:
    return round(month * DAYS_PER_MONTH)


def test_the_export_writes_the_plasma_samples_with_their_days(study: Path) -> None:
    rows = [
        line.split("\t")
        for line in (study / "data_timeline_specimen.txt").read_text().splitlines()[1:]
    ]
    plasma = {r[4]: (int(r[1]), r[5]) for r in rows if r[0] == "classic" and r[5] == "plasma"}
    assert len(plasma) == len(CLASSIC)
    assert plasma["classic-s-plasma16"][0] == _day(16)
    sample_rows = (study / "data_clinical_sample.txt").read_text().splitlines()
    header = next(r for r in sample_rows if r.startswith("PATIENT_ID")).split("\t")
    kinds = {
        r.split("\t")[1]: r.split("\t")[header.index("SPECIMEN_TYPE")]
        for r in sample_rows
        if r.startswith("classic\t")
    }
    assert kinds["classic-s-plasma19"] == "plasma" and kinds["classic-s-pd"] == "tissue"


def test_first_appearance_in_plasma_and_lead_time_per_patient(
    study: Path, cases: list[Case], tmp_path: Path
) -> None:
    result = run_cohort(study)
    rows = {r["patient_id"]: r for r in result.per_patient.to_pylist()}
    classic = rows["classic"]
    assert classic["progression_sample"] == "classic-s-pd"  # tissue at progression
    assert classic["plasma_resistance"] == ["EGFR p.C797S"]
    assert classic["plasma_first_days"] == [_day(16)]
    lead = (_day(20) - _day(16)) / DAYS_PER_MONTH
    assert classic["plasma_lead_time_months"] == pytest.approx(lead)
    # the per-case dynamics step reads the same lead time (its PD is the same month)
    (dyn,) = interpret(cases[0], load_knowledge_base()).dynamics
    assert dyn.progression is not None
    assert dyn.progression.lead_time_months == pytest.approx(lead, abs=0.05)
    early = rows["early"]
    assert early["plasma_first_days"] == [_day(10)]
    assert early["plasma_lead_months"] == [round((_day(14) - _day(10)) / DAYS_PER_MONTH, 2)]
    quiet = rows["quiet"]  # MET amplification is a mechanism seen in tissue only
    assert quiet["mechanisms"] and quiet["plasma_resistance"] == []
    assert quiet["plasma_lead_time_months"] is None

    (everyone,) = [t for t in result.summary.plasma_lead_times if t.prior_drug == "all"]
    assert everyone.n == 2
    leads = sorted([lead, (_day(14) - _day(10)) / DAYS_PER_MONTH])
    assert everyone.median == pytest.approx(sum(leads) / 2)
    assert everyone.q1 is not None and everyone.q3 is not None
    assert leads[0] <= everyone.q1 <= everyone.median <= everyone.q3 <= leads[1]

    out = tmp_path / "out"
    write_outputs(result.per_patient, result.summary, out)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["plasma_lead_time_months"][0]["n"] == 2
    patients = (out / "patients.tsv").read_text().splitlines()
    assert "plasma_lead_time_months" in patients[0].split("\t")
    assert (out / "plasma_lead_time.tsv").read_text().startswith("prior_drug\tn\tmedian_months")


def test_a_plasma_sample_named_only_in_the_timeline_counts(study: Path, tmp_path: Path) -> None:
    """Another study's words: the clinical sample file says nothing of plasma, the SPECIMEN
    timeline says cfDNA; a CSF sample is another compartment and never counts."""
    import shutil

    copy = tmp_path / "study"
    shutil.copytree(study, copy)
    sample = copy / "data_clinical_sample.txt"
    sample.write_text(sample.read_text().replace("\tplasma\t", "\tblood\t"))
    timeline = copy / "data_timeline_specimen.txt"
    text = timeline.read_text()
    timeline.write_text(text.replace("\tplasma\t", "\tcfDNA\t"))
    rows = {r["patient_id"]: r for r in run_cohort(copy).per_patient.to_pylist()}
    assert rows["classic"]["plasma_first_days"] == [_day(16)]
    timeline.write_text(text.replace("\tplasma\t", "\tCSF ctDNA\t"))
    rows = {r["patient_id"]: r for r in run_cohort(copy).per_patient.to_pylist()}
    assert rows["classic"]["plasma_resistance"] == []
