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

from tkiresist.errors import FormatError, Location
from tkiresist.model.case import Case
from tkiresist.model.interpretation import Interpretation


def html_to_pdf(html: str) -> bytes:
    """Typeset self-contained HTML as PDF. Only ``data:`` URLs may be read; a reference to
    anything else (http, https, file) raises FormatError instead of being fetched."""
    try:
        import weasyprint  # type: ignore[import-untyped, import-not-found, unused-ignore]
        from weasyprint.urls import (  # type: ignore[import-untyped, import-not-found, unused-ignore]
            FatalURLFetchingError,
            URLFetcher,
        )
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise FormatError(
            "PDF reports need WeasyPrint 68 or later (pip install 'tkiresist[pdf]'; on Debian "
            f"also apt-get install libpango-1.0-0 libpangoft2-1.0-0): {exc}",
            Location(field="report"),
        ) from exc
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    try:
        data = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None).write_pdf()
    except FatalURLFetchingError as exc:
        raise FormatError(
            f"a report must be self-contained; it refers to an external resource ({exc})",
            Location(field="report"),
        ) from exc
    assert isinstance(data, bytes)
    return data


def render_pdf(case: Case, result: Interpretation, *, generated: dt.date | None = None) -> bytes:
    """The report of ``result`` as PDF bytes. Raises FormatError when WeasyPrint is missing."""
    from tkiresist.report.html import render_html

    return html_to_pdf(render_html(case, result, generated=generated, figure="svg"))


def write_pdf(
    case: Case, result: Interpretation, path: str | Path, *, generated: dt.date | None = None
) -> Path:
    """Write the PDF report to ``path``."""
    p = Path(path)
    p.write_bytes(render_pdf(case, result, generated=generated))
    return p
