"""Evidence-summary benchmark: ``summarize`` over 1,000,000 synthetic case-facts rows in SQLite.

Usage::

    python benchmarks/registry_summary.py [--cases 1000000] [--runs 3] [--db PATH] [--keep]

Creates an empty registry (the registry's own migrations, so the real ``registry_case_facts``
schema and indexes), fills ``registry_case_facts`` with synthetic rows (seeded random draws
from the vocabulary of the seed's Table 1: EGFR classes, TKI sequences, partners, regimens,
responses, intervals in half months with 10% censored, ages, sites), then times
:func:`tkiresist.evidence.summary.summarize` for the dataset (median of ``--runs``), and prints
the figure against the target of 2 s: first with the schema the registry's migrations create,
then (if they lack them) with the indexes of ``tkiresist.evidence.catalogue.EVIDENCE_INDEXES``
added, which turn the summary into streaming index scans. The rows are written straight into
the facts table (there are no case documents behind them): this measures the aggregation, not
the import, which ``benchmarks/registry.py`` times.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DATASET = "synthetic"
TKI_SEQUENCES = (
    "osimertinib", "erlotinib,osimertinib", "gefitinib", "afatinib", "erlotinib,afatinib",
    "gefitinib,osimertinib", "erlotinib,afatinib,osimertinib", "dacomitinib",
)  # fmt: skip
PARTNERS = ("EML4", "EML4", "EML4", "EML4", "STRN", "TFG", "PLEKHA7", "DCTN1", "EML4,STRN", "KIF5B")
REGIMENS = (
    "osimertinib + alectinib", "osimertinib + crizotinib", "alectinib",
    "osimertinib + lorlatinib", "osimertinib + brigatinib", "carboplatin + pemetrexed", None,
)  # fmt: skip
EGFR_TKIS = {"osimertinib", "erlotinib", "gefitinib", "afatinib", "dacomitinib"}
ALK_TKIS = {"alectinib", "crizotinib", "lorlatinib", "brigatinib"}
RESPONSES = ("CR", "PR", "PR", "SD", "PD", None)


def synthetic_rows(n: int, start: int = 0, seed: int = 20250913) -> list[tuple[Any, ...]]:
    """Rows ``start`` to ``start + n - 1`` for the columns of :data:`COLUMNS`."""
    rng = random.Random(seed + start)
    out: list[tuple[Any, ...]] = []
    for i in range(start, start + n):
        tkis = rng.choice(TKI_SEQUENCES)
        partners = rng.choice(PARTNERS)
        genes = partners.split(",")
        regimen = rng.choice(REGIMENS)
        drugs = set(regimen.split(" + ")) if regimen else set()
        combo = None if regimen is None else bool(drugs & EGFR_TKIS and drugs & ALK_TKIS)
        censored = rng.random() < 0.1
        interval = None if rng.random() < 0.15 else rng.randint(4, 96) / 2
        grade3 = rng.choice((False, False, False, True, None))
        cns_reported = rng.random() < 0.6
        has = regimen is not None
        row = {
            "case_uid": f"syn-{i}",
            "dataset": DATASET,
            "status": "reviewed",  # pooled evidence reads reviewed cases only (#16)
            "source_id": "10.0000/synthetic",
            "source_row": str(i + 1),
            "needs_curation": False,
            "n_flags": 0,
            "age": rng.randint(30, 85),
            "sex": rng.choice(("female", "male", None)),
            "egfr_baseline": rng.choice(("ex19del", "ex19del", "l858r", "uncommon", "other", None)),
            "egfr_t790m": rng.random() < 0.3,
            "egfr_t790m_de_novo": False,
            "egfr_history_text": None,
            "prior_tkis": tkis,
            "last_egfr_tki": tkis.split(",")[-1],
            "osimertinib_exposed": "osimertinib" in tkis,
            "tki_generations": "1,3",
            "alk_partners": partners,
            "n_alk_fusions": len(genes),
            "eml4_any": "EML4" in genes,
            "uncommon_partner_any": any(g != "EML4" for g in genes),
            "partner_class": None,
            "interval_months": interval,
            "interval_censored": None if interval is None else censored,
            "post_regimen_status": "given" if has else None,
            "post_regimen_text": regimen,
            "first_post_regimen": regimen,
            "n_post_regimens": 1 if has else 0,
            "combination_egfr_alk": combo,
            "best_response": rng.choice(RESPONSES) if has else None,
            "grade3_any": grade3,
            "grade3_on_first_post_regimen": (
                None if not has or grade3 is None else grade3 and rng.random() < 0.5
            ),
            "grade3_text": None if grade3 is None else "hepatitis (grade 3)" if grade3 else "none",
            "biopsy": rng.choice(("lung", "liquid", "brain", None)),
            "testing": rng.choice(("NGS", "IHC + NGS")),
            "cns_reported": cns_reported,
            "cns_involved": (rng.random() < 0.35) if cns_reported else None,
            "extracranial_sites": rng.choice(("lung", "liver,bone", "none", None)),
            "n_events": 8,
        }
        out.append(tuple(row[c] for c in COLUMNS))
    return out


COLUMNS = (
    "case_uid", "dataset", "status", "source_id", "source_row", "needs_curation", "n_flags",
    "age", "sex", "egfr_baseline", "egfr_t790m", "egfr_t790m_de_novo", "egfr_history_text",
    "prior_tkis", "last_egfr_tki", "osimertinib_exposed", "tki_generations", "alk_partners",
    "n_alk_fusions", "eml4_any", "uncommon_partner_any", "partner_class", "interval_months",
    "interval_censored", "post_regimen_status", "post_regimen_text", "first_post_regimen",
    "n_post_regimens", "combination_egfr_alk", "best_response", "grade3_any",
    "grade3_on_first_post_regimen", "grade3_text", "biopsy", "testing", "cns_reported",
    "cns_involved", "extracranial_sites", "n_events",
)  # fmt: skip


def fill(path: Path, n: int) -> float:
    """Write ``n`` synthetic rows into the facts table of the SQLite file; seconds taken."""
    t0 = time.perf_counter()
    con = sqlite3.connect(path)
    try:
        # the rows have no case documents behind them: skip the foreign key to registry_case
        con.execute("PRAGMA foreign_keys = OFF")
        sql = (
            f"INSERT INTO registry_case_facts ({', '.join(COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in COLUMNS)})"
        )
        step = 100_000
        for start in range(0, n, step):
            con.executemany(sql, synthetic_rows(min(step, n - start), start))
        con.commit()
        con.execute("ANALYZE")
        con.commit()
    finally:
        con.close()
    return time.perf_counter() - t0


def missing_indexes(path: Path) -> dict[str, tuple[str, ...]]:
    """The evidence indexes (``EVIDENCE_INDEXES``) the database lacks, by name."""
    from tkiresist.evidence.catalogue import EVIDENCE_INDEXES

    con = sqlite3.connect(path)
    try:
        have = [
            tuple(r[2] for r in con.execute(f"PRAGMA index_info({name!r})"))
            for (name,) in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = 'registry_case_facts'"
            )
        ]
    finally:
        con.close()
    return {
        f"ix_registry_case_facts_evidence_{key}": cols
        for key, cols in EVIDENCE_INDEXES.items()
        if cols not in have
    }


def create_indexes(path: Path, indexes: dict[str, tuple[str, ...]]) -> float:
    t0 = time.perf_counter()
    con = sqlite3.connect(path)
    try:
        for name, cols in indexes.items():
            con.execute(f"CREATE INDEX {name} ON registry_case_facts ({', '.join(cols)})")
        con.execute("ANALYZE")
        con.commit()
    finally:
        con.close()
    return time.perf_counter() - t0


def time_summary(url: str, runs: int) -> tuple[list[float], Any]:
    """``summarize`` of the dataset ``runs`` times after one warm-up run (imports, caches)."""
    from tkiresist.evidence.summary import summarize
    from tkiresist.registry.opening import open_registry

    with open_registry(url, load_defaults=False) as reg:
        summary = summarize(reg.engine, dataset=DATASET)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            summary = summarize(reg.engine, dataset=DATASET)
            times.append(time.perf_counter() - t0)
    return times, summary


def run_summary_benchmark(cases: int, runs: int, db: Path | None, keep: bool) -> int:
    """Create, fill and summarise; print the figures. Returns a process exit code."""
    from tkiresist.registry.opening import open_registry

    tmp = Path(tempfile.mkdtemp(prefix="tkiresist-summary-bench-")) if db is None else None
    path = db if db is not None else tmp / "registry.sqlite"  # type: ignore[operator]
    url = f"sqlite:///{path}"
    if not path.exists():
        with open_registry(url, load_defaults=False):
            pass  # the registry's migrations create the schema
        seconds = fill(path, cases)
        print(f"filled registry_case_facts with {cases:,} synthetic rows in {seconds:.1f} s")
    print(f"database: {url}")
    missing = missing_indexes(path)
    phases = [("the registry's schema as migrated", missing)]
    if missing:
        phases.append(("with the evidence indexes (EVIDENCE_INDEXES) added", {}))
    for title, lacking in phases:
        if not lacking and missing and title.startswith("with"):
            seconds = create_indexes(path, missing)
            print(f"created {', '.join(missing)} in {seconds:.1f} s")
        times, summary = time_summary(url, runs)
        median = statistics.median(times)
        verdict = "meets" if median < 2.0 else "misses"
        print(
            f"summarize() over {summary.n_cases:,} cases ({len(summary.statistics)} "
            f"statistics), {title}: median {median:.2f} s over {runs} runs "
            f"[{', '.join(f'{t:.2f}' for t in times)}]; {verdict} the target of 2 s"
        )
    print(f"  e.g. {summary.get('combination_orr').label}")
    print(f"  e.g. {summary.get('interval_median_months').label}")
    if tmp is not None and not keep:
        for p in sorted(tmp.iterdir()):
            p.unlink()
        tmp.rmdir()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file to create or reuse")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    args = parser.parse_args(argv)
    return run_summary_benchmark(args.cases, args.runs, args.db, args.keep)


if __name__ == "__main__":
    sys.exit(main())
