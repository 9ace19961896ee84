"""A plain-text summary of an interpretation, for the terminal."""

from __future__ import annotations

from tkiresist.model.interpretation import CitationOut, Interpretation

_STATUS = {
    "acquired": "ACQUIRED",
    "persistent": "persistent",
    "lost": "LOST",
    "not_assessable": "not assessable",
    "not_detected": "not detected",
}


def _cite(c: CitationOut) -> str:
    label = f"{c.first_author} {c.year}"
    if c.trial:
        label += f" ({c.trial})"
    ref = f"doi:{c.doi}" if c.doi else f"PMID {c.pmid}"
    unverified = " (citation not fully verified)" if c.uncertain else ""
    return f"{label}, {ref}{unverified}"


def render_text(result: Interpretation) -> str:
    dp = result.decision_point
    lines: list[str] = []
    add = lines.append
    add(f"tkiresist interpretation of case {result.case_id}")
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
