"""cBioPortal study folders: export cases as a loadable study, and check a study's structure.

The format is cBioPortal's "File Formats" documentation (docs.cbioportal.org, File-Formats):
every data file is tab-separated and described by a ``meta_*.txt`` file of ``key: value``
lines naming it in ``data_filename``. Four modules, one concern each:

=========================  =================================================================
:mod:`.vocabulary`         the names every reader and writer shares: file names, profiles,
                           case lists, clinical attributes, sample types, timeline event
                           types, variant classifications, the SQL rules cohort and annotate
                           apply to timelines
:mod:`.layout`             a study folder's meta files, parsed and found by role
:mod:`.checks`             our structural checks of any study folder
:mod:`.export`             cases -> study files (pure), written atomically once checked
=========================  =================================================================

Every name is re-exported here, so ``from tkiresist.io.cbioportal import X`` keeps working.
"""

from __future__ import annotations

from tkiresist.io.cbioportal.checks import assert_valid, check_study
from tkiresist.io.cbioportal.export import (
    MAF_COLUMNS,
    SV_COLUMNS,
    ExportReport,
    StudyInfo,
    build_study,
    clinical_text,
    export_study,
    meta_text,
    tsv,
)
from tkiresist.io.cbioportal.layout import MetaFile, StudyLayout, read_meta, study_layout
from tkiresist.io.cbioportal.vocabulary import (
    CASE_LIST_CATEGORY,
    CASE_LIST_OF_PROFILE,
    CASE_LISTS,
    CNA_CHANGE,
    CNA_CODE,
    CNA_FILE,
    DATATYPES,
    HISTOLOGY_ONCOTREE,
    ID_PATTERN,
    MAF_FILE,
    MAF_REQUIRED,
    MATRIX_FILE,
    META_STUDY,
    NA_VALUES,
    ONCOTREE_HISTOLOGY,
    PATIENT_ATTRIBUTES,
    PATIENT_FILE,
    PROFILE_CNA,
    PROFILE_MUTATIONS,
    PROFILE_OF_KIND,
    PROFILE_SV,
    PROGRESSION_SAMPLE_TYPES,
    SAMPLE_ATTRIBUTES,
    SAMPLE_FILE,
    SPECIMEN_EVENTS,
    SV_FILE,
    SV_REQUIRED,
    TARGETED_CLASSES,
    TIMELINE_EVENT_COLUMNS,
    TIMELINE_LEAD,
    WHOLE_GENOME_PANEL,
    WHOLE_GENOME_PANELS,
    AlterationKind,
    ClinicalAttribute,
    SampleType,
    panel_file,
    radiation_sql,
    subtype_of,
    timeline_file,
    variant_classification,
)

__all__ = [
    "CASE_LISTS",
    "CASE_LIST_CATEGORY",
    "CASE_LIST_OF_PROFILE",
    "CNA_CHANGE",
    "CNA_CODE",
    "CNA_FILE",
    "DATATYPES",
    "HISTOLOGY_ONCOTREE",
    "ID_PATTERN",
    "MAF_COLUMNS",
    "MAF_FILE",
    "MAF_REQUIRED",
    "MATRIX_FILE",
    "META_STUDY",
    "NA_VALUES",
    "ONCOTREE_HISTOLOGY",
    "PATIENT_ATTRIBUTES",
    "PATIENT_FILE",
    "PROFILE_CNA",
    "PROFILE_MUTATIONS",
    "PROFILE_OF_KIND",
    "PROFILE_SV",
    "PROGRESSION_SAMPLE_TYPES",
    "SAMPLE_ATTRIBUTES",
    "SAMPLE_FILE",
    "SPECIMEN_EVENTS",
    "SV_COLUMNS",
    "SV_FILE",
    "SV_REQUIRED",
    "TARGETED_CLASSES",
    "TIMELINE_EVENT_COLUMNS",
    "TIMELINE_LEAD",
    "WHOLE_GENOME_PANEL",
    "WHOLE_GENOME_PANELS",
    "AlterationKind",
    "ClinicalAttribute",
    "ExportReport",
    "MetaFile",
    "SampleType",
    "StudyInfo",
    "StudyLayout",
    "assert_valid",
    "build_study",
    "check_study",
    "clinical_text",
    "export_study",
    "meta_text",
    "panel_file",
    "radiation_sql",
    "read_meta",
    "study_layout",
    "subtype_of",
    "timeline_file",
    "tsv",
    "variant_classification",
]
