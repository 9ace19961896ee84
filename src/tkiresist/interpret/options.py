"""Step 4 of the engine: put together and rank the options of the firing statements.

Where options come from:

* **mechanism-directed**: the regimens of the resistance-mechanism statements that fired
  (add alectinib to osimertinib for an acquired ALK fusion);
* **standard care of the line**: the regimens of the fallback statements that hold in the
  line's context. They are offered whether or not a mechanism fired: a patient always has
  standard care, and a weak targeted option stands beside it, ranked honestly;
* **avoid**: regimens a statement marks as *resistance*; regimens containing a drug or class a
  firing statement cautions against (pemetrexed after squamous or small-cell transformation,
  immunotherapy after small-cell transformation); regimens whose every new drug is one the
  patient is progressing on (or, for an EGFR TKI, one of the same generation); and regimens
  that give again, as their active part, a targeted or antibody drug the patient is
  progressing on: one not in a ``continue`` role, beside no new targeted or antibody drug
  (amivantamab + chemotherapy after amivantamab + lazertinib: only the chemotherapy is new).
  A ``continue`` role (osimertinib continued beside a MET TKI) is the point of the regimen;
  a new targeted drug beside the failing one (atezolizumab beside bevacizumab after
  erlotinib + bevacizumab) makes it a new regimen, ranked down by the failing share.

Regimens with the same drugs (in any order) are merged: their statements are pooled and the best
evidence level is kept. A ``continue`` EGFR TKI names the patient's own EGFR TKI, not the one of
the trial, with a separate option to switch to the trial's drug.

Each option is scored; the score and its parts are kept in the rationale so a reviewer can check
the ranking:

* evidence level: A 50, B 40, C 30, D 20, E 10;
* mechanism-directed: +20 for a regimen that targets a mechanism identified in this tumour:
  two levels, because the level grades the evidence in a population while the mechanism was
  shown in this tumour. A level-C targeted combination (osimertinib + alectinib for an acquired
  ALK fusion) then ranks with approved level-A standard care, and above it when it keeps the
  persisting EGFR driver inhibited; a level-D or E one ranks below level A/B standard care
  (the cap below);
* driver fit: +8 when the EGFR driver persists and the regimen keeps an EGFR TKI (continue the
  TKI, add the drug for the bypass); -8 when the driver is lost and the regimen keeps one; +4 for
  keeping the EGFR TKI when the driver was not re-tested at progression (an EGFR driver is
  truncal and usually persists). When the driver is lost and a mechanism-directed regimen
  targets, without an EGFR TKI, the alteration that replaced it, +25: the tumour now runs on a
  new driver, and that driver's targeted therapy is the standard first line of such a tumour
  (an ALK TKI for an ALK-rearranged lung cancer), whatever the level of the acquired-resistance
  literature; so it ranks above standard chemotherapy;
* CNS: when *this progression* is in the CNS, +25 for a CNS-active regimen and -10 for one
  that is not: a drug that does not reach the disease that is progressing does not help, so CNS
  activity outweighs up to two evidence levels (alectinib or lorlatinib over crizotinib for ALK,
  as the seed's authors conclude). When the timeline shows CNS disease but this progression is
  elsewhere, +6 and -3. A regimen is CNS-active when its statement says so, or when each of its
  targeted drugs is documented CNS-active (high or moderate) in the drug dictionary;
* already failing: -40 x the share of the regimen's new (not continued) drugs that the patient
  is progressing on, an EGFR TKI of the same generation counting as the same drug;
* approval: +3 when the FDA or the EMA has approved the regimen (fully or conditionally) for
  this indication; an approval by another regulator only (NMPA, PMDA) is shown, not ranked on,
  since the reader's region is not known;
* pooled registry evidence: + n/100 (at most 0.5), a tie-breaker only;
* uncertain statements: -2.

Evidence level dominates the bonuses across tiers: a level D (preclinical) or E (inferential)
option never outranks a level A or B standard-care option of the same situation. Its score is
capped one point below the lowest such option, and the rationale says so. Two exceptions, each
about the situation rather than the evidence: a standard option that is not CNS-active does not
count when this progression is in the CNS and the weak option is CNS-active (it does not treat
the disease that progresses), and the regimen of a new driver that replaced a lost EGFR driver is
not capped (its evidence is that driver's first-line standard). Level C (patients, case series)
is not capped: with the mechanism bonus it may outrank standard care as said above.

Eligibility not shown: an option whose every mechanism rests on copy-number findings that meet
none of the numeric thresholds its statement records (``thresholds``: MET copy number >= 5 or
>= 10 by FISH) is marked uncertain, its rationale says "eligibility not shown: <thresholds>;
confirm by <method> on tissue", and it is capped below level A/B standard care by the same cap.
A finding meets a threshold when it was measured on the threshold's specimen (a plasma or CSF
copy number, diluted by the tumour fraction, never meets a tissue one) and its copy number or
ratio, where given, is at or above the cut-off; a tissue amplification call without a number is
the laboratory's own call and meets it. The most lenient recorded threshold counts. A statement
with no numeric threshold, or resting on no copy-number finding, is unchanged.

Ties keep knowledge-base order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from tkiresist.interpret.mechanisms import CaseContext, Fired
from tkiresist.knowledge.applies import SITE_MUST_BE_KNOWN, SITE_WORDS
from tkiresist.knowledge.schema import (
    ApprovalStatus,
    Caution,
    DrugRole,
    Effect,
    MeaningKind,
    Regimen,
    Statement,
    Threshold,
)
from tkiresist.model.alterations import CopyNumber
from tkiresist.model.base import derived
from tkiresist.model.citation import KnowledgeCitation
from tkiresist.model.interpretation import (
    AlterationStatus,
    ApprovalOut,
    Avoid,
    Option,
    PooledEvidence,
)
from tkiresist.model.vocabulary import AmpTier, EvidenceLevel

LEVEL_SCORE = {"A": 50, "B": 40, "C": 30, "D": 20, "E": 10}
TIER_ORDER = {"I": 0, "II": 1, "III": 2, "IV": 3}
MECHANISM_BONUS = 20
APPROVAL_BONUS = 3
MAJOR_REGULATORS = frozenset({"FDA", "EMA"})
NEW_DRIVER_BONUS = 25
OLIGO_LESIONS = 3
"""At most this many CNS lesions listed by the progression's assessment make a limited
(oligo-)progression, for which local therapy with the TKI continued ranks first; the project's
choice, recorded in docs/decisions.md (definitions of oligoprogression allow three to five)."""
FAILING_PENALTY = 40
STANDARD_LEVELS = frozenset({"A", "B"})
WEAK_LEVELS = {"D": "preclinical", "E": "inferential"}
"""Levels below clinical evidence in patients: such an option never outranks level A or B
standard care of the same situation."""
CHEMOTHERAPY = frozenset({"chemotherapy"})
LIQUID_SPECIMENS = frozenset({"plasma", "csf"})
"""Specimens whose copy number is diluted by the tumour fraction: not on the scale of a tissue
threshold (FISH, IHC, tissue NGS)."""
if TYPE_CHECKING:
    from tkiresist.nomenclature.drugs import Drug

PooledLookup = Callable[[tuple[str, ...], frozenset[str]], PooledEvidence | None]
"""Registry evidence for a regimen (its drugs) offered against mechanisms of these categories
(empty for standard care): the registry answers only within the mechanisms its cases have
(:class:`tkiresist.evidence.pooled.PooledEvidenceIndex`)."""


@dataclass
class _Candidate:
    drugs: tuple[str, ...]
    roles: tuple[str, ...]
    level: EvidenceLevel
    tier: AmpTier
    cns_active: bool
    statements: list[str] = field(default_factory=list)
    mechanisms: list[str] = field(default_factory=list)
    citations: dict[str, KnowledgeCitation] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    uncertain: bool = False
    standard: bool = False
    unshown: list[str] = field(default_factory=list)
    shown: bool = False
    categories: set[str] = field(default_factory=set)
    """The trigger categories of the mechanisms it targets (for the registry's evidence)."""
    pattern: str | None = None
    """The progression pattern a statement offering it is made for, when that pattern must be
    known to apply (``limited to the CNS``: local therapy with the TKI continued)."""
    driver_standard: bool = False
    """A new driver's own first-line standard offers it (a statement fired as ``new_driver``)."""
    resisted: list[tuple[str, str]] = field(default_factory=list)
    """Its drugs that an identified mechanism makes the tumour resistant to, with that
    mechanism's label ..."""
    answers: set[str] = field(default_factory=set)
    """... unless that mechanism's own statement offers it (then the drug is listed here)."""
    outside: bool = False
    """Some statement offering it found the patient outside its trials' population ..."""
    inside: bool = False
    """... and some found the patient inside (or recorded no population)."""
    approvals: dict[tuple[str, str], ApprovalOut] = field(default_factory=dict)
    order: int = 0


def documented_cns(names: tuple[str, ...]) -> bool:
    """:func:`tkiresist.nomenclature.drugs.documented_cns`, imported when first needed."""
    from tkiresist.nomenclature.drugs import documented_cns as rule

    return rule(names)


@cache
def _chemotherapy_only(name: str) -> bool:
    """Whether every class of the drug is chemotherapy (asked per drug of every candidate)."""
    return {k.value for k in _drug(name).classes} <= CHEMOTHERAPY


@cache
def _drug(name: str) -> Drug:
    """The dictionary's drug for ``name``, looked up once per name (the dictionary is fixed)."""
    from tkiresist.nomenclature import drugs

    return drugs.lookup(name)


def _cns_active(regimen: Regimen) -> bool:
    """The regimen's own CNS evidence (``cns_active`` with its ``cns_citations``, which
    ``kb lint`` requires), or each targeted drug documented CNS-active
    (:func:`tkiresist.nomenclature.drugs.documented_cns`)."""
    return regimen.cns_active or documented_cns(regimen.drug_names)


def cns_detail(names: Iterable[str]) -> str:
    """``alectinib: high (ALEX); osimertinib: high (FLAURA)`` from the drug dictionary."""
    return _cns_detail(tuple(names))


@cache
def _cns_detail(names: tuple[str, ...]) -> str:
    parts = []
    for name in names:
        cns = _drug(name).cns
        trials = sorted({s.trial for s in cns.sources if s.trial})
        where = f" ({', '.join(trials)})" if trials else ""
        parts.append(f"{name}: {cns.level.value}{where}")
    return "; ".join(parts)


@cache
def _is_egfr_tki(name: str) -> bool:
    """Whether the drug is an EGFR TKI, asked once per name (the dictionary is fixed)."""
    return _drug(name).is_egfr_tki


@cache
def _egfr_tki_generation(name: str) -> int | None:
    """The generation of an EGFR TKI (None for another drug, or none recorded), once per name."""
    drug = _drug(name)
    return drug.generation if drug.is_egfr_tki else None


def _own_egfr_tki(ctx: CaseContext) -> str | None:
    """The patient's own, named EGFR TKI in the line in effect (None for none, or only a class
    word such as "EGFR TKI")."""
    therapy = ctx.point.therapy
    if therapy is None:
        return None
    for name in therapy.drugs:
        drug = _drug(name)
        if drug.is_egfr_tki and not drug.class_only:
            return drug.generic
    return None


@dataclass(frozen=True, slots=True)
class _Variant:
    """One regimen as offered to this patient: the statement's, or with the patient's own EGFR
    TKI in place of the trial's continued one, or a switch to the trial's drug."""

    drugs: tuple[str, ...]
    roles: tuple[str, ...]
    cns_active: bool
    note: str | None = None


@dataclass(frozen=True, slots=True)
class _RegimenParts:
    """What :func:`_variants` reads of a regimen whatever the patient's own TKI: its drugs
    (lower case), roles, CNS activity, and the positions of its continued EGFR TKIs."""

    drugs: tuple[str, ...]
    roles: tuple[str, ...]
    cns_active: bool
    continued_tkis: tuple[int, ...]


def _parts(reg: Regimen) -> _RegimenParts:
    """The regimen's fixed parts, once per regimen (:func:`tkiresist.model.base.derived`)."""
    return derived(reg, "regimen-parts", lambda: _compute_parts(reg))


def _compute_parts(reg: Regimen) -> _RegimenParts:
    return _RegimenParts(
        drugs=tuple(d.drug.lower() for d in reg.drugs),
        roles=tuple(d.role.value for d in reg.drugs),
        cns_active=_cns_active(reg),
        continued_tkis=tuple(
            i
            for i, d in enumerate(reg.drugs)
            if d.role is DrugRole.CONTINUE and _is_egfr_tki(d.drug)
        ),
    )


def _variants(reg: Regimen, own: str | None) -> list[_Variant]:
    p = _parts(reg)
    drugs, roles = p.drugs, p.roles
    kept = [i for i in p.continued_tkis if drugs[i] != own]
    if own is None or not kept or own in drugs:
        return [_Variant(drugs, roles, p.cns_active)]
    i = kept[0]
    trial = drugs[i]
    mine = (*drugs[:i], own, *drugs[i + 1 :])
    switch = (*roles[:i], DrugRole.START.value, *roles[i + 1 :])
    return [
        _Variant(
            mine,
            roles,
            documented_cns(mine),
            f"Continues {own}, the patient's own EGFR TKI: the evidence is with {trial}; a class "
            "effect is assumed.",
        ),
        _Variant(
            drugs,
            switch,
            p.cns_active,
            f"Switches {own} to {trial}, the EGFR TKI of the evidence.",
        ),
    ]


def _caution_hits(
    drugs: Iterable[str], cautions: Sequence[tuple[Statement, Caution]]
) -> list[tuple[Statement, Caution]]:
    if not cautions:  # most cases: no fired statement cautions; skip the drug classes
        return []
    names = set(drugs)
    classes = {c.value for d in names for c in _drug(d).classes}
    return [
        (st, c)
        for st, c in cautions
        if names & {d.lower() for d in c.drugs} or classes & set(c.classes)
    ]


def _meets(s: AlterationStatus, cn: CopyNumber, t: Threshold) -> bool:
    """Whether a copy-number finding meets a numeric threshold: measured on a specimen the
    threshold is defined on (a liquid biopsy only when its method names plasma), and its copy
    number or ratio, where one is given and the threshold states one, at or above it. A tissue
    call without a number is the laboratory's own call on the threshold's specimen: met."""
    detected = [e for e in s.evidence if e.result == "detected"]
    current = [e for e in detected if e.phase == "current"] or detected
    liquid_ok = "plasma" in t.method.lower()
    if current and not liquid_ok and all(e.specimen_kind in LIQUID_SPECIMENS for e in current):
        return False
    pairs = [
        (value, cut)
        for value, cut in ((cn.copy_number, t.copy_number_min), (cn.ratio, t.ratio_min))
        if value is not None and cut is not None
    ]
    return not pairs or any(value >= cut for value, cut in pairs)


def _finding(s: AlterationStatus, cn: CopyNumber) -> str:
    """``MET amplification (plasma, copy number 3)``: the finding as the eligibility reads it."""
    kinds = sorted({e.specimen_kind for e in s.evidence if e.result == "detected"})
    measured = [
        f"{what} {value:g}"
        for what, value in (("copy number", cn.copy_number), ("ratio", cn.ratio))
        if value is not None
    ] or ["no copy number"]
    return f"{s.name} ({', '.join([*kinds, *measured])})"


def eligibility_unshown(f: Fired) -> str | None:
    """Why the findings a fired statement rests on do not show the eligibility its own
    ``thresholds`` record, or None when they do (or it records no numeric threshold, or rests
    on no copy-number finding). Eligibility is shown when some defining copy-number finding
    meets some numeric threshold (the most lenient: MET copy number >= 5 by INSIGHT's FISH
    counts after osimertinib too, where SACHI asked for >= 10); a plasma copy number never meets
    a tissue threshold (it is diluted by the tumour fraction)."""
    st = f.statement
    numeric = [t for t in st.thresholds if (t.copy_number_min, t.ratio_min) != (None, None)]
    if not numeric:
        return None
    defining = set(st.match.any_of)
    found = [
        (s, s.alteration)
        for s in f.alterations
        if isinstance(s.alteration, CopyNumber) and defining & set(s.category)
    ]
    if not found or any(_meets(s, cn, t) for s, cn in found for t in numeric):
        return None
    thresholds = "; ".join(f"{t.method}: {t.definition} [{t.citation}]" for t in numeric)
    methods = " or ".join(sorted({t.method.split(" ")[0] for t in numeric}))
    return (
        f"eligibility not shown: {thresholds}; confirm by {methods} on tissue (found: "
        f"{', '.join(_finding(s, cn) for s, cn in found)})"
    )


def candidates(
    fired: Iterable[Fired], ctx: CaseContext | None = None
) -> tuple[list[_Candidate], list[Avoid]]:
    """Merged candidates and the avoid list (see the module's rules)."""
    fired = list(fired)
    own = _own_egfr_tki(ctx) if ctx is not None else None
    cautions = [(f.statement, c) for f in fired for c in f.statement.cautions]
    merged: dict[frozenset[str], _Candidate] = {}
    avoid: dict[frozenset[str], Avoid] = {}
    for cst, caution in cautions:
        # the caution itself, whether or not a candidate regimen contains the drug: a tumour
        # board wants "no immunotherapy" said after small-cell transformation
        named = (
            *(d.lower() for d in caution.drugs),
            *(f"{cls} (any)" for cls in caution.classes),
        )
        source = next(x for x in cst.citations if x.id == caution.citation).short()
        avoid[frozenset(named)] = Avoid(
            drugs=named, reason=f"{caution.reason} ({source})", statements=(cst.id,)
        )
    # a drug one identified mechanism makes the tumour resistant to, alone (osimertinib with
    # C797S): a regimen another mechanism offers around it does not overcome that clone
    resisted: dict[str, dict[str, str]] = {}  # drug -> {statement id: its label}
    for f in fired:
        for reg in f.statement.regimens:
            if reg.effect is Effect.RESISTANCE and len(reg.drugs) == 1:
                by = resisted.setdefault(reg.drugs[0].drug.lower(), {})
                by[f.statement.id] = f.statement.meaning.label
    order = 0
    for f in fired:
        st = f.statement
        mech = st.id if st.meaning.kind is MeaningKind.RESISTANCE_MECHANISM else None
        if f.new_driver:
            # a new driver's first-line standard targets the mechanism its trigger names
            mech = _mechanism_of(f, fired)
        unshown = eligibility_unshown(f) if mech else None
        for reg in st.regimens:
            if reg.effect is Effect.RESISTANCE:
                key = reg.drug_set
                prev = avoid.get(key)
                avoid[key] = Avoid(
                    drugs=tuple(d.drug.lower() for d in reg.drugs),
                    reason=reg.note or st.meaning.label,
                    statements=((*prev.statements, st.id) if prev else (st.id,)),
                )
                continue
            for variant in _variants(reg, own):
                key = frozenset(variant.drugs)
                hits = _caution_hits(variant.drugs, cautions)
                if hits:
                    prev = avoid.get(key)
                    cited = "; ".join(
                        f"{c.reason} ({next(x for x in s.citations if x.id == c.citation).short()})"
                        for s, c in hits
                    )
                    avoid[key] = Avoid(
                        drugs=variant.drugs,
                        reason=cited,
                        statements=tuple(
                            dict.fromkeys(
                                [*(prev.statements if prev else ()), *(s.id for s, _ in hits)]
                            )
                        ),
                    )
                    continue
                level = st.level_for(reg)
                cand = merged.get(key)
                if cand is None:
                    cand = _Candidate(
                        drugs=variant.drugs,
                        roles=variant.roles,
                        level=level,
                        tier=st.amp_tier,
                        cns_active=variant.cns_active,
                        order=order,
                    )
                    order += 1
                    merged[key] = cand
                elif LEVEL_SCORE[level] > LEVEL_SCORE[cand.level]:
                    cand.level = level
                if TIER_ORDER[st.amp_tier] < TIER_ORDER[cand.tier]:
                    cand.tier = st.amp_tier
                cand.cns_active = cand.cns_active or variant.cns_active
                cand.standard = cand.standard or st.match.fallback
                if st.id not in cand.statements:
                    cand.statements.append(st.id)
                if mech and mech not in cand.mechanisms:
                    cand.mechanisms.append(mech)
                for d in variant.drugs:
                    if d not in resisted:
                        continue
                    if st.id in resisted[d]:
                        # the mechanism's own regimen, built to overcome it (osimertinib with
                        # a first-generation TKI for C797S in trans)
                        cand.answers.add(d)
                        continue
                    for label in resisted[d].values():
                        if (d, label) not in cand.resisted:
                            cand.resisted.append((d, label))
                if mech:
                    cand.categories.update(st.match.any_of)
                cand.driver_standard = cand.driver_standard or f.new_driver
                if st.context.progression_site in SITE_MUST_BE_KNOWN:
                    cand.pattern = SITE_WORDS[st.context.progression_site]
                if f.outside:
                    cand.outside = True
                else:
                    cand.inside = True
                if unshown and unshown not in cand.unshown:
                    cand.unshown.append(unshown)
                elif mech and not unshown:
                    cand.shown = True
                for c in st.citations_for(reg):
                    cand.citations.setdefault(c.id, c)
                for a in reg.approvals:
                    if f.new_driver and a.status is ApprovalStatus.NOT_APPROVED:
                        # a first-line statement applied after therapy: "not approved first
                        # line" says nothing of the line the patient is in
                        continue
                    cand.approvals.setdefault(
                        (a.region.value, a.status.value),
                        ApprovalOut(
                            region=a.region.value,
                            status=a.status.value,
                            date=a.date,
                            indication=a.indication,
                            source=a.source,
                        ),
                    )
                said = (n if n.endswith(".") else n + "." for n in f.population)
                # a first-line statement's regimen notes speak of the first line; applied after
                # therapy (new driver) its population note says what it extrapolates instead
                regimen_notes = () if f.new_driver else (variant.note, reg.note)
                for note in (*regimen_notes, *said):
                    if note and note not in cand.notes:
                        cand.notes.append(note)
                cand.uncertain = cand.uncertain or st.uncertain
    return list(merged.values()), list(avoid.values())


def _oligo(ctx: CaseContext) -> bool:
    """The CNS progression's lesions are counted and few (:data:`OLIGO_LESIONS`)."""
    n = ctx.point.cns_lesions
    return n is not None and n <= OLIGO_LESIONS


def _mechanism_of(f: Fired, fired: list[Fired]) -> str:
    """The resistance mechanism fired on the same alterations as ``f``; else ``f``'s own
    statement, which then names the new driver as the mechanism
    (:func:`tkiresist.interpret.mechanisms.mechanisms`)."""
    names = {a.name for a in f.alterations}
    return next(
        (
            g.statement.id
            for g in fired
            if g.statement.meaning.kind is MeaningKind.RESISTANCE_MECHANISM
            and names & {a.name for a in g.alterations}
        ),
        f.statement.id,
    )


def _failing_share(c: _Candidate, ctx: CaseContext) -> tuple[float, list[str]]:
    """The share of the regimen's new drugs the patient is progressing on (an EGFR TKI of the
    same generation as one in the line counts), and which."""
    therapy = ctx.point.therapy
    if therapy is None:
        return 0.0, []
    current = set(therapy.drugs)
    generations = set(therapy.generations)
    new = [d for d, role in zip(c.drugs, c.roles, strict=True) if role != DrugRole.CONTINUE.value]
    if not new:
        return 0.0, []
    failing = []
    for d in new:
        gen = _egfr_tki_generation(d)
        if d in current or (gen is not None and gen in generations):
            failing.append(d)
    return len(failing) / len(new), failing


def _re_offered(c: _Candidate, ctx: CaseContext) -> list[str]:
    """The targeted or antibody drugs (not chemotherapy) the patient is progressing on that the
    regimen gives anew (not in a ``continue`` role) as its active part, i.e. beside no new
    targeted or antibody drug of its own; empty when there is none, or when the regimen brings
    one (atezolizumab in atezolizumab-bevacizumab-chemotherapy after erlotinib-bevacizumab)."""
    therapy = ctx.point.therapy
    if therapy is None:
        return []
    current = {d.lower() for d in therapy.drugs}
    active = [
        d
        for d, role in zip(c.drugs, c.roles, strict=True)
        if role != DrugRole.CONTINUE.value and not _chemotherapy_only(d)
    ]
    again = [d for d in active if d in current]
    return again if len(again) == len(active) else []


def _not_offered(c: _Candidate, failing: list[str], again: list[str]) -> Avoid:
    """Why a regimen is moved to avoid: every new drug failing, or a failing targeted drug
    given again as the active part of a new regimen."""
    if again:
        reason = (
            "the patient is progressing on "
            + ", ".join(again)
            + ", which this regimen gives again as its active part (not continued beside a new "
            "drug): only its chemotherapy is new, so it is not a new option"
        )
    else:
        reason = (
            "the patient is progressing on "
            + ", ".join(failing)
            + (" (or an EGFR TKI of the same generation)" if failing else "")
            + ": not offered again"
        )
    return Avoid(drugs=c.drugs, reason=reason, statements=tuple(c.statements))


def _comparable(weak: _Candidate, standard: _Candidate, ctx: CaseContext) -> bool:
    """Whether ``standard`` is standard care for the situation ``weak`` is offered in: not when
    this progression is in the CNS and only ``weak`` reaches it."""
    return not (ctx.point.cns_progression and weak.cns_active and not standard.cns_active)


@dataclass
class _Scored:
    score: float
    cand: _Candidate
    parts: list[str]
    pool: PooledEvidence | None
    new_driver: bool


def _unshown(c: _Candidate) -> bool:
    """A mechanism-directed option whose every mechanism rests on findings that do not show the
    eligibility its statement records (:func:`eligibility_unshown`); standard care never."""
    return bool(c.unshown) and not c.shown and not c.standard


def _outside(c: _Candidate) -> bool:
    """Every statement offering it found the patient outside its trials' population (a drug
    no trial enrolled after, a class its patients had not received): an extrapolation."""
    return c.outside and not c.inside


def _why_weak(s: _Scored) -> str | None:
    """Why an option ranks below every level A/B standard-care option, whatever its score: a
    level D or E (not for a new driver's regimen backed by that driver's own standard), or
    eligibility not shown; None when neither."""
    c = s.cand
    # a weak regimen for a tumour now driven by a new driver is exempt only when that driver's
    # own first-line standard offers it (its evidence is then that standard's); a driver with
    # no standard (a MET fusion) leaves its level-E regimens below standard care
    if c.level in WEAK_LEVELS and not (s.new_driver and c.driver_standard):
        return f"evidence level {c.level} ({WEAK_LEVELS[c.level]})"
    if _unshown(c):
        return "eligibility not shown"
    return None


def _resisted(c: _Candidate) -> list[tuple[str, str]]:
    return [(d, label) for d, label in c.resisted if d not in c.answers]


def _why_flawed(s: _Scored) -> str | None:
    """Why an option ranks below the standard care that has no such flaw: a drug another
    identified mechanism makes the tumour resistant to (osimertinib + savolitinib for MET
    amplification beside C797S), or a patient outside its trials' population; None when
    neither."""
    c = s.cand
    resisted = _resisted(c)
    if resisted:
        return "; ".join(
            f"contains {drug}, to which the tumour is resistant ({label})"
            for drug, label in resisted
        )
    if _outside(c):
        return "outside the population its trials enrolled"
    return None


def _cap(s: _Scored, why: str, peers: list[_Scored], ctx: CaseContext) -> None:
    above = [t.score for t in peers if t is not s and _comparable(s.cand, t.cand, ctx)]
    if not above or s.score < min(above):
        return
    capped = min(above) - 1
    s.parts.append(
        f"{why} ranks below the level A/B standard care of the situation: score "
        f"{s.score:g} capped at {capped:g}"
    )
    s.score = capped


def _cap_below_standard(scored: list[_Scored], ctx: CaseContext) -> None:
    """Two caps, in order; the evidence level, the finding's eligibility, a resisted drug or
    the population dominates the bonuses across tiers, and the rationale says so.

    1. An option with a drug another identified mechanism makes the tumour resistant to, or
       whose every statement found the patient outside its trials' population, ranks below
       every level A/B standard-care option that has neither flaw.
    2. A level D or E option, or one whose eligibility is not shown, then ranks below every
       level A/B standard-care option (those of step 1 included: weak evidence never outranks
       standard care). A level D/E regimen that targets the new driver of a tumour that lost
       its EGFR driver is exempt from the level part when that driver's own first-line
       standard offers it (the matching rule's ``new_driver``): its evidence is that
       standard."""
    standard = [s for s in scored if s.cand.standard and s.cand.level in STANDARD_LEVELS]
    clean = [t for t in standard if _why_flawed(t) is None]
    for s in scored:
        why = _why_flawed(s)
        if why is not None and _why_weak(s) is None:
            _cap(s, why, clean, ctx)
    for s in scored:
        why = _why_weak(s)
        if why is not None:
            _cap(s, why, standard, ctx)


def rank(
    fired: Iterable[Fired], ctx: CaseContext, pooled: PooledLookup | None = None
) -> tuple[list[Option], list[Avoid]]:
    cands, avoid = candidates(fired, ctx)
    avoided = {frozenset(a.drugs) for a in avoid}
    cands = [c for c in cands if frozenset(c.drugs) not in avoided]
    scored: list[_Scored] = []
    for c in cands:
        share, failing = _failing_share(c, ctx)
        again = _re_offered(c, ctx)
        if share == 1.0 or again:
            avoid.append(_not_offered(c, failing, again))
            continue
        new_driver = False
        parts = [f"evidence level {c.level} (+{LEVEL_SCORE[c.level]})"]
        score = float(LEVEL_SCORE[c.level])
        if c.mechanisms:
            score += MECHANISM_BONUS
            parts.append(f"targets the mechanism identified (+{MECHANISM_BONUS})")
        elif c.pattern and _oligo(ctx):
            # a statement for a progression pattern that must be known (limited to the CNS),
            # in a progression known to be limited (few lesions): the pattern is what this
            # decision turns on, as a mechanism would be
            score += MECHANISM_BONUS
            parts.append(
                f"made for this progression's pattern ({c.pattern}, "
                f"{ctx.point.cns_lesions} lesion(s)) (+{MECHANISM_BONUS})"
            )
        elif c.pattern:
            parts.append(
                f"made for a progression {c.pattern}; ranked first only when the CNS lesions "
                f"are counted and at most {OLIGO_LESIONS} (none listed here)"
            )
        elif c.standard:
            parts.append("standard care of the line")
        # keeping EGFR inhibition: a continued EGFR TKI, or one a mechanism-directed regimen
        # starts (osimertinib for T790M); a TKI inside standard care is not driver fit
        kept = (DrugRole.CONTINUE.value, DrugRole.START.value) if c.mechanisms else ("continue",)
        keeps_egfr = any(
            _is_egfr_tki(d) and role in kept for d, role in zip(c.drugs, c.roles, strict=True)
        )
        if ctx.driver_state == "persistent" and keeps_egfr:
            score += 8
            parts.append("EGFR driver persists and the regimen keeps an EGFR TKI (+8)")
        elif ctx.driver_state == "lost" and not keeps_egfr and c.mechanisms:
            new_driver = True
            score += NEW_DRIVER_BONUS
            parts.append(
                "EGFR driver lost: the tumour now runs on the alteration this regimen targets, "
                f"without an EGFR TKI (+{NEW_DRIVER_BONUS})"
            )
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
        if share:
            penalty = round(FAILING_PENALTY * share, 1)
            score -= penalty
            parts.append(f"the patient is progressing on {', '.join(failing)} (-{penalty:g})")
        approved = sorted(
            {a.region for a in c.approvals.values() if a.status in ("approved", "accelerated")}
        )
        if set(approved) & MAJOR_REGULATORS:
            score += APPROVAL_BONUS
            parts.append(
                f"approved for this indication ({', '.join(approved)}) (+{APPROVAL_BONUS})"
            )
        elif approved:
            parts.append(f"approved for this indication in {', '.join(approved)} only (+0)")
        if c.uncertain:
            score -= 2
            parts.append("rests on a statement marked uncertain (-2)")
        if _unshown(c):
            parts.extend(c.unshown)
        pool = pooled(c.drugs, frozenset(c.categories)) if pooled is not None else None
        if pool is not None and pool.denominator:
            bonus = min(pool.denominator / 100, 0.5)
            score += bonus
            parts.append(f"pooled registry evidence n={pool.denominator} (+{bonus:.2f})")
        scored.append(_Scored(score, c, parts, pool, new_driver))
    _cap_below_standard(scored, ctx)
    scored.sort(key=lambda t: (-t.score, t.cand.order))
    options = []
    for i, entry in enumerate(scored, start=1):
        score, c, parts, pool = entry.score, entry.cand, entry.parts, entry.pool
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
                citations=tuple(c.citations.values()),
                statements=tuple(c.statements),
                mechanisms=tuple(c.mechanisms),
                pooled=pool,
                uncertain=c.uncertain or _unshown(c),
                approvals=tuple(c.approvals.values()),
                score=round(score, 2),
            )
        )
    return options, avoid
