"""The loader: YAML with line numbers, citation resolution, meta, and robustness."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tkiresist.errors import KnowledgeBaseError
from tkiresist.knowledge.loader import (
    KnowledgeBaseInvalid,
    LineMap,
    LineSeq,
    _LineLoader,
    line_of,
    load_knowledge_base,
)

DATA = Path(__file__).resolve().parent / "data"


def _parse(text: str) -> object:
    loader = _LineLoader(text)
    loader.duplicate_keys = []
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def test_mappings_and_sequences_carry_lines() -> None:
    data = _parse("a: 1\nb:\n  - x\n  - {c: 2,\n     d: 3}\n")
    assert isinstance(data, LineMap)
    assert data.lines == {"a": 1, "b": 2}
    seq = data["b"]
    assert isinstance(seq, LineSeq)
    assert seq.lines == [3, 4]
    assert line_of(data, ["b", 1, "d"]) == 5
    assert line_of(data, ["b", 1, "missing"]) == 4  # a missing field: the parent's line
    assert line_of(data, ["b", 7]) == 2  # an index out of range: the sequence's key line


def test_packaged_kb_is_cached() -> None:
    assert load_knowledge_base() is load_knowledge_base()


def test_meta_is_the_staleness_stamp() -> None:
    kb = load_knowledge_base(DATA / "valid")
    assert kb.version == "0.0.1"
    assert kb.date == dt.date(2026, 1, 1)
    assert kb.meta() == {"version": "0.0.1", "date": "2026-01-01"}
    assert kb.stamp == "tkiresist knowledge base 0.0.1 (2026-01-01)"


def test_citation_ids_resolve_to_structured_citations() -> None:
    kb = load_knowledge_base(DATA / "valid")
    (cit,) = kb.by_id["alk-fusion"].citations
    assert cit.doi == "10.7759/cureus.92202"
    assert cit.first_author == "Cheung"
    assert cit is kb.citations["cheung-2025"]


def test_location_of_a_field(tmp_path: Path) -> None:
    kb = load_knowledge_base(DATA / "valid")
    loc = kb.location("alk-fusion", "regimens.0.drugs.1.drug")
    assert loc.file == str(DATA / "valid" / "statements.yaml")
    assert loc.line == 19
    assert loc.field == "alk-fusion.regimens.0.drugs.1.drug"


def _copy(tmp_path: Path, case: str = "valid") -> Path:
    target = tmp_path / case
    shutil.copytree(DATA / case, target)
    return target


def test_missing_meta_is_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "_meta.yaml").unlink()
    with pytest.raises(KnowledgeBaseInvalid, match=r"missing _meta.yaml"):
        load_knowledge_base(root)


def test_bad_version_is_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "_meta.yaml").write_text("version: one\ndate: 2026-01-01\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseInvalid) as info:
        load_knowledge_base(root)
    (problem,) = info.value.problems
    assert problem.location.field == "version"
    assert problem.location.line == 1


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "broken.yaml").write_text("- id: x\n  title: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseInvalid) as info:
        load_knowledge_base(root)
    (problem,) = info.value.problems
    assert problem.message.startswith("YAML syntax")
    assert problem.location.file == str(root / "broken.yaml")
    assert problem.location.line is not None


def test_duplicate_keys_are_not_silently_overwritten(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = root / "statements.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "  amp_tier: II\n", "  amp_tier: II\n  amp_tier: III\n"
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeBaseInvalid, match=r"duplicate key 'amp_tier'") as info:
        load_knowledge_base(root)
    assert info.value.problems[0].location.line == text.splitlines().index("  amp_tier: III") + 1


def test_inline_citation_must_agree_with_the_registry(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = root / "statements.yaml"
    inline = (
        "  citations:\n    - {id: cheung-2025, doi: 10.7759/cureus.1, first_author: Cheung,"
        " year: 2025, journal: Cureus}\n"
    )
    text = path.read_text(encoding="utf-8").replace("  citations: [cheung-2025]\n", inline)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeBaseInvalid, match=r"differs from the one in citations.yaml"):
        load_knowledge_base(root)


def test_a_citation_needs_a_doi_or_pmid(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "citations.yaml").write_text(
        "cheung-2025:\n  first_author: Cheung\n  year: 2025\n  journal: Cureus\n", encoding="utf-8"
    )
    with pytest.raises(KnowledgeBaseInvalid) as info:
        load_knowledge_base(root)
    messages = [p.message for p in info.value.problems]
    assert "a citation needs a doi or a pmid" in messages
    # The statement citing the broken entry is not reported a second time.
    assert len(messages) == 1


def test_not_a_directory() -> None:
    with pytest.raises(KnowledgeBaseError, match="not a knowledge-base directory"):
        load_knowledge_base(DATA / "valid" / "statements.yaml")


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=12),
    st.lists(st.text(max_size=6), max_size=3),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=2),
)
_FIELDS = ["id", "title", "match", "disease", "context", "meaning", "regimens",
           "evidence_level", "amp_tier", "precedence", "citations", "frequency"]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(field=st.sampled_from(_FIELDS), value=_SCALARS)
def test_any_field_value_either_loads_or_fails_located(
    tmp_path_factory: pytest.TempPathFactory, field: str, value: object
) -> None:
    """Whatever a field holds, the loader answers with a KB or a located KnowledgeBaseInvalid."""
    root = tmp_path_factory.mktemp("kb")
    shutil.copytree(DATA / "valid", root, dirs_exist_ok=True)
    path = root / "statements.yaml"
    (statement,) = yaml.safe_load(path.read_text(encoding="utf-8"))
    statement[field] = value
    path.write_text(yaml.safe_dump([statement], sort_keys=False), encoding="utf-8")
    try:
        kb = load_knowledge_base(root)
    except KnowledgeBaseInvalid as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.location.file is not None
            assert problem.location.line is not None
    else:
        assert len(kb.statements) == 1
