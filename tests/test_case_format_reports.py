"""What real case reports say and the case format must carry (#12): gene-level findings of
unspecified type, tests that list positives only, sources without an identifier, radiotherapy
without dose, age at an event, death and autopsy, and missing fields named.

Every case here is a SYNTHETIC scenario, not a published patient."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tkiresist.cli import app
from tkiresist.errors import CaseValidationError
from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import parse_case_text
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.nomenclature.alterations import parse_alteration

KB = load_knowledge_base()

HEAD = """schema_version: "1.0"
id: scenario
pseudonym: SCENARIO
notes: Synthetic scenario (#12); not a published patient.
"""

TIMELINE = """  - {id: dx, type: diagnosis, histology: adenocarcinoma}
  - {id: spec0, type: specimen, time: 0 months after dx, kind: tissue, site: lung}
  - id: t0
    type: test
    specimen: spec0
    assay: oncomine-precision
    LISTS0
    findings: [EGFR p.L858R]
  - {id: osi, type: therapy, agents: [osimertinib], start: 0 months after dx,
     stop: 18 months after osi, stop_reason: progression}
  - {id: pd, type: response, time: 18 months after osi, category: PD, therapy: osi}
  - {id: spec1, type: specimen, time: 0 days after pd, kind: tissue, site: lung}
  - id: t1
    type: test
    specimen: spec1
    assay: oncomine-precision
    LISTS1
    findings: FINDINGS1
"""


def case(findings1: str = "[MET amplification]", lists0: str = "", lists1: str = "") -> str:
    body = (
        TIMELINE.replace("FINDINGS1", findings1)
        .replace("    LISTS0\n", f"    lists: {lists0}\n" if lists0 else "")
        .replace("    LISTS1\n", f"    lists: {lists1}\n" if lists1 else "")
    )
    return HEAD + "events:\n" + body


@pytest.mark.parametrize(
    ("text", "name", "category"),
    [
        ("TP53 mutation", "TP53 mutation", "tp53_alteration"),
        ("PTEN alteration", "PTEN alteration", None),
        ("KRAS mutation", "KRAS mutation", "kras_mutation"),
        ("PIK3CA mutated", "PIK3CA mutation", "pik3ca_mutation"),
    ],
)
def test_gene_level_findings_of_unspecified_type_parse(
    text: str, name: str, category: str | None
) -> None:
    """Reports write "TP53 mutation" or "alterations in PTEN": the finding is the gene's, of
    unspecified type, and keeps the categories that do not depend on the change."""
    from tkiresist.model.categories import categorize

    alt = parse_alteration(text)
    assert alt.name == name
    if category is not None:
        assert category in categorize(alt)


def test_a_named_variant_earlier_makes_the_gene_level_finding_persistent() -> None:
    """TP53 R273H at diagnosis and "TP53 mutation" at progression: the same clone, persistent."""
    text = case("[EGFR p.L858R, TP53 mutation]").replace(
        "findings: [EGFR p.L858R]", "findings: [EGFR p.L858R, TP53 p.R273H]"
    )
    result = interpret(parse_case_text(text, "c.yaml"), KB)
    statuses = {s.name: s.status for s in result.alterations}
    assert statuses["TP53 mutation"] == "persistent", statuses


def test_a_positives_only_report_does_not_turn_silence_into_lost() -> None:
    """An abstract that lists only 'MET amplification' at progression does not say the EGFR
    driver was gone: with lists: positives_only its silence is not a negative."""
    full = interpret(parse_case_text(case(), "c.yaml"), KB)
    assert {s.name: s.status for s in full.alterations}["EGFR p.L858R"] == "lost"
    partial = interpret(parse_case_text(case(lists1="positives_only"), "c.yaml"), KB)
    statuses = {s.name: s.status for s in partial.alterations}
    assert statuses["EGFR p.L858R"] == "not_assessable"
    assert partial.mechanisms and "MET" in partial.mechanisms[0].label


def test_a_source_without_identifier_needs_author_year_and_title() -> None:
    ok = (
        HEAD
        + "source: {first_author: Smith, year: 2021, title: A case of ALK}\nevents:\n"
        + ("  - {id: dx, type: diagnosis, histology: adenocarcinoma}\n")
    )
    assert parse_case_text(ok, "c.yaml").source is not None
    bad = ok.replace(", title: A case of ALK", "")
    with pytest.raises(CaseValidationError) as info:
        parse_case_text(bad, "c.yaml")
    assert "first_author, year and title" in str(info.value.problems[0])


def test_radiotherapy_without_dose_age_at_an_event_and_death_are_recorded() -> None:
    text = (
        HEAD
        + "events:\n"
        + "  - {id: dx, type: diagnosis, histology: adenocarcinoma}\n"
        + "  - {id: rt, type: radiotherapy, time: 2 months after dx, site: brain, "
        "technique: WBRT, age: 61}\n"
        + "  - {id: death, type: death, time: 30 months after dx, cause: respiratory failure, "
        "autopsy: small-cell carcinoma in the liver}\n"
    )
    parsed = parse_case_text(text, "c.yaml")
    rt = parsed.event("rt")
    assert rt.label == "WBRT dose not stated" and rt.age == 61  # type: ignore[union-attr]
    death = parsed.event("death")
    assert death.autopsy == "small-cell carcinoma in the liver"  # type: ignore[union-attr]


def test_a_missing_required_field_is_named(tmp_path: object) -> None:
    """A therapy line without its start: the error names 'start', not just 'a field'."""
    from pathlib import Path

    path = Path(str(tmp_path)) / "c.yaml"
    path.write_text(
        HEAD
        + "events:\n  - {id: dx, type: diagnosis, histology: adenocarcinoma}\n"
        + "  - {id: l1, type: therapy, agents: [osimertinib]}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "required field 'start' is missing" in result.stderr


@pytest.mark.parametrize("text", ["TP53 mutation", "PTEN alteration"])
def test_gene_level_findings_format_and_parse_back(text: str) -> None:
    """A gene-level finding is written back as the reader wrote it (add-test and the curation
    assistant write case files: "TP53 exon None mutation" did not parse back)."""
    from tkiresist.nomenclature.alterations import format_alteration

    alt = parse_alteration(text)
    assert format_alteration(alt) == text
    assert parse_alteration(format_alteration(alt)) == alt
