"""What every request handler needs: the open registry, the web store, the knowledge base and
the settings. Built once per application by :func:`build_context`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from tkiresist.web.settings import Settings

if TYPE_CHECKING:
    from fastapi import Request

    from tkiresist.knowledge.loader import KnowledgeBase
    from tkiresist.registry.db import Registry
    from tkiresist.web.store import WebStore


T = TypeVar("T")


class DerivedCache:
    """Results derived from the whole registry (pooled evidence, the claims audit), kept until
    a write through this process or for ``ttl`` seconds (writes by other workers or tools)."""

    def __init__(self, ttl: float = 30.0) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._values: dict[str, tuple[float, Any]] = {}

    def get(self, key: str, compute: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            hit = self._values.get(key)
        if hit is not None and now - hit[0] < self.ttl:
            value: T = hit[1]
            return value
        value = compute()
        with self._lock:
            self._values[key] = (now, value)
        return value

    def invalidate(self) -> None:
        with self._lock:
            self._values.clear()


@dataclass(frozen=True, slots=True)
class Context:
    settings: Settings
    registry: Registry
    store: WebStore
    kb: KnowledgeBase
    shift_secret: bytes | None
    """None: date-shifted exports are unavailable (set TKIRESIST_SHIFT_SECRET)."""
    derived: DerivedCache = field(default_factory=DerivedCache)


def build_context(settings: Settings) -> Context:
    """Open (and on first use create) the registry, bring the web tables up to date, load the
    knowledge base."""
    from tkiresist.knowledge.loader import load_knowledge_base
    from tkiresist.registry.opening import open_registry
    from tkiresist.web.store import WebStore, migrate_web

    registry = open_registry(
        settings.db_url,
        migrate=settings.migrate,
        load_defaults=settings.load_default_datasets,
    )
    try:
        migrate_web(registry.engine)
        store = WebStore(registry.engine, hasher=settings.password_hasher)
        kb = load_knowledge_base()
    except BaseException:
        registry.close()
        raise
    secret = settings.shift_secret.encode("utf-8") if settings.shift_secret else None
    return Context(settings, registry, store, kb, secret)


def context_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx
