"""MAF (Mutation Annotation Format): GDC / vcf2maf / genome-nexus output and cBioPortal's subset.

Columns read
------------
=========================  ===================================================================
``Hugo_Symbol``            gene (required); resolved to the approved HGNC symbol
``Tumor_Sample_Barcode``   sample (required; an empty cell gives sample ``None`` + a warning)
``Variant_Classification`` required; kept in the finding's note
``HGVSp_Short``            protein change, else ``HGVSp``; else the c. change from ``HGVSc``
``HGVSc``                  c. change (its ``ENST...:`` prefix becomes ``reference``)
``t_alt_count``            supporting reads; with ``t_ref_count`` or ``t_depth`` gives VAF
``Exon_Number``            ``19/28`` -> exon 19
``NCBI_Build``             genome build; rows that disagree raise FormatError
``FILTER``                 quality (see below), when present
=========================  ===================================================================

``#version 2.4`` and other ``#`` lines before the header are comments.

Quality mapping (``FILTER`` column, when present)
-------------------------------------------------
``PASS`` -> ``pass``; empty or ``.`` -> ``unknown``; any other value (``common_variant``...)
-> ``fail``. Without a ``FILTER`` column every finding is ``unknown``.

A row whose protein change is not a change of sequence (``p.S406=``, ``p.M1?``,
``p.X210_splice``) is kept through its c. change; a row with neither a parsable protein change
nor a c. change is kept as an unannotated record with a warning. Nothing is dropped silently.

A coordinate-only list (``Chromosome``, ``Start_Position``, ``Reference_Allele``... without
``Hugo_Symbol``, as genome-nexus takes as input) is recognised and refused: it needs
annotation first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from tkiresist.errors import FormatError, Location, ParseError
from tkiresist.io._nomen import protein_change
from tkiresist.io.base import (
    MISSING,
    Reader,
    ReadResult,
    ResultBuilder,
    UnannotatedRecord,
    agree_builds,
    build_from_text,
    header_columns,
    parse_int,
    read_table,
)
from tkiresist.model.alterations import ProteinChange, SequenceVariant
from tkiresist.model.findings import QualityLevel
from tkiresist.model.timeline import GenomeBuild

NAME = "maf"
CALLER = "maf"
REQUIRED = ("Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification")

NON_PROTEIN_CLASSIFICATIONS: frozenset[str] = frozenset(
    {
        "Silent",
        "Intron",
        "3'UTR",
        "3'Flank",
        "5'UTR",
        "5'Flank",
        "IGR",
        "RNA",
        "lincRNA",
        "Targeted_Region",
    }
)
"""MAF ``Variant_Classification`` values that change no protein: the one list, left out by
``add-test``, ``annotate`` and ``cohort`` alike (cBioPortal's default filter is the first eight;
``lincRNA`` and ``Targeted_Region`` change no protein either)."""
_COORDINATES = ("Chromosome", "Start_Position", "Reference_Allele")


def sniff(path: Path, head_lines: Sequence[str]) -> bool:
    cols = set(header_columns(head_lines))
    if "Hugo_Symbol" in cols and "Variant_Classification" in cols:
        return True
    return all(c in cols for c in _COORDINATES) and "Hugo_Symbol" not in cols


def _quality(value: str | None) -> QualityLevel:
    if value is None or value in MISSING:
        return "unknown"
    return "pass" if value == "PASS" else "fail"


def _exon(text: str) -> int | None:
    m = re.fullmatch(r"(\d+)(?:/\d+)?", text.strip())
    return int(m.group(1)) if m and int(m.group(1)) > 0 else None


def read(path: Path) -> ReadResult:
    file = str(path)
    out = ResultBuilder(NAME, CALLER, file)
    table = read_table(path, what="MAF")
    cols = table.columns
    if "Hugo_Symbol" not in cols and all(c in cols for c in _COORDINATES):
        raise FormatError(
            "missing required column 'Hugo_Symbol': this is a coordinate-only variant list "
            "(Chromosome/Start_Position/Reference_Allele), not an annotated MAF; annotate it "
            "(genome-nexus, vcf2maf) first",
            Location(file=file, line=table.header_line, field="Hugo_Symbol"),
        )
    for name in REQUIRED:
        if name not in cols:
            raise FormatError(
                f"missing required column {name!r} in the MAF header",
                Location(file=file, line=table.header_line, field=name),
            )
    protein_cols = [c for c in ("HGVSp_Short", "HGVSp") if c in cols]
    if not protein_cols and "HGVSc" not in cols:
        raise FormatError(
            "missing required column 'HGVSp_Short' (or HGVSp/HGVSc): no variant description",
            Location(file=file, line=table.header_line, field="HGVSp_Short"),
        )
    builds: list[tuple[GenomeBuild, Location, str]] = []
    seen_build_text: dict[str, GenomeBuild | None] = {}
    for row in table.rows:
        cells = row.cells
        line = row.line
        build_text = cells.get("NCBI_Build", "")
        if build_text and build_text not in MISSING:
            if build_text not in seen_build_text:
                seen_build_text[build_text] = build_from_text(build_text, table.loc(line))
            build = seen_build_text[build_text]
            if build is None:
                raise FormatError(
                    f"unknown genome build {build_text!r}: expected GRCh37/hg19 or GRCh38/hg38",
                    table.loc(line, "NCBI_Build"),
                )
            if not builds or builds[-1][0] != build:
                builds.append((build, table.loc(line, "NCBI_Build"), f"NCBI_Build {build_text}"))
                out.genome_build = agree_builds(builds, file)
        sample = cells["Tumor_Sample_Barcode"] or None
        if sample is None:
            out.warn(
                "empty Tumor_Sample_Barcode: sample unknown",
                table.loc(line, "Tumor_Sample_Barcode"),
            )
        classification = cells["Variant_Classification"]
        if classification in NON_PROTEIN_CLASSIFICATIONS:
            reason = f"{classification}: changes no protein"
            out.warn(f"{reason}; row left out", table.loc(line, "Variant_Classification"))
            out.unannotated.append(UnannotatedRecord(line, reason, row.text))
            continue
        gene, _ = out.gene(cells["Hugo_Symbol"], table.loc(line, "Hugo_Symbol"))
        protein: ProteinChange | None = None
        protein_text = next((cells[c] for c in protein_cols if cells[c] not in MISSING), "")
        protein_problem: str | None = None
        if protein_text:
            try:
                protein = protein_change(protein_text, table.loc(line, protein_cols[0]))
            except ParseError as exc:
                protein_problem = exc.message
        cdna: str | None = None
        reference: str | None = cells.get("Transcript_ID") or None
        hgvsc = cells.get("HGVSc", "")
        if hgvsc and hgvsc not in MISSING:
            if ":" in hgvsc:
                reference, cdna = hgvsc.split(":", 1)
            else:
                cdna = hgvsc
        if protein is None and cdna is None:
            reason = protein_problem or "no protein or c. change given"
            out.warn(f"{gene}: {reason}; row kept unannotated", table.loc(line))
            out.unannotated.append(UnannotatedRecord(line, reason, row.text))
            continue
        if protein is None and protein_problem:
            out.warn(
                f"{gene}: {protein_problem}; kept by its c. change {cdna}",
                table.loc(line, protein_cols[0]),
            )
        variant = SequenceVariant(
            gene=gene,
            protein=protein,
            cdna=cdna,
            reference=reference if reference not in MISSING else None,
            exon=_exon(cells.get("Exon_Number", "")),
        )
        alt = (
            parse_int(cells.get("t_alt_count", ""), table.loc(line, "t_alt_count"), "t_alt_count")
            if "t_alt_count" in cols
            else None
        )
        ref = (
            parse_int(cells.get("t_ref_count", ""), table.loc(line, "t_ref_count"), "t_ref_count")
            if "t_ref_count" in cols
            else None
        )
        depth = (
            parse_int(cells.get("t_depth", ""), table.loc(line, "t_depth"), "t_depth")
            if "t_depth" in cols
            else None
        )
        if depth is None and alt is not None and ref is not None:
            depth = alt + ref
        vaf = round(alt / depth, 6) if alt is not None and depth else None
        out.add(
            sample,
            variant,
            line,
            row.text,
            quality=_quality(cells.get("FILTER")) if "FILTER" in cols else "unknown",
            vaf=vaf,
            depth=depth,
            alt_reads=alt,
            note=cells["Variant_Classification"] or None,
        )
    return out.result()


READER = Reader(NAME, CALLER, "Mutation Annotation Format (GDC, vcf2maf, cBioPortal)", sniff, read)
