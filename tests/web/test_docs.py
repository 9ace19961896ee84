"""docs/web.md names every API route, every page and every setting (it fails when one is added
without documentation)."""

from __future__ import annotations

import dataclasses
import re

import pytest

from tests.conftest import ROOT

DOC = (ROOT / "docs" / "web.md").read_text(encoding="utf-8")


def _api_routes() -> list[str]:
    from tkiresist.web.api import router

    return sorted({route.path for route in router.routes})  # type: ignore[attr-defined]


def _page_routes() -> list[str]:
    from tkiresist.web.pages import router

    return sorted({route.path for route in router.routes})  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", _api_routes())
def test_every_api_route_is_documented(path: str) -> None:
    tail = path.removeprefix("/api")
    last = tail.rsplit("/", 1)[-1]
    assert path in DOC or f"`{last}`" in DOC or f", `{last}" in DOC or tail in DOC, path


@pytest.mark.parametrize("path", [p for p in _page_routes() if p not in ("/logout",)])
def test_every_page_is_documented(path: str) -> None:
    assert f"`{path}`" in DOC or path in re.findall(r"`(/[^`]*)`", DOC), path


def test_every_setting_is_documented() -> None:
    from tkiresist.web.settings import ENV, Settings

    for f in dataclasses.fields(Settings):
        assert f"| `{f.name}` |" in DOC, f.name
    for var in ENV.values():
        assert var in DOC, var
