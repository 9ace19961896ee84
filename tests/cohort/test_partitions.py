"""Beyond one machine: the cohort split by patient, the same function run on each partition by
a local Dask scheduler in worker processes, gives exactly the single-machine answer."""

from __future__ import annotations

import importlib.util
from types import ModuleType

import pyarrow as pa
import pytest

from tkiresist.cohort import (
    INPUT_TABLES,
    analyse,
    analyse_partition,
    load_study,
    partitions,
    summarise,
)

from ..conftest import ROOT


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "cohort_benchmark", ROOT / "benchmarks" / "cohort.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    study = tmp_path_factory.mktemp("synthetic") / "study"
    _benchmark().generate(study, 600, seed=11)
    data = load_study(study)
    yield data
    data.con.close()


def _sorted(table: pa.Table) -> list[dict[str, object]]:
    return sorted(table.to_pylist(), key=lambda r: str(r["patient_id"]))


def test_partitions_split_patients_without_overlap(loaded) -> None:  # type: ignore[no-untyped-def]
    parts = partitions(loaded.con, 4)
    for name in INPUT_TABLES:
        seen: set[str] = set()
        total = 0
        for part in parts:
            ids = set(part[name].column("patient_id").to_pylist())
            assert not ids & seen, name
            seen |= ids
            total += part[name].num_rows
        assert total == loaded.con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]


def test_dask_partitions_give_the_single_machine_answer(loaded) -> None:  # type: ignore[no-untyped-def]
    dask = pytest.importorskip(
        "dask", reason="Dask is not installed (pip install dask); the partitioned run needs it"
    )
    whole = analyse(loaded.con)
    assert whole.num_rows > 300  # most of the 600 patients progressed on a TKI
    parts = partitions(loaded.con, 4)
    tasks = [dask.delayed(analyse_partition)(p) for p in parts]
    results = dask.compute(*tasks, scheduler="processes", num_workers=2)
    combined = pa.concat_tables(results)
    assert _sorted(combined) == _sorted(whole)
    # and the summary built from the partitions is the single-machine summary
    assert summarise(combined).frequencies == summarise(whole).frequencies


def test_staged_parquet_buckets_give_the_single_machine_answer(loaded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tkiresist.cohort import analyse_bucket, write_partitions

    parts = write_partitions(loaded.con, tmp_path / "staged", 3)
    assert sorted(p.name for p in (tmp_path / "staged").iterdir()) == [
        "part-0",
        "part-1",
        "part-2",
        "shared",
    ]
    combined = pa.concat_tables([analyse_bucket(p) for p in parts])
    assert _sorted(combined) == _sorted(analyse(loaded.con))
