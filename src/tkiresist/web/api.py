"""The REST API under ``/api``: JSON in, JSON out, the one error shape on failure.

A case travels in the case-file format (see ``docs/case-format.md``), as JSON or YAML; the
schema is in the OpenAPI document (``GET /api/openapi.json``). Writes need the ``curator``
role, users and the audit trail the ``admin`` role, everything else a session.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from tkiresist.report import FIGURE_LOCK
from tkiresist.web import actions
from tkiresist.web.auth import (
    CSRF_HEADER,
    clear_session_cookie,
    login,
    logout,
    remote_of,
    requires,
    set_session_cookie,
)
from tkiresist.web.context import context_of
from tkiresist.web.errors import WebError
from tkiresist.web.store import SessionInfo, throttle_key

Viewer = Annotated[SessionInfo, Depends(requires("viewer"))]
Curator = Annotated[SessionInfo, Depends(requires("curator"))]
Admin = Annotated[SessionInfo, Depends(requires("admin"))]
IdentifiersQuery = Annotated[
    Literal["safe_harbor", "shifted", "include"],
    Query(
        description="safe_harbor (default): no HIPAA Safe Harbor identifiers; shifted "
        "(admin): dates shifted per patient; include (admin): everything"
    ),
]


class ErrorDetail(BaseModel):
    loc: list[str | int]
    msg: str


class ErrorInfo(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail]


class ErrorOut(BaseModel):
    """The one error shape."""

    error: ErrorInfo


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text}
    for status, text in (
        (400, "malformed request"),
        (401, "not logged in"),
        (403, "role too low, or CSRF token missing"),
        (404, "no such resource"),
        (409, "stale version or existing name"),
        (413, "body too large"),
        (422, "invalid content (located problems)"),
        (429, "too many failed logins"),
        (500, "server error"),
    )
}

router = APIRouter(prefix="/api", responses=_ERRORS)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _case_body(name: str) -> dict[str, Any]:
    """OpenAPI for routes that read a case from the raw body (JSON or YAML)."""
    return {
        "requestBody": {
            "required": True,
            "description": f"the {name} in the case-file format, as JSON or YAML",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Case"}},
                "application/yaml": {"schema": {"type": "string"}},
            },
        }
    }


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status)


# ----------------------------------------------------------------------------- session


class LoginIn(Strict):
    name: str = Field(max_length=200)
    password: str = Field(max_length=1024)


@router.post("/login", tags=["session"], summary="Log in: a session cookie and a CSRF token")
def api_login(request: Request, body: LoginIn) -> JSONResponse:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise WebError("log in with a JSON body (Content-Type: application/json)")
    user, token, csrf = login(request, body.name, body.password)
    response = _json({"user": user.as_dict(), "csrf_token": csrf, "csrf_header": CSRF_HEADER})
    set_session_cookie(request, response, token)
    return response


@router.post("/logout", tags=["session"], status_code=204)
def api_logout(request: Request, info: Viewer) -> Response:
    logout(request, info)
    response = Response(status_code=204)
    clear_session_cookie(request, response)
    return response


@router.get("/me", tags=["session"], summary="Who is logged in, and the CSRF token")
def me(info: Viewer) -> dict[str, Any]:
    return {"user": info.user.as_dict(), "csrf_token": info.csrf_token}


@router.get("/openapi.json", tags=["session"], summary="This API's OpenAPI document")
def openapi(request: Request, _info: Viewer) -> dict[str, Any]:
    schema: dict[str, Any] = request.app.openapi()
    return schema


# ----------------------------------------------------------------------------- interpret


@router.post(
    "/interpret",
    tags=["interpret"],
    summary="Interpret a case given in the body (JSON or YAML)",
    openapi_extra=_case_body("case"),
)
async def interpret_body(
    request: Request,
    _info: Viewer,
    at: Annotated[str | None, Query(description="decision point: an event id")] = None,
) -> Response:
    from starlette.concurrency import run_in_threadpool

    raw = await request.body()
    content_type = request.headers.get("content-type", "")

    def work() -> bytes:
        case = actions.parse_case_body(raw, content_type)
        result = actions.interpret_case(context_of(request), case, at)
        return result.model_dump_json(by_alias=True).encode("utf-8")

    return Response(await run_in_threadpool(work), media_type="application/json")


# ----------------------------------------------------------------------------- cases


@router.get("/cases", tags=["cases"], summary="List registry cases")
def list_cases(
    request: Request,
    _info: Viewer,
    dataset: str | None = None,
    status: Literal["draft", "reviewed"] | None = None,
    include_deleted: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    reg = context_of(request).registry
    rows = reg.list_cases(dataset, status, include_deleted, limit, offset)
    return {
        "total": reg.count(dataset, include_deleted),
        "cases": [r.model_dump(mode="json") for r in rows],
    }


@router.post(
    "/cases",
    tags=["cases"],
    status_code=201,
    summary="Create a local case (body: the case, JSON or YAML)",
    openapi_extra=_case_body("case"),
)
async def create_case(request: Request, info: Curator) -> JSONResponse:
    from starlette.concurrency import run_in_threadpool

    raw = await request.body()
    content_type = request.headers.get("content-type", "")

    def work() -> dict[str, Any]:
        ctx = context_of(request)
        case = actions.parse_case_body(raw, content_type)
        rec = actions.create_case(ctx, info, case, remote_of(request))
        return actions.record_json(rec)

    return _json(await run_in_threadpool(work), 201)


def _view(request: Request, info: SessionInfo, uid: str, identifiers: str) -> dict[str, Any]:
    ctx = context_of(request)
    rec = actions.get_record(ctx, uid)
    if identifiers == "include" and info.user.can("curator"):
        # the working copy, for editing: curators and admins; in the audit trail
        ctx.store.audit(info.user.name, "case.read_identified", uid, remote=remote_of(request))
        return actions.record_json(rec)
    return actions.record_json(rec, actions.deidentified(ctx, info, rec.case, identifiers))


@router.get("/cases/{uid}", tags=["cases"], summary="A case with its source and provenance")
def read_case(
    request: Request,
    uid: str,
    info: Viewer,
    identifiers: IdentifiersQuery = "safe_harbor",
) -> dict[str, Any]:
    """De-identified (Safe Harbor) unless ``identifiers=include``: for curators (the working
    copy they edit) and admins; each such read is in the audit trail."""
    return _view(request, info, uid, identifiers)


class CaseUpdate(Strict):
    version: int = Field(ge=1, description="the version the change was made on")
    case: dict[str, Any] = Field(description="the whole case, in the case-file format")
    reason: str | None = Field(default=None, max_length=2000)
    status: Literal["draft", "reviewed"] | None = None


@router.put("/cases/{uid}", tags=["cases"], summary="Replace a case (optimistic locking)")
def update_case(request: Request, uid: str, body: CaseUpdate, info: Curator) -> dict[str, Any]:
    """409 when ``version`` is stale: someone saved first; nothing is changed, and the
    message names who saved and the current version."""
    ctx = context_of(request)
    case = actions.case_from_data(body.case, "case")
    rec = actions.update_case(
        ctx,
        info,
        uid,
        version=body.version,
        case=case,
        status=body.status,
        reason=body.reason,
        remote=remote_of(request),
    )
    return actions.record_json(rec)


class FieldEdit(Strict):
    version: int = Field(ge=1)
    changes: dict[str, Any] = Field(
        description="record path -> new value, e.g. {'case.patient.age_at_diagnosis': 64}; "
        "null removes an optional field",
        min_length=1,
    )
    reason: str | None = Field(default=None, max_length=2000)
    status: Literal["draft", "reviewed"] | None = None


@router.patch("/cases/{uid}/fields", tags=["cases"], summary="Curate fields of a case")
def edit_fields(request: Request, uid: str, body: FieldEdit, info: Curator) -> dict[str, Any]:
    ctx = context_of(request)
    rec = actions.edit_fields(
        ctx,
        info,
        uid,
        version=body.version,
        changes=body.changes,
        reason=body.reason,
        status=body.status,
        remote=remote_of(request),
    )
    return actions.record_json(rec)


class LinkDecision(Strict):
    other: str = Field(description="the other case's uid", min_length=1, max_length=64)
    same_patient: bool = Field(
        default=True, description="true: link (one patient); false: unlink (two patients)"
    )
    reason: str = Field(description="why (kept in both histories)", min_length=1, max_length=2000)


@router.post(
    "/cases/{uid}/links", tags=["cases"], summary="Link or unlink two cases as the same patient"
)
def link_cases(request: Request, uid: str, body: LinkDecision, info: Curator) -> dict[str, Any]:
    """A linked pair is counted once in pooled evidence; an unlinked pair is never matched
    by the same-patient rule. Both cases' histories record the decision."""
    return actions.link_cases(
        context_of(request),
        info,
        uid,
        body.other,
        same_patient=body.same_patient,
        reason=body.reason,
        remote=remote_of(request),
    )


@router.get("/cases/{uid}/history", tags=["cases"], summary="Every change: who, when, what")
def case_history(request: Request, uid: str, info: Viewer) -> dict[str, Any]:
    """Old and new values for curators and admins; a viewer gets who, when and which field."""
    entries = actions.history(context_of(request), info, uid)
    return {"uid": uid, "history": [e.model_dump(mode="json") for e in entries]}


@router.post(
    "/cases/{uid}/tests",
    tags=["cases", "import"],
    summary="Attach a result file (VCF, MAF, fusions, CNA, IHC table) as a new test",
)
def attach_test(
    request: Request,
    uid: str,
    info: Curator,
    file: Annotated[UploadFile, File(description="the result file")],
    version: Annotated[int, Form(ge=1)],
    specimen: Annotated[
        str,
        Form(
            description="a specimen id of the case, or a new one (not used for a serial ctDNA CSV)"
        ),
    ] = "",
    date: Annotated[
        str,
        Form(
            description="2024-03-05, 2024-03 or '13 months after osi'; empty for a serial ctDNA "
            "CSV, which dates each draw (one test per date)"
        ),
    ] = "",
    assay: Annotated[str | None, Form()] = None,
    sample: Annotated[str | None, Form()] = None,
    test_id: Annotated[str | None, Form()] = None,
    specimen_kind: Annotated[str | None, Form()] = None,
    specimen_site: Annotated[str | None, Form()] = None,
    file_format: Annotated[str | None, Form(alias="format")] = None,
    allow_build_mix: Annotated[
        bool,
        Form(description="attach a file on another genome build than a test of the case"),
    ] = False,
) -> JSONResponse:
    data = file.file.read()
    rec, warnings = actions.attach_upload(
        context_of(request),
        info,
        uid,
        version=version,
        filename=file.filename,
        data=data,
        specimen=specimen,
        date=date,
        assay=assay,
        sample=sample,
        test_id=test_id,
        specimen_kind=specimen_kind,
        specimen_site=specimen_site,
        file_format=file_format,
        remote=remote_of(request),
        allow_build_mix=allow_build_mix,
    )
    out = actions.record_json(rec)
    out["warnings"] = [w.as_dict() for w in warnings]
    return _json(out, 201)


@router.get("/cases/{uid}/interpretation", tags=["interpret"], summary="Interpret a stored case")
def case_interpretation(
    request: Request, uid: str, _info: Viewer, at: str | None = None
) -> Response:
    ctx = context_of(request)
    rec = actions.get_record(ctx, uid)
    result = actions.interpret_case(ctx, rec.case, at)
    return Response(result.model_dump_json(by_alias=True), media_type="application/json")


@router.get("/cases/{uid}/export", tags=["cases"], summary="Export a case file")
def export_case(
    request: Request,
    uid: str,
    info: Viewer,
    identifiers: IdentifiersQuery = "safe_harbor",
    fmt: Annotated[Literal["json", "yaml"], Query(alias="format")] = "json",
) -> Response:
    import json

    import yaml

    from tkiresist.io.casefile import case_to_data

    ctx = context_of(request)
    rec = actions.get_record(ctx, uid)
    case = actions.deidentified(ctx, info, rec.case, identifiers)
    if identifiers != "safe_harbor":
        ctx.store.audit(
            info.user.name, f"case.export_{identifiers}", uid, remote=remote_of(request)
        )
    data = case_to_data(case)
    name = f"{uid}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "yaml":
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
        return Response(text, media_type="application/yaml", headers=headers)
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False) + "\n",
        media_type="application/json",
        headers=headers,
    )


def report_inputs(
    request: Request, info: SessionInfo, uid: str, identifiers: str, at: str | None
) -> tuple[Any, Any]:
    """(the case as the report may show it, the interpretation)."""
    ctx = context_of(request)
    rec = actions.get_record(ctx, uid)
    result = actions.interpret_case(ctx, rec.case, at)
    case = actions.deidentified(ctx, info, rec.case, identifiers)
    if identifiers != "safe_harbor":
        ctx.store.audit(info.user.name, f"report.{identifiers}", uid, remote=remote_of(request))
    return case, result


@router.get("/cases/{uid}/report.html", tags=["reports"], summary="The HTML report")
def report_html(
    request: Request,
    uid: str,
    info: Viewer,
    at: str | None = None,
    identifiers: IdentifiersQuery = "safe_harbor",
) -> Response:
    from tkiresist.report.html import render_html

    case, result = report_inputs(request, info, uid, identifiers, at)
    with FIGURE_LOCK:
        html = render_html(case, result, generated=dt.date.today())
    return Response(html, media_type="text/html; charset=utf-8")


@router.get("/cases/{uid}/report.pdf", tags=["reports"], summary="The PDF report")
def report_pdf(
    request: Request,
    uid: str,
    info: Viewer,
    at: str | None = None,
    identifiers: IdentifiersQuery = "safe_harbor",
) -> Response:
    from tkiresist.report.pdf import render_pdf

    case, result = report_inputs(request, info, uid, identifiers, at)
    with FIGURE_LOCK:
        pdf = render_pdf(case, result, generated=dt.date.today())
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{uid}-report.pdf"'},
    )


@router.get("/cases/{uid}/timeline.svg", tags=["reports"], summary="The timeline figure")
def timeline(request: Request, uid: str, info: Viewer, at: str | None = None) -> Response:
    from tkiresist.report.timeline_figure import timeline_bytes

    case, result = report_inputs(request, info, uid, "safe_harbor", at)
    with FIGURE_LOCK:
        svg = timeline_bytes(case, "svg", decision_month=result.decision_point.month)
    return Response(svg, media_type="image/svg+xml")


# ----------------------------------------------------------------------------- curation assistant


class DraftIn(Strict):
    text: str = Field(description="the case report's text (abstract, case presentation, article)")
    name: str | None = Field(
        default=None, max_length=200, description="the text's file name (makes the case id)"
    )


@router.post(
    "/curate/draft", tags=["curation"], summary="Draft a case from a case report's text (#16)"
)
async def curate_draft(request: Request, body: DraftIn, _info: Curator) -> dict[str, Any]:
    """The draft (case data and YAML), each value's evidence span (field, verbatim text,
    0-based character offsets into the text with LF line breaks), what is left to check, and
    why it does not validate yet. Nothing is stored."""
    from starlette.concurrency import run_in_threadpool

    from tkiresist.web import drafting

    view = await run_in_threadpool(drafting.draft_view, body.text, body.name)
    return drafting.draft_json(view)


class DraftSave(Strict):
    case: str = Field(description="the corrected draft, as case-file YAML")
    source: str = Field(
        default="",
        max_length=300,
        description="the publication's DOI or PMID, if the case has no source",
    )
    document: str | None = Field(default=None, max_length=200, description="the text's file name")


@router.post(
    "/curate/save",
    tags=["curation"],
    status_code=201,
    summary="Save a corrected draft as a local draft case, with its source (#16)",
)
def curate_save(request: Request, body: DraftSave, info: Curator) -> JSONResponse:
    from tkiresist.web import drafting

    rec = drafting.save_draft(
        context_of(request),
        info,
        body.case,
        source=body.source,
        document=body.document,
        remote=remote_of(request),
    )
    return _json(actions.record_json(rec), 201)


# ----------------------------------------------------------------------------- registry


@router.get("/registry/datasets", tags=["registry"], summary="Datasets and filter choices")
def datasets(request: Request, _info: Viewer) -> dict[str, Any]:
    """Per dataset and in all: ``cases`` (stored live cases, drafts included) and
    ``patients`` (the same, each same-patient group once)."""
    ctx = context_of(request)
    metas = [
        {
            "name": d.name,
            "title": d.title,
            "source_id": d.source_id,
            "citation": dict(d.citation) if d.citation else None,
            "licence": d.licence,
            "cases": ctx.registry.count(d.name),
            "patients": ctx.registry.count_patients(d.name),
        }
        for d in ctx.registry.datasets()
    ]
    totals = {"cases": ctx.registry.count(), "patients": ctx.registry.count_patients()}
    return {"datasets": metas, "totals": totals, "facets": actions.facets(ctx)}


Filters = dict[str, str | None]


def _filters(
    mechanism: Annotated[str | None, Query(description="alk-fusion or egfr-t790m")] = None,
    partner: Annotated[str | None, Query(description="an ALK fusion partner, e.g. EML4")] = None,
    regimen: Annotated[
        str | None, Query(description="first post-resistance regimen, e.g. osimertinib + alectinib")
    ] = None,
    where: Annotated[
        str | None, Query(description="a filter in the evidence filter language")
    ] = None,
) -> str | None:
    return actions.where_text(mechanism=mechanism, partner=partner, regimen=regimen, where=where)


@router.get("/registry/search", tags=["registry"], summary="Registry cases matching filters")
def search(
    request: Request,
    _info: Viewer,
    where: Annotated[str | None, Depends(_filters)],
    dataset: str | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 100,
) -> dict[str, Any]:
    total, rows = actions.search(context_of(request), dataset=dataset, where=where, limit=limit)
    return {"total": total, "where": where, "cases": rows}


@router.get("/registry/summary", tags=["registry"], summary="Pooled evidence over filtered cases")
def summary(
    request: Request,
    _info: Viewer,
    where: Annotated[str | None, Depends(_filters)],
    dataset: str | None = None,
    include_drafts: Annotated[
        bool, Query(description="pool draft cases too (default: reviewed cases only)")
    ] = False,
) -> dict[str, Any]:
    result = actions.summarize(
        context_of(request), dataset=dataset, where=where, include_drafts=include_drafts
    )
    data: dict[str, Any] = result.as_json()
    data["source"] = "registry"  # not the database URL
    return data


@router.get("/registry/claims", tags=["registry"], summary="Claims audit: published vs recomputed")
def claims(
    request: Request,
    _info: Viewer,
    name: Annotated[
        str, Query(description="a packaged claims file, e.g. cheung2025")
    ] = "cheung2025",
) -> dict[str, Any]:
    from tkiresist.web.claims import run_audit

    report = run_audit(context_of(request), name)
    data: dict[str, Any] = report.as_json()
    data["claims_file"] = name  # not the server's path
    data["source"] = "registry"  # not the database URL
    return data


@router.post(
    "/registry/import",
    tags=["registry", "import"],
    status_code=201,
    summary="Import a review table (seed text, CSV, XLSX): every row or none",
)
def import_table(
    request: Request,
    info: Curator,
    file: Annotated[UploadFile, File()],
    source: Annotated[str, Form(description="the publication: a DOI or PMID")],
    table_format: Annotated[
        Literal["seed-text", "csv", "xlsx"] | None, Form(alias="format")
    ] = None,
    dataset: Annotated[str | None, Form()] = None,
    table: Annotated[str | None, Form()] = None,
) -> JSONResponse:
    report = actions.import_upload(
        context_of(request),
        info,
        filename=file.filename,
        data=file.file.read(),
        source=source,
        table_format=table_format,
        dataset=dataset,
        table=table,
        remote=remote_of(request),
    )
    return _json(actions.import_report_json(report), 201)


# ----------------------------------------------------------------------------- admin


class UserIn(Strict):
    name: str
    password: str = Field(max_length=1024)
    role: Literal["viewer", "curator", "admin"]


class UserChange(Strict):
    role: Literal["viewer", "curator", "admin"] | None = None
    active: bool | None = None
    password: str | None = Field(default=None, max_length=1024)


@router.get("/users", tags=["admin"], summary="Users")
def users(request: Request, _info: Admin) -> dict[str, Any]:
    return {"users": [u.as_dict() for u in context_of(request).store.list_users()]}


@router.post("/users", tags=["admin"], status_code=201, summary="Add a user")
def add_user(request: Request, body: UserIn, info: Admin) -> JSONResponse:
    ctx = context_of(request)
    with actions.audited(ctx, info, "user.add", body.name, remote_of(request), {"role": body.role}):
        user = ctx.store.add_user(body.name, body.password, body.role, who=info.user.name)
    return _json(user.as_dict(), 201)


@router.patch("/users/{name}", tags=["admin"], summary="Change a user's role, state or password")
def change_user(request: Request, name: str, body: UserChange, info: Admin) -> dict[str, Any]:
    ctx = context_of(request)
    detail = body.model_dump(exclude={"password"}, exclude_none=True)
    if body.password is not None:
        detail["password"] = "changed"
    with actions.audited(ctx, info, "user.change", name, remote_of(request), detail):
        user = ctx.store.change_user(
            name, role=body.role, active=body.active, password=body.password
        )
    return user.as_dict()


@router.get("/audit", tags=["admin"], summary="The audit trail, newest first")
def audit(
    request: Request,
    _info: Admin,
    user: str | None = None,
    action: str | None = None,
    target: str | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    entries = context_of(request).store.audit_entries(
        user=user, action=action, target=target, limit=limit, offset=offset
    )
    return {"entries": [e.as_dict() for e in entries]}


@router.get("/admin/locks", tags=["admin"], summary="Login throttles in force")
def login_locks(
    request: Request,
    _info: Admin,
    include_unlocked: Annotated[
        bool, Query(alias="all", description="also the streaks of failures below the limits")
    ] = False,
) -> dict[str, Any]:
    s = context_of(request).settings
    now = dt.datetime.now(dt.UTC)
    locks = context_of(request).store.login_locks(
        now - s.login_window,
        s.login_window,
        s.login_max_per_user_address,
        s.login_max_per_address,
        include_unlocked=include_unlocked,
    )
    return {
        "window_seconds": int(s.login_window.total_seconds()),
        "max_per_user_address": s.login_max_per_user_address,
        "max_per_address": s.login_max_per_address,
        "locks": [lock.as_dict() for lock in locks],
    }


@router.delete("/admin/locks", tags=["admin"], summary="Clear login throttles")
def clear_login_locks(
    request: Request,
    info: Admin,
    user: Annotated[
        str | None, Query(max_length=200, description="the user name the failures were for")
    ] = None,
    address: Annotated[
        str | None, Query(max_length=64, description="the client address (as listed)")
    ] = None,
) -> dict[str, Any]:
    """Forget the failed logins for ``user`` (from every address), from ``address`` (for every
    user name), or for ``user`` from ``address``: the throttles they made lift at once."""
    ctx = context_of(request)
    key = None if address is None else throttle_key(address.strip())
    detail = {k: v for k, v in (("user", user), ("address", key)) if v is not None}
    target = user if user is not None else key
    with actions.audited(ctx, info, "login.unlock", target, remote_of(request), detail) as extra:
        cleared = ctx.store.clear_locks(name=user, remote=key)
        extra["cleared"] = cleared
    return {"cleared": cleared, **detail}
