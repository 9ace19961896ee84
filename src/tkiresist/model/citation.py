"""A citation: the one value type for a literature source.

A case file's ``source``, a knowledge-base citation, the sources of a drug's CNS activity and
the citations an interpretation reports are all :class:`Citation` s. The forms of the
identifiers (DOI, PMID, PMCID) and the identification rule are stated here, once:

* a citation is *identified* by a DOI, a PMID or a PMCID, or else *described* by its first
  author, year and title (a source without an identifier).

Where a context needs more, a small subclass here says so, never a copy of the fields:

* :class:`IdentifiedCitation` (the drug dictionary): an identifier, and the first author and
  year;
* :class:`KnowledgeCitation` (the knowledge base's ``citations.yaml`` and its statements): also
  an id and the journal, and the identifier is a DOI or a PMID (a PMCID alone is not enough).

An interpretation reports knowledge-base citations in a fixed JSON shape
(:data:`ReportedCitation`: ``id``, ``doi``, ``pmid``, ``first_author``, ``year``, ``journal``,
``trial``, ``url``, ``uncertain``), part of the contract other tools read.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, model_validator

from tkiresist.model.base import Kebab, NonEmpty, Value

DOI = r"^10\.\d{4,9}/\S+$"
PMID = r"^[1-9]\d{0,9}$"
PMCID = r"^PMC\d+$"


def _digits(value: object) -> object:
    """YAML reads ``pmid: 29935304`` as an int; keep PMIDs as strings of digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Doi = Annotated[str, Field(pattern=DOI)]
Pmid = Annotated[str, BeforeValidator(_digits), Field(pattern=PMID)]
Pmcid = Annotated[str, Field(pattern=PMCID)]
Year = Annotated[int, Field(ge=1900, le=2100)]


class Citation(Value):
    """A literature source, identified (DOI, PMID or PMCID) or described (first author, year
    and title)."""

    id: Kebab | None = Field(
        default=None, description="its id in a registry of citations (the knowledge base's)"
    )
    doi: Doi | None = None
    pmid: Pmid | None = None
    pmcid: Pmcid | None = None
    first_author: NonEmpty | None = None
    year: Year | None = None
    journal: NonEmpty | None = None
    title: str | None = None
    trial: str | None = Field(default=None, description="the trial it reports, e.g. FLAURA")
    uncertain: bool = Field(
        default=False, description="the citation could not be fully verified against its source"
    )
    note: str | None = None
    checked: str | None = Field(
        default=None, description="the latest check against published records: when and result"
    )

    @model_validator(mode="after")
    def _identification(self) -> Citation:
        """The rule. A subclass states a stricter one under the same name, which replaces
        this one (each implies it)."""
        if not self.identified and not (self.first_author and self.year and self.title):
            raise ValueError(
                "a citation needs a DOI, a PMID or a PMCID, or else first_author, year and "
                "title (a source without an identifier)"
            )
        return self

    @property
    def identified(self) -> bool:
        return self.doi is not None or self.pmid is not None or self.pmcid is not None

    @property
    def doi_url(self) -> str | None:
        return f"https://doi.org/{self.doi}" if self.doi is not None else None

    @property
    def pubmed_url(self) -> str | None:
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/" if self.pmid is not None else None

    @property
    def pmc_url(self) -> str | None:
        if self.pmcid is None:
            return None
        return f"https://pmc.ncbi.nlm.nih.gov/articles/{self.pmcid}/"

    @property
    def url(self) -> str | None:
        """Where to read it: the DOI's resolver, else PubMed, else PubMed Central."""
        return self.doi_url or self.pubmed_url or self.pmc_url

    def short(self) -> str:
        """``Schrock 2018, J Thorac Oncol`` (plus the trial name when there is one)."""
        text = " ".join(str(x) for x in (self.first_author, self.year) if x is not None)
        if self.journal:
            text = f"{text}, {self.journal}" if text else self.journal
        text = text or self.title or "untitled source"
        return f"{text} ({self.trial})" if self.trial else text


class IdentifiedCitation(Citation):
    """A citation with an identifier (DOI, PMID or PMCID), its first author and year: the
    sources of the drug dictionary."""

    first_author: NonEmpty
    year: Year

    @model_validator(mode="after")
    def _identification(self) -> IdentifiedCitation:
        if not self.identified:
            raise ValueError("a citation needs a DOI, PMID or PMCID")
        return self


class KnowledgeCitation(IdentifiedCitation):
    """A knowledge-base citation: an id, the journal, and a DOI or a PMID (or both)."""

    id: Kebab
    journal: NonEmpty

    @model_validator(mode="after")
    def _identification(self) -> KnowledgeCitation:
        if self.doi is None and self.pmid is None:
            raise ValueError("a citation needs a doi or a pmid")
        return self

    @property
    def url(self) -> str:
        """Never None: a knowledge-base citation has a DOI or a PMID."""
        return super().url or ""


def reported(c: KnowledgeCitation) -> dict[str, Any]:
    """The JSON shape of a citation in an interpretation (a contract: fields may be added)."""
    return {
        "id": c.id,
        "doi": c.doi,
        "pmid": c.pmid,
        "first_author": c.first_author,
        "year": c.year,
        "journal": c.journal,
        "trial": c.trial,
        "url": c.url,
        "uncertain": c.uncertain,
    }


ReportedCitation = Annotated[KnowledgeCitation, PlainSerializer(reported)]
"""A knowledge-base citation as an interpretation reports it (see :func:`reported`)."""
