"""Benchmark the interpretation engine (issue #3).

Prints:

* the cold start of the whole command ``tkiresist interpret examples/cheung2025/case.yaml``
  against ``python -c pass`` and against ``tkiresist --help`` (median of N runs each, after
  one run that writes the bytecode caches and the default registry, as a user's first run
  does; ``PYTHONDONTWRITEBYTECODE`` is removed from the children's environment);
* the engine alone over 10,000 generated cases (the seed patient with its progression findings
  varied: fusions, MET/ERBB2 amplification, C797S, T790M, transformation, driver loss), once
  the knowledge base is loaded: cases per second and mean milliseconds per case.

Run: ``python benchmarks/interpret.py [--cases 10000] [--runs 7]``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "cheung2025" / "case.yaml"

VARIANTS = [
    {"kind": "fusion", "five_prime": "EML4", "three_prime": "ALK"},
    {"kind": "fusion", "five_prime": "CCDC6", "three_prime": "RET"},
    {"kind": "fusion", "five_prime": "KIF5B", "three_prime": "RET"},
    {"kind": "fusion", "five_prime": "AGK", "three_prime": "BRAF"},
    {"kind": "copy_number", "gene": "MET", "change": "amplification", "copy_number": 9.0},
    {"kind": "copy_number", "gene": "ERBB2", "change": "amplification"},
    {
        "kind": "sequence_variant",
        "gene": "EGFR",
        "protein": {"ref_start": "C", "start": 797, "edit": "substitution", "alt": "S"},
    },
    {
        "kind": "sequence_variant",
        "gene": "BRAF",
        "protein": {"ref_start": "V", "start": 600, "edit": "substitution", "alt": "E"},
    },
    {
        "kind": "sequence_variant",
        "gene": "KRAS",
        "protein": {"ref_start": "G", "start": 12, "edit": "substitution", "alt": "C"},
    },
    {"kind": "histology", "histology": "small_cell_transformation"},
]


def _child_env() -> dict[str, str]:
    """The environment of a user's shell: bytecode caches written and used. (Some shells and
    containers set PYTHONDONTWRITEBYTECODE, which makes every start compile every module of
    the package again, about 40 ms here: not what an installed tool costs.)"""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _median_seconds(cmd: list[str], runs: int) -> float:
    env = _child_env()
    subprocess.run(cmd, check=True, capture_output=True, env=env)  # caches, registry
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def generate(n: int, seed: int = 7) -> list[object]:
    """``n`` cases: the seed patient with the progression test's findings varied."""
    from tkiresist.io.casefile import read_case
    from tkiresist.model.case import Case

    base = read_case(SEED).model_dump(mode="json")
    rng = random.Random(seed)
    out: list[object] = []
    test_index = next(i for i, e in enumerate(base["events"]) if e["id"] == "ngs-progression")
    for i in range(n):
        data = dict(base, id=f"bench-{i}")
        events = list(data["events"])
        test = dict(events[test_index])
        findings = [f for f in test["findings"] if f["alteration"]["kind"] != "fusion"]
        if rng.random() < 0.15:  # driver lost
            findings = [f for f in findings if f["alteration"].get("gene") != "EGFR"]
        for alt in rng.sample(VARIANTS, k=rng.randint(1, 2)):
            findings.append({"alteration": alt, "status": "detected"})
        test["findings"] = findings
        for f in findings:
            if f["alteration"]["kind"] == "histology":
                f["method"] = "histology"  # seen on H&E, not by the sequencing assay
        events[test_index] = test
        data["events"] = events
        out.append(Case.model_validate(data))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()

    exe = shutil.which("tkiresist") or str(Path(sys.executable).with_name("tkiresist"))
    bare = _median_seconds([sys.executable, "-c", "pass"], args.runs)
    helps = _median_seconds([exe, "--help"], args.runs)
    cold = _median_seconds([exe, "interpret", str(SEED)], args.runs)
    print(f"python -c pass                 : {bare * 1000:7.1f} ms (median of {args.runs})")
    print(f"tkiresist --help               : {helps * 1000:7.1f} ms  ratio {helps / bare:5.1f}x")
    print(f"tkiresist interpret seed (cold): {cold * 1000:7.1f} ms  ratio {cold / bare:5.1f}x")

    from tkiresist.interpret.engine import interpret
    from tkiresist.knowledge.loader import load_knowledge_base

    t0 = time.perf_counter()
    cases = generate(args.cases)
    gen = time.perf_counter() - t0
    kb = load_knowledge_base()
    t0 = time.perf_counter()
    fired = 0
    for case in cases:
        result = interpret(case, kb)  # type: ignore[arg-type]
        fired += len(result.mechanisms)
    engine = time.perf_counter() - t0
    n = len(cases)
    print(f"generated {n} cases in {gen:.1f} s")
    print(
        f"engine: {n} cases in {engine:.2f} s = {n / engine:,.0f} cases/s, "
        f"{1000 * engine / n:.2f} ms per case ({fired} mechanisms found)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
