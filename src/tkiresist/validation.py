"""Extrinsic checks of a case against reference data: HGNC symbols and the drug dictionary.

Intrinsic consistency (ids, anchors, stop before start, assay coverage) is checked by
:func:`tkiresist.model.case.consistency_problems`; this module checks what needs reference
data, so that the model stays free of it.
"""

from __future__ import annotations

from tkiresist.errors import Location, ParseError, Problem
from tkiresist.model.case import Case
from tkiresist.model.timeline import MolecularTest, TherapyLine


def reference_problems(case: Case) -> list[Problem]:
    """Genes that are not current HGNC symbols, and drugs the dictionary does not know."""
    from tkiresist.nomenclature import drugs, genes

    out: list[Problem] = []
    for i, e in enumerate(case.events):
        if isinstance(e, MolecularTest):
            for j, f in enumerate(e.findings):
                for g in f.alteration.genes:
                    if genes.is_approved(g):
                        continue
                    where = Location(field=f"events[{i}].findings[{j}].alteration")
                    try:
                        approved = genes.resolve(g)
                    except ParseError as exc:
                        out.append(Problem(exc.message, where))
                    else:
                        out.append(
                            Problem(
                                f"{g!r} is not the current HGNC symbol; use {approved!r}", where
                            )
                        )
        if isinstance(e, TherapyLine):
            for j, agent in enumerate(e.agents):
                if not drugs.is_known(agent.drug):
                    out.append(
                        Problem(
                            f"unknown drug {agent.drug!r}: not in the curated dictionary",
                            Location(field=f"events[{i}].agents[{j}].drug"),
                        )
                    )
    return out
