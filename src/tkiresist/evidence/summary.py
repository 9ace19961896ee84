"""Pooled statistics over a set of registry cases, computed in the database.

:func:`summarize` reads the case-facts table (:mod:`tkiresist.evidence.facts`) through four
aggregate queries, whatever the number of cases:

1. ``counts``: one scan with ``COUNT(*) FILTER (WHERE ...)`` for the fixed statistics (EGFR
   mutation, T790M, osimertinib exposure, CNS, sex, intervals reported);
2. ``cube``: ``GROUP BY`` prior TKIs, ALK partners, first post-resistance regimen,
   combination flag, best response and grade ≥3 flag: every open-vocabulary statistic
   (per-drug exposure, TKI at resistance, partner distribution, regimens, responses, ORR and
   DCR, adverse events) is derived from its few rows;
3. ``interval``: ``GROUP BY interval_months, interval_censored``;
4. ``age``: ``GROUP BY age``.

No case row is loaded. The per-value counts of queries 3 and 4 are summarised with the
statistics core's frequency weights (:func:`tkiresist.evidence.stats.describe`,
:class:`~tkiresist.evidence.stats.KaplanMeier`), so a median over a million cases costs as
much as one over the distinct values.

Every statistic is a :class:`Statistic` with an ``id``, a ``label`` that states the
denominator ("3/9 with CNS status reported"), ``numerator``, ``denominator``, ``value`` and
``ci`` (Clopper–Pearson exact and Wilson for proportions). :func:`case_predicates` gives, for
any statistic id, the SQL conditions that select the cases of its numerator and denominator:
the claims audit lists the cases behind a number with them.

Definitions (also in :data:`DEFINITIONS`, printed with every summary):

* **Double fusions** (the seed's case 12: EML4::ALK and STRN::ALK). A case counts as *EML4*
  (``eml4_partner_share``) only when every partner is EML4, and as *uncommon partner*
  (``uncommon_partner_share``) when any partner is not EML4; the two partition the cases
  with a partner reported, so case 12 counts once, as uncommon. This reproduces the seed's
  11/16 (68.8%) and 5/16 (31.2%). ``eml4_any_share`` (12/16) counts every case with an
  EML4 fusion, and the partner distribution by fusion counts each fusion (17 fusions).
* **ORR and DCR on combination** (``combination_orr``, ``combination_dcr``): cases whose
  *first* post-resistance regimen combines an EGFR TKI and an ALK TKI
  (``combination_egfr_alk``) and whose best response to it is reported; ORR counts CR and
  PR, DCR counts CR, PR and SD. In the seed these are cases 1, 4, 9–14 and 16: CR 1, PR 5,
  SD 3, N = 9, ORR 6/9. Case 15 (alectinib alone) is not on combination.
* **Grade ≥3 adverse events on combination** (``combination_grade3plus_count``): combination
  cases with a grade ≥3 event, except those whose event text names drugs, none of which is
  in the first post-resistance regimen (the seed's case 13: "Brigatinib-induced", while its
  first regimen was osimertinib + crizotinib). A text that names no drug counts.
* **TKI at resistance**: the last of the prior TKIs. **Exposure**: any of them.
* **Interval to resistance**: descriptive statistics use the cases whose interval is an
  observed resistance time; a censored interval (still on treatment) enters only the
  Kaplan–Meier estimate, which is given whenever a case is censored.
* **Regimens**: the first post-resistance regimen, canonical (``osimertinib + alectinib``).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from tkiresist.errors import EvidenceError, Location
from tkiresist.evidence.catalogue import (
    COMBINATION_SQL,
    DE_NOVO_EML4,
    DEFINITIONS,
    EVIDENCE_INDEXES,
    FAMILIES,
    FIXED,
    GRADE3_ON_FIRST,
    LAST_TKI,
    REQUIRED_IDS,
    RESPONSES,
    Predicate,
    StatKind,
    drug_slug,
    dynamic_family,
    regimen_slug,
)
from tkiresist.evidence.facts import (
    FACTS_TABLE,
    FactsSource,
    as_bool,
    check_columns,
    open_source,
    split_list,
)
from tkiresist.evidence.stats import (
    BinomialTest,
    Distribution,
    KaplanMeier,
    binomial_test,
    describe,
    proportion,
)
from tkiresist.evidence.where import Filter, compile_filter, parse_filter
from tkiresist.model.base import Value

Interval = tuple[float, float]

# ----------------------------------------------------------------------------- values


class Ci(Value):
    """A statistic's confidence interval(s) at ``level``.

    For a proportion, ``exact`` (Clopper–Pearson) and ``wilson``; for another statistic
    (a Kaplan–Meier median), ``low``/``high`` with ``method``; a ``None`` limit is not
    reached.
    """

    level: float = Field(gt=0.0, lt=1.0)
    exact: Interval | None = None
    wilson: Interval | None = None
    low: float | None = None
    high: float | None = None
    method: str | None = None


class Statistic(Value):
    """One pooled number with its denominator and confidence interval.

    ``value`` is the proportion (0–1) for ``proportion``, the count for ``count``, a
    ``(low, high)`` pair for ``range`` and ``iqr``, the p-value for ``p_value`` and the
    number itself otherwise. For a count, ``denominator`` is the set it was counted in and
    ``ci`` the interval of ``numerator/denominator``.
    """

    id: str
    group: str
    label: str
    kind: StatKind
    numerator: int | None = None
    denominator: int | None = None
    value: float | tuple[float, float] | None = None
    ci: Ci | None = None
    unit: str | None = None

    @property
    def percent(self) -> float | None:
        """100·numerator/denominator, when both are known and the denominator is not 0."""
        if self.numerator is None or not self.denominator:
            return None
        return 100.0 * self.numerator / self.denominator

    def text(self) -> str:
        """One line: the label, the value and its interval."""
        head = self.label
        if self.kind in ("proportion", "count") and self.ci and self.ci.exact:
            pct = self.percent
            lo, hi = self.ci.exact
            wlo, whi = self.ci.wilson if self.ci.wilson else (math.nan, math.nan)
            return (
                f"{head} = {pct:.1f}% (95% CI exact {100 * lo:.1f}–{100 * hi:.1f}%, "
                f"Wilson {100 * wlo:.1f}–{100 * whi:.1f}%)"
            )
        return head


class KmSummary(Value):
    """A Kaplan–Meier estimate of the interval to resistance."""

    n: int
    events: int
    censored: int
    median: float | None
    median_low: float | None
    median_high: float | None
    level: float
    conf_type: str


class EvidenceSummary(Value):
    """Pooled statistics over the cases a dataset and filter select."""

    source: str
    table: str
    dataset: str | None
    where: str | None
    n_cases: int
    statistics: tuple[Statistic, ...]
    interval: Distribution
    interval_km: KmSummary | None
    age: Distribution
    eml4_test: BinomialTest | None
    statuses: tuple[str, ...] | None = Field(
        default=None,
        description="curation statuses pooled (None: the table records no status)",
    )
    duplicates_excluded: int = Field(
        default=0,
        description="cases left out as likely the same patient as a counted case",
    )
    denominators: dict[str, int] = Field(
        default_factory=dict, description="denominator of each family of dynamic statistics"
    )
    definitions: tuple[str, ...] = DEFINITIONS

    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.statistics)

    def pooled_text(self) -> str:
        """Which cases were pooled: the statuses, and the likely duplicates counted once."""
        if self.statuses is None:
            text = "Pooled: every case (the table records no curation status)"
        elif self.statuses == ("reviewed",):
            text = "Pooled: reviewed cases only (drafts left out)"
        else:
            text = f"Pooled: {' and '.join(self.statuses)} cases"
        if self.duplicates_excluded:
            text += (
                f"; {self.duplicates_excluded} likely duplicate(s) of the same patient counted once"
            )
        return text

    def get(self, stat_id: str) -> Statistic:
        """The statistic ``stat_id``; a well-formed dynamic id absent here (say a regimen no
        case received) is a count of 0. Raises :class:`EvidenceError` for an unknown id."""
        for stat in self.statistics:
            if stat.id == stat_id:
                return stat
        family = dynamic_family(stat_id)
        if family is None:
            raise EvidenceError(
                f"unknown statistic {stat_id!r}; known ids include: " + ", ".join(REQUIRED_IDS),
                Location(field="statistic"),
            )
        denominator = self.denominators.get(family.name, 0)
        kind: StatKind = "proportion" if family.proportion else "count"
        return _proportion_stat(
            stat_id, family.group, family.title(stat_id), 0, denominator, family.phrase, kind
        )

    def group(self, name: str) -> tuple[Statistic, ...]:
        return tuple(s for s in self.statistics if s.group == name)

    def groups(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.group for s in self.statistics))

    def as_json(self) -> dict[str, Any]:
        """The JSON form: ``statistics`` is a list of objects with ``id``, ``label``,
        ``numerator``, ``denominator``, ``value`` and ``ci``."""
        return self.model_dump(mode="json")

    def text(self) -> str:
        """A human-readable report, one statistic a line, grouped."""
        scope = f"dataset {self.dataset}" if self.dataset else "all datasets"
        if self.where:
            scope += f", where {self.where}"
        lines = [f"Evidence summary: {self.n_cases} cases ({scope}; {self.source})"]
        lines.append(self.pooled_text())
        for group in self.groups():
            lines.append("")
            lines.append(group)
            for stat in self.group(group):
                lines.append(f"  {stat.text()}")
        if self.eml4_test is not None:
            lines += ["", f"EML4 against de novo ALK-positive NSCLC: {self.eml4_test}"]
        lines += ["", "Definitions"] + [f"  - {d}" for d in self.definitions]
        return "\n".join(lines)


# ----------------------------------------------------------------------------- building


def _ci(k: int, n: int, level: float) -> Ci | None:
    if n == 0:
        return None
    prop = proportion(k, n, level)
    return Ci(level=level, exact=prop.ci_exact, wilson=prop.ci_wilson)


def _proportion_stat(
    stat_id: str,
    group: str,
    title: str,
    k: int,
    n: int,
    phrase: str,
    kind: StatKind = "proportion",
    level: float = 0.95,
) -> Statistic:
    value: float | None
    value = float(k) if kind == "count" else k / n if n else None
    return Statistic(
        id=stat_id,
        group=group,
        label=f"{title}: {k}/{n} {phrase}",
        kind=kind,
        numerator=k,
        denominator=n,
        value=value,
        ci=_ci(k, n, level),
    )


@dataclass(frozen=True, slots=True)
class _CubeRow:
    prior_tkis: tuple[str, ...] | None
    partners: tuple[str, ...] | None
    regimen: str | None
    combination: bool | None
    response: str | None
    grade3: bool | None
    grade3_text: str | None
    n: int
    last_tki: str | None = None
    """The registry's EGFR TKI at resistance; ``None`` without the column (then: last prior)."""
    grade3_on_regimen: bool | None = None
    """The registry's attribution of grade >=3 events to the first regimen, if it has one."""


def _named_drugs(text: str) -> frozenset[str]:
    """Generic names of the drugs a free text names (single words and word pairs)."""
    from tkiresist.nomenclature.drugs import is_known, lookup

    words = re.findall(r"[A-Za-z0-9]+", text)
    found: set[str] = set()
    for size in (1, 2, 3):
        for i in range(len(words) - size + 1):
            name = " ".join(words[i : i + size])
            if is_known(name):
                found.add(lookup(name).generic)
    return frozenset(found)


def attributed_to_regimen(grade3_text: str | None, regimen: str | None) -> bool:
    """Whether a grade ≥3 event counts against ``regimen`` (see the module's definitions)."""
    named = _named_drugs(grade3_text or "")
    if not named:
        return True
    in_regimen = {d.strip() for d in (regimen or "").split("+")}
    return bool(named & in_regimen)


class _Counts:
    """Counters keyed by statistic id (numerator, denominator) filled from the cube."""

    def __init__(self) -> None:
        self.num: Counter[str] = Counter()
        self.den: Counter[str] = Counter()

    def add(self, stat_id: str, n: int, in_num: bool, in_den: bool) -> None:
        if in_den:
            self.den[stat_id] += n
            if in_num:
                self.num[stat_id] += n


def _summarize_cube(
    rows: Sequence[_CubeRow], *, registry_last_tki: bool, registry_grade3: bool
) -> tuple[_Counts, dict[str, int], list[str]]:
    counts = _Counts()
    fam_den: dict[str, int] = defaultdict(int)
    dynamic: list[str] = []

    def dyn(stat_id: str) -> str:
        if stat_id not in dynamic:
            dynamic.append(stat_id)
        return stat_id

    for row in rows:
        n = row.n
        reported = row.partners is not None and len(row.partners) > 0
        partners = row.partners or ()
        eml4_any = "EML4" in partners
        uncommon = any(p != "EML4" for p in partners)
        counts.add("eml4_partner_share", n, eml4_any and not uncommon, reported)
        counts.add("uncommon_partner_share", n, uncommon, reported)
        counts.add("eml4_any_share", n, eml4_any, reported)
        counts.add("double_fusion_count", n, len(partners) >= 2, reported)
        if reported:
            fam_den["partner_fusion"] += n * len(partners)
            fam_den["partner_case"] += n
            for gene in partners:
                counts.num[dyn(f"partner_{gene.lower()}_fusion_count")] += n
            for gene in set(partners):
                counts.num[dyn(f"partner_{gene.lower()}_case_share")] += n
        if row.prior_tkis is not None:
            fam_den["prior_tki"] += n
            for drug in dict.fromkeys(row.prior_tkis):
                counts.num[dyn(f"prior_tki_{drug_slug(drug)}_exposure_share")] += n
        last = row.last_tki if registry_last_tki else (row.prior_tkis or (None,))[-1]
        if (registry_last_tki and last is not None) or (not registry_last_tki and row.prior_tkis):
            fam_den["tki_at_resistance"] += n
            if last is not None:
                counts.num[dyn(f"tki_at_resistance_{drug_slug(last)}_count")] += n
        has_regimen = row.regimen is not None
        assessed = row.response in RESPONSES
        combo = row.combination is True
        counts.add("post_regimen_reported_share", n, has_regimen, True)
        counts.add("combination_count", n, combo, has_regimen)
        for r in RESPONSES:
            counts.add(f"best_response_{r.lower()}_count", n, row.response == r, assessed)
            counts.add(
                f"combination_response_{r.lower()}_count", n, row.response == r, combo and assessed
            )
        counts.add("combination_orr", n, row.response in ("CR", "PR"), combo and assessed)
        counts.add("combination_dcr", n, row.response in ("CR", "PR", "SD"), combo and assessed)
        counts.add("grade3plus_any_count", n, row.grade3 is True, row.grade3 is not None)
        if registry_grade3:
            counts.add(
                "combination_grade3plus_count",
                n,
                row.grade3_on_regimen is True,
                combo and row.grade3_on_regimen is not None,
            )
        else:
            counts.add(
                "combination_grade3plus_count",
                n,
                row.grade3 is True and attributed_to_regimen(row.grade3_text, row.regimen),
                combo and row.grade3 is not None,
            )
        if row.regimen is not None:
            fam_den["regimen"] += n
            slug = regimen_slug(row.regimen)
            counts.num[dyn(f"regimen_{slug}_count")] += n
            for suffix, wanted in (("orr", ("CR", "PR")), ("dcr", ("CR", "PR", "SD"))):
                counts.add(dyn(f"regimen_{slug}_{suffix}"), n, row.response in wanted, assessed)
    return counts, dict(fam_den), dynamic


def _grouped(
    facts: FactsSource, columns: list[str], scope: Predicate, extra: str | None = None
) -> dict[tuple[Any, ...], int]:
    """``COUNT(*)`` per combination of ``columns`` (expressions written in this module).

    The query groups by ``dataset`` first, then ``columns``, and the datasets are merged
    here: so an index ``(dataset, *columns)`` (:data:`EVIDENCE_INDEXES`) serves the query as
    a streaming scan, with or without a dataset filter. Constant columns (``NULL``) are left
    out of the query and come back as ``None``.
    """
    real = [c for c in columns if c != "NULL"]
    where = scope.sql if extra is None else f"({scope.sql}) AND {extra}"
    keys = ", ".join(["dataset", *real])
    positions = ", ".join(str(i) for i in range(1, len(real) + 2))
    sql = f"SELECT {keys}, COUNT(*) FROM {facts.table} WHERE {where} GROUP BY {positions}"
    out: dict[tuple[Any, ...], int] = defaultdict(int)
    for row in facts.rows(sql, scope.params):
        values = iter(row[1:-1])
        key = tuple(None if c == "NULL" else next(values) for c in columns)
        out[key] += int(row[-1])
    return dict(out)


def _filter_predicate(dataset: str | None, flt: Filter | None) -> Predicate:
    compiled = compile_filter(flt)
    pred = Predicate(compiled.sql, dict(compiled.params))
    if dataset is not None:
        pred = Predicate("dataset = :dataset", {"dataset": dataset}).and_(pred)
    return pred


def _distribution_stats(
    prefix: str, group: str, unit: str, dist: Distribution, phrase: str
) -> list[Statistic]:
    n = dist.n
    out: list[Statistic] = []
    if dist.median is None:
        return [
            Statistic(
                id=f"{prefix}_median_{unit}",
                group=group,
                label=f"Median {prefix.replace('_', ' ')}: no values (0 {phrase})",
                kind="median",
                denominator=0,
                unit=unit,
            )
        ]
    name = prefix.replace("_", " ")
    assert dist.range is not None and dist.iqr is not None and dist.mean is not None
    out.append(
        Statistic(
            id=f"{prefix}_median_{unit}",
            group=group,
            label=f"Median {name}: {_num(dist.median)} {unit}, n = {n} {phrase}",
            kind="median",
            denominator=n,
            value=dist.median,
            unit=unit,
        )
    )
    out.append(
        Statistic(
            id=f"{prefix}_range_{unit}",
            group=group,
            label=f"Range of {name}: {_num(dist.range[0])}–{_num(dist.range[1])} {unit}, "
            f"n = {n} {phrase}",
            kind="range",
            denominator=n,
            value=dist.range,
            unit=unit,
        )
    )
    out.append(
        Statistic(
            id=f"{prefix}_iqr_{unit}",
            group=group,
            label=f"IQR of {name}: {_num(dist.iqr[0])}–{_num(dist.iqr[1])} {unit} "
            f"(Hyndman–Fan type {dist.quantile_type}), n = {n} {phrase}",
            kind="iqr",
            denominator=n,
            value=dist.iqr,
            unit=unit,
        )
    )
    sd = f" (SD {_num(dist.sd)})" if dist.sd is not None else ""
    out.append(
        Statistic(
            id=f"{prefix}_mean_{unit}",
            group=group,
            label=f"Mean {name}: {_num(dist.mean)}{sd} {unit}, n = {n} {phrase}",
            kind="mean",
            denominator=n,
            value=dist.mean,
            unit=unit,
        )
    )
    return out


def _num(x: float | None) -> str:
    if x is None:
        return "NA"
    return f"{x:.2f}".rstrip("0").rstrip(".")


def summarize(
    source: object,
    *,
    dataset: str | None = None,
    where: str | Filter | None = None,
    table: str = FACTS_TABLE,
    level: float = 0.95,
    reference_eml4: float = DE_NOVO_EML4,
    include_drafts: bool = False,
) -> EvidenceSummary:
    """Pooled statistics over the cases of ``source`` that ``dataset`` and ``where`` select.

    Only ``reviewed`` cases are pooled unless ``include_drafts`` (when the table has a
    ``status`` column), and a case the registry marks as likely the same patient as another
    (``duplicate_of`` set) is left out, so that each patient counts once
    (``EvidenceSummary.statuses``, ``duplicates_excluded`` say so).

    ``source``: a SQLAlchemy engine or connection, a DuckDB relation or connection (see
    :func:`tkiresist.evidence.facts.open_source`). ``where``: a filter in the language of
    :mod:`tkiresist.evidence.where` (text or parsed). Raises :class:`EvidenceError` when the
    table lacks a contract column or ``dataset`` has no cases, and
    :class:`~tkiresist.errors.ParseError` for a bad filter.
    """
    facts = open_source(source, table)
    check_columns(facts)
    flt = parse_filter(where) if isinstance(where, str) else where
    for clause in flt.clauses if flt else ():
        if clause.column not in facts.columns:
            raise EvidenceError(
                f"the facts table has no column {clause.column!r} to filter on",
                Location(file=facts.description, field="where", column=clause.position + 1),
            )
    scope = _filter_predicate(dataset, flt)
    tbl = facts.table
    statuses: tuple[str, ...] | None = None
    if "status" in facts.columns:
        statuses = ("draft", "reviewed") if include_drafts else ("reviewed",)
    duplicates = 0
    if "duplicate_of" in facts.columns:
        counted = pooled_predicate(facts, include_drafts=include_drafts, duplicates=True)
        duplicates = int(
            facts.rows(
                f"SELECT COUNT(*) FROM {tbl} WHERE ({counted.and_(scope).sql}) "
                "AND duplicate_of IS NOT NULL",
                counted.and_(scope).params,
            )[0][0]
            or 0
        )
    scope = pooled_predicate(facts, include_drafts=include_drafts).and_(scope)

    # 1. counts: one scan, fixed predicates.
    fixed_counts = [f for f in FIXED if f.query == "counts"]
    predicates: dict[str, Predicate] = {}
    for f in fixed_counts:
        for pred in (f.numerator, f.denominator):
            predicates.setdefault(pred.sql, pred)
    keys = list(predicates)
    select = ", ".join("COUNT(*)" if k == "TRUE" else f"COUNT(*) FILTER (WHERE {k})" for k in keys)
    counts_row = facts.rows(f"SELECT {select} FROM {tbl} WHERE {scope.sql}", scope.params)[0]
    by_sql = {k: int(v or 0) for k, v in zip(keys, counts_row, strict=True)}
    n_cases = by_sql["TRUE"]
    if n_cases == 0 and dataset is not None:
        _raise_unknown_dataset(facts, dataset, flt)

    # 2. cube: open vocabularies (columns in the order of EVIDENCE_INDEXES["cube"]).
    registry_last_tki = LAST_TKI in facts.columns
    registry_grade3 = GRADE3_ON_FIRST in facts.columns
    cube_cols = list(EVIDENCE_INDEXES["cube"][1:7])
    cube_cols.append(LAST_TKI if registry_last_tki else "NULL")
    cube_cols.append(
        GRADE3_ON_FIRST
        if registry_grade3
        else f"CASE WHEN {COMBINATION_SQL} AND grade3_any IS TRUE THEN grade3_text END"
    )
    cube = [
        _CubeRow(
            prior_tkis=None if r[0] is None else split_list(r[0]),
            partners=None if r[1] is None else split_list(r[1]),
            regimen=None if r[2] is None else str(r[2]),
            combination=as_bool(r[3]),
            response=None if r[4] is None else str(r[4]).upper(),
            grade3=as_bool(r[5]),
            last_tki=None if r[6] is None else str(r[6]),
            grade3_on_regimen=as_bool(r[7]) if registry_grade3 else None,
            grade3_text=None if registry_grade3 or r[7] is None else str(r[7]),
            n=n,
        )
        for r, n in _grouped(facts, cube_cols, scope).items()
    ]
    cube_counts, fam_den, dynamic = _summarize_cube(
        cube, registry_last_tki=registry_last_tki, registry_grade3=registry_grade3
    )

    stats: list[Statistic] = []
    for f in FIXED:
        if f.query == "counts":
            k, n = by_sql[f.numerator.sql], by_sql[f.denominator.sql]
        else:
            k, n = cube_counts.num[f.id], cube_counts.den[f.id]
        if f.id == "n_cases":
            stats.append(
                Statistic(
                    id="n_cases",
                    group="Cases",
                    label=f"Cases: {n_cases}",
                    kind="count",
                    numerator=n_cases,
                    value=float(n_cases),
                )
            )
            continue
        stats.append(_proportion_stat(f.id, f.group, f.title, k, n, f.phrase, f.kind, level))

    # dynamic families, plus the regimens every summary names
    for required in ("regimen_osimertinib_alectinib_count", "regimen_osimertinib_crizotinib_count"):
        if required not in dynamic:
            dynamic.append(required)
    family_order = {fam.name: i for i, fam in enumerate(FAMILIES)}
    resolved = [(dynamic_family(d), d) for d in dynamic]
    resolved.sort(key=lambda fd: (family_order[fd[0].name] if fd[0] else 99, fd[1]))
    for family, stat_id in resolved:
        if family is None:
            raise EvidenceError(
                f"a fact value gives statistic id {stat_id!r}, which names an unknown drug, "
                "gene or regimen",
                Location(file=facts.description, field=FACTS_TABLE),
            )
        if family.name in ("regimen_orr", "regimen_dcr"):
            k, n = cube_counts.num[stat_id], cube_counts.den[stat_id]
        else:
            k, n = cube_counts.num[stat_id], fam_den.get(family.name, 0)
        kind: StatKind = "proportion" if family.proportion else "count"
        stats.append(
            _proportion_stat(
                stat_id, family.group, family.title(stat_id), k, n, family.phrase, kind, level
            )
        )

    # 3. interval
    interval_rows = [
        (t, cens, n)
        for (t, cens), n in _grouped(
            facts, list(EVIDENCE_INDEXES["interval"][1:3]), scope, "interval_months IS NOT NULL"
        ).items()
    ]
    observed = [(float(t), int(c)) for t, cens, c in interval_rows if as_bool(cens) is not True]
    interval = describe([t for t, _ in observed], counts=[c for _, c in observed])
    stats += _distribution_stats(
        "interval", "Interval to resistance", "months", interval, "with resistance observed"
    )
    km: KmSummary | None = None
    if any(as_bool(cens) is True for _, cens, _ in interval_rows):
        fitter = KaplanMeier(level=level).fit(
            [float(t) for t, _, _ in interval_rows],
            [as_bool(cens) is not True for _, cens, _ in interval_rows],
            counts=[int(c) for _, _, c in interval_rows],
        )
        q = fitter.quantile(0.5)
        km = KmSummary(
            n=fitter.n_,
            events=sum(fitter.events_),
            censored=sum(fitter.censored_),
            median=q.time,
            median_low=q.low,
            median_high=q.high,
            level=level,
            conf_type=fitter.conf_type,
        )
        stats.append(
            Statistic(
                id="interval_km_median_months",
                group="Interval to resistance",
                label=f"Kaplan–Meier median interval: {_num(q.time) if q.time else 'not reached'}"
                f" months, n = {km.n} with an interval ({km.censored} censored)",
                kind="median",
                denominator=km.n,
                value=q.time,
                ci=Ci(
                    level=level,
                    low=q.low,
                    high=q.high,
                    method="Brookmeyer–Crowley, log-log (R survfit)",
                ),
                unit="months",
            )
        )

    # 4. age
    age_rows = [(a, n) for (a,), n in _grouped(facts, ["age"], scope).items()]
    ages = [(None if a is None else float(a), int(c)) for a, c in age_rows]
    age = describe([a for a, _ in ages], counts=[c for _, c in ages])
    stats += _distribution_stats("age", "Age and sex", "years", age, "with age reported")

    # EML4 against the de novo reference
    eml4 = next(s for s in stats if s.id == "eml4_partner_share")
    test: BinomialTest | None = None
    if eml4.denominator:
        assert eml4.numerator is not None
        test = binomial_test(eml4.numerator, eml4.denominator, reference_eml4, "less", level)
        stats.append(
            Statistic(
                id="eml4_vs_de_novo_test",
                group="ALK fusion partner",
                label=(
                    f"EML4 in {eml4.numerator}/{eml4.denominator} here against "
                    f">{100 * reference_eml4:.0f}% in de novo ALK-positive NSCLC (Ou et al. "
                    f"2020, as cited by the seed): exact binomial test, one-sided p = "
                    f"{test.p_value:.2g}"
                ),
                kind="p_value",
                numerator=eml4.numerator,
                denominator=eml4.denominator,
                value=test.p_value,
                ci=Ci(level=level, exact=test.ci),
            )
        )

    _order(stats)
    return EvidenceSummary(
        source=facts.description,
        table=tbl,
        dataset=dataset,
        where=str(flt) if flt else None,
        n_cases=n_cases,
        statistics=tuple(stats),
        interval=interval,
        interval_km=km,
        age=age,
        eml4_test=test,
        statuses=statuses,
        duplicates_excluded=duplicates,
        denominators=fam_den,
    )


_GROUP_ORDER = (
    "Cases",
    "Age and sex",
    "EGFR mutation (baseline)",
    "Prior EGFR TKI",
    "EGFR TKI at resistance",
    "ALK fusion partner",
    "Interval to resistance",
    "CNS",
    "Post-resistance regimen",
    "Best response (first post-resistance regimen)",
    "Combination EGFR + ALK TKI",
    "Response by regimen",
    "Adverse events",
)


def _order(stats: list[Statistic]) -> None:
    rank = {g: i for i, g in enumerate(_GROUP_ORDER)}
    stats.sort(key=lambda s: rank.get(s.group, len(rank)))  # stable within a group


def _raise_unknown_dataset(facts: FactsSource, dataset: str, flt: Filter | None) -> None:
    count = facts.rows(f"SELECT COUNT(*) FROM {facts.table} WHERE dataset = :d", {"d": dataset})[0][
        0
    ]
    if count:
        return  # the dataset exists; the filter (or the statuses pooled) selects nothing
    names = [
        str(r[0])
        for r in facts.rows(f"SELECT DISTINCT dataset FROM {facts.table} ORDER BY 1", {})
        if r[0] is not None
    ]
    raise EvidenceError(
        f"no cases in dataset {dataset!r}; datasets: {', '.join(names) or 'none'}",
        Location(file=facts.description, field="dataset"),
    )


def pooled_predicate(
    facts: FactsSource, *, include_drafts: bool = False, duplicates: bool = False
) -> Predicate:
    """The cases pooled evidence reads (#16): ``reviewed`` ones unless ``include_drafts``
    (when the table has ``status``), and not a likely duplicate of another patient (when it
    has ``duplicate_of``; ``duplicates=True`` keeps them)."""
    pred = Predicate("TRUE")
    if "status" in facts.columns and not include_drafts:
        pred = Predicate("status = :pooled_status", {"pooled_status": "reviewed"})
    if "duplicate_of" in facts.columns and not duplicates:
        pred = Predicate("duplicate_of IS NULL").and_(pred)
    return pred


def list_cases(
    source: object,
    predicate: Predicate,
    *,
    dataset: str | None = None,
    columns: Iterable[str] = (),
    limit: int = 50,
    table: str = FACTS_TABLE,
    pooled: bool = False,
) -> tuple[int, list[dict[str, Any]]]:
    """The number of cases that satisfy ``predicate`` (within ``dataset``) and the first
    ``limit`` of them, with ``case_uid``, ``source_row`` (when the table has it) and
    ``columns``; ordered by source row, then uid. ``pooled``: only the cases a summary pools
    (:func:`pooled_predicate`: reviewed, each patient once)."""
    facts = open_source(source, table)
    scope = _filter_predicate(dataset, None).and_(predicate)
    if pooled:
        scope = pooled_predicate(facts).and_(scope)
    cols = ["case_uid"]
    if "source_row" in facts.columns:
        cols.append("source_row")
    for c in columns:
        if c in facts.columns and c not in cols:
            cols.append(c)
    total = int(
        facts.rows(f"SELECT COUNT(*) FROM {facts.table} WHERE {scope.sql}", scope.params)[0][0]
    )
    # "2" before "10": shorter labels first, then by text
    order = "LENGTH(source_row), source_row, case_uid" if "source_row" in cols else "case_uid"
    rows = facts.rows(
        f"SELECT {', '.join(cols)} FROM {facts.table} WHERE {scope.sql} "
        f"ORDER BY {order} LIMIT {int(limit)}",
        scope.params,
    )
    return total, [dict(zip(cols, r, strict=True)) for r in rows]
