"""Copy-number files: CNVkit segments, cBioPortal/GISTIC discrete tables, OncoKB and plain calls.

Each reader yields one :class:`~tkiresist.model.alterations.CopyNumber` finding per gene that
is called changed. Neutral calls give no finding. By default only the high-level changes are
reported (amplification, deep deletion); ``include_gain_loss=True`` adds gains and single-copy
losses. Tables that state the call in words (``Amplification``, ``Gain``...) are always
reported as written.

CNVkit ``.cns`` / ``.call.cns`` (documented thresholds)
--------------------------------------------------------
The ``gene`` column lists the genes of each segment (``-`` for none; ``Antitarget`` and
``Background`` are ignored). With a ``cn`` column (``cnvkit.py call`` output, which already
accounts for sex chromosomes and purity when the caller was told them), for ploidy 2:

=============  ====================================
``cn >= 5``    amplification
``cn 3..4``    gain
``cn 1``       loss (``0 < cn < ploidy``)
``cn 0``       deletion
=============  ====================================

Non-integer copy numbers (Ion Reporter gives 2.04) are rounded to the nearest integer for the
gain/loss/deletion steps; amplification compares the value itself.

Without ``cn`` (plain ``.cns``), from ``log2`` for a diploid sample: ``log2 >= 1.0``
amplification (about 4 or more copies in a pure sample), ``>= 0.2`` gain, ``<= -0.25`` loss,
``<= -1.1`` deletion (the last three are CNVkit's own default ``call`` thresholds). Both sets
are in :class:`CnvThresholds`; pass another to :func:`read_cnvkit`.

cBioPortal discrete values
--------------------------
``2`` amplification, ``1`` gain, ``0`` neutral, ``-1`` and ``-1.5`` loss (shallow/hemizygous),
``-2`` deletion (deep); ``NA`` or empty is "not assessed" (no finding). The wide matrix
(``Hugo_Symbol`` [``Entrez_Gene_Id``] + one column per sample), GISTIC's
``all_thresholded.by_genes.txt`` (``Gene Symbol``, ``Locus ID``, ``Cytoband`` + samples), the
``DISCRETE_LONG`` form (``Hugo_Symbol``, ``Sample_Id``, ``Value``) and the OncoKB-annotator
individual table (``Tumor_Sample_Barcode``, ``Hugo_Symbol``, ``Copy_Number_Alteration`` with a
number or a word) use this scale.

Plain gene/call table
---------------------
Tab-separated, header ``gene`` and ``call`` (case-insensitive), optional ``sample``,
``copy_number``, ``ratio``, ``log2`` and ``method``. Calls: ``amplification`` (``amp``),
``gain``, ``loss``, ``deletion`` (``del``, ``homdel``), ``neutral``. See
``docs/formats/cna.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tkiresist.errors import FormatError, Location
from tkiresist.io.base import (
    MISSING,
    Reader,
    ReadResult,
    ResultBuilder,
    Row,
    Table,
    header_columns,
    parse_float,
    read_table,
)
from tkiresist.model.alterations import CopyNumber, CopyNumberChange

HIGH_LEVEL: frozenset[CopyNumberChange] = frozenset({"amplification", "deletion"})


@dataclass(frozen=True, slots=True)
class CnvThresholds:
    """Copy-number and log2 cut-offs for CNVkit segments (see the module docstring)."""

    ploidy: int = 2
    amplification_cn: float = 5
    amplification_log2: float = 1.0
    gain_log2: float = 0.2
    loss_log2: float = -0.25
    deletion_log2: float = -1.1

    def from_cn(self, cn: float) -> CopyNumberChange | None:
        if cn >= self.amplification_cn:
            return "amplification"
        whole = round(cn)
        if whole > self.ploidy:
            return "gain"
        if whole <= 0:
            return "deletion"
        if whole < self.ploidy:
            return "loss"
        return None

    def from_log2(self, log2: float) -> CopyNumberChange | None:
        if log2 >= self.amplification_log2:
            return "amplification"
        if log2 >= self.gain_log2:
            return "gain"
        if log2 <= self.deletion_log2:
            return "deletion"
        if log2 <= self.loss_log2:
            return "loss"
        return None


DEFAULT_THRESHOLDS = CnvThresholds()

DISCRETE_CNA: dict[str, CopyNumberChange | None] = {
    "2": "amplification",
    "1": "gain",
    "0": None,
    "-1": "loss",
    "-1.5": "loss",
    "-2": "deletion",
}
"""cBioPortal discrete copy-number values (GISTIC calls) and what they mean: the one map, read by
the case-side reader, ``annotate`` and ``cohort`` alike. ``-1.5`` (a shallow loss in some
studies) is a loss, never rounded to a deep deletion."""

DISCRETE_EXPECTED = "-2, -1.5, -1, 0, 1 or 2"
"""The discrete values, as error messages list them."""

_DISCRETE: dict[float, CopyNumberChange | None] = {float(k): v for k, v in DISCRETE_CNA.items()}
_WORDS: dict[str, CopyNumberChange | None] = {
    "amplification": "amplification",
    "amp": "amplification",
    "amplified": "amplification",
    "gain": "gain",
    "loss": "loss",
    "deletion": "deletion",
    "del": "deletion",
    "homdel": "deletion",
    "deep deletion": "deletion",
    "homozygous deletion": "deletion",
    "neutral": None,
    "diploid": None,
}


def _keep(change: CopyNumberChange | None, include_gain_loss: bool) -> bool:
    return change is not None and (include_gain_loss or change in HIGH_LEVEL)


def _discrete(text: str, loc: Location) -> tuple[bool, CopyNumberChange | None]:
    """``(assessed, change)`` for a cBioPortal discrete value or a call word."""
    text = text.strip()
    if text in MISSING:
        return False, None
    if text.lower() in _WORDS:
        return True, _WORDS[text.lower()]
    try:
        value = float(text)
    except ValueError:
        raise FormatError(
            f"expected a discrete copy-number value {DISCRETE_EXPECTED} or a call "
            f"(Amplification, Gain, Loss, Deletion), found {text!r}",
            loc,
        ) from None
    if value not in _DISCRETE:
        raise FormatError(
            f"expected a discrete copy-number value {DISCRETE_EXPECTED}, found {text!r}", loc
        )
    return True, _DISCRETE[value]


# ---------------------------------------------------------------------------------------------
# CNVkit
# ---------------------------------------------------------------------------------------------

CNVKIT_REQUIRED = ("chromosome", "start", "end", "gene", "log2")
_NOT_GENES = frozenset({"-", "", "Antitarget", "Background", "antitarget"})


def sniff_cnvkit(path: Path, head_lines: Sequence[str]) -> bool:
    cols = header_columns(head_lines)
    return cols[:5] == CNVKIT_REQUIRED


def read_cnvkit(
    path: Path,
    *,
    thresholds: CnvThresholds = DEFAULT_THRESHOLDS,
    include_gain_loss: bool = False,
    sample: str | None = None,
) -> ReadResult:
    out = ResultBuilder("cnvkit", "cnvkit", str(path))
    table = read_table(path, CNVKIT_REQUIRED, what="CNVkit segments")
    has_cn = "cn" in table.columns
    warned_sex = False
    for row in table.rows:
        c = row.cells
        log2 = parse_float(c["log2"], table.loc(row.line, "log2"), "log2")
        cn = parse_float(c["cn"], table.loc(row.line, "cn"), "cn") if has_cn else None
        if cn is not None and cn < 0:
            raise FormatError("cn: a copy number cannot be negative", table.loc(row.line, "cn"))
        if cn is not None:
            change = thresholds.from_cn(cn)
        elif log2 is not None:
            change = thresholds.from_log2(log2)
        else:
            out.warn("segment without log2 or cn: not assessed", table.loc(row.line, "log2"))
            continue
        if not _keep(change, include_gain_loss):
            continue
        assert change is not None
        if (
            cn is None
            and not warned_sex
            and c["chromosome"].lower().removeprefix("chr") in ("x", "y")
        ):
            warned_sex = True
            out.warn(
                f"calls on {c['chromosome']} come from log2 with ploidy {thresholds.ploidy}: "
                "in a male sample use `cnvkit.py call` output (cn column) instead",
                table.loc(row.line, "log2"),
            )
        genes = [g.strip() for g in c["gene"].split(",") if g.strip() not in _NOT_GENES]
        seen: set[str] = set()
        for written in genes:
            gene, _ = out.gene(written, table.loc(row.line, "gene"))
            if gene in seen:
                continue
            seen.add(gene)
            out.add(
                sample,
                CopyNumber(gene=gene, change=change, copy_number=cn, log2=log2, method="NGS"),
                row.line,
                row.text,
                note=f"segment {c['chromosome']}:{c['start']}-{c['end']}"
                + ("" if has_cn else f"; call from log2 (ploidy {thresholds.ploidy})"),
            )
    return out.result()


# ---------------------------------------------------------------------------------------------
# cBioPortal / GISTIC wide matrices
# ---------------------------------------------------------------------------------------------

_WIDE_ANNOTATION = frozenset({"Entrez_Gene_Id", "Locus ID", "Cytoband", "Gene ID", "cytoband"})


def sniff_cbioportal_cna(path: Path, head_lines: Sequence[str]) -> bool:
    cols = header_columns(head_lines)
    if not cols or cols[0] not in ("Hugo_Symbol", "Entrez_Gene_Id"):
        return False
    others = set(cols) - {"Hugo_Symbol", "Entrez_Gene_Id"}
    reserved = {"Variant_Classification", "Sample_Id", "Tumor_Sample_Barcode", "Value"}
    return bool(others) and not (others & reserved)


def sniff_gistic(path: Path, head_lines: Sequence[str]) -> bool:
    cols = header_columns(head_lines)
    return len(cols) > 1 and cols[0] == "Gene Symbol"


def _read_wide(
    path: Path,
    name: str,
    caller: str,
    gene_col: str,
    include_gain_loss: bool,
) -> ReadResult:
    out = ResultBuilder(name, caller, str(path))
    table = read_table(path, (gene_col,), what=f"{name} matrix")
    samples = [c for c in table.columns if c != gene_col and c not in _WIDE_ANNOTATION]
    if not samples:
        raise FormatError(
            "no sample columns after the gene columns",
            Location(file=str(path), line=table.header_line),
        )
    for row in table.rows:
        written = row.cells[gene_col]
        if written in MISSING:
            out.warn(f"empty {gene_col}: row skipped", table.loc(row.line, gene_col))
            continue
        gene: str | None = None
        for sample in samples:
            assessed, change = _discrete(row.cells[sample], table.loc(row.line, sample))
            if not assessed or not _keep(change, include_gain_loss):
                continue
            assert change is not None
            if gene is None:
                gene, _ = out.gene(written, table.loc(row.line, gene_col))
            out.add(sample, CopyNumber(gene=gene, change=change), row.line, row.text)
    return out.result()


def read_cbioportal_cna(path: Path, *, include_gain_loss: bool = False) -> ReadResult:
    cols = header_columns(_head(path))
    gene_col = "Hugo_Symbol" if "Hugo_Symbol" in cols else "Entrez_Gene_Id"
    if gene_col == "Entrez_Gene_Id":
        raise FormatError(
            "a discrete CNA matrix without Hugo_Symbol: Entrez-only tables are not read "
            "(no offline Entrez-to-HGNC map)",
            Location(file=str(path), line=1, field="Hugo_Symbol"),
        )
    return _read_wide(path, "cbioportal-cna", "cbioportal", gene_col, include_gain_loss)


def read_gistic(path: Path, *, include_gain_loss: bool = False) -> ReadResult:
    return _read_wide(path, "gistic", "gistic", "Gene Symbol", include_gain_loss)


def _head(path: Path) -> tuple[str, ...]:
    from tkiresist.io.base import head

    return head(path, 8)


# ---------------------------------------------------------------------------------------------
# Long tables: DISCRETE_LONG, OncoKB individual CNA, plain gene/call
# ---------------------------------------------------------------------------------------------


def sniff_discrete_long(path: Path, head_lines: Sequence[str]) -> bool:
    cols = set(header_columns(head_lines))
    return {"Sample_Id", "Value"} <= cols and "Hugo_Symbol" in cols


def sniff_oncokb_cna(path: Path, head_lines: Sequence[str]) -> bool:
    cols = set(header_columns(head_lines))
    return {"Tumor_Sample_Barcode", "Hugo_Symbol", "Copy_Number_Alteration"} <= cols


def _read_long(
    path: Path,
    name: str,
    caller: str,
    gene_col: str,
    sample_col: str | None,
    value_col: str,
    include_gain_loss: bool,
) -> ReadResult:
    out = ResultBuilder(name, caller, str(path))
    required = tuple(c for c in (gene_col, sample_col, value_col) if c)
    table = read_table(path, required, what=f"{name} table")
    for row in table.rows:
        _long_row(out, table, row, gene_col, sample_col, value_col, include_gain_loss)
    return out.result()


def _long_row(
    out: ResultBuilder,
    table: Table,
    row: Row,
    gene_col: str,
    sample_col: str | None,
    value_col: str,
    include_gain_loss: bool,
) -> None:
    c = row.cells
    text = c[value_col].strip()
    worded = text.lower() in _WORDS
    assessed, change = _discrete(text, table.loc(row.line, value_col))
    if not assessed or change is None:
        return
    if not worded and not _keep(change, include_gain_loss):
        return
    sample = c[sample_col] if sample_col else None
    if sample is not None and sample in MISSING:
        out.warn(f"empty {sample_col}: sample unknown", table.loc(row.line, sample_col))
        sample = None
    gene, _ = out.gene(c[gene_col], table.loc(row.line, gene_col))
    measures: dict[str, float | None] = {}
    for key, col in (("copy_number", "copy_number"), ("ratio", "ratio"), ("log2", "log2")):
        if col in c:
            measures[key] = parse_float(c[col], table.loc(row.line, col), col)
    for key in ("copy_number", "ratio"):
        value = measures.get(key)
        if value is not None and value < 0:
            raise FormatError(f"{key}: cannot be negative", table.loc(row.line, key))
    method = c.get("method") or None
    out.add(
        sample,
        CopyNumber(
            gene=gene,
            change=change,
            copy_number=measures.get("copy_number"),
            ratio=measures.get("ratio"),
            log2=measures.get("log2"),
            method=method,
        ),
        row.line,
        row.text,
        method=method if method and method.upper() != "NGS" else None,
    )


def read_discrete_long(path: Path, *, include_gain_loss: bool = False) -> ReadResult:
    return _read_long(
        path, "cbioportal-cna-long", "cbioportal", "Hugo_Symbol", "Sample_Id", "Value",
        include_gain_loss,
    )  # fmt: skip


def read_oncokb_cna(path: Path, *, include_gain_loss: bool = False) -> ReadResult:
    return _read_long(
        path, "oncokb-cna", "oncokb-annotator", "Hugo_Symbol", "Tumor_Sample_Barcode",
        "Copy_Number_Alteration", include_gain_loss,
    )  # fmt: skip


def sniff_gene_calls(path: Path, head_lines: Sequence[str]) -> bool:
    cols = {c.lower() for c in header_columns(head_lines)}
    return {"gene", "call"} <= cols


def read_gene_calls(path: Path) -> ReadResult:
    """The plain gene/call table; column names are matched case-insensitively."""
    out = ResultBuilder("cna-calls", "table", str(path))
    table = read_table(path, what="gene/call table")
    lower = {c.lower(): c for c in table.columns}
    for need in ("gene", "call"):
        if need not in lower:
            raise FormatError(
                f"missing required column {need!r} in the gene/call table header",
                Location(file=str(path), line=table.header_line, field=need),
            )
    renamed = Table(
        table.file,
        table.header_line,
        tuple(c.lower() for c in table.columns),
        table.comments,
        iter(()),
    )
    sample_col = "sample" if "sample" in lower else None
    for row in table.rows:
        cells = {k.lower(): v for k, v in row.cells.items()}
        text = cells["call"].strip().lower()
        if text not in _WORDS:
            raise FormatError(
                "call: expected amplification, gain, loss, deletion or neutral, found "
                f"{cells['call']!r}",
                renamed.loc(row.line, "call"),
            )
        _long_row(out, renamed, Row(row.line, cells, row.text), "gene", sample_col, "call", True)
    return out.result()


READERS = (
    Reader("cnvkit", "cnvkit", "CNVkit segments (.cns, .call.cns)", sniff_cnvkit, read_cnvkit),
    Reader(
        "cbioportal-cna-long",
        "cbioportal",
        "cBioPortal DISCRETE_LONG copy-number table",
        sniff_discrete_long,
        read_discrete_long,
    ),
    Reader(
        "oncokb-cna",
        "oncokb-annotator",
        "OncoKB-annotator individual CNA table",
        sniff_oncokb_cna,
        read_oncokb_cna,
    ),
    Reader(
        "cbioportal-cna",
        "cbioportal",
        "cBioPortal discrete CNA matrix (data_cna.txt)",
        sniff_cbioportal_cna,
        read_cbioportal_cna,
    ),
    Reader("gistic", "gistic", "GISTIC all_thresholded.by_genes.txt", sniff_gistic, read_gistic),
    Reader(
        "cna-calls", "table", "plain gene/call copy-number table", sniff_gene_calls, read_gene_calls
    ),
)
