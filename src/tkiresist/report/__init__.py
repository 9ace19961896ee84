"""Reports people can read: text for the terminal, a self-contained HTML page, a PDF, and the
treatment timeline figure (SVG/PNG).

Modules: :mod:`~tkiresist.report.text`, :mod:`~tkiresist.report.html`,
:mod:`~tkiresist.report.pdf`, :mod:`~tkiresist.report.timeline_figure`. Jinja2, matplotlib
and WeasyPrint are imported only when a report is made.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from tkiresist.errors import FormatError, Location

if TYPE_CHECKING:
    from tkiresist.model.case import Case
    from tkiresist.model.interpretation import Interpretation

REPORT_SUFFIXES = (".html", ".htm", ".pdf")

FIGURE_LOCK = threading.Lock()
"""matplotlib's settings are global to the process: a server draws its figures (timelines,
reports) one at a time, under this one lock."""


def write_report(
    case: Case,
    result: Interpretation,
    path: str | Path,
    *,
    generated: dt.date | None = None,
) -> Path:
    """Write the report of ``result`` to ``path``: HTML or PDF by its suffix. Raises
    FormatError for any other suffix (before any work is done)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".html", ".htm"):
        from tkiresist.report.html import write_html

        return write_html(case, result, p, generated=generated)
    if suffix == ".pdf":
        from tkiresist.report.pdf import write_pdf

        return write_pdf(case, result, p, generated=generated)
    raise FormatError(
        f"cannot write a report as {p.suffix or 'a file without a suffix'!r}: "
        "expected a .html or .pdf file name",
        Location(file=str(p)),
    )
