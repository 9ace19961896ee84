"""The input tables of ``tkiresist annotate``: their headers, checks and small side tables.

Everything here reads only the head (and, for located errors, what DuckDB reports): the rows
themselves are read by DuckDB in :mod:`tkiresist.annotate.engine`.

Formats
-------
* **MAF** (GDC / vcf2maf / genome-nexus / cBioPortal / GENIE ``data_mutations*.txt``):
  tab-separated, ``#`` lines before the header are comments. Required columns:
  ``Hugo_Symbol``, ``Tumor_Sample_Barcode``, ``Variant_Classification`` and ``HGVSp_Short`` or
  ``HGVSp``. Optional: ``HGVSc`` (the c. change, used when the protein change is missing or
  unreadable), ``NCBI_Build`` (GRCh37 and GRCh38 rows in one file are refused).
* **SV**: cBioPortal ``data_sv.txt`` (``Sample_Id``, ``Site1_Hugo_Symbol``,
  ``Site2_Hugo_Symbol``; Site1 is read as the 5' partner unless ``Event_Info`` says
  otherwise, then the 3' kinase role is restored by
  :func:`tkiresist.nomenclature.fusions.orient`; ``GERMLINE`` rows are not interpreted), or an
  OncoKB-annotator fusion table (``Tumor_Sample_Barcode``, ``Fusion`` such as ``EML4-ALK``),
  or an OncoKB-annotator SV table (``Tumor_Sample_Barcode``, ``GeneA``, ``GeneB``), or a
  fusion caller's output (Arriba, STAR-Fusion, FusionCatcher: :data:`CALLER_LAYOUTS`),
  recognised and read by its case-side reader in :mod:`tkiresist.io.fusions`; the sample of a
  caller's rows is :func:`sv_sample`. A VCF with fusion records (Ion Reporter / Oncomine
  ``SVTYPE=Fusion`` pairs, gene-annotated breakends) is recognised and read by the case-side
  VCF reader (:mod:`tkiresist.io.vcf`): one SV row per detected fusion it reports.
* **CNA**: cBioPortal discrete CNA, wide (``Hugo_Symbol``, optional ``Entrez_Gene_Id``, then
  one column per sample) or ``DISCRETE_LONG`` (``Hugo_Symbol``, ``Sample_Id``, ``Value``), or
  GISTIC's ``all_thresholded.by_genes.txt`` (``Gene Symbol``, ``Locus ID``, ``Cytoband``, then
  the samples), with -2, -1.5, -1, 0, 1, 2 as numbers (``2.0`` is 2), or ``NA``/empty for not
  assessed (:func:`cna_header`).
* **Clinical**: a cBioPortal clinical sample file or any tab-separated table with
  ``SAMPLE_ID``; optional ``ONCOTREE_CODE`` and a therapy column, the first present of
  :data:`THERAPY_COLUMNS`, listing the drugs given before the sample was taken
  (``osimertinib``, ``erlotinib, osimertinib``, ``carboplatin + pemetrexed``; ``none`` for
  none; empty or ``NA`` for unknown).

Errors: an empty file, a header with one column (a wrong delimiter: the message says which
delimiter the header seems to use), a missing required column, and a duplicated column name
raise :class:`~tkiresist.errors.FormatError` with the file, the header line and the column.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from tkiresist.annotate.levels import NO_THERAPY, UNKNOWN_THERAPY, PriorTherapy
from tkiresist.errors import FormatError, Location, ParseError, Problem
from tkiresist.io import base as io_base
from tkiresist.io.tables import read as tables_read
from tkiresist.io.tables.read import MIN_LINE_SIZE as MIN_LINE_FLOOR
from tkiresist.io.tables.read import TableHeader, is_gzip, require

TableKind = Literal["maf", "sv", "cna", "clinical", "timeline"]
SvLayout = Literal[
    "cbioportal", "oncokb_fusion", "oncokb_sv", "arriba", "star-fusion", "fusioncatcher", "vcf"
]
CALLER_LAYOUTS: tuple[SvLayout, ...] = ("arriba", "star-fusion", "fusioncatcher")
"""Fusion callers' outputs: read row by row by their case-side readers
(:mod:`tkiresist.io.fusions`), which name the fusion of each row."""

MAF_REQUIRED = ("Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification")
MAF_PROTEIN = ("HGVSp_Short", "HGVSp")
SV_CBIOPORTAL = ("Sample_Id", "Site1_Hugo_Symbol", "Site2_Hugo_Symbol")
SV_ONCOKB = ("Tumor_Sample_Barcode", "Fusion")
SV_ONCOKB_SV = ("Tumor_Sample_Barcode", "GeneA", "GeneB")
CNA_REQUIRED = ("Hugo_Symbol",)
CNA_META = ("Hugo_Symbol", "Entrez_Gene_Id", "Cytoband", "Gene Symbol", "Locus ID")
"""Columns of a wide CNA matrix (cBioPortal's, GISTIC's) that are not samples."""
CNA_LONG = ("Hugo_Symbol", "Sample_Id", "Value")
"""cBioPortal's ``DISCRETE_LONG`` copy-number table: one row per gene and sample."""
CnaLayout = Literal["wide", "gistic", "long"]
CLINICAL_REQUIRED = ("SAMPLE_ID",)
THERAPY_COLUMNS = (
    "PRIOR_THERAPY",
    "PRIOR_TREATMENT",
    "PRIOR_TREATMENTS",
    "PRIOR_DRUGS",
    "TREATMENT",
    "AGENT",
)
"""Clinical columns read as the prior therapy, in this order of preference."""

MISSING = io_base.MISSING  # the one set of "no value" markers
"""Cells that mean "not given" (a prior therapy that is unknown, an OncoTree code not given)."""
NO_THERAPY_WORDS = frozenset(
    {"none", "no", "naive", "treatment naive", "treatment-naive", "untreated", "no prior therapy"}
)

MIN_LINE_SIZE = MIN_LINE_FLOOR
"""DuckDB's line-length limit for every table read (at least; more for a wider header): the
floor given to :func:`tkiresist.io.tables.read.read_header`, read at each call (a test sets
it lower to make a small file read in parallel)."""


def read_header(path: Path, kind: TableKind, *, what: str) -> TableHeader:
    """Find the header (after ``#`` comment lines) and check its shape (the shared reader,
    :func:`tkiresist.io.tables.read.read_header`)."""
    return tables_read.read_header(path, kind, what=what, line_floor=MIN_LINE_SIZE)


def maf_header(path: Path) -> TableHeader:
    header = read_header(path, "maf", what="MAF")
    require(header, MAF_REQUIRED, "MAF")
    if not any(header.has(c) for c in MAF_PROTEIN):
        raise FormatError(
            "missing required column 'HGVSp_Short' (or 'HGVSp') in the MAF header: no "
            "protein change to annotate",
            Location(file=header.file, line=header.header_line, field="HGVSp_Short"),
        )
    return header


def sv_header(path: Path) -> tuple[TableHeader, SvLayout]:
    """The SV table's header and layout: a fusion caller's output (recognised, and its header
    read, by the case-side reader's own sniffer and table spec), else a cBioPortal or
    OncoKB-annotator table."""
    from tkiresist.io import fusions
    from tkiresist.io.base import head

    if path.is_file():
        lines = head(path)
        from tkiresist.io.readers import BY_NAME

        if BY_NAME["vcf"].sniff(path, lines):
            return vcf_header(path), "vcf"
        for reader in fusions.READERS:
            if reader.name in CALLER_LAYOUTS and reader.sniff(path, lines):
                return caller_header(path, reader.name), reader.name
    header = read_header(path, "sv", what="SV")
    if all(header.has(c) for c in SV_CBIOPORTAL):
        return header, "cbioportal"
    if all(header.has(c) for c in SV_ONCOKB):
        return header, "oncokb_fusion"
    if all(header.has(c) for c in SV_ONCOKB_SV):
        return header, "oncokb_sv"
    raise FormatError(
        "not a structural-variant table we read: tried cBioPortal data_sv.txt (columns "
        + ", ".join(SV_CBIOPORTAL)
        + "), an OncoKB-annotator fusion table ("
        + ", ".join(SV_ONCOKB)
        + "), an OncoKB-annotator SV table ("
        + ", ".join(SV_ONCOKB_SV)
        + "), the outputs of Arriba, STAR-Fusion and FusionCatcher, and a VCF",
        Location(file=header.file, line=header.header_line),
    )


def caller_header(path: Path, layout: str) -> TableHeader:
    """A fusion caller's header, read by the case-side reader's table spec
    (:data:`tkiresist.io.fusions.CALLERS`: required columns checked, located)."""
    from tkiresist.io.fusions import CALLERS

    spec = CALLERS[layout]
    table = spec.open(path)
    mark = "#" if spec.header_prefix is not None else ""
    width = len((mark + "\t".join(table.columns)).encode())
    return TableHeader(
        table.file,
        "sv",
        table.header_line,
        table.columns,
        table.comments,
        is_gzip(path),
        width,
        mark,
        line_floor=MIN_LINE_SIZE,
    )


def vcf_header(path: Path) -> TableHeader:
    """A VCF's ``#CHROM`` line as a header (its columns name the samples); the records are
    read, and checked, by the case-side VCF reader (:func:`tkiresist.io.vcf.read`)."""
    preamble: list[str] = []
    for number, text, _ in io_base.iter_lines(path):
        if text.startswith("#CHROM"):
            columns = tuple(text.lstrip("#").split("\t"))
            return TableHeader(
                str(path), "sv", number, columns, tuple(preamble), is_gzip(path),
                len(text.encode()), "#", line_floor=MIN_LINE_SIZE,
            )  # fmt: skip
        if not text.startswith("##"):
            break
        preamble.append(text)
    raise FormatError(
        "a VCF without its '#CHROM' header line after the '##' meta lines",
        Location(file=str(path), line=len(preamble) + 1),
    )


def sv_sample(header: TableHeader, layout: SvLayout, given: str | None) -> str | None:
    """The sample of an SV table's rows when the table names none: ``given`` (``--sample``),
    else the file name up to its first dot (``tumour1.fusions.tsv`` -> ``tumour1``). None when
    the table has a sample column (cBioPortal, OncoKB, a caller output with ``tumor_id``
    appended, a VCF with a sample column: the VCF reader's tumour sample); ``given`` is then
    refused, since the table's own column says whose rows they are."""
    from tkiresist.io.fusions import sample_column

    if layout == "vcf":  # a sample column after FORMAT: the VCF reader's tumour sample
        own: str | None = header.columns[9] if len(header.columns) > 9 else None
    else:
        own = sample_column(header.columns) if layout in CALLER_LAYOUTS else "table"
    if own is not None:
        if given is not None:
            raise FormatError(
                "--sample is for a fusion caller's output without a sample column; this SV "
                "table names the sample of each row",
                header.header_loc(own if own != "table" else None),
            )
        return None
    if given is not None:
        if not given.strip():
            raise FormatError("--sample: an empty sample id", Location(file=header.file))
        return given.strip()
    return Path(header.file).name.split(".", 1)[0] or Path(header.file).name


def cna_header(path: Path) -> tuple[TableHeader, CnaLayout]:
    """The CNA table's header and layout: cBioPortal's ``DISCRETE_LONG`` table (:data:`CNA_LONG`),
    cBioPortal's wide matrix (``Hugo_Symbol`` first) or GISTIC's ``all_thresholded.by_genes.txt``
    (``Gene Symbol`` first), the layouts of the case-side readers of cBioPortal discrete values
    (:mod:`tkiresist.io.cna`). An OncoKB-annotator individual table (which may state a call in
    words) is refused, naming the layouts read here."""
    header = read_header(path, "cna", what="CNA")
    if all(header.has(c) for c in CNA_LONG):
        return header, "long"
    if header.has("Copy_Number_Alteration") and header.has("Tumor_Sample_Barcode"):
        raise FormatError(
            "an OncoKB-annotator individual CNA table: annotate --cna reads cBioPortal's "
            "discrete tables (wide, or DISCRETE_LONG with Hugo_Symbol, Sample_Id, Value) and "
            "GISTIC's all_thresholded.by_genes.txt; add-test reads this one",
            header.header_loc("Copy_Number_Alteration"),
        )
    layout: CnaLayout = "gistic" if header.columns[0] == "Gene Symbol" else "wide"
    if layout == "wide":
        require(header, CNA_REQUIRED, "CNA")
    if layout == "wide" and header.columns[0] != "Hugo_Symbol":
        raise FormatError(
            "a cBioPortal discrete CNA table starts with the 'Hugo_Symbol' column",
            Location(file=header.file, line=header.header_line, column=1, field="Hugo_Symbol"),
        )
    if not sample_columns(header):
        raise FormatError(
            "no sample columns in the CNA header (expected Hugo_Symbol, then one column per "
            "sample)",
            Location(file=header.file, line=header.header_line),
        )
    return header, layout


def cna_gene_column(header: TableHeader) -> str:
    """The gene column of a CNA table (``Gene Symbol`` in GISTIC's, else ``Hugo_Symbol``)."""
    return "Gene Symbol" if header.has("Gene Symbol") else "Hugo_Symbol"


def sample_columns(header: TableHeader) -> tuple[str, ...]:
    """The sample columns of a wide CNA table (every column after the gene's own)."""
    return tuple(c for c in header.columns if c not in CNA_META)


def clinical_header(path: Path) -> TableHeader:
    header = read_header(path, "clinical", what="clinical")
    require(header, CLINICAL_REQUIRED, "clinical")
    return header


def timeline_header(path: Path) -> TableHeader:
    """A cBioPortal timeline file (``PATIENT_ID``, ``START_DATE``, ``STOP_DATE``,
    ``EVENT_TYPE`` first, in this order, then ``AGENT`` for treatments and ``SAMPLE_ID`` for
    specimens): the shared reader's, :func:`tkiresist.io.tables.timeline.timeline_header`."""
    from tkiresist.io.tables.timeline import timeline_header as read_timeline_header

    return read_timeline_header(path, line_floor=MIN_LINE_SIZE)


def therapy_column(header: TableHeader) -> str | None:
    return next((c for c in THERAPY_COLUMNS if header.has(c)), None)


# ---------------------------------------------------------------------------------------------
# Prior therapy
# ---------------------------------------------------------------------------------------------


def parse_prior_therapy(text: str, location: Location | None = None) -> PriorTherapy:
    """A therapy cell: drugs separated by ``,``, ``;``, ``|``, ``+``, ``/``, ``→`` or ``then``.

    Every drug listed counts (see :mod:`tkiresist.annotate.levels`); ``none`` and its synonyms
    give a known empty therapy; a missing marker gives an unknown one. A drug the dictionary
    does not know raises :class:`~tkiresist.errors.UnknownDrugError`.
    """
    from tkiresist.nomenclature.drugs import lookup
    from tkiresist.nomenclature.regimens import cell_drugs

    stripped = text.strip()
    if stripped in MISSING:
        return UNKNOWN_THERAPY
    if stripped.casefold() in NO_THERAPY_WORDS:
        return NO_THERAPY
    generics = cell_drugs(stripped, location)  # the one agent-cell reader (nomenclature)
    classes: set[str] = set()
    generations: set[int] = set()
    unnamed: set[str] = set()
    for generic in generics:
        drug = lookup(generic)
        classes.update(c.value for c in drug.classes)
        if drug.class_only:
            unnamed.update(c.value for c in drug.classes)
        if drug.generation is not None:
            generations.add(drug.generation)
    return PriorTherapy(
        True, frozenset(classes), frozenset(generations), generics, frozenset(unnamed)
    )


def prior_therapies(
    cells: Iterable[tuple[str, int]], header: TableHeader, column: str
) -> tuple[dict[str, PriorTherapy], list[Problem]]:
    """Each distinct therapy cell (with the line it first appears on) read once.

    A cell that does not parse becomes an unknown therapy and a warning naming its line.
    """
    out: dict[str, PriorTherapy] = {}
    problems: list[Problem] = []
    for text, line in cells:
        loc = header.loc(line, column)
        try:
            out[text] = parse_prior_therapy(text, loc)
        except ParseError as exc:
            out[text] = UNKNOWN_THERAPY
            problems.append(Problem(f"{exc.message}; prior therapy taken as unknown", loc))
    return out, problems
