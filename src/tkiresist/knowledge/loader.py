"""Load the knowledge base: YAML files -> validated :class:`Statement` values, with file:line.

Layout of a knowledge-base directory (the packaged one is ``knowledge/statements/``)::

    _meta.yaml       version (semver) and date (ISO): the staleness stamp of every output
    citations.yaml   citations keyed by id (optional); statements may cite them by id
    <topic>.yaml     a list of statements (egfr_on_target.yaml, bypass_fusions.yaml, ...)

Stages, kept apart:

1. **Syntax.** YAML is read with a loader that records the line of every mapping key and
   sequence item, so that any later problem can be located (``file:line: field: message``).
2. **Shape.** Each statement is validated against :mod:`tkiresist.knowledge.schema`;
   citation ids are resolved against ``citations.yaml``; ids must be unique.
3. **Meaning** (categories, drugs, genes, contradictions) is checked by
   :func:`tkiresist.knowledge.lint.lint`, not here: loading stays cheap.

Every problem found in stages 1-2, across all files, is collected and raised together as
:class:`KnowledgeBaseInvalid`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from pydantic import Field, ValidationError

from tkiresist.errors import KnowledgeBaseError, Location, ManyProblems, Problem
from tkiresist.knowledge.schema import SEMVER, Statement
from tkiresist.model.base import Value
from tkiresist.model.citation import KnowledgeCitation

META_FILE = "_meta.yaml"
CITATIONS_FILE = "citations.yaml"


class KnowledgeBaseInvalid(ManyProblems, KnowledgeBaseError):
    """The knowledge base breaks its schema. Carries every located problem found."""

    code = "knowledge_base_invalid"
    what = "invalid knowledge base"


class Meta(Value):
    version: str = Field(pattern=SEMVER)
    date: dt.date
    title: str | None = None
    note: str | None = None


# --- stage 1: YAML with line numbers -------------------------------------------------------


class LineMap(dict[Any, Any]):
    """A YAML mapping that remembers its own line and the line of each key (1-based)."""

    line: int
    lines: dict[Any, int]


class LineSeq(list[Any]):
    """A YAML sequence that remembers its own line and the line of each item (1-based)."""

    line: int
    lines: list[int]


_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_Base):  # type: ignore[valid-type,misc]
    """A safe loader whose mappings and sequences carry line numbers; duplicate keys are
    recorded as problems rather than silently overwritten."""

    duplicate_keys: list[tuple[object, int]]


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)
    out = LineMap()
    out.line = node.start_mark.line + 1
    out.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in out:
            loader.duplicate_keys.append((key, line))
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = line
    return out


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineSeq:
    out = LineSeq(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.lines = [child.start_mark.line + 1 for child in node.value]
    return out


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def _parse(text: str, file: str, problems: list[Problem]) -> object:
    loader = _LineLoader(text)
    loader.duplicate_keys = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problems.append(Problem(f"YAML syntax: {exc.problem or exc}", Location(file, line)))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(f"YAML: {exc}", Location(file)))
        return None
    finally:
        loader.dispose()
    for key, line in loader.duplicate_keys:
        problems.append(Problem(f"duplicate key {key!r}", Location(file, line)))
    return data


def line_of(node: object, path: Iterable[object]) -> int | None:
    """The line of the deepest element of ``path`` that exists under ``node``."""
    line = getattr(node, "line", None)
    for part in path:
        in_map = isinstance(node, LineMap) and part in node
        in_seq = isinstance(node, LineSeq) and isinstance(part, int) and 0 <= part < len(node)
        if in_map or in_seq:
            line = node.lines[part]  # type: ignore[attr-defined]
            node = node[part]  # type: ignore[index]
        elif isinstance(node, LineMap | LineSeq):
            continue  # a union tag or a missing field: stay on the parent's line
        else:
            break
    return line


# --- stage 2: shape -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    """Where one statement came from: its file and its raw (line-annotated) mapping."""

    file: str
    node: LineMap

    def location(self, statement_id: str, path: str = "") -> Location:
        parts: list[object] = [int(p) if p.isdigit() else p for p in path.split(".") if p]
        dotted = f"{statement_id}.{path}" if path else statement_id
        return Location(file=self.file, line=line_of(self.node, parts), field=dotted)


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """The loaded knowledge base: its stamp, its statements and their indexes.

    ``by_category`` maps a category id to the statements that name it in ``match.any_of`` or
    ``match.all_of`` (the candidates to check when a finding has that category);
    ``fallback`` holds the "no identified mechanism" statements.
    """

    version: str
    date: dt.date
    statements: tuple[Statement, ...]
    citations: Mapping[str, KnowledgeCitation]
    root: str
    sources: Mapping[str, Source] = field(repr=False)
    citation_sources: Mapping[str, Location] = field(default_factory=dict, repr=False)
    by_id: Mapping[str, Statement] = field(init=False, repr=False)
    by_category: Mapping[str, tuple[Statement, ...]] = field(init=False, repr=False)
    fallback: tuple[Statement, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_cat: dict[str, list[Statement]] = {}
        for st in self.statements:
            for cat in dict.fromkeys(st.match.any_of + st.match.all_of):
                by_cat.setdefault(cat, []).append(st)
        object.__setattr__(self, "by_id", MappingProxyType({s.id: s for s in self.statements}))
        object.__setattr__(
            self, "by_category", MappingProxyType({k: tuple(v) for k, v in by_cat.items()})
        )
        fallback = tuple(s for s in self.statements if s.match.fallback)
        object.__setattr__(self, "fallback", fallback)

    @property
    def stamp(self) -> str:
        """The staleness stamp every output carries."""
        return f"tkiresist knowledge base {self.version} ({self.date.isoformat()})"

    def meta(self) -> dict[str, str]:
        """``{"version": ..., "date": ...}`` for JSON outputs."""
        return {"version": self.version, "date": self.date.isoformat()}

    def for_categories(self, categories: Iterable[str]) -> tuple[Statement, ...]:
        """Candidate statements for a set of category ids, each once, in knowledge-base order."""
        seen: dict[str, Statement] = {}
        for cat in categories:
            for st in self.by_category.get(cat, ()):
                seen.setdefault(st.id, st)
        order = {s.id: i for i, s in enumerate(self.statements)}
        return tuple(sorted(seen.values(), key=lambda s: order[s.id]))

    def location(self, statement_id: str, path: str = "") -> Location:
        """file:line of a statement, or of a dotted field in it (``regimens.0.drugs.1``)."""
        source = self.sources.get(statement_id)
        if source is None:
            return Location(field=statement_id)
        return source.location(statement_id, path)


def _error_message(err: Mapping[str, Any]) -> str:
    loc = tuple(err.get("loc", ()))
    if err.get("type") == "too_short" and loc[-1:] == ("citations",):
        return "no citation: every statement needs at least one (a DOI or a PMID)"
    msg = str(err.get("msg", "invalid"))
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg


def _validation_problems(
    exc: ValidationError, file: str, node: object, prefix: str
) -> Iterator[Problem]:
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        path = ".".join(str(p) for p in loc)
        dotted = ".".join(p for p in (prefix, path) if p) or None
        yield Problem(_error_message(err), Location(file, line_of(node, loc), field=dotted))


def _files(root: Traversable) -> list[Traversable]:
    return sorted(
        (f for f in root.iterdir() if f.name.endswith((".yaml", ".yml")) and f.is_file()),
        key=lambda f: f.name,
    )


def _read_meta(root: Traversable, problems: list[Problem]) -> Meta | None:
    target = root.joinpath(META_FILE)
    file = str(target)
    if not target.is_file():
        problems.append(Problem(f"missing {META_FILE} (version and date)", Location(file)))
        return None
    data = _parse(target.read_text(encoding="utf-8"), file, problems)
    if not isinstance(data, LineMap):
        if data is not None:
            problems.append(Problem("expected a mapping with version and date", Location(file)))
        return None
    try:
        return Meta.model_validate(dict(data))
    except ValidationError as exc:
        problems.extend(_validation_problems(exc, file, data, ""))
        return None


@dataclass(slots=True)
class _Registry:
    citations: dict[str, KnowledgeCitation] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)


def _read_citations(root: Traversable, problems: list[Problem]) -> _Registry:
    """Citations keyed by id, where each is, and the ids that were present but invalid."""
    target = root.joinpath(CITATIONS_FILE)
    registry = _Registry()
    out, broken = registry.citations, registry.broken
    if not target.is_file():
        return registry
    file = str(target)
    data = _parse(target.read_text(encoding="utf-8"), file, problems)
    if data is None:
        return registry
    if not isinstance(data, LineMap):
        problems.append(Problem("expected a mapping of citation id -> citation", Location(file)))
        return registry
    for key, raw in data.items():
        line = data.lines[key]
        registry.locations[str(key)] = Location(file, line, field=str(key))
        if not isinstance(raw, LineMap):
            problems.append(Problem("expected a mapping", Location(file, line, field=str(key))))
            broken.add(str(key))
            continue
        if "id" in raw and raw["id"] != key:
            problems.append(
                Problem(
                    f"id {raw['id']!r} differs from its key {key!r}",
                    Location(file, raw.lines["id"], field=f"{key}.id"),
                )
            )
            broken.add(str(key))
            continue
        try:
            out[str(key)] = KnowledgeCitation.model_validate({**raw, "id": key})
        except ValidationError as exc:
            problems.extend(_validation_problems(exc, file, raw, str(key)))
            broken.add(str(key))
    return registry


def _resolve_citations(
    raw: LineMap,
    registry: Mapping[str, KnowledgeCitation],
    broken: set[str],
    file: str,
    sid: str,
    problems: list[Problem],
) -> bool:
    """Replace citation ids by registry citations in place; False if any cannot resolve."""
    items = raw.get("citations")
    if not isinstance(items, LineSeq):
        return True  # schema validation reports it
    ok = True
    for i, item in enumerate(items):
        if isinstance(item, str):
            if item in registry:
                items[i] = registry[item]
            else:
                ok = False
                if item not in broken:
                    where = Location(file, items.lines[i], field=f"{sid}.citations.{i}")
                    problems.append(Problem(f"unknown citation id {item!r}", where))
        elif isinstance(item, LineMap) and isinstance(item.get("id"), str):
            known = registry.get(item["id"])
            if known is not None:
                try:
                    inline = KnowledgeCitation.model_validate(dict(item))
                except ValidationError:
                    continue  # the statement's validation reports it, located
                if inline != known:
                    where = Location(file, items.lines[i], field=f"{sid}.citations.{i}")
                    msg = f"citation {item['id']!r} differs from the one in {CITATIONS_FILE}"
                    problems.append(Problem(msg, where))
                    ok = False
    return ok


def _read_statements(
    target: Traversable,
    registry: Mapping[str, KnowledgeCitation],
    broken: set[str],
    problems: list[Problem],
) -> Iterator[tuple[Statement, Source]]:
    file = str(target)
    data = _parse(target.read_text(encoding="utf-8"), file, problems)
    if data is None:
        return
    if not isinstance(data, LineSeq):
        problems.append(Problem("expected a list of statements", Location(file, 1)))
        return
    for index, raw in enumerate(data):
        if not isinstance(raw, LineMap):
            line = data.lines[index]
            problems.append(Problem("expected a statement (a mapping)", Location(file, line)))
            continue
        sid = raw["id"] if isinstance(raw.get("id"), str) else f"#{index + 1}"
        if not _resolve_citations(raw, registry, broken, file, sid, problems):
            continue
        try:
            statement = Statement.model_validate(dict(raw))
        except ValidationError as exc:
            problems.extend(_validation_problems(exc, file, raw, sid))
            continue
        yield statement, Source(file, raw)


def _load(root: Traversable) -> KnowledgeBase:
    problems: list[Problem] = []
    if not root.is_dir():
        raise KnowledgeBaseError("not a knowledge-base directory", Location(str(root)))
    meta = _read_meta(root, problems)
    registry = _read_citations(root, problems)
    statements: list[Statement] = []
    sources: dict[str, Source] = {}
    for target in _files(root):
        if target.name.startswith("_") or target.name == CITATIONS_FILE:
            continue
        found = _read_statements(target, registry.citations, registry.broken, problems)
        for statement, source in found:
            first = sources.get(statement.id)
            if first is not None:
                loc = source.location(statement.id, "id")
                earlier = first.location(statement.id, "id")
                msg = f"duplicate statement id {statement.id!r} (first at {earlier.file}:"
                problems.append(Problem(f"{msg}{earlier.line})", loc))
                continue
            statements.append(statement)
            sources[statement.id] = source
    if problems or meta is None:
        raise KnowledgeBaseInvalid(problems)
    return KnowledgeBase(
        version=meta.version,
        date=meta.date,
        statements=tuple(statements),
        citations=MappingProxyType(dict(registry.citations)),
        root=str(root),
        sources=MappingProxyType(sources),
        citation_sources=MappingProxyType(dict(registry.locations)),
    )


def packaged_root() -> Traversable:
    """The directory of the knowledge base that ships with the package."""
    return resources.files("tkiresist.knowledge").joinpath("statements")


@cache
def _packaged() -> KnowledgeBase:
    return _load(packaged_root())


def load_knowledge_base(path: Path | None = None) -> KnowledgeBase:
    """Load and validate a knowledge base (the packaged one, cached, when ``path`` is None).

    Raises :class:`KnowledgeBaseInvalid` (a :class:`~tkiresist.errors.KnowledgeBaseError`)
    listing every schema problem with its file, line and field.
    """
    if path is None:
        return _packaged()
    return _load(Path(path))
