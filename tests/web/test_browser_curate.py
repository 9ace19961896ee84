"""The curation assistant's page in headless Chromium (#16): paste the seed's text, see the
highlighted text beside the editable draft, fill what the text does not give, save.

Uses the server and browser of :mod:`tests.web.test_browser` (Debian's /usr/bin/chromium
through Playwright); skipped, naming what is missing, without them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import SEED_TEXT

from .conftest import PASSWORD
from .test_browser import CHROMIUM, browser, server, shots  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Debian's chromium at {CHROMIUM}"),
    pytest.mark.skipif(not SEED_TEXT.exists(), reason=f"needs the seed's text at {SEED_TEXT}"),
]


def test_paste_see_the_spans_beside_the_draft_and_save(
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    page = browser.new_page()
    page.set_viewport_size({"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(server + "/curate/draft")
    if page.url.startswith(server + "/login"):
        page.fill("#name", "carl")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(server + "/curate/draft")
    text = SEED_TEXT.read_text(encoding="utf-8")
    page.fill("#name", "seed-in-browser.txt")
    page.fill("#text", text)
    page.click("#draft-button")
    page.wait_for_selector("#report")
    marks = page.locator("#report mark")
    assert marks.count() > 40
    # the text as the browser shows it is the text as pasted (the offsets hold)
    assert page.locator("#report").evaluate("e => e.textContent") == text
    age = page.locator("#report mark", has_text="62").first
    assert "patient.age_at_diagnosis" in (age.get_attribute("title") or "")
    # the text and the draft side by side
    report, draft = page.locator("#report").bounding_box(), page.locator("#case").bounding_box()
    assert report is not None and draft is not None and draft["x"] > report["x"] + report["width"]
    assert page.locator("#source").input_value() == "10.7759/cureus.92202"
    page.screenshot(path=str(shots / "curate-draft.png"))

    data = yaml.safe_load(page.locator("#case").input_value())
    for e in data["events"]:
        if e["type"] == "therapy" and "start" not in e:
            e["start"] = "0 months after diagnosis"
        elif e["type"] in ("specimen", "response") and "time" not in e:
            e["time"] = "0 months after diagnosis"
    page.fill("#case", yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    page.click("#save-button")
    page.wait_for_url(server + "/registry/draft-seed-in-browser#history")
    created = page.locator("#history-table tr", has_text="create")
    assert "carl" in created.inner_text() and "seed-in-browser.txt" in created.inner_text()
    page.screenshot(path=str(shots / "curate-saved.png"), full_page=True)
    assert errors == []
