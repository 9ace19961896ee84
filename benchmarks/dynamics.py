"""Benchmark the serial ctDNA rules (#15) at cohort scale, as a table, in DuckDB.

Generates ``--patients`` synthetic patients (100,000 by default) x 6 plasma draws as an Arrow
table (vectorised NumPy, no Python loop over rows), then computes per patient, in one DuckDB
query over the Arrow table, the same three readings as the per-case step
:mod:`tkiresist.interpret.dynamics`: molecular response (clearance or the >=50% fall from the
baseline draw), molecular progression (a new alteration, or a confirmed rise of the driver) and
its lead time before radiographic progression. The thresholds are read from
:data:`tkiresist.interpret.dynamics.RULES`, the one place they are defined.

Prints generation time, query time, row counts, the readings' frequencies and the process's
peak resident set size. Then ``--check`` patients (200 by default) are written as case files,
read by the per-case step, and compared with the SQL answer field by field: exit status 1 on
any disagreement.

Run: ``python benchmarks/dynamics.py [--patients 100000] [--seed 15] [--check 200]``.

Synthetic model (invented patients, not a published cohort)
-----------------------------------------------------------
* EGFR exon 19 deletion; first-line osimertinib from month 1; plasma at months 0 (the line's
  baseline), 4, 7, 10, 13 and 16; radiographic progression (PD, the decision point) at a whole
  month from 5 to 30: draws after it are not read (they are after the decision point).
* Driver VAF at baseline log-normal (median 5%); 10% of tumours shed below the limit of
  detection (0.1%). On the line it decays (half-life 0.5 to 3 months) until resistance emerges
  (2 to 8 months before PD), then grows (doubling in 1 to 3 months); multiplicative noise.
* 40% of patients acquire EGFR C797S at resistance, at 10-90% of the driver's VAF.
* The tumour fraction is reported for 70% of draws (about twice the driver's VAF).
* A value under the limit of detection is "not detected", carried as NULL, never 0.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from typing import Any

from tkiresist.interpret.dynamics import RULES
from tkiresist.interpret.serial import EPS

DRAW_MONTHS = (0.0, 4.0, 7.0, 10.0, 13.0, 16.0)
LINE_START = 1.0
LOD = 0.001


def generate(patients: int, seed: int) -> Any:
    """The draws table (one row per patient and draw, up to the decision point)."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    n, k = patients, len(DRAW_MONTHS)
    months = np.broadcast_to(np.array(DRAW_MONTHS), (n, k))
    pd_month = rng.integers(5, 31, n).astype(np.float64)
    base = np.exp(rng.normal(np.log(0.05), 1.0, n))
    base[rng.random(n) < 0.10] = LOD / 5  # non-shedders
    half_life = rng.uniform(0.5, 3.0, n)
    doubling = rng.uniform(1.0, 3.0, n)
    t_res = np.maximum(pd_month - rng.uniform(2.0, 8.0, n), LINE_START)
    on = np.clip(months - LINE_START, 0, None)
    decayed = base[:, None] * 0.5 ** (
        np.minimum(on, (t_res - LINE_START)[:, None]) / half_life[:, None]
    )
    grow = 2 ** ((months - t_res[:, None]).clip(0) / doubling[:, None])
    true_vaf = np.minimum(decayed * grow * np.exp(rng.normal(0, 0.3, (n, k))), 0.9)
    has_new = rng.random(n) < 0.40
    new_share = rng.uniform(0.1, 0.9, n)
    new_true = np.where(
        has_new[:, None] & (months > t_res[:, None]),
        true_vaf * new_share[:, None] * (1 - np.exp(-(months - t_res[:, None]).clip(0))),
        0.0,
    )
    tf = np.minimum(2 * true_vaf * np.exp(rng.normal(0, 0.2, (n, k))), 1.0)
    tf_known = rng.random((n, k)) < 0.70
    keep = (months <= pd_month[:, None] + EPS).ravel()

    def col(a: Any) -> Any:
        return a.ravel()[keep]

    driver_det = true_vaf >= LOD
    new_det = new_true >= LOD
    return pa.table(
        {
            "patient": pa.array(col(np.repeat(np.arange(n, dtype=np.int32), k).reshape(n, k))),
            "draw": pa.array(col(np.tile(np.arange(k, dtype=np.int8), n).reshape(n, k))),
            "month": pa.array(col(months)),
            "pd_month": pa.array(col(np.repeat(pd_month, k).reshape(n, k))),
            "driver_vaf": pa.array(col(np.round(true_vaf, 5)), mask=col(~driver_det)),
            "new_vaf": pa.array(col(np.round(new_true, 5)), mask=col(~new_det)),
            "tumour_fraction": pa.array(col(np.round(tf, 5)), mask=col(~tf_known)),
        }
    )


def rules_sql() -> str:
    """The per-patient readings, as SQL over ``draws``, with the thresholds of RULES."""
    keep = 1 - RULES.response_fall
    return f"""
WITH d AS (
  SELECT *,
    draw > 0 AS on_line,
    driver_vaf IS NOT NULL AS drv_det,
    new_vaf IS NOT NULL AS new_det,
    -- the driver's reading (dynamics._reading)
    draw > 0 AND driver_vaf IS NULL AND month < pd_month - {EPS}
      AND (tumour_fraction IS NULL OR tumour_fraction >= {RULES.low_tumour_fraction}) AS cleared
  FROM draws
), w AS (
  SELECT *,
    first_value(driver_vaf) OVER p AS base_vaf,
    first_value(draw) OVER p = 0 AS has_baseline,
    bool_or(cleared) OVER before AS cleared_before,
    min(CASE WHEN on_line THEN driver_vaf END) OVER before AS nadir_before,
    bool_or(new_det) OVER before AS new_seen_before,
    count(*) OVER before AS n_before,
    lead(driver_vaf) OVER p AS next_vaf,
    lead(draw) OVER p AS next_draw
  FROM d
  WINDOW p AS (PARTITION BY patient ORDER BY draw),
         before AS (PARTITION BY patient ORDER BY draw
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
), marks AS (
  SELECT *,
    -- response: cleared, or a fall of RULES.response_fall from the baseline draw, before PD
    on_line AND month < pd_month - {EPS} AND has_baseline AND base_vaf IS NOT NULL
      AND (cleared OR driver_vaf <= {keep} * base_vaf + 1e-12) AS responding,
    on_line AND month < pd_month - {EPS} AND has_baseline AND base_vaf IS NOT NULL
      AS resp_evaluable,
    -- a new alteration: first detection on the line, covered (not detected) before
    on_line AND new_det AND NOT coalesce(new_seen_before, false) AND n_before > 0 AS new_here,
    -- a confirmed rise: re-detected after clearance, or >= rise_fold x the on-line nadir, and
    -- the next draw detected (at or above the same threshold unless after clearance)
    on_line AND drv_det AND next_draw IS NOT NULL AND next_vaf IS NOT NULL AND (
      coalesce(cleared_before, false)
      OR (nadir_before IS NOT NULL AND driver_vaf >= {RULES.rise_fold} * nadir_before
          AND next_vaf >= {RULES.rise_fold} * nadir_before)
    ) AS rise_here
  FROM w
)
SELECT patient,
  any_value(pd_month) AS pd_month,
  CASE
    WHEN bool_or(responding) THEN 'response'
    WHEN bool_or(resp_evaluable) THEN 'no_response'
    ELSE 'not_assessable'
  END AS response,
  min(month) FILTER (WHERE responding) AS response_month,
  min(month) FILTER (WHERE new_here) AS new_month,
  min(month) FILTER (WHERE rise_here) AS rise_month,
  least(min(month) FILTER (WHERE new_here), min(month) FILTER (WHERE rise_here)) AS mp_month,
  bool_or(on_line) AS any_on_line
FROM marks
GROUP BY patient
"""


def per_patient(draws: Any) -> Any:
    import duckdb

    con = duckdb.connect()
    con.register("draws", draws)
    sql = f"""
SELECT *,
  CASE WHEN mp_month IS NOT NULL THEN 'progression'
       WHEN any_on_line THEN 'none' ELSE 'not_assessable' END AS progression,
  round(pd_month - mp_month, 1) AS lead_time
FROM ({rules_sql()})
ORDER BY patient
"""
    return con.sql(sql).to_arrow_table()


def case_text(rows: list[dict[str, Any]]) -> str:
    """One patient's draws as a case file, for the per-case step."""
    pd = rows[0]["pd_month"]
    events = [
        "  - {id: dx, type: diagnosis, histology: adenocarcinoma}",
        "  - {id: osi, type: therapy, agents: [osimertinib], start: 1 months after dx}",
        f"  - {{id: pd, type: response, time: {pd:g} months after dx, category: PD, therapy: osi}}",
    ]
    for r in rows:
        i = r["draw"]
        findings = []
        drv, new = r["driver_vaf"], r["new_vaf"]
        findings.append(
            f"{{alteration: EGFR exon 19 deletion, vaf: {drv!r}}}"
            if drv is not None
            else "{alteration: EGFR exon 19 deletion, status: not_detected}"
        )
        if new is not None:
            findings.append(f"{{alteration: EGFR C797S, vaf: {new!r}}}")
        tf = r["tumour_fraction"]
        extra = f", tumour_fraction: {tf!r}" if tf is not None else ""
        events.append(
            f"  - {{id: s{i}, type: specimen, time: {r['month']:g} months after dx, kind: plasma}}"
        )
        events.append(
            f"  - {{id: p{i}, type: test, specimen: s{i}, assay: bench-cfdna, "
            f"limit_of_detection: {LOD}{extra}, findings: [{', '.join(findings)}]}}"
        )
    return (
        'schema_version: "1.0"\nid: bench\npseudonym: BENCH\nassays:\n'
        "  - {id: bench-cfdna, name: Synthetic cfDNA panel, method: ngs, "
        "materials: [plasma_ctdna], coverage: {sequence_variant: [EGFR]}}\n"
        "events:\n" + "\n".join(events) + "\n"
    )


def check(draws: Any, result: Any, count: int) -> int:
    """Compare the SQL answer with the per-case step on the first ``count`` patients."""
    import pyarrow.compute as pc

    from tkiresist.interpret.dynamics import dynamics
    from tkiresist.interpret.serial import decision_point
    from tkiresist.io.casefile import parse_case_text

    rows = draws.filter(pc.less(draws["patient"], count)).to_pylist()
    by_patient: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        by_patient.setdefault(r["patient"], []).append(r)
    sql = {r["patient"]: r for r in result.slice(0, count).to_pylist()}
    bad = 0
    for patient, prow in sorted(by_patient.items()):
        case = parse_case_text(case_text(prow), f"patient-{patient}.yaml")
        (d,) = dynamics(case, decision_point(case))
        s = sql[patient]
        got = (
            d.response.status,
            d.response.month,
            d.progression.status,
            d.progression.month,
            d.progression.lead_time_months,
        )
        want = (
            s["response"],
            s["response_month"],
            s["progression"],
            s["mp_month"],
            s["lead_time"],
        )
        if got != want:
            bad += 1
            if bad <= 5:
                print(f"  disagreement, patient {patient}: per-case {got} vs SQL {want}")
    print(f"check: {count - bad}/{count} patients agree between the per-case step and SQL")
    return bad


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--check", type=int, default=200)
    args = parser.parse_args()

    t0 = time.perf_counter()
    draws = generate(args.patients, args.seed)
    t1 = time.perf_counter()
    result = per_patient(draws)
    t2 = time.perf_counter()
    print(
        f"generated {args.patients:,} patients x {len(DRAW_MONTHS)} draws "
        f"({args.patients * len(DRAW_MONTHS):,} rows; {draws.num_rows:,} up to the decision "
        f"point, the rows read) in {t1 - t0:.2f} s"
    )
    print(f"per-patient response/progression/lead time in DuckDB: {t2 - t1:.2f} s")
    import duckdb

    con = duckdb.connect()
    con.register("r", result)
    summary = con.sql(
        """
SELECT response, progression, count(*) AS patients,
  round(median(lead_time) FILTER (WHERE lead_time > 0), 1) AS median_lead_months,
  round(avg(CASE WHEN lead_time > 0 THEN 1 ELSE 0 END) FILTER (WHERE lead_time IS NOT NULL), 3)
    AS share_with_lead
FROM r GROUP BY ALL ORDER BY ALL
"""
    )
    print(summary, end="")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS (this process, generation and query): {peak_mb:.0f} MB")
    bad = check(draws, result, min(args.check, args.patients)) if args.check else 0
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
