"""Responses and progression events: CR, PR, SD and PD as the narrative words them.

A progression needs a verb of finding before it (``developed progressive brain metastasis``,
``MRI showed a new dural metastasis``) or ``disease progressed``: "resection of all
progressive lesions" is not an event. The site is ``cns`` when the words right around the event
name the brain (brain, dural, intracranial, leptomeningeal...), ``extracranial`` when they say
extracranial or name another organ, else ``overall``; the modality (MRI brain) is not a site.
The line assessed is written only when the sentence names its drugs (``partial response to
osimertinib``) or its start (``four months after starting combination``); the time only when
the text gives one relative to a line. Progressions in the abstract are kept only with a time
(``after 13 months of treatment``), and are listed to check as possible repeats.
"""

from __future__ import annotations

import re
from typing import Final

from tkiresist.curate.facts import Fact, Found
from tkiresist.curate.text import Sentence
from tkiresist.curate.therapy import Line, drug_mentions, durations, line_reference

__all__ = ["extract_outcomes"]

_RESPONSE: Final = re.compile(
    r"(?i)(?<!near )(?<!nearly )(?<!near-)\b(?P<cat>complete\s+(?:response|remission)"
    r"|partial\s+(?:response|remission)|stable\s+disease)\b|\b(?P<abbr>CR|PR|SD)\b(?!-)"
)
_CATEGORY: Final = {"complete": "CR", "partial": "PR", "stable": "SD"}
_PROGRESSION: Final = re.compile(
    r"(?i)\b(?:developed|showed|demonstrated|revealed|had|experienced|noted|found|detected"
    r"|confirmed|with)\b(?P<between>[^.;]{0,60}?)\b(?P<pd>progressi(?:ve|on)(?!-free)"
    r"|new\s+(?:[\w-]+\s+){0,3}(?:metastas[ie]s|lesions?|nodules?|masses)\b)"
    r"|\b(?P<pd2>disease\s+progressed|progressed|disease\s+progression)\b"
)
_NEGATION: Final = re.compile(r"(?i)\b(?:no|not|without|free|absence)\b")
_CNS: Final = re.compile(
    r"(?i)\b(?:brain|cerebral|cerebell\w*|intracranial|leptomening\w*|dural|dura|CNS"
    r"|parasagittal|frontal|temporal|parietal|occipital|spinal\s+cord|central\s+nervous)\b"
)
_EXTRA: Final = re.compile(
    r"(?i)\b(?:extracranial|extra-cranial|systemic|lungs?|pulmonary|liver|hepatic|bones?"
    r"|osseous|adrenal|pleura\w*|lymph\s+nodes?|nodal|peritone\w*)\b"
)
_ONE_MODALITY = r"(?:MRI\s+(?:of\s+the\s+)?brain|brain\s+MRI|PET[-/ ]CT|CT(?:\s+scan)?|MRI|PET)"
_MODALITY: Final = re.compile(r"(?i)\b" + _ONE_MODALITY + r"(?:\s+and\s+" + _ONE_MODALITY + r")*\b")
"""Imaging as written, a pair too (``PET-CT and MRI brain``)."""


def _site(s: Sentence, start: int, end: int) -> tuple[str, tuple[int, int] | None]:
    """The site named right around [start, end): five words before (not past a comma or
    semicolon), eight after (not past 'while', 'but' or a semicolon)."""
    before = s.text[:start]
    lo = start
    for _ in range(5):
        k = before.rstrip().rfind(" ", 0, lo - 1 if lo else 0)
        lo = max(0, k)
    stop = max(before.rfind(","), before.rfind(";"))
    lo = max(lo, stop + 1)
    hi_m = re.match(r"(?:\W*\w+){0,8}", s.text[end:])
    hi = end + (hi_m.end() if hi_m else 0)
    cut = re.search(r"(?i)\bwhile\b|\bbut\b|;", s.text[end:hi])
    if cut:
        hi = end + cut.start()
    scrubbed = _MODALITY.sub(lambda m: " " * len(m.group(0)), s.text)[lo:hi]
    cns = _CNS.search(scrubbed)
    extra = _EXTRA.search(scrubbed)
    if cns and not extra:
        return "cns", (lo + cns.start(), lo + cns.end())
    if extra and not cns:
        return "extracranial", (lo + extra.start(), lo + extra.end())
    return "overall", None


def _event(
    s: Sentence, kind: str, category: str, cue: tuple[int, int], lines: list[Line],
    *, abstract: bool,
) -> Found:  # fmt: skip
    found = Found("response", s.start + cue[0])
    found.fields["category"] = Fact(category, (s.span(*cue),))
    site, where = _site(s, *cue)
    if where is not None:
        found.fields["site"] = Fact(site, (s.span(*where),))
    before = None if abstract else s.end  # a line started in this sentence counts
    times = durations(s, lines, before=before)
    if times:
        fact, timed = times[0]
        found.fields["time"] = fact
        found.fields["therapy"] = Fact(timed.id, fact.spans)
        if abstract:  # placed after the start of the line it is timed from
            found.position = timed.position
    else:
        named = drug_mentions(s)
        if named:
            line = line_reference(s, named[0].span, lines, before=before)
            if line is not None and {d.generic for d in named} <= line.generics:
                found.fields["therapy"] = Fact(line.id, tuple(d.span for d in named))
    mod = _MODALITY.search(s.text)
    if mod:
        found.fields["modality"] = Fact(" ".join(mod.group(0).split()), (s.match_span(mod),))
    found.extra["kind"] = kind
    return found


def extract_outcomes(
    narrative: list[Sentence], abstract: list[Sentence], lines: list[Line], to_check: list[str]
) -> list[Found]:
    """Response assessments (CR/PR/SD) and progressions (PD), in text order."""
    out: list[Found] = []
    for source, is_abstract in ((narrative, False), (abstract, True)):
        for s in source:
            if is_abstract and not re.search(r"(?i)\b(?:year-old|the patient|who)\b", s.text):
                continue
            for m in _PROGRESSION.finditer(s.text):
                if m["between"] and _NEGATION.search(m["between"]):
                    continue
                g = "pd" if m["pd"] else "pd2"
                ev = _event(s, "progression", "PD", (m.start(g), m.end(g)), lines,
                            abstract=is_abstract)  # fmt: skip
                if is_abstract:
                    if "time" not in ev.fields:
                        continue
                    to_check.append(
                        f"a progression from the abstract ({s.span(m.start(), m.end()).text!r} "
                        f"at {s.start + m.start()}): it may repeat one the case narrative tells"
                    )
                out.append(ev)
                break
            if is_abstract:
                continue
            for m in _RESPONSE.finditer(s.text):
                word = (m["cat"] or m["abbr"]).split()[0].lower()
                category = _CATEGORY.get(word, word.upper())
                out.append(_event(s, "response", category, (m.start(), m.end()), lines,
                                  abstract=False))  # fmt: skip
    return out
