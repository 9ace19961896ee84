"""Alterations: the molecular facts a test can report, as immutable values.

Five kinds, each tagged by a literal ``kind`` so that a union of them round-trips through
JSON and YAML:

* :class:`SequenceVariant`: a small variant in one gene, with a structured protein change
  (:class:`ProteinChange`) when one is known, or a described region ("exon 19 deletion")
  when the source gives only that.
* :class:`Fusion`: a 5' gene joined to a 3' gene (HGNC ``5'::3'``), with exon breakpoints
  and a named variant when known. ``five_prime=None`` means "a rearrangement of the 3' gene,
  partner not known" (``ALK rearrangement``, FISH break-apart).
* :class:`CopyNumber`: a gain, amplification, loss or deletion, with copy number, ratio or
  log2 when given.
* :class:`Expression`: a protein expression result (IHC), e.g. ALK positive (D5F3).
* :class:`Histology`: a histologic finding that matters for resistance, such as small-cell
  transformation.

Parsing strings into these lives in :mod:`tkiresist.nomenclature`; categories (what the
knowledge base matches) live in :mod:`tkiresist.model.categories`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from tkiresist.model.base import Value

AMINO_ACIDS_3 = {
    "Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E",
    "Gly": "G", "His": "H", "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F",
    "Pro": "P", "Ser": "S", "Thr": "T", "Trp": "W", "Tyr": "Y", "Val": "V", "Ter": "*",
    "Sec": "U", "Xaa": "X",
}  # fmt: skip
AMINO_ACIDS_1 = {v: k for k, v in AMINO_ACIDS_3.items()}

EditKind = Literal[
    "substitution",  # L858R; alt "X" means any residue (G719X)
    "deletion",  # E746_A750del
    "delins",  # L747_S752delinsQ
    "insertion",  # D770_N771insSVD
    "duplication",  # A767_V769dup
    "frameshift",  # L747fs
    "extension",
]


class ProteinChange(Value):
    """A protein-level change in one-letter notation (HGVS p. without the ``p.``).

    ``start``/``end`` are 1-based codon positions on the canonical protein. ``alt`` holds the
    new residue(s) for substitutions, delins and insertions; ``X`` in a substitution stands for
    "any residue" as clinicians write ``G719X`` or ``C797X``.
    """

    ref_start: str = Field(pattern=r"^[A-Z*]$")
    start: int = Field(gt=0)
    ref_end: str | None = Field(default=None, pattern=r"^[A-Z*]$")
    end: int | None = Field(default=None, gt=0)
    edit: EditKind
    alt: str | None = Field(default=None, pattern=r"^[A-Z*]+$")

    @model_validator(mode="after")
    def _check(self) -> ProteinChange:
        if (self.end is None) != (self.ref_end is None):
            raise ValueError("ref_end and end go together")
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"range end {self.end} must be after start {self.start}")
        if self.edit == "substitution" and (self.end is not None or not self.alt):
            raise ValueError("a substitution has one position and one new residue")
        if self.edit in ("delins", "insertion") and not self.alt:
            raise ValueError(f"a {self.edit} needs the inserted residues")
        if self.edit == "insertion" and (self.end is None or self.end != self.start + 1):
            raise ValueError("an insertion lies between two adjacent residues")
        return self

    @property
    def last(self) -> int:
        return self.end if self.end is not None else self.start

    def short(self) -> str:
        """One-letter HGVS without ``p.``: ``L858R``, ``E746_A750del``, ``L747_S752delinsQ``."""
        loc = f"{self.ref_start}{self.start}"
        if self.end is not None:
            loc += f"_{self.ref_end}{self.end}"
        match self.edit:
            case "substitution":
                return f"{loc}{self.alt}"
            case "deletion":
                return f"{loc}del"
            case "delins":
                return f"{loc}delins{self.alt}"
            case "insertion":
                return f"{loc}ins{self.alt}"
            case "duplication":
                return f"{loc}dup"
            case "frameshift":
                return f"{loc}fs"
            case "extension":
                return f"{loc}ext"
        raise AssertionError(self.edit)  # pragma: no cover - Literal is exhaustive

    def hgvs(self) -> str:
        """``p.`` one-letter form, e.g. ``p.E746_A750del``."""
        return f"p.{self.short()}"


RegionEffect = Literal["deletion", "insertion", "mutation", "skipping", "duplication", "alteration"]


class SequenceVariant(Value):
    """A small variant in one gene.

    Either ``protein`` is known, or ``region`` describes it as sources do when they give no
    exact change ("EGFR exon 19 deletion", "MET exon 14 skipping"). ``exon`` is derived from
    the protein position when the gene's exon map is known (see
    :mod:`tkiresist.nomenclature.exons`), else taken from the source.
    """

    kind: Literal["sequence_variant"] = "sequence_variant"
    gene: str
    protein: ProteinChange | None = None
    cdna: str | None = Field(default=None, description="HGVS c. change, e.g. c.2573T>G")
    reference: str | None = Field(
        default=None, description="RefSeq/Ensembl accession the change is on, e.g. NP_005219.2"
    )
    exon: int | None = Field(default=None, gt=0)
    region_effect: RegionEffect | None = Field(
        default=None, description="for a described region: what happens in the exon"
    )

    @model_validator(mode="after")
    def _check(self) -> SequenceVariant:
        if self.protein is None and self.cdna is None and self.region_effect is None:
            raise ValueError("a sequence variant needs a protein change, a c. change or a region")
        if self.region_effect not in (None, "mutation", "alteration") and self.exon is None:
            raise ValueError("a described region needs its exon")
        return self

    @property
    def unspecified(self) -> bool:
        """A gene-level finding of unspecified type ("TP53 mutation", no change given)."""
        return self.protein is None and self.cdna is None and self.exon is None

    @property
    def name(self) -> str:
        if self.protein is not None:
            return f"{self.gene} {self.protein.hgvs()}"
        if self.region_effect is not None and self.exon is None:
            return f"{self.gene} {self.region_effect}"
        if self.region_effect is not None:
            return f"{self.gene} exon {self.exon} {self.region_effect}"
        return f"{self.gene} {self.cdna}"

    @property
    def genes(self) -> tuple[str, ...]:
        return (self.gene,)


class Fusion(Value):
    """A gene fusion, always held 5'::3'.

    ``five_prime=None`` means a rearrangement of ``three_prime`` whose partner is not known.
    ``order_corrected`` records that the source wrote the genes the other way round and the
    kinase's 3' role was restored by knowledge.
    """

    kind: Literal["fusion"] = "fusion"
    five_prime: str | None = None
    three_prime: str
    five_prime_exon: str | None = Field(default=None, pattern=r"^[0-9]+[a-z]?(/[a-z])?$")
    three_prime_exon: str | None = Field(default=None, pattern=r"^[0-9]+[a-z]?(/[a-z])?$")
    variant: str | None = Field(default=None, description="named variant, e.g. v1, v3a/b")
    order_corrected: bool = False
    in_frame: bool | None = None

    @model_validator(mode="after")
    def _check(self) -> Fusion:
        if self.five_prime is not None and self.five_prime == self.three_prime:
            raise ValueError("a fusion joins two different genes")
        if self.five_prime is None and self.five_prime_exon is not None:
            raise ValueError("a 5' exon needs a 5' gene")
        return self

    @property
    def name(self) -> str:
        if self.five_prime is None:
            return f"{self.three_prime} fusion"
        return f"{self.five_prime}::{self.three_prime}"

    @property
    def detail(self) -> str:
        """The name with exon breakpoints and variant when known."""
        if self.five_prime is None:
            return self.name
        five = self.five_prime + (f" exon {self.five_prime_exon}" if self.five_prime_exon else "")
        three = self.three_prime + (
            f" exon {self.three_prime_exon}" if self.three_prime_exon else ""
        )
        out = f"{five}::{three}"
        if self.variant:
            out += f" ({self.variant})"
        return out

    @property
    def genes(self) -> tuple[str, ...]:
        return (
            (self.three_prime,)
            if self.five_prime is None
            else (
                self.five_prime,
                self.three_prime,
            )
        )


CopyNumberChange = Literal["amplification", "gain", "loss", "deletion"]


class CopyNumber(Value):
    """A copy-number change of one gene, with the measure the source gives."""

    kind: Literal["copy_number"] = "copy_number"
    gene: str
    change: CopyNumberChange
    copy_number: float | None = Field(default=None, ge=0, description="absolute gene copy number")
    ratio: float | None = Field(default=None, ge=0, description="gene/centromere ratio (FISH)")
    log2: float | None = None
    method: str | None = Field(default=None, description="NGS, FISH, ddPCR...")

    @property
    def name(self) -> str:
        return f"{self.gene} {self.change}"

    @property
    def genes(self) -> tuple[str, ...]:
        return (self.gene,)


ExpressionResult = Literal["positive", "negative", "equivocal"]


class Expression(Value):
    """A protein expression result, usually by IHC (e.g. ALK D5F3 positive)."""

    kind: Literal["expression"] = "expression"
    marker: str
    result: ExpressionResult
    clone: str | None = None
    score: str | None = Field(default=None, description="as reported: H-score, 3+, TPS 50%...")

    @property
    def name(self) -> str:
        clone = f" ({self.clone})" if self.clone else ""
        return f"{self.marker}{clone} IHC {self.result}"

    @property
    def genes(self) -> tuple[str, ...]:
        return (self.marker,)


HistologyKind = Literal[
    "adenocarcinoma",
    "squamous_cell_carcinoma",
    "small_cell_transformation",
    "squamous_transformation",
    "sarcomatoid_transformation",
    "large_cell_neuroendocrine_transformation",
    "epithelial_mesenchymal_transition",
]


class Histology(Value):
    """A histologic finding: the tumour's type, or a transformation at resistance."""

    kind: Literal["histology"] = "histology"
    histology: HistologyKind

    @property
    def name(self) -> str:
        return self.histology.replace("_", " ")

    @property
    def genes(self) -> tuple[str, ...]:
        return ()


Alteration = Annotated[
    SequenceVariant | Fusion | CopyNumber | Expression | Histology,
    Field(discriminator="kind"),
]
"""Any alteration; the ``kind`` tag picks the type."""
