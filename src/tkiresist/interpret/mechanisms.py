"""Step 3 of the engine: match alterations against the knowledge base, in context.

A statement fires when the one matching rule of :mod:`tkiresist.knowledge.applies` says it
applies to the case's situation (categories present at the decision point, i.e. acquired,
persistent or not assessable; tumour type; the line in effect; the original driver and its
state; the C797X phase), and, for a resistance-mechanism statement, when at least one of its
triggers is *not the original driver*: the driver's persistence is context, not a mechanism.
The assumptions the rule made (a TKI generation not stated, a presumed driver, an untested
driver state or phase) are kept as notes on the mechanism.

Fallback statements (the standard options of a line) fire on context alone, whether or not a
mechanism was identified: standard care stands beside a targeted option.
Every statement considered leaves a trace entry saying why it fired or not.

A mechanism is *acquired* when its defining alterations (those matching the statement's
``match.any_of``) were acquired; a required ``all_of`` companion found earlier (T790M under a
C797S that arose on second-line osimertinib) does not make it pre-existing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from tkiresist.knowledge.applies import (
    DRIVER_CATEGORIES,
    Prior,
    Situation,
    Verdict,
    categories_reason,
    context_verdict,
)
from tkiresist.knowledge.loader import KnowledgeBase
from tkiresist.knowledge.schema import MeaningKind, Statement
from tkiresist.model.interpretation import (
    PRESENT_STATES,
    AlterationStatus,
    DecisionPoint,
    Mechanism,
    TraceEntry,
)
from tkiresist.model.vocabulary import MechanismClass

PRESENT = PRESENT_STATES


@dataclass(frozen=True, slots=True)
class CaseContext:
    """What the statements are matched against: the shared :class:`Situation`, and what only a
    timeline gives (the decision point, every alteration's status, the driver's names)."""

    point: DecisionPoint
    statuses: tuple[AlterationStatus, ...]
    situation: Situation
    driver_names: tuple[str, ...]

    @property
    def oncotree(self) -> str:
        return self.situation.oncotree

    @property
    def present(self) -> frozenset[str]:
        return self.situation.present

    @property
    def driver_categories(self) -> frozenset[str]:
        return self.situation.driver_categories

    @property
    def driver_state(self) -> str:
        return self.situation.driver_state

    @property
    def phase(self) -> str | None:
        return self.situation.phase


@dataclass(frozen=True, slots=True)
class Fired:
    statement: Statement
    alterations: tuple[AlterationStatus, ...]
    notes: tuple[str, ...] = field(default=())
    population: tuple[str, ...] = field(default=())
    """The notes on the evidence's population (a subset of ``notes``): said beside each option
    of the statement."""
    outside: bool = False
    """The patient is outside the population of the statement's trials (see
    :attr:`tkiresist.knowledge.applies.Verdict.outside`)."""
    new_driver: bool = False
    """A first-line statement fired because the EGFR driver is lost and its trigger is the
    tumour's new driver (:attr:`tkiresist.knowledge.applies.Verdict.new_driver`)."""


def prior_of(point: DecisionPoint) -> Prior:
    """The line in effect at the decision point as the matching rule's :class:`Prior`; no line
    is a known absence of therapy."""
    therapy = point.therapy
    if therapy is None:
        return Prior(known=True)
    return Prior(
        known=True,
        classes=frozenset(therapy.drug_classes),
        generations=frozenset(therapy.generations),
        unnamed=frozenset(therapy.unnamed_classes),
        drugs=frozenset(d.lower() for d in therapy.drugs),
        history=frozenset(therapy.history_classes) | frozenset(therapy.drug_classes),
    )


def _closure(category: str) -> frozenset[str]:
    from tkiresist.model.categories import CATALOGUE

    cats = {category}
    todo = [category]
    while todo:
        for b in CATALOGUE[todo.pop()].broader:
            cats.add(b)
            todo.append(b)
    return frozenset(cats)


def case_context(
    point: DecisionPoint,
    oncotree: str,
    statuses: Sequence[AlterationStatus],
    declared_driver: str | None = None,
    phase: str | None = None,
) -> CaseContext:
    present = frozenset(c for s in statuses if s.status in PRESENT for c in s.category)
    drivers = [
        s
        for s in statuses
        if any(c in s.category for c in DRIVER_CATEGORIES)
        and s.status in ("persistent", "lost", "not_assessable", "acquired", "baseline")
    ]
    # the original driver: seen in an earlier test, or (with no earlier test) present now
    original = [
        s
        for s in drivers
        if any(e.phase == "earlier" and e.result == "detected" for e in s.evidence)
    ] or [s for s in drivers if s.status in PRESENT and "egfr_sensitising" in s.category]
    base = Situation(oncotree=oncotree, present=present, prior=prior_of(point), phase=phase)
    if not original and declared_driver is not None:
        # the source says "EGFR-mutated" without naming the variant: the driver is known to
        # exist, its state at progression is not
        situation = replace(
            base, driver_categories=_closure(declared_driver), driver_state="unknown"
        )
        return CaseContext(point, tuple(statuses), situation, ())
    if not original:
        state = "none"
    elif any(s.status == "persistent" for s in original):
        state = "persistent"
    elif all(s.status == "lost" for s in original):
        state = "lost"
    else:
        state = "unknown"
    situation = replace(
        base,
        driver_categories=frozenset(c for s in original for c in s.category),
        driver_state=state,
    ).with_presumed_driver()
    return CaseContext(point, tuple(statuses), situation, tuple(s.name for s in original))


def _context(st: Statement, ctx: CaseContext) -> Verdict:
    """The matching rule's verdict on ``st``'s context (reason None when it holds, and the
    assumptions made). With no therapy line in effect (a decision point at diagnosis), only
    first-line (``treatment_naive``) statements can hold."""
    if ctx.point.therapy is None and not st.context.treatment_naive:
        return Verdict("no therapy line in effect at the decision point")
    return context_verdict(st, ctx.situation)


def _triggers(st: Statement, ctx: CaseContext) -> tuple[AlterationStatus, ...]:
    wanted = set(st.match.any_of) | set(st.match.all_of)
    return tuple(s for s in ctx.statuses if s.status in PRESENT and wanted & set(s.category))


def evaluate(kb: KnowledgeBase, ctx: CaseContext) -> tuple[list[Fired], list[TraceEntry]]:
    """Every statement that fires, and a trace entry for every candidate considered.

    Fallback statements (the standard options of the line) are evaluated on context alone and
    fire whether or not a mechanism did: a patient always has standard care. Their trace says
    which of the two it was."""
    fired: list[Fired] = []
    trace: list[TraceEntry] = []
    for st in kb.for_categories(ctx.present):
        triggers = _triggers(st, ctx)
        names = tuple(s.name for s in triggers)
        verdict = _context(st, ctx)
        reason = categories_reason(st, ctx.present) or verdict.reason
        is_mech = st.meaning.kind is MeaningKind.RESISTANCE_MECHANISM
        if reason is None and is_mech:
            non_driver = [s for s in triggers if s.name not in ctx.driver_names]
            if not non_driver:
                reason = "only the original driver matches: not a resistance mechanism"
            else:
                triggers = tuple(non_driver)
                names = tuple(s.name for s in triggers)
        if reason is not None:
            trace.append(TraceEntry(statement=st.id, fired=False, reason=reason, findings=names))
            continue
        notes = verdict.notes
        fired.append(
            Fired(st, triggers, notes, verdict.population, verdict.outside, verdict.new_driver)
        )
        why = f"matched {', '.join(names)} in context"
        if notes:
            why += f" ({'; '.join(notes)})"
        trace.append(TraceEntry(statement=st.id, fired=True, reason=why, findings=names))
    found = any(names_a_mechanism(f) for f in fired)
    superseding = [f.statement.id for f in fired if f.statement.supersedes_standard]
    for st in kb.fallback:
        verdict = _context(st, ctx)
        reason = verdict.reason
        if reason is None and superseding:
            reason = (
                f"superseded by {', '.join(superseding)}: the tumour's new histology has its "
                "own standard treatment"
            )
        if reason is None and found and st.match.without_mechanism:
            reason = "applies only when no resistance mechanism was identified; one was"
        if reason is not None:
            trace.append(TraceEntry(statement=st.id, fired=False, reason=reason))
            continue
        notes = verdict.notes
        fired.append(Fired(st, (), notes, verdict.population, verdict.outside))
        why = (
            "standard options of the line, beside the mechanism identified"
            if found
            else "no mechanism identified (fallback)"
        )
        if notes:
            why += f" ({'; '.join(notes)})"
        trace.append(TraceEntry(statement=st.id, fired=True, reason=why))
    return fired, trace


def names_mechanism(st: Statement) -> bool:
    """A resistance-mechanism statement that names a mechanism (not a risk marker such as
    TP53 + RB1, which calls for a re-biopsy rather than naming what happened)."""
    return st.meaning.kind is MeaningKind.RESISTANCE_MECHANISM and not st.meaning.risk_marker


def names_a_mechanism(f: Fired) -> bool:
    """A firing that names a mechanism: a resistance-mechanism statement (not a risk marker),
    or a driver's first-line statement fired because the EGFR driver is lost (the new driver
    is the mechanism, whether or not a resistance statement covers it in this context)."""
    return names_mechanism(f.statement) or f.new_driver


def risk_markers(fired: Iterable[Fired]) -> list[str]:
    """Warnings for risk-marker statements that fired."""
    return [
        f"{f.statement.meaning.label}: {f.statement.meaning.explanation}"
        for f in fired
        if f.statement.meaning.risk_marker
    ]


def _readings(fired: list[Fired]) -> dict[int, Fired]:
    """For each firing statement that needs the driver *lost* while a sibling on the same
    findings needs it *persistent*, the sibling: the two are one mechanism read two ways
    because the driver's state is unknown (#17: not two opposite mechanisms)."""
    from tkiresist.model.vocabulary import DriverState

    out: dict[int, Fired] = {}
    for i, f in enumerate(fired):
        if f.statement.context.driver_state is not DriverState.LOST:
            continue
        for g in fired:
            same = {s.name for s in g.alterations} == {s.name for s in f.alterations}
            if (
                same
                and g.statement.context.driver_state is DriverState.PERSISTENT
                and g.statement.meaning.mechanism_class == f.statement.meaning.mechanism_class
            ):
                out[i] = g
                break
    return out


def _defining(f: Fired) -> tuple[AlterationStatus, ...]:
    """The alterations that define the mechanism: those matching one of the statement's
    ``any_of`` triggers. An ``all_of`` companion (T790M beside C797S after second-line
    osimertinib) is the background the mechanism arose on, not the mechanism; with no ``any_of``
    match (an ``all_of``-only statement), every matched alteration defines it."""
    wanted = set(f.statement.match.any_of)
    own = tuple(s for s in f.alterations if wanted & set(s.category))
    return own or f.alterations


def _acquired(f: Fired) -> bool:
    """Acquired when every defining alteration was acquired: pre-existing companions do not
    make the mechanism pre-existing."""
    defining = _defining(f)
    return bool(defining) and all(s.status == "acquired" for s in defining)


def mechanisms(fired: Iterable[Fired]) -> list[Mechanism]:
    """One mechanism per firing resistance-mechanism statement; where the driver was not
    re-tested and both the "driver persists" and the "driver lost" reading of the same findings
    fired, one mechanism (the persisting reading: an EGFR driver is truncal and usually stays)
    that names the other reading as the uncertainty it is."""
    fired = list(fired)
    covered = {s.name for f in fired if names_mechanism(f.statement) for s in _defining(f)}
    # a new driver no resistance statement names in this context (BRAF V600E replacing the
    # deletion after erlotinib, where the BRAF bypass statement is for osimertinib) is named by
    # its own first-line statement
    fired = [
        f
        for f in fired
        if names_mechanism(f.statement)
        or (f.new_driver and not {s.name for s in f.alterations} <= covered)
    ]
    alternative = _readings(fired)
    merged_into = {id(g): fired[i] for i, g in alternative.items()}
    out: list[Mechanism] = []
    for i, f in enumerate(fired):
        if i in alternative:
            continue  # said as the uncertainty of its persisting reading
        st = f.statement
        klass = st.meaning.mechanism_class or MechanismClass.OFF_TARGET
        label = st.meaning.label
        if f.new_driver and not names_mechanism(st):
            label += " (new driver: the EGFR driver is lost)"
        explanation = st.meaning.explanation
        notes = [n for n in f.notes if not n.startswith("assumes the EGFR driver")]
        statements: tuple[str, ...] = (st.id,)
        other = merged_into.get(id(f))
        if other is not None:
            notes.append(
                "The EGFR driver was not re-tested at progression: if it was lost, this is "
                f"rather '{other.statement.meaning.label}' ({other.statement.id}); re-test the "
                "EGFR driver on the progression sample to tell."
            )
            statements = (st.id, other.statement.id)
        elif len(notes) != len(f.notes):
            notes = list(f.notes)
        if notes:
            explanation += " " + " ".join(notes)
        out.append(
            Mechanism(
                id=st.id,
                label=label,
                **{"class": klass.value},
                alterations=tuple(s.name for s in f.alterations),
                statements=statements,
                explanation=explanation,
                acquired=_acquired(f),
                evidence_level=st.evidence_level,
                citations=st.citations,
            )
        )
    return out
