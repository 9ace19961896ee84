"""The treatment timeline figure (like Figure 5 of the seed paper), drawn from a case.

Three stages, kept apart:

1. :func:`collect` turns the case's events into drawable items (pure, no matplotlib): therapy
   lines as bars, response assessments as badges, and everything else (diagnosis, surgery,
   radiotherapy, clinical and adverse events, specimens with their tests' key findings) as
   labelled *flags*. Each item belongs to a lane: specimens & tests, CNS, extracranial,
   overall & clinical, systemic therapy.
2. :func:`pack_flags` and :func:`pack_rows` place labels so that none overlaps another and no
   leader line crosses a label (pure; the text widths come from a measuring function).
3. :func:`draw_timeline` draws with matplotlib (imported lazily, no pyplot, no global state);
   :func:`write_timeline` saves SVG or PNG by suffix, :func:`timeline_svg` returns inline SVG
   text for the HTML report.

Time runs in months from diagnosis (``Case.months()``).
"""

from __future__ import annotations

import io
import math
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tkiresist.errors import FormatError, Location
from tkiresist.model.alterations import (
    CopyNumber,
    Expression,
    Fusion,
    SequenceVariant,
)
from tkiresist.model.case import Case
from tkiresist.model.findings import Finding
from tkiresist.model.timeline import (
    AdverseEvent,
    AnyEvent,
    ClinicalEvent,
    Diagnosis,
    MolecularTest,
    Radiotherapy,
    ResponseAssessment,
    Specimen,
    Surgery,
    TherapyLine,
    event_time,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Lane = Literal["tests", "cns", "extracranial", "overall", "therapy"]
LANES: tuple[Lane, ...] = ("tests", "cns", "extracranial", "overall", "therapy")
"""Lanes from top to bottom."""
LANE_TITLES: dict[Lane, str] = {
    "tests": "Specimens\n& tests",
    "cns": "CNS",
    "extracranial": "Extracranial",
    "overall": "Overall\n& clinical",
    "therapy": "Systemic\ntherapy",
}
FlagKind = Literal["diagnosis", "surgery", "radiotherapy", "clinical", "specimen", "adverse_event"]
Style = Literal["head", "body", "muted"]

# -- geometry (points) -----------------------------------------------------------------------
FONT = 7.5
LINE_PT = FONT * 1.32  # one y unit
GLYPH_GAP_PT = 5.5  # from the leader line to the start of the text
LABEL_PAD_PT = 4.0  # horizontal clearance between two labels
BADGE_PAD_PT = 3.5
WRAP = 38  # characters per label line
LEFT_IN, RIGHT_IN = 1.0, 0.2
TOP_IN, AXIS_IN, LEGEND_ROW_IN = 0.42, 0.5, 0.17

_BRAIN = re.compile(
    r"\b(brain|cerebr\w*|cerebell\w*|crani\w*|dura\w*|lepto\w*|meninge\w*|spinal cord|cns|"
    r"intracranial|frontal|parietal|temporal|occipital)\b",
    re.IGNORECASE,
)

RESPONSE_COLOURS = {
    "CR": ("#1b7837", "white"),
    "PR": ("#5aae61", "white"),
    "SD": ("#878787", "white"),
    "PD": ("#c0392b", "white"),
    "NE": ("#d9d9d9", "#333333"),
    "non-CR/non-PD": ("#bababa", "#222222"),
}
FLAG_STYLE: dict[FlagKind, tuple[str, str]] = {  # marker, colour
    "diagnosis": ("o", "#222222"),
    "surgery": ("^", "#4d4d4d"),
    "radiotherapy": ("*", "#e08214"),
    "clinical": ("s", "#762a83"),
    "specimen": ("D", "#2166ac"),
    "adverse_event": ("v", "#b2182b"),
}
SPECIMEN_CNS_COLOUR = "#8e44ad"
BAND = "#f5f6f8"
BAR_COLOURS = (  # (fill, edge): light tints of the Okabe-Ito palette, dark text stays readable
    ("#cfe4f5", "#0072b2"),
    ("#fde3c4", "#e69f00"),
    ("#d2efe4", "#009e73"),
    ("#f3d9e7", "#cc79a7"),
    ("#f6f0bf", "#b8a400"),
    ("#dde3ea", "#56708a"),
)


# -- 1. items --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    text: str
    style: Style = "body"


@dataclass(frozen=True)
class Flag:
    """A labelled point event: a leader line from the lane's baseline up to its label."""

    month: float
    lane: Lane
    kind: FlagKind
    lines: tuple[Line, ...]
    approximate: bool = False
    order: int = 0
    colour: str | None = None


@dataclass(frozen=True)
class Badge:
    """A response assessment: a coloured box with its category, on the lane's baseline."""

    month: float
    lane: Lane
    category: str
    approximate: bool = False
    order: int = 0


@dataclass(frozen=True)
class Bar:
    """A therapy line from start to stop (``end is None``: still going at the last event)."""

    start: float
    end: float | None
    lines: tuple[Line, ...]
    regimen: tuple[str, ...]
    order: int = 0


@dataclass(frozen=True)
class Items:
    flags: tuple[Flag, ...]
    badges: tuple[Badge, ...]
    bars: tuple[Bar, ...]
    first: float
    last: float


def short_alteration(finding: Finding) -> str:
    """A compact name for a finding, as a clinician writes it: ``EGFR ex19del``, ``ALK IHC+``,
    ``MET amp (CN 12)``, ``EGFR C797S 4.1%``."""
    alt = finding.alteration
    if isinstance(alt, SequenceVariant):
        if alt.protein is not None:
            out = f"{alt.gene} {alt.protein.short()}"
        elif alt.region_effect is not None:
            abbrev = {
                "deletion": "del",
                "insertion": "ins",
                "duplication": "dup",
                "skipping": " skipping",
                "mutation": " mutation",
            }[alt.region_effect]
            out = f"{alt.gene} ex{alt.exon}{abbrev}"
        else:
            out = f"{alt.gene} {alt.cdna}"
        if finding.vaf is not None and finding.detected:
            out += f" {100 * finding.vaf:.3g}%"
    elif isinstance(alt, Fusion):
        out = alt.name + (f" {alt.variant}" if alt.variant else "")
    elif isinstance(alt, CopyNumber):
        word = {"amplification": "amp", "gain": "gain", "loss": "loss", "deletion": "del"}
        out = f"{alt.gene} {word[alt.change]}"
        if alt.copy_number is not None:
            out += f" (CN {alt.copy_number:g})"
        elif alt.ratio is not None:
            out += f" (ratio {alt.ratio:g})"
    elif isinstance(alt, Expression):
        sign = {"positive": "+", "negative": "−", "equivocal": "±"}[alt.result]
        out = f"{alt.marker} IHC{sign}"
    else:
        out = {
            "small_cell_transformation": "SCLC transformation",
            "large_cell_neuroendocrine_transformation": "LCNEC transformation",
        }.get(alt.histology, alt.name)
    if finding.method:
        out += f" ({finding.method})"
    if finding.status == "equivocal":
        out += " (equivocal)"
    return out


def _negative_name(finding: Finding) -> str:
    alt = finding.alteration
    if isinstance(alt, Expression):
        return f"{alt.marker} IHC"
    f = finding.model_copy(update={"vaf": None, "status": "detected", "method": None})
    return short_alteration(f)


def _is_negative(finding: Finding) -> bool:
    if finding.status == "not_detected":
        return True
    return isinstance(finding.alteration, Expression) and finding.alteration.result == "negative"


def _wrap(text: str, style: Style = "body", width: int = WRAP) -> tuple[Line, ...]:
    parts = textwrap.wrap(" ".join(text.split()), width=width, break_on_hyphens=False) or [""]
    return tuple(Line(p, style) for p in parts)


def _wrap_pieces(
    pieces: Sequence[str], style: Style = "body", width: int = WRAP
) -> tuple[Line, ...]:
    """Join ``pieces`` with spaces, breaking lines only between pieces (so that one finding is
    never split), unless a piece alone is longer than ``width``."""
    lines: list[str] = []
    current = ""
    for piece in pieces:
        joined = f"{current} {piece}" if current else piece
        if len(joined) <= width or not current:
            current = joined
        else:
            lines.append(current)
            current = piece
    if current:
        lines.append(current)
    out: list[Line] = []
    for ln in lines:
        out.extend(_wrap(ln, style, width))
    return tuple(out)


def _site_lane(site_kind: str | None, site: str | None, default: Lane) -> Lane:
    if site_kind == "cns":
        return "cns"
    if site_kind == "extracranial":
        return "extracranial"
    if site_kind == "overall":
        return "overall"
    if site and _BRAIN.search(site):
        return "cns"
    return default


def _approx(event: AnyEvent) -> bool:
    t = event_time(event)
    return bool(t is not None and t.approximate)


def _agent_text(drug: str, dose: str | None, schedule: str | None) -> str:
    return " ".join(p for p in (drug, dose, schedule) if p)


def collect(case: Case, wrap: int = WRAP) -> Items:
    """The drawable items of ``case``'s timeline, in months from diagnosis; label lines are
    wrapped at ``wrap`` characters."""
    months = case.months()
    events = list(case.events)
    flags: list[Flag] = []
    badges: list[Badge] = []
    bars: list[Bar] = []
    tests_by_specimen: dict[str, list[MolecularTest]] = {}
    for e in events:
        if isinstance(e, MolecularTest):
            tests_by_specimen.setdefault(e.specimen, []).append(e)
    times = [m for m in months.values() if math.isfinite(m)]
    first = min([0.0, *times])
    last = max([0.0, *times])

    for order, e in enumerate(events):
        m = months.get(e.id)
        if isinstance(e, Diagnosis):
            text = f"Diagnosis: {e.histology}"
            if e.stage:
                text += f", stage {e.stage}"
            lines = _wrap(text, "head", wrap)
            if e.metastatic_sites:
                lines += _wrap("metastases: " + ", ".join(e.metastatic_sites), "muted", wrap)
            flags.append(Flag(m or 0.0, "overall", "diagnosis", lines, _approx(e), order))
        elif isinstance(e, TherapyLine):
            start = months[e.id]
            end = months.get(f"{e.id}.stop")
            head = f"L{e.line}: " if e.line is not None else ""
            agent_lines = [_agent_text(a.drug, a.dose, a.schedule) for a in e.agents]
            lines = tuple(
                Line(("" if i == 0 else "+ ") + (head if i == 0 else "") + t, "head")
                for i, t in enumerate(agent_lines)
            )
            if end is None and e.stop_reason not in (None, "ongoing"):
                lines += (Line(f"stopped ({e.stop_reason}); date not given", "muted"),)
            regimen = tuple(sorted(a.drug for a in e.agents))
            bars.append(Bar(start, end, lines, regimen, order))
        elif isinstance(e, Surgery):
            assert m is not None
            lines = _wrap(e.procedure, "head", wrap)
            if e.site:
                lines += _wrap(e.site, "muted", wrap)
            lane = _site_lane(e.site_kind, e.site, "extracranial" if e.site else "overall")
            flags.append(Flag(m, lane, "surgery", lines, _approx(e), order))
        elif isinstance(e, Radiotherapy):
            assert m is not None
            lines = (Line(e.label if e.technique else f"RT {e.label}", "head"),)
            lines += _wrap(e.site, "muted", wrap)
            lane = _site_lane(e.site_kind, e.site, "extracranial")
            flags.append(Flag(m, lane, "radiotherapy", lines, _approx(e), order))
        elif isinstance(e, ResponseAssessment):
            assert m is not None
            lane = _site_lane(e.site, None, "overall")
            badges.append(Badge(m, lane, e.category, _approx(e), order))
        elif isinstance(e, ClinicalEvent):
            assert m is not None
            lane = _site_lane(e.site, None, "overall")
            flags.append(
                Flag(m, lane, "clinical", _wrap(e.description, "body", wrap), _approx(e), order)
            )
        elif isinstance(e, AdverseEvent):
            if m is None:
                continue  # an adverse event without a time has no place on the axis
            text = f"{e.term}, grade {e.grade}"
            flags.append(
                Flag(m, "overall", "adverse_event", _wrap(text, "body", wrap), False, order)
            )
        elif isinstance(e, Specimen):
            assert m is not None
            flags.extend(_specimen_flags(e, tests_by_specimen.get(e.id, []), months, order, wrap))
    return Items(tuple(flags), tuple(badges), tuple(bars), first, last)


def _specimen_flags(
    spec: Specimen,
    tests: Sequence[MolecularTest],
    months: dict[str, float],
    order: int,
    wrap: int,
) -> list[Flag]:
    """One flag per specimen and testing time: where it came from, what was found."""
    kind = {
        "tissue": "tissue",
        "plasma": "plasma ctDNA",
        "csf": "CSF",
        "pleural_fluid": "pleural fluid",
        "cytology": "cytology",
        "other": "specimen",
    }[spec.kind]
    head_parts = [spec.procedure.capitalize() if spec.procedure else kind.capitalize()]
    if spec.site:
        head_parts.append(spec.site)
    if spec.procedure and spec.kind != "tissue":
        head_parts.append(kind)
    head = ", ".join(head_parts)
    colour = (
        SPECIMEN_CNS_COLOUR
        if _site_lane(spec.site_kind, spec.site, "extracranial") == ("cns")
        else None
    )
    groups: dict[float, list[MolecularTest]] = {}
    base = months[spec.id]
    for t in tests:
        at = round(months.get(t.id, base), 1)
        groups.setdefault(at, []).append(t)
    if not groups:
        return [
            Flag(base, "tests", "specimen", _wrap(head, "head", wrap), _approx(spec), order, colour)
        ]
    out: list[Flag] = []
    for at, group in sorted(groups.items()):
        positive: list[list[str]] = []
        negative: list[str] = []
        for t in group:
            found = list(t.findings)
            if t.histology is not None:
                found.append(Finding(alteration=t.histology))
            hits = [short_alteration(f) for f in found if not _is_negative(f)]
            if hits:
                positive.append(list(dict.fromkeys(hits)))
            negative.extend(_negative_name(f) for f in found if _is_negative(f))
        lines = _wrap(head if abs(at - base) < 0.05 else f"{head} (tested later)", "head", wrap)
        if positive:
            pieces = [
                tok + (" +" if k < len(hits) - 1 else ";" if j < len(positive) - 1 else "")
                for j, hits in enumerate(positive)
                for k, tok in enumerate(hits)
            ]
            lines += _wrap_pieces(pieces, "body", wrap)
        if negative:
            names = list(dict.fromkeys(negative))
            pieces = [n + ("," if k < len(names) - 1 else "") for k, n in enumerate(names)]
            lines += _wrap_pieces(["neg:", *pieces], "muted", wrap)
        if not positive and not negative:
            lines += (Line("no findings reported", "muted"),)
        out.append(Flag(at, "tests", "specimen", lines, _approx(spec), order, colour))
    return out


# -- 2. packing ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Placed:
    """A flag's label, placed: its rectangle in (months, rows) and which side of its pole."""

    pole: float
    left: float
    right: float
    bottom: float
    top: float
    side: Literal["right", "left"]


def _overlap(a0: float, a1: float, b0: float, b1: float, eps: float = 1e-9) -> bool:
    return a0 < b1 - eps and b0 < a1 - eps


def pack_flags(
    poles: Sequence[float],
    widths: Sequence[float],
    heights: Sequence[float],
    lo: float,
    hi: float,
    gap: float,
    vgap: float = 0.25,
) -> list[Placed]:
    """Place labels hanging off vertical poles (leader lines from the baseline), so that no
    two labels overlap and no pole crosses a label.

    ``widths`` include the gap from the pole to the text. A label goes right of its pole
    unless it would pass ``hi``; then left of it. A label that spans another pole must sit
    above that pole's label, so labels are placed in that order (a topological order; for
    labels on one pole, input order), each as low as it fits. Two labels that span each
    other's pole (one right of its pole, one flipped left) cannot both be above: the right
    one is flipped left too when it fits. Returns one placement per input, in input order."""
    n = len(poles)
    flip = {i for i in range(n) if poles[i] + widths[i] > hi and poles[i] - widths[i] >= lo}
    while True:
        rects = _rects(poles, widths, flip)
        below = [{j for j in range(n) if _spans(rects, poles, gap, i, j)} for i in range(n)]
        order, stuck = _placement_order(poles, below)
        can_flip = [i for i in stuck if i not in flip and poles[i] - widths[i] >= lo]
        mutual = [i for i in can_flip if any(i in below[j] for j in below[i])]
        fixable = mutual or can_flip
        if not fixable:
            break  # no cycle, or one that flipping cannot undo: a pole may cross a label
        flip.add(max(fixable, key=lambda k: poles[k]))

    placed: dict[int, Placed] = {}
    for i in order:
        x, h = poles[i], heights[i]
        left, right, side = rects[i]
        floor = max((placed[j].top + vgap for j in below[i] if j in placed), default=0.0)
        candidates = sorted({floor, *(p.top + vgap for p in placed.values() if p.top >= floor)})
        for y0 in candidates:
            if not any(
                _overlap(left, right + gap, p.left, p.right + gap)
                and _overlap(y0, y0 + h, p.bottom, p.top)
                for p in placed.values()
            ):
                break
        placed[i] = Placed(x, left, right, y0, y0 + h, side)
    return [placed[i] for i in range(n)]


Rect = tuple[float, float, Literal["right", "left"]]


def _rects(poles: Sequence[float], widths: Sequence[float], flip: set[int]) -> list[Rect]:
    out: list[Rect] = []
    for i, (x, w) in enumerate(zip(poles, widths, strict=True)):
        out.append((x - w, x, "left") if i in flip else (x, x + w, "right"))
    return out


def _spans(rects: Sequence[Rect], poles: Sequence[float], gap: float, i: int, j: int) -> bool:
    """Label i spans pole j (so i must sit above j's label)."""
    if i == j:
        return False
    left, right, side = rects[i]
    xj = poles[j]
    if abs(xj - poles[i]) < 1e-9:
        return j < i  # one pole: input order, first lowest
    if side == "right":
        return left < xj < right + gap / 2
    return left - gap / 2 < xj < right


def _placement_order(
    poles: Sequence[float], below: Sequence[set[int]]
) -> tuple[list[int], set[int]]:
    """A topological order of ``below`` (leftmost first among the ready), and the labels that
    were stuck in a cycle the first time one was met (empty when there is none)."""
    n = len(poles)
    order: list[int] = []
    done: set[int] = set()
    stuck: set[int] = set()
    while len(order) < n:
        ready = [i for i in range(n) if i not in done and below[i] <= done]
        if not ready:
            rest = [i for i in range(n) if i not in done]
            if not stuck:
                stuck = set(rest)
            ready = [min(rest, key=lambda k: poles[k])]  # break the cycle leftmost
        i = min(ready, key=lambda k: (poles[k], k))
        order.append(i)
        done.add(i)
    return order, stuck


def pack_rows(intervals: Sequence[tuple[float, float]], gap: float) -> list[int]:
    """First-fit row for each interval so that intervals in one row are ``gap`` apart."""
    ends: list[float] = []
    rows = [0] * len(intervals)
    for i in sorted(range(len(intervals)), key=lambda k: intervals[k][0]):
        a, b = intervals[i]
        for r, end in enumerate(ends):
            if a >= end + gap:
                ends[r] = b
                rows[i] = r
                break
        else:
            ends.append(b)
            rows[i] = len(ends) - 1
    return rows


# -- 3. drawing ------------------------------------------------------------------------------
Measure = Callable[[str, Style], float]


def _measure_points() -> Measure:
    """Text width in points, from the glyph outlines of the font matplotlib will use."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    props = {
        "head": FontProperties(family="DejaVu Sans", size=FONT, weight="bold"),
        "body": FontProperties(family="DejaVu Sans", size=FONT),
        "muted": FontProperties(family="DejaVu Sans", size=FONT),
    }
    cache: dict[tuple[str, Style], float] = {}

    def measure(text: str, style: Style) -> float:
        key = (text, style)
        if key not in cache:
            safe = text.replace("$", r"\$")
            path = TextPath((0, 0), safe, size=FONT, prop=props[style])
            # ink extents plus the advance of a trailing glyph, approximated
            cache[key] = path.get_extents().width + 1.0 if text.strip() else 0.0
        return cache[key]

    return measure


def _tick_step(span: float) -> float:
    for step in (1.0, 2.0, 3.0, 6.0, 12.0, 24.0, 60.0):
        if span / step <= 14:
            return step
    return 120.0


@dataclass
class LaneGeometry:
    """One lane's place (in rows from the axis) and what it holds."""

    lane: Lane
    bottom: float = 0.0
    badge_rows: int = 0
    flag_height: float = 0.0
    bar_rows: list[float] = field(default_factory=list)

    @property
    def badge_height(self) -> float:
        return 1.6 * self.badge_rows + (0.2 if self.badge_rows else 0.0)

    @property
    def flag_base(self) -> float:
        """Where the lane's labels start, above its response badges."""
        return self.bottom + 0.5 + self.badge_height

    @property
    def height(self) -> float:
        if self.lane == "therapy":
            return max(sum(self.bar_rows) + 0.6, 2.0)
        return max(0.5 + self.badge_height + self.flag_height + 0.5, 2.0)


BarLabel = Literal["inside", "above-left", "above-right"]


@dataclass(frozen=True)
class BarGeometry:
    start: float
    end: float  # the drawn end (an open-ended line runs to the figure's end)
    label: BarLabel
    label_width: float
    height: float
    row: int


@dataclass
class Layout:
    """Everything placed, in data units (x: months, y: rows of text), before drawing."""

    items: Items
    width_in: float
    height_in: float
    top_in: float
    bottom_in: float
    xmin: float
    xmax: float
    x_end: float
    mpp: float  # months per point
    total: float  # rows
    lanes: dict[Lane, LaneGeometry]
    badge_rows: dict[int, int]
    badge_widths: dict[int, float]
    flags: dict[int, Placed]
    bars: list[BarGeometry]
    bar_row_heights: list[float]
    legend: list[str]  # legend entries: flag kinds, response categories, "approximate"
    legend_columns: int
    decision_month: float | None
    title: str

    @property
    def aspect(self) -> float:
        """Rows per month at equal lengths on paper (for rounded corners)."""
        return 1.0 / (self.mpp * LINE_PT)

    @property
    def span(self) -> float:
        return self.xmax - self.xmin


def layout(
    case: Case,
    *,
    decision_month: float | None = None,
    title: str | None = None,
    width_in: float = 11.0,
    measure: Measure | None = None,
) -> Layout:
    """Place every item of ``case``'s timeline for a figure ``width_in`` inches wide.

    ``measure`` gives text widths in points (default: the DejaVu Sans outlines matplotlib
    draws with)."""
    measure = measure or _measure_points()
    items = collect(case, WRAP if width_in >= 9.5 else 30)
    span_end = max(items.last, decision_month or 0.0)
    span = max(span_end - items.first, 1.0)
    x_end = span_end + max(1.0, 0.07 * span)  # where open-ended lines stop
    xmin = items.first - max(0.6, 0.025 * span)
    xmax = x_end + max(0.4, 0.015 * span)
    mpp = (xmax - xmin) / ((width_in - LEFT_IN - RIGHT_IN) * 72.0)

    def width_of(lines: Sequence[Line]) -> float:
        return max(measure(ln.text, ln.style) for ln in lines) * mpp

    lanes: dict[Lane, LaneGeometry] = {
        lane: LaneGeometry(lane)
        for lane in LANES
        if lane == "therapy"
        or any(f.lane == lane for f in items.flags)
        or any(b.lane == lane for b in items.badges)
    }

    # response badges: rows per lane, so that none hides another
    badge_rows: dict[int, int] = {}
    badge_widths: dict[int, float] = {}
    for lane, geom in lanes.items():
        idx = [i for i, bd in enumerate(items.badges) if bd.lane == lane]
        for i in idx:
            badge_widths[i] = (measure(items.badges[i].category, "head") + 2 * BADGE_PAD_PT) * mpp
        spans = [
            (
                items.badges[i].month - badge_widths[i] / 2,
                items.badges[i].month + badge_widths[i] / 2,
            )
            for i in idx
        ]
        rows = pack_rows(spans, gap=2.0 * mpp)
        badge_rows.update(zip(idx, rows, strict=True))
        geom.badge_rows = max(rows) + 1 if rows else 0

    # flags: packed per lane; at one time the earlier event goes on top (reads top-down)
    flags: dict[int, Placed] = {}
    for lane, geom in lanes.items():
        idx = [i for i, f in enumerate(items.flags) if f.lane == lane]
        idx.sort(key=lambda i: (items.flags[i].month, -items.flags[i].order))
        placed = pack_flags(
            [items.flags[i].month for i in idx],
            [width_of(items.flags[i].lines) + GLYPH_GAP_PT * mpp for i in idx],
            [float(len(items.flags[i].lines)) for i in idx],
            xmin,
            xmax,
            gap=LABEL_PAD_PT * mpp,
        )
        flags.update(zip(idx, placed, strict=True))
        geom.flag_height = max((p.top for p in placed), default=0.0)

    # therapy bars, in rows. A label that does not fit inside its bar goes above it, from the
    # bar's start, or ending at the bar's end when it would run off the figure.
    shapes: list[tuple[float, float, BarLabel, float, float]] = []
    bar_spans: list[tuple[float, float]] = []
    for bar in items.bars:
        end = bar.end if bar.end is not None else x_end
        w = width_of(bar.lines) + 2 * BADGE_PAD_PT * mpp
        if w <= end - bar.start:
            shapes.append((bar.start, end, "inside", w, len(bar.lines) + 0.6))
            bar_spans.append((bar.start, end))
        elif bar.start + w <= xmax:
            shapes.append((bar.start, end, "above-left", w, 1.0))
            bar_spans.append((bar.start, max(end, bar.start + w)))
        else:
            shapes.append((bar.start, end, "above-right", w, 1.0))
            bar_spans.append((min(bar.start, end - w), end))
    bar_rows = pack_rows(bar_spans, gap=0.0)
    bars = [BarGeometry(*shape, row=r) for shape, r in zip(shapes, bar_rows, strict=True)]
    row_heights = [0.0] * (max(bar_rows) + 1 if bar_rows else 0)
    for bar, g in zip(items.bars, bars, strict=True):
        label_h = 0.0 if g.label == "inside" else len(bar.lines) + 0.2
        row_heights[g.row] = max(row_heights[g.row], g.height + label_h + 0.4)
    lanes["therapy"].bar_rows = row_heights

    # lanes bottom-up: therapy nearest the axis
    total = 0.0
    for lane in reversed(LANES):
        if lane in lanes:
            lanes[lane].bottom = total
            total += lanes[lane].height

    legend: list[str] = [k for k in FLAG_STYLE if any(f.kind == k for f in items.flags)]
    legend += [c for c in RESPONSE_COLOURS if any(b.category == c for b in items.badges)]
    if any(f.approximate for f in items.flags) or any(b.approximate for b in items.badges):
        legend.append("approximate")
    columns = min(len(legend), 6 if width_in >= 9.5 else 4) or 1
    bottom_in = AXIS_IN + LEGEND_ROW_IN * math.ceil(len(legend) / columns) + 0.08
    if title is None:
        title = f"{case.pseudonym}: treatment timeline"
    top_in = TOP_IN if title else 0.2  # without a title, room for the decision-point label
    return Layout(
        items=items,
        width_in=width_in,
        height_in=top_in + bottom_in + total * LINE_PT / 72.0,
        top_in=top_in,
        bottom_in=bottom_in,
        xmin=xmin,
        xmax=xmax,
        x_end=x_end,
        mpp=mpp,
        total=total,
        lanes=lanes,
        badge_rows=badge_rows,
        badge_widths=badge_widths,
        flags=flags,
        bars=bars,
        bar_row_heights=row_heights,
        legend=legend,
        legend_columns=columns,
        decision_month=decision_month,
        title=title,
    )


def draw_timeline(
    case: Case,
    *,
    decision_month: float | None = None,
    title: str | None = None,
    width_in: float = 11.0,
) -> Figure:
    """Draw ``case``'s treatment timeline; return the matplotlib Figure (not shown, not saved).

    ``decision_month`` draws a dashed line at the decision point; ``title`` defaults to the
    case's pseudonym (``""`` for none)."""
    from matplotlib.figure import Figure

    lay = layout(case, decision_month=decision_month, title=title, width_in=width_in)
    fig = Figure(figsize=(lay.width_in, lay.height_in))
    plot_h = lay.total * LINE_PT / 72.0
    ax = fig.add_axes(
        (
            LEFT_IN / lay.width_in,
            lay.bottom_in / lay.height_in,
            (lay.width_in - LEFT_IN - RIGHT_IN) / lay.width_in,
            plot_h / lay.height_in,
        )
    )
    band = _draw_frame(ax, lay)
    _draw_bars(ax, lay, band["therapy"])
    _draw_badges(ax, lay)
    _draw_flags(ax, lay, band)
    _draw_decision(ax, lay)
    _draw_legend(fig, lay)
    if lay.title:
        fig.text(
            LEFT_IN / lay.width_in,
            1 - 0.12 / lay.height_in,
            lay.title,
            ha="left",
            va="top",
            fontsize=FONT + 2.5,
            fontweight="bold",
            parse_math=False,
        )
    return fig


def _draw_frame(ax: Axes, lay: Layout) -> dict[Lane, str]:
    """Axis, month grid, lane bands and titles; returns each lane's background colour."""
    from matplotlib.patches import Rectangle

    ax.set_xlim(lay.xmin, lay.xmax)
    ax.set_ylim(0, lay.total)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    step = _tick_step(lay.x_end - lay.items.first)
    ticks = [step * k for k in range(math.ceil(lay.xmin / step), math.floor(lay.xmax / step) + 1)]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks], fontsize=FONT)
    ax.set_xlabel("Months from diagnosis", fontsize=FONT + 0.5)
    for t in ticks:
        ax.axvline(t, color="#e6e6e6", lw=0.6, zorder=0)
    band: dict[Lane, str] = {}
    for k, geom in enumerate(sorted(lay.lanes.values(), key=lambda g: g.bottom)):
        band[geom.lane] = BAND if k % 2 == 0 else "white"
        if k % 2 == 0:
            ax.add_patch(
                Rectangle(
                    (lay.xmin, geom.bottom),
                    lay.span,
                    geom.height,
                    facecolor=BAND,
                    edgecolor="none",
                    zorder=-1,
                )
            )
        ax.axhline(geom.bottom, color="#c8c8c8", lw=0.6, zorder=0.5)
        ax.text(
            -0.012,
            (geom.bottom + geom.height / 2) / lay.total,
            LANE_TITLES[geom.lane],
            transform=ax.transAxes,
            ha="right",
            va="center",
            fontsize=FONT + 0.5,
            fontweight="bold",
            color="#333333",
            parse_math=False,
            linespacing=1.1,
        )
    return band


def _backing(ax: Axes, left: float, right: float, bottom: float, top: float, colour: str) -> None:
    """A box of the lane's colour behind a label, so that grid and decision lines pass behind
    the text (no leader line crosses a label, by the packing)."""
    from matplotlib.patches import Rectangle

    ax.add_patch(
        Rectangle(
            (left, bottom), right - left, top - bottom, facecolor=colour, edgecolor="none", zorder=5
        )
    )


def _draw_bars(ax: Axes, lay: Layout, background: str) -> None:
    from matplotlib.patches import FancyBboxPatch

    therapy = lay.lanes["therapy"]
    row_base = [
        therapy.bottom + 0.4 + sum(lay.bar_row_heights[:r]) for r in range(len(lay.bar_row_heights))
    ]
    colours: dict[tuple[str, ...], tuple[str, str]] = {}
    pad = BADGE_PAD_PT * lay.mpp
    for bar, g in zip(lay.items.bars, lay.bars, strict=True):
        fill, edge = colours.setdefault(bar.regimen, BAR_COLOURS[len(colours) % len(BAR_COLOURS)])
        y0 = row_base[g.row]
        ax.add_patch(
            FancyBboxPatch(
                (g.start, y0),
                g.end - g.start,
                g.height,
                boxstyle=f"round,pad=0,rounding_size={2.5 * lay.mpp}",
                facecolor=fill,
                edgecolor=edge,
                lw=0.9,
                zorder=2,
                mutation_aspect=lay.aspect,
            )
        )
        if bar.end is None:  # open-ended: an arrow at the end
            ax.annotate(
                "",
                xy=(g.end + 0.9 * (lay.xmax - lay.x_end), y0 + g.height / 2),
                xytext=(g.end, y0 + g.height / 2),
                arrowprops={"arrowstyle": "-|>", "color": edge, "lw": 1.2},
                zorder=2,
            )
        if g.label == "inside":
            _draw_lines(ax, g.start + pad, y0 + g.height - 0.8, bar.lines, "left")
            continue
        text_w = g.label_width - 2 * pad
        left = g.start + pad if g.label == "above-left" else g.end - pad - text_w
        top = y0 + g.height + 0.15 + len(bar.lines)
        _backing(ax, left - lay.mpp, left + text_w + lay.mpp, top - len(bar.lines), top, background)
        _draw_lines(ax, left, top - 0.5, bar.lines, "left")


def _draw_badges(ax: Axes, lay: Layout) -> None:
    from matplotlib.patches import FancyBboxPatch

    for i, bd in enumerate(lay.items.badges):
        w = lay.badge_widths[i]
        yb = lay.lanes[bd.lane].bottom + 0.5 + 1.6 * lay.badge_rows[i]
        face, ink = RESPONSE_COLOURS.get(bd.category, ("#999999", "white"))
        ax.add_patch(
            FancyBboxPatch(
                (bd.month - w / 2, yb),
                w,
                1.25,
                boxstyle=f"round,pad=0,rounding_size={3.5 * lay.mpp}",
                facecolor=face,
                edgecolor="#333333" if bd.approximate else face,
                lw=0.8,
                ls="--" if bd.approximate else "-",
                zorder=4,
                mutation_aspect=lay.aspect,
            )
        )
        ax.text(
            bd.month,
            yb + 0.62,
            bd.category,
            ha="center",
            va="center",
            fontsize=FONT,
            fontweight="bold",
            color=ink,
            zorder=5,
            parse_math=False,
        )


def _draw_flags(ax: Axes, lay: Layout, band: dict[Lane, str]) -> None:
    gap = GLYPH_GAP_PT * lay.mpp
    for i, f in enumerate(lay.items.flags):
        geom = lay.lanes[f.lane]
        p = lay.flags[i]
        base = geom.flag_base
        marker, colour = FLAG_STYLE[f.kind]
        colour = f.colour or colour
        y_first = base + p.top - 0.5  # the centre of the label's first line
        ax.plot(
            [f.month, f.month],
            [geom.bottom + 0.15, y_first],
            color=colour,
            lw=0.7,
            ls=(0, (2, 1.5)) if f.approximate else "-",
            zorder=3,
            alpha=0.8,
        )
        ax.plot(
            [f.month],
            [y_first],
            marker=marker,
            color=colour,
            ms=6.5 if marker == "*" else 4.5,
            zorder=6,
            markeredgecolor="white",
            markeredgewidth=0.4,
        )
        if p.side == "right":
            text_left, text_right = f.month + gap, p.right
        else:
            text_left, text_right = p.left, f.month - gap
        _backing(
            ax,
            text_left - lay.mpp,
            text_right + lay.mpp,
            base + p.bottom,
            base + p.top,
            band[f.lane],
        )
        if p.side == "right":
            _draw_lines(ax, text_left, y_first, f.lines, "left")
        else:
            _draw_lines(ax, text_right, y_first, f.lines, "right")


def _draw_decision(ax: Axes, lay: Layout) -> None:
    m = lay.decision_month
    if m is None:
        return
    ax.axvline(m, color="#c0392b", lw=0.9, ls=(0, (4, 2)), zorder=1)
    on_right = m < lay.xmin + 0.7 * lay.span  # the label to the right of the line
    ax.text(
        m,
        lay.total,
        f" decision point (month {round(m, 1):g}) ",
        ha="left" if on_right else "right",
        va="bottom",
        fontsize=FONT,
        color="#c0392b",
        parse_math=False,
        clip_on=False,
    )


LEGEND_NAMES: dict[str, str] = {
    "diagnosis": "diagnosis",
    "surgery": "surgery",
    "radiotherapy": "radiotherapy (dose/fractions)",
    "clinical": "clinical event",
    "specimen": "specimen & tests",
    "adverse_event": "adverse event",
    "approximate": "approximate time",
}


def _draw_legend(fig: Figure, lay: Layout) -> None:
    from matplotlib.artist import Artist
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Artist] = []
    for entry in lay.legend:
        if entry in FLAG_STYLE:
            marker, colour = FLAG_STYLE[entry]
            handles.append(
                Line2D([], [], marker=marker, color=colour, ls="", label=LEGEND_NAMES[entry], ms=5)
            )
        elif entry in RESPONSE_COLOURS:
            handles.append(Patch(facecolor=RESPONSE_COLOURS[entry][0], label=f"{entry} response"))
        else:
            handles.append(
                Line2D([], [], color="#555555", ls="--", lw=0.8, label=LEGEND_NAMES[entry])
            )
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=lay.legend_columns,
        fontsize=FONT,
        frameon=False,
        bbox_to_anchor=(0.5 + (LEFT_IN - RIGHT_IN) / (2 * lay.width_in), 0.0),
        handlelength=1.4,
        columnspacing=1.2,
    )


def _draw_lines(ax: Axes, x: float, y_first: float, lines: Sequence[Line], ha: str) -> None:
    """Draw label lines, the first centred on ``y_first``, each next one a row lower."""
    colours = {"head": "#111111", "body": "#222222", "muted": "#666666"}
    for k, ln in enumerate(lines):
        ax.text(
            x,
            y_first - k,
            ln.text,
            ha=ha,
            va="center",
            fontsize=FONT,
            fontweight="bold" if ln.style == "head" else "normal",
            color=colours[ln.style],
            zorder=7,
            parse_math=False,
        )


FONT_STACK = "font-family: 'DejaVu Sans', 'Bitstream Vera Sans', Verdana, sans-serif"
"""Fallbacks for viewers without DejaVu: as wide or narrower, so that labels never collide."""
_RC: dict[str, Any] = {
    "svg.fonttype": "none",  # keep text as text: searchable, selectable, smaller
    "svg.hashsalt": "tkiresist",  # stable ids, so the same case gives the same SVG
    "font.family": ["DejaVu Sans"],
}


def _save(
    case: Case,
    fmt: Literal["svg", "png"],
    decision_month: float | None,
    title: str | None,
    dpi: int,
    width_in: float,
) -> bytes:
    from matplotlib import rc_context

    with rc_context(_RC):  # type: ignore[arg-type]  # keys are valid rcParams
        fig = draw_timeline(case, decision_month=decision_month, title=title, width_in=width_in)
        buf = io.BytesIO()
        metadata: dict[str, str | None] = (
            {"Date": None, "Creator": "tkiresist"} if fmt == "svg" else {"Software": "tkiresist"}
        )
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=metadata)
    data = buf.getvalue()
    if fmt == "svg":
        data = data.replace(b"font-family: 'DejaVu Sans'", FONT_STACK.encode("ascii"))
    return data


def timeline_bytes(
    case: Case,
    fmt: Literal["svg", "png"],
    *,
    decision_month: float | None = None,
    title: str | None = None,
    dpi: int = 150,
    width_in: float = 11.0,
) -> bytes:
    """The timeline figure as SVG or PNG bytes."""
    return _save(case, fmt, decision_month, title, dpi, width_in)


def write_timeline(
    case: Case,
    path: str | Path,
    *,
    decision_month: float | None = None,
    title: str | None = None,
    dpi: int = 150,
    width_in: float = 11.0,
) -> Path:
    """Write the timeline to ``path``: SVG or PNG by its suffix. Raises FormatError for any
    other suffix."""
    p = Path(path)
    fmt = p.suffix.lower().lstrip(".")
    if fmt not in ("svg", "png"):
        raise FormatError(
            f"cannot write a timeline as {p.suffix or 'a file without a suffix'!r}: "
            "expected a .svg or .png file name",
            Location(file=str(p)),
        )
    data = _save(case, "svg" if fmt == "svg" else "png", decision_month, title, dpi, width_in)
    p.write_bytes(data)
    return p


def timeline_svg(
    case: Case,
    *,
    decision_month: float | None = None,
    title: str | None = "",
    width_in: float = 7.4,
) -> str:
    """The timeline as an inline ``<svg>`` element for HTML: no XML prolog, no metadata, no
    fixed size (it scales to its container). The default width fits an A4 page at 1:1, so
    the labels print at their design size."""
    text = _save(case, "svg", decision_month, title, 150, width_in).decode("utf-8")
    start = text.index("<svg")
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", text[start:], count=1, flags=re.DOTALL)
    # drop the fixed width/height (points) but keep the viewBox, so it scales to the page
    head_end = svg.index(">")
    head = re.sub(r'\s(width|height)="[^"]*"', "", svg[:head_end])
    head += ' width="100%" role="img" aria-label="Treatment timeline"'
    return head + svg[head_end:]
