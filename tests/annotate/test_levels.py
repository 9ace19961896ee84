"""The matching rules and level arithmetic of one table row (tkiresist.annotate.levels)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.annotate.conftest import SENSITIVITY, knowledge_base, statement
from tkiresist.annotate.levels import (
    NO_THERAPY,
    UNKNOWN_THERAPY,
    PriorTherapy,
    SampleContext,
    best,
    context_categories,
    levels_of,
    row_levels,
    statement_matches,
    trigger_categories,
)
from tkiresist.model.vocabulary import EvidenceLevel

EARLY = PriorTherapy(True, frozenset({"egfr_tki"}), frozenset({1}), ("erlotinib",))
OSI = PriorTherapy(True, frozenset({"egfr_tki"}), frozenset({3}), ("osimertinib",))
CHEMO = PriorTherapy(True, frozenset({"chemotherapy"}), frozenset(), ("carboplatin",))
DRIVER = frozenset({"egfr_sensitising"})
T790M = frozenset({"egfr_t790m", "egfr_mutation"})

GEN12 = {"prior_drug_classes": ["egfr_tki"], "prior_generations": [1, 2]}
WITH_DRIVER = {"prior_drug_classes": ["egfr_tki"], "driver": "egfr_sensitising"}

# (case id, statement fields, row categories, context, expected match)
MATCH_CASES: list[tuple[str, dict[str, Any], frozenset[str], SampleContext, bool]] = [
    ("trigger present", {}, T790M, SampleContext(), True),
    ("trigger absent", {}, frozenset({"egfr_c797x"}), SampleContext(), False),
    (
        "all_of elsewhere in the sample",
        {"match": {"any_of": ["egfr_c797x"], "all_of": ["egfr_t790m"]}},
        frozenset({"egfr_c797x"}),
        SampleContext(present=frozenset({"egfr_t790m"})),
        True,
    ),
    (
        "all_of missing from the sample",
        {"match": {"any_of": ["egfr_c797x"], "all_of": ["egfr_t790m"]}},
        frozenset({"egfr_c797x"}),
        SampleContext(),
        False,
    ),
    (
        "none_of present elsewhere",
        {"match": {"any_of": ["egfr_c797x"], "none_of": ["egfr_t790m"]}},
        frozenset({"egfr_c797x"}),
        SampleContext(present=frozenset({"egfr_t790m"})),
        False,
    ),
    (
        "all_of alone does not trigger",
        {"match": {"any_of": ["egfr_c797x"], "all_of": ["egfr_t790m"]}},
        T790M,
        SampleContext(present=frozenset({"egfr_c797x"})),
        False,
    ),
    ("LUAD is in the NSCLC family", {}, T790M, SampleContext(oncotree="LUAD"), True),
    ("BRCA is not", {}, T790M, SampleContext(oncotree="BRCA"), False),
    ("LUAD-only statement, NSCLC sample", {"disease": ["LUAD"]}, T790M, SampleContext(), False),
    ("prior therapy unknown: not applied", {"context": GEN12}, T790M, SampleContext(), True),
    ("prior gen-1 TKI", {"context": GEN12}, T790M, SampleContext(prior=EARLY), True),
    ("prior gen-3 TKI only", {"context": GEN12}, T790M, SampleContext(prior=OSI), False),
    ("prior chemotherapy only", {}, T790M, SampleContext(prior=CHEMO), False),
    ("no prior therapy", {}, T790M, SampleContext(prior=NO_THERAPY), False),
    ("driver present", {"context": WITH_DRIVER}, T790M, SampleContext(present=DRIVER), True),
    ("driver absent", {"context": WITH_DRIVER}, T790M, SampleContext(), False),
    (
        "driver lost cannot be shown by one sample",
        {"context": {**WITH_DRIVER, "driver_state": "lost"}},
        T790M,
        SampleContext(present=DRIVER),
        False,
    ),
    (
        "a mechanism never fires on the driver row itself",
        {"match": {"any_of": ["egfr_mutation"]}, "context": WITH_DRIVER},
        frozenset({"egfr_mutation", "egfr_sensitising", "egfr_ex19del"}),
        SampleContext(present=DRIVER),
        False,
    ),
    (
        "a sensitivity statement may fire on the driver row",
        {"match": {"any_of": ["egfr_ex19del"]}, "meaning": SENSITIVITY, "context": WITH_DRIVER},
        frozenset({"egfr_mutation", "egfr_sensitising", "egfr_ex19del"}),
        SampleContext(),
        True,
    ),
    (
        "fallback statements never match a row",
        {"match": {"fallback": True}},
        T790M,
        SampleContext(),
        False,
    ),
    ("phase is not known: both match", {"context": {**WITH_DRIVER, "phase": "cis"}}, T790M,
     SampleContext(present=DRIVER), True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "categories", "ctx", "expected"),
    [c[1:] for c in MATCH_CASES],
    ids=[c[0] for c in MATCH_CASES],
)
def test_statement_matches(
    fields: dict[str, Any], categories: frozenset[str], ctx: SampleContext, expected: bool
) -> None:
    assert statement_matches(statement("s", **fields), categories, ctx) is expected


def _regimen(drug: str, effect: str, level: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"drugs": [{"drug": drug, "role": "start"}], "effect": effect}
    if level is not None:
        out["evidence_level"] = level
    return out


# (case id, statements as fields, expected (sensitive, resistance))
LEVEL_CASES: list[tuple[str, list[dict[str, Any]], tuple[str | None, str | None]]] = [
    ("a mechanism gives its level as resistance", [{"evidence_level": "C"}], (None, "C")),
    (
        "a sensitivity regimen of a mechanism counts as sensitivity",
        [{"evidence_level": "C", "regimens": [_regimen("osimertinib", "sensitivity", "B")]}],
        ("B", "C"),
    ),
    (
        "a regimen without its own level takes the statement's",
        [{"evidence_level": "D", "regimens": [_regimen("osimertinib", "sensitivity")]}],
        ("D", "D"),
    ),
    (
        "a resistance regimen counts as resistance",
        [{"meaning": SENSITIVITY, "evidence_level": "C",
          "regimens": [_regimen("osimertinib", "sensitivity", "C"),
                       _regimen("erlotinib", "resistance", "A")]}],
        ("C", "A"),
    ),
    ("a sensitivity statement without regimens", [{"meaning": SENSITIVITY,
                                                   "evidence_level": "B"}], ("B", None)),
    (
        "a risk marker gives no resistance level",
        [{"meaning": {"kind": "resistance_mechanism", "mechanism_class": "histologic",
                      "label": "x", "explanation": "x", "risk_marker": True}}],
        (None, None),
    ),
    (
        "the best level of several statements",
        [{"evidence_level": "D"}, {"evidence_level": "B"}, {"evidence_level": "C"}],
        (None, "B"),
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("statements", "expected"), [c[1:] for c in LEVEL_CASES], ids=[c[0] for c in LEVEL_CASES]
)
def test_levels_of(
    statements: list[dict[str, Any]], expected: tuple[str | None, str | None]
) -> None:
    built = [statement(f"s{i}", **fields) for i, fields in enumerate(statements)]
    lv = levels_of(built)
    got = (
        lv.sensitive.value if lv.sensitive else None,
        lv.resistance.value if lv.resistance else None,
    )
    assert got == expected
    assert lv.statements == tuple(s.id for s in built)


def test_best_level_is_closest_to_a() -> None:
    assert best([EvidenceLevel.C, EvidenceLevel.A, EvidenceLevel.E]) is EvidenceLevel.A
    assert best([]) is None


def test_row_levels_lists_matching_statements_in_kb_order() -> None:
    kb = knowledge_base(
        [
            statement("first", evidence_level="D"),
            statement("other-trigger", match={"any_of": ["egfr_c797x"]}),
            statement("second", evidence_level="B"),
        ]
    )
    lv = row_levels(kb, T790M, SampleContext())
    assert lv.statements == ("first", "second")
    assert lv.resistance is EvidenceLevel.B
    assert row_levels(kb, frozenset(), SampleContext()).statements == ()


def test_context_and_trigger_categories() -> None:
    kb = knowledge_base(
        [
            statement("a", match={"any_of": ["egfr_c797x"], "none_of": ["egfr_t790m"]},
                      context=WITH_DRIVER),
            statement("b", match={"any_of": ["met_amplification"], "all_of": ["egfr_l858r"]}),
        ]
    )  # fmt: skip
    assert context_categories(kb) == {"egfr_t790m", "egfr_sensitising", "egfr_l858r"}
    assert trigger_categories(kb) == {"egfr_c797x", "met_amplification"}


def test_prior_therapy_text() -> None:
    assert UNKNOWN_THERAPY.classes_text == ""
    assert NO_THERAPY.classes_text == "none"
    assert PriorTherapy(True, frozenset({"egfr_tki", "adc"})).classes_text == "adc,egfr_tki"
