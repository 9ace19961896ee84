"""Cohort mode: acquired alterations and resistance mechanisms across a cBioPortal study.

``tkiresist cohort --study DIR [--out OUT]`` reads a study folder (clinical files, timelines
with their IHC results, mutations, structural variants, discrete CNA, gene panels) and, for
every patient with a progression sample taken after a targeted therapy began, finds the
alterations acquired since the pre-treatment samples and the resistance mechanisms the
knowledge base names for them.

Everything is a whole-table operation in DuckDB: no Python loop runs over mutation rows or over
patients. Python touches only *distinct* values, once each: distinct alteration strings (a
gene and its p. change, a pair of fusion genes, a gene and its CNA level) are parsed with the
nomenclature layer into alteration ids, keys and categories, distinct agent names are looked up
in the drug dictionary, and distinct patient contexts are matched against the statements by the
one rule of :mod:`tkiresist.knowledge.applies`. The rest are joins.

The package, one concern per module; each imports only modules above it in this list:

* :mod:`~tkiresist.cohort.duck`: the DuckDB plumbing every step shares (:class:`CohortOptions`,
  :func:`connect`, SQL quoting, Arrow tables in and out);
* :mod:`~tkiresist.cohort.reading`: tab-separated files read by DuckDB, every error located
  (:class:`StudyValidationError`);
* :mod:`~tkiresist.cohort.cells`: the distinct values Python reads, once each (alterations,
  agents, IHC results);
* :mod:`~tkiresist.cohort.knowledge_tables`: the mechanism statements as tables;
* :mod:`~tkiresist.cohort.load`: a study folder into DuckDB tables (:func:`load_study`), with
  its structural checks;
* :mod:`~tkiresist.cohort.analysis`: the per-patient analysis, its steps 1-7 described there
  (:func:`analyse`, :func:`situations`);
* :mod:`~tkiresist.cohort.partitioning`: the same analysis per partition of patients, for a
  cluster;
* :mod:`~tkiresist.cohort.summary`: the cohort summary (:func:`summarise`);
* :mod:`~tkiresist.cohort.output`: the output files and the text report (:func:`write_outputs`,
  :func:`format_summary`);
* :mod:`~tkiresist.cohort.run`: :func:`run_cohort`, all of it end to end.

This module re-exports their public names. duckdb, pyarrow and pydantic are imported inside the
functions that use them, so importing the package loads none of them.
"""

from __future__ import annotations

from tkiresist.cohort.analysis import (
    LIST_COLUMNS,
    PATIENT_COLUMNS,
    analyse,
    situations,
)
from tkiresist.cohort.cells import PROFILE_HISTOLOGY, PROFILE_IHC
from tkiresist.cohort.duck import CohortOptions, connect
from tkiresist.cohort.knowledge_tables import MATCH_ROLES, install_knowledge, knowledge_rows
from tkiresist.cohort.load import FILTERED_CLASSIFICATIONS, LIQUID, LoadedStudy, load_study
from tkiresist.cohort.output import LIST_SEP, format_summary, write_outputs
from tkiresist.cohort.partitioning import (
    INPUT_TABLES,
    SHARED_TABLES,
    analyse_bucket,
    analyse_partition,
    partitions,
    write_partitions,
)
from tkiresist.cohort.reading import MAX_PROBLEMS, StudyValidationError
from tkiresist.cohort.run import CohortResult, run_cohort
from tkiresist.cohort.summary import (
    ALL_DRUGS,
    NO_MECHANISM,
    NOT_ASSESSABLE,
    OUTCOME_LABELS,
    PRE_EXISTING,
    CohortSummary,
    MechanismFrequency,
    TimeToProgression,
    summarise,
)

__all__ = [
    "ALL_DRUGS",
    "FILTERED_CLASSIFICATIONS",
    "INPUT_TABLES",
    "LIQUID",
    "LIST_COLUMNS",
    "LIST_SEP",
    "MATCH_ROLES",
    "MAX_PROBLEMS",
    "NOT_ASSESSABLE",
    "NO_MECHANISM",
    "OUTCOME_LABELS",
    "PATIENT_COLUMNS",
    "PRE_EXISTING",
    "PROFILE_HISTOLOGY",
    "PROFILE_IHC",
    "SHARED_TABLES",
    "CohortOptions",
    "CohortResult",
    "CohortSummary",
    "LoadedStudy",
    "MechanismFrequency",
    "StudyValidationError",
    "TimeToProgression",
    "analyse",
    "analyse_bucket",
    "analyse_partition",
    "connect",
    "format_summary",
    "install_knowledge",
    "knowledge_rows",
    "load_study",
    "partitions",
    "run_cohort",
    "situations",
    "summarise",
    "write_outputs",
    "write_partitions",
]
