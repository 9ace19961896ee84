"""Normalise the distinct alteration keys of a table, each once, with the nomenclature layer.

A cohort table repeats the same few strings millions of times (gene symbols, protein changes,
fusion names). :mod:`tkiresist.annotate.engine` takes the distinct ones out of DuckDB, this
module reads each once, and the engine joins the answers back. Nothing here sees a row.

What is read, and how
---------------------
* **Gene symbols**: :func:`tkiresist.nomenclature.genes.lookup` (renamed symbols resolve;
  unknown or ambiguous ones are reported and their rows kept unannotated).
* **Protein changes** (``HGVSp_Short``, else ``HGVSp``):
  :func:`tkiresist.nomenclature.variants.parse_protein_change`, written back in the one-letter
  form (``p.Leu858Arg`` -> ``p.L858R``, ``p.N139Qfs*5`` -> ``p.N139fs``). Two shapes make up
  most of a cohort and are canonical as written, or nearly: one-letter substitutions
  (``p.T259A``, ``p.R123*``) and one-letter frameshifts (``p.N139Qfs*5``). The engine rewrites
  those two in SQL with :data:`PROTEIN_SUBSTITUTION` and :data:`PROTEIN_FRAMESHIFT` instead of
  calling the parser a million times; ``tests/annotate/test_fast_paths.py`` checks, with
  generated strings, that the SQL gives exactly what the parser gives, and that it leaves
  everything else to the parser.
* **c. changes** (``HGVSc``, when the protein change is missing or unreadable, e.g. a splice
  site ``p.X210_splice``): :func:`tkiresist.nomenclature.variants.parse_cdna`, with the
  transcript prefix (``ENST...:``) dropped; single-base substitutions (``c.776A>G``,
  ``c.1234+1G>A``) take the SQL path :data:`CDNA_SUBSTITUTION` (checked the same way).
* **Categories** come from :func:`tkiresist.model.categories.categorize`, which names genes:
  a variant in a gene that no category of :data:`~tkiresist.model.categories.CATALOGUE`
  names has no category, so only the keys of :data:`CATEGORY_GENES` are built into
  :class:`~tkiresist.model.alterations.SequenceVariant` values here (with
  :func:`~tkiresist.nomenclature.variants.parse_variant` for their c. changes, which maps the
  EGFR hotspots to their protein change).
* **Fusions**: by the case-side readers' own decision (:mod:`tkiresist.io.fusions`, one
  place): cBioPortal Site1/Site2 (with ``Event_Info`` and ``SV_Status``) through
  :func:`~tkiresist.io.fusions.cbioportal_sv_call`, OncoKB GeneA/GeneB through
  :func:`~tkiresist.io.fusions.oncokb_sv_call`, OncoKB ``Fusion`` cells through
  :func:`~tkiresist.io.fusions.oncokb_fusion_call` (hyphenated symbols such as ``NKX2-1``
  are kept whole); the fusion callers' outputs (Arriba, STAR-Fusion, FusionCatcher) by their
  readers themselves. :func:`fusion_annotation` turns the decision into a row's annotation.
* **Copy number**: discrete values 2, 1, -1 (and -1.5), -2 are amplification, gain, loss and
  deletion (:class:`~tkiresist.model.alterations.CopyNumber`); 0 is no change and is not
  output.

Rows of a ``Variant_Classification`` in :data:`NON_PROTEIN_CLASSES` (silent, intronic, UTR,
flanking, intergenic, RNA) are not interpreted: no alteration, no category, status
``no_match``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from tkiresist.errors import ParseError
from tkiresist.io import cna as io_cna
from tkiresist.io import maf as io_maf
from tkiresist.model.alterations import (
    CopyNumber,
    CopyNumberChange,
    ProteinChange,
    SequenceVariant,
)
from tkiresist.model.categories import (
    CATALOGUE,
    AnyAlteration,
    categorize,
    gene_level_categories,
)

if TYPE_CHECKING:
    from tkiresist.io.fusions import FusionCall


class RowStatus(StrEnum):
    """``TKIRESIST_STATUS`` of an output row."""

    ANNOTATED = "annotated"  # normalised, and at least one statement matches
    UNKNOWN_GENE = "unknown_gene"  # a gene symbol HGNC does not know (or an ambiguous one)
    UNPARSED = "unparsed"  # gene known, but the change could not be read
    NO_MATCH = "no_match"  # read (or not protein-altering), but no statement matches


NON_PROTEIN_CLASSES: Final = io_maf.NON_PROTEIN_CLASSIFICATIONS
"""MAF ``Variant_Classification`` values that change no protein (the one list, io/maf)."""

CATEGORY_GENES: Final = frozenset(g for c in CATALOGUE.values() for g in c.genes)
"""Genes some category names; a variant in any other gene has no category."""

# --- SQL fast paths (RE2 syntax, full match); see the module docstring ----------------------

_AA1 = "ACDEFGHIKLMNPQRSTVWYU"
PROTEIN_SUBSTITUTION: Final = rf"p\.([{_AA1}])([1-9][0-9]{{0,5}})([{_AA1}X*])"
"""``p.T259A``, ``p.R123*``: canonical as written when the new residue differs."""
PROTEIN_FRAMESHIFT: Final = rf"p\.([{_AA1}])([1-9][0-9]{{0,5}})[{_AA1}X*]?fs(\*[0-9]{{1,9}}|\*\?)?"
"""``p.N139Qfs*5``: canonical form ``p.N139fs``."""
SPLICE_NOTATION: Final = r"p\.X[1-9][0-9]{0,5}_splice"
"""vcf2maf's protein column for a splice-site change (``p.X125_splice``: the codon next to
the splice site; not HGVS). It names no change the grammar can read, so the change itself
comes from ``HGVSc`` when there is one. Without one, a gene whose every variant has the same
categories (:func:`~tkiresist.model.categories.gene_level_categories`) still has them, and a
gene no category names needs nothing more: both rows are read as written (alteration
``TP53 p.X125_splice``, status ``no_match``). A gene whose categories depend on the change
(MET exon 14 skipping, EGFR, KRAS, BRAF, ALK) stays ``unparsed``, with the reason."""

CDNA_ACCESSION: Final = r"^(ENST[0-9]{11}|N[MR]_[0-9]{1,12})(\.[0-9]{1,4})?:"
"""A transcript prefix dropped before reading a c. change."""
CDNA_SUBSTITUTION: Final = r"c\.[-*]?[1-9][0-9]{0,8}([+-][1-9][0-9]{0,8})?([ACGT])>([ACGT])"
"""``c.776A>G``, ``c.1234+1G>A``: canonical as written when the bases differ."""


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_groups(column: str, pattern: str, names: str) -> str:
    """SQL: the named groups of an anchored match as a struct (empty strings if no match)."""
    return f"regexp_extract({column}, {_sql_string('^' + pattern + '$')}, {names})"


def sql_protein_canonical(column: str) -> str:
    """SQL: the canonical protein change of ``column`` by the fast paths, else NULL."""
    sub = _sql_groups(column, PROTEIN_SUBSTITUTION, "['r', 'n', 'a']")
    fs = _sql_groups(column, PROTEIN_FRAMESHIFT, "['r', 'n', 't']")
    return (
        f"CASE WHEN ({sub}).r <> '' THEN (CASE WHEN ({sub}).r <> ({sub}).a THEN {column} END) "
        f"WHEN ({fs}).r <> '' THEN 'p.' || ({fs}).r || ({fs}).n || 'fs' END"
    )


def sql_cdna_strip(column: str) -> str:
    """SQL: ``column`` without its transcript prefix."""
    return f"regexp_replace({column}, {_sql_string(CDNA_ACCESSION)}, '')"


def sql_cdna_canonical(column: str) -> str:
    """SQL: the canonical c. change of an (already stripped) ``column`` by the fast path."""
    sub = _sql_groups(column, CDNA_SUBSTITUTION, "['i', 'r', 'a']")
    return f"CASE WHEN ({sub}).r <> '' AND ({sub}).r <> ({sub}).a THEN {column} END"


# --- Python normalisation --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Read:
    """One distinct text read once: its canonical form, or why it could not be read."""

    text: str | None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Annotation:
    """The normalised alteration of one distinct key, its categories and status."""

    alteration: str | None
    categories: str
    status: RowStatus
    problem: str | None = None


def categories_text(alteration: AnyAlteration) -> str:
    return ",".join(sorted(categorize(alteration)))


def _message(exc: ParseError) -> str:
    return " ".join(exc.message.split())


def gene(symbol: str) -> Read:
    """The approved HGNC symbol of ``symbol``."""
    from tkiresist.nomenclature.genes import lookup

    try:
        return Read(lookup(symbol).approved)
    except ParseError as exc:
        return Read(None, _message(exc))


def genes(symbols: Iterable[str]) -> dict[str, Read]:
    return {s: gene(s) for s in symbols}


def protein(text: str) -> Read:
    """The canonical one-letter protein change (``p.L858R``)."""
    from tkiresist.nomenclature.variants import format_protein_change, parse_protein_change

    try:
        return Read(format_protein_change(parse_protein_change(text)))
    except ParseError as exc:
        return Read(None, _message(exc))


def proteins(texts: Iterable[str]) -> dict[str, Read]:
    return {t: protein(t) for t in texts}


_ACCESSION_RE = re.compile(CDNA_ACCESSION)


def cdna(text: str) -> Read:
    """The canonical c. change (``c.776A>G``), without a transcript prefix."""
    from tkiresist.nomenclature.variants import parse_cdna

    try:
        return Read(parse_cdna(_ACCESSION_RE.sub("", text.strip())))
    except ParseError as exc:
        return Read(None, _message(exc))


def cdnas(texts: Iterable[str]) -> dict[str, Read]:
    return {t: cdna(t) for t in texts}


_SUBSTITUTION_RE = re.compile(PROTEIN_SUBSTITUTION)
_SPLICE_RE = re.compile(SPLICE_NOTATION)
_FRAMESHIFT_RE = re.compile(PROTEIN_FRAMESHIFT)


def fast_protein_change(text: str) -> ProteinChange | None:
    """The fast paths in Python: the value the parser gives for the two common shapes, built
    without it; None for anything else (the parser's business)."""
    m = _SUBSTITUTION_RE.fullmatch(text)
    if m is not None and m.group(1) != m.group(3):
        return ProteinChange(
            ref_start=m.group(1), start=int(m.group(2)), edit="substitution", alt=m.group(3)
        )
    m = _FRAMESHIFT_RE.fullmatch(text)
    if m is not None:
        return ProteinChange(ref_start=m.group(1), start=int(m.group(2)), edit="frameshift")
    return None


def category_variant(approved: str, protein_text: str | None, cdna_text: str | None) -> Annotation:
    """A key of a gene in :data:`CATEGORY_GENES`: the variant, its name and categories.

    The protein change is read first; when it is missing or unreadable, the c. change (which
    :func:`~tkiresist.nomenclature.variants.parse_variant` maps to a protein change for the
    EGFR hotspots).
    """
    from tkiresist.nomenclature.variants import parse_protein_change, parse_variant

    problems: list[str] = []
    variant: SequenceVariant | None = None
    if protein_text:
        try:
            change = fast_protein_change(protein_text) or parse_protein_change(protein_text)
            variant = SequenceVariant(gene=approved, protein=change)
        except ParseError as exc:
            problems.append(_message(exc))
    if variant is None and cdna_text:
        try:
            variant = parse_variant(_ACCESSION_RE.sub("", cdna_text.strip()), gene=approved)
        except ParseError as exc:
            problems.append(_message(exc))
    if variant is None:
        splice = (protein_text or "").strip()
        if _SPLICE_RE.fullmatch(splice):
            level = gene_level_categories(approved)
            if level is not None:
                cats = ",".join(sorted(level))
                return Annotation(f"{approved} {splice}", cats, RowStatus.NO_MATCH)
            problems[0] = (
                f"{splice} is a splice-site change: which change, and so its {approved} "
                "category, needs the c. change (HGVSc)"
            )
        problem = "; ".join(problems) or "no protein or c. change given"
        return Annotation(None, "", RowStatus.UNPARSED, problem)
    return Annotation(variant.name, categories_text(variant), RowStatus.NO_MATCH)


def warm_up() -> None:
    """Load what normalising keys needs (the HGNC tables, the variant grammar, the
    categories) ahead of use. The engine runs this in a thread while DuckDB reads the table
    (DuckDB releases the GIL), so the loading costs no wall time."""
    from tkiresist.nomenclature.genes import is_known

    is_known("TKIRESIST WARM-UP")  # an unknown symbol loads every HGNC table
    protein("p.Leu858Arg")
    category_variant("EGFR", "p.L858R", None)


# --- fusions ------------------------------------------------------------------------------


def fusion_annotation(call: FusionCall) -> Annotation:
    """The annotation of a fusion row as the case-side reader decided it
    (:class:`~tkiresist.io.fusions.FusionCall`, the one decision): a symbol HGNC does not know
    gives ``unknown_gene``; no fusion gives ``unparsed`` with the reason, or, for a row that is
    not a tumour alteration (a germline SV), no alteration and ``no_match``."""
    if call.unknown:
        return Annotation(None, "", RowStatus.UNKNOWN_GENE, _message_text(call.unknown[0][2]))
    if call.fusion is None:
        status = RowStatus.NO_MATCH if call.left_out else RowStatus.UNPARSED
        return Annotation(None, "", status, _message_text(call.reason or "not a fusion"))
    return Annotation(call.fusion.name, categories_text(call.fusion), RowStatus.NO_MATCH)


def _message_text(text: str) -> str:
    return " ".join(text.split())


def fusion_pair(site1: str | None, site2: str | None) -> Annotation:
    """A cBioPortal SV row's two genes (Site1 read as 5'), by the case-side reader's decision
    (:func:`tkiresist.io.fusions.cbioportal_sv_call`): one gene alone is a fusion only when it
    is a 3' kinase partner (``ALK fusion``), two sites in one gene are not a fusion."""
    from tkiresist.io.fusions import cbioportal_sv_call

    return fusion_annotation(cbioportal_sv_call(site1, site2))


def fusion_text(text: str) -> Annotation:
    """An OncoKB-style ``Fusion`` cell (``EML4-ALK``, ``NKX2-1::ALK``...), by the case-side
    reader's decision (:func:`tkiresist.io.fusions.oncokb_fusion_call`)."""
    from tkiresist.io.fusions import oncokb_fusion_call

    return fusion_annotation(oncokb_fusion_call(text))


# --- copy number -------------------------------------------------------------------------------

DISCRETE_CNA: Final[dict[str, CopyNumberChange]] = {
    k: v for k, v in io_cna.DISCRETE_CNA.items() if v is not None
}
"""The non-neutral cBioPortal discrete values: :data:`tkiresist.io.cna.DISCRETE_CNA`, the one
map."""


def copy_number(approved: str, value: str) -> Annotation:
    change = DISCRETE_CNA[value]
    cn = CopyNumber(gene=approved, change=change)
    return Annotation(cn.name, categories_text(cn), RowStatus.NO_MATCH)
