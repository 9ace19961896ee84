"""The answer first (#17 item 4), measured in headless Chromium: at 1400×900 the case page's
bottom line starts within the first screen, above the timeline; the claims audit's summary too.

Uses the server and browser of :mod:`tests.web.test_browser` (Debian's /usr/bin/chromium
through Playwright); skipped, naming what is missing, without them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SEED_CASE

from .conftest import PASSWORD
from .test_browser import CHROMIUM, browser, server, shots  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Debian's chromium at {CHROMIUM}"),
]

VIEWPORT = {"width": 1400, "height": 900}


def _log_in(page: Any, base: str, target: str) -> None:
    page.goto(base + target)
    if page.url.startswith(base + "/login"):
        page.fill("#name", "carl")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(base + target)


def _top(page: Any, selector: str) -> float:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    top: float = box["y"]
    return top


def test_bottom_line_is_on_the_first_screen(
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    page = browser.new_page()
    page.set_viewport_size(VIEWPORT)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _log_in(page, server, "/cases/new")
    page.set_input_files("#file", str(SEED_CASE))
    page.click("#upload-button")
    page.wait_for_url(server + "/cases/cheung2025-case1")
    page.evaluate("window.scrollTo(0, 0)")

    bottom = _top(page, "#bottom-line")
    assert bottom < VIEWPORT["height"], bottom
    assert bottom < _top(page, "#timeline")
    option = page.locator("#bottom-line-option")
    assert "1. osimertinib + alectinib" in option.inner_text()
    option_box = option.bounding_box()
    assert option_box is not None and option_box["y"] + option_box["height"] < VIEWPORT["height"]
    page.screenshot(path=str(shots / "answer-first-case.png"))

    page.goto(server + "/claims")
    assert _top(page, "#claims-summary") < VIEWPORT["height"]
    page.select_option('select[name="status"]', "mismatch")
    page.click('#claims-filters button[type="submit"]')
    page.wait_for_url("**/claims?*status=mismatch*")
    cards = page.locator('div.card[id^="claim-"]')
    assert cards.count() >= 1
    assert all("mismatch" in cards.nth(i).inner_text() for i in range(cards.count()))
    page.screenshot(path=str(shots / "answer-first-claims.png"))
    assert errors == []
