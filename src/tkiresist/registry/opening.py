"""Opening the registry: the one place that creates a database on first use and loads the
bundled datasets into it. It sits above :mod:`tkiresist.registry.db` (the repository) and
:mod:`tkiresist.registry.importers` (writing tables), so neither imports the other back.
"""

from __future__ import annotations

from tkiresist.registry.db import (
    DEFAULT_DATASETS,
    Registry,
    check_schema,
    default_url,
    make_engine,
    normalize_url,
    upgrade_schema,
)
from tkiresist.registry.importers import load_dataset


def open_registry(
    url: str | None = None, *, migrate: bool = False, load_defaults: bool = True
) -> Registry:
    """Open (and on first use create) the registry at ``url`` (default: :func:`default_url`).

    A new database gets the current schema and, with ``load_defaults``, the bundled datasets
    (:data:`DEFAULT_DATASETS`). An older schema raises RegistryError naming the command to run,
    unless ``migrate=True``, which upgrades it first.
    """
    full = normalize_url(url or default_url())
    engine = make_engine(full)
    try:
        status = check_schema(engine, full, allow_old=migrate)
        if status.fresh:
            upgrade_schema(engine, full)
            registry = Registry(engine, full)
            if load_defaults:
                for name in DEFAULT_DATASETS:
                    load_dataset(registry, name, who="tkiresist (first use)")
            return registry
        if not status.up_to_date:
            upgrade_schema(engine, full)
            registry = Registry(engine, full)
            registry.rebuild_facts()
            return registry
        return Registry(engine, full)
    except BaseException:
        engine.dispose()
        raise
