"""Fixtures for the report tests: the seed case and its interpretation, and a synthetic busy
case (``data/busy_case.yaml``) that stresses the layout and the escaping."""

from __future__ import annotations

from pathlib import Path

import pytest

from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import read_case
from tkiresist.knowledge.loader import KnowledgeBase, load_knowledge_base
from tkiresist.model.case import Case
from tkiresist.model.interpretation import Interpretation

from ..conftest import EXAMPLES, SEED_CASE

BUSY_CASE = Path(__file__).resolve().parent / "data" / "busy_case.yaml"
EXAMPLE_CASES = sorted(EXAMPLES.glob("*/case.yaml"))


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture(scope="session")
def seed_case() -> Case:
    return read_case(SEED_CASE)


@pytest.fixture(scope="session")
def seed_result(seed_case: Case, kb: KnowledgeBase) -> Interpretation:
    return interpret(seed_case, kb)


@pytest.fixture(scope="session")
def busy_case() -> Case:
    return read_case(BUSY_CASE)


@pytest.fixture(scope="session")
def busy_result(busy_case: Case, kb: KnowledgeBase) -> Interpretation:
    return interpret(busy_case, kb)
