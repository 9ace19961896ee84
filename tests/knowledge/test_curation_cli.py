"""kb show --approval and kb lint's review dates (#13), on the packaged knowledge base."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from tkiresist.cli import app
from tkiresist.knowledge.lint import review_due
from tkiresist.knowledge.loader import load_knowledge_base

runner = CliRunner()


def test_kb_show_lists_regimens_by_approval_and_region() -> None:
    fda = runner.invoke(app, ["kb", "show", "--approval", "approved", "--region", "FDA"])
    assert fda.exit_code == 0, fda.output
    lines = [ln for ln in fda.stdout.splitlines() if not ln.startswith("#")]
    assert any("amivantamab + carboplatin + pemetrexed" in ln for ln in lines)
    assert any("datopotamab deruxtecan" in ln and "accelerated 2025-06-23" in ln for ln in lines)
    assert all(ln.startswith("FDA ") for ln in lines)
    nmpa = runner.invoke(app, ["kb", "show", "--approval", "approved", "--region", "NMPA"])
    assert "savolitinib" in nmpa.stdout and "amivantamab" not in nmpa.stdout
    refused = runner.invoke(app, ["kb", "show", "--approval", "not_approved"])
    assert "lazertinib" in refused.stdout


def test_kb_show_refuses_an_unknown_status_or_region() -> None:
    bad = runner.invoke(app, ["kb", "show", "--approval", "maybe"])
    assert bad.exit_code == 2 and "--approval" in bad.stderr
    bad = runner.invoke(app, ["kb", "show", "--approval", "approved", "--region", "Mars"])
    assert bad.exit_code == 2 and "--region" in bad.stderr


def test_review_dates_are_reported_not_failed(tmp_path: Path) -> None:
    """A statement never reviewed, or reviewed long ago, is named as due; lint still passes
    unless --fail-stale is given."""
    kb = load_knowledge_base()
    due_now = review_due(kb, 365, today="2026-12-05")
    reviewed = {st.id for st in kb.statements if st.last_reviewed}
    assert "no-mechanism-after-osimertinib" in reviewed
    assert not any("no-mechanism-after-osimertinib" in (p.location.field or "") for p in due_now)
    later = review_due(kb, 365, today="2028-01-01")
    assert any("no-mechanism-after-osimertinib" in (p.location.field or "") for p in later)
    ok = runner.invoke(app, ["kb", "lint"])
    assert ok.exit_code == 0 and "due for review" in ok.stdout
    # Since #13 (2026-12-05) every packaged statement carries a review date, so the packaged
    # base has nothing due today; --fail-stale is exercised on a copy of it with one review
    # date removed (the packaged base can no longer serve as the never-reviewed example).
    copy = tmp_path / "kb"
    shutil.copytree(kb.root, copy)
    histologic = copy / "histologic.yaml"
    text = histologic.read_text(encoding="utf-8")
    assert "  last_reviewed: 2026-12-05\n" in text
    histologic.write_text(text.replace("  last_reviewed: 2026-12-05\n", "", 1), encoding="utf-8")
    strict = runner.invoke(app, ["kb", "lint", str(copy), "--fail-stale"])
    assert strict.exit_code == 1 and "never reviewed" in strict.stderr
