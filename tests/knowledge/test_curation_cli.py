"""kb show --approval and kb lint's review dates (#13), on the packaged knowledge base."""

from __future__ import annotations

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


def test_review_dates_are_reported_not_failed() -> None:
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
    strict = runner.invoke(app, ["kb", "lint", "--fail-stale"])
    assert strict.exit_code == 1
