"""The case model: strict values and cross-event contradictions."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tkiresist.io.casefile import read_case
from tkiresist.model.alterations import Fusion, SequenceVariant
from tkiresist.model.case import Case, consistency_problems
from tkiresist.model.timeline import MolecularTest, Radiotherapy, ResponseAssessment, TherapyLine

from ..conftest import SEED_CASE


@pytest.fixture(scope="module")
def seed() -> Case:
    return read_case(SEED_CASE)


def test_seed_case_encodes_the_narrative(seed: Case) -> None:
    months = seed.months()
    assert seed.patient.age_at_diagnosis == 62
    conflict = next(c for c in seed.conflicts if c.field == "patient.age_at_diagnosis")
    assert sorted(v.value for v in conflict.values) == [62, 65]
    rts = {e.id: e for e in seed.events if isinstance(e, Radiotherapy)}
    assert (rts["srt"].dose_gy, rts["srt"].fractions) == (32.5, 5)
    assert (rts["wbrt"].dose_gy, rts["wbrt"].fractions) == (20, 5)
    assert months["pd-brain-1"] == pytest.approx(13.0)
    assert months["status-epilepticus"] == pytest.approx(16.0)
    assert months["pd-brain-3"] == pytest.approx(20.0)
    assert months["cr-12m"] == pytest.approx(32.0)
    combo = seed.event("combo")
    assert isinstance(combo, TherapyLine)
    assert [a.drug for a in combo.agents] == ["osimertinib", "alectinib"]
    cr = [e for e in seed.events if isinstance(e, ResponseAssessment) and e.category == "CR"]
    assert {e.therapy for e in cr} >= {"combo"}


def test_seed_progression_test_holds_the_acquired_fusion(seed: Case) -> None:
    ngs = seed.event("ngs-progression")
    assert isinstance(ngs, MolecularTest)
    alts = {f.alteration.name: f.status for f in ngs.findings}
    assert alts["EML4::ALK"] == "detected"
    assert alts["EGFR p.T790M"] == "not_detected"
    assert any(
        isinstance(f.alteration, SequenceVariant) and f.alteration.exon == 19 for f in ngs.findings
    )
    baseline = seed.event("ngs-baseline")
    assert isinstance(baseline, MolecularTest)
    negatives = [f.alteration for f in baseline.findings if f.status == "not_detected"]
    assert Fusion(three_prime="ALK") in negatives


def test_values_are_immutable_and_strict(seed: Case) -> None:
    with pytest.raises(ValidationError):
        seed.patient.age_at_diagnosis = 65  # type: ignore[misc]
    data = seed.model_dump()
    data["patient"]["favourite_colour"] = "blue"
    with pytest.raises(ValidationError, match="Extra inputs"):
        Case.model_validate(data)


def test_direct_construction_checks_consistency(seed: Case) -> None:
    data = seed.model_dump()
    data["events"] = [
        *data["events"],
        dict(data["events"][1], id="dx"),
    ]  # a second event with id 'dx'
    with pytest.raises(ValidationError, match="duplicate event id 'dx'"):
        Case.model_validate(data)
    assert consistency_problems(seed) == []
