"""FHIR R4 exchange: HL7 Genomics Reporting (STU3) and mCODE (STU4) Bundles.

* :func:`case_to_bundle`: a case, and optionally its interpretation, as a ``collection``
  Bundle; exact dates other than years are left out unless asked for (HIPAA Safe Harbor).
* :func:`bundle_to_case` / :func:`read_bundle`: a Bundle back into a case.
* :func:`validate_bundle`: the ``fhir.resources`` R4B models, then the profiles' rules.

The mapping and what the round trip loses are documented in ``docs/fhir.md``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tkiresist.io.fhir.export import case_to_bundle
    from tkiresist.io.fhir.imports import ImportResult, bundle_to_case, read_bundle
    from tkiresist.io.fhir.validate import validate_bundle

__all__ = ["ImportResult", "bundle_to_case", "case_to_bundle", "read_bundle", "validate_bundle"]

# Imported on first use, so that the CLI (which imports tkiresist.io.fhir.cli) starts fast.
_WHERE = {
    "case_to_bundle": "tkiresist.io.fhir.export",
    "ImportResult": "tkiresist.io.fhir.imports",
    "bundle_to_case": "tkiresist.io.fhir.imports",
    "read_bundle": "tkiresist.io.fhir.imports",
    "validate_bundle": "tkiresist.io.fhir.validate",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
