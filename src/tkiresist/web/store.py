"""The web application's own tables: users, sessions, failed logins and the audit trail.

They live in the registry's database, next to its tables, with their own Alembic revision chain
(``web/migrations``, version table ``web_alembic_version``) applied after the registry's. The
registry keeps the history of every case (who changed which field); the audit trail here records
every write made through the web application, and every refusal, with the user.

Passwords are hashed with argon2id (``argon2-cffi``); session tokens are random and stored only
as their SHA-256, so a copy of the database does not hold a usable session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from tkiresist.errors import Location, RegistryError
from tkiresist.web.errors import Exists, NotFound, StateConflict, Unprocessable

Role = Literal["viewer", "curator", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
RANK: dict[str, int] = {role: i for i, role in enumerate(ROLES)}

VERSION_TABLE = "web_alembic_version"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
MIN_PASSWORD = 10

_BIGID = BigInteger().with_variant(Integer(), "sqlite")
_TS = DateTime(timezone=True)
metadata = MetaData()

users = Table(
    "web_user",
    metadata,
    Column("id", _BIGID, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", _TS, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("password_changed_at", _TS, nullable=False),
)
sessions = Table(
    "web_session",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", _BIGID, nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", _TS, nullable=False),
    Column("last_seen_at", _TS, nullable=False),
    Column("expires_at", _TS, nullable=False),
)
login_failures = Table(
    "web_login_failure",
    metadata,
    Column("id", _BIGID, primary_key=True, autoincrement=True),
    Column("at", _TS, nullable=False),
    Column("user_name", String(200), nullable=False),
    Column("remote", String(64), nullable=False),
)
audit_trail = Table(
    "web_audit",
    metadata,
    Column("id", _BIGID, primary_key=True, autoincrement=True),
    Column("at", _TS, nullable=False),
    Column("user_name", String(200)),
    Column("action", String(64), nullable=False),
    Column("target", String(400)),
    Column("outcome", String(16), nullable=False),
    Column("detail_json", Text),
    Column("remote", String(64)),
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def throttle_key(remote: str) -> str:
    """The address failed logins are counted against: an IPv4 address as it is (an IPv4-mapped
    IPv6 address as its IPv4 address), an IPv6 address as its /64 network (one host usually
    holds a whole /64), anything else (no peer address) as it is."""
    try:
        ip = ipaddress.ip_address(remote)
    except ValueError:
        return remote
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    role: Role
    active: bool
    created_at: dt.datetime
    created_by: str

    def can(self, role: Role) -> bool:
        """True when this user's role is ``role`` or above (viewer < curator < admin)."""
        return self.active and RANK[self.role] >= RANK[role]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "active": self.active,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
        }


@dataclass(frozen=True, slots=True)
class SessionInfo:
    user: User
    csrf_token: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: dt.datetime
    user: str | None
    action: str
    target: str | None
    outcome: str
    detail: Any
    remote: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "user": self.user,
            "action": self.action,
            "target": self.target,
            "outcome": self.outcome,
            "detail": self.detail,
            "remote": self.remote,
        }


@dataclass(frozen=True, slots=True)
class LoginLock:
    """Failed logins in the current window from one address: for one user name (``user``),
    or for any name (``user`` None, the per-address limit). ``until``: when a lock in force
    lifts (None below the limit)."""

    user: str | None
    address: str
    failures: int
    limit: int
    first_at: dt.datetime
    last_at: dt.datetime
    until: dt.datetime | None

    @property
    def locked(self) -> bool:
        return self.until is not None

    @property
    def scope(self) -> str:
        return "address" if self.user is None else "user+address"

    def as_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "user": self.user,
            "address": self.address,
            "failures": self.failures,
            "limit": self.limit,
            "locked": self.locked,
            "first_at": self.first_at.isoformat(),
            "last_at": self.last_at.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
        }


def _user(row: Any) -> User:
    return User(
        id=int(row.id),
        name=row.name,
        role=row.role,
        active=bool(row.active),
        created_at=_utc(row.created_at),
        created_by=row.created_by,
    )


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise Unprocessable(
            f"invalid user name {name!r}: 1-64 letters, digits, '_', '.', '@' or '-', "
            "starting with a letter or digit",
            Location(field="name"),
        )
    return name


def check_role(role: str) -> Role:
    if role not in ROLES:
        raise Unprocessable(
            f"unknown role {role!r}: expected one of {', '.join(ROLES)}", Location(field="role")
        )
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise Unprocessable(
            f"the password is too short: at least {MIN_PASSWORD} characters",
            Location(field="password"),
        )
    return password


# ----------------------------------------------------------------------------------- schema


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def known_revisions() -> tuple[str, ...]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(cfg)
    return tuple(reversed([r.revision for r in script.walk_revisions()]))


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return ctx.get_current_revision()


def migrate_web(engine: Engine) -> str:
    """Create or upgrade the web tables to the newest revision; return it. A database whose
    web tables are newer than this code knows is refused."""
    from alembic import command

    current = current_revision(engine)
    known = known_revisions()
    if current is not None and current not in known:
        raise RegistryError(
            f"the web tables have revision {current!r}, which this tkiresist does not know "
            f"(it knows up to {known[-1]!r}): upgrade tkiresist"
        )
    if current != known[-1]:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "head")
    return known[-1]


# ----------------------------------------------------------------------------------- store


class WebStore:
    """Users, sessions, failed logins and the audit trail, in the database of ``engine``."""

    def __init__(self, engine: Engine, *, hasher: Any | None = None) -> None:
        from argon2 import PasswordHasher

        self.engine = engine
        self.hasher = hasher or PasswordHasher()
        self._dummy = self.hasher.hash(secrets.token_urlsafe(16))

    # -- users ------------------------------------------------------------------------------

    def add_user(self, name: str, password: str, role: str, *, who: str) -> User:
        check_name(name)
        check_role(role)
        check_password(password)
        now = _now()
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(users).values(
                        name=name,
                        password_hash=self.hasher.hash(password),
                        role=role,
                        active=True,
                        created_at=now,
                        created_by=who,
                        password_changed_at=now,
                    )
                )
        except IntegrityError:
            raise Exists(f"a user named {name!r} exists", Location(field="name")) from None
        return self.user(name)

    def user(self, name: str) -> User:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first()
        if row is None:
            raise NotFound(f"no user named {name!r}", Location(field="name"))
        return _user(row)

    def list_users(self) -> list[User]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(users).order_by(users.c.name)).all()
        return [_user(r) for r in rows]

    def count_users(self, role: Role | None = None) -> int:
        stmt = select(func.count()).select_from(users).where(users.c.active.is_(True))
        if role is not None:
            stmt = stmt.where(users.c.role == role)
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar() or 0)

    def change_user(
        self,
        name: str,
        *,
        role: str | None = None,
        active: bool | None = None,
        password: str | None = None,
    ) -> User:
        """Change a user's role, active flag or password. Deactivating a user or changing the
        password ends their sessions."""
        target = self.user(name)
        values: dict[str, Any] = {}
        if role is not None:
            values["role"] = check_role(role)
        if active is not None:
            values["active"] = active
        if password is not None:
            values["password_hash"] = self.hasher.hash(check_password(password))
            values["password_changed_at"] = _now()
        if not values:
            return target
        demoted = values.get("role", target.role) != "admin" or values.get("active") is False
        if target.role == "admin" and target.active and demoted and self.count_users("admin") <= 1:
            raise StateConflict(
                f"{name!r} is the last active admin: make another admin first",
                Location(field="role"),
            )
        with self.engine.begin() as conn:
            conn.execute(update(users).where(users.c.id == target.id).values(**values))
            if active is False or password is not None:
                conn.execute(delete(sessions).where(sessions.c.user_id == target.id))
        return self.user(name)

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when ``password`` is theirs and the account is active, else None. Takes
        the same time whether or not the user exists (one argon2 verification either way)."""
        from argon2.exceptions import InvalidHashError, VerificationError

        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first()
        stored = row.password_hash if row is not None else self._dummy
        try:
            self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or not row.active:
            return None
        if self.hasher.check_needs_rehash(stored):
            with self.engine.begin() as conn:
                conn.execute(
                    update(users)
                    .where(users.c.id == row.id)
                    .values(password_hash=self.hasher.hash(password))
                )
        return _user(row)

    # -- sessions ---------------------------------------------------------------------------

    def create_session(self, user: User, lifetime: dt.timedelta) -> tuple[str, str]:
        """A new session for ``user``: (cookie token, CSRF token)."""
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = _now()
        with self.engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.expires_at < now))
            conn.execute(
                insert(sessions).values(
                    token_hash=token_hash(token),
                    user_id=user.id,
                    csrf_token=csrf,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + lifetime,
                )
            )
        return token, csrf

    def session(self, token: str, idle: dt.timedelta) -> SessionInfo | None:
        """The live session of ``token`` (not expired, not idle longer than ``idle``, its user
        active), else None. Marks it seen (at most once a minute, to spare the database)."""
        now = _now()
        key = token_hash(token)
        stmt = (
            select(sessions, users)
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.token_hash == key)
        )
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        if row is None or not row.active:
            return None
        if _utc(row.expires_at) <= now or _utc(row.last_seen_at) + idle <= now:
            self.end_session(token)
            return None
        if now - _utc(row.last_seen_at) > dt.timedelta(minutes=1):
            with self.engine.begin() as conn:
                conn.execute(
                    update(sessions).where(sessions.c.token_hash == key).values(last_seen_at=now)
                )
        user = User(
            id=int(row.user_id),
            name=row.name,
            role=row.role,
            active=bool(row.active),
            created_at=_utc(row.created_at),
            created_by=row.created_by,
        )
        return SessionInfo(user=user, csrf_token=row.csrf_token, expires_at=_utc(row.expires_at))

    def end_session(self, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.token_hash == token_hash(token)))

    # -- failed logins ----------------------------------------------------------------------

    def record_failure(self, name: str, remote: str) -> None:
        now = _now()
        with self.engine.begin() as conn:
            conn.execute(
                delete(login_failures).where(login_failures.c.at < now - dt.timedelta(days=1))
            )
            conn.execute(
                insert(login_failures).values(at=now, user_name=name[:200], remote=remote[:64])
            )

    def failures_since(self, name: str, remote: str, since: dt.datetime) -> tuple[int, int]:
        """Failed logins since ``since``: (for this user name from this address, from this
        address for any name)."""
        base = (
            select(func.count())
            .select_from(login_failures)
            .where(login_failures.c.at >= since, login_failures.c.remote == remote[:64])
        )
        with self.engine.connect() as conn:
            by_pair = conn.execute(base.where(login_failures.c.user_name == name[:200])).scalar()
            by_remote = conn.execute(base).scalar()
        return int(by_pair or 0), int(by_remote or 0)

    def oldest_failure_since(
        self, remote: str, since: dt.datetime, name: str | None = None
    ) -> dt.datetime:
        """The oldest failed login since ``since`` from this address (for ``name`` only, when
        given): the limit it counts towards lifts one window after it."""
        stmt = select(func.min(login_failures.c.at)).where(
            login_failures.c.at >= since, login_failures.c.remote == remote[:64]
        )
        if name is not None:
            stmt = stmt.where(login_failures.c.user_name == name[:200])
        with self.engine.connect() as conn:
            value = conn.execute(stmt).scalar()
        return _utc(value) if value is not None else _now()

    def clear_failures(self, name: str, remote: str) -> None:
        """Forget the failed logins of ``name`` from this address (after a successful login
        from it); failures from other addresses stay."""
        with self.engine.begin() as conn:
            conn.execute(
                delete(login_failures).where(
                    login_failures.c.user_name == name[:200],
                    login_failures.c.remote == remote[:64],
                )
            )

    def login_locks(
        self,
        since: dt.datetime,
        window: dt.timedelta,
        max_per_user_address: int,
        max_per_address: int,
        *,
        include_unlocked: bool = False,
    ) -> list[LoginLock]:
        """The login throttles in force (failed logins since ``since`` at or over a limit):
        per user name and address, and per address; with ``include_unlocked``, the streaks
        below the limits too. Locked first, then by address and user name."""
        count = func.count().label("failures")
        first = func.min(login_failures.c.at).label("first_at")
        last = func.max(login_failures.c.at).label("last_at")
        recent = login_failures.c.at >= since
        by_pair = (
            select(login_failures.c.user_name, login_failures.c.remote, count, first, last)
            .where(recent)
            .group_by(login_failures.c.user_name, login_failures.c.remote)
        )
        by_remote = (
            select(login_failures.c.remote, count, first, last)
            .where(recent)
            .group_by(login_failures.c.remote)
        )
        with self.engine.connect() as conn:
            pairs = conn.execute(by_pair).all()
            remotes = conn.execute(by_remote).all()
        out: list[LoginLock] = []
        rows: list[tuple[Any, str | None, int]] = [
            *((r, r.user_name, max_per_user_address) for r in pairs),
            *((r, None, max_per_address) for r in remotes),
        ]
        for row, user, limit in rows:
            locked = int(row.failures) >= limit
            if not locked and not include_unlocked:
                continue
            out.append(
                LoginLock(
                    user=user,
                    address=row.remote,
                    failures=int(row.failures),
                    limit=limit,
                    first_at=_utc(row.first_at),
                    last_at=_utc(row.last_at),
                    until=_utc(row.first_at) + window if locked else None,
                )
            )
        out.sort(key=lambda lock: (not lock.locked, lock.address, lock.user or ""))
        return out

    def clear_locks(self, *, name: str | None = None, remote: str | None = None) -> int:
        """Forget the failed logins of ``name`` (from every address, or from ``remote``), or
        from ``remote`` (for every name); return how many were forgotten (NotFound: none)."""
        if name is None and remote is None:
            raise Unprocessable("name a user, an address or both", Location(field="user"))
        stmt = delete(login_failures)
        if name is not None:
            stmt = stmt.where(login_failures.c.user_name == name[:200])
        if remote is not None:
            stmt = stmt.where(login_failures.c.remote == remote[:64])
        with self.engine.begin() as conn:
            cleared = int(conn.execute(stmt).rowcount or 0)
        if cleared == 0:
            what = " from ".join(
                f"{k} {v!r}" for k, v in (("user", name), ("address", remote)) if v is not None
            )
            raise NotFound(
                f"no failed logins to clear for {what}",
                Location(field="user" if name is not None else "address"),
            )
        return cleared

    # -- audit trail ------------------------------------------------------------------------

    def audit(
        self,
        user: str | None,
        action: str,
        target: str | None = None,
        *,
        outcome: str = "ok",
        detail: Any = None,
        remote: str | None = None,
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(audit_trail).values(
                    at=_now(),
                    user_name=user,
                    action=action[:64],
                    target=None if target is None else target[:400],
                    outcome=outcome[:16],
                    detail_json=None
                    if detail is None
                    else json.dumps(detail, ensure_ascii=False, default=str),
                    remote=None if remote is None else remote[:64],
                )
            )

    def audit_entries(
        self,
        *,
        user: str | None = None,
        action: str | None = None,
        target: str | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[AuditEntry]:
        """Newest first."""
        stmt = select(audit_trail).order_by(audit_trail.c.id.desc()).limit(limit).offset(offset)
        if user is not None:
            stmt = stmt.where(audit_trail.c.user_name == user)
        if action is not None:
            stmt = stmt.where(audit_trail.c.action == action)
        if target is not None:
            stmt = stmt.where(audit_trail.c.target == target)
        with self.engine.connect() as conn:
            rows: Sequence[Any] = conn.execute(stmt).all()
        return [
            AuditEntry(
                id=int(r.id),
                at=_utc(r.at),
                user=r.user_name,
                action=r.action,
                target=r.target,
                outcome=r.outcome,
                detail=None if r.detail_json is None else json.loads(r.detail_json),
                remote=r.remote,
            )
            for r in rows
        ]
