"""Distinct cell values of a study, read in Python once each.

Every other step is a whole-table operation in DuckDB; this module owns the few things Python
reads, and reads each distinct value once: a MAF row's gene and protein (or c.) change, an SV's
two genes (by the one SV policy, :func:`tkiresist.nomenclature.fusions.sv_pair`), a gene's
discrete CNA level, a sample's histology or OncoTree code and an IHC result of the LAB_TEST
timeline become alterations with an id, a key (:func:`tkiresist.interpret.serial.alteration_key`)
and categories, in a :class:`_Registry` where identical alterations share their id; an AGENT
cell becomes its drugs (:func:`_agents`, by the one agent-cell reader of
:mod:`tkiresist.nomenclature.regimens`). The loaders of :mod:`tkiresist.cohort.load` join the
answers back onto every row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Final

from tkiresist.errors import ParseError
from tkiresist.io.cbioportal import (
    NA_VALUES,
    ONCOTREE_HISTOLOGY,
    PROFILE_CNA,
    PROFILE_MUTATIONS,
    PROFILE_SV,
)

if TYPE_CHECKING:
    from tkiresist.model.categories import AnyAlteration
    from tkiresist.nomenclature.drugs import Drug


PROFILE_HISTOLOGY: Final = "histology"


PROFILE_IHC: Final = "ihc"


@dataclass
class _Registry:
    """Alterations seen, each with an id; identical alterations share it."""

    ids: dict[tuple[str, object, str | None], int] = field(default_factory=dict)
    rows: list[tuple[int, str, str, str]] = field(default_factory=list)  # id, name, key, profile
    genes: list[tuple[int, str]] = field(default_factory=list)
    categories: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, alt: AnyAlteration, profile: str, pattern: str | None = None) -> int:
        """The id of ``alt`` (with an IHC staining ``pattern``, p53/Rb, where one is given)."""
        from tkiresist.interpret.serial import alteration_key
        from tkiresist.model.alterations import Expression
        from tkiresist.model.categories import categorize, expression_categories
        from tkiresist.nomenclature.alterations import format_alteration

        def categories_of(a: AnyAlteration) -> frozenset[str]:
            # an IHC result as the engine reads it (p53 and Rb by pattern)
            if isinstance(a, Expression):
                return expression_categories(a, pattern)
            return categorize(a)

        ident = (profile, alt, pattern)
        found = self.ids.get(ident)
        if found is not None:
            return found
        alt_id = len(self.rows) + 1
        self.ids[ident] = alt_id
        self.rows.append((alt_id, format_alteration(alt), alteration_key(alt), profile))
        for g in alt.genes or ("",):
            self.genes.append((alt_id, g))
        for c in sorted(categories_of(alt)):
            self.categories.append((alt_id, c))
        return alt_id

    def raw(self, name: str, key: str, profile: str, gene: str) -> int:
        """An alteration that could not be parsed: kept under its text, never categorised."""
        ident = (profile, ("raw", key), None)
        found = self.ids.get(ident)
        if found is not None:
            return found
        alt_id = len(self.rows) + 1
        self.ids[ident] = alt_id
        self.rows.append((alt_id, name, key, profile))
        self.genes.append((alt_id, gene))
        return alt_id


@cache
def _gene(symbol: str) -> str:
    """The approved symbol, or the symbol as written when HGNC does not know it."""
    from tkiresist.nomenclature.genes import lookup

    try:
        return lookup(symbol.strip()).approved
    except ParseError:
        return symbol.strip()


def _maf_alteration(
    reg: _Registry, gene_text: str, protein: str, cdna: str, canonical: str, classification: str
) -> int:
    from pydantic import ValidationError

    from tkiresist.model.alterations import SequenceVariant
    from tkiresist.nomenclature.alterations import parse_alteration
    from tkiresist.nomenclature.variants import parse_protein_change

    gene = _gene(gene_text)
    if canonical and canonical not in NA_VALUES:
        try:
            alt = parse_alteration(canonical)
        except ParseError:
            alt = None
        if isinstance(alt, SequenceVariant):
            return reg.add(alt, PROFILE_MUTATIONS)
    if protein and protein not in NA_VALUES:
        try:
            change = parse_protein_change(protein)
            return reg.add(SequenceVariant(gene=gene, protein=change), PROFILE_MUTATIONS)
        except (ParseError, ValidationError):
            pass
    if cdna and cdna not in NA_VALUES:
        text = cdna.split(":", 1)[-1]
        try:
            return reg.add(SequenceVariant(gene=gene, cdna=text), PROFILE_MUTATIONS)
        except ValidationError:
            pass
    what = protein or cdna or classification or "unspecified"
    reg.warnings.append(f"MAF: {gene} {what!r} has no readable protein or c. change")
    return reg.raw(f"{gene} {what}", f"raw:{gene}:{what}", PROFILE_MUTATIONS, gene)


def _sv_alteration(reg: _Registry, site1: str, site2: str, event_info: str = "") -> int | None:
    """An SV row's alteration by the one fusion decision of every reader
    (:func:`tkiresist.io.fusions.cbioportal_sv_call`: the SV policy of
    :func:`~tkiresist.nomenclature.fusions.sv_pair`, ``Event_Info`` naming the genes the other
    way round): a fusion, or none for an intragenic event, one gene that is not a 3' fusion
    partner, or an empty row, as add-test and annotate read it."""
    from pydantic import ValidationError

    from tkiresist.io.fusions import cbioportal_sv_call

    a = "" if site1 in NA_VALUES else site1
    b = "" if site2 in NA_VALUES else site2
    call = cbioportal_sv_call(a, b, event_info)
    if call.fusion is None:
        return None
    try:
        return reg.add(call.fusion, PROFILE_SV)
    except ValidationError:  # pragma: no cover - the decision builds valid fusions
        return reg.raw(f"{a}::{b}", f"raw:sv:{a}:{b}", PROFILE_SV, a or b)


def _cna_alteration(reg: _Registry, gene_text: str, value: int) -> int | None:
    from tkiresist.io.cbioportal import CNA_CHANGE
    from tkiresist.model.alterations import CopyNumber

    change = CNA_CHANGE.get(value)
    if change is None:
        return None
    return reg.add(CopyNumber(gene=_gene(gene_text), change=change), PROFILE_CNA)


def _histology_alteration(reg: _Registry, text: str, oncotree: str) -> tuple[int, bool] | None:
    """The histology alteration of a sample, and whether it was inferred from the OncoTree code
    alone (then it counts only where the code differs from the patient's first sample: a tumour
    diagnosed as squamous is not a squamous transformation)."""
    from tkiresist.model.alterations import Histology
    from tkiresist.model.categories import categorize
    from tkiresist.nomenclature.histology import try_parse_histology

    if text and text not in NA_VALUES:
        try:
            h = try_parse_histology(text)
        except ParseError:
            h = None
        # a transformation, or epithelial-mesenchymal transition: a histology that means
        # something at progression (a category), not the adenocarcinoma of the diagnosis
        if h is not None and categorize(h):
            return reg.add(h, PROFILE_HISTOLOGY), False
    kind = ONCOTREE_HISTOLOGY.get(oncotree.upper())
    if kind is not None:
        return reg.add(Histology(histology=kind), PROFILE_HISTOLOGY), True
    return None


@dataclass(frozen=True, slots=True)
class _Agent:
    """One drug of an AGENT cell: its classes (a drug may have several: crizotinib is an ALK,
    MET and ROS1 TKI), its generation, and whether it was named only by its class ("EGFR TKI",
    or an agent the dictionary does not know counted through its AGENT_CLASS): then its
    generation is not known, as the engine reads it."""

    drug: str
    classes: tuple[str, ...]
    generation: int | None
    class_only: bool = False


def _agent(d: Drug) -> _Agent:
    return _Agent(d.generic, tuple(c.value for c in d.classes), d.generation, d.class_only)


def _agents(text: str, declared_class: str) -> tuple[list[_Agent], str | None]:
    """The drugs an AGENT cell names (a combination splits), or a warning."""
    from tkiresist.nomenclature import drugs
    from tkiresist.nomenclature.regimens import cell_drugs

    cell = text.strip()
    klass = declared_class.strip().lower() if declared_class else ""
    try:  # the one agent-cell reader, shared with annotate (nomenclature.regimens)
        return [_agent(drugs.lookup(name)) for name in cell_drugs(cell)], None
    except ParseError:
        pass
    known = {c.value for c in drugs.drug_classes()}
    if klass in known:
        return [_Agent(cell.lower(), (klass,), None, class_only=True)], None
    return [_Agent(cell.lower(), (), None)], f"agent {cell!r} is not in the drug dictionary"


_LAB_TEST = re.compile(r"^(?P<marker>[A-Za-z0-9-]+)\s+IHC(?:\s*\((?P<clone>[^)]*)\))?$", re.I)


_NOT_DETECTED = re.compile(r"^not detected\s*\((?P<result>[a-z]+)\)$")


def _lab_alteration(
    reg: _Registry, test: str, result: str, score: str, pattern: str = ""
) -> tuple[int | None, str | None]:
    """An IHC result of the LAB_TEST timeline (``MET IHC``, ``positive``, ``3+``; our exports
    write ``not detected (positive)`` for a finding reported as not detected): the alteration
    when it is detected, and the marker's gene when the sample was assessed for it, read as the
    engine reads IHC (:func:`tkiresist.model.categories.ihc_reading`: p53 and Rb by their
    staining ``pattern`` from the optional PATTERN column, which our export writes; without
    one, p53 ``positive`` is unclear). Unclear and equivocal results are neither; a pattern
    that is not one of the case format's is ignored (read as absent)."""
    from pydantic import ValidationError

    from tkiresist.model.alterations import Expression
    from tkiresist.model.categories import ihc_reading, pattern_conflict, patterns_for

    m = _LAB_TEST.match(test)
    if m is None:
        return None, None
    negated = _NOT_DETECTED.match(result)
    value = negated.group("result") if negated else result
    try:
        alt = Expression(
            marker=_gene(m.group("marker")),
            result=value,
            clone=m.group("clone") or None,
            score=score if score and score not in NA_VALUES else None,
        )
    except ValidationError:
        return None, None
    known = (
        pattern
        if pattern in patterns_for(alt.marker) and pattern_conflict(alt, pattern) is None
        else None
    )
    reading = ihc_reading(alt, known)
    if reading == "unclear":
        return None, None
    if negated or reading == "normal":
        return None, alt.marker
    return reg.add(alt, PROFILE_IHC, known), alt.marker
