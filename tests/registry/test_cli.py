"""The ``registry`` sub-app, driven in-process: exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tkiresist.registry import db as dbmod
from tkiresist.registry.cli import registry_app

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'r.sqlite'}"


def test_list_show_history_on_a_new_default_registry(db: str) -> None:
    listed = runner.invoke(registry_app, ["list", "--db", db])
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.count("cheung2025-table1-") == 16
    assert "16 case(s); 16 patient(s), each counted once" in listed.stderr
    limited = runner.invoke(registry_app, ["list", "--db", db, "--limit", "3"])
    assert "3 case(s)\n" in limited.stderr and "patient" not in limited.stderr
    shown = runner.invoke(registry_app, ["show", "cheung2025-table1-13", "--db", db])
    assert shown.exit_code == 0
    assert "grade3_ae (line 22): 'Brigatinib- induced'" in shown.stdout
    assert "doi:10.1111/1759-7714.13817 (uncertain)" in shown.stdout
    as_json = json.loads(
        runner.invoke(registry_app, ["show", "cheung2025-table1-12", "--db", db, "--json"]).stdout
    )
    assert as_json["facts"]["alk_partners"] == "EML4,STRN"
    hist = runner.invoke(registry_app, ["history", "cheung2025-table1-1", "--db", db])
    assert hist.exit_code == 0 and "import *" in hist.stdout


def test_import_table_and_reimport(db: str, tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text("Case,Age/sex,EGFR mutation,ALK fusion\n1,50/F,L858R,EML4-ALK\n2,60/M,x,y\n")
    args = ["import-table", str(csv), "--source", "PMID:12345", "--db", db, "--who", "me"]
    first = runner.invoke(registry_app, args)
    assert first.exit_code == 0, first.output
    assert "2 created" in first.stdout and "2 cells flagged" in first.stdout
    assert "flagged 12345-2 egfr_mutation: 'x'" in first.stdout
    again = runner.invoke(registry_app, [*args, "--json"])
    assert json.loads(again.stdout)["unchanged"] == ["12345-1", "12345-2"]


def test_unmappable_column_exits_2_naming_it(db: str, tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text("Case,Favourite colour\n1,blue\n")
    args = ["import-table", str(csv), "--source", "10.1234/x", "--db", db]
    result = runner.invoke(registry_app, args)
    assert result.exit_code == 2
    assert "'Favourite colour' cannot be mapped" in result.stderr


def test_unknown_case_and_bad_source(db: str, tmp_path: Path) -> None:
    missing = runner.invoke(registry_app, ["show", "nope", "--db", db])
    assert missing.exit_code == 2 and "no case 'nope'" in missing.stderr
    csv = tmp_path / "t.csv"
    csv.write_text("Case\n1\n")
    bad = runner.invoke(registry_app, ["import-table", str(csv), "--source", "foo", "--db", db])
    assert bad.exit_code == 2 and "expected a DOI" in bad.stderr


def test_old_schema_message_and_migrate(db: str) -> None:
    engine = dbmod.make_engine(db)
    dbmod.upgrade_schema(engine, db, "r0001")
    engine.dispose()
    refused = runner.invoke(registry_app, ["list", "--db", db])
    assert refused.exit_code == 2 and "tkiresist registry migrate" in refused.stderr
    done = runner.invoke(registry_app, ["migrate", "--db", db])
    assert done.exit_code == 0 and f"from r0001 to {dbmod.head_revision()}" in done.stdout
    assert runner.invoke(registry_app, ["migrate", "--db", db]).stdout.startswith("already at")


def test_load_dataset(db: str) -> None:
    result = runner.invoke(registry_app, ["load-dataset", "cheung2025-table1", "--db", db])
    assert result.exit_code == 0 and "16 unchanged" in result.stdout
    unknown = runner.invoke(registry_app, ["load-dataset", "nope", "--db", db])
    assert unknown.exit_code == 2 and "no bundled dataset 'nope'" in unknown.stderr
