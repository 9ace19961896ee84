"""Synthetic scenario cases (#12): invented situations, never published patients.

``scenario(...)`` writes a small, complete case: a diagnosis, a baseline tissue test on a broad
panel, a first line, a progression, and a re-biopsy tested on the same panel (plus histology
when given). Everything a scenario does not state is absent, as in an incomplete report.
"""

from __future__ import annotations

from collections.abc import Sequence

from tkiresist.io.casefile import parse_case_text
from tkiresist.model.case import Case

PANEL = "scenario-panel"
GENES = ("EGFR", "MET", "ALK", "ROS1", "RET", "BRAF", "KRAS", "NRAS", "PIK3CA", "ERBB2", "TP53",
         "RB1", "NTRK1", "FGFR3", "NRG1")  # fmt: skip


def _findings(items: Sequence[str], status: str) -> str:
    """Text alterations quoted; a structured one (``{kind: expression, ...}``) as written."""
    return "".join(
        f"      - {{alteration: {a if a.startswith('{') else repr(a)}, status: {status}}}\n"
        for a in items
    )


def scenario(
    *,
    agents: Sequence[str],
    baseline: Sequence[str] = (),
    progression: Sequence[str] = (),
    lost: Sequence[str] = (),
    histology: str | None = None,
    oncotree: str = "LUAD",
    months: int = 14,
    cns_progression: bool = False,
    declared_driver: str | None = None,
    history: Sequence[str] = (),
) -> Case:
    """A synthetic case; ``lost`` are baseline findings not detected at progression;
    ``history`` the agents of an earlier line, before ``agents``."""
    driver = f"\n    driver: {declared_driver}" if declared_driver else ""
    genes = ", ".join(GENES)
    text = f"""schema_version: "1.0"
id: scenario-case
pseudonym: SCENARIO
notes: Synthetic scenario for tests (#12); not a published patient.
assays:
  - id: scenario-panel
    name: Synthetic DNA+RNA panel of the scenarios
    method: ngs
    materials: [tissue_dna, tissue_rna]
    coverage:
      sequence_variant: [{genes}]
      fusion: [{genes}]
      copy_number: [{genes}]
      expression: [MET, ERBB2]
events:
  - id: dx
    type: diagnosis
    histology: {"squamous cell carcinoma" if oncotree == "LUSC" else "adenocarcinoma"}
    oncotree_code: {oncotree}{driver}
  - id: spec-dx
    type: specimen
    time: 0 months after dx
    kind: tissue
    site: lung
    site_kind: extracranial
"""
    if baseline or lost:
        text += f"""  - id: test-dx
    type: test
    specimen: spec-dx
    assay: {PANEL}
    findings:
{_findings([*baseline, *lost], "detected")}"""
    start = "0 months after dx"
    if history:
        text += f"""  - id: line0
    type: therapy
    agents: [{", ".join(history)}]
    start: 0 months after dx
    stop: 12 months after line0
    stop_reason: progression
"""
        start = "12 months after line0"
    text += f"""  - id: line1
    type: therapy
    agents: [{", ".join(agents)}]
    start: {start}
    stop: {months} months after line1
    stop_reason: progression
  - id: pd
    type: response
    time: {months} months after line1
    category: PD
    site: {"cns" if cns_progression else "overall"}
    therapy: line1
  - id: spec-pd
    type: specimen
    time: 0 days after pd
    kind: tissue
    site: {"brain" if cns_progression else "lung"}
    site_kind: {"cns" if cns_progression else "extracranial"}
"""
    if progression or lost:
        text += f"""  - id: test-pd
    type: test
    specimen: spec-pd
    assay: {PANEL}
    findings:
{_findings(progression, "detected")}{_findings(lost, "not_detected")}"""
    if histology:
        text += f"""  - id: histology-pd
    type: test
    specimen: spec-pd
    assay: histology
    findings:
      - alteration: {{kind: histology, histology: {histology}}}
"""
    return parse_case_text(text, "scenario.yaml")
