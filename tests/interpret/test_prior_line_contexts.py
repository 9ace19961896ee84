"""What follows each prior-line context at today's standard of care (#13).

EVERY CASE HERE IS A SYNTHETIC SCENARIO (:func:`scenario`), not a published patient: a tumour
with an EGFR exon 19 deletion at diagnosis, the therapy named, and a re-biopsy at progression
that shows the driver and no resistance mechanism (unless said). Each row says what a thoracic
oncologist (late 2026) would give first, what must not be offered again, and why. The answers
come from the knowledge base's statement contexts (the regimen progressed on, the history, the
trials' populations: ``context.evidence_after`` and ``context.evidence_naive_to``), never from a
branch for the context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tkiresist.interpret.engine import interpret
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.model.interpretation import Interpretation

from .scenario_builder import scenario

KB = load_knowledge_base()

DEL19 = "EGFR p.E746_A750del"
T790M = "EGFR p.T790M"
CHEMO = ("carboplatin", "pemetrexed")
AMI_CHEMO = ("amivantamab", "carboplatin", "pemetrexed")
AMI_LAZ_CHEMO = ("amivantamab", "lazertinib", "carboplatin", "pemetrexed")
COMPEL = ("osimertinib", "carboplatin", "pemetrexed")
ABCP = ("atezolizumab", "bevacizumab", "carboplatin", "paclitaxel")
DATO = ("datopotamab deruxtecan",)
DOCETAXEL_RAM = ("docetaxel", "ramucirumab")
OUTSIDE = "outside the trial's population"


@dataclass(frozen=True)
class Context:
    id: str
    why: str
    agents: tuple[str, ...]
    history: tuple[str, ...] = ()
    progression: tuple[str, ...] = (DEL19,)
    first: tuple[str, ...] = ()
    offered: tuple[tuple[str, ...], ...] = ()
    never: frozenset[str] = frozenset()  # no option contains one of these drugs ...
    not_offered: tuple[tuple[str, ...], ...] = ()  # ... nor is one of these regimens
    below: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()  # (lower, higher)
    outside: tuple[tuple[str, ...], ...] = ()  # options said to be extrapolations
    inside: tuple[tuple[str, ...], ...] = ()  # options within their trials' population
    extra: dict[str, Any] = field(default_factory=dict)


CONTEXTS = [
    Context(
        "osimertinib-alone",
        "First-line osimertinib (FLAURA), no mechanism: amivantamab + carboplatin-pemetrexed "
        "(MARIPOSA-2, approved after an EGFR TKI) first; osimertinib continued with "
        "chemotherapy (COMPEL) and platinum-pemetrexed follow; osimertinib alone is not given "
        "again, and the unapproved lazertinib arm never ranks above the approved arm.",
        ("osimertinib",),
        first=AMI_CHEMO,
        offered=(COMPEL, CHEMO, AMI_LAZ_CHEMO),
        not_offered=(("osimertinib",),),
        below=((AMI_LAZ_CHEMO, AMI_CHEMO),),
    ),
    Context(
        "flaura2",
        "First-line osimertinib + platinum-pemetrexed (FLAURA2): an EGFR TKI and platinum have "
        "both failed, so datopotamab deruxtecan (FDA accelerated approval after EGFR-directed "
        "therapy and platinum) first; platinum-pemetrexed and COMPEL's osimertinib + "
        "chemotherapy are not given again; MARIPOSA-2's regimens re-give the platinum doublet "
        "to a patient its trial did not enrol (no prior chemotherapy), so they are said to be "
        "extrapolations and rank below.",
        ("osimertinib", "carboplatin", "pemetrexed"),
        first=DATO,
        offered=(DOCETAXEL_RAM,),
        not_offered=(CHEMO, COMPEL),
        below=((AMI_CHEMO, DATO), (AMI_CHEMO, DOCETAXEL_RAM)),
        outside=(AMI_CHEMO,),
        inside=(DOCETAXEL_RAM,),
    ),
    Context(
        "mariposa",
        "First-line amivantamab + lazertinib (MARIPOSA): platinum-pemetrexed first (the "
        "control arm of every post-TKI trial); no amivantamab regimen (MARIPOSA-2 enrolled "
        "after osimertinib, not after the antibody), no lazertinib or osimertinib alone. The "
        "chemotherapy-naive options tested after EGFR TKIs (ATTLAS's "
        "atezolizumab-bevacizumab-chemotherapy) stay available but are said to come from "
        "trials that enrolled no one after amivantamab, and rank below platinum-pemetrexed.",
        ("amivantamab", "lazertinib"),
        first=CHEMO,
        offered=(ABCP,),
        never=frozenset({"amivantamab", "lazertinib", "osimertinib"}),
        below=((ABCP, CHEMO),),
        outside=(ABCP,),
    ),
    *(
        Context(
            f"{tki}-t790m-negative",
            f"First-line {tki}, T790M negative on tissue: platinum-pemetrexed first (the AURA3 "
            "comparator); no amivantamab (MARIPOSA-2 enrolled after osimertinib), no "
            "osimertinib (no T790M), and no later-line drug (no platinum given yet).",
            (tki,),
            first=CHEMO,
            offered=(ABCP,),
            never=frozenset({"amivantamab", "osimertinib", "datopotamab deruxtecan"}),
        )
        for tki in ("gefitinib", "erlotinib", "afatinib", "dacomitinib")
    ),
    *(
        Context(
            f"{tki}-t790m",
            f"First-line {tki} with an acquired T790M: osimertinib first (AURA3), {tki} not again.",
            (tki,),
            progression=(DEL19, T790M),
            first=("osimertinib",),
            not_offered=((tki,),),
        )
        for tki in ("gefitinib", "afatinib")
    ),
    *(
        Context(
            f"{tki}-alone",
            f"First-line {tki} alone (another third-generation TKI), no mechanism: the "
            "post-osimertinib standard applies by class, first amivantamab + "
            "carboplatin-pemetrexed (approved after any EGFR TKI); neither "
            f"{tki} nor osimertinib alone is offered again.",
            (tki,),
            first=AMI_CHEMO,
            offered=(CHEMO,),
            not_offered=((tki,), ("osimertinib",)),
        )
        for tki in ("aumolertinib", "furmonertinib")
    ),
    Context(
        "after-mariposa2",
        "Second-line amivantamab + carboplatin-pemetrexed after osimertinib (MARIPOSA-2): "
        "datopotamab deruxtecan first, docetaxel with ramucirumab after; neither the failing "
        "regimen nor platinum-pemetrexed again.",
        ("amivantamab", "carboplatin", "pemetrexed"),
        history=("osimertinib",),
        first=DATO,
        offered=(DOCETAXEL_RAM, ("docetaxel",)),
        not_offered=(AMI_CHEMO, CHEMO, AMI_LAZ_CHEMO),
    ),
    Context(
        "after-osimertinib-then-platinum",
        "Second-line platinum-pemetrexed after osimertinib: datopotamab deruxtecan first; no "
        "platinum-pemetrexed again, with or without amivantamab.",
        CHEMO,
        history=("osimertinib",),
        first=DATO,
        offered=(DOCETAXEL_RAM,),
        not_offered=(CHEMO, AMI_CHEMO, COMPEL),
    ),
    Context(
        "chemotherapy-then-osimertinib",
        "First-line platinum-pemetrexed, then osimertinib (EGFR found late), progression on "
        "osimertinib: an EGFR TKI and platinum have both been given, so datopotamab "
        "deruxtecan is on label and first. COMPEL and MARIPOSA-2 enrolled patients who had "
        "not had chemotherapy: their regimens are offered as extrapolations, below.",
        ("osimertinib",),
        history=CHEMO,
        first=DATO,
        offered=(AMI_CHEMO, COMPEL),
        not_offered=(("osimertinib",),),
        below=((AMI_CHEMO, DATO), (COMPEL, DATO)),
        outside=(AMI_CHEMO, COMPEL, CHEMO),
        inside=(DOCETAXEL_RAM,),
    ),
    Context(
        "after-datopotamab",
        "Fourth line, progression on datopotamab deruxtecan after osimertinib + chemotherapy: "
        "docetaxel with ramucirumab; datopotamab deruxtecan not again.",
        ("datopotamab deruxtecan",),
        history=("osimertinib", "carboplatin", "pemetrexed"),
        first=DOCETAXEL_RAM,
        offered=(("docetaxel",),),
        never=frozenset({"datopotamab deruxtecan"}),
    ),
]


def _run(c: Context) -> Interpretation:
    return interpret(
        scenario(agents=c.agents, history=c.history, baseline=[DEL19], progression=c.progression),
        KB,
    )


@pytest.mark.parametrize("c", CONTEXTS, ids=[c.id for c in CONTEXTS])
def test_prior_line_context(c: Context) -> None:
    result = _run(c)
    options = [tuple(o.drugs) for o in result.options]
    assert options, "a patient always has standard care"
    assert options[0] == c.first, options
    for drugs in c.offered:
        assert drugs in options, (drugs, options)
    for drugs in c.not_offered:
        assert drugs not in options, (drugs, options)
    for option in options:
        assert not c.never & set(option), (option, options)
    for lower, higher in c.below:
        assert options.index(lower) > options.index(higher), options
    by_drugs = {tuple(o.drugs): o for o in result.options}
    for drugs in c.outside:
        rationale = by_drugs[drugs].rationale
        assert OUTSIDE in rationale, rationale
    for drugs in (*c.inside, c.first):
        assert OUTSIDE not in by_drugs[drugs].rationale, (drugs, by_drugs[drugs].rationale)


def test_every_listed_context_is_covered() -> None:
    """The contexts #13 names, each with at least one row: osimertinib alone, FLAURA2,
    MARIPOSA, first/second-generation TKIs, the other third-generation TKIs, and after a
    second line (MARIPOSA-2, a platinum doublet)."""
    firsts = {c.agents for c in CONTEXTS}
    for agents in [
        ("osimertinib",),
        ("osimertinib", "carboplatin", "pemetrexed"),
        ("amivantamab", "lazertinib"),
        ("gefitinib",),
        ("erlotinib",),
        ("afatinib",),
        ("dacomitinib",),
        ("aumolertinib",),
        ("furmonertinib",),
        ("amivantamab", "carboplatin", "pemetrexed"),
        CHEMO,
    ]:
        assert agents in firsts, agents


def test_population_note_names_what_was_not_enrolled() -> None:
    """After FLAURA2 the note beside amivantamab + carboplatin-pemetrexed says which trial
    enrolled whom and what this patient had: a reader must see why an approved, level A
    regimen ranks below a level B one."""
    result = _run(CONTEXTS[1])
    (option,) = [o for o in result.options if tuple(o.drugs) == AMI_CHEMO]
    assert "MARIPOSA-2" in option.rationale
    assert "had not received chemotherapy" in option.rationale
    assert "this patient had received chemotherapy" in option.rationale


def test_after_mariposa_the_note_names_amivantamab() -> None:
    """After first-line amivantamab + lazertinib, ATTLAS's regimen is said to come from
    trials that enrolled no one after amivantamab (an extrapolation), not hidden."""
    result = _run(CONTEXTS[2])
    (option,) = [o for o in result.options if tuple(o.drugs) == ABCP]
    assert "no trial behind it enrolled patients after amivantamab" in option.rationale


def test_a_class_effect_alone_is_not_outside_the_population() -> None:
    """After aumolertinib, MARIPOSA-2's evidence (after osimertinib) holds by class: the note
    says a class effect is assumed, and the approved regimen still ranks first, not capped as
    an extrapolation."""
    result = _run(next(c for c in CONTEXTS if c.id == "aumolertinib-alone"))
    first = result.options[0]
    assert tuple(first.drugs) == AMI_CHEMO
    assert "class effect is assumed" in first.rationale
    assert OUTSIDE not in first.rationale
