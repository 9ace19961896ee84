"""Drug names: resolve what a source wrote to one curated drug.

The dictionary ``data/drugs.yaml`` lists the drugs of this domain (EGFR, ALK, MET, RET, ROS1,
NTRK, BRAF/MEK, KRAS G12C, HER2 and FGFR inhibitors, the usual chemotherapies, antibodies,
immunotherapies and antibody-drug conjugates) with their brand, code and other names, class,
HGNC targets, generation (EGFR and ALK TKIs) and documented CNS activity with its sources. It
is validated against the models below and loaded once, on first use.

Rules:

1. a name matches when it equals a generic, brand, code or other name of exactly one drug,
   ignoring case, whitespace, hyphens and the marks ``®``/``™`` (``AZD-9291``, ``azd 9291``
   and ``AZD9291`` are the same code);
2. anything else raises :class:`~tkiresist.errors.UnknownDrugError`. Nothing is guessed: the
   error may list close known names, but never picks one;
3. no name may belong to two drugs; the loader refuses such a file
   (:class:`~tkiresist.errors.KnowledgeBaseError`).

Class-only entries (``chemotherapy``, ``EGFR antibody``, ``immunotherapy``...) stand for an
agent a source names only by class; :attr:`Drug.class_only` marks them.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Final, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from tkiresist.errors import KnowledgeBaseError, Location, ParseError, UnknownDrugError
from tkiresist.model.base import Value
from tkiresist.model.citation import IdentifiedCitation
from tkiresist.model.vocabulary import DrugClass

DATA_FILE = "drugs.yaml"

# Characters that lookup ignores: whitespace, ASCII and Unicode hyphens and dashes, and the
# trade marks that brand names carry in print.
_IGNORED = frozenset(" \t\r\n\u00a0-\u2010\u2011\u2012\u2013\u2014\u2212_®™")


class CnsLevel(StrEnum):
    """Documented intracranial activity (definitions in ``data/drugs.yaml``)."""

    HIGH = "high"
    MODERATE = "moderate"
    LIMITED = "limited"
    UNKNOWN = "unknown"


_GENERATION_CLASSES = frozenset({DrugClass.EGFR_TKI, DrugClass.ALK_TKI})


class CnsActivity(Value):
    """How active a drug is in the CNS, and on what evidence."""

    level: CnsLevel = CnsLevel.UNKNOWN
    note: str | None = None
    sources: tuple[IdentifiedCitation, ...] = ()
    uncertain: bool = False

    @model_validator(mode="after")
    def _sourced(self) -> CnsActivity:
        if self.level is not CnsLevel.UNKNOWN and not self.sources:
            raise ValueError(f"CNS level {self.level.value!r} needs at least one source")
        return self


class Drug(Value):
    """One curated drug (or a class-only entry such as ``chemotherapy``)."""

    generic: str = Field(pattern=r"^[a-z0-9][a-z0-9 \-]*[a-z0-9]$")
    brands: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()
    drug_class: DrugClass
    other_classes: tuple[DrugClass, ...] = ()
    targets: tuple[str, ...] = ()
    generation: Literal[1, 2, 3] | None = None
    class_only: bool = False
    cns: CnsActivity = CnsActivity()

    @field_validator("brands", "codes", "synonyms")
    @classmethod
    def _names_not_blank(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        for name in names:
            if not normalize_name(name):
                raise ValueError(f"blank name {name!r}")
        return names

    @field_validator("targets")
    @classmethod
    def _hgnc_shaped(cls, targets: tuple[str, ...]) -> tuple[str, ...]:
        for symbol in targets:
            if not symbol or symbol != symbol.upper() or " " in symbol:
                raise ValueError(f"target {symbol!r} is not shaped like an HGNC symbol")
        return targets

    @model_validator(mode="after")
    def _consistent(self) -> Drug:
        if self.drug_class in self.other_classes:
            raise ValueError("other_classes repeats the main drug_class")
        if self.generation is not None and self.drug_class not in _GENERATION_CLASSES:
            raise ValueError("generation is given for EGFR and ALK TKIs only")
        return self

    @property
    def classes(self) -> tuple[DrugClass, ...]:
        """The main class first, then the others."""
        return (self.drug_class, *self.other_classes)

    @property
    def names(self) -> tuple[str, ...]:
        """Every name this drug answers to: generic, brands, codes, synonyms."""
        return (self.generic, *self.brands, *self.codes, *self.synonyms)

    def has_class(self, drug_class: DrugClass | str) -> bool:
        return DrugClass(drug_class) in self.classes

    @property
    def is_egfr_tki(self) -> bool:
        return DrugClass.EGFR_TKI in self.classes

    @property
    def is_alk_tki(self) -> bool:
        return DrugClass.ALK_TKI in self.classes

    @property
    def is_met_tki(self) -> bool:
        return DrugClass.MET_TKI in self.classes

    @property
    def is_tki(self) -> bool:
        return any(c.value.endswith("_tki") for c in self.classes)

    @property
    def is_chemotherapy(self) -> bool:
        return DrugClass.CHEMOTHERAPY in self.classes

    @property
    def is_antibody(self) -> bool:
        return any(c.value.endswith(("_antibody", "_bispecific")) for c in self.classes)


class DrugFile(Value):
    """The shape of ``drugs.yaml``."""

    schema_version: Literal[1]
    drugs: tuple[Drug, ...] = Field(min_length=1)


def normalize_name(name: str) -> str:
    """The lookup key of a name: NFKC, case-folded, without spaces, hyphens or trade marks."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in folded if ch not in _IGNORED)


@dataclass(frozen=True, slots=True)
class DrugDictionary:
    """A validated set of drugs with a collision-free name index."""

    drugs: tuple[Drug, ...]
    by_key: Mapping[str, Drug]
    source: str

    @classmethod
    def from_yaml(cls, text: str, source: str = DATA_FILE) -> DrugDictionary:
        """Parse and validate a dictionary; raise KnowledgeBaseError naming the bad entry."""
        import yaml

        try:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            raw = yaml.load(text, Loader=loader)  # a safe loader either way
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            raise KnowledgeBaseError(f"not valid YAML: {exc}", Location(source, line)) from exc
        try:
            parsed = DrugFile.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = _field_path(first["loc"])
            raise KnowledgeBaseError(
                f"{first['msg']} ({exc.error_count()} problem(s) in all)",
                Location(source, field=field),
            ) from exc
        return cls.from_drugs(parsed.drugs, source)

    @classmethod
    def from_drugs(cls, drugs: tuple[Drug, ...], source: str = "<memory>") -> DrugDictionary:
        """Index ``drugs`` by every name; raise KnowledgeBaseError if a name has two owners."""
        index: dict[str, Drug] = {}
        for i, drug in enumerate(drugs):
            for name in drug.names:
                key = normalize_name(name)
                owner = index.get(key)
                if owner is not None and owner.generic != drug.generic:
                    raise KnowledgeBaseError(
                        f"name {name!r} of {drug.generic!r} is already a name of {owner.generic!r}",
                        Location(source, field=f"drugs[{i}]"),
                    )
                if owner is not None and owner is not drug:
                    raise KnowledgeBaseError(
                        f"drug {drug.generic!r} is listed twice",
                        Location(source, field=f"drugs[{i}]"),
                    )
                index[key] = drug
        return cls(tuple(drugs), MappingProxyType(index), source)

    def lookup(self, name: str, location: Location | None = None) -> Drug:
        key = normalize_name(name)
        if not key:
            raise ParseError("drug name", name, 0, "a drug name, got nothing", location)
        drug = self.by_key.get(key)
        if drug is None:
            raise UnknownDrugError(name, location, suggestions=self.suggest(name))
        return drug

    def suggest(self, name: str, limit: int = 3) -> tuple[str, ...]:
        """Generic names whose names are close to ``name`` (for messages only)."""
        key = normalize_name(name)
        if not key:
            return ()
        close = difflib.get_close_matches(key, self.by_key.keys(), n=limit * 3, cutoff=0.75)
        out: list[str] = []
        for match in close:
            generic = self.by_key[match].generic
            if generic not in out:
                out.append(generic)
        return tuple(out[:limit])


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


@cache
def dictionary() -> DrugDictionary:
    """The bundled dictionary, loaded and checked once."""
    ref = resources.files("tkiresist.data").joinpath(DATA_FILE)
    return DrugDictionary.from_yaml(ref.read_text(encoding="utf-8"), DATA_FILE)


def lookup(name: str, location: Location | None = None) -> Drug:
    """The drug ``name`` denotes; raise UnknownDrugError if the dictionary does not know it."""
    return dictionary().lookup(name, location)


NOT_TARGETED: Final = frozenset(
    {"chemotherapy", "immunotherapy", "anti_vegf_antibody", "anti_vegfr2_antibody"}
)
"""Drug classes that are not targeted therapy: they need no CNS documentation of their own for
a regimen to count as CNS-active (the targeted drugs decide)."""


@cache
def documented_cns(names: tuple[str, ...]) -> bool:
    """Every targeted drug of ``names`` documented CNS-active (high or moderate) in the
    dictionary; a regimen without a targeted drug is not. The one rule for "this regimen's CNS
    activity rests on its drugs' own evidence" (the ranking and ``kb lint`` both ask it)."""
    levels = [
        d.cns.level
        for d in (lookup(n) for n in names)
        if not {c.value for c in d.classes} <= NOT_TARGETED
    ]
    return bool(levels) and all(lv in (CnsLevel.HIGH, CnsLevel.MODERATE) for lv in levels)


def is_known(name: str) -> bool:
    """True when ``name`` is a generic, brand, code or other name of a curated drug."""
    key = normalize_name(name)
    return bool(key) and key in dictionary().by_key


def all_drugs() -> tuple[Drug, ...]:
    """Every curated drug, in file order."""
    return dictionary().drugs


def drug_classes() -> tuple[DrugClass, ...]:
    """Every class a drug may have (the vocabulary knowledge statements may use)."""
    return tuple(DrugClass)
