"""Server-rendered pages (Jinja2): login, cases, the patient page, the registry browser, the
curation view, the claims audit and user administration.

Pages call the same functions as the API (:mod:`.actions`); a form that fails is shown again
with what the user typed and each problem next to its field. Every form carries the session's
CSRF token; the only script is a few lines of inline JavaScript, allowed by a per-response
CSP nonce.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from tkiresist.errors import (
    CaseValidationError,
    ConflictError,
    FormatError,
    Location,
    Problem,
    TkiResistError,
)
from tkiresist.report import FIGURE_LOCK
from tkiresist.web import actions, drafting
from tkiresist.web.auth import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    clear_session_cookie,
    login,
    login_csrf_token,
    logout,
    remote_of,
    requires,
    session_of,
    set_login_csrf_cookie,
    set_session_cookie,
    wants_html,
)
from tkiresist.web.context import context_of
from tkiresist.web.errors import (
    Forbidden,
    Unprocessable,
    WebError,
    problems_by_field,
    status_for,
)
from tkiresist.web.store import ROLES, SessionInfo

if TYPE_CHECKING:
    import jinja2

    from tkiresist.model.case import Case

router = APIRouter(include_in_schema=False)

ViewerPage = Depends(requires("viewer", page=True))
CuratorPage = Depends(requires("curator", page=True))
AdminPage = Depends(requires("admin", page=True))

CORE_PATIENT = ("age_at_diagnosis", "sex", "smoking", "ecog")


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tkiresist.web", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.do"],
    )
    env.filters["months"] = lambda m: "" if m is None else f"{m:.1f}".rstrip("0").rstrip(".")
    env.filters["pct"] = lambda x: "" if x is None else f"{100 * x:.1f}%"
    env.filters["when"] = lambda t: t.strftime("%Y-%m-%d %H:%M UTC") if t else ""
    env.filters["yaml"] = _yaml_value
    env.filters["brief"] = _brief
    env.globals["roles"] = ROLES
    return env


def _yaml_value(value: Any) -> str:
    import yaml

    if value is None:
        return ""
    if isinstance(value, str) and "\n" not in value and value.strip() == value:
        text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
        return text.removesuffix("\n...").removesuffix("...").strip()
    flow = isinstance(value, int | float | bool | str)
    text = yaml.safe_dump(value, default_flow_style=flow, sort_keys=False, width=100)
    return text.removesuffix("...\n").strip()


def _brief(value: Any, limit: int = 140) -> str:
    """A value in one short line of JSON (history and audit tables)."""
    import json

    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render(
    request: Request,
    template: str,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **values: Any,
) -> HTMLResponse:
    info: SessionInfo | None = getattr(request.state, "session", None)
    html = (
        _env()
        .get_template(template)
        .render(
            request=request,
            me=info.user if info else None,
            csrf=info.csrf_token if info else "",
            csrf_field=CSRF_FIELD,
            nonce=getattr(request.state, "csp_nonce", ""),
            path=request.url.path,
            **values,
        )
    )
    return HTMLResponse(html, status_code=status, headers=dict(headers or {}))


def render_error(
    request: Request, status: int, body: dict[str, Any], headers: Any = None
) -> HTMLResponse:
    if not hasattr(request.state, "session"):
        try:
            session_of(request)
        except TkiResistError:  # the database is what failed: show the page without a user
            request.state.session = None
    return render(request, "error.html", status, headers, http_status=status, error=body["error"])


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: v for k, v in form.items()}


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


# ----------------------------------------------------------------------------- login


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    if session_of(request) is not None:
        return _redirect(_safe_next(next))
    token = login_csrf_token(request)
    response = render(request, "login.html", login_token=token, next=_safe_next(next), error=None)
    set_login_csrf_cookie(request, response, token)
    return response


@router.post("/login")
async def login_submit(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    form = await _form(request)
    name = _text(form, "name")
    target = _safe_next(_text(form, "next"))
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    sent = _text(form, CSRF_FIELD)
    import hmac

    if not cookie or not sent or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise Forbidden(
            "the login form expired or came from another site: reload the page",
            Location(field=CSRF_FIELD),
        )
    password = form.get("password")
    try:
        _user, token, _csrf = await run_in_threadpool(
            login, request, name, password if isinstance(password, str) else ""
        )
    except WebError as exc:
        if not wants_html(request):
            raise
        request.state.session = None
        failed = render(
            request,
            "login.html",
            exc.status,
            exc.headers,
            login_token=cookie,
            next=target,
            error=exc.message,
            name=name,
        )
        return failed
    response = _redirect(target)
    set_session_cookie(request, response, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout_submit(request: Request, info: SessionInfo = ViewerPage) -> Response:
    logout(request, info)
    response = _redirect("/login")
    clear_session_cookie(request, response)
    return response


# ----------------------------------------------------------------------------- cases


@router.get("/")
def home(request: Request, info: SessionInfo = ViewerPage) -> HTMLResponse:
    reg = context_of(request).registry
    cases = reg.list_cases("local", limit=500)
    return render(
        request, "home.html", cases=cases, n_registry=reg.count(), n_patients=reg.count_patients()
    )


def _blank_form() -> dict[str, str]:
    return {
        "id": "",
        "pseudonym": "",
        "age_at_diagnosis": "",
        "sex": "unknown",
        "smoking": "unknown",
        "ecog": "",
        "extra": "",
        "events": "",
    }


def _form_of_case(case: Case) -> dict[str, str]:
    import yaml

    from tkiresist.io.casefile import case_to_data

    data = case_to_data(case)
    patient = dict(data.pop("patient", {}))
    out = _blank_form()
    out["id"] = str(data.pop("id"))
    out["pseudonym"] = str(data.pop("pseudonym"))
    data.pop("schema_version", None)
    for name in CORE_PATIENT:
        value = patient.pop(name, None)
        out[name] = "" if value is None else str(value)
    if patient:
        data["patient"] = patient
    out["events"] = yaml.safe_dump(
        data.pop("events"), sort_keys=False, allow_unicode=True, width=100
    )
    out["extra"] = (
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100) if data else ""
    )
    return out


def _field_of(path: str) -> str:
    """The form field a case problem belongs to."""
    if not path:
        return ""
    head = path.split(".")[0].split("[")[0]
    if head in ("id", "pseudonym"):
        return head
    if head == "patient":
        parts = path.split(".")
        return parts[1] if len(parts) > 1 and parts[1] in CORE_PATIENT else "extra"
    if head == "events":
        return "events"
    return "extra"


def _yaml_value_of(text: str, field: str) -> Any:
    """A form field's YAML, read within the limits of user YAML; a problem is located on the
    field and on its line."""
    from tkiresist.io.guarded import load_yaml

    try:
        return load_yaml(text)
    except FormatError as exc:
        raise FormatError(exc.message, Location(None, exc.location.line, None, field)) from None


def case_from_form(form: Mapping[str, str]) -> Case:
    """Build the case text from the form's fields and parse it with the case-file reader;
    every problem is located on a form field (and on a line of the events or extra text)."""
    import yaml

    from tkiresist.io.casefile import parse_case_text

    problems: list[Problem] = []
    try:
        text = form.get("extra", "")
        extra = _yaml_value_of(text, "extra") if text.strip() else {}
        if not isinstance(extra, dict):
            problems.append(
                Problem(
                    "expected a mapping of case fields (e.g. source:, notes:)",
                    Location(field="extra"),
                )
            )
            extra = {}
    except FormatError as exc:
        problems.append(exc.problems[0])
        extra = {}
    head: dict[str, Any] = {
        "schema_version": "1.0",
        "id": form["id"],
        "pseudonym": form["pseudonym"],
    }
    patient: dict[str, Any] = {}
    for name in CORE_PATIENT:
        raw = form.get(name, "").strip()
        if raw and raw != "unknown":
            patient[name] = int(raw) if raw.isdigit() else raw
    more = extra.pop("patient", None)
    if isinstance(more, dict):
        patient.update({k: v for k, v in more.items() if k not in patient})
    elif more is not None:
        problems.append(Problem("patient: expected a mapping", Location(field="extra")))
    if patient:
        head["patient"] = patient
    for key in ("schema_version", "id", "pseudonym", "events"):
        if key in extra:
            problems.append(
                Problem(f"{key!r} has its own field; remove it here", Location(field="extra"))
            )
            extra.pop(key)
    head.update(extra)
    if problems:
        raise CaseValidationError(problems)
    top = yaml.safe_dump(head, sort_keys=False, allow_unicode=True, width=100)
    offset = top.count("\n") + 1  # the "events:" line
    text = top + "events:\n" + form.get("events", "")
    try:
        return parse_case_text(text, "form")
    except CaseValidationError as exc:
        located = []
        for p in exc.problems:
            field = _field_of(p.location.field or "")
            line = p.location.line
            if p.message.startswith("malformed YAML") or field == "events":
                line = line - offset if line is not None and line > offset else None
                field = field or "events"
            else:
                line = None
            detail = p.location.field or ""
            msg = f"{detail}: {p.message}" if detail and field in ("events", "extra") else p.message
            located.append(Problem(msg, Location(None, line, None, field)))
        seen = {p.location.field for p in located}
        located += [p for p in _head_problems(head) if p.location.field not in seen]
        raise CaseValidationError(located) from None


_PROBE_EVENT = {"id": "dx", "type": "diagnosis", "histology": "adenocarcinoma"}


def _head_problems(head: dict[str, Any]) -> list[Problem]:
    """Problems of the fields outside the events, by the model's own rules: the case-file
    reader stops at its first failing stage, a form shows every field's problem at once."""
    from pydantic import ValidationError

    from tkiresist.model.case import DEFER_CONSISTENCY, Case

    try:
        Case.model_validate({**head, "events": [_PROBE_EVENT]}, context={DEFER_CONSISTENCY: True})
    except ValidationError as exc:
        out = []
        for err in exc.errors():
            path = ".".join(str(x) for x in err["loc"])
            msg = str(err["msg"]).removeprefix("Value error, ")
            if err.get("type", "").endswith(("_type", "_parsing")):
                msg += f" (got {err.get('input')!r})"
            out.append(Problem(msg, Location(field=_field_of(path))))
        return out
    return []


@router.get("/cases/new")
def new_case(request: Request, info: SessionInfo = CuratorPage) -> HTMLResponse:
    return render(
        request,
        "case_form.html",
        form=_blank_form(),
        errors={},
        mode="new",
        version=None,
        message=None,
    )


@router.post("/cases/new")
async def new_case_submit(request: Request, info: SessionInfo = CuratorPage) -> Response:
    from starlette.concurrency import run_in_threadpool

    raw_form = await request.form()
    upload = raw_form.get("file")
    ctx = context_of(request)
    form = {k: v for k, v in raw_form.items() if isinstance(v, str)}
    values = {**_blank_form(), **form}

    def work() -> str:
        if isinstance(upload, UploadFile) and upload.filename:
            data = upload.file.read()
            name = actions.upload_name(upload.filename)
            from tkiresist.io.casefile import parse_case_text

            case = parse_case_text(actions.decode_text(data, name), name)
        else:
            case = case_from_form(values)
        rec = actions.create_case(ctx, info, case, remote_of(request))
        return rec.uid

    try:
        uid = await run_in_threadpool(work)
    except TkiResistError as exc:
        if not wants_html(request):
            raise
        errors = problems_by_field(exc.problems)
        message = exc.message
        if isinstance(upload, UploadFile) and upload.filename:
            errors = {"file": [str(p) for p in exc.problems]}
        elif isinstance(exc, CaseValidationError):
            n = len(exc.problems)
            message = f"The case is not valid: {n} problem{'s' * (n != 1)}, shown by the fields."
        return render(
            request,
            "case_form.html",
            status_for(exc),
            form=values,
            errors=errors,
            mode="new",
            version=None,
            message=message,
        )
    return _redirect(f"/cases/{uid}")


@lru_cache(maxsize=256)
def _timeline_svg(uid: str, version: int, decision_month: float, case_json: str) -> str:
    import json

    from tkiresist.io.casefile import parse_case_data
    from tkiresist.report.timeline_figure import timeline_svg

    case = parse_case_data(json.loads(case_json), uid)
    with FIGURE_LOCK:
        return timeline_svg(case, decision_month=decision_month, title="")


def _patient_values(request: Request, info: SessionInfo, uid: str) -> dict[str, Any]:
    import json

    from markupsafe import Markup

    from tkiresist.io.casefile import case_to_data
    from tkiresist.model.timeline import Specimen
    from tkiresist.report.html import bottom_line

    ctx = context_of(request)
    rec = actions.get_record(ctx, uid)
    view = actions.deidentified(ctx, info, rec.case, "safe_harbor")
    result = None
    problem = None
    svg = None
    try:
        result = actions.interpret_case(ctx, rec.case)
    except TkiResistError as exc:
        problem = exc.message
    month = result.decision_point.month if result is not None else None
    try:
        svg = Markup(
            _timeline_svg(
                uid,
                rec.version,
                month if month is not None else -1.0,
                json.dumps(case_to_data(view)),
            )
        )
    except TkiResistError as exc:
        problem = (problem + "; " if problem else "") + f"timeline: {exc.message}"
    specimens = [e for e in rec.case.events if isinstance(e, Specimen)]
    return {
        "rec": rec,
        "case": view,
        "r": result,
        "bl": bottom_line(result) if result is not None else None,
        "problem": problem,
        "svg": svg,
        "specimens": specimens,
        "history": list(reversed(actions.history(ctx, info, uid)))[:30],
        "can_edit": info.user.can("curator"),
    }


@router.get("/cases/{uid}")
def patient_page(request: Request, uid: str, info: SessionInfo = ViewerPage) -> HTMLResponse:
    values = _patient_values(request, info, uid)
    return render(request, "patient.html", attach={}, attach_errors={}, message=None, **values)


@router.post("/cases/{uid}/tests")
async def attach_submit(request: Request, uid: str, info: SessionInfo = CuratorPage) -> Response:
    from starlette.concurrency import run_in_threadpool

    raw_form = await request.form()
    upload = raw_form.get("file")
    form = {k: v for k, v in raw_form.items() if isinstance(v, str)}
    ctx = context_of(request)

    def work() -> None:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise WebError("choose a result file to attach", Location(field="file"))
        version = int(form.get("version", "0") or 0)
        actions.attach_upload(
            ctx,
            info,
            uid,
            version=version,
            filename=upload.filename,
            data=upload.file.read(),
            specimen=form.get("specimen_new", "").strip() or form.get("specimen", ""),
            date=form.get("date", ""),
            assay=form.get("assay"),
            sample=form.get("sample"),
            specimen_kind=form.get("specimen_kind"),
            specimen_site=form.get("specimen_site"),
            remote=remote_of(request),
            allow_build_mix=bool(form.get("allow_build_mix")),
        )

    try:
        await run_in_threadpool(work)
    except TkiResistError as exc:
        if not wants_html(request):
            raise
        errors: dict[str, list[str]] = {}
        for p in exc.problems:
            key = (
                p.location.field
                if p.location.field
                in ("specimen", "specimen_kind", "specimen_site", "date", "assay", "sample", "file")
                else "file"
            )
            errors.setdefault(key or "file", []).append(str(p))
        values = await run_in_threadpool(_patient_values, request, info, uid)
        return render(
            request,
            "patient.html",
            status_for(exc),
            attach=form,
            attach_errors=errors,
            message=exc.message,
            **values,
        )
    return _redirect(f"/cases/{uid}#bottom-line")


@router.get("/cases/{uid}/edit")
def edit_case(request: Request, uid: str, info: SessionInfo = CuratorPage) -> HTMLResponse:
    ctx = context_of(request)
    rec = actions.get_record(ctx, uid)
    ctx.store.audit(info.user.name, "case.read_identified", uid, remote=remote_of(request))
    return render(
        request,
        "case_form.html",
        form=_form_of_case(rec.case),
        errors={},
        mode="edit",
        uid=uid,
        version=rec.version,
        message=None,
    )


@router.post("/cases/{uid}/edit")
async def edit_case_submit(request: Request, uid: str, info: SessionInfo = CuratorPage) -> Response:
    from starlette.concurrency import run_in_threadpool

    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    values = {**_blank_form(), **form, "id": uid}
    ctx = context_of(request)
    version = int(form.get("version", "0") or 0)

    def work() -> None:
        case = case_from_form(values)
        actions.update_case(
            ctx,
            info,
            uid,
            version=version,
            case=case,
            reason=form.get("reason"),
            remote=remote_of(request),
        )

    try:
        await run_in_threadpool(work)
    except ConflictError as exc:
        if not wants_html(request):
            raise
        current = actions.get_record(ctx, uid)
        return render(
            request,
            "case_form.html",
            409,
            form=values,
            errors={},
            mode="edit",
            uid=uid,
            version=version,
            message=exc.message,
            conflict=current,
            theirs=_form_of_case(current.case),
        )
    except TkiResistError as exc:
        if not wants_html(request):
            raise
        return render(
            request,
            "case_form.html",
            status_for(exc),
            form=values,
            errors=problems_by_field(exc.problems),
            mode="edit",
            uid=uid,
            version=version,
            message=exc.message,
        )
    return _redirect(f"/cases/{uid}")


# ----------------------------------------------------------------------------- curation assistant


def _draft_page(
    request: Request,
    status: int = 200,
    *,
    view: dict[str, Any] | None = None,
    form: Mapping[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
) -> HTMLResponse:
    """The curation assistant's page: the text form, or the text with its highlighted spans
    beside the draft (``view``); ``form`` keeps what the curator typed."""
    form = dict(form or {})
    if view is not None:
        form.setdefault("case", view["yaml"])
        form.setdefault("source", view["source"])
        form.setdefault("name", view["document"])
        form["text"] = view["text"]
    return render(
        request,
        "curate.html",
        status,
        view=view,
        form=form,
        errors=errors or {},
        message=message,
        max_chars=drafting.MAX_TEXT_CHARS,
    )


@router.get("/curate/draft")
def draft_page(request: Request, info: SessionInfo = CuratorPage) -> HTMLResponse:
    return _draft_page(request)


@router.post("/curate/draft")
async def draft_submit(request: Request, info: SessionInfo = CuratorPage) -> Response:
    """``op=draft``: draft from the pasted text; ``op=save``: validate the corrected YAML and
    store it as a local draft record (curator and source recorded), then go to its page."""
    from starlette.concurrency import run_in_threadpool

    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    ctx = context_of(request)
    text, name = form.get("text", ""), form.get("name", "")
    if form.get("op") != "save":
        try:
            view = await run_in_threadpool(drafting.draft_view, text, name)
        except TkiResistError as exc:
            if not wants_html(request):
                raise
            return _draft_page(
                request,
                status_for(exc),
                form=form,
                errors=problems_by_field(exc.problems),
                message=exc.message,
            )
        return _draft_page(request, view=view)

    def work() -> str:
        rec = drafting.save_draft(
            ctx,
            info,
            form.get("case", ""),
            source=form.get("source", ""),
            document=name,
            remote=remote_of(request),
        )
        return rec.uid

    try:
        uid = await run_in_threadpool(work)
    except TkiResistError as exc:
        if not wants_html(request):
            raise
        errors: dict[str, list[str]] = {}
        for p in exc.problems:
            key = "source" if p.location.field == "source" else "case"
            where = f"line {p.location.line}: " if p.location.line is not None else ""
            field = p.location.field or ""
            label = f"{field}: " if field and key == "case" and field != "case" else ""
            errors.setdefault(key, []).append(f"{where}{label}{p.message}")
        shown: dict[str, Any] | None = None
        if text.strip():
            try:
                shown = await run_in_threadpool(drafting.draft_view, text, name)
            except TkiResistError:
                shown = None
        return _draft_page(
            request, status_for(exc), view=shown, form=form, errors=errors, message=exc.message
        )
    return _redirect(f"/registry/{uid}#history")


# ----------------------------------------------------------------------------- registry


@router.get("/registry")
def registry_page(request: Request, info: SessionInfo = ViewerPage) -> HTMLResponse:
    ctx = context_of(request)
    q = request.query_params
    chosen = {
        k: q.get(k, "").strip() for k in ("dataset", "mechanism", "partner", "regimen", "where")
    }
    summary = None
    rows: list[dict[str, Any]] = []
    total = 0
    error = None
    try:
        where = actions.where_text(
            mechanism=chosen["mechanism"] or None,
            partner=chosen["partner"] or None,
            regimen=chosen["regimen"] or None,
            where=chosen["where"] or None,
        )
        total, rows = actions.search(ctx, dataset=chosen["dataset"] or None, where=where, limit=500)
        if total:
            summary = actions.summarize(ctx, dataset=chosen["dataset"] or None, where=where)
    except TkiResistError as exc:
        if not wants_html(request):
            raise
        error = exc
    return render(
        request,
        "registry.html",
        status_for(error) if error else 200,
        chosen=chosen,
        facets=actions.facets(ctx),
        mechanisms=actions.MECHANISMS,
        rows=rows,
        total=total,
        summary=summary,
        error=error,
        query=urlencode({k: v for k, v in chosen.items() if v}),
    )


@router.post("/registry/import")
async def import_submit(request: Request, info: SessionInfo = CuratorPage) -> Response:
    from starlette.concurrency import run_in_threadpool

    raw_form = await request.form()
    upload = raw_form.get("file")
    form = {k: v for k, v in raw_form.items() if isinstance(v, str)}
    ctx = context_of(request)

    def work() -> Any:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise WebError("choose a table file to import", Location(field="file"))
        return actions.import_upload(
            ctx,
            info,
            filename=upload.filename,
            data=upload.file.read(),
            source=form.get("source", ""),
            table_format=form.get("format") or None,
            remote=remote_of(request),
        )

    try:
        report = await run_in_threadpool(work)
    except TkiResistError as exc:
        if not wants_html(request):
            raise
        body = {
            "error": {
                "code": exc.code,
                "message": exc.message,
                "details": [p.as_dict() for p in exc.problems],
            }
        }
        return render_error(request, status_for(exc), body)
    return render(request, "imported.html", report=actions.import_report_json(report))


def _curation_rows(rec: Any, doc: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    flags = {f.field: f for f in rec.flags}
    for prov in rec.provenance:
        if prov.field.startswith("_"):
            continue
        values = []
        for path in prov.paths:
            if path.startswith("source."):
                continue
            try:
                value = actions.get_path(doc, path)
            except TkiResistError:  # the source filled no such item (e.g. "no regimen")
                values.append({"path": path, "text": "", "multiline": False, "missing": True})
                continue
            values.append(
                {
                    "path": path,
                    "text": _yaml_value(value),
                    "multiline": isinstance(value, dict | list),
                    "missing": False,
                }
            )
        rows.append(
            {
                "field": prov.field,
                "verbatim": prov.verbatim,
                "parsed": prov.parsed,
                "message": prov.message,
                "line": prov.line,
                "values": values,
                "flag": flags.get(prov.field),
            }
        )
    if not rows:  # a local case: its main fields
        for path in ("case.pseudonym", *(f"case.patient.{n}" for n in CORE_PATIENT)):
            value = actions.get_path(doc, path)
            rows.append(
                {
                    "field": path.split(".")[-1],
                    "verbatim": None,
                    "parsed": True,
                    "message": None,
                    "line": None,
                    "flag": None,
                    "values": [
                        {
                            "path": path,
                            "text": _yaml_value(value),
                            "multiline": False,
                            "missing": False,
                        }
                    ],
                }
            )
    return rows


def _curation_values(request: Request, info: SessionInfo, uid: str) -> dict[str, Any]:
    from tkiresist.io.casefile import case_to_data

    ctx = context_of(request)
    rec = actions.get_record(ctx, uid)
    # curators edit the working record; a viewer sees it without Safe Harbor identifiers
    case = (
        rec.case
        if info.user.can("curator")
        else actions.deidentified(ctx, info, rec.case, "safe_harbor")
    )
    doc = {
        "case": case_to_data(case),
        "reported": rec.reported.model_dump(mode="json", exclude_none=True),
    }
    return {
        "rec": rec,
        "rows": _curation_rows(rec, doc),
        "history": list(reversed(actions.history(ctx, info, uid))),
        "facts": ctx.registry.facts(uid),
        "safe_age": actions.safe_age,
        "same_patient": ctx.registry.same_patient(uid),
        "links": ctx.registry.links(uid),
    }


def _curation_html(
    request: Request,
    info: SessionInfo,
    uid: str,
    status: int = 200,
    *,
    errors: dict[str, list[str]] | None = None,
    submitted: dict[str, str] | None = None,
    message: str | None = None,
    version: int | None = None,
    **extra: Any,
) -> HTMLResponse:
    """The registry case page: the record's values, and what a refused form sends back (its
    field errors, the values submitted, a message; the version the form was at)."""
    values = _curation_values(request, info, uid)
    return render(
        request,
        "curation.html",
        status,
        errors=errors or {},
        submitted=submitted or {},
        message=message,
        version=values["rec"].version if version is None else version,
        **extra,
        **values,
    )


@router.get("/registry/{uid}")
def curation_page(request: Request, uid: str, info: SessionInfo = ViewerPage) -> HTMLResponse:
    return _curation_html(request, info, uid)


@router.post("/registry/{uid}/links")
async def links_submit(request: Request, uid: str, info: SessionInfo = CuratorPage) -> Response:
    """Link (``op=link``) or unlink (``op=unlink``) this case and another as the same patient,
    as ``POST /api/cases/{uid}/links``; the page shows the group and the decisions."""
    from starlette.concurrency import run_in_threadpool

    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    ctx = context_of(request)
    other, reason, op = _text(form, "other"), _text(form, "reason"), form.get("op", "link")

    def work() -> None:
        problems = []
        if op not in ("link", "unlink"):
            problems.append(Problem("op is link or unlink", Location(field="op")))
        if not other:
            problems.append(Problem("give the other case's uid", Location(field="other")))
        if not reason:
            problems.append(Problem("say why (kept in both histories)", Location(field="reason")))
        if problems:
            raise Unprocessable("the link is not complete", problems=problems)
        actions.link_cases(
            ctx, info, uid, other, same_patient=op == "link", reason=reason,
            remote=remote_of(request),
        )  # fmt: skip

    try:
        await run_in_threadpool(work)
    except TkiResistError as exc:
        if not wants_html(request):
            raise
        return await run_in_threadpool(
            partial(
                _curation_html,
                request,
                info,
                uid,
                status_for(exc),
                link_form=form,
                link_errors=problems_by_field(exc.problems),
                link_message=exc.message,
            )
        )
    return _redirect(f"/registry/{uid}#same-patient")


@router.post("/registry/{uid}")
async def curation_submit(request: Request, uid: str, info: SessionInfo = CuratorPage) -> Response:
    from starlette.concurrency import run_in_threadpool

    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    ctx = context_of(request)
    version = int(form.get("version", "0") or 0)
    submitted = {k[2:]: v for k, v in form.items() if k.startswith("v:")}
    changes: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for path, text in submitted.items():
        if (
            text.replace("\r\n", "\n").strip()
            == form.get("o:" + path, "").replace("\r\n", "\n").strip()
        ):
            continue
        try:
            changes[path] = _yaml_value_of(text, path) if text.strip() else None
        except FormatError as exc:
            errors.setdefault(path, []).append(str(exc))
    status = form.get("status") or None
    message = None
    code = 200
    if not errors and (changes or (status and status != form.get("o:status"))):

        def work() -> None:
            if changes:
                actions.edit_fields(
                    ctx,
                    info,
                    uid,
                    version=version,
                    changes=changes,
                    reason=form.get("reason"),
                    status=status,
                    remote=remote_of(request),
                )
            else:
                actions.update_case(
                    ctx,
                    info,
                    uid,
                    version=version,
                    status=status,
                    reason=form.get("reason"),
                    remote=remote_of(request),
                    action="case.status",
                )

        try:
            await run_in_threadpool(work)
        except ConflictError as exc:
            if not wants_html(request):
                raise
            return await run_in_threadpool(
                partial(
                    _curation_html,
                    request,
                    info,
                    uid,
                    409,
                    submitted=submitted,
                    message=exc.message + ". Your values are kept in the form: check "
                    "them against the history, then save again.",
                )
            )
        except TkiResistError as exc:
            if not wants_html(request):
                raise
            from tkiresist.io.casefile import case_to_data

            rec = actions.get_record(ctx, uid)
            doc = {"case": case_to_data(rec.case)}
            for p in exc.problems:
                key = actions.field_of_problem(p, list(submitted), doc)
                errors.setdefault(key, []).append(p.message)
            message, code = exc.message, status_for(exc)
        else:
            return _redirect(f"/registry/{uid}#history")
    elif errors:
        if not wants_html(request):
            problems = [Problem(m, Location(field=k)) for k, ms in errors.items() for m in ms]
            raise Unprocessable("some values are not valid YAML", problems=problems)
        message, code = "some values are not valid YAML", 422
    return await run_in_threadpool(
        partial(
            _curation_html,
            request,
            info,
            uid,
            code,
            errors=errors,
            submitted=submitted,
            message=message,
            version=version,
        )
    )


#: Claim kinds (:attr:`tkiresist.evidence.claims.Claim.kind`) as the claims page names them.
CLAIM_KINDS: dict[str, str] = {
    "statistic": "pooled statistic",
    "case": "one case's value",
    "external": "about another source",
    "unchecked": "not in the registry",
}
CLAIM_VERDICTS: dict[str, str] = {
    "mismatch": "the registry disagrees",
    "match": "the registry agrees",
    "not_checked": "the registry cannot check it",
}


def _claim_sections(where: str) -> list[str]:
    """The parts of the paper a claim's ``where`` names: ``Abstract, paragraph 2; Case
    Presentation, paragraph 1`` → ``["Abstract", "Case Presentation"]``."""
    out: list[str] = []
    for part in where.split(";"):
        name = part.split(",")[0].strip()
        if name and name not in out:
            out.append(name)
    return out


@router.get("/claims")
def claims_page(
    request: Request,
    name: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    section: str | None = None,
    info: SessionInfo = ViewerPage,
) -> HTMLResponse:
    """The claims audit: a summary of the verdicts by kind of claim (each count a link), then
    the claims, filtered by query parameters (``status``, ``kind``, ``section``), no script."""
    from tkiresist.web.claims import claims_view

    view = claims_view(context_of(request), name or None, status or None)
    if kind and kind not in CLAIM_KINDS:
        raise Unprocessable(
            f"unknown kind {kind!r}: expected one of {', '.join(CLAIM_KINDS)}",
            Location(field="kind"),
        )
    report = view["report"]
    every = list(report.results) if report is not None else []
    sections: list[str] = []
    for result in every:
        for part in _claim_sections(result.claim.where):
            if part not in sections:
                sections.append(part)
    if section and section not in sections:
        raise Unprocessable(
            f"no claim is in section {section!r}: sections are {', '.join(sections) or 'none'}",
            Location(field="section"),
        )
    results = [
        r
        for r in view["results"]
        if (not kind or r.claim.kind == kind)
        and (not section or section in _claim_sections(r.claim.where))
    ]
    table = {v: {k: 0 for k in CLAIM_KINDS} for v in CLAIM_VERDICTS}
    for result in every:
        table[result.status][result.claim.kind] += 1
    chosen = {"name": view["chosen"] or "", "status": status or "", "kind": kind or "",
              "section": section or ""}  # fmt: skip

    def claims_url(**change: str) -> str:
        query = {k: v for k, v in {**chosen, **change}.items() if v}
        return "/claims" + ("?" + urlencode(query) if query else "")

    return render(
        request,
        "claims.html",
        **{**view, "results": results},
        total=len(every),
        summary=table,
        kind_totals={k: sum(table[v][k] for v in CLAIM_VERDICTS) for k in CLAIM_KINDS},
        kinds=CLAIM_KINDS,
        verdicts=CLAIM_VERDICTS,
        sections=sections,
        kind_filter=kind or "",
        section_filter=section or "",
        filtered=bool(status or kind or section),
        claims_url=claims_url,
    )


# ----------------------------------------------------------------------------- admin


@router.get("/admin/users")
def users_page(request: Request, info: SessionInfo = AdminPage) -> HTMLResponse:
    users = context_of(request).store.list_users()
    return render(request, "users.html", users=users, errors={}, message=None, form={})


@router.post("/admin/users")
async def users_submit(request: Request, info: SessionInfo = AdminPage) -> Response:
    from starlette.concurrency import run_in_threadpool

    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    ctx = context_of(request)
    op = form.get("op", "add")

    def work() -> None:
        name = form.get("name", "").strip()
        if op == "add":
            with actions.audited(
                ctx, info, "user.add", name, remote_of(request), {"role": form.get("role")}
            ):
                ctx.store.add_user(
                    name, form.get("password", ""), form.get("role", ""), who=info.user.name
                )
        else:
            active = {"activate": True, "deactivate": False}.get(op)
            role = form.get("role") if op == "role" else None
            with actions.audited(
                ctx, info, "user.change", name, remote_of(request), {"op": op, "role": role}
            ):
                ctx.store.change_user(name, role=role, active=active)

    try:
        await run_in_threadpool(work)
    except TkiResistError as exc:
        if not wants_html(request):
            raise
        users = ctx.store.list_users()
        return render(
            request,
            "users.html",
            status_for(exc),
            users=users,
            errors=problems_by_field(exc.problems),
            message=exc.message,
            form=form if op == "add" else {},
        )
    return _redirect("/admin/users")


@router.get("/admin/audit")
def audit_page(request: Request, info: SessionInfo = AdminPage) -> HTMLResponse:
    q = request.query_params
    entries = context_of(request).store.audit_entries(
        user=q.get("user") or None,
        action=q.get("action") or None,
        target=q.get("target") or None,
        limit=500,
    )
    return render(request, "audit.html", entries=entries, chosen=dict(q))


def today() -> str:
    return dt.date.today().isoformat()
