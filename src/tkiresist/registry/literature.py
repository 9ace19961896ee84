"""A review-table row becomes a sparse case, with the verbatim text of every field.

Every cell is parsed with the nomenclature layer (:mod:`~tkiresist.nomenclature.histories` for
EGFR histories, :mod:`~tkiresist.nomenclature.regimens` for therapy sequences,
:mod:`~tkiresist.nomenclature.fusions` for fusions, :mod:`~tkiresist.nomenclature.drugs` for a
drug named in an adverse event) or by the small cell grammars below. Three outcomes per cell:

* *not reported*: blank, ``NA``, ``N/A``, ``NR``, ``not reported``, ``unknown``, a dash (and
  any extra token a mapping file lists). Nothing is recorded but the verbatim text;
* *parsed*: the value goes into the case (or the :class:`ReportedSummary`);
* *does not parse*: the verbatim text is kept, the cell is flagged for curation
  (:class:`CurationFlag`, with the parser's reason) and the field stays empty. Never dropped.

The sparse case (see ``docs/registry.md`` for the full picture):

* ``dx``: a diagnosis of NSCLC (OncoTree ``NSCLC``; a table rarely gives the histology);
* ``spec-baseline``/``test-baseline``: the first step of the EGFR history, at diagnosis;
* ``line-1``... : the pre-resistance therapy sequence, one line per regimen, in order;
* ``spec-step-N``/``test-step-N``: later steps of the EGFR history (acquired, e.g. T790M),
  placed at the start of the line at resistance;
* ``spec-resistance``/``test-resistance``: the resistance specimen (biopsy column) and the
  fusion(s) found, ``interval_months`` after the start of the line at resistance (the last
  pre-resistance line);
* ``line-K``... after it: the post-resistance regimens; ``response-1``: the best response to
  the first of them; ``ae-N``: grade >=3 adverse events, attached to the regimen holding the
  drug they are attributed to.

Times a table does not give are placed as offsets of 0 days marked ``approximate`` with the
note ``time not reported``: the order is the source's, the distances are not. Facts never
derive a number from an approximate time (:mod:`tkiresist.registry.facts`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final, Literal, TypeVar

from tkiresist.errors import ParseError
from tkiresist.model.alterations import Fusion
from tkiresist.model.assays import Assay, Coverage
from tkiresist.model.base import Value
from tkiresist.model.case import Case, Patient
from tkiresist.model.citation import Citation
from tkiresist.model.findings import Finding, Provenance
from tkiresist.model.time import DAYS_PER_MONTH, TimePoint
from tkiresist.model.timeline import (
    AdverseEvent,
    Agent,
    AnyEvent,
    Diagnosis,
    MolecularTest,
    ResponseAssessment,
    ResponseCategory,
    Site,
    Specimen,
    SpecimenKind,
    TherapyLine,
)
from tkiresist.nomenclature.histories import VariantHistory, parse_history
from tkiresist.nomenclature.regimens import TherapySequence, parse_sequence
from tkiresist.registry.record import (
    Abstraction,
    CurationFlag,
    FieldSource,
    PrimarySource,
    ReportedSummary,
    SourceRef,
)
from tkiresist.registry.tables import Cell, SourceRow

T = TypeVar("T")

NOT_REPORTED: Final = frozenset(
    {"", "na", "n/a", "n.a.", "n.a", "nr", "n/r", "not reported", "not available", "unknown",
     "unk", "-", "–", "—", "?", "nd", "not done"}
)  # fmt: skip
"""Cell texts (case-folded, stripped) meaning "not reported". ``No`` and ``None`` are not here:
they are statements (no treatment, no adverse event) and each field reads them as such."""

NOT_REPORTED_NOTE: Final = "time not reported"
PRESENT_CASE: Final = frozenset(
    {"present", "present case", "this case", "current case", "index case"}
)

_DASH = "\\-\u2010\u2011\u2012\u2013\u2014\u2212"  # for a character class


def is_not_reported(text: str, extra: Iterable[str] = ()) -> bool:
    """True for a blank cell and the tokens of :data:`NOT_REPORTED` (and ``extra``)."""
    key = " ".join(text.split()).casefold()
    return key in NOT_REPORTED or key in {e.strip().casefold() for e in extra}


def _error(what: str, text: str, expected: str, position: int | None = 0) -> ParseError:
    return ParseError(what, text, position, expected)


# ------------------------------------------------------------------------------ cell grammars

Sex = Literal["female", "male"]
_SEX: Final[Mapping[str, Sex]] = {"m": "male", "male": "male", "f": "female", "female": "female"}
_AGE_SEX = re.compile(
    r"^\s*(?:(?P<a1>\d{1,3})\s*(?:y(?:ears?|rs?)?\.?)?\s*[/,;\s]\s*(?P<s1>[a-z]+)"
    r"|(?P<s2>[a-z]+)\s*[/,;\s]\s*(?P<a2>\d{1,3})\s*(?:y(?:ears?|rs?)?\.?)?)\s*$",
    re.IGNORECASE,
)


def parse_age(text: str) -> int:
    """``65`` or ``65 years``: an age from 0 to 120."""
    m = re.fullmatch(r"\s*(\d{1,3})\s*(?:y(?:ears?|rs?)?\.?)?\s*", text, re.IGNORECASE)
    if not m or int(m.group(1)) > 120:
        raise _error("age", text, "an age in years from 0 to 120, e.g. 65")
    return int(m.group(1))


def parse_sex(text: str) -> Sex:
    """``M``, ``F``, ``male``, ``female`` (any case)."""
    sex = _SEX.get(text.strip().casefold())
    if sex is None:
        raise _error("sex", text, "M, F, male or female")
    return sex


def parse_age_sex(text: str) -> tuple[int, Sex]:
    """``65/M``, ``65 F``, ``M/65``, ``65 years, female``."""
    m = _AGE_SEX.match(text)
    if not m:
        raise _error("age/sex", text, "age and sex such as 65/M")
    age_text = m.group("a1") or m.group("a2")
    sex_text = m.group("s1") or m.group("s2")
    return parse_age(age_text), parse_sex(sex_text)


_STUDY = re.compile(
    r"^\s*(?P<author>[^\W\d][\w'’ .\-]*?)(?:\s+et\s+al\.?)?\s*,?\s*"
    r"\(\s*(?P<year>(?:19|20)\d\d)\s*\)"
    r"\s*(?:,\s*(?P<case>(?:case|patient|pt\.?)\s*[\w.\-]+))?\s*(?:\[\s*(?P<ref>\d+)\s*\])?\s*$",
    re.IGNORECASE,
)


def parse_study(text: str) -> PrimarySource:
    """``Schrock et al. (2018), Case 7``, ``Liang et al. (2016) [10]``, ``Present``."""
    clean = " ".join(text.split())
    if clean.casefold() in PRESENT_CASE:
        return PrimarySource(text=clean, present_case=True)
    m = _STUDY.match(clean)
    if not m:
        raise _error(
            "study", text, "'Author et al. (YEAR)', optionally ', Case N' and '[ref]', or 'Present'"
        )
    case = m.group("case")
    return PrimarySource(
        text=clean,
        first_author=m.group("author").strip(),
        year=int(m.group("year")),
        case_label=" ".join(case.split()) if case else None,
        reference=int(m.group("ref")) if m.group("ref") else None,
    )


def parse_interval(text: str) -> tuple[float, bool]:
    """Months as a number (``13``, ``7.5``, ``13 months``, ``~13``); returns (months, about)."""
    m = re.fullmatch(
        r"\s*(?P<about>~|≈|about|approx\.?|approximately)?\s*(?P<n>\d+(?:[.,]\d+)?)\s*"
        r"(?:months?|mos?\.?|m)?\s*",
        text,
        re.IGNORECASE,
    )
    if not m:
        raise _error("interval", text, "a number of months such as 13 or 7.5")
    return float(m.group("n").replace(",", ".")), bool(m.group("about"))


_RESPONSES: Final[Mapping[str, ResponseCategory]] = {
    "cr": "CR",
    "complete response": "CR",
    "pr": "PR",
    "partial response": "PR",
    "sd": "SD",
    "stable disease": "SD",
    "pd": "PD",
    "progressive disease": "PD",
    "progression": "PD",
}


def parse_response(text: str) -> ResponseCategory:
    """``CR``, ``PR``, ``SD``, ``PD`` or the words they stand for."""
    category = _RESPONSES.get(" ".join(text.split()).casefold())
    if category is None:
        raise _error("best response", text, "CR, PR, SD or PD")
    return category


_YES: Final = frozenset({"yes", "y", "present", "+", "positive"})
_NO: Final = frozenset({"no", "n", "none", "absent", "-", "negative"})


def parse_yes_no(text: str) -> bool:
    key = " ".join(text.split()).casefold()
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise _error("yes/no", text, "Yes or No")


_NONE_WORDS: Final = frozenset({"no", "none", "nil"})
_SITE = re.compile(r"^[^\W\d_][^\W\d_ '\-]*(?:[ '\-][^\W\d_]+)*$")


def parse_sites(text: str) -> tuple[str, ...]:
    """``Liver & bone``, ``Lung, pleural effusion``; ``No``/``None`` is the empty tuple."""
    if " ".join(text.split()).casefold() in _NONE_WORDS:
        return ()
    parts = [p.strip() for p in re.split(r"[,;&/]|\band\b", text)]
    sites: list[str] = []
    for part in parts:
        if not part or not _SITE.match(part):
            pos = text.find(part) if part else 0
            raise _error("sites", text, "site names separated by ',' or '&'", max(pos, 0))
        sites.append(" ".join(part.split()).casefold())
    return tuple(sites)


@lru_cache(maxsize=4096)
def parse_post_regimen(text: str) -> TherapySequence | None:
    """A therapy sequence; ``No``/``None`` (no post-resistance treatment) is ``None``."""
    if " ".join(text.split()).casefold() in _NONE_WORDS:
        return None
    return parse_sequence(text)


@lru_cache(maxsize=4096)
def parse_therapy(text: str) -> TherapySequence:
    return parse_sequence(text)


@lru_cache(maxsize=4096)
def parse_egfr_history(text: str) -> VariantHistory:
    return parse_history(text, gene="EGFR")


@lru_cache(maxsize=4096)
def parse_fusion_cell(text: str) -> tuple[Fusion, ...]:
    from tkiresist.nomenclature.fusions import parse_fusions

    report = parse_fusions(text)
    if not report.fusions:
        raise _error("fusion", text, "at least one fusion such as EML4-ALK")
    return tuple(report.fusions)


class AdverseEventReport(Value):
    """A grade >=3 adverse event as a table cell gives it."""

    term: str | None = None
    drug: str | None = None
    grade: int | None = None
    text: str


_INDUCED = re.compile(
    rf"^\s*(?P<drug>[^\s{_DASH}][^{_DASH}]*?)\s*[{_DASH}]\s*(?P<how>induced|related|associated)\b"
    r"\s*(?P<term>.*?)\s*$",
    re.IGNORECASE,
)
_GRADE = re.compile(r"\(?\s*(?:grade|g)\s*(?P<g>[3-5])\s*\)?", re.IGNORECASE)
_TERM = re.compile(r"^[^\W\d_][\w '/\-]*$")


@lru_cache(maxsize=4096)
def parse_grade3(text: str) -> tuple[AdverseEventReport, ...]:
    """``None`` (no event), ``Brigatinib-induced ILD``, ``Brigatinib- induced``, ``Pneumonitis
    (grade 3)``; several separated by ``;``."""
    from tkiresist.nomenclature.drugs import lookup

    if " ".join(text.split()).casefold() in _NONE_WORDS:
        return ()
    out: list[AdverseEventReport] = []
    for part in text.split(";"):
        item = " ".join(part.split())
        grade = None
        g = _GRADE.search(item)
        if g:
            grade = int(g.group("g"))
            item = (item[: g.start()] + item[g.end() :]).strip(" ,")
        m = _INDUCED.match(item)
        if m:
            drug = lookup(m.group("drug")).generic
            term = m.group("term") or None
            out.append(AdverseEventReport(term=term, drug=drug, grade=grade, text=part.strip()))
        elif item and _TERM.match(item):
            out.append(AdverseEventReport(term=item, grade=grade, text=part.strip()))
        else:
            raise _error(
                "adverse event",
                text,
                "'None', '<drug>-induced [term]' or an adverse event term",
                max(text.find(part.strip()), 0),
            )
    return tuple(out)


class Biopsy(Value):
    kind: SpecimenKind
    site: str | None = None
    site_kind: Site | None = None


_LIQUID: Final[Mapping[str, SpecimenKind]] = {
    "liquid": "plasma",
    "liquid biopsy": "plasma",
    "plasma": "plasma",
    "blood": "plasma",
    "ctdna": "plasma",
    "cfdna": "plasma",
    "csf": "csf",
    "cerebrospinal fluid": "csf",
    "pleural effusion": "pleural_fluid",
    "pleural fluid": "pleural_fluid",
    "cytology": "cytology",
}
_CNS_WORDS = ("brain", "cns", "cerebr", "cerebell", "leptomening", "dura", "spinal", "intracran")


def parse_biopsy(text: str) -> Biopsy:
    """``Liquid`` (plasma), ``CSF``, ``Pleural effusion``, or a tissue site (``Brain``)."""
    key = " ".join(text.split()).casefold()
    kind = _LIQUID.get(key)
    if kind is not None:
        return Biopsy(kind=kind)
    site = key.removesuffix(" biopsy").removesuffix(" tissue").strip()
    if not _SITE.match(site):
        raise _error("biopsy", text, "Liquid, CSF, or a tissue site such as Brain or Lung")
    cns = any(w in site for w in _CNS_WORDS)
    return Biopsy(kind="tissue", site=site, site_kind="cns" if cns else "extracranial")


_METHODS: Final[Mapping[str, str]] = {
    "ihc": "IHC",
    "immunohistochemistry": "IHC",
    "fish": "FISH",
    "ngs": "NGS",
    "dna ngs": "NGS",
    "rna ngs": "RNA NGS",
    "ctdna ngs": "ctDNA NGS",
    "plasma ngs": "ctDNA NGS",
    "liquid ngs": "ctDNA NGS",
    "rna-seq": "RNA-seq",
    "rnaseq": "RNA-seq",
    "rt-pcr": "RT-PCR",
    "rtpcr": "RT-PCR",
    "pcr": "PCR",
    "ddpcr": "ddPCR",
    "arms": "ARMS-PCR",
    "arms-pcr": "ARMS-PCR",
    "sanger": "Sanger",
    "wes": "WES",
    "wgs": "WGS",
}


def parse_testing(text: str) -> tuple[str, ...]:
    """``IHC + NGS``, ``NGS``, ``IHC +`` (a trailing ``+`` is "positive", not a join)."""
    body = text.strip()
    while body.endswith("+"):
        body = body[:-1].rstrip()
    parts = re.split(r"\s*(?:\+|/|,|&|\band\b)\s*", body)
    out: list[str] = []
    for part in parts:
        method = _METHODS.get(" ".join(part.split()).casefold())
        if method is None:
            raise _error(
                "testing method",
                text,
                "methods such as IHC, FISH, NGS, RT-PCR joined by '+'",
                max(text.find(part), 0) if part else 0,
            )
        if method not in out:
            out.append(method)
    return tuple(out)


# ------------------------------------------------------------------------------ row to case

REPORTED_ASSAY: Final = Assay(
    id="as-reported",
    name="Testing as reported by the source (assay not stated)",
    method="other",
    coverage=Coverage(
        sequence_variant=("*",),
        fusion=("*",),
        copy_number=("*",),
        expression=("*",),
        histology=True,
    ),
    limits=(
        "A literature table names findings, not assays: coverage is assumed for what it "
        "reports, so a 'not detected' from this entry proves nothing."
    ),
)

_METHOD_KIND: Final[Mapping[str, Literal["ngs", "pcr", "ihc", "fish"]]] = {
    "IHC": "ihc",
    "FISH": "fish",
    "NGS": "ngs",
    "RNA NGS": "ngs",
    "ctDNA NGS": "ngs",
    "RNA-seq": "ngs",
    "WES": "ngs",
    "WGS": "ngs",
    "RT-PCR": "pcr",
    "PCR": "pcr",
    "ddPCR": "pcr",
    "ARMS-PCR": "pcr",
}


@lru_cache(maxsize=256)
def _resistance_assay(methods: tuple[str, ...]) -> Assay:
    kinds = {_METHOD_KIND.get(m, "other") for m in methods}
    method = kinds.pop() if len(kinds) == 1 else "other"
    return REPORTED_ASSAY.model_copy(
        update={
            "id": "as-reported-resistance",
            "name": "As reported: " + " + ".join(methods),
            "method": method,
        }
    )


@lru_cache(maxsize=4096)
def _after(anchor: str, months: float = 0.0, approximate: bool = True) -> TimePoint:
    return TimePoint(after=anchor, days=months * DAYS_PER_MONTH, approximate=approximate)


@lru_cache(maxsize=1024)
def _agents(drugs: tuple[str, ...]) -> tuple[Agent, ...]:
    return tuple(Agent(drug=d) for d in drugs)


DIAGNOSIS: Final = Diagnosis(
    id="dx",
    histology="non-small cell lung cancer",
    oncotree_code="NSCLC",
    note="histology as a review table gives it (NSCLC); the subtype is not stated",
)
BASELINE_SPECIMEN: Final = Specimen(
    id="spec-baseline",
    time=TimePoint(after="dx", days=0.0),
    kind="other",
    note="baseline testing at diagnosis; specimen not reported",
)


@dataclass
class _Row:
    """Reads one row's cells, recording provenance and flags as it goes."""

    row: SourceRow
    file: str
    not_reported: tuple[str, ...]
    provenance: list[FieldSource] = field(default_factory=list)
    flags: list[CurationFlag] = field(default_factory=list)

    def cell(self, name: str) -> Cell | None:
        return self.row.cells.get(name)

    def read(self, name: str, parse: Callable[[str], T], paths: tuple[str, ...]) -> T | None:
        cell = self.cell(name)
        if cell is None:
            return None
        text = cell.text
        if is_not_reported(text, self.not_reported):
            self.provenance.append(
                FieldSource(field=name, verbatim=text, parsed=True, line=cell.line)
            )
            return None
        try:
            value = parse(" ".join(text.split()))
        except ParseError as exc:
            reason = exc.message
            self.provenance.append(
                FieldSource(field=name, verbatim=text, parsed=False, message=reason, line=cell.line)
            )
            self.flags.append(CurationFlag(field=name, verbatim=text, reason=reason))
            return None
        self.provenance.append(
            FieldSource(field=name, verbatim=text, parsed=True, line=cell.line, paths=paths)
        )
        return value

    def flag(self, name: str, reason: str) -> None:
        cell = self.cell(name)
        self.flags.append(
            CurationFlag(field=name, verbatim=cell.text if cell else "", reason=reason)
        )

    def finding_source(self, name: str) -> Provenance:
        cell = self.cell(name)
        return Provenance(
            file=self.file,
            line=cell.line if cell else None,
            caller="review-table",
            source_text=cell.text if cell else None,
        )


def abstract_row(
    row: SourceRow,
    *,
    case_id: str,
    source: SourceRef,
    file: str = "<table>",
    citation: Citation | None = None,
    not_reported: tuple[str, ...] = (),
    primary_source: PrimarySource | None = None,
) -> Abstraction:
    """Turn one table row into a sparse case, its summary statements, provenance and flags.

    ``primary_source`` (from a bundled dataset's metadata) adds the cited study's DOI (and its
    reference number, when the row gives none) to the study parsed from the row.
    """
    r = _Row(row, file, not_reported)
    if (label := r.cell("case_label")) is not None:
        r.provenance.append(
            FieldSource(
                field="case_label", verbatim=label.text, parsed=True, line=label.line,
                paths=("source.row",),
            )
        )  # fmt: skip
    study = r.read("study", parse_study, ("reported.primary_source",))
    age: int | None = None
    sex: Sex | None = None
    if "age_sex" in row.cells:
        pair = r.read(
            "age_sex", parse_age_sex, ("case.patient.age_at_diagnosis", "case.patient.sex")
        )
        if pair is not None:
            age, sex = pair
    if "age" in row.cells:
        age = r.read("age", parse_age, ("case.patient.age_at_diagnosis",))
    if "sex" in row.cells:
        sex = r.read("sex", parse_sex, ("case.patient.sex",))
    history = r.read("egfr_mutation", parse_egfr_history, ("case.events#test-baseline",))
    pre = r.read("egfr_tki", parse_therapy, ("case.events#line-1",))
    fusions = r.read("alk_fusion", parse_fusion_cell, ("case.events#test-resistance",))
    interval = r.read("interval_months", parse_interval, ("case.events#spec-resistance.time",))
    post_cell = r.cell("post_regimen")
    post = r.read("post_regimen", parse_post_regimen, ("case.events#line-post",))
    response = r.read("best_response", parse_response, ("case.events#response-1",))
    adverse = r.read("grade3_ae", parse_grade3, ("case.events#ae", "reported.grade3"))
    biopsy = r.read("biopsy", parse_biopsy, ("case.events#spec-resistance",))
    testing = r.read("testing", parse_testing, ("reported.testing",))
    cns = r.read("cns_progression", parse_yes_no, ("reported.cns_progression",))
    extracranial = r.read("extracranial_sites", parse_sites, ("reported.extracranial_progression",))

    events: list[AnyEvent] = [DIAGNOSIS]
    assays: list[Assay] = []

    def assay_for(methods: tuple[str, ...] | None) -> str:
        chosen = _resistance_assay(methods) if methods else REPORTED_ASSAY
        if all(a.id != chosen.id for a in assays):
            assays.append(chosen)
        return chosen.id

    egfr_source = r.finding_source("egfr_mutation")
    if history is not None:
        events.append(BASELINE_SPECIMEN)
        base = history.steps[0]
        events.append(
            MolecularTest(
                id="test-baseline",
                specimen="spec-baseline",
                assay=assay_for(None),
                findings=tuple(
                    Finding(alteration=a, provenance=egfr_source) for a in base.alterations
                ),
                report_text=egfr_source.source_text,
                note="present before any TKI (de novo)" if base.de_novo else None,
            )
        )
        if any(step.de_novo for step in history.steps[1:]):
            r.flag("egfr_mutation", "'de novo' marks a later step of the history")

    line_ids: list[str] = []
    line_drugs: list[tuple[str, tuple[str, ...]]] = []
    anchor = "dx"
    for k, regimen in enumerate(pre.lines if pre is not None else (), start=1):
        line_id = f"line-{k}"
        events.append(
            TherapyLine(
                id=line_id,
                line=k,
                agents=_agents(regimen.drugs),
                start=_after(anchor),
                note=f"before resistance; {NOT_REPORTED_NOTE} (order as listed)",
            )
        )
        line_ids.append(line_id)
        line_drugs.append((line_id, regimen.drugs))
        anchor = line_id
    at_resistance = line_ids[-1] if line_ids else "dx"

    if history is not None:
        for n, step in enumerate(history.steps[1:], start=2):
            events.append(
                Specimen(
                    id=f"spec-step-{n}",
                    time=_after(at_resistance),
                    kind="other",
                    note=f"step {n} of the EGFR history, before the resistance biopsy; "
                    f"{NOT_REPORTED_NOTE}",
                )
            )
            events.append(
                MolecularTest(
                    id=f"test-step-{n}",
                    specimen=f"spec-step-{n}",
                    assay=assay_for(None),
                    findings=tuple(
                        Finding(alteration=a, provenance=egfr_source) for a in step.alterations
                    ),
                    report_text=egfr_source.source_text,
                )
            )

    has_resistance = any(v is not None for v in (fusions, interval, biopsy, testing))
    if has_resistance:
        if interval is not None and not line_ids:
            r.flag(
                "interval_months",
                "an interval is given but no pre-resistance therapy to measure it from",
            )
        exact = interval is not None and not interval[1] and bool(line_ids)
        months = interval[0] if interval is not None else 0.0
        kind: SpecimenKind = biopsy.kind if biopsy is not None else "other"
        events.append(
            Specimen(
                id="spec-resistance",
                time=_after(at_resistance, months, approximate=not exact),
                kind=kind,
                site=biopsy.site if biopsy is not None else None,
                site_kind=biopsy.site_kind if biopsy is not None else None,
                note=None if interval is not None else f"resistance specimen; {NOT_REPORTED_NOTE}",
            )
        )
        fusion_source = r.finding_source("alk_fusion")
        events.append(
            MolecularTest(
                id="test-resistance",
                specimen="spec-resistance",
                assay=assay_for(testing),
                findings=tuple(
                    Finding(alteration=f, provenance=fusion_source) for f in (fusions or ())
                ),
                report_text=fusion_source.source_text,
            )
        )
    post_anchor = "spec-resistance" if has_resistance else at_resistance
    post_ids: list[str] = []
    offset = len(line_ids)
    for k, regimen in enumerate(post.lines if post is not None else (), start=1):
        line_id = f"line-{offset + k}"
        events.append(
            TherapyLine(
                id=line_id,
                line=offset + k,
                agents=_agents(regimen.drugs),
                start=_after(post_anchor),
                note=f"after resistance; {NOT_REPORTED_NOTE} (order as listed)",
            )
        )
        post_ids.append(line_id)
        line_drugs.append((line_id, regimen.drugs))
        post_anchor = line_id
    if response is not None:
        if not post_ids:
            r.flag("best_response", "a best response is given but no post-resistance regimen")
        events.append(
            ResponseAssessment(
                id="response-1",
                time=_after(post_ids[0] if post_ids else post_anchor),
                category=response,
                therapy=post_ids[0] if post_ids else None,
                note=f"best response to the first post-resistance regimen; {NOT_REPORTED_NOTE}",
            )
        )
    for n, ae in enumerate(adverse or (), start=1):
        therapy = None
        if ae.drug is not None:
            post_lines = [lid for lid, drugs in line_drugs if lid in post_ids and ae.drug in drugs]
            any_lines = [lid for lid, drugs in line_drugs if ae.drug in drugs]
            chosen = post_lines or any_lines
            therapy = chosen[0] if chosen else None
            if therapy is None:
                r.flag("grade3_ae", f"{ae.drug} is in no regimen of this row")
        grade_note = "" if ae.grade else "grade >=3 as reported (exact grade not given); "
        events.append(
            AdverseEvent(
                id=f"ae-{n}",
                term=ae.term or "not stated",
                grade=ae.grade or 3,
                therapy=therapy,
                note=f"{grade_note}as written: {ae.text!r}",
            )
        )

    post_status = None
    if post is not None:
        post_status = "given"
    elif post_cell is not None and " ".join(post_cell.text.split()).casefold() in _NONE_WORDS:
        post_status = "none"
    grade3 = None if adverse is None else ("some" if adverse else "none")
    if study is not None and primary_source is not None:
        study = study.model_copy(
            update={
                "doi": primary_source.doi,
                "uncertain": primary_source.uncertain,
                "reference": study.reference or primary_source.reference,
            }
        )
    reported = ReportedSummary(
        primary_source=study or primary_source,
        cns_progression=cns,
        extracranial_progression=extracranial,
        post_resistance=post_status,
        grade3=grade3,
        testing=testing,
    )
    pseudonym = f"{source.table or 'table'} row {row.key}"
    if study is not None and not study.present_case:
        pseudonym += f" ({study.text})"
    case = Case(
        id=case_id,
        pseudonym=pseudonym,
        source=citation,
        patient=Patient(age_at_diagnosis=age, sex=sex or "unknown"),
        assays=tuple(assays),
        events=tuple(events),
        notes=(
            f"Abstracted from {source.describe()}. Times the table does not give are offsets "
            f"of 0 days marked approximate ('{NOT_REPORTED_NOTE}'). Age as the table gives it "
            "(the time point is not stated)."
        ),
    )
    if row.joined:
        r.provenance.append(
            FieldSource(
                field="_row",
                verbatim="",
                parsed=True,
                line=row.line,
                message="row re-joined from text lines " + ", ".join(map(str, row.lines)),
            )
        )
    return Abstraction(
        case=case, reported=reported, provenance=tuple(r.provenance), flags=tuple(r.flags)
    )


__all__ = [
    "NOT_REPORTED",
    "REPORTED_ASSAY",
    "AdverseEventReport",
    "Biopsy",
    "abstract_row",
    "is_not_reported",
    "parse_age",
    "parse_age_sex",
    "parse_biopsy",
    "parse_grade3",
    "parse_interval",
    "parse_response",
    "parse_sex",
    "parse_sites",
    "parse_study",
    "parse_testing",
    "parse_yes_no",
]
