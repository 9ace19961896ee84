"""Assays: what a test can detect.

A *not detected* finding means something only when the assay covered the alteration. An
:class:`Assay` states, per alteration kind, which genes it covers and from which material. A
small catalogue of common panels ships in ``data/assays.yaml`` (each entry cites where its
coverage is documented); a case file names a catalogue id or describes its assay inline.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

from pydantic import Field

from tkiresist.model.alterations import (
    CopyNumber,
    Expression,
    Fusion,
    Histology,
    SequenceVariant,
)
from tkiresist.model.base import Value
from tkiresist.model.citation import Doi, Pmid

Material = Literal["tissue_dna", "tissue_rna", "plasma_ctdna", "csf_ctdna", "tissue_section"]
AlterationKind = Literal["sequence_variant", "fusion", "copy_number", "expression", "histology"]


class Coverage(Value):
    """Genes covered for each kind. ``["*"]`` means genome/transcriptome-wide for that kind."""

    sequence_variant: tuple[str, ...] = ()
    fusion: tuple[str, ...] = Field(default=(), description="driver genes whose fusions it finds")
    copy_number: tuple[str, ...] = ()
    expression: tuple[str, ...] = ()
    histology: bool = False


class SourceNote(Value):
    """Where an assay's coverage is documented, in words: a manufacturer's page, a regulator's
    record, a validation paper, often several at once. Not a citation
    (:class:`~tkiresist.model.citation.Citation`): a product page has no author or year to
    give. Its DOI or PMID, when it has one, has a citation's form."""

    text: str
    url: str | None = None
    doi: Doi | None = None
    pmid: Pmid | None = None


class Assay(Value):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str
    vendor: str | None = None
    platform: str | None = None
    method: Literal["ngs", "pcr", "ihc", "fish", "histology", "other"] = "ngs"
    materials: tuple[Material, ...] = ()
    coverage: Coverage = Coverage()
    limits: str | None = Field(default=None, description="known blind spots, LoD...")
    source: SourceNote | None = None

    def covers(
        self, alteration: SequenceVariant | Fusion | CopyNumber | Expression | Histology
    ) -> bool:
        """Could this assay have seen ``alteration``?"""
        cov = self.coverage
        if isinstance(alteration, Histology):
            return cov.histology
        if isinstance(alteration, Fusion):
            genes = set(alteration.genes)
            return "*" in cov.fusion or bool(genes & set(cov.fusion))
        if isinstance(alteration, SequenceVariant):
            return "*" in cov.sequence_variant or alteration.gene in cov.sequence_variant
        if isinstance(alteration, CopyNumber):
            return "*" in cov.copy_number or alteration.gene in cov.copy_number
        return "*" in cov.expression or alteration.marker in cov.expression


class _Catalogue(Value):
    assays: tuple[Assay, ...]


@cache
def catalogue() -> dict[str, Assay]:
    """The bundled assay catalogue, by id."""
    import yaml

    text = resources.files("tkiresist.data").joinpath("assays.yaml").read_text("utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present; safe either way
    cat = _Catalogue.model_validate(yaml.load(text, Loader=loader))
    return {a.id: a for a in cat.assays}
