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
  caller's rows is :func:`sv_sample`.
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

import gzip
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from tkiresist.annotate.levels import NO_THERAPY, UNKNOWN_THERAPY, PriorTherapy
from tkiresist.errors import FormatError, Location, ParseError, Problem
from tkiresist.io import base as io_base
from tkiresist.io.base import require_columns, split_header

TableKind = Literal["maf", "sv", "cna", "clinical", "timeline"]
SvLayout = Literal[
    "cbioportal", "oncokb_fusion", "oncokb_sv", "arriba", "star-fusion", "fusioncatcher"
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

HEAD_BYTES = 1 << 20


MIN_LINE_SIZE = 2_097_152
"""DuckDB's line-length limit for every table read (at least; more for a wider header). The
engine asks DuckDB to read in buffers of 16 times this (DuckDB's default for 2 MB), and
threads share out the buffers: a test sets it lower to make a small file read in parallel."""


@dataclass(frozen=True, slots=True)
class TableHeader:
    """A table's header: where it is, its columns, and the comment lines before it."""

    file: str
    kind: TableKind
    header_line: int
    columns: tuple[str, ...]
    preamble: tuple[str, ...]
    compressed: bool = False
    header_bytes: int = 0
    header_mark: str = ""
    """Written before the column names (Arriba's and STAR-Fusion's header starts with ``#``)."""

    @property
    def max_line_size(self) -> int:
        """A line-length limit for DuckDB that admits the header (a wide CNA matrix)."""
        return max(MIN_LINE_SIZE, 2 * self.header_bytes)

    @property
    def skip(self) -> int:
        """Lines before the header (DuckDB's ``skip``)."""
        return self.header_line - 1

    def column_number(self, name: str) -> int:
        """1-based position of column ``name``."""
        return self.columns.index(name) + 1

    def has(self, name: str) -> bool:
        return name in self.columns

    def loc(self, line: int | None = None, name: str | None = None) -> Location:
        column = self.column_number(name) if name is not None and name in self.columns else None
        return Location(file=self.file, line=line, column=column, field=name)

    def header_loc(self, name: str | None = None) -> Location:
        return self.loc(self.header_line, name)


def _open_text(path: Path) -> IO[str]:
    if _is_gzip(path):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return path.open("r", encoding="utf-8", errors="replace")


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as fb:
        return fb.read(2) == b"\x1f\x8b"


def _lines(fh: IO[str]) -> Iterator[str]:
    read = 0
    for raw in fh:
        read += len(raw)
        yield raw.rstrip("\r\n")
        if read > HEAD_BYTES * 64:  # a header is never this far in
            return


def read_header(path: Path, kind: TableKind, *, what: str) -> TableHeader:
    """Find the header (after ``#`` comment lines) and check its shape."""
    file = str(path)
    if not path.is_file():
        raise FormatError(f"no such {what} file", Location(file=file))
    preamble: list[str] = []
    header: tuple[int, str] | None = None
    with _open_text(path) as fh:
        for number, line in enumerate(_lines(fh), start=1):
            text = line.removeprefix("\ufeff") if number == 1 else line
            if text.startswith("#"):
                preamble.append(text)
                continue
            if not text.strip():
                continue
            header = (number, text)
            break
    if header is None:
        where = len(preamble) + 1
        raise FormatError(
            f"empty {what} file: expected a tab-separated header line",
            Location(file=file, line=where),
        )
    number, text = header
    columns = split_header(text, file, number, what)  # refuses a repeated column, located
    for i, name in enumerate(columns, start=1):
        if not name:
            raise FormatError(
                f"empty column name in the {what} header",
                Location(file=file, line=number, column=i),
            )
    return TableHeader(
        file, kind, number, columns, tuple(preamble), _is_gzip(path), len(text.encode())
    )


def require(header: TableHeader, names: Sequence[str], what: str) -> None:
    require_columns(header.columns, names, header.file, header.header_line, what)


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
        + ") and the outputs of Arriba, STAR-Fusion and FusionCatcher",
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
        _is_gzip(path),
        width,
        mark,
    )


def sv_sample(header: TableHeader, layout: SvLayout, given: str | None) -> str | None:
    """The sample of an SV table's rows when the table names none: ``given`` (``--sample``),
    else the file name up to its first dot (``tumour1.fusions.tsv`` -> ``tumour1``). None when
    the table has a sample column (cBioPortal, OncoKB, a caller output with ``tumor_id``
    appended); ``given`` is then refused, since the table's own column says whose rows they
    are."""
    from tkiresist.io.fusions import sample_column

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
    ``EVENT_TYPE``, then ``AGENT`` for treatments and ``SAMPLE_ID`` for specimens)."""
    from tkiresist.io.cbioportal import TIMELINE_LEAD

    header = read_header(path, "timeline", what="timeline")
    require(header, TIMELINE_LEAD, "timeline")
    return header


def therapy_column(header: TableHeader) -> str | None:
    return next((c for c in THERAPY_COLUMNS if header.has(c)), None)


# ---------------------------------------------------------------------------------------------
# DuckDB's CSV errors, located
# ---------------------------------------------------------------------------------------------

_DUCK_LINE = re.compile(r"CSV Error on Line: (\d+)")
_DUCK_COUNT = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def located_csv_error(message: str, header: TableHeader, what: str) -> FormatError:
    """Turn a DuckDB CSV reading error into a FormatError naming file, line and column."""
    m = _DUCK_LINE.search(message)
    line = int(m.group(1)) if m else None
    count = _DUCK_COUNT.search(message)
    if count:
        expected, found = int(count.group(1)), int(count.group(2))
        if found < expected:
            missing = header.columns[found] if found < len(header.columns) else None
            return FormatError(
                f"expected {expected} tab-separated fields as in the {what} header, found "
                f"{found} (truncated file or wrong delimiter?)",
                Location(file=header.file, line=line, column=found + 1, field=missing),
            )
        return FormatError(
            f"expected {expected} tab-separated fields as in the {what} header, found {found}",
            Location(file=header.file, line=line, column=expected + 1),
        )
    first = message.strip().splitlines()[0] if message.strip() else "unreadable"
    return FormatError(
        f"cannot read the {what} file: {first}", Location(file=header.file, line=line)
    )


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
