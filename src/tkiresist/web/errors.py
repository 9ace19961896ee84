"""Errors of the web layer, and the one JSON error shape every failure is returned in.

Every failure, whether raised by the library (:class:`~tkiresist.errors.TkiResistError`), by
this layer (:class:`WebError` and its subclasses), by FastAPI's request validation or by
Starlette's routing (404, 405), becomes::

    {"error": {"code": "...", "message": "...", "details": [{"loc": [...], "msg": "..."}]}}

with the HTTP status of :func:`status_for`. A test walks every route and checks the shape.

This module imports nothing heavy: FastAPI is imported by the handlers in :mod:`.app`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tkiresist.errors import (
    CaseValidationError,
    ConflictError,
    EvidenceError,
    FormatError,
    InterpretationError,
    KnowledgeBaseError,
    Location,
    ParseError,
    Problem,
    RegistryError,
    TkiResistError,
)


class WebError(TkiResistError):
    """A request the web layer refuses. ``status`` is the HTTP status it is answered with."""

    code = "bad_request"
    status = 400

    def __init__(
        self,
        message: str,
        location: Location | None = None,
        *,
        problems: Sequence[Problem] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, location)
        self._extra = tuple(problems)
        self.headers = dict(headers or {})

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self._extra or super().problems


class Unauthenticated(WebError):
    code = "unauthenticated"
    status = 401


class Forbidden(WebError):
    code = "forbidden"
    status = 403


class NotFound(WebError):
    code = "not_found"
    status = 404


class Exists(WebError):
    """A create that would replace something that exists (a user name, a case uid)."""

    code = "exists"
    status = 409


class StateConflict(WebError):
    """A change the current state does not allow (e.g. removing the last admin)."""

    code = "conflict"
    status = 409


class TooLarge(WebError):
    code = "too_large"
    status = 413


class Unprocessable(WebError):
    code = "invalid"
    status = 422


class RateLimited(WebError):
    code = "rate_limited"
    status = 429


# Library errors: the request was well formed, its content is not acceptable (422), except a
# stale version (409) and a broken knowledge base (500: the server's own data is wrong).
_STATUS: tuple[tuple[type[TkiResistError], int], ...] = (
    (ConflictError, 409),
    (KnowledgeBaseError, 500),
    (CaseValidationError, 422),
    (ParseError, 422),
    (FormatError, 422),
    (InterpretationError, 422),
    (EvidenceError, 422),
    (RegistryError, 400),
)


def status_for(exc: TkiResistError) -> int:
    """The HTTP status a library or web error is answered with."""
    if isinstance(exc, WebError):
        return exc.status
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 400


def error_body(
    code: str, message: str, details: Iterable[Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """The one error shape."""
    return {
        "error": {
            "code": code,
            "message": message,
            "details": [
                {"loc": list(d.get("loc", [])), "msg": str(d.get("msg", ""))} for d in details
            ],
        }
    }


def body_for(exc: TkiResistError) -> dict[str, Any]:
    """The error shape of a library or web error: its message and every located problem."""
    problems = exc.problems
    if isinstance(exc, CaseValidationError):
        n = len(problems)
        message = f"the case is not valid: {n} problem{'s' if n != 1 else ''}"
    else:
        message = exc.message
    return error_body(exc.code, message, (p.as_dict() for p in problems))


def problems_by_field(problems: Iterable[Problem]) -> dict[str, list[str]]:
    """Messages keyed by field path ('' for problems without one), for showing next to form
    fields. The line number, when known, is kept in the message."""
    out: dict[str, list[str]] = {}
    for p in problems:
        msg = p.message
        if p.location.line is not None:
            msg = f"line {p.location.line}: {msg}"
        out.setdefault(p.location.field or "", []).append(msg)
    return out
