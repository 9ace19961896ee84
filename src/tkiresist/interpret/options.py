"""Step 4 of the engine: rank the regimens that the firing statements support.

Regimens with the same drugs (in any order) are merged: their statements and citations are
pooled and the best evidence level is kept. Each is then scored; the score and its parts are
kept in the rationale so a reviewer can check the ranking:

* evidence level: A 50, B 40, C 30, D 20, E 10;
* driver fit: +8 when the EGFR driver persists and the regimen keeps an EGFR TKI (continue the
  TKI, add the drug for the bypass), +8 when the driver is lost and the regimen has no EGFR TKI,
  -8 when the driver is lost and the regimen keeps one; +4 for keeping the EGFR TKI when the
  driver was not re-tested at progression (an EGFR driver is truncal and usually persists);
* CNS: when *this progression* is in the CNS, +25 for a CNS-active regimen and -10 for one
  that is not: a drug that does not reach the disease that is progressing does not help, so CNS
  activity outweighs up to two evidence levels (alectinib or lorlatinib over crizotinib for ALK,
  as the seed's authors conclude). When the timeline shows CNS disease but this progression is
  elsewhere, +6 and -3;
* already failing: -40 when every drug of the regimen is in the line the patient progressed on;
* pooled registry evidence: + n/100 (at most 0.5), a tie-breaker only;
* uncertain statements: -2.

Ties keep knowledge-base order. A regimen that a statement marks as *resistance* is never an
option; it is listed under "avoid".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tkiresist.interpret.mechanisms import CaseContext, Fired, citation_out
from tkiresist.knowledge.schema import Citation, DrugRole, Effect, MeaningKind, Regimen
from tkiresist.model.interpretation import Avoid, Option, PooledEvidence

LEVEL_SCORE = {"A": 50, "B": 40, "C": 30, "D": 20, "E": 10}
TIER_ORDER = {"I": 0, "II": 1, "III": 2, "IV": 3}

PooledLookup = Callable[[tuple[str, ...]], PooledEvidence | None]


@dataclass
class _Candidate:
    drugs: tuple[str, ...]
    roles: tuple[str, ...]
    level: str
    tier: str
    cns_active: bool
    statements: list[str] = field(default_factory=list)
    mechanisms: list[str] = field(default_factory=list)
    citations: dict[str, Citation] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    uncertain: bool = False
    order: int = 0


def _cns_active(regimen: Regimen) -> bool:
    """The statement's flag, or every targeted drug documented CNS-active (high/moderate)."""
    if regimen.cns_active:
        return True
    from tkiresist.nomenclature import drugs

    levels = []
    for d in regimen.drugs:
        drug = drugs.lookup(d.drug)
        if drug.is_tki:
            levels.append(drug.cns.level.value)
    return bool(levels) and all(level in ("high", "moderate") for level in levels)


def cns_detail(names: Iterable[str]) -> str:
    """``alectinib: high (ALEX); osimertinib: high (FLAURA)`` from the drug dictionary."""
    from tkiresist.nomenclature import drugs

    parts = []
    for name in names:
        cns = drugs.lookup(name).cns
        trials = sorted({s.trial for s in cns.sources if s.trial})
        where = f" ({', '.join(trials)})" if trials else ""
        parts.append(f"{name}: {cns.level.value}{where}")
    return "; ".join(parts)


def _is_egfr_tki(name: str) -> bool:
    from tkiresist.nomenclature import drugs

    return drugs.lookup(name).is_egfr_tki


def candidates(fired: Iterable[Fired]) -> tuple[list[_Candidate], list[Avoid]]:
    merged: dict[frozenset[str], _Candidate] = {}
    avoid: dict[frozenset[str], Avoid] = {}
    order = 0
    for f in fired:
        st = f.statement
        mech = st.id if st.meaning.kind is MeaningKind.RESISTANCE_MECHANISM else None
        for reg in st.regimens:
            key = reg.drug_set
            if reg.effect is Effect.RESISTANCE:
                prev = avoid.get(key)
                avoid[key] = Avoid(
                    drugs=tuple(d.drug.lower() for d in reg.drugs),
                    reason=reg.note or st.meaning.label,
                    statements=((*prev.statements, st.id) if prev else (st.id,)),
                )
                continue
            level = st.level_for(reg).value
            cand = merged.get(key)
            if cand is None:
                cand = _Candidate(
                    drugs=tuple(d.drug.lower() for d in reg.drugs),
                    roles=tuple(d.role.value for d in reg.drugs),
                    level=level,
                    tier=st.amp_tier.value,
                    cns_active=_cns_active(reg),
                    order=order,
                )
                order += 1
                merged[key] = cand
            elif LEVEL_SCORE[level] > LEVEL_SCORE[cand.level]:
                cand.level = level
            if TIER_ORDER[st.amp_tier.value] < TIER_ORDER[cand.tier]:
                cand.tier = st.amp_tier.value
            cand.cns_active = cand.cns_active or _cns_active(reg)
            if st.id not in cand.statements:
                cand.statements.append(st.id)
            if mech and mech not in cand.mechanisms:
                cand.mechanisms.append(mech)
            for c in st.citations_for(reg):
                cand.citations.setdefault(c.id, c)
            if reg.note and reg.note not in cand.notes:
                cand.notes.append(reg.note)
            cand.uncertain = cand.uncertain or st.uncertain
    return list(merged.values()), list(avoid.values())


def rank(
    fired: Iterable[Fired], ctx: CaseContext, pooled: PooledLookup | None = None
) -> tuple[list[Option], list[Avoid]]:
    cands, avoid = candidates(fired)
    avoided = {frozenset(a.drugs) for a in avoid}
    cands = [c for c in cands if frozenset(c.drugs) not in avoided]
    current = set(ctx.point.therapy.drugs) if ctx.point.therapy else set()
    scored: list[tuple[float, int, _Candidate, list[str], PooledEvidence | None]] = []
    for c in cands:
        parts = [f"evidence level {c.level} (+{LEVEL_SCORE[c.level]})"]
        score = float(LEVEL_SCORE[c.level])
        keeps_egfr = any(
            _is_egfr_tki(d) and role in (DrugRole.CONTINUE.value, DrugRole.START.value)
            for d, role in zip(c.drugs, c.roles, strict=True)
        )
        if ctx.driver_state == "persistent" and keeps_egfr:
            score += 8
            parts.append("EGFR driver persists and the regimen keeps an EGFR TKI (+8)")
        elif ctx.driver_state == "lost" and not keeps_egfr:
            score += 8
            parts.append("EGFR driver lost: the bypass-targeted drug without an EGFR TKI (+8)")
        elif ctx.driver_state == "lost" and keeps_egfr:
            score -= 8
            parts.append("EGFR driver lost, yet the regimen keeps an EGFR TKI (-8)")
        elif ctx.driver_state == "unknown" and keeps_egfr:
            score += 4
            parts.append("EGFR driver not re-tested at progression, presumed to persist (+4)")
        if ctx.point.cns_progression:
            if c.cns_active:
                score += 25
                parts.append("progression in the CNS and the regimen is CNS-active (+25)")
            else:
                score -= 10
                parts.append("progression in the CNS; regimen not documented CNS-active (-10)")
        elif ctx.point.cns_disease:
            if c.cns_active:
                score += 6
                parts.append("CNS disease on the timeline and the regimen is CNS-active (+6)")
            else:
                score -= 3
                parts.append("CNS disease on the timeline; regimen not documented CNS-active (-3)")
        if current and set(c.drugs) <= current:
            score -= 40
            parts.append("the patient is progressing on these drugs (-40)")
        if c.uncertain:
            score -= 2
            parts.append("rests on a statement marked uncertain (-2)")
        pool = pooled(c.drugs) if pooled is not None else None
        if pool is not None and pool.denominator:
            bonus = min(pool.denominator / 100, 0.5)
            score += bonus
            parts.append(f"pooled registry evidence n={pool.denominator} (+{bonus:.2f})")
        scored.append((score, c.order, c, parts, pool))
    scored.sort(key=lambda t: (-t[0], t[1]))
    options = []
    for i, (score, _, c, parts, pool) in enumerate(scored, start=1):
        label = " + ".join(c.drugs)
        rationale = "; ".join(parts)
        if c.notes:
            rationale += ". " + " ".join(c.notes)
        options.append(
            Option(
                rank=i,
                drugs=c.drugs,
                roles=c.roles,
                label=label,
                rationale=rationale,
                evidence_level=c.level,
                amp_tier=c.tier,
                cns_active=c.cns_active,
                cns_detail=cns_detail(c.drugs),
                citations=tuple(citation_out(x) for x in c.citations.values()),
                statements=tuple(c.statements),
                mechanisms=tuple(c.mechanisms),
                pooled=pool,
                uncertain=c.uncertain,
                score=round(score, 2),
            )
        )
    return options, avoid
