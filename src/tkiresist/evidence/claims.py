"""Claims audit: compare the numbers a paper states with the ones recomputed from its cases.

A *claims file* (YAML) lists what a paper says, one claim per number::

    schema_version: 1
    paper: {citation: "Cheung BMF et al. ... Cureus 2025", doi: 10.7759/cureus.92202}
    dataset: cheung2025-table1          # the registry dataset holding the paper's cases
    claims:
      - id: results-ex19del               # unique
        where: Discussion, paragraph 3    # where in the paper
        quote: "The most common primary EGFR mutation was exon 19 deletion (56%; n=9), ..."
        statistic: egfr_ex19del_share     # a summary statistic id (see evidence.catalogue)
        numerator: 9                      # any of: numerator, denominator, percent, value,
        percent: 56                       #   p_below (the p-value is below it)
      - id: abstract-case-age
        where: Abstract, paragraph 2
        quote: "We report a 62-year-old male ..."
        case: "1"                         # a per-case claim: the row label in the dataset
        field: age                        # a case-facts column
        value: 62
      - id: discussion-fusions-in-resistance
        where: Discussion, paragraph 1
        quote: "... estimated to account for 3-10% of resistance [1]."
        external: "[1] Leonetti et al. 2019"   # about another source: not checked
      - id: abstract-duration-of-response
        quote: "... sustained for 12 months ..."
        unchecked: "the registry holds no duration of response"

:func:`load_claims` reads and checks a file: every error (an unknown statistic or column, a
claim with nothing to compare, a duplicate id) is an :class:`~tkiresist.errors.EvidenceError`
naming the file, the line and the field. :func:`audit` compares each claim with a summary
(:func:`tkiresist.evidence.summary.summarize`) and, for per-case claims and explanations, the
facts table itself; it returns an :class:`AuditReport`.

Comparison rules:

* ``numerator`` and ``denominator`` must equal the recomputed counts;
* ``percent`` and ``value`` may be rounded: they match when within half a unit of their last
  written decimal (``56`` ±0.5, ``68.8`` ±0.05, both ends inclusive), or within ``tolerance``
  when the claim gives one; a ``value`` may be a ``[low, high]`` pair (a range);
* ``p_below``: the recomputed p-value is below it;
* per-case text values compare case-insensitively, vocabulary aliases allowed (``M`` = male).

For a mismatch the audit explains, from the data, which cases account for the difference: the
cases of the statistic's numerator (and, when the denominator differs, its denominator), with
the columns that show why each is counted, grouped by their text so that the cases that stand
apart come first; for a median or range, the values with their cases; for a per-case claim, the
registry's row. Nothing in the audit knows which claims are wrong.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from tkiresist.errors import EvidenceError, FormatError, Location
from tkiresist.evidence.catalogue import (
    Predicate,
    case_predicates,
    evidence_columns,
    is_known_statistic,
)
from tkiresist.evidence.facts import FACT_COLUMNS, FACTS_TABLE, VOCABULARY_ALIASES, open_source
from tkiresist.evidence.summary import EvidenceSummary, Statistic, list_cases
from tkiresist.model.base import Value

Status = Literal["match", "mismatch", "not_checked"]
ScalarValue = float | str | bool
ClaimValue = ScalarValue | tuple[float, float]

_CLAIM_KEYS = frozenset(
    {
        "id",
        "where",
        "quote",
        "statistic",
        "case",
        "field",
        "numerator",
        "denominator",
        "percent",
        "value",
        "p_below",
        "tolerance",
        "external",
        "unchecked",
        "note",
    }
)
_TOP_KEYS = frozenset({"schema_version", "paper", "dataset", "claims"})
_NUMBER_KEYS = ("numerator", "denominator", "percent", "value", "p_below")


class Claim(Value):
    """One published number (or per-case fact) to check."""

    id: str
    where: str
    quote: str
    statistic: str | None = None
    case: str | None = Field(default=None, description="row label of a per-case claim")
    field: str | None = Field(default=None, description="facts column of a per-case claim")
    numerator: int | None = None
    denominator: int | None = None
    percent: float | None = None
    percent_decimals: int = 0
    value: ClaimValue | None = None
    value_decimals: int = 0
    p_below: float | None = None
    tolerance: float | None = None
    external: str | None = None
    unchecked: str | None = None
    note: str | None = None
    line: int | None = None

    @property
    def kind(self) -> Literal["statistic", "case", "external", "unchecked"]:
        if self.statistic is not None:
            return "statistic"
        if self.case is not None:
            return "case"
        return "external" if self.external is not None else "unchecked"


class ClaimsFile(Value):
    """A parsed claims file."""

    path: str
    paper: dict[str, str] = Field(default_factory=dict)
    dataset: str | None = None
    claims: tuple[Claim, ...]


class Check(Value):
    """One comparison within a claim: what, claimed, recomputed, whether they agree."""

    what: str
    claimed: str
    recomputed: str
    ok: bool


class CaseRef(Value):
    """A case named in an explanation, with the columns that show why."""

    case_uid: str
    source_row: str | None = None
    values: dict[str, Any] = Field(default_factory=dict)


class ClaimResult(Value):
    claim: Claim
    status: Status
    recomputed: str | None = None
    checks: tuple[Check, ...] = ()
    explanation: str | None = None
    cases: tuple[CaseRef, ...] = ()


class AuditReport(Value):
    """The audit of a claims file against a dataset."""

    claims_file: str
    dataset: str | None
    source: str
    results: tuple[ClaimResult, ...]

    @property
    def mismatches(self) -> tuple[ClaimResult, ...]:
        return tuple(r for r in self.results if r.status == "mismatch")

    def counts(self) -> dict[str, int]:
        out = {"match": 0, "mismatch": 0, "not_checked": 0}
        for r in self.results:
            out[r.status] += 1
        return out

    def as_json(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["counts"] = self.counts()
        return data

    def text(self) -> str:
        c = self.counts()
        lines = [
            f"Claims audit of {self.claims_file} against dataset {self.dataset or '(all)'} "
            f"({self.source}): {c['match']} match, {c['mismatch']} mismatch, "
            f"{c['not_checked']} not checked",
        ]
        for r in self.results:
            claim = r.claim
            head = f"[{r.status.upper().replace('_', ' ')}] {claim.id} ({claim.where})"
            lines.append("")
            lines.append(head)
            lines.append(f'  "{claim.quote}"')
            if r.recomputed:
                lines.append(f"  recomputed: {r.recomputed}")
            for check in r.checks:
                mark = "ok" if check.ok else "DIFFERS"
                lines.append(
                    f"  - {check.what}: claimed {check.claimed}, recomputed {check.recomputed} "
                    f"[{mark}]"
                )
            if r.explanation:
                for i, part in enumerate(r.explanation.split("\n")):
                    lines.append(("  why: " if i == 0 else "       ") + part)
        return "\n".join(lines)


# ----------------------------------------------------------------------------- loading


@dataclass(frozen=True, slots=True)
class _Node:
    """What the YAML composer tells about a claim mapping: lines and raw scalar texts."""

    line: int
    key_lines: Mapping[str, int]
    raw: Mapping[str, str]


def _compose(text: str, file: str) -> tuple[Any, list[_Node]]:
    import yaml

    from tkiresist.io.guarded import compose_checked, yaml_error

    try:
        root, data = compose_checked(text, file)
    except yaml.YAMLError as exc:
        found = yaml_error(exc, file)
        raise EvidenceError(found.message, found.location) from None
    except FormatError as exc:
        raise EvidenceError(exc.message, exc.location) from None
    nodes: list[_Node] = []
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "claims" and isinstance(value, yaml.SequenceNode):
                for item in value.value:
                    key_lines: dict[str, int] = {}
                    raw: dict[str, str] = {}
                    if isinstance(item, yaml.MappingNode):
                        for k, v in item.value:
                            key_lines[str(k.value)] = k.start_mark.line + 1
                            if isinstance(v, yaml.ScalarNode):
                                raw[str(k.value)] = str(v.value)
                    nodes.append(_Node(item.start_mark.line + 1, key_lines, raw))
    return data, nodes


def _decimals(raw: str | None) -> int:
    if raw is None or "." not in raw:
        return 0
    return len(raw.split(".", 1)[1].rstrip())


def _fail(file: str, line: int | None, field: str, message: str) -> EvidenceError:
    return EvidenceError(message, Location(file, line, field=field))


def _number(value: object, file: str, line: int | None, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(file, line, field, f"expected a number, got {value!r}")
    return float(value)


def _count(value: object, file: str, line: int | None, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(file, line, field, f"expected a whole number ≥ 0, got {value!r}")
    return value


def _claim(item: object, node: _Node | None, index: int, file: str) -> Claim:
    base = f"claims[{index}]"
    line = node.line if node else None

    def at(key: str) -> int | None:
        return node.key_lines.get(key, line) if node else None

    if not isinstance(item, dict):
        raise _fail(file, line, base, "a claim is a mapping with id, where, quote...")
    unknown = sorted(set(map(str, item)) - _CLAIM_KEYS)
    if unknown:
        raise _fail(
            file,
            at(unknown[0]),
            f"{base}.{unknown[0]}",
            f"unknown key {unknown[0]!r}; keys are: {', '.join(sorted(_CLAIM_KEYS))}",
        )
    for key in ("id", "where", "quote"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise _fail(file, at(key), f"{base}.{key}", f"{key!r} is required (text)")
    kinds = [k for k in ("statistic", "case", "external", "unchecked") if item.get(k) is not None]
    if len(kinds) != 1:
        raise _fail(
            file,
            line,
            base,
            "a claim names exactly one of 'statistic', 'case' (with 'field'), 'external' or "
            f"'unchecked'; got {', '.join(kinds) or 'none'}",
        )
    kind = kinds[0]
    fields: dict[str, Any] = {
        "id": item["id"].strip(),
        "where": item["where"].strip(),
        "quote": " ".join(item["quote"].split()),
        "line": line,
    }
    for key in ("external", "unchecked", "note"):
        if item.get(key) is not None:
            fields[key] = str(item[key])
    numbers = [k for k in _NUMBER_KEYS if item.get(k) is not None]
    if kind in ("statistic", "case") and not numbers:
        raise _fail(file, line, base, f"nothing to compare: give one of {', '.join(_NUMBER_KEYS)}")
    if kind == "statistic":
        stat = str(item["statistic"])
        if not is_known_statistic(stat):
            raise _fail(
                file,
                at("statistic"),
                f"{base}.statistic",
                f"unknown statistic {stat!r} (see tkiresist.evidence.catalogue for the ids)",
            )
        fields["statistic"] = stat
    if kind == "case":
        column = item.get("field")
        if column not in FACT_COLUMNS:
            raise _fail(
                file,
                at("field"),
                f"{base}.field",
                f"a per-case claim needs 'field', a case-facts column; got {column!r}",
            )
        fields["case"] = str(item["case"])
        fields["field"] = column
        bad = [k for k in ("numerator", "denominator", "percent", "p_below") if k in numbers]
        if bad:
            raise _fail(file, at(bad[0]), f"{base}.{bad[0]}", "a per-case claim has a 'value'")
    if "numerator" in numbers:
        fields["numerator"] = _count(item["numerator"], file, at("numerator"), f"{base}.numerator")
    if "denominator" in numbers:
        fields["denominator"] = _count(
            item["denominator"], file, at("denominator"), f"{base}.denominator"
        )
    if "percent" in numbers:
        fields["percent"] = _number(item["percent"], file, at("percent"), f"{base}.percent")
        fields["percent_decimals"] = _decimals(node.raw.get("percent") if node else None)
    if "p_below" in numbers:
        fields["p_below"] = _number(item["p_below"], file, at("p_below"), f"{base}.p_below")
    if "value" in numbers:
        fields["value"], fields["value_decimals"] = _value(item["value"], node, file, at, base)
    if item.get("tolerance") is not None:
        fields["tolerance"] = _number(item["tolerance"], file, at("tolerance"), f"{base}.tolerance")
    return Claim(**fields)


def _value(
    value: object, node: _Node | None, file: str, at: Any, base: str
) -> tuple[ClaimValue, int]:
    where = f"{base}.value"
    if isinstance(value, list):
        if len(value) != 2:
            raise _fail(file, at("value"), where, "a range value is [low, high]")
        low = _number(value[0], file, at("value"), where)
        high = _number(value[1], file, at("value"), where)
        decimals = max(_decimals(str(value[0])), _decimals(str(value[1])))
        return (low, high), decimals
    if isinstance(value, bool | str):
        return value, 0
    number = _number(value, file, at("value"), where)
    return number, _decimals(node.raw.get("value") if node else None)


def load_claims(path: str | Path) -> ClaimsFile:
    """Read and check a claims file; raise :class:`EvidenceError` with file, line and field."""
    p = Path(path)
    file = str(p)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EvidenceError("no such claims file", Location(file)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EvidenceError(f"cannot read the claims file: {exc}", Location(file)) from None
    return parse_claims(text, file)


def parse_claims(text: str, file: str = "<claims>") -> ClaimsFile:
    """Parse the text of a claims file (see :func:`load_claims`)."""
    data, nodes = _compose(text, file)
    if not isinstance(data, dict):
        raise _fail(file, 1, "claims", "a claims file is a mapping with 'claims'")
    unknown = sorted(set(map(str, data)) - _TOP_KEYS)
    if unknown:
        raise _fail(
            file, None, unknown[0], f"unknown key {unknown[0]!r}; keys: {', '.join(_TOP_KEYS)}"
        )
    if data.get("schema_version", 1) != 1:
        raise _fail(file, None, "schema_version", "only schema_version 1 is known")
    items = data.get("claims")
    if not isinstance(items, list) or not items:
        raise _fail(file, None, "claims", "'claims' is a non-empty list")
    claims: list[Claim] = []
    seen: dict[str, int | None] = {}
    for i, item in enumerate(items):
        claim = _claim(item, nodes[i] if i < len(nodes) else None, i, file)
        if claim.id in seen:
            raise _fail(
                file,
                claim.line,
                f"claims[{i}].id",
                f"duplicate claim id {claim.id!r} (first on line {seen[claim.id]})",
            )
        seen[claim.id] = claim.line
        claims.append(claim)
    paper = data.get("paper") or {}
    if not isinstance(paper, dict):
        raise _fail(file, None, "paper", "'paper' is a mapping (citation, doi)")
    dataset = data.get("dataset")
    return ClaimsFile(
        path=file,
        paper={str(k): str(v) for k, v in paper.items()},
        dataset=None if dataset is None else str(dataset),
        claims=tuple(claims),
    )


def packaged_claims(name: str = "cheung2025") -> Path:
    """The path of a claims file shipped with tkiresist (``data/claims/<name>.yaml``)."""
    from importlib import resources

    ref = resources.files("tkiresist.data").joinpath("claims", f"{name}.yaml")
    path = Path(str(ref))
    if not path.is_file():
        raise EvidenceError(f"no packaged claims file {name!r}", Location(field="claims"))
    return path


# ----------------------------------------------------------------------------- comparing


def _tolerance(claim: Claim, decimals: int) -> float:
    if claim.tolerance is not None:
        return claim.tolerance
    return 0.5 * 10.0 ** (-decimals) + 1e-9


def _fmt(x: float) -> str:
    return f"{x:.4g}" if abs(x) < 1e4 else f"{x:,.0f}"


def _pct(x: float | None) -> str:
    return "NA" if x is None else f"{x:.1f}%"


def _statistic_checks(claim: Claim, stat: Statistic) -> list[Check]:
    checks: list[Check] = []
    if claim.numerator is not None:
        got = stat.numerator
        checks.append(
            Check(
                what="numerator",
                claimed=str(claim.numerator),
                recomputed="NA" if got is None else str(got),
                ok=got == claim.numerator,
            )
        )
    if claim.denominator is not None:
        got = stat.denominator
        checks.append(
            Check(
                what="denominator",
                claimed=str(claim.denominator),
                recomputed="NA" if got is None else str(got),
                ok=got == claim.denominator,
            )
        )
    if claim.percent is not None:
        pct = stat.percent
        tol = _tolerance(claim, claim.percent_decimals)
        checks.append(
            Check(
                what=f"percent (±{tol:.2g})",
                claimed=f"{claim.percent:g}%",
                recomputed=_pct(pct),
                ok=pct is not None and abs(pct - claim.percent) <= tol,
            )
        )
    if claim.value is not None:
        checks.append(_value_check(claim, stat.value))
    if claim.p_below is not None:
        p = stat.value
        ok = isinstance(p, float) and p < claim.p_below
        checks.append(
            Check(
                what="p-value",
                claimed=f"< {claim.p_below:g}",
                recomputed="NA" if not isinstance(p, float) else f"{p:.2g}",
                ok=ok,
            )
        )
    return checks


def _value_check(claim: Claim, got: object) -> Check:
    want = claim.value
    tol = _tolerance(claim, claim.value_decimals)
    if isinstance(want, tuple):
        ok = (
            isinstance(got, tuple) and abs(got[0] - want[0]) <= tol and abs(got[1] - want[1]) <= tol
        )
        shown = f"{_fmt(got[0])}–{_fmt(got[1])}" if isinstance(got, tuple) else str(got)
        return Check(
            what="value", claimed=f"{_fmt(want[0])}–{_fmt(want[1])}", recomputed=shown, ok=ok
        )
    if isinstance(want, bool):
        return Check(
            what="value",
            claimed=str(want).lower(),
            recomputed="NA" if got is None else str(bool(got)).lower(),
            ok=got is not None and bool(got) == want,
        )
    if isinstance(want, str):
        return Check(
            what="value",
            claimed=want,
            recomputed="NA" if got is None else str(got),
            ok=got is not None and _same_text(claim.field, want, str(got)),
        )
    assert want is not None
    number = float(want)
    ok = isinstance(got, int | float) and not isinstance(got, bool)
    return Check(
        what=f"value (±{tol:.2g})" if claim.value_decimals or claim.tolerance else "value",
        claimed=_fmt(number),
        recomputed="NA" if not ok else _fmt(float(got)),  # type: ignore[arg-type]
        ok=ok and abs(float(got) - number) <= tol,  # type: ignore[arg-type]
    )


def _same_text(column: str | None, claimed: str, actual: str) -> bool:
    aliases = VOCABULARY_ALIASES.get(column or "", {})
    a = aliases.get(claimed.lower(), claimed.lower())
    b = aliases.get(actual.lower(), actual.lower())
    if column in ("prior_tkis", "alk_partners"):
        a, b = a.replace(" ", ""), b.replace(" ", "")
    return a == b


def _recomputed(stat: Statistic) -> str:
    if stat.kind in ("proportion", "count") and stat.denominator is not None:
        return f"{stat.numerator}/{stat.denominator} = {_pct(stat.percent)} — {stat.label}"
    return stat.label


# ----------------------------------------------------------------------------- explaining


def _case_refs(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> tuple[CaseRef, ...]:
    return tuple(
        CaseRef(
            case_uid=str(r["case_uid"]),
            source_row=None if r.get("source_row") is None else str(r["source_row"]),
            values={c: r.get(c) for c in columns if c in r},
        )
        for r in rows
    )


def _name(ref: CaseRef) -> str:
    return f"row {ref.source_row}" if ref.source_row else ref.case_uid


def _grouped_text(refs: Sequence[CaseRef], columns: Sequence[str]) -> list[str]:
    """Cases grouped by the text of their evidence columns, the smallest groups first."""
    groups: dict[str, list[CaseRef]] = {}
    for ref in refs:
        shown = "; ".join(f"{c} = {ref.values.get(c)!r}" for c in columns if c in ref.values)
        groups.setdefault(shown or "(no evidence columns)", []).append(ref)
    ordered = sorted(groups.items(), key=lambda kv: len(kv[1]))
    return [
        f"{len(members)} case{'s' if len(members) != 1 else ''} with {text}: "
        + ", ".join(_name(m) for m in members)
        for text, members in ordered
    ]


def _explain_statistic(
    claim: Claim,
    stat: Statistic,
    checks: Sequence[Check],
    facts: Any,
    dataset: str | None,
) -> tuple[str, tuple[CaseRef, ...]]:
    preds = case_predicates(stat.id, facts.columns)
    columns = [c for c in evidence_columns(stat.id) if c in facts.columns]
    parts: list[str] = []
    refs: tuple[CaseRef, ...] = ()
    failed = {c.what.split(" ")[0] for c in checks if not c.ok}
    claimed_k = claim.numerator
    if claimed_k is None and claim.percent is not None and stat.denominator:
        implied = _implied_numerators(claim, stat.denominator)
        if implied:
            claimed_k = implied[0]
            parts.append(
                f"The claimed {claim.percent:g}% of {stat.denominator} corresponds to "
                f"{' or '.join(str(k) for k in implied)} case(s)."
            )
    if claim.numerator is not None and claim.percent is not None:
        den = claim.denominator or stat.denominator
        if den:
            inner = 100.0 * claim.numerator / den
            consistent = abs(inner - claim.percent) <= _tolerance(claim, claim.percent_decimals)
            parts.append(
                f"Within the claim, {claim.numerator}/{den} = {inner:.1f}%, "
                f"{'consistent with' if consistent else 'not'} the {claim.percent:g}% stated."
            )
    if preds.numerator is not None and (failed & {"numerator", "percent", "value", "p-value"}):
        total, rows = list_cases(
            facts,
            preds.numerator.and_(preds.denominator),
            dataset=dataset,
            columns=columns,
            pooled=True,
        )
        refs = _case_refs(rows, columns)
        diff = "" if claimed_k is None or stat.numerator is None else _diff(stat, claimed_k)
        parts.append(
            f"The registry counts {total} case(s) for {stat.id}{diff} "
            f"(condition: {_condition(preds.numerator)}):"
        )
        parts += [f"  {line}" for line in _grouped_text(refs, columns)]
        if claimed_k is not None and stat.numerator is not None and claimed_k < stat.numerator:
            parts.append(
                f"  The claim leaves out {stat.numerator - claimed_k} of these; the cases that "
                "stand apart (listed first) are the likeliest."
            )
        if not preds.exact:
            parts.append(
                "  (Events attributed to drugs outside the regimen are not counted; see the "
                "summary's definitions.)"
            )
    if "denominator" in failed:
        total, rows = list_cases(
            facts, preds.denominator, dataset=dataset, columns=columns, pooled=True
        )
        den_refs = _case_refs(rows, columns)
        parts.append(
            f"The denominator holds {total} case(s) (condition: "
            f"{_condition(preds.denominator)}), the claim {claim.denominator}:"
        )
        parts += [f"  {line}" for line in _grouped_text(den_refs, columns)]
        refs = refs or den_refs
    if preds.numerator is None and failed:
        column = columns[0] if columns else None
        if column is not None:
            _, rows = list_cases(
                facts, preds.denominator, dataset=dataset, columns=columns, limit=200, pooled=True
            )
            values = sorted(
                ((r[column], r) for r in rows if isinstance(r.get(column), int | float)),
                key=lambda vr: float(vr[0]),
            )
            refs = _case_refs([r for _, r in values], columns)
            listing = ", ".join(
                f"{_fmt(float(v))} ({_name(ref)})" for (v, _), ref in zip(values, refs, strict=True)
            )
            parts.append(f"The {len(values)} values of {column}, sorted: {listing}.")
    return "\n".join(parts), refs


def _implied_numerators(claim: Claim, n: int) -> list[int]:
    assert claim.percent is not None
    tol = _tolerance(claim, claim.percent_decimals)
    return [k for k in range(n + 1) if abs(100.0 * k / n - claim.percent) <= tol]


def _diff(stat: Statistic, claimed: int) -> str:
    assert stat.numerator is not None
    d = stat.numerator - claimed
    if d == 0:
        return ""
    return f", {abs(d)} {'more' if d > 0 else 'fewer'} than the claim's {claimed}"


def _condition(pred: Predicate) -> str:
    text = pred.sql
    for name, value in pred.params.items():
        text = text.replace(f":{name}", repr(value))
    return text


def _case_claim(
    claim: Claim, facts: Any, dataset: str | None, file: str
) -> tuple[Status, str, tuple[Check, ...], str | None, tuple[CaseRef, ...]]:
    assert claim.case is not None and claim.field is not None and claim.value is not None
    if "source_row" not in facts.columns:
        raise EvidenceError(
            "per-case claims need the facts column 'source_row'",
            Location(file, claim.line, field=f"{claim.id}.case"),
        )
    if claim.field not in facts.columns:
        raise EvidenceError(
            f"the facts table has no column {claim.field!r}",
            Location(file, claim.line, field=f"{claim.id}.field"),
        )
    columns = [claim.field] + [
        c for c in ("study", "egfr_history_text", "post_regimen_text") if c in facts.columns
    ]
    _, rows = list_cases(
        facts,
        Predicate("source_row = :row", {"row": claim.case}),
        dataset=dataset,
        columns=columns,
        limit=2,
    )
    if not rows:
        raise EvidenceError(
            f"no case with row label {claim.case!r} in dataset {dataset or '(any)'}",
            Location(file, claim.line, field=f"{claim.id}.case"),
        )
    if len(rows) > 1:
        raise EvidenceError(
            f"row label {claim.case!r} names several cases; give the dataset",
            Location(file, claim.line, field=f"{claim.id}.case"),
        )
    row = rows[0]
    actual = row.get(claim.field)
    if FACT_COLUMNS[claim.field].kind == "bool" and actual is not None:
        actual = bool(actual)
    check = _value_check(claim, actual).model_copy(update={"what": claim.field})
    refs = _case_refs([row], columns)
    recomputed = f"row {claim.case}: {claim.field} = {actual!r}"
    if check.ok:
        return "match", recomputed, (check,), None, refs
    context = "; ".join(f"{c} = {row[c]!r}" for c in columns[1:] if row.get(c) is not None)
    explanation = (
        f"The registry's case {row['case_uid']} (row {claim.case}) has {claim.field} = "
        f"{actual!r}; the claim says {check.claimed}."
        + (f" Its row: {context}." if context else "")
    )
    return "mismatch", recomputed, (check,), explanation, refs


def audit(
    claims: ClaimsFile,
    summary: EvidenceSummary,
    source: object | None = None,
    *,
    table: str = FACTS_TABLE,
) -> AuditReport:
    """Compare every claim with ``summary``; ``source`` (the facts the summary was computed
    from) answers per-case claims and explanations. Without a source, per-case claims raise
    :class:`EvidenceError` and mismatches carry no case list."""
    facts = open_source(source, table) if source is not None else None
    dataset = summary.dataset
    results: list[ClaimResult] = []
    for claim in claims.claims:
        if claim.kind in ("external", "unchecked"):
            reason = (
                f"about another source: {claim.external}"
                if claim.kind == "external"
                else f"not checkable: {claim.unchecked}"
            )
            results.append(ClaimResult(claim=claim, status="not_checked", explanation=reason))
            continue
        if claim.kind == "case":
            if facts is None:
                raise EvidenceError(
                    "per-case claims need the facts source",
                    Location(claims.path, claim.line, field=claim.id),
                )
            status, recomputed, checks, why, case_refs = _case_claim(
                claim, facts, dataset, claims.path
            )
            results.append(
                ClaimResult(
                    claim=claim,
                    status=status,
                    recomputed=recomputed,
                    checks=checks,
                    explanation=why,
                    cases=case_refs,
                )
            )
            continue
        assert claim.statistic is not None
        stat = summary.get(claim.statistic)
        stat_checks = tuple(_statistic_checks(claim, stat))
        ok = all(c.ok for c in stat_checks)
        explanation: str | None = None
        refs: tuple[CaseRef, ...] = ()
        if not ok and facts is not None:
            explanation, refs = _explain_statistic(claim, stat, stat_checks, facts, dataset)
        results.append(
            ClaimResult(
                claim=claim,
                status="match" if ok else "mismatch",
                recomputed=_recomputed(stat),
                checks=stat_checks,
                explanation=explanation,
                cases=refs,
            )
        )
    return AuditReport(
        claims_file=claims.path,
        dataset=dataset,
        source=summary.source,
        results=tuple(results),
    )


def audit_file(
    claims_path: str | Path,
    source: object,
    *,
    dataset: str | None = None,
    table: str = FACTS_TABLE,
) -> AuditReport:
    """Load ``claims_path``, summarise ``source`` for ``dataset`` (default: the file's), audit."""
    from tkiresist.evidence.summary import summarize

    claims = load_claims(claims_path)
    chosen = dataset or claims.dataset
    summary = summarize(source, dataset=chosen, table=table)
    return audit(claims, summary, source, table=table)
