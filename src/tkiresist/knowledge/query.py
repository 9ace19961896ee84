"""Find statements for ``tkiresist kb show QUERY``, and describe them as text.

A query matches a statement when it is (case-insensitively):

* its id, or a substring of its id or title;
* a category id it names, or a word of that category's label;
* a gene: an HGNC symbol or an unambiguous alias (``HER2`` finds ERBB2 statements) of a gene
  of its categories or of its own ``genes``;
* a drug of one of its regimens, by generic, brand or code name (through the drug
  dictionary when it is available);
* a citation id, trial name, DOI or PMID it cites.

An exact id comes first; the rest keep knowledge-base order.
"""

from __future__ import annotations

import importlib

from tkiresist.errors import ParseError
from tkiresist.knowledge.lint import DRUGS_MODULE
from tkiresist.knowledge.loader import KnowledgeBase
from tkiresist.knowledge.schema import Statement
from tkiresist.model.categories import CATALOGUE
from tkiresist.nomenclature.genes import resolve


def _gene(query: str) -> str | None:
    try:
        return resolve(query)
    except ParseError:
        return None


def _drug(query: str) -> str | None:
    try:
        module = importlib.import_module(DRUGS_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != DRUGS_MODULE:
            raise
        return None
    try:
        return str(module.lookup(query).generic)
    except ParseError:
        return None


def _genes_of(st: Statement) -> set[str]:
    genes = set(st.genes)
    for cat in st.match.categories:
        category = CATALOGUE.get(cat)
        if category is not None:
            genes.update(category.genes)
    return genes


def _matches(st: Statement, q: str, gene: str | None, drug: str | None) -> bool:
    if q in st.id or q in st.title.lower():
        return True
    for cat in st.match.categories:
        category = CATALOGUE.get(cat)
        label = category.label.lower() if category is not None else ""
        if q == cat or q in label.replace("(", " ").replace(")", " ").split():
            return True
    if gene is not None and gene in _genes_of(st):
        return True
    names = {d.drug.lower() for r in st.regimens for d in r.drugs}
    if q in names or (drug is not None and drug.lower() in names):
        return True
    for c in st.citations:
        keys = {c.id, (c.trial or "").lower(), (c.doi or "").lower(), c.pmid or ""}
        if q in keys:
            return True
    return False


def search(kb: KnowledgeBase, query: str) -> list[Statement]:
    """Statements matching ``query`` (see the module rules); an empty query matches none."""
    q = " ".join(query.split()).lower()
    if not q:
        return []
    gene = _gene(query.strip())
    drug = _drug(query.strip())
    exact = kb.by_id.get(q)
    found = [st for st in kb.statements if st is not exact and _matches(st, q, gene, drug)]
    return [exact, *found] if exact is not None else found


def describe(st: Statement) -> str:
    """A readable multi-line summary of one statement."""
    lines = [f"{st.id}: {st.title}"]
    m = st.meaning
    kind = f"{m.kind}" + (f" ({m.mechanism_class})" if m.mechanism_class else "")
    lines.append(f"  meaning: {kind}: {m.label}")
    lines.append(f"  {m.explanation}")
    match = f"any of {', '.join(st.match.any_of)}" if st.match.any_of else "fallback"
    if st.match.all_of:
        match += f"; all of {', '.join(st.match.all_of)}"
    if st.match.none_of:
        match += f"; none of {', '.join(st.match.none_of)}"
    lines.append(f"  match: {match}")
    ctx = st.context
    context = (
        "first line (no prior therapy)"
        if ctx.treatment_naive
        else f"after {', '.join(ctx.prior_drug_classes)}"
    )
    if ctx.prior_generations:
        context += f" (generation {', '.join(str(g) for g in ctx.prior_generations)})"
    if ctx.driver:
        context += f"; driver {ctx.driver} {ctx.driver_state}"
    if ctx.phase:
        context += f"; phase {ctx.phase}"
    lines.append(f"  context: {context}; disease {', '.join(st.disease)}")
    lines.append(f"  evidence: level {st.evidence_level}, AMP tier {st.amp_tier}")
    for i, r in enumerate(st.regimens, start=1):
        drugs = " + ".join(f"{d.drug} ({d.role})" for d in r.drugs)
        extra = ", CNS-active" if r.cns_active else ""
        lines.append(f"  option {i}: {drugs} -> {r.effect}, level {st.level_for(r)}{extra}")
        if r.note:
            lines.append(f"    {r.note}")
    if st.cns_note:
        lines.append(f"  CNS: {st.cns_note}")
    if st.frequency:
        lines.append(f"  frequency: {st.frequency.text} [{st.frequency.citation}]")
    for t in st.thresholds:
        lines.append(f"  threshold ({t.method}): {t.definition} [{t.citation}]")
    if st.uncertain:
        lines.append(f"  UNCERTAIN: {st.uncertain_note or 'not fully verified'}")
    for c in st.citations:
        ids = (f"doi:{c.doi}" if c.doi else "", f"PMID:{c.pmid}" if c.pmid else "")
        ident = " ".join(p for p in ids if p)
        lines.append(f"  [{c.id}] {c.short()} {ident}")
    return "\n".join(lines)


def by_approval(kb: KnowledgeBase, status: str, region: str | None = None) -> list[str]:
    """One line per regimen with a decision of ``status`` (``approved`` includes accelerated;
    ``none``: regimens with no decision recorded), in ``region`` when given:
    ``FDA approved 2024-09-19  amivantamab + carboplatin + pemetrexed  [statement] indication``.
    A status or region outside the vocabulary is a located error."""
    from tkiresist.errors import Location
    from tkiresist.knowledge.schema import APPROVED_STATUSES, ApprovalStatus, Effect, Region

    statuses = {s.value for s in ApprovalStatus} | {"none"}
    if status not in statuses:
        raise ParseError(
            "approval status",
            status,
            None,
            ", ".join(sorted(statuses)),
            Location(field="--approval"),
        )
    if region is not None and region not in {r.value for r in Region}:
        raise ParseError(
            "region", region, None, ", ".join(r.value for r in Region), Location(field="--region")
        )
    out: list[str] = []
    for st in kb.statements:
        for reg in st.regimens:
            if reg.effect is not Effect.SENSITIVITY:
                continue
            drugs = " + ".join(reg.drug_names)
            if status == "none":
                if not any(region in (None, a.region.value) for a in reg.approvals):
                    out.append(f"(no decision recorded)  {drugs}  [{st.id}]")
                continue
            for a in reg.approvals:
                wanted = (
                    a.status in APPROVED_STATUSES if status == "approved" else a.status == status
                )
                if wanted and region in (None, a.region.value):
                    out.append(
                        f"{a.region.value} {a.status.value} {a.date or 'date?'}  {drugs}  "
                        f"[{st.id}] "
                        f"{a.indication} ({a.source})"
                    )
    return out
