"""Case files: the valid examples load; every deliberately broken file fails at its line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tkiresist.errors import CaseValidationError
from tkiresist.io.casefile import case_to_data, parse_case_text, read_case, write_case
from tkiresist.model.timeline import MolecularTest, TherapyLine

from .conftest import DATA, EXAMPLES

INVALID = DATA / "invalid"


def _expected() -> list[tuple[str, int | None, str]]:
    rows = []
    for line in (INVALID / "EXPECTED.tsv").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, lineno, fragment = line.split("\t")
        rows.append((name, int(lineno) if lineno else None, fragment))
    return rows


def test_every_invalid_file_has_an_expectation() -> None:
    listed = {name for name, _, _ in _expected()}
    present = {p.name for p in INVALID.glob("*.yaml")}
    assert listed == present


@pytest.mark.parametrize(("name", "line", "fragment"), _expected(), ids=lambda v: str(v))
def test_invalid_case_fails_with_located_message(
    name: str, line: int | None, fragment: str
) -> None:
    path = INVALID / name
    with pytest.raises(CaseValidationError) as info:
        read_case(path)
    messages = [str(p) for p in info.value.problems]
    hits = [m for m in messages if fragment in m]
    assert hits, f"{name}: expected {fragment!r} in {messages}"
    assert all(m.startswith(str(path)) for m in messages)
    if line is not None:
        assert any(m.startswith(f"{path}:{line}:") for m in hits), messages


def test_minimal_valid_case_loads_and_normalises() -> None:
    case = read_case(DATA / "valid" / "minimal.yaml")
    test = next(e for e in case.events if isinstance(e, MolecularTest))
    finding = test.findings[0]
    assert finding.alteration.name == "EGFR p.L858R"
    assert finding.vaf == pytest.approx(0.31)
    line = next(e for e in case.events if isinstance(e, TherapyLine))
    assert [a.drug for a in line.agents] == ["osimertinib"]
    months = case.months()
    assert months["dx"] == 0.0
    assert 13.0 < months["line1.stop"] < 14.0


def test_round_trip_through_yaml_and_json(tmp_path: Path) -> None:
    case = read_case(EXAMPLES / "cheung2025" / "case.yaml")
    for suffix in (".yaml", ".json"):
        out = tmp_path / f"case{suffix}"
        write_case(case, out)
        assert read_case(out) == case
    assert json.loads((tmp_path / "case.json").read_text())["schema_version"] == "1.0"
    assert case_to_data(case)["id"] == case.id


def test_write_is_atomic_when_serialisation_fails(tmp_path: Path) -> None:
    case = read_case(DATA / "valid" / "minimal.yaml")
    target = tmp_path / "case.yaml"
    target.write_text("original\n")
    (tmp_path / "sub").mkdir()
    with pytest.raises(OSError):
        write_case(case, tmp_path / "sub")  # a directory: the rename must fail
    assert target.read_text() == "original\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_all_problems_are_reported_together() -> None:
    text = (DATA / "valid" / "minimal.yaml").read_text()
    text = text.replace("EGFR L858R", "FOOBAR1 L858R").replace("[osimertinib]", "[nodrugatall]")
    with pytest.raises(CaseValidationError) as info:
        parse_case_text(text, "two.yaml")
    assert len(info.value.problems) == 2
