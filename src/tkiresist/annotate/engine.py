"""``annotate_tables``: whole-table annotation with DuckDB, distinct keys normalised once.

The plan, per input table, never looping over rows in Python:

1. **Keys.** DuckDB reads the table's key columns (MAF: gene, protein change, c. change,
   classification, sample, build) into a narrow temporary table, through the ``read_csv``
   builder and located CSV errors ``cohort`` uses too (:mod:`tkiresist.io.tables.read`);
   ``rowid`` is the data row's position in the file.
2. **Normalise.** The distinct strings go to Python once each (:mod:`tkiresist.annotate.keys`):
   gene symbols, protein and c. changes the SQL fast paths leave, the keys of genes whose
   categories depend on the change, fusions, copy-number calls. The answers come back as small
   tables, and the rows are joined to them (one hash join per small table) into a
   materialised per-row annotation.
3. **Context.** Per sample: the OncoTree code and prior therapy of the clinical file (or, for
   the therapy, of cBioPortal timelines, read by the loader ``cohort`` uses too,
   :mod:`tkiresist.io.tables.timeline`), and the categories (of every table) that some
   statement's context names (:func:`tkiresist.annotate.levels.context_categories`).
4. **Match.** The distinct (row categories, sample context) pairs that can trigger a statement
   go to :func:`tkiresist.annotate.levels.row_levels` once each.
5. **Write.** The per-row annotation, in file order, is put beside the input by
   ``POSITIONAL JOIN`` and written with DuckDB's ``COPY``. TSV output is the input line,
   byte for byte, with the new columns appended (and the ``#`` lines before the header kept);
   Parquet output has the input's columns (as text) and the new ones, and keeps the
   ``#`` lines and the knowledge-base stamp in its key-value metadata. Every 1,024th row's
   gene and sample are compared with the key it was annotated from, so rows out of file order
   fail loudly. Output is written to a temporary file and renamed: a failure leaves no
   partial output.

Outputs: ``OUT`` for the MAF; ``OUT`` with ``.sv`` and ``.cna`` before its suffix for the SV
and CNA tables (``cohort.tsv`` -> ``cohort.sv.tsv``, ``cohort.cna.tsv``). The SV output has
one row per input row. A fusion caller's output (Arriba, STAR-Fusion, FusionCatcher) is the
one table whose rows go through Python: its case-side reader reads them (``_sv_caller``), so
its fusions are add-test's by construction; a caller writes one small file per sample. A VCF
with fusion records is read the same way, by the case-side VCF reader (``_sv_vcf``), and its
SV output has one row per detected fusion (a fusion may span two records), with the VCF line
number(s) in ``VCF_Lines`` (``_write_sv_vcf``). The
CNA output is long, one row per non-zero, assessed cell (a wide matrix of 200,000 samples
holds mostly zeros): ``Hugo_Symbol``, ``Entrez_Gene_Id`` when
given, ``Sample_Id``, ``Value``, then the new columns.

New columns (:data:`OUTPUT_COLUMNS`): the normalised alteration, its categories, the highest
sensitivity and resistance levels, the matching statement ids, the status, and the OncoTree
code and prior drug classes the levels were computed for (the classes are empty when the prior
therapy is unknown, ``none`` when the table says none; see :mod:`tkiresist.annotate.levels`).

Limits: line numbers in warnings count the lines of the file assuming no blank line after
the header (DuckDB skips blank lines); a CNA value must be -2, -1.5, -1, 0, 1, 2 (as a
number: ``2.0`` is 2), ``NA`` or empty.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tkiresist.annotate import inputs, keys
from tkiresist.annotate.keys import Annotation, RowStatus
from tkiresist.annotate.levels import (
    DEFAULT_ONCOTREE,
    UNKNOWN_THERAPY,
    PriorTherapy,
    RowLevels,
    SampleContext,
    context_categories,
    no_level_reason,
    relevant_context,
    row_levels,
    trigger_categories,
)
from tkiresist.errors import FormatError, Location, ParseError, Problem
from tkiresist.io import cna as io_cna
from tkiresist.io.cna import DISCRETE_EXPECTED
from tkiresist.io.tables.read import TableHeader, run_located
from tkiresist.io.tables.read import read_csv_sql as _read_csv
from tkiresist.io.tables.read import read_lines_sql as _read_lines

if TYPE_CHECKING:
    import duckdb

    from tkiresist.knowledge.loader import KnowledgeBase
    from tkiresist.model.alterations import Fusion

OutputFormat = Literal["tsv", "parquet"]

OUTPUT_COLUMNS = (
    "TKIRESIST_ALTERATION",
    "TKIRESIST_CATEGORIES",
    "TKIRESIST_HIGHEST_SENSITIVE_LEVEL",
    "TKIRESIST_HIGHEST_RESISTANCE_LEVEL",
    "TKIRESIST_STATEMENTS",
    "TKIRESIST_STATUS",
    "TKIRESIST_ONCOTREE_CODE",
    "TKIRESIST_PRIOR_DRUG_CLASSES",
    "TKIRESIST_LEVEL_REASON",
)
CHECK_EVERY = 1024
"""Every this many rows, the written row's gene and sample are checked against the key its
annotation was made from (``_write_rows``): rows that left file order in any step fail the
run loudly instead of being written beside another row's annotation."""


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TableReport:
    """What annotating one input table did."""

    kind: str
    input: str
    output: str
    rows_in: int
    rows_out: int
    distinct_keys: int
    statuses: tuple[tuple[str, int], ...]

    def count(self, status: RowStatus | str) -> int:
        return dict(self.statuses).get(str(status), 0)


@dataclass(frozen=True, slots=True)
class AnnotateReport:
    """Counts and warnings of one ``annotate_tables`` run."""

    tables: tuple[TableReport, ...]
    warnings: tuple[Problem, ...]
    knowledge_base: str
    seconds: float
    stages: tuple[tuple[str, float], ...] = ()

    def table(self, kind: str) -> TableReport:
        return next(t for t in self.tables if t.kind == kind)

    def summary(self) -> str:
        lines = [f"{self.knowledge_base}; {self.seconds:.1f} s"]
        for t in self.tables:
            counts = ", ".join(f"{k} {v:,}" for k, v in t.statuses)
            lines.append(
                f"{t.kind}: {t.rows_in:,} rows in, {t.rows_out:,} rows out "
                f"({t.distinct_keys:,} distinct keys) -> {t.output}; {counts}"
            )
        if self.stages:
            lines.append("stages: " + ", ".join(f"{n} {s:.2f}s" for n, s in self.stages))
        if self.warnings:
            lines.append(f"{len(self.warnings):,} warning(s)")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# SQL helpers
# ---------------------------------------------------------------------------------------------


def _q(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _col(header: TableHeader, name: str) -> str:
    return _ident(name) if header.has(name) else "NULL::VARCHAR"


def _table_from_rows(
    con: duckdb.DuckDBPyConnection,
    name: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[object]],
) -> None:
    """Create temp table ``name`` from Python rows (column name, SQL type)."""
    params: dict[str, list[object]] = {f"c{i}": [r[i] for r in rows] for i in range(len(columns))}
    select = ", ".join(
        f"unnest(${'c'}{i}::{t}[]) AS {_ident(c)}" for i, (c, t) in enumerate(columns)
    )
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {select}", params)


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


@dataclass
class _Run:
    con: duckdb.DuckDBPyConnection
    knowledge: KnowledgeBase | Future[KnowledgeBase]
    warnings: list[Problem] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)  # prefixes of annotated tables
    stages: list[tuple[str, float]] = field(default_factory=list)
    _mark: float = field(default_factory=time.perf_counter)

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base (waiting for it, the first time, if it is still loading)."""
        if isinstance(self.knowledge, Future):
            self.knowledge = self.knowledge.result()
        return self.knowledge

    def stage(self, name: str) -> None:
        """Record the time since the previous stage ended, as stage ``name``."""
        now = time.perf_counter()
        self.stages.append((name, now - self._mark))
        self._mark = now

    def warn(self, message: str, location: Location) -> None:
        self.warnings.append(Problem(message, location))

    def sql(self, query: str, params: object = None) -> duckdb.DuckDBPyConnection:
        return self.con.execute(query, params)

    def rows(self, query: str, params: object = None) -> list[tuple[Any, ...]]:
        return self.con.execute(query, params).fetchall()

    def scalar(self, query: str) -> Any:
        row = self.con.execute(query).fetchone()
        assert row is not None
        return row[0]


def _line(header: TableHeader, rowid: int) -> int:
    return header.header_line + 1 + int(rowid)


# --- MAF ------------------------------------------------------------------------------------

_NON_PROTEIN_RE = "|".join(
    "".join("\\" + ch if ch in r"\.^$|?*+()[]{}" else ch for ch in c)
    for c in sorted(keys.NON_PROTEIN_CLASSES)
)
"""An RE2 alternation of the classifications that change no protein. The MAF read tests it
with ``regexp_full_match``, a scalar function: DuckDB rewrites ``IN (...)`` and
``list_contains`` over a constant list of this length into a join, and a join in the read
would give the rows an order that is not the file's (``_write_rows`` then fails its
alignment check)."""


def _maf_keys(run: _Run, header: TableHeader) -> int:
    protein = [c for c in inputs.MAF_PROTEIN if header.has(c)]
    p = (
        "coalesce(" + ", ".join(_ident(c) for c in protein) + ")"
        if len(protein) > 1
        else (_ident(protein[0]))
    )
    sql = f"""
        CREATE OR REPLACE TABLE maf_rows AS
        SELECT {_ident("Tumor_Sample_Barcode")} AS s, {_ident("Hugo_Symbol")} AS g, {p} AS p,
               {_col(header, "HGVSc")} AS c,
               NOT regexp_full_match(coalesce({_ident("Variant_Classification")}, ''),
                                     {_q(_NON_PROTEIN_RE)}) AS coding,
               {_col(header, "NCBI_Build")} AS b
        FROM {_read_csv(header)}
    """
    run_located(header, "MAF", lambda: run.sql(sql))
    n = int(run.scalar("SELECT count(*) FROM maf_rows"))
    if n == 0:
        raise FormatError(
            "MAF has a header but no data rows", Location(header.file, header.header_line + 1)
        )
    _warn_empty_samples(run, header, "maf_rows", "Tumor_Sample_Barcode")
    return n


def _warn_empty_samples(run: _Run, header: TableHeader, table: str, column: str) -> None:
    first, count = run.rows(f"SELECT min(rowid), count(*) FROM {table} WHERE s IS NULL")[0]
    if count:
        run.warn(
            f"empty {column} in {count:,} row(s): annotated as one sample without a name "
            "(no clinical context)",
            header.loc(_line(header, first), column),
        )


def _check_build(run: _Run, header: TableHeader, table: str) -> None:
    from tkiresist.io.base import MISSING, build_from_text

    seen: list[tuple[str, int, str]] = []  # build, first line, text
    for text, first in run.rows(f"SELECT b, min(rowid) FROM {table} GROUP BY b ORDER BY 2"):
        if text is None or text.strip() in MISSING:
            continue
        loc = header.loc(_line(header, first), "NCBI_Build")
        build = build_from_text(text, loc)
        if build is None:
            raise FormatError(
                f"unknown genome build {text!r}: expected GRCh37/hg19 or GRCh38/hg38", loc
            )
        seen.append((build, _line(header, first), text))
    builds = {b for b, _, _ in seen}
    if len(builds) > 1:
        first = seen[0]
        other = next(s for s in seen if s[0] != first[0])
        raise FormatError(
            f"genome build mismatch: NCBI_Build {other[2]!r} ({other[0]}) first at line "
            f"{other[1]}, but {first[2]!r} ({first[0]}) from line {first[1]}; GRCh37 and "
            "GRCh38 rows cannot be annotated together",
            header.loc(other[1], "NCBI_Build"),
        )


def _gene_table(run: _Run, header: TableHeader, source: str, column: str, out: str) -> None:
    """``out(g, approved, gl_cats, gl_ctx)`` for the distinct symbols of ``source.column``
    (warning for unknown ones). ``gl_cats`` and ``gl_ctx`` are the categories (and context
    categories) every sequence variant of the gene has when they do not depend on the change
    (:func:`~tkiresist.model.categories.gene_level_categories`), else NULL."""
    from tkiresist.model.categories import gene_level_categories

    found = run.rows(
        f"SELECT {column}, min(rowid), count(*) FROM {source} GROUP BY {column} ORDER BY 2"
    )
    ctx_cats = context_categories(run.kb)
    rows: list[tuple[object, ...]] = []
    for symbol, first, n in found:
        if symbol is None:
            rows.append((symbol, None, None, None))
            run.warn(
                f"empty gene symbol; {n:,} row(s) kept unannotated",
                header.loc(_line(header, first), "Hugo_Symbol"),
            )
            continue
        read = keys.gene(symbol)
        level = gene_level_categories(read.text) if read.text is not None else None
        cats = ",".join(sorted(level)) if level is not None else None
        ctx = ",".join(sorted(level & ctx_cats)) if level is not None else None
        rows.append((symbol, read.text, cats, ctx))
        if read.text is None:
            run.warn(
                f"{read.problem}; {n:,} row(s) kept unannotated (status unknown_gene)",
                header.loc(_line(header, first), "Hugo_Symbol"),
            )
    _table_from_rows(
        run.con,
        out,
        [("g", "VARCHAR"), ("approved", "VARCHAR"), ("gl_cats", "VARCHAR"),
         ("gl_ctx", "VARCHAR")],
        rows,
    )  # fmt: skip


def _canonical_table(
    run: _Run,
    table: str,
    column: str,
    fast_sql: str,
    where: str,
    parse: Callable[[list[str]], dict[str, keys.Read]],
) -> int:
    """``table(column, canon, problem)`` for the distinct ``maf_rows.column`` values where
    ``where`` holds: canonical by the SQL fast path ``fast_sql``, else by ``parse`` (the
    grammar, in Python, once per value; ``problem`` says why one does not read). Returns how
    many values the parser read."""
    run.sql(
        f"""CREATE OR REPLACE TABLE {table} AS
            SELECT {column}, {fast_sql} AS canon
            FROM (SELECT DISTINCT {column} FROM maf_rows WHERE {where})"""
    )
    slow = [r[0] for r in run.rows(f"SELECT {column} FROM {table} WHERE canon IS NULL")]
    _table_from_rows(
        run.con,
        f"{table}_py",
        [(column, "VARCHAR"), ("canon", "VARCHAR"), ("problem", "VARCHAR")],
        [(t, r.text, r.problem) for t, r in parse(slow).items()],
    )
    run.sql(
        f"""CREATE OR REPLACE TABLE {table} AS
            SELECT m.{column}, coalesce(m.canon, y.canon) AS canon, y.problem
            FROM {table} m LEFT JOIN {table}_py y USING ({column})"""
    )
    return len(slow)


def _maf_annotate_keys(run: _Run, header: TableHeader) -> int:
    """``maf_rowann``: each row's alteration, categories, context categories and
    status; ``maf_ctxrows``: the rows that have categories.

    The distinct genes, protein changes, c. changes and category-gene keys are read once
    each into small tables; the view joins the rows to them. Returns the number of distinct
    keys normalised (genes, protein changes, c. changes, category-gene variants).
    """
    _gene_table(run, header, "maf_rows", "g", "maf_genes")
    run.stage("genes (HGNC)")
    coding = "coding"  # the row's Variant_Classification changes a protein
    known = "g IN (SELECT g FROM maf_genes WHERE approved IS NOT NULL)"
    # Protein changes: the SQL fast paths, then the parser for the rest.
    slow = _canonical_table(
        run,
        "maf_prot",
        "p",
        keys.sql_protein_canonical("p"),
        f"p IS NOT NULL AND {coding} AND {known}",
        keys.proteins,
    )
    run.stage(f"proteins ({slow:,} by the parser)")
    # c. changes, for the rows whose protein change is missing or unreadable.
    unread = "(p IS NULL OR p IN (SELECT p FROM maf_prot WHERE canon IS NULL))"
    slow = _canonical_table(
        run,
        "maf_cdna",
        "c",
        keys.sql_cdna_canonical(keys.sql_cdna_strip("c")),
        f"c IS NOT NULL AND {unread} AND {coding} AND {known}",
        keys.cdnas,
    )
    run.stage(f"c. changes ({slow:,} by the parser)")
    # Keys of genes that have categories, built into values in Python. The c. change is part
    # of the key only when the protein change cannot be read. A readable protein change of a
    # gene whose categories do not depend on the change (``gl_cats``) needs no value: its
    # name is the gene and the canonical change, its categories the gene's.
    genes = "[" + ", ".join(_q(g) for g in sorted(keys.CATEGORY_GENES)) + "]"
    ckey = "CASE WHEN pr.canon IS NULL THEN coalesce(r.c, '') ELSE '' END"
    cat_keys = run.rows(
        f"""
        SELECT DISTINCT gm.approved, coalesce(r.p, ''), {ckey}
        FROM maf_rows r JOIN maf_genes gm ON gm.g = r.g LEFT JOIN maf_prot pr ON pr.p = r.p
        WHERE list_contains({genes}, gm.approved) AND r.coding
          AND (gm.gl_cats IS NULL OR pr.canon IS NULL)
        """
    )
    ctx_cats = context_categories(run.kb)
    cat_rows: list[tuple[object, ...]] = []
    for approved, p, c in cat_keys:
        ann = keys.category_variant(approved, p or None, c or None)
        cat_rows.append(
            (approved, p, c, ann.alteration, ann.categories, _ctx(ann, ctx_cats),
             str(ann.status), ann.problem)
        )  # fmt: skip
    _table_from_rows(
        run.con,
        "maf_cat",
        [("approved", "VARCHAR"), ("p", "VARCHAR"), ("c", "VARCHAR"), ("alteration", "VARCHAR"),
         ("cats", "VARCHAR"), ("ctx", "VARCHAR"), ("status", "VARCHAR"),
         ("problem", "VARCHAR")],
        cat_rows,
    )  # fmt: skip
    run.stage(f"category keys ({len(cat_rows):,})")
    vc_coding = "r.coding"
    # vcf2maf's splice-site notation (p.X125_splice) of a gene no category names, with no
    # readable c. change: read as written (keys.SPLICE_NOTATION); category genes are keys
    splice = f"regexp_full_match(coalesce(trim(r.p), ''), {_q(keys.SPLICE_NOTATION)})"

    def rowann(source: str) -> str:
        """SQL: each row of ``source`` (maf_rows columns, ``rid``) with its annotation."""
        return f"""
        SELECT r.rid, r.s, r.g, r.p, r.c,
          CASE WHEN gm.approved IS NULL OR NOT ({vc_coding}) THEN NULL
               WHEN ck.approved IS NOT NULL THEN ck.alteration
               ELSE gm.approved || ' ' || coalesce(pr.canon, cd.canon,
                                                   CASE WHEN {splice} THEN trim(r.p) END)
          END AS alteration,
          CASE WHEN ck.approved IS NOT NULL THEN ck.cats
               WHEN pr.canon IS NOT NULL AND ({vc_coding}) THEN coalesce(gm.gl_cats, '')
               ELSE '' END AS cats,
          CASE WHEN ck.approved IS NOT NULL THEN ck.ctx
               WHEN pr.canon IS NOT NULL AND ({vc_coding}) THEN coalesce(gm.gl_ctx, '')
               ELSE '' END AS ctx,
          CASE WHEN gm.approved IS NULL THEN 'unknown_gene'
               WHEN NOT ({vc_coding}) THEN 'no_match'
               WHEN ck.approved IS NOT NULL THEN ck.status
               WHEN pr.canon IS NOT NULL OR cd.canon IS NOT NULL OR {splice} THEN 'no_match'
               ELSE 'unparsed' END AS status,
          CASE WHEN ck.approved IS NOT NULL THEN ck.problem
               ELSE concat_ws('; ', pr.problem, cd.problem) END AS problem
        FROM ({source}) r
        LEFT JOIN maf_genes gm ON gm.g = r.g
        LEFT JOIN maf_prot pr ON pr.p = r.p
        LEFT JOIN maf_cdna cd ON cd.c = r.c
        LEFT JOIN maf_cat ck ON ck.approved = gm.approved AND ck.p = coalesce(r.p, '')
                             AND ck.c = {ckey}
        """

    rows = "SELECT rowid AS rid, s, g, p, c, coding FROM maf_rows"
    # Materialised (not a view): the write joins it to the samples and the matches, and
    # DuckDB plans the two steps better apart than as one query (0.26 + 0.20 s against
    # 0.74 s for 1M rows, benchmarks/annotate.py). The key table is no longer needed.
    run.sql(f"CREATE OR REPLACE TABLE maf_rowann AS SELECT * EXCLUDE (c) FROM ({rowann(rows)})")
    run.sql("DROP TABLE maf_rows")
    run.sql(
        "CREATE OR REPLACE TABLE maf_ctxrows AS "
        "SELECT rid, s, cats, ctx FROM maf_rowann WHERE cats <> ''"
    )
    run.stage("rows with categories")
    for g, p, first, n, problem in run.rows(
        "SELECT g, p, min(rid), count(*), arg_min(problem, rid) FROM maf_rowann "
        "WHERE status = 'unparsed' GROUP BY g, p ORDER BY 3"
    ):
        what = f"{g} {p}" if p else f"{g} (no protein change)"
        reason = problem or "no protein or c. change given"
        run.warn(
            f"{what}: {reason}; {n:,} row(s) kept unannotated (status unparsed)",
            header.loc(_line(header, first), "HGVSp_Short" if header.has("HGVSp_Short") else None),
        )
    return int(
        run.scalar(
            "SELECT (SELECT count(*) FROM maf_genes) + (SELECT count(*) FROM maf_prot) "
            "+ (SELECT count(*) FROM maf_cdna) + (SELECT count(*) FROM maf_cat)"
        )
    )


def _ctx(ann: Annotation, ctx_cats: frozenset[str]) -> str:
    """The annotation's categories that some statement's context names, comma-joined."""
    if not ann.categories:
        return ""
    return ",".join(sorted(set(ann.categories.split(",")) & ctx_cats))


# --- SV -------------------------------------------------------------------------------------

SV_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "cbioportal": (
        "Sample_Id",
        ("Site1_Hugo_Symbol", "Site2_Hugo_Symbol", "Event_Info", "SV_Status"),
    ),
    "oncokb_fusion": ("Tumor_Sample_Barcode", ("Fusion",)),
    "oncokb_sv": ("Tumor_Sample_Barcode", ("GeneA", "GeneB")),
}
"""Per SV table layout: the sample column and the key columns, in the order the case-side
reader's decision takes them (:func:`_sv_call`)."""
SV_KEYS = 4
"""Key cells of an SV row given to the decision (None where a layout has fewer)."""
SV_KEY_SEP = "\x1f"
"""Joins an SV row's key cells into one text key (no line holds it: the TSV write reads lines
with it as the delimiter)."""


def _sv_call(layout: str, key: Sequence[str | None]) -> Annotation:
    """One distinct SV key, decided by the case-side reader's own function (one place)."""
    from tkiresist.io import fusions as io_fusions

    if layout == "cbioportal":
        call = io_fusions.cbioportal_sv_call(*key)
    elif layout == "oncokb_fusion":
        call = io_fusions.oncokb_fusion_call(key[0])
    else:
        call = io_fusions.oncokb_sv_call(key[0], key[1])
    return keys.fusion_annotation(call)


def _sv(run: _Run, header: TableHeader, layout: inputs.SvLayout, sample: str | None) -> int:
    """``sv_rowann`` and ``sv_ann`` for an SV table; returns its data rows."""
    if layout in inputs.CALLER_LAYOUTS:
        return _sv_caller(run, header, layout, sample)
    if layout == "vcf":
        return _sv_vcf(run, header, sample)
    s, names = SV_COLUMNS[layout]
    # One text key per row (the key cells joined by a separator no cell holds): one hash
    # join back to the distinct keys instead of four IS NOT DISTINCT FROM conditions.
    cells = ", ".join(f"coalesce({_col(header, n)}, '')" for n in names)
    sql = f"""CREATE OR REPLACE TABLE sv_rows AS
              SELECT {_ident(s)} AS s, {_ident(names[0])} AS g,
                     concat_ws({_q(SV_KEY_SEP)}, {cells}) AS k
              FROM {_read_csv(header)}"""
    run_located(header, "SV", lambda: run.sql(sql))
    n = int(run.scalar("SELECT count(*) FROM sv_rows"))
    _warn_empty_samples(run, header, "sv_rows", s)
    found = run.rows("SELECT k, min(rowid), count(*) FROM sv_rows GROUP BY k ORDER BY 2")
    ctx_cats = context_categories(run.kb)
    rows: list[tuple[object, ...]] = []
    for key, first, count in found:
        parts = [p or None for p in key.split(SV_KEY_SEP)]
        ann = _sv_call(layout, [*parts, *[None] * (SV_KEYS - len(parts))])
        if ann.problem:
            shown = (
                repr(parts[0])
                if layout == "oncokb_fusion"
                else "::".join(p or "" for p in parts[:2])
            )
            run.warn(
                f"{shown}: {ann.problem}; {count:,} row(s) kept unannotated (status {ann.status})",
                header.loc(_line(header, first), names[0]),
            )
        rows.append((key, ann.alteration, ann.categories, _ctx(ann, ctx_cats), str(ann.status)))
    _table_from_rows(
        run.con,
        "sv_ann",
        [("k", "VARCHAR"), ("alteration", "VARCHAR"), ("cats", "VARCHAR"), ("ctx", "VARCHAR"),
         ("status", "VARCHAR")],
        rows,
    )  # fmt: skip
    run.sql(
        """
        CREATE OR REPLACE TABLE sv_rowann AS
        SELECT r.rowid AS rid, r.s, r.g, a.alteration, a.cats, a.ctx, a.status
        FROM sv_rows r JOIN sv_ann a USING (k)
        """
    )
    run.sql("CREATE OR REPLACE VIEW sv_ctxrows AS SELECT * FROM sv_rowann WHERE cats <> ''")
    return n


def _fusion_annotation(alt: Fusion) -> Annotation:
    """A fusion a case-side reader named: its categories, or an unknown gene."""
    from tkiresist.nomenclature.genes import is_known

    unknown = [g for g in alt.genes if not is_known(g)]
    if unknown:
        return Annotation(None, "", RowStatus.UNKNOWN_GENE, f"unknown gene {unknown[0]!r}")
    return Annotation(alt.name, keys.categories_text(alt), RowStatus.NO_MATCH)


def _sv_caller(run: _Run, header: TableHeader, layout: str, sample: str | None) -> int:
    """A fusion caller's output (Arriba, STAR-Fusion, FusionCatcher): its case-side reader
    reads every row (a caller writes one file per sample, of at most a few thousand rows) and
    decides each row's fusion, or why it has none; those become ``sv_rowann``.

    Every data row gives the reader one finding or one unannotated record; the records, in
    line order, are the rows in file order (checked against DuckDB's count of the lines the
    output is written beside). The rows' sample is the table's sample column when it has one
    (``tumor_id``), else ``sample`` (``--sample``, or the file name; see
    :func:`tkiresist.annotate.inputs.sv_sample`).
    """
    from tkiresist.io.base import MISSING
    from tkiresist.io.fusions import CALLERS, sample_column
    from tkiresist.io.readers import BY_NAME
    from tkiresist.model.alterations import Fusion

    result = BY_NAME[layout].read(Path(header.file))
    run.warnings.extend(result.warnings)
    records: list[tuple[int, str, Annotation]] = []
    for findings in result.findings_by_sample.values():
        for f in findings:
            alt = f.alteration
            assert isinstance(alt, Fusion) and f.provenance is not None
            ann = _fusion_annotation(alt)
            records.append((f.provenance.line or 0, f.provenance.source_text or "", ann))
    for u in result.unannotated:
        records.append((u.line, u.text, Annotation(None, "", RowStatus.UNPARSED, u.reason)))
    records.sort(key=lambda r: r[0])
    count_sql = f"SELECT count(*) FROM {_read_lines(header)}"
    n = int(run_located(header, "SV", lambda: run.scalar(count_sql)))
    if n != len(records) or len({r[0] for r in records}) != n:
        raise FormatError(  # pragma: no cover - every reader gives each row one record
            f"the {layout} reader gave {len(records):,} records for {n:,} data rows",
            Location(header.file),
        )
    gene_at = header.column_number(CALLERS[layout].five_column) - 1
    own = sample_column(header.columns)
    sample_at = header.column_number(own) - 1 if own is not None else None
    ctx_cats = context_categories(run.kb)
    rows: list[tuple[object, ...]] = []
    for rid, (_line_no, text, ann) in enumerate(records):
        cells = text.split("\t")
        s = sample
        if sample_at is not None:
            cell = cells[sample_at].strip()
            s = None if cell in MISSING else cell
        rows.append(
            (rid, s, cells[gene_at], ann.alteration, ann.categories, _ctx(ann, ctx_cats),
             str(ann.status))
        )  # fmt: skip
    columns = [("rid", "BIGINT"), ("s", "VARCHAR"), ("g", "VARCHAR"), ("alteration", "VARCHAR"),
               ("cats", "VARCHAR"), ("ctx", "VARCHAR"), ("status", "VARCHAR")]  # fmt: skip
    _table_from_rows(run.con, "sv_rowann", columns, rows)
    run.sql("CREATE OR REPLACE TABLE sv_ann AS SELECT DISTINCT alteration, status FROM sv_rowann")
    run.sql("CREATE OR REPLACE VIEW sv_ctxrows AS SELECT * FROM sv_rowann WHERE cats <> ''")
    return n


VCF_SV_COLUMNS = ("Sample_Id", "Fusion", "VCF_Lines")
"""The input-side columns of a VCF's SV output (one row per fusion, not per line): the
sample, the fusion the VCF reader names, and the line number(s) of its record(s)."""


def _sv_vcf(run: _Run, header: TableHeader, sample: str | None) -> int:
    """A VCF with fusion records: the case-side VCF reader (:func:`tkiresist.io.vcf.read`, the
    one VCF fusion parser) reads the file; each *detected* fusion it reports is one row of
    ``sv_rowann`` (and of ``sv_vcf_rows``: sample, fusion, the VCF line(s) of its record(s)).
    Its other findings are not SV rows: they are counted in a warning. Returns the rows."""
    from tkiresist.io.base import iter_lines
    from tkiresist.io.readers import BY_NAME
    from tkiresist.model.alterations import Fusion

    result = BY_NAME["vcf"].read(Path(header.file))
    run.warnings.extend(result.warnings)
    found: list[tuple[int, str | None, Fusion, str]] = []
    other: dict[str, int] = {}
    for own, findings in result.findings_by_sample.items():
        for f in findings:
            alt = f.alteration
            if isinstance(alt, Fusion) and f.status == "detected" and f.provenance is not None:
                text = f.provenance.source_text or ""
                found.append((f.provenance.line or 0, own or sample, alt, text))
            else:
                what = "not-detected fusion" if isinstance(alt, Fusion) else type(alt).__name__
                other[what] = other.get(what, 0) + 1
    if result.unannotated:  # each already warned about, at its line, by the reader
        other["record(s) kept unannotated"] = len(result.unannotated)
    if other:
        shown = ", ".join(f"{n:,} {what}" for what, n in sorted(other.items()))
        run.warn(
            f"VCF findings that are not detected fusions are not SV rows: {shown}",
            Location(header.file),
        )
    found.sort(key=lambda r: r[0])
    wanted = {t for r in found for t in r[3].split("\n") if t}
    line_of: dict[str, int] = {}
    for number, text, _ in iter_lines(Path(header.file)):
        if text in wanted:
            line_of.setdefault(text, number)
    ctx_cats = context_categories(run.kb)
    rows: list[tuple[object, ...]] = []
    src: list[tuple[object, ...]] = []
    for rid, (first, s, alt, text) in enumerate(found):
        ann = _fusion_annotation(alt)
        lines = sorted({line_of.get(t, first) for t in text.split("\n") if t} or {first})
        rows.append(
            (rid, s, alt.name, ann.alteration, ann.categories, _ctx(ann, ctx_cats),
             str(ann.status))
        )  # fmt: skip
        src.append((rid, s or "", alt.name, ",".join(str(n) for n in lines)))
    columns = [("rid", "BIGINT"), ("s", "VARCHAR"), ("g", "VARCHAR"), ("alteration", "VARCHAR"),
               ("cats", "VARCHAR"), ("ctx", "VARCHAR"), ("status", "VARCHAR")]  # fmt: skip
    _table_from_rows(run.con, "sv_rowann", columns, rows)
    _table_from_rows(
        run.con,
        "sv_vcf_rows",
        [("rid", "BIGINT"), *((c, "VARCHAR") for c in VCF_SV_COLUMNS)],
        src,
    )
    run.sql("CREATE OR REPLACE TABLE sv_ann AS SELECT DISTINCT alteration, status FROM sv_rowann")
    run.sql("CREATE OR REPLACE VIEW sv_ctxrows AS SELECT * FROM sv_rowann WHERE cats <> ''")
    return len(rows)


# --- CNA ------------------------------------------------------------------------------------


_DISCRETE_KEYS = {float(k): k for k in io_cna.DISCRETE_CNA}


def _discrete_key(text: str) -> str | None:
    """The key of :data:`tkiresist.io.cna.DISCRETE_CNA` (the one map) that a cell written
    otherwise is as a number (``2.0`` and ``+2`` are ``2``), as the case-side reader reads it
    (``float``); None when it is no discrete value (refused)."""
    try:
        return _DISCRETE_KEYS.get(float(text))
    except ValueError:
        return None


def _cna(run: _Run, header: TableHeader, layout: inputs.CnaLayout) -> tuple[int, int]:
    """``cna_rowann`` from the CNA table (a wide matrix unpivoted in DuckDB, or a long table);
    returns (data lines, non-zero cells)."""
    cells_of = _cna_long_cells if layout == "long" else _cna_wide_cells
    lines = cells_of(run, header)
    # Cells not written as a key of the one map (``2.0``, ``-1.00``: rare) are read as numbers,
    # once per distinct text, and joined back; any other text is refused where it first is.
    allowed = "[" + ", ".join(_q(k) for k in io_cna.DISCRETE_CNA) + "]"
    odd = run.rows(f"SELECT DISTINCT v FROM cna_cells WHERE NOT list_contains({allowed}, v)")
    value = "c.v"
    join = ""
    if odd:
        _table_from_rows(
            run.con,
            "cna_odd",
            [("raw", "VARCHAR"), ("v", "VARCHAR")],
            [(text, _discrete_key(text)) for (text,) in odd],
        )
        bad = run.rows(
            "SELECT c.line_no, c.idx, c.v FROM cna_cells c JOIN cna_odd o ON o.raw = c.v "
            "WHERE o.v IS NULL ORDER BY c.line_no, c.idx LIMIT 1"
        )
        if bad:
            line_no, idx, text = bad[0]
            raise FormatError(
                f"CNA value {text!r}: expected a discrete call {DISCRETE_EXPECTED} (or NA)",
                Location(header.file, _line(header, line_no), idx, header.columns[idx - 1]),
            )
        value = "coalesce(o.v, c.v)"
        join = "LEFT JOIN cna_odd o ON o.raw = c.v"
    sample = "c.s" if layout == "long" else "sm.s"
    if layout != "long":
        join += " JOIN cna_samples sm USING (idx)"
    run.sql(
        f"""CREATE OR REPLACE TABLE cna_rows AS
            SELECT c.gene AS g, c.entrez, {sample} AS s, {value} AS v, c.v AS raw, c.line_no
            FROM cna_cells c {join} WHERE {value} <> '0' ORDER BY c.line_no, c.idx"""
    )
    cells = int(run.scalar("SELECT count(*) FROM cna_rows"))
    found = run.rows("SELECT g, min(line_no), count(*) FROM cna_rows GROUP BY g ORDER BY 2")
    ctx_cats = context_categories(run.kb)
    rows: list[tuple[object, ...]] = []
    for symbol, first_line, n in found:
        read = keys.gene(symbol) if symbol is not None else keys.Read(None, "empty gene symbol")
        if read.text is None:
            run.warn(
                f"{read.problem}; {n:,} CNA cell(s) kept unannotated (status unknown_gene)",
                header.loc(_line(header, first_line), inputs.cna_gene_column(header)),
            )
        for value in keys.DISCRETE_CNA:
            if read.text is None:
                rows.append((symbol, value, None, "", "", str(RowStatus.UNKNOWN_GENE)))
                continue
            ann = keys.copy_number(read.text, value)
            rows.append(
                (symbol, value, ann.alteration, ann.categories, _ctx(ann, ctx_cats),
                 str(ann.status))
            )  # fmt: skip
    _table_from_rows(
        run.con,
        "cna_ann",
        [("g", "VARCHAR"), ("v", "VARCHAR"), ("alteration", "VARCHAR"), ("cats", "VARCHAR"),
         ("ctx", "VARCHAR"), ("status", "VARCHAR")],
        rows,
    )  # fmt: skip
    run.sql(
        """
        CREATE OR REPLACE TABLE cna_rowann AS
        SELECT r.rowid AS rid, r.s, r.g, a.alteration, a.cats, a.ctx, a.status
        FROM cna_rows r JOIN cna_ann a ON a.g IS NOT DISTINCT FROM r.g AND a.v = r.v
        """
    )
    run.sql("CREATE OR REPLACE VIEW cna_ctxrows AS SELECT * FROM cna_rowann WHERE cats <> ''")
    return lines, cells


def _cna_wide_cells(run: _Run, header: TableHeader) -> int:
    """``cna_cells`` (line_no, gene, entrez, idx, v) and ``cna_samples`` (idx, s) of a wide
    matrix: its assessed cells not written ``0``, ``v`` as written; returns the data lines."""
    ncols = len(header.columns)
    sql = f"""CREATE OR REPLACE TABLE cna_lines AS
              SELECT string_split(line, '\t') AS parts FROM {_read_lines(header)}"""
    run_located(header, "CNA", lambda: run.sql(sql))
    bad = run.rows(
        f"SELECT rowid, len(parts) FROM cna_lines WHERE len(parts) <> {ncols} ORDER BY rowid "
        "LIMIT 1"
    )
    if bad:
        rowid, found = bad[0]
        raise FormatError(
            f"expected {ncols} tab-separated fields as in the CNA header, found {found}"
            + (" (truncated file?)" if found < ncols else ""),
            Location(header.file, _line(header, rowid), column=min(found, ncols) + 1),
        )
    lines = int(run.scalar("SELECT count(*) FROM cna_lines"))
    samples = [(i + 1, c) for i, c in enumerate(header.columns) if c not in inputs.CNA_META]
    _table_from_rows(run.con, "cna_samples", [("idx", "INTEGER"), ("s", "VARCHAR")], samples)
    entrez = header.column_number("Entrez_Gene_Id") if header.has("Entrez_Gene_Id") else None
    ent = f"parts[{entrez}]" if entrez else "NULL::VARCHAR"
    missing = "[" + ", ".join(_q(m) for m in sorted(inputs.MISSING)) + "]"
    # (a semi-join on cna_samples here makes DuckDB hold the unnested lists: a literal list)
    meta = "[" + ", ".join(str(header.column_number(c)) for c in inputs.CNA_META
                           if header.has(c)) + "]"  # fmt: skip
    run.sql(
        f"""
        CREATE OR REPLACE TABLE cna_cells AS
        SELECT line_no, gene, entrez, idx, trim(v) AS v FROM (
          SELECT rowid AS line_no, parts[1] AS gene, {ent} AS entrez,
                 generate_subscripts(parts, 1) AS idx, unnest(parts) AS v
          FROM cna_lines)
        WHERE NOT list_contains({meta}, idx)
          AND trim(v) <> '0' AND NOT list_contains({missing}, trim(v))
        """
    )
    return lines


def _cna_long_cells(run: _Run, header: TableHeader) -> int:
    """``cna_cells`` (line_no, idx, gene, entrez, s, v) of a ``DISCRETE_LONG`` table, as
    :func:`_cna_wide_cells` gives them for a matrix; returns the data rows."""
    missing = "[" + ", ".join(_q(m) for m in sorted(inputs.MISSING)) + "]"
    sql = f"""
        CREATE OR REPLACE TABLE cna_long AS
        SELECT "Hugo_Symbol" AS gene, {_col(header, "Entrez_Gene_Id")} AS entrez,
               trim("Sample_Id") AS s, trim(coalesce("Value", '')) AS raw
        FROM {_read_csv(header)}
    """
    run_located(header, "CNA", lambda: run.sql(sql))
    lines = int(run.scalar("SELECT count(*) FROM cna_long"))
    run.sql(
        f"""
        CREATE OR REPLACE TABLE cna_cells AS
        SELECT rowid AS line_no, {header.column_number("Value")} AS idx, gene, entrez, s,
               raw AS v
        FROM cna_long WHERE raw <> '0' AND NOT list_contains({missing}, raw)
        """
    )
    run.sql("DROP TABLE cna_long")
    return lines


# --- clinical -------------------------------------------------------------------------------


def _clinical(
    run: _Run, header: TableHeader | None, timelines: Sequence[TableHeader] = ()
) -> dict[str, PriorTherapy]:
    """``clinical(s, onc, therapy)``; the prior therapy of each distinct therapy text.

    With timelines, a sample whose clinical therapy is not given (no clinical file, not in
    it, or an empty / ``NA`` cell) takes the prior therapy its timeline gives
    (:func:`_timelines`); a therapy the clinical file gives is kept as it is.
    """
    found = _clinical_file(run, header)
    if timelines:
        found.update(_timelines(run, timelines))
        missing = "[" + ", ".join(_q(m) for m in sorted(inputs.MISSING)) + "]"
        run.sql(
            f"""CREATE OR REPLACE TABLE clinical AS
                SELECT coalesce(c.s, t.s) AS s, c.onc,
                       CASE WHEN c.therapy IS NULL OR list_contains({missing}, c.therapy)
                            THEN coalesce(t.therapy, c.therapy) ELSE c.therapy END AS therapy
                FROM clinical c FULL OUTER JOIN timeline_prior t ON t.s = c.s"""
        )
    return found


def _clinical_file(run: _Run, header: TableHeader | None) -> dict[str, PriorTherapy]:
    """``clinical(s, onc, therapy)`` from the clinical file (empty without one)."""
    if header is None:
        run.sql(
            "CREATE OR REPLACE TABLE clinical AS SELECT NULL::VARCHAR AS s, "
            "NULL::VARCHAR AS onc, NULL::VARCHAR AS therapy WHERE false"
        )
        return {}
    therapy = inputs.therapy_column(header)
    onc = _col(header, "ONCOTREE_CODE")
    th = _ident(therapy) if therapy else "NULL::VARCHAR"
    sql = f"""CREATE OR REPLACE TABLE clinical_rows AS
              SELECT SAMPLE_ID AS s, upper(trim({onc})) AS onc, trim({th}) AS therapy
              FROM {_read_csv(header)}"""
    run_located(header, "clinical", lambda: run.sql(sql))
    dup = run.rows(
        "SELECT s, min(rowid), max(rowid) FROM clinical_rows GROUP BY s HAVING count(*) > 1 "
        "ORDER BY 2 LIMIT 1"
    )
    if dup:
        s, first, second = dup[0]
        raise FormatError(
            f"sample {s!r} appears twice in the clinical file (lines {_line(header, first)} "
            f"and {_line(header, second)})",
            header.loc(_line(header, second), "SAMPLE_ID"),
        )
    missing = "[" + ", ".join(_q(m.upper()) for m in sorted(inputs.MISSING)) + "]"
    run.sql(
        f"""CREATE OR REPLACE TABLE clinical AS
            SELECT s, CASE WHEN onc IS NULL OR list_contains({missing}, onc) THEN NULL
                           ELSE onc END AS onc, therapy
            FROM clinical_rows"""
    )
    if therapy is None:
        return {}
    cells = run.rows(
        "SELECT therapy, min(rowid) FROM clinical_rows WHERE therapy IS NOT NULL "
        "GROUP BY therapy ORDER BY 2"
    )
    found, problems = inputs.prior_therapies(
        ((t, _line(header, first)) for t, first in cells), header, therapy
    )
    run.warnings.extend(problems)
    return found


def _timelines(run: _Run, headers: Sequence[TableHeader]) -> dict[str, PriorTherapy]:
    """``timeline_prior(s, therapy)``: each sample's prior therapy from cBioPortal timelines.

    The files are read and checked by the shared loader
    (:func:`tkiresist.io.tables.timeline.load_timelines`, as cohort reads them). A sample's
    day is the earliest START_DATE of its SPECIMEN (or SAMPLE ACQUISITION, SEQUENCING) events,
    whose PATIENT_ID names its patient. Its prior therapy is every AGENT of the patient's
    TREATMENT events (radiation left out: a TREATMENT_TYPE naming it, or AGENT_CLASS
    ``radiotherapy``) that started before that day, joined into one text
    (``erlotinib, osimertinib``) and read like a clinical therapy cell
    (:func:`tkiresist.io.tables.timeline.agents_before_sample`); ``none`` when the patient has
    treatments but none started before; unknown (no row) when the timelines give the patient
    no treatment at all. An AGENT the drug dictionary does not know is left out, with a
    warning at its first line. Refused, naming file, line and column: a START_DATE that is not
    whole days, a STOP_DATE that is neither whole days nor blank or is before its START_DATE,
    a sample given two patients.
    """
    from tkiresist.io.tables.timeline import (
        TimelineError,
        agents_before_sample,
        drop_raw,
        load_timelines,
    )

    problems = load_timelines(run.con, headers)
    drop_raw(run.con, headers)
    if problems:
        raise TimelineError(problems)
    known: list[tuple[object, ...]] = []
    for agent, f, r in run.rows(
        "SELECT agent, arg_min(f, (f, r)), arg_min(r, (f, r)) FROM tl_treat "
        "GROUP BY agent ORDER BY 2, 3"
    ):
        h = headers[f]
        loc = h.loc(_line(h, r), "AGENT")
        try:
            inputs.parse_prior_therapy(agent, loc)
            known.append((agent,))
        except ParseError as exc:
            run.warn(f"{exc.message}; left out of the prior therapy of its patient's samples", loc)
    _table_from_rows(run.con, "tl_agents", [("a", "VARCHAR")], known)
    run.sql(f"CREATE OR REPLACE TABLE timeline_prior AS {agents_before_sample('tl_agents')}")
    found: dict[str, PriorTherapy] = {}
    for (text,) in run.rows("SELECT DISTINCT therapy FROM timeline_prior"):
        try:
            found[text] = inputs.parse_prior_therapy(text)
        except ParseError as exc:  # pragma: no cover - every agent in it was read alone
            found[text] = UNKNOWN_THERAPY
            run.warn(f"{exc.message}; prior therapy taken as unknown", Location(headers[0].file))
    return found


# --- context, matching, output ----------------------------------------------------------------


def _samples(run: _Run, therapies: dict[str, PriorTherapy]) -> None:
    """``samples(s, onc, therapy, prior, present)`` over every sample of every table."""
    with_ctx = " UNION ALL ".join(f"SELECT s, ctx FROM {t}_ctxrows" for t in run.tables)
    ids = " UNION ".join(f"SELECT DISTINCT s FROM {t}_rowann" for t in run.tables)
    rows = [(t, p.classes_text) for t, p in therapies.items()]
    _table_from_rows(run.con, "therapies", [("therapy", "VARCHAR"), ("prior", "VARCHAR")], rows)
    run.sql(
        f"""
        CREATE OR REPLACE TABLE sample_present AS
        SELECT s, coalesce(string_agg(DISTINCT cat, ',' ORDER BY cat), '') AS present
        FROM (SELECT s, unnest(string_split(ctx, ',')) AS cat FROM ({with_ctx}) WHERE ctx <> '')
        GROUP BY s
        """
    )
    run.sql(
        f"""
        CREATE OR REPLACE TABLE samples AS
        SELECT ids.s, coalesce(cl.onc, {_q(DEFAULT_ONCOTREE)}) AS onc, cl.therapy,
               coalesce(th.prior, '') AS prior, coalesce(sp.present, '') AS present
        FROM ({ids}) ids
        LEFT JOIN clinical cl ON cl.s = ids.s
        LEFT JOIN therapies th ON th.therapy = cl.therapy
        LEFT JOIN sample_present sp ON sp.s = ids.s
        """
    )


def _matches(run: _Run, therapies: dict[str, PriorTherapy]) -> None:
    """``matches``: the levels of each distinct (categories, context) that can match."""
    triggers = "[" + ", ".join(_q(c) for c in sorted(trigger_categories(run.kb))) + "]"
    union = " UNION ".join(
        f"""SELECT DISTINCT r.cats, sm.onc, sm.therapy, sm.present
            FROM {t}_ctxrows r JOIN samples sm ON sm.s IS NOT DISTINCT FROM r.s
            WHERE list_has_any(string_split(r.cats, ','), {triggers})"""
        for t in run.tables
    )
    combos = run.rows(union) if run.tables else []
    out: list[tuple[object, ...]] = []
    relevant: dict[str, frozenset[str]] = {}
    answers: dict[tuple[object, ...], tuple[RowLevels, str | None]] = {}
    for cats, onc, therapy, present in combos:
        row_cats = frozenset(cats.split(","))
        if cats not in relevant:
            relevant[cats] = relevant_context(run.kb, row_cats)
        # the sample's context as far as this row's statements can see it: samples that differ
        # only elsewhere get the same answer, computed once
        seen = frozenset(present.split(",")) & relevant[cats] if present else frozenset()
        key = (cats, onc, therapy, seen)
        answer = answers.get(key)
        if answer is None:
            prior = therapies.get(therapy, UNKNOWN_THERAPY) if therapy is not None else None
            ctx = SampleContext(oncotree=onc, prior=prior or UNKNOWN_THERAPY, present=seen)
            lv = row_levels(run.kb, row_cats, ctx)
            answer = answers[key] = (lv, no_level_reason(run.kb, row_cats, ctx, lv))
        lv, reason = answer
        if not lv.statements and reason is None:
            continue
        out.append(
            (cats, onc, therapy, present, ",".join(lv.statements) or None,
             lv.sensitive.value if lv.sensitive else None,
             lv.resistance.value if lv.resistance else None, reason)
        )  # fmt: skip
    _table_from_rows(
        run.con,
        "matches",
        [("cats", "VARCHAR"), ("onc", "VARCHAR"), ("therapy", "VARCHAR"), ("present", "VARCHAR"),
         ("statements", "VARCHAR"), ("sens", "VARCHAR"), ("res", "VARCHAR"),
         ("reason", "VARCHAR")],
        out,
    )  # fmt: skip


def _final(run: _Run, table: str, *, joined: bool = False) -> None:
    """``{table}_final``: the output columns of each row, in file order.

    ``joined``: the new columns as one tab-joined text column ``TKIRESIST_COLUMNS`` (and the
    status on its own, for the counts), which is all a TSV output needs: the sort that puts
    the rows back in file order then moves one text column instead of nine.
    """
    values = {
        OUTPUT_COLUMNS[0]: "r.alteration",
        OUTPUT_COLUMNS[1]: "r.cats",
        OUTPUT_COLUMNS[2]: "m.sens",
        OUTPUT_COLUMNS[3]: "m.res",
        OUTPUT_COLUMNS[4]: "m.statements",
        OUTPUT_COLUMNS[5]: "CASE WHEN r.status = 'no_match' AND m.statements IS NOT NULL "
        "THEN 'annotated' ELSE r.status END",
        OUTPUT_COLUMNS[6]: "sm.onc",
        OUTPUT_COLUMNS[7]: "sm.prior",
        OUTPUT_COLUMNS[8]: f"CASE WHEN m.reason IS NOT NULL THEN m.reason "
        f"WHEN r.cats <> '' AND m.statements IS NULL THEN {_q(NO_STATEMENT)} END",
    }
    if joined:
        text = ", ".join(f"coalesce({v}, '')" for v in values.values())
        select = (
            f"concat_ws('\t', {text}) AS {JOINED_COLUMN}, "
            f"{values[OUTPUT_COLUMNS[5]]} AS {OUTPUT_COLUMNS[5]}"
        )
    else:
        select = ", ".join(f"{v} AS {c}" for c, v in values.items())
    run.sql(
        f"""
        CREATE OR REPLACE TABLE {table}_final AS
        SELECT r.rid,
          CASE WHEN r.rid % {CHECK_EVERY} = 0
               THEN coalesce(r.g, '') || '\t' || coalesce(r.s, '') END AS chk,
          {select}
        FROM {table}_rowann r
        JOIN samples sm ON sm.s IS NOT DISTINCT FROM r.s
        LEFT JOIN matches m ON m.cats = r.cats AND m.onc = sm.onc
          AND m.therapy IS NOT DISTINCT FROM sm.therapy AND m.present = sm.present
        ORDER BY r.rid
        """
    )


NO_STATEMENT = "no knowledge-base statement is triggered by this alteration's categories"
"""The level reason of a categorised row that no statement names (see levels.no_level_reason)."""

JOINED_COLUMN = "TKIRESIST_COLUMNS"
"""The new columns of a row, tab-joined, in a TSV output's final table (see ``_final``)."""


def _statuses(run: _Run, table: str) -> tuple[tuple[str, int], ...]:
    found = dict(run.rows(f"SELECT {OUTPUT_COLUMNS[5]}, count(*) FROM {table}_final GROUP BY 1"))
    return tuple((str(s), int(found.get(str(s), 0))) for s in RowStatus)


TMP = "\x00tmp\x00"
"""Stands for the temporary output file in a COPY statement until it is known."""


def _tmp_beside(path: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    return Path(name)


def _parquet_options(run: _Run, header: TableHeader) -> str:
    meta = {"tkiresist_knowledge_base": run.kb.stamp}
    if header.preamble:
        meta["comments"] = "\n".join(header.preamble)
    kv = "{" + ", ".join(f"{_q(k)}: {_q(v)}" for k, v in meta.items()) + "}"
    return f"(FORMAT parquet, KV_METADATA {kv})"


def _copy(run: _Run, header: TableHeader, copy: str, out: Path, rows_in: int) -> int:
    """Run ``COPY (...) TO <tmp> (...)`` (``copy`` has ``TO {TMP}``), check the row count,
    rename to ``out``."""
    tmp = _tmp_beside(out)
    query = copy.replace(TMP, _q(str(tmp)))
    try:
        row = run_located(header, header.kind.upper(), lambda: run.sql(query).fetchone())
        written = int(row[0]) if row else 0
        if written != rows_in:
            raise FormatError(
                f"wrote {written:,} rows but read {rows_in:,}: did the input change while it "
                "was being annotated?",
                Location(header.file),
            )
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return written


def _write_rows(
    run: _Run,
    header: TableHeader,
    table: str,
    gene: str | None,
    sample: str | None,
    out: Path,
    fmt: OutputFormat,
    rows_in: int,
    sample_value: str | None = None,
) -> int:
    """One output row per input row (MAF, SV), in file order, by ``POSITIONAL JOIN``.

    ``gene`` and ``sample`` are the input columns that the alignment check compares every
    CHECK_EVERY rows with the key the row's annotation was made from (a table without a
    sample column: ``sample_value``, the one sample of its rows).
    """
    if fmt == "tsv":
        source = f"{_read_lines(header)} l"
        lost = "a.rid IS NULL OR l.line IS NULL"

        def field(name: str) -> str:
            return f"split_part(l.line, '\t', {header.column_number(name)})"
    else:
        source = f"{_read_csv(header)} m"
        lost = "a.rid IS NULL"

        def field(name: str) -> str:
            return f"coalesce(m.{_ident(name)}, '')"

    sample_sql = field(sample) if sample is not None else _q(sample_value or "")
    got = f"{field(gene)} || '\t' || {sample_sql}" if gene else None
    check = f"CASE WHEN {lost} THEN error('the input changed while it was read') "
    if got is not None:
        check += (
            f"WHEN a.chk IS NOT NULL AND {got} <> a.chk "
            "THEN error('output misaligned at data row ' || a.rid) "
        )
    check += "END"
    joined = f"{source} POSITIONAL JOIN {table}_final a"
    if fmt == "tsv":
        names = "\t".join([*header.columns, *OUTPUT_COLUMNS])
        head = "\n".join([*header.preamble, header.header_mark + names])
        line = f"coalesce({check}, l.line || '\t' || a.{JOINED_COLUMN})"
        query = (
            f"COPY (SELECT {line} AS {_ident(head)} FROM {joined}) "
            f"TO {TMP} (HEADER, DELIMITER '\x1f', QUOTE '')"
        )
    else:
        cols = ", ".join(f"coalesce(a.{c}, '') AS {c}" for c in OUTPUT_COLUMNS)
        query = (
            f"COPY (SELECT * EXCLUDE (__check) FROM (SELECT m.*, {cols}, {check} AS __check "
            f"FROM {joined})) TO {TMP} {_parquet_options(run, header)}"
        )
    return _copy(run, header, query, out, rows_in)


def _write_sv_vcf(
    run: _Run, header: TableHeader, out: Path, fmt: OutputFormat, rows_in: int
) -> int:
    """A VCF's SV output: one row per fusion (:data:`VCF_SV_COLUMNS`, then the annotation
    columns), in the order of the fusions' first records."""
    cols = ", ".join(f"coalesce(a.{c}, '') AS {c}" for c in OUTPUT_COLUMNS)
    names = ", ".join(f"v.{c}" for c in VCF_SV_COLUMNS)
    body = f"SELECT {names}, {cols} FROM sv_final a JOIN sv_vcf_rows v USING (rid) ORDER BY rid"
    options = (
        "(HEADER, DELIMITER '\t', QUOTE '')" if fmt == "tsv" else _parquet_options(run, header)
    )
    return _copy(run, header, f"COPY ({body}) TO {TMP} {options}", out, rows_in)


def _write_cna(run: _Run, header: TableHeader, out: Path, fmt: OutputFormat, rows_in: int) -> int:
    """The long CNA output: input columns, then the annotation columns, in matrix order."""
    cols = ", ".join(f"coalesce(a.{c}, '') AS {c}" for c in OUTPUT_COLUMNS)
    ent = "r.entrez AS Entrez_Gene_Id, " if header.has("Entrez_Gene_Id") else ""
    body = (
        f"SELECT r.g AS Hugo_Symbol, {ent}r.s AS Sample_Id, r.raw AS Value, {cols} "
        "FROM cna_final a JOIN cna_rows r ON r.rowid = a.rid ORDER BY a.rid"
    )
    options = (
        "(HEADER, DELIMITER '\t', QUOTE '')" if fmt == "tsv" else _parquet_options(run, header)
    )
    return _copy(run, header, f"COPY ({body}) TO {TMP} {options}", out, rows_in)


def output_paths(out: Path) -> dict[str, Path]:
    """``OUT`` for the MAF; ``.sv`` and ``.cna`` before its suffix for the others."""
    suffix = out.suffix
    stem = out.name[: -len(suffix)] if suffix else out.name
    return {
        "maf": out,
        "sv": out.with_name(f"{stem}.sv{suffix}"),
        "cna": out.with_name(f"{stem}.cna{suffix}"),
    }


MEMORY_LIMIT = "1400MB"
"""DuckDB's memory limit (``TKIRESIST_DUCKDB_MEMORY`` overrides it): beyond it, DuckDB spills
to a temporary directory. With the interpreter and the normalisation tables, the process stays
under 2 GB for 3 million MAF rows (``benchmarks/annotate.py``)."""


def _connect(workdir: str) -> duckdb.DuckDBPyConnection:
    import duckdb

    mode = os.environ.get("TKIRESIST_DUCKDB_MODE", "memory")
    database = os.path.join(workdir, "annotate.duckdb") if mode == "file" else ":memory:"
    con = duckdb.connect(
        database, config={"temp_directory": workdir, "preserve_insertion_order": True}
    )
    limit = os.environ.get("TKIRESIST_DUCKDB_MEMORY", MEMORY_LIMIT)
    con.execute(f"SET memory_limit = {_q(limit)}")
    return con


def _load_and_warm_up(kb: KnowledgeBase | None) -> KnowledgeBase:
    from tkiresist.knowledge.loader import load_knowledge_base

    knowledge = kb if kb is not None else load_knowledge_base()
    keys.warm_up()
    return knowledge


def annotate_tables(
    maf: Path,
    sv: Path | None = None,
    cna: Path | None = None,
    clinical: Path | None = None,
    *,
    out: Path,
    fmt: OutputFormat = "tsv",
    kb: KnowledgeBase | None = None,
    timelines: Sequence[Path] = (),
    sample: str | None = None,
) -> AnnotateReport:
    """Annotate a MAF (and SV and CNA tables) with normalised alterations, categories,
    highest levels, matching statements and a status; see the module docstring.

    ``sample``: the sample id of a fusion caller's output or VCF (``sv``) without a sample column
    (default: the file name up to its first dot; :func:`~tkiresist.annotate.inputs.sv_sample`).

    Raises :class:`~tkiresist.errors.FormatError` (file, line, column) for bad input: an empty
    or truncated file, a wrong delimiter, a missing required column, a GRCh37/GRCh38 mix.
    """
    start = time.perf_counter()
    if fmt not in ("tsv", "parquet"):
        raise FormatError(f"output format {fmt!r}: expected tsv or parquet", Location(str(out)))
    maf, out = Path(maf), Path(out)
    sv, cna, clinical = (Path(p) if p is not None else None for p in (sv, cna, clinical))
    maf_h = inputs.maf_header(maf)
    sv_h = inputs.sv_header(sv) if sv is not None else None
    sv_sample = inputs.sv_sample(*sv_h, sample) if sv_h is not None else None
    if sv_h is None and sample is not None:
        raise FormatError("--sample names the sample of an SV table: give --sv", Location(None))
    cna_h = inputs.cna_header(cna) if cna is not None else None
    clin_h = inputs.clinical_header(clinical) if clinical is not None else None
    time_h = tuple(inputs.timeline_header(Path(t)) for t in timelines)
    if not out.parent.is_dir():
        raise FormatError("the output directory does not exist", Location(str(out)))
    paths = output_paths(out)
    inputs_given = [
        p.resolve() for p in (maf, sv, cna, clinical, *map(Path, timelines)) if p is not None
    ]
    for path in paths.values():
        if path.resolve() in inputs_given:
            raise FormatError(
                "the output would overwrite an input file; choose another --out",
                Location(str(path)),
            )
    # DuckDB releases the GIL while it reads the MAF: the knowledge base loads, and the HGNC
    # tables and grammars warm up, in a thread meanwhile, at no cost in wall time.
    with (
        ThreadPoolExecutor(max_workers=1) as pool,
        tempfile.TemporaryDirectory(prefix="tkiresist-annotate-") as workdir,
    ):
        knowledge = pool.submit(_load_and_warm_up, kb)
        con = _connect(workdir)
        try:
            run = _Run(con, knowledge)
            reports = _annotate(run, maf_h, sv_h, sv_sample, cna_h, clin_h, time_h, paths, fmt)
        finally:
            con.close()
    return AnnotateReport(
        tables=tuple(reports),
        warnings=tuple(run.warnings),
        knowledge_base=run.kb.stamp,
        seconds=time.perf_counter() - start,
        stages=tuple(run.stages),
    )


def _annotate(
    run: _Run,
    maf_h: TableHeader,
    sv_h: tuple[TableHeader, inputs.SvLayout] | None,
    sv_sample: str | None,
    cna_h: tuple[TableHeader, inputs.CnaLayout] | None,
    clin_h: TableHeader | None,
    time_h: Sequence[TableHeader],
    paths: dict[str, Path],
    fmt: OutputFormat,
) -> list[TableReport]:
    counts: dict[str, tuple[int, int]] = {}  # kind -> (rows in, distinct keys)
    run.stage("start")
    n = _maf_keys(run, maf_h)
    _ = run.kb  # the thread's work, done
    run.stage("read keys")
    _check_build(run, maf_h, "maf_rows")
    counts["maf"] = (n, _maf_annotate_keys(run, maf_h))
    run.stage("unparsed warnings")
    run.tables.append("maf")
    if sv_h is not None:
        n_sv = _sv(run, *sv_h, sv_sample)
        counts["sv"] = (n_sv, int(run.scalar("SELECT count(*) FROM sv_ann")))
        run.tables.append("sv")
    if cna_h is not None:
        _, cells = _cna(run, *cna_h)
        counts["cna"] = (
            cells,
            int(run.scalar("SELECT count(*) FROM (SELECT DISTINCT g, v FROM cna_rows)")),
        )
        run.tables.append("cna")
    run.stage("sv+cna")
    therapies = _clinical(run, clin_h, time_h)
    _samples(run, therapies)
    _matches(run, therapies)
    run.stage("context+match")
    reports: list[TableReport] = []
    headers: dict[str, TableHeader] = {"maf": maf_h}
    if sv_h is not None:
        headers["sv"] = sv_h[0]
    if cna_h is not None:
        headers["cna"] = cna_h[0]
    vcf_sv = sv_h is not None and sv_h[1] == "vcf"  # rows are fusions, not lines
    for table in run.tables:
        long = table == "cna" or (table == "sv" and vcf_sv)
        _final(run, table, joined=fmt == "tsv" and not long)
        if table == "maf":  # the final table holds what is still needed
            run.sql("DROP TABLE maf_rowann")
        run.stage(f"{table} order")
        header = headers[table]
        rows_in, distinct = counts[table]
        if table == "cna":
            written = _write_cna(run, header, paths[table], fmt, rows_in)
        elif table == "sv" and vcf_sv:
            written = _write_sv_vcf(run, header, paths[table], fmt, rows_in)
        else:
            gene = "Hugo_Symbol" if table == "maf" else _sv_gene_column(sv_h)
            sample = "Tumor_Sample_Barcode" if table == "maf" else _sv_sample_column(sv_h)
            written = _write_rows(
                run, header, table, gene, sample, paths[table], fmt, rows_in, sv_sample
            )
        run.stage(f"{table} write")
        reports.append(
            TableReport(
                kind=table,
                input=header.file,
                output=str(paths[table]),
                rows_in=rows_in,
                rows_out=written,
                distinct_keys=distinct,
                statuses=_statuses(run, table),
            )
        )
        run.sql(f"DROP TABLE {table}_final")
    return reports


def _sv_gene_column(sv_h: tuple[TableHeader, inputs.SvLayout] | None) -> str | None:
    assert sv_h is not None
    layout = sv_h[1]
    if layout in inputs.CALLER_LAYOUTS:
        from tkiresist.io.fusions import CALLERS

        return CALLERS[layout].five_column
    return SV_COLUMNS[layout][1][0]


def _sv_sample_column(sv_h: tuple[TableHeader, inputs.SvLayout] | None) -> str | None:
    """The SV table's sample column (None: a caller output whose rows take one sample)."""
    assert sv_h is not None
    header, layout = sv_h
    if layout in inputs.CALLER_LAYOUTS:
        from tkiresist.io.fusions import sample_column

        return sample_column(header.columns)
    return SV_COLUMNS[layout][0]
