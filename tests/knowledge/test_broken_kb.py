"""Deliberately broken knowledge bases fail with a message that names the file and the line.

Each folder under ``tests/knowledge/data/`` is a small knowledge base. In a broken one, the
offending line carries the comment ``# expect``; the test finds that line and checks that the
reported problem points at it. ``valid`` and ``contradiction_resolved`` must lint clean.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tkiresist.errors import KnowledgeBaseError
from tkiresist.knowledge import lint as lint_module
from tkiresist.knowledge.lint import lint, lint_path
from tkiresist.knowledge.loader import KnowledgeBaseInvalid, load_knowledge_base

DATA = Path(__file__).resolve().parent / "data"

# folder, file holding the "# expect" line, expected fragment of the message
BROKEN = [
    ("bad_schema", "statements.yaml", "Input should be 'A', 'B', 'C', 'D' or 'E'"),
    ("unknown_category", "statements.yaml", "unknown category 'alk_fusionx'"),
    ("unknown_drug", "statements.yaml", "unknown drug 'alectinibb'"),
    ("missing_citation", "statements.yaml", "no citation: every statement needs at least one"),
    ("unknown_citation_id", "statements.yaml", "unknown citation id 'nobody-2020'"),
    ("duplicate_id", "b.yaml", "duplicate statement id 'alk-fusion'"),
    ("contradiction", "statements.yaml", "contradicts 'alk-fusion'"),
    ("class_only_drug", "statements.yaml", "'chemotherapy' names a class, not a drug"),
    ("continued_wrong_class", "statements.yaml", "'alectinib' is continued"),
    ("unused_citation", "citations.yaml", "citation 'nobody-2020' is cited by no statement"),
    # a regimen's CNS claim needs its own evidence, or every targeted drug documented CNS-active
    # (gefitinib is not): #13, CNS evidence per regimen
    ("cns_claim_uncited", "statements.yaml", "claims CNS activity (cns_active) but neither"),
    # an off-target mechanism must be named whatever the EGFR driver's state (#13)
    (
        "mechanism_unnamed_when_driver_lost",
        "statements.yaml",
        "is named only while the EGFR driver persists",
    ),
]


def _expected_line(path: Path) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    marked = [i for i, line in enumerate(lines, start=1) if "# expect" in line]
    assert len(marked) == 1, f"{path} must mark exactly one line with '# expect'"
    return marked[0]


def test_every_data_folder_is_covered() -> None:
    folders = {p.name for p in DATA.iterdir() if p.is_dir()}
    covered = {case for case, _, _ in BROKEN} | {"valid", "contradiction_resolved"}
    assert folders == covered


@pytest.mark.parametrize(("case", "file", "fragment"), BROKEN, ids=[c for c, _, _ in BROKEN])
def test_broken_kb_is_reported_at_file_and_line(case: str, file: str, fragment: str) -> None:
    target = DATA / case / file
    problems = lint_path(DATA / case)
    assert len(problems) == 1, [str(p) for p in problems]
    problem = problems[0]
    assert fragment in problem.message
    assert problem.location.file == str(target)
    assert problem.location.line == _expected_line(target)
    rendered = str(problem)
    assert rendered.startswith(f"{target}:{_expected_line(target)}: ")


@pytest.mark.parametrize("case", ["valid", "contradiction_resolved"])
def test_clean_kb_lints_clean(case: str) -> None:
    assert lint_path(DATA / case) == []


def test_schema_errors_raise_one_error_with_every_problem() -> None:
    with pytest.raises(KnowledgeBaseInvalid) as info:
        load_knowledge_base(DATA / "bad_schema")
    err = info.value
    assert isinstance(err, KnowledgeBaseError)
    assert len(err.problems) == 1
    assert err.problems[0].location.field == "alk-fusion.evidence_level"
    assert "statements.yaml:22" in str(err)


def test_lint_errors_do_not_prevent_loading() -> None:
    kb = load_knowledge_base(DATA / "unknown_drug")
    assert [s.id for s in kb.statements] == ["alk-fusion"]
    assert len(lint(kb)) == 1


def test_missing_drug_dictionary_is_reported_not_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lint_module, "DRUGS_MODULE", "tkiresist.nomenclature.no_such_module")
    (problem,) = lint_path(DATA / "unknown_drug")
    assert "drug names not checked" in problem.message
    assert "tkiresist.nomenclature.no_such_module" in problem.message


def test_contradiction_names_both_places() -> None:
    (problem,) = lint_path(DATA / "contradiction")
    first = DATA / "contradiction" / "statements.yaml"
    assert f"({first}:17)" in problem.message
    assert "resistance here and sensitivity there" in problem.message
