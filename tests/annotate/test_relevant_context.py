"""annotate matches each distinct (row, projected sample context) once (#14 benchmarks).

The projection (`levels.relevant_context`) must be exact: a row's levels and its no-level reason
with the sample's whole context are the ones with the context projected on the categories its
statements can read. Checked here over the bundled knowledge base, for every category that can
trigger a statement, and sample contexts drawn from every category some context names.
"""

from __future__ import annotations

import itertools
import random

import pytest

from tkiresist.annotate.levels import (
    NO_THERAPY,
    UNKNOWN_THERAPY,
    PriorTherapy,
    SampleContext,
    context_categories,
    no_level_reason,
    relevant_context,
    row_levels,
    trigger_categories,
)
from tkiresist.knowledge.loader import load_knowledge_base

KB = load_knowledge_base()
CONTEXT = sorted(context_categories(KB))
PRIORS = [
    UNKNOWN_THERAPY,
    NO_THERAPY,
    PriorTherapy(known=True, classes=frozenset({"egfr_tki"}), generations=frozenset({3})),
    PriorTherapy(known=True, classes=frozenset({"egfr_tki"}), generations=frozenset({1})),
]


def _contexts(rng: random.Random) -> list[frozenset[str]]:
    out = [frozenset(), frozenset(CONTEXT)]
    out += [frozenset({c}) for c in CONTEXT]
    out += [frozenset(rng.sample(CONTEXT, k)) for k in (2, 3, 5, 8) for _ in range(6)]
    return out


@pytest.mark.parametrize("trigger", sorted(trigger_categories(KB)))
def test_projected_context_gives_the_same_answer(trigger: str) -> None:
    rng = random.Random(trigger)
    for extra in ([], [c for c in CONTEXT if c != trigger][:1]):
        row = frozenset([trigger, *extra])
        keep = relevant_context(KB, row)
        for present, prior in itertools.product(_contexts(rng), PRIORS):
            whole = SampleContext(prior=prior, present=present)
            seen = SampleContext(prior=prior, present=present & keep)
            a, b = row_levels(KB, row, whole), row_levels(KB, row, seen)
            assert a == b, (row, present)
            assert no_level_reason(KB, row, whole, a) == no_level_reason(KB, row, seen, b)


def test_the_projection_drops_what_no_triggered_statement_reads() -> None:
    """An EGFR C797S row's statements read T790M and the EGFR driver, not whether the sample
    also has a KRAS mutation (only the first-line MET amplification statement reads that)."""
    keep = relevant_context(KB, frozenset({"egfr_c797x"}))
    assert "egfr_t790m" in keep
    assert "kras_mutation" not in keep
