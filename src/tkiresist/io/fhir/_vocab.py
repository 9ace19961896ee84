"""Code systems, codes, profile URLs and extension URLs used by the FHIR mapping.

Every code here was read from the implementation guides' own FHIR Shorthand (HL7 Genomics
Reporting 3.0.0 and mCODE 4.0.0, repositories HL7/genomics-reporting and HL7/fhir-mCODE-ig)
or from their examples; ``docs/fhir.md`` lists where. Codes we could not find in either guide
are not used: the element then carries text only (or a tkiresist code, below).

tkiresist's own extensions, identifiers and codes live under the ``urn:tkiresist:fhir`` prefix.
They carry what neither guide has an element for (the therapy-line number, the response
criteria, lesion sizes...) so that a case survives the round trip.
"""

from __future__ import annotations

from typing import Any, Final

# -- code systems -------------------------------------------------------------------------
LOINC: Final = "http://loinc.org"
SNOMED: Final = "http://snomed.info/sct"
UCUM: Final = "http://unitsofmeasure.org"
HGNC: Final = "http://www.genenames.org"  # GR 3.0.0 and mCODE 4.0.0 alias
HGNC_OLD: Final = "http://www.genenames.org/geneId"  # GR 1.x examples; accepted on import
HGVS: Final = "http://varnomen.hgvs.org"
SO: Final = "http://www.sequenceontology.org"
REFSEQ: Final = "http://www.ncbi.nlm.nih.gov/refseq"
ONCOTREE: Final = "http://data.mskcc.org/ontologies/oncotree"
GR_TBD: Final = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs"
GR_TBD_OLD: Final = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/TbdCodes"
VARIANT_CONFIDENCE: Final = "http://terminology.hl7.org/CodeSystem/variant-confidence-status-cs"
OBS_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
DIAG_SERVICE: Final = "http://terminology.hl7.org/CodeSystem/v2-0074"
SPECIMEN_TYPE: Final = "http://terminology.hl7.org/CodeSystem/v2-0487"
COND_CLINICAL: Final = "http://terminology.hl7.org/CodeSystem/condition-clinical"
COND_VERIFICATION: Final = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
COND_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/condition-category"
DATA_ABSENT: Final = "http://terminology.hl7.org/CodeSystem/data-absent-reason"

# -- profiles -----------------------------------------------------------------------------
_MCODE: Final = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
_GR: Final = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/"
_USCORE: Final = "http://hl7.org/fhir/us/core/StructureDefinition/"

P_BUNDLE: Final = _MCODE + "mcode-patient-bundle"
P_PATIENT: Final = _MCODE + "mcode-cancer-patient"
P_PRIMARY: Final = _MCODE + "mcode-primary-cancer-condition"
P_SECONDARY: Final = _MCODE + "mcode-secondary-cancer-condition"
P_CONDITION: Final = _USCORE + "us-core-condition-problems-health-concerns"
P_MED_REQUEST: Final = _MCODE + "mcode-cancer-related-medication-request"
P_SURGERY: Final = _MCODE + "mcode-cancer-related-surgical-procedure"
P_RADIOTHERAPY: Final = _MCODE + "mcode-radiotherapy-course-summary"
P_RT_VOLUME: Final = _MCODE + "mcode-radiotherapy-volume"
P_SPECIMEN: Final = _MCODE + "mcode-human-specimen"
P_DISEASE_STATUS: Final = _MCODE + "mcode-cancer-disease-status"
P_ECOG: Final = _MCODE + "mcode-ecog-performance-status"
P_TUMOR_MARKER: Final = _MCODE + "mcode-tumor-marker-test"
P_MCODE_VARIANT: Final = _MCODE + "mcode-genomic-variant"
P_MCODE_REPORT: Final = _MCODE + "mcode-genomics-report"
P_VARIANT: Final = _GR + "variant"
P_IMPLICATION: Final = _GR + "therapeutic-implication"
P_GENOMIC_REPORT: Final = _GR + "genomic-report"
P_SMOKING: Final = _USCORE + "us-core-smokingstatus"
P_SIMPLE_OBS: Final = _USCORE + "us-core-simple-observation"
P_LAB_OBS: Final = _USCORE + "us-core-observation-lab"
P_LAB_REPORT: Final = _USCORE + "us-core-diagnosticreport-lab"

# -- standard extensions ------------------------------------------------------------------
X_RELATIVE: Final = "http://hl7.org/fhir/StructureDefinition/cqf-relativeDateTime"
X_CONDITION_RELATED: Final = "http://hl7.org/fhir/StructureDefinition/condition-related"
X_DATA_ABSENT: Final = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
X_RELATED_ARTIFACT: Final = "http://hl7.org/fhir/StructureDefinition/workflow-relatedArtifact"
X_HISTOLOGY: Final = _MCODE + "mcode-histology-morphology-behavior"
X_INTENT: Final = _MCODE + "mcode-procedure-intent"
X_RT_DOSE: Final = _MCODE + "mcode-radiotherapy-dose-delivered-to-volume"
X_EVIDENCE_TYPE: Final = _MCODE + "mcode-cancer-disease-status-evidence-type"

# -- tkiresist's own ----------------------------------------------------------------------
TKI: Final = "urn:tkiresist:fhir"
SYS_PSEUDONYM: Final = TKI + ":pseudonym"
SYS_CASE: Final = TKI + ":case-id"
SYS_EVENT: Final = TKI + ":event-id"
SYS_ASSAY: Final = TKI + ":assay"
SYS_CODES: Final = TKI + ":codes"
SYS_TAG: Final = TKI + ":tag"
SYS_LEVEL: Final = TKI + ":evidence-level"


def tki_ext(name: str) -> str:
    """The URL of one of tkiresist's own extensions."""
    return f"{TKI}:extension:{name}"


X_APPROXIMATE: Final = tki_ext("approximate")
X_TIME_FROM_SPECIMEN: Final = tki_ext("time-from-specimen")
X_AGE: Final = tki_ext("age-at-diagnosis")
X_CNS: Final = tki_ext("cns-involvement")
X_PRESENTATION: Final = tki_ext("presentation")
X_DRIVER: Final = tki_ext("driver")
X_STAGE: Final = tki_ext("stage")
X_SITE_KIND: Final = tki_ext("site-kind")
X_LINE: Final = tki_ext("therapy-line")
X_THERAPY: Final = tki_ext("assessed-therapy")
X_CRITERIA: Final = tki_ext("response-criteria")
X_LESION: Final = tki_ext("lesion")
X_TECHNIQUE: Final = tki_ext("radiotherapy-technique")
X_FRACTIONS: Final = tki_ext("fractions")
X_DOSE_GY: Final = tki_ext("dose-gy")
X_ASSAY: Final = tki_ext("assay-definition")
X_NOTE: Final = tki_ext("note")
X_SOURCE: Final = tki_ext("source-citation")
X_CASE_NOTES: Final = tki_ext("case-notes")
X_ETHNICITY: Final = tki_ext("ethnicity")
X_GRADE: Final = tki_ext("ctcae-grade")
X_CTCAE_VERSION: Final = tki_ext("ctcae-version")
X_RANK: Final = tki_ext("option-rank")
X_DIAGNOSIS_TIME: Final = tki_ext("diagnosis-has-time")

TAG_SHIFTED: Final = "dates-shifted"
TAG_REAL: Final = "dates-real"
TAG_RESEARCH: Final = "research-use-only"

# -- LOINC codes (Genomics Reporting 3.0.0, mCODE 4.0.0) -----------------------------------
L_VARIANT: Final = "69548-6"  # Genetic variant assessment
L_GENE: Final = "48018-6"  # Gene studied [ID]
L_CHGVS: Final = "48004-6"  # DNA change (c.HGVS)
L_PHGVS: Final = "48005-3"  # Amino acid change (pHGVS)
L_CHANGE_TYPE: Final = "48019-4"  # DNA change type
L_VARIATION_CODE: Final = "81252-9"  # Variation code (text: our canonical name)
L_TRANSCRIPT: Final = "51958-7"  # Transcript reference sequence [ID]
L_SOURCE_CLASS: Final = "48002-0"  # Genomic source class
L_VAF: Final = "81258-6"  # Sample variant allelic frequency
L_READS: Final = "82121-5"  # Allelic read depth
L_COPY_NUMBER: Final = "82155-3"  # Genomic structural variant copy number
L_REPORT: Final = "51969-4"  # Genetic analysis report
L_DISEASE_STATUS: Final = "97509-4"  # Cancer disease progression
L_ECOG: Final = "89247-1"  # ECOG Performance Status score
L_SMOKING: Final = "72166-2"  # Tobacco smoking status
L_EVIDENCE: Final = "93044-6"  # Level of evidence
L_MEDICATION: Final = "51963-7"  # Medication assessed
L_CONTEXT: Final = "81259-4"  # Phenotypic treatment context
LA_PRESENT: Final = "LA9633-4"
LA_ABSENT: Final = "LA9634-2"
LA_INDETERMINATE: Final = "LA11884-6"  # not in the guides' examples: see docs/fhir.md
LA_SOMATIC: Final = "LA6684-0"
LA_SEQUENCING: Final = "LA26398-0"
LA_RESISTANT: Final = "LA6676-6"
LA_RESPONSIVE: Final = "LA6677-4"  # GR's value set; LA6675-8 is "Benign", not "Responsive"
LA_POSITIVE: Final = "LA6576-8"
LA_NEGATIVE: Final = "LA6577-6"

# -- SNOMED CT codes seen in the guides ------------------------------------------------------
S_NSCLC: Final = "254637007"  # Non-small cell lung cancer (disorder)
S_ADENOCARCINOMA: Final = "1187332001"  # Adenocarcinoma (morphologic abnormality)
S_BRAIN_METASTASIS: Final = "94225005"  # Secondary malignant neoplasm of brain
S_RT_COURSE: Final = "1217123003"  # Radiotherapy course of treatment (regime/therapy)
S_PACK_YEARS: Final = "401201003"  # Cigarette pack-years (observable entity)
S_IMAGING: Final = "363679005"  # Imaging (procedure)
S_MRI: Final = "113091000"  # Magnetic resonance imaging (procedure)
S_CLINICAL_EXAM: Final = "5880005"  # Clinical examination (procedure)
STATUS_TREND: Final = {
    "improved": ("268910001", "Patient's condition improved (finding)"),
    "stable": ("359746009", "Patient's condition stable (finding)"),
    "worsened": ("271299001", "Patient's condition worsened (finding)"),
    "undetermined": ("709137006", "Patient condition undetermined (finding)"),
}
RESPONSE_TREND: Final = {
    "CR": "improved",
    "PR": "improved",
    "SD": "stable",
    "non-CR/non-PD": "stable",
    "PD": "worsened",
    "NE": "undetermined",
}
TREND_RESPONSE: Final = {
    "268910001": "PR",
    "359746009": "SD",
    "271299001": "PD",
    "709137006": "NE",
    "550991000124107": "CR",  # full remission (mCODE max value set)
    "103338009": "CR",
    "551001000124108": "PR",
    "103337004": "PR",
}
TERMINATION: Final = {  # mCODE TreatmentTerminationReasonVS
    "progression": ("266721009", "No response to treatment (situation)"),
    "toxicity": ("407563006", "Treatment not tolerated (situation)"),
    "patient_choice": ("105480006", "Refusal of treatment by patient (situation)"),
    "death": ("419620001", "Death (event)"),
}
MARKER_RESULT: Final = {  # mCODE 4.0.0 tumour-marker examples (LOINC answers)
    "positive": (LOINC, LA_POSITIVE, "Positive"),
    "negative": (LOINC, LA_NEGATIVE, "Negative"),
    "equivocal": (SNOMED, "42425007", "Equivocal"),  # mCODE STU1 PositiveNegativeVS
}

# -- Sequence Ontology (GR examples) -------------------------------------------------------
SO_GENE_FUSION: Final = ("SO:0001565", "gene_fusion")
SO_DELETION: Final = ("SO:0000159", "deletion")
SO_INSERTION: Final = ("SO:0000667", "insertion")
SO_DELINS: Final = ("SO:1000032", "delins")
SO_DUPLICATION: Final = ("SO:1000035", "duplication")
SO_SUBSTITUTION: Final = ("SO:1000002", "substitution")
SO_CNV: Final = ("SO:0001019", "copy_number_variation")

SPECIMEN_KIND: Final = {  # our kind -> v2-0487 code
    "tissue": ("TISS", "Tissue"),
    "plasma": ("PLAS", "Plasma"),
    "csf": ("CSF", "Cerebral spinal fluid"),
    "pleural_fluid": ("PLR", "Pleural fluid (thoracentesis fluid)"),
}
SPECIMEN_CODE: Final = {
    "TISS": "tissue",
    "TUMOR": "tissue",
    "PLAS": "plasma",
    "BLDCO": "plasma",
    "CSF": "csf",
    "PLR": "pleural_fluid",
}
NSCLC_ONCOTREE: Final = frozenset({"NSCLC", "LUAD", "LUSC", "LCLC", "LUAS", "LUNE", "NSCLCPD"})


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(
    system: str | None = None,
    code: str | None = None,
    display: str | None = None,
    text: str | None = None,
) -> dict[str, Any]:
    """A CodeableConcept with at most one coding."""
    out: dict[str, Any] = {}
    if system and code:
        out["coding"] = [coding(system, code, display)]
    if text:
        out["text"] = text
    return out


def loinc(code: str, display: str | None = None) -> dict[str, Any]:
    return concept(LOINC, code, display)


def codes_of(cc: Any) -> list[tuple[str, str]]:
    """(system, code) pairs of a CodeableConcept (tolerant of foreign shapes)."""
    out: list[tuple[str, str]] = []
    if isinstance(cc, dict):
        for c in cc.get("coding") or ():
            if isinstance(c, dict) and isinstance(c.get("code"), str):
                out.append((str(c.get("system", "")), c["code"]))
    return out


def has_code(cc: Any, system: str | tuple[str, ...], code: str) -> bool:
    systems = (system,) if isinstance(system, str) else system
    return any(s in systems and c == code for s, c in codes_of(cc))
