"""The analysis per partition of patients, for running it on a cluster.

:func:`partitions` splits the input tables (:data:`INPUT_TABLES`) by a hash of the patient id,
each partition with the small :data:`SHARED_TABLES` whole; :func:`write_partitions` stages them
as Parquet folders; :func:`analyse_partition` (Arrow tables) and :func:`analyse_bucket` (a
staged folder) run :func:`tkiresist.cohort.analysis.analyse` on one partition in a fresh
in-memory DuckDB, in any worker process (Dask, Spark ``mapInArrow``, Ray). Every patient's rows
land in exactly one partition, so the partitions' results, concatenated, are the one-machine
result.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final

from tkiresist.cohort.analysis import analyse
from tkiresist.cohort.duck import CohortOptions, _lit, _register, _to_arrow, connect

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa


INPUT_TABLES: Final = (
    "samples",
    "declared_drivers",
    "diagnoses",
    "treatments",
    "alterations",
    "coverage",
    "gene_coverage",
    "progressions",
)
"""Tables partitioned by patient (each has a ``patient_id`` column)."""


SHARED_TABLES: Final = (
    "panel_genes",
    "alt_info",
    "alt_gene",
    "alt_category",
    "kb_stmt",
    "kb_match",
)
"""Tables every partition needs whole (small)."""


def analyse_partition(tables: Mapping[str, pa.Table], max_gap_days: int = 90) -> pa.Table:
    """The same analysis on one partition: ``tables`` holds the :data:`INPUT_TABLES` rows of
    some patients and the whole :data:`SHARED_TABLES`. Runs in a fresh in-memory DuckDB, so it
    can run in any worker process (Dask, Spark ``mapInArrow``, Ray)."""
    con = connect(CohortOptions(threads=1))
    try:
        for name in (*INPUT_TABLES, *SHARED_TABLES):
            _register(con, name, tables[name])
        return analyse(con, max_gap_days)
    finally:
        con.close()


def partitions(con: duckdb.DuckDBPyConnection, n: int) -> list[dict[str, pa.Table]]:
    """The inputs split into ``n`` partitions by patient (a hash of the patient id), each with
    the shared tables; every patient's rows land in exactly one partition."""
    shared = {name: _to_arrow(con, f"SELECT * FROM {name}") for name in SHARED_TABLES}
    out: list[dict[str, pa.Table]] = []
    for k in range(n):
        part = dict(shared)
        for name in INPUT_TABLES:
            part[name] = _to_arrow(
                con, f"SELECT * FROM {name} WHERE hash(patient_id) % {int(n)} = {k}"
            )
        out.append(part)
    return out


def write_partitions(con: duckdb.DuckDBPyConnection, folder: Path, n: int) -> list[Path]:
    """Stage the inputs for a cluster: ``folder/shared/<table>.parquet`` and
    ``folder/part-<k>/<table>.parquet`` for each of the ``n`` patient partitions. Any engine
    that can call a Python function per partition (Dask, Spark, Ray) then runs
    :func:`analyse_bucket` on each ``part-<k>`` folder and concatenates the results."""
    folder = Path(folder)
    (folder / "shared").mkdir(parents=True, exist_ok=True)
    for name in SHARED_TABLES:
        con.execute(
            f"COPY {name} TO {_lit(str(folder / 'shared' / f'{name}.parquet'))} (FORMAT parquet)"
        )
    out: list[Path] = []
    for k in range(n):
        part = folder / f"part-{k}"
        part.mkdir(exist_ok=True)
        for name in INPUT_TABLES:
            target = _lit(str(part / f"{name}.parquet"))
            con.execute(
                f"COPY (SELECT * FROM {name} WHERE hash(patient_id) % {int(n)} = {k}) "
                f"TO {target} (FORMAT parquet)"
            )
        out.append(part)
    return out


def analyse_bucket(part: Path, max_gap_days: int = 90) -> pa.Table:
    """:func:`analyse_partition` on a folder staged by :func:`write_partitions` (the shared
    tables are read from the sibling ``shared`` folder)."""
    import pyarrow.parquet as pq

    part = Path(part)
    tables = {name: pq.read_table(part / f"{name}.parquet") for name in INPUT_TABLES}
    for name in SHARED_TABLES:
        tables[name] = pq.read_table(part.parent / "shared" / f"{name}.parquet")
    return analyse_partition(tables, max_gap_days)
