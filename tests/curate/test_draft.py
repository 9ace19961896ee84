"""The whole draft: spans point at the right characters, nothing is written without a span,
the seed's draft validates or says why, and the command's exits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tkiresist.cli import app
from tkiresist.curate import draft_case, draft_yaml

from ..conftest import SEED_TEXT

runner = CliRunner()

# SYNTHETIC: written for this test, not from any report
SYNTHETIC = (
    "Case Presentation\n\n"
    "A 55-year-old woman, a never-smoker, presented with cough. Biopsy of the right lower lobe "
    "mass revealed adenocarcinoma. NGS of the tumour demonstrated EGFR L858R; T790M was not "
    "detected.\n\n"
    "She was started on osimertinib (80 mg daily). CT showed a partial response to "
    "osimertinib. After 18 months of osimertinib, MRI revealed new brain metastases.\n\n"
    "Discussion\n\nEGFR C797S is a known mechanism.\n"
)


def _paths(data: Any, prefix: str = "") -> set[str]:
    """Every leaf path the draft writes (outside provenance and the structural keys)."""
    out: set[str] = set()
    if isinstance(data, dict):
        for k, v in data.items():
            out |= _paths(v, f"{prefix}.{k}" if prefix else k)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out |= _paths(v, f"{prefix}[{i}]")
    else:
        out.add(prefix)
    return out


STRUCTURAL = ("schema_version", "id", "pseudonym")


def _unspanned(data: dict[str, Any]) -> list[str]:
    spanned = {s["field"] for s in data["provenance"]["spans"]}
    missing = []
    for path in sorted(
        _paths({k: v for k, v in data.items() if k not in ("provenance", "assays")})
    ):
        if path in STRUCTURAL or path.endswith((".id", ".type", ".specimen")):
            continue
        # a structured alteration ({kind, marker, result}) is one value: its span is the parent's
        parent = path.rsplit(".", 1)[0]
        if (
            path not in spanned
            and not (".alteration." in path and parent in spanned)
            and not any(path.startswith(f + ".") or path.startswith(f + "[") for f in spanned)
        ):
            missing.append(path)
    return missing


@pytest.mark.parametrize("text", [SYNTHETIC, SEED_TEXT.read_text(encoding="utf-8")],
                         ids=["synthetic", "seed"])  # fmt: skip
def test_every_span_points_at_its_text(text: str) -> None:
    draft = draft_case(text, "r.txt")
    assert draft.spans
    for s in draft.spans:
        assert text[s["start"] : s["end"]] == s["text"], s


@pytest.mark.parametrize("text", [SYNTHETIC, SEED_TEXT.read_text(encoding="utf-8")],
                         ids=["synthetic", "seed"])  # fmt: skip
def test_nothing_is_written_without_a_span(text: str) -> None:
    assert _unspanned(draft_case(text, "r.txt").data) == []


def test_synthetic_draft_values_and_spans() -> None:
    draft = draft_case(SYNTHETIC, "r.txt")
    d = draft.data
    assert d["patient"] == {"age_at_diagnosis": 55, "sex": "female", "smoking": "never"}
    by_field = {s["field"]: s["text"] for s in draft.spans}
    assert by_field["patient.age_at_diagnosis"] == "55"
    assert by_field["patient.sex"] == "woman"
    events = {e["id"]: e for e in d["events"]}
    assert events["dx"]["histology"] == "adenocarcinoma"
    assert events["line1"]["agents"] == [{"drug": "osimertinib", "dose": "80 mg",
                                          "schedule": "daily"}]  # fmt: skip
    (test,) = [e for e in d["events"] if e["type"] == "test"]
    assert test["findings"] == [
        {"alteration": "EGFR p.L858R", "status": "detected"},
        {"alteration": "EGFR p.T790M", "status": "not_detected"},
    ]
    pd = events["progression1"]
    assert (pd["site"], pd["therapy"], pd["time"]) == ("cns", "line1", "18 months after line1")
    # the Discussion's general statement is not a finding
    assert "C797S" not in yaml.safe_dump(d["events"])


def test_negative_read_as_not_detected_in_seed() -> None:
    draft = draft_case(SEED_TEXT.read_text(encoding="utf-8"), "seed.txt")
    findings = [
        (f["alteration"], f.get("status")) for e in draft.data["events"] if e["type"] == "test"
        for f in e["findings"]
    ]  # fmt: skip
    assert ("EGFR p.T790M", "not_detected") in findings  # "The EGFR T790M mutation was negative."
    assert ("ALK fusion", "not_detected") in findings  # "ALK was negative by both NGS and IHC"
    assert ("EML4::ALK", "detected") in findings


def test_seed_draft_validates_or_lists_why(tmp_path: Path) -> None:
    draft = draft_case(SEED_TEXT.read_text(encoding="utf-8"), "seed.txt")
    # the seed gives no start for its lines and no time for several events: the draft says so
    assert draft.problems
    assert all("required field" in p for p in draft.problems), draft.problems
    assert any("events[" in c and "not written" in c for c in draft.to_check)
    out = tmp_path / "draft.yaml"
    out.write_text(draft_yaml(draft), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(out)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == len(draft.problems)
    assert all(line.startswith(f"{out}:") and "required field" in line for line in lines)


def test_seed_draft_with_the_missing_times_filled_validates() -> None:
    """What stops the seed's draft is only what the text does not give: fill those fields
    and the rest of the draft validates as it stands (provenance included)."""
    from tkiresist.io.casefile import parse_case_data

    draft = draft_case(SEED_TEXT.read_text(encoding="utf-8"), "seed.txt")
    for e in draft.data["events"]:
        if e["type"] == "therapy" and "start" not in e:
            e["start"] = "0 months after diagnosis"
        elif e["type"] in ("specimen", "response") and "time" not in e:
            e["time"] = "0 months after diagnosis"
    case = parse_case_data(draft.data, "filled")
    assert case.provenance is not None and case.provenance.spans


def test_cli_writes_the_draft_and_lists_problems(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text(SYNTHETIC, encoding="utf-8")
    out = tmp_path / "draft.yaml"
    result = runner.invoke(app, ["draft-case", str(report), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# DRAFT case")
    assert "does not validate yet" in result.output
    assert f"{out}:" in result.output  # problems located in the written draft
    data = yaml.safe_load(text)
    assert data["provenance"]["document"] == "report.txt"


def test_cli_stdout(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text(SYNTHETIC, encoding="utf-8")
    result = runner.invoke(app, ["draft-case", str(report)])
    assert result.exit_code == 0
    assert "provenance:" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"", "empty file"),
        (b"   \n\n", "empty file"),
        (b"caf\xe9 au lait", "not UTF-8 text (byte 3)"),
        (b"text\x00binary", "not a text file"),
        ("dir", "is a directory"),
    ],
    ids=["missing", "empty", "blank", "latin1", "nul", "directory"],
)
def test_cli_unreadable_input_exits_2_with_one_located_line(
    tmp_path: Path, content: bytes | str | None, message: str
) -> None:
    path = tmp_path / "report.txt"
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    result = runner.invoke(app, ["draft-case", str(path)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}: ") and message in lines[0]
