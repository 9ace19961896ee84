"""Where the registry is: the default SQLite file, the environment variable, URL spelling.

Kept apart from :mod:`tkiresist.registry.db` so that callers that only need a location (the
pooled-evidence cache on the CLI's start-up path) do not import SQLAlchemy.
"""

from __future__ import annotations

import os
from pathlib import Path

from tkiresist.errors import Location, RegistryError

ENV_VAR = "TKIRESIST_DB"


def default_path() -> Path:
    """``<user data dir>/registry.sqlite`` (platformdirs)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("tkiresist")) / "registry.sqlite"


def default_url() -> str:
    """``$TKIRESIST_DB`` when set, else the SQLite file at :func:`default_path`."""
    env = os.environ.get(ENV_VAR, "").strip()
    return env or f"sqlite:///{default_path()}"


def normalize_url(url: str) -> str:
    """A SQLAlchemy URL from what a user typed: a file path means SQLite, and PostgreSQL URLs
    without a driver use psycopg 3."""
    text = url.strip()
    if not text:
        raise RegistryError("empty database URL", Location(field="db"))
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    for prefix in ("postgresql://", "postgres://"):
        if text.startswith(prefix):
            return "postgresql+psycopg://" + text[len(prefix) :]
    return text
