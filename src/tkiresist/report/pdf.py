"""The report as PDF: the HTML report (:mod:`tkiresist.report.html`) typeset by WeasyPrint.

WeasyPrint reads the same self-contained HTML, honours its print CSS (A4 pages, running
footer with page numbers) and draws the inline SVG timeline as vectors. It needs Pango
(Debian: ``libpango-1.0-0 libpangoft2-1.0-0``) and is an optional dependency (the ``pdf``
extra); it is imported only when a PDF is made. No network access happens: the document has
no external resources, and the URL fetcher refuses any that might appear.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tkiresist.errors import FormatError, Location
from tkiresist.model.case import Case
from tkiresist.model.interpretation import Interpretation


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """A report is self-contained; refuse to fetch anything while typesetting it."""
    raise FormatError(
        f"the report refers to an external resource {url!r}; reports must be self-contained",
        Location(field="report"),
    )


def render_pdf(case: Case, result: Interpretation, *, generated: dt.date | None = None) -> bytes:
    """The report as PDF bytes. Raises FormatError when WeasyPrint is not installed."""
    try:
        import weasyprint  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise FormatError(
            f"PDF reports need WeasyPrint (pip install 'tkiresist[pdf]'; on Debian also "
            f"apt-get install libpango-1.0-0 libpangoft2-1.0-0): {exc}",
            Location(field="report"),
        ) from exc
    from tkiresist.report.html import render_html

    html = render_html(case, result, generated=generated, figure="svg")
    document = weasyprint.HTML(string=html, url_fetcher=_no_fetch, base_url=".")
    data = document.write_pdf()
    assert isinstance(data, bytes)
    return data


def write_pdf(
    case: Case, result: Interpretation, path: str | Path, *, generated: dt.date | None = None
) -> Path:
    """Write the PDF report to ``path``."""
    p = Path(path)
    p.write_bytes(render_pdf(case, result, generated=generated))
    return p
