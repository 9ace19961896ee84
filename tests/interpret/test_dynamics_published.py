"""Serial ctDNA dynamics (#15) on the bundled published cases.

The bundled examples are encoded from published reports. None of them has serial plasma or CSF
results: the one published plasma test among them (Liang 2016, BMC Cancer 16:62,
doi:10.1186/s12885-016-2088-5) is a single draw at progression. A published case with serial
ctDNA values that can be read (a table or text giving VAF per draw) is still to be added as an
example; no such report could be read with the project's search tools (see issue #15). These
tests pin what the Dynamics step must do with the published cases as they are: nothing is read
as a series from fewer than two draws, and no lead time or molecular response is invented.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import read_case
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.model.case import Case
from tkiresist.model.timeline import MolecularTest, Specimen
from tkiresist.report.html import render_html
from tkiresist.report.text import render_text

from ..conftest import EXAMPLES

PUBLISHED = sorted(p for p in EXAMPLES.glob("*/case.yaml") if read_case(p).source is not None)


def _liquid_draws(case: Case) -> Counter[str]:
    """Tests per liquid compartment (plasma, CSF), counted from the case file."""
    kinds: Counter[str] = Counter()
    for e in case.events:
        if isinstance(e, MolecularTest):
            spec = case.event(e.specimen)
            if isinstance(spec, Specimen) and spec.kind in ("plasma", "csf"):
                kinds[spec.kind] += 1
    return kinds


def test_the_bundled_published_cases_are_found() -> None:
    """Guard for the parametrised test below: it must run on the published examples (ten at
    the time of writing), not on an empty list."""
    assert len(PUBLISHED) >= 9
    assert any(p.parent.name == "liang2016" for p in PUBLISHED)


@pytest.mark.parametrize("path", PUBLISHED, ids=lambda p: p.parent.name)
def test_no_series_is_read_from_fewer_than_two_draws(path: Path) -> None:
    """A thoracic oncologist reads ctDNA kinetics only from repeated draws of the same fluid: a
    single plasma result has no baseline to fall from and no earlier draw to be new against.
    So a compartment with fewer than two draws in a published case gets no Dynamics reading,
    and an example that does get one must have at least two draws of that fluid."""
    case = read_case(path)
    draws = _liquid_draws(case)
    result = interpret(case, load_knowledge_base())
    for dyn in result.dynamics:
        assert draws[dyn.compartment] >= 2, (dyn.compartment, draws)
    for kind in ("plasma", "csf"):
        if draws[kind] < 2:
            assert all(d.compartment != kind for d in result.dynamics)


def test_liang2016_single_plasma_draw_is_read_against_tissue_not_as_a_series() -> None:
    """Liang 2016: EML4-ALK was found in plasma at the liver progression on the second EGFR
    TKI, after the primary tumour had tested negative for it; the plasma test is the only one in
    the case. An oncologist expects the fusion to be called acquired against the tissue baseline
    (the serial comparison), and no plasma kinetics at all: no Dynamics section in text, HTML or
    JSON, so no molecular response, molecular progression or lead time that the report never
    measured."""
    case = read_case(EXAMPLES / "liang2016" / "case.yaml")
    assert _liquid_draws(case) == Counter({"plasma": 1})
    result = interpret(case, load_knowledge_base())
    statuses = {a.name: a.status for a in result.alterations}
    assert statuses["EML4::ALK"] == "acquired"
    assert result.dynamics == ()
    assert "Dynamics" not in render_text(result)
    assert 'class="dynamics"' not in render_html(case, result)
    assert json.loads(result.model_dump_json())["dynamics"] == []
