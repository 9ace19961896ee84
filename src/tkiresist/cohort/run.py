"""Cohort mode end to end: :func:`run_cohort` loads a study, analyses it, summarises it and,
given an output folder, writes the outputs (what ``tkiresist cohort`` calls).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tkiresist.cohort.analysis import analyse
from tkiresist.cohort.duck import CohortOptions
from tkiresist.cohort.load import load_study
from tkiresist.cohort.output import write_outputs
from tkiresist.cohort.summary import CohortSummary, summarise

if TYPE_CHECKING:
    import pyarrow as pa

    from tkiresist.knowledge.loader import KnowledgeBase


@dataclass(frozen=True, slots=True)
class CohortResult:
    per_patient: pa.Table
    summary: CohortSummary
    out: Path | None = None


def run_cohort(
    study: Path,
    out: Path | None = None,
    *,
    kb: KnowledgeBase | None = None,
    options: CohortOptions = CohortOptions(),
    overwrite: bool = False,
) -> CohortResult:
    """Read the study, analyse it, and (with ``out``) write the outputs atomically."""
    loaded = load_study(study, kb, options)
    try:
        per_patient = analyse(loaded.con, options.max_gap_days)
    finally:
        counts = dict(loaded.counts)
        loaded.con.close()
    summary = summarise(per_patient, counts, loaded.warnings)
    if out is not None:
        write_outputs(per_patient, summary, out, overwrite=overwrite)
    return CohortResult(per_patient, summary, out)
