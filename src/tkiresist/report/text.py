"""A plain-text summary of an interpretation, for the terminal."""

from __future__ import annotations

from tkiresist.model.citation import KnowledgeCitation
from tkiresist.model.interpretation import Dynamics, Interpretation

_STATUS = {
    "acquired": "ACQUIRED",
    "baseline": "at diagnosis",
    "persistent": "persistent",
    "lost": "LOST",
    "not_assessable": "not assessable",
    "not_detected": "not detected",
}


def _cite(c: KnowledgeCitation) -> str:
    label = f"{c.first_author} {c.year}"
    if c.trial:
        label += f" ({c.trial})"
    ref = f"doi:{c.doi}" if c.doi else f"PMID {c.pmid}"
    unverified = " (citation not fully verified)" if c.uncertain else ""
    return f"{label}, {ref}{unverified}"


def _dynamics(d: Dynamics) -> list[str]:
    """The Dynamics section of one compartment (#15): series, response, progression with its
    lead time, clonal context, what the negative draws can and cannot say, and the rules."""
    where = "plasma" if d.compartment == "plasma" else "CSF"
    head = f"Dynamics ({where}"
    head += f", line {d.line}" if d.line else ", no line in effect"
    head += f"; driver {d.driver}):" if d.driver else "; no EGFR driver known):"
    out = [head]
    draws = []
    for w in d.draws:
        tag = {"baseline": " baseline", "earlier": " earlier", "on_line": ""}[w.phase]
        tf = f" TF {100 * w.tumour_fraction:.3g}%" if w.tumour_fraction is not None else ""
        draws.append(f"{w.test}@{w.month:.0f}m{tag}{tf}")
    out.append("  draws: " + ", ".join(draws))
    for s in d.series:
        points = " | ".join(f"{p.month:.0f}m {p}" for p in s.points)
        out.append(f"  {s.name} [{s.role}]: {points}")
        out.extend(f"      - {n}" for n in s.notes)
    r = d.response
    out.append(f"  molecular response: {r.status.replace('_', ' ')}: {r.reason}")
    if r.status == "response" and r.how == "fall" and r.cleared_month is not None:
        out.append(f"      - driver cleared at month {r.cleared_month:.1f}")
    p = d.progression
    lead = ""
    if p.lead_time_months is not None and p.lead_time_months > 0:
        lead = f" [lead time {p.lead_time_months:g} months]"
    out.append(f"  molecular progression: {p.status.replace('_', ' ')}{lead}: {p.reason}")
    for c in d.clonality:
        out.append(f"  clonal context: {c.alteration} at {c.month:.0f}m: {c.call} ({c.note})")
    out.extend(f"  - {w.test}@{w.month:.0f}m: {w.note}" for w in d.draws if w.note)
    out.extend(f"  - {n}" for n in d.notes)
    out.extend(f"  rule: {rule}" for rule in d.rules)
    return out


def render_text(result: Interpretation) -> str:
    dp = result.decision_point
    lines: list[str] = []
    add = lines.append
    kind = "first-line interpretation" if dp.therapy is None else "interpretation"
    add(f"tkiresist {kind} of case {result.case_id}")
    add(f"Decision point: {dp.event_id}, {dp.description}")
    if dp.therapy is not None:
        t = dp.therapy
        add(
            f"Line in effect: {t.event_id} ({' + '.join(t.drugs)}; "
            f"{', '.join(t.drug_classes)}), from month {t.start_month:.1f}"
        )
    if dp.cns_disease:
        add(
            "CNS disease on the timeline: yes"
            + (" (this progression is in the CNS)" if dp.cns_progression else "")
        )
    add("")
    add("Alterations (serial comparison):")
    for a in result.alterations:
        tests = ", ".join(
            f"{e.test}@{e.month:.0f}m:{e.result.replace('_implicit', '*')}" for e in a.evidence
        )
        add(f"  {a.name:<32} {_STATUS[a.status]:<15} [{tests}]")
        for note in a.notes:
            add(f"      - {note}")
    for dyn in result.dynamics:
        add("")
        lines.extend(_dynamics(dyn))
    add("")
    add("Mechanisms:")
    if not result.mechanisms:
        add("  none identified")
    for m in result.mechanisms:
        add(
            f"  {m.label} [{m.class_}] from {', '.join(m.alterations)} "
            f"(level {m.evidence_level}; {m.id})"
        )
    add("")
    add("Options (ranked):")
    if not result.options:
        add("  none in the knowledge base for this context")
    for o in result.options:
        cns = "CNS-active" if o.cns_active else "not documented CNS-active"
        flag = ", rests on an uncertain statement" if o.uncertain else ""
        add(
            f"  {o.rank}. {o.label}  [level {o.evidence_level}, AMP tier {o.amp_tier}, {cns}{flag}]"
        )
        # why it ranks here, with the regimen's notes (a dose, a population extrapolated):
        # the text report used to drop them, so BLOOM's 160 mg read as plain "osimertinib"
        add(f"     why: {o.rationale}")
        if o.approvals:
            add("     approval: " + "; ".join(str(a) for a in o.approvals))
        if o.cns_detail:
            add(f"     CNS activity: {o.cns_detail}")
        if o.pooled is not None:
            add(f"     pooled: {o.pooled}")
        for c in o.citations[:4]:
            add(f"     - {_cite(c)}")
    for av in result.avoid:
        add(f"  avoid: {' + '.join(av.drugs)} ({av.reason})")
    add("")
    add("Tests:")
    if not result.recommended_tests:
        add("  none further")
    for rt in result.recommended_tests:
        add(f"  [{rt.status}] {rt.kind}: {rt.reason}")
    if result.unmatched:
        add("")
        add("No knowledge-base match: " + ", ".join(result.unmatched))
    if result.warnings:
        add("")
        for w in result.warnings:
            add(f"warning: {w}")
    add("")
    kb = result.knowledge_base
    add(f"Knowledge base {kb.version} ({kb.date}).")
    add(result.disclaimer)
    return "\n".join(lines) + "\n"
