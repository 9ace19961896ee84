"""Registry benchmark: import synthetic review-table rows through the real importer.

Usage::

    python benchmarks/registry.py [--cases 100000] [--db URL] [--keep]

The import part writes a CSV of synthetic cases (random, seeded; the vocabulary of the seed's
Table 1: EGFR histories, TKI sequences, fusions, regimens, responses...), then times
``import_table`` into an empty SQLite registry (or ``--db``): reading, parsing every cell with
the nomenclature layer, building each sparse case, deriving its facts, and writing cases,
provenance, history and facts in one transaction. Target: 100,000 cases in under 60 s.

The summary part (evidence synthesis)::

    python benchmarks/registry.py summary [--cases 1000000] [--runs 3] [--db PATH] [--keep]

fills the facts table of an empty registry with 1,000,000 synthetic rows and times
``tkiresist.evidence.summary.summarize`` (target: under 2 s); see
``benchmarks/registry_summary.py``.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from pathlib import Path

AGES = range(30, 86)
SEXES = ("M", "F")
EGFR = (
    "Exon 19 deletion", "Exon 19 del", "L858R", "L858R → T790M", "Exon 19 deletion → T790M",
    "Exon 19 deletion + T790M (de novo)", "L747P", "G719X", "L861Q", "NA",
)  # fmt: skip
TKIS = (
    "Osimertinib", "Erlotinib → osimertinib", "Gefitinib", "Afatinib", "Erlotinib → afatinib",
    "Gefitinib → osimertinib", "Erlotinib → afatinib → osimertinib", "Dacomitinib",
    "Erlotinib → chemotherapy + bevacizumab → osimertinib",
)  # fmt: skip
FUSIONS = (
    "EML4-ALK", "EML4- ALK", "STRN-ALK", "TFG-ALK", "PLEKHA7- ALK", "DCTN1- ALK",
    "EML4- ALK, STRN-ALK", "KIF5B-ALK", "EML4::ALK v1",
)  # fmt: skip
POST = (
    "Osimertinib + alectinib", "Osimertinib + crizotinib", "Alectinib", "NA", "No",
    "Osimertinib + crizotinib \\rightarrow osimertinib + brigatinib", "Osimertinib + lorlatinib",
    "Chemotherapy", "Osimertinib + crizotinib \\rightarrow brigatinib \\rightarrow chemotherapy",
)  # fmt: skip
RESPONSES = ("CR", "PR", "SD", "PD", "N/A", "")
GRADE3 = ("None", "None", "None", "N/A", "Brigatinib- induced", "Crizotinib-induced hepatitis")
BIOPSY = ("Brain", "Lung", "Liquid", "Liver", "N/A")
TESTING = ("NGS", "IHC + NGS", "IHC +", "FISH", "N/A")
YES_NO = ("Yes", "No", "N/A")
SITES = ("Lung", "Liver", "Liver & bone", "No", "Lung, adrenal", "N/A")
HEADER = (
    "Case", "First author (year)", "Age/sex", "EGFR mutation", "EGFR-TKI", "ALK fusion",
    "Interval to ALK resistance (months)", "Post-resistance regimen", "Best response",
    "Grade ≥3 adverse events", "Biopsy", "Testing", "CNS progression",
    "Extracranial progression site(s)",
)  # fmt: skip


def write_cases(path: Path, n: int, seed: int = 20250913) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for i in range(1, n + 1):
            interval = rng.choice(("N/A", str(rng.randint(3, 48)), f"{rng.randint(3, 48)}.5"))
            study = f"Author{rng.randint(1, 500)} et al. ({rng.randint(2010, 2025)}), "
            study += f"Case {rng.randint(1, 40)}"
            row = [i, study, f"{rng.choice(AGES)}/{rng.choice(SEXES)}"]
            row += [rng.choice(EGFR), rng.choice(TKIS), rng.choice(FUSIONS), interval]
            row += [rng.choice(POST), rng.choice(RESPONSES), rng.choice(GRADE3)]
            row += [rng.choice(BIOPSY), rng.choice(TESTING), rng.choice(YES_NO)]
            row += [rng.choice(SITES)]
            out.writerow(row)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--db", default=None, help="database URL (default: a temporary SQLite)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary files")
    args = parser.parse_args(argv)

    from tkiresist.registry.importers import import_table
    from tkiresist.registry.opening import open_registry

    tmp = Path(tempfile.mkdtemp(prefix="tkiresist-bench-"))
    table = tmp / "synthetic.csv"
    t0 = time.perf_counter()
    write_cases(table, args.cases)
    t1 = time.perf_counter()
    url = args.db or f"sqlite:///{tmp / 'registry.sqlite'}"
    with open_registry(url, load_defaults=False) as reg:
        t2 = time.perf_counter()
        report = import_table(reg, table, source="10.0000/synthetic", who="benchmark")
        t3 = time.perf_counter()
        again = import_table(reg, table, source="10.0000/synthetic", who="benchmark")
        t4 = time.perf_counter()
        n = reg.count()
    flagged = len({uid for uid, _ in report.flagged})
    print(f"synthetic table: {args.cases} rows written in {t1 - t0:.1f} s ({table})")
    print(f"database: {url}")
    print(
        f"import: {len(report.created)} cases in {t3 - t2:.1f} s "
        f"({len(report.created) / (t3 - t2):,.0f} cases/s; target < 60 s for 100,000); "
        f"{flagged} cases with flagged cells"
    )
    print(f"re-import (idempotent): {len(again.unchanged)} unchanged in {t4 - t3:.1f} s")
    print(f"registry now holds {n} cases")
    if not args.keep:
        for p in sorted(tmp.iterdir()):
            p.unlink()
        tmp.rmdir()
    return 0


def summary_main(argv: list[str] | None = None) -> int:
    """The summary part: ``summarize`` over 1,000,000 synthetic facts rows (evidence, #5)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from registry_summary import main as summary_benchmark

    return summary_benchmark(argv)


if __name__ == "__main__":
    if sys.argv[1:2] == ["summary"]:
        sys.exit(summary_main(sys.argv[2:]))
    sys.exit(main())
