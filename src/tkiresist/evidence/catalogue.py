"""The catalogue of pooled statistics: every id, its definition and the cases it counts.

A statistic is *fixed* (``egfr_ex19del_share``, ``combination_orr``...; :data:`REQUIRED_IDS`
are the ones every summary carries) or belongs to a *family* of dynamic ids, one per drug, gene
or regimen found in the data (``prior_tki_afatinib_exposure_share``,
``tki_at_resistance_gefitinib_count``, ``partner_strn_fusion_count``,
``regimen_osimertinib_alectinib_count``, ``regimen_osimertinib_alectinib_orr``...).
:func:`is_known_statistic` tells a claims file's ids apart from typos: a dynamic id must name a
drug the dictionary knows, an HGNC gene or a regimen of known drugs.

:func:`case_predicates` gives for any id the SQL conditions (with bound parameters) that select
the cases of its numerator and denominator, and :func:`evidence_columns` the fact columns that
show why a case is in it. :mod:`tkiresist.evidence.summary` computes the numbers;
the claims audit uses the predicates to list the cases behind a number. The definitions of
the less obvious statistics are in :data:`DEFINITIONS` and in the summary module's docstring.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from tkiresist.errors import EvidenceError, Location
from tkiresist.evidence.facts import (
    list_last_pattern,
    list_last_sql,
    list_member_pattern,
    list_member_sql,
)

StatKind = Literal["count", "proportion", "median", "range", "iqr", "mean", "sd", "p_value"]

RESPONSES: Final = ("CR", "PR", "SD", "PD")
EGFR_CLASSES: Final = ("ex19del", "l858r", "uncommon", "other")
DE_NOVO_EML4: Final = 0.95
"""EML4's share of fusion partners in de novo ALK-positive NSCLC, "over 95%" as the seed states
it, citing Ou SI, Zhu VW, Nagasaka M. Catalog of 5' fusion partners in ALK-positive NSCLC circa
2020. JTO Clin Res Rep 2020;1:100015, doi:10.1016/j.jtocrr.2020.100015 (the citation was
checked; the 95% figure is the seed's reading of it and was not checked against the catalog)."""

DEFINITIONS: Final[tuple[str, ...]] = (
    "Double fusions: a case is 'EML4' only if every ALK partner is EML4 and 'uncommon' if any "
    "partner is not; the two partition the cases (a case with EML4::ALK and STRN::ALK counts "
    "once, as uncommon). eml4_any_share counts every case with an EML4 fusion; the partner "
    "distribution by fusion counts each fusion.",
    "ORR/DCR on combination: cases whose first post-resistance regimen combines an EGFR TKI "
    "and an ALK TKI, with a best response reported; ORR = CR + PR, DCR = CR + PR + SD.",
    "Grade >=3 adverse events on combination: combination cases with a grade >=3 event, "
    "except when the event text names drugs none of which is in the first post-resistance "
    "regimen (e.g. 'Brigatinib-induced' after osimertinib + crizotinib); a text naming no "
    "drug counts.",
    "TKI at resistance: the last prior TKI. Exposure: any prior TKI.",
    "Interval to resistance: descriptive statistics over observed (uncensored) intervals; "
    "censored intervals enter the Kaplan-Meier estimate only. IQR by Hyndman-Fan type 7.",
    "Confidence intervals: 95% two-sided, Clopper-Pearson exact and Wilson score.",
)


# ----------------------------------------------------------------------------- predicates


@dataclass(frozen=True, slots=True)
class Predicate:
    """A SQL condition over the facts table with its bound parameters (``:name``)."""

    sql: str
    params: Mapping[str, object] = field(default_factory=dict)

    def and_(self, other: Predicate) -> Predicate:
        clash = set(self.params) & set(other.params)
        if clash and any(self.params[k] != other.params[k] for k in clash):
            raise EvidenceError(f"parameter clash: {sorted(clash)}")
        return Predicate(f"({self.sql}) AND ({other.sql})", {**self.params, **other.params})


TRUE = Predicate("TRUE")
_ASSESSED = "best_response IN ('CR', 'PR', 'SD', 'PD')"
COMBINATION_SQL = "combination_egfr_alk IS TRUE"
_PARTNERS = "alk_partners IS NOT NULL"
#: Indexes on ``registry_case_facts`` that make :func:`~tkiresist.evidence.summary.summarize`
#: a few streaming index scans (no sort) on SQLite: name suffix -> columns, in order. The
#: summary's GROUP BY lists these columns in this order; the registry's migrations create them
#: (r0005: each ends with ``status`` and ``duplicate_of``, so that the pooled cases' condition,
#: reviewed and counted once, is read from the index too).
EVIDENCE_INDEXES: Final[Mapping[str, tuple[str, ...]]] = {
    "cube": (
        "dataset",
        "prior_tkis",
        "alk_partners",
        "first_post_regimen",
        "combination_egfr_alk",
        "best_response",
        "grade3_any",
        "last_egfr_tki",
        "grade3_on_first_post_regimen",
        "status",
        "duplicate_of",
    ),
    # the interval's columns first; the rest make it cover the one-scan counts query too
    "interval": (
        "dataset",
        "interval_months",
        "interval_censored",
        "egfr_baseline",
        "egfr_t790m",
        "osimertinib_exposed",
        "cns_reported",
        "cns_involved",
        "sex",
        "status",
        "duplicate_of",
    ),
    "age": ("dataset", "age", "status", "duplicate_of"),
}

#: the registry's own attribution of grade >=3 events (used when the table has the column)
GRADE3_ON_FIRST: Final = "grade3_on_first_post_regimen"
#: the registry's EGFR TKI at resistance (used when the table has the column)
LAST_TKI: Final = "last_egfr_tki"


@dataclass(frozen=True, slots=True)
class _Fixed:
    """A fixed proportion or count: its predicates, label parts and the columns to show."""

    id: str
    group: str
    title: str
    phrase: str
    numerator: Predicate
    denominator: Predicate
    kind: StatKind = "proportion"
    evidence: tuple[str, ...] = ()
    query: Literal["counts", "cube"] = "counts"


def _p(sql: str) -> Predicate:
    return Predicate(sql)


FIXED: tuple[_Fixed, ...] = (
    _Fixed("n_cases", "Cases", "Cases", "in the selection", TRUE, TRUE, "count", ("source_row",)),
    *(
        _Fixed(
            f"egfr_{cls}_share",
            "EGFR mutation (baseline)",
            title,
            "with the baseline EGFR mutation reported",
            _p(f"egfr_baseline = '{cls}'"),
            _p("egfr_baseline IS NOT NULL"),
            evidence=("egfr_baseline", "egfr_history_text"),
        )
        for cls, title in (
            ("ex19del", "EGFR exon 19 deletion"),
            ("l858r", "EGFR L858R"),
            ("uncommon", "EGFR uncommon mutation"),
            ("other", "EGFR other mutation"),
        )
    ),
    _Fixed(
        "egfr_t790m_share",
        "EGFR mutation (baseline)",
        "EGFR T790M at any time",
        "with T790M status reported",
        _p("egfr_t790m IS TRUE"),
        _p("egfr_t790m IS NOT NULL"),
        evidence=("egfr_history_text",),
    ),
    _Fixed(
        "osimertinib_exposure_share",
        "Prior EGFR TKI",
        "Osimertinib before resistance",
        "with prior TKIs reported",
        _p("osimertinib_exposed IS TRUE"),
        _p("osimertinib_exposed IS NOT NULL"),
        evidence=("prior_tkis",),
    ),
    _Fixed(
        "eml4_partner_share",
        "ALK fusion partner",
        "EML4 as the only partner",
        "with the ALK partner reported",
        _p("eml4_any IS TRUE AND uncommon_partner_any IS NOT TRUE"),
        _p(_PARTNERS),
        evidence=("alk_partners",),
        query="cube",
    ),
    _Fixed(
        "uncommon_partner_share",
        "ALK fusion partner",
        "An uncommon (non-EML4) partner",
        "with the ALK partner reported",
        _p("uncommon_partner_any IS TRUE"),
        _p(_PARTNERS),
        evidence=("alk_partners",),
        query="cube",
    ),
    _Fixed(
        "eml4_any_share",
        "ALK fusion partner",
        "Any EML4::ALK fusion (double fusions included)",
        "with the ALK partner reported",
        _p("eml4_any IS TRUE"),
        _p(_PARTNERS),
        evidence=("alk_partners",),
        query="cube",
    ),
    _Fixed(
        "double_fusion_count",
        "ALK fusion partner",
        "Two or more ALK fusions",
        "with the ALK partner reported",
        _p("n_alk_fusions >= 2"),
        _p(_PARTNERS),
        "count",
        ("alk_partners",),
        query="cube",
    ),
    _Fixed(
        "cns_involvement_share",
        "CNS",
        "CNS involvement at resistance",
        "with CNS status reported",
        _p("cns_reported IS TRUE AND cns_involved IS TRUE"),
        _p("cns_reported IS TRUE"),
        evidence=("cns_involved", "extracranial_sites"),
    ),
    _Fixed(
        "cns_reported_share",
        "CNS",
        "CNS status reported",
        "cases",
        _p("cns_reported IS TRUE"),
        TRUE,
        evidence=("cns_involved",),
    ),
    _Fixed(
        "interval_reported_share",
        "Interval to resistance",
        "Interval to resistance reported",
        "cases",
        _p("interval_months IS NOT NULL"),
        TRUE,
        evidence=("interval_months",),
    ),
    _Fixed(
        "interval_censored_count",
        "Interval to resistance",
        "Censored intervals (still on treatment)",
        "with an interval reported",
        _p("interval_months IS NOT NULL AND interval_censored IS TRUE"),
        _p("interval_months IS NOT NULL"),
        "count",
        ("interval_months",),
    ),
    _Fixed(
        "sex_male_share",
        "Age and sex",
        "Male",
        "with sex reported",
        _p("sex = 'male'"),
        _p("sex IS NOT NULL"),
        evidence=("sex",),
    ),
    _Fixed(
        "sex_female_share",
        "Age and sex",
        "Female",
        "with sex reported",
        _p("sex = 'female'"),
        _p("sex IS NOT NULL"),
        evidence=("sex",),
    ),
    _Fixed(
        "post_regimen_reported_share",
        "Post-resistance regimen",
        "A post-resistance regimen reported",
        "cases",
        _p("first_post_regimen IS NOT NULL"),
        TRUE,
        evidence=("post_regimen_text",),
        query="cube",
    ),
    _Fixed(
        "combination_count",
        "Post-resistance regimen",
        "Combination EGFR + ALK TKI as the first regimen",
        "with a post-resistance regimen reported",
        _p(COMBINATION_SQL),
        _p("first_post_regimen IS NOT NULL"),
        "count",
        ("first_post_regimen",),
        query="cube",
    ),
    *(
        _Fixed(
            f"best_response_{r.lower()}_count",
            "Best response (first post-resistance regimen)",
            f"Best response {r}",
            "with a best response reported",
            _p(f"best_response = '{r}'"),
            _p(_ASSESSED),
            "count",
            ("first_post_regimen", "best_response"),
            query="cube",
        )
        for r in RESPONSES
    ),
    _Fixed(
        "combination_orr",
        "Combination EGFR + ALK TKI",
        "Objective response (CR + PR) on combination EGFR + ALK TKI",
        "on combination with a best response reported",
        _p(f"{COMBINATION_SQL} AND best_response IN ('CR', 'PR')"),
        _p(f"{COMBINATION_SQL} AND {_ASSESSED}"),
        evidence=("first_post_regimen", "best_response"),
        query="cube",
    ),
    _Fixed(
        "combination_dcr",
        "Combination EGFR + ALK TKI",
        "Disease control (CR + PR + SD) on combination EGFR + ALK TKI",
        "on combination with a best response reported",
        _p(f"{COMBINATION_SQL} AND best_response IN ('CR', 'PR', 'SD')"),
        _p(f"{COMBINATION_SQL} AND {_ASSESSED}"),
        evidence=("first_post_regimen", "best_response"),
        query="cube",
    ),
    *(
        _Fixed(
            f"combination_response_{r.lower()}_count",
            "Combination EGFR + ALK TKI",
            f"{r} on combination",
            "on combination with a best response reported",
            _p(f"{COMBINATION_SQL} AND best_response = '{r}'"),
            _p(f"{COMBINATION_SQL} AND {_ASSESSED}"),
            "count",
            ("first_post_regimen", "best_response"),
            query="cube",
        )
        for r in RESPONSES
    ),
    _Fixed(
        "combination_grade3plus_count",
        "Combination EGFR + ALK TKI",
        "Grade >=3 adverse events attributed to the combination",
        "on combination with adverse events reported",
        # the listing predicate: the count then drops events attributed to other drugs
        _p(f"{COMBINATION_SQL} AND grade3_any IS TRUE"),
        _p(f"{COMBINATION_SQL} AND grade3_any IS NOT NULL"),
        "count",
        ("first_post_regimen", "grade3_text", GRADE3_ON_FIRST),
        query="cube",
    ),
    _Fixed(
        "grade3plus_any_count",
        "Adverse events",
        "Any grade >=3 adverse event (any regimen)",
        "with adverse events reported",
        _p("grade3_any IS TRUE"),
        _p("grade3_any IS NOT NULL"),
        "count",
        ("grade3_text", "post_regimen_text"),
        query="cube",
    ),
)
FIXED_BY_ID: Final[Mapping[str, _Fixed]] = {f.id: f for f in FIXED}


@dataclass(frozen=True, slots=True)
class _Numeric:
    id: str
    group: str
    kind: StatKind
    column: str
    unit: str
    denominator: Predicate


_OBSERVED = _p("interval_months IS NOT NULL AND interval_censored IS NOT TRUE")
NUMERIC: tuple[_Numeric, ...] = (
    _Numeric(
        "interval_median_months",
        "Interval to resistance",
        "median",
        "interval_months",
        "months",
        _OBSERVED,
    ),
    _Numeric(
        "interval_range_months",
        "Interval to resistance",
        "range",
        "interval_months",
        "months",
        _OBSERVED,
    ),
    _Numeric(
        "interval_iqr_months",
        "Interval to resistance",
        "iqr",
        "interval_months",
        "months",
        _OBSERVED,
    ),
    _Numeric(
        "interval_mean_months",
        "Interval to resistance",
        "mean",
        "interval_months",
        "months",
        _OBSERVED,
    ),
    _Numeric(
        "interval_km_median_months",
        "Interval to resistance",
        "median",
        "interval_months",
        "months",
        _p("interval_months IS NOT NULL"),
    ),
    _Numeric("age_median_years", "Age and sex", "median", "age", "years", _p("age IS NOT NULL")),
    _Numeric("age_range_years", "Age and sex", "range", "age", "years", _p("age IS NOT NULL")),
    _Numeric("age_iqr_years", "Age and sex", "iqr", "age", "years", _p("age IS NOT NULL")),
    _Numeric("age_mean_years", "Age and sex", "mean", "age", "years", _p("age IS NOT NULL")),
    _Numeric(
        "eml4_vs_de_novo_test", "ALK fusion partner", "p_value", "alk_partners", "", _p(_PARTNERS)
    ),
)
NUMERIC_BY_ID: Final[Mapping[str, _Numeric]] = {n.id: n for n in NUMERIC}

REQUIRED_IDS: Final[tuple[str, ...]] = (
    "n_cases",
    "interval_median_months",
    "interval_range_months",
    "egfr_ex19del_share",
    "egfr_l858r_share",
    "osimertinib_exposure_share",
    "eml4_partner_share",
    "uncommon_partner_share",
    "cns_involvement_share",
    "combination_orr",
    "combination_dcr",
    "regimen_osimertinib_alectinib_count",
    "regimen_osimertinib_crizotinib_count",
    "combination_grade3plus_count",
)
"""Ids every summary carries (the claims audit relies on them)."""


# ----------------------------------------------------------------------------- dynamic ids


def drug_slug(generic: str) -> str:
    return generic.replace(" ", "_")


def regimen_slug(canonical: str) -> str:
    """``osimertinib + alectinib`` → ``osimertinib_alectinib``."""
    return "_".join(drug_slug(d.strip()) for d in canonical.split("+"))


def drugs_from_slug(slug: str) -> tuple[str, ...] | None:
    """Split a regimen slug into known generic names (``None`` if it does not split)."""
    from tkiresist.nomenclature.drugs import is_known, lookup

    words = slug.split("_")
    best: list[tuple[str, ...] | None] = [None] * (len(words) + 1)
    best[0] = ()
    for end in range(1, len(words) + 1):
        for start in range(end):
            prefix = best[start]
            name = " ".join(words[start:end])
            if prefix is not None and name and is_known(name):
                best[end] = (*prefix, lookup(name).generic)
                break
    return best[-1] if words and all(words) else None


def _gene_from_slug(slug: str) -> str | None:
    from tkiresist.errors import TkiResistError
    from tkiresist.nomenclature.genes import resolve

    try:
        return resolve(slug.upper())
    except TkiResistError:
        return None


def _drug_from_slug(slug: str) -> str | None:
    from tkiresist.nomenclature.drugs import is_known, lookup

    name = slug.replace("_", " ")
    return lookup(name).generic if is_known(name) else None


@dataclass(frozen=True, slots=True)
class Family:
    """A family of dynamic statistic ids (one per drug, gene or regimen)."""

    name: str
    pattern: re.Pattern[str]
    group: str
    phrase: str
    proportion: bool
    evidence: tuple[str, ...]

    def title(self, stat_id: str) -> str:
        m = self.pattern.match(stat_id)
        key = m.group(1) if m else stat_id
        return _FAMILY_TITLES[self.name](key)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


_FAMILY_TITLES = {
    "prior_tki": lambda k: f"{_cap(k.replace('_', ' '))} before resistance",
    "tki_at_resistance": lambda k: f"{_cap(k.replace('_', ' '))} as the TKI at resistance",
    "partner_fusion": lambda k: f"{k.upper()}::ALK fusions",
    "partner_case": lambda k: f"Cases with {k.upper()}::ALK",
    "regimen": lambda k: f"{_cap(k.replace('_', ' + '))} as the first post-resistance regimen",
    "regimen_orr": lambda k: f"Objective response (CR + PR) on {k.replace('_', ' + ')}",
    "regimen_dcr": lambda k: f"Disease control (CR + PR + SD) on {k.replace('_', ' + ')}",
}

FAMILIES: Final[tuple[Family, ...]] = (
    Family(
        "prior_tki",
        re.compile(r"^prior_tki_(.+)_exposure_share$"),
        "Prior EGFR TKI",
        "with prior TKIs reported",
        True,
        ("prior_tkis",),
    ),
    Family(
        "tki_at_resistance",
        re.compile(r"^tki_at_resistance_(.+)_count$"),
        "EGFR TKI at resistance",
        "with prior TKIs reported",
        False,
        ("prior_tkis",),
    ),
    Family(
        "partner_fusion",
        re.compile(r"^partner_(.+)_fusion_count$"),
        "ALK fusion partner",
        "ALK fusions (double fusions count twice)",
        False,
        ("alk_partners",),
    ),
    Family(
        "partner_case",
        re.compile(r"^partner_(.+)_case_share$"),
        "ALK fusion partner",
        "with the ALK partner reported",
        True,
        ("alk_partners",),
    ),
    Family(
        "regimen_orr",
        re.compile(r"^regimen_(.+)_orr$"),
        "Response by regimen",
        "with a best response reported on it",
        True,
        ("first_post_regimen", "best_response"),
    ),
    Family(
        "regimen_dcr",
        re.compile(r"^regimen_(.+)_dcr$"),
        "Response by regimen",
        "with a best response reported on it",
        True,
        ("first_post_regimen", "best_response"),
    ),
    Family(
        "regimen",
        re.compile(r"^regimen_(.+)_count$"),
        "Post-resistance regimen",
        "with a post-resistance regimen reported",
        False,
        ("post_regimen_text", "best_response"),
    ),
)


def dynamic_family(stat_id: str) -> Family | None:
    """The family of a well-formed dynamic id whose drug, gene or regimen is known."""
    for family in FAMILIES:
        m = family.pattern.match(stat_id)
        if not m:
            continue
        key = m.group(1)
        if family.name in ("prior_tki", "tki_at_resistance"):
            ok = _drug_from_slug(key) is not None
        elif family.name.startswith("partner"):
            ok = _gene_from_slug(key) is not None
        else:
            ok = drugs_from_slug(key) is not None
        return family if ok else None
    return None


def is_known_statistic(stat_id: str) -> bool:
    """True for a fixed id and for a well-formed dynamic id (see :data:`FAMILIES`)."""
    return stat_id in FIXED_BY_ID or stat_id in NUMERIC_BY_ID or dynamic_family(stat_id) is not None


def evidence_columns(stat_id: str) -> tuple[str, ...]:
    """The fact columns that show why a case is in a statistic (for explanations)."""
    if stat_id in FIXED_BY_ID:
        return FIXED_BY_ID[stat_id].evidence
    if stat_id in NUMERIC_BY_ID:
        return (NUMERIC_BY_ID[stat_id].column,)
    family = dynamic_family(stat_id)
    return family.evidence if family else ()


@dataclass(frozen=True, slots=True)
class CasePredicates:
    """The cases of a statistic: its numerator (``None`` for a median, range and the like) and
    its denominator. ``exact`` is False when the numerator condition selects a superset of the
    counted cases (grade >=3 events read from text: the count then drops the events attributed
    to drugs outside the regimen)."""

    numerator: Predicate | None
    denominator: Predicate
    exact: bool = True


def case_predicates(stat_id: str, columns: Iterable[str] = ()) -> CasePredicates:
    """SQL conditions selecting the cases of ``stat_id``; ``columns`` are the facts table's
    columns, so that the registry's optional columns are used when present. Raises
    :class:`EvidenceError` for an unknown id."""
    have = frozenset(columns)
    num, den, exact = _case_predicates(stat_id, have)
    return CasePredicates(num, den, exact)


def _case_predicates(
    stat_id: str, have: frozenset[str]
) -> tuple[Predicate | None, Predicate, bool]:
    if stat_id == "combination_grade3plus_count" and GRADE3_ON_FIRST in have:
        return (
            _p(f"{COMBINATION_SQL} AND {GRADE3_ON_FIRST} IS TRUE"),
            _p(f"{COMBINATION_SQL} AND {GRADE3_ON_FIRST} IS NOT NULL"),
            True,
        )
    if stat_id == "eml4_vs_de_novo_test":  # the test's k and n are eml4_partner_share's
        stat_id = "eml4_partner_share"
    if stat_id in FIXED_BY_ID:
        fixed = FIXED_BY_ID[stat_id]
        return fixed.numerator, fixed.denominator, stat_id != "combination_grade3plus_count"
    if stat_id in NUMERIC_BY_ID:
        return None, NUMERIC_BY_ID[stat_id].denominator, True
    family = dynamic_family(stat_id)
    if family is None:
        raise EvidenceError(f"unknown statistic {stat_id!r}", Location(field="statistic"))
    m = family.pattern.match(stat_id)
    assert m is not None
    key = m.group(1)
    if family.name == "prior_tki":
        drug = _drug_from_slug(key)
        assert drug is not None
        num = Predicate(list_member_sql("prior_tkis", "d0"), {"d0": list_member_pattern(drug)})
        return num, _p("prior_tkis IS NOT NULL"), True
    if family.name == "tki_at_resistance":
        drug = _drug_from_slug(key)
        assert drug is not None
        if LAST_TKI in have:
            num = Predicate(f"{LAST_TKI} = :d0", {"d0": drug})
            return num, _p(f"{LAST_TKI} IS NOT NULL"), True
        num = Predicate(list_last_sql("prior_tkis", "d0"), {"d0": list_last_pattern(drug)})
        return num, _p("prior_tkis IS NOT NULL"), True
    if family.name.startswith("partner"):
        gene = _gene_from_slug(key)
        assert gene is not None
        num = Predicate(list_member_sql("alk_partners", "g0"), {"g0": list_member_pattern(gene)})
        return num, _p(_PARTNERS), True
    drugs = drugs_from_slug(key)
    assert drugs is not None
    regimen = Predicate("first_post_regimen = :r0", {"r0": " + ".join(drugs)})
    if family.name == "regimen":
        return regimen, _p("first_post_regimen IS NOT NULL"), True
    assessed = regimen.and_(_p(_ASSESSED))
    wanted = "('CR', 'PR')" if family.name == "regimen_orr" else "('CR', 'PR', 'SD')"
    return regimen.and_(_p(f"best_response IN {wanted}")), assessed, True
