"""A cBioPortal study folder into DuckDB tables: :func:`load_study` and :class:`LoadedStudy`.

It reads the study layout (:func:`tkiresist.io.cbioportal.study_layout`), then table by table:
the clinical files (samples with their type, OncoTree code and histology; declared drivers; the
histology at diagnosis), the timelines (targeted and other treatments, the day of each sample,
whether it is plasma (:data:`LIQUID`) or cell-free DNA at all (plasma or :data:`CSF`), IHC
results, radiographic progressions), mutations, structural variants, discrete CNA, histology,
IHC, and what each sample covered (gene panels, case lists, the CNA table's genes, IHC
markers); then the knowledge tables (:mod:`tkiresist.cohort.knowledge_tables`). Distinct values
are read by :mod:`tkiresist.cohort.cells`; the files by the shared table core
(:mod:`tkiresist.io.tables`: one ``read_csv`` builder, one timeline loader, as ``annotate``
reads them).

Bad input is refused with located errors, as cBioPortal's validator locates them: a missing
meta file, a timeline STOP_DATE before its START_DATE, a sample (or timeline row, or genomic
row) referencing an unknown patient or sample, a CNA value that is not -2..2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from tkiresist.cohort.cells import (
    PROFILE_IHC,
    _agents,
    _cna_alteration,
    _gene,
    _histology_alteration,
    _lab_alteration,
    _maf_alteration,
    _Registry,
    _sv_alteration,
)
from tkiresist.cohort.duck import (
    CohortOptions,
    _arrow,
    _lit,
    _q,
    _register,
    _scalar,
    connect,
)
from tkiresist.cohort.knowledge_tables import install_knowledge
from tkiresist.cohort.reading import MAX_PROBLEMS, _head, _raise
from tkiresist.errors import FormatError, Location, Problem
from tkiresist.interpret.dynamics import NOT_RADIOGRAPHIC
from tkiresist.io.cbioportal import (
    CASE_LISTS,
    CNA_CODE,
    MATRIX_FILE,
    NA_VALUES,
    PROFILE_CNA,
    PROFILE_MUTATIONS,
    PROFILE_SV,
    TARGETED_CLASSES,
    WHOLE_GENOME_PANELS,
    MetaFile,
    StudyLayout,
    read_meta,
    study_layout,
)
from tkiresist.io.cna import DISCRETE_CNA, DISCRETE_EXPECTED
from tkiresist.io.maf import NON_PROTEIN_CLASSIFICATIONS
from tkiresist.io.tables.read import TableHeader, line_of, load_table, offenders, require
from tkiresist.io.tables.timeline import drop_raw, load_timelines, raw_table, timeline_header
from tkiresist.nomenclature.fusions import GERMLINE_SV_STATUS

if TYPE_CHECKING:
    import duckdb

    from tkiresist.knowledge.loader import KnowledgeBase


FILTERED_CLASSIFICATIONS: Final = tuple(sorted(NON_PROTEIN_CLASSIFICATIONS))
"""MAF Variant_Classification values that change no protein (the one list, io/maf; cBioPortal's
default filter, "Variant classification filter", plus lincRNA and Targeted_Region)."""


@dataclass
class LoadedStudy:
    """A study's tables in a DuckDB connection, ready for
    :func:`~tkiresist.cohort.analysis.analyse`.

    Tables: ``samples`` (patient_id, sample_id, sample_type, oncotree, day, liquid: plasma,
    cell_free: plasma or CSF),
    ``progressions`` (patient_id, day: radiographic progressions), ``treatments``
    (patient_id, start_day, stop_day, agent, drug_class, generation, targeted, class_only,
    line_no; one row per class of a drug),
    ``alterations`` (patient_id, sample_id, alt_id), ``coverage`` (patient_id, sample_id,
    profile, panel; ``*`` = every gene), ``gene_coverage`` (patient_id, sample_id, profile,
    gene), ``panel_genes`` (panel, gene), ``alt_info`` (alt_id, name, key, profile),
    ``alt_gene`` (alt_id, gene), ``alt_category`` (alt_id, category), and the knowledge tables
    of :func:`~tkiresist.cohort.knowledge_tables.knowledge_rows`.
    """

    con: duckdb.DuckDBPyConnection
    layout: StudyLayout
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


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


def _load_clinical(study: LoadedStudy) -> bool:
    """Load ``samples_raw`` (and check patients); True when a patient file defines patients."""
    con, layout = study.con, study.layout
    has_patients = False
    if layout.patient is not None:
        phead = _head(layout.data(layout.patient), "clinical patient")
        require(phead, ("PATIENT_ID",), "clinical patient")
        keep_p = [
            "PATIENT_ID",
            *(c for c in ("DRIVER_CATEGORY", "HISTOLOGY") if c in phead.columns),
        ]
        load_table(con, "patients", phead, "clinical patient", keep_p)
        problems = offenders(
            con,
            'SELECT "PATIENT_ID" FROM patients GROUP BY 1 HAVING count(*) > 1',
            phead,
            "PATIENT_ID",
            "patient {0!r} appears twice",
        )
        _raise(problems)
        has_patients = True
    shead = _head(layout.data(layout.sample), "clinical sample")
    require(shead, ("PATIENT_ID", "SAMPLE_ID"), "clinical sample")
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
    load_table(con, "samples_raw", shead, "clinical sample", keep)
    problems = offenders(
        con,
        'SELECT "SAMPLE_ID" FROM samples_raw GROUP BY 1 HAVING count(*) > 1',
        shead,
        "SAMPLE_ID",
        "sample {0!r} appears twice",
    )
    if has_patients:
        problems += offenders(
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
    from tkiresist.nomenclature.histology import NON_SMALL_CELL

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
    """The timelines, read and checked by the shared loader
    (:func:`tkiresist.io.tables.timeline.load_timelines`: ``tl_treat``, ``tl_specimen``, as
    ``annotate --timeline`` reads them), then cohort's own checks (every patient and sample
    defined in the clinical files) and reads (lab tests, progressions) of each file."""
    con = study.con
    con.execute(
        "CREATE OR REPLACE TEMP TABLE tl_lab (sample_id VARCHAR, test VARCHAR, result VARCHAR, "
        "score VARCHAR, pattern VARCHAR)"
    )
    con.execute("CREATE OR REPLACE TEMP TABLE progressions (patient_id VARCHAR, day INTEGER)")
    known = (
        "patients"
        if has_patients
        else '(SELECT DISTINCT patient_id AS "PATIENT_ID" FROM samples_meta)'
    )
    heads = [timeline_header(study.layout.data(meta)) for meta in study.layout.timelines]
    problems: list[Problem] = load_timelines(con, heads)
    for i, head in enumerate(heads):
        table = raw_table(i)
        problems += offenders(
            con,
            f'SELECT t."PATIENT_ID" FROM {table} t ANTI JOIN {known} k '
            'ON k."PATIENT_ID" = trim(t."PATIENT_ID")',
            head,
            "PATIENT_ID",
            "patient {0!r} is not defined in the clinical files",
        )
        if "SAMPLE_ID" in head.columns:
            problems += offenders(
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
        if "SAMPLE_ID" in head.columns and "TEST" in head.columns and "RESULT" in head.columns:
            score = "trim(coalesce(\"SCORE\", ''))" if "SCORE" in head.columns else "''"
            pattern = (
                "lower(trim(coalesce(\"PATTERN\", '')))" if "PATTERN" in head.columns else "''"
            )
            con.execute(
                f"""
                INSERT INTO tl_lab
                SELECT trim("SAMPLE_ID"), trim(coalesce("TEST", '')),
                       lower(trim(coalesce("RESULT", ''))), {score}, {pattern}
                FROM {table}
                WHERE {etype} = 'LAB_TEST' AND trim(coalesce("SAMPLE_ID", '')) <> ''
                """
            )
        _read_progressions(con, table, head)
    drop_raw(con, heads)
    _raise(problems)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE samples AS
        SELECT m.patient_id, m.sample_id, m.sample_type, m.oncotree, m.histology,
               d.day,
               {_liquid_sql("m.sample_type")} OR {_liquid_sql("m.specimen_type")}
                 OR coalesce(d.liquid, false) AS liquid,
               {_cell_free_sql("m.sample_type")} OR {_cell_free_sql("m.specimen_type")}
                 OR coalesce(d.cell_free, false) AS cell_free
        FROM samples_meta m LEFT JOIN (
            SELECT sample_id, min(day) AS day, bool_or({_liquid_sql("specimen_type")}) AS liquid,
                   bool_or({_cell_free_sql("specimen_type")}) AS cell_free
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


PROGRESSION_RESULTS: Final = frozenset(
    {"pd", "progressive disease", "disease progression", "progression", "progressed"}
)
"""An IMAGING event's RESULT or a STATUS event's STATUS (lower case) that reads as progressive
disease: ``PD``, RECIST's abbreviation, as our exports write a response assessment (with a
modality as IMAGING, without one as STATUS), or the words."""


def _read_progressions(con: duckdb.DuckDBPyConnection, table: str, head: TableHeader) -> None:
    """``progressions`` (patient_id, day): the timeline's radiographic progressions, each an
    IMAGING or STATUS event that reads as progressive disease (:data:`PROGRESSION_RESULTS`),
    unless its CRITERIA says it was a clinical progression (:data:`NOT_RADIOGRAPHIC`)."""
    etype = 'upper(trim("EVENT_TYPE"))'
    words = ", ".join(_lit(w) for w in sorted(PROGRESSION_RESULTS))
    reads = [
        f"({etype} = {_lit(kind)} AND lower(trim(coalesce({_q(column)}, ''))) IN ({words}))"
        for kind, column in (("IMAGING", "RESULT"), ("STATUS", "STATUS"))
        if column in head.columns
    ]
    if not reads:
        return
    clinical = ", ".join(_lit(c) for c in NOT_RADIOGRAPHIC)
    criteria = (
        f"AND lower(trim(coalesce(\"CRITERIA\", ''))) NOT IN ({clinical})"
        if "CRITERIA" in head.columns
        else ""
    )
    con.execute(
        f"""
        INSERT INTO progressions
        SELECT DISTINCT trim("PATIENT_ID"), CAST(trim("START_DATE") AS INTEGER) FROM {table}
        WHERE ({" OR ".join(reads)}) {criteria}
        """
    )


def _unknown_samples(
    con: duckdb.DuckDBPyConnection, table: str, column: str, head: TableHeader
) -> list[Problem]:
    return offenders(
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
    require(head, ("Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification"), "MAF")
    protein = next(
        (c for c in ("HGVSp_Short", "HGVSp", "Amino_Acid_Change") if c in head.columns), None
    )
    if protein is None:
        raise FormatError(
            "missing required column 'HGVSp_Short' (or HGVSp / Amino_Acid_Change) in the MAF "
            "header",
            Location(file=head.file, line=head.header_line, field="HGVSp_Short"),
        )
    optional = [c for c in ("HGVSc", "TKIRESIST_ALTERATION") if c in head.columns]
    load_table(
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
    require(head, ("Sample_Id",), "SV")
    sites = [c for c in ("Site1_Hugo_Symbol", "Site2_Hugo_Symbol") if c in head.columns]
    if not sites:
        raise FormatError(
            "an SV file needs Site1_Hugo_Symbol or Site2_Hugo_Symbol",
            Location(file=head.file, line=head.header_line),
        )
    status = ["SV_Status"] if "SV_Status" in head.columns else []
    event = ["Event_Info"] if "Event_Info" in head.columns else []
    load_table(con, "sv", head, "SV", ["Sample_Id", *sites, *status, *event])
    _raise(_unknown_samples(con, "sv", "Sample_Id", head))
    s1 = '"Site1_Hugo_Symbol"' if "Site1_Hugo_Symbol" in sites else "''"
    s2 = '"Site2_Hugo_Symbol"' if "Site2_Hugo_Symbol" in sites else "''"
    # germline rows are no tumour alteration (the one SV policy's status word)
    germline = (
        f"AND upper(trim(coalesce(\"SV_Status\", ''))) <> {_lit(GERMLINE_SV_STATUS)}"
        if status
        else ""
    )
    info = "trim(coalesce(\"Event_Info\", ''))" if event else "''"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE sv_k AS
        SELECT trim("Sample_Id") AS sample_id, trim(coalesce({s1}, '')) AS a,
               trim(coalesce({s2}, '')) AS b, {info} AS e
        FROM sv WHERE true {germline}
        """
    )
    con.execute("DROP TABLE sv")
    mapping = []
    for a, b, e in con.execute("SELECT DISTINCT a, b, e FROM sv_k").fetchall():
        alt_id = _sv_alteration(reg, a, b, e)
        if alt_id is not None:
            mapping.append((a, b, e, alt_id))
    _join_alterations(con, "sv_k", mapping, ("a", "b", "e"), ("str", "str", "str"))
    study.counts["sv_rows"] = _scalar(con, "SELECT count(*) FROM sv_k")
    con.execute("DROP TABLE sv_k")


def _load_cna(study: LoadedStudy, reg: _Registry) -> None:
    meta = study.layout.cna
    if meta is None:
        return
    con = study.con
    head = _head(study.layout.data(meta), "CNA")
    if meta.kind[1] == "DISCRETE_LONG":
        require(head, ("Hugo_Symbol", "Sample_Id", "Value"), "CNA")
        load_table(con, "cna", head, "CNA", ["Hugo_Symbol", "Sample_Id", "Value"])
        _raise(_unknown_samples(con, "cna", "Sample_Id", head))
        con.execute(
            'CREATE OR REPLACE TEMP TABLE cna_long AS SELECT trim("Hugo_Symbol") AS g, '
            'trim("Sample_Id") AS sample_id, trim(coalesce("Value", \'\')) AS v FROM cna'
        )
    else:
        require(head, ("Hugo_Symbol",), "CNA")
        sample_cols = [
            c for c in head.columns if c not in ("Hugo_Symbol", "Entrez_Gene_Id", "Cytoband")
        ]
        known = {r[0] for r in con.execute("SELECT sample_id FROM samples").fetchall()}
        problems = [
            Problem(
                f"sample {c!r} is not defined in the clinical sample file",
                head.loc(head.header_line, c),
            )
            for c in sample_cols
            if c not in known
        ]
        _raise(problems)
        load_table(con, "cna", head, "CNA", ["Hugo_Symbol", *sample_cols])
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
                line = line_of(head, {"Hugo_Symbol": g, "Sample_Id": sample, "Value": value})
                loc = head.loc(line, "Value")
            else:
                line = line_of(head, {"Hugo_Symbol": g, sample: value})
                loc = head.loc(line, sample)
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


def _load_lab_tests(study: LoadedStudy, reg: _Registry) -> None:
    """IHC results: a detected one is an alteration of its sample (profile ``ihc``), and each
    result says the sample was assessed for its marker (gene coverage)."""
    con = study.con
    mapping: list[tuple[str, str, str, str, int]] = []
    assessed: list[tuple[str, str, str, str, str]] = []
    for test, result, score, pattern in con.execute(
        "SELECT DISTINCT test, result, score, pattern FROM tl_lab"
    ).fetchall():
        alt_id, marker = _lab_alteration(reg, test, result, score, pattern)
        if alt_id is not None:
            mapping.append((test, result, score, pattern, alt_id))
        if marker is not None:
            assessed.append((test, result, score, pattern, marker))
    keys = ("test", "result", "score", "pattern")
    _register(con, "lab_assessed", _arrow(assessed, (*keys, "gene"), ("str",) * 5))
    con.execute(
        f"INSERT INTO gene_coverage_raw SELECT l.sample_id, {_lit(PROFILE_IHC)}, a.gene "
        f"FROM tl_lab l JOIN lab_assessed a USING ({', '.join(keys)})"
    )
    con.execute("DROP TABLE lab_assessed")
    _join_alterations(con, "tl_lab", mapping, keys, ("str",) * 4)
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
    the meta files' ``gene_panel`` property and the case lists
    (step 4 of :mod:`tkiresist.cohort.analysis`)."""
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
        require(head, ("SAMPLE_ID",), "gene panel matrix")
        matrix_cols = {c for c in head.columns[1:] if c in kind_of}
        load_table(con, "matrix", head, "gene panel matrix")
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
                    line = line_of(head, {"SAMPLE_ID": sample, stable: panel})
                    problems.append(
                        Problem(
                            f"gene panel {panel!r} has no definition (data_gene_panel_*.txt with "
                            f"'stable_id: {panel}')",
                            head.loc(line, stable),
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


LIQUID: Final = r"plasma|cf-?dna|ct-?dna|cell[- ]free"
"""A SAMPLE_TYPE or SPECIMEN_TYPE matching this (lower case) is a plasma (liquid) sample;
one naming CSF (:data:`CSF`) is not (another compartment, read apart as the dynamics step
does)."""
CSF: Final = r"csf|cerebrospinal"
"""A SAMPLE_TYPE or SPECIMEN_TYPE matching this (lower case) is a CSF sample: not plasma for the
plasma lead time, but cell-free DNA as plasma is for reading a negative (``cell_free``)."""


def _liquid_sql(expr: str) -> str:
    """SQL: whether the lower-case text ``expr`` names a plasma sample (:data:`LIQUID`)."""
    return (
        f"(regexp_matches(coalesce({expr}, ''), {_lit(LIQUID)}) "
        f"AND NOT regexp_matches(coalesce({expr}, ''), {_lit(CSF)}))"
    )


def _cell_free_sql(expr: str) -> str:
    """SQL: whether the lower-case text ``expr`` names a cell-free DNA sample, plasma or CSF
    (:data:`LIQUID` or :data:`CSF`; the engine's liquid specimens,
    :data:`tkiresist.interpret.serial.LIQUID_KINDS`), whose negative needs tumour DNA shown."""
    return f"regexp_matches(coalesce({expr}, ''), {_lit(f'{LIQUID}|{CSF}')})"
