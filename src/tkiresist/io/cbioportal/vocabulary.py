"""The cBioPortal vocabulary every reader and writer of a study shares.

From cBioPortal's "File Formats" documentation (docs.cbioportal.org, File-Formats): the data
file names, genetic profiles and case-list categories, gene-panel and discrete CNA values, the
SAMPLE_TYPE values read as progression, OncoTree codes of transformed histologies, clinical
attributes (the columns this package writes), timeline event types, columns and file names,
the MAF Variant_Classification of a variant, and the SQL rules (radiation rows, therapy
subtype) that ``cohort`` and ``annotate --timeline`` apply to timelines.

Writing (:mod:`.export`), finding a study's files (:mod:`.layout`) and the structural checks
(:mod:`.checks`) live beside this module; none of them repeats a name defined here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from tkiresist.io.base import MISSING
from tkiresist.model.alterations import ProteinChange, SequenceVariant

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
    ClinicalAttribute(
        "OS_STATUS",
        "Overall Survival Status",
        "1:DECEASED (a death, or a line stopped for death, the case reports) or 0:LIVING "
        "(censored at the last event the case dates)",
    ),
    ClinicalAttribute(
        "OS_MONTHS",
        "Overall Survival (Months)",
        "Months from diagnosis (month 0 of the case's timeline) to death or the last dated event",
        "NUMBER",
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
        "SAMPLE_HISTOLOGY",
        "Sample Histology",
        "Histology the tests report on this sample: a transformation or epithelial-mesenchymal "
        "transition first, else the tumour's type (adenocarcinoma...)",
    ),
    ClinicalAttribute(
        "OTHER_HISTOLOGIES",
        "Other Histologies",
        "Further histologies the tests report on this sample ('; '-separated)",
    ),
    ClinicalAttribute("ASSAYS", "Assays", "Assay ids of the tests on this sample"),
)

# ---------------------------------------------------------------------------------------------
# Timelines, MAF classification, gene-panel files
# ---------------------------------------------------------------------------------------------

TIMELINE_EVENT_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
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
    "LAB_TEST": ("SAMPLE_ID", "TEST", "RESULT", "SCORE", "PATTERN"),
}
"""The timeline event types an export writes, and each one's columns after TIMELINE_LEAD."""


def timeline_file(event_type: str) -> str:
    """The data file of a timeline event type (``data_timeline_treatment.txt``)."""
    return f"data_timeline_{event_type.lower()}.txt"


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


def panel_file(panel_id: str) -> str:
    """The definition file of a gene panel, beside the study's data files."""
    return f"data_gene_panel_{panel_id.lower()}.txt"
