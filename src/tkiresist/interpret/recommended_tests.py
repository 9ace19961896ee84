"""Step 5 of the engine: the tests still needed (or already done) before acting.

* Orthogonal confirmation of a fusion found by DNA-only sequencing or in plasma (IHC, FISH or
  RNA), when tissue is available; noted as done when an orthogonal test of the same biomarker
  agrees.
* Re-biopsy for histology when transformation is suspected (a histologic transformation found,
  TP53 and RB1 both altered, or no mechanism identified).
* Phasing of C797X and T790M (cis or trans) when both are present: it decides the option.
* Repeat testing when the progression test could not assess a category (a plasma test with no
  fusion found, or an assay that covers no fusions at all).
* A re-biopsy when no test was done at progression.
"""

from __future__ import annotations

from collections.abc import Sequence

from tkiresist.model.alterations import Expression, Fusion
from tkiresist.model.case import Case
from tkiresist.model.interpretation import (
    AlterationStatus,
    DecisionPoint,
    Mechanism,
    RecommendedTest,
)
from tkiresist.model.timeline import MolecularTest, Specimen

PRESENT = ("acquired", "persistent", "not_assessable")


def recommend(
    case: Case,
    point: DecisionPoint,
    statuses: Sequence[AlterationStatus],
    mechanisms: Sequence[Mechanism],
    phase: str | None = None,
) -> list[RecommendedTest]:
    out: list[RecommendedTest] = []
    months = case.months()
    current_tests = [
        e
        for e in case.events
        if isinstance(e, MolecularTest)
        and months[e.id] <= point.month + 1e-6
        and (point.therapy is None or months[e.id] > point.therapy.start_month + 1e-6)
    ]
    specimens = {e.id: e for e in case.events if isinstance(e, Specimen)}
    tissue = any(s.kind == "tissue" for s in specimens.values())
    present = [s for s in statuses if s.status in PRESENT]

    for s in present:
        if not isinstance(s.alteration, Fusion):
            continue
        ortho = [
            x
            for x in statuses
            if isinstance(x.alteration, Expression)
            and x.alteration.marker == s.alteration.three_prime
            and any(e.phase == "current" and e.result == "detected" for e in x.evidence)
        ]
        methods: set[str] = set()
        for e in s.evidence:
            if e.result != "detected":
                continue
            assay = case.assay(e.assay)
            materials = set(assay.materials) if assay else set()
            if assay is not None and assay.method in ("fish", "ihc"):
                methods.add(assay.method)
            elif "tissue_rna" in materials:
                methods.add("rna")
            elif e.specimen_kind in ("plasma", "csf"):
                methods.add("ctdna")
            else:
                methods.add("dna")
        if ortho:
            out.append(
                RecommendedTest(
                    kind="orthogonal_confirmation",
                    status="done",
                    reason=f"{s.name} confirmed by {s.alteration.three_prime} IHC on the "
                    "progression specimen",
                    alterations=(s.name,),
                )
            )
        elif methods and methods <= {"dna", "ctdna"}:
            where = "tissue is available" if tissue else "if tissue can be obtained"
            out.append(
                RecommendedTest(
                    kind="orthogonal_confirmation",
                    reason=f"{s.name} was found by DNA-only or plasma sequencing; confirm by "
                    f"IHC, FISH or RNA sequencing ({where})",
                    alterations=(s.name,),
                )
            )

    cats = {c for s in present for c in s.category}
    if "histologic_transformation" in cats:
        out.append(
            RecommendedTest(
                kind="rebiopsy_histology",
                status="done",
                reason="histologic transformation documented on the progression biopsy",
            )
        )
    elif {"tp53_alteration", "rb1_loss"} <= cats:
        out.append(
            RecommendedTest(
                kind="rebiopsy_histology",
                reason="TP53 and RB1 both altered: small-cell transformation risk; review "
                "histology (and neuroendocrine markers) on a tissue re-biopsy",
            )
        )
    elif not mechanisms and current_tests:
        out.append(
            RecommendedTest(
                kind="rebiopsy_histology",
                reason="no resistance mechanism identified: a tissue re-biopsy with histology "
                "can reveal transformation",
            )
        )

    if {"egfr_t790m", "egfr_c797x"} <= cats:
        out.append(
            RecommendedTest(
                kind="cis_trans_phasing",
                status="done" if phase is not None else "needed",
                reason=f"C797X reported in {phase} with T790M"
                if phase is not None
                else "T790M and C797X are both present: whether they are in cis or in trans "
                "decides between a first- plus third-generation TKI combination and no TKI option",
                alterations=tuple(
                    s.name for s in present if {"egfr_t790m", "egfr_c797x"} & set(s.category)
                ),
            )
        )

    if not current_tests:
        out.append(
            RecommendedTest(
                kind="rebiopsy",
                reason="no molecular test since the line in effect began: re-biopsy (tissue, "
                "or plasma first) at progression",
            )
        )
    else:
        fusion_seen = any(isinstance(s.alteration, Fusion) for s in present)
        covered_fusions = False
        plasma_only = True
        for t in current_tests:
            assay = case.assay(t.assay)
            if assay is not None and assay.coverage.fusion:
                covered_fusions = True
            spec = specimens.get(t.specimen)
            if spec is not None and spec.kind not in ("plasma", "csf"):
                plasma_only = False
        if not fusion_seen and not covered_fusions:
            out.append(
                RecommendedTest(
                    kind="repeat_testing",
                    reason="the progression test could not assess fusions: test RNA or tissue "
                    "for ALK, RET, ROS1, BRAF, NTRK and FGFR fusions",
                )
            )
        elif not fusion_seen and plasma_only:
            out.append(
                RecommendedTest(
                    kind="repeat_testing",
                    reason="fusions were not detected in plasma only, where sensitivity for "
                    "fusions is limited: test tissue (RNA) if it can be obtained",
                )
            )
    return out
