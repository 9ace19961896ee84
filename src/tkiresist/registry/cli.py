"""``tkiresist registry ...``: a typer sub-app, mounted by :mod:`tkiresist.cli` as ``registry``.

Commands: ``migrate``, ``import-table``, ``load-dataset``, ``list``, ``show UID``,
``history UID``, ``link UID1 UID2 --reason R`` and ``unlink UID1 UID2 --reason R`` (a curator's
decision that two cases are, or are not, the same patient). Every command takes ``--db URL``
(or the ``TKIRESIST_DB`` environment variable; default: the SQLite file in the user's data
directory). Library errors become one line each on stderr and exit code 2; the database layer
is imported inside the commands so that ``tkiresist --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tkiresist.cli_support import DbOption, guarded, new_app
from tkiresist.errors import TkiResistError

if TYPE_CHECKING:
    from tkiresist.registry.db import Registry


registry_app = new_app(
    "registry", "The case registry: import published tables, list, show and trace cases."
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _open(db: str | None) -> Registry:
    from tkiresist.registry.opening import open_registry

    return open_registry(db)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@registry_app.command()
def migrate(
    db: DbOption = None,
    to: Annotated[str, typer.Option("--to", help="Target revision.")] = "head",
) -> None:
    """Upgrade the registry's schema to this version of tkiresist (back it up first)."""
    from tkiresist.registry import db as dbmod

    def run() -> None:
        result = dbmod.migrate(db, to)
        if result.changed:
            typer.echo(
                f"migrated {dbmod.redact(dbmod.normalize_url(db or dbmod.default_url()))} "
                f"from {result.before or 'empty'} to {result.after}; "
                f"{result.facts_rebuilt} facts rows rebuilt"
            )
        else:
            typer.echo(f"already at {result.after}")

    guarded(run)


@registry_app.command("import-table")
def import_table(
    file: Annotated[Path, typer.Argument(help="The table: paper text, CSV or XLSX.")],
    source: Annotated[
        str, typer.Option("--source", help="The publication: DOI (10.x/...) or PMID.")
    ],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="seed-text, csv or xlsx (default: from the suffix)."),
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="YAML column mapping file.")
    ] = None,
    dataset: Annotated[
        str | None, typer.Option("--dataset", help="Dataset name (default: the source).")
    ] = None,
    table: Annotated[
        str | None, typer.Option("--table", help="The table's name in the source.")
    ] = None,
    who: Annotated[str | None, typer.Option("--who", help="Curator name for history.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import a published review table: all rows or none; re-importing is idempotent."""
    from tkiresist.registry.importers import import_table as run_import
    from tkiresist.registry.tables import FORMATS

    def run() -> None:
        if fmt is not None and fmt not in FORMATS:
            raise TkiResistError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        with _open(db) as registry:
            report = run_import(
                registry,
                file,
                source=source,
                fmt=fmt,
                mapping=mapping,
                dataset=dataset,
                table=table,
                who=who,
            )
        if as_json:
            _echo_json(
                {
                    "source": report.source.model_dump(),
                    "dataset": report.dataset,
                    "rows": report.rows,
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                    "skipped": [{"uid": u, "reason": r} for u, r in report.skipped],
                    "flagged": [{"uid": u, **f.model_dump()} for u, f in report.flagged],
                }
            )
            return
        typer.echo(report.summary())
        for uid, reason in report.skipped:
            typer.echo(f"  skipped {uid}: {reason}")
        for uid, flag in report.flagged:
            typer.echo(f"  flagged {uid} {flag.field}: {flag.verbatim!r}: {flag.reason}")

    guarded(run)


@registry_app.command("load-dataset")
def load_dataset(
    name: Annotated[str, typer.Argument(help="A bundled dataset, e.g. cheung2025-table1.")],
    who: Annotated[str | None, typer.Option("--who", help="Curator name for history.")] = None,
    db: DbOption = None,
) -> None:
    """Load a bundled literature dataset (idempotent)."""
    from tkiresist.registry.importers import load_dataset as run_load

    def run() -> None:
        with _open(db) as registry:
            report = run_load(registry, name, who=who)
        typer.echo(report.summary())

    guarded(run)


@registry_app.command("list")
def list_cases(
    dataset: Annotated[str | None, typer.Option("--dataset", help="Only this dataset.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="draft or reviewed.")] = None,
    include_deleted: Annotated[
        bool, typer.Option("--deleted", help="Include soft-deleted cases.")
    ] = False,
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List cases: uid, dataset, source row, status, version, flags."""

    def run() -> None:
        if status is not None and status not in ("draft", "reviewed"):
            raise TkiResistError(f"--status must be draft or reviewed, not {status!r}")
        with _open(db) as registry:
            rows = registry.list_cases(dataset, status, include_deleted, limit)  # type: ignore[arg-type]
            whole = status is None and not include_deleted and limit is None
            patients = registry.count_patients(dataset) if whole else None
        if as_json:
            _echo_json([r.model_dump(mode="json") for r in rows])
            return
        for r in rows:
            mark = " (deleted)" if r.deleted else ""
            flags = f" {r.n_flags} flag(s)" if r.n_flags else ""
            typer.echo(
                f"{r.uid}\t{r.dataset}\t{r.source.describe()}\t{r.status} v{r.version}{flags}{mark}"
            )
        counted = "" if patients is None else f"; {patients} patient(s), each counted once"
        typer.echo(f"{len(rows)} case(s){counted}", err=True)

    guarded(run)


@registry_app.command()
def show(
    uid: Annotated[str, typer.Argument(help="The case's uid.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one case: source, status, curation flags, verbatim source text, facts."""

    def run() -> None:
        with _open(db) as registry:
            record = registry.get(uid)
            facts = registry.facts(uid)
            same = registry.same_patient(uid)
            links = registry.links(uid)
        if as_json:
            data = record.model_dump(mode="json")
            data["facts"] = facts.model_dump(mode="json") if facts else None
            data["same_patient"] = same
            data["links"] = [
                {"other": k.other, "same_patient": k.same_patient, "at": k.at.isoformat(),
                 "who": k.who, "reason": k.reason}
                for k in links
            ]  # fmt: skip
            _echo_json(data)
            return
        typer.echo(f"{record.uid}  ({record.dataset}, {record.status}, version {record.version})")
        typer.echo(f"source: {record.source.describe()}")
        if record.reported.primary_source is not None:
            ps = record.reported.primary_source
            doi = f" doi:{ps.doi}" + (" (uncertain)" if ps.uncertain else "") if ps.doi else ""
            typer.echo(f"study: {ps.text}{doi}")
        if record.deleted_at is not None:
            typer.echo(f"DELETED at {record.deleted_at.isoformat()} by {record.deleted_by}")
        typer.echo(f"updated: {record.updated_at.isoformat()} by {record.updated_by}")
        for flag in record.flags:
            typer.echo(f"FLAG {flag.field}: {flag.verbatim!r}: {flag.reason}")
        if record.provenance:
            typer.echo("source text:")
            for p in record.provenance:
                state = "" if p.parsed else "  [did not parse]"
                line = f" (line {p.line})" if p.line else ""
                text = p.message if p.field == "_row" else repr(p.verbatim)
                typer.echo(f"  {p.field}{line}: {text}{state}")
        if facts is not None and facts.duplicate_of is not None:
            typer.echo(
                f"LIKELY SAME PATIENT as {facts.duplicate_of}: counted once, as "
                f"{facts.duplicate_of}, in pooled evidence"
            )
        if same:
            typer.echo(f"same patient (counted once): {', '.join(same)}")
        for link in links:
            verdict = "linked as the same patient" if link.same_patient else "unlinked"
            why = f" ({link.reason})" if link.reason else ""
            typer.echo(f"{verdict}: {link.other}, by {link.who} at "
                       f"{link.at.isoformat(timespec='seconds')}{why}")  # fmt: skip
        if facts is not None:
            typer.echo("facts:")
            for key, value in facts.model_dump().items():
                if value is not None and key not in ("case_uid", "dataset", "status"):
                    typer.echo(f"  {key}: {value}")

    guarded(run)


@registry_app.command()
def history(
    uid: Annotated[str, typer.Argument(help="The case's uid.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every change of one case: version, when, who, what, field, old -> new."""

    def run() -> None:
        with _open(db) as registry:
            entries = registry.history(uid)
        if as_json:
            _echo_json([e.model_dump(mode="json") for e in entries])
            return
        for e in entries:
            change = ""
            if e.old is not None or e.new is not None:
                change = f": {json.dumps(e.old, ensure_ascii=False)} -> "
                change += json.dumps(e.new, ensure_ascii=False)
            why = f"  ({e.reason})" if e.reason else ""
            typer.echo(
                f"v{e.version} {e.at.isoformat(timespec='seconds')} {e.who} {e.action} "
                f"{e.field}{change}{why}"
            )

    guarded(run)


ReasonOption = Annotated[str, typer.Option("--reason", help="Why (kept in both cases' history).")]


def _decide(uid1: str, uid2: str, reason: str, db: str | None, same: bool) -> None:
    from tkiresist.registry.importers import current_user

    def run() -> None:
        if not reason.strip():
            raise TkiResistError("--reason must say why")
        with _open(db) as registry:
            do = registry.link if same else registry.unlink
            changed = do(uid1, uid2, who=current_user(), reason=reason.strip())
            group = registry.same_patient(uid1)
        what = "linked as the same patient" if same else "unlinked (different patients)"
        typer.echo(f"{uid1} and {uid2} {what}" + ("" if changed else " already"))
        typer.echo(
            f"{uid1} is counted once with: {', '.join(group)}" if group
            else f"{uid1} stands alone in pooled counts"
        )  # fmt: skip

    guarded(run)


@registry_app.command()
def link(
    uid1: Annotated[str, typer.Argument(help="A case's uid.")],
    uid2: Annotated[str, typer.Argument(help="The other case's uid.")],
    reason: ReasonOption,
    db: DbOption = None,
) -> None:
    """State that two cases are the same patient: pooled counts count them once; both
    histories record the link."""
    _decide(uid1, uid2, reason, db, True)


@registry_app.command()
def unlink(
    uid1: Annotated[str, typer.Argument(help="A case's uid.")],
    uid2: Annotated[str, typer.Argument(help="The other case's uid.")],
    reason: ReasonOption,
    db: DbOption = None,
) -> None:
    """State that two cases are different patients: undoes a link, and stops the matching
    rule from pairing them; both histories record it."""
    _decide(uid1, uid2, reason, db, False)
