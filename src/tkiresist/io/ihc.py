"""A small documented table for IHC, FISH and pathology results (``docs/formats/ihc.md``).

Tab-separated, one result per row. Column names are case-insensitive:

============  ========  ==============================================================
column        required  meaning
============  ========  ==============================================================
marker        yes       gene/protein (``ALK``, ``MET``; HGNC symbols or aliases) or, for
                        ``method`` histology, the finding (``small cell transformation``)
result        yes       see the vocabulary below
method        no        ``IHC`` (default), ``FISH`` or ``histology``
clone         no        antibody clone (``D5F3``) or FISH probe
score         no        as reported (``3+``, ``H-score 250``, ``TPS 60%``, ratio ``2.4``)
specimen      no        the specimen; findings are grouped by it (the result's "sample")
date          no        when the result was reported (kept in the note)
============  ========  ==============================================================

Results: IHC ``positive``/``negative``/``equivocal``. For p53 and Rb, whose *pattern* says
whether the gene is altered (:func:`tkiresist.model.categories.ihc_reading`), also the words
of a pathology report (:mod:`tkiresist.nomenclature.ihc`): p53 ``null`` (``null pattern``,
``complete absence``), ``overexpression``, ``cytoplasmic`` and ``wild-type`` (``patchy``); Rb
``loss`` (``absent``) and ``retained`` (``intact``). The finding keeps the pattern, so that a p53
null pattern reads as a TP53 alteration and not as "negative"; ``p53`` and ``Rb`` name TP53
and RB1. Every other marker keeps the plain vocabulary. FISH: ``rearranged`` (``positive``,
``break-apart``) -> ``<gene> fusion`` with partner unknown, method FISH; ``not rearranged``
(``negative``) -> the same, not detected; ``amplified`` -> amplification (a numeric ``score`` is
the gene/centromere ratio); ``not amplified``; ``equivocal``. Histology: ``present``
(``positive``) or ``absent`` (``negative``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tkiresist.errors import FormatError
from tkiresist.io.base import (
    MISSING,
    Reader,
    ReadResult,
    ResultBuilder,
    header_columns,
    parse_float,
    read_table,
)
from tkiresist.model.alterations import (
    CopyNumber,
    Expression,
    ExpressionResult,
    Fusion,
    Histology,
    HistologyKind,
)
from tkiresist.model.findings import Finding, FindingStatus, IhcPattern
from tkiresist.nomenclature.ihc import protein_gene, read_pattern_result, words_for

NAME = "ihc-table"
_IHC: dict[str, ExpressionResult] = {
    "positive": "positive",
    "pos": "positive",
    "+": "positive",
    "negative": "negative",
    "neg": "negative",
    "-": "negative",
    "equivocal": "equivocal",
}
_FISH: dict[str, tuple[str, FindingStatus]] = {
    "rearranged": ("fusion", "detected"),
    "positive": ("fusion", "detected"),
    "break-apart": ("fusion", "detected"),
    "split": ("fusion", "detected"),
    "not rearranged": ("fusion", "not_detected"),
    "negative": ("fusion", "not_detected"),
    "amplified": ("amplification", "detected"),
    "not amplified": ("amplification", "not_detected"),
    "equivocal": ("fusion", "equivocal"),
}
_HISTOLOGY_STATUS: dict[str, FindingStatus] = {
    "present": "detected",
    "positive": "detected",
    "yes": "detected",
    "absent": "not_detected",
    "negative": "not_detected",
    "no": "not_detected",
    "equivocal": "equivocal",
}
_HISTOLOGY: tuple[HistologyKind, ...] = (
    "adenocarcinoma",
    "squamous_cell_carcinoma",
    "small_cell_transformation",
    "squamous_transformation",
    "sarcomatoid_transformation",
    "large_cell_neuroendocrine_transformation",
)


def sniff(path: Path, head_lines: Sequence[str]) -> bool:
    cols = {c.lower() for c in header_columns(head_lines)}
    return {"marker", "result"} <= cols


def read(path: Path) -> ReadResult:
    out = ResultBuilder(NAME, "pathology", str(path))
    table = read_table(path, what="IHC/FISH table")
    lower = {c.lower(): c for c in table.columns}
    for need in ("marker", "result"):
        if need not in lower:
            raise FormatError(
                f"missing required column {need!r} in the IHC/FISH table header",
                table.loc(table.header_line, need),
            )

    def cell(cells: dict[str, str], name: str) -> str:
        col = lower.get(name)
        value = cells.get(col, "") if col else ""
        return "" if value in MISSING else value

    for row in table.rows:
        cells = dict(row.cells)
        marker, result = cell(cells, "marker"), cell(cells, "result").lower()
        method = (cell(cells, "method") or "IHC").strip()
        specimen = cell(cells, "specimen") or None
        clone, score, date = cell(cells, "clone"), cell(cells, "score"), cell(cells, "date")
        note = (
            "; ".join(
                p
                for p in (
                    f"reported {date}" if date else "",
                    f"score {score}" if score and method.upper() == "FISH" else "",
                )
                if p
            )
            or None
        )
        mloc = table.loc(row.line, lower["marker"])
        rloc = table.loc(row.line, lower["result"])
        if not marker:
            raise FormatError("marker: empty; expected a gene, protein or finding", mloc)
        kind = method.lower()
        if kind == "ihc":
            gene = protein_gene(marker) or out.gene(marker, mloc)[0]
            pattern: IhcPattern | None = None
            if gene in ("TP53", "RB1"):
                reading = read_pattern_result(gene, result)
                if reading is None:
                    raise FormatError(
                        f"result: expected one of {', '.join(words_for(gene))} for "
                        f"{marker} IHC, found {result!r}",
                        rloc,
                    )
                value, pattern = reading
            elif result in _IHC:
                value = _IHC[result]
            else:
                raise FormatError(
                    f"result: expected positive, negative or equivocal, found {result!r}", rloc
                )
            out.add(
                specimen,
                Expression(marker=gene, result=value, clone=clone or None, score=score or None),
                row.line,
                row.text,
                method="IHC",
                note=note,
            )
            if pattern is not None:
                _set_pattern(out.by_sample[specimen], pattern)
        elif kind == "fish":
            if result not in _FISH:
                raise FormatError(
                    "result: expected rearranged, not rearranged, amplified, not amplified or "
                    f"equivocal, found {result!r}",
                    rloc,
                )
            what, status = _FISH[result]
            gene, _ = out.gene(marker, mloc)
            if what == "fusion":
                out.add(
                    specimen, Fusion(five_prime=None, three_prime=gene), row.line, row.text,
                    status=status, method="FISH", note=note,
                )  # fmt: skip
            else:
                ratio = (
                    parse_float(score, table.loc(row.line, lower.get("score")), "score")
                    if score and _numeric(score)
                    else None
                )
                out.add(
                    specimen,
                    CopyNumber(gene=gene, change="amplification", ratio=ratio, method="FISH"),
                    row.line,
                    row.text,
                    status=status,
                    method="FISH",
                    note=note,
                )
        elif kind in ("histology", "pathology", "morphology"):
            key = marker.strip().lower().replace(" ", "_").replace("-", "_")
            if key not in _HISTOLOGY:
                raise FormatError(
                    f"marker: expected a histologic finding ({', '.join(_HISTOLOGY)}), "
                    f"found {marker!r}",
                    mloc,
                )
            if result not in _HISTOLOGY_STATUS:
                raise FormatError(f"result: expected present or absent, found {result!r}", rloc)
            out.add(
                specimen,
                Histology(histology=key),
                row.line,
                row.text,
                status=_HISTOLOGY_STATUS[result],
                method="histology",
                note=note,
            )
        else:
            raise FormatError(
                f"method: expected IHC, FISH or histology, found {method!r}",
                table.loc(row.line, lower.get("method")),
            )
    return out.result()


def _set_pattern(findings: list[Finding], pattern: IhcPattern) -> None:
    """Give the finding just added its staining pattern (the builder's ``add`` has no field for
    it); validated again, so a pattern that contradicts the result would be refused."""
    findings[-1] = Finding.model_validate({**dict(findings[-1]), "pattern": pattern})


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


READER = Reader(NAME, "pathology", "IHC / FISH / histology result table", sniff, read)
