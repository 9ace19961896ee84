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
