"""The registry database: where it is, its schema version, and every read and write.

Where: SQLite by default, at ``platformdirs.user_data_dir("tkiresist")/registry.sqlite``,
created on first use (and loaded with the bundled ``cheung2025-table1`` dataset). Another
database with ``open_registry(url)``, the CLI's ``--db URL`` or the ``TKIRESIST_DB``
environment variable: a SQLAlchemy URL (``postgresql://user@host/db`` is read as
``postgresql+psycopg://...``) or a file path (SQLite).

Schema: Alembic migrations shipped in ``registry/migrations`` and run in code (no alembic.ini).
A new, empty database is created at the head revision. A database at an older revision is
refused with the command that upgrades it (``tkiresist registry migrate``) unless
``migrate=True`` is passed; a database at a revision this code does not know (newer) is refused.

Writes follow three rules:

1. nothing is updated in place without a history row (who, when, field, old, new);
2. deletion is soft (``deleted_at``), and restorable;
3. every write states the version it read (``expected_version``); a stale version raises
   :class:`~tkiresist.errors.ConflictError` (two curators saving the same case). The check is
   ``UPDATE ... WHERE uid = :uid AND version = :expected``, atomic on both databases.

The facts row (:mod:`tkiresist.registry.facts`) of a case is rewritten in the same transaction
as the case; deleted cases have none.

Same patient twice: every write transaction ends by recomputing ``duplicate_of`` in the facts
rows (:func:`refresh_duplicates`): cases likely to be the same patient, by the matching rule or
by a curator's link (:meth:`Registry.link`), form a group, and two cases a curator unlinked
(:meth:`Registry.unlink`) are never in one group; one case of
the group (reviewed before draft, published before local, then the smallest uid) is counted and
the others point to it. The rule is in ``docs/registry.md``, "Same patient twice".
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, create_engine, delete, event, func, inspect, select, update
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.dml import Insert

from tkiresist import BUNDLED_DATASET
from tkiresist.errors import ConflictError, Location, RegistryError
from tkiresist.model.case import Case
from tkiresist.model.facts import FACTS_TABLE, CaseFacts
from tkiresist.registry.facts import derive_facts
from tkiresist.registry.location import ENV_VAR as ENV_VAR  # re-exported
from tkiresist.registry.location import default_path as default_path
from tkiresist.registry.location import default_url as default_url
from tkiresist.registry.location import normalize_url as normalize_url
from tkiresist.registry.models import (
    VERSION_TABLE,
    Base,
    CaseRow,
    DatasetRow,
    FactsRow,
    FieldProvenanceRow,
    HistoryRow,
    LinkRow,
)
from tkiresist.registry.record import (
    STATUSES,
    Abstraction,
    CaseRecord,
    CaseSummary,
    CurationFlag,
    CurationStatus,
    FieldSource,
    HistoryEntry,
    ReportedSummary,
    SourceRef,
)

MIGRATE_COMMAND = "tkiresist registry migrate"
DEFAULT_DATASETS: tuple[str, ...] = (BUNDLED_DATASET,)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


# ----------------------------------------------------------------------------------- where


def redact(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:  # a malformed URL: shown as typed, minus any credentials
        return re.sub(r"//[^@/]*@", "//***@", url)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get their folder created, foreign keys, WAL and a
    busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        memory = database in ("", ":memory:")
        if not memory:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": 30},
            poolclass=StaticPool if memory else None,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    raise RegistryError(
        f"unsupported database {parsed.get_backend_name()!r}: use SQLite (a file path or "
        "sqlite:///path) or PostgreSQL (postgresql://user@host/db)",
        Location(field="db"),
    )


# ----------------------------------------------------------------------------------- schema


def _alembic_config(url: str, connection: Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config("sqlite://")).get_current_head()
    assert head is not None, "the registry ships at least one migration"
    return head


def known_revisions() -> tuple[str, ...]:
    """Every revision of the shipped migrations, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config("sqlite://"))
    return tuple(reversed([r.revision for r in script.walk_revisions()]))


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    current: str | None
    head: str
    fresh: bool
    """No registry tables and no version: a new database."""

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def schema_status(engine: Engine) -> SchemaStatus:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        current = ctx.get_current_revision()
        tables = inspect(conn).get_table_names()
    fresh = current is None and not any(t.startswith("registry_") for t in tables)
    return SchemaStatus(current, head_revision(), fresh)


def upgrade_schema(engine: Engine, url: str, target: str = "head") -> None:
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(_alembic_config(url, conn), target)


@dataclass(frozen=True, slots=True)
class MigrationResult:
    before: str | None
    after: str
    facts_rebuilt: int = 0

    @property
    def changed(self) -> bool:
        return self.before != self.after


def migrate(url: str | None = None, target: str = "head") -> MigrationResult:
    """Bring the database at ``url`` to ``target`` (default: the newest schema), then rebuild
    the derived facts rows. Creates the schema in a new database."""
    full = normalize_url(url or default_url())
    engine = make_engine(full)
    try:
        before = check_schema(engine, full, allow_old=True).current
        upgrade_schema(engine, full, target)
        after = schema_status(engine).current
        assert after is not None
        rebuilt = 0
        if before != after and _has_facts_table(engine):
            rebuilt = Registry(engine, full).rebuild_facts()
        return MigrationResult(before, after, rebuilt)
    finally:
        engine.dispose()


def _has_facts_table(engine: Engine) -> bool:
    with engine.connect() as conn:
        return FACTS_TABLE in inspect(conn).get_table_names()


def check_schema(engine: Engine, url: str, *, allow_old: bool) -> SchemaStatus:
    status = schema_status(engine)
    if status.fresh or status.up_to_date:
        return status
    where = redact(url)
    if status.current is None:
        raise RegistryError(
            f"the database at {where} has registry tables but no schema version "
            f"({VERSION_TABLE}); it was not created by tkiresist"
        )
    if status.current not in known_revisions():
        raise RegistryError(
            f"the registry at {where} has schema revision {status.current!r}, which this "
            f"tkiresist does not know (it knows up to {status.head!r}): upgrade tkiresist"
        )
    if not allow_old:
        raise RegistryError(
            f"the registry at {where} has schema revision {status.current!r}; this tkiresist "
            f"needs {status.head!r}. Back it up, then run: {MIGRATE_COMMAND} --db '{where}'"
        )
    return status


# ----------------------------------------------------------------------------------- helpers


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """``10.7759/cureus.92202`` -> ``10-7759-cureus-92202``."""
    return _SLUG.sub("-", text.casefold()).strip("-")


@dataclass(frozen=True, slots=True)
class _Docs:
    """A record's stored JSON texts and the document history diffs are computed on."""

    case_json: str
    reported_json: str
    flags_json: str
    doc: dict[str, Any]


def _case_json(case: Case) -> str:
    """The stored JSON of a case: the case-file form (``case_to_data``: None left out),
    compact, UTF-8."""
    return case.model_dump_json(exclude_none=True)


def _docs(
    case: Case,
    reported: ReportedSummary,
    flags: Sequence[CurationFlag],
    status: str,
    provenance: Sequence[FieldSource] | None = None,
    *,
    with_doc: bool = True,
) -> _Docs:
    """The JSON texts to store, and (``with_doc``) the document history diffs compare."""
    case_json = _case_json(case)
    reported_json = reported.model_dump_json(exclude_none=True)
    flags_json = _dumps([f.model_dump(mode="json") for f in flags]) if flags else "[]"
    doc: dict[str, Any] = {}
    if with_doc:
        doc = {
            "status": status,
            "case": json.loads(case_json),
            "reported": json.loads(reported_json),
            "flags": json.loads(flags_json),
        }
        if provenance is not None:
            doc["provenance"] = _new_provenance(provenance)
    return _Docs(case_json, reported_json, flags_json, doc)


_MISSING: Any = object()


def diff(old: Any, new: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(path, old, new) for every leaf that differs; whole subtrees when a key or list item is
    added or removed, or a list changes length."""
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(dict.fromkeys([*old, *new])):
            sub = f"{path}.{key}" if path else str(key)
            yield from diff(old.get(key, _MISSING), new.get(key, _MISSING), sub)
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from diff(a, b, f"{path}[{i}]")
        return
    yield (
        path or "*",
        None if old is _MISSING else old,
        None if new is _MISSING else new,
    )


@lru_cache(maxsize=1024)
def _paths_json(paths: tuple[str, ...]) -> str:
    return _dumps(list(paths))


def _provenance_rows(uid: str, provenance: Sequence[FieldSource]) -> list[dict[str, Any]]:
    return [
        {
            "case_uid": uid,
            "field": p.field,
            "verbatim": p.verbatim,
            "parsed": p.parsed,
            "message": p.message,
            "source_line": p.line,
            "paths_json": _paths_json(p.paths),
        }
        for p in provenance
    ]


def _facts(
    uid: str,
    dataset: str,
    status: str,
    source: SourceRef,
    case: Case,
    reported: ReportedSummary,
    flags: Sequence[CurationFlag],
) -> dict[str, Any]:
    return derive_facts(
        uid=uid,
        dataset=dataset,
        status=status,
        source_id=source.id,
        source_row=source.row,
        case=case,
        reported=reported,
        flags=flags,
    ).model_dump()


@dataclass
class ImportReport:
    """What an import did, row by row (uids)."""

    source: SourceRef
    dataset: str
    rows: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    flagged: list[tuple[str, CurationFlag]] = field(default_factory=list)

    def summary(self) -> str:
        parts = [
            f"{self.rows} rows from {self.source.describe()} into dataset {self.dataset!r}:",
            f"{len(self.created)} created,",
            f"{len(self.updated)} updated,",
            f"{len(self.unchanged)} unchanged,",
            f"{len(self.skipped)} skipped;",
            f"{len(self.flagged)} cells flagged for curation",
        ]
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class DatasetMeta:
    """A dataset's descriptive row (``registry_dataset``)."""

    name: str
    title: str | None = None
    source_id: str | None = None
    citation: Mapping[str, Any] | None = None
    licence: str | None = None


@dataclass(frozen=True, slots=True)
class CaseLink:
    """A curator's decision about case ``uid`` and case ``other``."""

    uid: str
    other: str
    same_patient: bool
    at: dt.datetime
    who: str
    reason: str | None


MATCH_COLUMNS: tuple[str, ...] = ("patient_source", "sex", "egfr_baseline", "alk_partners")
"""The facts columns two cases must share, all known, to be matched as the same patient; they
must also share an age (``patient_ages``: a case whose sources disagree on the age has each)."""


class _Groups:
    """Union-find over case uids with cannot-link pairs: two cases a curator unlinked are
    never put in one group, whatever joins them (a third case, the rule, a link)."""

    def __init__(self, uids: Iterable[str], distinct: Iterable[tuple[str, str]]) -> None:
        self.parent: dict[str, str] = {u: u for u in uids}
        self.apart: dict[str, set[str]] = {}
        for a, b in distinct:
            if a in self.parent and b in self.parent:
                self.apart.setdefault(a, set()).add(b)
                self.apart.setdefault(b, set()).add(a)

    def find(self, u: str) -> str:
        parent = self.parent
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    def union(self, u: str, v: str) -> bool:
        """Join the groups of ``u`` and ``v``; False (nothing joined) when that would put
        two unlinked cases in one group."""
        ru, rv = self.find(u), self.find(v)
        if ru == rv:
            return True
        apart_u, apart_v = self.apart.get(ru, set()), self.apart.get(rv, set())
        small, other = (apart_u, rv) if len(apart_u) <= len(apart_v) else (apart_v, ru)
        if any(self.find(x) == other for x in small):
            return False
        root, child = min(ru, rv), max(ru, rv)
        self.parent[child] = root
        if apart_u or apart_v:
            self.apart[root] = apart_u | apart_v
            self.apart.pop(child, None)
        return True


@dataclass(frozen=True, slots=True)
class DuplicateRefresh:
    """What :func:`refresh_duplicates` did: facts rows changed, and the curators' links it
    could not honour (they would make one patient of two cases a curator unlinked)."""

    changed: int
    refused_links: tuple[tuple[str, str], ...] = ()


def _papers(rows: Sequence[Any]) -> Callable[[str | None], str | None]:
    """One name per paper: identifiers that a record (``patient_source_ids``: its DOI and
    PMID, and the bundled citation table's) gives together are the same paper."""
    parent: dict[str, str] = {}

    def find(k: str) -> str:
        parent.setdefault(k, k)
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for r in rows:
        ids = (r.patient_source_ids or "").split()
        for other in ids[1:]:
            a, b = find(ids[0]), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)

    def paper(source: str | None) -> str | None:
        return None if source is None else find(source)

    return paper


def refresh_duplicates(s: Session) -> DuplicateRefresh:
    """Recompute ``duplicate_of`` in the facts rows. One pass over the rows with a
    ``patient_source``, a link or a flag (20,000 imported rows without a source: 0.2 s when
    every row was read; the rest is skipped in SQL).

    Two live cases are the same patient when a curator linked them, or when they agree on
    every :data:`MATCH_COLUMNS` value (none unknown; a paper's DOI and PMID are one source when
    some record or the bundled citation table gives them together), share an age, and are
    not two rows of one imported table (same source id, not local). Groups are closed
    transitively, except that two cases a curator unlinked are never in one group: the links
    are applied first (in the order they were decided), then the rule's pairs in uid order,
    and a pair that would join two unlinked cases is skipped. In each group the case counted
    is the first by (reviewed before draft, published before local, uid); the others get its
    uid in ``duplicate_of``.
    """
    f = FactsRow
    # only rows that can be in a group: a known source (the rule), a link, or a flag to clear
    linked = select(LinkRow.uid_a).union(select(LinkRow.uid_b))
    rows = s.execute(
        select(f.case_uid, f.status, f.dataset, f.source_id, f.duplicate_of, f.patient_ages,
               f.patient_source_ids, *(getattr(f, c) for c in MATCH_COLUMNS))
        .where(f.patient_source.is_not(None) | f.duplicate_of.is_not(None)
               | f.case_uid.in_(linked))
        .order_by(f.case_uid)
    ).all()  # fmt: skip
    same: list[tuple[str, str]] = []
    distinct: set[tuple[str, str]] = set()
    decisions = select(LinkRow.uid_a, LinkRow.uid_b, LinkRow.same_patient).order_by(
        LinkRow.decided_at, LinkRow.id
    )
    for a, b, is_same in s.execute(decisions):
        if is_same:
            same.append((a, b))
        else:
            distinct.add((a, b))
    groups = _Groups((r.case_uid for r in rows), distinct)
    refused = tuple(
        (a, b) for a, b in same if a in groups.parent and b in groups.parent
        and not groups.union(a, b)
    )  # fmt: skip
    paper = _papers(rows)
    # rows sharing the compared values and an age, by table: a review's rows are one
    # "table" (never matched among themselves), each local case its own
    buckets: dict[tuple[Any, ...], dict[str, list[str]]] = {}
    compared = attrgetter(*MATCH_COLUMNS[1:])  # the first is the source, compared as a paper
    for r in rows:
        key = (paper(r.patient_source), *compared(r))
        if not r.patient_ages or None in key:
            continue
        origin = r.case_uid if r.source_id == "local" else f"source:{r.source_id}"
        for age in sorted(set(r.patient_ages.split(","))):
            buckets.setdefault((*key, age), {}).setdefault(origin, []).append(r.case_uid)
    for origins in buckets.values():
        if len(origins) < 2:
            continue
        for origin, uids in origins.items():
            for x in uids:
                for other, others in origins.items():
                    if other != origin and any(groups.union(x, y) for y in others):
                        break
    by_root: dict[str, list[Any]] = {}
    for r in rows:
        by_root.setdefault(groups.find(r.case_uid), []).append(r)
    changes: list[dict[str, Any]] = []
    for members in by_root.values():
        head = min(
            members, key=lambda r: (r.status != "reviewed", r.source_id == "local", r.case_uid)
        ).case_uid
        for r in members:
            want = None if r.case_uid == head else head
            if r.duplicate_of != want:
                changes.append({"uid": r.case_uid, "dup": want})
    if changes:
        table = Base.metadata.tables[f.__tablename__]
        s.execute(
            update(table)
            .where(table.c.case_uid == bindparam("uid"))
            .values(duplicate_of=bindparam("dup")),
            changes,
        )
    return DuplicateRefresh(len(changes), refused)


# ----------------------------------------------------------------------------------- registry


class Registry:
    """An open registry database. Use :func:`open_registry` to get one; ``close()`` when done
    (or use it as a context manager)."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self._url = url

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return redact(self._url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One transaction; database errors become RegistryError (after the rollback)."""
        try:
            with Session(self.engine) as session, session.begin():
                yield session
                refresh_duplicates(session)
        except SQLAlchemyError as exc:
            raise RegistryError(f"the database refused the change: {exc.__class__.__name__}: "
                                f"{str(exc).splitlines()[0]}") from exc  # fmt: skip

    # -- reading -------------------------------------------------------------------------

    def get(self, uid: str) -> CaseRecord:
        """The case ``uid`` (deleted ones too: see ``deleted_at``); RegistryError if absent."""
        with Session(self.engine) as s:
            row = s.get(CaseRow, uid)
            if row is None:
                raise RegistryError(f"no case {uid!r} in the registry", Location(field="uid"))
            prov = s.scalars(
                select(FieldProvenanceRow)
                .where(FieldProvenanceRow.case_uid == uid)
                .order_by(FieldProvenanceRow.id)
            ).all()
            return _record(row, prov)

    def find(self, source: SourceRef) -> CaseRecord | None:
        """The case imported from ``source`` (id, table and row), if any."""
        with Session(self.engine) as s:
            uid = s.scalar(
                select(CaseRow.uid).where(
                    CaseRow.source_id == source.id,
                    CaseRow.source_table == source.table,
                    CaseRow.source_row == source.row,
                )
            )
        return None if uid is None else self.get(uid)

    def list_cases(
        self,
        dataset: str | None = None,
        status: CurationStatus | None = None,
        include_deleted: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[CaseSummary]:
        """Cases in uid order, without parsing their JSON."""
        stmt = select(
            CaseRow.uid,
            CaseRow.dataset,
            CaseRow.source_kind,
            CaseRow.source_id,
            CaseRow.source_table,
            CaseRow.source_row,
            CaseRow.status,
            CaseRow.version,
            CaseRow.flags_json,
            CaseRow.deleted_at,
            CaseRow.updated_at,
            CaseRow.updated_by,
        ).order_by(CaseRow.dataset, CaseRow.created_at, func.length(CaseRow.uid), CaseRow.uid)
        if dataset is not None:
            stmt = stmt.where(CaseRow.dataset == dataset)
        if status is not None:
            stmt = stmt.where(CaseRow.status == status)
        if not include_deleted:
            stmt = stmt.where(CaseRow.deleted_at.is_(None))
        if limit is not None:
            stmt = stmt.limit(limit)
        if offset:
            stmt = stmt.offset(offset)
        with Session(self.engine) as s:
            rows = s.execute(stmt).all()
        return [
            CaseSummary(
                uid=r.uid,
                dataset=r.dataset,
                source=_source(r.source_kind, r.source_id, r.source_table, r.source_row),
                status=r.status,
                version=r.version,
                n_flags=len(json.loads(r.flags_json)),
                deleted=r.deleted_at is not None,
                updated_at=_utc(r.updated_at),
                updated_by=r.updated_by,
            )
            for r in rows
        ]

    def count(self, dataset: str | None = None, include_deleted: bool = False) -> int:
        """Stored cases (a patient held twice counts twice: see :meth:`count_patients`)."""
        stmt = select(func.count()).select_from(CaseRow)
        if dataset is not None:
            stmt = stmt.where(CaseRow.dataset == dataset)
        if not include_deleted:
            stmt = stmt.where(CaseRow.deleted_at.is_(None))
        with Session(self.engine) as s:
            return int(s.scalar(stmt) or 0)

    def count_patients(self, dataset: str | None = None) -> int:
        """Live cases counted as patients: each same-patient group once (its cases share
        ``duplicate_of``), the cases of ``dataset`` only when given (a group that reaches into
        another dataset counts here once too). Drafts included, as in :meth:`count`."""
        f = FactsRow
        stmt = select(func.count(func.distinct(func.coalesce(f.duplicate_of, f.case_uid))))
        if dataset is not None:
            stmt = stmt.where(f.dataset == dataset)
        with Session(self.engine) as s:
            return int(s.scalar(stmt) or 0)

    def history(self, uid: str) -> list[HistoryEntry]:
        """Every change of ``uid``, oldest first."""
        with Session(self.engine) as s:
            if s.get(CaseRow, uid) is None:
                raise RegistryError(f"no case {uid!r} in the registry", Location(field="uid"))
            rows = s.scalars(
                select(HistoryRow).where(HistoryRow.case_uid == uid).order_by(HistoryRow.id)
            ).all()
        return [
            HistoryEntry(
                id=r.id,
                uid=r.case_uid,
                version=r.version,
                at=_utc(r.changed_at),
                who=r.changed_by,
                action=r.action,
                field=r.field,
                old=None if r.old_json is None else json.loads(r.old_json),
                new=None if r.new_json is None else json.loads(r.new_json),
                reason=r.reason,
            )
            for r in rows
        ]

    def facts(self, uid: str) -> CaseFacts | None:
        """The facts row of ``uid`` (None for a deleted case)."""
        with Session(self.engine) as s:
            row = s.get(FactsRow, uid)
            if row is None:
                return None
            data = {c: getattr(row, c) for c in CaseFacts.model_fields}
        return CaseFacts.model_validate(data)

    def datasets(self) -> list[DatasetMeta]:
        with Session(self.engine) as s:
            rows = s.scalars(select(DatasetRow).order_by(DatasetRow.name)).all()
            return [
                DatasetMeta(
                    name=r.name,
                    title=r.title,
                    source_id=r.source_id,
                    citation=json.loads(r.citation_json) if r.citation_json else None,
                    licence=r.licence,
                )
                for r in rows
            ]

    def links(self, uid: str) -> list[CaseLink]:
        """Curators' decisions about ``uid`` and another case (linked or unlinked)."""
        with Session(self.engine) as s:
            rows = s.scalars(
                select(LinkRow)
                .where((LinkRow.uid_a == uid) | (LinkRow.uid_b == uid))
                .order_by(LinkRow.id)
            ).all()
            return [
                CaseLink(
                    uid=uid,
                    other=r.uid_b if r.uid_a == uid else r.uid_a,
                    same_patient=r.same_patient,
                    at=_utc(r.decided_at),
                    who=r.decided_by,
                    reason=r.reason,
                )
                for r in rows
            ]

    def same_patient(self, uid: str) -> list[str]:
        """The other live cases counted as the same patient as ``uid`` (rule or link), in uid
        order; empty when ``uid`` stands alone (or is deleted)."""
        with Session(self.engine) as s:
            own = s.get(FactsRow, uid)
            if own is None:
                return []
            head = own.duplicate_of or uid
            group = s.scalars(
                select(FactsRow.case_uid).where(
                    (FactsRow.case_uid == head) | (FactsRow.duplicate_of == head)
                )
            ).all()
        return sorted(u for u in group if u != uid)

    # -- same patient --------------------------------------------------------------------

    def link(self, uid1: str, uid2: str, *, who: str, reason: str | None = None) -> bool:
        """A curator states that ``uid1`` and ``uid2`` are the same patient: they are
        counted once from now on, and both histories record it (action ``link``). Returns
        False when the two were already linked."""
        return self._decide(uid1, uid2, True, who=who, reason=reason)

    def unlink(self, uid1: str, uid2: str, *, who: str, reason: str | None = None) -> bool:
        """A curator states that ``uid1`` and ``uid2`` are different patients: a link is
        undone, and the matching rule no longer pairs them (action ``unlink``). Returns False
        when the two were already unlinked."""
        return self._decide(uid1, uid2, False, who=who, reason=reason)

    def _decide(self, uid1: str, uid2: str, same: bool, *, who: str, reason: str | None) -> bool:
        if uid1 == uid2:
            raise RegistryError("a case cannot be linked to itself", Location(field="uid"))
        a, b = sorted((uid1, uid2))
        with self._write() as s:
            # links can be refused only where some pair is unlinked: check only then
            apart = s.scalar(select(LinkRow.id).where(LinkRow.same_patient.is_(False)).limit(1))
            check = apart is not None or not same
            before = set(refresh_duplicates(s).refused_links) if apart is not None else set()
            rows = {}
            for uid in (a, b):
                row = s.get(CaseRow, uid)
                if row is None:
                    raise RegistryError(f"no case {uid!r} in the registry", Location(field="uid"))
                if row.deleted_at is not None:
                    raise RegistryError(f"case {uid!r} is deleted: restore it first")
                rows[uid] = row
            link = s.scalar(select(LinkRow).where(LinkRow.uid_a == a, LinkRow.uid_b == b))
            if link is not None and link.same_patient == same:
                return False
            now = _now()
            if link is None:
                s.add(LinkRow(uid_a=a, uid_b=b, same_patient=same, decided_at=now,
                              decided_by=who, reason=reason))  # fmt: skip
            else:
                link.same_patient, link.decided_at = same, now
                link.decided_by, link.reason = who, reason
            s.flush()
            s.execute(
                _table(HistoryRow),
                [
                    {
                        "case_uid": uid, "version": rows[uid].version, "changed_at": now,
                        "changed_by": who, "action": "link" if same else "unlink",
                        "field": "same_patient_as",
                        "old_json": None if same else _dumps(other),
                        "new_json": _dumps(other) if same else None, "reason": reason,
                    }
                    for uid, other in ((a, b), (b, a))
                ],
            )  # fmt: skip
            broken = (
                [p for p in refresh_duplicates(s).refused_links if p not in before] if check else []
            )
            if broken:
                pairs = ", ".join(f"{x} ~ {y}" for x, y in broken)
                what = f"linking {a} and {b}" if same else f"unlinking {a} and {b}"
                raise ConflictError(
                    f"{what} contradicts the curators' links ({pairs}): together they would "
                    "make one patient of two cases a curator decided are different patients. "
                    "Unlink one of those first.",
                    Location(field="uid"),
                )
        return True

    # -- writing one case ------------------------------------------------------------------

    def add_case(
        self,
        case: Case,
        *,
        who: str,
        dataset: str = "local",
        source: SourceRef | None = None,
        reported: ReportedSummary | None = None,
        status: CurationStatus = "draft",
        provenance: Sequence[FieldSource] = (),
        flags: Sequence[CurationFlag] = (),
        reason: str | None = None,
    ) -> CaseRecord:
        """Add a case (a local case by default: its uid is ``case.id``); ``reason`` is kept in
        its first history row (``create``)."""
        src = source or SourceRef(kind="local", id="local")
        summary = reported or ReportedSummary()
        with self._write() as s:
            if s.get(CaseRow, case.id) is not None:
                raise RegistryError(
                    f"uid {case.id!r} is taken: give the case another id", Location(field="id")
                )
            self._ensure_dataset(s, DatasetMeta(dataset), who)
            self._insert(
                s, case.id, dataset, src, Abstraction(
                    case=case, reported=summary, provenance=tuple(provenance), flags=tuple(flags)
                ), status, who, _now(), "create", reason,
            )  # fmt: skip
        return self.get(case.id)

    def update(
        self,
        uid: str,
        *,
        expected_version: int,
        who: str,
        case: Case | None = None,
        reported: ReportedSummary | None = None,
        status: CurationStatus | None = None,
        flags: Sequence[CurationFlag] | None = None,
        reason: str | None = None,
    ) -> CaseRecord:
        """Change a case: one history row per changed field, version + 1. Raises ConflictError
        when ``expected_version`` is not the stored version."""
        if case is not None and case.id != uid:
            raise RegistryError(
                f"the case's id {case.id!r} is not the uid {uid!r}", Location(field="id")
            )
        if status is not None and status not in STATUSES:
            raise RegistryError(f"unknown status {status!r}; statuses are: {', '.join(STATUSES)}")
        with self._write() as s:
            row = self._current(s, uid, expected_version)
            if row.deleted_at is not None:
                raise RegistryError(f"case {uid!r} is deleted: restore it first")
            old = _record(row, ())
            new_case = case or old.case
            new_reported = reported if reported is not None else old.reported
            new_flags = tuple(flags) if flags is not None else old.flags
            new_status = status or old.status
            self._change(
                s, row, old, new_case, new_reported, new_flags, new_status, None,
                who=who, action="update", reason=reason,
            )  # fmt: skip
        return self.get(uid)

    def set_status(
        self, uid: str, status: CurationStatus, *, expected_version: int, who: str
    ) -> CaseRecord:
        return self.update(uid, expected_version=expected_version, who=who, status=status)

    def delete(
        self, uid: str, *, expected_version: int, who: str, reason: str | None = None
    ) -> CaseRecord:
        """Soft-delete: the case stays (with its history) but leaves listings and facts."""
        with self._write() as s:
            row = self._current(s, uid, expected_version)
            if row.deleted_at is not None:
                raise RegistryError(f"case {uid!r} is already deleted")
            now = _now()
            self._bump(s, uid, expected_version, who, now, deleted_at=now, deleted_by=who)
            s.add(
                HistoryRow(
                    case_uid=uid, version=expected_version + 1, changed_at=now, changed_by=who,
                    action="delete", field="deleted_at", old_json=None,
                    new_json=_dumps(now.isoformat()), reason=reason,
                )
            )  # fmt: skip
            s.execute(delete(FactsRow).where(FactsRow.case_uid == uid))
        return self.get(uid)

    def restore(
        self, uid: str, *, expected_version: int, who: str, reason: str | None = None
    ) -> CaseRecord:
        """Undo a soft delete."""
        with self._write() as s:
            row = self._current(s, uid, expected_version)
            if row.deleted_at is None:
                raise RegistryError(f"case {uid!r} is not deleted")
            was = _utc(row.deleted_at).isoformat()
            now = _now()
            self._bump(s, uid, expected_version, who, now, deleted_at=None, deleted_by=None)
            s.add(
                HistoryRow(
                    case_uid=uid, version=expected_version + 1, changed_at=now, changed_by=who,
                    action="restore", field="deleted_at", old_json=_dumps(was), new_json=None,
                    reason=reason,
                )
            )  # fmt: skip
            rec = _record(row, ())
            s.add(FactsRow(**_facts(
                uid, rec.dataset, rec.status, rec.source, rec.case, rec.reported, rec.flags
            )))  # fmt: skip
        return self.get(uid)

    def rebuild_facts(self, dataset: str | None = None, batch: int = 2000) -> int:
        """Recompute every live case's facts row (after a migration or a change of the
        derivation). Returns the number of rows written."""
        stmt = select(
            CaseRow.uid, CaseRow.dataset, CaseRow.status, CaseRow.source_kind,
            CaseRow.source_id, CaseRow.source_table, CaseRow.source_row, CaseRow.case_json,
            CaseRow.reported_json, CaseRow.flags_json,
        ).where(CaseRow.deleted_at.is_(None)).order_by(CaseRow.uid)  # fmt: skip
        if dataset is not None:
            stmt = stmt.where(CaseRow.dataset == dataset)
        n = 0
        with self._write() as s:
            gone = delete(FactsRow)
            if dataset is not None:
                gone = gone.where(FactsRow.dataset == dataset)
            s.execute(gone)
            rows = s.execute(stmt).all()
            for start in range(0, len(rows), batch):
                chunk = []
                for r in rows[start : start + batch]:
                    case = Case.model_validate(json.loads(r.case_json))
                    reported = ReportedSummary.model_validate(json.loads(r.reported_json))
                    flags = [CurationFlag.model_validate(f) for f in json.loads(r.flags_json)]
                    source = _source(r.source_kind, r.source_id, r.source_table, r.source_row)
                    chunk.append(_facts(r.uid, r.dataset, r.status, source, case, reported, flags))
                if chunk:
                    s.execute(_table(FactsRow), chunk)
                n += len(chunk)
        return n

    # -- importing many ----------------------------------------------------------------------

    def import_abstractions(
        self,
        items: Iterable[tuple[str, Abstraction]],
        *,
        source: SourceRef,
        dataset: str,
        who: str,
        meta: DatasetMeta | None = None,
        batch: int = 2000,
        status: CurationStatus = "draft",
    ) -> ImportReport:
        """Import rows (row key, abstraction) of one source table in ONE transaction.

        Matched by (source id, table, row): a row already imported is left alone when nothing
        changed, updated with history rows when it did (drafts only), and skipped when the case
        was reviewed or deleted since. New rows get a uid ``<dataset slug>-<row slug>``.
        ``items`` may be a generator: rows are written ``batch`` at a time inside the one
        transaction, so memory stays flat. Any error, in the rows or the database, rolls the
        whole import back. New rows get ``status`` (``draft``; the bundled, published
        datasets are loaded ``reviewed``).
        """
        if status not in STATUSES:
            raise RegistryError(f"unknown status {status!r}; statuses are: {', '.join(STATUSES)}")
        report = ImportReport(source=source, dataset=dataset)
        now = _now()
        with self._write() as s:
            self._ensure_dataset(s, meta or DatasetMeta(dataset, source_id=source.id), who)
            mine = (CaseRow.source_id == source.id) & (CaseRow.source_table == source.table)
            existing = {
                r.source_row: r
                for r in s.execute(
                    select(
                        CaseRow.uid, CaseRow.source_row, CaseRow.status, CaseRow.deleted_at,
                        CaseRow.case_json, CaseRow.reported_json, CaseRow.flags_json,
                    ).where(mine)
                ).all()
            }  # fmt: skip
            stored: dict[str, dict[str, Any]] = {}
            if existing:
                prov = s.execute(
                    select(FieldProvenanceRow).join(
                        CaseRow, CaseRow.uid == FieldProvenanceRow.case_uid
                    ).where(mine)
                ).scalars()  # fmt: skip
                for p in prov:
                    stored.setdefault(p.case_uid, {})[p.field] = _stored_provenance(p)
            prefix = (slug(dataset) or "case")[:40].strip("-")
            taken = set(s.scalars(select(CaseRow.uid).where(CaseRow.uid.like(f"{prefix}-%"))).all())
            pending = _Pending()
            seen: set[str] = set()
            for key, item in items:
                report.rows += 1
                if key in seen:
                    raise RegistryError(f"row {key!r} appears twice in one import")
                seen.add(key)
                src = source.model_copy(update={"row": key})
                row = existing.get(key)
                if row is None:
                    uid = _allocate(prefix, key, taken)
                    case = item.case.model_copy(update={"id": uid})
                    docs = _docs(case, item.reported, item.flags, status, with_doc=False)
                    pending.cases.append(_case_row(uid, dataset, src, status, docs, who, now))
                    pending.provs.extend(_provenance_rows(uid, item.provenance))
                    pending.hist.append(
                        {
                            "case_uid": uid, "version": 1, "changed_at": now, "changed_by": who,
                            "action": "import", "field": "*", "old_json": None, "new_json": None,
                            "reason": f"imported from {src.describe()}",
                        }
                    )  # fmt: skip
                    pending.facts.append(
                        _facts(uid, dataset, status, src, case, item.reported, item.flags)
                    )
                    report.created.append(uid)
                    report.flagged.extend((uid, f) for f in item.flags)
                    if len(pending.cases) >= batch:
                        pending.flush(s)
                    continue
                uid = row.uid
                if row.deleted_at is not None:
                    report.skipped.append((uid, "deleted in the registry"))
                    continue
                case = item.case.model_copy(update={"id": uid})
                docs = _docs(case, item.reported, item.flags, row.status, with_doc=False)
                same = (
                    (docs.case_json, docs.reported_json, docs.flags_json)
                    == (row.case_json, row.reported_json, row.flags_json)
                    and _new_provenance(item.provenance) == stored.get(uid, {})
                )  # fmt: skip
                if same:
                    report.unchanged.append(uid)
                    continue
                if row.status == "reviewed":
                    report.skipped.append((uid, "reviewed: a curator's version is kept"))
                    continue
                current = s.get(CaseRow, uid)
                assert current is not None
                old = _record(current, self._provenance(s, uid))
                self._change(
                    s, current, old, case, item.reported, item.flags, row.status,
                    item.provenance, who=who, action="import",
                    reason=f"re-imported from {src.describe()}",
                )  # fmt: skip
                report.updated.append(uid)
                report.flagged.extend((uid, f) for f in item.flags)
            pending.flush(s)
        return report

    # -- internals -----------------------------------------------------------------------------

    def _ensure_dataset(self, s: Session, meta: DatasetMeta, who: str) -> None:
        row = s.get(DatasetRow, meta.name)
        citation = _dumps(dict(meta.citation)) if meta.citation else None
        if row is None:
            s.add(
                DatasetRow(
                    name=meta.name, title=meta.title, source_id=meta.source_id,
                    citation_json=citation, licence=meta.licence, loaded_at=_now(), loaded_by=who,
                )
            )  # fmt: skip
            s.flush()
            return
        if meta.title is not None or meta.citation is not None or meta.licence is not None:
            row.title = meta.title or row.title
            row.citation_json = citation or row.citation_json
            row.licence = meta.licence or row.licence
            row.source_id = meta.source_id or row.source_id
        row.loaded_at = _now()
        row.loaded_by = who

    def _provenance(self, s: Session, uid: str) -> list[FieldProvenanceRow]:
        return list(
            s.scalars(
                select(FieldProvenanceRow)
                .where(FieldProvenanceRow.case_uid == uid)
                .order_by(FieldProvenanceRow.id)
            ).all()
        )

    def _current(self, s: Session, uid: str, expected_version: int) -> CaseRow:
        row = s.get(CaseRow, uid, with_for_update=self.dialect == "postgresql")
        if row is None:
            raise RegistryError(f"no case {uid!r} in the registry", Location(field="uid"))
        if row.version != expected_version:
            raise _conflict(row, expected_version)
        return row

    def _bump(
        self, s: Session, uid: str, expected: int, who: str, now: dt.datetime, **values: Any
    ) -> None:
        result = s.execute(
            update(CaseRow)
            .where(CaseRow.uid == uid, CaseRow.version == expected)
            .values(version=expected + 1, updated_at=now, updated_by=who, **values)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 1) != 1:
            s.expire_all()
            current = s.get(CaseRow, uid)
            assert current is not None
            raise _conflict(current, expected)

    def _insert(
        self,
        s: Session,
        uid: str,
        dataset: str,
        source: SourceRef,
        item: Abstraction,
        status: str,
        who: str,
        now: dt.datetime,
        action: str,
        reason: str | None,
    ) -> None:
        docs = _docs(item.case, item.reported, item.flags, status)
        s.execute(_table(CaseRow), [_case_row(uid, dataset, source, status, docs, who, now)])
        if item.provenance:
            s.execute(_table(FieldProvenanceRow), _provenance_rows(uid, item.provenance))
        s.execute(
            _table(HistoryRow),
            [{
                "case_uid": uid, "version": 1, "changed_at": now, "changed_by": who,
                "action": action, "field": "*", "old_json": None, "new_json": None,
                "reason": reason,
            }],
        )  # fmt: skip
        s.execute(
            _table(FactsRow),
            [_facts(uid, dataset, status, source, item.case, item.reported, item.flags)],
        )

    def _change(
        self,
        s: Session,
        row: CaseRow,
        old: CaseRecord,
        case: Case,
        reported: ReportedSummary,
        flags: Sequence[CurationFlag],
        status: str,
        provenance: Sequence[FieldSource] | None,
        *,
        who: str,
        action: str,
        reason: str | None,
    ) -> bool:
        """Write the differences as history rows, bump the version, refresh the facts."""
        before = _docs(old.case, old.reported, old.flags, old.status,
                       old.provenance if provenance is not None else None)  # fmt: skip
        after = _docs(case, reported, flags, status, provenance)
        changes = list(diff(before.doc, after.doc))
        if not changes:
            return False
        now = _now()
        version = row.version + 1
        uid = row.uid
        self._bump(
            s, uid, row.version, who, now, status=status, case_json=after.case_json,
            reported_json=after.reported_json, flags_json=after.flags_json,
        )  # fmt: skip
        s.execute(
            _table(HistoryRow),
            [
                {
                    "case_uid": uid, "version": version, "changed_at": now, "changed_by": who,
                    "action": action, "field": path,
                    "old_json": None if a is None else _dumps(a),
                    "new_json": None if b is None else _dumps(b), "reason": reason,
                }
                for path, a, b in changes
            ],
        )  # fmt: skip
        if provenance is not None:
            s.execute(delete(FieldProvenanceRow).where(FieldProvenanceRow.case_uid == uid))
            if provenance:
                s.execute(_table(FieldProvenanceRow), _provenance_rows(uid, provenance))
        s.execute(delete(FactsRow).where(FactsRow.case_uid == uid))
        s.execute(
            _table(FactsRow),
            [_facts(uid, old.dataset, status, old.source, case, reported, flags)],
        )
        return True


@dataclass
class _Pending:
    """New rows waiting to be written, table by table (parents first)."""

    cases: list[dict[str, Any]] = field(default_factory=list)
    provs: list[dict[str, Any]] = field(default_factory=list)
    hist: list[dict[str, Any]] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)

    def flush(self, s: Session) -> None:
        batches: tuple[tuple[type[Base], list[dict[str, Any]]], ...] = (
            (CaseRow, self.cases),
            (FieldProvenanceRow, self.provs),
            (HistoryRow, self.hist),
            (FactsRow, self.facts),
        )
        for model, rows in batches:
            if rows:
                s.execute(_table(model), rows)
                rows.clear()


def _new_provenance(provenance: Sequence[FieldSource]) -> dict[str, Any]:
    return {
        p.field: p.model_dump(mode="json", exclude={"field"}, exclude_none=True) for p in provenance
    }


def _stored_provenance(p: FieldProvenanceRow) -> dict[str, Any]:
    """A stored provenance row in the shape of :func:`_new_provenance`'s values."""
    out: dict[str, Any] = {"verbatim": p.verbatim, "parsed": p.parsed}
    if p.message is not None:
        out["message"] = p.message
    if p.source_line is not None:
        out["line"] = p.source_line
    out["paths"] = json.loads(p.paths_json)
    return out


def _table(model: type[Base]) -> Insert:
    """A Core INSERT of ``model``'s table: executemany, no primary keys fetched back."""
    return Base.metadata.tables[model.__tablename__].insert()


def _allocate(prefix: str, key: str, taken: set[str]) -> str:
    base = f"{prefix}-{(slug(key) or 'row')[:20]}"
    uid, n = base, 2
    while uid in taken:
        uid = f"{base}-{n}"
        n += 1
    taken.add(uid)
    return uid


def _case_row(
    uid: str, dataset: str, source: SourceRef, status: str, docs: _Docs, who: str, now: dt.datetime
) -> dict[str, Any]:
    return {
        "uid": uid,
        "dataset": dataset,
        "source_kind": source.kind,
        "source_id": source.id,
        "source_table": source.table,
        "source_row": source.row,
        "status": status,
        "version": 1,
        "case_json": docs.case_json,
        "reported_json": docs.reported_json,
        "flags_json": docs.flags_json,
        "created_at": now,
        "created_by": who,
        "updated_at": now,
        "updated_by": who,
        "deleted_at": None,
        "deleted_by": None,
    }


def _source(kind: str, id_: str, table: str | None, row: str | None) -> SourceRef:
    return SourceRef(kind=kind, id=id_, table=table, row=row)


def _conflict(row: CaseRow, expected: int) -> ConflictError:
    return ConflictError(
        f"case {row.uid!r} was saved by {row.updated_by} at {_utc(row.updated_at).isoformat()} "
        f"(now version {row.version}); your change was based on version {expected}: reload "
        "the case and apply your change again",
        Location(field="version"),
    )


def _record(row: CaseRow, provenance: Sequence[FieldProvenanceRow]) -> CaseRecord:
    return CaseRecord(
        uid=row.uid,
        dataset=row.dataset,
        source=_source(row.source_kind, row.source_id, row.source_table, row.source_row),
        status=row.status,
        version=row.version,
        case=Case.model_validate(json.loads(row.case_json)),
        reported=ReportedSummary.model_validate(json.loads(row.reported_json)),
        provenance=tuple(
            FieldSource(
                field=p.field,
                verbatim=p.verbatim,
                parsed=p.parsed,
                message=p.message,
                line=p.source_line,
                paths=tuple(json.loads(p.paths_json)),
            )
            for p in provenance
        ),
        flags=tuple(CurationFlag.model_validate(f) for f in json.loads(row.flags_json)),
        created_at=_utc(row.created_at),
        created_by=row.created_by,
        updated_at=_utc(row.updated_at),
        updated_by=row.updated_by,
        deleted_at=_utc(row.deleted_at) if row.deleted_at is not None else None,
        deleted_by=row.deleted_by,
    )
