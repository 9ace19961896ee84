"""The report commands, in-process: ``interpret --report`` and ``timeline --out``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tkiresist.cli import app

from ..conftest import SEED_CASE

runner = CliRunner()


def test_interpret_writes_an_html_report(tmp_path: Path) -> None:
    out = tmp_path / "seed.html"
    result = runner.invoke(
        app, ["interpret", str(SEED_CASE), "--report", str(out), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    # only where the report went (#17: the whole text used to follow it)
    assert result.stdout.strip() == f"report written to {out}"
    html = out.read_text(encoding="utf-8")
    assert "CHEUNG-2025-P1" in html and "<svg" in html


def test_interpret_refuses_an_unknown_report_type(tmp_path: Path) -> None:
    out = tmp_path / "seed.docx"
    result = runner.invoke(app, ["interpret", str(SEED_CASE), "--report", str(out)])
    assert result.exit_code == 2
    assert "--report: expected a .html or .pdf file name" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(("name", "magic"), [("t.svg", b"<?xml"), ("t.png", b"\x89PNG")])
def test_timeline_command(tmp_path: Path, name: str, magic: bytes) -> None:
    out = tmp_path / name
    result = runner.invoke(
        app, ["timeline", str(SEED_CASE), "--out", str(out), "--at", "pd-brain-3"]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(magic)
    if name.endswith(".svg"):
        assert "decision point (month 20)" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "t.gif"], "--out: expected a .svg or .png file name"),
        (["--out", "t.svg", "--at", "no-such-event"], "--at: no event 'no-such-event'"),
    ],
)
def test_timeline_command_errors(tmp_path: Path, args: list[str], message: str) -> None:
    args = [a if not a.startswith("t.") else str(tmp_path / a) for a in args]
    result = runner.invoke(app, ["timeline", str(SEED_CASE), *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert not list(tmp_path.iterdir())


def test_timeline_command_reports_a_bad_case_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\n", encoding="utf-8")
    result = runner.invoke(app, ["timeline", str(bad), "--out", str(tmp_path / "t.svg")])
    assert result.exit_code == 2
    assert str(bad) in result.stderr
    assert "Traceback" not in result.output


def test_report_modules_import_without_heavy_libraries() -> None:
    """matplotlib, Jinja2 and WeasyPrint load only when a report is made, so the CLI starts
    fast."""
    code = (
        "import sys, tkiresist.cli, tkiresist.report, tkiresist.report.html, "
        "tkiresist.report.pdf, tkiresist.report.timeline_figure; "
        "print(sorted(m for m in ('matplotlib', 'jinja2', 'weasyprint') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"
