"""The knowledge base: cited statements about acquired resistance, stored as YAML data.

Public API::

    load_knowledge_base(path=None) -> KnowledgeBase   # the packaged base is cached
    lint(kb) -> list[Problem];  lint_path(path=None) -> list[Problem]
    search(kb, query) -> list[Statement];  describe(statement) -> str

The schema (``Statement``, ``Citation``, the level and tier enums) is in
:mod:`tkiresist.knowledge.schema`.
"""

from tkiresist.knowledge.loader import (
    KnowledgeBase,
    KnowledgeBaseInvalid,
    load_knowledge_base,
)

__all__ = ["KnowledgeBase", "KnowledgeBaseInvalid", "load_knowledge_base"]
