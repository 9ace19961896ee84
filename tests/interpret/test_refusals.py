"""Every refusal of the engine names where it is (#12 item 2).

A case without a progression has no decision point, and an unknown ``--at`` event names none:
the engine refuses both. The engine is a pure function of a case and knows no files, so its
refusal carries the field it is about (``events``, ``at``); the command line adds the case file
and prints one line ``FILE: field: message`` with exit code 2 (``cli_support``), and the web API
answers 422 with the field in ``details[].loc``.

The no-progression case is the golden variant of the published Shiroyama 2016 case, cut before
its progression (``tests/golden/shiroyama2016-no-progression.case.yaml``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tkiresist.cli import app
from tkiresist.errors import InterpretationError
from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import read_case
from tkiresist.knowledge.loader import load_knowledge_base

from ..conftest import ROOT, SEED_CASE

NO_PD = ROOT / "tests" / "golden" / "shiroyama2016-no-progression.case.yaml"
runner = CliRunner()


def _one_line(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


def test_no_decision_point_is_located_in_the_engine() -> None:
    """What an oncologist expects: a case still on its first line, with no progression, has
    nothing to interpret yet; the refusal says so and points at the events (where a
    progression would be), never at nothing."""
    with pytest.raises(InterpretationError, match="no decision point") as err:
        interpret(read_case(NO_PD), load_knowledge_base())
    assert err.value.location.field == "events"
    with pytest.raises(InterpretationError, match="no event 'nope'") as err:
        interpret(read_case(SEED_CASE), load_knowledge_base(), at="nope")
    assert err.value.location.field == "at"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ([], "events: no decision point"),
        (["-f", "json"], "events: no decision point"),
        (["--no-pooled"], "events: no decision point"),
        (["--report", "REPORT"], "events: no decision point"),
        (["--at", "nope"], "--at: no event 'nope'"),
    ],
)
def test_interpret_refusal_names_the_file(tmp_path: Path, args: list[str], needle: str) -> None:
    """``tkiresist interpret`` on a case without a progression (or at an unknown event): one
    line ``FILE: field: message`` on stderr, exit 2, nothing on stdout and no report written.
    Before #12 the line had no file, so a batch over many cases could not say which failed."""
    report = tmp_path / "r.html"
    args = [str(report) if a == "REPORT" else a for a in args]
    done = runner.invoke(app, ["interpret", str(NO_PD), *args])
    assert done.exit_code == 2
    line = _one_line(done.stderr)
    assert line.startswith(f"{NO_PD}: ")
    assert needle in line
    assert done.stdout == ""
    assert not report.exists()


def test_timeline_refusal_names_the_file(tmp_path: Path) -> None:
    """``tkiresist timeline`` draws a case without a progression (a timeline needs none), and
    refuses an unknown ``--at`` event in one located line naming the file, writing nothing."""
    out = tmp_path / "t.svg"
    drawn = runner.invoke(app, ["timeline", str(NO_PD), "--out", str(out)])
    assert drawn.exit_code == 0, drawn.output
    assert out.exists()
    out.unlink()
    done = runner.invoke(app, ["timeline", str(NO_PD), "--out", str(out), "--at", "nope"])
    assert done.exit_code == 2
    line = _one_line(done.stderr)
    assert line.startswith(f"{NO_PD}: --at: no event 'nope'")
    assert not out.exists()


def test_the_web_api_answers_a_located_refusal() -> None:
    """The web API's path (``POST /api/interpret``): the body is parsed as the route does it,
    the engine refuses, and the error shape the API returns is 422 with the field in
    ``details[].loc`` (``events``; ``at`` for an unknown ``?at=``)."""
    from tkiresist.web.actions import parse_case_body
    from tkiresist.web.errors import body_for, status_for

    case = parse_case_body(NO_PD.read_bytes(), "application/yaml")
    with pytest.raises(InterpretationError) as err:
        interpret(case, load_knowledge_base())
    body = body_for(err.value)
    assert status_for(err.value) == 422
    assert body["error"]["code"] == "interpretation_error"
    assert body["error"]["details"][0]["loc"] == ["events"]
    assert "no decision point" in body["error"]["details"][0]["msg"]
    with pytest.raises(InterpretationError) as err:
        interpret(case, load_knowledge_base(), at="nope")
    assert body_for(err.value)["error"]["details"][0]["loc"] == ["at"]
