"""Attach the findings a reader made of one file to a case, as a new molecular test.

:func:`attach_test` is pure: it takes a :class:`~tkiresist.model.case.Case` and a
:class:`~tkiresist.io.base.ReadResult` and returns a new case with one new
:class:`~tkiresist.model.timeline.MolecularTest` event (and a new
:class:`~tkiresist.model.timeline.Specimen` event when the specimen id is new). It writes
nothing; ``tkiresist add-test`` writes the result with the atomic
:func:`~tkiresist.io.casefile.write_case`.

The new case is checked by the very validation :func:`~tkiresist.io.casefile.read_case` runs
(shapes, consistency across events, assay coverage, HGNC symbols): its data are dumped and parsed
back with :func:`~tkiresist.io.casefile.parse_case_text`. So what is returned is exactly what the
case file will read back as, and a finding the assay does not cover is an error, never silently
added. Problems are reported where the user can act on them:

* a problem with a finding names the input file and line the finding came from
  (``seed.vcf:35: alteration: finding 'EGFR p.E746_A750del' is for a gene ... not cover``);
* a problem with an argument names the argument (``specimen_kind``, ``date``, ``assay``,
  ``sample``, ``test_id``, ``specimen``, ``specimen_site``).

Default assays (``assay=None``), by the reader that read the file:

============================================  ============================================
reader                                        assay
============================================  ============================================
VCF written by Ion Reporter (Oncomine)        ``oncomine-precision``
other VCF, MAF, copy-number tables            ``ngs-dna-hotspot``
VCF with fusion findings only, fusion tables  ``ngs-rna-fusion``
IHC/FISH/histology table                      ``ihc-generic``; ``histology`` when every row is
                                              histology; a FISH-only table needs ``assay``
============================================  ============================================

A gene HGNC does not know (a caller's clone-based or Ensembl name, such as ``AC012345.1``) is
kept by the readers as written, with a warning. A case cannot hold it, so a sequence variant,
copy-number change or marker in such a gene is **left out** of the new test: the test's note
names each left-out finding and its file line, and ``tkiresist add-test`` prints them
(:func:`unknown_gene_findings`). Leaving one out cannot make a negative: a gene HGNC does not
know is covered by no assay and named by no knowledge-base category. A fusion of a kinase
whose fusions a category names (ALK, RET, ROS1, NTRK1-3, BRAF, MET, NRG1, FGFR1-3) with such
a partner is different: left out, it would read as "no ALK fusion" under a covering assay (an
implicit negative), so it is refused, located, with what to do. A fusion of two other genes
(a readthrough with a clone-based name) is left out like a variant.

A finding's ``method`` says that *another* test found it (e.g. FISH in an IHC table). When it is
the chosen assay's own method (``IHC`` findings in an IHC test) it is dropped, so that the
assay's coverage is checked for them like for any other finding.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, get_args

from tkiresist.errors import CaseValidationError, FormatError, Location, Problem
from tkiresist.io.base import ReadResult
from tkiresist.model.alterations import Fusion
from tkiresist.model.case import Case
from tkiresist.model.findings import Finding
from tkiresist.model.timeline import MolecularTest, Specimen, SpecimenKind

SPECIMEN_KINDS: tuple[str, ...] = get_args(SpecimenKind)

_FUSION_READERS = frozenset(
    {"arriba", "star-fusion", "fusioncatcher", "cbioportal-sv", "oncokb-fusion", "oncokb-sv"}
)
_DNA_READERS = frozenset(
    {
        "maf",
        "cnvkit",
        "cbioportal-cna",
        "cbioportal-cna-long",
        "gistic",
        "oncokb-cna",
        "cna-calls",
        "ctdna-csv",
    }
)
_ID_MAX = 64


def default_assay(result: ReadResult, findings: tuple[Finding, ...]) -> str:
    """The catalogue assay a file from this reader most likely came from (see the table above).

    Raises FormatError when no catalogue entry fits (a FISH-only table, a VCF mixing fusions
    and small variants outside Ion Reporter): then the assay must be named.
    """
    fmt = result.format
    if fmt == "vcf":
        if result.caller == "ion-reporter":
            return "oncomine-precision"
        fusions = [isinstance(f.alteration, Fusion) for f in findings]
        if fusions and all(fusions):
            return "ngs-rna-fusion"
        if not any(fusions):
            return "ngs-dna-hotspot"
        raise FormatError(
            "the VCF holds both fusions and other findings and no generic assay covers both: "
            "name the assay (or describe it under 'assays' in the case)",
            Location(file=result.file, field="assay"),
        )
    if fmt in _FUSION_READERS:
        return "ngs-rna-fusion"
    if fmt in _DNA_READERS:
        return "ngs-dna-hotspot"
    if fmt == "ihc-table":
        methods = {(f.method or "IHC").lower() for f in findings}
        if "ihc" in methods:
            return "ihc-generic"
        if methods == {"histology"}:
            return "histology"
        raise FormatError(
            "the table holds no IHC result to choose an assay by (methods: "
            + ", ".join(sorted(methods))
            + "): name the assay, e.g. fish-alk-breakapart or fish-met",
            Location(file=result.file, field="assay"),
        )
    raise FormatError(
        f"no default assay for files in the {fmt!r} format: name the assay",
        Location(file=result.file, field="assay"),
    )


def select_sample(result: ReadResult, sample: str | None) -> tuple[str | None, tuple[Finding, ...]]:
    """The findings of ``sample``; without one, of the file's only sample.

    Raises FormatError listing the samples present when ``sample`` is not in the file, or when
    the file holds several and none was named.
    """
    groups = result.findings_by_sample
    named = [s for s in groups if s is not None]
    present = ", ".join(repr(s) for s in named) if named else "none (the file names no sample)"
    where = Location(file=result.file, field="sample")
    if sample is not None:
        if sample in groups:
            return sample, groups[sample]
        raise FormatError(
            f"sample {sample!r} is not in the file; samples present: {present}", where
        )
    if len(groups) == 1:
        only = next(iter(groups))
        return only, groups[only]
    if not groups:
        return None, ()
    raise FormatError(
        f"the file holds {len(groups)} samples: name one; samples present: {present}", where
    )


def _unknown_genes(finding: Finding) -> list[str]:
    from tkiresist.nomenclature.genes import is_known

    return [g for g in finding.alteration.genes if not is_known(g)]


def _named_kinases(fusion: Fusion, unknown: Sequence[str]) -> list[str]:
    """The known partners of ``fusion`` whose fusions a category names (ALK, RET, ROS1,
    NTRK1-3, BRAF, MET, NRG1, FGFR1-3)."""
    from tkiresist.model.categories import FUSION_CATEGORY_BY_3PRIME

    return [g for g in fusion.genes if g not in unknown and g in FUSION_CATEGORY_BY_3PRIME]


def _partition_unknown(
    findings: Sequence[Finding],
) -> tuple[tuple[Finding, ...], list[tuple[Finding, list[str], list[str]]]]:
    """The findings in a gene HGNC does not know, in one pass: those left out, and the
    fusions refused (with their unknown genes and their named kinases)."""
    left_out: list[Finding] = []
    refused: list[tuple[Finding, list[str], list[str]]] = []
    for f in findings:
        unknown = _unknown_genes(f)
        if not unknown:
            continue
        kinases = _named_kinases(f.alteration, unknown) if isinstance(f.alteration, Fusion) else []
        if kinases:
            refused.append((f, unknown, kinases))
        else:
            left_out.append(f)
    return tuple(left_out), refused


def unknown_gene_findings(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """The findings in a gene HGNC does not know (neither a current, previous nor alias
    symbol, or an ambiguous one) that :func:`attach_test` leaves out: all of them but a
    fusion whose other partner is a kinase a fusion category names, which it refuses."""
    return _partition_unknown(findings)[0]


def _refusal(finding: Finding, unknown: list[str], kinases: list[str], file: str) -> Problem:
    """Why a fusion of a named kinase with a partner HGNC does not know is not simply left
    out, and what to do, at its file line."""
    from tkiresist.nomenclature.fusions import THREE_PRIME_GENES

    instead = ""
    if kinases[0] in THREE_PRIME_GENES:
        instead = f"; if the partner is not known, write it as '{kinases[0]} fusion'"
    line = finding.provenance.line if finding.provenance is not None else None
    return Problem(
        f"fusion {finding.alteration.name!r}: HGNC does not know "
        f"{', '.join(map(repr, unknown))}. This {kinases[0]} fusion is not left out, since "
        f"the test would then read as finding no {kinases[0]} fusion; correct the symbol "
        f"in the file{instead}",
        Location(file=file, line=line, field="alteration"),
    )


_NOTE_LIST = 20
"""How many left-out findings a test's note names (the rest are counted)."""


def _left_out_note(left_out: Sequence[Finding]) -> str:
    parts = []
    for f in left_out[:_NOTE_LIST]:
        line = f.provenance.line if f.provenance is not None else None
        parts.append(f"{f.alteration.name} (line {line})" if line else f.alteration.name)
    if len(left_out) > _NOTE_LIST:
        parts.append(f"and {len(left_out) - _NOTE_LIST} more")
    return f"; left out, genes HGNC does not know: {len(left_out)} finding(s): " + ", ".join(parts)


def _kept_method(finding: Finding, assay_method: str | None) -> Finding:
    same = (
        finding.method is not None
        and assay_method is not None
        and finding.method.strip().lower() == assay_method.lower()
    )
    return finding.model_copy(update={"method": None}) if same else finding


def _unique_id(base: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_.-]", "-", base)[: _ID_MAX - 4].strip("-") or "test"
    if not base[0].isalnum():
        base = "t" + base
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def attach_test(
    case: Case,
    result: ReadResult,
    *,
    specimen: str,
    date_or_time: str,
    assay: str | None = None,
    sample: str | None = None,
    test_id: str | None = None,
    specimen_kind: str | None = None,
    specimen_site: str | None = None,
    allow_build_mix: bool = False,
) -> Case:
    """A new case: ``case`` plus one molecular test holding ``result``'s findings.

    ``specimen`` names a specimen event of the case, or a new one (then ``specimen_kind`` is
    required; ``specimen_site`` is optional; the specimen is dated ``date_or_time``).
    ``date_or_time`` is anything a TimePoint accepts (``2024-03-05``, ``13 months after osi``).
    ``assay`` defaults from the reader (:func:`default_assay`); ``sample`` is needed when the
    file holds several; ``test_id`` defaults to ``<method>-<specimen>`` (made unique).

    The new test records the file's genome build when the file gives one. A file on another
    build than a test already in the case is refused (FormatError naming both) unless
    ``allow_build_mix``: serial comparison goes by gene and protein change, which do not
    depend on the build, but the two tests' genomic coordinates are not comparable, and
    that should be a decision, not an accident.

    Raises FormatError for a sample, assay or build problem and CaseValidationError (every
    problem, located) when the new case would not validate.
    """
    _check_build(case, result, allow_build_mix)
    chosen_sample, findings = select_sample(result, sample)
    left_out, refused = _partition_unknown(findings)
    if refused:
        raise CaseValidationError([_refusal(*r, result.file) for r in refused])
    if left_out:
        dropped = {id(f) for f in left_out}
        findings = tuple(f for f in findings if id(f) not in dropped)
    if not findings:
        why = " other than in genes HGNC does not know" if left_out else ""
        raise FormatError(
            f"no findings{why} for sample {chosen_sample!r}: a test that reports nothing would "
            "count as a negative for everything its assay covers; add such a test by hand if "
            "meant",
            Location(file=result.file, field="sample"),
        )
    assay_id = assay if assay is not None else default_assay(result, findings)
    catalogued = case.assay(assay_id)
    assay_method = catalogued.method if catalogued is not None else None

    existing = {e.id: e for e in case.events}
    problems: list[Problem] = []
    new_specimen: dict[str, Any] | None = None
    target = existing.get(specimen)
    if target is None:
        if specimen_kind is None:
            problems.append(
                Problem(
                    f"specimen {specimen!r} is not in the case; to add it as a new specimen give "
                    f"its kind ({', '.join(SPECIMEN_KINDS)})",
                    Location(field="specimen_kind"),
                )
            )
        new_specimen = {
            "id": specimen,
            "type": "specimen",
            "time": date_or_time,
            "kind": specimen_kind,
        }
        if specimen_site is not None:
            new_specimen["site"] = specimen_site
    elif not isinstance(target, Specimen):
        problems.append(
            Problem(
                f"event {specimen!r} is a {target.type} event, not a specimen",
                Location(field="specimen"),
            )
        )
    else:
        if specimen_kind is not None and specimen_kind != target.kind:
            problems.append(
                Problem(
                    f"specimen {specimen!r} is {target.kind!r} in the case, not {specimen_kind!r}",
                    Location(field="specimen_kind"),
                )
            )
        if specimen_site is not None and specimen_site != target.site:
            problems.append(
                Problem(
                    f"specimen {specimen!r} has site {target.site!r} in the case, not "
                    f"{specimen_site!r}",
                    Location(field="specimen_site"),
                )
            )
    if specimen_kind is not None and specimen_kind not in SPECIMEN_KINDS:
        problems = [p for p in problems if p.location.field != "specimen_kind"]
        problems.append(
            Problem(
                f"unknown specimen kind {specimen_kind!r}: expected one of "
                + ", ".join(SPECIMEN_KINDS),
                Location(field="specimen_kind"),
            )
        )
    if problems:
        raise CaseValidationError(problems)

    taken = set(existing) | ({specimen} if new_specimen is not None else set())
    if test_id is not None and test_id in taken:
        raise CaseValidationError(
            [
                Problem(
                    f"duplicate event id {test_id!r}: another event has it",
                    Location(field="test_id"),
                )
            ]
        )
    prefix = assay_method if assay_method is not None else "test"
    event_id = test_id if test_id is not None else _unique_id(f"{prefix}-{specimen}", taken)
    kept = tuple(_kept_method(f, assay_method) for f in findings)
    source = f"from {result.file} ({result.format}, {result.caller}"
    source += f", sample {chosen_sample})" if chosen_sample is not None else ")"
    test: dict[str, Any] = {
        "id": event_id,
        "type": "test",
        "time": date_or_time,
        "specimen": specimen,
        "assay": assay_id,
        "note": f"attached {source}" + (_left_out_note(left_out) if left_out else ""),
        "findings": [f.model_dump(mode="json", exclude_none=True) for f in kept],
    }
    if result.genome_build is not None:
        test["genome_build"] = result.genome_build
    draw = result.draws.get(chosen_sample)
    if draw is not None:
        for name in ("tumour_fraction", "limit_of_detection"):
            value = getattr(draw, name)
            if value is not None:
                test[name] = value

    from tkiresist.io.casefile import case_to_data

    data = case_to_data(case)
    events: list[Any] = list(data["events"])
    if new_specimen is not None:
        events.append(new_specimen)
        at = len(events)
    else:
        # after the specimen and the tests already on it, so the file reads in order
        at = max(
            i + 1
            for i, e in enumerate(case.events)
            if e.id == specimen or (isinstance(e, MolecularTest) and e.specimen == specimen)
        )
    events.insert(at, test)
    data["events"] = events
    spec_at = len(events) - 2 if new_specimen is not None else None
    return _validated(data, test_at=at, specimen_at=spec_at, findings=kept)


def draw_specimen(result: ReadResult, sample: str | None, taken: set[str]) -> str:
    """The specimen id of a draw: the file's ``specimen`` cell, else ``plasma-<date>``."""
    info = result.draws[sample]
    if info.specimen is not None:
        return info.specimen
    return _unique_id(f"plasma-{info.time}", taken)


def attach_draws(
    case: Case,
    result: ReadResult,
    *,
    assay: str | None = None,
    sample: str | None = None,
    specimen_kind: str = "plasma",
    specimen_site: str | None = None,
) -> Case:
    """A new case: ``case`` plus one test per draw of a file that dates its draws (the serial
    ctDNA table, :mod:`tkiresist.io.ctdna`), each on its own specimen (the file's ``specimen``
    cell, else a new ``plasma-<date>`` specimen of ``specimen_kind``), dated by the file, with
    the draw's ``tumour_fraction`` and ``limit_of_detection``. ``sample`` (a date of the file)
    attaches that draw only. Each test is added by :func:`attach_test`, so each is validated
    as a file would be; any problem leaves the case as it was (the caller writes nothing).
    """
    if not result.draws:
        raise FormatError(
            f"the {result.format} file does not date its samples: give --specimen and --date",
            Location(file=result.file),
        )
    if sample is not None and sample not in result.draws:
        present = ", ".join(repr(s) for s in result.draws)
        raise FormatError(
            f"draw {sample!r} is not in the file; draws (dates) present: {present}",
            Location(file=result.file, field="sample"),
        )
    chosen = [sample] if sample is not None else list(result.draws)
    for key in chosen:
        ids = {e.id for e in case.events}
        specimen = draw_specimen(result, key, ids)
        case = attach_test(
            case,
            result,
            specimen=specimen,
            date_or_time=result.draws[key].time,
            assay=assay,
            sample=key,
            specimen_kind=None if specimen in ids else specimen_kind,
            specimen_site=None if specimen in ids else specimen_site,
        )
    return case


def _check_build(case: Case, result: ReadResult, allowed: bool) -> None:
    """Refuse a file on another genome build than a test of the case (see attach_test)."""
    if result.genome_build is None or allowed:
        return
    for event in case.events:
        if isinstance(event, MolecularTest) and event.genome_build not in (
            None,
            result.genome_build,
        ):
            raise FormatError(
                f"genome build mismatch: {result.file} is {result.genome_build} but test "
                f"{event.id!r} of the case is {event.genome_build}; findings are compared by "
                "gene and protein change, but the coordinates of the two tests are not "
                "comparable: allow another build to attach it anyway (--allow-build-mix)",
                Location(file=result.file),
            )


_TEST_FIELDS: Mapping[str, str] = {
    "time": "date",
    "id": "test_id",
    "assay": "assay",
    "specimen": "specimen",
}
_SPECIMEN_FIELDS: Mapping[str, str] = {
    "time": "date",
    "kind": "specimen_kind",
    "site": "specimen_site",
    "id": "specimen",
}
_PATH = re.compile(r"^events\[(\d+)\](?:\.(\w+))?(?:\[(\d+)\])?(?:\.(.*))?$")


def _validated(
    data: dict[str, Any],
    *,
    test_at: int,
    specimen_at: int | None,
    findings: tuple[Finding, ...],
) -> Case:
    """Parse ``data`` back as read_case would; relocate problems to files and arguments."""
    from tkiresist.io.casefile import parse_case_text

    try:
        return parse_case_text(json.dumps(data, ensure_ascii=False), "<case>")
    except CaseValidationError as exc:
        relocated: list[Problem] = []
        for p in exc.problems:
            moved = _relocate(p, test_at, specimen_at, findings)
            if moved not in relocated:  # the date of a new specimen and of its test
                relocated.append(moved)
        raise CaseValidationError(relocated) from None


def _relocate(
    problem: Problem, test_at: int, specimen_at: int | None, findings: tuple[Finding, ...]
) -> Problem:
    """Point a problem of the re-parsed data at the input file line or at the argument."""
    path = problem.location.field or ""
    m = _PATH.match(path)
    if m is None:
        return Problem(problem.message, Location(field=path or None))
    index, head, item, rest = int(m[1]), m[2], m[3], m[4]
    if index == test_at and head == "findings" and item is not None:
        finding = findings[int(item)]
        prov = finding.provenance
        return Problem(
            problem.message,
            Location(
                file=prov.file if prov else None,
                line=prov.line if prov else None,
                field=rest or "finding",
            ),
        )
    if index == test_at and head in _TEST_FIELDS:
        return Problem(problem.message, Location(field=_TEST_FIELDS[head]))
    if specimen_at is not None and index == specimen_at and head in _SPECIMEN_FIELDS:
        return Problem(problem.message, Location(field=_SPECIMEN_FIELDS[head]))
    return Problem(problem.message, Location(field=path))
