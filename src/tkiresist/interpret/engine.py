"""The interpretation engine: a pure function from a case and knowledge to an Interpretation.

No I/O happens here: the caller loads the case and the knowledge base (once) and passes them
in, with an optional lookup of pooled registry evidence per regimen.

Steps (numbered as in issue #3):

1. decision point (:func:`tkiresist.interpret.serial.decision_point`);
2. serial comparison (:func:`tkiresist.interpret.serial.serial_comparison`), and for a case
   with two or more plasma (or CSF) draws their dynamics on the line
   (:func:`tkiresist.interpret.dynamics.dynamics`: molecular response and progression, lead
   time, clonal context);
3. mechanisms (:mod:`tkiresist.interpret.mechanisms`);
4. options (:mod:`tkiresist.interpret.options`);
5. tests still needed (:mod:`tkiresist.interpret.recommended_tests`);
6. trace: every statement considered, and why it fired or not.
"""

from __future__ import annotations

from dataclasses import replace

from tkiresist.interpret import mechanisms as mech
from tkiresist.interpret.dynamics import dynamics
from tkiresist.interpret.options import PooledLookup, rank
from tkiresist.interpret.recommended_tests import recommend
from tkiresist.interpret.serial import (
    c797x_phase,
    decision_point,
    relapsed_off_therapy,
    serial_comparison,
)
from tkiresist.knowledge.applies import Situation
from tkiresist.knowledge.loader import KnowledgeBase
from tkiresist.model.case import Case
from tkiresist.model.interpretation import PRESENT_STATES as PRESENT
from tkiresist.model.interpretation import DecisionPoint, Interpretation, KnowledgeBaseStamp
from tkiresist.model.timeline import ResponseAssessment, TherapyLine


def interpret(
    case: Case,
    kb: KnowledgeBase,
    at: str | None = None,
    pooled: PooledLookup | None = None,
) -> Interpretation:
    """Interpret ``case`` at ``at`` (an event id) or at its latest progression."""
    point = decision_point(case, at)
    statuses, warnings = serial_comparison(case, point)
    dx = case.diagnosis
    phase, phase_warnings = c797x_phase(case, point)
    warnings.extend(phase_warnings)
    ctx = mech.case_context(point, dx.oncotree_code, statuses, dx.driver, phase)
    ctx = replace(ctx, situation=_with_population(case, point, ctx.situation))
    fired, trace = mech.evaluate(kb, ctx)
    mechanisms = mech.mechanisms(fired)
    options, avoid = rank(fired, ctx, pooled)

    matched: set[str] = set()
    for f in fired:
        matched.update(s.name for s in f.alterations)
    driver = set(ctx.driver_names)
    reconciled = {
        s.name for s in statuses if s.orthogonal == "agree" and s.alteration.kind == "expression"
    }
    statuses = [
        s.model_copy(update={"kb_match": s.name in matched or s.name in driver}) for s in statuses
    ]
    unmatched = tuple(
        s.name
        for s in statuses
        if s.status in PRESENT
        and s.name not in matched
        and s.name not in driver
        and s.name not in reconciled
    )
    warnings.extend(mech.risk_markers(fired))
    # what the matching rule could not know and assumed (a TKI generation not stated, a
    # presumed driver): said once, whatever fired on it
    warnings.extend(n for f in fired for n in f.notes if not n.startswith("assumes"))
    off = relapsed_off_therapy(case, point.event_id) if point.therapy is None else None
    if off is not None:
        line, since = off
        drugs = " + ".join(a.drug for a in line.agents)
        warnings.append(
            f"relapse {since:.1f} months after {line.id} ({drugs}) stopped "
            f"({line.stop_reason}): not a progression on it, so the first-line options apply, "
            "re-treatment with its drugs included"
        )
    elif point.therapy is None:
        warnings.append(
            "no therapy line in effect at the decision point: only first-line statements "
            "(no prior therapy) apply"
        )
    if not options:
        warnings.append("no option in the knowledge base for this context")
    tests = recommend(case, point, statuses, mechanisms, phase, kb=kb, situation=ctx.situation)
    return Interpretation(
        case_id=case.id,
        decision_point=point,
        alterations=tuple(statuses),
        mechanisms=tuple(mechanisms),
        options=tuple(options),
        avoid=tuple(avoid),
        recommended_tests=tuple(tests),
        unmatched=unmatched,
        warnings=tuple(dict.fromkeys(warnings)),
        trace=tuple(trace),
        dynamics=dynamics(case, point),
        knowledge_base=KnowledgeBaseStamp(**kb.meta()),
    )


PROGRESSION_WINDOW = 1.0
"""Months before the decision point within which progression assessments of the line in
effect count as one progression (a brain MRI and a body CT are rarely done the same day)."""


def _with_population(case: Case, point: DecisionPoint, situation: Situation) -> Situation:
    """The situation with what only the timeline says of the progression, for statements
    whose trial enrolled a narrower population (:mod:`tkiresist.knowledge.applies`, rules 3
    and 7): where it progressed, and what the lines before the one in effect gave.

    The sites are those of the progression assessments (``response`` events with category PD)
    of the line in effect, up to the decision point and within :data:`PROGRESSION_WINDOW`:
    ``cns_only`` if every one is in the CNS, ``cns`` if one is in the CNS and another is not
    (an ``overall`` assessment counts as not limited to the CNS), ``extracranial`` if one is and
    none is in the CNS, unknown
    (None) when each is ``overall``. The earlier lines are the timeline's lines started before
    the line in effect, as for the history; a line number stated as 1 means none, and one
    stated above 1 with no earlier line on the timeline means they are not known."""
    from tkiresist.interpret.serial import EPS
    from tkiresist.nomenclature import drugs

    therapy = point.therapy
    if therapy is None:
        return situation
    months = case.months()
    now = months[point.event_id]
    sites = {
        e.site
        for e in case.events
        if isinstance(e, ResponseAssessment)
        and e.is_progression
        and e.therapy in (None, therapy.event_id)
        and now - PROGRESSION_WINDOW - EPS <= months[e.id] <= now + EPS
    }
    site = (
        "cns_only"
        if sites == {"cns"}
        else "cns"
        if "cns" in sites
        else "extracranial"
        if "extracranial" in sites
        else None
    )
    lines = [
        e
        for e in case.events
        if isinstance(e, TherapyLine) and months[e.id] < therapy.start_month - EPS
    ]
    earlier: frozenset[str] | None = frozenset(
        c.value for line in lines for a in line.agents for c in drugs.lookup(a.drug).classes
    )
    if therapy.line == 1:
        earlier = frozenset()
    elif therapy.line is not None and not lines:
        earlier = None
    prior = replace(situation.prior, earlier=earlier)
    return replace(situation, prior=prior, progression_site=site)
