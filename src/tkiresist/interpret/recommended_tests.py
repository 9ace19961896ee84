"""Step 5 of the engine: the tests still needed (or already done) before acting.

* Orthogonal confirmation of a fusion found by DNA-only sequencing or in plasma (IHC, FISH or
  RNA), when tissue is available; noted as done when an orthogonal test of the same biomarker
  agrees. The advice names the method only when it is known (:func:`fusion_methods`): a
  tissue NGS assay whose materials are DNA only is "DNA-only sequencing", a test of plasma or
  CSF is "plasma sequencing"; an assay whose method is ``other`` or not given, or an NGS panel
  whose input (DNA or RNA) is not stated, is said to be of unknown method, and confirmation is
  still advised, since such a fusion may have been found by DNA alone.
* Re-biopsy for histology when transformation is suspected (a histologic transformation found,
  TP53 and RB1 both altered, or no mechanism identified).
* Phasing of C797X and T790M (cis or trans) when both are present: it decides the option.
* Repeat testing when the progression test could not assess a category (a plasma test with no
  fusion found, or an assay that covers no fusions at all).
* A re-biopsy when no test was done at progression.

Which tests are "since the line in effect began" is decided by
:func:`tkiresist.interpret.serial.phases_of_tests`, the split the serial comparison uses: a test in
the month a line starts (when either date has no day) is that line's baseline, not a test on
it, so the advice and the alteration statuses never place one test on both sides.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from tkiresist.interpret.serial import alteration_key, phases_of_tests
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

FusionMethod = Literal["fish", "ihc", "rna", "dna", "ctdna", "ngs_input_unknown", "unknown"]
_ORTHOGONAL = frozenset({"fish", "ihc", "rna"})


def _method_of_text(text: str) -> FusionMethod:
    """The method a finding's own ``method`` text names (``FISH``, ``IHC``, ``RNA-seq``...)."""
    words = text.lower().replace("-", " ").replace("+", " ").split()
    if "fish" in words:
        return "fish"
    if "ihc" in words or "immunohistochemistry" in words:
        return "ihc"
    if "rna" in words or "rnaseq" in words or "rt pcr" in " ".join(words):
        return "rna"
    return "unknown"


def fusion_methods(case: Case, status: AlterationStatus) -> dict[FusionMethod, list[str]]:
    """How each test that detected ``status``'s alteration found it, known or not: ``fish``,
    ``ihc``, ``rna`` (an assay with RNA among its materials, on tissue), ``dna`` (a tissue NGS
    assay whose materials are DNA only), ``ctdna`` (NGS or PCR of plasma or CSF),
    ``ngs_input_unknown`` (tissue, or an unstated specimen, sequenced by a panel whose materials
    are not given) or ``unknown`` (an assay of method ``other`` or without a stated method, a
    tissue PCR without RNA, or an assay the catalogue does not hold). A finding's own
    ``method`` text (FISH, IHC, RNA) wins. Values: the test ids."""
    events = {e.id: e for e in case.events}
    out: dict[FusionMethod, list[str]] = {}
    key = alteration_key(status.alteration)
    for e in status.evidence:
        if e.result != "detected":
            continue
        method: FusionMethod = "unknown"
        test = events.get(e.test)
        own = [
            f.method
            for f in (test.findings if isinstance(test, MolecularTest) else ())
            if f.method and alteration_key(f.alteration) == key
        ]
        assay = case.assay(e.assay)
        known = assay is not None and "method" in assay.model_fields_set
        materials = set(assay.materials) if assay is not None else set()
        if own and _method_of_text(own[0]) != "unknown":
            method = _method_of_text(own[0])
        elif assay is None or not known or assay.method in ("other", "histology"):
            method = "unknown"
        elif assay.method in ("fish", "ihc"):
            method = assay.method
        elif e.specimen_kind in ("plasma", "csf"):
            method = "ctdna"
        elif "tissue_rna" in materials:
            method = "rna"
        elif assay.method == "ngs" and materials and materials <= _DNA_MATERIALS:
            method = "dna"
        elif assay.method == "ngs" and not materials:
            method = "ngs_input_unknown"
        out.setdefault(method, []).append(e.test)
    return out


_DNA_MATERIALS = frozenset({"tissue_dna", "plasma_ctdna", "csf_ctdna"})


def _found_by(methods: dict[FusionMethod, list[str]]) -> str:
    """How a fusion was found, in words, saying only what is known: "DNA-only sequencing" and
    "plasma sequencing" only when the assay and specimen say so."""
    said = []
    if "dna" in methods:
        said.append("DNA-only sequencing")
    if "ctdna" in methods:
        said.append("plasma sequencing")
    if "ngs_input_unknown" in methods:
        tests = ", ".join(methods["ngs_input_unknown"])
        said.append(f"sequencing whose input (DNA or RNA) is not stated (test {tests})")
    if "unknown" in methods:
        tests = ", ".join(methods["unknown"])
        said.append(f"a test whose method is not stated (test {tests})")
    text = " and ".join(said)
    if set(methods) & {"ngs_input_unknown", "unknown"}:
        text += ", so whether it was found by DNA alone is not known"
    return text


def recommend(
    case: Case,
    point: DecisionPoint,
    statuses: Sequence[AlterationStatus],
    mechanisms: Sequence[Mechanism],
    phase: str | None = None,
) -> list[RecommendedTest]:
    out: list[RecommendedTest] = []
    phases = phases_of_tests(case, point)
    current_tests = [
        e for e in case.events if isinstance(e, MolecularTest) and phases.get(e.id) == "current"
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
        methods = fusion_methods(case, s)
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
        elif methods and not _ORTHOGONAL & set(methods):
            where = "tissue is available" if tissue else "if tissue can be obtained"
            unless = ", unless that test was one of them" if "unknown" in methods else ""
            out.append(
                RecommendedTest(
                    kind="orthogonal_confirmation",
                    reason=f"{s.name} was found by {_found_by(methods)}; confirm by IHC, FISH "
                    f"or RNA sequencing{unless} ({where})",
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
    elif not mechanisms and current_tests and point.therapy is not None:
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
