"""The benchmark's synthetic cohort is well formed and annotates end to end (small size)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from tkiresist.annotate import annotate_tables

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "annotate.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_annotate", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_synthetic_cohort_annotates(tmp_path: Path) -> None:
    files = _bench().generate(tmp_path / "data", 3000)
    maf_lines = files["maf"].read_text(encoding="utf-8").splitlines()
    assert maf_lines[0] == "#version 2.4"
    assert len(maf_lines) == 2 + 3000
    report = annotate_tables(
        files["maf"], files["sv"], files["cna"], files["clinical"], out=tmp_path / "o.tsv"
    )
    maf = report.table("maf")
    assert maf.rows_in == maf.rows_out == 3000
    assert maf.count("unknown_gene") > 0  # the planted unknown genes
    assert maf.count("annotated") > 0
    assert report.table("sv").rows_out == 150
    # the CNA samples are MAF samples (same identifiers), so CNA rows get MAF context
    assert report.table("cna").rows_out > 0


def test_annotator_floor_writes_every_line_with_its_gene(tmp_path: Path) -> None:
    """The floor the benchmark times does the work it claims: each data line, unchanged, in
    file order, with the row's Hugo_Symbol appended (a floor that skipped rows or wrote the
    wrong thing would make the figure meaningless)."""
    import subprocess

    bench = _bench()
    maf = bench.generate(tmp_path / "data", 2000)["maf"]
    out = tmp_path / "floor.tsv"
    subprocess.run([sys.executable, "-c", bench.floor_child_code(maf, out)], check=True)
    lines = maf.read_text(encoding="utf-8").splitlines()
    header = lines[1].split("\t")
    data = lines[2:]
    written = out.read_text(encoding="utf-8").splitlines()
    gene = header.index("Hugo_Symbol")
    assert written == [f"{line}\t{line.split(chr(9))[gene]}" for line in data]
