"""Writing the cohort outputs (:func:`write_outputs`) and the text report (:func:`format_summary`).

Outputs (written to a temporary folder, then renamed into place: nothing is half-written):

* ``patients.tsv``: one row per patient with a progression sample after a targeted therapy;
* ``mechanisms.tsv``: per prior drug (and ``all``), each acquired mechanism category's count
  among the assessable patients (those with a baseline sample), with the exact
  (Clopper-Pearson) 95% CI; a patient without an acquired mechanism counts once as
  ``not_assessable``, ``pre_existing`` or ``none_identified``
  (:data:`~tkiresist.cohort.summary.OUTCOME_LABELS`);
* ``time_to_progression.tsv``: months from the start of the line to the progression sample, per
  prior drug (median, IQR, range);
* ``plasma_lead_time.tsv``: the patients' plasma lead times (step 7 of
  :mod:`tkiresist.cohort.analysis`), per prior drug and ``all`` (n, median, IQR, range);
* ``cooccurrence.tsv``: patients with each pair of mechanism categories;
* ``summary.json``: all of the above, the counts and the warnings.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

from tkiresist.cohort.analysis import LIST_COLUMNS, PATIENT_COLUMNS
from tkiresist.cohort.duck import _lit
from tkiresist.cohort.summary import ALL_DRUGS, CohortSummary

if TYPE_CHECKING:
    import pyarrow as pa


LIST_SEP: Final = "; "


def _fmt(value: object) -> str:
    if value is None:
        return "NA"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return "NA" if math.isnan(value) else f"{value:.6g}"
    if isinstance(value, list):
        return LIST_SEP.join(str(v) for v in value)
    return str(value)


def _tsv(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    return "\n".join(["\t".join(columns), *("\t".join(_fmt(v) for v in r) for r in rows)]) + "\n"


def _write_patients(per_patient: pa.Table, path: Path) -> None:
    """The per-patient table as TSV (lists joined with '; '), written by DuckDB."""
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        con.register("pp", per_patient)
        cols = []
        for name in PATIENT_COLUMNS:
            if name in LIST_COLUMNS:
                cols.append(f"array_to_string({name}, {_lit(LIST_SEP)}) AS {name}")
            elif name in ("months_from_therapy_start", "plasma_lead_time_months"):
                cols.append(f"round({name}, 3) AS {name}")
            else:
                cols.append(name)
        con.execute(
            f"COPY (SELECT {', '.join(cols)} FROM pp ORDER BY patient_id) TO {_lit(str(path))} "
            "(FORMAT csv, DELIMITER '\t', HEADER true, QUOTE '', NULLSTR 'NA')"
        )
    finally:
        con.close()


def write_outputs(
    per_patient: pa.Table, summary: CohortSummary, out: Path, *, overwrite: bool = False
) -> None:
    """Write the cohort outputs as the folder ``out``, all or nothing
    (:func:`tkiresist.io.atomic.atomic_folder`)."""
    from tkiresist.io.atomic import atomic_folder

    with atomic_folder(out, overwrite=overwrite) as tmp:
        _write_patients(per_patient, tmp / "patients.tsv")
        (tmp / "mechanisms.tsv").write_text(
            _tsv(
                ("prior_drug", "category", "label", "k", "n", "proportion", "ci_low", "ci_high"),
                (
                    (f.prior_drug, f.category, f.label, f.k, f.n, f.value, f.ci_low, f.ci_high)
                    for f in summary.frequencies
                ),
            ),
            encoding="utf-8",
        )
        (tmp / "time_to_progression.tsv").write_text(
            _tsv(
                ("prior_drug", "n", "median_months", "q1", "q3", "min", "max"),
                ((t.prior_drug, t.n, t.median, t.q1, t.q3, t.min, t.max) for t in summary.times),
            ),
            encoding="utf-8",
        )
        (tmp / "plasma_lead_time.tsv").write_text(
            _tsv(
                ("prior_drug", "n", "median_months", "q1", "q3", "min", "max"),
                (
                    (t.prior_drug, t.n, t.median, t.q1, t.q3, t.min, t.max)
                    for t in summary.plasma_lead_times
                ),
            ),
            encoding="utf-8",
        )
        (tmp / "cooccurrence.tsv").write_text(
            _tsv(("category_a", "category_b", "patients"), summary.cooccurrence), encoding="utf-8"
        )
        (tmp / "summary.json").write_text(
            json.dumps(summary.as_dict(), indent=2, default=str) + "\n", encoding="utf-8"
        )


def format_summary(summary: CohortSummary, top: int = 12) -> str:
    """A short text report of the summary."""
    lines = [
        f"{summary.patients} patients with a progression sample after a targeted therapy; "
        f"{summary.assessable} assessable (a baseline sample before the line)."
    ]
    for drug, (n, a) in sorted(summary.by_drug.items(), key=lambda kv: -kv[1][0]):
        if drug == ALL_DRUGS:
            continue
        lines.append(f"  {drug}: {n} patients, {a} assessable")
    lines.append("Mechanism categories (assessable patients, exact 95% CI):")
    shown = 0
    for f in summary.frequencies:
        if shown >= top:
            break
        if f.value is None or f.ci_low is None or f.ci_high is None:
            continue
        lines.append(
            f"  {f.prior_drug:<24} {f.category:<24} {f.k}/{f.n} = {100 * f.value:.1f}% "
            f"({100 * f.ci_low:.1f}–{100 * f.ci_high:.1f}%)"
        )
        shown += 1
    for t in summary.times:
        if t.median is not None:
            lines.append(
                f"Months from therapy start to progression sample, {t.prior_drug}: median "
                f"{t.median:.1f} (IQR {t.q1:.1f}–{t.q3:.1f}; n = {t.n})"
            )
    for t in summary.plasma_lead_times:
        if t.median is not None and t.prior_drug == ALL_DRUGS:
            radiographic = summary.plasma_lead_anchors.get("radiographic_progression", 0)
            lines.append(
                "Plasma lead time (first plasma sample showing a resistance alteration to the "
                "line's first radiographic progression, else to the progression sample), months: "
                f"median {t.median:.1f} (IQR {t.q1:.1f}–{t.q3:.1f}; n = {t.n}, "
                f"{radiographic} to radiographic progression)"
            )
    for w in summary.warnings:
        lines.append(f"warning: {w}")
    return "\n".join(lines) + "\n"
