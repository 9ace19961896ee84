"""Golden tests: each bundled example case against what a thoracic oncologist would expect.

Each ``tests/golden/*.expected.yaml`` names a case file, says *why* (from the publication) and
lists expectations: alteration statuses, the categories and classes behind mechanisms, the first
option (any of several drug lists), options and recommended tests that must appear, or an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tkiresist.errors import TkiResistError
from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import read_case
from tkiresist.knowledge.loader import load_knowledge_base

from .conftest import ROOT

GOLDEN = sorted((ROOT / "tests" / "golden").glob("*.expected.yaml"))


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def test_there_are_at_least_eight_golden_cases_besides_the_seed() -> None:
    cases = {_load(p)["case"] for p in GOLDEN}
    assert len([c for c in cases if "cheung2025" not in c]) >= 8


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.name.removesuffix(".expected.yaml"))
def test_golden_case(path: Path) -> None:
    spec = _load(path)
    assert spec.get("why"), "every golden test states what an oncologist expects and why"
    expect = spec["expect"]
    case = read_case(ROOT / spec["case"])
    if expect.get("error"):
        with pytest.raises(TkiResistError, match=expect["error"]):
            interpret(case, load_knowledge_base())
        return
    result = interpret(case, load_knowledge_base())
    statuses = {a.name: a.status for a in result.alterations}
    for name, status in (expect.get("alterations") or {}).items():
        assert statuses.get(name) == status, f"{name}: {statuses}"
    mech_cats = {
        c
        for m in result.mechanisms
        for a in result.alterations
        if a.name in m.alterations
        for c in a.category
    }
    for cat in expect.get("mechanism_categories") or []:
        assert cat in mech_cats, f"{cat} not behind any mechanism: {result.mechanisms}"
    classes = {m.class_ for m in result.mechanisms}
    for cls in expect.get("mechanism_classes") or []:
        assert cls in classes
    options = [list(o.drugs) for o in result.options]
    wanted_first = expect.get("first_option_any_of")
    if wanted_first:
        assert options, "no options"
        assert options[0] in [list(w) for w in wanted_first], options
    for drugs in expect.get("options_include") or []:
        assert list(drugs) in options, options
    kinds = {t.kind for t in result.recommended_tests}
    for kind in expect.get("recommended_tests") or []:
        assert kind in kinds, kinds
