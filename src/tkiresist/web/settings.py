"""Every setting of the web application, declared in one place with its default and meaning.

``tkiresist serve`` fills :class:`Settings` from its options; environment variables named in
:data:`ENV` override the defaults (``TKIRESIST_DB`` is the registry's).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, fields
from typing import Any

from tkiresist.errors import Location, TkiResistError

ENV: dict[str, str] = {
    "db_url": "TKIRESIST_DB",
    "secure_cookies": "TKIRESIST_SECURE_COOKIES",
    "shift_secret": "TKIRESIST_SHIFT_SECRET",
    "max_upload_bytes": "TKIRESIST_MAX_UPLOAD_BYTES",
}


@dataclass(frozen=True, slots=True)
class Settings:
    """The web application's settings (see each field's ``help``)."""

    db_url: str | None = field(
        default=None,
        metadata={"help": "registry database URL or SQLite path (default: the user data dir)"},
    )
    secure_cookies: bool | None = field(
        default=None,
        metadata={
            "help": "mark cookies Secure: True always, False never, None when the request came "
            "over https (behind a TLS proxy, run uvicorn with --proxy-headers)"
        },
    )
    session_lifetime: dt.timedelta = field(
        default=dt.timedelta(hours=12), metadata={"help": "a session ends this long after login"}
    )
    session_idle: dt.timedelta = field(
        default=dt.timedelta(hours=2), metadata={"help": "a session ends after this idle time"}
    )
    max_upload_bytes: int = field(
        default=5 * 1024 * 1024,
        metadata={"help": "largest request body accepted (uploads, JSON); larger is 413"},
    )
    login_window: dt.timedelta = field(
        default=dt.timedelta(minutes=15), metadata={"help": "window of the login rate limit"}
    )
    login_max_per_user_address: int = field(
        default=5,
        metadata={
            "help": "failed logins for one user name from one client address in the window "
            "before 429 (from that address only: other addresses can still log in)"
        },
    )
    login_max_per_address: int = field(
        default=20,
        metadata={"help": "failed logins from one client address (any names) in the window"},
    )
    shift_secret: str | None = field(
        default=None,
        metadata={"help": "secret for per-patient date shifts (none: shifted exports are off)"},
    )
    load_default_datasets: bool = field(
        default=True, metadata={"help": "load the bundled datasets into a new registry"}
    )
    migrate: bool = field(
        default=True, metadata={"help": "upgrade an older registry schema on start"}
    )
    password_hasher: Any = field(
        default=None, metadata={"help": "an argon2 PasswordHasher (default: argon2-cffi's)"}
    )

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Defaults, then the environment (:data:`ENV`), then ``overrides`` (not None)."""
        values: dict[str, Any] = {}
        for name, var in ENV.items():
            raw = os.environ.get(var, "").strip()
            if not raw:
                continue
            if name == "secure_cookies":
                values[name] = raw.lower() in ("1", "true", "yes", "on")
            elif name == "max_upload_bytes":
                if not raw.isdigit():
                    raise TkiResistError(
                        f"{var} must be a number of bytes, got {raw!r}", Location(field=var)
                    )
                values[name] = int(raw)
            else:
                values[name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def describe() -> list[tuple[str, str, str]]:
    """(name, default, help) of every setting, for documentation."""
    out = []
    for f in fields(Settings):
        out.append((f.name, repr(f.default), str(f.metadata.get("help", ""))))
    return out
