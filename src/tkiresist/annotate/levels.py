"""What a table row's annotation means: which statements match it, and its highest levels.

A table row is one alteration of one sample (a MAF row, an SV row, a CNA cell). It has no
timeline, so "in context" is what the tables give about its sample:

* the tumour type (the OncoTree code of the clinical file's ``ONCOTREE_CODE``; ``NSCLC`` when
  the sample has none);
* the prior therapy, when the clinical file has a therapy column: the drug classes and the
  TKI generations of the drugs listed (:class:`PriorTherapy`);
* the other alterations of the same sample, in every table given (MAF, SV and CNA alike).

A statement **matches a row** when all of the following hold (cf. the engine's rules in
:mod:`tkiresist.interpret.mechanisms`, here for one sample at one time):

1. the row triggers it: one of the statement's ``match.any_of`` categories is a category of the
   row itself (fallback statements, which have no trigger, never match a row);
2. every ``match.all_of`` category is present in the sample (this row or another one), and no
   ``match.none_of`` category is;
3. its ``disease`` includes the sample's OncoTree code (``NSCLC`` covers the non-small-cell
   codes of :data:`~tkiresist.knowledge.applies.NSCLC_CODES`);
4. its therapy context holds. When the sample's prior therapy is known, the drugs listed must
   include one of ``context.prior_drug_classes`` and, if the statement names
   ``context.prior_generations``, a TKI of one of those generations. A table does not say
   which listed drug was the line in effect when the sample was taken, so every drug listed
   counts. When the prior therapy is **unknown** (no therapy column, or an empty or ``NA``
   cell), this condition is not applied: the row is annotated with what the statement would
   mean after such a therapy, and the output says the therapy was unknown
   (``TKIRESIST_PRIOR_DRUG_CLASSES`` is empty). ``none`` / ``untreated`` / ``naive`` is a known,
   empty therapy and matches no statement that needs a prior therapy;
5. its driver context holds: ``context.driver`` (a category, e.g. ``egfr_sensitising``) must be
   present in the sample. One sample shows the driver *present*, which is what
   ``driver_state: persistent`` (or ``any``) needs; it cannot show a driver *lost* (that needs an
   earlier test), so ``driver_state: lost`` statements never match a table row;
6. a ``resistance_mechanism`` statement does not match a row that is itself the driver (a row
   with the ``context.driver`` category, or with one of the engine's driver categories when the
   statement names none): the driver's persistence is context, not a mechanism.

A statement with a ``context.phase`` (C797X in *cis* or *trans* with T790M) matches whatever the
phase, as in the engine: tables do not give the phase.

Levels (CIViC-style, A best to E; a regimen's own ``evidence_level`` when it has one, else the
statement's):

* **highest sensitivity level**: the best level among the regimens with ``effect: sensitivity``
  of the matching statements (whatever the statement's meaning: the options a resistance
  mechanism opens count), and among matching ``sensitivity`` statements that list no regimen;
* **highest resistance level**: the best level among the matching statements whose meaning is
  ``resistance_mechanism`` or ``resistance`` (their own level), and among regimens with
  ``effect: resistance`` of any matching statement. ``risk_marker`` statements (a risk signal,
  not a mechanism shown in this tumour) are listed among the matching statements but give no
  resistance level.

Empty when nothing qualifies.

**Why no level** (:func:`no_level_reason`): a row whose categories trigger some statement but
that gets neither level is given the reason of each statement it triggers and that did not
match: the matching rule's reason (``first-line statement: needs no targeted therapy before;
the line is egfr_tki``), a missing driver said plainly (``resistance statement ... needs an EGFR
sensitising mutation (any) in the same sample; none found``), a ``lost`` driver a single sample
cannot show, or the row being the driver of a mechanism; or that the statements it matched are
risk markers, which give no level.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from tkiresist.knowledge.applies import DRIVER_CATEGORIES, Prior, Situation, verdict
from tkiresist.knowledge.loader import KnowledgeBase
from tkiresist.knowledge.schema import Effect, MeaningKind, Statement
from tkiresist.model.vocabulary import DriverState, EvidenceLevel

DEFAULT_ONCOTREE = "NSCLC"
"""The tumour type of a sample the clinical file does not describe."""

_LEVEL_RANK = {level: i for i, level in enumerate(EvidenceLevel)}


def _driver_closure() -> frozenset[str]:
    from tkiresist.model.categories import CATALOGUE

    out = set(DRIVER_CATEGORIES)
    changed = True
    while changed:
        changed = False
        for cat in CATALOGUE.values():
            if cat.id not in out and set(cat.broader) & out:
                out.add(cat.id)
                changed = True
    return frozenset(out)


_DRIVER_CLOSURE = _driver_closure()
"""Every category that makes an alteration an EGFR driver (the driver categories and narrower)."""


@dataclass(frozen=True, slots=True)
class PriorTherapy:
    """A sample's prior therapy as a table gives it.

    ``known`` is False when the table says nothing (then ``classes`` and ``generations`` are
    empty and the therapy context is not applied); a known therapy with no classes means "no
    prior therapy".
    """

    known: bool
    classes: frozenset[str] = frozenset()
    generations: frozenset[int] = frozenset()
    drugs: tuple[str, ...] = ()
    unnamed: frozenset[str] = frozenset()
    """Classes of drugs the cell names only by class ("EGFR TKI"): generation not stated."""

    @property
    def classes_text(self) -> str:
        """The output form: comma-joined sorted classes, ``none``, or empty when unknown."""
        if not self.known:
            return ""
        return ",".join(sorted(self.classes)) or "none"


UNKNOWN_THERAPY = PriorTherapy(known=False)
NO_THERAPY = PriorTherapy(known=True)


@dataclass(frozen=True, slots=True)
class SampleContext:
    """What a row's statements are matched against, besides its own categories."""

    oncotree: str = DEFAULT_ONCOTREE
    prior: PriorTherapy = UNKNOWN_THERAPY
    present: frozenset[str] = frozenset()
    """Categories present in the sample (only those some statement's context names)."""


@dataclass(frozen=True, slots=True)
class RowLevels:
    """The statements matching one row and its highest levels."""

    statements: tuple[str, ...] = ()
    sensitive: EvidenceLevel | None = None
    resistance: EvidenceLevel | None = None


NO_MATCH = RowLevels()


def best(levels: Iterable[EvidenceLevel]) -> EvidenceLevel | None:
    """The best (closest to A) of ``levels``; None when there are none."""
    return min(levels, key=_LEVEL_RANK.__getitem__, default=None)


def context_categories(kb: KnowledgeBase) -> frozenset[str]:
    """Categories whose presence elsewhere in a sample can change whether a statement matches
    a row: every ``all_of``, ``none_of`` and ``context.driver`` of the knowledge base."""
    out: set[str] = set()
    for st in kb.statements:
        out.update(st.match.all_of)
        out.update(st.match.none_of)
        if st.context.driver is not None:
            out.add(st.context.driver)
    return frozenset(out)


def relevant_context(kb: KnowledgeBase, categories: frozenset[str]) -> frozenset[str]:
    """The sample-context categories that can change the levels or the reason of a row with
    ``categories``: the ``all_of``, ``none_of`` and ``context.driver`` of the statements the
    row can trigger (the only ones :func:`row_levels` and :func:`no_level_reason` read), and
    every EGFR driver category (they set the driver state of the situation). A sample context
    projected on these gives the row the same answer as the whole context; ``annotate`` uses
    it to match each distinct (row, projected context) once."""
    out: set[str] = set(_DRIVER_CLOSURE)
    for st in kb.for_categories(categories):
        out.update(st.match.all_of)
        out.update(st.match.none_of)
        if st.context.driver is not None:
            out.add(st.context.driver)
    return frozenset(out)


def trigger_categories(kb: KnowledgeBase) -> frozenset[str]:
    """Categories that can trigger a statement (every ``any_of``): a row with none of them
    matches nothing."""
    return frozenset(c for st in kb.statements for c in st.match.any_of)


@lru_cache(maxsize=8192)
def situation_of(categories: frozenset[str], ctx: SampleContext) -> Situation:
    """The matching rule's :class:`Situation` for a row: one sample shows its driver present
    (``persistent``) or not at all; a driver it does not show is presumed from an EGFR TKI
    line, as in the case engine. Cached: a table asks for the same (row categories, sample
    context) once per statement, for the levels and again for the reason."""
    prior = ctx.prior
    present = categories | ctx.present
    drivers = frozenset(c for c in present if c in _DRIVER_CLOSURE)
    return Situation(
        oncotree=ctx.oncotree,
        present=present,
        prior=Prior(
            known=prior.known,
            classes=prior.classes,
            generations=prior.generations,
            unnamed=prior.unnamed,
            drugs=frozenset(d.lower() for d in prior.drugs),
        ),
        driver_categories=drivers,
        driver_state="persistent" if drivers else "none",
    ).with_presumed_driver()


def statement_matches(st: Statement, categories: frozenset[str], ctx: SampleContext) -> bool:
    """Whether ``st`` matches a row with ``categories`` in ``ctx``: the shared rule of
    :mod:`tkiresist.knowledge.applies`, plus what is particular to a row (it must trigger the
    statement itself; a ``lost`` driver cannot be seen in one sample; the row is not the
    driver of a mechanism)."""
    m = st.match
    if m.fallback or not set(m.any_of) & categories:
        return False
    c = st.context
    if c.driver_state is DriverState.LOST:
        return False
    if not verdict(st, situation_of(categories, ctx)).applies:
        return False
    if st.meaning.kind is MeaningKind.RESISTANCE_MECHANISM:
        drivers = {c.driver} if c.driver is not None else set(DRIVER_CATEGORIES)
        if drivers & categories:
            return False
    return True


def levels_of(statements: Iterable[Statement]) -> RowLevels:
    """The row annotation for a set of matching statements (the module's level rules)."""
    ids: list[str] = []
    sensitive: list[EvidenceLevel] = []
    resistance: list[EvidenceLevel] = []
    for st in statements:
        ids.append(st.id)
        kind = st.meaning.kind
        if kind in (MeaningKind.RESISTANCE_MECHANISM, MeaningKind.RESISTANCE) and not (
            st.meaning.risk_marker
        ):
            resistance.append(st.evidence_level)
        if kind is MeaningKind.SENSITIVITY and not st.regimens:
            sensitive.append(st.evidence_level)
        for regimen in st.regimens:
            level = st.level_for(regimen)
            if regimen.effect is Effect.SENSITIVITY:
                sensitive.append(level)
            else:
                resistance.append(level)
    return RowLevels(tuple(ids), best(sensitive), best(resistance))


def row_levels(kb: KnowledgeBase, categories: frozenset[str], ctx: SampleContext) -> RowLevels:
    """Every statement of ``kb`` matching a row with ``categories`` in ``ctx``, and the levels."""
    if not categories:
        return NO_MATCH
    candidates = kb.for_categories(categories)
    return levels_of(st for st in candidates if statement_matches(st, categories, ctx))


REASONS_SHOWN = 3
"""At most this many statements' reasons in one row's reason (the first, in knowledge-base
order)."""


def _category_label(category: str) -> str:
    from tkiresist.model.categories import CATALOGUE

    cat = CATALOGUE.get(category)
    return cat.label if cat is not None else category


def _why_not(st: Statement, categories: frozenset[str], ctx: SampleContext) -> str:
    """Why ``st``, which the row triggers, does not match it (the rules of this module)."""
    c = st.context
    kind = str(st.meaning.kind).replace("_", " ")
    if c.driver_state is DriverState.LOST:
        return f"{st.id}: needs the driver lost, which one sample cannot show"
    sit = situation_of(categories, ctx)
    v = verdict(st, sit)
    if not v.applies:
        if c.driver is not None and c.driver not in sit.driver_categories:
            return (
                f"{kind} statement {st.id} needs an {_category_label(c.driver)} in the same "
                "sample; none found"
            )
        return f"{st.id}: {v.reason}"
    return f"{st.id}: the row is the sample's driver; its persistence is context, not a mechanism"


def no_level_reason(
    kb: KnowledgeBase, categories: frozenset[str], ctx: SampleContext, levels: RowLevels
) -> str | None:
    """Why a row with ``categories`` gets no level in ``ctx`` (None when it gets one, or when
    no statement names its categories: its status says so)."""
    if levels.sensitive is not None or levels.resistance is not None:
        return None
    if levels.statements:
        return "matched only risk-marker statements, which give no level"
    reasons = [
        _why_not(st, categories, ctx)
        for st in kb.for_categories(categories)
        if not st.match.fallback and set(st.match.any_of) & categories
    ]
    if not reasons:
        return None
    more = len(reasons) - REASONS_SHOWN
    text = "; ".join(dict.fromkeys(reasons[:REASONS_SHOWN]))
    return text + (f"; and {more} more" if more > 0 else "")
