"""The CLI, driven in-process (exit codes and messages) and once as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from tkiresist import __version__
from tkiresist.cli import app

from .conftest import DATA, SEED_CASE

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"tkiresist {__version__}"


def test_validate_seed_case() -> None:
    result = runner.invoke(app, ["validate", str(SEED_CASE)])
    assert result.exit_code == 0, result.output
    assert "ok (cheung2025-case1" in result.output


def test_validate_reports_one_line_per_problem_and_exit_2() -> None:
    bad = DATA / "invalid" / "unknown_drug.yaml"
    result = runner.invoke(app, ["validate", str(SEED_CASE), str(bad)])
    assert result.exit_code == 2
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert lines == [f"{bad}:22: events[3].agents[0].drug: " + lines[0].split(".drug: ", 1)[1]]
    assert "unknown drug 'osimertinob'" in lines[0]
    assert "Traceback" not in result.output


def test_schema_is_json_schema_of_the_case() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "Case"
    assert "events" in schema["properties"]
    assert schema["additionalProperties"] is False


def test_console_script_runs_as_a_process() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tkiresist", "validate", str(DATA / "invalid" / "empty.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("empty file: expected a case (YAML or JSON mapping)")
    assert "Traceback" not in proc.stderr


def test_interpret_with_report_prints_only_where_it_went(tmp_path: Path) -> None:
    """Issue #17: with --report, stdout is one line, not the whole interpretation."""
    report = tmp_path / "seed.html"
    result = runner.invoke(app, ["interpret", str(SEED_CASE), "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"report written to {report}\n"
    assert "<svg" in report.read_text(encoding="utf-8")


def test_interpret_with_report_and_out_writes_both(tmp_path: Path) -> None:
    report, out = tmp_path / "seed.html", tmp_path / "seed.json"
    result = runner.invoke(
        app,
        ["interpret", str(SEED_CASE), "--report", str(report), "--out", str(out), "-f", "json"],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == f"report written to {report}\n"
    assert json.loads(out.read_text(encoding="utf-8"))["decision_point"]["event_id"] == "pd-brain-3"
    assert report.exists()
