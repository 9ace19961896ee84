"""The cohort-scale dynamics rules (``benchmarks/dynamics.py``, DuckDB over an Arrow table)
agree with the per-case step on synthetic patients (#15): one set of thresholds, two
implementations that must not drift apart."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from ..conftest import ROOT


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_dynamics", ROOT / "benchmarks" / "dynamics.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sql_rules_agree_with_the_per_case_step() -> None:
    """Every synthetic patient's response, molecular progression and lead time computed in SQL
    equals what the per-case step says when the same draws are written as a case file: a
    tumour board reading one patient and a cohort analysis must give the same answer."""
    bench = _benchmark()
    draws = bench.generate(400, seed=3)
    result = bench.per_patient(draws)
    assert result.num_rows == 400
    statuses = set(result.column("progression").to_pylist())
    assert {"progression", "none"} <= statuses
    assert bench.check(draws, result, 400) == 0
