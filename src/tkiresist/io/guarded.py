"""Reading YAML and JSON that a user sent, within limits checked before anything is built.

YAML anchors and aliases let a few hundred bytes describe billions of nodes (the "billion laughs"
alias bomb: ``a1: &a1 [*a0, *a0, ...]`` nine times nested). PyYAML composes such a document cheaply,
with shared nodes, but every later walk over it (line positions, shorthand expansion, pydantic,
a copy, a dump) visits each alias again, and the process takes gigabytes. Deep nesting is the
other danger: the C composer recurses once per level.

So every YAML text that comes from a user (case files, API and form bodies, review tables,
claims files) is first read here as a flat stream of parser events, which costs little and
builds nothing, and refused when

* the nesting is deeper than :data:`MAX_DEPTH`;
* its aliases would add more than :data:`MAX_ALIAS_NODES` nodes once expanded, counted
  arithmetically from the sizes of the anchored nodes (so a bomb is refused at its first
  over-budget alias, after reading a few hundred bytes' worth of events);
* an alias refers to a node that contains it (a cycle, which no case or table can mean).

The refusal is a :class:`~tkiresist.errors.FormatError` located at the offending line and column.
Only then is the text composed and constructed. JSON bodies are checked for depth and node count
by :func:`check_json_shape` (JSON has no aliases; its size is bounded by the body limit).

The limits are generous for real inputs: the deepest case file is about ten levels, and anchors
in hand-written case files repeat an assay or a finding, tens of nodes each.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from tkiresist.errors import FormatError, Location

MAX_DEPTH = 64
"""Deepest nesting of collections accepted, in YAML and in JSON."""

MAX_ALIAS_NODES = 10_000
"""Nodes that all the aliases of one YAML text may add in total, once expanded."""

MAX_JSON_NODES = 1_000_000
"""Values (collections and scalars) accepted in one JSON document."""

SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""PyYAML's safe loader, libyaml's C build when it is installed."""


def _where(filename: str | None, mark: Any) -> Location:
    if mark is None:
        return Location(filename)
    return Location(filename, mark.line + 1, mark.column + 1)


def check_yaml_events(
    text: str, filename: str | None = None, loader: type[yaml.SafeLoader] = SafeBase
) -> None:
    """Refuse ``text`` (:class:`FormatError`, located) if it nests deeper than
    :data:`MAX_DEPTH`, if its aliases expand to more than :data:`MAX_ALIAS_NODES` nodes, or if an
    alias refers to a node that contains it. Malformed YAML raises ``yaml.YAMLError`` as the
    parser does. Builds no node: one pass over the parser's events."""
    # each open collection: [anchor, expanded size so far]
    stack: list[list[Any]] = []
    sizes: dict[str, int] = {}
    open_anchors: set[str] = set()
    added = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            if len(stack) >= MAX_DEPTH:
                raise FormatError(
                    f"nested deeper than {MAX_DEPTH} levels: a case or table is never that deep",
                    _where(filename, event.start_mark),
                )
            if event.anchor:
                open_anchors.add(event.anchor)
            stack.append([event.anchor, 1])
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            anchor, size = stack.pop()
            if anchor:
                open_anchors.discard(anchor)
                sizes[anchor] = size
        elif isinstance(event, yaml.ScalarEvent):
            size = 1
            if event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            name = event.anchor or ""
            if name in open_anchors:
                raise FormatError(
                    f"alias *{name} refers to a node that contains it (a cycle): expected "
                    "an alias to a finished node",
                    _where(filename, event.start_mark),
                )
            size = sizes.get(name, 1)  # an undefined alias is the composer's error to give
            added += size
            if added > MAX_ALIAS_NODES:
                raise FormatError(
                    f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes (at *{name}, "
                    f"{size:,} nodes): refused before building it; write the values out",
                    _where(filename, event.start_mark),
                )
        else:  # stream and document events
            continue
        if stack:
            stack[-1][1] += size


def compose_checked(
    text: str, filename: str | None = None, loader: type[yaml.SafeLoader] = SafeBase
) -> tuple[yaml.Node | None, Any]:
    """The single document of ``text`` as (node tree with line marks, plain data), after
    :func:`check_yaml_events`. Raises ``yaml.YAMLError`` for malformed YAML and
    :class:`FormatError` for a text over the limits."""
    check_yaml_events(text, filename, loader)
    instance = loader(text)
    try:
        node = instance.get_single_node()
        data = instance.construct_document(node) if node is not None else None
    finally:
        instance.dispose()
    return node, data


def yaml_error(
    exc: yaml.YAMLError, filename: str | None = None, line_offset: int = 0
) -> FormatError:
    """A PyYAML error as a located :class:`FormatError` (``malformed YAML: ...``)."""
    mark = getattr(exc, "problem_mark", None)
    what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    loc = Location(filename)
    if mark is not None:
        loc = Location(filename, mark.line + 1, mark.column + 1)
    return FormatError(f"malformed YAML: {what}", loc)


def load_yaml(text: str, filename: str | None = None) -> Any:
    """Plain data from a user's YAML text, within the limits; every failure is a located
    :class:`FormatError`."""
    try:
        return compose_checked(text, filename)[1]
    except yaml.YAMLError as exc:
        raise yaml_error(exc, filename) from None


def check_json_shape(data: Any, name: str | None = None) -> None:
    """Refuse parsed JSON deeper than :data:`MAX_DEPTH` or with more than
    :data:`MAX_JSON_NODES` values (:class:`FormatError`, with the path of the first value over
    the limit). Iterative, and stops at the first breach."""
    # (value, depth, trail): the trail is (key, parent trail), joined only for a refusal
    todo: list[tuple[Any, int, Any]] = [(data, 0, None)]
    seen = 0
    while todo:
        value, depth, trail = todo.pop()
        seen += 1
        if seen > MAX_JSON_NODES:
            raise FormatError(
                f"more than {MAX_JSON_NODES:,} values in one document", Location(name)
            )
        if depth > MAX_DEPTH:
            raise FormatError(
                f"nested deeper than {MAX_DEPTH} levels", Location(name, field=_path(trail))
            )
        if isinstance(value, dict):
            todo.extend((v, depth + 1, (k, trail)) for k, v in value.items())
        elif isinstance(value, list):
            todo.extend((v, depth + 1, (i, trail)) for i, v in enumerate(value))


def _path(trail: Any) -> str | None:
    parts: list[str] = []
    while trail is not None:
        key, trail = trail
        parts.append(f"[{key}]" if isinstance(key, int) else f".{key}")
    return "".join(reversed(parts)).lstrip(".") or None


def load_json(text: str, name: str | None = None) -> Any:
    """Parsed JSON within the limits; malformed or too deep JSON is a located
    :class:`FormatError`."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"malformed JSON: {exc.msg}", Location(name, exc.lineno, exc.colno)
        ) from None
    except RecursionError:
        raise FormatError(f"nested deeper than {MAX_DEPTH} levels", Location(name)) from None
    check_json_shape(data, name)
    return data
