"""Cohort mode: acquired alterations and resistance mechanisms across a cBioPortal study.

``tkiresist cohort --study DIR [--out OUT]`` reads a study folder (clinical files, timelines,
mutations, structural variants, discrete CNA, gene panels) and, for every patient with a
progression sample taken after a targeted therapy began, finds the alterations acquired since
the pre-treatment samples and the resistance mechanisms the knowledge base names for them.

Everything is a whole-table operation in DuckDB: no Python loop runs over mutation rows or over
patients. Python touches only *distinct* values, once each: distinct alteration strings (a
gene and its p. change, a pair of fusion genes, a gene and its CNA level) are parsed with the
nomenclature layer into alteration ids, keys and categories, and distinct agent names are looked
up in the drug dictionary. The rest are joins.

The steps (numbered as in :func:`analyse`):

1. **Samples in time.** A sample's day is the START_DATE of its SPECIMEN (or SAMPLE
   ACQUISITION / SEQUENCING) timeline event. A sample whose SAMPLE_TYPE is ``progression``,
   ``progressed``, ``recurrence`` or ``recurred`` is a progression sample.
2. **The therapy it progressed on.** The targeted agents (:data:`TARGETED_CLASSES`) of the
   TREATMENT timeline that started before the sample and had not stopped more than
   ``max_gap_days`` before it; of those, the ones that started last form the line in effect (its
   agents joined with ``+`` name the *prior drug*). Per patient, the latest such progression
   sample is taken (as the engine takes the latest progression).
3. **Baseline.** Every sample of the patient taken on or before the day that line began.
4. **Acquired.** An alteration of the progression sample is *acquired* when no baseline sample
   has an alteration with the same key (:func:`tkiresist.interpret.serial.alteration_key`: an
   exon 19 deletion is one key however written; a fusion is its two genes) and at least one
   baseline sample covered it (its gene panel for that profile lists a gene of the alteration,
   or is whole-genome, or the CNA table has a value there). *Persistent*: a baseline sample has
   the key. *Not assessable*: neither.
5. **Driver.** The original driver is the EGFR sensitising (or exon 20 insertion) alteration of
   the baseline samples (or, without one, of the progression sample); its state is
   ``persistent`` (its key is in the progression sample), ``lost`` (the progression sample
   covered it and it is absent), ``unknown`` or ``none``.
6. **Mechanisms.** A resistance-mechanism statement of the knowledge base (not a risk marker,
   not a fallback) fires for an acquired, non-driver alteration carrying one of its trigger
   categories when, as in :mod:`tkiresist.interpret.mechanisms`: its ``all_of`` categories are
   present in the progression sample and no ``none_of`` one is; its disease includes the
   patient's OncoTree code (of the earliest sample); the prior line holds a drug of its classes
   (and generations); its driver is the patient's, in the state it needs (``unknown`` keeps both
   readings open). The *mechanism category* is the trigger category that matched.

Outputs (written to a temporary folder, then renamed into place: nothing is half-written):

* ``patients.tsv``: one row per patient with a progression sample after a targeted therapy;
* ``mechanisms.tsv``: per prior drug (and ``all``), each mechanism category's count among the
  assessable patients (those with a baseline sample), with the exact (Clopper-Pearson) 95% CI;
* ``time_to_progression.tsv``: months from the start of the line to the progression sample, per
  prior drug (median, IQR, range);
* ``cooccurrence.tsv``: patients with each pair of mechanism categories;
* ``summary.json``: all of the above, the counts and the warnings.

Bad input is refused with located errors, as cBioPortal's validator locates them: a missing
meta file, a timeline STOP_DATE before its START_DATE, a sample (or timeline row, or genomic
row) referencing an unknown patient or sample, a CNA value that is not -2..2.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from tkiresist.errors import FormatError, Location, ManyProblems, ParseError, Problem
from tkiresist.io.cbioportal import (
    CASE_LISTS,
    MATRIX_FILE,
    NA_VALUES,
    ONCOTREE_HISTOLOGY,
    PROFILE_CNA,
    PROFILE_MUTATIONS,
    PROFILE_SV,
    PROGRESSION_SAMPLE_TYPES,
    SPECIMEN_EVENTS,
    TARGETED_CLASSES,
    TIMELINE_LEAD,
    WHOLE_GENOME_PANELS,
    MetaFile,
    StudyLayout,
    radiation_sql,
    read_meta,
    study_layout,
)
from tkiresist.model.time import DAYS_PER_MONTH

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from tkiresist.knowledge.loader import KnowledgeBase
    from tkiresist.model.categories import AnyAlteration

PROFILE_HISTOLOGY: Final = "histology"
FILTERED_CLASSIFICATIONS: Final = (
    "Silent",
    "Intron",
    "3'UTR",
    "3'Flank",
    "5'UTR",
    "5'Flank",
    "IGR",
    "RNA",
)
"""MAF Variant_Classification values cBioPortal filters out by default (File Formats,
"Variant classification filter"); cohort mode drops them too."""
MAX_PROBLEMS: Final = 20
LIST_SEP: Final = "; "


class StudyValidationError(ManyProblems, FormatError):
    """A study folder breaks the format; carries every located problem found (up to 20)."""

    code = "study_invalid"
    what = "invalid study"


@dataclass(frozen=True, slots=True)
class CohortOptions:
    """How the cohort is read. ``threads``/``memory_limit`` are passed to DuckDB."""

    max_gap_days: int = 90
    threads: int | None = None
    memory_limit: str | None = None


# ---------------------------------------------------------------------------------------------
# Reading tab-separated files with DuckDB
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Head:
    path: Path
    header_line: int
    columns: tuple[str, ...]

    def loc(self, name: str | None = None, line: int | None = None) -> Location:
        column = self.columns.index(name) + 1 if name in self.columns else None
        return Location(file=str(self.path), line=line, column=column, field=name)


def _head(path: Path, what: str) -> _Head:
    number = 0
    with path.open(encoding="utf-8", errors="replace") as fh:
        for number, raw in enumerate(fh, start=1):
            text = raw.rstrip("\r\n")
            if text.startswith("#") or not text.strip():
                continue
            columns = tuple(c.strip() for c in text.split("\t"))
            seen: dict[str, int] = {}
            for i, name in enumerate(columns, start=1):
                if name in seen:
                    raise FormatError(
                        f"column {name!r} appears twice in the {what} header (columns "
                        f"{seen[name]} and {i})",
                        Location(file=str(path), line=number, column=i, field=name),
                    )
                seen[name] = i
            return _Head(path, number, columns)
    raise FormatError(
        f"empty {what} file: expected a tab-separated header line",
        Location(file=str(path), line=number + 1),
    )


def _require(head: _Head, names: Iterable[str], what: str) -> None:
    for name in names:
        if name not in head.columns:
            raise FormatError(
                f"missing required column {name!r} in the {what} header",
                Location(file=str(head.path), line=head.header_line, field=name),
            )


def _q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    """A quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


_DUCK_LINE = re.compile(r"CSV Error on Line: (\d+)")
_DUCK_COUNT = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def _csv(head: _Head, keep: Sequence[str] | None = None) -> str:
    """A ``read_csv`` expression for the file, every column as text."""
    cols = ", ".join(f"{_lit(c)}: 'VARCHAR'" for c in head.columns)
    source = (
        f"read_csv({_lit(str(head.path))}, delim='\t', header=false, skip={head.header_line}, "
        f"columns={{{cols}}}, quote='', escape='', auto_detect=false)"
    )
    picked = "*" if keep is None else ", ".join(_q(c) for c in keep)
    return f"SELECT {picked} FROM {source}"


def _load(
    con: duckdb.DuckDBPyConnection,
    table: str,
    head: _Head,
    what: str,
    keep: Sequence[str] | None = None,
) -> None:
    import duckdb

    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {_csv(head, keep)}")
    except duckdb.Error as exc:
        raise _csv_error(str(exc), head, what) from None


def _csv_error(message: str, head: _Head, what: str) -> FormatError:
    m = _DUCK_LINE.search(message)
    line = int(m.group(1)) if m else None
    count = _DUCK_COUNT.search(message)
    if count:
        expected, found = int(count.group(1)), int(count.group(2))
        column = min(found, expected) + 1
        return FormatError(
            f"expected {expected} tab-separated fields as in the {what} header, found {found}",
            Location(
                file=str(head.path),
                line=line,
                column=column,
                field=head.columns[found] if found < len(head.columns) else None,
            ),
        )
    first = message.strip().splitlines()[0] if message.strip() else "unreadable"
    return FormatError(
        f"cannot read the {what} file: {first}", Location(file=str(head.path), line=line)
    )


def _line_of(head: _Head, match: Mapping[str, str]) -> int | None:
    """The file line of the first data row whose cells equal ``match`` (error path only)."""
    index = {head.columns.index(k): v for k, v in match.items() if k in head.columns}
    with head.path.open(encoding="utf-8", errors="replace") as fh:
        for number, raw in enumerate(fh, start=1):
            if number <= head.header_line:
                continue
            cells = raw.rstrip("\r\n").split("\t")
            if all(i < len(cells) and cells[i].strip() == v for i, v in index.items()):
                return number
    return None


def _offenders(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    head: _Head,
    column: str,
    message: str,
    extra: Sequence[str] = (),
) -> list[Problem]:
    """Problems for the rows ``sql`` returns (first columns: the offending value, then
    ``extra`` values used to locate the line)."""
    problems: list[Problem] = []
    for row in con.execute(sql + f" LIMIT {MAX_PROBLEMS}").fetchall():
        values = {column: "" if row[0] is None else str(row[0])}
        for name, value in zip(extra, row[1:], strict=False):
            values[name] = "" if value is None else str(value)
        line = _line_of(head, values)
        problems.append(Problem(message.format(*row), head.loc(column, line)))
    return problems


# ---------------------------------------------------------------------------------------------
# Distinct values -> alterations (Python, once per distinct value)
# ---------------------------------------------------------------------------------------------


@dataclass
class _Registry:
    """Alterations seen, each with an id; identical alterations share it."""

    ids: dict[tuple[str, object], int] = field(default_factory=dict)
    rows: list[tuple[int, str, str, str]] = field(default_factory=list)  # id, name, key, profile
    genes: list[tuple[int, str]] = field(default_factory=list)
    categories: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, alt: AnyAlteration, profile: str) -> int:
        from tkiresist.interpret.serial import alteration_key
        from tkiresist.model.categories import categorize
        from tkiresist.nomenclature.alterations import format_alteration

        ident = (profile, alt)
        found = self.ids.get(ident)
        if found is not None:
            return found
        alt_id = len(self.rows) + 1
        self.ids[ident] = alt_id
        self.rows.append((alt_id, format_alteration(alt), alteration_key(alt), profile))
        for g in alt.genes or ("",):
            self.genes.append((alt_id, g))
        for c in sorted(categorize(alt)):
            self.categories.append((alt_id, c))
        return alt_id

    def raw(self, name: str, key: str, profile: str, gene: str) -> int:
        """An alteration that could not be parsed: kept under its text, never categorised."""
        ident = (profile, ("raw", key))
        found = self.ids.get(ident)
        if found is not None:
            return found
        alt_id = len(self.rows) + 1
        self.ids[ident] = alt_id
        self.rows.append((alt_id, name, key, profile))
        self.genes.append((alt_id, gene))
        return alt_id


@cache
def _gene(symbol: str) -> str:
    """The approved symbol, or the symbol as written when HGNC does not know it."""
    from tkiresist.nomenclature.genes import lookup

    try:
        return lookup(symbol.strip()).approved
    except ParseError:
        return symbol.strip()


def _maf_alteration(
    reg: _Registry, gene_text: str, protein: str, cdna: str, canonical: str, classification: str
) -> int:
    from pydantic import ValidationError

    from tkiresist.model.alterations import SequenceVariant
    from tkiresist.nomenclature.alterations import parse_alteration
    from tkiresist.nomenclature.variants import parse_protein_change

    gene = _gene(gene_text)
    if canonical and canonical not in NA_VALUES:
        try:
            alt = parse_alteration(canonical)
        except ParseError:
            alt = None
        if isinstance(alt, SequenceVariant):
            return reg.add(alt, PROFILE_MUTATIONS)
    if protein and protein not in NA_VALUES:
        try:
            change = parse_protein_change(protein)
            return reg.add(SequenceVariant(gene=gene, protein=change), PROFILE_MUTATIONS)
        except (ParseError, ValidationError):
            pass
    if cdna and cdna not in NA_VALUES:
        text = cdna.split(":", 1)[-1]
        try:
            return reg.add(SequenceVariant(gene=gene, cdna=text), PROFILE_MUTATIONS)
        except ValidationError:
            pass
    what = protein or cdna or classification or "unspecified"
    reg.warnings.append(f"MAF: {gene} {what!r} has no readable protein or c. change")
    return reg.raw(f"{gene} {what}", f"raw:{gene}:{what}", PROFILE_MUTATIONS, gene)


def _sv_alteration(reg: _Registry, site1: str, site2: str) -> int | None:
    from pydantic import ValidationError

    from tkiresist.model.alterations import Fusion
    from tkiresist.nomenclature.fusions import orient

    a = "" if site1 in NA_VALUES else _gene(site1)
    b = "" if site2 in NA_VALUES else _gene(site2)
    if not a and not b:
        return None
    if a == b:
        return reg.raw(f"{a} intragenic rearrangement", f"raw:sv:{a}", PROFILE_SV, a)
    try:
        if a and b:
            five, three, _ = orient(a, b)
            return reg.add(Fusion(five_prime=five, three_prime=three), PROFILE_SV)
        return reg.add(Fusion(three_prime=a or b), PROFILE_SV)
    except ValidationError:
        return reg.raw(f"{a}::{b}", f"raw:sv:{a}:{b}", PROFILE_SV, a or b)


def _cna_alteration(reg: _Registry, gene_text: str, value: int) -> int | None:
    from tkiresist.io.cbioportal import CNA_CHANGE
    from tkiresist.model.alterations import CopyNumber

    change = CNA_CHANGE.get(value)
    if change is None:
        return None
    return reg.add(CopyNumber(gene=_gene(gene_text), change=change), PROFILE_CNA)


def _histology_alteration(reg: _Registry, text: str, oncotree: str) -> int | None:
    from tkiresist.model.alterations import Histology
    from tkiresist.nomenclature.histology import try_parse_histology

    if text and text not in NA_VALUES:
        try:
            h = try_parse_histology(text)
        except ParseError:
            h = None
        if h is not None and h.histology.endswith("_transformation"):
            return reg.add(h, PROFILE_HISTOLOGY)
    kind = ONCOTREE_HISTOLOGY.get(oncotree.upper())
    if kind is not None:
        return reg.add(Histology(histology=kind), PROFILE_HISTOLOGY)
    return None


@dataclass(frozen=True, slots=True)
class _Agent:
    drug: str
    drug_class: str | None
    generation: int | None


def _agents(text: str, declared_class: str) -> tuple[list[_Agent], str | None]:
    """The drugs an AGENT cell names (a combination splits), or a warning."""
    from tkiresist.nomenclature import drugs
    from tkiresist.nomenclature.regimens import parse_regimen

    cell = text.strip()
    klass = declared_class.strip().lower() if declared_class else ""
    try:
        d = drugs.lookup(cell)
        return [_Agent(d.generic, d.drug_class.value, d.generation)], None
    except ParseError:
        pass
    try:
        regimen = parse_regimen(cell)
        out: list[_Agent] = []
        for name in regimen.drugs:
            d = drugs.lookup(name)
            out.append(_Agent(d.generic, d.drug_class.value, d.generation))
        return out, None
    except ParseError:
        pass
    known = {c.value for c in drugs.drug_classes()}
    if klass in known:
        return [_Agent(cell.lower(), klass, None)], None
    return [_Agent(cell.lower(), None, None)], f"agent {cell!r} is not in the drug dictionary"


# ---------------------------------------------------------------------------------------------
# Loading a study into DuckDB tables
# ---------------------------------------------------------------------------------------------


@dataclass
class LoadedStudy:
    """A study's tables in a DuckDB connection, ready for :func:`analyse`.

    Tables: ``samples`` (patient_id, sample_id, sample_type, oncotree, day), ``treatments``
    (patient_id, start_day, stop_day, agent, drug_class, generation, targeted),
    ``alterations`` (patient_id, sample_id, alt_id), ``coverage`` (patient_id, sample_id,
    profile, panel; ``*`` = every gene), ``gene_coverage`` (patient_id, sample_id, profile,
    gene), ``panel_genes`` (panel, gene), ``alt_info`` (alt_id, name, key, profile),
    ``alt_gene`` (alt_id, gene), ``alt_category`` (alt_id, category), and the knowledge tables
    of :func:`knowledge_tables`.
    """

    con: duckdb.DuckDBPyConnection
    layout: StudyLayout
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


INPUT_TABLES: Final = (
    "samples",
    "declared_drivers",
    "treatments",
    "alterations",
    "coverage",
    "gene_coverage",
)
"""Tables partitioned by patient (each has a ``patient_id`` column)."""
SHARED_TABLES: Final = (
    "panel_genes",
    "alt_info",
    "alt_gene",
    "alt_category",
    "kb_stmt",
    "kb_trigger",
    "kb_all",
    "kb_none",
    "kb_disease",
    "kb_class",
    "kb_generation",
)
"""Tables every partition needs whole (small)."""


def connect(options: CohortOptions = CohortOptions()) -> duckdb.DuckDBPyConnection:
    import duckdb

    con = duckdb.connect(":memory:")
    if options.threads:
        con.execute(f"SET threads = {int(options.threads)}")
    if options.memory_limit:
        con.execute(f"SET memory_limit = {_lit(options.memory_limit)}")
    con.execute("SET preserve_insertion_order = false")
    return con


def _arrow(rows: Sequence[tuple[Any, ...]], names: Sequence[str], types: Sequence[str]) -> pa.Table:
    import pyarrow as pa

    mapping = {"str": pa.string(), "int": pa.int64(), "bool": pa.bool_()}
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pa.table(
        {
            n: pa.array(list(c), type=mapping[t])
            for n, c, t in zip(names, columns, types, strict=True)
        }
    )


def _join_alterations(
    con: duckdb.DuckDBPyConnection,
    keys_table: str,
    mapping: Sequence[tuple[Any, ...]],
    key_columns: Sequence[str],
    key_types: Sequence[str],
) -> None:
    """Register ``mapping`` (distinct key -> alteration id) and add one ``raw_alterations``
    row per row of ``keys_table`` whose key maps, in one join (no Python loop over rows)."""
    name = f"{keys_table}_map"
    _register(con, name, _arrow(mapping, (*key_columns, "alt_id"), (*key_types, "int")))
    con.execute(
        f"INSERT INTO raw_alterations SELECT k.sample_id, m.alt_id FROM {keys_table} k "
        f"JOIN {name} m USING ({', '.join(key_columns)})"
    )
    con.execute(f"DROP TABLE {name}")


def _register(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    con.register(f"_{name}_arrow", table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _{name}_arrow")
    con.unregister(f"_{name}_arrow")


def load_study(
    root: Path, kb: KnowledgeBase | None = None, options: CohortOptions = CohortOptions()
) -> LoadedStudy:
    """Read and check the study at ``root`` into DuckDB tables (see :class:`LoadedStudy`).

    Raises :class:`StudyValidationError` (located problems) or FormatError for bad input.
    """
    layout = study_layout(Path(root))
    con = connect(options)
    study = LoadedStudy(con, layout)
    patients = _load_clinical(study)
    _load_timelines(study, patients)
    reg = _Registry()
    con.execute("CREATE OR REPLACE TEMP TABLE raw_alterations (sample_id VARCHAR, alt_id BIGINT)")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE gene_coverage_raw "
        "(sample_id VARCHAR, profile VARCHAR, gene VARCHAR)"
    )
    _load_mutations(study, reg)
    _load_sv(study, reg)
    _load_cna(study, reg)
    _load_histology(study, reg)
    _load_coverage(study)
    _register(
        con,
        "alt_info",
        _arrow(reg.rows, ("alt_id", "name", "key", "profile"), ("int", "str", "str", "str")),
    )
    _register(con, "alt_gene", _arrow(reg.genes, ("alt_id", "gene"), ("int", "str")))
    _register(con, "alt_category", _arrow(reg.categories, ("alt_id", "category"), ("int", "str")))
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE alterations AS
        SELECT DISTINCT s.patient_id, a.sample_id, a.alt_id
        FROM raw_alterations a JOIN samples s USING (sample_id)
        """
    )
    con.execute("DROP TABLE raw_alterations")
    unique_warnings = list(dict.fromkeys(reg.warnings))
    if unique_warnings:
        study.warnings.append(
            f"{len(unique_warnings)} distinct alteration(s) kept under their text, not "
            f"categorised; first: {unique_warnings[0]}"
        )
    install_knowledge(con, kb)
    study.counts["alterations_distinct"] = len(reg.rows)
    study.counts["alteration_rows"] = _scalar(con, "SELECT count(*) FROM alterations")
    return study


def _to_arrow(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    """The result of ``sql`` as an Arrow table (DuckDB 1.x and 2.x spell it differently)."""
    rel = con.sql(sql)
    if hasattr(rel, "to_arrow_table"):
        return rel.to_arrow_table()
    return rel.arrow()


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise StudyValidationError(problems[:MAX_PROBLEMS])


def _load_clinical(study: LoadedStudy) -> bool:
    """Load ``samples_raw`` (and check patients); True when a patient file defines patients."""
    con, layout = study.con, study.layout
    has_patients = False
    if layout.patient is not None:
        phead = _head(layout.data(layout.patient), "clinical patient")
        _require(phead, ("PATIENT_ID",), "clinical patient")
        keep_p = [
            "PATIENT_ID",
            *(["DRIVER_CATEGORY"] if "DRIVER_CATEGORY" in phead.columns else []),
        ]
        _load(con, "patients", phead, "clinical patient", keep_p)
        problems = _offenders(
            con,
            'SELECT "PATIENT_ID" FROM patients GROUP BY 1 HAVING count(*) > 1',
            phead,
            "PATIENT_ID",
            "patient {0!r} appears twice",
        )
        _raise(problems)
        has_patients = True
    shead = _head(layout.data(layout.sample), "clinical sample")
    _require(shead, ("PATIENT_ID", "SAMPLE_ID"), "clinical sample")
    keep = [
        c
        for c in ("PATIENT_ID", "SAMPLE_ID", "SAMPLE_TYPE", "ONCOTREE_CODE", "SAMPLE_HISTOLOGY")
        if c in shead.columns
    ]
    _load(con, "samples_raw", shead, "clinical sample", keep)
    problems = _offenders(
        con,
        'SELECT "SAMPLE_ID" FROM samples_raw GROUP BY 1 HAVING count(*) > 1',
        shead,
        "SAMPLE_ID",
        "sample {0!r} appears twice",
    )
    if has_patients:
        problems += _offenders(
            con,
            'SELECT s."PATIENT_ID", s."SAMPLE_ID" FROM samples_raw s '
            'ANTI JOIN patients p ON p."PATIENT_ID" = s."PATIENT_ID"',
            shead,
            "PATIENT_ID",
            "sample {1!r} references patient {0!r}, which the clinical patient file does not "
            "define",
            extra=("SAMPLE_ID",),
        )
    _raise(problems)
    col = {
        c: (_q(c) if c in shead.columns else "NULL")
        for c in ("SAMPLE_TYPE", "ONCOTREE_CODE", "SAMPLE_HISTOLOGY")
    }
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE samples_meta AS
        SELECT trim("PATIENT_ID") AS patient_id, trim("SAMPLE_ID") AS sample_id,
               lower(trim(coalesce({col["SAMPLE_TYPE"]}, ''))) AS sample_type,
               upper(trim(coalesce({col["ONCOTREE_CODE"]}, ''))) AS oncotree,
               trim(coalesce({col["SAMPLE_HISTOLOGY"]}, '')) AS histology
        FROM samples_raw
        """
    )
    con.execute("DROP TABLE samples_raw")
    declared: list[tuple[str, str]] = []
    if has_patients and "DRIVER_CATEGORY" in keep_p:
        declared = _declared_drivers(
            study,
            con.execute(
                'SELECT trim("PATIENT_ID"), trim("DRIVER_CATEGORY") FROM patients '
                "WHERE trim(coalesce(\"DRIVER_CATEGORY\", '')) NOT IN ('', 'NA')"
            ).fetchall(),
        )
    _register(con, "declared_drivers", _arrow(declared, ("patient_id", "category"), ("str", "str")))
    study.counts["samples"] = _scalar(con, "SELECT count(*) FROM samples_meta")
    study.counts["patients"] = _scalar(con, "SELECT count(DISTINCT patient_id) FROM samples_meta")
    return has_patients


def _declared_drivers(study: LoadedStudy, rows: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """(patient, category) for a declared driver, with its broader categories."""
    from tkiresist.model.categories import CATALOGUE

    out: list[tuple[str, str]] = []
    closure: dict[str, list[str]] = {}
    for patient, category in rows:
        if category not in closure:
            if category not in CATALOGUE:
                study.warnings.append(f"DRIVER_CATEGORY {category!r} is not a category id; ignored")
                closure[category] = []
            else:
                seen = [category]
                todo = [category]
                while todo:
                    for b in CATALOGUE[todo.pop()].broader:
                        if b not in seen:
                            seen.append(b)
                            todo.append(b)
                closure[category] = seen
        out.extend((patient, c) for c in closure[category])
    return out


def _load_timelines(study: LoadedStudy, has_patients: bool) -> None:
    con = study.con
    con.execute(
        "CREATE OR REPLACE TEMP TABLE tl_treat (patient_id VARCHAR, start_day INTEGER, "
        "stop_day INTEGER, agent VARCHAR, agent_class VARCHAR, line_no INTEGER)"
    )
    con.execute("CREATE OR REPLACE TEMP TABLE tl_specimen (sample_id VARCHAR, day INTEGER)")
    known = (
        "patients"
        if has_patients
        else '(SELECT DISTINCT patient_id AS "PATIENT_ID" FROM samples_meta)'
    )
    problems: list[Problem] = []
    for i, meta in enumerate(study.layout.timelines):
        head = _head(study.layout.data(meta), "timeline")
        if head.columns[:4] != TIMELINE_LEAD:
            raise FormatError(
                "a timeline file starts with the columns " + ", ".join(TIMELINE_LEAD),
                Location(file=str(head.path), line=head.header_line, column=1),
            )
        table = f"tl_{i}"
        _load(con, table, head, "timeline")
        problems += _offenders(
            con,
            f'SELECT "START_DATE" FROM {table} '
            'WHERE TRY_CAST(trim("START_DATE") AS INTEGER) IS NULL',
            head,
            "START_DATE",
            "START_DATE: expected whole days from diagnosis, found {0!r}",
        )
        problems += _offenders(
            con,
            f"SELECT \"STOP_DATE\" FROM {table} WHERE trim(coalesce(\"STOP_DATE\", '')) <> '' "
            'AND TRY_CAST(trim("STOP_DATE") AS INTEGER) IS NULL',
            head,
            "STOP_DATE",
            "STOP_DATE: expected whole days from diagnosis or blank, found {0!r}",
        )
        problems += _offenders(
            con,
            f'SELECT "STOP_DATE", "START_DATE", "PATIENT_ID" FROM {table} '
            'WHERE TRY_CAST(trim("STOP_DATE") AS INTEGER) '
            '< TRY_CAST(trim("START_DATE") AS INTEGER)',
            head,
            "STOP_DATE",
            "STOP_DATE {0} is before START_DATE {1} (patient {2!r})",
            extra=("START_DATE", "PATIENT_ID"),
        )
        problems += _offenders(
            con,
            f'SELECT t."PATIENT_ID" FROM {table} t ANTI JOIN {known} k '
            'ON k."PATIENT_ID" = trim(t."PATIENT_ID")',
            head,
            "PATIENT_ID",
            "patient {0!r} is not defined in the clinical files",
        )
        if "SAMPLE_ID" in head.columns:
            problems += _offenders(
                con,
                f'SELECT t."SAMPLE_ID" FROM {table} t ANTI JOIN samples_meta s '
                'ON s.sample_id = trim(t."SAMPLE_ID") '
                "WHERE trim(coalesce(t.\"SAMPLE_ID\", '')) <> ''",
                head,
                "SAMPLE_ID",
                "sample {0!r} is not defined in the clinical sample file",
            )
        if problems:
            continue
        etype = 'upper(trim("EVENT_TYPE"))'
        if "AGENT" in head.columns:
            klass = '"AGENT_CLASS"' if "AGENT_CLASS" in head.columns else "NULL"
            ttype = '"TREATMENT_TYPE"' if "TREATMENT_TYPE" in head.columns else "''"
            line_no = 'TRY_CAST(trim("LINE") AS INTEGER)' if "LINE" in head.columns else "NULL"
            con.execute(
                f"""
                INSERT INTO tl_treat
                SELECT trim("PATIENT_ID"), CAST(trim("START_DATE") AS INTEGER),
                       TRY_CAST(trim("STOP_DATE") AS INTEGER), trim("AGENT"),
                       trim(coalesce({klass}, '')), {line_no}
                FROM {table}
                WHERE {etype} = 'TREATMENT' AND trim(coalesce("AGENT", '')) NOT IN ('', 'NA')
                  AND NOT {radiation_sql(ttype, klass)}
                """
            )
        if "SAMPLE_ID" in head.columns:
            kinds = ", ".join(_lit(k) for k in SPECIMEN_EVENTS)
            con.execute(
                f"""
                INSERT INTO tl_specimen
                SELECT trim("SAMPLE_ID"), CAST(trim("START_DATE") AS INTEGER) FROM {table}
                WHERE {etype} IN ({kinds}) AND trim(coalesce("SAMPLE_ID", '')) <> ''
                """
            )
        con.execute(f"DROP TABLE {table}")
    _raise(problems)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE samples AS
        SELECT m.patient_id, m.sample_id, m.sample_type, m.oncotree, m.histology,
               d.day
        FROM samples_meta m LEFT JOIN (
            SELECT sample_id, min(day) AS day FROM tl_specimen GROUP BY sample_id
        ) d USING (sample_id)
        """
    )
    undated = _scalar(con, "SELECT count(*) FROM samples WHERE day IS NULL")
    if undated:
        study.warnings.append(
            f"{undated} sample(s) have no SPECIMEN timeline event: their day is unknown, so they "
            "are used neither as baseline nor as progression samples"
        )
    # agents: distinct (text, class) looked up once each
    distinct = con.execute("SELECT DISTINCT agent, agent_class FROM tl_treat").fetchall()
    rows: list[tuple[str, str, str, str | None, int | None, bool]] = []
    unknown: list[str] = []
    for text, declared in distinct:
        agents, warning = _agents(text, declared or "")
        if warning:
            unknown.append(warning)
        for a in agents:
            rows.append(
                (
                    text,
                    declared,
                    a.drug,
                    a.drug_class,
                    a.generation,
                    a.drug_class in TARGETED_CLASSES,
                )
            )
    if unknown:
        study.warnings.append(
            f"{len(unknown)} agent name(s) not in the drug dictionary (not counted as targeted "
            f"therapy); first: {unknown[0]}"
        )
    _register(
        con,
        "agent_map",
        _arrow(
            [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows],
            ("agent_text", "declared", "drug", "drug_class", "generation", "targeted"),
            ("str", "str", "str", "str", "int", "bool"),
        ),
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE treatments AS
        SELECT DISTINCT t.patient_id, t.start_day, t.stop_day, m.drug AS agent, m.drug_class,
               m.generation, m.targeted, t.line_no
        FROM tl_treat t JOIN agent_map m
          ON m.agent_text = t.agent AND m.declared IS NOT DISTINCT FROM t.agent_class
        """
    )
    con.execute("DROP TABLE tl_treat; DROP TABLE tl_specimen; DROP TABLE samples_meta")


def _unknown_samples(
    con: duckdb.DuckDBPyConnection, table: str, column: str, head: _Head
) -> list[Problem]:
    return _offenders(
        con,
        f"SELECT t.{_q(column)} FROM {table} t "
        f"ANTI JOIN samples s ON s.sample_id = trim(t.{_q(column)})",
        head,
        column,
        "sample {0!r} is not defined in the clinical sample file",
    )


def _load_mutations(study: LoadedStudy, reg: _Registry) -> None:
    meta = study.layout.mutations
    if meta is None:
        return
    con = study.con
    head = _head(study.layout.data(meta), "MAF")
    _require(head, ("Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification"), "MAF")
    protein = next(
        (c for c in ("HGVSp_Short", "HGVSp", "Amino_Acid_Change") if c in head.columns), None
    )
    if protein is None:
        raise FormatError(
            "missing required column 'HGVSp_Short' (or HGVSp / Amino_Acid_Change) in the MAF "
            "header",
            Location(file=str(head.path), line=head.header_line, field="HGVSp_Short"),
        )
    optional = [c for c in ("HGVSc", "TKIRESIST_ALTERATION") if c in head.columns]
    _load(
        con,
        "maf",
        head,
        "MAF",
        ["Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification", protein, *optional],
    )
    _raise(_unknown_samples(con, "maf", "Tumor_Sample_Barcode", head))
    filtered = ", ".join(_lit(c) for c in FILTERED_CLASSIFICATIONS)
    cdna = '"HGVSc"' if "HGVSc" in optional else "''"
    canon = '"TKIRESIST_ALTERATION"' if "TKIRESIST_ALTERATION" in optional else "''"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE maf_k AS
        SELECT trim("Tumor_Sample_Barcode") AS sample_id,
               trim(coalesce("Hugo_Symbol", '')) AS g,
               trim(coalesce({_q(protein)}, '')) AS p,
               trim(coalesce({cdna}, '')) AS c,
               trim(coalesce({canon}, '')) AS k,
               trim(coalesce("Variant_Classification", '')) AS vc
        FROM maf WHERE trim(coalesce("Variant_Classification", '')) NOT IN ({filtered})
        """
    )
    con.execute("DROP TABLE maf")
    mapping = [
        (g, p, c, k, vc, _maf_alteration(reg, g, p, c, k, vc))
        for g, p, c, k, vc in con.execute("SELECT DISTINCT g, p, c, k, vc FROM maf_k").fetchall()
    ]
    _join_alterations(con, "maf_k", mapping, ("g", "p", "c", "k", "vc"), ("str",) * 5)
    study.counts["maf_rows"] = _scalar(con, "SELECT count(*) FROM maf_k")
    con.execute("DROP TABLE maf_k")


def _load_sv(study: LoadedStudy, reg: _Registry) -> None:
    meta = study.layout.sv
    if meta is None:
        return
    con = study.con
    head = _head(study.layout.data(meta), "SV")
    _require(head, ("Sample_Id",), "SV")
    sites = [c for c in ("Site1_Hugo_Symbol", "Site2_Hugo_Symbol") if c in head.columns]
    if not sites:
        raise FormatError(
            "an SV file needs Site1_Hugo_Symbol or Site2_Hugo_Symbol",
            Location(file=str(head.path), line=head.header_line),
        )
    status = ["SV_Status"] if "SV_Status" in head.columns else []
    _load(con, "sv", head, "SV", ["Sample_Id", *sites, *status])
    _raise(_unknown_samples(con, "sv", "Sample_Id", head))
    s1 = '"Site1_Hugo_Symbol"' if "Site1_Hugo_Symbol" in sites else "''"
    s2 = '"Site2_Hugo_Symbol"' if "Site2_Hugo_Symbol" in sites else "''"
    germline = "AND upper(trim(coalesce(\"SV_Status\", ''))) <> 'GERMLINE'" if status else ""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE sv_k AS
        SELECT trim("Sample_Id") AS sample_id, trim(coalesce({s1}, '')) AS a,
               trim(coalesce({s2}, '')) AS b
        FROM sv WHERE true {germline}
        """
    )
    con.execute("DROP TABLE sv")
    mapping = []
    for a, b in con.execute("SELECT DISTINCT a, b FROM sv_k").fetchall():
        alt_id = _sv_alteration(reg, a, b)
        if alt_id is not None:
            mapping.append((a, b, alt_id))
    _join_alterations(con, "sv_k", mapping, ("a", "b"), ("str", "str"))
    study.counts["sv_rows"] = _scalar(con, "SELECT count(*) FROM sv_k")
    con.execute("DROP TABLE sv_k")


def _load_cna(study: LoadedStudy, reg: _Registry) -> None:
    meta = study.layout.cna
    if meta is None:
        return
    con = study.con
    head = _head(study.layout.data(meta), "CNA")
    if meta.kind[1] == "DISCRETE_LONG":
        _require(head, ("Hugo_Symbol", "Sample_Id", "Value"), "CNA")
        _load(con, "cna", head, "CNA", ["Hugo_Symbol", "Sample_Id", "Value"])
        _raise(_unknown_samples(con, "cna", "Sample_Id", head))
        con.execute(
            'CREATE OR REPLACE TEMP TABLE cna_long AS SELECT trim("Hugo_Symbol") AS g, '
            'trim("Sample_Id") AS sample_id, trim(coalesce("Value", \'\')) AS v FROM cna'
        )
    else:
        _require(head, ("Hugo_Symbol",), "CNA")
        sample_cols = [
            c for c in head.columns if c not in ("Hugo_Symbol", "Entrez_Gene_Id", "Cytoband")
        ]
        known = {r[0] for r in con.execute("SELECT sample_id FROM samples").fetchall()}
        problems = [
            Problem(
                f"sample {c!r} is not defined in the clinical sample file",
                head.loc(c, head.header_line),
            )
            for c in sample_cols
            if c not in known
        ]
        _raise(problems)
        _load(con, "cna", head, "CNA", ["Hugo_Symbol", *sample_cols])
        if sample_cols:
            cols = ", ".join(_q(c) for c in sample_cols)
            con.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE cna_long AS
                SELECT trim("Hugo_Symbol") AS g, sample_id, trim(coalesce(v, '')) AS v
                FROM cna UNPIVOT INCLUDE NULLS (v FOR sample_id IN ({cols}))
                """
            )
        else:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE cna_long (g VARCHAR, sample_id VARCHAR, v VARCHAR)"
            )
    con.execute("DROP TABLE cna")
    na = ", ".join(_lit(v) for v in NA_VALUES)
    bad = con.execute(
        f"SELECT g, sample_id, v FROM cna_long WHERE v NOT IN ({na}) "
        "AND TRY_CAST(v AS DOUBLE) NOT IN (-2, -1.5, -1, 0, 1, 2) "
        "OR (v NOT IN (" + na + ") AND TRY_CAST(v AS DOUBLE) IS NULL) LIMIT 20"
    ).fetchall()
    if bad:
        problems = []
        for g, sample, value in bad:
            if meta.kind[1] == "DISCRETE_LONG":
                line = _line_of(head, {"Hugo_Symbol": g, "Sample_Id": sample, "Value": value})
                loc = head.loc("Value", line)
            else:
                line = _line_of(head, {"Hugo_Symbol": g, sample: value})
                loc = head.loc(sample, line)
            problems.append(Problem(f"CNA value {value!r}: expected -2, -1, 0, 1, 2 or NA", loc))
        _raise(problems)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE cna_v AS
        SELECT g, sample_id, CAST(round(CAST(v AS DOUBLE)) AS INTEGER) AS v
        FROM cna_long WHERE v NOT IN ({na})
        """
    )
    con.execute("DROP TABLE cna_long")
    mapping = []
    for g, v in con.execute("SELECT DISTINCT g, v FROM cna_v WHERE v <> 0").fetchall():
        alt_id = _cna_alteration(reg, g, v)
        if alt_id is not None:
            mapping.append((g, v, alt_id))
    _join_alterations(con, "cna_v", mapping, ("g", "v"), ("str", "int"))
    genes = con.execute("SELECT DISTINCT g FROM cna_v").fetchall()
    _register(
        con, "cna_genes", _arrow([(g, _gene(g)) for (g,) in genes], ("g", "gene"), ("str", "str"))
    )
    con.execute(
        f"INSERT INTO gene_coverage_raw SELECT c.sample_id, {_lit(PROFILE_CNA)}, n.gene "
        "FROM cna_v c JOIN cna_genes n USING (g)"
    )
    study.counts["cna_calls"] = _scalar(con, "SELECT count(*) FROM cna_v WHERE v <> 0")
    con.execute("DROP TABLE cna_v; DROP TABLE cna_genes")


def _load_histology(study: LoadedStudy, reg: _Registry) -> None:
    con = study.con
    mapping = []
    for text, code in con.execute("SELECT DISTINCT histology, oncotree FROM samples").fetchall():
        alt_id = _histology_alteration(reg, text or "", code or "")
        if alt_id is not None:
            mapping.append((text, code, alt_id))
    _register(
        con, "hist_map", _arrow(mapping, ("histology", "oncotree", "alt_id"), ("str", "str", "int"))
    )
    con.execute(
        "INSERT INTO raw_alterations SELECT s.sample_id, m.alt_id FROM samples s "
        "JOIN hist_map m USING (histology, oncotree)"
    )
    con.execute("DROP TABLE hist_map")


def _panel_definitions(root: Path) -> dict[str, tuple[Path, list[str]]]:
    out: dict[str, tuple[Path, list[str]]] = {}
    for path in sorted(root.glob("data_gene_panel_*")):
        if path.name == MATRIX_FILE:
            continue
        meta = read_meta(path)
        stable = meta.require("stable_id")
        genes = [g.strip() for g in meta.require("gene_list").split("\t") if g.strip()]
        out[stable] = (path, genes)
    return out


def _case_list(layout: StudyLayout, suffix: str) -> list[str] | None:
    folder = layout.root / CASE_LISTS
    if not folder.is_dir():
        return None
    wanted = f"{layout.identifier}_{suffix}"
    for path in sorted(folder.glob("*.txt")):
        meta = read_meta(path)
        if meta.get("stable_id") == wanted:
            return [s.strip() for s in (meta.get("case_list_ids") or "").split("\t") if s.strip()]
    return None


def _load_coverage(study: LoadedStudy) -> None:
    """``coverage`` (sample, profile, panel) and ``panel_genes`` from the gene panel matrix,
    the meta files' ``gene_panel`` property and the case lists (see the module docstring)."""
    con, layout = study.con, study.layout
    panels = _panel_definitions(layout.root)
    rows: list[tuple[str, str, str]] = []  # sample, profile, panel
    profiles: dict[str, MetaFile] = {}
    for meta in (layout.mutations, layout.sv, layout.cna):
        if meta is not None:
            profiles[meta.require("stable_id")] = meta
    kind_of = {}
    if layout.mutations is not None:
        kind_of[layout.mutations.require("stable_id")] = PROFILE_MUTATIONS
    if layout.sv is not None:
        kind_of[layout.sv.require("stable_id")] = PROFILE_SV
    if layout.cna is not None:
        kind_of[layout.cna.require("stable_id")] = PROFILE_CNA
    suffix = {PROFILE_MUTATIONS: "sequenced", PROFILE_SV: "sv", PROFILE_CNA: "cna"}
    all_samples = [r[0] for r in con.execute("SELECT sample_id FROM samples").fetchall()]
    matrix_cols: set[str] = set()
    problems: list[Problem] = []
    if layout.matrix is not None:
        head = _head(layout.data(layout.matrix), "gene panel matrix")
        _require(head, ("SAMPLE_ID",), "gene panel matrix")
        matrix_cols = {c for c in head.columns[1:] if c in kind_of}
        _load(con, "matrix", head, "gene panel matrix")
        _raise(_unknown_samples(con, "matrix", "SAMPLE_ID", head))
        for stable in sorted(matrix_cols):
            profile = kind_of[stable]
            listed_set = set(_case_list(layout, suffix[profile]) or ())
            for sample, panel in con.execute(
                f"SELECT trim(\"SAMPLE_ID\"), trim(coalesce({_q(stable)}, '')) FROM matrix"
            ).fetchall():
                if panel in NA_VALUES:
                    if sample in listed_set and profile != PROFILE_CNA:
                        rows.append((sample, profile, "*"))
                elif panel in WHOLE_GENOME_PANELS:
                    rows.append((sample, profile, "*"))
                elif panel in panels:
                    rows.append((sample, profile, panel))
                elif len(problems) < MAX_PROBLEMS:
                    line = _line_of(head, {"SAMPLE_ID": sample, stable: panel})
                    problems.append(
                        Problem(
                            f"gene panel {panel!r} has no definition (data_gene_panel_*.txt with "
                            f"'stable_id: {panel}')",
                            head.loc(stable, line),
                        )
                    )
        con.execute("DROP TABLE matrix")
    _raise(problems)
    for stable, meta in profiles.items():
        if stable in matrix_cols:
            continue
        profile = kind_of[stable]
        listed = _case_list(layout, suffix[profile])
        fixed = meta.get("gene_panel")
        if fixed:
            if fixed not in panels and fixed not in WHOLE_GENOME_PANELS:
                raise FormatError(
                    f"gene panel {fixed!r} has no definition (data_gene_panel_*.txt)",
                    meta.loc("gene_panel"),
                )
            panel = "*" if fixed in WHOLE_GENOME_PANELS else fixed
            rows.extend(
                (s, profile, panel) for s in (listed if listed is not None else all_samples)
            )
        elif profile == PROFILE_CNA:
            continue  # the CNA table itself says which genes each sample covered
        elif listed is not None:
            rows.extend((s, profile, "*") for s in listed)
        else:
            study.warnings.append(
                f"profile {stable!r}: no gene panel and no case list; every sample is taken as "
                "profiled genome-wide"
            )
            rows.extend((s, profile, "*") for s in all_samples)
    # histology: every sample with an OncoTree code or a histology was assessed for it
    con.execute(
        "INSERT INTO gene_coverage_raw SELECT sample_id, 'histology', '' FROM samples "
        "WHERE oncotree <> '' OR histology <> ''"
    )
    _register(
        con, "coverage_raw", _arrow(rows, ("sample_id", "profile", "panel"), ("str", "str", "str"))
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE coverage AS
        SELECT DISTINCT s.patient_id, c.sample_id, c.profile, c.panel
        FROM coverage_raw c JOIN samples s USING (sample_id);
        CREATE OR REPLACE TEMP TABLE gene_coverage AS
        SELECT DISTINCT s.patient_id, c.sample_id, c.profile, c.gene
        FROM gene_coverage_raw c JOIN samples s USING (sample_id);
        DROP TABLE coverage_raw; DROP TABLE gene_coverage_raw;
        """
    )
    pg = [(p, _gene(g)) for p, (_path, genes) in panels.items() for g in genes]
    _register(con, "panel_genes", _arrow(pg, ("panel", "gene"), ("str", "str")))


# ---------------------------------------------------------------------------------------------
# Knowledge as tables
# ---------------------------------------------------------------------------------------------


def knowledge_rows(
    kb: KnowledgeBase,
) -> dict[str, tuple[tuple[str, ...], tuple[str, ...], list[tuple[Any, ...]]]]:
    """The knowledge base's mechanism statements as rows: name -> (columns, types, rows)."""
    from tkiresist.interpret.mechanisms import names_mechanism
    from tkiresist.knowledge.applies import NSCLC_CODES

    stmt: list[tuple[Any, ...]] = []
    trig: list[tuple[Any, ...]] = []
    all_of: list[tuple[Any, ...]] = []
    none_of: list[tuple[Any, ...]] = []
    disease: list[tuple[Any, ...]] = []
    klass: list[tuple[Any, ...]] = []
    gen: list[tuple[Any, ...]] = []
    for st in kb.statements:
        if st.match.fallback or not names_mechanism(st):
            continue
        c = st.context
        assert st.meaning.mechanism_class is not None
        stmt.append(
            (
                st.id,
                st.meaning.label,
                st.meaning.mechanism_class.value,
                c.driver,
                c.driver_state.value,
            )
        )
        trig.extend((st.id, x) for x in st.match.any_of)
        all_of.extend((st.id, x) for x in st.match.all_of)
        none_of.extend((st.id, x) for x in st.match.none_of)
        codes = set(st.disease)
        if "NSCLC" in codes:
            codes |= NSCLC_CODES
        disease.extend((st.id, x) for x in sorted(codes))
        klass.extend((st.id, x) for x in c.prior_drug_classes)
        gen.extend((st.id, int(g)) for g in (c.prior_generations or ()))
    pair = (("statement_id", "category"), ("str", "str"))
    return {
        "kb_stmt": (
            ("statement_id", "label", "mechanism_class", "driver", "driver_state"),
            ("str",) * 5,
            stmt,
        ),
        "kb_trigger": (*pair, trig),
        "kb_all": (*pair, all_of),
        "kb_none": (*pair, none_of),
        "kb_disease": (("statement_id", "code"), ("str", "str"), disease),
        "kb_class": (("statement_id", "drug_class"), ("str", "str"), klass),
        "kb_generation": (("statement_id", "generation"), ("str", "int"), gen),
    }


def install_knowledge(con: duckdb.DuckDBPyConnection, kb: KnowledgeBase | None = None) -> None:
    if kb is None:
        from tkiresist.knowledge.loader import load_knowledge_base

        kb = load_knowledge_base()
    for name, (cols, types, rows) in knowledge_rows(kb).items():
        _register(con, name, _arrow(rows, cols, types))


# ---------------------------------------------------------------------------------------------
# The analysis: one function, the same on one machine and on each partition
# ---------------------------------------------------------------------------------------------

PATIENT_COLUMNS: Final = (
    "patient_id",
    "prior_drug",
    "prior_drug_classes",
    "prior_generations",
    "therapy_start_day",
    "progression_sample",
    "progression_day",
    "months_from_therapy_start",
    "baseline_samples",
    "assessable",
    "driver_state",
    "acquired",
    "n_persistent",
    "n_not_assessable",
    "mechanisms",
    "mechanism_categories",
)


def _core_sql(max_gap_days: int) -> str:
    from tkiresist.knowledge.applies import DRIVER_CATEGORIES

    progression = ", ".join(_lit(t) for t in sorted(PROGRESSION_SAMPLE_TYPES))
    drivers = ", ".join(_lit(c) for c in DRIVER_CATEGORIES)
    gap = int(max_gap_days)
    return f"""
WITH
-- 1-2. progression samples and the targeted line in effect
cand AS (
  SELECT s.patient_id, s.sample_id, s.day, t.start_day, coalesce(t.line_no, -1) AS line_no,
         t.agent, t.drug_class, t.generation
  FROM samples s JOIN treatments t
    ON t.patient_id = s.patient_id AND t.targeted AND t.start_day < s.day
   AND (t.stop_day IS NULL OR t.stop_day >= s.day - {gap})
  WHERE s.sample_type IN ({progression}) AND s.day IS NOT NULL
),
-- the line: the latest start; among equal starts the highest LINE number, when given
line_start AS (
  SELECT patient_id, sample_id, day, arg_max(start_day, (start_day, line_no)) AS start_day,
         max((start_day, line_no)) AS pick
  FROM cand GROUP BY ALL
),
prog AS (
  SELECT * FROM line_start
  QUALIFY row_number() OVER (PARTITION BY patient_id ORDER BY day DESC, sample_id DESC) = 1
),
prior AS (
  SELECT c.patient_id, c.agent, c.drug_class, c.generation
  FROM cand c JOIN prog p
    ON p.patient_id = c.patient_id AND p.sample_id = c.sample_id
   AND (c.start_day, c.line_no) = p.pick
),
prior_label AS (
  SELECT patient_id,
         string_agg(DISTINCT agent, '+' ORDER BY agent) AS prior_drug,
         string_agg(DISTINCT drug_class, ',' ORDER BY drug_class) AS prior_drug_classes,
         string_agg(DISTINCT CAST(generation AS VARCHAR), ',' ORDER BY CAST(generation AS VARCHAR))
           AS prior_generations
  FROM prior GROUP BY patient_id
),
-- 3. baseline samples
baseline AS (
  SELECT s.patient_id, s.sample_id, s.day
  FROM samples s JOIN prog p ON p.patient_id = s.patient_id
  WHERE s.day IS NOT NULL AND s.day <= p.start_day AND s.sample_id <> p.sample_id
),
base_alt AS (
  SELECT DISTINCT b.patient_id, i.key, a.alt_id
  FROM baseline b JOIN alterations a ON a.patient_id = b.patient_id AND a.sample_id = b.sample_id
  JOIN alt_info i ON i.alt_id = a.alt_id
),
-- 4. progression alterations and their status
prog_alt AS (
  SELECT p.patient_id, a.alt_id, i.key, i.name, i.profile
  FROM prog p JOIN alterations a ON a.patient_id = p.patient_id AND a.sample_id = p.sample_id
  JOIN alt_info i ON i.alt_id = a.alt_id
),
fresh AS (
  SELECT pa.* FROM prog_alt pa
  ANTI JOIN (SELECT DISTINCT patient_id, key FROM base_alt) k
    ON k.patient_id = pa.patient_id AND k.key = pa.key
),
covered AS (
  SELECT DISTINCT f.patient_id, f.alt_id
  FROM fresh f JOIN baseline b ON b.patient_id = f.patient_id
  JOIN coverage c ON c.patient_id = b.patient_id AND c.sample_id = b.sample_id
                 AND c.profile = f.profile
  JOIN alt_gene g ON g.alt_id = f.alt_id
  LEFT JOIN panel_genes pg ON pg.panel = c.panel AND pg.gene = g.gene
  WHERE c.panel = '*' OR pg.gene IS NOT NULL
  UNION
  SELECT DISTINCT f.patient_id, f.alt_id
  FROM fresh f JOIN baseline b ON b.patient_id = f.patient_id
  JOIN alt_gene g ON g.alt_id = f.alt_id
  JOIN gene_coverage gc ON gc.patient_id = b.patient_id AND gc.sample_id = b.sample_id
                       AND gc.profile = f.profile AND gc.gene = g.gene
),
acquired AS (
  SELECT f.* FROM fresh f SEMI JOIN covered c ON c.patient_id = f.patient_id AND c.alt_id = f.alt_id
),
persistent AS (
  SELECT pa.patient_id, pa.alt_id FROM prog_alt pa
  SEMI JOIN (SELECT DISTINCT patient_id, key FROM base_alt) k
    ON k.patient_id = pa.patient_id AND k.key = pa.key
),
-- 5. the original driver and its state
base_driver AS (
  SELECT DISTINCT b.patient_id, b.key, b.alt_id
  FROM base_alt b JOIN alt_category c ON c.alt_id = b.alt_id
  WHERE c.category IN ({drivers})
),
prog_driver AS (
  SELECT DISTINCT pa.patient_id, pa.key, pa.alt_id
  FROM prog_alt pa JOIN alt_category c ON c.alt_id = pa.alt_id
  WHERE c.category IN ({drivers})
),
original AS (
  SELECT patient_id, key, alt_id, true AS from_baseline FROM base_driver
  UNION ALL
  SELECT d.patient_id, d.key, d.alt_id, false FROM prog_driver d
  ANTI JOIN base_driver b ON b.patient_id = d.patient_id
),
driver_cats AS (
  SELECT DISTINCT o.patient_id, c.category
  FROM original o JOIN alt_category c ON c.alt_id = o.alt_id
  UNION
  SELECT d.patient_id, d.category FROM declared_drivers d
  ANTI JOIN original o ON o.patient_id = d.patient_id
),
driver_covered AS (
  SELECT DISTINCT o.patient_id
  FROM original o JOIN prog p ON p.patient_id = o.patient_id
  JOIN alt_info i ON i.alt_id = o.alt_id
  JOIN alt_gene g ON g.alt_id = o.alt_id
  JOIN coverage c ON c.patient_id = p.patient_id AND c.sample_id = p.sample_id
                 AND c.profile = i.profile
  LEFT JOIN panel_genes pg ON pg.panel = c.panel AND pg.gene = g.gene
  WHERE c.panel = '*' OR pg.gene IS NOT NULL
),
drv AS (
  SELECT p.patient_id, count(o.key) AS n_original, bool_or(o.from_baseline) AS from_baseline,
         bool_or(pk.key IS NOT NULL) AS kept
  FROM prog p LEFT JOIN original o ON o.patient_id = p.patient_id
  LEFT JOIN (SELECT DISTINCT patient_id, key FROM prog_alt) pk
    ON pk.patient_id = o.patient_id AND pk.key = o.key
  GROUP BY p.patient_id
),
driver_state AS (
  SELECT d.patient_id,
    CASE
      WHEN d.n_original = 0 AND d.patient_id IN (SELECT patient_id FROM declared_drivers)
        THEN 'unknown'
      WHEN d.n_original = 0 THEN 'none'
      WHEN NOT d.from_baseline THEN 'unknown'
      WHEN d.kept THEN 'persistent'
      WHEN dc.patient_id IS NOT NULL THEN 'lost'
      ELSE 'unknown'
    END AS driver_state
  FROM drv d LEFT JOIN driver_covered dc ON dc.patient_id = d.patient_id
),
-- 6. mechanisms
present AS (
  SELECT DISTINCT pa.patient_id, c.category
  FROM prog_alt pa JOIN alt_category c ON c.alt_id = pa.alt_id
),
patient_code AS (
  SELECT patient_id, first(oncotree ORDER BY day NULLS LAST, sample_id) AS oncotree
  FROM samples WHERE oncotree <> '' GROUP BY patient_id
),
hits AS (
  SELECT a.patient_id, a.alt_id, a.name, t.statement_id, t.category
  FROM acquired a
  JOIN alt_category ac ON ac.alt_id = a.alt_id
  JOIN kb_trigger t ON t.category = ac.category
  ANTI JOIN original o ON o.patient_id = a.patient_id AND o.key = a.key
),
fired AS (
  SELECT h.* FROM hits h
  JOIN kb_stmt st ON st.statement_id = h.statement_id
  JOIN driver_state ds ON ds.patient_id = h.patient_id
  WHERE NOT EXISTS (
          SELECT 1 FROM kb_all x WHERE x.statement_id = h.statement_id
          AND NOT EXISTS (SELECT 1 FROM present pr
                          WHERE pr.patient_id = h.patient_id AND pr.category = x.category))
    AND NOT EXISTS (
          SELECT 1 FROM kb_none x JOIN present pr
            ON pr.patient_id = h.patient_id AND pr.category = x.category
          WHERE x.statement_id = h.statement_id)
    AND EXISTS (
          SELECT 1 FROM kb_disease d JOIN patient_code pc ON pc.oncotree = d.code
          WHERE d.statement_id = h.statement_id AND pc.patient_id = h.patient_id)
    AND EXISTS (
          SELECT 1 FROM kb_class k JOIN prior pr
            ON pr.patient_id = h.patient_id AND pr.drug_class = k.drug_class
          WHERE k.statement_id = h.statement_id)
    AND (NOT EXISTS (SELECT 1 FROM kb_generation g WHERE g.statement_id = h.statement_id)
         OR EXISTS (SELECT 1 FROM kb_generation g JOIN prior pr
                      ON pr.patient_id = h.patient_id AND pr.generation = g.generation
                    WHERE g.statement_id = h.statement_id))
    AND (st.driver IS NULL OR EXISTS (
          SELECT 1 FROM driver_cats dc
          WHERE dc.patient_id = h.patient_id AND dc.category = st.driver))
    AND (st.driver_state = 'any'
         OR (st.driver_state = 'persistent' AND ds.driver_state IN ('persistent', 'unknown'))
         OR (st.driver_state = 'lost' AND ds.driver_state IN ('lost', 'unknown')))
),
acq_list AS (
  SELECT patient_id, list(DISTINCT name ORDER BY name) AS acquired
  FROM acquired GROUP BY patient_id
),
mech_list AS (
  SELECT patient_id, list(DISTINCT statement_id ORDER BY statement_id) AS mechanisms,
         list(DISTINCT category ORDER BY category) AS mechanism_categories
  FROM fired GROUP BY patient_id
),
base_list AS (
  SELECT patient_id, list(sample_id ORDER BY day, sample_id) AS baseline_samples
  FROM baseline GROUP BY patient_id
),
counts AS (
  SELECT p.patient_id,
         (SELECT count(DISTINCT x.alt_id) FROM persistent x WHERE x.patient_id = p.patient_id)
           AS n_persistent,
         (SELECT count(DISTINCT x.alt_id) FROM fresh x WHERE x.patient_id = p.patient_id)
           AS n_fresh,
         (SELECT count(DISTINCT x.alt_id) FROM acquired x WHERE x.patient_id = p.patient_id)
           AS n_acquired
  FROM prog p
)
SELECT p.patient_id, l.prior_drug, l.prior_drug_classes, l.prior_generations,
       p.start_day AS therapy_start_day, p.sample_id AS progression_sample,
       p.day AS progression_day,
       (p.day - p.start_day) / {DAYS_PER_MONTH!r} AS months_from_therapy_start,
       coalesce(bl.baseline_samples, []) AS baseline_samples,
       bl.baseline_samples IS NOT NULL AS assessable,
       ds.driver_state,
       coalesce(al.acquired, []) AS acquired,
       ct.n_persistent,
       ct.n_fresh - ct.n_acquired AS n_not_assessable,
       coalesce(ml.mechanisms, []) AS mechanisms,
       coalesce(ml.mechanism_categories, []) AS mechanism_categories
FROM prog p
JOIN prior_label l ON l.patient_id = p.patient_id
JOIN driver_state ds ON ds.patient_id = p.patient_id
LEFT JOIN base_list bl ON bl.patient_id = p.patient_id
LEFT JOIN acq_list al ON al.patient_id = p.patient_id
LEFT JOIN mech_list ml ON ml.patient_id = p.patient_id
JOIN counts ct ON ct.patient_id = p.patient_id
ORDER BY p.patient_id
"""


def analyse(con: duckdb.DuckDBPyConnection, max_gap_days: int = 90) -> pa.Table:
    """The per-patient table (:data:`PATIENT_COLUMNS`) from the tables in ``con`` (steps 1-6
    of the module docstring). Pure SQL over the input and knowledge tables."""
    return _to_arrow(con, _core_sql(max_gap_days))


def analyse_partition(tables: Mapping[str, pa.Table], max_gap_days: int = 90) -> pa.Table:
    """The same analysis on one partition: ``tables`` holds the :data:`INPUT_TABLES` rows of
    some patients and the whole :data:`SHARED_TABLES`. Runs in a fresh in-memory DuckDB, so it
    can run in any worker process (Dask, Spark ``mapInArrow``, Ray)."""
    con = connect(CohortOptions(threads=1))
    try:
        for name in (*INPUT_TABLES, *SHARED_TABLES):
            _register(con, name, tables[name])
        return analyse(con, max_gap_days)
    finally:
        con.close()


def partitions(con: duckdb.DuckDBPyConnection, n: int) -> list[dict[str, pa.Table]]:
    """The inputs split into ``n`` partitions by patient (a hash of the patient id), each with
    the shared tables; every patient's rows land in exactly one partition."""
    shared = {name: _to_arrow(con, f"SELECT * FROM {name}") for name in SHARED_TABLES}
    out: list[dict[str, pa.Table]] = []
    for k in range(n):
        part = dict(shared)
        for name in INPUT_TABLES:
            part[name] = _to_arrow(
                con, f"SELECT * FROM {name} WHERE hash(patient_id) % {int(n)} = {k}"
            )
        out.append(part)
    return out


def write_partitions(con: duckdb.DuckDBPyConnection, folder: Path, n: int) -> list[Path]:
    """Stage the inputs for a cluster: ``folder/shared/<table>.parquet`` and
    ``folder/part-<k>/<table>.parquet`` for each of the ``n`` patient partitions. Any engine
    that can call a Python function per partition (Dask, Spark, Ray) then runs
    :func:`analyse_bucket` on each ``part-<k>`` folder and concatenates the results."""
    folder = Path(folder)
    (folder / "shared").mkdir(parents=True, exist_ok=True)
    for name in SHARED_TABLES:
        con.execute(
            f"COPY {name} TO {_lit(str(folder / 'shared' / f'{name}.parquet'))} (FORMAT parquet)"
        )
    out: list[Path] = []
    for k in range(n):
        part = folder / f"part-{k}"
        part.mkdir(exist_ok=True)
        for name in INPUT_TABLES:
            target = _lit(str(part / f"{name}.parquet"))
            con.execute(
                f"COPY (SELECT * FROM {name} WHERE hash(patient_id) % {int(n)} = {k}) "
                f"TO {target} (FORMAT parquet)"
            )
        out.append(part)
    return out


def analyse_bucket(part: Path, max_gap_days: int = 90) -> pa.Table:
    """:func:`analyse_partition` on a folder staged by :func:`write_partitions` (the shared
    tables are read from the sibling ``shared`` folder)."""
    import pyarrow.parquet as pq

    part = Path(part)
    tables = {name: pq.read_table(part / f"{name}.parquet") for name in INPUT_TABLES}
    for name in SHARED_TABLES:
        tables[name] = pq.read_table(part.parent / "shared" / f"{name}.parquet")
    return analyse_partition(tables, max_gap_days)


# ---------------------------------------------------------------------------------------------
# The cohort summary
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MechanismFrequency:
    prior_drug: str
    category: str
    label: str
    k: int
    n: int
    value: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True, slots=True)
class TimeToProgression:
    prior_drug: str
    n: int
    median: float | None
    q1: float | None
    q3: float | None
    min: float | None
    max: float | None


@dataclass(frozen=True, slots=True)
class CohortSummary:
    patients: int
    assessable: int
    by_drug: Mapping[str, tuple[int, int]]
    frequencies: tuple[MechanismFrequency, ...]
    times: tuple[TimeToProgression, ...]
    cooccurrence: tuple[tuple[str, str, int], ...]
    counts: Mapping[str, int]
    warnings: tuple[str, ...]

    def frequency(self, prior_drug: str, category: str) -> MechanismFrequency | None:
        for f in self.frequencies:
            if f.prior_drug == prior_drug and f.category == category:
                return f
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "patients": self.patients,
            "assessable": self.assessable,
            "by_prior_drug": {
                k: {"patients": v[0], "assessable": v[1]} for k, v in self.by_drug.items()
            },
            "mechanism_frequencies": [_as_dict(f) for f in self.frequencies],
            "time_to_progression_months": [_as_dict(t) for t in self.times],
            "cooccurrence": [{"a": a, "b": b, "patients": n} for a, b, n in self.cooccurrence],
            "counts": dict(self.counts),
            "warnings": list(self.warnings),
            "ci_method": "Clopper-Pearson exact 95% CI (tkiresist.evidence.stats.proportion)",
            "denominator": "assessable patients: a progression sample after the targeted line "
            "and at least one baseline sample taken on or before the line began",
        }


def _as_dict(obj: Any) -> Any:
    return {k: getattr(obj, k) for k in obj.__slots__}


ALL_DRUGS: Final = "all"
NO_MECHANISM: Final = "none_identified"


def summarise(
    per_patient: pa.Table, counts: Mapping[str, int] | None = None, warnings: Sequence[str] = ()
) -> CohortSummary:
    """Mechanism frequencies by prior drug (exact CIs), time from therapy start to the
    progression sample, and co-occurrence, from the per-patient table. Set-based: DuckDB
    groups, Python only formats one row per group."""
    import duckdb

    from tkiresist.evidence.stats import describe, proportion
    from tkiresist.model.categories import CATALOGUE

    con = duckdb.connect(":memory:")
    try:
        con.register("pp", per_patient)
        con.execute(
            f"""
            CREATE TEMP TABLE pp2 AS
            SELECT patient_id, prior_drug, assessable, months_from_therapy_start AS months,
                   CASE WHEN len(mechanism_categories) = 0 THEN [{_lit(NO_MECHANISM)}]
                        ELSE mechanism_categories END AS cats
            FROM pp
            """
        )
        groups = con.execute(
            f"""
            SELECT prior_drug, count(*), count(*) FILTER (WHERE assessable) FROM pp2 GROUP BY 1
            UNION ALL
            SELECT {_lit(ALL_DRUGS)}, count(*), count(*) FILTER (WHERE assessable) FROM pp2
            """
        ).fetchall()
        by_drug = {str(d): (int(n), int(a)) for d, n, a in groups}
        rows = con.execute(
            f"""
            WITH u AS (SELECT prior_drug, unnest(cats) AS cat FROM pp2 WHERE assessable)
            SELECT prior_drug, cat, count(*) FROM u GROUP BY 1, 2
            UNION ALL
            SELECT {_lit(ALL_DRUGS)}, cat, count(*) FROM u GROUP BY 2
            ORDER BY 1, 3 DESC, 2
            """
        ).fetchall()
        freqs: list[MechanismFrequency] = []
        for drug, cat, k in rows:
            n = by_drug[str(drug)][1]
            p = proportion(int(k), n)
            lo, hi = p.ci_exact if p.ci_exact is not None else (None, None)
            label = CATALOGUE[cat].label if cat in CATALOGUE else "no mechanism identified"
            freqs.append(MechanismFrequency(str(drug), str(cat), label, int(k), n, p.value, lo, hi))
        times: list[TimeToProgression] = []
        trows = con.execute(
            f"""
            SELECT prior_drug, months, count(*) FROM pp2 GROUP BY 1, 2
            UNION ALL
            SELECT {_lit(ALL_DRUGS)}, months, count(*) FROM pp2 GROUP BY 2
            ORDER BY 1, 2
            """
        ).fetchall()
        grouped: dict[str, tuple[list[float], list[int]]] = {}
        for drug, months, c in trows:
            vals, cnts = grouped.setdefault(str(drug), ([], []))
            vals.append(float(months))
            cnts.append(int(c))
        for drug, (vals, cnts) in sorted(grouped.items()):
            d = describe(vals, counts=cnts)
            times.append(TimeToProgression(drug, d.n, d.median, d.q1, d.q3, d.min, d.max))
        co = con.execute(
            """
            WITH u AS (SELECT patient_id, unnest(cats) AS cat FROM pp2 WHERE assessable)
            SELECT a.cat, b.cat, count(*) FROM u a JOIN u b
              ON a.patient_id = b.patient_id AND a.cat < b.cat
            GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2
            """
        ).fetchall()
    finally:
        con.close()
    return CohortSummary(
        patients=by_drug.get(ALL_DRUGS, (0, 0))[0],
        assessable=by_drug.get(ALL_DRUGS, (0, 0))[1],
        by_drug=by_drug,
        frequencies=tuple(freqs),
        times=tuple(times),
        cooccurrence=tuple((str(a), str(b), int(n)) for a, b, n in co),
        counts=dict(counts or {}),
        warnings=tuple(warnings),
    )


# ---------------------------------------------------------------------------------------------
# Running and writing
# ---------------------------------------------------------------------------------------------


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
            if name in ("baseline_samples", "acquired", "mechanisms", "mechanism_categories"):
                cols.append(f"array_to_string({name}, {_lit(LIST_SEP)}) AS {name}")
            elif name == "months_from_therapy_start":
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
    """Write the cohort outputs into a temporary folder beside ``out``, then rename it."""
    out = Path(out).resolve()
    if out.exists() and not overwrite:
        raise FormatError(
            "output folder exists (use --overwrite to replace it)", Location(file=str(out))
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
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
        (tmp / "cooccurrence.tsv").write_text(
            _tsv(("category_a", "category_b", "patients"), summary.cooccurrence), encoding="utf-8"
        )
        (tmp / "summary.json").write_text(
            json.dumps(summary.as_dict(), indent=2, default=str) + "\n", encoding="utf-8"
        )
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


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
    for w in summary.warnings:
        lines.append(f"warning: {w}")
    return "\n".join(lines) + "\n"
