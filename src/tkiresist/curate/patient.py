"""Age, sex, smoking and performance status; the histology of the diagnosis; the report's DOI.

Age and sex come from the ``62-year-old male`` phrase of the narrative (the abstract when the
narrative has none); a different age elsewhere in the narrative or the abstract is listed to
check, not resolved. ECOG is read only where the text says ECOG: "performance status of 0"
names no scale and is listed to check. The histology is the first of the lung histologies the
nomenclature layer knows (:data:`tkiresist.nomenclature.histology.PHRASES`) that the narrative
names outside a negation.
"""

from __future__ import annotations

import re
from typing import Final

from tkiresist.curate.facts import Fact
from tkiresist.curate.text import Sentence, Span
from tkiresist.nomenclature.histology import PHRASES, try_parse_histology

__all__ = ["extract_doi", "extract_histology", "extract_patient"]

_AGE: Final = re.compile(
    r"\b(?P<age>\d{1,3})[- ](?:year|yr)s?[- ]old\b(?:\s+(?:[A-Za-z-]+\s+){0,3}?"
    r"(?P<sex>male|female|man|woman|gentleman|lady|boy|girl)\b)?",
    re.IGNORECASE,
)
_AGED: Final = re.compile(r"\b(?:aged|at the age of|age)\s+(?P<age>\d{1,3})\b", re.IGNORECASE)
_SEX: Final = {
    "male": "male", "man": "male", "gentleman": "male", "boy": "male",
    "female": "female", "woman": "female", "lady": "female", "girl": "female",
}  # fmt: skip
_SMOKING: Final = (
    (re.compile(r"(?i)\b(?:never[- ]smok\w*|non-?smok\w*|never smoked|no (?:history of )?"
                r"smoking(?: history)?)\b"), "never"),
    (re.compile(r"(?i)\b(?:former|ex-?|previous|past)[- ]?smoker\b|\bquit smoking\b"), "former"),
    (re.compile(r"(?i)\b(?:current|active)(?:ly)?[- ]smok\w*\b"), "current"),
)  # fmt: skip
_ECOG: Final = re.compile(
    r"\bECOG\b(?:\s+(?:performance\s+status|PS))?(?:\s+(?:score\s+)?(?:of|was|was\s+of|=|:))?"
    r"\s*(?P<n>[0-4])\b"
)
_PS_NO_SCALE: Final = re.compile(r"(?i)\bperformance status\b[^.]{0,20}?\b[0-4]\b")
_NEGATED: Final = re.compile(r"(?i)\b(?:no|not|without|negative for|absence of)\s+(?:\w+\s+){0,2}$")

_HISTOLOGY_KINDS: Final = {"adenocarcinoma": "LUAD", "squamous_cell_carcinoma": "LUSC"}
_HISTOLOGY_RE: Final = re.compile(
    r"(?i)\b(?:"
    + "|".join(
        sorted(
            (r"[\s-]+".join(map(re.escape, words)) for words, kind in PHRASES.items()
             if kind in _HISTOLOGY_KINDS and len("".join(words)) > 3),
            key=len,
            reverse=True,
        )
    )
    + r")\b"
)  # fmt: skip


def extract_patient(
    narrative: list[Sentence], abstract: list[Sentence], to_check: list[str]
) -> dict[str, Fact]:
    """``patient`` fields: age_at_diagnosis, sex, smoking, ecog."""
    out: dict[str, Fact] = {}
    ages: list[tuple[int, Sentence, re.Match[str]]] = []
    for source in (narrative, abstract):
        for s in source:
            for m in _AGE.finditer(s.text):
                ages.append((int(m["age"]), s, m))
                if "sex" not in out and m["sex"]:
                    out["sex"] = Fact(_SEX[m["sex"].lower()], (s.match_span(m, "sex"),))
            for m in _AGED.finditer(s.text):
                ages.append((int(m["age"]), s, m))
    if ages:
        age, s, m = ages[0]
        if 0 <= age <= 120:
            out["age_at_diagnosis"] = Fact(age, (s.match_span(m, "age"),))
            to_check.append(
                f"patient.age_at_diagnosis: {age} is the age the text gives at presentation "
                f"({s.match_span(m).text!r} at {s.start + m.start()}); check that it is the "
                "age at diagnosis"
            )
        others = sorted({a for a, _, _ in ages} - {age})
        if others:
            to_check.append(
                f"patient.age_at_diagnosis: the text also gives {', '.join(map(str, others))}; "
                "record the disagreement under conflicts"
            )
    for s in narrative:
        for rx, value in _SMOKING:
            sm = rx.search(s.text)
            if sm and "smoking" not in out:
                out["smoking"] = Fact(value, (s.match_span(sm),))
        em = _ECOG.search(s.text)
        if em and "ecog" not in out:
            out["ecog"] = Fact(int(em["n"]), (s.match_span(em, "n"),))
        elif "ecog" not in out and (pm := _PS_NO_SCALE.search(s.text)):
            to_check.append(
                f"patient.ecog: {pm.group(0)!r} at {s.start + pm.start()} names no scale; "
                "not written"
            )
    for name in ("age_at_diagnosis", "sex", "smoking"):
        if name not in out:
            to_check.append(f"patient.{name}: not found in the text")
    return out


def extract_histology(narrative: list[Sentence]) -> tuple[Fact, Fact] | None:
    """The histology and its OncoTree code, from the first histology the narrative names."""
    for s in narrative:
        for m in _HISTOLOGY_RE.finditer(s.text):
            if _NEGATED.search(s.text[: m.start()]):
                continue
            h = try_parse_histology(m.group(0))
            if h is None or h.histology not in _HISTOLOGY_KINDS:
                continue
            span = s.match_span(m)
            name = h.histology.replace("_", " ")
            return Fact(name, (span,)), Fact(_HISTOLOGY_KINDS[h.histology], (span,))
    return None


_DOI: Final = re.compile(
    r"(?i)(?:\bdoi\s*:?\s*|https?://(?:dx\.)?doi\.org/)(?P<doi>10\.\d{4,9}/[^\s\"<>]*[^\s\"<>.,;)\]])"
)


def extract_doi(text: str, before: int) -> Fact | None:
    """The report's own DOI: the first one labelled ``DOI``/``doi.org`` before the case
    narrative begins (``before``), so that a reference's DOI is never taken for it."""
    m = _DOI.search(text, 0, before)
    if m is None:
        return None
    return Fact(m["doi"], (Span(m.start("doi"), m.end("doi"), m["doi"]),))
