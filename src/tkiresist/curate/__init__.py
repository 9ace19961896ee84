"""Curation assistant: from a case report's text to a draft case, every value with its span.

Rule-based and offline. :func:`draft_case` reads a text and returns a :class:`Draft` (the case
data, with ``provenance`` holding each value's verbatim span and what is left to check, and the
reasons the draft does not validate yet). ``tkiresist draft-case REPORT.txt`` is its command.
See docs/curation-assistant.md for what it reads and what it cannot do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tkiresist.curate.draft import Draft, draft_case, draft_yaml

__all__ = ["Draft", "draft_case", "draft_yaml"]


def __getattr__(name: str) -> Any:
    """The names above load on first use, so that mounting the CLI command (which imports
    ``tkiresist.curate.command``) does not load the extractors and pydantic at start-up."""
    if name in __all__:
        from tkiresist.curate import draft

        return getattr(draft, name)
    raise AttributeError(name)
