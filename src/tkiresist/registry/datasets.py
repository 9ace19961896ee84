"""Bundled literature datasets, with provenance.

Each dataset is two files in ``tkiresist/data/datasets/``: the source table exactly as
published (a text excerpt for ``seed-text``, or CSV) and a YAML description (``<name>.yaml``)
giving the citation, licence, table, format, a SHA-256 of the table file, and the primary
studies the rows cite. Loading one is one call (:func:`load_dataset`) or one command
(``tkiresist registry load-dataset NAME``); a new default registry starts with
:data:`tkiresist.registry.db.DEFAULT_DATASETS` loaded.

``cheung2025-table1``
    Source: Cheung BMF, El Helali A, Leung DKC. Anaplastic Lymphoma Kinase (ALK) Fusion as a
    Resistance Mechanism to EGFR Tyrosine Kinase Inhibitors With Complete Response After
    Osimertinib and Alectinib: A Case Report and Literature Review. Cureus 2025.
    doi:10.7759/cureus.92202. Licence: CC BY 4.0 (as stated in the paper).
    Shape: 16 rows (cases), 14 columns: Case, First author (year), Age/sex, EGFR mutation,
    EGFR-TKI, ALK fusion, Interval to ALK resistance (months), Post-resistance regimen, Best
    response, Grade >=3 adverse events, Biopsy, Testing, CNS progression, Extracranial
    progression site(s). Row 1 is the paper's own case; rows 2-16 are published cases.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import Field, ValidationError

from tkiresist.errors import KnowledgeBaseError, Location, RegistryError
from tkiresist.model.base import Value
from tkiresist.model.citation import Citation, Doi
from tkiresist.registry.record import PrimarySource

PACKAGE = "tkiresist.data"
FOLDER = "datasets"


class PrimaryStudy(Value):
    """A study that some rows of a review table cite."""

    rows: tuple[str, ...] = Field(min_length=1)
    first_author: str
    year: int
    reference: int | None = Field(default=None, description="the review's reference number")
    title: str | None = None
    journal: str | None = None
    doi: Doi | None = None
    uncertain: bool = Field(
        default=True, description="identifier copied from the review, not verified elsewhere"
    )
    note: str | None = None


class DatasetInfo(Value):
    """The YAML description of a bundled dataset."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    title: str
    format: Literal["seed-text", "csv"]
    file: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    table: str
    rows: int = Field(ge=1)
    source: Citation
    licence: str
    licence_note: str
    primary_studies: tuple[PrimaryStudy, ...] = ()
    notes: tuple[str, ...] = ()

    def primary_sources(self) -> dict[str, PrimarySource]:
        """Row key -> the cited study (with its DOI, marked uncertain when unverified)."""
        out: dict[str, PrimarySource] = {}
        for study in self.primary_studies:
            for row in study.rows:
                out[row] = PrimarySource(
                    text=f"{study.first_author} et al. ({study.year})",
                    first_author=study.first_author,
                    year=study.year,
                    reference=study.reference,
                    doi=study.doi,
                    uncertain=study.uncertain,
                )
        return out


def _folder() -> resources.abc.Traversable:
    return resources.files(PACKAGE).joinpath(FOLDER)


def available() -> tuple[str, ...]:
    """Names of the bundled datasets."""
    return tuple(
        sorted(
            p.name.removesuffix(".yaml") for p in _folder().iterdir() if p.name.endswith(".yaml")
        )
    )


@cache
def info(name: str) -> DatasetInfo:
    """The description of bundled dataset ``name``; RegistryError if there is none."""
    import yaml

    if name not in available():
        raise RegistryError(
            f"no bundled dataset {name!r}; datasets are: {', '.join(available())}",
            Location(field="dataset"),
        )
    ref = _folder().joinpath(f"{name}.yaml")
    try:
        meta = DatasetInfo.model_validate(yaml.safe_load(ref.read_text(encoding="utf-8")))
    except ValidationError as exc:
        err = exc.errors()[0]
        raise KnowledgeBaseError(
            str(err["msg"]),
            Location(f"{FOLDER}/{name}.yaml", field=".".join(map(str, err["loc"]))),
        ) from None
    data = _folder().joinpath(meta.file).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != meta.sha256:
        raise KnowledgeBaseError(
            f"{meta.file} does not match its recorded SHA-256 (got {digest})",
            Location(f"{FOLDER}/{name}.yaml", field="sha256"),
        )
    return meta


def table_path(name: str) -> resources.abc.Traversable:
    return _folder().joinpath(info(name).file)
