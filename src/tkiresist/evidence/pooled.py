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

The registry holds cases of one mechanism, an ALK fusion acquired on an EGFR TKI (its facts
count ALK partners and EGFR + ALK TKI combinations): its numbers are said only beside an option
that targets such a mechanism (:data:`SCOPE`). The same drugs offered against another mechanism
(osimertinib + crizotinib for a MET fusion, crizotinib alone for a ROS1 fusion) get ``None``:
the ALK cases' response says nothing about them.

:func:`pooled_for_regimen` uses the default registry's bundled dataset ``cheung2025-table1``,
summarised once per process. Like every summary, it pools reviewed cases only, and counts a
patient the registry holds twice (a likely duplicate, or a curator's link) once (#16).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from tkiresist import BUNDLED_DATASET, __version__
from tkiresist.errors import EvidenceError, Location
from tkiresist.model.interpretation import PooledEvidence

if TYPE_CHECKING:
    from tkiresist.evidence.summary import EvidenceSummary

DEFAULT_DATASET = BUNDLED_DATASET
COMBINATION_LABEL = "combination EGFR + ALK TKI"
SCOPE = frozenset({"alk_fusion", "alk_fusion_eml4", "alk_fusion_non_eml4"})
"""The mechanism categories the registry's cases have: an option targeting none of them gets
no registry evidence."""


@dataclass(frozen=True, slots=True)
class ResponseRate:
    """One response-rate statistic of a summary: what the lookup needs, and no more."""

    label: str
    numerator: int
    denominator: int
    ci_low: float | None
    ci_high: float | None


def _regimen_key(generics: Sequence[str]) -> str:
    """``regimen_<slug>_orr`` as the summary's catalogue names it."""
    from tkiresist.evidence.catalogue import regimen_slug

    return f"regimen_{regimen_slug(' + '.join(generics))}_orr"


class PooledEvidenceIndex:
    """Look up pooled response evidence for regimens.

    Built from an :class:`~tkiresist.evidence.summary.EvidenceSummary`, or from the response
    rates alone (``rates``: statistic id → :class:`ResponseRate`), which is what the on-disk
    cache holds.
    """

    def __init__(
        self,
        summary: EvidenceSummary | None = None,
        dataset: str | None = None,
        *,
        rates: Mapping[str, ResponseRate] | None = None,
    ) -> None:
        if rates is None:
            if summary is None:
                raise EvidenceError("give a summary or response rates", Location(field="summary"))
            rates = response_rates(summary)
        self.rates = dict(rates)
        self.dataset = dataset or (summary.dataset if summary else None) or "all datasets"
        drafts = (
            summary is not None and summary.statuses is not None and "draft" in summary.statuses
        )
        self.pooled = (
            "reviewed and draft cases" if drafts else "reviewed cases"
        ) + ", each patient once"

    def __call__(
        self, drugs: tuple[str, ...], categories: frozenset[str] = SCOPE
    ) -> PooledEvidence | None:
        return self.lookup(drugs, categories)

    def lookup(
        self, drugs: Sequence[str], categories: frozenset[str] = SCOPE
    ) -> PooledEvidence | None:
        """The pooled ORR for ``drugs`` (generic names, any order) offered against mechanisms
        of ``categories`` (default: the registry's own), or ``None``; ``None`` too when no
        category is in :data:`SCOPE` (another mechanism, or standard care)."""
        from tkiresist.nomenclature.drugs import lookup

        if not drugs:
            raise EvidenceError("a regimen needs at least one drug", Location(field="drugs"))
        if not categories & SCOPE:
            return None
        found = [lookup(d, Location(field="drugs")) for d in drugs]
        generics = [d.generic for d in found]
        exact = self._evidence(self.rates.get(_regimen_key(generics)), " + ".join(generics))
        egfr = [d for d in found if d.is_egfr_tki]
        alk = [d for d in found if d.is_alk_tki and not d.is_egfr_tki]
        if egfr and alk and len(egfr) + len(alk) == len(found):
            # the class's number, said to be the class's: the pooled patients got various
            # EGFR + ALK TKI pairs, which need not include this one (#12)
            what = f"class-level: {COMBINATION_LABEL}, any pair" + (
                ""
                if exact is not None
                else f"; no registry patient received {' + '.join(generics)}"
            )
            return self._evidence(self.rates.get("combination_orr"), what, "class")
        return exact

    def _evidence(
        self, rate: ResponseRate | None, what: str, scope: str = "regimen"
    ) -> PooledEvidence | None:
        if rate is None or not rate.denominator:
            return None
        return PooledEvidence(
            label=f"{what} (registry: {self.dataset})",
            scope=scope,
            numerator=rate.numerator,
            denominator=rate.denominator,
            value=rate.numerator / rate.denominator,
            ci_low=rate.ci_low,
            ci_high=rate.ci_high,
            method="objective response (CR + PR) among cases with a best response; "
            "Clopper-Pearson exact 95% CI",
            source=f"tkiresist registry, dataset {self.dataset} ({self.pooled}): {rate.label}",
        )


def response_rates(summary: EvidenceSummary) -> dict[str, ResponseRate]:
    """The combination and per-regimen ORR statistics of ``summary``, by id."""
    out: dict[str, ResponseRate] = {}
    for stat in summary.statistics:
        wanted = stat.id == "combination_orr" or (
            stat.id.startswith("regimen_") and stat.id.endswith("_orr")
        )
        if not wanted or not stat.denominator or stat.numerator is None:
            continue
        exact = stat.ci.exact if stat.ci is not None else None
        out[stat.id] = ResponseRate(
            label=stat.label,
            numerator=stat.numerator,
            denominator=stat.denominator,
            ci_low=exact[0] if exact else None,
            ci_high=exact[1] if exact else None,
        )
    return out


# -- the default index, cached on disk for SQLite registries ----------------------------------


def _sqlite_file(url: str) -> Path | None:
    prefix = "sqlite:///"
    return Path(url[len(prefix) :]) if url.startswith(prefix) else None


def _cache_path(url: str, dataset: str) -> tuple[Path, list[int]] | None:
    """Where the response rates of a SQLite registry are cached, and the stamp that must
    match: size and modification time of the database and its write-ahead log. PostgreSQL
    registries are not cached (they serve long-running processes, and change under them)."""
    db_file = _sqlite_file(url)
    if db_file is None or not db_file.exists():
        return None
    stamp: list[int] = []
    for f in (db_file, db_file.with_name(db_file.name + "-wal")):
        st = f.stat() if f.exists() else None
        stamp += [st.st_size, st.st_mtime_ns] if st else [0, 0]
    from platformdirs import user_cache_dir

    key = hashlib.sha256(f"{__version__}|{db_file.resolve()}|{dataset}".encode()).hexdigest()
    return Path(user_cache_dir("tkiresist")) / f"pooled-{key[:24]}.json", stamp


def _read_cache(path: Path, stamp: list[int]) -> dict[str, ResponseRate] | None:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None  # absent or unreadable: recompute (the cache is an optimisation only)
    if data.get("stamp") != stamp:
        return None
    return {k: ResponseRate(**v) for k, v in data["rates"].items()}


def _write_cache(path: Path, stamp: list[int], rates: Mapping[str, ResponseRate]) -> None:
    from tkiresist.io.atomic import write_text_atomically

    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"stamp": stamp, "rates": {k: asdict(v) for k, v in rates.items()}}
    write_text_atomically(path, json.dumps(payload))


@cache
def default_index(dataset: str = DEFAULT_DATASET, url: str | None = None) -> PooledEvidenceIndex:
    """The index over ``dataset`` in the registry at ``url`` (default: the user's registry,
    opened, and on first use created, by :func:`tkiresist.registry.opening.open_registry`); built
    once per process, and for a SQLite registry cached on disk until the database changes."""
    from tkiresist.registry.location import default_url, normalize_url

    where = normalize_url(url) if url else default_url()
    cached = _cache_path(where, dataset)
    if cached is not None:
        rates = _read_cache(*cached)
        if rates is not None:
            return PooledEvidenceIndex(dataset=dataset, rates=rates)
    from tkiresist.evidence.summary import summarize
    from tkiresist.registry.opening import open_registry

    with open_registry(where) as registry:
        summary = summarize(registry.engine, dataset=dataset)
    rates = response_rates(summary)
    cached = _cache_path(where, dataset)  # the first use may just have created the file
    if cached is not None:
        _write_cache(*cached, rates)
    return PooledEvidenceIndex(dataset=dataset, rates=rates)


def pooled_for_regimen(
    drugs: tuple[str, ...], categories: frozenset[str] = SCOPE
) -> PooledEvidence | None:
    """Pooled ORR for a regimen from the default registry's ``cheung2025-table1`` dataset.

    ``("osimertinib", "alectinib")`` → combination EGFR + ALK TKI, 6/9 = 66.7%, exact 95% CI
    29.9–92.5%. See :class:`PooledEvidenceIndex` for the rules.
    """
    return default_index().lookup(drugs, categories)
