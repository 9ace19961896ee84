"""Fixtures for the FHIR tests: the seed case, its interpretation and Bundle, a dated case."""

from __future__ import annotations

from typing import Any

import pytest

from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import parse_case_text, read_case
from tkiresist.io.fhir import case_to_bundle
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.model.case import Case
from tkiresist.model.interpretation import Interpretation

from ..conftest import SEED_CASE

# A case with calendar dates, partial dates, a relative time, a variant with HGVS and VAF,
# an approximate time, a lesion, an adverse event and a radiotherapy course with an end.
DATED_CASE = """
id: dated-1
pseudonym: DATED-P1
patient: {age_at_diagnosis: 58, sex: female, smoking: former, pack_years: 12.5, ecog: 1}
assays:
  - id: plasma-panel
    name: Plasma panel (inline)
    method: ngs
    materials: [plasma_ctdna]
    coverage: {sequence_variant: [EGFR], copy_number: [MET]}
events:
  - {id: dx, type: diagnosis, time: 2021-03-14, histology: adenocarcinoma,
     oncotree_code: LUAD, stage: IVA, metastatic_sites: [bone]}
  - {id: spec-1, type: specimen, time: 2021-03-02, kind: tissue, site: right upper lobe}
  - id: ngs-1
    type: test
    specimen: spec-1
    assay: oncomine-precision
    findings:
      - alteration: EGFR c.2573T>G (NP_005219.2:p.L858R)
        vaf: 0.31
        depth: 812
        alt_reads: 252
        quality: pass
  - {id: osi, type: therapy, line: 1, agents: [{drug: osimertinib, dose: 80 mg,
     schedule: once daily}], start: 2021-04, stop: 2022-07-20, stop_reason: progression}
  - {id: ae-1, type: adverse_event, time: about 2 months after osi, term: Pneumonitis,
     grade: 2, therapy: osi, ctcae_version: '5.0'}
  - {id: pd-1, type: response, time: 2022-07-20, category: PD, criteria: RECIST 1.1,
     therapy: osi, modality: CT chest, lesions: [{site: right upper lobe, size_mm: [31, 22]}]}
  - {id: rt-1, type: radiotherapy, time: 2022-08-01, end: 2022-08-12, site: T8 vertebra,
     technique: SBRT, dose_gy: 24, fractions: 3}
  - {id: spec-2, type: specimen, time: 10 days after pd-1, kind: plasma}
  - id: ngs-2
    type: test
    specimen: spec-2
    assay: plasma-panel
    findings:
      - {alteration: EGFR p.L858R, vaf: 0.05}
      - {alteration: MET amplification (copy number 8), status: detected}
      - {alteration: EGFR p.C797S, status: not_detected}
"""


@pytest.fixture(scope="session")
def seed_case() -> Case:
    return read_case(SEED_CASE)


@pytest.fixture(scope="session")
def seed_interpretation(seed_case: Case) -> Interpretation:
    return interpret(seed_case, load_knowledge_base())


@pytest.fixture(scope="session")
def seed_bundle(seed_case: Case, seed_interpretation: Interpretation) -> dict[str, Any]:
    return case_to_bundle(seed_case, seed_interpretation, shift_days=17)


@pytest.fixture(scope="session")
def dated_case() -> Case:
    return parse_case_text(DATED_CASE, "dated.yaml")


def resources(bundle: dict[str, Any], kind: str | None = None) -> list[dict[str, Any]]:
    return [
        e["resource"]
        for e in bundle["entry"]
        if kind is None or e["resource"]["resourceType"] == kind
    ]


def has_code(cc: dict[str, Any], system: str, code: str) -> bool:
    return any(c.get("system") == system and c.get("code") == code for c in cc.get("coding", ()))


def components(obs: dict[str, Any], system: str, code: str) -> list[dict[str, Any]]:
    return [c for c in obs.get("component", ()) if has_code(c["code"], system, code)]
