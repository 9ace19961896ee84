"""Fusion-caller outputs and fusion tables.

Every reader keeps the gene order the caller gives (5' first), the reading frame, exon
breakpoints when the format has them, and read support (``split_reads``, ``spanning_pairs``,
``alt_reads`` = their sum or the caller's total). A gene symbol HGNC does not know is kept as
written with a warning; a row that names no fusion of two genes (intergenic breakpoint, several
overlapping genes, intragenic event) is kept as an unannotated record with the reason.

Quality mapping, per caller
---------------------------
=================  ==========================================================================
Arriba             ``confidence`` high -> pass; medium -> low; low -> low
STAR-Fusion        pass; low when ``LargeAnchorSupport`` is ``NO_LDAS`` and no spanning
                   fragment supports the call (the pattern STAR-Fusion's docs call weakest)
FusionCatcher      pass; low when ``Fusion_description`` carries a tag that FusionCatcher uses
                   for likely false positives (banned, healthy, 1000genomes, paralogs,
                   readthrough, gtex, hpa, bodymap2, non_cancer_tissues, non_tumor_cells,
                   similar_reads, ambiguous, short_repeats, ribosomal, cta_gene...)
cBioPortal SV      unknown (the format has no confidence column)
OncoKB tables      unknown
=================  ==========================================================================

Gene order, and which rows name a fusion: one decision
-----------------------------------------------------
What a row's gene cells mean is decided in one place, :func:`call_pair` (and, for the SV
tables, :func:`cbioportal_sv_call`, :func:`oncokb_fusion_call`, :func:`oncokb_sv_call` on top
of it), returning a :class:`FusionCall`. The readers call it per row; ``tkiresist annotate``
calls the same functions per distinct key of a cBioPortal or OncoKB table, and reads a
caller's output with the reader itself, so the two sides agree by construction
(``tests/test_table_agreement.py``).

Arriba (gene1), STAR-Fusion (LeftGene) and FusionCatcher (Gene_1...5end) name the 5' gene
first; an empty cell, an intergenic breakpoint or several overlapping genes, and two
breakpoints in one gene name no fusion. The SV tables follow the one SV policy,
:func:`~tkiresist.nomenclature.fusions.sv_pair`: cBioPortal's Site1 is read as 5' unless its
``Event_Info`` names the two genes the other way round, OncoKB-annotator tables give no order
(``ALK-EML4 fusion`` is written either way), and in both the 3' role of a kinase
(:data:`~tkiresist.nomenclature.fusions.THREE_PRIME_GENES`) is restored (the finding's
``Fusion.order_corrected`` records it); one gene alone is a fusion only when it is a 3'
partner (``ALK fusion``, partner not given); a ``GERMLINE`` SV_Status row is left out.

cBioPortal exon breakpoints: ``SiteN_Region`` ``EXON``/``INTRON`` with ``SiteN_Region_Number``
n. The 5' gene keeps exon n either way; the 3' gene starts at exon n (``EXON``) or n+1
(``INTRON``: the intron after exon n).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from tkiresist.errors import FormatError, Location, ParseError
from tkiresist.io._nomen import split_fusion
from tkiresist.io.base import (
    MISSING,
    Reader,
    ReadResult,
    ResultBuilder,
    Row,
    Table,
    UnannotatedRecord,
    agree_builds,
    build_from_text,
    header_columns,
    parse_int,
    read_table,
)
from tkiresist.model.alterations import Fusion
from tkiresist.model.findings import QualityLevel
from tkiresist.model.timeline import GenomeBuild
from tkiresist.nomenclature.fusions import GERMLINE_SV_STATUS, sv_pair
from tkiresist.nomenclature.genes import lookup

# ---------------------------------------------------------------------------------------------
# shared
# ---------------------------------------------------------------------------------------------


SAMPLE_COLUMNS = ("Tumor_Sample_Barcode", "Sample_Id", "sample", "Sample", "tumor_id")
"""Columns that name a fusion table's sample, in this order of preference (a post-processor
such as annoFuse appends ``tumor_id`` to a caller's output)."""


def sample_column(columns: Sequence[str]) -> str | None:
    """The column of ``columns`` that names the sample, or None (a caller's own output)."""
    return next((name for name in SAMPLE_COLUMNS if name in columns), None)


def _count(table: Table, row: Row, name: str) -> int | None:
    if name not in table.columns:
        return None
    value = parse_int(row.cells[name], table.loc(row.line, name), name)
    if value is not None and value < 0:
        raise FormatError(f"{name}: a read count cannot be negative", table.loc(row.line, name))
    return value


# ---------------------------------------------------------------------------------------------
# What a row's gene cells mean: the one decision, per row here and per distinct key in annotate
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FusionCall:
    """What the gene cells of one fusion row mean: the one decision of every fusion reader,
    made per row by the readers below and per distinct key by ``tkiresist annotate``.

    ``fusion`` is the fusion (5' gene first), or None with ``reason`` saying why the row names
    no fusion (``field``: the column the reason is about). ``unknown`` lists the symbols HGNC
    does not know, each with its column and the lookup's message: the readers keep such a
    fusion as written (with a warning), ``annotate`` gives the row status ``unknown_gene``.
    ``left_out``: the row is not a tumour alteration (a germline SV), so it is no problem of
    the file. ``five_field`` is the column the 5' gene came from (the roles may have been
    swapped by the row's event text or by knowledge)."""

    fusion: Fusion | None
    reason: str | None = None
    field: str | None = None
    unknown: tuple[tuple[str, str, str], ...] = ()
    left_out: bool = False
    five_field: str | None = None


def _resolve(symbol: str, column: str) -> tuple[str, tuple[str, str, str] | None]:
    try:
        return lookup(symbol).approved, None
    except ParseError as exc:
        return symbol, (symbol, column, exc.message)


def call_pair(
    five: str | None,
    three: str | None,
    five_col: str,
    three_col: str,
    *,
    by_knowledge: bool = False,
) -> FusionCall:
    """The fusion named by a 5' and a 3' gene cell.

    Caller outputs (``by_knowledge=False``) give the 5' gene first: an empty cell, an
    intergenic breakpoint (``GENE(1234),GENE2(567)``), several overlapping genes
    (``GENE1,GENE2``) and two breakpoints in one gene name no fusion. Structural-variant
    tables (``by_knowledge=True``) follow the one SV policy,
    :func:`~tkiresist.nomenclature.fusions.sv_pair`: the 3' role of a kinase is restored by
    :func:`~tkiresist.nomenclature.fusions.orient`, and one gene alone is a fusion only when
    it is a 3' partner (``ALK fusion``, the partner not given).
    """
    genes: list[str | None] = []
    unknown: list[tuple[str, str, str]] = []
    for gene, col in ((five, five_col), (three, three_col)):
        text = (gene or "").strip()
        if text in MISSING:
            if not by_knowledge:
                return FusionCall(None, f"no gene at one breakpoint ({col} empty)", col)
            genes.append(None)
            continue
        if "(" in text or "," in text:
            reason = (
                f"{col} {text!r} is intergenic or names several overlapping genes: not a "
                "fusion of two genes"
            )
            return FusionCall(None, reason, col)
        approved, problem = _resolve(text, col)
        if problem is not None:
            unknown.append(problem)
        genes.append(approved)
    g5, g3 = genes
    found = tuple(unknown)
    if by_knowledge:
        pair = sv_pair(g5, g3)  # the one SV policy (nomenclature.fusions)
        at = five_col if g5 is not None else three_col
        if pair.fusion is None:
            return FusionCall(None, pair.reason, at, found)
        if g5 is None or g3 is None:
            return FusionCall(pair.fusion, unknown=found, five_field=None)
        swapped = pair.fusion.order_corrected
        return FusionCall(pair.fusion, unknown=found, five_field=three_col if swapped else five_col)
    assert g5 is not None and g3 is not None
    if g5 == g3:
        reason = f"both breakpoints in {g5}: an intragenic rearrangement, not a fusion"
        return FusionCall(None, reason, five_col, found)
    return FusionCall(Fusion(five_prime=g5, three_prime=g3), unknown=found, five_field=five_col)


def _add_fusion(
    out: ResultBuilder,
    table: Table,
    row: Row,
    call: FusionCall,
    *,
    sample: str | None,
    quality: QualityLevel = "unknown",
    in_frame: bool | None = None,
    exons: tuple[str | None, str | None] = (None, None),
    split_reads: int | None = None,
    spanning_pairs: int | None = None,
    alt_reads: int | None = None,
    depth: int | None = None,
    note: str | None = None,
) -> None:
    """Add the finding of ``call`` (or keep the row unannotated, with the reason).

    ``exons``: the 5' and 3' exon breakpoints, for the roles ``call`` decided."""
    for _symbol, col, message in call.unknown:
        out.warn(f"{message}; kept unannotated as written", table.loc(row.line, col))
    if call.fusion is None:
        reason = call.reason or "not a fusion"
        action = "row left out" if call.left_out else "row kept unannotated"
        out.warn(f"{reason}; {action}", table.loc(row.line, call.field))
        out.unannotated.append(UnannotatedRecord(row.line, reason, row.text))
        return
    if alt_reads is None and (split_reads is not None or spanning_pairs is not None):
        alt_reads = (split_reads or 0) + (spanning_pairs or 0)
    if depth is not None and alt_reads is not None and alt_reads > depth:
        depth = None
    f = call.fusion
    five_exon, three_exon = exons if f.five_prime is not None else (None, exons[1])
    fusion = Fusion(
        five_prime=f.five_prime,
        three_prime=f.three_prime,
        five_prime_exon=five_exon,
        three_prime_exon=three_exon,
        order_corrected=f.order_corrected,
        in_frame=in_frame,
    )
    out.add(
        sample,
        fusion,
        row.line,
        row.text,
        quality=quality,
        split_reads=split_reads,
        spanning_pairs=spanning_pairs,
        alt_reads=alt_reads,
        depth=depth,
        note=note,
    )


def _sample(out: ResultBuilder, table: Table, row: Row, column: str | None) -> str | None:
    if column is None:
        return None
    value = row.cells[column]
    if value in MISSING:
        out.warn(f"empty {column}: sample unknown", table.loc(row.line, column))
        return None
    return value


@dataclass(frozen=True, slots=True)
class CallerTable:
    """How a fusion caller's table is opened: its required columns, the start of a header
    line that begins with ``#`` (Arriba's ``#gene1``), and the column of the 5' gene.
    ``tkiresist annotate --sv`` opens caller outputs with the same spec (:data:`CALLERS`)."""

    required: tuple[str, ...]
    header_prefix: str | None
    what: str
    five_column: str

    def open(self, path: Path) -> Table:
        """The table, header checked (located errors); rows read lazily."""
        return read_table(
            path,
            self.required,
            comment=None,
            header_comment_prefix=self.header_prefix,
            what=self.what,
        )


# ---------------------------------------------------------------------------------------------
# Arriba
# ---------------------------------------------------------------------------------------------

ARRIBA_REQUIRED = (
    "gene1",
    "gene2",
    "strand1(gene/fusion)",
    "strand2(gene/fusion)",
    "breakpoint1",
    "breakpoint2",
    "type",
    "split_reads1",
    "split_reads2",
    "discordant_mates",
    "confidence",
    "reading_frame",
)
_ARRIBA_QUALITY: dict[str, QualityLevel] = {"high": "pass", "medium": "low", "low": "low"}
_FRAME: dict[str, bool] = {
    "in-frame": True,
    "inframe": True,
    "in_frame": True,
    "out-of-frame": False,
    "frameshift": False,
    "out_of_frame": False,
}


def sniff_arriba(path: Path, head_lines: Sequence[str]) -> bool:
    return bool(head_lines) and head_lines[0].startswith("#gene1\tgene2\t")


def read_arriba(path: Path) -> ReadResult:
    out = ResultBuilder("arriba", "arriba", str(path))
    table = CALLERS["arriba"].open(path)
    sample_col = sample_column(table.columns)
    for row in table.rows:
        c = row.cells
        confidence = c["confidence"]
        if confidence not in _ARRIBA_QUALITY:
            raise FormatError(
                f"confidence: expected high, medium or low, found {confidence!r}",
                table.loc(row.line, "confidence"),
            )
        notes = [f"type {c['type']}"]
        fusion_strands = [c[s].partition("/")[2] for s in ARRIBA_REQUIRED[2:4]]
        if "." in fusion_strands:
            notes.append("transcript orientation not predicted: gene order as reported")
        s1 = _count(table, row, "split_reads1") or 0
        s2 = _count(table, row, "split_reads2") or 0
        _add_fusion(
            out,
            table,
            row,
            call_pair(c["gene1"], c["gene2"], "gene1", "gene2"),
            sample=_sample(out, table, row, sample_col),
            quality=_ARRIBA_QUALITY[confidence],
            in_frame=_FRAME.get(c["reading_frame"]),
            split_reads=s1 + s2,
            spanning_pairs=_count(table, row, "discordant_mates"),
            note="; ".join(notes),
        )
    return out.result()


# ---------------------------------------------------------------------------------------------
# STAR-Fusion
# ---------------------------------------------------------------------------------------------

STAR_REQUIRED = (
    "FusionName",
    "JunctionReadCount",
    "SpanningFragCount",
    "LeftGene",
    "LeftBreakpoint",
    "RightGene",
    "RightBreakpoint",
)


def sniff_star_fusion(path: Path, head_lines: Sequence[str]) -> bool:
    return bool(head_lines) and head_lines[0].startswith("#FusionName\t")


def _star_gene(text: str) -> str:
    return text.split("^", 1)[0]


def read_star_fusion(path: Path) -> ReadResult:
    out = ResultBuilder("star-fusion", "star-fusion", str(path))
    table = CALLERS["star-fusion"].open(path)
    sample_col = sample_column(table.columns)
    for row in table.rows:
        c = row.cells
        junction = _count(table, row, "JunctionReadCount")
        spanning = _count(table, row, "SpanningFragCount")
        quality: QualityLevel = "pass"
        if c.get("LargeAnchorSupport") == "NO_LDAS" and not spanning:
            quality = "low"
        frame = c.get("PROT_FUSION_TYPE", "")
        in_frame = {"INFRAME": True, "FRAMESHIFT": False}.get(frame)
        note = f"splice type {c['SpliceType']}" if c.get("SpliceType") else None
        _add_fusion(
            out,
            table,
            row,
            call_pair(
                _star_gene(c["LeftGene"]), _star_gene(c["RightGene"]), "LeftGene", "RightGene"
            ),
            sample=_sample(out, table, row, sample_col),
            quality=quality,
            in_frame=in_frame,
            split_reads=junction,
            spanning_pairs=spanning,
            note=note,
        )
    return out.result()


# ---------------------------------------------------------------------------------------------
# FusionCatcher
# ---------------------------------------------------------------------------------------------

FC_5 = "Gene_1_symbol(5end_fusion_partner)"
FC_3 = "Gene_2_symbol(3end_fusion_partner)"
FC_REQUIRED = (
    FC_5,
    FC_3,
    "Fusion_description",
    "Spanning_pairs",
    "Spanning_unique_reads",
    "Predicted_effect",
)
FC_LOW_TAGS = frozenset(
    {
        "banned",
        "healthy",
        "1000genomes",
        "paralogs",
        "readthrough",
        "gtex",
        "hpa",
        "bodymap2",
        "non_cancer_tissues",
        "non_tumor_cells",
        "similar_reads",
        "ambiguous",
        "short_repeats",
        "ribosomal",
        "cta_gene",
        "ctb_gene",
        "ctc_gene",
        "ctd_gene",
        "conjoing",
        "mt",
        "rrna",
        "trna",
        "snorna",
        "snrna",
        "yrna",
        "7skrna",
        "refseq_fusion",
        "distance1000bp",
        "distance100kbp",
        "distance10kbp",
    }
)


def sniff_fusioncatcher(path: Path, head_lines: Sequence[str]) -> bool:
    return bool(head_lines) and head_lines[0].startswith(FC_5 + "\t")


def read_fusioncatcher(path: Path) -> ReadResult:
    out = ResultBuilder("fusioncatcher", "fusioncatcher", str(path))
    table = CALLERS["fusioncatcher"].open(path)
    sample_col = sample_column(table.columns)
    for row in table.rows:
        c = row.cells
        tags = {t.strip().lower() for t in c["Fusion_description"].split(",")}
        quality: QualityLevel = "low" if tags & FC_LOW_TAGS else "pass"
        effect = c["Predicted_effect"]
        in_frame = {"in-frame": True, "out-of-frame": False}.get(effect)
        _add_fusion(
            out,
            table,
            row,
            call_pair(c[FC_5], c[FC_3], FC_5, FC_3),
            sample=_sample(out, table, row, sample_col),
            quality=quality,
            in_frame=in_frame,
            split_reads=_count(table, row, "Spanning_unique_reads"),
            spanning_pairs=_count(table, row, "Spanning_pairs"),
            note=f"{c['Fusion_description']}; {effect}",
        )
    return out.result()


CALLERS: Mapping[str, CallerTable] = MappingProxyType(
    {
        "arriba": CallerTable(ARRIBA_REQUIRED, "#gene1", "Arriba", "gene1"),
        "star-fusion": CallerTable(STAR_REQUIRED, "#FusionName", "STAR-Fusion", "LeftGene"),
        "fusioncatcher": CallerTable(FC_REQUIRED, None, "FusionCatcher", FC_5),
    }
)
"""The fusion callers' tables, by reader name."""


# ---------------------------------------------------------------------------------------------
# cBioPortal structural variants (data_sv.txt)
# ---------------------------------------------------------------------------------------------

SV_REQUIRED = ("Sample_Id", "SV_Status")


def sniff_cbioportal_sv(path: Path, head_lines: Sequence[str]) -> bool:
    cols = set(header_columns(head_lines))
    return "Sample_Id" in cols and ("Site1_Hugo_Symbol" in cols or "Site2_Hugo_Symbol" in cols)


def _sv_exon(region: str, number: str, three_prime: bool, loc: Location) -> str | None:
    n = parse_int(number, loc, "region number") if number else None
    if n is None or n <= 0:
        return None
    region = region.strip().upper()
    if region == "EXON":
        return str(n)
    if region == "INTRON":
        return str(n + 1 if three_prime else n)
    return None


SITE1, SITE2 = "Site1_Hugo_Symbol", "Site2_Hugo_Symbol"


def cbioportal_sv_call(
    site1: str | None,
    site2: str | None,
    event_info: str | None = None,
    sv_status: str | None = None,
) -> FusionCall:
    """What a cBioPortal SV row's genes mean. A ``GERMLINE`` SV_Status is left out (not a
    tumour alteration). Site1 is read as the 5' gene unless ``Event_Info`` names the two
    genes the other way round (``KIF5B-RET fusion`` with Site1 RET); then the one SV policy
    (:func:`call_pair` with ``by_knowledge``) restores a kinase's 3' role and reads one gene
    alone."""
    if (sv_status or "").strip().upper() == GERMLINE_SV_STATUS:
        reason = "germline SV_Status: not a tumour alteration"
        return FusionCall(None, reason, "SV_Status", left_out=True)
    a, b = (site1 or "").strip(), (site2 or "").strip()
    event = (event_info or "").strip()
    if event and a not in MISSING and b not in MISSING and _names_reversed(event, a, b):
        return call_pair(b, a, SITE2, SITE1, by_knowledge=True)
    return call_pair(a, b, SITE1, SITE2, by_knowledge=True)


def _names_reversed(event: str, a: str, b: str) -> bool:
    """Whether ``event`` names the genes as ``b`` then ``a``. Both symbols written in it with
    ``a`` first is the common case and settles it without parsing (parsing may load the HGNC
    alias table, half a second, for nothing); otherwise the event text is parsed."""
    upper = event.upper()
    i, j = upper.find(a.upper()), upper.find(b.upper())
    if i >= 0 and j >= 0 and i < j:
        return False
    if len(_WORDS.findall(event)) < 2:  # "Fusion": one word cannot name two genes
        return False
    return _event_genes(event) == (b, a)


_WORDS = re.compile(r"[A-Za-z0-9]+")


@lru_cache(maxsize=4096)
def _event_genes(event: str) -> tuple[str, str] | None:
    """The two genes an ``Event_Info`` text names, in its order (None: it names no fusion,
    e.g. ``Fusion``). Cached: a table repeats a few event texts on many rows."""
    try:
        named = split_fusion(event)
    except ParseError:
        return None
    return named.first, named.second


def read_cbioportal_sv(path: Path) -> ReadResult:
    file = str(path)
    out = ResultBuilder("cbioportal-sv", "cbioportal", file)
    table = read_table(path, SV_REQUIRED, what="cBioPortal SV")
    for name in (SITE1, SITE2):
        if name not in table.columns:
            raise FormatError(
                f"missing required column {name!r} in the cBioPortal SV header",
                Location(file=file, line=table.header_line, field=name),
            )
    builds: list[tuple[GenomeBuild, Location, str]] = []
    for row in table.rows:
        c = row.cells
        build_text = c.get("NCBI_Build", "")
        if build_text not in MISSING:
            build = build_from_text(build_text, table.loc(row.line, "NCBI_Build"))
            if build is None:
                raise FormatError(
                    f"unknown genome build {build_text!r}: expected GRCh37 or GRCh38",
                    table.loc(row.line, "NCBI_Build"),
                )
            builds.append((build, table.loc(row.line, "NCBI_Build"), f"NCBI_Build {build_text}"))
            out.genome_build = agree_builds(builds, file)
        sample = _sample(out, table, row, "Sample_Id")
        notes = [f"{k} {c[k]}" for k in ("SV_Status", "Class", "Event_Info") if c.get(k)]
        call = cbioportal_sv_call(c[SITE1], c[SITE2], c.get("Event_Info"), c.get("SV_Status"))
        exons: tuple[str | None, str | None] = (None, None)
        if call.five_field is not None:
            site5, site3 = ("Site2", "Site1") if call.five_field == SITE2 else ("Site1", "Site2")
            exons = (
                _sv_exon(
                    c.get(f"{site5}_Region", ""),
                    c.get(f"{site5}_Region_Number", ""),
                    False,
                    table.loc(row.line, f"{site5}_Region_Number"),
                ),
                _sv_exon(
                    c.get(f"{site3}_Region", ""),
                    c.get(f"{site3}_Region_Number", ""),
                    True,
                    table.loc(row.line, f"{site3}_Region_Number"),
                ),
            )
        elif call.fusion is not None:
            notes.append("partner is not a gene")
        frame = c.get("Site2_Effect_On_Frame", "").lower().replace("_", "-")
        _add_fusion(
            out,
            table,
            row,
            call,
            sample=sample,
            exons=exons,
            in_frame=_FRAME.get(frame) if frame else None,
            split_reads=_count(table, row, "Tumor_Split_Read_Count"),
            spanning_pairs=_count(table, row, "Tumor_Paired_End_Read_Count"),
            alt_reads=_count(table, row, "Tumor_Variant_Count"),
            depth=_count(table, row, "Tumor_Read_Count") if call.five_field else None,
            note="; ".join(notes) or None,
        )
    return out.result()


# ---------------------------------------------------------------------------------------------
# OncoKB-annotator style tables
# ---------------------------------------------------------------------------------------------

_INTRAGENIC = re.compile(r"^\s*([A-Za-z0-9.-]+?)-intragenic\s*$", re.I)


def oncokb_fusion_call(text: str | None) -> FusionCall:
    """What an OncoKB-annotator ``Fusion`` cell means (``EML4-ALK``, ``ALK-EML4 fusion``,
    ``NKX2-1::ALK``): read by the fusion grammar (hyphenated HGNC symbols kept whole; a
    symbol it does not know is refused), the kinase's 3' role restored by knowledge (the
    annotator writes either order). ``GENE-intragenic`` is not a fusion."""
    text = (text or "").strip()
    if _INTRAGENIC.match(text):
        return FusionCall(None, f"{text!r} is an intragenic rearrangement, not a fusion", "Fusion")
    try:
        name = split_fusion(text)
    except ParseError as exc:
        return FusionCall(None, exc.message, "Fusion")
    return call_pair(name.first, name.second, "Fusion", "Fusion", by_knowledge=True)


def oncokb_sv_call(gene_a: str | None, gene_b: str | None) -> FusionCall:
    """What an OncoKB-annotator SV row's ``GeneA``/``GeneB`` mean (no order given: the one SV
    policy, :func:`call_pair` with ``by_knowledge``)."""
    return call_pair(gene_a, gene_b, "GeneA", "GeneB", by_knowledge=True)


def sniff_oncokb_fusion(path: Path, head_lines: Sequence[str]) -> bool:
    cols = set(header_columns(head_lines))
    return "Tumor_Sample_Barcode" in cols and "Fusion" in cols


def read_oncokb_fusion(path: Path) -> ReadResult:
    out = ResultBuilder("oncokb-fusion", "oncokb-annotator", str(path))
    table = read_table(path, ("Tumor_Sample_Barcode", "Fusion"), what="OncoKB fusion table")
    for row in table.rows:
        c = row.cells
        sample = _sample(out, table, row, "Tumor_Sample_Barcode")
        frame = c.get("Frame", "").strip().lower()
        in_frame = {"in frame": True, "in-frame": True, "out of frame": False}.get(frame)
        _add_fusion(
            out, table, row, oncokb_fusion_call(c["Fusion"]), sample=sample, in_frame=in_frame
        )
    return out.result()


def sniff_oncokb_sv(path: Path, head_lines: Sequence[str]) -> bool:
    cols = set(header_columns(head_lines))
    return {"GeneA", "GeneB"} <= cols and ("Sv_Type" in cols or "Tumor_Sample_Barcode" in cols)


def read_oncokb_sv(path: Path) -> ReadResult:
    out = ResultBuilder("oncokb-sv", "oncokb-annotator", str(path))
    table = read_table(
        path, ("Tumor_Sample_Barcode", "GeneA", "GeneB", "Sv_Type"), what="OncoKB SV table"
    )
    for row in table.rows:
        c = row.cells
        sv_type = c["Sv_Type"].upper()
        _add_fusion(
            out,
            table,
            row,
            oncokb_sv_call(c["GeneA"], c["GeneB"]),
            sample=_sample(out, table, row, "Tumor_Sample_Barcode"),
            note=f"Sv_Type {sv_type}" if sv_type != "FUSION" else None,
        )
    return out.result()


READERS = (
    Reader(
        "arriba",
        "arriba",
        "Arriba fusions.tsv (24- and 30-column layouts)",
        sniff_arriba,
        read_arriba,
    ),
    Reader(
        "star-fusion",
        "star-fusion",
        "STAR-Fusion fusion_predictions(.abridged).tsv",
        sniff_star_fusion,
        read_star_fusion,
    ),
    Reader(
        "fusioncatcher",
        "fusioncatcher",
        "FusionCatcher final-list_candidate-fusion-genes.txt",
        sniff_fusioncatcher,
        read_fusioncatcher,
    ),
    Reader(
        "cbioportal-sv",
        "cbioportal",
        "cBioPortal structural variant data (data_sv.txt)",
        sniff_cbioportal_sv,
        read_cbioportal_sv,
    ),
    Reader(
        "oncokb-fusion",
        "oncokb-annotator",
        "OncoKB-annotator fusion table (Tumor_Sample_Barcode, Fusion)",
        sniff_oncokb_fusion,
        read_oncokb_fusion,
    ),
    Reader(
        "oncokb-sv",
        "oncokb-annotator",
        "OncoKB-annotator SV table (GeneA, GeneB, Sv_Type)",
        sniff_oncokb_sv,
        read_oncokb_sv,
    ),
)
