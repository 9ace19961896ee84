"""A simple table of serial plasma (ctDNA) results, as copied from a commercial report (#15).

Documented in ``docs/formats/ctdna.md`` (format name ``ctdna-csv``). Comma-separated (a tab
also works), with a header line; ``#`` lines are comments. One row per alteration per draw.
Column names are case-insensitive; order does not matter:

======================  ========  ==========================================================
column                  required  meaning
======================  ========  ==========================================================
date                    yes       when the blood was drawn: anything a case file accepts as a
                                  time (``2024-03-05``, ``2024-03``, ``3 months after osi``)
gene                    yes       HGNC symbol (aliases resolve: HER2 -> ERBB2)
alteration              yes       as the report writes it (``T790M``, ``p.C797S``, ``exon 19
                                  deletion``, ``amplification``, ``EML4::ALK``)
vaf                     yes       a fraction 0-1 (``0.125``); ``ND`` (``not detected``) for a
                                  result the report gives as not detected; empty for detected
                                  without a VAF
tumour_fraction         no        the draw's ctDNA (tumour) fraction, 0-1
limit_of_detection      no        the draw's limit of detection, 0-1
specimen                no        the specimen event id of the draw (default ``plasma-<date>``)
======================  ========  ==========================================================

Each distinct ``date`` is one draw: the result's sample is the date text, and
:attr:`~tkiresist.io.base.ReadResult.draws` gives its time, specimen and fractions, which
``tkiresist add-test`` turns into one test on its own plasma specimen per draw
(:func:`tkiresist.io.attach.attach_draws`). The rows of one draw must agree on
``tumour_fraction``, ``limit_of_detection`` and ``specimen`` (blank cells take the draw's
value); one specimen cannot hold two dates.

A percentage is refused with the fraction to write (``12.5`` -> "for 12.5% write 0.125",
``12.5%`` likewise), by the one check the case model uses
(:func:`tkiresist.model.findings.fraction_not_percent`): never divided by 100 silently.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType

from tkiresist.errors import FormatError, Location, ParseError
from tkiresist.io.base import DrawInfo, Reader, ReadResult, ResultBuilder, iter_lines
from tkiresist.model.findings import FindingStatus, fraction_not_percent
from tkiresist.nomenclature.alterations import parse_alteration

NAME = "ctdna-csv"
CALLER = "plasma-report"
REQUIRED = ("date", "gene", "alteration", "vaf")
OPTIONAL = ("tumour_fraction", "limit_of_detection", "specimen")
NOT_DETECTED = frozenset({"nd", "not detected", "not_detected", "undetected", "none detected"})
_WHAT = "serial ctDNA table"


def _delimiter(header: str) -> str:
    return "\t" if "\t" in header else ","


def _names(header: str) -> list[str]:
    return [c.strip().lower() for c in next(csv.reader([header], delimiter=_delimiter(header)))]


def sniff(path: Path, head_lines: Sequence[str]) -> bool:
    for line in head_lines:
        if line.strip() and not line.startswith("#"):
            return set(REQUIRED) <= set(_names(line))
    return False


def fraction(text: str, loc: Location, what: str) -> float:
    """A fraction cell (0-1). A percentage (``12.5`` or ``12.5%``) is refused with the fraction
    to write, through the case model's own check."""
    raw = text.strip()
    pct = raw.endswith("%")
    number = raw.rstrip("%").strip()
    try:
        value = float(number)
    except ValueError:
        raise FormatError(f"{what}: expected a fraction 0-1, found {text!r}", loc) from None
    try:
        fraction_not_percent(value, what)
    except ValueError as exc:
        raise FormatError(str(exc), loc) from None
    if pct:  # 0.5% is not refused by the range check above; the sign says it is a percentage
        raise FormatError(
            f"{what} {raw} is a percentage; it is a fraction (0-1): for {raw} write "
            f"{value / 100:g}",
            loc,
        )
    if not 0 <= value <= 1:
        raise FormatError(f"{what}: expected a fraction 0-1, found {text!r}", loc)
    return value


def read(path: Path) -> ReadResult:
    file = str(path)
    out = ResultBuilder(NAME, CALLER, file)
    lines = iter_lines(path)
    header: tuple[int, str] | None = None
    for number, text, _ in lines:
        if text.strip() and not text.startswith("#"):
            header = (number, text)
            break
    if header is None:
        raise FormatError(f"empty {_WHAT}: expected a header line", Location(file=file, line=1))
    header_line, header_text = header
    delim = _delimiter(header_text)
    names = _names(header_text)
    for need in REQUIRED:
        if need not in names:
            raise FormatError(
                f"missing required column {need!r} in the {_WHAT} header; found: "
                + ", ".join(names),
                Location(file=file, line=header_line, field=need),
            )
    col = {n: i for i, n in enumerate(names)}

    def loc(line: int, name: str) -> Location:
        return Location(file=file, line=line, column=col[name] + 1, field=name)

    draws: dict[str, dict[str, float | str | int]] = {}
    specimen_dates: dict[str, tuple[str, int]] = {}
    for number, text, _ in lines:
        if not text.strip() or text.startswith("#"):
            continue
        cells = [c.strip() for c in next(csv.reader([text], delimiter=delim))]
        if len(cells) != len(names):
            raise FormatError(
                f"expected {len(names)} fields as in the header, found {len(cells)}",
                Location(file=file, line=number),
            )
        row = dict(zip(names, cells, strict=True))
        date, gene, alt_text, vaf_text = (row[n] for n in REQUIRED)
        if not date:
            raise FormatError("date: empty; expected when the blood was drawn", loc(number, "date"))
        if not gene:
            raise FormatError("gene: empty; expected a gene symbol", loc(number, "gene"))
        if not alt_text:
            raise FormatError("alteration: empty", loc(number, "alteration"))
        symbol, _ = out.gene(gene, loc(number, "gene"))
        try:
            alteration = parse_alteration(alt_text, symbol, loc(number, "alteration"))
        except ParseError as exc:
            raise FormatError(exc.message, loc(number, "alteration")) from None
        status: FindingStatus = "detected"
        vaf: float | None = None
        if vaf_text.lower() in NOT_DETECTED:
            status = "not_detected"
        elif vaf_text:
            vaf = fraction(vaf_text, loc(number, "vaf"), "vaf")
            if vaf == 0:
                raise FormatError(
                    "vaf: 0; write ND for a result the report gives as not detected (a "
                    "negative is carried as below the limit of detection, never as a VAF of 0)",
                    loc(number, "vaf"),
                )
        draw: dict[str, float | str | int] = draws.setdefault(date, {"line": number})
        for name in OPTIONAL:
            value_text = row.get(name, "")
            if not value_text:
                continue
            value: float | str = (
                value_text if name == "specimen" else fraction(value_text, loc(number, name), name)
            )
            if name in draw and draw[name] != value:
                raise FormatError(
                    f"{name}: {value_text} differs from {draw[name]} given for the same draw "
                    f"({date}) at line {draw['line']}; one draw has one {name}",
                    loc(number, name),
                )
            draw[name] = value
            if name == "specimen":
                seen = specimen_dates.setdefault(value_text, (date, number))
                if seen[0] != date:
                    raise FormatError(
                        f"specimen: {value_text!r} is given for {seen[0]} at line {seen[1]} and "
                        f"for {date} here; one specimen is one draw",
                        loc(number, name),
                    )
        out.add(date, alteration, number, text, status=status, vaf=vaf)
    result = out.result()
    infos: dict[str | None, DrawInfo] = {}
    for date, d in draws.items():
        tf, lod, spec = d.get("tumour_fraction"), d.get("limit_of_detection"), d.get("specimen")
        infos[date] = DrawInfo(
            time=date,
            line=int(d["line"]),
            specimen=str(spec) if spec is not None else None,
            tumour_fraction=float(tf) if tf is not None else None,
            limit_of_detection=float(lod) if lod is not None else None,
        )
    return dataclasses.replace(result, draws=MappingProxyType(infos))


READER = Reader(NAME, CALLER, "serial ctDNA results copied from a plasma report (CSV)", sniff, read)
