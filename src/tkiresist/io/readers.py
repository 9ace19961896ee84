"""The registry of file readers, and :func:`read_file`, the one entry point.

Readers are tried in :data:`READERS` order (most specific header first). Each returns None for
"not mine" or raises FormatError for "mine but invalid" (see :mod:`tkiresist.io.base`). When no
reader claims a file, the error lists every format tried.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from tkiresist.errors import FormatError, Location
from tkiresist.io import cna, ctdna, fusions, ihc, maf, vcf
from tkiresist.io.base import Reader, ReadResult, head
from tkiresist.model.timeline import GenomeBuild

_ALL: Mapping[str, Reader] = {
    r.name: r
    for r in (vcf.READER, maf.READER, ihc.READER, ctdna.READER, *fusions.READERS, *cna.READERS)
}
ORDER = (
    "vcf",
    "arriba",  # fixed first header cells: Arriba, STAR-Fusion, FusionCatcher, CNVkit
    "star-fusion",
    "fusioncatcher",
    "cnvkit",
    "cbioportal-sv",
    "oncokb-fusion",  # before MAF: it has Hugo_Symbol too
    "oncokb-sv",
    "cbioportal-cna-long",
    "oncokb-cna",
    "maf",
    "cbioportal-cna",
    "gistic",
    "ihc-table",
    "ctdna-csv",  # comma-separated date/gene/alteration/vaf: before cna-calls (gene column)
    "cna-calls",
)
READERS: tuple[Reader, ...] = tuple(_ALL[name] for name in ORDER)

BY_NAME: Mapping[str, Reader] = MappingProxyType({r.name: r for r in READERS})


def formats() -> tuple[str, ...]:
    """The format names, in the order they are tried."""
    return tuple(r.name for r in READERS)


def detect_format(path: Path | str) -> Reader | None:
    """The first reader whose ``sniff`` claims the file, or None."""
    path = Path(path)
    lines = head(path)
    return next((r for r in READERS if r.sniff(path, lines)), None)


def read_file(
    path: Path | str,
    format: str | None = None,
    *,
    expected_build: GenomeBuild | None = None,
) -> ReadResult:
    """Read ``path`` with the named reader, or with the first reader that claims it.

    ``expected_build`` (the build of the case or of files read before) makes a file of the
    other build an error instead of a silent mix.
    """
    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise FormatError("no such file", Location(file=file))
    if format is not None:
        reader = BY_NAME.get(format)
        if reader is None:
            raise FormatError(
                f"unknown format {format!r}: expected one of {', '.join(formats())}",
                Location(file=file),
            )
        result = reader.read(path)
    else:
        lines = head(path)
        if not any(line.strip() for line in lines):
            raise FormatError("empty file: nothing to read", Location(file=file, line=1))
        found: ReadResult | None = None
        for reader in READERS:
            found = reader.try_read(path, lines)
            if found is not None:
                break
        if found is None:
            raise FormatError(
                "no reader recognises this file; formats tried: " + ", ".join(formats()),
                Location(file=file, line=1),
            )
        result = found
    if (
        expected_build is not None
        and result.genome_build is not None
        and result.genome_build != expected_build
    ):
        raise FormatError(
            f"genome build mismatch: the file is {result.genome_build}, expected "
            f"{expected_build}; lift it over first",
            Location(file=file),
        )
    return result
