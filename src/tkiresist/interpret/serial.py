"""Step 1 and 2 of the engine: the decision point, and each alteration's status over time.

Decision point
    By default the latest progression (a response assessment with category PD). The therapy
    line in effect is the one the assessment names, else the line that had started before the
    decision point and had not stopped before it (the latest such).

Which tests are earlier and which current (:func:`phases_of_tests`)
    Tests up to the decision point are split into *earlier* (before the line in effect began:
    its baseline) and *current* (during the line, up to the decision point). With no line in
    effect, the latest tests are current and the others earlier. Times in case reports are
    often partial, so three rules place a test that falls together with a line's start or the
    decision point:

    * a test at the time the line starts counts as **before** it (the baseline that led to the
      line), and so does a test in the same month (or year) as the start when either of the
      two dates has no day (``2023-05`` against ``2023-05-14``, or both ``2023-05``): a biopsy
      "in May 2023" with osimertinib "from May 2023" is the T790M biopsy that led to
      osimertinib, not a test on it. The case says otherwise by giving both days
      (``2023-05-20`` after ``2023-05-14``) or by timing the test after the line
      (``2 weeks after osi``);
    * a test at the decision point itself counts as **current**, even when the line started at
      the same time (a source that gives no intervals); and a test in the decision point's
      month (or year) when either date has no day counts as up to it;
    * a time written ``0 days after X`` takes X's date for these comparisons.

    A test dated **after** the decision point still belongs to it when the point is a
    progression (or the diagnosis) and the test falls in its window (:func:`_window`): a
    re-biopsy days or weeks after the scan that showed progression, before the next line
    starts, is that progression's test (case reports routinely biopsy after the scan), and the
    diagnostic work-up dated after the diagnosis and before the first line is the diagnosis's.
    The window ends when the next line starts (a test then, or in that month when a date has no
    day, is the baseline that led to it: this decision), before a later progression (its own
    test), and, with no later line in the case, :data:`WINDOW_DAYS` (90) days after the point:
    **the project's choice**, about one restaging interval (scans every 6 to 12 weeks on a TKI),
    beyond which a test reads a later state of the disease. A test after the next line began
    belongs to that line. Such tests count as *current*, and a warning names them (and, with no
    later line, those left outside the window).

    The recommended-tests step (:mod:`tkiresist.interpret.recommended_tests`) uses the same
    split, so "no test since the line began" and the serial statuses never disagree.

Serial comparison
    An alteration is identified by a key that ignores how it was written
    (``EGFR exon 19 deletion`` and ``EGFR p.E746_A750del`` are the same driver; ``ALK fusion``
    not detected covers any ALK fusion). Then:

    * acquired: detected now; not detected earlier by an assay that covered it;
    * persistent: detected earlier and now;
    * lost: detected earlier; covered now and not detected;
    * not_assessable: detected now but no earlier test could have seen it, or detected earlier
      and no current test covered it;
    * not_detected: never detected (explicit negatives such as "T790M negative");
    * baseline: before any therapy (no line in effect, e.g. ``--at`` the diagnosis), whatever a
      test detected is the tumour at diagnosis: present, neither acquired nor "cannot be told".

    A negative in a **liquid** test (plasma or CSF, :func:`is_liquid`) counts only when the
    draw shows tumour DNA (:func:`_sheds`): its stated tumour fraction is at least
    :data:`LOW_TUMOUR_FRACTION` (1%: the negative predictive value of a liquid biopsy for
    drivers against tissue rose from 66% to 97% at tumour fraction >=1%; Clin Cancer Res
    2024;30(11):2452, doi:10.1158/1078-0432.CCR-23-3321), or, with no fraction stated, another
    tumour alteration (not in a clonal-haematopoiesis gene) was detected in it. Otherwise the
    negative is uninformative and said so: the driver is *not assessable*, never *lost* (a
    tumour progressing only in the brain, or shedding little, leaves plasma negative), and an
    alteration is not *acquired* against such a baseline. "Lost" needs tissue or a draw with
    tumour DNA. CSF is read by the same rule (**the project's choice**): CSF holds more tumour
    DNA than plasma in CNS disease, but parenchymal metastases without leptomeningeal spread
    may shed little into it, so a CSF draw that shows no tumour DNA cannot tell loss from
    silence either.

    A covering NGS test that does not list an alteration counts as an implicit negative (a test
    reports what it detected); explicit negatives are kept as such. Orthogonal tests of one
    biomarker (ALK fusion by NGS, ALK by IHC) are reconciled: agreement is noted, disagreement
    is a warning. Findings are kept per specimen; current biopsies that disagree are flagged as
    heterogeneous, except serial plasma (or CSF) draws at different times: they are one
    compartment over time, noted as dynamics (read by :mod:`tkiresist.interpret.dynamics`).

IHC read by pattern
    p53 (TP53) and Rb (RB1) immunohistochemistry say whether the *gene* is altered through
    their staining pattern (:func:`tkiresist.model.categories.ihc_reading`): a p53 null
    pattern or overexpression is a detected TP53 alteration (``tp53_ihc_aberrant``), a
    wild-type pattern is not; Rb loss is a detected RB1 inactivation (``rb1_ihc_loss``),
    retained Rb is not. Their rows are named by that meaning (``p53 IHC aberrant (null
    pattern)``, ``Rb IHC loss``), never "TP53 IHC negative", which reads as normal. Every other
    marker is read as before: positive is the finding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from tkiresist.errors import InterpretationError, Location
from tkiresist.model.alterations import (
    CopyNumber,
    Expression,
    Fusion,
    Histology,
    SequenceVariant,
)
from tkiresist.model.assays import Assay
from tkiresist.model.base import derived
from tkiresist.model.case import Case
from tkiresist.model.categories import (
    PATTERN_MARKERS,
    categorize,
    expression_categories,
    ihc_reading,
)
from tkiresist.model.findings import Finding
from tkiresist.model.interpretation import (
    AlterationState,
    AlterationStatus,
    DecisionPoint,
    TestEvidence,
    TherapyContext,
)
from tkiresist.model.time import DAYS_PER_MONTH, PartialDate, TimePoint
from tkiresist.model.timeline import (
    AnyEvent,
    Diagnosis,
    MolecularTest,
    Radiotherapy,
    ResponseAssessment,
    Specimen,
    Surgery,
    TherapyLine,
)
from tkiresist.nomenclature.histology import is_non_small_cell

AnyAlteration = SequenceVariant | Fusion | CopyNumber | Expression | Histology
EPS = 1e-6
# Category ids that identify a driver or resistance alteration whatever its exact spelling.
_IDENTITY_CATEGORIES = (
    "egfr_ex19del",
    "egfr_l858r",
    "egfr_ex20ins",
    "egfr_t790m",
    "egfr_c797x",
    "met_ex14_skipping",
)


LIQUID_KINDS = ("plasma", "csf")
"""Specimens read as cell-free DNA: a negative there needs evidence that the draw held tumour
DNA (:func:`_sheds`)."""
LOW_TUMOUR_FRACTION = 0.01
"""A liquid draw's tumour fraction below this holds too little tumour DNA to read a negative:
negative predictive value for drivers against tissue rose from 66% overall to 97% at ctDNA
tumour fraction >=1% (Clin Cancer Res 2024;30(11):2452-60, doi:10.1158/1078-0432.CCR-23-3321,
PMID 38526394, "Measurement of ctDNA Tumor Fraction Identifies Informative Negative Liquid
Biopsy Results and Informs Value of Tissue Confirmation"; checked against the abstract)."""
CH_GENES = frozenset({"DNMT3A", "TET2", "ASXL1", "PPM1D", "JAK2", "TP53", "CHEK2", "ATM"})
"""Genes often mutated in clonal haematopoiesis, a source of plasma variants not from the
tumour: a variant in one of them does not show that a draw holds tumour DNA."""


def alteration_key(alt: AnyAlteration) -> str:
    """Identity of an alteration across tests, independent of how it was written."""
    if isinstance(alt, SequenceVariant):
        cats = categorize(alt)
        for cat in _IDENTITY_CATEGORIES:
            if cat in cats:
                return f"cat:{cat}"
        return f"sv:{alt.name}"
    if isinstance(alt, Fusion):
        return f"fusion:{alt.three_prime}:{alt.five_prime or '*'}"
    if isinstance(alt, CopyNumber):
        direction = "up" if alt.change in ("amplification", "gain") else "down"
        return f"cn:{alt.gene}:{direction}"
    if isinstance(alt, Expression):
        return f"expr:{alt.marker}"
    return f"hist:{alt.histology}"


def _covers_key(finding_alt: AnyAlteration, key: str, own: str | None = None) -> bool:
    """Does a (negative) finding speak about the alteration with ``key``? ``own`` is the
    finding's own key when the caller has it already."""
    if own is None:
        own = alteration_key(finding_alt)
    if own == key:
        return True
    # "ALK fusion" (partner unknown) not detected covers every ALK fusion.
    if isinstance(finding_alt, Fusion) and finding_alt.five_prime is None:
        return key.startswith(f"fusion:{finding_alt.three_prime}:")
    return False


def _gene_keys(finding: Finding) -> tuple[str, ...]:
    """The keys of the gene's findings of unspecified type a finding speaks for: a detected
    variant of a gene does (with TP53 p.R273H at baseline, "TP53 mutation" at progression is
    persistent, #12). A negative for one variant says nothing of the rest of the gene."""
    alt = finding.alteration
    if not isinstance(alt, SequenceVariant) or alt.unspecified or finding.status != "detected":
        return ()
    return (f"sv:{alt.gene} mutation", f"sv:{alt.gene} alteration")


# ------------------------------------------------------------------------------------------
# Decision point


def _therapy_context(case: Case, line: TherapyLine, months: dict[str, float]) -> TherapyContext:
    from tkiresist.nomenclature import drugs

    classes: list[str] = []
    generations: list[int] = []
    unnamed: list[str] = []
    for agent in line.agents:
        drug = drugs.lookup(agent.drug)
        for c in drug.classes:
            if c.value not in classes:
                classes.append(c.value)
            if drug.class_only and c.value not in unnamed:
                unnamed.append(c.value)
        if drug.generation is not None and drug.generation not in generations:
            generations.append(drug.generation)
    # every class given in this line or a line that started before it (Dato-DXd needs an EGFR
    # TKI and platinum chemotherapy somewhere in the history)
    history: list[str] = []
    for event in case.events:
        if isinstance(event, TherapyLine) and months[event.id] <= months[line.id] + EPS:
            for agent in event.agents:
                for c in drugs.lookup(agent.drug).classes:
                    if c.value not in history:
                        history.append(c.value)
    return TherapyContext(
        event_id=line.id,
        drugs=tuple(a.drug for a in line.agents),
        drug_classes=tuple(classes),
        generations=tuple(generations),
        unnamed_classes=tuple(unnamed),
        history_classes=tuple(history),
        start_month=months[line.id],
        line=line.line,
    )


OFF_THERAPY_MONTHS = 6.0
"""A line stopped as planned or by the patient's choice (completed, as adjuvant osimertinib
after three years; patient_choice) at least this long before a progression is
not the line the patient progressed on: the tumour relapsed off therapy, and the decision is a
first line again (re-treatment with the line's drugs included). Six months is the project's
choice (the convention that separates a relapse off therapy from resistance, as "platinum
sensitive" does for chemotherapy), recorded in docs/decisions.md."""

OFF_THERAPY_STOPS = frozenset({"completed", "patient_choice"})
"""Not ``toxicity``: re-offering a drug stopped for its toxicity (osimertinib after
pneumonitis) would be unsafe advice, so such a line stays the one progressed on; not
``other``, which says nothing."""


def _stopped_long_before(line: TherapyLine, month: float, months: dict[str, float]) -> bool:
    """Whether ``line`` stopped, not for progression, :data:`OFF_THERAPY_MONTHS` or more before
    ``month``."""
    stop = months.get(f"{line.id}.stop")
    return (
        stop is not None
        and line.stop_reason in OFF_THERAPY_STOPS
        and month - stop >= OFF_THERAPY_MONTHS - EPS
    )


def relapsed_off_therapy(case: Case, event_id: str) -> tuple[TherapyLine, float] | None:
    """The line a progression would have been read against, and the months since it stopped,
    when the patient relapsed off therapy (:data:`OFF_THERAPY_MONTHS`); None otherwise."""
    months = case.months()
    month = months[event_id]
    event = case.event(event_id)
    named = event.therapy if isinstance(event, ResponseAssessment) else None
    line = _line_before(case, month, months, named)
    if line is None or not _stopped_long_before(line, month, months):
        return None
    return line, month - months[f"{line.id}.stop"]


def _line_in_effect(
    case: Case, month: float, months: dict[str, float], named: str | None
) -> TherapyLine | None:
    """The line the progression at ``month`` happened on (:func:`_line_before`); None before
    any line, or when that line stopped long before, not for progression
    (:data:`OFF_THERAPY_MONTHS`)."""
    line = _line_before(case, month, months, named)
    if line is not None and _stopped_long_before(line, month, months):
        return None
    return line


def _line_before(
    case: Case, month: float, months: dict[str, float], named: str | None
) -> TherapyLine | None:
    """The line ``named`` by the assessment, else the one running at ``month``, else the last
    started; None before any line."""
    lines = [e for e in case.events if isinstance(e, TherapyLine)]
    if named is not None:
        for line in lines:
            if line.id == named:
                return line
    running = [
        line
        for line in lines
        if months[line.id] < month - EPS
        and (f"{line.id}.stop" not in months or months[f"{line.id}.stop"] >= month - EPS)
    ]
    if not running:
        started = [line for line in lines if months[line.id] <= month + EPS]
        running = started[-1:] if started else []
    return max(running, key=lambda ln: months[ln.id]) if running else None


def _cns_disease(case: Case, month: float, months: dict[str, float]) -> bool:
    for e in case.events:
        if months.get(e.id, 0.0) > month + EPS:
            continue
        if isinstance(e, Diagnosis) and e.cns_involvement:
            return True
        kind = getattr(e, "site_kind", None) if not isinstance(e, ResponseAssessment) else None
        if isinstance(e, ResponseAssessment):
            kind = e.site
        if kind == "cns" and isinstance(e, ResponseAssessment | Surgery | Radiotherapy | Specimen):
            return True
    return False


def decision_point(case: Case, at: str | None = None) -> DecisionPoint:
    """The decision point: ``at`` (an event id) or the latest progression."""
    months = case.months()
    if at is not None:
        try:
            event: AnyEvent = case.event(at)
        except KeyError:
            raise InterpretationError(
                f"no event {at!r} in case {case.id!r}", Location(field="at")
            ) from None
    else:
        # with their positions: the latest, ties to the later-listed (events.index compared
        # pydantic models field by field)
        progressions = [
            (i, e)
            for i, e in enumerate(case.events)
            if isinstance(e, ResponseAssessment) and e.is_progression
        ]
        if not progressions:
            raise InterpretationError(
                f"no decision point: case {case.id!r} has no progression (a response "
                "assessment with category PD); name an event with --at",
                Location(field="events"),
            )
        event = max(progressions, key=lambda p: (months[p[1].id], p[0]))[1]
    month = months[event.id]
    named = event.therapy if isinstance(event, ResponseAssessment) else None
    line = _line_in_effect(case, month, months, named)
    if isinstance(event, Diagnosis) and line is not None and months[line.id] >= month - EPS:
        # at diagnosis the question is the first line: a line starting that month (the
        # treatment chosen then) is not yet "in effect", so first-line statements can answer
        line = None
    if isinstance(event, ResponseAssessment):
        what = f"{event.category} ({event.site})"
        cns_now = event.site == "cns"
    else:
        what = event.type
        cns_now = getattr(event, "site_kind", None) == "cns"
    return DecisionPoint(
        event_id=event.id,
        month=round(month, 3),
        description=f"{what} at month {month:.1f}",
        therapy=_therapy_context(case, line, months) if line is not None else None,
        cns_disease=_cns_disease(case, month, months),
        cns_progression=cns_now,
        cns_lesions=(
            len(event.lesions)
            if isinstance(event, ResponseAssessment) and cns_now and event.lesions
            else None
        ),
    )


# ------------------------------------------------------------------------------------------
# Earlier and current tests

Phase = Literal["earlier", "current"]


def _time_points(case: Case) -> dict[str, TimePoint]:
    """The time each event is written with (:func:`tkiresist.model.timeline.time_points`), and
    the diagnosis's under ``diagnosis`` too. Once per events tuple: callers only read it."""

    def compute() -> dict[str, TimePoint]:
        out = case.time_points()
        if case.diagnosis.id in out:
            out["diagnosis"] = out[case.diagnosis.id]
        return out

    return derived(case.events, "serial_time_points", compute)


def _calendar(key: str, points: dict[str, TimePoint]) -> PartialDate | None:
    """The calendar date (with its precision) of ``key``'s time: its own date, or through
    ``0 days after X`` the date of X; None for a time at a non-zero offset or without a date."""
    seen: set[str] = set()
    t = points.get(key)
    while t is not None and t.date is None and t.after is not None and not t.days:
        if t.after in seen:
            return None
        seen.add(t.after)
        t = points.get(t.after)
    return t.date if t is not None else None


def _same_period(a: PartialDate | None, b: PartialDate | None) -> bool:
    """Two dates that cannot be ordered because one has no day (or no month) and they share
    the month (or the year)."""
    if a is None or b is None or (a.day is not None and b.day is not None):
        return False
    if a.month is None or b.month is None:
        return a.year == b.year
    return (a.year, a.month) == (b.year, b.month)


WINDOW_DAYS = 90
"""With no later line, a test up to this many days after a progression (or the diagnosis)
still belongs to it (the project's choice; see :func:`_window`)."""


@dataclass(frozen=True, slots=True)
class _Window:
    """The tests after the decision point that still belong to it: up to ``end`` (inclusive
    when ``inclusive``), described by ``why``; None when the point takes no later test."""

    end: float
    inclusive: bool
    why: str
    line_start: str | None = None
    last_line: bool = False


def _window(case: Case, point: DecisionPoint, months: dict[str, float]) -> _Window | None:
    """:func:`_window_of`, once per events tuple and decision point (the phases of the tests
    and the window notes both ask; ``months`` are the case's, derived from the same tuple)."""
    key = ("window", point.event_id, point.therapy.event_id if point.therapy else None)
    return derived(case.events, key, lambda: _window_of(case, point, months))


def _window_of(case: Case, point: DecisionPoint, months: dict[str, float]) -> _Window | None:
    """How far after the decision point a test still belongs to it (rule in the module
    docstring): a re-biopsy days or weeks after the scan that showed progression, before the
    next line starts, is the progression's test; so is the diagnostic work-up dated after the
    diagnosis and before the first line. The window closes at the next line's start (a test
    then is the baseline that led to it, which is this decision), before a later progression
    (whose own test it is), and with no later line after :data:`WINDOW_DAYS` days."""
    event = case.event(point.event_id)
    if not (
        isinstance(event, Diagnosis)
        or (isinstance(event, ResponseAssessment) and event.is_progression)
    ):
        return None
    at = months[event.id]
    own = point.therapy.event_id if point.therapy is not None else None
    # the lines after the one in effect (at the diagnosis: from the diagnosis on, the first
    # line included); one that began before the point is already running, so no later test
    # is this point's
    floor = at - EPS if own is None else months[own] + EPS
    later_lines = [
        e
        for e in case.events
        if isinstance(e, TherapyLine) and e.id != own and months[e.id] >= floor
    ]
    if later_lines and min(months[e.id] for e in later_lines) < at - EPS:
        return None
    later_pd = [
        months[e.id]
        for e in case.events
        if isinstance(e, ResponseAssessment) and e.is_progression and months[e.id] > at + EPS
    ]
    if later_lines:
        nxt = min(later_lines, key=lambda e: months[e.id])
        window = _Window(months[nxt.id], True, f"before the next line ({nxt.id}) began", nxt.id)
    else:
        window = _Window(
            at + WINDOW_DAYS / DAYS_PER_MONTH,
            True,
            f"within {WINDOW_DAYS} days, no later line in the case",
            last_line=True,
        )
    if later_pd and min(later_pd) <= window.end + EPS:
        return _Window(min(later_pd), False, "before the next progression", None, window.last_line)
    return window


def _in_window(
    t: MolecularTest,
    window: _Window | None,
    months: dict[str, float],
    points: dict[str, TimePoint],
) -> bool:
    if window is None:
        return False
    m = months[t.id]
    if window.line_start is not None and _same_period(
        _calendar(t.id, points), _calendar(window.line_start, points)
    ):
        return True  # a test in the month the next line starts led to it
    return m <= window.end + EPS if window.inclusive else m < window.end - EPS


def phases_of_tests(case: Case, point: DecisionPoint) -> dict[str, Phase]:
    """Every molecular test that belongs to ``point``: ``earlier`` (the line's baseline) or
    ``current`` (on the line, or after the point within its window), by the rules in the
    module docstring. The serial comparison and the recommended-tests step both use it, so it
    is computed once per case and point (a copy is returned)."""
    key = ("phases", point.event_id, point.therapy.event_id if point.therapy else None)
    return dict(derived(case.events, key, lambda: _phases(case, point)))


def _phases(case: Case, point: DecisionPoint) -> dict[str, Phase]:
    months = case.months()
    points = _time_points(case)
    at = months[point.event_id]
    at_date = _calendar(point.event_id, points)
    tests = [e for e in case.events if isinstance(e, MolecularTest)]
    window = _window(case, point, months)

    def at_point(t: MolecularTest) -> bool:
        return abs(months[t.id] - at) <= EPS or _same_period(_calendar(t.id, points), at_date)

    upto = [
        t
        for t in tests
        if months[t.id] <= at + EPS or at_point(t) or _in_window(t, window, months, points)
    ]
    if not upto:
        return {}
    if point.therapy is None:
        latest = max(months[t.id] for t in upto)
        return {t.id: "current" if months[t.id] >= latest - EPS else "earlier" for t in upto}
    line = point.therapy.event_id
    start = months[line]
    start_date = _calendar(line, points)
    out: dict[str, Phase] = {}
    for t in upto:
        if at_point(t) or months[t.id] > at + EPS:
            out[t.id] = "current"
        elif months[t.id] <= start + EPS or _same_period(_calendar(t.id, points), start_date):
            out[t.id] = "earlier"
        else:
            out[t.id] = "current"
    return out


def window_notes(case: Case, point: DecisionPoint, phases: dict[str, Phase]) -> list[str]:
    """What the interpretation says about the tests dated after the decision point: those read
    with it (and why), and those left out of it because a later line or progression owns them
    or they fall outside the window."""
    months = case.months()
    points = _time_points(case)
    at = months[point.event_id]
    at_date = _calendar(point.event_id, points)
    window = _window(case, point, months)
    if window is None:
        return []
    used: list[str] = []
    left: list[str] = []
    for t in (e for e in case.events if isinstance(e, MolecularTest)):
        if months[t.id] <= at + EPS or _same_period(_calendar(t.id, points), at_date):
            continue
        days = round((months[t.id] - at) * DAYS_PER_MONTH)
        (used if t.id in phases else left).append(f"{t.id} ({days} days after)")
    out = []
    if used:
        out.append(
            f"tests dated after the decision point ({point.event_id}) read with it, "
            f"{window.why}: " + ", ".join(used)
        )
    if left and window.last_line:
        out.append(
            f"tests dated after the decision point ({point.event_id}) not read with it "
            f"(outside its window: {window.why}): " + ", ".join(left)
        )
    return out


# ------------------------------------------------------------------------------------------
# Serial comparison


Result = Literal["detected", "not_detected", "not_detected_implicit", "equivocal"]


@dataclass(frozen=True, slots=True)
class _Obs:
    test: MolecularTest
    assay: Assay | None
    specimen: Specimen | None
    month: float
    finding: Finding | None  # None: implicit negative (covered, not listed)
    current: bool
    sheds: str | None = None  # a liquid draw without evidence of tumour DNA: why (else None)
    result: Result = "equivocal"  # _result(finding), computed once in __post_init__

    def __post_init__(self) -> None:
        object.__setattr__(self, "result", _result(self.finding))


def _result(finding: Finding | None) -> Result:
    """What a finding says about its alteration. An IHC result is read for its marker
    (:func:`~tkiresist.model.categories.ihc_reading`): aberrant is detected, normal not
    detected, unclear equivocal."""
    if finding is None:
        return "not_detected_implicit"
    alt = finding.alteration
    if isinstance(alt, Expression) and finding.status == "detected":
        reading = ihc_reading(alt, finding.pattern)
        if reading == "aberrant":
            return "detected"
        return "not_detected" if reading == "normal" else "equivocal"
    return finding.status


def _evidence(o: _Obs) -> TestEvidence:
    f = o.finding
    return TestEvidence(
        test=o.test.id,
        specimen=o.test.specimen,
        specimen_kind=o.specimen.kind if o.specimen else "other",
        assay=o.test.assay,
        month=round(o.month, 3),
        phase="current" if o.current else "earlier",
        result=o.result,
        vaf=f.vaf if f else None,
        reads=(f.alt_reads or f.split_reads) if f else None,
        name_as_reported=_as_reported(f) if f else "(not listed)",
    )


def _as_reported(f: Finding) -> str:
    """The finding as the test gave it, with the staining pattern of a p53/Rb result."""
    name = f.alteration.name
    return f"{name} ({f.pattern.replace('_', '-')} pattern)" if f.pattern else name


def is_liquid(specimen: Specimen | None, assay: Assay | None) -> bool:
    """A cell-free DNA test: a plasma or CSF specimen, or (no specimen kind) an assay run only
    on ctDNA. Pleural fluid is not counted: it is often tested as a cell block."""
    if specimen is not None and specimen.kind != "other":
        return specimen.kind in LIQUID_KINDS
    materials = assay.materials if assay is not None else ()
    return bool(materials) and all(m.endswith("_ctdna") for m in materials)


def _sheds(
    test: MolecularTest,
    specimen: Specimen | None,
    key: str,
    own: dict[int, str],
) -> str | None:
    """Why a liquid test's (:func:`is_liquid`, checked by the caller) negative for ``key`` is
    uninformative, or None when it can be read (a draw that shows tumour DNA). A draw shows
    tumour DNA by its stated tumour fraction (at least :data:`LOW_TUMOUR_FRACTION`; a lower one
    settles it the other way), or, with none stated, by another tumour alteration detected in
    it (not in a gene of clonal haematopoiesis, :data:`CH_GENES`)."""
    where = "CSF" if specimen is not None and specimen.kind == "csf" else "plasma"
    tf = test.tumour_fraction
    if tf is not None:
        if tf >= LOW_TUMOUR_FRACTION:
            return None
        return (
            f"{where} draw {test.id} at tumour fraction {100 * tf:.3g}% (below "
            f"{100 * LOW_TUMOUR_FRACTION:g}%)"
        )
    for f in test.findings:
        alt = f.alteration
        if (
            _result(f) == "detected"
            and own.get(id(f), alteration_key(alt)) != key
            and isinstance(alt, SequenceVariant | Fusion | CopyNumber)
            and not set(alt.genes) <= CH_GENES
        ):
            return None
    return f"{where} draw {test.id} shows no tumour DNA (no other tumour alteration detected)"


def _implicit_scope(assay: Assay | None) -> bool:
    """Whether a test's silence about a covered alteration counts as a negative."""
    return assay is not None and assay.method == "ngs"


def serial_comparison(case: Case, point: DecisionPoint) -> tuple[list[AlterationStatus], list[str]]:
    """Each alteration's status at ``point``, and warnings (contradictions, discordance)."""
    months = case.months()
    phases = phases_of_tests(case, point)
    tests = [e for e in case.events if isinstance(e, MolecularTest) and e.id in phases]
    if not tests:
        return [], ["no molecular test up to the decision point"]
    by_id = {e.id: e for e in case.events}
    warnings: list[str] = window_notes(case, point, phases)

    # every alteration mentioned by any test, by key, with a representative value
    keys: dict[str, AnyAlteration] = {}
    reps: dict[str, Finding] = {}
    best: dict[str, tuple[bool, int]] = {}
    own: dict[int, str] = {}  # each finding's key, computed once
    for t in tests:
        for f in t.findings:
            k = own[id(f)] = alteration_key(f.alteration)
            score = (_result(f) == "detected", _specificity(f.alteration))
            if k not in best or score > best[k]:
                best[k] = score
                keys[k] = f.alteration
                reps[k] = f
    # partner-unknown negatives that stand for a specific detected fusion are not separate rows
    for k in list(keys):
        if k.endswith(":*") and any(o.startswith(k[:-1]) and o != k for o in keys):
            del keys[k]

    # what does not depend on the key, once per test and per finding (not once per key)
    per_test = []
    for t in tests:
        assay = case.assay(t.assay)
        spec = by_id.get(t.specimen)
        specimen = spec if isinstance(spec, Specimen) else None
        implicit = t.lists == "all" and _implicit_scope(assay) and assay is not None
        per_test.append(
            (t, assay, specimen, phases[t.id] == "current", is_liquid(specimen, assay), implicit)
        )
    # the keys each finding speaks about exactly (its own, and the gene's unspecified finding
    # it names, :func:`_gene_keys`), and the key prefix of a partner-unknown fusion
    speaks: dict[int, tuple[str, ...]] = {}
    prefix: dict[int, str | None] = {}
    for t in tests:
        for f in t.findings:
            alt = f.alteration
            speaks[id(f)] = (own[id(f)], *_gene_keys(f))
            prefix[id(f)] = (
                f"fusion:{alt.three_prime}:"
                if isinstance(alt, Fusion) and alt.five_prime is None
                else None
            )

    def speaks_of(f: Finding, key: str) -> bool:
        """``_covers_key(f.alteration, key, own) or key in _gene_keys(f)``, from the tables."""
        if key in speaks[id(f)]:
            return True
        start = prefix[id(f)]
        return start is not None and key.startswith(start)

    statuses: list[AlterationStatus] = []
    for key, alt in keys.items():
        obs: list[_Obs] = []
        for t, assay, specimen, current, liquid, implicit in per_test:
            relevant = [f for f in t.findings if speaks_of(f, key)]
            silent = _sheds(t, specimen, key, own) if liquid else None
            if relevant:
                results = {_result(f) for f in relevant}
                if "detected" in results and "not_detected" in results:
                    warnings.append(
                        f"contradictory findings: test {t.id!r} reports {alt.name} both "
                        "detected and not detected"
                    )
                obs.extend(
                    _Obs(t, assay, specimen, months[t.id], f, current, silent) for f in relevant
                )
            elif implicit and assay is not None and assay.covers(alt):
                obs.append(_Obs(t, assay, specimen, months[t.id], None, current, silent))
        status = _status(key, alt, obs, warnings, reps.get(key), point.therapy is None)
        statuses.append(_against_diagnosis(case, status))
    _reconcile_orthogonal(statuses, warnings)
    order = {
        "acquired": 0,
        "baseline": 1,
        "persistent": 2,
        "lost": 3,
        "not_assessable": 4,
        "not_detected": 5,
    }
    statuses.sort(key=lambda s: (order[s.status], s.name))
    return statuses, warnings


def _against_diagnosis(case: Case, status: AlterationStatus) -> AlterationStatus:
    """A histologic transformation detected now, with no earlier histology test, is acquired
    against the diagnosis itself when that was a non-small-cell histology."""
    alt = status.alteration
    if not (
        isinstance(alt, Histology)
        and alt.histology.endswith("_transformation")
        and status.status == "not_assessable"
        and any(e.result == "detected" and e.phase == "current" for e in status.evidence)
    ):
        return status
    dx = case.diagnosis
    if not is_non_small_cell(dx.histology):
        return status
    note = f"acquired against the diagnosis ({dx.histology}, event {dx.id!r})"
    kept = tuple(n for n in status.notes if "cannot be told" not in n)
    return status.model_copy(update={"status": "acquired", "notes": (*kept, note)})


def _specificity(alt: AnyAlteration) -> int:
    if isinstance(alt, SequenceVariant):
        return 2 if alt.protein is not None else 1
    if isinstance(alt, Fusion):
        return (alt.five_prime is not None) + (alt.five_prime_exon is not None)
    return 1


def _status(
    key: str,
    alt: AnyAlteration,
    obs: Sequence[_Obs],
    warnings: list[str],
    rep: Finding | None = None,
    pretreatment: bool = False,
) -> AlterationStatus:
    def pos(o: _Obs) -> bool:
        return o.result == "detected"

    def neg(o: _Obs) -> bool:
        """A negative that can be read: not a liquid draw without tumour DNA."""
        return o.sheds is None and o.result in ("not_detected", "not_detected_implicit")

    blind = [
        o
        for o in obs
        if o.sheds is not None and o.result in ("not_detected", "not_detected_implicit")
    ]

    earlier = [o for o in obs if not o.current]
    current = [o for o in obs if o.current]
    now_pos = [o for o in current if pos(o)]
    now_neg = [o for o in current if neg(o)]
    before_pos = [o for o in earlier if pos(o)]
    before_neg = [o for o in earlier if neg(o)]
    # a finding the report calls equivocal is neither detected nor not detected: never a
    # negative, so never "not detected" or "lost" by itself (an IHC stain read as unclear, such
    # as p53 positive without its pattern, keeps its own reading and warning)
    now_eq = [o for o in current if _equivocal(o)]
    before_eq = [o for o in earlier if _equivocal(o)]
    notes: list[str] = []
    reported: str | None = None
    state: AlterationState
    if pretreatment and not (now_pos or before_pos) and (now_eq or before_eq):
        state = "not_assessable"
    elif pretreatment:
        # before any therapy there is nothing to resist: what a test detected is the tumour at
        # diagnosis, whichever test (earlier or latest) showed it
        state = "baseline" if now_pos or before_pos else "not_detected"
        if state == "baseline":
            notes.append("present before any therapy (at diagnosis)")
            if now_neg or before_neg:
                notes.append("not detected by another test before therapy")
    elif now_pos:
        if before_pos:
            state = "persistent"
        elif before_neg:
            state = "acquired"
        else:
            state = "not_assessable"
            claimed = next(
                (o.finding.reported_new for o in now_pos if o.finding and o.finding.reported_new),
                None,
            )
            if claimed is not None:
                # the report says it is new and the case has no earlier test to say otherwise:
                # acquired, per the report, and said so
                state = "acquired"
                reported = claimed
                notes.append(
                    f"acquired per the report ({claimed!r}); no earlier test in the case covers "
                    "it, so the engine could not check it"
                )
            else:
                notes.append("no earlier test covered it: acquired or pre-existing cannot be told")
    elif before_pos:
        if now_neg:
            state = "lost"
        else:
            state = "not_assessable"
            if not any(o.current for o in blind):
                notes.append("detected earlier; no current test covered it")
    elif now_eq and not now_neg:
        state = "not_assessable"
    else:
        state = "not_detected"
    equivocal_only = not (now_pos or before_pos) and state == "not_assessable"
    if now_eq or equivocal_only:
        tests = ", ".join(dict.fromkeys(o.test.id for o in (now_eq or before_eq)))
        notes.append(
            f"equivocal in {tests}: neither detected nor not detected; not assessable until an "
            "orthogonal test settles it"
        )
        warnings.append(
            f"{alt.name}: the call is equivocal (test {tests}); read as not assessable, not "
            "as not detected: confirm by an orthogonal test"
        )
    for o in blind if state in ("not_assessable", "not_detected") else ():
        notes.append(
            f"not detected in {o.sheds}: uninformative (the tumour may shed too little DNA), "
            "not read as a negative; 'lost' needs tissue or a draw that shows tumour DNA"
        )
    heterogeneous = False
    # a liquid draw without tumour DNA cannot disagree with a positive specimen, but it is
    # part of the blood's course over time
    now_any_neg = [*now_neg, *(o for o in blind if o.current)]
    if now_pos and now_any_neg and not pretreatment:
        pos_specs = {o.test.specimen for o in now_pos}
        neg_specs = {o.test.specimen for o in now_any_neg} - pos_specs
        serial = _serial_liquid(
            [*now_pos, *(o for o in now_any_neg if o.test.specimen in neg_specs)]
        )
        if neg_specs and serial is not None:
            notes.append(serial)
        elif neg_specs := {o.test.specimen for o in now_neg} - pos_specs:
            heterogeneous = True
            notes.append(
                "current specimens disagree: detected in "
                + ", ".join(sorted(pos_specs))
                + "; not detected in "
                + ", ".join(sorted(neg_specs))
            )
            warnings.append(f"spatial heterogeneity for {alt.name}: " + notes[-1])
    if any(o.finding is None for o in obs):
        notes.append("a covering NGS test that did not list it is counted as not detected")
    pattern = rep.pattern if rep is not None else None
    if isinstance(alt, Expression) and alt.marker in PATTERN_MARKERS:
        cats = tuple(sorted(expression_categories(alt, pattern)))
        name = ihc_display_name(alt, pattern)
        if ihc_reading(alt, pattern) == "unclear" and alt.result == "positive":
            note = (
                f"{name}: p53 staining without its pattern cannot tell overexpression "
                "(aberrant: TP53 mutation) from the wild-type pattern (normal); record the "
                "pattern (overexpression, wild_type...)"
            )
            notes.append(note)
            warnings.append(note)
        elif alt.marker == "TP53" and pattern is None and alt.result == "negative":
            notes.append(
                "p53 negative is read as the null pattern (complete absence of staining, "
                "aberrant: TP53 inactivation); if the report meant a wild-type pattern, record "
                "pattern: wild_type"
            )
    else:
        # an alteration only ever called equivocal is not there for the knowledge base: no
        # category, so no mechanism or statement is read from it (its status says why)
        cats = () if equivocal_only else tuple(sorted(categorize(alt)))
        name = display_name(alt)
    genes = alt.genes
    return AlterationStatus(
        name=name,
        gene=genes[0] if len(genes) == 1 else None,
        genes=genes,
        category=cats,
        status=state,
        alteration=alt,
        evidence=tuple(_evidence(o) for o in obs),
        heterogeneous=heterogeneous,
        notes=tuple(notes),
        reported_acquired=reported,
    )


def _equivocal(o: _Obs) -> bool:
    """The test's report calls the finding equivocal (``status: equivocal``)."""
    return o.finding is not None and o.finding.status == "equivocal"


def _serial_liquid(obs: Sequence[_Obs]) -> str | None:
    """When the current tests that disagree are all plasma (or CSF) draws taken at different
    times, they are one patient's blood over time (response, then relapse), not spatial
    heterogeneity: the note that says so, else None (#15)."""
    kinds = {o.specimen.kind if o.specimen else "other" for o in obs}
    if not kinds <= {"plasma", "csf"} or len({round(o.month, 2) for o in obs}) < 2:
        return None

    def when(found: bool) -> str:
        ms = sorted({o.month for o in obs if (o.result == "detected") == found})
        return ", ".join(f"{m:.1f}" for m in ms)

    where = " and ".join(k if k == "plasma" else "CSF" for k in sorted(kinds))
    return (
        f"serial {where} draws on the line change over time (detected at month {when(True)}; "
        f"not detected at month {when(False)}): dynamics, not spatial heterogeneity (see "
        "Dynamics)"
    )


def c797x_phase(case: Case, point: DecisionPoint) -> tuple[str | None, list[str]]:
    """The phase of C797X relative to T790M that the tests of ``point`` report (``cis``,
    ``trans`` or None), and warnings when they disagree."""
    used = phases_of_tests(case, point)
    phases = {
        f.phase
        for e in case.events
        if isinstance(e, MolecularTest) and e.id in used
        for f in e.findings
        if f.phase is not None and f.detected
    }
    if len(phases) > 1:
        return None, ["tests disagree on the phase of C797X with T790M (cis and trans reported)"]
    return (phases.pop() if phases else None), []


def display_name(alt: AnyAlteration) -> str:
    """The normalised display form: ``EML4::ALK``, ``EGFR p.E746_A750del``, ``EGFR exon 19
    deletion``, ``MET amplification``, ``ALK IHC positive``."""
    if isinstance(alt, Expression):
        return f"{alt.marker} IHC {alt.result}" if not alt.clone else alt.name
    return alt.name


_PATTERN_WORDS = {
    "absent": "null pattern",
    "overexpression": "overexpression",
    "cytoplasmic": "cytoplasmic pattern",
    "aberrant": "pattern not named",
    "wild_type": "wild-type pattern",
    "loss": "loss",
    "retained": "retained",
}


def ihc_display_name(alt: Expression, pattern: str | None = None) -> str:
    """The name of a p53 or Rb IHC result by what it means: ``p53 IHC aberrant (null
    pattern)``, ``p53 IHC aberrant (overexpression)``, ``p53 IHC wild-type pattern``, ``p53 IHC
    positive (pattern not stated)``, ``Rb IHC loss``, ``Rb IHC retained``. The clone, when
    given, follows the protein."""
    reading = ihc_reading(alt, pattern)
    protein = ("p53" if alt.marker == "TP53" else "Rb") + (f" ({alt.clone})" if alt.clone else "")
    if alt.marker != "TP53":
        what = {"aberrant": "loss", "normal": "retained", "unclear": "equivocal"}[reading]
        return f"{protein} IHC {what}"
    if reading == "aberrant":
        how = _PATTERN_WORDS[pattern] if pattern else "null pattern"
        return f"{protein} IHC aberrant ({how})"
    if reading == "normal":
        return f"{protein} IHC wild-type pattern"
    if alt.result == "equivocal":
        return f"{protein} IHC equivocal"
    return f"{protein} IHC positive (pattern not stated)"


def _reconcile_orthogonal(statuses: list[AlterationStatus], warnings: list[str]) -> None:
    """ALK (and other) fusion by NGS against the same marker by IHC: agree or disagree."""
    by_gene_fusion = {
        s.alteration.three_prime: s
        for s in statuses
        if isinstance(s.alteration, Fusion)
        and s.status in ("acquired", "baseline", "persistent", "not_assessable")
    }
    for i, s in enumerate(statuses):
        alt = s.alteration
        if not isinstance(alt, Expression):
            continue
        fusion = by_gene_fusion.get(alt.marker)
        if fusion is None:
            continue
        ihc_current_pos = any(
            e.phase == "current"
            and e.name_as_reported.endswith("positive")
            and e.result == "detected"
            for e in s.evidence
        )
        ihc_current_neg = any(
            e.phase == "current" and e.result == "not_detected" for e in s.evidence
        )
        j = statuses.index(fusion)
        if ihc_current_pos:
            note = f"{fusion.name} confirmed by {alt.marker} IHC (orthogonal tests agree)"
            agree = {"orthogonal": "agree"}
            statuses[j] = fusion.model_copy(update={"notes": (*fusion.notes, note), **agree})
            statuses[i] = s.model_copy(update={"notes": (*s.notes, note), **agree})
        elif ihc_current_neg:
            note = f"{fusion.name} by sequencing but {alt.marker} IHC negative: discordant"
            warnings.append(note)
            statuses[j] = fusion.model_copy(
                update={"notes": (*fusion.notes, note), "orthogonal": "discordant"}
            )
