"""Findings: what one molecular test said about one alteration, detected or not.

A *not detected* finding is a statement too ("T790M negative", "ALK negative by NGS"), but it
means something only when the assay covered the alteration; the serial comparison checks that
against :mod:`tkiresist.model.assays`.

An IHC finding for p53 (TP53) or Rb (RB1) may give its staining ``pattern``: for these markers
the pattern, not "positive" or "negative", says whether the gene is altered (see
:func:`tkiresist.model.categories.ihc_reading`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from tkiresist.model.alterations import Alteration
from tkiresist.model.base import Value

FindingStatus = Literal["detected", "not_detected", "equivocal"]

IhcPattern = Literal[
    "absent", "overexpression", "cytoplasmic", "aberrant", "wild_type", "loss", "retained"
]
"""The staining pattern of a p53 or Rb IHC result:

* ``absent``: complete absence of nuclear staining in tumour cells with a positive internal
  control (p53 *null* pattern: aberrant; Rb *loss*: aberrant), with result ``negative``;
* ``overexpression``: strong diffuse nuclear p53 (aberrant), result ``positive``;
* ``cytoplasmic``: cytoplasmic p53 (aberrant), result ``positive``;
* ``aberrant``: p53 reported aberrant without saying which aberrant pattern;
* ``wild_type``: p53 patchy, heterogeneous nuclear staining (normal);
* ``loss``: Rb lost (the same as ``absent``, as pathologists write it for Rb), result
  ``negative``;
* ``retained``: Rb retained in tumour nuclei (normal), result ``positive``.

(``null`` is not a value: YAML reads an unquoted ``null`` as "no value".)"""

QualityLevel = Literal["pass", "low", "fail", "unknown"]
"""A caller's confidence mapped to one scale: Arriba high/medium/low, FILTER PASS/FAIL..."""


class Provenance(Value):
    """Where a finding came from: a file and line, the tool that wrote it, or the source text."""

    file: str | None = None
    line: int | None = Field(default=None, ge=1)
    caller: str | None = Field(default=None, description="tool/format, e.g. arriba, star-fusion")
    source_text: str | None = Field(default=None, description="the verbatim text it came from")


def fraction_not_percent(value: object, field: str) -> object:
    """Refuse a percentage where a fraction (0-1) is asked for, saying how to write it: a VAF
    of ``12.5`` is refused with "write 0.125", never silently divided by 100, because a value
    such as 0.5 could be either and a guess would be wrong in one of the two cases (#15)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 < value <= 100:
        raise ValueError(
            f"{field} {value:g} is above 1: it is a fraction (0-1), not a percentage; "
            f"for {value:g}% write {value / 100:g}"
        )
    return value


class Finding(Value):
    """One result of one test about one alteration."""

    alteration: Alteration
    status: FindingStatus = "detected"
    vaf: float | None = Field(default=None, ge=0, le=1, description="variant allele fraction 0-1")
    depth: int | None = Field(default=None, ge=0, description="total reads at the locus")
    alt_reads: int | None = Field(default=None, ge=0, description="reads supporting the call")
    split_reads: int | None = Field(default=None, ge=0)
    spanning_pairs: int | None = Field(default=None, ge=0)
    quality: QualityLevel = "unknown"
    method: str | None = Field(
        default=None, description="how it was found when not by the test's assay, e.g. FISH"
    )
    phase: Literal["cis", "trans"] | None = Field(
        default=None,
        description="for EGFR C797X: in cis or in trans with T790M, when the test reports it",
    )
    pattern: IhcPattern | None = Field(
        default=None,
        description="for p53 (TP53) or Rb (RB1) IHC: the staining pattern, which decides "
        "whether the result is aberrant (absent, overexpression, cytoplasmic, aberrant, loss) or "
        "normal (wild_type, retained)",
    )
    reported_new: str | None = Field(
        default=None,
        min_length=1,
        description="the source's own words that this alteration is new (\"newly emerged ALK "
        'rearrangement"), for a report that describes no earlier test of it; kept apart from '
        "what the engine infers from serial tests",
    )
    note: str | None = None
    provenance: Provenance | None = None

    @field_validator("vaf", mode="before")
    @classmethod
    def _vaf_not_percent(cls, value: object, info: ValidationInfo) -> object:
        return fraction_not_percent(value, info.field_name or "vaf")

    @model_validator(mode="after")
    def _check(self) -> Finding:
        if self.reported_new is not None and self.status != "detected":
            raise ValueError("reported_new (the source calls it new) needs status detected")
        if self.phase is not None:
            from tkiresist.model.categories import categorize

            if "egfr_c797x" not in categorize(self.alteration):
                raise ValueError("phase (cis/trans with T790M) applies to EGFR C797X only")
        if self.pattern is not None:
            from tkiresist.model.alterations import Expression
            from tkiresist.model.categories import pattern_conflict

            if not isinstance(self.alteration, Expression):
                raise ValueError("a staining pattern applies to an IHC (expression) result only")
            why = pattern_conflict(self.alteration, self.pattern)
            if why is not None:
                raise ValueError(why)
        if self.status == "not_detected" and self.vaf not in (None, 0.0):
            raise ValueError("a not-detected finding cannot carry a VAF above 0")
        if self.alt_reads is not None and self.depth is not None and self.alt_reads > self.depth:
            raise ValueError(f"alt_reads {self.alt_reads} exceed depth {self.depth}")
        return self

    @property
    def detected(self) -> bool:
        return self.status == "detected"
