"""The one rule for whether a knowledge-base statement applies to a situation.

The case engine (:mod:`tkiresist.interpret.mechanisms`) and the table annotator
(:mod:`tkiresist.annotate.levels`) both ask the same question: does this statement hold for this
tumour type, these present categories, this prior therapy and this driver? They build a
:class:`Situation` from what they know (a timeline; a table row and its sample) and call
:func:`verdict`, which says why not, or that it applies and with which assumptions (notes).

The rule, in order:

1. **categories**: one ``match.any_of`` category is present, every ``all_of`` is, no ``none_of``
   is (fallback statements have no trigger: they apply on context alone);
2. **disease**: the statement's ``disease`` includes the OncoTree code (``NSCLC`` covers the
   non-small-cell codes, and small-cell lung cancer arising by transformation);
3. **prior therapy**: when it is known, a ``context.treatment_naive`` statement (first line)
   needs no targeted therapy so far (chemotherapy or immunotherapy alone before it leaves the
   driver's first targeted treatment still to give, noted), and holds after targeted therapy
   only when the original EGFR driver is known to be *lost*: the
   tumour then runs on whatever the statement's trigger is (an acquired ROS1 fusion, MET
   amplification), so that driver's own first-line standard applies after therapy too,
   noted, and the verdict says ``new_driver`` (the case engine ranks it as targeting the
   mechanism); any other needs the line to include a drug of one of
   ``context.prior_drug_classes``; every drug of ``prior_regimen_all_of`` and none of
   ``prior_regimen_none_of`` (the line as a regimen: FLAURA2, MARIPOSA); each class of
   ``history_classes`` in some line so far (only the line when the history is not known); for
   ``context.prior_generations``, a drug of one of those generations, *or a drug given only by
   its class* ("EGFR TKI", generation not stated): then the statement applies, noted, because
   the source did not say which generation it was; no class of ``earlier_none_of`` in a line
   before the one in effect (COMPEL enrolled progression on first-line osimertinib: no
   earlier EGFR TKI), applied, noted, when the earlier lines are not known. When the prior
   therapy is unknown (a table without a therapy column), the condition is not applied, noted;
4. **driver**: ``context.driver`` is a category of the original driver. A patient treated with an
   EGFR TKI whose source names no EGFR driver is presumed to have an EGFR-sensitising one (EGFR
   TKIs are given for EGFR-mutant disease), with its state unknown, noted;
5. **driver state**: ``persistent`` or ``lost`` must be the driver's state, or unknown (not
   re-tested at progression: both readings stay open, noted);
6. **phase** (C797X with T790M): a stated phase must agree; an unknown one applies, noted;
7. **evidence population** (``context.evidence_after``, the drugs the trials' patients had
   progressed on): never a reason not to apply; each targeted drug of the line that no listed
   drug or class covers is noted, so that the reader sees the extrapolation: a TKI of the
   same class and generation as a listed drug (aumolertinib where the evidence is after
   osimertinib: a class effect assumed), or any other (amivantamab: no trial behind the
   statement enrolled after it). Chemotherapy, immunotherapy and anti-angiogenic antibodies
   are not noted; an unknown therapy is noted under rule 3 already;
8. **progression site** (``context.progression_site``, the trial's enrolled population):
   ``extracranial`` does not hold for a progression in the CNS, ``cns`` not for one known to
   be extracranial only; when the sites were not given (an "overall" assessment, a table, a
   cohort) the statement applies, noted, so that the reader checks the trial's population.

A trial-population condition left unchecked for want of data never removes a statement: the
same unknown gives the same answer, with the same note, in the case engine, the table
annotator and the cohort analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

from tkiresist.knowledge.schema import ProgressionSite, Statement
from tkiresist.model.categories import label
from tkiresist.model.vocabulary import DriverState
from tkiresist.nomenclature.drugs import NOT_TARGETED, Drug, is_known, lookup

NSCLC_CODES = frozenset({"NSCLC", "LUAD", "LUSC", "LCLC", "NSCLCPD", "LUAS", "SCLC"})
"""OncoTree codes that a statement of disease ``NSCLC`` covers (SCLC: transformed NSCLC)."""

DRIVER_CATEGORIES = ("egfr_sensitising", "egfr_ex20ins")
"""Categories that make an alteration an EGFR driver."""

PRESUMED_DRIVER = frozenset({"egfr_classical_sensitising", "egfr_sensitising"})
"""What an EGFR TKI line implies when the source names no EGFR driver: a sensitising mutation,
presumed classical (exon 19 deletion or L858R, the large majority), which the note says."""

GENERATION_NOT_STATED = "prior {cls} generation not stated: statements for any {cls} applied"
EARLIER_NOT_KNOWN = (
    "assumes no {classes} before the line in effect, as {who} enrolled: the earlier lines are "
    "not known"
)
SITE_NOT_KNOWN = "assumes the progression was {site}, as {who} enrolled: its sites were not given"
SITE_WORDS = {
    ProgressionSite.EXTRACRANIAL: "extracranial",
    ProgressionSite.CNS: "in the CNS",
    ProgressionSite.CNS_ONLY: "limited to the CNS",
    ProgressionSite.ANY: "anywhere",
}
SITE_MUST_BE_KNOWN = frozenset({ProgressionSite.CNS_ONLY})
"""Populations never assumed when the sites are not given: a statement for a progression
limited to the CNS continues the drug the patient is progressing on (local therapy of the
lesions), which is wrong advice if the disease also progressed elsewhere."""
EVIDENCE_AFTER = "{label}: the evidence is from progression on {listed}"
SAME_GENERATION = (
    "this line had {drug}, like {peer} {cls} of generation {gen}: a class effect is assumed"
)
NOT_ENROLLED = (
    "no trial behind it enrolled patients after {drugs}: outside the trial's population, an "
    "extrapolation"
)
NAIVE_TO = (
    "{label}: {who} enrolled patients who had not received {classes}; this patient had "
    "received {drugs}: outside the trial's population, an extrapolation"
)
NO_TARGETED_YET = (
    "no targeted drug given so far ({given} only): the driver's first-line targeted standard "
    "applies (its trials enrolled untreated patients, or allowed one prior chemotherapy)"
)
NEW_DRIVER = (
    "The original EGFR driver is lost: the tumour now runs on {label}, so its first-line "
    "standard applies after the EGFR TKI (evidence from treatment-naive patients)"
)
DRIVER_PRESUMED = (
    "EGFR driver not stated: a sensitising one is presumed from the EGFR TKI line (classical, "
    "exon 19 deletion or L858R, where a statement needs it)"
)


@dataclass(frozen=True, slots=True)
class Prior:
    """The therapy the patient progressed on, as far as it is known.

    ``unnamed`` holds the classes of agents given only by a class word ("EGFR TKI"): their
    generation is not known. ``known`` is False when nothing is known of the therapy (a table
    without a therapy column); a known prior with no classes means no therapy."""

    known: bool
    classes: frozenset[str] = frozenset()
    generations: frozenset[int] = frozenset()
    unnamed: frozenset[str] = frozenset()
    drugs: frozenset[str] = frozenset()
    """Generic names of the line's drugs (lower case)."""
    history: frozenset[str] | None = None
    """Drug classes of every line up to the decision point; None when only the line is known."""
    earlier: frozenset[str] | None = None
    """Drug classes of the lines before the one in effect (empty: it is the first line); None
    when they are not known."""


UNKNOWN_PRIOR = Prior(known=False)


@dataclass(frozen=True, slots=True)
class Situation:
    """What a statement is matched against."""

    oncotree: str
    present: frozenset[str]
    prior: Prior
    driver_categories: frozenset[str] = frozenset()
    driver_state: str = "none"  # persistent | lost | unknown | none
    phase: str | None = None  # C797X relative to T790M, when a test reports it
    driver_presumed: bool = False
    progression_site: str | None = None
    """Where the progression at the decision point was: ``cns`` (a CNS site, with or without
    others), ``extracranial`` (sites given, none in the CNS), None (sites not given)."""

    def with_presumed_driver(self) -> Situation:
        """The situation with an EGFR driver presumed, when the prior line has an EGFR TKI and
        no driver is named (see the module's rule 4); itself otherwise."""
        if self.driver_state != "none" or "egfr_tki" not in self.prior.classes:
            return self
        return replace(
            self,
            driver_categories=PRESUMED_DRIVER,
            driver_state="unknown",
            driver_presumed=True,
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    """None as ``reason`` when the statement applies; ``notes`` are the assumptions made."""

    reason: str | None
    notes: tuple[str, ...] = ()
    population: tuple[str, ...] = ()
    """The notes of rule 7 (the evidence's population), also among ``notes``: what an option of
    the statement extrapolates, said beside it."""
    outside: bool = False
    """Rule 7 found the patient outside the trials' population (a targeted drug no trial
    enrolled after, or a class its patients had not received), not only a class effect
    assumed: the case engine ranks such options below in-population standard care."""
    new_driver: bool = False
    """A first-line statement applied after therapy because the EGFR driver is lost (rule 3):
    its trigger is the tumour's new driver."""

    @property
    def applies(self) -> bool:
        return self.reason is None


def categories_reason(st: Statement, present: frozenset[str]) -> str | None:
    """Rule 1: None when the categories match."""
    m = st.match
    if m.fallback:
        return None
    if not set(m.any_of) & present:
        return "none of its trigger categories is present"
    if not set(m.all_of) <= present:
        return f"needs also {sorted(set(m.all_of) - present)}"
    if set(m.none_of) & present:
        return f"excluded by {sorted(set(m.none_of) & present)}"
    return None


def disease_matches(st: Statement, oncotree: str) -> bool:
    """Rule 2."""
    codes = set(st.disease)
    return oncotree in codes or ("NSCLC" in codes and oncotree in NSCLC_CODES)


def trials(st: Statement) -> str:
    """The trials behind a statement, by name (``COMPEL``), for a note on its population."""
    names = sorted({c.trial for c in st.citations if c.trial})
    return "/".join(names) or "its trial"


def _therapy(st: Statement, prior: Prior, notes: list[str]) -> str | None:
    c = st.context
    if not prior.known:
        notes.append("prior therapy not known: the statement's therapy context was not checked")
        return None
    if c.treatment_naive:
        given = prior.classes | prior.unnamed | (prior.history or frozenset())
        if not given and not prior.drugs:
            return None
        if given and given <= NOT_TARGETED:
            # chemotherapy or immunotherapy first (the driver found late, or not acted on):
            # the driver's own first-line standard is still the patient's first targeted one
            notes.append(NO_TARGETED_YET.format(given="/".join(sorted(given))))
            return None
        return (
            "first-line statement: needs no targeted therapy before; the line is "
            f"{'/'.join(sorted(prior.classes)) or 'a therapy'}"
        )
    wanted = set(c.prior_drug_classes) & prior.classes
    if not wanted:
        return (
            f"needs progression on {'/'.join(c.prior_drug_classes)}; the line is "
            f"{'/'.join(sorted(prior.classes)) or 'no therapy'}"
        )
    missing = [d for d in c.prior_regimen_all_of if d.lower() not in prior.drugs]
    if missing:
        return f"needs a line including {' + '.join(c.prior_regimen_all_of)}; it lacks {missing}"
    present = sorted(d for d in c.prior_regimen_none_of if d.lower() in prior.drugs)
    if present:
        return f"needs a line without {'/'.join(c.prior_regimen_none_of)}; it has {present}"
    if c.history_classes:
        history = prior.history if prior.history is not None else prior.classes
        lacking = sorted(set(c.history_classes) - history)
        if lacking:
            return f"needs earlier {'/'.join(lacking)} in the history; none was given"
    if c.earlier_none_of:
        classes = "/".join(c.earlier_none_of)
        if prior.earlier is None:
            notes.append(EARLIER_NOT_KNOWN.format(classes=classes, who=trials(st)))
        elif earlier := sorted(set(c.earlier_none_of) & prior.earlier):
            return f"{trials(st)} enrolled no earlier {classes}; a line before had {earlier}"
    if c.prior_generations is None or set(c.prior_generations) & _generations(prior, wanted):
        return None
    unnamed = sorted(wanted & prior.unnamed)
    if unnamed:
        label = unnamed[0].replace("_tki", " TKI").replace("egfr", "EGFR").replace("alk", "ALK")
        notes.append(GENERATION_NOT_STATED.format(cls=label))
        return None
    gens = "/".join(str(g) for g in c.prior_generations)
    return f"needs generation {gens} TKI; line has {sorted(_generations(prior, wanted))}"


def _generations(prior: Prior, classes: set[str]) -> frozenset[int]:
    """The generations of the line's TKIs of ``classes`` (osimertinib + alectinib: 3 for EGFR
    TKIs, not alectinib's 2); the line's generations as given when it names no curated drug."""
    named = [d for d in (_curated(n) for n in prior.drugs) if d is not None]
    if not named:
        return prior.generations
    return frozenset(
        d.generation
        for d in named
        if d.generation is not None and classes & {c.value for c in d.classes}
    )


@cache
def _curated(name: str) -> Drug | None:
    return lookup(name) if is_known(name) else None


def _runs_on_new_driver(st: Statement, sit: Situation) -> bool:
    """Rule 3's exception: a first-line statement (of a driver other than EGFR's: its trigger
    is present, and the EGFR driver, known lost, cannot be) after therapy."""
    return (
        st.context.treatment_naive
        and sit.driver_state == "lost"
        and sit.prior.known
        and bool(sit.prior.classes or sit.prior.unnamed or sit.prior.drugs)
    )


def _class_word(name: str) -> str:
    """A drug class as a reader says it (``egfr_tki``: "an EGFR TKI"); a drug name as it is."""
    if name.endswith("_tki"):
        return ("an " if name[0] in "aeio" else "a ") + name[:-4].upper() + " TKI"
    return name.replace("_", " ")


@cache
def _targeted(name: str) -> Drug | None:
    """The curated drug ``name`` when it is a targeted drug given by name (not a class-only
    entry, not chemotherapy, immunotherapy or an anti-angiogenic antibody); per name once (the
    drug dictionary is packaged data: the engine asks this for every statement and line)."""
    drug = _curated(name)
    if drug is None or drug.class_only or {c.value for c in drug.classes} <= NOT_TARGETED:
        return None
    return drug


def _population(st: Statement, prior: Prior, notes: list[str]) -> bool:
    """Rule 7: the line's targeted drugs outside the population the evidence enrolled, said
    in one note; True when one is not even of a listed drug's class and generation (no trial
    enrolled after it)."""
    listed = st.context.evidence_after
    if not listed or not prior.known:
        return False
    peers = [d for d in (_targeted(n) for n in listed) if d is not None]
    said: list[str] = []
    outside: list[str] = []
    for name in sorted(prior.drugs):
        drug = _targeted(name)
        if drug is None or drug.generic in listed or set(listed) & {c.value for c in drug.classes}:
            continue
        peer = next(
            (
                p
                for p in peers
                if drug.generation is not None
                and p.drug_class is drug.drug_class
                and p.generation == drug.generation
            ),
            None,
        )
        if peer is None:
            outside.append(drug.generic)
            continue
        cls = _class_word(drug.drug_class.value)
        said.append(
            SAME_GENERATION.format(
                drug=drug.generic, peer=peer.generic, cls=cls, gen=drug.generation
            )
        )
    if outside:
        said.append(NOT_ENROLLED.format(drugs=" or ".join(outside)))
    if said:
        head = EVIDENCE_AFTER.format(
            label=st.meaning.label,
            listed=" or ".join(_class_word(d) for d in listed),
        )
        notes.append("; ".join([head, *said]))
    return bool(outside)


def _naive(st: Statement, prior: Prior, notes: list[str]) -> bool:
    """Rule 7, second half: a class the trials' patients had not received, given to this one;
    True when one was."""
    naive = st.context.evidence_naive_to
    if not naive or not prior.known:
        return False
    given = prior.history if prior.history is not None else prior.classes
    seen = sorted(set(naive) & given)
    if seen:
        notes.append(
            NAIVE_TO.format(
                label=st.meaning.label,
                who=trials(st),
                classes=" or ".join(_class_word(c) for c in naive),
                drugs=", ".join(_class_word(c) for c in seen),
            )
        )
    return bool(seen)


def _driver(st: Statement, sit: Situation, notes: list[str]) -> str | None:
    c = st.context
    if c.driver is None:
        return None
    if c.driver not in sit.driver_categories:
        return f"needs original driver {c.driver}; case has {sorted(sit.driver_categories)}"
    if sit.driver_presumed:
        notes.append(DRIVER_PRESUMED)
    if c.driver_state is DriverState.ANY:
        return None
    if sit.driver_state == "unknown":
        notes.append(
            f"assumes the EGFR driver {c.driver_state.value}: it was not re-tested at progression"
        )
        return None
    if sit.driver_state != c.driver_state.value:
        return f"needs the driver {c.driver_state.value}; it is {sit.driver_state}"
    return None


def _site(st: Statement, sit: Situation, notes: list[str]) -> str | None:
    """Rule 8: where the progression was, against the population the trial enrolled."""
    wanted = st.context.progression_site
    if wanted is ProgressionSite.ANY:
        return None
    if sit.progression_site is None:
        if wanted in SITE_MUST_BE_KNOWN:
            return f"needs a progression known to be {SITE_WORDS[wanted]}; its sites were not given"
        notes.append(SITE_NOT_KNOWN.format(site=SITE_WORDS[wanted], who=trials(st)))
        return None
    # a progression limited to the CNS is a progression in the CNS
    seen = {sit.progression_site}
    if sit.progression_site == ProgressionSite.CNS_ONLY.value:
        seen.add(ProgressionSite.CNS.value)
    if wanted.value not in seen:
        return (
            f"{trials(st)} enrolled patients whose progression was {SITE_WORDS[wanted]}; this "
            f"progression is {SITE_WORDS[ProgressionSite(sit.progression_site)]}"
        )
    return None


def context_verdict(st: Statement, sit: Situation) -> Verdict:
    """Rules 2 to 8 (everything but the categories)."""
    notes: list[str] = []
    if not disease_matches(st, sit.oncotree):
        return Verdict(f"disease {sit.oncotree} not in {list(st.disease)}")
    new_driver = _runs_on_new_driver(st, sit)
    said: list[str] = []  # the population notes, said beside each option too
    if new_driver:
        driving = sorted(set(st.match.any_of) & sit.present) or list(st.match.any_of)
        said.append(NEW_DRIVER.format(label=" / ".join(label(c) for c in driving)))
        notes.extend(said)
        reason = None
    else:
        reason = _therapy(st, sit.prior, notes) or _driver(st, sit, notes)
    if reason is not None:
        return Verdict(reason)
    phase = st.context.phase
    if phase is not None:
        if sit.phase is None:
            notes.append(f"assumes C797X and T790M in {phase.value}; phase not known")
        elif phase.value != sit.phase:
            return Verdict(f"needs C797X in {phase.value} with T790M; the test reports {sit.phase}")
    before = len(notes)
    outside = _population(st, sit.prior, notes)
    outside = _naive(st, sit.prior, notes) or outside
    population = (*said, *notes[before:])
    reason = _site(st, sit, notes)
    if reason is not None:
        return Verdict(reason)
    return Verdict(None, tuple(notes), tuple(population), outside, new_driver)


def verdict(st: Statement, sit: Situation) -> Verdict:
    """The whole rule: categories, then context."""
    reason = categories_reason(st, sit.present)
    if reason is not None:
        return Verdict(reason)
    return context_verdict(st, sit)
