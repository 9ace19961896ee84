"""Pooled registry evidence for a regimen, for the interpretation engine's option ranking.

The engine takes a lookup ``(drugs) -> PooledEvidence | None`` (see
:data:`tkiresist.interpret.options.PooledLookup`). :class:`PooledEvidenceIndex` answers it from
one :class:`~tkiresist.evidence.summary.EvidenceSummary`:

* a regimen made of EGFR TKIs and ALK TKIs only, with at least one of each (``osimertinib +
  alectinib``, ``osimertinib + crizotinib``...), gets the pooled ORR of the *class*, combination
  EGFR + ALK TKI (``combination_orr``: 6/9 in the seed's Table 1), with its exact 95% CI;
* any other regimen gets the ORR on that exact first post-resistance regimen
  (``regimen_<drugs>_orr``) when some case was assessed on it (``alectinib``: 1/1);
* otherwise ``None``: the registry holds no response on it. ``None`` means "no pooled
  evidence", never a failure; failures (an unreadable registry) raise.

:func:`pooled_for_regimen` uses the default registry's bundled dataset ``cheung2025-table1``,
summarised once per process.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from tkiresist.errors import EvidenceError, Location
from tkiresist.evidence.catalogue import regimen_slug
from tkiresist.evidence.summary import EvidenceSummary, Statistic
from tkiresist.model.interpretation import PooledEvidence

DEFAULT_DATASET = "cheung2025-table1"
COMBINATION_LABEL = "combination EGFR + ALK TKI"


class PooledEvidenceIndex:
    """Look up pooled response evidence for regimens in one summary."""

    def __init__(self, summary: EvidenceSummary, dataset: str | None = None) -> None:
        self.summary = summary
        self.dataset = dataset or summary.dataset or "all datasets"

    def __call__(self, drugs: tuple[str, ...]) -> PooledEvidence | None:
        return self.lookup(drugs)

    def lookup(self, drugs: Sequence[str]) -> PooledEvidence | None:
        """The pooled ORR for ``drugs`` (generic names, any order), or ``None``."""
        from tkiresist.nomenclature.drugs import lookup

        if not drugs:
            raise EvidenceError("a regimen needs at least one drug", Location(field="drugs"))
        found = [lookup(d, Location(field="drugs")) for d in drugs]
        egfr = [d for d in found if d.is_egfr_tki]
        alk = [d for d in found if d.is_alk_tki and not d.is_egfr_tki]
        if egfr and alk and len(egfr) + len(alk) == len(found):
            return self._evidence(self.summary.get("combination_orr"), COMBINATION_LABEL)
        canonical = " + ".join(d.generic for d in found)
        stat = self.summary.get(f"regimen_{regimen_slug(canonical)}_orr")
        if not stat.denominator:
            return None
        return self._evidence(stat, canonical)

    def _evidence(self, stat: Statistic, what: str) -> PooledEvidence | None:
        if not stat.denominator or stat.numerator is None:
            return None
        exact = stat.ci.exact if stat.ci is not None else None
        return PooledEvidence(
            label=f"{what} (registry: {self.dataset})",
            numerator=stat.numerator,
            denominator=stat.denominator,
            value=stat.numerator / stat.denominator,
            ci_low=exact[0] if exact else None,
            ci_high=exact[1] if exact else None,
            method="objective response (CR + PR) among cases with a best response; "
            "Clopper-Pearson exact 95% CI",
            source=f"tkiresist registry, dataset {self.dataset}: {stat.label}",
        )


@cache
def default_index(dataset: str = DEFAULT_DATASET) -> PooledEvidenceIndex:
    """The index over ``dataset`` in the default registry (opened, and on first use created,
    by :func:`tkiresist.registry.db.open_registry`); built once per process."""
    from tkiresist.evidence.summary import summarize
    from tkiresist.registry.db import open_registry

    with open_registry() as registry:
        summary = summarize(registry.engine, dataset=dataset)
    return PooledEvidenceIndex(summary, dataset)


def pooled_for_regimen(drugs: tuple[str, ...]) -> PooledEvidence | None:
    """Pooled ORR for a regimen from the default registry's ``cheung2025-table1`` dataset.

    ``("osimertinib", "alectinib")`` → combination EGFR + ALK TKI, 6/9 = 66.7%, exact 95% CI
    29.9–92.5%. See :class:`PooledEvidenceIndex` for the rules.
    """
    return default_index().lookup(drugs)
