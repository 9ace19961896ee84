"""The one-page HTML report of an interpretation: self-contained, printable, escaped.

Self-contained means nothing is fetched when the page is viewed: the CSS is inline, the
timeline figure is inline SVG (or a PNG data URI), and no script is used. Links to the cited
publications (https://doi.org/…, https://pubmed.ncbi.nlm.nih.gov/…) are ordinary anchors.

Every value from the case or the knowledge base is escaped (Jinja2 autoescape); the only
markup inserted as-is is the SVG that matplotlib wrote (which escapes its own text).

Identifiers: the report shows the case's pseudonym, never a name; times are months from
diagnosis, never dates; an age above 89 is shown as "90 or older" (HIPAA Safe Harbor).

Jinja2 and matplotlib are imported when a report is rendered, not when this module is.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tkiresist import __version__
from tkiresist.model.case import Case
from tkiresist.model.citation import KnowledgeCitation
from tkiresist.model.interpretation import (
    AlterationStatus,
    Interpretation,
    Option,
    TestEvidence,
)
from tkiresist.model.timeline import Specimen

if TYPE_CHECKING:
    import jinja2

FigureFormat = Literal["svg", "png"]

STATUS_LABEL = {
    "acquired": "acquired",
    "baseline": "present at diagnosis",
    "persistent": "persistent",
    "lost": "lost",
    "not_assessable": "not assessable",
    "not_detected": "not detected",
}
RESULT_LABEL = {
    "detected": "detected",
    "not_detected": "not detected",
    "not_detected_implicit": "not reported (covered)",
    "equivocal": "equivocal",
}
CLASS_LABEL = {
    "on_target": "on-target",
    "off_target": "off-target (bypass)",
    "histologic": "histologic transformation",
}
TEST_KIND_LABEL = {
    "orthogonal_confirmation": "Orthogonal confirmation",
    "rebiopsy_histology": "Re-biopsy for histology",
    "cis_trans_phasing": "Cis/trans phasing",
    "repeat_testing": "Repeat testing",
    "rebiopsy": "Re-biopsy",
}
LEVELS = {
    "A": "validated association (guideline or label)",
    "B": "clinical trial evidence",
    "C": "case study or case series",
    "D": "preclinical",
    "E": "inferential",
}
ROLE_LABEL = {"continue": "continue", "add": "add", "start": "start"}


@dataclass(frozen=True)
class AssayColumn:
    """One molecular test, as a column of the findings table."""

    id: str
    month: float
    assay_id: str
    assay_name: str
    specimen: str
    phase: str


@dataclass(frozen=True)
class Link:
    text: str
    href: str


def citation_links(c: KnowledgeCitation) -> list[Link]:
    """The citation's links: its DOI (https://doi.org/…) and its PubMed record, as known."""
    out: list[Link] = []
    if c.doi_url:
        out.append(Link(f"doi:{c.doi}", c.doi_url))
    if c.pubmed_url:
        out.append(Link(f"PMID {c.pmid}", c.pubmed_url))
    if not out and c.url.startswith("https://"):
        out.append(Link(c.url, c.url))
    return out


def citation_label(c: KnowledgeCitation) -> str:
    label = f"{c.first_author} {c.year}"
    if c.trial:
        label += f" ({c.trial})"
    if c.journal:
        label += f", {c.journal}"
    if c.uncertain:
        label += " (citation not fully verified)"
    return label


def _age(case: Case) -> str | None:
    age = case.patient.age_at_diagnosis
    if age is None:
        return None
    return "90 or older" if age > 89 else f"{age} years"


def _specimen_label(case: Case, specimen_id: str, kind: str) -> str:
    try:
        spec = case.event(specimen_id)
    except KeyError:
        return f"{specimen_id} ({kind})"
    if isinstance(spec, Specimen):
        where = spec.site or spec.kind
        return f"{where} ({spec.kind.replace('_', ' ')})"
    return specimen_id


def columns_for(case: Case, result: Interpretation) -> list[AssayColumn]:
    """Every test that has a word on some alteration, ordered by time then id."""
    seen: dict[str, AssayColumn] = {}
    for alt in result.alterations:
        for ev in alt.evidence:
            if ev.test in seen:
                continue
            assay = case.assay(ev.assay)
            seen[ev.test] = AssayColumn(
                id=ev.test,
                month=ev.month,
                assay_id=ev.assay,
                assay_name=assay.name if assay is not None else ev.assay,
                specimen=_specimen_label(case, ev.specimen, ev.specimen_kind),
                phase=ev.phase,
            )
    return sorted(seen.values(), key=lambda t: (t.month, t.id))


def evidence_by_test(alt: AlterationStatus) -> dict[str, TestEvidence]:
    return {ev.test: ev for ev in alt.evidence}


@dataclass(frozen=True)
class BottomLineItem:
    """One line of the bottom line: a name in bold and what follows it."""

    name: str
    detail: str


@dataclass(frozen=True)
class BottomLine:
    """The answer first: what a tumour board reads before the timeline and the details.

    The decision point and the line in effect, the mechanism(s), the first option with its
    evidence level, CNS activity and pooled registry number, the other options' count, the
    regimens to avoid, and the tests still needed. The HTML/PDF report and the web case page
    both show it at the top (:func:`bottom_line` builds it; the templates only lay it out).
    """

    decision: str
    line_in_effect: str
    cns: str
    mechanisms: tuple[BottomLineItem, ...]
    first: Option | None
    first_level: str
    first_cns: str
    first_pooled: str | None
    more_options: int
    avoid: tuple[str, ...]
    tests: tuple[BottomLineItem, ...]
    tests_done: int


def bottom_line(result: Interpretation) -> BottomLine:
    """The bottom line of ``result`` (see :class:`BottomLine`)."""
    dp = result.decision_point
    if dp.therapy is not None:
        t = dp.therapy
        line_in_effect = " + ".join(t.drugs) or "a therapy line"
        if t.line:
            line_in_effect += f" (line {t.line})"
        line_in_effect += f", from month {_months(t.start_month)}"
    else:
        line_in_effect = "none on the timeline"
    if dp.cns_progression:
        cns = "progression in the CNS"
    elif dp.cns_disease:
        cns = "CNS disease on the timeline"
    else:
        cns = "no CNS disease recorded"
    mechanisms = tuple(
        BottomLineItem(
            m.label,
            f"{CLASS_LABEL.get(m.class_, m.class_)}, evidence level {m.evidence_level}, "
            + ("acquired" if m.acquired else "not shown to be acquired")
            + f" (from {', '.join(m.alterations)})",
        )
        for m in result.mechanisms
    )
    first = result.options[0] if result.options else None
    first_level = first_cns = ""
    first_pooled = None
    if first is not None:
        meaning = LEVELS.get(first.evidence_level)
        first_level = f"evidence level {first.evidence_level}" + (f": {meaning}" if meaning else "")
        first_level += f"; AMP tier {first.amp_tier}"
        first_cns = "CNS-active" if first.cns_active else "CNS activity not documented"
        if first.cns_detail:
            first_cns += f" ({first.cns_detail})"
        first_pooled = str(first.pooled) if first.pooled is not None else None
    tests = tuple(
        BottomLineItem(
            TEST_KIND_LABEL.get(t.kind, t.kind),
            t.reason + (f" ({', '.join(t.alterations)})" if t.alterations else ""),
        )
        for t in result.recommended_tests
        if t.status == "needed"
    )
    return BottomLine(
        decision=dp.description,
        line_in_effect=line_in_effect,
        cns=cns,
        mechanisms=mechanisms,
        first=first,
        first_level=first_level,
        first_cns=first_cns,
        first_pooled=first_pooled,
        more_options=max(0, len(result.options) - 1),
        avoid=tuple(" + ".join(a.drugs) for a in result.avoid),
        tests=tests,
        tests_done=sum(1 for t in result.recommended_tests if t.status != "needed"),
    )


def _figure(case: Case, result: Interpretation, figure: FigureFormat) -> tuple[str, str]:
    """(svg markup, png data URI): one of them filled."""
    from tkiresist.report.timeline_figure import timeline_bytes, timeline_svg

    month = result.decision_point.month
    if figure == "svg":
        return timeline_svg(case, decision_month=month), ""
    png = timeline_bytes(case, "png", decision_month=month, title="", dpi=200, width_in=7.4)
    return "", "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _pct(value: float | None) -> str:
    if value is None:
        return ""
    return f"{100 * value:.1f}%"


@cache
def _environment() -> jinja2.Environment:
    """The template environment: autoescape on, undefined names are errors."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tkiresist.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = _pct
    env.filters["months"] = _months
    return env


def _months(m: float) -> str:
    return f"{m:.1f}".rstrip("0").rstrip(".")


def render_html(
    case: Case,
    result: Interpretation,
    *,
    generated: dt.date | None = None,
    figure: FigureFormat = "svg",
) -> str:
    """The report as one self-contained HTML document.

    ``figure`` picks how the timeline is embedded: inline SVG (default; sharp, searchable) or
    a PNG data URI. ``generated`` is the date printed as the report's date (default: today)."""
    from markupsafe import Markup

    columns = columns_for(case, result)
    svg, png_uri = _figure(case, result, figure)
    trace = sorted(result.trace, key=lambda t: (not t.fired, t.statement))
    template = _environment().get_template("report.html.j2")
    return template.render(
        case=case,
        r=result,
        bl=bottom_line(result),
        dp=result.decision_point,
        kb=result.knowledge_base,
        age=_age(case),
        columns=columns,
        evidence_by_test=evidence_by_test,
        figure_svg=Markup(svg),
        figure_png=png_uri,
        trace=trace,
        fired=sum(1 for t in result.trace if t.fired),
        citation_links=citation_links,
        citation_label=citation_label,
        STATUS_LABEL=STATUS_LABEL,
        RESULT_LABEL=RESULT_LABEL,
        CLASS_LABEL=CLASS_LABEL,
        TEST_KIND_LABEL=TEST_KIND_LABEL,
        LEVELS=LEVELS,
        ROLE_LABEL=ROLE_LABEL,
        version=__version__,
        generated=(generated or dt.date.today()).isoformat(),
    )


def write_html(
    case: Case,
    result: Interpretation,
    path: str | Path,
    *,
    generated: dt.date | None = None,
    figure: FigureFormat = "svg",
) -> Path:
    """Write the HTML report to ``path`` (UTF-8)."""
    p = Path(path)
    p.write_text(render_html(case, result, generated=generated, figure=figure), encoding="utf-8")
    return p
