"""Request bodies over the size limit are refused (413) before anything is read or written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import YAML, Session, assert_error_shape, create_seed

LIMIT = 16_000


@pytest.fixture
def settings_kwargs() -> dict[str, Any]:
    return {"max_upload_bytes": LIMIT}


def test_a_small_body_passes(viewer: Session, seed_yaml: str) -> None:
    assert len(seed_yaml.encode()) < LIMIT
    assert viewer.post("/api/interpret", content=seed_yaml, headers=YAML).status_code == 200


def test_declared_length_over_the_limit_is_413(viewer: Session, seed_yaml: str) -> None:
    big = seed_yaml + "#" * LIMIT
    err = assert_error_shape(viewer.post("/api/interpret", content=big, headers=YAML), 413)
    assert err["code"] == "too_large" and str(LIMIT) in err["message"]


def test_streamed_body_over_the_limit_is_413(viewer: Session) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"#" * 1000

    r = viewer.post("/api/interpret", content=chunks(), headers=YAML)
    assert "content-length" not in r.request.headers  # sent chunked: counted while read
    assert_error_shape(r, 413)


def test_oversized_upload_leaves_the_case_alone(curator: Session, seed_yaml: str) -> None:
    create_seed(curator, seed_yaml)
    r = curator.post(
        "/api/cases/cheung2025-case1/tests",
        data={"version": "1", "specimen": "spec-brain", "date": "2024"},
        files={"file": ("big.vcf", b"#" * (LIMIT * 2))},
    )
    assert_error_shape(r, 413)
    history = curator.get("/api/cases/cheung2025-case1/history").json()["history"]
    assert [h["action"] for h in history] == ["create"]


def test_oversized_page_upload_is_413_too(curator: Session) -> None:
    r = curator.client.post(
        "/cases/new",
        data={"csrf_token": curator.csrf},
        files={"file": ("case.yaml", b"#" * (LIMIT * 2))},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 413
    assert curator.get("/api/cases?dataset=local").json()["total"] == 0


# ---------------------------------------------------------------------------- YAML alias bomb (#17)


def test_a_yaml_alias_bomb_is_refused_with_flat_memory(viewer: Session) -> None:
    """Any logged-in viewer could post this (368 bytes) and hold 8.5 GB; now it is a located
    422 and the server allocates almost nothing for it."""
    import tracemalloc

    from tests.io.test_guarded import bomb

    body = bomb(8)
    assert len(body.encode()) < 500
    tracemalloc.start()
    try:
        r = viewer.post("/api/interpret", content=body, headers=YAML)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    err = assert_error_shape(r, 422)
    assert "aliases expand" in err["message"] or any(
        "aliases expand" in d["msg"] for d in err["details"]
    )
    assert any(5 in d["loc"] for d in err["details"]), err
    assert peak < 20_000_000, peak


def test_deep_json_is_refused_with_a_typed_error(viewer: Session) -> None:
    body = "[" * 5_000 + "]" * 5_000  # within this module's 16,000-byte limit
    r = viewer.post("/api/interpret", content=body, headers={"content-type": "application/json"})
    err = assert_error_shape(r, 400)
    assert "nested deeper" in err["message"]
