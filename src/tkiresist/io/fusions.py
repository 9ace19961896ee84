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

Gene order
----------
Arriba (gene1), STAR-Fusion (LeftGene), FusionCatcher (Gene_1...5end) and cBioPortal (Site1)
name the 5' gene first. OncoKB-annotator tables give no order (``ALK-EML4 fusion`` is written
either way), so there the 3' role of a kinase
(:data:`~tkiresist.nomenclature.fusions.THREE_PRIME_GENES`) is restored and the finding's
``Fusion.order_corrected`` records it.

cBioPortal exon breakpoints: ``SiteN_Region`` ``EXON``/``INTRON`` with ``SiteN_Region_Number``
n. The 5' gene keeps exon n either way; the 3' gene starts at exon n (``EXON``) or n+1
(``INTRON``: the intron after exon n).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

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
from tkiresist.nomenclature.fusions import GERMLINE_SV_STATUS, orient, sv_pair

# ---------------------------------------------------------------------------------------------
# shared
# ---------------------------------------------------------------------------------------------


def _sample_column(columns: Sequence[str]) -> str | None:
    for name in ("Tumor_Sample_Barcode", "Sample_Id", "sample", "Sample", "tumor_id"):
        if name in columns:
            return name
    return None


def _count(table: Table, row: Row, name: str) -> int | None:
    if name not in table.columns:
        return None
    value = parse_int(row.cells[name], table.loc(row.line, name), name)
    if value is not None and value < 0:
        raise FormatError(f"{name}: a read count cannot be negative", table.loc(row.line, name))
    return value


def _add_fusion(
    out: ResultBuilder,
    table: Table,
    row: Row,
    five: str,
    three: str,
    five_col: str,
    three_col: str,
    *,
    sample: str | None,
    quality: QualityLevel = "unknown",
    in_frame: bool | None = None,
    five_exon: str | None = None,
    three_exon: str | None = None,
    split_reads: int | None = None,
    spanning_pairs: int | None = None,
    alt_reads: int | None = None,
    depth: int | None = None,
    order_from_knowledge: bool = False,
    note: str | None = None,
) -> None:
    for gene, col in ((five, five_col), (three, three_col)):
        if not gene or gene in MISSING:
            reason = f"no gene at one breakpoint ({col} empty)"
            out.warn(f"{reason}; row kept unannotated", table.loc(row.line, col))
            out.unannotated.append(UnannotatedRecord(row.line, reason, row.text))
            return
        if "(" in gene or "," in gene:
            reason = (
                f"{col} {gene!r} is intergenic or names several overlapping genes: not a fusion "
                "of two genes"
            )
            out.warn(f"{reason}; row kept unannotated", table.loc(row.line, col))
            out.unannotated.append(UnannotatedRecord(row.line, reason, row.text))
            return
    g5, _ = out.gene(five, table.loc(row.line, five_col))
    g3, _ = out.gene(three, table.loc(row.line, three_col))
    if g5 == g3:
        reason = f"both breakpoints in {g5}: an intragenic rearrangement, not a fusion"
        out.warn(f"{reason}; row kept unannotated", table.loc(row.line, five_col))
        out.unannotated.append(UnannotatedRecord(row.line, reason, row.text))
        return
    corrected = False
    if order_from_knowledge:
        g5_, g3_, corrected = orient(g5, g3)  # the one orientation rule (nomenclature.fusions)
        if corrected:
            g5, g3, five_exon, three_exon = g5_, g3_, three_exon, five_exon
    if alt_reads is None and (split_reads is not None or spanning_pairs is not None):
        alt_reads = (split_reads or 0) + (spanning_pairs or 0)
    if depth is not None and alt_reads is not None and alt_reads > depth:
        depth = None
    fusion = Fusion(
        five_prime=g5,
        three_prime=g3,
        five_prime_exon=five_exon,
        three_prime_exon=three_exon,
        order_corrected=corrected,
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
    table = read_table(
        path, ARRIBA_REQUIRED, comment=None, header_comment_prefix="#gene1", what="Arriba"
    )
    sample_col = _sample_column(table.columns)
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
            c["gene1"],
            c["gene2"],
            "gene1",
            "gene2",
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
    table = read_table(
        path, STAR_REQUIRED, comment=None, header_comment_prefix="#FusionName", what="STAR-Fusion"
    )
    sample_col = _sample_column(table.columns)
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
            _star_gene(c["LeftGene"]),
            _star_gene(c["RightGene"]),
            "LeftGene",
            "RightGene",
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
    table = read_table(path, FC_REQUIRED, comment=None, what="FusionCatcher")
    sample_col = _sample_column(table.columns)
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
            c[FC_5],
            c[FC_3],
            FC_5,
            FC_3,
            sample=_sample(out, table, row, sample_col),
            quality=quality,
            in_frame=in_frame,
            split_reads=_count(table, row, "Spanning_unique_reads"),
            spanning_pairs=_count(table, row, "Spanning_pairs"),
            note=f"{c['Fusion_description']}; {effect}",
        )
    return out.result()


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


def read_cbioportal_sv(path: Path) -> ReadResult:
    file = str(path)
    out = ResultBuilder("cbioportal-sv", "cbioportal", file)
    table = read_table(path, SV_REQUIRED, what="cBioPortal SV")
    for name in ("Site1_Hugo_Symbol", "Site2_Hugo_Symbol"):
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
        site1, site2 = c["Site1_Hugo_Symbol"], c["Site2_Hugo_Symbol"]
        sample = _sample(out, table, row, "Sample_Id")
        notes = [f"{k} {c[k]}" for k in ("SV_Status", "Class", "Event_Info") if c.get(k)]
        if c.get("SV_Status", "").strip().upper() == GERMLINE_SV_STATUS:
            reason = "germline SV_Status: not a tumour alteration"
            out.warn(f"{reason}; row left out", table.loc(row.line, "SV_Status"))
            out.unannotated.append(UnannotatedRecord(row.line, reason, row.text))
            continue
        if site1 in MISSING or site2 in MISSING:
            only = site2 if site1 in MISSING else site1
            if only not in MISSING:
                gene, _ = out.gene(only, table.loc(row.line, "Site1_Hugo_Symbol"))
                pair = sv_pair(gene, None)  # the one SV policy
                if pair.fusion is None:
                    reason = pair.reason or "not a fusion"
                    out.warn(f"{reason}; row kept unannotated", table.loc(row.line))
                    out.unannotated.append(UnannotatedRecord(row.line, reason, row.text))
                    continue
                if pair.fusion is not None:
                    out.add(
                        sample,
                        Fusion(five_prime=None, three_prime=gene),
                        row.line,
                        row.text,
                        alt_reads=_count(table, row, "Tumor_Variant_Count"),
                        split_reads=_count(table, row, "Tumor_Split_Read_Count"),
                        spanning_pairs=_count(table, row, "Tumor_Paired_End_Read_Count"),
                        note="; ".join([*notes, "partner is not a gene"]),
                    )
                    continue
        five, three, five_col, three_col = site1, site2, "Site1_Hugo_Symbol", "Site2_Hugo_Symbol"
        swapped = False
        event = c.get("Event_Info", "")
        if event and site1 not in MISSING and site2 not in MISSING:
            try:
                named = split_fusion(event, table.loc(row.line, "Event_Info"))
            except ParseError:
                named = None
            if named is not None and (named.first, named.second) == (site2, site1):
                five, three, five_col, three_col = site2, site1, three_col, five_col
                swapped = True
        site5, site3 = ("Site2", "Site1") if swapped else ("Site1", "Site2")
        in_frame = None
        frame = c.get("Site2_Effect_On_Frame", "").lower().replace("_", "-")
        if frame:
            in_frame = _FRAME.get(frame)
        _add_fusion(
            out,
            table,
            row,
            five,
            three,
            five_col,
            three_col,
            sample=sample,
            five_exon=_sv_exon(
                c.get(f"{site5}_Region", ""),
                c.get(f"{site5}_Region_Number", ""),
                False,
                table.loc(row.line, f"{site5}_Region_Number"),
            ),
            three_exon=_sv_exon(
                c.get(f"{site3}_Region", ""),
                c.get(f"{site3}_Region_Number", ""),
                True,
                table.loc(row.line, f"{site3}_Region_Number"),
            ),
            in_frame=in_frame,
            split_reads=_count(table, row, "Tumor_Split_Read_Count"),
            spanning_pairs=_count(table, row, "Tumor_Paired_End_Read_Count"),
            alt_reads=_count(table, row, "Tumor_Variant_Count"),
            depth=_count(table, row, "Tumor_Read_Count"),
            note="; ".join(notes) or None,
        )
    return out.result()


# ---------------------------------------------------------------------------------------------
# OncoKB-annotator style tables
# ---------------------------------------------------------------------------------------------

_INTRAGENIC = re.compile(r"^\s*([A-Za-z0-9.-]+?)-intragenic\s*$", re.I)


def sniff_oncokb_fusion(path: Path, head_lines: Sequence[str]) -> bool:
    cols = set(header_columns(head_lines))
    return "Tumor_Sample_Barcode" in cols and "Fusion" in cols


def read_oncokb_fusion(path: Path) -> ReadResult:
    out = ResultBuilder("oncokb-fusion", "oncokb-annotator", str(path))
    table = read_table(path, ("Tumor_Sample_Barcode", "Fusion"), what="OncoKB fusion table")
    for row in table.rows:
        c = row.cells
        sample = _sample(out, table, row, "Tumor_Sample_Barcode")
        text = c["Fusion"]
        if _INTRAGENIC.match(text):
            reason = f"{text!r} is an intragenic rearrangement, not a fusion"
            out.warn(f"{reason}; row kept unannotated", table.loc(row.line, "Fusion"))
            out.unannotated.append(UnannotatedRecord(row.line, reason, row.text))
            continue
        try:
            name = split_fusion(text, table.loc(row.line, "Fusion"))
        except ParseError as exc:
            out.warn(f"{exc.message}; row kept unannotated", table.loc(row.line, "Fusion"))
            out.unannotated.append(UnannotatedRecord(row.line, exc.message, row.text))
            continue
        frame = c.get("Frame", "").strip().lower()
        in_frame = {"in frame": True, "in-frame": True, "out of frame": False}.get(frame)
        _add_fusion(
            out,
            table,
            row,
            name.first,
            name.second,
            "Fusion",
            "Fusion",
            sample=sample,
            in_frame=in_frame,
            order_from_knowledge=True,
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
            c["GeneA"],
            c["GeneB"],
            "GeneA",
            "GeneB",
            sample=_sample(out, table, row, "Tumor_Sample_Barcode"),
            order_from_knowledge=True,
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
