"""The FHIR sub-app: export and import driven in-process (exit codes, files, messages)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tkiresist.io.casefile import read_case
from tkiresist.io.fhir.cli import fhir_app

from ..conftest import DATA, SEED_CASE

runner = CliRunner()


def test_export_then_import_round_trips(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.json"
    result = runner.invoke(
        fhir_app, ["export", str(SEED_CASE), "--out", str(bundle), "--shift-days", "3"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(bundle.read_text())
    assert data["resourceType"] == "Bundle" and data["type"] == "collection"
    out = tmp_path / "case.yaml"
    result = runner.invoke(fhir_app, ["import", str(bundle), "--out", str(out)])
    assert result.exit_code == 0, result.output
    seed = read_case(SEED_CASE)
    assert read_case(out) == seed.model_copy(update={"conflicts": ()})


def test_export_with_interpretation_to_stdout() -> None:
    result = runner.invoke(
        fhir_app, ["export", str(SEED_CASE), "--with-interpretation", "--shift-days", "0"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    kinds = [
        e["resource"].get("code", {}).get("coding", [{}])[0].get("code") for e in data["entry"]
    ]
    assert "therapeutic-implication" in kinds


def test_export_of_a_bad_case_exits_2_with_a_located_message() -> None:
    bad = DATA / "invalid" / "unknown_drug.yaml"
    result = runner.invoke(fhir_app, ["export", str(bad)])
    assert result.exit_code == 2
    assert "unknown drug 'osimertinob'" in result.stderr
    assert "Traceback" not in result.output


def test_import_of_a_bundle_with_a_dangling_reference_exits_2(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.json"
    runner.invoke(fhir_app, ["export", str(SEED_CASE), "--out", str(bundle), "--shift-days", "0"])
    data = json.loads(bundle.read_text())
    data["entry"][3]["resource"]["subject"] = {"reference": "Patient/ghost"}
    bundle.write_text(json.dumps(data))
    result = runner.invoke(fhir_app, ["import", str(bundle)])
    assert result.exit_code == 2
    assert f"{bundle}: entry[3].resource.subject.reference: unresolved reference" in result.stderr


def test_import_of_not_json_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    result = runner.invoke(fhir_app, ["import", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:1:3: not JSON" in result.stderr


def test_import_of_the_oncology_example_needs_the_placeholder_flag(tmp_path: Path) -> None:
    example = DATA / "formats" / "fhir" / "genomics-reporting_oncology-report-example.json"
    refused = runner.invoke(fhir_app, ["import", str(example)])
    assert refused.exit_code == 2
    assert "--placeholder-diagnosis" in refused.stderr
    out = tmp_path / "case.json"
    result = runner.invoke(
        fhir_app, ["import", str(example), "--placeholder-diagnosis", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "skipped: entry 0: Organization" in result.stderr
    assert len(read_case(out).events) == 3
