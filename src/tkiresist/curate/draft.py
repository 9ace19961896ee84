"""From a case report's text to a draft case file, every value with its evidence.

:func:`draft_case` runs the extractors (patient, histology, therapy lines, responses and
progressions, specimens and tests) and writes what they found into the case format's data,
recording one :class:`~tkiresist.model.case.EvidenceSpan` per value under the top-level
``provenance`` (``spans``), and what the text did not give under ``provenance.to_check``. The
draft is then validated by the case-file reader; its problems are returned, not hidden
(:attr:`Draft.problems`). Nothing is written without a span.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from tkiresist.curate.facts import Fact, Found
from tkiresist.curate.mentions import Mention
from tkiresist.curate.outcomes import extract_outcomes
from tkiresist.curate.patient import extract_doi, extract_histology, extract_patient
from tkiresist.curate.testing import Test, extract_tests, unnamed_assay
from tkiresist.curate.text import Document, Span
from tkiresist.curate.therapy import Line, extract_lines
from tkiresist.errors import ParseError, TkiResistError
from tkiresist.model.alterations import Expression
from tkiresist.nomenclature.alterations import format_alteration, parse_alteration

__all__ = ["Draft", "draft_case", "draft_yaml"]


@dataclass(slots=True)
class Draft:
    """A drafted case: its data (case-file shape), evidence and the reasons it does not
    validate yet (empty when it does)."""

    data: dict[str, Any]
    problems: list[str] = field(default_factory=list)

    @property
    def spans(self) -> list[dict[str, Any]]:
        return list(self.data.get("provenance", {}).get("spans", []))

    @property
    def to_check(self) -> list[str]:
        return list(self.data.get("provenance", {}).get("to_check", []))


class _Writer:
    """Puts values into the draft, each with its spans."""

    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []

    def put(self, target: dict[str, Any], key: str, path: str, fact: Fact) -> None:
        target[key] = fact.value
        self.evidence(path, fact.spans)

    def evidence(self, path: str, spans: tuple[Span, ...]) -> None:
        for sp in spans:
            self.spans.append({"field": path, "text": sp.text, "start": sp.start, "end": sp.end})


def _case_id(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", PurePath(name).stem).strip("-.") or "case"
    if not stem[0].isalnum():
        stem = "c" + stem
    return f"draft-{stem}"[:64]


def draft_case(text: str, name: str = "report") -> Draft:
    """Draft a case from a case report's text. ``name`` (a file name) makes the id."""
    doc = Document(text)
    to_check: list[str] = []
    w = _Writer()
    data: dict[str, Any] = {
        "schema_version": "1.0",
        "id": _case_id(name),
        "pseudonym": _case_id(name).upper(),
    }
    if not doc.narrative:
        to_check.append("no case narrative found: nothing drafted")
    # before the case narrative; without a heading, in the text's first 3,000 characters
    doi = extract_doi(text, doc.case_section[0] or min(len(text), 3000))
    if doi is not None:
        data["source"] = {}
        w.put(data["source"], "doi", "source.doi", doi)
    else:
        to_check.append("source: no DOI labelled before the case narrative; not written")
    patient = extract_patient(doc.narrative, doc.abstract, to_check)
    if patient:
        data["patient"] = {}
        for key, fact in patient.items():
            w.put(data["patient"], key, f"patient.{key}", fact)
    events: list[dict[str, Any]] = []
    histology = extract_histology(doc.narrative)
    lines = extract_lines(doc.narrative)
    outcomes = extract_outcomes(doc.narrative, doc.abstract, lines, to_check)
    specimens, tests = extract_tests(doc.narrative, to_check)

    # ids first (events refer to each other), then data in text order
    for n, sp in enumerate(specimens, 1):
        sp.found.id = f"specimen{n}"
    for n, t in enumerate(tests, 1):
        t.id = f"test{n}"
    ordered: list[tuple[int, int, Any]] = [(ln.position, 1, ln) for ln in lines]
    ordered += [(sp.found.position, 2, sp) for sp in specimens]
    ordered += [(t.position, 3, t) for t in tests]
    ordered += [(o.position, 4, o) for o in outcomes]
    ordered.sort(key=lambda x: (x[0], x[1]))
    n_pd = n_resp = 0
    for _, _, o in ordered:
        if isinstance(o, Found) and o.fields["category"].value == "PD":
            n_pd += 1
            o.id = f"progression{n_pd}"
        elif isinstance(o, Found):
            n_resp += 1
            o.id = f"response{n_resp}"

    dx: dict[str, Any] = {"id": "dx", "type": "diagnosis"}
    if histology is not None:
        w.put(dx, "histology", "events[0].histology", histology[0])
        w.put(dx, "oncotree_code", "events[0].oncotree_code", histology[1])
    else:
        to_check.append("events[0].histology: no histology found")
    events.append(dx)
    for _, _, item in ordered:
        here = f"events[{len(events)}]"
        if isinstance(item, Line):
            events.append(_line(item, here, w, to_check))
        elif isinstance(item, Test):
            events.append(_test(item, here, w, data))
        elif isinstance(item, Found):
            events.append(_found(item, here, w, to_check))
        else:
            events.append(_found(item.found, here, w, to_check))
    if not tests:
        to_check.append("no molecular test with findings found")
    if not lines:
        to_check.append("no line of therapy found")
    data["events"] = events
    to_check.append(
        "not read by the drafter: stage, metastatic sites, presentation, surgery, "
        "radiotherapy, clinical events, adverse events, death, the source's authors, year and "
        "title"
    )
    data["provenance"] = {
        "document": name,
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "spans": w.spans,
        "to_check": to_check,
    }
    return Draft(data, _problems(data, name))


def _line(line: Line, here: str, w: _Writer, to_check: list[str]) -> dict[str, Any]:
    ev: dict[str, Any] = {"id": line.id, "type": "therapy"}
    w.evidence(f"{here}.type", (line.cue,))
    agents: list[dict[str, Any]] = []
    for j, a in enumerate(line.agents):
        entry: dict[str, Any] = {"drug": a.generic}
        w.evidence(f"{here}.agents[{j}].drug", (a.span,))
        if a.dose is not None:
            w.put(entry, "dose", f"{here}.agents[{j}].dose", Fact(a.dose.text, (a.dose,)))
        if a.schedule is not None:
            sched = Fact(" ".join(a.schedule.text.split()), (a.schedule,))
            w.put(entry, "schedule", f"{here}.agents[{j}].schedule", sched)
        agents.append(entry)
    ev["agents"] = agents
    to_check.append(f"{here}.start: the text gives no start for {line.id}; not written")
    return ev


def _found(f: Found, here: str, w: _Writer, to_check: list[str]) -> dict[str, Any]:
    ev: dict[str, Any] = {"id": f.id, "type": f.kind}
    for key, fact in f.fields.items():
        w.put(ev, key, f"{here}.{key}", fact)
    if "time" not in ev:
        to_check.append(f"{here}.time: the text gives no time for {f.id}; not written")
    if f.kind == "response" and "therapy" not in ev:
        to_check.append(f"{here}.therapy: the line assessed by {f.id} is not named")
    return ev


def _test(t: Test, here: str, w: _Writer, data: dict[str, Any]) -> dict[str, Any]:
    ev: dict[str, Any] = {"id": t.id, "type": "test", "specimen": t.specimen.found.id}
    w.put(ev, "assay", f"{here}.assay", Fact(t.assay, (t.assay_span,)))
    if t.assay.endswith("-unnamed"):
        assays = data.setdefault("assays", [])
        if not any(a["id"] == t.assay for a in assays):
            assays.append(unnamed_assay(t.method))
    findings: list[dict[str, Any]] = []
    for k, m in enumerate(t.findings):
        findings.append(_finding(m, f"{here}.findings[{k}]", w))
    ev["findings"] = findings
    return ev


def _finding(m: Mention, path: str, w: _Writer) -> dict[str, Any]:
    alt = m.alteration
    value: Any = alt.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    if isinstance(alt, Expression):
        value = {"kind": "expression", "marker": alt.marker, "result": alt.result}
    else:
        value = _written(m)
    out: dict[str, Any] = {"alteration": value}
    w.evidence(f"{path}.alteration", (m.span,))
    if m.status is not None and m.cue is not None:
        w.put(out, "status", f"{path}.status", Fact(m.status, (m.cue,)))
    if m.new is not None:
        w.put(out, "reported_new", f"{path}.reported_new", Fact(m.new.text, (m.new,)))
    return out


def _written(m: Mention) -> str:
    """The canonical text of the alteration when it reads back as the same alteration, else
    the source's own words (which the parser read)."""
    canonical = format_alteration(m.alteration)
    try:
        if parse_alteration(canonical) == m.alteration:
            return canonical
    except ParseError:
        pass
    return _GLUED.sub(r"\1 ", m.span.text)


_GLUED = re.compile(r"^([A-Z][A-Z0-9]{1,9})-(?=[A-Za-z]{0,3}\d)")


def _problems(data: dict[str, Any], name: str) -> list[str]:
    """Why the draft does not validate: ``field: message`` per problem (no file: the draft
    has none yet; the command re-validates the written file for its line numbers)."""
    from tkiresist.io.casefile import parse_case_data

    try:
        parse_case_data(data, name)
    except TkiResistError as exc:
        return [
            " ".join(f"{p.location.field + ': ' if p.location.field else ''}{p.message}".split())
            for p in exc.problems
        ]
    return []


def draft_yaml(draft: Draft) -> str:
    """The draft as a case file (YAML), under a header that says what it is."""
    import yaml

    name = draft.data.get("provenance", {}).get("document", "a text")
    head = (
        f"# DRAFT case drafted by `tkiresist draft-case` from {name}: NOT curated.\n"
        "# Every value has its evidence (verbatim text, character offsets) under\n"
        "# provenance.spans; what the text did not give is under provenance.to_check.\n"
        "# For research use only, not for clinical decisions.\n"
    )
    if draft.problems:
        head += "# It does not validate yet:\n" + "".join(f"#   {p}\n" for p in draft.problems)
    body = yaml.safe_dump(draft.data, sort_keys=False, allow_unicode=True, width=100)
    return head + body
