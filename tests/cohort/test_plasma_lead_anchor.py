"""Cohort mode's plasma lead time is measured to radiographic progression (#15), not to the
progression sample, when the study's timeline has one.

Every patient here is a synthetic scenario (``tests/interpret/dynamics_builder.py``: EGFR exon
19 deletion, first-line osimertinib from month 1, plasma drawn on the line, EGFR C797S first seen
in plasma at month 10, a tissue rebiopsy at month 16 that is the decision point). They differ
only in the response assessment of progressive disease, exported as cBioPortal writes one: an
IMAGING event (with a modality) or a STATUS event (without), with its CRITERIA.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tkiresist.cohort import format_summary, run_cohort, write_outputs
from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import parse_case_text
from tkiresist.io.cbioportal import export_study
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.model.case import Case
from tkiresist.model.time import DAYS_PER_MONTH

from ..interpret.dynamics_builder import LOD, DrawSpec, serial_text

DRAWS: list[DrawSpec] = [  # EGFR C797S first in plasma at month 10
    (0, ["{alteration: EGFR exon 19 deletion, vaf: 0.05}"], LOD),
    (4, ["{alteration: EGFR exon 19 deletion, status: not_detected}"], LOD),
    (
        10,
        ["{alteration: EGFR exon 19 deletion, vaf: 0.01}", "{alteration: EGFR C797S, vaf: 0.01}"],
        LOD,
    ),
]
FIRST_IN_PLASMA = 10
REBIOPSY = 16
PD_LINE = "criteria: RECIST 1.1, therapy: osi}\n"
Row = dict[str, Any]


def _case(pid: str, pd_month: float, pd_fields: str | None) -> Case:
    """The scenario with its response assessment of PD at ``pd_month`` written with
    ``pd_fields`` (``None``: no response assessment at all)."""
    text = serial_text(DRAWS, pd_month).replace("id: synthetic-serial-plasma", f"id: {pid}")
    pd_line = next(line for line in text.splitlines(keepends=True) if line.endswith(PD_LINE))
    assert "category: PD" in pd_line
    text = text.replace(pd_line, "" if pd_fields is None else pd_line.replace(PD_LINE, pd_fields))
    text += f"""  - {{id: s-pd, type: specimen, time: {REBIOPSY} months after dx, kind: tissue}}
  - id: t-pd
    type: test
    specimen: s-pd
    assay: synthetic-tissue
    findings: ["EGFR exon 19 deletion", "EGFR C797S"]
"""
    return parse_case_text(text, f"{pid}.yaml")


@pytest.fixture(scope="module")
def cases() -> dict[str, Case]:
    return {
        c.id: c
        for c in (
            # CT shows RECIST progression at month 14; the rebiopsy follows at month 16
            _case("imaging-pd", 14, "criteria: RECIST 1.1, therapy: osi, modality: CT chest}\n"),
            # the same progression recorded without a modality (a STATUS event)
            _case("status-pd", 13, PD_LINE),
            # no response assessment in the timeline at all
            _case("no-pd", 14, None),
            # progression judged clinically, not on imaging
            _case("clinical-pd", 14, "criteria: clinical, therapy: osi}\n"),
            # radiographic progression at month 8, before C797S appeared in plasma; the line
            # went on beyond progression until the rebiopsy
            _case("pd-before-plasma", 8, PD_LINE),
        )
    }


@pytest.fixture(scope="module")
def rows(cases: dict[str, Case], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Row]:
    out = tmp_path_factory.mktemp("anchor") / "study"
    export_study(list(cases.values()), out, study_id="plasma_lead_anchor")
    return {r["patient_id"]: r for r in run_cohort(out).per_patient.to_pylist()}


def _day(month: float) -> int:
    return round(month * DAYS_PER_MONTH)


def _months(days: int) -> float:
    return days / DAYS_PER_MONTH


def test_the_export_writes_the_progressions_the_cohort_reads(
    cases: dict[str, Case], tmp_path: Path
) -> None:
    """The two shapes of a response assessment in a study: IMAGING with a modality, STATUS
    without one, each with its CRITERIA."""
    export_study(list(cases.values()), tmp_path / "s", study_id="plasma_lead_anchor")
    imaging = (tmp_path / "s" / "data_timeline_imaging.txt").read_text().splitlines()
    status = (tmp_path / "s" / "data_timeline_status.txt").read_text().splitlines()
    assert any(r.startswith(f"imaging-pd\t{_day(14)}\t") and "\tPD\t" in r for r in imaging)
    assert any(r.startswith(f"status-pd\t{_day(13)}\t") and "\tPD\t" in r for r in status)
    assert any(r.startswith("clinical-pd\t") and "\tclinical\t" in r for r in status)


def test_lead_time_is_measured_to_radiographic_progression(
    rows: dict[str, Row], cases: dict[str, Case]
) -> None:
    """An oncologist asks how long before the scan showed progression the blood showed the
    resistance mutation: C797S in plasma at month 10 and RECIST progression on CT at month 14 is
    a four-month lead, not the six months to the rebiopsy taken two months after the scan. The
    per-case dynamics step reads the same lead time from the case."""
    row = rows["imaging-pd"]
    assert row["progression_sample"] == "imaging-pd-s-pd"  # the rebiopsy stays the decision point
    assert row["progression_day"] == _day(REBIOPSY)
    assert row["radiographic_progression_day"] == _day(14)
    assert row["plasma_lead_anchor"] == "radiographic_progression"
    lead = _months(_day(14) - _day(FIRST_IN_PLASMA))
    assert row["plasma_lead_time_months"] == pytest.approx(lead)
    assert row["plasma_lead_months"] == [round(lead, 2)]
    (dyn,) = interpret(cases["imaging-pd"], load_knowledge_base()).dynamics
    assert dyn.progression is not None and dyn.progression.lead_time_months is not None
    assert dyn.progression.lead_time_months == pytest.approx(lead, abs=0.05)

    status = rows["status-pd"]  # the same progression written as a STATUS event
    assert status["plasma_lead_anchor"] == "radiographic_progression"
    assert status["plasma_lead_time_months"] == pytest.approx(
        _months(_day(13) - _day(FIRST_IN_PLASMA))
    )


def test_without_radiographic_progression_the_progression_sample_is_the_anchor(
    rows: dict[str, Row],
) -> None:
    """No scan reading of progression in the timeline, or one judged clinically: the lead time
    falls back to the progression sample, and the row says so (a clinical progression is not
    a radiographic one, so it does not serve as the anchor)."""
    sample_lead = _months(_day(REBIOPSY) - _day(FIRST_IN_PLASMA))
    for pid in ("no-pd", "clinical-pd"):
        row = rows[pid]
        assert row["radiographic_progression_day"] is None, pid
        assert row["plasma_lead_anchor"] == "progression_sample", pid
        assert row["plasma_lead_time_months"] == pytest.approx(sample_lead), pid


def test_plasma_after_radiographic_progression_has_no_lead(
    rows: dict[str, Row], cases: dict[str, Case]
) -> None:
    """Progression on the scan at month 8, C797S first in plasma at month 10: the blood did not
    show it first, and an oncologist would not call the plasma result a lead over imaging. The
    anchor is the line's first radiographic progression, the one the dynamics step takes, so
    the lead time is negative (two months late), not measured to the later rebiopsy as if the
    blood had led by six months. The engine agrees: the month-10 draw belongs to the month-8
    progression (a test after the scan counts with it until the next line, #12 audit), so it
    gives the same negative lead."""
    row = rows["pd-before-plasma"]
    assert row["radiographic_progression_day"] == _day(8)
    assert row["plasma_lead_anchor"] == "radiographic_progression"
    lead = _months(_day(8) - _day(FIRST_IN_PLASMA))
    assert lead < 0
    assert row["plasma_lead_time_months"] == pytest.approx(lead)
    (dyn,) = interpret(cases["pd-before-plasma"], load_knowledge_base()).dynamics
    assert dyn.progression is not None
    assert dyn.progression.radiographic_month == pytest.approx(8)  # the same progression
    assert dyn.progression.lead_time_months == pytest.approx(lead, abs=0.05)  # the same, late


def test_the_outputs_say_which_anchor_was_used(cases: dict[str, Case], tmp_path: Path) -> None:
    export_study(list(cases.values()), tmp_path / "s", study_id="plasma_lead_anchor")
    result = run_cohort(tmp_path / "s")
    assert result.summary.plasma_lead_anchors == {
        "progression_sample": 2,
        "radiographic_progression": 3,
    }
    write_outputs(result.per_patient, result.summary, tmp_path / "out")
    header, *lines = (tmp_path / "out" / "patients.tsv").read_text().splitlines()
    columns = header.split("\t")
    anchor = {r.split("\t")[0]: r.split("\t")[columns.index("plasma_lead_anchor")] for r in lines}
    assert anchor["imaging-pd"] == "radiographic_progression"
    assert anchor["no-pd"] == "progression_sample"
    assert "3 to radiographic progression" in format_summary(result.summary)
