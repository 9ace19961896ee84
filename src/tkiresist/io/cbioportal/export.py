"""Export cases as a loadable cBioPortal study (:func:`build_study`, :func:`export_study`).

The format is cBioPortal's "File Formats" documentation (docs.cbioportal.org, File-Formats):
every data file is tab-separated and described by a ``meta_*.txt`` file of ``key: value``
lines naming it in ``data_filename``.

What an export holds
--------------------
==================================  ==========================================================
``meta_study.txt``                  type_of_cancer (the OncoTree code, lower case, or
                                    ``mixed``), identifier, name, description,
                                    ``add_global_case_list: true``
``data_clinical_patient.txt``       one row per case: AGE (at diagnosis), SEX,
                                    SMOKING_HISTORY, ECOG, HISTOLOGY, STAGE,
                                    CNS_METASTASIS_AT_DIAGNOSIS, SOURCE_DOI, DRIVER_CATEGORY
                                    (the founding driver's category when the source names
                                    no variant), OS_STATUS (``1:DECEASED`` at a death or a
                                    line stopped for death, else ``0:LIVING``) and OS_MONTHS
                                    (from diagnosis to death, or to the last dated event)
``data_clinical_sample.txt``        one row per specimen that was tested: SAMPLE_TYPE
                                    (``primary``, ``metastasis``, ``progression``),
                                    ONCOTREE_CODE, SPECIMEN_TYPE, SPECIMEN_SITE,
                                    SAMPLE_HISTOLOGY (a transformation or EMT first, else
                                    the tumour's type), OTHER_HISTOLOGIES (the rest), ASSAYS
``data_timeline_<type>.txt``        one file per event type, in days from diagnosis:
                                    TREATMENT (one row per agent: AGENT, AGENT_CLASS,
                                    AGENT_GENERATION, LINE, STOP_REASON; radiotherapy rows
                                    too), SPECIMEN (SAMPLE_ID), SURGERY, IMAGING (response
                                    assessments with a modality), STATUS (diagnosis, other
                                    response assessments, clinical and adverse events),
                                    LAB_TEST (IHC results; PATTERN: a p53/Rb staining
                                    pattern)
``data_mutations.txt``              MAF: detected sequence variants (HGVSp_Short, HGVSc,
                                    read counts; ``TKIRESIST_ALTERATION`` keeps the canonical
                                    name, e.g. ``EGFR exon 19 deletion`` when no p. change is
                                    known)
``data_sv.txt``                     detected fusions: Site1 = 5' gene, Site2 = 3' gene,
                                    exon breakpoints as ``EXON`` regions, ``Event_Info``
``data_cna.txt``                    discrete CNA, wide: -2 deletion, -1 loss, 0 covered and
                                    unchanged, 1 gain, 2 amplification, ``NA`` not covered
``data_gene_panel_matrix.txt``      the panel each sample was profiled with, per profile
``data_gene_panel_<ID>.txt``        each panel's genes (load with cBioPortal's gene-panel
                                    importer before the study); ``WXS/WGS`` stands for an
                                    assay that covers every gene of that kind
``case_lists/``                     ``_sequenced``, ``_sv``, ``_cna`` and ``_cnaseq``
==================================  ==========================================================

A sample is a specimen with at least one molecular test. Its type: ``progression`` when it was
taken after the first therapy line began; else ``metastasis`` for a CNS, CSF or pleural
specimen, or one whose site names a metastasis; else ``primary``. Its OncoTree code is the
diagnosis's, or ``SCLC`` / ``LUSC`` when a test on it reports small-cell or squamous
transformation.

A *not detected* finding writes no row: the gene panel of the sample says what was covered, and
a covered gene without a row was not detected (cBioPortal's own reading). Panels follow the
engine's reading of absence (:mod:`tkiresist.interpret.serial`): an NGS test covers the genes its
assay lists (a covered gene it did not report was not detected); any other test (PCR, FISH, IHC,
a literature table's "as reported") covers only the genes it reports on, detected or not.
Equivocal findings are not exported; the report counts them.

Privacy: no names, pseudonyms, free-text notes, report texts or calendar dates are written.
Times are whole days from diagnosis; ages are at diagnosis.

The export is checked (:func:`~tkiresist.io.cbioportal.checks.check_study`) before it is renamed
into place.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

from tkiresist.errors import FormatError, Location
from tkiresist.io.cbioportal.checks import check_study
from tkiresist.io.cbioportal.vocabulary import (
    CASE_LIST_CATEGORY,
    CASE_LIST_OF_PROFILE,
    CASE_LISTS,
    CNA_CODE,
    CNA_FILE,
    HISTOLOGY_ONCOTREE,
    ID_PATTERN,
    MAF_FILE,
    MATRIX_FILE,
    META_STUDY,
    PATIENT_ATTRIBUTES,
    PATIENT_FILE,
    PROFILE_CNA,
    PROFILE_MUTATIONS,
    PROFILE_OF_KIND,
    PROFILE_SV,
    SAMPLE_ATTRIBUTES,
    SAMPLE_FILE,
    SV_FILE,
    TIMELINE_EVENT_COLUMNS,
    TIMELINE_LEAD,
    WHOLE_GENOME_PANEL,
    AlterationKind,
    ClinicalAttribute,
    SampleType,
    panel_file,
    subtype_of,
    timeline_file,
    variant_classification,
)
from tkiresist.model.alterations import CopyNumber, Expression, Fusion, Histology, SequenceVariant
from tkiresist.model.case import Case
from tkiresist.model.findings import Finding
from tkiresist.model.time import DAYS_PER_MONTH
from tkiresist.model.timeline import (
    AdverseEvent,
    ClinicalEvent,
    Death,
    Diagnosis,
    MolecularTest,
    Radiotherapy,
    ResponseAssessment,
    Specimen,
    Surgery,
    TherapyLine,
)


def _cell(value: object) -> str:
    """A TSV cell: None is NA; tabs and newlines never reach the file."""
    if value is None:
        return "NA"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value)
    return " ".join(text.split())


def tsv(
    columns: Sequence[str], rows: Iterable[Sequence[object]], preamble: Sequence[str] = ()
) -> str:
    """Tab-separated text with an optional preamble (lines written as given)."""
    lines = [*preamble, "\t".join(columns)]
    lines.extend("\t".join(_cell(v) for v in row) for row in rows)
    return "\n".join(lines) + "\n"


def meta_text(fields: Sequence[tuple[str, str]]) -> str:
    return "".join(f"{k}: {' '.join(v.split())}\n" for k, v in fields)


def clinical_text(attributes: Sequence[ClinicalAttribute], rows: Iterable[Sequence[object]]) -> str:
    """A clinical file: four ``#`` header rows (display, description, datatype, priority)."""
    preamble = [
        "#" + "\t".join(a.display for a in attributes),
        "#" + "\t".join(a.description for a in attributes),
        "#" + "\t".join(a.datatype for a in attributes),
        "#" + "\t".join(str(a.priority) for a in attributes),
    ]
    return tsv([a.name for a in attributes], rows, preamble)


def _days(months: float) -> int:
    return round(months * DAYS_PER_MONTH)


def _upper_id(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")


# ---------------------------------------------------------------------------------------------
# Building a study (pure: text per relative path)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StudyInfo:
    """What ``meta_study.txt`` says."""

    identifier: str
    name: str
    description: str
    citation: str | None = None


@dataclass(frozen=True, slots=True)
class ExportReport:
    """What an export wrote."""

    out: Path
    files: tuple[str, ...]
    patients: int
    samples: int
    mutations: int
    structural_variants: int
    cna_genes: int
    timeline_events: int
    skipped: tuple[str, ...] = ()

    def summary(self) -> str:
        text = (
            f"{self.out}: {self.patients} patients, {self.samples} samples, "
            f"{self.mutations} mutations, {self.structural_variants} structural variants, "
            f"{self.cna_genes} CNA genes, {self.timeline_events} timeline events, "
            f"{len(self.files)} files"
        )
        if self.skipped:
            text += f"; not exported: {len(self.skipped)} (" + "; ".join(self.skipped[:3]) + ")"
        return text


@dataclass
class _Panel:
    genes: frozenset[str]
    whole: bool
    assays: tuple[str, ...]


@dataclass
class _Sample:
    case: Case
    specimen: Specimen
    sample_id: str
    tests: list[MolecularTest]
    day: int
    sample_type: SampleType
    oncotree: str
    histologies: tuple[str, ...]
    panels: dict[AlterationKind, _Panel] = field(default_factory=dict)


@dataclass
class _Builder:
    info: StudyInfo
    files: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    samples: list[_Sample] = field(default_factory=list)
    timeline_events: int = 0


def _kind_genes(finding: Finding) -> tuple[AlterationKind, tuple[str, ...]] | None:
    alt = finding.alteration
    if isinstance(alt, SequenceVariant):
        return "sequence_variant", (alt.gene,)
    if isinstance(alt, Fusion):
        return "fusion", alt.genes
    if isinstance(alt, CopyNumber):
        return "copy_number", (alt.gene,)
    return None


def _sample_type(case: Case, spec: Specimen, months: Mapping[str, float]) -> SampleType:
    starts = [months[e.id] for e in case.events if isinstance(e, TherapyLine)]
    if starts and months[spec.id] > min(starts) + 1e-6:
        return "progression"
    site = (spec.site or "").lower()
    if spec.site_kind == "cns" or spec.kind in ("csf", "pleural_fluid") or "metasta" in site:
        return "metastasis"
    return "primary"


def _sample_histologies(tests: Sequence[MolecularTest]) -> tuple[str, ...]:
    """Every histology the tests on a sample report (a test's ``histology``, a detected
    histology finding), each once: a transformation or epithelial-mesenchymal transition (a
    histology with a category, what cohort mode reads as a mechanism) first, then the tumour's
    type (adenocarcinoma...), each group in the order the case gives them."""
    from tkiresist.model.categories import categorize

    found: list[Histology] = []
    for t in tests:
        if t.histology is not None:
            found.append(t.histology)
        found.extend(
            f.alteration for f in t.findings if f.detected and isinstance(f.alteration, Histology)
        )
    ordered = dict.fromkeys(h.histology for h in found if categorize(h))
    ordered.update(dict.fromkeys(h.histology for h in found))
    return tuple(ordered)


def _panels(case: Case, tests: Sequence[MolecularTest]) -> dict[AlterationKind, _Panel]:
    out: dict[AlterationKind, _Panel] = {}
    for kind in PROFILE_OF_KIND:
        genes: set[str] = set()
        whole = False
        assays: list[str] = []
        for t in tests:
            assay = case.assay(t.assay)
            # as the engine reads absence: an NGS test's coverage says what it would have
            # reported; any other test speaks only of the genes it names
            ngs = assay is not None and assay.method == "ngs"
            covered: tuple[str, ...] = getattr(assay.coverage, kind) if ngs and assay else ()
            finding_genes = [
                g
                for f in t.findings
                if (kg := _kind_genes(f)) is not None
                and kg[0] == kind
                and not (ngs and assay is not None and assay.covers(f.alteration))
                for g in kg[1]
            ]
            if "*" in covered:
                whole = True
            genes.update(g for g in covered if g != "*")
            genes.update(finding_genes)
            if covered or finding_genes:
                assays.append(t.assay)
        if whole or genes:
            out[kind] = _Panel(frozenset(genes), whole, tuple(dict.fromkeys(assays)))
    return out


def _collect_samples(b: _Builder, cases: Sequence[Case]) -> None:
    for case in cases:
        months = case.months()
        tests_by_spec: dict[str, list[MolecularTest]] = {}
        for e in case.events:
            if isinstance(e, MolecularTest):
                tests_by_spec.setdefault(e.specimen, []).append(e)
        for e in case.events:
            if not isinstance(e, Specimen) or e.id not in tests_by_spec:
                continue
            tests = tests_by_spec[e.id]
            histologies = _sample_histologies(tests)
            coded = [HISTOLOGY_ONCOTREE[h] for h in histologies if h in HISTOLOGY_ONCOTREE]
            b.samples.append(
                _Sample(
                    case=case,
                    specimen=e,
                    sample_id=f"{case.id}-{e.id}",
                    tests=tests,
                    day=_days(months[e.id]),
                    sample_type=_sample_type(case, e, months),
                    oncotree=coded[0] if coded else case.diagnosis.oncotree_code,
                    histologies=histologies,
                    panels=_panels(case, tests),
                )
            )


def _histology_text(histologies: Sequence[str]) -> str | None:
    """``small cell transformation``; several joined by ``; ``; None for none."""
    return "; ".join(h.replace("_", " ") for h in histologies) or None


def _overall_survival(case: Case) -> tuple[str, float]:
    """(OS_STATUS, OS_MONTHS) from diagnosis, as cBioPortal's survival plots read them
    (File Formats, clinical data: ``1:DECEASED`` or ``0:LIVING``, the 0:/1: prefix required since
    cBioPortal 3.4.0). Deceased at the ``death`` event, or, without one, at the stop of a line
    stopped for death; otherwise living (censored) at the last event the case dates: the patient
    was alive then, and the source says nothing later."""
    months = case.months()
    deaths = [months[e.id] for e in case.events if isinstance(e, Death)]
    deaths += [
        months[f"{e.id}.stop"]
        for e in case.events
        if isinstance(e, TherapyLine) and e.stop_reason == "death" and f"{e.id}.stop" in months
    ]
    if deaths:
        return "1:DECEASED", round(min(deaths), 2)
    return "0:LIVING", round(max(months.values(), default=0.0), 2)


def _clinical(b: _Builder, cases: Sequence[Case]) -> None:
    rows: list[list[object]] = []
    for case in cases:
        p = case.patient
        dx = case.diagnosis
        rows.append(
            [
                case.id,
                p.age_at_diagnosis,
                None if p.sex == "unknown" else p.sex.capitalize(),
                None if p.smoking == "unknown" else p.smoking,
                p.ecog,
                dx.histology,
                dx.stage,
                dx.cns_involvement,
                case.source.doi if case.source is not None else None,
                dx.driver,
                *_overall_survival(case),
            ]
        )
    b.files[PATIENT_FILE] = clinical_text(PATIENT_ATTRIBUTES, rows)
    srows = [
        [
            s.case.id,
            s.sample_id,
            s.sample_type,
            s.oncotree,
            s.specimen.kind,
            s.specimen.site,
            _histology_text(s.histologies[:1]),
            _histology_text(s.histologies[1:]),
            ",".join(dict.fromkeys(t.assay for t in s.tests)),
        ]
        for s in b.samples
    ]
    b.files[SAMPLE_FILE] = clinical_text(SAMPLE_ATTRIBUTES, srows)
    sid = b.info.identifier
    b.files["meta_clinical_patient.txt"] = meta_text(
        [
            ("cancer_study_identifier", sid),
            ("genetic_alteration_type", "CLINICAL"),
            ("datatype", "PATIENT_ATTRIBUTES"),
            ("data_filename", PATIENT_FILE),
        ]
    )
    b.files["meta_clinical_sample.txt"] = meta_text(
        [
            ("cancer_study_identifier", sid),
            ("genetic_alteration_type", "CLINICAL"),
            ("datatype", "SAMPLE_ATTRIBUTES"),
            ("data_filename", SAMPLE_FILE),
        ]
    )


def _agent_row(agent_drug: str) -> tuple[str, str | None, int | None]:
    """(generic name, class, generation) of a drug; an unknown name is kept as written."""
    from tkiresist.errors import ParseError
    from tkiresist.nomenclature import drugs

    try:
        drug = drugs.lookup(agent_drug)
    except ParseError:
        return agent_drug, None, None
    return drug.generic, drug.drug_class.value, drug.generation


def _timelines(b: _Builder, cases: Sequence[Case]) -> None:
    rows: dict[str, list[list[object]]] = {k: [] for k in TIMELINE_EVENT_COLUMNS}
    sample_of = {(s.case.id, s.specimen.id): s.sample_id for s in b.samples}
    for case in cases:
        months = case.months()
        pid = case.id

        def day(key: str, months: Mapping[str, float] = months) -> int:
            return _days(months[key])

        for e in case.events:
            if isinstance(e, TherapyLine):
                stop: int | str = day(f"{e.id}.stop") if e.stop is not None else ""
                for agent in e.agents:
                    generic, klass, generation = _agent_row(agent.drug)
                    rows["TREATMENT"].append(
                        [
                            pid,
                            day(e.id),
                            stop,
                            "TREATMENT",
                            "Medical Therapy",
                            subtype_of(klass),
                            generic,
                            klass,
                            generation,
                            e.line if e.line is not None else e.id,
                            e.stop_reason,
                        ]
                    )
            elif isinstance(e, Radiotherapy):
                end: int | str = day(f"{e.id}.end") if e.end is not None else ""
                rows["TREATMENT"].append(
                    [
                        pid,
                        day(e.id),
                        end,
                        "TREATMENT",
                        "Radiation Therapy",
                        e.technique or "Radiotherapy",
                        e.label,
                        "radiotherapy",
                        None,
                        e.id,
                        None,
                    ]
                )
            elif isinstance(e, Specimen):
                rows["SPECIMEN"].append(
                    [
                        pid,
                        day(e.id),
                        "",
                        "SPECIMEN",
                        sample_of.get((pid, e.id), ""),
                        e.kind,
                        e.site,
                        e.site_kind,
                        e.procedure,
                    ]
                )
            elif isinstance(e, Surgery):
                rows["SURGERY"].append(
                    [pid, day(e.id), "", "SURGERY", e.procedure, e.site, e.site_kind]
                )
            elif isinstance(e, ResponseAssessment):
                if e.modality:
                    rows["IMAGING"].append(
                        [
                            pid,
                            day(e.id),
                            "",
                            "IMAGING",
                            e.modality,
                            e.category,
                            e.criteria,
                            e.site,
                            e.therapy,
                        ]
                    )
                else:
                    rows["STATUS"].append(
                        [
                            pid,
                            day(e.id),
                            "",
                            "STATUS",
                            e.category,
                            None,
                            e.criteria,
                            e.site,
                            e.therapy,
                        ]
                    )
            elif isinstance(e, Diagnosis):
                detail = e.histology + (f", stage {e.stage}" if e.stage else "")
                rows["STATUS"].append([pid, 0, "", "STATUS", "Diagnosis", detail, None, None, None])
            elif isinstance(e, ClinicalEvent):
                rows["STATUS"].append(
                    [
                        pid,
                        day(e.id),
                        "",
                        "STATUS",
                        "Clinical event",
                        e.description,
                        None,
                        e.site,
                        None,
                    ]
                )
            elif isinstance(e, AdverseEvent) and e.id in months:
                rows["STATUS"].append(
                    [
                        pid,
                        day(e.id),
                        "",
                        "STATUS",
                        "Adverse event",
                        f"{e.term}, grade {e.grade}",
                        e.ctcae_version and f"CTCAE {e.ctcae_version}",
                        None,
                        e.therapy,
                    ]
                )
            elif isinstance(e, MolecularTest):
                for f in e.findings:
                    alt = f.alteration
                    if isinstance(alt, Expression):
                        test = f"{alt.marker} IHC" + (f" ({alt.clone})" if alt.clone else "")
                        result = alt.result if f.detected else f"not detected ({alt.result})"
                        rows["LAB_TEST"].append(
                            [
                                pid,
                                day(e.id),
                                "",
                                "LAB_TEST",
                                sample_of.get((pid, e.specimen), ""),
                                test,
                                result,
                                alt.score,
                                f.pattern,  # p53/Rb: the pattern decides what the result means
                            ]
                        )
    sid = b.info.identifier
    for event_type, extra in TIMELINE_EVENT_COLUMNS.items():
        if not rows[event_type]:
            continue
        name = timeline_file(event_type)
        ordered = sorted(rows[event_type], key=lambda r: (str(r[0]), int(str(r[1]))))
        b.files[name] = tsv((*TIMELINE_LEAD, *extra), ordered)
        b.files[f"meta_timeline_{event_type.lower()}.txt"] = meta_text(
            [
                ("cancer_study_identifier", sid),
                ("genetic_alteration_type", "CLINICAL"),
                ("datatype", "TIMELINE"),
                ("data_filename", name),
            ]
        )
        b.timeline_events += len(ordered)


# --- genomic profiles -------------------------------------------------------------------------

MAF_COLUMNS: Final = (
    "Hugo_Symbol",
    "Center",
    "NCBI_Build",
    "Chromosome",
    "Start_Position",
    "End_Position",
    "Strand",
    "Variant_Classification",
    "Variant_Type",
    "Reference_Allele",
    "Tumor_Seq_Allele1",
    "Tumor_Seq_Allele2",
    "Tumor_Sample_Barcode",
    "Mutation_Status",
    "HGVSc",
    "HGVSp_Short",
    "Transcript_ID",
    "Exon_Number",
    "t_ref_count",
    "t_alt_count",
    "TKIRESIST_ALTERATION",
)
SV_COLUMNS: Final = (
    "Sample_Id",
    "SV_Status",
    "Site1_Hugo_Symbol",
    "Site1_Region",
    "Site1_Region_Number",
    "Site2_Hugo_Symbol",
    "Site2_Region",
    "Site2_Region_Number",
    "Site2_Effect_On_Frame",
    "Tumor_Split_Read_Count",
    "Tumor_Paired_End_Read_Count",
    "Tumor_Variant_Count",
    "Event_Info",
)


def _detected(s: _Sample, kind: type) -> list[tuple[MolecularTest, Finding]]:
    out: list[tuple[MolecularTest, Finding]] = []
    for t in s.tests:
        for f in t.findings:
            if isinstance(f.alteration, kind) and f.detected:
                out.append((t, f))
    return out


def _fusion_site(exon: str | None) -> tuple[str | None, str | None]:
    if exon is None or not exon.isdigit():
        return None, None
    return "EXON", exon


def _genomic(b: _Builder) -> tuple[int, int, int]:
    from tkiresist.nomenclature.alterations import format_alteration

    sid = b.info.identifier
    maf_rows: list[list[object]] = []
    sv_rows: list[list[object]] = []
    cna_calls: dict[tuple[str, str], int] = {}
    for s in b.samples:
        seen: set[str] = set()
        for _t, f in _detected(s, SequenceVariant):
            v = f.alteration
            assert isinstance(v, SequenceVariant)
            name = format_alteration(v)
            if name in seen:
                continue
            seen.add(name)
            ref_count = (
                f.depth - f.alt_reads if f.depth is not None and f.alt_reads is not None else None
            )
            maf_rows.append(
                [
                    v.gene,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    variant_classification(v),
                    "",
                    "",
                    "",
                    "",
                    s.sample_id,
                    "Somatic",
                    v.cdna or "",
                    v.protein.hgvs() if v.protein is not None else "",
                    v.reference or "",
                    v.exon or "",
                    ref_count if ref_count is not None else "",
                    f.alt_reads if f.alt_reads is not None else "",
                    name,
                ]
            )
        for _t, f in _detected(s, Fusion):
            fu = f.alteration
            assert isinstance(fu, Fusion)
            if fu.name in seen:
                continue
            seen.add(fu.name)
            r1, n1 = _fusion_site(fu.five_prime_exon)
            r2, n2 = _fusion_site(fu.three_prime_exon)
            frame = (
                {True: "in-frame", False: "frameshift"}.get(fu.in_frame)
                if fu.in_frame is not None
                else None
            )
            event = (
                f"{fu.five_prime}::{fu.three_prime} fusion"
                if fu.five_prime is not None
                else f"{fu.three_prime} rearrangement, partner not known"
            )
            sv_rows.append(
                [
                    s.sample_id,
                    "SOMATIC",
                    fu.five_prime,
                    r1,
                    n1,
                    fu.three_prime,
                    r2,
                    n2,
                    frame,
                    f.split_reads,
                    f.spanning_pairs,
                    f.alt_reads,
                    event,
                ]
            )
        for _t, f in _detected(s, CopyNumber):
            c = f.alteration
            assert isinstance(c, CopyNumber)
            code = CNA_CODE[c.change]
            key = (c.gene, s.sample_id)
            old = cna_calls.get(key)
            if old is None or abs(code) > abs(old):
                cna_calls[key] = code
    profiled = {kind: [s for s in b.samples if kind in s.panels] for kind in PROFILE_OF_KIND}
    if profiled["sequence_variant"]:
        b.files[MAF_FILE] = tsv(MAF_COLUMNS, maf_rows)
        b.files["meta_mutations.txt"] = meta_text(
            [
                ("cancer_study_identifier", sid),
                ("genetic_alteration_type", "MUTATION_EXTENDED"),
                ("datatype", "MAF"),
                ("stable_id", PROFILE_MUTATIONS),
                ("show_profile_in_analysis_tab", "true"),
                ("profile_name", "Mutations"),
                (
                    "profile_description",
                    "Sequence variants detected by the tests of each sample (exported by "
                    "tkiresist; genomic coordinates are not known for most published cases)",
                ),
                ("data_filename", MAF_FILE),
            ]
        )
    if profiled["fusion"]:
        b.files[SV_FILE] = tsv(SV_COLUMNS, sv_rows)
        b.files["meta_sv.txt"] = meta_text(
            [
                ("cancer_study_identifier", sid),
                ("genetic_alteration_type", "STRUCTURAL_VARIANT"),
                ("datatype", "SV"),
                ("stable_id", PROFILE_SV),
                ("show_profile_in_analysis_tab", "true"),
                ("profile_name", "Structural variants"),
                (
                    "profile_description",
                    "Gene fusions detected by the tests of each sample; Site1 is the 5' gene, "
                    "Site2 the 3' gene",
                ),
                ("data_filename", SV_FILE),
            ]
        )
    cna_genes: list[str] = []
    if profiled["copy_number"]:
        samples = profiled["copy_number"]
        genes: set[str] = {g for g, _ in cna_calls}
        for s in samples:
            genes.update(s.panels["copy_number"].genes)
        cna_genes = sorted(genes)
        rows: list[list[object]] = []
        for g in cna_genes:
            row: list[object] = [g]
            for s in samples:
                panel = s.panels["copy_number"]
                if (g, s.sample_id) in cna_calls:
                    row.append(cna_calls[(g, s.sample_id)])
                elif panel.whole or g in panel.genes:
                    row.append(0)
                else:
                    row.append("NA")
            rows.append(row)
        b.files[CNA_FILE] = tsv(["Hugo_Symbol", *(s.sample_id for s in samples)], rows)
        b.files["meta_cna.txt"] = meta_text(
            [
                ("cancer_study_identifier", sid),
                ("genetic_alteration_type", "COPY_NUMBER_ALTERATION"),
                ("datatype", "DISCRETE"),
                ("stable_id", PROFILE_CNA),
                ("show_profile_in_analysis_tab", "true"),
                ("profile_name", "Copy-number alterations"),
                (
                    "profile_description",
                    "Copy-number calls of each sample's tests. Values: -2 = deletion; -1 = "
                    "loss; 0 = covered, no change; 1 = gain; 2 = amplification; NA = not "
                    "covered",
                ),
                ("data_filename", CNA_FILE),
            ]
        )
    _panel_files(b, profiled)
    _case_lists(b, profiled)
    return len(maf_rows), len(sv_rows), len(cna_genes)


_SUFFIX: Final[Mapping[AlterationKind, str]] = {
    "sequence_variant": "MUT",
    "fusion": "SV",
    "copy_number": "CNA",
}


def _panel_id(case: Case, kind: AlterationKind, panel: _Panel) -> str:
    if panel.whole:
        return WHOLE_GENOME_PANEL
    if len(panel.assays) == 1:
        assay = case.assay(panel.assays[0])
        if assay is not None and frozenset(getattr(assay.coverage, kind)) == panel.genes:
            return f"TKIRESIST_{_upper_id(assay.id)}_{_SUFFIX[kind]}"
    digest = hashlib.sha256("\t".join(sorted(panel.genes)).encode()).hexdigest()[:10].upper()
    return f"TKIRESIST_{digest}_{_SUFFIX[kind]}"


def _panel_files(b: _Builder, profiled: Mapping[AlterationKind, list[_Sample]]) -> None:
    kinds = [k for k in PROFILE_OF_KIND if profiled[k]]
    if not kinds:
        return
    definitions: dict[str, frozenset[str]] = {}
    rows: list[list[object]] = []
    for s in b.samples:
        row: list[object] = [s.sample_id]
        for kind in kinds:
            panel = s.panels.get(kind)
            if panel is None:
                row.append("NA")
                continue
            pid = _panel_id(s.case, kind, panel)
            row.append(pid)
            if pid != WHOLE_GENOME_PANEL:
                definitions[pid] = panel.genes
        rows.append(row)
    b.files[MATRIX_FILE] = tsv(["SAMPLE_ID", *(PROFILE_OF_KIND[k] for k in kinds)], rows)
    b.files["meta_gene_panel_matrix.txt"] = meta_text(
        [
            ("cancer_study_identifier", b.info.identifier),
            ("genetic_alteration_type", "GENE_PANEL_MATRIX"),
            ("datatype", "GENE_PANEL_MATRIX"),
            ("data_filename", MATRIX_FILE),
        ]
    )
    for pid, genes in sorted(definitions.items()):
        b.files[panel_file(pid)] = (
            meta_text(
                [
                    ("stable_id", pid),
                    (
                        "description",
                        f"Genes covered, as the tkiresist assay catalogue lists them ({pid})",
                    ),
                ]
            )
            + "gene_list: "
            + "\t".join(sorted(genes))
            + "\n"
        )


def _case_lists(b: _Builder, profiled: Mapping[AlterationKind, list[_Sample]]) -> None:
    sid = b.info.identifier
    lists: dict[str, list[str]] = {}
    for kind, samples in profiled.items():
        if samples:
            lists[CASE_LIST_OF_PROFILE[PROFILE_OF_KIND[kind]]] = [s.sample_id for s in samples]
    if "sequenced" in lists and "cna" in lists:
        cna = set(lists["cna"])
        lists["cnaseq"] = [x for x in lists["sequenced"] if x in cna]
    names = {
        "sequenced": "Samples profiled for mutations",
        "sv": "Samples profiled for structural variants",
        "cna": "Samples profiled for copy-number alterations",
        "cnaseq": "Samples profiled for mutations and copy-number alterations",
    }
    for suffix, ids in lists.items():
        if not ids:
            continue
        b.files[f"{CASE_LISTS}/cases_{suffix}.txt"] = (
            meta_text(
                [
                    ("cancer_study_identifier", sid),
                    ("stable_id", f"{sid}_{suffix}"),
                    ("case_list_name", names[suffix]),
                    ("case_list_description", f"{names[suffix]} ({len(ids)} samples)"),
                    ("case_list_category", CASE_LIST_CATEGORY[suffix]),
                ]
            )
            + "case_list_ids: "
            + "\t".join(ids)
            + "\n"
        )


def _meta_study(b: _Builder, cases: Sequence[Case]) -> None:
    codes = {c.diagnosis.oncotree_code for c in cases}
    fields = [
        ("type_of_cancer", codes.pop().lower() if len(codes) == 1 else "mixed"),
        ("cancer_study_identifier", b.info.identifier),
        ("name", b.info.name),
        ("description", b.info.description),
    ]
    if b.info.citation:
        fields.append(("citation", b.info.citation))
    fields.append(("add_global_case_list", "true"))
    b.files[META_STUDY] = meta_text(fields)


def build_study(cases: Sequence[Case], info: StudyInfo) -> tuple[dict[str, str], ExportReport]:
    """The study's files (relative path -> text) and what they hold. Pure: writes nothing."""
    if not cases:
        raise FormatError("nothing to export: no cases", Location(field="cases"))
    if not ID_PATTERN.match(info.identifier):
        raise FormatError(
            f"study identifier {info.identifier!r}: only letters, digits, '.', '_' and '-'",
            Location(field="study_id"),
        )
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise FormatError(f"two cases share the id {case.id!r}", Location(field="cases"))
        seen.add(case.id)
    b = _Builder(info)
    _collect_samples(b, cases)
    for s in b.samples:
        for t in s.tests:
            for f in t.findings:
                if f.status == "equivocal":
                    b.skipped.append(f"{s.sample_id}: equivocal {f.alteration.name}")
    _meta_study(b, cases)
    _clinical(b, cases)
    _timelines(b, cases)
    n_maf, n_sv, n_cna = _genomic(b)
    report = ExportReport(
        out=Path("."),
        files=tuple(sorted(b.files)),
        patients=len(cases),
        samples=len(b.samples),
        mutations=n_maf,
        structural_variants=n_sv,
        cna_genes=n_cna,
        timeline_events=b.timeline_events,
        skipped=tuple(b.skipped),
    )
    return b.files, report


# ---------------------------------------------------------------------------------------------
# Writing the folder: checked, then renamed into place (io/atomic)
# ---------------------------------------------------------------------------------------------


def export_study(
    cases: Sequence[Case],
    out: Path,
    *,
    study_id: str = "tkiresist_cases",
    name: str = "tkiresist cases",
    description: str = "Cases exported by tkiresist (for research use only)",
    citation: str | None = None,
    overwrite: bool = False,
) -> ExportReport:
    """Write ``cases`` as a cBioPortal study folder at ``out``, checked before it is renamed
    into place (our structural checks; a failure raises FormatError and writes nothing)."""
    from tkiresist.io.atomic import atomic_folder

    files, report = build_study(cases, StudyInfo(study_id, name, description, citation))
    with atomic_folder(out, overwrite=overwrite) as tmp:
        for rel, text in files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        problems = check_study(tmp)
        if problems:
            raise FormatError(
                "the export fails its own structural checks (a bug): " + str(problems[0]),
                problems[0].location,
            )
    return replace(report, out=out)
