"""Case files: YAML or JSON, versioned, read with line numbers and written atomically.

Reading happens in three stages, kept apart:

1. syntax: YAML (a superset of JSON) is composed into nodes that remember their line, so every
   later problem can be reported as ``file:line: field: message``;
2. shorthand expansion (:func:`_expand`): where people write ``alteration: "EML4::ALK"`` or
   ``agents: [osimertinib]``, the nomenclature layer turns the text into structured values and
   drug names into their generic ids. A string that does not parse is a located problem;
3. the model: pydantic checks types and shapes, then :func:`consistency_problems` checks
   contradictions across events, then :func:`tkiresist.validation.reference_problems` checks
   genes and drugs against reference data.

All problems of all stages are collected and raised together as one
:class:`~tkiresist.errors.CaseValidationError`.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tkiresist.errors import CaseValidationError, FormatError, Location, ParseError, Problem
from tkiresist.io.atomic import write_text_atomically
from tkiresist.io.guarded import SafeBase, compose_checked, yaml_error
from tkiresist.model.case import DEFER_CONSISTENCY, Case, consistency_problems

PathKey = tuple[str | int, ...]


class _LineLoader(SafeBase):  # type: ignore[valid-type,misc]
    """A safe loader that keeps dates as strings (the model parses partial dates itself)."""


# Keep timestamps as text: "2023-05" and "2023-05-14" are both TimePoints for the model.
_LineLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _positions(node: yaml.Node, path: PathKey, out: dict[PathKey, int]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = key.value
            out[(*path, k)] = key.start_mark.line + 1
            _positions(value, (*path, k), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _positions(item, (*path, i), out)


def _line_for(positions: dict[PathKey, int], data: Any, loc: PathKey) -> tuple[int | None, str]:
    """Follow a pydantic ``loc`` through the data, skipping union tags; return line and path."""
    here: PathKey = ()
    node = data
    parts: list[str] = []
    for seg in loc:
        in_dict = isinstance(node, dict) and seg in node
        in_list = isinstance(node, list) and isinstance(seg, int) and 0 <= seg < len(node)
        if in_dict or in_list:
            node = node[seg]
        else:
            continue  # a union/discriminator tag or a synthetic segment
        here = (*here, seg)
        parts.append(f"[{seg}]" if isinstance(seg, int) else f".{seg}")
    line = None
    probe = here
    while probe and line is None:
        line = positions.get(probe)
        probe = probe[:-1]
    return line or positions.get(()), "".join(parts).lstrip(".")


def _parse_path(field: str) -> PathKey:
    out: list[str | int] = []
    for part in field.replace("]", "").replace("[", ".").split("."):
        if part:
            out.append(int(part) if part.isdigit() else part)
    return tuple(out)


def _walk_findings(data: Any) -> Iterator[tuple[PathKey, dict[str, Any]]]:
    events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events, list):
        return
    for i, ev in enumerate(events):
        if isinstance(ev, dict) and isinstance(ev.get("findings"), list):
            for j, f in enumerate(ev["findings"]):
                if isinstance(f, str):  # a bare string is a detected alteration
                    f = ev["findings"][j] = {"alteration": f}
                if isinstance(f, dict):
                    yield ("events", i, "findings", j), f


def _diagnosis_histology(data: Any) -> str | None:
    """The histology the case's (first) diagnosis event gives, as written; None without one."""
    events = data.get("events") if isinstance(data, dict) else None
    for ev in events if isinstance(events, list) else []:
        if isinstance(ev, dict) and ev.get("type") == "diagnosis":
            histology = ev.get("histology")
            return histology if isinstance(histology, str) else None
    return None


def _expand(data: Any, problems: list[tuple[PathKey, str]]) -> None:
    """Turn shorthand strings into structured values, in place (on our own parsed copy)."""
    from tkiresist.nomenclature import alterations as alt_parser
    from tkiresist.nomenclature import drugs
    from tkiresist.nomenclature.histology import read_histology_finding

    diagnosis = _diagnosis_histology(data)
    for path, finding in _walk_findings(data):
        text = finding.get("alteration")
        if isinstance(text, str):
            try:
                # a tumour type as the pathologist writes it ("small cell carcinoma") is read
                # against the diagnosis: after an adenocarcinoma it is the transformation
                hist = read_histology_finding(text, diagnosis)
                value = hist if hist is not None else alt_parser.parse_alteration(text)
                finding["alteration"] = value.model_dump(mode="json", exclude_none=True)
            except ParseError as exc:
                problems.append(((*path, "alteration"), exc.message))
    events = data.get("events") if isinstance(data, dict) else None
    for i, ev in enumerate(events if isinstance(events, list) else []):
        if not isinstance(ev, dict) or not isinstance(ev.get("agents"), list):
            continue
        for j, agent in enumerate(ev["agents"]):
            entry = {"drug": agent} if isinstance(agent, str) else agent
            if isinstance(entry, dict) and isinstance(entry.get("drug"), str):
                try:
                    entry["drug"] = drugs.lookup(entry["drug"]).generic
                except ParseError as exc:
                    problems.append((("events", i, "agents", j, "drug"), exc.message))
            ev["agents"][j] = entry


def parse_case_text(text: str, filename: str = "<string>") -> Case:
    """Parse and validate a case from YAML or JSON text; raise CaseValidationError."""
    if not text.strip():
        raise CaseValidationError(
            [Problem("empty file: expected a case (YAML or JSON mapping)", Location(filename))]
        )
    try:
        node, data = compose_checked(text, filename, _LineLoader)
    except yaml.YAMLError as exc:
        raise CaseValidationError(list(yaml_error(exc, filename).problems)) from None
    except FormatError as exc:  # over the limits of user YAML (an alias bomb, say)
        raise CaseValidationError(list(exc.problems)) from None
    if not isinstance(data, dict) or node is None:
        raise CaseValidationError(
            [
                Problem(
                    f"expected a mapping of case fields, got {type(data).__name__}",
                    Location(filename, 1),
                )
            ]
        )
    positions: dict[PathKey, int] = {}
    _positions(node, (), positions)
    return _build(data, positions, filename)


def parse_case_data(data: Any, filename: str = "<data>") -> Case:
    """Validate a case given as plain data (e.g. from ``json.loads``), with the very stages of
    :func:`parse_case_text` but no YAML parse: problems carry field paths, not line numbers.
    Much faster for large JSON bodies; ``data`` is not modified."""
    if not isinstance(data, dict):
        raise CaseValidationError(
            [Problem(f"expected a mapping of case fields, got {type(data).__name__}",
                     Location(filename))]
        )  # fmt: skip
    return _build(copy.deepcopy(data), {}, filename)


def _build(data: dict[str, Any], positions: dict[PathKey, int], filename: str) -> Case:
    """Stages 2 and 3 on parsed data (modified in place); ``positions`` give line numbers."""

    def located(loc: PathKey, msg: str) -> Problem:
        line, field = _line_for(positions, data, loc)
        return Problem(msg, Location(filename, line, None, field or None))

    raw: list[tuple[PathKey, str]] = []
    _expand(data, raw)
    problems = [located(loc, msg) for loc, msg in raw]
    if problems:
        raise CaseValidationError(problems)
    try:
        case = Case.model_validate(data, context={DEFER_CONSISTENCY: True})
    except ValidationError as exc:
        raise CaseValidationError(
            [located(tuple(err["loc"]), _message(err)) for err in exc.errors()]
        ) from None
    from tkiresist.validation import reference_problems

    found = consistency_problems(case) + reference_problems(case)
    if found:
        raise CaseValidationError(
            [located(_parse_path(p.location.field or ""), p.message) for p in found]
        )
    return case


def _message(err: Any) -> str:
    msg = str(err.get("msg", "invalid"))
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "unknown field (not in the case format; see docs/case-format.md)"
    if kind == "missing":
        loc = err.get("loc") or ()
        name = loc[-1] if loc and isinstance(loc[-1], str) else None
        return f"required field {name!r} is missing" if name else "required field is missing"
    msg = msg.removeprefix("Value error, ")
    if kind.endswith("_type") or kind.endswith("_parsing"):
        msg += f" (got {err.get('input')!r})"
    return msg


def read_case(path: str | os.PathLike[str]) -> Case:
    """Read and validate a case file (YAML or JSON)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CaseValidationError([Problem("no such file", Location(str(p)))]) from None
    except UnicodeDecodeError as exc:
        raise CaseValidationError(
            [Problem(f"not UTF-8 text (byte {exc.start})", Location(str(p)))]
        ) from None
    return parse_case_text(text, str(p))


def case_to_data(case: Case) -> dict[str, Any]:
    """The case as plain data, in the file format (defaults left out)."""
    return case.model_dump(mode="json", exclude_none=True)


def write_case(case: Case, path: str | os.PathLike[str]) -> None:
    """Write ``case`` atomically: a temporary file in the same folder, then a rename."""
    p = Path(path)
    write_text_atomically(p, _canonical_text(case, p))


def _canonical_text(case: Case, path: Path) -> str:
    data = case_to_data(case)
    if path.suffix.lower() == ".json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))


def write_case_update(
    before: Case, before_text: str, after: Case, path: str | os.PathLike[str]
) -> bool:
    """Write ``after``, which is ``before`` (read from ``before_text``) with events inserted,
    atomically. A YAML file keeps its comments and layout: the new events are inserted as
    text (:func:`insert_events`). Returns False when the case had to be rewritten in the
    canonical layout instead (a JSON file, a flow-style event list, or any other change)."""
    p = Path(path)
    text = None if p.suffix.lower() == ".json" else insert_events(before, before_text, after)
    write_text_atomically(p, text if text is not None else _canonical_text(after, p))
    return text is not None


def insert_events(before: Case, before_text: str, after: Case) -> str | None:
    """``before_text`` with the events ``after`` adds to ``before`` inserted as block YAML at
    their places in the ``events`` list; every other byte is kept (comments included).

    The new text is read back and must give ``after`` exactly; None when it does not, when
    ``after`` changes anything but inserting events, or when the file's event list is not a
    block sequence (``events: [...]``). The caller then writes the canonical layout.
    """
    old_ids = [e.id for e in before.events]
    new_ids = [e.id for e in after.events]
    if [i for i in new_ids if i in set(old_ids)] != old_ids:
        return None
    # (index in the old list before which it goes, event) for each new event, in order
    inserts: list[tuple[int, Any]] = []
    seen_old = 0
    for event in after.events:
        if seen_old < len(old_ids) and event.id == old_ids[seen_old]:
            seen_old += 1
        else:
            inserts.append((seen_old, event))
    node = compose_checked(before_text, None, _LineLoader)[0]  # already read once: within limits
    items = _block_events(node)
    if items is None or not items or not inserts:
        return None
    lines = before_text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += newline
    dash_col = _dash_column(lines, items[0])
    if dash_col is None:
        return None
    for compact in (True, False):  # short times first; the full form if they do not read back
        by_line: dict[int, list[str]] = {}
        for index, event in inserts:
            dumped = yaml.safe_dump(
                [_event_data(event, compact)], sort_keys=False, allow_unicode=True, width=100
            )
            block = [" " * dash_col + line + newline for line in str(dumped).splitlines()]
            by_line.setdefault(_insert_line(lines, items, index), []).extend(block)
        out: list[str] = []
        for i in range(len(lines) + 1):
            out.extend(by_line.get(i, ()))
            if i < len(lines):
                out.append(lines[i])
        text = "".join(out)
        try:
            if parse_case_text(text, "<inserted>") == after:
                return text
        except CaseValidationError:
            pass  # the next form, or the canonical layout
    return None


def _event_data(event: Any, compact: bool) -> dict[str, Any]:
    """An event as file data; ``compact``: its time points as the short text a person writes
    (``0 days after spec-brain``) where there is one."""
    from tkiresist.model.time import TimePoint

    data: dict[str, Any] = event.model_dump(mode="json", exclude_none=True)
    if compact:
        for name in list(data):
            value = getattr(event, name, None)
            short = value.shorthand() if isinstance(value, TimePoint) else None
            if short is not None:
                data[name] = short
    return data


def _block_events(node: yaml.Node | None) -> list[yaml.Node] | None:
    """The item nodes of the top-level ``events`` block sequence; None if not one."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for key, value in node.value:
        if key.value == "events":
            if isinstance(value, yaml.SequenceNode) and not value.flow_style:
                return list(value.value)
            return None
    return None


def _dash_column(lines: list[str], item: yaml.Node) -> int | None:
    """The column of the ``-`` that starts a block sequence item."""
    line = lines[item.start_mark.line]
    col = line.rfind("-", 0, item.start_mark.column)
    return col if col >= 0 and not line[:col].strip() else None


def _insert_line(lines: list[str], items: list[yaml.Node], index: int) -> int:
    """The line before which an event inserted before item ``index`` goes: above the comment
    and blank lines that lead into that item (they belong to it), or after the last item."""
    if index < len(items):
        at = items[index].start_mark.line
    else:
        at = items[-1].end_mark.line
        if items[-1].end_mark.column > 0:  # the last item ends inside a line
            at += 1
        at = min(at, len(lines))
    while at > 0 and (not lines[at - 1].strip() or lines[at - 1].lstrip().startswith("#")):
        at -= 1
    return at
