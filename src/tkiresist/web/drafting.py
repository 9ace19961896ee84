"""The curation assistant on the web (#16): draft a case from a pasted case report, show each
value at its span in the text, and save the curator's corrected draft to the registry.

* :func:`draft_view` runs :func:`tkiresist.curate.draft_case` on the text and returns what the
  page and the API show: the draft (data and YAML), its spans, what is left to check, why it
  does not validate yet, and the text cut into :class:`Segment` values for highlighting.
  Segments are plain text plus the spans covering them: the page escapes every segment, so no
  pasted text is ever markup.
* :func:`save_draft` reads the curator's YAML with the case-file reader (guarded YAML, the
  same path as an uploaded case file), records the source (the case's ``source``, or the DOI
  or PMID the curator gives) and stores it as a local **draft** record, created by the curator,
  with a history reason naming the document and its source.

Line breaks are normalised to LF before drafting (browsers send CRLF): the offsets count each
line break as one character, and the document's SHA-256 is of that text.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from tkiresist.errors import CaseValidationError, Location, ParseError, Problem
from tkiresist.web import actions
from tkiresist.web.errors import Unprocessable

if TYPE_CHECKING:
    from tkiresist.registry.record import CaseRecord
    from tkiresist.web.context import Context
    from tkiresist.web.store import SessionInfo

MAX_TEXT_CHARS = 200_000
"""The longest text drafted (about 30,000 words): a whole article is under it."""
DEFAULT_NAME = "case-report.txt"


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of the text and the evidence spans (their numbers) covering it."""

    text: str
    spans: tuple[int, ...] = ()
    first: int | None = None
    """The span that starts here (the anchor the evidence table links to), if any."""


def normalized_text(text: str) -> str:
    """The text as drafted: LF line breaks (a browser sends CRLF)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _checked_text(text: str) -> str:
    text = normalized_text(text)
    if not text.strip():
        raise Unprocessable(
            "paste a case report's text to draft a case from", Location(field="text")
        )
    if len(text) > MAX_TEXT_CHARS:
        raise Unprocessable(
            f"the text has {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,} "
            "(paste the case presentation, or the article without its references)",
            Location(field="text"),
        )
    if "\x00" in text:
        raise Unprocessable("the text holds a NUL character", Location(field="text"))
    return text


def valid_spans(text: str, spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The spans whose offsets hold their verbatim text in ``text``, numbered from 1;
    ``anchor``: the number of the first span starting at the same offset (the page's anchor)."""
    out: list[dict[str, Any]] = []
    anchors: dict[int, int] = {}
    for sp in spans:
        start, end = sp.get("start"), sp.get("end")
        if not isinstance(start, int) or not isinstance(end, int):
            continue
        if 0 <= start < end <= len(text) and text[start:end] == sp.get("text"):
            n = len(out) + 1
            out.append({**sp, "n": n, "anchor": anchors.setdefault(start, n)})
    return out


def segments(text: str, spans: list[dict[str, Any]]) -> list[Segment]:
    """``text`` cut at every span boundary; each piece with the spans (numbers) covering it.
    Overlapping spans are fine: a piece lists all of them."""
    cuts = {0, len(text)}
    for sp in spans:
        cuts.update((sp["start"], sp["end"]))
    bounds = sorted(cuts)
    starts: dict[int, int] = {}
    for sp in spans:
        starts.setdefault(sp["start"], sp["n"])
    out: list[Segment] = []
    for a, b in pairwise(bounds):
        covering = tuple(sp["n"] for sp in spans if sp["start"] <= a and b <= sp["end"])
        first = starts.get(a) if covering else None
        if out and not covering and not out[-1].spans:
            out[-1] = Segment(out[-1].text + text[a:b])
            continue
        out.append(Segment(text[a:b], covering, first))
    return out


def draft_view(text: str, name: str | None = None) -> dict[str, Any]:
    """Draft a case from ``text``: the draft and everything the page and the API show."""
    from tkiresist.curate import draft_case, draft_yaml

    text = _checked_text(text)
    document = actions.upload_name(name or DEFAULT_NAME)
    draft = draft_case(text, document)
    spans = valid_spans(text, draft.spans)
    source = draft.data.get("source", {})
    return {
        "document": document,
        "text": text,
        "case": draft.data,
        "yaml": draft_yaml(draft),
        "spans": spans,
        "to_check": draft.to_check,
        "problems": draft.problems,
        "validates": not draft.problems,
        "source": source.get("doi") or source.get("pmid") or "",
        "segments": segments(text, spans),
    }


def draft_json(view: dict[str, Any]) -> dict[str, Any]:
    """The API's answer: the draft with its spans (no segments: a client has the offsets)."""
    keys = ("document", "case", "yaml", "spans", "to_check", "problems", "validates", "source")
    return {k: view[k] for k in keys}


def _with_source(data: dict[str, Any], source: str) -> dict[str, Any]:
    """The case data with the publication ``source`` (a DOI or PMID) in its ``source``;
    refused when the case names another publication, or when there is no source at all."""
    from tkiresist.registry.record import SourceRef

    held_source: dict[str, Any] = dict(data.get("source") or {})
    source = source.strip()
    if not source:
        if not held_source:
            raise Unprocessable(
                "no source: give the publication's DOI or PMID (the text's DOI was not found)",
                Location(field="source"),
            )
        return data
    try:
        ref = SourceRef.parse(source)
    except ParseError:
        ref = None
    if ref is None or ref.kind == "local":
        raise Unprocessable(
            f"not a DOI or PMID: {source!r} (e.g. 10.7759/cureus.92202 or PMID 31564718)",
            Location(field="source"),
        )
    key = "doi" if ref.kind == "doi" else "pmid"
    held = held_source.get(key)
    if held is not None and str(held).casefold() != ref.id.casefold():
        raise Unprocessable(
            f"the source field says {key} {ref.id} but the case's source says {key} {held}: "
            "make them agree",
            Location(field="source"),
        )
    return {**data, "source": {**held_source, key: held or ref.id}}


def save_draft(
    ctx: Context,
    info: SessionInfo,
    yaml_text: str,
    *,
    source: str,
    document: str | None = None,
    remote: str | None = None,
) -> CaseRecord:
    """Validate the curator's draft (YAML, read as an uploaded case file is) and store it as a
    local draft record with its source; the history names the curator, the document and the
    source."""
    from tkiresist.io.casefile import case_to_data, parse_case_data, parse_case_text

    name = actions.upload_name(document or DEFAULT_NAME)
    yaml_text = normalized_text(yaml_text)
    if not yaml_text.strip():
        raise CaseValidationError(
            [Problem("the draft is empty: draft a case from a text first", Location(field="case"))]
        )
    case = parse_case_text(yaml_text, "draft.yaml")
    case = parse_case_data(_with_source(case_to_data(case), source), "draft.yaml")
    assert case.source is not None
    cited = ", ".join(
        f"{k} {v}" for k in ("doi", "pmid") if (v := getattr(case.source, k, None)) is not None
    )
    reason = f"drafted by the curation assistant from {name}; source {cited or 'as cited'}"
    return actions.create_case(ctx, info, case, remote, reason=reason)
