"""End to end in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

The server runs as ``uvicorn tkiresist.web.app:app_from_env`` on 127.0.0.1 (a free port) with a
fresh SQLite registry; the browser has a fresh profile and no network beyond loopback.
Screenshots go to ``$TKIRESIST_SCREENSHOTS`` when set (else the test's temporary folder).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SEED_CASE

from .conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Debian's chromium at {CHROMIUM}"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tkiresist.registry.opening import open_registry
    from tkiresist.web.store import WebStore, migrate_web

    from .conftest import fast_hasher

    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder / 'registry.sqlite'}"
    with open_registry(url) as registry:
        migrate_web(registry.engine)
        store = WebStore(registry.engine, hasher=fast_hasher())
        store.add_user("carl", PASSWORD, "curator", who="test")
    port = _free_port()
    env = {**os.environ, "TKIRESIST_DB": url}
    log = (folder / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "tkiresist.web.app:app_from_env", "--factory",
         "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((folder / "server.log").read_text()) from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    playwright = pytest.importorskip("playwright.sync_api", reason="needs playwright (PyPI)")
    profile = tmp_path_factory.mktemp("profile")
    with playwright.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=ARGS,
            viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("TKIRESIST_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_login_upload_timeline_option_and_curation(server: str, browser: Any, shots: Path) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # log in (an anonymous visit goes to the login page, then back)
    page.goto(server + "/registry")
    assert page.url.startswith(server + "/login?next=")
    page.fill("#name", "carl")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/registry")
    page.screenshot(path=str(shots / "1-registry.png"), full_page=True)

    # upload the seed case: the patient page shows the timeline and the first option
    page.goto(server + "/cases/new")
    page.set_input_files("#file", str(SEED_CASE))
    page.click("#upload-button")
    page.wait_for_url(server + "/cases/cheung2025-case1")
    timeline = page.locator("#timeline svg")
    assert timeline.count() == 1
    box = timeline.bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 200
    first = page.locator("#option-1 h3").inner_text()
    assert first == "1. osimertinib + alectinib"
    assert page.locator("#option-1").evaluate("e => e.classList.contains('first')")
    page.screenshot(path=str(shots / "2-patient.png"), full_page=True)

    # a curator edits a registry field; the change appears in the history
    page.goto(server + "/registry/cheung2025-table1-6")
    field = page.locator('input[name="v:case.patient.age_at_diagnosis"]')
    assert field.input_value() == "68"
    field.fill("67")
    page.fill("#reason", "typo in Table 1")
    page.click("#save-button")
    page.wait_for_load_state()
    assert page.url.endswith("/registry/cheung2025-table1-6#history")
    row = page.locator("#history-table tr", has_text="case.patient.age_at_diagnosis")
    assert row.count() == 1
    text = re.sub(r"\s+", " ", row.inner_text())
    assert "carl" in text and "68 → 67" in text and "typo in Table 1" in text
    assert page.locator('input[name="v:case.patient.age_at_diagnosis"]').input_value() == "67"
    page.screenshot(path=str(shots / "3-curation.png"), full_page=True)
    assert errors == []  # no script errors, nothing blocked by the CSP
