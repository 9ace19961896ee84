"""A synthetic serial-plasma case for the dynamics tests (#15): an invented patient, never a
published one.

``serial_case(draws)`` writes a case: EGFR exon 19 deletion on a baseline lung biopsy at
diagnosis, first-line osimertinib from month 1, plasma drawn at the months given (the first at
month 0 is the line's baseline), and a radiographic progression (RECIST PD) at ``pd_month``,
the decision point. Each draw is ``(month, findings, extra)``: findings as case-file text,
``extra`` any test fields (``tumour_fraction: 0.004``, ``limit_of_detection: 0.001``).
"""

from __future__ import annotations

from collections.abc import Sequence

from tkiresist.io.casefile import parse_case_text
from tkiresist.model.case import Case

DrawSpec = tuple[float, Sequence[str], str]

HEADER = """schema_version: "1.0"
id: synthetic-serial-plasma
pseudonym: SYNTHETIC-SERIAL
notes: Synthetic scenario for the dynamics tests (#15); not a published patient.
assays:
  - id: synthetic-cfdna
    name: Synthetic plasma cfDNA panel of the dynamics tests
    method: ngs
    materials: [plasma_ctdna, csf_ctdna]
    coverage:
      sequence_variant: [EGFR, TP53, KRAS, PIK3CA, BRAF]
      copy_number: [MET, EGFR, ERBB2]
      fusion: [ALK, RET]
  - id: synthetic-tissue
    name: Synthetic tissue panel of the dynamics tests
    method: ngs
    materials: [tissue_dna, tissue_rna]
    coverage:
      sequence_variant: [EGFR, TP53, KRAS, PIK3CA, BRAF]
      copy_number: [MET, EGFR, ERBB2]
      fusion: [ALK, RET]
"""


def _events(draws: Sequence[DrawSpec], pd_month: float, kind: str) -> list[str]:
    events = [
        """  - {id: dx, type: diagnosis, histology: adenocarcinoma, stage: IVB}
""",
        """  - {id: s-lung, type: specimen, time: 0 months after dx, kind: tissue, site: lung}
""",
        """  - id: t-lung
    type: test
    specimen: s-lung
    assay: synthetic-tissue
    findings: ["EGFR exon 19 deletion"]
""",
        """  - {id: osi, type: therapy, line: 1, agents: [osimertinib], start: 1 months after dx}
""",
    ]
    for month, findings, extra in draws:
        tag = f"{month:g}".replace(".", "_")
        events.append(
            f"  - {{id: s-{kind}{tag}, type: specimen, time: {month:g} months after dx, "
            f"kind: {kind}}}\n"
        )
        fields = f"\n    {extra}" if extra else ""
        items = ", ".join(f if f.startswith("{") else repr(f) for f in findings)
        events.append(
            f"""  - id: {kind}{tag}
    type: test
    specimen: s-{kind}{tag}
    assay: synthetic-cfdna{fields}
    findings: [{items}]
"""
        )
    events.append(
        f"  - {{id: pd, type: response, time: {pd_month:g} months after dx, category: PD, "
        "criteria: RECIST 1.1, therapy: osi}\n"
    )
    return events


def serial_text(
    draws: Sequence[DrawSpec], pd_month: float = 20, kind: str = "plasma", reverse: bool = False
) -> str:
    events = _events(draws, pd_month, kind)
    if reverse:
        events = events[:1] + events[1:][::-1]
    return HEADER + "events:\n" + "".join(events)


def serial_case(
    draws: Sequence[DrawSpec], pd_month: float = 20, kind: str = "plasma", reverse: bool = False
) -> Case:
    return parse_case_text(serial_text(draws, pd_month, kind, reverse), "synthetic.yaml")


LOD = "limit_of_detection: 0.001"

CLASSIC: list[DrawSpec] = [
    # baseline, before osimertinib (month 1)
    (0, ["{alteration: EGFR exon 19 deletion, vaf: 0.125}"], f"{LOD}\n    tumour_fraction: 0.15"),
    # a >=50% fall three months in
    (4, ["{alteration: EGFR exon 19 deletion, vaf: 0.02}"], LOD),
    # cleared
    (7, ["{alteration: EGFR exon 19 deletion, status: not_detected}"], LOD),
    (10, ["{alteration: EGFR exon 19 deletion, status: not_detected}"], LOD),
    (13, ["{alteration: EGFR exon 19 deletion, status: not_detected}"], LOD),
    # C797S appears, four months before radiographic progression at month 20
    (
        16,
        [
            "{alteration: EGFR exon 19 deletion, vaf: 0.006}",
            "{alteration: EGFR C797S, vaf: 0.003}",
        ],
        LOD,
    ),
    (
        19,
        [
            "{alteration: EGFR exon 19 deletion, vaf: 0.03}",
            "{alteration: EGFR C797S, vaf: 0.012}",
        ],
        LOD,
    ),
]
