"""A progression limited to the CNS is never assumed (#12 audit 2).

The matching rule assumes a trial's enrolled progression site when a case does not give its
sites (COMPEL: extracranial, with a traced note), except for `cns_only`: a statement for a
progression limited to the CNS continues the drug the patient is progressing on, so it applies
only when the sites are known. A progression limited to the CNS also satisfies a statement for
progression "in the CNS".
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from tkiresist.knowledge.applies import Prior, Situation, context_verdict
from tkiresist.knowledge.loader import load_knowledge_base

KB = load_knowledge_base()
LOCAL = next(s for s in KB.statements if s.id == "local-therapy-cns-progression-continue-egfr-tki")
COMPEL = next(
    s for s in KB.statements if s.id == "osimertinib-continued-with-chemotherapy-after-osimertinib"
)
BASE = Situation(
    oncotree="LUAD",
    present=frozenset({"egfr_ex19del", "egfr_sensitising", "egfr_classical_sensitising"}),
    prior=Prior(
        known=True,
        classes=frozenset({"egfr_tki"}),
        generations=frozenset({3}),
        drugs=frozenset({"osimertinib"}),
        earlier=frozenset(),
    ),
    driver_categories=frozenset({"egfr_ex19del", "egfr_sensitising", "egfr_classical_sensitising"}),
    driver_state="persistent",
)


@pytest.mark.parametrize(
    ("site", "local", "compel"),
    [
        ("cns_only", True, False),
        ("cns", False, False),  # the brain and elsewhere: no local-therapy-only answer
        ("extracranial", False, True),
        (None, False, True),  # not given: COMPEL's population assumed (noted), cns_only never
    ],
)
def test_cns_only_is_never_assumed(site: str | None, local: bool, compel: bool) -> None:
    sit = replace(BASE, progression_site=site)
    v_local, v_compel = context_verdict(LOCAL, sit), context_verdict(COMPEL, sit)
    assert v_local.applies is local, v_local.reason
    assert v_compel.applies is compel, v_compel.reason
    if site is None:
        assert "sites were not given" in (v_local.reason or "")
        assert any("assumes the progression was extracranial" in n for n in v_compel.notes)
