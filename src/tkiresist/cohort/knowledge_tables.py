"""The knowledge base as tables, for the cohort analysis.

:func:`knowledge_rows` turns the resistance-mechanism statements (not risk markers, not
fallbacks) into ``kb_stmt`` (each statement whole, as JSON) and ``kb_match`` (their categories
by role); :func:`install_knowledge` registers them in a connection, and :func:`_statements`
rebuilds the statements from ``kb_stmt``. Whoever runs the analysis, here or in a worker of a
cluster, thus finds triggers by joins and decides with the one rule of
:mod:`tkiresist.knowledge.applies` on the very statements loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from tkiresist.cohort.duck import _arrow, _register

if TYPE_CHECKING:
    import duckdb

    from tkiresist.knowledge.loader import KnowledgeBase
    from tkiresist.knowledge.schema import Statement


MATCH_ROLES: Final = ("any_of", "all_of", "none_of")


def knowledge_rows(
    kb: KnowledgeBase,
) -> dict[str, tuple[tuple[str, ...], tuple[str, ...], list[tuple[Any, ...]]]]:
    """The knowledge base's mechanism statements (resistance mechanisms that name one: not risk
    markers, not fallbacks) as rows: name -> (columns, types, rows).

    ``kb_stmt`` carries each statement whole (``body``: its JSON), so that whoever runs the
    analysis, here or in a worker of a cluster, decides with the one rule of
    :mod:`tkiresist.knowledge.applies` on the very statements loaded; ``kb_match`` lists their
    categories by role (``any_of``, ``all_of``, ``none_of``), for the joins that find triggers.
    """
    from tkiresist.interpret.mechanisms import names_mechanism

    stmt: list[tuple[Any, ...]] = []
    match: list[tuple[Any, ...]] = []
    for st in kb.statements:
        if st.match.fallback or not names_mechanism(st):
            continue
        assert st.meaning.mechanism_class is not None
        stmt.append(
            (st.id, st.meaning.label, st.meaning.mechanism_class.value, st.model_dump_json())
        )
        for role in MATCH_ROLES:
            match.extend((st.id, c, role) for c in getattr(st.match, role))
    return {
        "kb_stmt": (
            ("statement_id", "label", "mechanism_class", "body"),
            ("str",) * 4,
            stmt,
        ),
        "kb_match": (("statement_id", "category", "role"), ("str",) * 3, match),
    }


def install_knowledge(con: duckdb.DuckDBPyConnection, kb: KnowledgeBase | None = None) -> None:
    if kb is None:
        from tkiresist.knowledge.loader import load_knowledge_base

        kb = load_knowledge_base()
    for name, (cols, types, rows) in knowledge_rows(kb).items():
        _register(con, name, _arrow(rows, cols, types))


def _statements(con: duckdb.DuckDBPyConnection) -> list[Statement]:
    """The statements of ``kb_stmt``, rebuilt from their JSON."""
    from tkiresist.knowledge.schema import Statement

    rows = con.execute("SELECT body FROM kb_stmt ORDER BY statement_id").fetchall()
    return [Statement.model_validate_json(body) for (body,) in rows]
