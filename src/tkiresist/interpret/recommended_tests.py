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
* The rules of :data:`RULES` (#12 audit), each a condition over the situation (the categories
  present, how they were measured: specimen kind, assay method, a quantity given or not; the
  progression site; the line in effect), its reason and its evidence (a knowledge-base citation
  id, a source verified for this module in :data:`SOURCES`, or a project decision):

  - ``quantify``: a gene found amplified or overexpressed, where a knowledge-base statement
    that would apply in this context is defined by a measurement not yet made on this
    progression (copy number by FISH or tissue sequencing, or IHC): advise that measurement,
    with the statement's own thresholds (``Statement.thresholds``) and citations. Nothing per
    gene is written here: the gene's measurement categories come from
    :func:`tkiresist.model.categories.categorize`, the statements and thresholds from the KB;
  - ``plasma_negative``: progression tested on plasma only, and a category on which a
    regimen approved in this context depends was not found: a negative plasma test does not
    rule it out; advise tissue for it. A standard of care (evidence level A: osimertinib for
    T790M) is always worth the tissue; a trial-level approved option (level B: osimertinib +
    savolitinib for MET amplification) only when no mechanism explains the progression (a
    project decision: with a mechanism found, chasing a second one is noise);
  - ``uninformative_plasma``: progression tested on plasma only with a tumour fraction below
    1%, or without the founding driver (and without a mechanism or a new alteration the KB
    knows, which would be tumour DNA): the draw may carry too little tumour DNA to rule
    anything out; advise tissue;
  - ``cns_progression``: progression in the CNS not tested, or tested without CSF or CNS
    tissue and no new alteration found: plasma often misses intracranial disease; advise CSF
    ctDNA or tissue from the CNS lesion.

  - ``coverage_gaps``: on a line in effect, no mechanism found, every progression assay of
    known coverage: the (gene, alteration kind) pairs that a KB statement with a sensitivity
    regimen, applying in this context (:meth:`Facts.would_fire`), depends on, covered by none
    of the progression's assays (``Assay.coverage``) and not reported, are listed in one advice
    as not assessed (not negative), with a broad NGS panel on tissue (or plasma) advised. The
    kind a category is measured by is read from the category rules (:func:`_category_kind`);
    fusions are left to the fusion advice above when no progression assay covers any fusion.
    An assay of unknown coverage silences the rule (it may have measured anything); a mechanism
    found silences it too (a project decision, as for ``plasma_negative``).

  - ``equivocal``: a finding the progression's report calls equivocal (``status:
    equivocal``, e.g. MET amplification at a copy number near the assay's cut-off): neither
    detected nor not detected (the serial comparison makes it ``not_assessable``, with no
    category, so nothing is read from it); advise an orthogonal test on the same tissue by
    the alteration's kind: FISH (and IHC where a stain of the protein defines a category) for a
    copy-number call, RNA sequencing or FISH (and IHC where it defines one) for a fusion, a
    second method for a sequence variant, FISH or sequencing of the gene for a stain. A
    project decision (``docs/decisions.md``); for MET copy number the advice cites
    ``schmitt-2021`` (FISH the gold standard, no clinically defined NGS cut-off).

  None reads an alteration's status word (``lost``, ``not_assessable``): what a plasma test
  did not show is read from the evidence (its result and specimen kind).

Which tests are "since the line in effect began" is decided by
:func:`tkiresist.interpret.serial.phases_of_tests`, the split the serial comparison uses: a test in
the month a line starts (when either date has no day) is that line's baseline, not a test on
it, so the advice and the alteration statuses never place one test on both sides.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from types import MappingProxyType
from typing import Literal

from tkiresist.interpret.mechanisms import case_context
from tkiresist.interpret.serial import alteration_key, phases_of_tests
from tkiresist.knowledge.applies import DRIVER_CATEGORIES, Situation, verdict
from tkiresist.knowledge.loader import KnowledgeBase, load_knowledge_base
from tkiresist.knowledge.schema import Statement
from tkiresist.model.alterations import CopyNumber, Expression, Fusion, SequenceVariant
from tkiresist.model.case import Case
from tkiresist.model.categories import CATALOGUE, categorize, label
from tkiresist.model.citation import Citation
from tkiresist.model.interpretation import (
    PRESENT_STATES,
    AlterationStatus,
    DecisionPoint,
    Mechanism,
    RecommendedTest,
)
from tkiresist.model.timeline import MolecularTest, Specimen

PRESENT = PRESENT_STATES  # the engine's present statuses, ``baseline`` at diagnosis included

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
LIQUID = ("plasma", "csf")


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
    kb: KnowledgeBase | None = None,
    situation: Situation | None = None,
) -> list[RecommendedTest]:
    """The tests still needed (or done) at ``point``. ``kb`` is the knowledge base the
    situation rules read (thresholds, approvals, the matching rule); without it, the packaged
    one (loaded once and cached). ``situation`` is the
    matching rule's situation at ``point`` (the engine passes the one it built; without it, it
    is built here)."""
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
    if situation is None:  # the engine passes the one it built for the same point
        dx = case.diagnosis
        situation = case_context(point, dx.oncotree_code, statuses, dx.driver, phase).situation
    facts = Facts(
        case=case,
        point=point,
        statuses=tuple(statuses),
        current=tuple(current_tests),
        specimens=specimens,
        situation=situation,
        kb=kb if kb is not None else load_knowledge_base(),
        mechanisms=tuple(mechanisms),
    )
    for rule in RULES:
        out.extend(rule.check(facts))
    return out


# ------------------------------------------------------------------------------------------
# The situation rules (#12 audit): what is measured, where, and what depends on it
# ------------------------------------------------------------------------------------------

SOURCES: Mapping[str, Citation] = MappingProxyType(
    {
        # each checked with the project's search tools on 2026-12-05; what was not confirmed is
        # marked uncertain and said in the note
        "oxnard-2016": Citation(
            id="oxnard-2016",
            first_author="Oxnard",
            year=2016,
            journal="J Clin Oncol",
            doi="10.1200/JCO.2016.66.7162",
            pmid="27354477",
            note="plasma T790M sensitivity 70% against tumour genotyping; T790M-negative plasma "
            "still needs a tumour biopsy",
        ),
        "rolfo-2021": Citation(
            id="rolfo-2021",
            first_author="Rolfo",
            year=2021,
            journal="J Thorac Oncol",
            title="IASLC liquid biopsy consensus",
            doi="10.1016/j.jtho.2021.06.017",
            note="a negative liquid biopsy is inconclusive and is followed by tissue",
        ),
        "tf-2024": Citation(
            id="tf-2024",
            year=2024,
            journal="Clin Cancer Res",
            title="Measurement of ctDNA tumor fraction identifies informative negative liquid "
            "biopsy results",
            doi="10.1158/1078-0432.CCR-23-3321",
            pmid="38526394",
            uncertain=True,
            note="negative predictive value 97% at tumour fraction >= 1%; in lung cancer every "
            "driver found by tissue after a negative liquid biopsy had a fraction < 1%; first "
            "author not confirmed",
        ),
        "schmitt-2021": Citation(
            id="schmitt-2021",
            first_author="Schmitt",
            year=2021,
            journal="Oncotarget",
            title="Comparison of MET gene amplification analysis by next-generation sequencing "
            "and fluorescence in situ hybridization",
            doi="10.18632/oncotarget.28092",
            pmid="34733418",
            note="no clinically defined NGS cut-off for MET amplification; FISH remains the gold "
            "standard (of 17 tissues called MET-amplified by NGS, FISH found one highly amplified)",
        ),
        "csf-2021": Citation(
            id="csf-2021",
            pmcid="PMC7947414",
            title="paired plasma and CSF ddPCR in 79 EGFR-mutant lung adenocarcinomas with CNS "
            "metastasis",
            uncertain=True,
            note="plasma shows a low positive rate in brain-only progression; CSF more often "
            "positive with leptomeningeal disease; authors and DOI not confirmed; review, "
            "Front Biosci (Landmark Ed) 2021;26:1679-88, doi:10.52586/5060",
        ),
    }
)
"""Sources verified for these rules that are not (yet) in the knowledge base's citations, as
the one citation type (:class:`tkiresist.model.citation.Citation`)."""


def _cite(key: str) -> str:
    """How an advice names a source of :data:`SOURCES`: who, where, its identifiers, and what
    it says for the rule."""
    c = SOURCES[key]
    ids = [f"doi:{c.doi}" if c.doi else "", f"PMID {c.pmid}" if c.pmid else "", c.pmcid or ""]
    text = ", ".join(x for x in (c.short(), *ids) if x)
    return f"{text} ({c.note})" if c.note else text


LOW_TUMOUR_FRACTION = 0.01
"""Below this ctDNA fraction a negative plasma result is not informative (``tf-2024``)."""

_STANDARD = "A"
_TRIAL = "B"


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules read: the progression tests, their specimens, and the knowledge base's
    view of the context."""

    case: Case
    point: DecisionPoint
    statuses: tuple[AlterationStatus, ...]
    current: tuple[MolecularTest, ...]
    specimens: dict[str, Specimen]
    situation: Situation
    kb: KnowledgeBase
    mechanisms: tuple[Mechanism, ...] = ()

    def kinds(self) -> set[str]:
        """The specimen kinds of the progression tests (``unknown`` for an unknown specimen)."""
        return {self.kind_of(t) for t in self.current}

    def kind_of(self, t: MolecularTest) -> str:
        spec = self.specimens.get(t.specimen)
        return spec.kind if spec is not None else "unknown"

    @property
    def plasma_only(self) -> bool:
        """The progression (on a line in effect) was tested on plasma only. At diagnosis (no
        line) the plasma rules do not speak: first-line plasma testing is another question."""
        return self.point.therapy is not None and bool(self.current) and self.kinds() == {"plasma"}

    def new_findings(self) -> list[AlterationStatus]:
        """Alterations detected on this progression and in no earlier test."""
        return [
            s
            for s in self.statuses
            if any(e.phase == "current" and e.result == "detected" for e in s.evidence)
            and not any(e.phase == "earlier" and e.result == "detected" for e in s.evidence)
        ]

    def driver_not_shown(self) -> list[AlterationStatus]:
        """The founding driver (seen earlier) tested on this progression and not detected."""
        return [
            s
            for s in self.statuses
            if set(s.category) & set(DRIVER_CATEGORIES)
            and any(e.phase == "earlier" and e.result == "detected" for e in s.evidence)
            and any(e.phase == "current" for e in s.evidence)
            and not any(e.phase == "current" and e.result == "detected" for e in s.evidence)
        ]

    def would_fire(self, categories: frozenset[str]) -> list[Statement]:
        """Statements (with a sensitivity regimen) that would apply if ``categories`` were
        shown, in this context, with what is present now."""
        sit = replace(self.situation, present=self.situation.present | categories)
        out = []
        # the index's candidates (knowledge-base order, a superset: all_of is indexed too)
        for st in self.kb.for_categories(categories):
            if not set(st.match.any_of) & categories:
                continue
            if not any(r.effect.value == "sensitivity" for r in st.regimens):
                continue
            if verdict(st, sit).applies:
                out.append(st)
        return out


@cache
def _measurement_categories(gene: str) -> Mapping[str, frozenset[str]]:
    """The categories a measurement of ``gene`` defines: copy number (an amplification) and
    IHC (a positive 3+ stain), read from the category rules, not listed per gene. Once per
    gene (the rules are fixed); read-only."""
    return MappingProxyType(
        {
            "copy_number": categorize(CopyNumber(gene=gene, change="amplification")),
            "ihc": categorize(Expression(marker=gene, result="positive", score="3+")),
        }
    )


def _quantity_measured(f: Facts, gene: str) -> bool:
    """A copy number of ``gene`` measured on this progression: by FISH (either result), or
    detected on tissue with a copy number or ratio."""
    for s in f.statuses:
        if not isinstance(s.alteration, CopyNumber) or s.alteration.gene != gene:
            continue
        for e in s.evidence:
            if e.phase != "current":
                continue
            assay = f.case.assay(e.assay)
            if assay is not None and assay.method == "fish":
                return True
            quantity = s.alteration.copy_number is not None or s.alteration.ratio is not None
            if e.result == "detected" and e.specimen_kind not in LIQUID and quantity:
                return True
    return False


def _ihc_measured(f: Facts, gene: str) -> bool:
    return any(
        isinstance(s.alteration, Expression)
        and s.alteration.marker == gene
        and any(e.phase == "current" for e in s.evidence)
        for s in f.statuses
    )


def _how_found(s: AlterationStatus, measure: str) -> str:
    current = [e for e in s.evidence if e.phase == "current" and e.result == "detected"]
    where = ", ".join(sorted({e.specimen_kind for e in current})) or "an earlier test"
    if isinstance(s.alteration, Expression):
        return f"by IHC ({s.alteration.score or s.alteration.result}) on {where}"
    quantity = isinstance(s.alteration, CopyNumber) and (
        s.alteration.copy_number is not None or s.alteration.ratio is not None
    )
    unquantified = measure == "copy_number" and not quantity
    return f"on {where}" + (" without a copy number" if unquantified else "")


def _quantify(f: Facts) -> list[RecommendedTest]:
    """Rule ``quantify`` (see the module docstring)."""
    out: list[RecommendedTest] = []
    done: set[tuple[str, str]] = set()
    for s in f.statuses:
        alt = s.alteration
        raised = (isinstance(alt, CopyNumber) and alt.change in ("amplification", "gain")) or (
            isinstance(alt, Expression) and alt.result == "positive"
        )
        if s.status not in PRESENT or not raised or _equivocal_tests(f, s):
            continue  # an equivocal call: the rule ``equivocal`` speaks for it
        for gene in s.alteration.genes:
            for measure, cats in _measurement_categories(gene).items():
                if not cats or (gene, measure) in done:
                    continue
                # the cheap checks first: a measurement already made needs no advice
                if measure == "copy_number" and _quantity_measured(f, gene):
                    continue
                if measure != "copy_number" and _ihc_measured(f, gene):
                    continue
                statements = f.would_fire(cats)
                if measure == "copy_number":
                    statements = [st for st in statements if st.thresholds]
                if not statements:
                    continue
                done.add((gene, measure))
                out.append(_quantify_advice(s, gene, measure, statements))
    return out


def _quantify_advice(
    s: AlterationStatus, gene: str, measure: str, statements: list[Statement]
) -> RecommendedTest:
    regimens = sorted(
        {
            " + ".join(r.drug_names)
            for st in statements
            for r in st.regimens
            if r.effect.value == "sensitivity"
        }
    )
    if measure == "copy_number":
        thresholds = [t for st in statements for t in st.thresholds]
        methods = sorted({t.method.split(" ")[0] for t in thresholds})
        defined = "; ".join(f"{t.method}: {t.definition} [{t.citation}]" for t in thresholds)
        what = (
            f"quantify {gene} amplification on tissue by {' or '.join(methods)} ({gene} gene "
            f"copy number, and the {gene}/centromere ratio by FISH)"
        )
        basis = f"the thresholds the knowledge base records: {defined}"
    else:
        approvals = [
            f"{' + '.join(r.drug_names)}: {a.region} {a.status.value} for {a.indication} "
            f"[{a.source}]"
            for st in statements
            for r in st.regimens
            for a in r.approvals
            if a.approved
        ]
        what = f"test {gene} ({_PROTEIN.get(gene, gene)}) by IHC on tissue"
        basis = "; ".join(approvals) or "the statements " + ", ".join(st.id for st in statements)
    return RecommendedTest(
        kind="orthogonal_confirmation",
        reason=f"{s.name} found {_how_found(s, measure)}: {what} before an option directed at "
        f"{gene} "
        f"({', '.join(regimens)}), whose eligibility depends on it; {basis} (statements "
        f"{', '.join(st.id for st in statements)})",
        alterations=(s.name,),
    )


_PROTEIN = {"ERBB2": "HER2"}
"""Protein names clinicians use for an IHC stain, where they differ from the gene's."""


def _plasma_negative(f: Facts) -> list[RecommendedTest]:
    """Rule ``plasma_negative`` (see the module docstring)."""
    if not f.plasma_only:
        return []
    present = {
        c
        for s in f.statuses
        if s.status in PRESENT
        or any(e.phase == "current" and e.result == "detected" for e in s.evidence)
        for c in s.category
    }
    missing: dict[str, list[str]] = {}
    levels = {_STANDARD} if f.mechanisms else {_STANDARD, _TRIAL}
    for st in f.kb.statements:
        if st.match.fallback or set(st.match.any_of) & present:
            continue
        approved = [
            r
            for r in st.regimens
            if r.approvals
            and any(a.approved for a in r.approvals)
            and (r.evidence_level or st.evidence_level) in levels
        ]
        if not approved:
            continue
        cats = frozenset(st.match.any_of)
        ihc = {c for g in _genes_of(cats) for c in _measurement_categories(g)["ihc"]}
        if cats <= ihc or st not in f.would_fire(cats):
            continue
        for c in sorted(cats - ihc):
            missing.setdefault(label(c), []).extend(" + ".join(r.drug_names) for r in approved)
    if not missing:
        return []
    named = ", ".join(f"{k} ({', '.join(dict.fromkeys(v))})" for k, v in missing.items())
    them = "them" if len(missing) > 1 else "it"
    sources = ["rolfo-2021"] + [
        sid for cat, sid in _PLASMA_SENSITIVITY.items() if label(cat) in missing
    ]
    return [
        RecommendedTest(
            kind="rebiopsy",
            reason=f"the progression was tested on plasma only, which did not show {named}; a "
            f"negative plasma test does not rule {them} out: test tissue for {them} (re-biopsy) "
            f"before giving up the option [{'; '.join(_cite(x) for x in sources)}]",
        )
    ]


_PLASMA_SENSITIVITY = {"egfr_t790m": "oxnard-2016"}
"""Sources measuring plasma's sensitivity for one category against tissue, where verified."""


def _genes_of(categories: frozenset[str]) -> set[str]:
    return {g for c in categories for g in CATALOGUE[c].genes}


def _uninformative_plasma(f: Facts) -> list[RecommendedTest]:
    """Rule ``uninformative_plasma`` (see the module docstring)."""
    if not f.plasma_only:
        return []
    why = []
    fractions = [t.tumour_fraction for t in f.current if t.tumour_fraction is not None]
    if fractions and max(fractions) < LOW_TUMOUR_FRACTION:
        why.append(
            f"its tumour fraction ({100 * max(fractions):.1f}%) is below "
            f"{100 * LOW_TUMOUR_FRACTION:.0f}% [{_cite('tf-2024')}]"
        )
    # a resistance mechanism, or a new alteration the knowledge base knows, shown in the same
    # draw is tumour DNA: the driver's absence is then not read as a draw without tumour DNA
    # (a project decision; an alteration the KB does not know may be clonal haematopoiesis)
    known = [s for s in f.new_findings() if set(s.category) & set(f.kb.by_category)]
    lost = [] if f.mechanisms or known else f.driver_not_shown()
    if lost:
        why.append(
            f"it does not show the founding driver ({', '.join(s.name for s in lost)}), so it "
            "may hold too little tumour DNA"
        )
    if not why:
        return []
    return [
        RecommendedTest(
            kind="rebiopsy",
            reason="the progression was tested on plasma only and "
            + " and ".join(why)
            + ": a negative result there cannot rule out a resistance mechanism; re-biopsy "
            f"tissue (or repeat plasma with a tumour fraction reported) [{_cite('rolfo-2021')}]",
            alterations=tuple(s.name for s in lost),
        )
    ]


def _cns_progression(f: Facts) -> list[RecommendedTest]:
    """Rule ``cns_progression`` (see the module docstring); with no test at all at this
    progression the advice says where to test (the general re-biopsy advice stands beside)."""
    if f.point.therapy is None or not f.point.cns_progression:
        return []
    cns = any(
        f.kind_of(t) == "csf"
        or ((spec := f.specimens.get(t.specimen)) is not None and spec.site_kind == "cns")
        for t in f.current
    )
    if cns or f.new_findings():
        return []
    tested = (
        "was tested without CSF or CNS tissue, which showed no new alteration"
        if f.current
        else "was not tested"
    )
    return [
        RecommendedTest(
            kind="repeat_testing",
            reason=f"the progression is in the CNS and {tested}; plasma often misses "
            "intracranial disease: test CSF (cerebrospinal fluid) ctDNA, or tissue from the "
            f"CNS lesion if it is resected or biopsied [{_cite('csf-2021')}]",
        )
    ]


_KIND_WORDS = {
    "sequence_variant": "mutations",
    "copy_number": "copy number",
    "fusion": "fusions",
}
"""How the advice names what a test did not measure, per alteration kind."""


@cache
def _category_kind(category: str) -> str | None:
    """The alteration kind (an :class:`~tkiresist.model.assays.Coverage` field) that shows
    ``category``, read from the category rules with a representative alteration per gene (an
    amplification, a fusion with the gene as 3' partner or with the category's two genes);
    ``None`` for a category no panel measures (histology, an IHC stain: other rules speak for
    them). A gene-level category that is neither is a sequence variant."""
    genes = CATALOGUE[category].genes
    if not genes:
        return None
    if any(_category_kind(b) == "fusion" for b in CATALOGUE[category].broader):
        return "fusion"  # a narrower fusion (a partner named, or any partner but one)
    fusions = [Fusion(three_prime=g) for g in genes]
    if len(genes) == 2:
        fusions.append(Fusion(five_prime=genes[0], three_prime=genes[1]))
    if any(category in categorize(f) for f in fusions):
        return "fusion"
    if any(category in _measurement_categories(g)["copy_number"] for g in genes):
        return "copy_number"
    # a stain's own category (not the broader one it implies: RB1 loss, TP53 alteration)
    stained = {c for g in genes for c in categorize(Expression(marker=g, result="negative"))}
    stained -= {b for c in stained for b in CATALOGUE[c].broader}
    if category in stained or any(category in _measurement_categories(g)["ihc"] for g in genes):
        return None
    return "sequence_variant"


def _coverage_gaps(f: Facts) -> list[RecommendedTest]:
    """Rule ``coverage_gaps`` (see the module docstring)."""
    if f.point.therapy is None or not f.current or f.mechanisms:
        return []  # with a mechanism found, chasing a second one is noise (as plasma_negative)
    assays = [f.case.assay(t.assay) for t in f.current]
    if any(a is None for a in assays):
        return []  # an assay of unknown coverage may have measured anything: say nothing
    covered: dict[str, set[str]] = {k: set() for k in _KIND_WORDS}
    for a in assays:
        if a is not None:
            for k in covered:
                covered[k].update(getattr(a.coverage, k))
    if not covered["fusion"]:
        del covered["fusion"]  # the fusion advice above speaks for a test with no fusion at all
    measured = {
        (g, s.alteration.kind)
        for s in f.statuses
        if any(e.phase == "current" for e in s.evidence)
        for g in s.alteration.genes
    }
    present = {c for s in f.statuses if s.status in PRESENT for c in s.category}
    gaps: dict[tuple[str, str], list[str]] = {}
    ids: list[str] = []
    for cat in dict.fromkeys(c for st in f.kb.statements for c in st.match.any_of):
        kind = _category_kind(cat)
        if kind not in covered or cat in present or cat in DRIVER_CATEGORIES:
            continue
        genes = CATALOGUE[cat].genes
        if "*" in covered[kind] or set(genes) & covered[kind]:
            continue
        if any((g, kind) in measured for g in genes):
            continue
        statements = f.would_fire(frozenset({cat}))
        if not statements:
            continue
        # a fusion is named by its kinase (the 3' gene): EML4::ALK under ALK
        named_genes = "/".join(genes[-1:] if len(genes) == 2 and kind == "fusion" else genes)
        gaps.setdefault((named_genes, kind), []).append(cat)
        ids.extend(f"{st.id} [{', '.join(c.id for c in st.citations)}]" for st in statements)
    if not gaps:
        return []
    named = ", ".join(
        f"{g} {_KIND_WORDS[k]} ({', '.join(label(c) for c in cats)})"
        for (g, k), cats in gaps.items()
    )
    cited = ", ".join(dict.fromkeys(ids))
    return [
        RecommendedTest(
            kind="repeat_testing",
            reason=f"not assessed at this progression (not covered by its tests, so not "
            f"negative): {named}; each could change the options (statements {cited}): test "
            "tissue with a broad NGS panel (DNA and RNA), or plasma if tissue is not feasible",
        )
    ]


def _equivocal_tests(f: Facts, s: AlterationStatus) -> list[str]:
    """The progression's tests whose report calls ``s``'s alteration equivocal, when no
    progression test detected it (an earlier detection does not settle it now)."""
    if any(e.result == "detected" and e.phase == "current" for e in s.evidence):
        return []
    key = alteration_key(s.alteration)
    return [
        t.id
        for t in f.current
        if any(x.status == "equivocal" and alteration_key(x.alteration) == key for x in t.findings)
    ]


def _orthogonal_methods(s: AlterationStatus) -> str:
    """The methods that settle an equivocal call of ``s``'s alteration, by its kind."""
    alt = s.alteration
    if isinstance(alt, CopyNumber):
        ihc = (
            f" or {_PROTEIN.get(alt.gene, alt.gene)} IHC"
            if _measurement_categories(alt.gene)["ihc"]
            else ""
        )
        cited = f" [{_cite('schmitt-2021')}]" if alt.gene == "MET" else ""
        return f"FISH ({alt.gene} copy number and the {alt.gene}/centromere ratio){ihc}{cited}"
    if isinstance(alt, Fusion):
        gene = alt.three_prime
        ihc = f", or {gene} IHC" if gene and _measurement_categories(gene)["ihc"] else ""
        return f"RNA sequencing or FISH{ihc}"
    if isinstance(alt, SequenceVariant):
        return "a second method (a PCR assay such as ddPCR, or another sequencing assay)"
    genes = "/".join(alt.genes)
    return f"FISH or sequencing of {genes}" if genes else "a second method"


def _equivocal(f: Facts) -> list[RecommendedTest]:
    """Rule ``equivocal`` (see the module docstring)."""
    out: list[RecommendedTest] = []
    for s in f.statuses:
        tests = _equivocal_tests(f, s)
        if not tests:
            continue
        out.append(
            RecommendedTest(
                kind="orthogonal_confirmation",
                reason=f"{s.name} was called equivocal at this progression (test "
                f"{', '.join(tests)}): neither detected nor not detected; confirm by an "
                f"orthogonal test on tissue, {_orthogonal_methods(s)}, before choosing "
                "between an option directed at it and standard care (project decision)",
                alterations=(s.name,),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Rule:
    """One situation rule: its id, the condition and advice (``check``, which reads
    :class:`Facts` and returns the advice, empty when the condition does not hold), and its
    evidence: keys of :data:`SOURCES`, ``knowledge base`` (the statements' own citations and
    thresholds, quoted in the advice) or ``project decision``."""

    id: str
    when: str
    evidence: tuple[str, ...]
    check: Callable[[Facts], list[RecommendedTest]]


RULES: tuple[Rule, ...] = (
    Rule(
        "quantify",
        "a gene amplified or overexpressed; a KB statement that would apply in this context is "
        "defined by a measurement (copy number with thresholds, or IHC) not made on this "
        "progression",
        ("knowledge base",),
        _quantify,
    ),
    Rule(
        "plasma_negative",
        "progression tested on plasma only; a category an approved regimen depends on (level "
        "A; level B when no mechanism was found) not shown",
        ("rolfo-2021", "oxnard-2016", "project decision"),
        _plasma_negative,
    ),
    Rule(
        "uninformative_plasma",
        "progression tested on plasma only with a tumour fraction < 1%, or without the founding "
        "driver and without a mechanism or a new alteration the KB knows",
        ("tf-2024", "rolfo-2021", "project decision"),
        _uninformative_plasma,
    ),
    Rule(
        "cns_progression",
        "progression in the CNS not tested, or tested without CSF or CNS tissue and no new "
        "alteration shown",
        ("csf-2021",),
        _cns_progression,
    ),
    Rule(
        "coverage_gaps",
        "on a line in effect, a (gene, alteration kind) that a KB statement applying in this "
        "context depends on is covered by none of the progression's assays (all of known "
        "coverage) and was not reported: not assessed, not negative",
        ("knowledge base", "project decision"),
        _coverage_gaps,
    ),
    Rule(
        "equivocal",
        "a finding the progression's report calls equivocal, detected by no progression test: "
        "neither detected nor not detected; an orthogonal test (FISH or IHC for copy number, "
        "RNA or FISH for a fusion, a second method for a variant) settles it",
        ("schmitt-2021", "project decision"),
        _equivocal,
    ),
)
"""The situation rules, in the order their advice is given."""
