"""The PDF report (WeasyPrint): it is a PDF, and its text holds the disclaimer and the first
option. Text is extracted with ``pdftotext`` (Debian poppler-utils)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

from tkiresist import DISCLAIMER
from tkiresist.errors import FormatError
from tkiresist.model.case import Case
from tkiresist.model.interpretation import Interpretation
from tkiresist.report import write_report
from tkiresist.report.pdf import html_to_pdf

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("weasyprint") is None,
    reason="WeasyPrint is not installed (pip install 'tkiresist[pdf]'; Debian libpango-1.0-0)",
)


@pytest.fixture(scope="module")
def seed_pdf(
    seed_case: Case, seed_result: Interpretation, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("pdf") / "seed.pdf"
    return write_report(seed_case, seed_result, out, generated=dt.date(2026, 1, 2))


def test_pdf_file(seed_pdf: Path) -> None:
    data = seed_pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")
def test_pdf_text(seed_pdf: Path, seed_result: Interpretation) -> None:
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(seed_pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    flat = " ".join(text.split())
    assert " ".join(DISCLAIMER.split()) in flat
    first = seed_result.options[0]
    assert f"1. {first.label}" in flat
    assert "CHEUNG-2025-P1" in flat
    assert "32.5 Gy/5 fr" in flat  # the timeline's text is text in the PDF too
    pages = subprocess.run(
        ["pdfinfo", str(seed_pdf)], check=True, capture_output=True, text=True
    ).stdout
    assert "A4" in pages


@pytest.mark.parametrize(
    "ref",
    [
        '<img src="https://example.invalid/x.png">',
        '<link rel="stylesheet" href="http://example.invalid/s.css">',
        '<img src="file:///etc/hostname">',
    ],
)
def test_typesetting_refuses_external_resources(ref: str) -> None:
    with pytest.raises(FormatError, match="self-contained"):
        html_to_pdf(f"<html><body><p>x</p>{ref}</body></html>")


def test_typesetting_reads_data_urls() -> None:
    pixel = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"
        "/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="
    )
    assert html_to_pdf(f'<html><body><img src="{pixel}"></body></html>').startswith(b"%PDF-")
