"""The claims audit in the web application: published numbers beside the recomputed ones.

The audit is :mod:`tkiresist.evidence.claims`; the claims files are those shipped in
``tkiresist/data/claims``. An audit is recomputed from the registry as it is now (so a
curator's correction shows at once), and kept in the derived-results cache between writes.
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING, Any

from tkiresist.errors import Location
from tkiresist.web.errors import NotFound, Unprocessable

if TYPE_CHECKING:
    from tkiresist.evidence.claims import AuditReport
    from tkiresist.web.context import Context

STATUSES = ("match", "mismatch", "not_checked")


def claim_files() -> list[str]:
    """Names of the packaged claims files (``cheung2025`` for ``cheung2025.yaml``)."""
    folder = resources.files("tkiresist.data").joinpath("claims")
    return sorted(
        entry.name.removesuffix(".yaml")
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    )


def run_audit(ctx: Context, name: str) -> AuditReport:
    from tkiresist.evidence.claims import audit_file, packaged_claims

    if name not in claim_files():
        raise NotFound(
            f"no claims file {name!r}: known are {', '.join(claim_files()) or 'none'}",
            Location(field="claims"),
        )
    return ctx.derived.get(
        f"claims:{name}", lambda: audit_file(packaged_claims(name), ctx.registry.engine)
    )


def claims_view(ctx: Context, name: str | None = None, status: str | None = None) -> dict[str, Any]:
    """What the claims page shows: the files, the chosen audit and its results by status."""
    from tkiresist.evidence.claims import load_claims, packaged_claims

    files = claim_files()
    chosen = name or (files[0] if files else None)
    if status and status not in STATUSES:
        raise Unprocessable(
            f"unknown status {status!r}: expected one of {', '.join(STATUSES)}",
            Location(field="status"),
        )
    if chosen is None:
        return {"files": files, "chosen": None, "report": None, "paper": {}, "results": [],
                "status_filter": status}  # fmt: skip
    report = run_audit(ctx, chosen)
    paper = load_claims(packaged_claims(chosen)).paper
    results = [r for r in report.results if status is None or r.status == status]
    order = {"mismatch": 0, "match": 1, "not_checked": 2}
    results.sort(key=lambda r: order[r.status])
    return {
        "files": files,
        "chosen": chosen,
        "report": report,
        "paper": paper,
        "results": results,
        "status_filter": status,
    }
