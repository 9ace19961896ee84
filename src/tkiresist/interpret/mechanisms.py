"""Step 3 of the engine: match alterations against the knowledge base, in context.

A statement fires when

1. its categories match (``any_of`` present, every ``all_of`` present, no ``none_of``), where
   "present" means detected at the decision point (acquired, persistent or not assessable);
2. its disease includes the case's OncoTree code (NSCLC covers the non-small-cell codes);
3. its context holds: the line in effect includes a drug of one of ``prior_drug_classes``
   (of the given generations), the original driver is the one named, in the state named
   (persistent or lost);
4. for a ``phase`` (C797X with T790M in cis or in trans): the phase is rarely known, so both
   statements fire, flagged, and phasing is recommended.

A resistance-mechanism statement needs at least one of its trigger categories to come from an
alteration that is *not the original driver*; the driver's persistence is context, not a
mechanism. Fallback statements ("no identified mechanism") fire only when no mechanism did.
Every statement considered leaves a trace entry saying why it fired or not.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tkiresist.knowledge.loader import KnowledgeBase
from tkiresist.knowledge.schema import Citation, DriverState, MeaningKind, Statement
from tkiresist.model.interpretation import (
    AlterationStatus,
    CitationOut,
    DecisionPoint,
    Mechanism,
    TraceEntry,
)

PRESENT = ("acquired", "persistent", "not_assessable")
NSCLC_CODES = frozenset({"NSCLC", "LUAD", "LUSC", "LCLC", "NSCLCPD", "LUAS", "SCLC"})
DRIVER_CATEGORIES = ("egfr_sensitising", "egfr_ex20ins")


@dataclass(frozen=True, slots=True)
class CaseContext:
    """What the statements are matched against."""

    point: DecisionPoint
    oncotree: str
    statuses: tuple[AlterationStatus, ...]
    present: frozenset[str]
    driver_categories: frozenset[str]
    driver_state: str  # persistent | lost | unknown | none
    driver_names: tuple[str, ...]
    phase: str | None = None  # C797X relative to T790M, when a test reports it


@dataclass(frozen=True, slots=True)
class Fired:
    statement: Statement
    alterations: tuple[AlterationStatus, ...]
    notes: tuple[str, ...] = field(default=())


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
        and s.status in ("persistent", "lost", "not_assessable", "acquired")
    ]
    # the original driver: seen in an earlier test, or (with no earlier test) present now
    original = [
        s
        for s in drivers
        if any(e.phase == "earlier" and e.result == "detected" for e in s.evidence)
    ] or [s for s in drivers if s.status in PRESENT and "egfr_sensitising" in s.category]
    if not original and declared_driver is not None:
        # the source says "EGFR-mutated" without naming the variant: the driver is known to
        # exist, its state at progression is not
        from tkiresist.model.categories import CATALOGUE

        cats = {declared_driver}
        todo = [declared_driver]
        while todo:
            for b in CATALOGUE[todo.pop()].broader:
                cats.add(b)
                todo.append(b)
        return CaseContext(
            point=point,
            oncotree=oncotree,
            statuses=tuple(statuses),
            present=present,
            driver_categories=frozenset(cats),
            driver_state="unknown",
            driver_names=(),
            phase=phase,
        )
    if not original:
        state = "none"
    elif any(s.status == "persistent" for s in original):
        state = "persistent"
    elif all(s.status == "lost" for s in original):
        state = "lost"
    else:
        state = "unknown"
    return CaseContext(
        point=point,
        oncotree=oncotree,
        statuses=tuple(statuses),
        present=present,
        driver_categories=frozenset(c for s in original for c in s.category),
        driver_state=state,
        driver_names=tuple(s.name for s in original),
        phase=phase,
    )


def _disease_ok(st: Statement, code: str) -> bool:
    codes = set(st.disease)
    return code in codes or ("NSCLC" in codes and code in NSCLC_CODES)


def _context_reason(st: Statement, ctx: CaseContext) -> str | None:
    """None when the context holds; else why not."""
    therapy = ctx.point.therapy
    c = st.context
    if therapy is None:
        return "no therapy line in effect at the decision point"
    if not set(c.prior_drug_classes) & set(therapy.drug_classes):
        return (
            f"needs progression on {'/'.join(c.prior_drug_classes)}; line {therapy.event_id!r} "
            f"is {'/'.join(therapy.drug_classes) or 'unclassified'}"
        )
    if c.prior_generations is not None and not set(c.prior_generations) & set(therapy.generations):
        gens = "/".join(str(g) for g in c.prior_generations)
        return f"needs generation {gens} TKI; line has {list(therapy.generations)}"
    if c.driver is not None and c.driver not in ctx.driver_categories:
        return f"needs original driver {c.driver}; case has {sorted(ctx.driver_categories)}"
    # "unknown": the driver was not re-tested at progression; both readings stay open
    if c.driver_state is DriverState.PERSISTENT and ctx.driver_state not in (
        "persistent",
        "unknown",
    ):
        return f"needs the driver persistent; it is {ctx.driver_state}"
    if c.driver_state is DriverState.LOST and ctx.driver_state not in ("lost", "unknown"):
        return f"needs the driver lost; it is {ctx.driver_state}"
    if c.phase is not None and ctx.phase is not None and c.phase.value != ctx.phase:
        return f"needs C797X in {c.phase.value} with T790M; the test reports {ctx.phase}"
    return None


def _triggers(st: Statement, ctx: CaseContext) -> tuple[AlterationStatus, ...]:
    wanted = set(st.match.any_of) | set(st.match.all_of)
    return tuple(s for s in ctx.statuses if s.status in PRESENT and wanted & set(s.category))


def evaluate(kb: KnowledgeBase, ctx: CaseContext) -> tuple[list[Fired], list[TraceEntry]]:
    """Every statement that fires, and a trace entry for every candidate considered."""
    fired: list[Fired] = []
    trace: list[TraceEntry] = []
    for st in kb.for_categories(ctx.present):
        triggers = _triggers(st, ctx)
        names = tuple(s.name for s in triggers)
        m = st.match
        reason: str | None = None
        if not set(m.any_of) & ctx.present:
            reason = "none of its trigger categories is present"
        elif not set(m.all_of) <= ctx.present:
            reason = f"needs also {sorted(set(m.all_of) - ctx.present)}"
        elif set(m.none_of) & ctx.present:
            reason = f"excluded by {sorted(set(m.none_of) & ctx.present)}"
        elif not _disease_ok(st, ctx.oncotree):
            reason = f"disease {ctx.oncotree} not in {list(st.disease)}"
        else:
            reason = _context_reason(st, ctx)
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
        notes: list[str] = []
        if st.context.driver_state is not DriverState.ANY and ctx.driver_state == "unknown":
            notes.append(
                f"assumes the EGFR driver {st.context.driver_state.value}: it was not re-tested "
                "at progression"
            )
        if st.context.phase is not None and ctx.phase is None:
            notes.append(f"assumes C797X and T790M in {st.context.phase.value}; phase not known")
        fired.append(Fired(st, triggers, tuple(notes)))
        why = f"matched {', '.join(names)} in context"
        if notes:
            why += f" ({notes[0]})"
        trace.append(TraceEntry(statement=st.id, fired=True, reason=why, findings=names))
    if not any(names_mechanism(f.statement) for f in fired):
        for st in kb.fallback:
            reason = None
            if not _disease_ok(st, ctx.oncotree):
                reason = f"disease {ctx.oncotree} not in {list(st.disease)}"
            else:
                reason = _context_reason(st, ctx)
            if reason is None:
                fired.append(Fired(st, ()))
                trace.append(
                    TraceEntry(
                        statement=st.id, fired=True, reason="no mechanism identified (fallback)"
                    )
                )
            else:
                trace.append(TraceEntry(statement=st.id, fired=False, reason=reason))
    return fired, trace


def names_mechanism(st: Statement) -> bool:
    """A resistance-mechanism statement that names a mechanism (not a risk marker such as
    TP53 + RB1, which calls for a re-biopsy rather than naming what happened)."""
    return st.meaning.kind is MeaningKind.RESISTANCE_MECHANISM and not st.meaning.risk_marker


def risk_markers(fired: Iterable[Fired]) -> list[str]:
    """Warnings for risk-marker statements that fired."""
    return [
        f"{f.statement.meaning.label}: {f.statement.meaning.explanation}"
        for f in fired
        if f.statement.meaning.risk_marker
    ]


def citation_out(c: Citation) -> CitationOut:
    return CitationOut(
        id=c.id,
        doi=c.doi,
        pmid=c.pmid,
        first_author=c.first_author,
        year=c.year,
        journal=c.journal,
        trial=c.trial,
        url=c.url,
        uncertain=c.uncertain,
    )


def mechanisms(fired: Iterable[Fired]) -> list[Mechanism]:
    """One mechanism per firing resistance-mechanism statement."""
    out: list[Mechanism] = []
    for f in fired:
        st = f.statement
        if not names_mechanism(st):
            continue
        assert st.meaning.mechanism_class is not None
        explanation = st.meaning.explanation
        if f.notes:
            explanation += " " + " ".join(f.notes)
        out.append(
            Mechanism(
                id=st.id,
                label=st.meaning.label,
                **{"class": st.meaning.mechanism_class.value},
                alterations=tuple(s.name for s in f.alterations),
                statements=(st.id,),
                explanation=explanation,
                acquired=bool(f.alterations) and all(s.status == "acquired" for s in f.alterations),
                evidence_level=st.evidence_level.value,
                citations=tuple(citation_out(c) for c in st.citations),
            )
        )
    return out
