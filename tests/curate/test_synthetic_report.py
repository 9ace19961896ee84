"""A whole SYNTHETIC case report (tests/curate/data/synthetic_report.txt, written for this test
in a style unlike the seed's): what the draft must hold, and what it must not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tkiresist.curate import draft_case

TEXT = (Path(__file__).parent / "data" / "synthetic_report.txt").read_text(encoding="utf-8")


def _events(kind: str) -> list[dict[str, Any]]:
    return [e for e in draft_case(TEXT, "synthetic.txt").data["events"] if e["type"] == kind]


def test_patient_synthetic() -> None:
    d = draft_case(TEXT, "synthetic.txt").data
    assert d["patient"] == {"sex": "female", "age_at_diagnosis": 49, "smoking": "never"}


def test_lines_synthetic() -> None:
    lines = [[a["drug"] for a in e["agents"]] for e in _events("therapy")]
    assert lines == [["gefitinib"], ["osimertinib"], ["osimertinib", "savolitinib"]]


def test_specimens_and_findings_synthetic() -> None:
    specimens = {e["id"]: e for e in _events("specimen")}
    assert [(e["kind"], e.get("site")) for e in specimens.values()] == [
        ("tissue", "right upper lobe mass"),
        ("plasma", None),
        ("tissue", "liver lesion"),
    ]
    tests = [
        (specimens[t["specimen"]]["kind"], t["assay"],
         [(f["alteration"], f["status"]) for f in t["findings"]])
        for t in _events("test")
    ]  # fmt: skip
    assert tests == [
        ("tissue", "pcr-unnamed", [("EGFR p.L858R", "detected")]),
        ("plasma", "ngs-unnamed", [("EGFR p.T790M", "detected"), ("EGFR p.L858R", "detected")]),
        ("tissue", "ngs-unnamed", [("EGFR p.L858R", "detected"), ("EGFR p.T790M", "not_detected")]),
    ]


def test_what_is_not_written_synthetic() -> None:
    draft = draft_case(TEXT, "synthetic.txt")
    text = str(draft.data["events"])
    # "loss of T790M and MET amplification": MET may be shown or lost; listed, not written
    assert "MET amplification" not in text
    assert any("MET amplification" in c and "not written" in c for c in draft.to_check)
    # hedged ("could not be excluded"), and the introduction's and discussion's statements
    assert "exon 14" not in text and "C797S" not in text


def test_responses_and_progressions_synthetic() -> None:
    got = [(e["category"], e.get("site", "overall"), e.get("therapy")) for e in _events("response")]
    assert got == [
        ("PR", "overall", "line1"),
        ("PD", "overall", None),
        ("SD", "overall", "line2"),
        ("PD", "cns", None),
        ("PR", "cns", "line3"),
    ]
