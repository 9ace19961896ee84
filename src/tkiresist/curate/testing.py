"""Specimens and the tests run on them, with their findings.

The narrative is read in order. A specimen is opened by the words that name one: plasma
(``liquid biopsy``, ``ctDNA``, ``cell-free DNA``), CSF, pleural fluid, or tissue (``biopsy``,
``resection``, ``excision``, ``craniotomy``...) with its site when the text gives it
(``biopsy of the left lower lobe lung mass``); a later mention of the same site reuses it.
A test is a method named in a sentence (NGS, PCR, IHC, FISH; a catalogue assay by its name:
Oncomine Precision, FoundationOne CDx...) on the specimen of that sentence or the one opened
just before, in the same paragraph or the next. Findings are the alterations the sentence gives
a status (:mod:`tkiresist.curate.mentions`); a finding whose sentence names no method goes to
the paragraph's last test whose method can see it (IHC sees proteins, not variants). A finding
without a specimen or a method is not written, and is listed to check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

from tkiresist.curate.facts import Fact, Found
from tkiresist.curate.mentions import Mention, Method, find_mentions, methods_in
from tkiresist.curate.text import Sentence, Span
from tkiresist.model.alterations import CopyNumber, Expression, Fusion, SequenceVariant

__all__ = ["Test", "extract_tests", "unnamed_assay"]

_PLASMA: Final = re.compile(
    r"(?i)\b(?:plasma|liquid\s+biops\w+|ctDNA|circulating\s+tumou?r\s+DNA|cell-free\s+DNA"
    r"|cfDNA|blood\s+sample)\b"
)
_CSF: Final = re.compile(r"(?i)\b(?:cerebrospinal\s+fluid|CSF)\b")
_PLEURAL: Final = re.compile(r"(?i)\bpleural\s+(?:effusion|fluid)\b")
_TISSUE: Final = re.compile(
    r"(?i)\b(?:re-?biops\w+|biops(?:y|ies|ied)|resect(?:ion|ed)|excision|excised|craniotomy"
    r"|lobectomy|surgical\s+specimen|core\s+needle|bronchoscop\w+|EBUS)\b"
)
_SITE_END = (
    r"(?:mass|lesions?|nodules?|metastasis|metastases|tumou?r|lymph\s+nodes?|nodes?|lobe|lung"
    r"|liver|brain|bone|adrenal|pleura)"
)
_SITE: Final = re.compile(
    r"(?i)\b(?:of|from)\s+(?:the\s+|a\s+|an\s+)?(?P<site>(?:[a-z-]+\s+){0,5}?"
    + _SITE_END
    + r"(?:\s+"
    + _SITE_END
    + r")*)\b"
)
_CNS_SITE: Final = re.compile(r"(?i)\b(?:brain|cerebr\w+|cerebell\w+|intracranial|dural|frontal"
                              r"|temporal|parietal|occipital|spinal)\b")  # fmt: skip
_NAMED_ASSAYS: Final = (
    (re.compile(r"(?i)\bOncomine\s+Precision\b"), "oncomine-precision", "ngs"),
    (re.compile(r"(?i)\bOncomine\s+Dx\b"), "oncomine-dx-target", "ngs"),
    (re.compile(r"(?i)\bFoundationOne\s*Liquid\b"), "foundationone-liquid-cdx", "ngs"),
    (re.compile(r"(?i)\bFoundationOne\s*(?:CDx)?\b"), "foundationone-cdx", "ngs"),
    (re.compile(r"(?i)\bGuardant\s?360\b"), "guardant360-cdx", "ngs"),
    (re.compile(r"(?i)\bD5F3\b"), "ihc-alk-d5f3", "ihc"),
)
_CAN_SEE: Final[dict[str, tuple[type, ...]]] = {
    "ngs": (SequenceVariant, Fusion, CopyNumber),
    "pcr": (SequenceVariant, Fusion),
    "ihc": (Expression,),
    "fish": (Fusion, CopyNumber),
}


def unnamed_assay(method: str) -> dict[str, Any]:
    """The inline assay a draft declares for a test whose assay the text does not name."""
    coverage: dict[str, Any] = {
        "ngs": {"sequence_variant": ["*"], "fusion": ["*"], "copy_number": ["*"]},
        "pcr": {"sequence_variant": ["*"], "fusion": ["*"]},
        "fish": {"fusion": ["*"], "copy_number": ["*"]},
    }[method]
    return {
        "id": f"{method}-unnamed",
        "name": f"{method.upper()} test (assay not named in the source)",
        "method": method,
        "coverage": coverage,
        "limits": "Drafted from a case report that does not name the assay: the coverage is "
        "assumed ('*'), so a not-detected finding from it shows little.",
    }


@dataclass(slots=True)
class SpecimenFound:
    found: Found
    site_key: str | None
    paragraph: int
    index: int


@dataclass(slots=True)
class Test:
    """A test: its specimen, method, assay and findings (in text order)."""

    specimen: SpecimenFound
    method: Method
    assay: str
    assay_span: Span
    position: int
    paragraph: int
    findings: list[Mention] = field(default_factory=list)
    id: str = ""


_ANOTHER: Final = re.compile(r"(?i)\b(?:re-?biops\w+|repeat(?:ed)?|another|second|new|further)\b")


def _specimen(
    s: Sentence, specimens: list[SpecimenFound], current: SpecimenFound | None
) -> SpecimenFound | None:
    for rx, kind in ((_PLASMA, "plasma"), (_CSF, "csf"), (_PLEURAL, "pleural_fluid")):
        m = rx.search(s.text)
        if m:
            for sp in specimens:
                if sp.found.fields["kind"].value == kind and sp.paragraph == s.paragraph:
                    return sp
            found = Found("specimen", s.start + m.start())
            found.fields["kind"] = Fact(kind, (s.match_span(m),))
            return SpecimenFound(found, None, s.paragraph, s.index)
    tissue = _TISSUE.search(s.text)
    site = _SITE.search(s.text)
    if site is not None and re.fullmatch(r"(?i)(?:the\s+)?tumou?r", site["site"]):
        site = None
    key = " ".join(site["site"].lower().split()) if site else None
    if key is not None:
        for sp in specimens:
            if sp.site_key == key:
                return sp
    if tissue is None and not (site and methods_in(s.text)):
        return None
    if (
        site is None
        and current is not None
        and current.found.fields["kind"].value == "tissue"
        and s.paragraph - current.paragraph <= 1
        and not _ANOTHER.search(s.text)
    ):
        return current  # "NGS of the biopsy tissue": the tissue just taken
    if tissue is not None:
        found, evidence = Found("specimen", s.start + tissue.start()), s.match_span(tissue)
    else:
        assert site is not None  # checked above: no tissue word means a site and a method
        found, evidence = Found("specimen", s.start + site.start()), s.match_span(site, "site")
    found.fields["kind"] = Fact("tissue", (evidence,))
    if site is not None:
        found.fields["site"] = Fact(" ".join(site["site"].split()), (s.match_span(site, "site"),))
        cns = _CNS_SITE.search(site["site"])
        found.fields["site_kind"] = Fact(
            "cns" if cns else "extracranial", (s.match_span(site, "site"),)
        )
    if tissue is not None:
        found.fields["procedure"] = Fact(tissue.group(0).lower(), (s.match_span(tissue),))
    return SpecimenFound(found, key, s.paragraph, s.index)


def _assay(s: Sentence, method: Method, at: re.Match[str], alts: list[Mention]) -> tuple[str, Span]:
    for rx, assay, kind in _NAMED_ASSAYS:
        m = rx.search(s.text)
        if m and kind == method:
            return assay, s.match_span(m)
    if method == "ihc":
        markers = {m.alteration.marker for m in alts if isinstance(m.alteration, Expression)}
        return ("ihc-alk" if markers == {"ALK"} else "ihc-generic"), s.match_span(at)
    return f"{method}-unnamed", s.match_span(at)


def extract_tests(
    narrative: list[Sentence], to_check: list[str]
) -> tuple[list[SpecimenFound], list[Test]]:
    """Specimens and tests, in text order."""
    specimens: list[SpecimenFound] = []
    tests: list[Test] = []
    current: SpecimenFound | None = None
    for s in narrative:
        sp = _specimen(s, specimens, current)
        if sp is not None:
            if sp not in specimens:
                specimens.append(sp)
            current = sp
        if current is not None and s.paragraph - current.paragraph > 1:
            current = None
        mentions = []
        for m in find_mentions(s):
            if m.status is not None or _refines(m, tests):
                mentions.append(m)
            elif current is not None or methods_in(s.text):
                to_check.append(
                    f"finding {m.key} ({m.span.text!r} at {m.span.start}): the text does not "
                    "say clearly whether it was detected; not written"
                )
        named = methods_in(s.text)
        sentence_tests: dict[Method, Test] = {}
        if current is not None:
            for method, at in named:
                if method in sentence_tests:
                    continue
                mine = [m for m in mentions if m.method in (None, method)]
                assay, span = _assay(s, method, at, mine)
                test = next(
                    (t for t in tests if t.specimen is current and t.method == method
                     and (t.assay == assay or assay == f"{method}-unnamed")),
                    None,
                )  # fmt: skip
                if test is None:
                    test = Test(current, method, assay, span, s.start + at.start(), s.paragraph)
                    tests.append(test)
                sentence_tests[method] = test
        for m in mentions:
            test = _test_for(m, sentence_tests, tests, s)
            if test is None:
                to_check.append(
                    f"finding {m.key} ({m.span.text!r} at {m.span.start}): no specimen or "
                    "method the text ties it to; not written"
                )
                continue
            _add(test, m, to_check)
    tests = [t for t in tests if t.findings]
    return [sp for sp in specimens if any(t.specimen is sp for t in tests)], tests


def _sees(method: str, m: Mention) -> bool:
    return isinstance(m.alteration, _CAN_SEE[method])


def _test_for(m: Mention, here: dict[Method, Test], tests: list[Test], s: Sentence) -> Test | None:
    if m.method is not None:
        return here.get(m.method)
    fitting = [t for t in here.values() if _sees(t.method, m)]
    if len(fitting) == 1:
        return fitting[0]
    if here:
        return None
    recent = [t for t in tests if s.paragraph - t.paragraph <= 0 and _sees(t.method, m)]
    return recent[-1] if recent else None


def _refines(m: Mention, tests: list[Test]) -> bool:
    """``The specific ALK fusion was EML4::ALK``: a named fusion, said without a cue, that
    names the partner of a detected partner-unknown fusion of the last test."""
    if not isinstance(m.alteration, Fusion) or m.alteration.five_prime is None or not tests:
        return False
    return any(
        isinstance(f.alteration, Fusion) and f.alteration.five_prime is None
        and f.alteration.three_prime == m.alteration.three_prime and f.status == "detected"
        for f in tests[-1].findings
    )  # fmt: skip


def _add(test: Test, m: Mention, to_check: list[str]) -> None:
    if m.status is None:  # a refinement (see _refines): replaces the partner-unknown fusion
        assert isinstance(m.alteration, Fusion)
        for i, f in enumerate(test.findings):
            if (isinstance(f.alteration, Fusion) and f.alteration.five_prime is None
                    and f.alteration.three_prime == m.alteration.three_prime):  # fmt: skip
                test.findings[i] = Mention(m.alteration, m.span, f.status, f.cue, f.method, f.new)
                return
        return
    for i, f in enumerate(test.findings):
        if f.key == m.key:
            if f.status != m.status:
                test.findings.pop(i)
                to_check.append(
                    f"finding {m.key}: the text says both detected and not detected "
                    f"({f.span.start}, {m.span.start}); not written"
                )
            return
    test.findings.append(m)
