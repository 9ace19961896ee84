"""#16: the registry stays clean as it grows: reviewed cases only in pooled evidence, and a
patient held twice (the matching rule, or a curator's link) counted once, with history."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from tests.conftest import SEED_CASE
from tkiresist.cli import app
from tkiresist.errors import RegistryError
from tkiresist.evidence.catalogue import Predicate
from tkiresist.evidence.pooled import PooledEvidenceIndex
from tkiresist.evidence.summary import list_cases, summarize
from tkiresist.io.casefile import read_case
from tkiresist.model.case import Case
from tkiresist.registry import db as dbmod
from tkiresist.registry.db import Registry, head_revision, make_engine, migrate
from tkiresist.registry.models import CaseRow
from tkiresist.registry.opening import open_registry
from tkiresist.registry.published import abstract_table
from tkiresist.registry.record import SourceRef
from tkiresist.registry.tables import read_seed_text

ROW1 = "cheung2025-table1-1"
SOURCE = "10.7759/cureus.92202"


def _seed_case() -> Case:
    """The seed patient as a curator saved it: the full case file (age 62 from the text, 65
    from Table 1, recorded as a conflict)."""
    return read_case(SEED_CASE)


def _other_patient(uid: str, age: int = 41) -> Case:
    case = _seed_case()
    patient = case.patient.model_copy(update={"age_at_diagnosis": age, "sex": "female"})
    return case.model_copy(
        update={"id": uid, "pseudonym": uid.upper(), "patient": patient, "conflicts": ()}
    )


def _n(reg: Registry, **kw: Any) -> int:
    return summarize(reg.engine, **kw).n_cases


def test_the_bundled_dataset_is_reviewed_and_pooled(db_url: str) -> None:
    with open_registry(db_url) as reg:
        summary = summarize(reg.engine)
        assert summary.n_cases == 16 and summary.statuses == ("reviewed",)
        assert summary.duplicates_excluded == 0
        assert "Pooled: reviewed cases only" in summary.text()
        assert summary.get("combination_orr").numerator == 6


def test_saving_the_seed_patient_as_a_local_case_does_not_double_count_it(db_url: str) -> None:
    with open_registry(db_url) as reg:
        reg.add_case(_seed_case(), who="curator")  # a draft in dataset "local"
        facts = reg.facts("cheung2025-case1")
        assert facts is not None
        assert (facts.patient_source, facts.patient_ages) == (f"doi:{SOURCE}", "62,65")
        assert facts.duplicate_of == ROW1  # flagged: the published, reviewed row is counted
        assert reg.same_patient(ROW1) == ["cheung2025-case1"]
        with_drafts = summarize(reg.engine, include_drafts=True)
        assert with_drafts.n_cases == 16 and with_drafts.duplicates_excluded == 1
        assert "1 likely duplicate(s) of the same patient counted once" in with_drafts.text()
        everyone, _ = list_cases(reg.engine, Predicate("TRUE"))
        pooled, _ = list_cases(reg.engine, Predicate("TRUE"), pooled=True)
        assert (everyone, pooled) == (17, 16)  # the swimmer plot and the audit list 16
        # reviewed, the local case still counts once, and the table's row stays the one counted
        rec = reg.get("cheung2025-case1")
        reg.set_status("cheung2025-case1", "reviewed", expected_version=rec.version, who="c")
        assert _n(reg) == 16 and _n(reg, include_drafts=True) == 16
        assert reg.facts("cheung2025-case1").duplicate_of == ROW1  # type: ignore[union-attr]
        # deleting the table's row makes the local case the one counted
        reg.delete(ROW1, expected_version=reg.get(ROW1).version, who="c")
        assert reg.facts("cheung2025-case1").duplicate_of is None  # type: ignore[union-attr]
        assert _n(reg) == 16


def test_a_draft_is_not_pooled_unless_asked(db_url: str) -> None:
    with open_registry(db_url) as reg:
        reg.add_case(_other_patient("local-draft"), who="curator")
        assert reg.facts("local-draft").duplicate_of is None  # type: ignore[union-attr]
        assert _n(reg) == 16
        assert _n(reg, include_drafts=True) == 17
        assert summarize(reg.engine, include_drafts=True).statuses == ("draft", "reviewed")
        assert _n(reg, dataset="local", include_drafts=True) == 1
        assert _n(reg, dataset="local") == 0  # the dataset exists; it has no reviewed case
        with pytest.raises(Exception, match="no cases in dataset 'nope'"):
            summarize(reg.engine, dataset="nope")
        # the engine's pooled numbers: reviewed cases, said so
        index = PooledEvidenceIndex(summarize(reg.engine, dataset="local", include_drafts=True))
        assert "reviewed and draft cases" in index.pooled
        seed = PooledEvidenceIndex(summarize(reg.engine, dataset="cheung2025-table1"))
        evidence = seed.lookup(("osimertinib", "alectinib"))
        assert evidence is not None and (evidence.numerator, evidence.denominator) == (6, 9)
        assert "reviewed cases, each patient once" in evidence.source


def test_a_curator_link_merges_two_cases_and_the_history_records_it(db_url: str) -> None:
    with open_registry(db_url) as reg:
        reg.add_case(_other_patient("local-a", age=50), who="curator")
        rec = reg.get("local-a")
        reg.set_status("local-a", "reviewed", expected_version=rec.version, who="curator")
        assert _n(reg) == 17
        version = reg.get("local-a").version
        assert reg.link("local-a", ROW1, who="alice", reason="same hospital number")
        assert not reg.link(ROW1, "local-a", who="alice")  # already linked
        assert _n(reg) == 16
        assert reg.facts("local-a").duplicate_of == ROW1  # type: ignore[union-attr]
        assert reg.get("local-a").version == version  # a link does not change the case
        for uid, other in (("local-a", ROW1), (ROW1, "local-a")):
            last = reg.history(uid)[-1]
            assert (last.action, last.field, last.old, last.new, last.who, last.reason) == (
                "link", "same_patient_as", None, other, "alice", "same hospital number",
            )  # fmt: skip
        [link] = reg.links("local-a")
        assert (link.other, link.same_patient, link.who) == (ROW1, True, "alice")
        assert reg.unlink(ROW1, "local-a", who="bob", reason="different patients after all")
        assert _n(reg) == 17
        last = reg.history("local-a")[-1]
        assert (last.action, last.old, last.new, last.who) == ("unlink", ROW1, None, "bob")
        with pytest.raises(RegistryError, match="itself"):
            reg.link(ROW1, ROW1, who="alice")
        with pytest.raises(RegistryError, match="no case"):
            reg.link(ROW1, "nope", who="alice")


def test_unlink_overrides_the_matching_rule(db_url: str) -> None:
    with open_registry(db_url) as reg:
        reg.add_case(_seed_case(), who="curator")
        assert _n(reg, include_drafts=True) == 16
        reg.unlink("cheung2025-case1", ROW1, who="bob", reason="twin sibling")
        assert reg.facts("cheung2025-case1").duplicate_of is None  # type: ignore[union-attr]
        assert _n(reg, include_drafts=True) == 17
        reg.link("cheung2025-case1", ROW1, who="bob", reason="no: same patient")
        assert _n(reg, include_drafts=True) == 16


def test_two_rows_of_one_table_are_never_matched(db_url: str) -> None:
    with open_registry(db_url) as reg, reg.engine.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM registry_case_facts WHERE duplicate_of IS NOT NULL")
        ).scalar_one()
        assert n == 0


def test_cli_link_unlink_and_summary(db_url: str) -> None:
    with open_registry(db_url) as reg:
        reg.add_case(_other_patient("local-b", age=52), who="curator")
    runner = CliRunner()

    def run(*args: str) -> Any:
        result = runner.invoke(app, [*args, "--db", db_url], env={"TKIRESIST_USER": "carol"})
        assert result.exit_code == 0, result.output
        return result.output

    assert "Evidence summary: 16 cases" in run("evidence", "summary")
    out = run("evidence", "summary", "--include-drafts")
    assert "Evidence summary: 17 cases" in out and "Pooled: draft and reviewed cases" in out
    data = json.loads(run("evidence", "summary", "--include-drafts", "--json"))
    assert data["statuses"] == ["draft", "reviewed"] and data["n_cases"] == 17
    out = run("registry", "link", "local-b", ROW1, "--reason", "same patient, two reports")
    assert "linked as the same patient" in out and ROW1 in out
    assert "Evidence summary: 16 cases" in run("evidence", "summary", "--include-drafts")
    assert "17 case(s); 16 patient(s), each counted once" in run("registry", "list")
    assert "LIKELY SAME PATIENT as cheung2025-table1-1" in run("registry", "show", "local-b")
    assert "link same_patient_as" in run("registry", "history", "local-b")
    assert "carol" in run("registry", "history", ROW1)
    run("registry", "unlink", "local-b", ROW1, "--reason", "checked: two patients")
    assert "Evidence summary: 17 cases" in run("evidence", "summary", "--include-drafts")
    missing = runner.invoke(app, ["registry", "link", "local-b", ROW1, "--db", db_url])
    assert missing.exit_code != 0


def test_migration_r0004_on_sqlite(tmp_path: Any) -> None:
    """r0003 -> r0004: untouched bundled drafts become reviewed (with history), a curated
    one stays draft; the facts rows get the patient columns; the downgrade undoes it."""
    from alembic import command

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = make_engine(url)
    dbmod.upgrade_schema(engine, url, "r0003")
    from importlib import resources

    body = resources.files("tkiresist.data").joinpath("datasets/cheung2025-table1.txt")
    table = read_seed_text(body.read_text(encoding="utf-8"), "t1")
    rows = []
    first_two = abstract_table(table, SourceRef.parse(SOURCE))[:2]
    for (key, item), version in zip(first_two, (1, 3), strict=True):
        uid = f"cheung2025-table1-{key}"
        case = item.case.model_copy(update={"id": uid})
        docs = dbmod._docs(case, item.reported, item.flags, "draft")
        row = dbmod._case_row(
            uid, "cheung2025-table1", SourceRef.parse(SOURCE, "Table 1", key), "draft", docs,
            "me", dbmod._now(),
        )  # fmt: skip
        rows.append({**row, "version": version})
    with engine.begin() as conn:
        conn.execute(CaseRow.__table__.insert(), rows)
    engine.dispose()
    result = migrate(url)
    assert (result.before, result.after, result.facts_rebuilt) == ("r0003", head_revision(), 2)
    with open_registry(url) as reg:
        assert reg.get(ROW1).status == "reviewed" and reg.get(ROW1).version == 2
        last = reg.history(ROW1)[-1]
        assert (last.action, last.field, last.old, last.new) == (
            "update", "status", "draft", "reviewed",
        )  # fmt: skip
        assert reg.get("cheung2025-table1-2").status == "draft"  # curated since: kept
        assert reg.facts(ROW1).patient_ages == "65"  # type: ignore[union-attr]
        assert _n(reg) == 1
    engine = make_engine(url)
    with engine.begin() as conn:
        command.downgrade(dbmod._alembic_config(url, conn), "r0003")
    with engine.connect() as conn:
        names = {r[1] for r in conn.execute(text("PRAGMA table_info(registry_case_facts)"))}
        tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master"))}
    engine.dispose()
    assert "duplicate_of" not in names and "registry_case_link" not in tables


def test_a_second_review_citing_the_same_published_case_is_counted_once(
    db_url: str, tmp_path: Any
) -> None:
    from tkiresist.registry.importers import import_table
    from tkiresist.registry.record import PrimarySource

    csv = tmp_path / "review2.csv"
    csv.write_text(
        "Pt;Reference;Age;Sex;EGFR;TKI;Fusion\n"
        "B1;Schrock et al. (2018);62;M;Exon 19 deletion;Osimertinib;EML4-ALK\n"
        "B2;Schrock et al. (2018);70;M;Exon 19 deletion;Osimertinib;STRN-ALK\n"
    )
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "table: Table 3\ncolumns: {Pt: case_label, Reference: study, EGFR: egfr_mutation,"
        " TKI: egfr_tki, Fusion: alk_fusion}\n"
    )
    schrock = PrimarySource(
        text="Schrock et al. (2018)", first_author="Schrock", year=2018,
        doi="10.1016/j.jtho.2018.05.027",
    )  # fmt: skip
    with open_registry(db_url) as reg:
        import_table(
            reg, csv, source="10.1234/review2", mapping=mapping, dataset="review2", who="me",
            primary_sources={"B1": schrock, "B2": schrock},
        )  # fmt: skip
        # B1 is Schrock's case 27 (row 7 of the seed's table: 62/M, exon 19 deletion, EML4)
        assert reg.facts("review2-b1").duplicate_of == "cheung2025-table1-7"  # type: ignore[union-attr]
        assert reg.facts("review2-b2").duplicate_of is None  # type: ignore[union-attr]  # age 70
        assert _n(reg, include_drafts=True) == 17
        assert summarize(reg.engine, include_drafts=True).duplicates_excluded == 1


def test_unlink_splits_a_pair_joined_through_a_third_case(db_url: str) -> None:
    """A curator who says two cases are different patients is obeyed even when a third case
    joins them. Scenario (synthetic local case "local-a"): the curator linked local-a to the
    seed's local case, which the rule pairs with Table 1 row 1; unlinking local-a from row 1
    must leave them apart (before #16's fix they stayed one patient through the seed's local
    case). Since the curator said local-a is the local case's patient and not row 1's, the
    rule's pairing of the local case with row 1 gives way: row 1 stands alone."""
    with open_registry(db_url) as reg:
        reg.add_case(_seed_case(), who="c")  # cheung2025-case1 ~ row 1 by the rule
        reg.add_case(_other_patient("local-a", age=50), who="c")
        reg.link("local-a", "cheung2025-case1", who="alice", reason="same hospital number")
        assert reg.same_patient("local-a") == ["cheung2025-case1", ROW1]
        reg.unlink("local-a", ROW1, who="bob", reason="row 1 is another hospital's patient")
        assert ROW1 not in reg.same_patient("local-a")
        assert reg.same_patient("local-a") == ["cheung2025-case1"]  # the link holds
        assert reg.same_patient(ROW1) == []
        assert _n(reg, include_drafts=True) == 17  # 16 rows + one local patient (two cases)


def test_unlink_of_a_pair_linked_directly_leaves_it_apart(db_url: str) -> None:
    """A~B by a link, B~C by the rule: unlinking A and B leaves A on its own."""
    with open_registry(db_url) as reg:
        reg.add_case(_seed_case(), who="c")  # C: cheung2025-case1 ~ B: row 1 by the rule
        reg.add_case(_other_patient("local-a", age=50), who="c")
        reg.link("local-a", ROW1, who="alice", reason="x")
        assert reg.same_patient("local-a") == ["cheung2025-case1", ROW1]
        reg.unlink("local-a", ROW1, who="alice", reason="y")
        assert reg.same_patient("local-a") == []
        assert reg.same_patient(ROW1) == ["cheung2025-case1"]


def test_a_link_that_contradicts_an_unlink_is_refused(db_url: str) -> None:
    with open_registry(db_url) as reg:
        reg.add_case(_other_patient("local-a", age=50), who="c")
        reg.add_case(_other_patient("local-b", age=51), who="c")
        reg.unlink("local-a", "local-b", who="alice", reason="twins")
        reg.link("local-a", ROW1, who="alice", reason="same chart")
        with pytest.raises(RegistryError, match="contradicts the curators' links"):
            reg.link("local-b", ROW1, who="bob", reason="same chart too")
        assert reg.same_patient("local-b") == []
        assert reg.history("local-b")[-1].action == "unlink"  # nothing written
        # an unlink that two links contradict: c ~ row 2 ~ d, then "c and d differ"
        row2 = "cheung2025-table1-2"
        reg.add_case(_other_patient("local-c", age=52), who="c")
        reg.add_case(_other_patient("local-d", age=53), who="c")
        reg.link("local-c", row2, who="bob", reason="same chart")
        reg.link(row2, "local-d", who="bob", reason="same chart")
        with pytest.raises(
            RegistryError, match=f"unlinking local-c and local-d contradicts.*{row2}"
        ):
            reg.unlink("local-c", "local-d", who="bob", reason="not the same")
        assert reg.same_patient("local-c") == [row2, "local-d"]  # nothing changed
        reg.unlink("local-c", row2, who="bob", reason="undo first")
        assert reg.unlink("local-c", "local-d", who="bob", reason="now it holds")
        assert reg.same_patient("local-c") == []


def test_count_patients_counts_each_same_patient_group_once(db_url: str) -> None:
    """The issue's registry page: after the seed patient was saved as a local case, "all
    datasets" said 19 cases with the seed patient twice. Stored cases stay counted as cases
    (``count``); ``count_patients`` counts the patient once."""
    with open_registry(db_url) as reg:
        assert (reg.count(), reg.count_patients()) == (16, 16)
        reg.add_case(_seed_case(), who="c")  # the seed patient, a second time
        reg.add_case(_other_patient("local-b", age=52), who="c")
        assert (reg.count(), reg.count_patients()) == (18, 17)
        # by dataset: each dataset's own cases, a group reaching across counted in each
        assert (reg.count("local"), reg.count_patients("local")) == (2, 2)
        assert reg.count_patients("cheung2025-table1") == 16
        reg.link("local-b", "cheung2025-case1", who="c", reason="same patient")
        assert (reg.count("local"), reg.count_patients("local")) == (2, 1)
        assert reg.count_patients() == 16
        reg.delete("local-b", expected_version=1, who="c")
        assert (reg.count(), reg.count_patients()) == (17, 16)


# Leonetti et al., Br J Cancer 2019: DOI and PMID as the knowledge base's citation table gives
# them (checked there against PMC6889286). Used only as a source's identifiers below.
LEONETTI_DOI = "10.1038/s41416-019-0573-8"
LEONETTI_PMID = "31564718"


def _cited(uid: str, age: int, *, doi: str | None = None, pmid: str | None = None) -> Case:
    """A SYNTHETIC local case (the seed's timeline, another age and sex) whose source is
    given by ``doi`` and/or ``pmid``: a scenario, not a published patient."""
    case = _other_patient(uid, age=age)
    assert case.source is not None
    return case.model_copy(
        update={"source": case.source.model_copy(update={"doi": doi, "pmid": pmid})}
    )


def test_a_papers_doi_and_pmid_are_one_source_by_the_citation_table(db_url: str) -> None:
    """Scenario: two curators save the same synthetic patient, one citing the paper by DOI,
    the other by PMID. A curator would expect one patient, as with two DOIs; the bundled
    citation table gives that DOI and PMID as one paper (nothing is looked up online)."""
    from tkiresist.registry.facts import paper_identifiers

    assert paper_identifiers()[f"pmid:{LEONETTI_PMID}"] == {f"doi:{LEONETTI_DOI}"}
    with open_registry(db_url) as reg:
        reg.add_case(_cited("by-doi", 58, doi=LEONETTI_DOI), who="c")
        reg.add_case(_cited("by-pmid", 58, pmid=LEONETTI_PMID), who="c")
        facts = reg.facts("by-pmid")
        assert facts is not None and facts.patient_source == f"pmid:{LEONETTI_PMID}"
        assert facts.patient_source_ids == f"doi:{LEONETTI_DOI} pmid:{LEONETTI_PMID}"
        assert reg.same_patient("by-doi") == ["by-pmid"]
        assert reg.count_patients("local") == 1
        # another paper (the seed's DOI), the same patient values: still two patients
        reg.add_case(_cited("other-paper", 58, doi=SOURCE), who="c")
        assert reg.same_patient("other-paper") == []


def test_a_record_carrying_both_identifiers_joins_them() -> None:
    """A record that gives a DOI and a PMID together makes them one paper for every record,
    also those that give only one of them (the grouping reads ``patient_source_ids``)."""
    from types import SimpleNamespace

    rows = [
        SimpleNamespace(patient_source_ids=f"doi:{LEONETTI_DOI} pmid:{LEONETTI_PMID}"),
        SimpleNamespace(patient_source_ids=f"doi:{SOURCE}"),
        SimpleNamespace(patient_source_ids=None),
    ]
    paper = dbmod._papers(rows)
    assert paper(f"pmid:{LEONETTI_PMID}") == paper(f"doi:{LEONETTI_DOI}")
    assert paper(f"doi:{SOURCE}") != paper(f"doi:{LEONETTI_DOI}")
    assert paper(None) is None
    alone = dbmod._papers(rows[1:])
    assert alone(f"pmid:{LEONETTI_PMID}") != alone(f"doi:{LEONETTI_DOI}")


def test_records_with_both_identifiers_match_one_with_either(db_url: str) -> None:
    with open_registry(db_url) as reg:
        reg.add_case(_cited("both", 47, doi=LEONETTI_DOI, pmid=LEONETTI_PMID), who="c")
        reg.add_case(_cited("pmid-only", 47, pmid=LEONETTI_PMID), who="c")
        reg.add_case(_cited("doi-only", 47, doi=LEONETTI_DOI), who="c")
        assert reg.same_patient("both") == ["doi-only", "pmid-only"]
        assert reg.count_patients() == 17
