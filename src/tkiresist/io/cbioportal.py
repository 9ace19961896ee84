"""cBioPortal study folders: export cases as a loadable study, and check a study's structure.

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
                                    no variant)
``data_clinical_sample.txt``        one row per specimen that was tested: SAMPLE_TYPE
                                    (``primary``, ``metastasis``, ``progression``),
                                    ONCOTREE_CODE, SPECIMEN_TYPE, SPECIMEN_SITE,
                                    SAMPLE_HISTOLOGY, ASSAYS
``data_timeline_<type>.txt``        one file per event type, in days from diagnosis:
                                    TREATMENT (one row per agent: AGENT, AGENT_CLASS,
                                    AGENT_GENERATION, LINE, STOP_REASON; radiotherapy rows
                                    too), SPECIMEN (SAMPLE_ID), SURGERY, IMAGING (response
                                    assessments with a modality), STATUS (diagnosis, other
                                    response assessments, clinical and adverse events),
                                    LAB_TEST (IHC results)
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

Structural checks (:func:`check_study`) always run on an export, and can be run on any study
folder: meta files (required keys, data files that exist), clinical headers (four ``#`` rows of
equal width, datatypes STRING/NUMBER/BOOLEAN, integer priorities, upper-case names, NUMBER
cells numeric), the required columns of MAF, SV, CNA and timeline files, sample and patient
identifiers that the clinical files define, case lists and gene panels. Every problem is
located (file, line, column).
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from tkiresist.errors import FormatError, Location, Problem, TkiResistError
from tkiresist.io.base import MISSING
from tkiresist.model.alterations import (
    CopyNumber,
    Expression,
    Fusion,
    Histology,
    ProteinChange,
    SequenceVariant,
)
from tkiresist.model.case import Case
from tkiresist.model.findings import Finding
from tkiresist.model.time import DAYS_PER_MONTH
from tkiresist.model.timeline import (
    AdverseEvent,
    ClinicalEvent,
    Diagnosis,
    MolecularTest,
    Radiotherapy,
    ResponseAssessment,
    Specimen,
    Surgery,
    TherapyLine,
)

# ---------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------

META_STUDY: Final = "meta_study.txt"
PATIENT_FILE: Final = "data_clinical_patient.txt"
SAMPLE_FILE: Final = "data_clinical_sample.txt"
MAF_FILE: Final = "data_mutations.txt"
SV_FILE: Final = "data_sv.txt"
CNA_FILE: Final = "data_cna.txt"
MATRIX_FILE: Final = "data_gene_panel_matrix.txt"
CASE_LISTS: Final = "case_lists"

PROFILE_MUTATIONS: Final = "mutations"
PROFILE_SV: Final = "structural_variants"
PROFILE_CNA: Final = "cna"

AlterationKind = Literal["sequence_variant", "fusion", "copy_number"]
PROFILE_OF_KIND: Final[Mapping[AlterationKind, str]] = {
    "sequence_variant": PROFILE_MUTATIONS,
    "fusion": PROFILE_SV,
    "copy_number": PROFILE_CNA,
}
CASE_LIST_OF_PROFILE: Final[Mapping[str, str]] = {
    PROFILE_MUTATIONS: "sequenced",
    PROFILE_SV: "sv",
    PROFILE_CNA: "cna",
}
CASE_LIST_CATEGORY: Final[Mapping[str, str]] = {
    "sequenced": "all_cases_with_mutation_data",
    "sv": "all_cases_with_sv_data",
    "cna": "all_cases_with_cna_data",
    "cnaseq": "all_cases_with_mutation_and_cna_data",
}
WHOLE_GENOME_PANEL: Final = "WXS/WGS"
"""Gene-panel matrix value for an assay that covers every gene of a kind (cBioPortal accepts
``WXS``, ``WGS`` and ``WXS/WGS`` without a panel file)."""
WHOLE_GENOME_PANELS: Final = frozenset({"WXS", "WGS", "WXS/WGS"})

CNA_CODE: Final[Mapping[str, int]] = {"amplification": 2, "gain": 1, "loss": -1, "deletion": -2}
CNA_CHANGE: Final[Mapping[int, str]] = {v: k for k, v in CNA_CODE.items()}

SampleType = Literal["primary", "metastasis", "progression"]
PROGRESSION_SAMPLE_TYPES: Final = frozenset({"progression", "progressed", "recurrence", "recurred"})
"""SAMPLE_TYPE values cBioPortal colours as progression (File Formats, clinical sample columns)."""

HISTOLOGY_ONCOTREE: Final[Mapping[str, str]] = {
    "small_cell_transformation": "SCLC",
    "squamous_transformation": "LUSC",
}
ONCOTREE_HISTOLOGY: Final[Mapping[str, str]] = {v: k for k, v in HISTOLOGY_ONCOTREE.items()}

DATATYPES: Final = ("STRING", "NUMBER", "BOOLEAN")
TIMELINE_LEAD: Final = ("PATIENT_ID", "START_DATE", "STOP_DATE", "EVENT_TYPE")
SPECIMEN_EVENTS: Final = ("SPECIMEN", "SAMPLE ACQUISITION", "SEQUENCING")
"""Timeline event types whose START_DATE dates a sample (SAMPLE_ID)."""


def radiation_sql(treatment_type: str, agent_class: str) -> str:
    """SQL: is a TREATMENT timeline row radiation, not a drug? Its TREATMENT_TYPE names
    radiation, or its AGENT_CLASS is ``radiotherapy``. ``treatment_type`` and ``agent_class``
    are SQL expressions for the two cells (``NULL`` when the file has no such column). One
    rule for every reader of timelines (``annotate --timeline``, ``cohort``)."""
    return (
        f"(lower(coalesce({treatment_type}, '')) LIKE '%radiation%' "
        f"OR lower(trim(coalesce({agent_class}, ''))) = 'radiotherapy')"
    )


MAF_REQUIRED: Final = ("Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification")
SV_REQUIRED: Final = ("Sample_Id", "SV_Status")
ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9._-]+$")
NA_VALUES: Final = MISSING  # the one set of "no value" markers (io/base)

TARGETED_CLASSES: Final = frozenset(
    {
        "egfr_tki",
        "alk_tki",
        "met_tki",
        "ret_tki",
        "ros1_tki",
        "ntrk_tki",
        "her2_tki",
        "fgfr_tki",
        "braf_inhibitor",
        "mek_inhibitor",
        "kras_g12c_inhibitor",
        "multikinase_tki",
        "egfr_met_bispecific",
        "anti_egfr_antibody",
    }
)
"""Drug classes counted as targeted therapy (SUBTYPE ``Targeted Therapy``)."""
_SUBTYPE: Final[Mapping[str, str]] = {
    "chemotherapy": "Chemotherapy",
    "immunotherapy": "Immunotherapy",
    "anti_vegf_antibody": "Anti-angiogenic Therapy",
    "anti_vegfr2_antibody": "Anti-angiogenic Therapy",
    "adc": "Antibody-drug Conjugate",
}


def subtype_of(drug_class: str | None) -> str:
    """The TREATMENT ``SUBTYPE`` of a drug class."""
    if drug_class is None:
        return "Medical Therapy"
    if drug_class in TARGETED_CLASSES:
        return "Targeted Therapy"
    return _SUBTYPE.get(drug_class, "Medical Therapy")


# ---------------------------------------------------------------------------------------------
# Clinical attributes
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClinicalAttribute:
    """One clinical column: its database name and the four header rows."""

    name: str
    display: str
    description: str
    datatype: Literal["STRING", "NUMBER", "BOOLEAN"] = "STRING"
    priority: int = 1


PATIENT_ATTRIBUTES: Final = (
    ClinicalAttribute("PATIENT_ID", "Patient Identifier", "Identifier of the patient (case id)"),
    ClinicalAttribute("AGE", "Age at Diagnosis", "Age at diagnosis in years", "NUMBER"),
    ClinicalAttribute("SEX", "Sex", "Sex of the patient"),
    ClinicalAttribute("SMOKING_HISTORY", "Smoking History", "never, former or current"),
    ClinicalAttribute("ECOG", "ECOG Performance Status", "ECOG at presentation", "NUMBER"),
    ClinicalAttribute("HISTOLOGY", "Histology", "Histology at diagnosis"),
    ClinicalAttribute("STAGE", "Stage", "Stage at diagnosis as the source gives it"),
    ClinicalAttribute(
        "CNS_METASTASIS_AT_DIAGNOSIS",
        "CNS Metastasis at Diagnosis",
        "Brain or leptomeningeal involvement at diagnosis",
        "BOOLEAN",
    ),
    ClinicalAttribute("SOURCE_DOI", "Source DOI", "Publication the case comes from"),
    ClinicalAttribute(
        "DRIVER_CATEGORY",
        "Declared Driver",
        "The founding driver as a tkiresist category id, when the source names no variant",
    ),
)
SAMPLE_ATTRIBUTES: Final = (
    ClinicalAttribute("PATIENT_ID", "Patient Identifier", "Identifier of the patient (case id)"),
    ClinicalAttribute("SAMPLE_ID", "Sample Identifier", "Identifier of the sample (specimen)"),
    ClinicalAttribute(
        "SAMPLE_TYPE", "Sample Type", "primary, metastasis, or progression (after therapy began)"
    ),
    ClinicalAttribute("ONCOTREE_CODE", "Oncotree Code", "OncoTree code of the sample"),
    ClinicalAttribute("SPECIMEN_TYPE", "Specimen Type", "tissue, plasma, csf, pleural fluid..."),
    ClinicalAttribute("SPECIMEN_SITE", "Specimen Site", "Where the specimen was taken"),
    ClinicalAttribute(
        "SAMPLE_HISTOLOGY", "Sample Histology", "Histology a test reports on this sample (if any)"
    ),
    ClinicalAttribute("ASSAYS", "Assays", "Assay ids of the tests on this sample"),
)


# ---------------------------------------------------------------------------------------------
# Writing text
# ---------------------------------------------------------------------------------------------


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
    histology: str | None
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


def _sample_histology(tests: Sequence[MolecularTest]) -> str | None:
    for t in tests:
        if t.histology is not None and t.histology.histology in HISTOLOGY_ONCOTREE:
            return t.histology.histology
        for f in t.findings:
            if (
                f.detected
                and isinstance(f.alteration, Histology)
                and f.alteration.histology in HISTOLOGY_ONCOTREE
            ):
                return f.alteration.histology
    return None


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
            histology = _sample_histology(tests)
            b.samples.append(
                _Sample(
                    case=case,
                    specimen=e,
                    sample_id=f"{case.id}-{e.id}",
                    tests=tests,
                    day=_days(months[e.id]),
                    sample_type=_sample_type(case, e, months),
                    oncotree=HISTOLOGY_ONCOTREE.get(histology or "", case.diagnosis.oncotree_code),
                    histology=histology,
                    panels=_panels(case, tests),
                )
            )


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
            s.histology.replace("_", " ") if s.histology else None,
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


# --- timelines --------------------------------------------------------------------------------

_TIMELINE_EXTRA: Final[Mapping[str, tuple[str, ...]]] = {
    "TREATMENT": (
        "TREATMENT_TYPE",
        "SUBTYPE",
        "AGENT",
        "AGENT_CLASS",
        "AGENT_GENERATION",
        "LINE",
        "STOP_REASON",
    ),
    "SPECIMEN": ("SAMPLE_ID", "SPECIMEN_TYPE", "SPECIMEN_SITE", "SITE_KIND", "SOURCE"),
    "SURGERY": ("PROCEDURE", "SITE", "SITE_KIND"),
    "IMAGING": ("DIAGNOSTIC_TYPE", "RESULT", "CRITERIA", "RESPONSE_SITE", "THERAPY"),
    "STATUS": ("STATUS", "DETAIL", "CRITERIA", "RESPONSE_SITE", "THERAPY"),
    "LAB_TEST": ("SAMPLE_ID", "TEST", "RESULT", "SCORE"),
}


def timeline_file(event_type: str) -> str:
    return f"data_timeline_{event_type.lower()}.txt"


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
    rows: dict[str, list[list[object]]] = {k: [] for k in _TIMELINE_EXTRA}
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
                            ]
                        )
    sid = b.info.identifier
    for event_type, extra in _TIMELINE_EXTRA.items():
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


def variant_classification(v: SequenceVariant) -> str:
    """The MAF Variant_Classification a variant's change implies (``Unknown`` when it does not
    say: a frameshift without its c. change, a c.-only change)."""
    p: ProteinChange | None = v.protein
    if p is not None:
        if p.edit == "substitution":
            if p.alt == "*":
                return "Nonsense_Mutation"
            return "Missense_Mutation"
        if p.edit == "deletion":
            return "In_Frame_Del"
        if p.edit in ("insertion", "duplication"):
            return "In_Frame_Ins"
        if p.edit == "delins":
            removed = p.last - p.start + 1
            return "In_Frame_Ins" if len(p.alt or "") > removed else "In_Frame_Del"
        if p.edit == "extension":
            return "Nonstop_Mutation"
        return "Unknown"
    match v.region_effect:
        case "deletion":
            return "In_Frame_Del"
        case "insertion" | "duplication":
            return "In_Frame_Ins"
        case "skipping":
            return "Splice_Site"
    return "Unknown"


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


def panel_file(panel_id: str) -> str:
    return f"data_gene_panel_{panel_id.lower()}.txt"


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
# Writing atomically
# ---------------------------------------------------------------------------------------------


def write_atomically(out: Path, files: Mapping[str, str], *, overwrite: bool = False) -> None:
    """Write ``files`` (relative path -> text) as the folder ``out``, all or nothing
    (:func:`tkiresist.io.atomic.atomic_folder`)."""
    from tkiresist.io.atomic import atomic_folder

    with atomic_folder(out, overwrite=overwrite) as tmp:
        for rel, text in files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")


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
    info = StudyInfo(study_id, name, description, citation)
    files, report = build_study(cases, info)
    with tempfile.TemporaryDirectory(prefix="tkiresist-check-") as scratch:
        folder = Path(scratch) / "study"
        for rel, text in files.items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        problems = check_study(folder)
    if problems:
        raise FormatError(
            "the export fails its own structural checks (a bug): " + str(problems[0]),
            problems[0].location,
        )
    write_atomically(out, files, overwrite=overwrite)
    return ExportReport(
        out=out,
        files=report.files,
        patients=report.patients,
        samples=report.samples,
        mutations=report.mutations,
        structural_variants=report.structural_variants,
        cna_genes=report.cna_genes,
        timeline_events=report.timeline_events,
        skipped=report.skipped,
    )


# ---------------------------------------------------------------------------------------------
# Cases from a bundled dataset
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Reading meta files and finding a study's files
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MetaFile:
    """A parsed ``meta_*.txt``: its fields with the line each is on."""

    path: Path
    fields: Mapping[str, str]
    lines: Mapping[str, int]

    def get(self, key: str) -> str | None:
        return self.fields.get(key)

    def loc(self, key: str | None = None) -> Location:
        line = self.lines.get(key) if key is not None else None
        return Location(file=str(self.path), line=line, field=key)

    def require(self, key: str) -> str:
        value = self.fields.get(key)
        if not value:
            raise FormatError(
                f"missing required field {key!r} in the meta file",
                Location(file=str(self.path), field=key),
            )
        return value

    @property
    def kind(self) -> tuple[str, str]:
        """(genetic_alteration_type, datatype), upper case."""
        return (
            (self.get("genetic_alteration_type") or "").upper(),
            (self.get("datatype") or "").upper(),
        )


def read_meta(path: Path) -> MetaFile:
    """Parse ``key: value`` lines; a line without a colon is a located FormatError."""
    if not path.is_file():
        raise FormatError("no such meta file", Location(file=str(path)))
    fields: dict[str, str] = {}
    lines: dict[str, int] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        key, sep, value = raw.partition(":")
        if not sep:
            raise FormatError(
                "expected 'key: value'", Location(file=str(path), line=number, column=1)
            )
        key = key.strip()
        if key in fields:
            raise FormatError(
                f"field {key!r} given twice (first on line {lines[key]})",
                Location(file=str(path), line=number, column=1, field=key),
            )
        fields[key] = value.strip()
        lines[key] = number
    return MetaFile(path, fields, lines)


@dataclass(frozen=True, slots=True)
class StudyLayout:
    """A study folder's meta files, by role."""

    root: Path
    study: MetaFile
    patient: MetaFile | None
    sample: MetaFile
    timelines: tuple[MetaFile, ...]
    mutations: MetaFile | None
    sv: MetaFile | None
    cna: MetaFile | None
    matrix: MetaFile | None
    others: tuple[MetaFile, ...]

    def data(self, meta: MetaFile) -> Path:
        return self.root / meta.require("data_filename")

    @property
    def identifier(self) -> str:
        return self.study.require("cancer_study_identifier")


_NEEDS: Final[Mapping[tuple[str, str], tuple[str, ...]]] = {
    ("CLINICAL", "PATIENT_ATTRIBUTES"): ("data_filename",),
    ("CLINICAL", "SAMPLE_ATTRIBUTES"): ("data_filename",),
    ("CLINICAL", "TIMELINE"): ("data_filename",),
    ("MUTATION_EXTENDED", "MAF"): (
        "stable_id",
        "show_profile_in_analysis_tab",
        "profile_name",
        "profile_description",
        "data_filename",
    ),
    ("STRUCTURAL_VARIANT", "SV"): (
        "stable_id",
        "show_profile_in_analysis_tab",
        "profile_name",
        "profile_description",
        "data_filename",
    ),
    ("COPY_NUMBER_ALTERATION", "DISCRETE"): (
        "stable_id",
        "show_profile_in_analysis_tab",
        "profile_name",
        "profile_description",
        "data_filename",
    ),
    ("COPY_NUMBER_ALTERATION", "DISCRETE_LONG"): (
        "stable_id",
        "show_profile_in_analysis_tab",
        "profile_name",
        "profile_description",
        "data_filename",
    ),
    ("GENE_PANEL_MATRIX", "GENE_PANEL_MATRIX"): ("data_filename",),
}


def study_layout(root: Path) -> StudyLayout:
    """Find and parse the meta files of the study at ``root``.

    Raises a located FormatError for: no folder; no ``meta_study.txt``; a meta file without its
    required fields, or naming a data file that does not exist; a study identifier that differs
    between meta files; no clinical sample meta file; a ``data_*`` file that no meta file names
    (its meta file is missing); two meta files of a kind that must be unique.
    """
    root = Path(root)
    if not root.is_dir():
        raise FormatError("no such study folder", Location(file=str(root)))
    study_path = root / META_STUDY
    if not study_path.is_file():
        raise FormatError(
            f"missing meta file {META_STUDY}: every study needs one (type_of_cancer, "
            "cancer_study_identifier, name, description)",
            Location(file=str(study_path)),
        )
    study = read_meta(study_path)
    for key in ("type_of_cancer", "cancer_study_identifier", "name", "description"):
        study.require(key)
    sid = study.require("cancer_study_identifier")
    metas: list[MetaFile] = []
    for path in sorted(root.glob("meta_*.txt")):
        if path.name == META_STUDY:
            continue
        meta = read_meta(path)
        other = meta.get("cancer_study_identifier")
        if other is None:
            raise FormatError(
                "missing required field 'cancer_study_identifier' in the meta file",
                Location(file=str(path), field="cancer_study_identifier"),
            )
        if other != sid:
            raise FormatError(
                f"cancer_study_identifier {other!r} differs from {sid!r} in {META_STUDY}",
                meta.loc("cancer_study_identifier"),
            )
        for key in _NEEDS.get(meta.kind, ("data_filename",)):
            meta.require(key)
        data = root / meta.require("data_filename")
        if not data.is_file():
            raise FormatError(
                f"data_filename names {data.name!r}, which does not exist in the study folder",
                meta.loc("data_filename"),
            )
        metas.append(meta)
    named = {(root / m.require("data_filename")).resolve() for m in metas}
    for path in sorted(root.glob("data_*")):
        if path.name.startswith("data_gene_panel_") and path.name != MATRIX_FILE:
            continue  # panel definitions are loaded separately, they have no meta file
        if path.resolve() not in named:
            raise FormatError(
                f"data file {path.name!r} has no meta file: expected a meta_*.txt with "
                f"'data_filename: {path.name}'",
                Location(file=str(path)),
            )

    def one(kinds: Iterable[tuple[str, str]]) -> MetaFile | None:
        wanted = set(kinds)
        found = [m for m in metas if m.kind in wanted]
        if len(found) > 1:
            raise FormatError(
                f"two meta files of the same kind ({found[0].path.name} and {found[1].path.name})",
                Location(file=str(found[1].path)),
            )
        return found[0] if found else None

    sample = one([("CLINICAL", "SAMPLE_ATTRIBUTES")])
    if sample is None:
        raise FormatError(
            "missing meta file for the clinical sample data (genetic_alteration_type: "
            "CLINICAL, datatype: SAMPLE_ATTRIBUTES): every study needs one",
            Location(file=str(root / "meta_clinical_sample.txt")),
        )
    used: set[Path] = set()
    found_kinds = {
        "patient": one([("CLINICAL", "PATIENT_ATTRIBUTES")]),
        "mutations": one([("MUTATION_EXTENDED", "MAF")]),
        "sv": one([("STRUCTURAL_VARIANT", "SV")]),
        "cna": one(
            [("COPY_NUMBER_ALTERATION", "DISCRETE"), ("COPY_NUMBER_ALTERATION", "DISCRETE_LONG")]
        ),
        "matrix": one([("GENE_PANEL_MATRIX", "GENE_PANEL_MATRIX")]),
    }
    for m in (sample, *found_kinds.values()):
        if m is not None:
            used.add(m.path)
    timelines = tuple(m for m in metas if m.kind == ("CLINICAL", "TIMELINE"))
    used.update(m.path for m in timelines)
    return StudyLayout(
        root=root,
        study=study,
        patient=found_kinds["patient"],
        sample=sample,
        timelines=timelines,
        mutations=found_kinds["mutations"],
        sv=found_kinds["sv"],
        cna=found_kinds["cna"],
        matrix=found_kinds["matrix"],
        others=tuple(m for m in metas if m.path not in used),
    )


# ---------------------------------------------------------------------------------------------
# Structural checks
# ---------------------------------------------------------------------------------------------


@dataclass
class _Checker:
    problems: list[Problem] = field(default_factory=list)

    def add(
        self,
        message: str,
        file: Path,
        line: int | None = None,
        column: int | None = None,
        name: str | None = None,
    ) -> None:
        self.problems.append(Problem(message, Location(str(file), line, column, name)))


def _rows(path: Path) -> tuple[list[tuple[int, str]], list[tuple[int, list[str]]]]:
    """(comment lines, data lines split on tabs), each with its line number; the header is the
    first data line."""
    comments: list[tuple[int, str]] = []
    rows: list[tuple[int, list[str]]] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if raw.startswith("#") and not rows:
            comments.append((number, raw))
        elif raw.strip():
            rows.append((number, raw.split("\t")))
    return comments, rows


def _check_widths(ck: _Checker, path: Path, rows: Sequence[tuple[int, list[str]]]) -> None:
    if not rows:
        return
    width = len(rows[0][1])
    for number, cells in rows[1:]:
        if len(cells) != width:
            ck.add(
                f"expected {width} tab-separated fields as in the header, found {len(cells)}",
                path,
                number,
                min(len(cells), width) + 1,
            )


def _check_clinical(
    ck: _Checker, path: Path, required: Sequence[str]
) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    comments, rows = _rows(path)
    if len(comments) < 4:
        ck.add(
            f"expected four '#' header rows (display names, descriptions, datatypes, "
            f"priorities) before the column names, found {len(comments)}",
            path,
            len(comments) + 1,
        )
        return [], []
    if not rows:
        ck.add("no column header after the four '#' rows", path, len(comments) + 1)
        return [], []
    header_line, header = rows[0]
    names = [c.strip() for c in header]
    meta_rows = [c[1][1:].split("\t") for c in comments[-4:]]
    for i, cells in enumerate(meta_rows):
        line = comments[len(comments) - 4 + i][0]
        if len(cells) != len(names):
            ck.add(
                f"header row {i + 1} has {len(cells)} fields but there are {len(names)} columns",
                path,
                line,
            )
    datatypes = meta_rows[2]
    for col, dt in enumerate(datatypes, start=1):
        if dt.strip() not in DATATYPES:
            ck.add(
                f"datatype {dt.strip()!r}: expected STRING, NUMBER or BOOLEAN",
                path,
                comments[-2][0],
                col,
            )
    for col, pr in enumerate(meta_rows[3], start=1):
        if not pr.strip().lstrip("-").isdigit():
            ck.add(f"priority {pr.strip()!r}: expected an integer", path, comments[-1][0], col)
    for col, name in enumerate(names, start=1):
        if name != name.upper():
            ck.add(f"attribute name {name!r} must be upper case", path, header_line, col, name)
    for name in required:
        if name not in names:
            ck.add(f"missing required column {name!r}", path, header_line, None, name)
    _check_widths(ck, path, rows)
    out: list[tuple[int, dict[str, str]]] = []
    kinds = dict(zip(names, (d.strip() for d in datatypes), strict=False))
    for number, cells in rows[1:]:
        rec = dict(zip(names, (c.strip() for c in cells), strict=False))
        for col, name in enumerate(names, start=1):
            value = rec.get(name, "")
            if kinds.get(name) == "NUMBER" and value not in NA_VALUES:
                try:
                    float(value)
                except ValueError:
                    ck.add(f"{name}: expected a number, found {value!r}", path, number, col, name)
            if (
                kinds.get(name) == "BOOLEAN"
                and value not in NA_VALUES
                and value.upper()
                not in (
                    "TRUE",
                    "FALSE",
                )
            ):
                ck.add(f"{name}: expected TRUE or FALSE, found {value!r}", path, number, col, name)
            if name in ("PATIENT_ID", "SAMPLE_ID") and not ID_PATTERN.match(value):
                ck.add(
                    f"{name} {value!r}: only letters, digits, '.', '_' and '-' are allowed",
                    path,
                    number,
                    col,
                    name,
                )
        out.append((number, rec))
    return names, out


def _check_table(
    ck: _Checker, path: Path, required: Sequence[str], what: str
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    _, rows = _rows(path)
    if not rows:
        ck.add(f"empty {what} file: expected a header line", path, 1)
        return [], []
    header_line, header = rows[0]
    names = [c.strip() for c in header]
    for name in required:
        if name not in names:
            ck.add(
                f"missing required column {name!r} in the {what} header",
                path,
                header_line,
                None,
                name,
            )
    _check_widths(ck, path, rows)
    return names, rows[1:]


def _check_samples(
    ck: _Checker,
    path: Path,
    names: Sequence[str],
    rows: Sequence[tuple[int, list[str]]],
    column: str,
    samples: set[str],
) -> None:
    if column not in names:
        return
    i = names.index(column)
    for number, cells in rows:
        if i < len(cells) and cells[i].strip() not in samples:
            ck.add(
                f"sample {cells[i].strip()!r} is not defined in the clinical sample file",
                path,
                number,
                i + 1,
                column,
            )


def check_study(root: Path) -> list[Problem]:
    """Our structural checks of a study folder (see the module docstring); [] when it passes."""
    ck = _Checker()
    try:
        layout = study_layout(root)
    except FormatError as exc:
        return list(exc.problems)
    patients: set[str] = set()
    pnames: list[str] = []
    if layout.patient is not None:
        ppath = layout.data(layout.patient)
        pnames, prows = _check_clinical(ck, ppath, ("PATIENT_ID",))
        for number, rec in prows:
            pid = rec.get("PATIENT_ID", "")
            if pid in patients:
                ck.add(f"patient {pid!r} appears twice", ppath, number, 1, "PATIENT_ID")
            patients.add(pid)
    spath = layout.data(layout.sample)
    snames, srows = _check_clinical(ck, spath, ("PATIENT_ID", "SAMPLE_ID"))
    for col, name in enumerate(snames, start=1):
        if name != "PATIENT_ID" and name in pnames:
            ck.add(
                f"attribute {name!r} is defined both in the patient and in the sample file",
                spath,
                None,
                col,
                name,
            )
    samples: set[str] = set()
    for number, rec in srows:
        sid = rec.get("SAMPLE_ID", "")
        if sid in samples:
            ck.add(f"sample {sid!r} appears twice", spath, number, None, "SAMPLE_ID")
        samples.add(sid)
        if layout.patient is not None and rec.get("PATIENT_ID") not in patients:
            pcol = snames.index("PATIENT_ID") + 1 if "PATIENT_ID" in snames else None
            ck.add(
                f"sample {sid!r} references patient {rec.get('PATIENT_ID')!r}, which the "
                "clinical patient file does not define",
                spath,
                number,
                pcol,
                "PATIENT_ID",
            )
    for meta in layout.timelines:
        path = layout.data(meta)
        names, rows = _check_table(ck, path, TIMELINE_LEAD, "timeline")
        if names[:4] != list(TIMELINE_LEAD):
            ck.add(
                "a timeline file starts with the columns " + ", ".join(TIMELINE_LEAD),
                path,
                1,
                1,
            )
            continue
        for number, cells in rows:
            pid = cells[0].strip()
            if patients and pid not in patients:
                ck.add(
                    f"patient {pid!r} is not defined in the clinical patient file",
                    path,
                    number,
                    1,
                    "PATIENT_ID",
                )
            for col in (1, 2):
                value = cells[col].strip() if col < len(cells) else ""
                if col == 2 and value == "":
                    continue
                if not value.lstrip("-").isdigit():
                    ck.add(
                        f"{TIMELINE_LEAD[col]}: expected whole days from diagnosis, "
                        f"found {value!r}",
                        path,
                        number,
                        col + 1,
                        TIMELINE_LEAD[col],
                    )
            if "SAMPLE_ID" in names:
                i = names.index("SAMPLE_ID")
                value = cells[i].strip() if i < len(cells) else ""
                if value and value not in samples:
                    ck.add(
                        f"sample {value!r} is not defined in the clinical sample file",
                        path,
                        number,
                        i + 1,
                        "SAMPLE_ID",
                    )
    if layout.mutations is not None:
        path = layout.data(layout.mutations)
        names, rows = _check_table(ck, path, MAF_REQUIRED, "MAF")
        if names and "HGVSp_Short" not in names and "Amino_Acid_Change" not in names:
            ck.add(
                "missing required column 'HGVSp_Short' in the MAF header",
                path,
                1,
                None,
                "HGVSp_Short",
            )
        _check_samples(ck, path, names, rows, "Tumor_Sample_Barcode", samples)
    if layout.sv is not None:
        path = layout.data(layout.sv)
        names, rows = _check_table(ck, path, SV_REQUIRED, "SV")
        if names and not ({"Site1_Hugo_Symbol", "Site2_Hugo_Symbol"} & set(names)):
            ck.add("an SV file needs Site1_Hugo_Symbol or Site2_Hugo_Symbol", path, 1)
        _check_samples(ck, path, names, rows, "Sample_Id", samples)
    if layout.cna is not None:
        path = layout.data(layout.cna)
        if layout.cna.kind[1] == "DISCRETE":
            names, rows = _check_table(ck, path, ("Hugo_Symbol",), "CNA")
            for col, name in enumerate(names[1:], start=2):
                if name not in ("Entrez_Gene_Id", "Cytoband") and name not in samples:
                    ck.add(
                        f"sample {name!r} is not defined in the clinical sample file",
                        path,
                        1,
                        col,
                        name,
                    )
            for number, cells in rows:
                for col, value in enumerate(cells[1:], start=2):
                    if names[col - 1] in ("Entrez_Gene_Id", "Cytoband"):
                        continue
                    if value.strip() not in NA_VALUES and value.strip() not in (
                        "-2",
                        "-1",
                        "0",
                        "1",
                        "2",
                        "-1.5",
                    ):
                        ck.add(
                            f"CNA value {value.strip()!r}: expected -2, -1, 0, 1, 2 or NA",
                            path,
                            number,
                            col,
                        )
        else:
            names, rows = _check_table(ck, path, ("Hugo_Symbol", "Sample_Id", "Value"), "CNA")
            _check_samples(ck, path, names, rows, "Sample_Id", samples)
    if layout.matrix is not None:
        path = layout.data(layout.matrix)
        names, rows = _check_table(ck, path, ("SAMPLE_ID",), "gene panel matrix")
        _check_samples(ck, path, names, rows, "SAMPLE_ID", samples)
        for number, cells in rows:
            for col, value in enumerate(cells[1:], start=2):
                panel = value.strip()
                if panel in NA_VALUES or panel in WHOLE_GENOME_PANELS:
                    continue
                if not (layout.root / panel_file(panel)).is_file():
                    ck.add(
                        f"gene panel {panel!r} has no definition file {panel_file(panel)!r}",
                        path,
                        number,
                        col,
                    )
    cl = layout.root / CASE_LISTS
    if cl.is_dir():
        for path in sorted(cl.glob("*.txt")):
            try:
                meta = read_meta(path)
            except FormatError as exc:
                ck.problems.extend(exc.problems)
                continue
            for key in (
                "cancer_study_identifier",
                "stable_id",
                "case_list_name",
                "case_list_description",
                "case_list_ids",
            ):
                if not meta.get(key):
                    ck.add(
                        f"missing required field {key!r} in the case list", path, None, None, key
                    )
            stable = meta.get("stable_id") or ""
            if not stable.startswith(layout.identifier + "_"):
                ck.add(
                    f"stable_id {stable!r} must start with '{layout.identifier}_'",
                    path,
                    meta.lines.get("stable_id"),
                    None,
                    "stable_id",
                )
            for sid in (meta.get("case_list_ids") or "").split("\t"):
                if sid.strip() and sid.strip() not in samples:
                    ck.add(
                        f"sample {sid.strip()!r} is not defined in the clinical sample file",
                        path,
                        meta.lines.get("case_list_ids"),
                        None,
                        "case_list_ids",
                    )
    return ck.problems


def assert_valid(root: Path) -> None:
    """Raise a FormatError listing the first problem when :func:`check_study` finds any."""
    problems = check_study(root)
    if problems:
        raise FormatError(
            f"{len(problems)} structural problem(s); first: {problems[0].message}",
            problems[0].location,
        )


__all__ = [
    "ExportReport",
    "MetaFile",
    "StudyInfo",
    "StudyLayout",
    "TkiResistError",
    "build_study",
    "check_study",
    "export_study",
    "read_meta",
    "study_layout",
]
