"""The evidence CLI driven in-process: exit codes and one-line located errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tkiresist.evidence.cli import evidence_app


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('cli') / 'registry.sqlite'}"


def run(*args: str) -> Any:
    return CliRunner().invoke(evidence_app, list(args))


def test_summary_json(db: str) -> None:
    result = run("summary", "--dataset", "cheung2025-table1", "--json", "--db", db)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    by_id = {s["id"]: s for s in data["statistics"]}
    assert (by_id["combination_orr"]["numerator"], by_id["combination_orr"]["denominator"]) == (
        6,
        9,
    )
    assert by_id["cns_involvement_share"]["label"].endswith("3/9 with CNS status reported")


def test_summary_text_with_filter(db: str) -> None:
    result = run("summary", "--where", "egfr_baseline=l858r", "--db", db)
    assert result.exit_code == 0
    assert "Evidence summary: 5 cases" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("summary", "--where", "egfr=1"), "where: cannot parse filter 'egfr=1' at position 0"),
        (("summary", "--dataset", "nope"), "dataset: no cases in dataset 'nope'"),
        (("audit", "--claims", "/nonexistent.yaml"), "/nonexistent.yaml: no such claims file"),
        (("audit", "--claims", "nosuchpackaged"), "no packaged claims file 'nosuchpackaged'"),
        (("figures", "--out", "x", "--format", "pdf"), "unknown figure format 'pdf'"),
    ],
)
def test_bad_input_exits_2_with_one_line(db: str, args: tuple[str, ...], message: str) -> None:
    result = run(*args, "--db", db)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert message in lines[0]


def test_audit_exits_1_on_mismatch(db: str) -> None:
    result = run("audit", "--claims", "cheung2025", "--db", db)
    assert result.exit_code == 1
    assert "2 mismatch" in result.stdout
    result = run("audit", "--claims", "cheung2025", "--json", "--db", db)
    data = json.loads(result.stdout)
    assert sorted(r["claim"]["id"] for r in data["results"] if r["status"] == "mismatch") == [
        "abstract-case-age",
        "results-ex19del",
    ]


def test_audit_of_a_bad_claims_file(db: str, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        'claims:\n  - id: a\n    where: x\n    quote: "q"\n    statistic: nope\n    value: 1\n',
        encoding="utf-8",
    )
    result = run("audit", "--claims", str(path), "--db", db)
    assert result.exit_code == 2
    assert f"{path}:5: claims[0].statistic: unknown statistic 'nope'" in result.stderr


def test_figures(db: str, tmp_path: Path) -> None:
    result = run("figures", "--out", str(tmp_path), "--format", "svg", "--db", db)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "orr_by_regimen.svg",
        "partners.svg",
        "swimmer.svg",
    ]
