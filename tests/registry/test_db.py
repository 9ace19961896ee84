"""The registry database, on SQLite and (with TKIRESIST_TEST_PG_URL) PostgreSQL."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select, text

from tests.conftest import SEED_CASE
from tkiresist.errors import ConflictError, FormatError, RegistryError
from tkiresist.io.casefile import read_case
from tkiresist.registry import db as dbmod
from tkiresist.registry.db import (
    MIGRATE_COMMAND,
    Registry,
    head_revision,
    make_engine,
    migrate,
    normalize_url,
    redact,
    schema_status,
)
from tkiresist.registry.importers import import_table, load_dataset
from tkiresist.registry.models import Base, CaseRow, DatasetRow, FactsRow, HistoryRow
from tkiresist.registry.opening import open_registry
from tkiresist.registry.published import abstract_table
from tkiresist.registry.record import SourceRef
from tkiresist.registry.tables import read_seed_text

SOURCE = "10.7759/cureus.92202"
UID = "cheung2025-table1-{}".format
TABLE1 = resources.files("tkiresist.data").joinpath("datasets/cheung2025-table1.txt")


def _table_file(tmp_path: Path, edit: dict[str, str] | None = None) -> Path:
    """The bundled Table 1 text, with ``old -> new`` replacements."""
    body = TABLE1.read_text(encoding="utf-8")
    for old, new in (edit or {}).items():
        assert old in body
        body = body.replace(old, new)
    path = tmp_path / "table1.txt"
    path.write_text(body, encoding="utf-8")
    return path


def _rows(reg: Registry, model: Any) -> int:
    with reg.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_first_use_creates_the_schema_and_loads_the_seed(db_url: str) -> None:
    with open_registry(db_url) as reg:
        assert schema_status(reg.engine).up_to_date
        assert reg.count() == 16
        assert [d.name for d in reg.datasets()] == ["cheung2025-table1"]
        assert reg.datasets()[0].licence == "CC-BY-4.0"
        rec = reg.get(UID(6))
        assert rec.source == SourceRef.parse(SOURCE, "Table 1", "6")
        assert rec.case.source is not None and rec.case.source.doi == SOURCE
        verbatim = {p.field: p.verbatim for p in rec.provenance}
        assert verbatim["egfr_mutation"] == "Exon 19 deletion"
        assert verbatim["study"] == "Schrock et al. (2018), Case 26"
        assert "_row" in verbatim  # re-joined from two lines
        ps = rec.reported.primary_source
        assert ps is not None and ps.doi == "10.1016/j.jtho.2018.05.027" and ps.uncertain
        assert _rows(reg, FactsRow) == 16


def test_reimport_is_idempotent(db_url: str, tmp_path: Path) -> None:
    path = _table_file(tmp_path)
    with open_registry(db_url, load_defaults=False) as reg:
        first = import_table(reg, path, source=SOURCE, who="a")
        history = _rows(reg, HistoryRow)
        second = import_table(reg, path, source=SOURCE, who="b")
        assert (len(first.created), len(second.created)) == (16, 0)
        assert len(second.unchanged) == 16 and not second.updated
        assert reg.count() == 16 and _rows(reg, HistoryRow) == history == 16
        assert {s.version for s in reg.list_cases()} == {1}
        load_dataset(reg, "cheung2025-table1")
        again = load_dataset(reg, "cheung2025-table1")
        assert len(again.unchanged) == 16 and not again.created


def test_reimport_of_a_changed_cell_updates_with_history(db_url: str, tmp_path: Path) -> None:
    with open_registry(db_url, load_defaults=False) as reg:
        report = import_table(reg, _table_file(tmp_path), source=SOURCE, dataset="t1", who="a")
        uid16, uid1 = report.created[15], report.created[0]
        reg.set_status(uid1, "reviewed", expected_version=1, who="curator")
        changed = _table_file(tmp_path, {"\t42/F\t": "\t43/F\t", "\t65/M\t": "\t66/M\t"})
        again = import_table(reg, changed, source=SOURCE, dataset="t1", who="b")
        assert again.updated == [uid16]
        assert again.skipped == [(uid1, "reviewed: a curator's version is kept")]
        rec = reg.get(uid16)
        assert rec.version == 2 and rec.case.patient.age_at_diagnosis == 43
        changes = [(h.field, h.old, h.new, h.who, h.action) for h in reg.history(uid16)[1:]]
        assert ("case.patient.age_at_diagnosis", 42, 43, "b", "import") in changes
        assert ("provenance.age_sex.verbatim", "42/F", "43/F", "b", "import") in changes
        assert reg.facts(uid16).age == 43  # type: ignore[union-attr]
        assert reg.get(uid1).case.patient.age_at_diagnosis == 65


def test_a_bad_row_imports_nothing(db_url: str, tmp_path: Path) -> None:
    bad = _table_file(tmp_path, {"\tDCTN1- ALK\t": "\tDCTN1- ALK\t\t"})
    bad.write_text(bad.read_text().replace("Lung, adrenal", "Lung, adrenal\textra"))
    with open_registry(db_url, load_defaults=False) as reg:
        with pytest.raises(FormatError, match="the header 14"):
            import_table(reg, bad, source=SOURCE)
        assert reg.count() == 0 and _rows(reg, DatasetRow) == 0


def test_a_failure_mid_import_rolls_everything_back(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = dbmod.derive_facts
    calls = {"n": 0}

    def failing(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 9:
            raise RuntimeError("injected failure on row 9")
        return real(**kwargs)

    with open_registry(db_url, load_defaults=False) as reg:
        monkeypatch.setattr(dbmod, "derive_facts", failing)
        with pytest.raises(RuntimeError, match="row 9"):
            import_table(reg, _table_file(tmp_path), source=SOURCE)
        assert calls["n"] == 9
        for model in (CaseRow, HistoryRow, FactsRow, DatasetRow):
            assert _rows(reg, model) == 0, model


def test_two_curators_saving_the_same_case_conflict(db_url: str) -> None:
    with open_registry(db_url) as reg:
        alice = reg.get(UID(3))
        bob = reg.get(UID(3))
        # the bundled dataset is loaded reviewed (#16): alice sends the case back to draft
        reg.update(UID(3), expected_version=alice.version, who="alice", status="draft")
        with pytest.raises(ConflictError) as err:
            reg.update(
                UID(3),
                expected_version=bob.version,
                who="bob",
                case=bob.case.model_copy(update={"notes": "bob's note"}),
            )
        assert "saved by alice" in str(err.value) and "version 2" in str(err.value)
        assert reg.get(UID(3)).case.notes == alice.case.notes
        with pytest.raises(ConflictError):
            reg.delete(UID(3), expected_version=1, who="bob")


def test_every_update_leaves_history(db_url: str) -> None:
    with open_registry(db_url) as reg:
        rec = reg.get(UID(1))
        patient = rec.case.patient.model_copy(update={"age_at_diagnosis": 62})
        new = reg.update(
            UID(1),
            expected_version=1,
            who="curator",
            case=rec.case.model_copy(update={"patient": patient}),
            reason="the text says 62",
        )
        assert new.version == 2 and new.updated_by == "curator"
        last = reg.history(UID(1))[-1]
        assert (last.field, last.old, last.new, last.who, last.version, last.reason) == (
            "case.patient.age_at_diagnosis", 65, 62, "curator", 2, "the text says 62",
        )  # fmt: skip
        assert reg.facts(UID(1)).age == 62  # type: ignore[union-attr]
        same = reg.update(UID(1), expected_version=2, who="curator", case=new.case)
        assert same.version == 2 and len(reg.history(UID(1))) == 2


def test_soft_delete_and_restore(db_url: str) -> None:
    with open_registry(db_url) as reg:
        gone = reg.delete(UID(5), expected_version=1, who="curator", reason="duplicate")
        assert gone.deleted and gone.version == 2 and gone.deleted_by == "curator"
        assert reg.count() == 15 and UID(5) not in {s.uid for s in reg.list_cases()}
        assert UID(5) in {s.uid for s in reg.list_cases(include_deleted=True)}
        assert reg.facts(UID(5)) is None and _rows(reg, FactsRow) == 15
        with pytest.raises(RegistryError, match="is deleted"):
            reg.update(UID(5), expected_version=2, who="x", status="reviewed")
        back = reg.restore(UID(5), expected_version=2, who="curator")
        assert not back.deleted and back.version == 3
        assert reg.facts(UID(5)) is not None and reg.count() == 16
        actions = [h.action for h in reg.history(UID(5))]
        assert actions == ["import", "delete", "restore"]


def test_local_case(db_url: str) -> None:
    case = read_case(SEED_CASE)
    with open_registry(db_url, load_defaults=False) as reg:
        rec = reg.add_case(case, who="me")
        assert (rec.uid, rec.dataset, rec.source.kind, rec.version) == (
            case.id,
            "local",
            "local",
            1,
        )
        assert reg.facts(case.id).interval_months == 13.0  # type: ignore[union-attr]
        with pytest.raises(RegistryError, match="is taken"):
            reg.add_case(case, who="me")


def _at_r0001_with_one_case(url: str) -> str:
    engine = make_engine(url)
    dbmod.upgrade_schema(engine, url, "r0001")
    table = read_seed_text(TABLE1.read_text(encoding="utf-8"), "t1")
    key, item = abstract_table(table, SourceRef.parse(SOURCE))[0]
    uid = "old-1"
    docs = dbmod._docs(item.case.model_copy(update={"id": uid}), item.reported, item.flags, "draft")
    row = dbmod._case_row(
        uid, "old", SourceRef.parse(SOURCE, "Table 1", key), "draft", docs, "me", dbmod._now()
    )
    with engine.begin() as conn:
        conn.execute(CaseRow.__table__.insert(), [row])
    engine.dispose()
    return uid


def test_an_old_schema_is_refused_with_the_command(db_url: str) -> None:
    _at_r0001_with_one_case(db_url)
    with pytest.raises(RegistryError) as err:
        open_registry(db_url)
    assert MIGRATE_COMMAND in str(err.value) and "'r0001'" in str(err.value)


def test_migrate_upgrades_and_rebuilds_facts(db_url: str) -> None:
    uid = _at_r0001_with_one_case(db_url)
    result = migrate(db_url)
    head = head_revision()
    assert head >= "r0003"
    assert (result.before, result.after, result.facts_rebuilt) == ("r0001", head, 1)
    with open_registry(db_url) as reg:
        assert reg.facts(uid).egfr_baseline == "ex19del"  # type: ignore[union-attr]
        assert reg.count() == 1  # an existing database is not loaded with defaults
    assert not migrate(db_url).changed


def test_open_with_migrate_true(db_url: str) -> None:
    uid = _at_r0001_with_one_case(db_url)
    with open_registry(db_url, migrate=True) as reg:
        assert schema_status(reg.engine).up_to_date and reg.facts(uid) is not None


def test_a_newer_schema_is_refused(db_url: str) -> None:
    open_registry(db_url, load_defaults=False).close()
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE registry_alembic_version SET version_num = 'r9999'"))
    engine.dispose()
    with pytest.raises(RegistryError, match="does not know"):
        open_registry(db_url)


def test_the_models_match_the_migrations(db_url: str) -> None:
    with open_registry(db_url, load_defaults=False) as reg, reg.engine.connect() as conn:
        insp = inspect(conn)
        for table in Base.metadata.sorted_tables:
            columns = {c["name"] for c in insp.get_columns(table.name)}
            assert columns == {c.name for c in table.columns}, table.name
            indexes = {i["name"] for i in insp.get_indexes(table.name)}
            assert {i.name for i in table.indexes} <= indexes, table.name


def test_the_facts_table_aggregates_in_sql(db_url: str) -> None:
    """The seed's pooled figures, straight from SQL (evidence synthesis builds on this)."""
    with open_registry(db_url) as reg, reg.engine.connect() as conn:

        def one(sql: str) -> Any:
            return conn.execute(text(sql)).scalar_one()

        assert one("SELECT count(*) FROM registry_case_facts WHERE egfr_baseline = 'ex19del'") == 10
        assert one("SELECT count(*) FROM registry_case_facts WHERE partner_class = 'eml4'") == 11
        assert one("SELECT count(*) FROM registry_case_facts WHERE combination_egfr_alk") == 9
        assert (
            one(
                "SELECT count(*) FROM registry_case_facts WHERE combination_egfr_alk "
                "AND best_response IN ('CR', 'PR')"
            )
            == 6
        )
        assert one("SELECT count(*) FROM registry_case_facts WHERE cns_reported") == 9
        assert one("SELECT count(*) FROM registry_case_facts WHERE cns_involved") == 3
        assert one("SELECT count(*) FROM registry_case_facts WHERE last_egfr_tki = "
                   "'osimertinib'") == 12  # fmt: skip
        intervals = sorted(
            r[0] for r in conn.execute(text(
                "SELECT interval_months FROM registry_case_facts WHERE interval_months IS NOT NULL"
            ))
        )  # fmt: skip
        assert len(intervals) == 13 and intervals[6] == 16.0
        assert (intervals[0], intervals[-1]) == (6.0, 34.0)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("postgresql://u:pw@h:5432/db", "postgresql+psycopg://u:pw@h:5432/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.sqlite", "sqlite:///x.sqlite"),
    ],
)
def test_urls(typed: str, expected: str) -> None:
    assert normalize_url(typed) == expected


def test_a_path_is_sqlite_and_passwords_are_hidden(tmp_path: Path) -> None:
    assert normalize_url(str(tmp_path / "r.db")) == f"sqlite:///{tmp_path / 'r.db'}"
    assert "pw" not in redact("postgresql+psycopg://u:pw@h/db")
    with pytest.raises(RegistryError, match="unsupported database"):
        make_engine("mysql://u@h/db")


def test_default_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(dbmod.ENV_VAR, raising=False)
    assert dbmod.default_url().endswith("registry.sqlite")
    assert "tkiresist" in dbmod.default_url()
    monkeypatch.setenv(dbmod.ENV_VAR, str(tmp_path / "x.sqlite"))
    assert dbmod.default_url() == str(tmp_path / "x.sqlite")


def test_json_columns_are_plain_json(db_url: str) -> None:
    with open_registry(db_url) as reg, reg.engine.connect() as conn:
        raw = conn.execute(select(CaseRow.case_json).where(CaseRow.uid == UID(12))).scalar_one()
    data = json.loads(raw)
    assert data["id"] == UID(12) and data["schema_version"] == "1.0"


def test_a_bad_csv_row_late_in_the_file_imports_nothing(db_url: str, tmp_path: Path) -> None:
    """CSV rows stream into the transaction: a structural error on row 3 still rolls back."""
    csv = tmp_path / "t.csv"
    csv.write_text("Case,Age/sex,ALK fusion\n1,50/F,EML4-ALK\n2,51/M,TFG-ALK\n2,52/F,STRN-ALK\n")
    with open_registry(db_url, load_defaults=False) as reg:
        with pytest.raises(FormatError, match="row label '2' is used twice"):
            import_table(reg, csv, source="PMID:1")
        assert reg.count() == 0 and _rows(reg, HistoryRow) == 0 and _rows(reg, DatasetRow) == 0


def test_concurrent_saves_one_wins(db_url: str) -> None:
    """Two threads save the same version at once: exactly one succeeds, one conflicts."""
    import threading

    with open_registry(db_url) as reg:
        start = threading.Barrier(2)
        outcomes: list[str] = []

        def save(who: str) -> None:
            start.wait()
            try:
                reg.update(UID(7), expected_version=1, who=who, status="draft")
                outcomes.append("saved")
            except ConflictError:
                outcomes.append("conflict")

        threads = [threading.Thread(target=save, args=(w,)) for w in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["conflict", "saved"]
        assert reg.get(UID(7)).version == 2
        assert [h.version for h in reg.history(UID(7))] == [1, 2]


def test_csv_with_a_mapping_file(db_url: str, tmp_path: Path) -> None:
    csv = tmp_path / "review.csv"
    csv.write_text(
        "Pt;Reference;Age;Sex;EGFR;TKI;Fusion;Months;Comments\n"
        "A1;Smith et al. (2020);55;F;L858R;Osimertinib;EML4-ALK;12;first\n"
        "A2;Smith et al. (2020);61;M;Exon 19 deletion → T790M;Gefitinib;STRN-ALK;NR;\n"
    )
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "table: Table 2\ncolumns: {Pt: case_label, Reference: study, EGFR: egfr_mutation,"
        " TKI: egfr_tki,"
        " Fusion: alk_fusion, Months: interval_months}\nignore: [Comments]\nnot_reported: [NR]\n"
    )
    with open_registry(db_url, load_defaults=False) as reg:
        report = import_table(
            reg, csv, source="10.1234/review", mapping=mapping, dataset="smith", who="me"
        )
        assert report.created == ["smith-a1", "smith-a2"] and not report.flagged
        rec = reg.get("smith-a2")
        assert rec.source == SourceRef.parse("10.1234/review", "Table 2", "A2")
        facts = reg.facts("smith-a2")
        assert facts is not None
        assert (facts.egfr_baseline, facts.egfr_t790m, facts.alk_partners) == (
            "ex19del", True, "STRN",
        )  # fmt: skip
        assert facts.interval_months is None and reg.facts("smith-a1").interval_months == 12.0  # type: ignore[union-attr]
        assert {p.field: p.verbatim for p in rec.provenance}["interval_months"] == "NR"
