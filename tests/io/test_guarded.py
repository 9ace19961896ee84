"""User YAML and JSON within limits: alias bombs, cycles and deep nesting are refused, located,
before anything is built (#17, item 1).

The bomb is the one the issue reports: nine-item lists, each level nine aliases of the one
before. Seven levels (a few hundred bytes) took 4.5 s and about 1 GB before the fix; the
memory checks below would fail by three orders of magnitude on that code. Memory is measured
(tracemalloc peak, or the child's maximum RSS), never time.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from tkiresist.errors import CaseValidationError, EvidenceError, FormatError
from tkiresist.io.casefile import parse_case_text
from tkiresist.io.guarded import (
    MAX_ALIAS_NODES,
    MAX_DEPTH,
    check_json_shape,
    load_json,
    load_yaml,
)

from ..conftest import SEED_CASE


def bomb(levels: int, width: int = 9) -> str:
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_the_bomb_of_the_issue_is_a_few_hundred_bytes() -> None:
    assert len(bomb(7).encode()) < 400


@pytest.mark.parametrize("levels", [5, 7, 8, 30])
def test_an_alias_bomb_is_refused_at_its_first_alias_over_budget(levels: int) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(FormatError) as info:
            load_yaml(bomb(levels), "bomb.yaml")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    err = info.value
    # a1..a3 add 90 + 819 + 7,380 nodes; the first *a3 (line 5, column 10) passes 10,000
    assert (err.location.file, err.location.line, err.location.column) == ("bomb.yaml", 5, 10)
    assert f"more than {MAX_ALIAS_NODES:,} nodes" in err.message and "*a3" in err.message
    assert peak < 1_000_000, peak  # under a megabyte: nothing was built


def test_anchors_within_the_budget_still_read() -> None:
    data = load_yaml("assay: &panel {name: Oncomine, genes: [EGFR, MET]}\nagain: *panel\n")
    assert data["again"] == {"name": "Oncomine", "genes": ["EGFR", "MET"]}


def test_a_cycle_is_refused_where_the_alias_is() -> None:
    with pytest.raises(FormatError) as info:
        load_yaml("a: &x\n  - 1\n  - *x\n", "cycle.yaml")
    assert info.value.location.line == 3
    assert "cycle" in info.value.message


def test_nesting_deeper_than_the_limit_is_refused_with_its_place() -> None:
    ok = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert load_yaml(ok) is not None
    with pytest.raises(FormatError) as info:
        load_yaml("[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5), "deep.yaml")
    assert (info.value.location.line, info.value.location.column) == (1, MAX_DEPTH + 1)
    # far deeper: libyaml's own parser refuses first (its limit is 1,000), located all the same
    with pytest.raises(FormatError) as far:
        load_yaml("[" * 100_000 + "]" * 100_000, "deep.yaml")
    assert far.value.location.line == 1 and "depth" in far.value.message


def test_malformed_yaml_is_located_like_before() -> None:
    with pytest.raises(FormatError) as info:
        load_yaml("a: [1, 2\nb: 3\n", "m.yaml")
    assert info.value.message.startswith("malformed YAML")
    assert info.value.location.file == "m.yaml" and info.value.location.line is not None


def test_a_case_file_bomb_is_a_located_case_problem() -> None:
    text = (
        SEED_CASE.read_text(encoding="utf-8")
        + "notes_bomb:\n"
        + "".join("  " + line + "\n" for line in bomb(8).splitlines())
    )
    with pytest.raises(CaseValidationError) as info:
        parse_case_text(text, "case.yaml")
    (problem,) = info.value.problems
    assert problem.location.file == "case.yaml"
    a4 = "  a4: &a4 [" + ", ".join(["*a3"] * 9) + "]"
    assert problem.location.line == text.splitlines().index(a4) + 1


def test_validate_refuses_the_bomb_in_one_line_with_flat_memory(tmp_path: Path) -> None:
    """The CLI as a user runs it: exit 2, one located line, and the process stays small (it
    peaked at 120 MB on five levels and ran on without end on seven)."""
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb(9), encoding="utf-8")
    # a small parent whose only child is the CLI, so that its children's peak RSS is the CLI's
    probe = (
        "import resource, subprocess, sys\n"
        "p = subprocess.run([sys.executable, '-m', 'tkiresist', 'validate', sys.argv[1]],"
        " capture_output=True, text=True)\n"
        "sys.stderr.write(p.stderr)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.exit(p.returncode)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}:5:10: ")
    assert "aliases expand" in lines[0]
    rss_kib = int(proc.stdout.strip())
    # a Python process importing the CLI and the case reader is well under 150 MB
    assert rss_kib < 150_000, rss_kib


def test_review_tables_and_claims_files_are_guarded_too(tmp_path: Path) -> None:
    from tkiresist.evidence.claims import load_claims
    from tkiresist.registry.tables import load_mapping

    path = tmp_path / "x.yaml"
    path.write_text(bomb(7), encoding="utf-8")
    with pytest.raises(FormatError) as info:
        load_mapping(path)
    assert info.value.location.line == 5
    with pytest.raises(EvidenceError) as claims_info:
        load_claims(path)
    assert claims_info.value.location.line == 5


def test_json_depth_and_size_are_capped() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(FormatError) as info:
        load_json(deep, "body")
    assert "nested deeper" in info.value.message
    with pytest.raises(FormatError) as where:
        check_json_shape({"events": [{"x": json.loads("[" * 80 + "]" * 80)}]}, "body")
    assert where.value.location.field is not None
    assert where.value.location.field.startswith("events[0].x")
    assert load_json('{"a": [1, 2, {"b": null}]}') == {"a": [1, 2, {"b": None}]}
