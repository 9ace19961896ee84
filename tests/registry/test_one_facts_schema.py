"""The facts table ``registry_case_facts`` is defined once (#14).

Its columns were written four times (the registry's ``CaseFacts``, the SQLAlchemy ``FactsRow``,
evidence synthesis's contract, the documentation), and every copy could drift. Now
:class:`tkiresist.model.facts.CaseFacts` is the one definition; these tests check that every
view is derived from it, that the generated SQLAlchemy table is exactly the schema the
migrations build (the migrations are frozen history: no schema change hides here), and that
no other module writes the column list by hand.
"""

from __future__ import annotations

import ast
import re
import types
import typing
from pathlib import Path
from typing import Any, Literal, Union

import pytest
from sqlalchemy import Boolean, Float, Integer, String, Text, inspect
from sqlalchemy.types import TypeEngine

from tkiresist.evidence import facts as evidence_facts
from tkiresist.model.facts import FACT_SPEC, FACTS_TABLE, CaseFacts, FactColumn
from tkiresist.registry import facts as registry_facts
from tkiresist.registry.models import Base, FactsRow
from tkiresist.registry.opening import open_registry

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "tkiresist"
SPEC_MODULE = SRC / "model" / "facts.py"
NAMES = [c.name for c in FACT_SPEC]


def _table() -> Any:
    return Base.metadata.tables[FACTS_TABLE]


def test_the_views_have_the_same_columns_in_the_same_order() -> None:
    assert len(NAMES) == len(set(NAMES)) == 44
    assert list(CaseFacts.model_fields) == NAMES
    assert list(registry_facts.FACT_COLUMNS) == NAMES
    assert [c.name for c in _table().columns] == NAMES
    assert FactsRow.__table__ is _table()
    evidence = list(evidence_facts.FACT_COLUMNS)
    assert evidence == [c.name for c in FACT_SPEC if c.evidence]
    # the evidence view is the spec's own column objects, not copies
    assert all(evidence_facts.FACT_COLUMNS[c.name] is c for c in FACT_SPEC if c.evidence)


def test_the_evidence_contract_is_the_required_subset() -> None:
    """Evidence synthesis needs these columns and refuses a table without them (a parquet
    file or a database); the optional ones it reads when present."""
    required = [c.name for c in FACT_SPEC if c.required]
    assert set(required) <= set(evidence_facts.FACT_COLUMNS)
    assert all(c.evidence for c in FACT_SPEC if c.required)
    # the registry-only columns are not offered to evidence filters and claims
    registry_only = {c.name for c in FACT_SPEC if not c.evidence}
    assert "egfr_t790m_de_novo" in registry_only and "duplicate_of" in registry_only
    assert not registry_only & set(evidence_facts.FACT_COLUMNS)
    assert "case_uid" in required and "status" not in required


def _python_kind(annotation: object) -> tuple[str, tuple[str, ...], bool]:
    args = typing.get_args(annotation)
    nullable = typing.get_origin(annotation) in (Union, types.UnionType) and type(None) in args
    base = next(a for a in args if a is not type(None)) if nullable else annotation
    if typing.get_origin(base) is Literal:
        return "str", tuple(typing.get_args(base)), nullable
    assert isinstance(base, type)
    return base.__name__, (), nullable


def _sql_kind(sql_type: TypeEngine[Any]) -> tuple[str, int | None]:
    if isinstance(sql_type, Boolean):
        return ("bool", None)
    if isinstance(sql_type, Integer):
        return ("int", None)
    if isinstance(sql_type, Float):
        return ("float", None)
    if isinstance(sql_type, Text):
        return ("text", None)
    assert isinstance(sql_type, String), sql_type
    return ("string", sql_type.length)


PYTHON_FOR_KIND = {"bool": "bool", "int": "int", "float": "float", "text": "str",
                   "vocab": "str", "list": "str"}  # fmt: skip


def test_the_kinds_agree() -> None:
    """The Python type of a CaseFacts field, its kind and its SQL type say the same."""
    table = _table()
    for column in FACT_SPEC:
        info = CaseFacts.model_fields[column.name]
        python, literal, nullable = _python_kind(info.annotation)
        assert python == PYTHON_FOR_KIND[column.kind], column.name
        assert nullable == column.nullable == table.c[column.name].nullable, column.name
        if literal:
            assert column.kind == "vocab" and column.vocabulary == literal, column.name
        if column.kind == "vocab":
            assert column.vocabulary, column.name
        sql, length = _sql_kind(table.c[column.name].type)
        if column.kind in ("bool", "int", "float"):
            assert (sql, length) == (column.kind, None), column.name
        else:
            expected = ("string", column.length) if column.length else ("text", None)
            assert (sql, length) == expected, column.name
        assert bool(table.c[column.name].index) == column.index, column.name
        assert table.c[column.name].primary_key == column.key, column.name


def test_a_row_round_trips_through_the_spec() -> None:
    """A CaseFacts value fills every column of a FactsRow, and back, unchanged (a synthetic
    row, not a published patient)."""
    values: dict[str, object] = {}
    for column in FACT_SPEC:
        if column.kind == "bool":
            values[column.name] = True
        elif column.kind == "int":
            values[column.name] = 2
        elif column.kind == "float":
            values[column.name] = 7.5
        elif column.vocabulary:
            values[column.name] = column.vocabulary[-1]
        else:
            values[column.name] = f"synthetic {column.name}"
    facts = CaseFacts.model_validate(values)
    row = FactsRow(**facts.model_dump())
    back = CaseFacts.model_validate({c: getattr(row, c) for c in NAMES})
    assert back == facts


def _reflected_signature(db_url: str) -> dict[str, Any]:
    with open_registry(db_url, load_defaults=False) as reg, reg.engine.connect() as conn:
        insp = inspect(conn)
        columns = insp.get_columns(FACTS_TABLE)
        pk = insp.get_pk_constraint(FACTS_TABLE)
        fks = insp.get_foreign_keys(FACTS_TABLE)
        indexes = insp.get_indexes(FACTS_TABLE)
    return {
        "columns": [(c["name"], _sql_kind(c["type"]), bool(c["nullable"])) for c in columns],
        "primary_key": list(pk["constrained_columns"]),
        "foreign_keys": sorted(
            (
                tuple(f["constrained_columns"]),
                f["referred_table"],
                tuple(f["referred_columns"]),
                (f.get("options") or {}).get("ondelete"),
            )
            for f in fks
        ),
        # the single-column indexes the model declares (the migrations add evidence indexes
        # of several columns, ix_facts_evidence_*, that the model leaves to them)
        "indexes": sorted(
            (i["name"], tuple(i["column_names"]), bool(i["unique"]))
            for i in indexes
            if str(i["name"]).startswith(f"ix_{FACTS_TABLE}_")
        ),
    }


def _generated_signature() -> dict[str, Any]:
    table = _table()
    return {
        "columns": [(c.name, _sql_kind(c.type), bool(c.nullable)) for c in table.columns],
        "primary_key": [c.name for c in table.primary_key.columns],
        "foreign_keys": sorted(
            (
                tuple(c.name for c in fk.columns),
                fk.referred_table.name,
                tuple(e.column.name for e in fk.elements),
                fk.ondelete,
            )
            for fk in table.foreign_key_constraints
        ),
        "indexes": sorted(
            (str(i.name), tuple(c.name for c in i.columns), bool(i.unique)) for i in table.indexes
        ),
    }


def test_the_generated_table_is_the_migrations_head(db_url: str) -> None:
    """The schema built by every migration up to the head (frozen history) is the generated
    table: same columns in the same order, types and lengths, nullability, key, foreign key and
    indexes. A difference here is a schema change, which needs a migration."""
    reflected = _reflected_signature(db_url)
    generated = _generated_signature()
    assert reflected == generated
    assert generated["primary_key"] == ["case_uid"]
    assert generated["foreign_keys"] == [(("case_uid",), "registry_case", ("uid",), "CASCADE")]
    assert [name for name, _, _ in generated["indexes"]] == [
        f"ix_{FACTS_TABLE}_{c}" for c in sorted(c.name for c in FACT_SPEC if c.index)
    ]


def test_the_documentation_lists_the_columns_in_table_order() -> None:
    """docs/registry.md describes each column (its derivation, what NULL means) in the order
    and with the SQL type of the one definition."""
    text = (ROOT / "docs" / "registry.md").read_text(encoding="utf-8")
    section = text.split("## The facts table", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z0-9_]+)` \| (\w+) \|", section, flags=re.MULTILINE)
    assert [name for name, _ in rows] == NAMES
    shown = {"bool": "bool", "int": "int", "float": "float"}
    for name, kind in rows:
        column = next(c for c in FACT_SPEC if c.name == name)
        assert kind == shown.get(column.kind, "text"), name
    assert "tkiresist.model.facts" in section


def _defined_names(tree: ast.AST) -> list[tuple[int, set[str]]]:
    """For each collection literal, class body and call: the facts column names it writes as
    strings or defines as class attributes, with its line."""
    names = set(NAMES)
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Tuple | ast.List | ast.Set | ast.Dict | ast.ClassDef):
            continue
        found = set()
        for sub in ast.walk(node):
            if isinstance(sub, ast.Constant) and sub.value in names:
                found.add(sub.value)
            elif (
                isinstance(node, ast.ClassDef)
                and isinstance(sub, ast.AnnAssign | ast.Assign)
                and any(
                    isinstance(t, ast.Name) and t.id in names
                    for t in (sub.targets if isinstance(sub, ast.Assign) else [sub.target])
                )
            ):
                found.update(
                    t.id
                    for t in (sub.targets if isinstance(sub, ast.Assign) else [sub.target])
                    if isinstance(t, ast.Name)
                )
        out.append((getattr(node, "lineno", 0), found))
    return out


def _modules() -> list[Path]:
    return sorted(
        p
        for p in SRC.rglob("*.py")
        # a migration freezes the schema of its revision: history, not a copy
        if "migrations" not in p.parts and p != SPEC_MODULE
    )


def test_no_other_module_lists_the_columns_by_hand() -> None:
    """Outside the one definition (and the migrations), no collection or class holds more
    than half of the columns by name; a module may name the few columns a query uses."""
    limit = len(NAMES) // 2
    copies = sorted(
        f"{p.relative_to(SRC)}:{line} names {len(found)} columns"
        for p in _modules()
        for line, found in _defined_names(ast.parse(p.read_text(encoding="utf-8")))
        if len(found) > limit
    )
    assert copies == []


def test_a_registry_only_column_is_defined_only_in_the_spec() -> None:
    """``egfr_t790m_de_novo`` (no reader but the registry) is written as a string or defined as
    an attribute nowhere but the spec; the registry fills it by keyword, which is a use."""
    holders = []
    for p in _modules():
        tree = ast.parse(p.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value == "egfr_t790m_de_novo":
                holders.append(f"{p.relative_to(SRC)}:{node.lineno} string")
            if isinstance(node, ast.AnnAssign | ast.Assign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                holders.extend(
                    f"{p.relative_to(SRC)}:{node.lineno} attribute"
                    for t in targets
                    if isinstance(t, ast.Name | ast.Attribute)
                    and getattr(t, "id", getattr(t, "attr", None)) == "egfr_t790m_de_novo"
                )
    assert holders == []
    spec = SPEC_MODULE.read_text(encoding="utf-8")
    assert spec.count("egfr_t790m_de_novo:") == 1


def test_the_spec_catches_a_column_without_a_kind() -> None:
    """The derivation refuses a field type the table cannot hold, rather than guessing."""
    from tkiresist.model import facts as spec

    with pytest.raises(TypeError, match=r"CaseFacts\.bad"):
        spec._column("bad", list[int], spec.Col("a list of ints"))


def test_the_fact_column_type_is_shared() -> None:
    assert evidence_facts.FactColumn is FactColumn
    assert evidence_facts.FACTS_TABLE == FACTS_TABLE == FactsRow.__tablename__


# -- the registry's identifiers are model.citation's (#14, one Citation) ---------------------


@pytest.mark.parametrize("pmid", ["31564718", "1234567890"])
def test_a_source_pmid_has_the_citations_form(pmid: str) -> None:
    """A source row's PMID is accepted exactly when a Citation would accept it (the registry
    allowed 9 digits, the citation 10)."""
    from tkiresist.model.citation import Citation
    from tkiresist.registry.record import SourceRef

    assert Citation(pmid=pmid).pmid == pmid
    ref = SourceRef.parse(f"PMID: {pmid}")
    assert (ref.kind, ref.id) == ("pmid", pmid)


@pytest.mark.parametrize("text", ["PMID 0123", "PMID 12345678901", "pmid:"])
def test_a_source_pmid_outside_the_citations_form_is_refused(text: str) -> None:
    from tkiresist.errors import ParseError
    from tkiresist.registry.record import SourceRef

    with pytest.raises(ParseError):
        SourceRef.parse(text)


def test_a_cited_studys_doi_has_the_citations_form() -> None:
    from pydantic import ValidationError

    from tkiresist.registry.datasets import PrimaryStudy
    from tkiresist.registry.record import PrimarySource

    doi = "10.1038/s41416-019-0573-8"
    assert PrimarySource(text="a study", doi=doi).doi == doi
    assert PrimaryStudy(rows=("1",), first_author="A", year=2019, doi=doi).doi == doi
    with pytest.raises(ValidationError):
        PrimarySource(text="a study", doi="doi:" + doi)
    with pytest.raises(ValidationError):
        PrimaryStudy(rows=("1",), first_author="A", year=2019, doi="11.1038/x")
