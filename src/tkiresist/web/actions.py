"""What the API and the pages both do, as plain functions over the library.

Each write checks nothing about HTTP: the caller has admitted the user (role, CSRF). Each write
lands in the registry (with its history: who changed which field) and in the web audit trail
(who did what, and how it ended: ``ok`` or the error code), whether it succeeds or not.

Uploaded files are written to a private temporary folder, read with the very readers of the
CLI (:func:`tkiresist.io.readers.read_file`, :func:`tkiresist.registry.importers.import_table`)
and deleted; their problems name the uploaded file's name, never the temporary path. Nothing is
written to the registry until the whole upload has been read and validated, and the registry
writes it in one transaction: a bad upload leaves no trace but its audit row.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tkiresist import BUNDLED_DATASET
from tkiresist.errors import (
    CaseValidationError,
    FormatError,
    Location,
    Problem,
    RegistryError,
    TkiResistError,
)
from tkiresist.web.errors import Forbidden, NotFound, Unprocessable, WebError, status_for
from tkiresist.web.store import SessionInfo

log = logging.getLogger("tkiresist.web")

if TYPE_CHECKING:
    from tkiresist.evidence.summary import EvidenceSummary
    from tkiresist.interpret.options import PooledLookup
    from tkiresist.io.base import ReadResult
    from tkiresist.model.case import Case
    from tkiresist.model.findings import Finding
    from tkiresist.model.interpretation import Interpretation
    from tkiresist.registry.db import ImportReport
    from tkiresist.registry.record import CaseRecord, HistoryEntry
    from tkiresist.web.context import Context

Identifiers = Literal["safe_harbor", "shifted", "include"]
IDENTIFIERS: tuple[Identifiers, ...] = ("safe_harbor", "shifted", "include")
JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")
AGE_LIMIT = 89


# ----------------------------------------------------------------------------- auditing


@contextmanager
def audited(
    ctx: Context,
    info: SessionInfo,
    action: str,
    target: str | None,
    remote: str | None,
    detail: Any = None,
) -> Iterator[dict[str, Any]]:
    """Record ``action`` in the audit trail when the block ends: ``ok``, or the error's code
    (the error propagates). The block may add to the yielded detail dict."""
    extra: dict[str, Any] = dict(detail or {})
    try:
        yield extra
    except TkiResistError as exc:
        extra["error"] = exc.message
        ctx.store.audit(
            info.user.name, action, target, outcome=exc.code, detail=extra, remote=remote
        )
        raise
    ctx.derived.invalidate()  # pooled evidence and audits are recomputed from the new data
    ctx.store.audit(info.user.name, action, target, detail=extra or None, remote=remote)


# ----------------------------------------------------------------------------- reading bodies


def decode_text(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CaseValidationError(
            [Problem(f"not UTF-8 text (byte {exc.start})", Location(name))]
        ) from None


def parse_case_body(raw: bytes, content_type: str, name: str = "body") -> Case:
    """A case from a request body: JSON (fast path: no YAML parse; line numbers are added
    only when there are problems) or YAML. Problems are located under ``name``."""
    from tkiresist.io.casefile import parse_case_data, parse_case_text
    from tkiresist.io.guarded import load_json

    text = decode_text(raw, name)
    kind = content_type.split(";")[0].strip().lower()
    if kind in JSON_TYPES or kind.endswith("+json"):
        try:
            data = load_json(text, name)  # depth and size checked before the case is built
        except FormatError as exc:
            raise WebError(exc.message, exc.location) from None
        try:
            return parse_case_data(data, name)
        except CaseValidationError:
            return parse_case_text(text, name)  # the same problems, with line numbers
    if kind in YAML_TYPES or not kind:
        return parse_case_text(text, name)
    raise WebError(
        f"unsupported content type {kind!r}: send the case as application/json or application/yaml",
        Location(field="content-type"),
    )


def case_from_data(data: Any, name: str) -> Case:
    """A case from already-parsed JSON (a field of a larger body), its shape checked first."""
    from tkiresist.io.casefile import parse_case_data
    from tkiresist.io.guarded import check_json_shape

    try:
        check_json_shape(data, name)
    except FormatError as exc:
        raise WebError(exc.message, exc.location) from None
    return parse_case_data(data, name)


# ----------------------------------------------------------------------------- privacy


def deidentified(ctx: Context, info: SessionInfo, case: Case, identifiers: str) -> Case:
    """``case`` as the user may see it in an export or report: Safe Harbor by default;
    ``shifted`` dates or ``include`` (everything) for admins only, on explicit request."""
    from tkiresist.privacy import deidentify, patient_shift_days, shift_dates

    if identifiers not in IDENTIFIERS:
        raise Unprocessable(
            f"unknown identifiers mode {identifiers!r}: expected one of {', '.join(IDENTIFIERS)}",
            Location(field="identifiers"),
        )
    if identifiers == "safe_harbor":
        return deidentify(case)
    if not info.user.can("admin"):
        raise Forbidden(
            f"identifiers={identifiers} needs the admin role: exports and reports leave out "
            "HIPAA Safe Harbor identifiers otherwise",
            Location(field="identifiers"),
        )
    if identifiers == "include":
        return case
    if ctx.shift_secret is None:
        raise Unprocessable(
            "date shifting is off: start the server with TKIRESIST_SHIFT_SECRET set",
            Location(field="identifiers"),
        )
    return shift_dates(case, patient_shift_days(case.id, ctx.shift_secret))


def safe_age(value: Any) -> Any:
    """An age as a listing shows it: over 89 is "90+" (Safe Harbor)."""
    if isinstance(value, int | float) and value > AGE_LIMIT:
        return "90+"
    return value


# ----------------------------------------------------------------------------- records


def get_record(ctx: Context, uid: str) -> CaseRecord:
    try:
        return ctx.registry.get(uid)
    except RegistryError:  # get() raises only for an unknown uid
        raise NotFound(f"no case {uid!r} in the registry", Location(field="uid")) from None


def history(ctx: Context, info: SessionInfo, uid: str) -> list[HistoryEntry]:
    """Every change of ``uid``, oldest first. The old and new values are the working record's
    (dates, free text): curators and admins see them, a viewer sees who changed which field
    when, without the values."""
    get_record(ctx, uid)
    entries = ctx.registry.history(uid)
    if info.user.can("curator"):
        return entries
    return [e.model_copy(update={"old": None, "new": None}) for e in entries]


def record_json(rec: CaseRecord, case: Case | None = None) -> dict[str, Any]:
    """A registry record as JSON; ``case`` replaces the stored case (a de-identified view)."""
    from tkiresist.io.casefile import case_to_data

    data = rec.model_dump(mode="json", exclude={"case"})
    data["case"] = case_to_data(case if case is not None else rec.case)
    data["deleted"] = rec.deleted
    return data


POOLED_DATASET = BUNDLED_DATASET


def pooled_lookup(ctx: Context) -> PooledLookup | None:
    """Pooled registry evidence per regimen (dataset :data:`POOLED_DATASET`), or None when the
    registry does not hold that dataset (then options carry no pooled numbers; logged)."""
    from tkiresist.errors import EvidenceError
    from tkiresist.evidence.pooled import PooledEvidenceIndex
    from tkiresist.evidence.summary import summarize

    def build() -> PooledEvidenceIndex | None:
        try:
            summary = summarize(ctx.registry.engine, dataset=POOLED_DATASET)
        except EvidenceError as exc:
            log.warning("no pooled evidence for interpretations: %s", exc.message)
            return None
        return PooledEvidenceIndex(summary, POOLED_DATASET)

    return ctx.derived.get("pooled", build)


def interpret_case(ctx: Context, case: Case, at: str | None = None) -> Interpretation:
    """Interpret ``case`` with the knowledge base and the registry's pooled evidence."""
    from tkiresist.interpret.engine import interpret

    return interpret(case, ctx.kb, at=at or None, pooled=pooled_lookup(ctx))


def create_case(
    ctx: Context,
    info: SessionInfo,
    case: Case,
    remote: str | None,
    dataset: str = "local",
    *,
    reason: str | None = None,
) -> CaseRecord:
    """A new draft case; ``reason`` goes into its first history row (and the audit)."""
    from tkiresist.web.errors import Exists

    detail = {"dataset": dataset, **({"reason": reason} if reason else {})}
    with audited(ctx, info, "case.create", case.id, remote, detail):
        try:
            ctx.registry.get(case.id)
        except RegistryError:
            pass  # free
        else:
            raise Exists(
                f"a case with id {case.id!r} exists: give the case another id",
                Location(field="id"),
            )
        return ctx.registry.add_case(case, who=info.user.name, dataset=dataset, reason=reason)


def update_case(
    ctx: Context,
    info: SessionInfo,
    uid: str,
    *,
    version: int,
    case: Case | None = None,
    reported: Any = None,
    status: str | None = None,
    reason: str | None = None,
    remote: str | None = None,
    action: str = "case.update",
) -> CaseRecord:
    """Save a change made on top of ``version``: a stale version is a ConflictError (409)
    naming who saved first; the registry changes nothing then."""
    get_record(ctx, uid)
    with audited(ctx, info, action, uid, remote, {"version": version}) as detail:
        rec = ctx.registry.update(
            uid,
            expected_version=version,
            who=info.user.name,
            case=case,
            reported=reported,
            status=status,  # type: ignore[arg-type]
            reason=reason or None,
        )
        detail["new_version"] = rec.version
        return rec


def link_cases(
    ctx: Context,
    info: SessionInfo,
    uid: str,
    other: str,
    *,
    same_patient: bool,
    reason: str,
    remote: str | None = None,
) -> dict[str, Any]:
    """A curator's decision that ``uid`` and ``other`` are (or are not) the same patient:
    both histories record it; pooled counts count a linked pair once (#16)."""
    get_record(ctx, uid)
    get_record(ctx, other)
    action = "case.link" if same_patient else "case.unlink"
    with audited(ctx, info, action, uid, remote, {"other": other}):
        do = ctx.registry.link if same_patient else ctx.registry.unlink
        changed = do(uid, other, who=info.user.name, reason=reason)
    return {
        "uid": uid,
        "other": other,
        "same_patient": same_patient,
        "changed": changed,
        "counted_once_with": ctx.registry.same_patient(uid),
    }


# ----------------------------------------------------------------------------- field paths

_SEGMENT = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:#(?P<id>[^\[\]]+)|\[(?P<i>\d+)\])?$")


def _segments(path: str) -> list[tuple[str, str | None, int | None]]:
    out: list[tuple[str, str | None, int | None]] = []
    for part in path.split("."):
        m = _SEGMENT.match(part)
        if m is None:
            raise Unprocessable(
                f"bad field path {path!r} at {part!r}: expected name, name#id or name[index] "
                "parts joined by '.'",
                Location(field=path),
            )
        out.append((m["name"], m["id"], int(m["i"]) if m["i"] is not None else None))
    return out


def _step(node: Any, seg: tuple[str, str | None, int | None], path: str) -> tuple[Any, Any]:
    """(container, key) of one segment below ``node``."""
    name, ident, index = seg
    if not isinstance(node, dict) or name not in node:
        raise Unprocessable(f"no field {name!r} in {path!r}", Location(field=path))
    if ident is None and index is None:
        return node, name
    seq = node[name]
    if not isinstance(seq, list):
        raise Unprocessable(f"{name!r} is not a list in {path!r}", Location(field=path))
    if index is not None:
        if index >= len(seq):
            raise Unprocessable(f"no item {index} of {name!r} in {path!r}", Location(field=path))
        return seq, index
    for i, item in enumerate(seq):
        if isinstance(item, dict) and item.get("id") == ident:
            return seq, i
    raise Unprocessable(f"no item with id {ident!r} in {name!r}", Location(field=path))


def get_path(doc: Mapping[str, Any], path: str) -> Any:
    """The value at ``path`` (``case.patient.sex``, ``case.events#line-1``, ``case.events[2]``);
    a missing last field is None."""
    segs = _segments(path)
    node: Any = doc
    for n, seg in enumerate(segs):
        last = n == len(segs) - 1
        if last and seg[1] is None and seg[2] is None:
            return node.get(seg[0]) if isinstance(node, dict) else None
        container, key = _step(node, seg, path)
        node = container[key]
    return node


def set_path(doc: dict[str, Any], path: str, value: Any) -> None:
    """Set ``path`` to ``value`` in place; None removes a field (its default applies)."""
    segs = _segments(path)
    node: Any = doc
    for seg in segs[:-1]:
        container, key = _step(node, seg, path)
        node = container[key]
    name, ident, index = segs[-1]
    if ident is None and index is None:
        if not isinstance(node, dict):
            raise Unprocessable(f"cannot set {name!r} in {path!r}", Location(field=path))
        if value is None:
            node.pop(name, None)
        else:
            node[name] = value
        return
    container, key = _step(node, segs[-1], path)
    container[key] = value


def field_of_problem(problem: Problem, paths: Sequence[str], doc: Mapping[str, Any]) -> str:
    """The editable path (one of ``paths``) a case problem belongs to; '' when none does."""
    field = problem.location.field or ""
    m = re.match(r"^events\[(\d+)\]", field)
    candidates = ["case." + field] if field else []
    if m is not None:
        events = doc.get("case", {}).get("events", [])
        i = int(m.group(1))
        if i < len(events) and isinstance(events[i], dict):
            candidates.append(f"case.events#{events[i].get('id')}")
    for cand in candidates:
        best = [p for p in paths if cand == p or cand.startswith(p + ".") or p.startswith(cand)]
        if best:
            return max(best, key=len)
    return ""


def edit_fields(
    ctx: Context,
    info: SessionInfo,
    uid: str,
    *,
    version: int,
    changes: Mapping[str, Any],
    reason: str | None,
    status: str | None = None,
    remote: str | None = None,
) -> CaseRecord:
    """Curation: set record paths (``case.…`` or ``reported.…``) to new values, validate the
    whole case as the case-file reader does, and save on top of ``version``."""
    from pydantic import ValidationError

    from tkiresist.io.casefile import case_to_data
    from tkiresist.registry.record import ReportedSummary

    rec = get_record(ctx, uid)
    doc: dict[str, Any] = {
        "case": case_to_data(rec.case),
        "reported": rec.reported.model_dump(mode="json", exclude_none=True),
    }
    with audited(ctx, info, "case.edit", uid, remote, {"fields": sorted(changes)}):
        for path, value in changes.items():
            if not path.startswith(("case.", "reported.")):
                raise Unprocessable(
                    f"cannot edit {path!r}: editable paths start with 'case.' or 'reported.'",
                    Location(field=path),
                )
            set_path(doc, path, copy.deepcopy(value))
        case = case_from_data(doc["case"], "case")
        try:
            reported = ReportedSummary.model_validate(doc["reported"])
        except ValidationError as exc:
            raise Unprocessable(
                "the reported summary is not valid",
                problems=[
                    Problem(
                        str(e["msg"]),
                        Location(field="reported." + ".".join(str(x) for x in e["loc"])),
                    )
                    for e in exc.errors()
                ],
            ) from None
        if case.id != uid:
            raise Unprocessable(
                f"the case id cannot change (it is the uid {uid!r})", Location(field="case.id")
            )
        return ctx.registry.update(
            uid,
            expected_version=version,
            who=info.user.name,
            case=case,
            reported=reported,
            status=status,  # type: ignore[arg-type]
            reason=reason or None,
        )


# ----------------------------------------------------------------------------- uploads

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def upload_name(filename: str | None) -> str:
    """The uploaded file's own name (no folders), for messages and the temporary copy."""
    base = Path((filename or "upload").replace("\\", "/")).name
    cleaned = _SAFE_NAME.sub("_", base).lstrip(".")[:120]
    return cleaned or "upload"


@contextmanager
def uploaded(filename: str | None, data: bytes) -> Iterator[Path]:
    """The upload as a file in a private temporary folder, deleted afterwards. Errors raised
    inside name the upload, not the temporary path."""
    shown = upload_name(filename)
    with tempfile.TemporaryDirectory(prefix="tkiresist-upload-") as folder:
        path = Path(folder) / shown
        path.write_bytes(data)
        try:
            yield path
        except TkiResistError as exc:
            raise _renamed(exc, str(path), shown) from None


def _renamed(exc: TkiResistError, tmp: str, shown: str) -> WebError:
    def fix(text: str) -> str:
        return text.replace(tmp, shown)

    problems = [
        Problem(
            fix(p.message),
            Location(
                shown if p.location.file == tmp else p.location.file,
                p.location.line,
                p.location.column,
                p.location.field,
            ),
        )
        for p in exc.problems
    ]
    err = WebError(fix(exc.message), None, problems=problems)
    err.code = exc.code
    err.status = status_for(exc)
    return err


def _relabel(result: ReadResult, tmp: str, shown: str) -> ReadResult:
    """``result`` as if read from a file named ``shown``: the temporary path appears nowhere
    (not in the findings' provenance, which is stored with the case, nor in warnings)."""
    import dataclasses

    def finding(f: Finding) -> Finding:
        if f.provenance is None or f.provenance.file != tmp:
            return f
        return f.model_copy(update={"provenance": f.provenance.model_copy(update={"file": shown})})

    return dataclasses.replace(
        result,
        file=shown,
        findings_by_sample={
            sample: tuple(finding(f) for f in group)
            for sample, group in result.findings_by_sample.items()
        },
        warnings=tuple(
            Problem(
                w.message.replace(tmp, shown),
                Location(
                    shown if w.location.file == tmp else w.location.file,
                    w.location.line,
                    w.location.column,
                    w.location.field,
                ),
            )
            for w in result.warnings
        ),
    )


def attach_upload(
    ctx: Context,
    info: SessionInfo,
    uid: str,
    *,
    version: int,
    filename: str | None,
    data: bytes,
    specimen: str,
    date: str,
    assay: str | None = None,
    sample: str | None = None,
    test_id: str | None = None,
    specimen_kind: str | None = None,
    specimen_site: str | None = None,
    file_format: str | None = None,
    remote: str | None = None,
    allow_build_mix: bool = False,
) -> tuple[CaseRecord, tuple[Problem, ...]]:
    """Attach a result file (VCF, MAF, fusion, CNA, IHC table) to a case as a new test, as
    ``tkiresist add-test`` does; return the saved record and the reader's warnings.

    A file that dates its draws (the serial ctDNA table, #15) adds one test per date, each on
    its own specimen, in one submission, as ``add-test`` does: ``date``, ``test_id`` and
    ``specimen`` are the file's, so a ``date`` or ``test_id`` given with it is refused
    (located) and ``specimen`` is not used; ``sample`` (a date of the file) adds one draw."""
    from tkiresist.io.attach import attach_draws, attach_test
    from tkiresist.io.readers import read_file

    rec = get_record(ctx, uid)
    shown = upload_name(filename)
    detail = {"file": shown, "bytes": len(data), "version": version}
    with audited(ctx, info, "case.attach", uid, remote, detail) as extra:
        with uploaded(filename, data) as path:
            result = _relabel(read_file(path, file_format or None), str(path), shown)
            if result.draws:
                for name, value in (("date", date), ("test_id", test_id)):
                    if value and value.strip():
                        raise FormatError(
                            f"{name}: not for a {result.format} file, which dates each draw: "
                            "one test is added per date, on its own specimen (leave it empty)",
                            Location(file=shown, field=name),
                        )
                updated = attach_draws(
                    rec.case,
                    result,
                    assay=assay or None,
                    sample=sample or None,
                    specimen_kind=specimen_kind or "plasma",
                    specimen_site=specimen_site or None,
                )
            else:
                updated = attach_test(
                    rec.case,
                    result,
                    specimen=specimen,
                    date_or_time=date,
                    assay=assay or None,
                    sample=sample or None,
                    test_id=test_id or None,
                    specimen_kind=specimen_kind or None,
                    specimen_site=specimen_site or None,
                    allow_build_mix=allow_build_mix,
                )
            warnings = result.warnings
        saved = ctx.registry.update(
            uid,
            expected_version=version,
            who=info.user.name,
            case=updated,
            reason=f"attached {shown}",
        )
        extra["new_version"] = saved.version
        return saved, warnings


def import_upload(
    ctx: Context,
    info: SessionInfo,
    *,
    filename: str | None,
    data: bytes,
    source: str,
    table_format: str | None = None,
    dataset: str | None = None,
    table: str | None = None,
    remote: str | None = None,
) -> ImportReport:
    """Import a review table (seed text, CSV or XLSX) as ``tkiresist registry import-table``
    does: every row or none."""
    from tkiresist.registry.importers import import_table

    shown = upload_name(filename)
    detail = {"file": shown, "bytes": len(data), "source": source}
    with audited(ctx, info, "registry.import", dataset or source, remote, detail) as extra:
        with uploaded(filename, data) as path:
            report = import_table(
                ctx.registry,
                path,
                source=source,
                fmt=table_format or None,  # type: ignore[arg-type]
                dataset=dataset or None,
                table=table or None,
                who=info.user.name,
                label=shown,
            )
        extra.update(
            created=len(report.created), updated=len(report.updated), skipped=len(report.skipped)
        )
        return report


def import_report_json(report: ImportReport) -> dict[str, Any]:
    return {
        "source": report.source.model_dump(mode="json"),
        "dataset": report.dataset,
        "rows": report.rows,
        "created": list(report.created),
        "updated": list(report.updated),
        "unchanged": list(report.unchanged),
        "skipped": [{"uid": u, "reason": r} for u, r in report.skipped],
        "flagged": [{"uid": u, **f.model_dump(mode="json")} for u, f in report.flagged],
        "summary": report.summary(),
    }


# ----------------------------------------------------------------------------- registry views

MECHANISMS: dict[str, tuple[str, str]] = {
    "alk-fusion": ("ALK fusion (bypass)", "n_alk_fusions >= 1"),
    "egfr-t790m": ("EGFR T790M (on-target)", "egfr_t790m = true"),
}
"""Mechanism filters of the registry browser: label and the facts filter that selects them."""


def where_text(
    *,
    mechanism: str | None = None,
    partner: str | None = None,
    regimen: str | None = None,
    where: str | None = None,
) -> str | None:
    """One filter (the evidence filter language) from the browser's fields."""
    parts: list[str] = []
    if mechanism:
        if mechanism not in MECHANISMS:
            raise Unprocessable(
                f"unknown mechanism {mechanism!r}: expected one of {', '.join(MECHANISMS)}",
                Location(field="mechanism"),
            )
        parts.append(MECHANISMS[mechanism][1])
    if partner:
        parts.append(f"alk_partners has {json.dumps(partner.strip())}")
    if regimen:
        parts.append(f"first_post_regimen = {json.dumps(regimen.strip())}")
    if where and where.strip():
        parts.append(where.strip())
    return " and ".join(parts) or None


def summarize(
    ctx: Context, *, dataset: str | None, where: str | None, include_drafts: bool = False
) -> EvidenceSummary:
    """Pooled statistics: reviewed cases only unless ``include_drafts``; each patient once."""
    from tkiresist.evidence.summary import summarize as run

    return run(
        ctx.registry.engine, dataset=dataset or None, where=where, include_drafts=include_drafts
    )


LIST_COLUMNS = (
    "dataset",
    "status",
    "study",
    "age",
    "sex",
    "egfr_baseline",
    "prior_tkis",
    "alk_partners",
    "interval_months",
    "first_post_regimen",
    "best_response",
    "cns_involved",
    "needs_curation",
    "duplicate_of",
)


def search(
    ctx: Context, *, dataset: str | None, where: str | None, limit: int = 100
) -> tuple[int, list[dict[str, Any]]]:
    """The cases a filter selects (facts columns), ages over 89 shown as "90+"."""
    from tkiresist.evidence.catalogue import Predicate
    from tkiresist.evidence.summary import list_cases
    from tkiresist.evidence.where import compile_filter, parse_filter

    compiled = compile_filter(parse_filter(where) if where else None)
    total, rows = list_cases(
        ctx.registry.engine,
        Predicate(compiled.sql, dict(compiled.params)),
        dataset=dataset or None,
        columns=LIST_COLUMNS,
        limit=limit,
    )
    for row in rows:
        row["age"] = safe_age(row.get("age"))
    return total, rows


def facets(ctx: Context) -> dict[str, list[str]]:
    """Choices for the browser's fields: the datasets, partners and regimens present."""
    from tkiresist.evidence.facts import open_source, split_list

    facts = open_source(ctx.registry.engine)

    def distinct(column: str) -> list[Any]:
        sql = f"SELECT DISTINCT {column} FROM {facts.table} WHERE {column} IS NOT NULL"
        return [r[0] for r in facts.rows(sql, {})]

    partners = {p for value in distinct("alk_partners") for p in split_list(value)}
    return {
        "datasets": sorted(str(v) for v in distinct("dataset")),
        "partners": sorted(partners),
        "regimens": sorted(str(v) for v in distinct("first_post_regimen")),
        "mechanisms": list(MECHANISMS),
    }
