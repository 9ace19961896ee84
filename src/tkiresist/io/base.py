"""What every file reader shares: the result value, the reader contract, and located reading.

The contract (after vrs-python's translator registry)
-----------------------------------------------------
A reader has a format ``name``, a ``caller`` (the tool that wrote such files), a
``sniff(path, head_lines) -> bool`` that recognises the format from the first lines alone, and a
``read(path) -> ReadResult``. :meth:`Reader.try_read` joins the two: it returns ``None`` for
"not mine" and raises :class:`~tkiresist.errors.FormatError` for "mine but invalid". The registry
(:mod:`tkiresist.io.readers`) tries readers in order; when none claims a file it lists the
formats it tried.

Samples
-------
Many tables hold several samples (a MAF, a cBioPortal CNA matrix). A :class:`ReadResult` keeps
findings grouped by sample in ``findings_by_sample`` (key ``None`` when the file names no
sample); ``findings`` is every finding in file order of first appearance of its sample, and
``sample`` is the one sample when there is exactly one.

Locations
---------
Every error and warning names the file and the 1-based line. For tab-separated tables and VCF,
``column`` is the 1-based field number and ``field`` the column name (``INFO.GENE_NAME`` for
an INFO key), so ``file:12:8: INFO.READ_COUNT: ...`` points at the cell.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from tkiresist.errors import FormatError, Location, ParseError, Problem
from tkiresist.model.alterations import Alteration
from tkiresist.model.findings import Finding, FindingStatus, Provenance, QualityLevel
from tkiresist.model.timeline import GenomeBuild
from tkiresist.nomenclature.genes import lookup

HEAD_LINES = 64
"""How many lines :func:`head` reads for sniffing."""


# ---------------------------------------------------------------------------------------------
# Result values
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Breakend:
    """A structural-variant record kept as read (a breakend, a symbolic allele or a single end).

    ``genes`` holds the gene annotation the file gave (empty when none): a breakend without
    genes cannot be turned into a fusion finding, but it is kept.
    """

    line: int
    id: str | None
    chrom: str
    pos: int
    alt: str
    svtype: str | None
    mate_id: str | None = None
    mate_chrom: str | None = None
    mate_pos: int | None = None
    svclaim: str | None = None
    event: str | None = None
    filter: str | None = None
    genes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QcRecord:
    """A quality-control record (Oncomine ``ExprControl``, ``5p3pAssays``...): not a finding."""

    line: int
    kind: str
    gene: str | None
    read_counts: tuple[int, ...]
    filter: str | None
    value: str | None = None


@dataclass(frozen=True, slots=True)
class UnannotatedRecord:
    """A record kept without a finding, with the reason (no gene annotation, intergenic...)."""

    line: int
    reason: str
    text: str


@dataclass(frozen=True, slots=True)
class DrawInfo:
    """What a file says of one draw (one sample) beyond its findings: the serial ctDNA table
    (:mod:`tkiresist.io.ctdna`) gives each draw's time, specimen and test-level fractions."""

    time: str
    line: int
    specimen: str | None = None
    tumour_fraction: float | None = None
    limit_of_detection: float | None = None


@dataclass(frozen=True, slots=True)
class ReadResult:
    """What one reader made of one file. Immutable; build it with :class:`ResultBuilder`."""

    format: str
    caller: str
    file: str
    findings_by_sample: Mapping[str | None, tuple[Finding, ...]]
    genome_build: GenomeBuild | None = None
    warnings: tuple[Problem, ...] = ()
    breakends: tuple[Breakend, ...] = ()
    qc: tuple[QcRecord, ...] = ()
    unannotated: tuple[UnannotatedRecord, ...] = ()
    draws: Mapping[str | None, DrawInfo] = field(default_factory=lambda: MappingProxyType({}))
    """per sample, the draw it is (time, specimen, fractions), for files that give them"""

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for group in self.findings_by_sample.values() for f in group)

    @property
    def samples(self) -> tuple[str | None, ...]:
        return tuple(self.findings_by_sample)

    @property
    def sample(self) -> str | None:
        """The sample when the file holds exactly one named sample, else None."""
        named = [s for s in self.findings_by_sample if s is not None]
        return named[0] if len(named) == 1 and len(self.findings_by_sample) == 1 else None


def check_same_build(results: Iterable[ReadResult]) -> GenomeBuild | None:
    """The one genome build of ``results`` (files without a build are neutral).

    Raises FormatError naming both files when two results disagree: builds are never mixed
    silently.
    """
    seen: tuple[str, GenomeBuild] | None = None
    for result in results:
        if result.genome_build is None:
            continue
        if seen is None:
            seen = (result.file, result.genome_build)
        elif seen[1] != result.genome_build:
            raise FormatError(
                f"genome build mismatch: {result.file} is {result.genome_build} but "
                f"{seen[0]} is {seen[1]}; lift over one of them before combining",
                Location(file=result.file),
            )
    return seen[1] if seen else None


# ---------------------------------------------------------------------------------------------
# The reader contract
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reader:
    """One file format: how to recognise it and how to read it."""

    name: str
    caller: str
    description: str
    sniff: Callable[[Path, Sequence[str]], bool]
    read: Callable[[Path], ReadResult]

    def try_read(self, path: Path, head_lines: Sequence[str]) -> ReadResult | None:
        """None for "not mine"; a result, or FormatError for "mine but invalid"."""
        if not self.sniff(path, head_lines):
            return None
        return self.read(path)


# ---------------------------------------------------------------------------------------------
# Opening files
# ---------------------------------------------------------------------------------------------


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def iter_lines(path: Path) -> Iterator[tuple[int, str, bool]]:
    """Yield ``(line_number, text_without_newline, ended_with_newline)``; gzip is transparent.

    Undecodable bytes raise FormatError naming the line.
    """
    file = str(path)
    if not path.is_file():
        raise FormatError("no such file", Location(file=file))
    opener = gzip.open if _is_gzip(path) else open
    number = 0
    try:
        with opener(path, "rb") as fh:
            for number, raw in enumerate(fh, start=1):
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise FormatError(
                        f"not UTF-8 text: byte {exc.start + 1} cannot be decoded",
                        Location(file=file, line=number, column=exc.start + 1),
                    ) from None
                ended = text.endswith("\n")
                yield number, text.rstrip("\r\n"), ended
    except (OSError, EOFError) as exc:
        # gzip raises these for a truncated or corrupt stream
        raise FormatError(
            f"cannot read the file past line {number}: {exc} (truncated or corrupt?)",
            Location(file=file, line=number + 1),
        ) from None


def head(path: Path, n: int = HEAD_LINES) -> tuple[str, ...]:
    """The first ``n`` lines (fewer for a short file), for sniffing. Binary junk gives ()."""
    lines: list[str] = []
    try:
        for _, text, _ in iter_lines(path):
            lines.append(text)
            if len(lines) >= n:
                break
    except FormatError:
        return tuple(lines)
    return tuple(lines)


def first_content_line(head_lines: Sequence[str], comment: str = "#") -> str | None:
    """The first line that is neither blank nor a comment."""
    for line in head_lines:
        if line.strip() and not line.startswith(comment):
            return line
    return None


# ---------------------------------------------------------------------------------------------
# Tab-separated tables
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One data row of a table: its line, its cells, and the verbatim text."""

    line: int
    cells: Mapping[str, str]
    text: str


@dataclass(frozen=True, slots=True)
class Table:
    """A tab-separated table read with located checks. ``rows`` are read lazily."""

    file: str
    header_line: int
    columns: tuple[str, ...]
    comments: tuple[str, ...]
    rows: Iterator[Row]

    def column_number(self, name: str) -> int:
        return self.columns.index(name) + 1

    def loc(self, line: int, name: str | None = None) -> Location:
        column = self.column_number(name) if name is not None and name in self.columns else None
        return Location(file=self.file, line=line, column=column, field=name)


def delimiter_hint(header: str) -> str | None:
    """The delimiter a one-column header seems to use: comma, semicolon or spaces."""
    for name, sep in (("comma", ","), ("semicolon", ";"), ("space", " ")):
        if sep in header and len([p for p in header.split(sep) if p]) > 1:
            return name
    return None


def split_header(text: str, file: str, line: int, what: str) -> tuple[str, ...]:
    """The column names of a tab-separated header line: the one header reader of every table
    (case-side readers, ``annotate`` and ``cohort``). A header that is not tab-separated is
    refused, naming the delimiter it seems to use; a column name given twice is refused at its
    second place (a reader would otherwise keep one of the two silently, or crash)."""
    columns = tuple(c.strip() for c in text.split("\t"))
    if len(columns) == 1:
        hint = delimiter_hint(text)
        raise FormatError(
            f"expected tab-separated columns in the {what} header"
            + (f"; the header looks {hint}-separated" if hint else "; found a single column"),
            Location(file=file, line=line, column=1),
        )
    seen: dict[str, int] = {}
    for i, name in enumerate(columns, start=1):
        if name and name in seen:
            raise FormatError(
                f"column {name!r} appears twice in the {what} header (columns {seen[name]} "
                f"and {i})",
                Location(file=file, line=line, column=i, field=name),
            )
        seen.setdefault(name, i)
    return columns


def require_columns(
    columns: Sequence[str], required: Iterable[str], file: str, line: int, what: str
) -> None:
    """Refuse a header that lacks a required column, naming it and the columns found."""
    for name in required:
        if name not in columns:
            shown = ", ".join(columns[:12]) + (" ..." if len(columns) > 12 else "")
            raise FormatError(
                f"missing required column {name!r} in the {what} header; found: {shown}",
                Location(file=file, line=line, field=name),
            )


def read_table(
    path: Path,
    required: Sequence[str] = (),
    *,
    comment: str | None = "#",
    header_comment_prefix: str | None = None,
    what: str = "table",
) -> Table:
    """Open a tab-separated table: comments, header, and rows checked against the header.

    ``header_comment_prefix`` handles formats whose header line starts with ``#`` (Arriba's
    ``#gene1``, STAR-Fusion's ``#FusionName``): the first line starting with it is the header.
    Raises FormatError for an empty file, a wrong delimiter, a missing required column, and
    (while iterating rows) a row whose field count differs from the header's.
    """
    file = str(path)
    lines = iter_lines(path)
    comments: list[str] = []
    header: tuple[int, str] | None = None
    for number, text, _ in lines:
        if header_comment_prefix is not None and text.startswith(header_comment_prefix):
            header = (number, text[1:] if text.startswith("#") else text)
            break
        if comment is not None and text.startswith(comment):
            comments.append(text)
            continue
        if not text.strip():
            continue
        header = (number, text)
        break
    if header is None:
        raise FormatError(
            f"empty {what}: expected a tab-separated header line",
            Location(file=file, line=1),
        )
    header_line, header_text = header
    columns = split_header(header_text, file, header_line, what)
    require_columns(columns, required, file, header_line, what)

    def rows() -> Iterator[Row]:
        for number, text, ended in lines:
            if not text.strip() or (comment is not None and text.startswith(comment)):
                continue
            cells = text.split("\t")
            if len(cells) != len(columns):
                truncated = " (truncated file?)" if not ended else ""
                missing = len(cells) < len(columns)
                raise FormatError(
                    f"expected {len(columns)} tab-separated fields as in the header, found "
                    f"{len(cells)}{truncated}",
                    Location(
                        file=file,
                        line=number,
                        column=len(cells) + 1 if missing else len(columns) + 1,
                        field=columns[len(cells)] if missing else None,
                    ),
                )
            yield Row(number, dict(zip(columns, (c.strip() for c in cells), strict=True)), text)

    return Table(file, header_line, columns, tuple(comments), rows())


def header_columns(head_lines: Sequence[str], comment: str = "#") -> tuple[str, ...]:
    """The columns of the first non-comment line, split on tabs (for sniffing)."""
    line = first_content_line(head_lines, comment)
    return tuple(c.strip() for c in line.split("\t")) if line else ()


# ---------------------------------------------------------------------------------------------
# Numbers and builds
# ---------------------------------------------------------------------------------------------

MISSING = frozenset(
    {"", ".", "-", "NA", "N/A", "na", "n/a", "NaN", "nan", "None", "null", "unknown", "Unknown",
     "[Not Available]", "[Not Applicable]"}
)  # fmt: skip
"""Cells that mean "no value": the one set, read by the case-side readers, ``annotate`` and
``cohort`` (with cBioPortal's bracketed markers)."""


def parse_int(text: str, loc: Location, what: str) -> int | None:
    """An integer cell; missing markers give None, anything else non-integer raises."""
    text = text.strip()
    if text in MISSING:
        return None
    try:
        value = float(text) if ("." in text or "e" in text.lower()) else int(text)
    except ValueError:
        raise FormatError(f"{what}: expected an integer, found {text!r}", loc) from None
    if isinstance(value, float):
        if not value.is_integer():
            raise FormatError(f"{what}: expected an integer, found {text!r}", loc)
        value = int(value)
    return value


def parse_float(text: str, loc: Location, what: str) -> float | None:
    text = text.strip()
    if text in MISSING:
        return None
    try:
        value = float(text)
    except ValueError:
        raise FormatError(f"{what}: expected a number, found {text!r}", loc) from None
    if value != value:  # NaN
        return None
    return value


_BUILD_PATTERNS: tuple[tuple[GenomeBuild, re.Pattern[str]], ...] = (
    ("GRCh37", re.compile(r"grch37|hg19|hs37d5|g1k_v37|(?<![a-z0-9])(b37|37)(?![0-9])", re.I)),
    ("GRCh38", re.compile(r"grch38|hg38|hs38|(?<![a-z0-9])(b38|38)(?![0-9])", re.I)),
)


def build_from_text(text: str, loc: Location) -> GenomeBuild | None:
    """GRCh37/GRCh38 from a build name or reference path (``hg19``, ``b37.fasta``, ``GRCh38``).

    None when the text names neither; FormatError when it names both.
    """
    found = {build for build, rx in _BUILD_PATTERNS if rx.search(text)}
    if len(found) > 1:
        raise FormatError(f"genome build {text!r} names both GRCh37 and GRCh38", loc)
    return found.pop() if found else None


# Chromosome lengths that differ between the two builds (GRCh37 vs GRCh38 primary assembly).
CONTIG_LENGTHS: Mapping[str, Mapping[int, GenomeBuild]] = MappingProxyType(
    {
        "1": {249250621: "GRCh37", 248956422: "GRCh38"},
        "2": {243199373: "GRCh37", 242193529: "GRCh38"},
        "7": {159138663: "GRCh37", 159345973: "GRCh38"},
        "17": {81195210: "GRCh37", 83257441: "GRCh38"},
        "X": {155270560: "GRCh37", 156040895: "GRCh38"},
    }
)


def build_from_contig(name: str, length: int) -> GenomeBuild | None:
    key = name[3:] if name.lower().startswith("chr") else name
    return CONTIG_LENGTHS.get(key, {}).get(length)


def agree_builds(
    claims: Iterable[tuple[GenomeBuild, Location, str]], file: str
) -> GenomeBuild | None:
    """The one build that every claim (build, where, what said it) agrees on, else FormatError."""
    first: tuple[GenomeBuild, Location, str] | None = None
    for claim in claims:
        if first is None:
            first = claim
        elif claim[0] != first[0]:
            raise FormatError(
                f"genome build mismatch: {claim[2]} says {claim[0]} but {first[2]} "
                f"(line {first[1].line}) says {first[0]}",
                claim[1],
            )
    return first[0] if first else None


# ---------------------------------------------------------------------------------------------
# Building a result
# ---------------------------------------------------------------------------------------------


@dataclass
class ResultBuilder:
    """Collects findings, warnings and kept records while one file is read."""

    format: str
    caller: str
    file: str
    genome_build: GenomeBuild | None = None
    warnings: list[Problem] = field(default_factory=list)
    by_sample: dict[str | None, list[Finding]] = field(default_factory=dict)
    breakends: list[Breakend] = field(default_factory=list)
    qc: list[QcRecord] = field(default_factory=list)
    unannotated: list[UnannotatedRecord] = field(default_factory=list)

    def loc(self, line: int | None, column: int | None = None, name: str | None = None) -> Location:
        return Location(file=self.file, line=line, column=column, field=name)

    def warn(self, message: str, location: Location) -> None:
        self.warnings.append(Problem(message, location))

    def gene(self, symbol: str, location: Location) -> tuple[str, bool]:
        """The approved HGNC symbol, or the symbol as written plus a warning when unknown.

        Returns ``(symbol, annotated)``. A renamed symbol resolves silently (HER2 -> ERBB2);
        an unknown or ambiguous one is kept as written ("unannotated") and reported.
        """
        try:
            return lookup(symbol, location).approved, True
        except ParseError as exc:
            self.warn(f"{exc.message}; kept unannotated as written", location)
            return symbol.strip(), False

    def provenance(self, line: int, text: str) -> Provenance:
        return Provenance(file=self.file, line=line, caller=self.caller, source_text=text)

    def add(
        self,
        sample: str | None,
        alteration: Alteration,
        line: int,
        text: str,
        *,
        status: FindingStatus = "detected",
        quality: QualityLevel = "unknown",
        vaf: float | None = None,
        depth: int | None = None,
        alt_reads: int | None = None,
        split_reads: int | None = None,
        spanning_pairs: int | None = None,
        method: str | None = None,
        note: str | None = None,
    ) -> None:
        """Add one finding; a value the model refuses becomes a located FormatError."""
        from pydantic import ValidationError

        try:
            finding = Finding(
                alteration=alteration,
                status=status,
                vaf=vaf,
                depth=depth,
                alt_reads=alt_reads,
                split_reads=split_reads,
                spanning_pairs=spanning_pairs,
                quality=quality,
                method=method,
                note=note,
                provenance=self.provenance(line, text),
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            raise FormatError(f"inconsistent values: {first['msg']}", self.loc(line)) from None
        self.by_sample.setdefault(sample or None, []).append(finding)

    def result(self) -> ReadResult:
        return ReadResult(
            format=self.format,
            caller=self.caller,
            file=self.file,
            findings_by_sample=MappingProxyType({k: tuple(v) for k, v in self.by_sample.items()}),
            genome_build=self.genome_build,
            warnings=tuple(self.warnings),
            breakends=tuple(self.breakends),
            qc=tuple(self.qc),
            unannotated=tuple(self.unannotated),
        )
