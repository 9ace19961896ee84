"""One flat row of facts per registry case, for evidence synthesis in SQL.

:func:`derive_facts` reads a case (literature or local) and its :class:`ReportedSummary` and
returns :class:`CaseFacts`. The registry writes that row into ``registry_case_facts`` in the
same transaction as every change to the case, so aggregation never loads case objects. Each
column, its derivation and what NULL means are documented in ``docs/registry.md``; the column
names are a contract with :mod:`tkiresist.evidence`.

Key definitions (the same for a sparse literature case and a full local timeline):

* **baseline**: EGFR variants detected by tests no later than the start of the first therapy
  line (a case without therapy: the first test);
* **resistance point**: the first molecular test, after the first EGFR-TKI line starts, that
  detects a fusion; failing that, the first progression (PD) on an EGFR-TKI line;
* **line at resistance**: the last therapy line holding an EGFR TKI that starts no later than
  the resistance point;
* **interval**: months from the start of the line at resistance to the resistance point, only
  when that difference is exact (no approximate time on the path between them). A case still on
  its EGFR TKI, with no resistance point, gives a *censored* interval to its last event;
* **post-resistance regimens**: therapy lines that start after the resistance point (or after
  the line at resistance starts, for lines listed after it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from tkiresist.model.alterations import Fusion, SequenceVariant
from tkiresist.model.case import Case
from tkiresist.model.categories import categorize
from tkiresist.model.facts import FACT_SPEC, CaseFacts, EgfrBaseline, PartnerClass
from tkiresist.model.time import TimePoint
from tkiresist.model.timeline import (
    AdverseEvent,
    AnyEvent,
    MolecularTest,
    ResponseAssessment,
    Specimen,
    TherapyLine,
    event_time,
)
from tkiresist.nomenclature.drugs import Drug
from tkiresist.nomenclature.drugs import lookup as _lookup
from tkiresist.registry.record import CurationFlag, ReportedSummary

_RANK: Final = {"CR": 0, "PR": 1, "SD": 2, "non-CR/non-PD": 3, "PD": 4}


@lru_cache(maxsize=1024)
def lookup(generic: str) -> Drug:
    """The drug of a generic id (cached: facts look the same few drugs up very often)."""
    return _lookup(generic)


@lru_cache(maxsize=4096)
def _categories(alteration: SequenceVariant) -> frozenset[str]:
    return categorize(alteration)


@lru_cache(maxsize=4096)
def _format(alteration: SequenceVariant) -> str:
    from tkiresist.nomenclature.alterations import format_alteration

    return format_alteration(alteration)


FACT_COLUMNS: Final = tuple(c.name for c in FACT_SPEC)
"""The column names of ``registry_case_facts``, in order."""


@dataclass(frozen=True, slots=True)
class _Timeline:
    case: Case
    months: dict[str, float]
    points: dict[str, TimePoint]

    def at(self, event: AnyEvent) -> float:
        return self.months.get(event.id, 0.0)


def _points(case: Case) -> dict[str, TimePoint]:
    by_id = {e.id: e for e in case.events}
    out: dict[str, TimePoint] = {}
    for e in case.events:
        t = event_time(e)
        if t is None and isinstance(e, MolecularTest):
            spec = by_id.get(e.specimen)
            t = event_time(spec) if spec is not None else None
        if t is not None:
            out[e.id] = t
        if isinstance(e, TherapyLine) and e.stop is not None:
            out[f"{e.id}.stop"] = e.stop
    return out


def _chain(points: dict[str, TimePoint], key: str, root: str) -> list[tuple[str, bool]]:
    """(key, approximate) from ``key`` up its anchors to a dated point or the diagnosis."""
    out: list[tuple[str, bool]] = []
    seen: set[str] = set()
    while key not in seen:
        seen.add(key)
        tp = points.get(key)
        if tp is None or key == root:
            out.append((root, False))
            return out
        if tp.date is not None:
            out.append((key, tp.date.precision != "day"))
            return out
        out.append((key, tp.approximate))
        key = root if tp.after in (None, "diagnosis") else tp.after
    return out  # a cycle cannot reach here: the case model refuses cycles


def exact_difference(case: Case, points: dict[str, TimePoint], later: str, earlier: str) -> bool:
    """True when months(later) - months(earlier) holds no approximate time on its path."""
    root = case.diagnosis.id
    a = _chain(points, later, root)
    b = _chain(points, earlier, root)
    keys_b = {k for k, _ in b}
    for i, (k, _) in enumerate(a):
        if k in keys_b:
            j = next(n for n, (kb, _) in enumerate(b) if kb == k)
            segment = a[:i] + b[:j]
            return not any(approx for _, approx in segment)
    # Different roots: two dated points; exact only when both are full dates.
    return not any(approx for _, approx in a) and not any(approx for _, approx in b)


def _lines(case: Case) -> list[TherapyLine]:
    return [e for e in case.events if isinstance(e, TherapyLine)]


def _has_egfr_tki(line: TherapyLine) -> bool:
    return any(lookup(a.drug).is_egfr_tki for a in line.agents)


def _detected(test: MolecularTest) -> list[SequenceVariant | Fusion]:
    out: list[SequenceVariant | Fusion] = []
    for f in test.findings:
        if f.detected and isinstance(f.alteration, SequenceVariant | Fusion):
            out.append(f.alteration)
    return out


def _format_regimen(line: TherapyLine) -> str:
    return " + ".join(a.drug for a in line.agents)


def derive_facts(
    *,
    uid: str,
    dataset: str,
    status: str,
    source_id: str,
    source_row: str | None,
    case: Case,
    reported: ReportedSummary,
    flags: Sequence[CurationFlag] = (),
) -> CaseFacts:
    """The facts of one case; see the module docstring and ``docs/registry.md``."""
    months = case.months()
    tl = _Timeline(case, months, _points(case))
    lines = sorted(_lines(case), key=lambda ln: (tl.at(ln), ln.line or 0))
    tests = sorted((e for e in case.events if isinstance(e, MolecularTest)), key=lambda t: tl.at(t))
    egfr_lines = [ln for ln in lines if _has_egfr_tki(ln)]
    first_start = tl.at(lines[0]) if lines else None
    first_egfr = tl.at(egfr_lines[0]) if egfr_lines else None

    # -- baseline and history ---------------------------------------------------------
    line_ids = {ln.id for ln in lines}
    if first_start is None:
        baseline_tests = tests[:1]
    else:
        baseline_tests = [
            t
            for t in tests
            if tl.at(t) <= first_start + 1e-9 and not _anchored_on(tl.points, t.id, line_ids)
        ]
    baseline = [a for t in baseline_tests for a in _detected(t) if isinstance(a, SequenceVariant)]
    egfr_base = [a for a in baseline if a.gene == "EGFR"]
    cats = set().union(*(_categories(a) for a in egfr_base)) if egfr_base else set()
    egfr_baseline: EgfrBaseline | None = None
    if "egfr_ex19del" in cats:
        egfr_baseline = "ex19del"
    elif "egfr_l858r" in cats:
        egfr_baseline = "l858r"
    elif "egfr_uncommon" in cats:
        egfr_baseline = "uncommon"
    elif egfr_base:
        egfr_baseline = "other"
    all_egfr = [
        (t, a)
        for t in tests
        for a in _detected(t)
        if isinstance(a, SequenceVariant) and a.gene == "EGFR"
    ]
    t790m = [t for t, a in all_egfr if "egfr_t790m" in _categories(a)]
    t790m_de_novo = any(t in baseline_tests for t in t790m)

    # -- resistance point ---------------------------------------------------------------
    resistance: AnyEvent | None = None
    alk: list[Fusion] = []
    for t in tests:
        if first_egfr is not None and tl.at(t) < first_egfr - 1e-9:
            continue
        if t in baseline_tests and first_egfr is not None:
            continue
        fusions = [a for a in _detected(t) if isinstance(a, Fusion)]
        if fusions:
            resistance = t
            alk = [f for f in fusions if f.three_prime == "ALK"]
            break
    if resistance is None:
        egfr_ids = {ln.id for ln in egfr_lines}
        pd = sorted(
            (
                e
                for e in case.events
                if isinstance(e, ResponseAssessment) and e.is_progression and e.therapy in egfr_ids
            ),
            key=lambda e: tl.at(e),
        )
        resistance = pd[0] if pd else None
    res_at = tl.at(resistance) if resistance is not None else None

    # -- lines before and at resistance ---------------------------------------------------
    pre, post = _split_lines(lines, resistance, res_at, tl)
    pre_egfr = [ln for ln in pre if _has_egfr_tki(ln)]
    at_res = pre_egfr[-1] if pre_egfr else None
    pre_drugs = list(dict.fromkeys(a.drug for ln in pre for a in ln.agents))
    tkis = [d for d in pre_drugs if lookup(d).is_tki]
    egfr_tkis = [d for d in pre_drugs if lookup(d).is_egfr_tki]
    generations = sorted({g for d in egfr_tkis if (g := lookup(d).generation) is not None})
    last_tki = None
    if at_res is not None:
        last_tki = next(
            (a.drug for a in reversed(at_res.agents) if lookup(a.drug).is_egfr_tki), None
        )

    # -- interval -------------------------------------------------------------------------
    interval: float | None = None
    censored: bool | None = None
    if at_res is not None and resistance is not None:
        if exact_difference(case, tl.points, resistance.id, at_res.id):
            interval = round(months[resistance.id] - months[at_res.id], 4)
            censored = False
    elif resistance is None and egfr_lines:
        current = egfr_lines[-1]
        if current.stop is None or current.stop_reason == "ongoing":
            last = max(case.events, key=lambda e: tl.at(e))
            if last.id != current.id and exact_difference(case, tl.points, last.id, current.id):
                interval = round(months[last.id] - months[current.id], 4)
                censored = True

    # -- after resistance ----------------------------------------------------------------
    first_post = post[0] if post else None
    combination = None
    if first_post is not None:
        agents = [lookup(a.drug) for a in first_post.agents]
        combination = any(d.is_egfr_tki for d in agents) and any(d.is_alk_tki for d in agents)
    best = None
    if first_post is not None:
        responses = [
            e.category
            for e in case.events
            if isinstance(e, ResponseAssessment)
            and e.therapy == first_post.id
            and e.category in ("CR", "PR", "SD", "PD")
        ]
        if responses:
            best = min(responses, key=lambda c: _RANK[c])
    post_status = reported.post_resistance or ("given" if post else None)

    # -- adverse events ------------------------------------------------------------------
    severe = [e for e in case.events if isinstance(e, AdverseEvent) and e.grade >= 3]
    grade3_any: bool | None = None
    on_first: bool | None = None
    grade3_text: str | None = None
    if severe:
        grade3_any = True
        by_id = {ln.id: ln for ln in lines}
        parts = []
        for ae in severe:
            line = by_id.get(ae.therapy) if ae.therapy else None
            on = f" on {_format_regimen(line)}" if line is not None else ""
            parts.append(f"{ae.term} (grade {ae.grade}{'+' if ae.grade == 3 else ''}){on}")
        grade3_text = "; ".join(parts)
        if first_post is not None and all(ae.therapy is not None for ae in severe):
            on_first = any(ae.therapy == first_post.id for ae in severe)
        elif first_post is not None and any(ae.therapy == first_post.id for ae in severe):
            on_first = True
    elif reported.grade3 == "none":
        grade3_any = False
        on_first = False if first_post is not None else None
        grade3_text = "none"

    # -- biopsy, testing, sites ------------------------------------------------------------
    biopsy = None
    testing = None
    if isinstance(resistance, MolecularTest):
        spec = next(
            (e for e in case.events if isinstance(e, Specimen) and e.id == resistance.specimen),
            None,
        )
        if spec is not None:
            if spec.kind == "plasma":
                biopsy = "liquid"
            elif spec.site:
                biopsy = spec.site
            elif spec.kind != "other":
                biopsy = spec.kind
        assay = case.assay(resistance.assay)
        if reported.testing:
            testing = " + ".join(reported.testing)
        elif assay is not None and assay.id != "as-reported":
            testing = assay.name
    elif reported.testing:
        testing = " + ".join(reported.testing)
    cns_reported, cns_involved, extracranial = _sites(case, tl, reported, at_res, res_at)

    partners = [f.five_prime for f in alk if f.five_prime is not None]
    partner_class: PartnerClass | None = None
    eml4_any = uncommon_any = None
    if alk:
        eml4_any = "EML4" in partners
        uncommon_any = any(p != "EML4" for p in partners)
        if eml4_any and uncommon_any:
            partner_class = "both"
        elif eml4_any:
            partner_class = "eml4"
        elif uncommon_any:
            partner_class = "uncommon"
        else:
            partner_class = "unknown"
            eml4_any = uncommon_any = None
    history = _history_text(baseline_tests, tests, resistance, tl)
    primary = reported.primary_source
    return CaseFacts(
        case_uid=uid,
        dataset=dataset,
        status=status,
        source_id=source_id,
        source_row=source_row,
        study=primary.text if primary is not None else None,
        needs_curation=bool(flags),
        n_flags=len(flags),
        age=case.patient.age_at_diagnosis,
        sex=None if case.patient.sex == "unknown" else case.patient.sex,
        egfr_baseline=egfr_baseline,
        egfr_t790m=bool(t790m),
        egfr_t790m_de_novo=t790m_de_novo,
        egfr_history_text=history,
        prior_tkis=",".join(tkis) or None,
        last_egfr_tki=last_tki,
        osimertinib_exposed="osimertinib" in pre_drugs,
        tki_generations=",".join(map(str, generations)) or None,
        alk_partners=",".join(partners) or None,
        n_alk_fusions=len(alk),
        eml4_any=eml4_any,
        uncommon_partner_any=uncommon_any,
        partner_class=partner_class,
        interval_months=interval,
        interval_censored=censored,
        post_regimen_status=post_status,
        post_regimen_text=" → ".join(_format_regimen(ln) for ln in post) or None,
        first_post_regimen=_format_regimen(first_post) if first_post is not None else None,
        n_post_regimens=len(post),
        combination_egfr_alk=combination,
        best_response=best,
        grade3_any=grade3_any,
        grade3_on_first_post_regimen=on_first,
        grade3_text=grade3_text,
        biopsy=biopsy,
        testing=testing,
        cns_reported=cns_reported,
        cns_involved=cns_involved,
        extracranial_sites=extracranial,
        n_events=len(case.events),
        patient_source=patient_source(case, reported),
        patient_ages=patient_ages(case),
        patient_source_ids=patient_source_ids(case, reported),
    )


def patient_ages(case: Case) -> str | None:
    """Every age the case's sources give, ascending, comma-joined (``62,65``): the age at
    diagnosis and the values of a recorded conflict over it (the seed's text says 62, its
    Table 1 says 65). ``None`` when no age is known."""
    ages = set()
    if case.patient.age_at_diagnosis is not None:
        ages.add(case.patient.age_at_diagnosis)
    for conflict in case.conflicts:
        if conflict.field == "patient.age_at_diagnosis":
            ages.update(
                v.value for v in conflict.values if isinstance(v.value, int)
                and not isinstance(v.value, bool)
            )  # fmt: skip
    return ",".join(str(a) for a in sorted(ages)) or None


def patient_source(case: Case, reported: ReportedSummary) -> str | None:
    """The publication the patient was first reported in, ``doi:<lower-case DOI>`` or
    ``pmid:<PMID>``: the primary study a review row cites (its DOI), else the case's own
    source (a review's present case, a local case written from a paper). ``None`` when the
    row cites a primary study without a DOI, or the case names no publication: such a case is
    matched only by a curator's link (``docs/registry.md``, "Same patient twice")."""
    primary = reported.primary_source
    if primary is not None and not primary.present_case:
        return f"doi:{primary.doi.casefold()}" if primary.doi else None
    if case.source is None:
        return None
    if case.source.doi:
        return f"doi:{case.source.doi.casefold()}"
    if case.source.pmid:
        return f"pmid:{case.source.pmid}"
    return None


def patient_source_ids(case: Case, reported: ReportedSummary) -> str | None:
    """Every identifier known for the publication of :func:`patient_source`, sorted and
    space-joined (``doi:10.1038/s41416-019-0573-8 pmid:31564718``): the DOI and PMID the record
    itself carries, and those the bundled citation table (the knowledge base's
    ``citations.yaml``) gives for the same paper. Never looked up on the network. The registry
    treats identifiers that some record or the table gives together as one paper when it
    matches patients (:func:`tkiresist.registry.db.refresh_duplicates`)."""
    primary = reported.primary_source
    ids: set[str] = set()
    if primary is not None and not primary.present_case:
        if primary.doi:
            ids.add(f"doi:{primary.doi.casefold()}")
    elif case.source is not None:
        if case.source.doi:
            ids.add(f"doi:{case.source.doi.casefold()}")
        if case.source.pmid:
            ids.add(f"pmid:{case.source.pmid}")
    table = paper_identifiers()
    for key in list(ids):
        ids.update(table.get(key, ()))
    return " ".join(sorted(ids)) or None


@lru_cache(maxsize=1)
def paper_identifiers() -> dict[str, frozenset[str]]:
    """``doi:…`` and ``pmid:…`` keys of the bundled citation table's papers that have both,
    each mapped to the paper's other identifier (read once, offline)."""
    import yaml

    from tkiresist.knowledge.loader import CITATIONS_FILE, packaged_root

    target = packaged_root().joinpath(CITATIONS_FILE)
    data = yaml.safe_load(target.read_text(encoding="utf-8")) if target.is_file() else None
    out: dict[str, frozenset[str]] = {}
    for entry in (data or {}).values():
        if not isinstance(entry, dict) or not entry.get("doi") or not entry.get("pmid"):
            continue
        doi, pmid = f"doi:{str(entry['doi']).casefold()}", f"pmid:{entry['pmid']}"
        out[doi] = out.get(doi, frozenset()) | {pmid}
        out[pmid] = out.get(pmid, frozenset()) | {doi}
    return out


def _anchored_on(points: dict[str, TimePoint], key: str, targets: set[str]) -> bool:
    """True when ``key``'s time is an offset (directly or through anchors) from a target."""
    seen: set[str] = set()
    while key not in seen:
        seen.add(key)
        tp = points.get(key)
        if tp is None or tp.after is None:
            return False
        if tp.after in targets:
            return True
        key = tp.after
    return False


def _split_lines(
    lines: list[TherapyLine], resistance: AnyEvent | None, res_at: float | None, tl: _Timeline
) -> tuple[list[TherapyLine], list[TherapyLine]]:
    """Lines before (or at) the resistance point, and lines after it. A line that starts in the
    same month as the resistance point is *after* it when its start is anchored on the point
    (or on a line that is), as literature cases place their post-resistance regimens."""
    if resistance is None or res_at is None:
        return list(lines), []
    anchors = {resistance.id}
    if isinstance(resistance, MolecularTest):
        anchors.add(resistance.specimen)
    pre: list[TherapyLine] = []
    post: list[TherapyLine] = []
    for ln in lines:
        if tl.at(ln) > res_at + 1e-9 or _anchored_on(tl.points, ln.id, anchors):
            post.append(ln)
            anchors.add(ln.id)
        else:
            pre.append(ln)
    return pre, post


def _history_text(
    baseline: list[MolecularTest],
    tests: list[MolecularTest],
    resistance: AnyEvent | None,
    tl: _Timeline,
) -> str | None:
    """``EGFR exon 19 deletion → EGFR p.T790M``: EGFR variants at baseline, then each later
    test up to the resistance point that adds one."""
    steps: list[list[str]] = []
    seen: set[str] = set()
    limit = tl.at(resistance) if resistance is not None else None
    for t in tests:
        if t not in baseline and limit is not None and tl.at(t) > limit + 1e-9:
            break
        new = []
        for a in _detected(t):
            if isinstance(a, SequenceVariant) and a.gene == "EGFR":
                name = _format(a)
                if name not in seen:
                    seen.add(name)
                    new.append(name)
        if not new:
            continue
        if t in baseline and steps:
            steps[0].extend(new)
        else:
            steps.append(new)
    return " → ".join(" + ".join(s) for s in steps) or None


def _sites(
    case: Case,
    tl: _Timeline,
    reported: ReportedSummary,
    at_res: TherapyLine | None,
    res_at: float | None,
) -> tuple[bool, bool | None, str | None]:
    """(cns_reported, cns_involved, extracranial_sites): the summary's statements first, else
    progression events (PD) on the line at resistance or up to the resistance point."""
    window: list[ResponseAssessment] = []
    for e in case.events:
        if not isinstance(e, ResponseAssessment) or not e.is_progression:
            continue
        on_line = at_res is not None and e.therapy == at_res.id
        in_time = (
            at_res is not None
            and res_at is not None
            and tl.at(at_res) - 1e-9 <= tl.at(e) <= res_at + 1e-9
        )
        if on_line or in_time:
            window.append(e)
    cns_pd = any(e.site == "cns" for e in window)
    if reported.cns_progression is not None:
        cns_reported, cns_involved = True, reported.cns_progression
    elif cns_pd:
        cns_reported, cns_involved = True, True
    else:  # CNS disease at diagnosis is not progression at resistance: not used here
        cns_reported, cns_involved = False, None
    extracranial: str | None = None
    if reported.extracranial_progression is not None:
        extracranial = ",".join(reported.extracranial_progression) or "none"
    else:
        sites = [
            lesion.site
            for e in window
            if e.site == "extracranial"
            for lesion in e.lesions
            if lesion.site
        ]
        extracranial = ",".join(dict.fromkeys(sites)) or None
    return cns_reported, cns_involved, extracranial
