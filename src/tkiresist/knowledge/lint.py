"""Lint the knowledge base: the rules that need the whole base or an outside vocabulary.

:func:`lint` checks a loaded :class:`~tkiresist.knowledge.loader.KnowledgeBase`:

* ``ids``: statement ids are unique;
* ``categories``: every category id in ``match`` and ``context.driver`` exists in
  :data:`tkiresist.model.categories.CATALOGUE`;
* ``genes``: every gene a statement names (its own ``genes`` and those of its categories) is
  an approved HGNC symbol;
* ``drugs``: every drug in a regimen is known to :func:`tkiresist.nomenclature.drugs.lookup`
  and is written as its generic name (not a class-only entry such as "chemotherapy"); every
  ``prior_drug_classes`` entry is a known class; a drug with role ``continue`` belongs to the
  context's drug classes and generations;
* ``disease``: OncoTree codes are among the thoracic codes we use;
* ``evidence``: every statement has at least one citation with a DOI or PMID, and a level;
  every sensitivity regimen has citations of its own (none is inherited from its statement);
  every citation of ``citations.yaml`` is cited by some statement;
* ``contradictions``: no two statements with the same match and context say
  ``sensitivity`` and ``resistance`` for the same regimen (same drugs) unless their
  ``precedence`` differs.

:func:`lint_path` loads first, so schema problems come back as problems too. Every problem
names its file, line and field.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from types import ModuleType

from tkiresist.errors import Location, ParseError, Problem
from tkiresist.knowledge.loader import KnowledgeBase, KnowledgeBaseInvalid, load_knowledge_base
from tkiresist.knowledge.schema import DrugRole, Effect, MeaningKind, Regimen, Statement
from tkiresist.model.categories import CATALOGUE
from tkiresist.model.vocabulary import DriverState, MechanismClass
from tkiresist.nomenclature.genes import is_approved

#: OncoTree codes a thoracic statement may name (NSCLC is the OncoTree parent of the rest).
ONCOTREE_THORACIC = frozenset({"NSCLC", "LUAD", "LUSC", "LUAS", "LCLC", "SCLC", "LUNE"})

DRUGS_MODULE = "tkiresist.nomenclature.drugs"


@dataclass(frozen=True, slots=True)
class _DrugInfo:
    generic: str
    classes: frozenset[str]
    generation: int | None
    class_only: bool


def lint(kb: KnowledgeBase) -> list[Problem]:
    """Every problem in ``kb``, each located; an empty list means the knowledge base is clean."""
    problems: list[Problem] = []
    problems.extend(_duplicate_ids(kb))
    for st in kb.statements:
        problems.extend(_categories(kb, st))
        problems.extend(_genes(kb, st))
        problems.extend(_disease(kb, st))
        problems.extend(_evidence(kb, st))
        problems.extend(_regimen_citations(kb, st))
    problems.extend(_drugs(kb))
    problems.extend(_contradictions(kb))
    problems.extend(_unused_citations(kb))
    problems.extend(_named_when_driver_lost(kb))
    return problems


def lint_path(path: Path | None = None) -> list[Problem]:
    """Load the knowledge base at ``path`` (the packaged one if None) and lint it."""
    try:
        kb = load_knowledge_base(path)
    except KnowledgeBaseInvalid as exc:
        return list(exc.problems)
    return lint(kb)


# --- single-statement rules -----------------------------------------------------------------


def _named_when_driver_lost(kb: KnowledgeBase) -> Iterator[Problem]:
    """An off-target mechanism is named whatever the EGFR driver's state: a statement that
    needs the driver persistent has a sibling for the same category that holds when it is lost
    (``driver_state: lost`` or ``any``); otherwise an acquired driver that replaced the EGFR
    one would be named nowhere (an acquired ROS1 fusion with the deletion gone was)."""
    mechanisms = [
        st
        for st in kb.statements
        if st.meaning.kind is MeaningKind.RESISTANCE_MECHANISM
        and st.meaning.mechanism_class is MechanismClass.OFF_TARGET
    ]
    for st in mechanisms:
        if st.context.driver_state is not DriverState.PERSISTENT:
            continue
        lost = [
            c
            for c in st.match.any_of
            if not any(
                c in other.match.any_of
                and other.context.driver_state in (DriverState.LOST, DriverState.ANY)
                for other in mechanisms
            )
        ]
        if lost:
            yield Problem(
                f"off-target mechanism {lost} is named only while the EGFR driver persists: "
                "give it driver_state any, or a statement for a lost driver",
                kb.location(st.id, "context.driver_state"),
            )


def _duplicate_ids(kb: KnowledgeBase) -> Iterator[Problem]:
    seen: set[str] = set()
    for st in kb.statements:
        if st.id in seen:
            yield Problem(f"duplicate statement id {st.id!r}", kb.location(st.id, "id"))
        seen.add(st.id)


def _categories(kb: KnowledgeBase, st: Statement) -> Iterator[Problem]:
    for part in ("any_of", "all_of", "none_of"):
        for i, cat in enumerate(getattr(st.match, part)):
            if cat not in CATALOGUE:
                where = kb.location(st.id, f"match.{part}.{i}")
                yield Problem(f"unknown category {cat!r}: not in the category catalogue", where)
    driver = st.context.driver
    if driver is not None and driver not in CATALOGUE:
        where = kb.location(st.id, "context.driver")
        yield Problem(f"unknown category {driver!r}: not in the category catalogue", where)


def _genes(kb: KnowledgeBase, st: Statement) -> Iterator[Problem]:
    for i, gene in enumerate(st.genes):
        if not is_approved(gene):
            where = kb.location(st.id, f"genes.{i}")
            yield Problem(f"gene {gene!r} is not an approved HGNC symbol", where)
    for cat in sorted(st.match.categories):
        category = CATALOGUE.get(cat)
        for gene in category.genes if category is not None else ():
            if not is_approved(gene):
                where = kb.location(st.id, "match")
                yield Problem(f"category {cat!r} names gene {gene!r}, not approved by HGNC", where)


def _disease(kb: KnowledgeBase, st: Statement) -> Iterator[Problem]:
    for i, code in enumerate(st.disease):
        if code not in ONCOTREE_THORACIC:
            where = kb.location(st.id, f"disease.{i}")
            known = ", ".join(sorted(ONCOTREE_THORACIC))
            yield Problem(f"disease {code!r} is not a thoracic OncoTree code ({known})", where)


def _evidence(kb: KnowledgeBase, st: Statement) -> Iterator[Problem]:
    # The schema already demands both; lint states them again so that a knowledge base built
    # in code (not loaded) is held to the same rule.
    if not st.citations:
        yield Problem("no citation: every statement needs at least one", kb.location(st.id))
    for i, c in enumerate(st.citations):
        if c.doi is None and c.pmid is None:
            yield Problem("citation has neither doi nor pmid", kb.location(st.id, f"citations.{i}"))
    if st.evidence_level is None:  # pragma: no cover - unreachable through the schema
        yield Problem("no evidence level", kb.location(st.id, "evidence_level"))


def _regimen_citations(kb: KnowledgeBase, st: Statement) -> Iterator[Problem]:
    for j, regimen in enumerate(st.regimens):
        if regimen.effect is Effect.SENSITIVITY and not regimen.citations:
            yield Problem(
                "regimen has no citation of its own: a regimen never inherits its statement's",
                kb.location(st.id, f"regimens.{j}"),
            )
        if regimen.cns_active and not regimen.cns_citations and not _documented(regimen):
            yield Problem(
                "regimen claims CNS activity (cns_active) but neither cites its own CNS evidence "
                "(cns_citations) nor has every targeted drug documented CNS-active in the drug "
                "dictionary",
                kb.location(st.id, f"regimens.{j}.cns_active"),
            )


def _documented(regimen: Regimen) -> bool:
    """Each targeted drug of the regimen documented CNS-active; a regimen naming a drug the
    dictionary does not know (reported by its own check) counts as documented here."""
    from tkiresist.errors import TkiResistError
    from tkiresist.nomenclature.drugs import documented_cns

    try:
        return documented_cns(regimen.drug_names)
    except TkiResistError:
        return True


DEFAULT_MAX_AGE_DAYS = 365
"""How old a statement's review may be before ``kb lint`` names it for review."""


def review_due(
    kb: KnowledgeBase, max_age_days: int = DEFAULT_MAX_AGE_DAYS, today: str | None = None
) -> list[Problem]:
    """Statements never reviewed, or last reviewed more than ``max_age_days`` before
    ``today`` (ISO date; default: the date today). Reported by ``kb lint`` as due for review,
    apart from the problems: an old statement is not a wrong one."""
    import datetime as dt

    now = dt.date.fromisoformat(today) if today else dt.date.today()
    out: list[Problem] = []
    for st in kb.statements:
        where = kb.location(st.id, "last_reviewed")
        if st.last_reviewed is None:
            out.append(Problem("never reviewed: no last_reviewed date", where))
            continue
        text = st.last_reviewed if len(st.last_reviewed) == 10 else st.last_reviewed + "-01"
        age = (now - dt.date.fromisoformat(text)).days
        if age > max_age_days:
            out.append(Problem(f"last reviewed {st.last_reviewed}, {age} days ago", where))
    return out


def _unused_citations(kb: KnowledgeBase) -> Iterator[Problem]:
    cited = {c.id for st in kb.statements for c in st.citations}
    for cid in sorted(set(kb.citations) - cited):
        where = kb.citation_sources.get(cid, Location(file=kb.root, field=cid))
        yield Problem(f"citation {cid!r} is cited by no statement", where)


# --- drugs ----------------------------------------------------------------------------------


def _drugs_module() -> ModuleType | None:
    try:
        return importlib.import_module(DRUGS_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != DRUGS_MODULE:
            raise
        return None


def _drug_resolver(module: ModuleType) -> Callable[[str], _DrugInfo]:
    lookup = module.lookup

    def resolve(name: str) -> _DrugInfo:
        drug = lookup(name)
        classes = {str(drug.drug_class), *(str(c) for c in getattr(drug, "other_classes", ()))}
        return _DrugInfo(
            str(drug.generic),
            frozenset(classes),
            getattr(drug, "generation", None),
            bool(getattr(drug, "class_only", False)),
        )

    return resolve


def _known_classes(module: ModuleType) -> frozenset[str] | None:
    for name in ("drug_classes", "known_classes"):
        fn = getattr(module, name, None)
        if callable(fn):
            return frozenset(str(c) for c in fn())
    return None


def _drugs(kb: KnowledgeBase) -> Iterator[Problem]:
    module = _drugs_module()
    if module is None:
        yield Problem(
            f"drug names not checked: the drug dictionary ({DRUGS_MODULE}) is not available",
            Location(file=kb.root),
        )
        return
    resolve = _drug_resolver(module)
    classes = _known_classes(module)
    for st in kb.statements:
        if classes is not None:
            for i, cls in enumerate(st.context.prior_drug_classes):
                if cls not in classes:
                    where = kb.location(st.id, f"context.prior_drug_classes.{i}")
                    yield Problem(f"unknown drug class {cls!r}", where)
        for r, regimen in enumerate(st.regimens):
            for d, item in enumerate(regimen.drugs):
                where = kb.location(st.id, f"regimens.{r}.drugs.{d}.drug")
                try:
                    info = resolve(item.drug)
                except ParseError as exc:
                    yield Problem(exc.message, where)
                    continue
                if info.class_only:
                    msg = f"{item.drug!r} names a class, not a drug: list the drugs of the regimen"
                    yield Problem(msg, where)
                elif info.generic != item.drug:
                    msg = f"write the generic name {info.generic!r}, not {item.drug!r}"
                    yield Problem(msg, where)
                if item.role is DrugRole.CONTINUE:
                    yield from _continued(st, info, where)


def _continued(st: Statement, info: _DrugInfo, where: Location) -> Iterator[Problem]:
    """A drug the patient continues must be one the context says they progressed on."""
    ctx = st.context
    if not info.classes & set(ctx.prior_drug_classes):
        classes = ", ".join(ctx.prior_drug_classes)
        msg = f"{info.generic!r} is continued, but its class is not among the prior classes"
        yield Problem(f"{msg} ({classes})", where)
    elif (
        ctx.prior_generations is not None
        and info.generation is not None
        and info.generation not in ctx.prior_generations
    ):
        msg = (
            f"{info.generic!r} (generation {info.generation}) is continued, but the context "
            f"is progression on generation(s) {list(ctx.prior_generations)}"
        )
        yield Problem(msg, where)


# --- contradictions -------------------------------------------------------------------------


def _context_key(st: Statement) -> tuple[object, ...]:
    m, c = st.match, st.context
    generations = frozenset(c.prior_generations) if c.prior_generations is not None else None
    return (
        frozenset(m.any_of),
        frozenset(m.all_of),
        frozenset(m.none_of),
        m.fallback,
        frozenset(st.disease),
        frozenset(c.prior_drug_classes),
        c.treatment_naive,
        generations,
        c.driver,
        c.driver_state,
        c.phase,
    )


def _regimen_label(regimen: Regimen) -> str:
    return " + ".join(regimen.drug_names)


def _contradictions(kb: KnowledgeBase) -> Iterator[Problem]:
    groups: dict[tuple[object, ...], list[Statement]] = {}
    for st in kb.statements:
        groups.setdefault(_context_key(st), []).append(st)
    for st in kb.statements:  # within one statement
        yield from _self_contradictions(kb, st)
    for members in groups.values():
        for a, b in combinations(members, 2):
            if a.precedence != b.precedence:
                continue
            for i, ra in enumerate(a.regimens):
                for j, rb in enumerate(b.regimens):
                    if ra.drug_set == rb.drug_set and ra.effect != rb.effect:
                        first = kb.location(a.id, f"regimens.{i}")
                        msg = (
                            f"contradicts {a.id!r} ({first.file}:{first.line}): regimen "
                            f"{_regimen_label(rb)} is {rb.effect} here and {ra.effect} there, "
                            "in the same match and context, with equal precedence"
                        )
                        yield Problem(msg, kb.location(b.id, f"regimens.{j}"))


def _self_contradictions(kb: KnowledgeBase, st: Statement) -> Iterator[Problem]:
    for (i, ra), (j, rb) in combinations(enumerate(st.regimens), 2):
        if ra.drug_set == rb.drug_set:
            what = "contradicts" if ra.effect != rb.effect else "repeats"
            msg = f"regimen {_regimen_label(rb)} {what} regimen {i} of the same statement"
            yield Problem(msg, kb.location(st.id, f"regimens.{j}"))
