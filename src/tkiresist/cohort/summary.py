"""The cohort summary, from the per-patient table: :func:`summarise`.

Per prior drug and ``all`` (:data:`ALL_DRUGS`): each acquired mechanism category's count among
the assessable patients with the exact (Clopper-Pearson) 95% CI, a patient without an acquired
mechanism counted once under one of :data:`OUTCOME_LABELS` (:class:`MechanismFrequency`); months
from the start of the line to the progression sample and the patients' plasma lead times (and
the progression each was measured to) (:class:`TimeToProgression`: n, median, IQR, range);
patients with each pair of mechanism categories. DuckDB groups; Python formats one row per group
(:class:`CohortSummary`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from tkiresist.cohort.duck import _lit

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True, slots=True)
class MechanismFrequency:
    prior_drug: str
    category: str
    label: str
    k: int
    n: int
    value: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True, slots=True)
class TimeToProgression:
    prior_drug: str
    n: int
    median: float | None
    q1: float | None
    q3: float | None
    min: float | None
    max: float | None


@dataclass(frozen=True, slots=True)
class CohortSummary:
    patients: int
    assessable: int
    by_drug: Mapping[str, tuple[int, int]]
    frequencies: tuple[MechanismFrequency, ...]
    times: tuple[TimeToProgression, ...]
    cooccurrence: tuple[tuple[str, str, int], ...]
    counts: Mapping[str, int]
    warnings: tuple[str, ...]
    plasma_lead_times: tuple[TimeToProgression, ...] = ()
    """per prior drug and ``all``: the distribution of patients' plasma lead times (months from
    the first plasma sample showing a resistance alteration to the line's first radiographic
    progression, else to the progression sample)"""
    plasma_lead_anchors: Mapping[str, int] = field(default_factory=dict)
    """how many of those lead times were measured to each anchor (``radiographic_progression``,
    ``progression_sample``)"""

    def frequency(self, prior_drug: str, category: str) -> MechanismFrequency | None:
        for f in self.frequencies:
            if f.prior_drug == prior_drug and f.category == category:
                return f
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "patients": self.patients,
            "assessable": self.assessable,
            "by_prior_drug": {
                k: {"patients": v[0], "assessable": v[1]} for k, v in self.by_drug.items()
            },
            "mechanism_frequencies": [_as_dict(f) for f in self.frequencies],
            "time_to_progression_months": [_as_dict(t) for t in self.times],
            "plasma_lead_time_months": [_as_dict(t) for t in self.plasma_lead_times],
            "plasma_lead_anchors": dict(self.plasma_lead_anchors),
            "cooccurrence": [{"a": a, "b": b, "patients": n} for a, b, n in self.cooccurrence],
            "counts": dict(self.counts),
            "warnings": list(self.warnings),
            "ci_method": "Clopper-Pearson exact 95% CI (tkiresist.evidence.stats.proportion)",
            "denominator": "assessable patients: a progression sample after the targeted line "
            "and at least one baseline sample taken on or before the line began",
        }


def _as_dict(obj: Any) -> Any:
    return {k: getattr(obj, k) for k in obj.__slots__}


ALL_DRUGS: Final = "all"


NO_MECHANISM: Final = "none_identified"


NOT_ASSESSABLE: Final = "not_assessable"


PRE_EXISTING: Final = "pre_existing"


OUTCOME_LABELS: Final = {
    NO_MECHANISM: "no mechanism identified",
    NOT_ASSESSABLE: "mechanism found; whether it was acquired on the line cannot be assessed",
    PRE_EXISTING: "mechanism present before the line began (not acquired on it)",
}
"""A patient without an acquired mechanism counts once under one of these, in this order of
preference: ``not_assessable`` (a mechanism was found, but no baseline sample covered its
alteration), ``pre_existing`` (a mechanism's alteration was already there before the line),
``none_identified`` (no mechanism at all)."""


def summarise(
    per_patient: pa.Table, counts: Mapping[str, int] | None = None, warnings: Sequence[str] = ()
) -> CohortSummary:
    """Mechanism frequencies by prior drug (exact CIs), time from therapy start to the
    progression sample, and co-occurrence, from the per-patient table. Set-based: DuckDB
    groups, Python only formats one row per group."""
    import duckdb

    from tkiresist.evidence.stats import proportion
    from tkiresist.model.categories import CATALOGUE

    con = duckdb.connect(":memory:")
    try:
        con.register("pp", per_patient)
        names = set(per_patient.column_names)
        na = "mechanisms_not_assessable"
        pre = "mechanisms_persistent"
        na_len = f"len({na})" if na in names else "0"
        pre_len = f"len({pre})" if pre in names else "0"
        con.execute(
            f"""
            CREATE TEMP TABLE pp2 AS
            SELECT patient_id, prior_drug, assessable, months_from_therapy_start AS months,
                   CASE WHEN len(mechanism_categories) > 0 THEN mechanism_categories
                        WHEN {na_len} > 0 THEN [{_lit(NOT_ASSESSABLE)}]
                        WHEN {pre_len} > 0 THEN [{_lit(PRE_EXISTING)}]
                        ELSE [{_lit(NO_MECHANISM)}] END AS cats
            FROM pp
            """
        )
        groups = con.execute(
            f"""
            SELECT prior_drug, count(*), count(*) FILTER (WHERE assessable) FROM pp2 GROUP BY 1
            UNION ALL
            SELECT {_lit(ALL_DRUGS)}, count(*), count(*) FILTER (WHERE assessable) FROM pp2
            """
        ).fetchall()
        # in a fixed order (drug names, then all drugs): GROUP BY alone gives DuckDB's order,
        # which varies between runs, and summary.json must not
        ordered = sorted(groups, key=lambda g: (str(g[0]) == ALL_DRUGS, str(g[0])))
        by_drug = {str(d): (int(n), int(a)) for d, n, a in ordered}
        rows = con.execute(
            f"""
            WITH u AS (SELECT prior_drug, unnest(cats) AS cat FROM pp2 WHERE assessable)
            SELECT prior_drug, cat, count(*) FROM u GROUP BY 1, 2
            UNION ALL
            SELECT {_lit(ALL_DRUGS)}, cat, count(*) FROM u GROUP BY 2
            ORDER BY 1, 3 DESC, 2
            """
        ).fetchall()
        freqs: list[MechanismFrequency] = []
        for drug, cat, k in rows:
            n = by_drug[str(drug)][1]
            p = proportion(int(k), n)
            lo, hi = p.ci_exact if p.ci_exact is not None else (None, None)
            label = CATALOGUE[cat].label if cat in CATALOGUE else OUTCOME_LABELS[cat]
            freqs.append(MechanismFrequency(str(drug), str(cat), label, int(k), n, p.value, lo, hi))
        trows = con.execute(
            f"""
            SELECT prior_drug, months, count(*) FROM pp2 GROUP BY 1, 2
            UNION ALL
            SELECT {_lit(ALL_DRUGS)}, months, count(*) FROM pp2 GROUP BY 2
            ORDER BY 1, 2
            """
        ).fetchall()
        times = _distributions(trows)
        lead: list[TimeToProgression] = []
        if "plasma_lead_time_months" in names:
            lead = _distributions(
                con.execute(
                    f"""
                    SELECT prior_drug, plasma_lead_time_months AS m, count(*) FROM pp
                    WHERE m IS NOT NULL GROUP BY 1, 2
                    UNION ALL
                    SELECT {_lit(ALL_DRUGS)}, plasma_lead_time_months AS m, count(*) FROM pp
                    WHERE m IS NOT NULL GROUP BY 2
                    ORDER BY 1, 2
                    """
                ).fetchall()
            )
        anchors: dict[str, int] = {}
        if "plasma_lead_anchor" in names:
            anchors = {
                str(kind): int(n)
                for kind, n in con.execute(
                    "SELECT plasma_lead_anchor, count(*) FROM pp "
                    "WHERE plasma_lead_time_months IS NOT NULL GROUP BY 1 ORDER BY 1"
                ).fetchall()
            }
        co = con.execute(
            """
            WITH u AS (SELECT patient_id, unnest(cats) AS cat FROM pp2 WHERE assessable)
            SELECT a.cat, b.cat, count(*) FROM u a JOIN u b
              ON a.patient_id = b.patient_id AND a.cat < b.cat
            GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2
            """
        ).fetchall()
    finally:
        con.close()
    return CohortSummary(
        patients=by_drug.get(ALL_DRUGS, (0, 0))[0],
        assessable=by_drug.get(ALL_DRUGS, (0, 0))[1],
        by_drug=by_drug,
        frequencies=tuple(freqs),
        times=tuple(times),
        cooccurrence=tuple((str(a), str(b), int(n)) for a, b, n in co),
        counts=dict(counts or {}),
        warnings=tuple(warnings),
        plasma_lead_times=tuple(lead),
        plasma_lead_anchors=anchors,
    )


def _distributions(rows: Iterable[Sequence[Any]]) -> list[TimeToProgression]:
    """n, median, quartiles (type 7) and range per group, from (group, value, count) rows."""
    from tkiresist.evidence.stats import describe

    grouped: dict[str, tuple[list[float], list[int]]] = {}
    for drug, months, c in rows:
        vals, cnts = grouped.setdefault(str(drug), ([], []))
        vals.append(float(months))
        cnts.append(int(c))
    out: list[TimeToProgression] = []
    for drug, (vals, cnts) in sorted(grouped.items()):
        d = describe(vals, counts=cnts)
        out.append(TimeToProgression(drug, d.n, d.median, d.q1, d.q3, d.min, d.max))
    return out
