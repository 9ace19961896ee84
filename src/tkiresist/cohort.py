"""Cohort mode: acquired alterations and resistance mechanisms across a cBioPortal study.

``tkiresist cohort --study DIR [--out OUT]`` reads a study folder (clinical files, timelines
with their IHC results, mutations, structural variants, discrete CNA, gene panels) and, for
every patient with a
progression sample taken after a targeted therapy began, finds the alterations acquired since
the pre-treatment samples and the resistance mechanisms the knowledge base names for them.

Everything is a whole-table operation in DuckDB: no Python loop runs over mutation rows or over
patients. Python touches only *distinct* values, once each: distinct alteration strings (a
gene and its p. change, a pair of fusion genes, a gene and its CNA level) are parsed with the
nomenclature layer into alteration ids, keys and categories, distinct agent names are looked up
in the drug dictionary, and distinct patient contexts are matched against the statements by the
one rule of :mod:`tkiresist.knowledge.applies`. The rest are joins.

The steps (numbered as in :func:`analyse`); a patient's mechanisms are the ones
:func:`tkiresist.interpret.engine.interpret` names for the same case:

1. **Samples in time.** A sample's day is the START_DATE of its SPECIMEN (or SAMPLE
   ACQUISITION / SEQUENCING) timeline event. A sample whose SAMPLE_TYPE is ``progression``,
   ``progressed``, ``recurrence`` or ``recurred`` is a progression sample.
2. **The therapy it progressed on.** The targeted agents (:data:`TARGETED_CLASSES`) of the
   TREATMENT timeline that started before the sample and had not stopped more than
   ``max_gap_days`` before it; of those, the ones that started last form the line in effect,
   with any other agent of that line (chemotherapy given with the TKI); its agents joined with
   ``+`` name the *prior drug*. Per patient, the latest such progression sample is the
   *decision point* (as the engine takes the latest progression).
3. **Baseline and current samples.** Baseline: every sample taken on or before the day the line
   began. Current: every sample taken during the line up to the decision point, pooled, as the
   engine pools every test of the line (three lesions biopsied at progression are one
   decision point).
4. **Status.** Per alteration key (:func:`tkiresist.interpret.serial.alteration_key`: an exon 19
   deletion is one key however written; a fusion is its two genes; a fusion whose partner is
   not known speaks for every fusion of that gene), as the engine's serial comparison:
   *persistent* (detected before and now), *acquired* (detected now; not before, by a baseline
   sample that covered it: its gene panel for that profile lists a gene of the alteration, or
   is whole-genome, or the CNA table has a value there, or an IHC result of the LAB_TEST
   timeline names its marker), *lost* (detected before; covered now
   and absent), *not assessable* (detected now and no baseline sample covered it, or detected
   before and no current sample covered it). A transformation found now that no baseline
   sample was assessed for is acquired against a non-small-cell HISTOLOGY at diagnosis.
5. **Driver.** The original driver is the EGFR sensitising (or exon 20 insertion) alteration
   detected before the line (or, without one, an EGFR-sensitising one there now); its state is
   ``persistent`` (one is there now), ``lost`` (each was covered now and absent), ``unknown``
   or ``none``. A DRIVER_CATEGORY of the patient file stands for a driver not detected (state
   ``unknown``); with none at all, an EGFR-sensitising one is presumed from an EGFR TKI line
   (:meth:`~tkiresist.knowledge.applies.Situation.with_presumed_driver`).
6. **Mechanisms.** Each patient's context (OncoTree code of the earliest untransformed sample;
   present categories; the line's classes, generations, classes given without a named drug,
   drugs, and the classes given so far; the driver's categories and state) is reduced to a
   signature; :func:`tkiresist.knowledge.applies.verdict` runs once per distinct signature and
   resistance-mechanism statement (not risk markers, not fallbacks), and the answers are joined
   back. A statement that applies fires for a present alteration (acquired, persistent or not
   assessable), not the original driver, carrying one of its categories, as in
   :mod:`tkiresist.interpret.mechanisms`. A mechanism is *acquired* when one of its ``any_of``
   triggers was acquired, else *not assessable*, else *persistent*; the *mechanism category* is
   the trigger category matched. The C797X phase is never known here.
7. **Plasma lead time** (#15). A *liquid* sample is one whose SAMPLE_TYPE or SPECIMEN_TYPE
   (clinical sample file or SPECIMEN timeline row) says plasma, cfDNA or ctDNA (:data:`LIQUID`;
   CSF is another compartment and is left out). For each alteration that triggered an acquired
   or not-assessable mechanism, the first liquid sample of the line (after it began, up to the
   decision point) that detected it is when it *first appeared in plasma*; its *lead time* is
   the decision point's day minus that day, in months, as the dynamics step measures lead time
   before progression (:mod:`tkiresist.interpret.dynamics`, whose rule it shares: the first
   draw that showed it). A study gives no tumour fraction and cohort reads no VAF, so the
   VAF thresholds of :data:`tkiresist.interpret.dynamics.RULES` (the driver's fall or rise)
   cannot be applied here.

Outputs (written to a temporary folder, then renamed into place: nothing is half-written):

* ``patients.tsv``: one row per patient with a progression sample after a targeted therapy;
* ``mechanisms.tsv``: per prior drug (and ``all``), each acquired mechanism category's count
  among the assessable patients (those with a baseline sample), with the exact
  (Clopper-Pearson) 95% CI; a patient without an acquired mechanism counts once as
  ``not_assessable``, ``pre_existing`` or ``none_identified`` (:data:`OUTCOME_LABELS`);
* ``time_to_progression.tsv``: months from the start of the line to the progression sample, per
  prior drug (median, IQR, range);
* ``plasma_lead_time.tsv``: the patients' plasma lead times (step 7), per prior drug and
  ``all`` (n, median, IQR, range);
* ``cooccurrence.tsv``: patients with each pair of mechanism categories;
* ``summary.json``: all of the above, the counts and the warnings.

Bad input is refused with located errors, as cBioPortal's validator locates them: a missing
meta file, a timeline STOP_DATE before its START_DATE, a sample (or timeline row, or genomic
row) referencing an unknown patient or sample, a CNA value that is not -2..2.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from tkiresist.errors import FormatError, Location, ManyProblems, ParseError, Problem
from tkiresist.io.base import split_header
from tkiresist.io.cbioportal import (
    CASE_LISTS,
    CNA_CODE,
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
from tkiresist.io.cna import DISCRETE_CNA, DISCRETE_EXPECTED
from tkiresist.io.maf import NON_PROTEIN_CLASSIFICATIONS
from tkiresist.model.time import DAYS_PER_MONTH

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from tkiresist.knowledge.applies import Situation
    from tkiresist.knowledge.loader import KnowledgeBase
    from tkiresist.knowledge.schema import Statement
    from tkiresist.model.categories import AnyAlteration
    from tkiresist.nomenclature.drugs import Drug

PROFILE_HISTOLOGY: Final = "histology"
PROFILE_IHC: Final = "ihc"
FILTERED_CLASSIFICATIONS: Final = tuple(sorted(NON_PROTEIN_CLASSIFICATIONS))
"""MAF Variant_Classification values that change no protein (the one list, io/maf; cBioPortal's
default filter, "Variant classification filter", plus lincRNA and Targeted_Region)."""
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
            return _Head(path, number, split_header(text, str(path), number, what))
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
        from tkiresist.model.alterations import Expression
        from tkiresist.model.categories import categorize, expression_categories
        from tkiresist.nomenclature.alterations import format_alteration

        def categories_of(a: AnyAlteration) -> frozenset[str]:
            # an IHC result as the engine reads it (p53 and Rb by pattern)
            return expression_categories(a) if isinstance(a, Expression) else categorize(a)

        ident = (profile, alt)
        found = self.ids.get(ident)
        if found is not None:
            return found
        alt_id = len(self.rows) + 1
        self.ids[ident] = alt_id
        self.rows.append((alt_id, format_alteration(alt), alteration_key(alt), profile))
        for g in alt.genes or ("",):
            self.genes.append((alt_id, g))
        for c in sorted(categories_of(alt)):
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
    """An SV row's alteration by the one SV policy (:func:`tkiresist.nomenclature.fusions.sv_pair`):
    a fusion, or, for an intragenic event or one gene that is not a 3' fusion partner, a raw
    rearrangement that no fusion category names."""
    from pydantic import ValidationError

    from tkiresist.nomenclature.fusions import sv_pair

    a = "" if site1 in NA_VALUES else _gene(site1)
    b = "" if site2 in NA_VALUES else _gene(site2)
    pair = sv_pair(a or None, b or None)
    if pair.kind == "none":
        return None
    if pair.kind == "intragenic":
        return reg.raw(f"{a} intragenic rearrangement", f"raw:sv:{a}", PROFILE_SV, a)
    if pair.kind == "one_gene" or pair.fusion is None:
        gene = pair.gene or a or b
        return reg.raw(
            f"{gene} rearrangement (partner not given)", f"raw:sv1:{gene}", PROFILE_SV, gene
        )
    try:
        return reg.add(pair.fusion, PROFILE_SV)
    except ValidationError:
        return reg.raw(f"{a}::{b}", f"raw:sv:{a}:{b}", PROFILE_SV, a or b)


def _cna_alteration(reg: _Registry, gene_text: str, value: int) -> int | None:
    from tkiresist.io.cbioportal import CNA_CHANGE
    from tkiresist.model.alterations import CopyNumber

    change = CNA_CHANGE.get(value)
    if change is None:
        return None
    return reg.add(CopyNumber(gene=_gene(gene_text), change=change), PROFILE_CNA)


def _histology_alteration(reg: _Registry, text: str, oncotree: str) -> tuple[int, bool] | None:
    """The histology alteration of a sample, and whether it was inferred from the OncoTree code
    alone (then it counts only where the code differs from the patient's first sample: a tumour
    diagnosed as squamous is not a squamous transformation)."""
    from tkiresist.model.alterations import Histology
    from tkiresist.model.categories import categorize
    from tkiresist.nomenclature.histology import try_parse_histology

    if text and text not in NA_VALUES:
        try:
            h = try_parse_histology(text)
        except ParseError:
            h = None
        # a transformation, or epithelial-mesenchymal transition: a histology that means
        # something at progression (a category), not the adenocarcinoma of the diagnosis
        if h is not None and categorize(h):
            return reg.add(h, PROFILE_HISTOLOGY), False
    kind = ONCOTREE_HISTOLOGY.get(oncotree.upper())
    if kind is not None:
        return reg.add(Histology(histology=kind), PROFILE_HISTOLOGY), True
    return None


@dataclass(frozen=True, slots=True)
class _Agent:
    """One drug of an AGENT cell: its classes (a drug may have several: crizotinib is an ALK,
    MET and ROS1 TKI), its generation, and whether it was named only by its class ("EGFR TKI",
    or an agent the dictionary does not know counted through its AGENT_CLASS): then its
    generation is not known, as the engine reads it."""

    drug: str
    classes: tuple[str, ...]
    generation: int | None
    class_only: bool = False


def _agent(d: Drug) -> _Agent:
    return _Agent(d.generic, tuple(c.value for c in d.classes), d.generation, d.class_only)


def _agents(text: str, declared_class: str) -> tuple[list[_Agent], str | None]:
    """The drugs an AGENT cell names (a combination splits), or a warning."""
    from tkiresist.nomenclature import drugs
    from tkiresist.nomenclature.regimens import cell_drugs

    cell = text.strip()
    klass = declared_class.strip().lower() if declared_class else ""
    try:  # the one agent-cell reader, shared with annotate (nomenclature.regimens)
        return [_agent(drugs.lookup(name)) for name in cell_drugs(cell)], None
    except ParseError:
        pass
    known = {c.value for c in drugs.drug_classes()}
    if klass in known:
        return [_Agent(cell.lower(), (klass,), None, class_only=True)], None
    return [_Agent(cell.lower(), (), None)], f"agent {cell!r} is not in the drug dictionary"


# ---------------------------------------------------------------------------------------------
# Loading a study into DuckDB tables
# ---------------------------------------------------------------------------------------------


@dataclass
class LoadedStudy:
    """A study's tables in a DuckDB connection, ready for :func:`analyse`.

    Tables: ``samples`` (patient_id, sample_id, sample_type, oncotree, day), ``treatments``
    (patient_id, start_day, stop_day, agent, drug_class, generation, targeted, class_only,
    line_no; one row per class of a drug),
    ``alterations`` (patient_id, sample_id, alt_id), ``coverage`` (patient_id, sample_id,
    profile, panel; ``*`` = every gene), ``gene_coverage`` (patient_id, sample_id, profile,
    gene), ``panel_genes`` (panel, gene), ``alt_info`` (alt_id, name, key, profile),
    ``alt_gene`` (alt_id, gene), ``alt_category`` (alt_id, category), and the knowledge tables
    of :func:`knowledge_rows`.
    """

    con: duckdb.DuckDBPyConnection
    layout: StudyLayout
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


INPUT_TABLES: Final = (
    "samples",
    "declared_drivers",
    "diagnoses",
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
    "kb_match",
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
    _load_lab_tests(study, reg)
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
            *(c for c in ("DRIVER_CATEGORY", "HISTOLOGY") if c in phead.columns),
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
        for c in (
            "PATIENT_ID",
            "SAMPLE_ID",
            "SAMPLE_TYPE",
            "ONCOTREE_CODE",
            "SAMPLE_HISTOLOGY",
            "SPECIMEN_TYPE",
        )
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
        for c in ("SAMPLE_TYPE", "ONCOTREE_CODE", "SAMPLE_HISTOLOGY", "SPECIMEN_TYPE")
    }
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE samples_meta AS
        SELECT trim("PATIENT_ID") AS patient_id, trim("SAMPLE_ID") AS sample_id,
               lower(trim(coalesce({col["SAMPLE_TYPE"]}, ''))) AS sample_type,
               upper(trim(coalesce({col["ONCOTREE_CODE"]}, ''))) AS oncotree,
               trim(coalesce({col["SAMPLE_HISTOLOGY"]}, '')) AS histology,
               lower(trim(coalesce({col["SPECIMEN_TYPE"]}, ''))) AS specimen_type
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
    _load_diagnoses(con, has_patients and "HISTOLOGY" in keep_p)
    study.counts["samples"] = _scalar(con, "SELECT count(*) FROM samples_meta")
    study.counts["patients"] = _scalar(con, "SELECT count(DISTINCT patient_id) FROM samples_meta")
    return has_patients


def _load_diagnoses(con: duckdb.DuckDBPyConnection, has_histology: bool) -> None:
    """``diagnoses`` (patient_id, non_small_cell): the patient's HISTOLOGY at diagnosis (our
    exports write it) read with the engine's words for a non-small-cell histology, so that a
    transformation no baseline sample was assessed for is acquired against the diagnosis, as
    :func:`tkiresist.interpret.serial.serial_comparison` reads it."""
    from tkiresist.interpret.serial import NON_SMALL_CELL

    if not has_histology:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE diagnoses (patient_id VARCHAR, non_small_cell BOOLEAN)"
        )
        return
    words = " OR ".join(f"contains(h, {_lit(w)})" for w in NON_SMALL_CELL)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE diagnoses AS
        SELECT patient_id, {words} AS non_small_cell
        FROM (SELECT trim("PATIENT_ID") AS patient_id, lower(trim("HISTOLOGY")) AS h
              FROM patients WHERE trim(coalesce("HISTOLOGY", '')) NOT IN ('', 'NA'))
        """
    )


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
    con.execute(
        "CREATE OR REPLACE TEMP TABLE tl_specimen (sample_id VARCHAR, day INTEGER, "
        "specimen_type VARCHAR)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE tl_lab (sample_id VARCHAR, test VARCHAR, result VARCHAR, "
        "score VARCHAR)"
    )
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
            stype = (
                "lower(trim(coalesce(\"SPECIMEN_TYPE\", '')))"
                if "SPECIMEN_TYPE" in head.columns
                else "''"
            )
            con.execute(
                f"""
                INSERT INTO tl_specimen
                SELECT trim("SAMPLE_ID"), CAST(trim("START_DATE") AS INTEGER), {stype}
                FROM {table}
                WHERE {etype} IN ({kinds}) AND trim(coalesce("SAMPLE_ID", '')) <> ''
                """
            )
            if "TEST" in head.columns and "RESULT" in head.columns:
                score = "trim(coalesce(\"SCORE\", ''))" if "SCORE" in head.columns else "''"
                con.execute(
                    f"""
                    INSERT INTO tl_lab
                    SELECT trim("SAMPLE_ID"), trim(coalesce("TEST", '')),
                           lower(trim(coalesce("RESULT", ''))), {score}
                    FROM {table}
                    WHERE {etype} = 'LAB_TEST' AND trim(coalesce("SAMPLE_ID", '')) <> ''
                    """
                )
        con.execute(f"DROP TABLE {table}")
    _raise(problems)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE samples AS
        SELECT m.patient_id, m.sample_id, m.sample_type, m.oncotree, m.histology,
               d.day,
               {_liquid_sql("m.sample_type")} OR {_liquid_sql("m.specimen_type")}
                 OR coalesce(d.liquid, false) AS liquid
        FROM samples_meta m LEFT JOIN (
            SELECT sample_id, min(day) AS day, bool_or({_liquid_sql("specimen_type")}) AS liquid
            FROM tl_specimen GROUP BY sample_id
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
    rows: list[tuple[str, str, str, str | None, int | None, bool, bool]] = []
    unknown: list[str] = []
    for text, declared in distinct:
        agents, warning = _agents(text, declared or "")
        if warning:
            unknown.append(warning)
        for a in agents:
            targeted = any(c in TARGETED_CLASSES for c in a.classes)
            # one row per class of the drug (none for an unknown agent without a class)
            classes: tuple[str | None, ...] = a.classes or (None,)
            for drug_class in classes:
                rows.append(
                    (text, declared, a.drug, drug_class, a.generation, targeted, a.class_only)
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
            rows,
            (
                "agent_text",
                "declared",
                "drug",
                "drug_class",
                "generation",
                "targeted",
                "class_only",
            ),
            ("str", "str", "str", "str", "int", "bool", "bool"),
        ),
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE treatments AS
        SELECT DISTINCT t.patient_id, t.start_day, t.stop_day, m.drug AS agent, m.drug_class,
               m.generation, m.targeted, m.class_only, t.line_no
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
    allowed = ", ".join(DISCRETE_CNA)  # the one map of discrete values (io/cna)
    bad = con.execute(
        f"SELECT g, sample_id, v FROM cna_long WHERE v NOT IN ({na}) "
        f"AND TRY_CAST(v AS DOUBLE) NOT IN ({allowed}) "
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
            problems.append(
                Problem(f"CNA value {value!r}: expected {DISCRETE_EXPECTED} or NA", loc)
            )
        _raise(problems)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE cna_v AS
        SELECT g, sample_id, {_discrete_code_sql("CAST(v AS DOUBLE)")} AS v
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


def _discrete_code_sql(value: str) -> str:
    """SQL giving the cBioPortal code (2, 1, 0, -1, -2) of a discrete value, compiled from the one
    map :data:`tkiresist.io.cna.DISCRETE_CNA` (-1.5 is a loss, -1; it was rounded to -2)."""
    whens = " ".join(
        f"WHEN {text} THEN {CNA_CODE[change] if change else 0}"
        for text, change in DISCRETE_CNA.items()
    )
    return f"CASE {value} {whens} END"


def _load_histology(study: LoadedStudy, reg: _Registry) -> None:
    con = study.con
    mapping = []
    for text, code in con.execute("SELECT DISTINCT histology, oncotree FROM samples").fetchall():
        found = _histology_alteration(reg, text or "", code or "")
        if found is not None:
            mapping.append((text, code, found[0], found[1]))
    _register(
        con,
        "hist_map",
        _arrow(
            mapping,
            ("histology", "oncotree", "alt_id", "via_code"),
            ("str", "str", "int", "bool"),
        ),
    )
    # a transformation read from the OncoTree code alone needs a change of code from the
    # patient's first sample (LUAD at diagnosis, LUSC at progression)
    con.execute(
        """
        INSERT INTO raw_alterations
        SELECT s.sample_id, m.alt_id FROM samples s
        JOIN hist_map m USING (histology, oncotree)
        WHERE NOT m.via_code OR s.oncotree IS DISTINCT FROM (
          SELECT arg_min(b.oncotree, coalesce(b.day, 0)) FROM samples b
          WHERE b.patient_id = s.patient_id)
        """
    )
    con.execute("DROP TABLE hist_map")


_LAB_TEST = re.compile(r"^(?P<marker>[A-Za-z0-9-]+)\s+IHC(?:\s*\((?P<clone>[^)]*)\))?$", re.I)
_NOT_DETECTED = re.compile(r"^not detected\s*\((?P<result>[a-z]+)\)$")


def _lab_alteration(
    reg: _Registry, test: str, result: str, score: str
) -> tuple[int | None, str | None]:
    """An IHC result of the LAB_TEST timeline (``MET IHC``, ``positive``, ``3+``; our exports
    write ``not detected (positive)`` for a finding reported as not detected): the alteration
    when it is detected, and the marker's gene when the sample was assessed for it, read as the
    engine reads IHC (:func:`tkiresist.model.categories.ihc_reading`: p53 and Rb by pattern,
    which a study does not carry, so p53 ``positive`` is unclear). Unclear and equivocal
    results are neither."""
    from pydantic import ValidationError

    from tkiresist.model.alterations import Expression
    from tkiresist.model.categories import ihc_reading

    m = _LAB_TEST.match(test)
    if m is None:
        return None, None
    negated = _NOT_DETECTED.match(result)
    value = negated.group("result") if negated else result
    try:
        alt = Expression(
            marker=_gene(m.group("marker")),
            result=value,
            clone=m.group("clone") or None,
            score=score if score and score not in NA_VALUES else None,
        )
    except ValidationError:
        return None, None
    reading = ihc_reading(alt)
    if reading == "unclear":
        return None, None
    if negated or reading == "normal":
        return None, alt.marker
    return reg.add(alt, PROFILE_IHC), alt.marker


def _load_lab_tests(study: LoadedStudy, reg: _Registry) -> None:
    """IHC results: a detected one is an alteration of its sample (profile ``ihc``), and each
    result says the sample was assessed for its marker (gene coverage)."""
    con = study.con
    mapping: list[tuple[str, str, str, int]] = []
    assessed: list[tuple[str, str, str, str]] = []
    for test, result, score in con.execute(
        "SELECT DISTINCT test, result, score FROM tl_lab"
    ).fetchall():
        alt_id, marker = _lab_alteration(reg, test, result, score)
        if alt_id is not None:
            mapping.append((test, result, score, alt_id))
        if marker is not None:
            assessed.append((test, result, score, marker))
    _register(
        con,
        "lab_assessed",
        _arrow(assessed, ("test", "result", "score", "gene"), ("str",) * 4),
    )
    con.execute(
        f"INSERT INTO gene_coverage_raw SELECT l.sample_id, {_lit(PROFILE_IHC)}, a.gene "
        "FROM tl_lab l JOIN lab_assessed a USING (test, result, score)"
    )
    con.execute("DROP TABLE lab_assessed")
    _join_alterations(con, "tl_lab", mapping, ("test", "result", "score"), ("str",) * 3)
    con.execute("DROP TABLE tl_lab")


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

MATCH_ROLES: Final = ("any_of", "all_of", "none_of")


def knowledge_rows(
    kb: KnowledgeBase,
) -> dict[str, tuple[tuple[str, ...], tuple[str, ...], list[tuple[Any, ...]]]]:
    """The knowledge base's mechanism statements (resistance mechanisms that name one: not risk
    markers, not fallbacks) as rows: name -> (columns, types, rows).

    ``kb_stmt`` carries each statement whole (``body``: its JSON), so that whoever runs the
    analysis, here or in a worker of a cluster, decides with the one rule of
    :mod:`tkiresist.knowledge.applies` on the very statements loaded; ``kb_match`` lists their
    categories by role (``any_of``, ``all_of``, ``none_of``), for the joins that find triggers.
    """
    from tkiresist.interpret.mechanisms import names_mechanism

    stmt: list[tuple[Any, ...]] = []
    match: list[tuple[Any, ...]] = []
    for st in kb.statements:
        if st.match.fallback or not names_mechanism(st):
            continue
        assert st.meaning.mechanism_class is not None
        stmt.append(
            (st.id, st.meaning.label, st.meaning.mechanism_class.value, st.model_dump_json())
        )
        for role in MATCH_ROLES:
            match.extend((st.id, c, role) for c in getattr(st.match, role))
    return {
        "kb_stmt": (
            ("statement_id", "label", "mechanism_class", "body"),
            ("str",) * 4,
            stmt,
        ),
        "kb_match": (("statement_id", "category", "role"), ("str",) * 3, match),
    }


def install_knowledge(con: duckdb.DuckDBPyConnection, kb: KnowledgeBase | None = None) -> None:
    if kb is None:
        from tkiresist.knowledge.loader import load_knowledge_base

        kb = load_knowledge_base()
    for name, (cols, types, rows) in knowledge_rows(kb).items():
        _register(con, name, _arrow(rows, cols, types))


def _statements(con: duckdb.DuckDBPyConnection) -> list[Statement]:
    """The statements of ``kb_stmt``, rebuilt from their JSON."""
    from tkiresist.knowledge.schema import Statement

    rows = con.execute("SELECT body FROM kb_stmt ORDER BY statement_id").fetchall()
    return [Statement.model_validate_json(body) for (body,) in rows]


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
    "progression_samples",
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
    "mechanisms_not_assessable",
    "not_assessable_categories",
    "mechanisms_persistent",
    "assumptions",
    "plasma_resistance",
    "plasma_first_days",
    "plasma_lead_months",
    "plasma_lead_time_months",
)
LIST_COLUMNS: Final = frozenset(
    {
        "assumptions",
        "progression_samples",
        "baseline_samples",
        "acquired",
        "mechanisms",
        "mechanism_categories",
        "mechanisms_not_assessable",
        "not_assessable_categories",
        "mechanisms_persistent",
        "plasma_resistance",
        "plasma_first_days",
        "plasma_lead_months",
    }
)
LIQUID: Final = r"plasma|cf-?dna|ct-?dna|cell[- ]free"
"""A SAMPLE_TYPE or SPECIMEN_TYPE matching this (lower case) is a plasma (liquid) sample;
one naming CSF is not (another compartment, read apart as the dynamics step does)."""


def _liquid_sql(expr: str) -> str:
    """SQL: whether the lower-case text ``expr`` names a plasma sample (:data:`LIQUID`)."""
    return (
        f"(regexp_matches(coalesce({expr}, ''), {_lit(LIQUID)}) "
        f"AND NOT regexp_matches(coalesce({expr}, ''), 'csf|cerebrospinal'))"
    )


PRESENT_STATES: Final = ("acquired", "persistent", "not_assessable")
"""Statuses of an alteration that is there at the decision point, as the engine reads them
(:data:`tkiresist.interpret.mechanisms.PRESENT`): its categories are *present*."""
_SEP: Final = "\x1f"  # joins the parts of a context signature (never in ids or drug names)

_WORK_TABLES: Final = (
    "cx_cand",
    "cx_prog",
    "cx_prior",
    "cx_phase",
    "cx_obs",
    "cx_det",
    "cx_need",
    "cx_covered",
    "cx_status",
    "cx_keycat",
    "cx_orig",
    "cx_ctx",
    "cx_applies",
    "cx_notes",
)


def _stage_sql(max_gap_days: int) -> list[str]:
    """Steps 1-5 and the patients' contexts, as work tables (``cx_*``)."""
    from tkiresist.knowledge.applies import DRIVER_CATEGORIES

    progression = ", ".join(_lit(t) for t in sorted(PROGRESSION_SAMPLE_TYPES))
    drivers = ", ".join(_lit(c) for c in DRIVER_CATEGORIES)
    present = ", ".join(_lit(s) for s in PRESENT_STATES)
    gap = int(max_gap_days)
    sep = _lit(_SEP)
    return [
        # 1-2. progression samples and the targeted line in effect at each
        f"""
CREATE OR REPLACE TEMP TABLE cx_cand AS
SELECT s.patient_id, s.sample_id, s.day, t.start_day, coalesce(t.line_no, -1) AS line_no,
       t.agent, t.drug_class, t.generation, t.class_only
FROM samples s JOIN treatments t
  ON t.patient_id = s.patient_id AND t.targeted AND t.start_day < s.day
 AND (t.stop_day IS NULL OR t.stop_day >= s.day - {gap})
WHERE s.sample_type IN ({progression}) AND s.day IS NOT NULL
""",
        # the decision point: the patient's latest such sample; its line is the latest start
        # (among equal starts the highest LINE number, when given)
        """
CREATE OR REPLACE TEMP TABLE cx_prog AS
WITH line_start AS (
  SELECT patient_id, sample_id, day, arg_max(start_day, (start_day, line_no)) AS start_day,
         max((start_day, line_no)) AS pick
  FROM cx_cand GROUP BY ALL
)
SELECT * FROM line_start
QUALIFY row_number() OVER (PARTITION BY patient_id ORDER BY day DESC, sample_id DESC) = 1
""",
        # the line's agents, chemotherapy given with the TKI included (FLAURA2)
        f"""
CREATE OR REPLACE TEMP TABLE cx_prior AS
SELECT t.patient_id, t.agent, t.drug_class, t.generation, t.class_only
FROM cx_prog p JOIN treatments t
  ON t.patient_id = p.patient_id AND (t.start_day, coalesce(t.line_no, -1)) = p.pick
 AND (t.stop_day IS NULL OR t.stop_day >= p.day - {gap})
""",
        # 3. the samples of the decision point: baseline (on or before the line began) and
        # current (during the line, up to the decision sample: pooled, as the engine pools
        # every test of the line up to the decision point)
        """
CREATE OR REPLACE TEMP TABLE cx_phase AS
SELECT s.patient_id, s.sample_id, s.day, s.day > p.start_day AS now
FROM samples s JOIN cx_prog p ON p.patient_id = s.patient_id
WHERE s.day IS NOT NULL AND s.day <= p.day
""",
        """
CREATE OR REPLACE TEMP TABLE cx_obs AS
SELECT DISTINCT ph.patient_id, ph.now, a.alt_id, i.key
FROM cx_phase ph
JOIN alterations a ON a.patient_id = ph.patient_id AND a.sample_id = ph.sample_id
JOIN alt_info i ON i.alt_id = a.alt_id
""",
        # 4. detected before / now, per key; a fusion whose partner is not known ("ALK
        # fusion") speaks for every fusion of that gene the patient has, and is no key of its
        # own beside them (as in the engine's serial comparison)
        """
CREATE OR REPLACE TEMP TABLE cx_det AS
WITH d0 AS (
  SELECT o.patient_id, o.key, bool_or(NOT o.now) AS before_pos, bool_or(o.now) AS now_pos
  FROM cx_obs o GROUP BY o.patient_id, o.key
  -- a key seen only before the line counts only through its categories (the driver, present
  -- categories): one without any is left out
  HAVING bool_or(o.now) OR bool_or(o.alt_id IN (SELECT alt_id FROM alt_category))
),
fus AS (
  SELECT *, split_part(key, ':', 2) AS gene, ends_with(key, ':*') AS star
  FROM d0 WHERE starts_with(key, 'fusion:')
)
SELECT patient_id, key, before_pos, now_pos FROM d0 WHERE NOT starts_with(key, 'fusion:')
UNION ALL
SELECT f.patient_id, f.key,
       f.before_pos OR coalesce(bool_or(s.before_pos), false),
       f.now_pos OR coalesce(bool_or(s.now_pos), false)
FROM fus f LEFT JOIN fus s
  ON s.patient_id = f.patient_id AND s.gene = f.gene AND s.star
WHERE NOT f.star
GROUP BY f.patient_id, f.key, f.before_pos, f.now_pos
UNION ALL
SELECT f.patient_id, f.key, f.before_pos, f.now_pos FROM fus f
WHERE f.star AND NOT EXISTS (
  SELECT 1 FROM fus o WHERE o.patient_id = f.patient_id AND o.gene = f.gene AND NOT o.star)
""",
        # coverage in the other phase, for a key detected in one only
        """
CREATE OR REPLACE TEMP TABLE cx_need AS
SELECT DISTINCT d.patient_id, d.key, o.alt_id, i.profile, NOT d.now_pos AS in_now
FROM cx_det d
JOIN cx_obs o ON o.patient_id = d.patient_id AND o.key = d.key AND o.now = d.now_pos
JOIN alt_info i ON i.alt_id = o.alt_id
WHERE d.now_pos <> d.before_pos
""",
        f"""
CREATE OR REPLACE TEMP TABLE cx_covered AS
SELECT DISTINCT n.patient_id, n.key
FROM cx_need n
JOIN cx_phase ph ON ph.patient_id = n.patient_id AND ph.now = n.in_now
JOIN coverage c ON c.patient_id = ph.patient_id AND c.sample_id = ph.sample_id
               AND c.profile = n.profile
JOIN alt_gene g ON g.alt_id = n.alt_id
LEFT JOIN panel_genes pg ON pg.panel = c.panel AND pg.gene = g.gene
WHERE c.panel = '*' OR pg.gene IS NOT NULL
UNION
SELECT DISTINCT n.patient_id, n.key
FROM cx_need n
JOIN cx_phase ph ON ph.patient_id = n.patient_id AND ph.now = n.in_now
JOIN alt_gene g ON g.alt_id = n.alt_id
JOIN gene_coverage gc ON gc.patient_id = ph.patient_id AND gc.sample_id = ph.sample_id
                     AND gc.profile = n.profile AND gc.gene = g.gene
-- a sample's histology rules a transformation in or out, not epithelial-mesenchymal transition
WHERE n.profile <> {_lit(PROFILE_HISTOLOGY)} OR ends_with(n.key, '_transformation')
""",
        """
CREATE OR REPLACE TEMP TABLE cx_status AS
SELECT d.patient_id, d.key, d.before_pos, d.now_pos,
  CASE WHEN d.now_pos AND d.before_pos THEN 'persistent'
       WHEN d.now_pos AND c.key IS NOT NULL THEN 'acquired'
       WHEN d.now_pos AND starts_with(d.key, 'hist:') AND ends_with(d.key, '_transformation')
            AND coalesce(dx.non_small_cell, false) THEN 'acquired'
       WHEN d.now_pos THEN 'not_assessable'
       WHEN c.key IS NOT NULL THEN 'lost'
       ELSE 'not_assessable' END AS status
FROM cx_det d LEFT JOIN cx_covered c ON c.patient_id = d.patient_id AND c.key = d.key
LEFT JOIN diagnoses dx ON dx.patient_id = d.patient_id
""",
        # a key's categories: those of what was detected in the phase that decides (now, else
        # before), or of any phase when only a partner-unknown fusion stood for it there
        """
CREATE OR REPLACE TEMP TABLE cx_keycat AS
WITH o AS (
  SELECT o.patient_id, o.key, o.now, s.now_pos, c.category,
         bool_or(o.now = s.now_pos) OVER (PARTITION BY o.patient_id, o.key) AS has_phase
  FROM cx_obs o
  JOIN cx_status s ON s.patient_id = o.patient_id AND s.key = o.key
  JOIN alt_category c ON c.alt_id = o.alt_id
)
SELECT DISTINCT patient_id, key, category FROM o WHERE now = now_pos OR NOT has_phase
""",
        # 5. the original driver: detected before the line; else an EGFR-sensitising one there
        # now (as :func:`tkiresist.interpret.mechanisms.case_context` finds it)
        f"""
CREATE OR REPLACE TEMP TABLE cx_orig AS
WITH d AS (
  SELECT DISTINCT k.patient_id, k.key, s.before_pos, s.status,
         k.category = 'egfr_sensitising' AS sensitising
  FROM cx_keycat k JOIN cx_status s ON s.patient_id = k.patient_id AND s.key = k.key
  WHERE k.category IN ({drivers})
),
earlier AS (SELECT DISTINCT patient_id, key FROM d WHERE before_pos)
SELECT * FROM earlier
UNION
SELECT patient_id, key FROM d
WHERE sensitising AND status IN ({present})
  AND patient_id NOT IN (SELECT patient_id FROM earlier)
""",
        # the context each patient's statements are matched in: a signature of what the rule
        # of knowledge/applies.py reads (the present categories are those any statement names)
        f"""
CREATE OR REPLACE TEMP TABLE cx_ctx AS
WITH transformed AS (
  SELECT DISTINCT a.sample_id FROM alterations a
  JOIN cx_prog p ON p.patient_id = a.patient_id
  JOIN alt_info i ON i.alt_id = a.alt_id
  WHERE i.profile = {_lit(PROFILE_HISTOLOGY)}
),
code AS (
  SELECT s.patient_id,
         first(s.oncotree ORDER BY t.sample_id IS NOT NULL, s.day NULLS LAST, s.sample_id)
           AS oncotree
  FROM samples s JOIN cx_prog p ON p.patient_id = s.patient_id
  LEFT JOIN transformed t ON t.sample_id = s.sample_id
  WHERE s.oncotree <> '' GROUP BY s.patient_id
),
pres AS (
  SELECT s.patient_id, list_sort(list(DISTINCT k.category)) AS present
  FROM cx_status s
  JOIN cx_keycat k ON k.patient_id = s.patient_id AND k.key = s.key
  SEMI JOIN kb_match m ON m.category = k.category
  WHERE s.status IN ({present})
  GROUP BY s.patient_id
),
line AS (
  SELECT patient_id,
         list_sort(list(DISTINCT drug_class) FILTER (WHERE drug_class IS NOT NULL)) AS classes,
         list_sort(list(DISTINCT generation) FILTER (WHERE generation IS NOT NULL))
           AS generations,
         list_sort(list(DISTINCT drug_class) FILTER (WHERE class_only AND drug_class IS NOT NULL))
           AS unnamed,
         list_sort(list(DISTINCT lower(agent))) AS drugs
  FROM cx_prior GROUP BY patient_id
),
hist AS (
  SELECT p.patient_id, list_sort(list(DISTINCT t.drug_class)) AS history
  FROM cx_prog p JOIN treatments t ON t.patient_id = p.patient_id
  WHERE t.drug_class IS NOT NULL AND (t.start_day, coalesce(t.line_no, -1)) <= p.pick
  GROUP BY p.patient_id
),
orig_cats AS (
  SELECT o.patient_id, list_sort(list(DISTINCT k.category)) AS cats
  FROM cx_orig o JOIN cx_keycat k ON k.patient_id = o.patient_id AND k.key = o.key
  GROUP BY o.patient_id
),
declared AS (
  SELECT patient_id, list_sort(list(DISTINCT category)) AS cats
  FROM declared_drivers GROUP BY patient_id
),
drv AS (
  SELECT p.patient_id, count(s.key) AS n,
         bool_or(s.status = 'persistent') AS kept, bool_and(s.status = 'lost') AS all_lost
  FROM cx_prog p LEFT JOIN cx_orig o ON o.patient_id = p.patient_id
  LEFT JOIN cx_status s ON s.patient_id = o.patient_id AND s.key = o.key
  GROUP BY p.patient_id
),
ctx AS (
  SELECT p.patient_id, coalesce(c.oncotree, '') AS oncotree,
         coalesce(pr.present, []) AS present,
         coalesce(l.classes, []) AS classes,
         coalesce(l.generations, []) AS generations,
         coalesce(l.unnamed, []) AS unnamed,
         coalesce(l.drugs, []) AS drugs,
         list_sort(list_distinct(list_concat(coalesce(h.history, []), coalesce(l.classes, []))))
           AS history,
         CASE WHEN d.n > 0 THEN oc.cats ELSE coalesce(dd.cats, []) END AS driver_categories,
         CASE WHEN d.n = 0 AND dd.patient_id IS NOT NULL THEN 'unknown'
              WHEN d.n = 0 THEN 'none'
              WHEN d.kept THEN 'persistent'
              WHEN d.all_lost THEN 'lost'
              ELSE 'unknown' END AS driver_state
  FROM cx_prog p
  JOIN drv d ON d.patient_id = p.patient_id
  LEFT JOIN code c ON c.patient_id = p.patient_id
  LEFT JOIN pres pr ON pr.patient_id = p.patient_id
  LEFT JOIN line l ON l.patient_id = p.patient_id
  LEFT JOIN hist h ON h.patient_id = p.patient_id
  LEFT JOIN orig_cats oc ON oc.patient_id = p.patient_id
  LEFT JOIN declared dd ON dd.patient_id = p.patient_id
)
SELECT *, concat_ws({sep}, oncotree, array_to_string(present, ','),
                    array_to_string(classes, ','), array_to_string(generations, ','),
                    array_to_string(unnamed, ','), array_to_string(drugs, ','),
                    array_to_string(history, ','), array_to_string(driver_categories, ','),
                    driver_state) AS sig
FROM ctx
""",
    ]


def _situation(row: Sequence[Any]) -> Situation:
    """The rule's :class:`~tkiresist.knowledge.applies.Situation` for one row of ``cx_ctx``
    (oncotree, present, classes, generations, unnamed, drugs, history, driver categories,
    driver state): an EGFR driver presumed from an EGFR TKI line when none is known, as the
    engine does. The phase of C797X is never known (a cBioPortal study does not carry it)."""
    from tkiresist.knowledge.applies import Prior, Situation

    oncotree, present, classes, gens, unnamed, drugs, history, driver_cats, state = row
    prior = Prior(
        known=True,
        classes=frozenset(classes),
        generations=frozenset(int(g) for g in gens),
        unnamed=frozenset(unnamed),
        drugs=frozenset(drugs),
        history=frozenset(history),
    )
    return Situation(
        oncotree=oncotree,
        present=frozenset(present),
        prior=prior,
        driver_categories=frozenset(driver_cats),
        driver_state=state,
    ).with_presumed_driver()


_CTX_COLUMNS: Final = (
    "oncotree",
    "present",
    "classes",
    "generations",
    "unnamed",
    "drugs",
    "history",
    "driver_categories",
    "driver_state",
)


def _apply_rule(con: duckdb.DuckDBPyConnection) -> int:
    """``cx_applies`` (sig, statement_id): for each *distinct* context of ``cx_ctx``, the
    statements that :func:`tkiresist.knowledge.applies.verdict` says apply; ``cx_notes`` (sig,
    statement_id, note): the assumptions it made for them. Python runs once per distinct
    context and statement, never per patient. Returns the number of distinct contexts."""
    from tkiresist.knowledge.applies import verdict

    statements = _statements(con)
    cols = ", ".join(f"any_value({c})" for c in _CTX_COLUMNS)
    contexts = con.execute(f"SELECT sig, {cols} FROM cx_ctx GROUP BY sig").fetchall()
    applies: list[tuple[str, str]] = []
    notes: list[tuple[str, str, str]] = []
    for sig, *parts in contexts:
        situation = _situation(parts)
        for st in statements:
            v = verdict(st, situation)
            if v.applies:
                applies.append((sig, st.id))
                notes.extend((sig, st.id, n) for n in v.notes)
    _register(con, "cx_applies", _arrow(applies, ("sig", "statement_id"), ("str", "str")))
    _register(
        con, "cx_notes", _arrow(notes, ("sig", "statement_id", "note"), ("str", "str", "str"))
    )
    return len(contexts)


def _result_sql() -> str:
    """Step 6 and the per-patient table, from the work tables and ``cx_applies``."""
    present = ", ".join(_lit(s) for s in PRESENT_STATES)
    return f"""
WITH
prior_label AS (
  SELECT patient_id,
         string_agg(DISTINCT agent, '+' ORDER BY agent) AS prior_drug,
         string_agg(DISTINCT drug_class, ',' ORDER BY drug_class) AS prior_drug_classes,
         string_agg(DISTINCT CAST(generation AS VARCHAR), ',' ORDER BY CAST(generation AS VARCHAR))
           AS prior_generations
  FROM cx_prior GROUP BY patient_id
),
-- 6. mechanisms: a statement that applies in the patient's context fires for a present
-- alteration, not the original driver, carrying one of its categories (its triggers, as the
-- engine's); its status is its best trigger's (acquired > not assessable > persistent), read
-- from the any_of triggers; its categories are those any_of triggers' of that status
trig AS (
  SELECT s.patient_id, s.key, k.category, m.statement_id, m.role,
         CASE s.status WHEN 'acquired' THEN 3 WHEN 'not_assessable' THEN 2 ELSE 1 END AS r
  FROM cx_status s
  JOIN cx_keycat k ON k.patient_id = s.patient_id AND k.key = s.key
  JOIN kb_match m ON m.category = k.category AND m.role IN ('any_of', 'all_of')
  ANTI JOIN cx_orig o ON o.patient_id = s.patient_id AND o.key = s.key
  WHERE s.status IN ({present})
),
fired AS (
  SELECT t.* FROM trig t
  JOIN cx_ctx c ON c.patient_id = t.patient_id
  SEMI JOIN cx_applies a ON a.sig = c.sig AND a.statement_id = t.statement_id
),
mech AS (
  SELECT patient_id, statement_id,
         coalesce(max(r) FILTER (WHERE role = 'any_of'), max(r)) AS r
  FROM fired GROUP BY patient_id, statement_id
),
mech_cat AS (
  SELECT DISTINCT m.patient_id, m.r, f.category
  FROM mech m JOIN fired f ON f.patient_id = m.patient_id AND f.statement_id = m.statement_id
  WHERE f.role = 'any_of' AND f.r = m.r
),
mech_list AS (
  SELECT patient_id,
         list(statement_id ORDER BY statement_id) FILTER (WHERE r = 3) AS mechanisms,
         list(statement_id ORDER BY statement_id) FILTER (WHERE r = 2) AS mechanisms_na,
         list(statement_id ORDER BY statement_id) FILTER (WHERE r = 1) AS mechanisms_persistent
  FROM mech GROUP BY patient_id
),
cat_list AS (
  SELECT patient_id,
         list(category ORDER BY category) FILTER (WHERE r = 3) AS categories,
         list(category ORDER BY category) FILTER (WHERE r = 2) AS categories_na
  FROM mech_cat GROUP BY patient_id
),
-- the assumptions the rule made for the statements that fired (a TKI generation not stated,
-- a presumed driver, a driver state or C797X phase not known)
notes_list AS (
  SELECT m.patient_id, list(DISTINCT n.note ORDER BY n.note) AS assumptions
  FROM mech m JOIN cx_ctx c ON c.patient_id = m.patient_id
  JOIN cx_notes n ON n.sig = c.sig AND n.statement_id = m.statement_id
  GROUP BY m.patient_id
),
acq_list AS (
  SELECT s.patient_id, list(DISTINCT i.name ORDER BY i.name) AS acquired
  FROM cx_status s
  JOIN cx_obs o ON o.patient_id = s.patient_id AND o.key = s.key AND o.now
  JOIN alt_info i ON i.alt_id = o.alt_id
  WHERE s.status = 'acquired'
  GROUP BY s.patient_id
),
samples_list AS (
  SELECT patient_id,
         list(sample_id ORDER BY day, sample_id) FILTER (WHERE NOT now) AS baseline_samples,
         list(sample_id ORDER BY day, sample_id) FILTER (WHERE now) AS progression_samples
  FROM cx_phase GROUP BY patient_id
),
-- 7. plasma: the first liquid sample of the line (up to the decision point) that detected
-- each alteration of an acquired or not-assessable mechanism, and the lead time before the
-- decision point (months, as the dynamics step measures it)
plasma_first AS (
  SELECT t.patient_id, t.key, min(s.day) AS first_day, arg_min(i.name, (s.day, i.name)) AS name
  FROM (SELECT DISTINCT patient_id, key FROM fired WHERE r >= 2) t
  JOIN cx_prog p ON p.patient_id = t.patient_id
  JOIN samples s ON s.patient_id = t.patient_id AND s.liquid
                AND s.day > p.start_day AND s.day <= p.day
  JOIN alterations a ON a.patient_id = s.patient_id AND a.sample_id = s.sample_id
  JOIN alt_info i ON i.alt_id = a.alt_id AND i.key = t.key
  GROUP BY t.patient_id, t.key
),
plasma_list AS (
  SELECT f.patient_id,
         list(f.name ORDER BY f.first_day, f.name) AS plasma_resistance,
         list(f.first_day ORDER BY f.first_day, f.name) AS plasma_first_days,
         list(round((p.day - f.first_day) / {DAYS_PER_MONTH!r}, 2) ORDER BY f.first_day, f.name)
           AS plasma_lead_months,
         (p.day - min(f.first_day)) / {DAYS_PER_MONTH!r} AS plasma_lead_time_months
  FROM plasma_first f JOIN cx_prog p ON p.patient_id = f.patient_id
  GROUP BY f.patient_id, p.day
),
counts AS (
  SELECT patient_id,
         count(*) FILTER (WHERE now_pos AND status = 'persistent') AS n_persistent,
         count(*) FILTER (WHERE now_pos AND status = 'not_assessable') AS n_not_assessable
  FROM cx_status GROUP BY patient_id
)
SELECT p.patient_id, l.prior_drug, l.prior_drug_classes, l.prior_generations,
       p.start_day AS therapy_start_day, p.sample_id AS progression_sample,
       coalesce(sl.progression_samples, []) AS progression_samples,
       p.day AS progression_day,
       (p.day - p.start_day) / {DAYS_PER_MONTH!r} AS months_from_therapy_start,
       coalesce(sl.baseline_samples, []) AS baseline_samples,
       coalesce(len(sl.baseline_samples), 0) > 0 AS assessable,
       c.driver_state,
       coalesce(al.acquired, []) AS acquired,
       coalesce(ct.n_persistent, 0) AS n_persistent,
       coalesce(ct.n_not_assessable, 0) AS n_not_assessable,
       coalesce(ml.mechanisms, []) AS mechanisms,
       coalesce(cl.categories, []) AS mechanism_categories,
       coalesce(ml.mechanisms_na, []) AS mechanisms_not_assessable,
       coalesce(cl.categories_na, []) AS not_assessable_categories,
       coalesce(ml.mechanisms_persistent, []) AS mechanisms_persistent,
       coalesce(nl.assumptions, []) AS assumptions,
       coalesce(pl.plasma_resistance, []) AS plasma_resistance,
       coalesce(pl.plasma_first_days, []) AS plasma_first_days,
       coalesce(pl.plasma_lead_months, []) AS plasma_lead_months,
       pl.plasma_lead_time_months
FROM cx_prog p
JOIN prior_label l ON l.patient_id = p.patient_id
JOIN cx_ctx c ON c.patient_id = p.patient_id
LEFT JOIN samples_list sl ON sl.patient_id = p.patient_id
LEFT JOIN acq_list al ON al.patient_id = p.patient_id
LEFT JOIN mech_list ml ON ml.patient_id = p.patient_id
LEFT JOIN cat_list cl ON cl.patient_id = p.patient_id
LEFT JOIN counts ct ON ct.patient_id = p.patient_id
LEFT JOIN notes_list nl ON nl.patient_id = p.patient_id
LEFT JOIN plasma_list pl ON pl.patient_id = p.patient_id
ORDER BY p.patient_id
"""


def _drop_work(con: duckdb.DuckDBPyConnection) -> None:
    for name in _WORK_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {name}")


def analyse(con: duckdb.DuckDBPyConnection, max_gap_days: int = 90) -> pa.Table:
    """The per-patient table (:data:`PATIENT_COLUMNS`) from the tables in ``con`` (steps 1-6
    of the module docstring): set-based SQL over the input and knowledge tables, and the
    matching rule of :mod:`tkiresist.knowledge.applies` run once per distinct context."""
    try:
        for sql in _stage_sql(max_gap_days):
            con.execute(sql)
        _apply_rule(con)
        return _to_arrow(con, _result_sql())
    finally:
        _drop_work(con)


def situations(con: duckdb.DuckDBPyConnection, max_gap_days: int = 90) -> dict[str, Situation]:
    """Each patient's :class:`~tkiresist.knowledge.applies.Situation` as cohort mode builds it
    (present categories: those a mechanism statement names), for comparing with the engine's."""
    try:
        for sql in _stage_sql(max_gap_days):
            con.execute(sql)
        cols = ", ".join(_CTX_COLUMNS)
        rows = con.execute(f"SELECT patient_id, {cols} FROM cx_ctx").fetchall()
        return {r[0]: _situation(r[1:]) for r in rows}
    finally:
        _drop_work(con)


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
    plasma_lead_times: tuple[TimeToProgression, ...] = ()
    """per prior drug and ``all``: the distribution of patients' plasma lead times (months from
    the first plasma sample showing a resistance alteration to the decision point)"""

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
            "plasma_lead_time_months": [_as_dict(t) for t in self.plasma_lead_times],
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
NOT_ASSESSABLE: Final = "not_assessable"
PRE_EXISTING: Final = "pre_existing"
OUTCOME_LABELS: Final = {
    NO_MECHANISM: "no mechanism identified",
    NOT_ASSESSABLE: "mechanism found; whether it was acquired on the line cannot be assessed",
    PRE_EXISTING: "mechanism present before the line began (not acquired on it)",
}
"""A patient without an acquired mechanism counts once under one of these, in this order of
preference: ``not_assessable`` (a mechanism was found, but no baseline sample covered its
alteration), ``pre_existing`` (a mechanism's alteration was already there before the line),
``none_identified`` (no mechanism at all)."""


def summarise(
    per_patient: pa.Table, counts: Mapping[str, int] | None = None, warnings: Sequence[str] = ()
) -> CohortSummary:
    """Mechanism frequencies by prior drug (exact CIs), time from therapy start to the
    progression sample, and co-occurrence, from the per-patient table. Set-based: DuckDB
    groups, Python only formats one row per group."""
    import duckdb

    from tkiresist.evidence.stats import proportion
    from tkiresist.model.categories import CATALOGUE

    con = duckdb.connect(":memory:")
    try:
        con.register("pp", per_patient)
        names = set(per_patient.column_names)
        na = "mechanisms_not_assessable"
        pre = "mechanisms_persistent"
        na_len = f"len({na})" if na in names else "0"
        pre_len = f"len({pre})" if pre in names else "0"
        con.execute(
            f"""
            CREATE TEMP TABLE pp2 AS
            SELECT patient_id, prior_drug, assessable, months_from_therapy_start AS months,
                   CASE WHEN len(mechanism_categories) > 0 THEN mechanism_categories
                        WHEN {na_len} > 0 THEN [{_lit(NOT_ASSESSABLE)}]
                        WHEN {pre_len} > 0 THEN [{_lit(PRE_EXISTING)}]
                        ELSE [{_lit(NO_MECHANISM)}] END AS cats
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
            label = CATALOGUE[cat].label if cat in CATALOGUE else OUTCOME_LABELS[cat]
            freqs.append(MechanismFrequency(str(drug), str(cat), label, int(k), n, p.value, lo, hi))
        trows = con.execute(
            f"""
            SELECT prior_drug, months, count(*) FROM pp2 GROUP BY 1, 2
            UNION ALL
            SELECT {_lit(ALL_DRUGS)}, months, count(*) FROM pp2 GROUP BY 2
            ORDER BY 1, 2
            """
        ).fetchall()
        times = _distributions(trows)
        lead: list[TimeToProgression] = []
        if "plasma_lead_time_months" in names:
            lead = _distributions(
                con.execute(
                    f"""
                    SELECT prior_drug, plasma_lead_time_months AS m, count(*) FROM pp
                    WHERE m IS NOT NULL GROUP BY 1, 2
                    UNION ALL
                    SELECT {_lit(ALL_DRUGS)}, plasma_lead_time_months AS m, count(*) FROM pp
                    WHERE m IS NOT NULL GROUP BY 2
                    ORDER BY 1, 2
                    """
                ).fetchall()
            )
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
        plasma_lead_times=tuple(lead),
    )


def _distributions(rows: Iterable[Sequence[Any]]) -> list[TimeToProgression]:
    """n, median, quartiles (type 7) and range per group, from (group, value, count) rows."""
    from tkiresist.evidence.stats import describe

    grouped: dict[str, tuple[list[float], list[int]]] = {}
    for drug, months, c in rows:
        vals, cnts = grouped.setdefault(str(drug), ([], []))
        vals.append(float(months))
        cnts.append(int(c))
    out: list[TimeToProgression] = []
    for drug, (vals, cnts) in sorted(grouped.items()):
        d = describe(vals, counts=cnts)
        out.append(TimeToProgression(drug, d.n, d.median, d.q1, d.q3, d.min, d.max))
    return out


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
            lines.append(
                "Plasma lead time (first plasma sample showing a resistance alteration to the "
                f"decision point), months: median {t.median:.1f} (IQR {t.q1:.1f}–{t.q3:.1f}; "
                f"n = {t.n})"
            )
    for w in summary.warnings:
        lines.append(f"warning: {w}")
    return "\n".join(lines) + "\n"
