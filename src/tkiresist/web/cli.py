"""``tkiresist serve`` and ``tkiresist user ...``: the web application's commands.

:func:`serve` and :data:`user_app` are mounted by :mod:`tkiresist.cli`. Only typer is imported
here; FastAPI, uvicorn, SQLAlchemy and argon2 are imported inside the commands.
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Annotated

import typer

from tkiresist.cli_support import EXIT_BAD_INPUT, DbOption, error_exit, new_app
from tkiresist.errors import TkiResistError

user_app = new_app("user", "Accounts of the web application (tkiresist serve).")


def _who() -> str:
    from tkiresist.registry.importers import current_user

    return f"cli:{current_user()}"


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    proxy_headers: Annotated[
        bool,
        typer.Option(
            help="Trust X-Forwarded-Proto/For from the proxy at 127.0.0.1 (TLS terminated there)."
        ),
    ] = False,
) -> None:
    """Run the web application (API under /api, pages at /). FOR RESEARCH USE ONLY.

    Create the first admin with `tkiresist user add NAME --role admin` first. Cookies are
    marked Secure when requests come over https (terminate TLS in a proxy and pass
    --proxy-headers)."""
    import uvicorn

    from tkiresist.registry.db import redact
    from tkiresist.web.context import build_context
    from tkiresist.web.settings import Settings

    if db is not None:
        os.environ["TKIRESIST_DB"] = db
    try:
        # migrations once, here, before any worker starts
        ctx = build_context(Settings.from_env())
    except TkiResistError as exc:
        raise error_exit(exc) from None
    admins = ctx.store.count_users("admin")
    where = redact(ctx.registry.url)
    ctx.registry.close()
    if admins == 0:
        typer.echo(
            "warning: no admin account yet: create one with `tkiresist user add NAME --role admin`",
            err=True,
        )
    typer.echo(f"tkiresist: database {where}; serving on http://{host}:{port}", err=True)
    options = {
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "proxy_headers": proxy_headers,
        "forwarded_allow_ips": "127.0.0.1" if proxy_headers else None,
        "log_level": "info",
    }
    if workers == 1:
        uvicorn.run("tkiresist.web.app:app_from_env", **options)  # type: ignore[arg-type]
        return
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("tkiresist.web.app:app_from_env", **options)  # type: ignore[arg-type]
    Multiprocess(config, sockets=[_tcp_socket(host, port)]).run()


def _tcp_socket(host: str, port: int) -> socket.socket:
    """The listening socket the workers share, made with protocol TCP: uvicorn's own has
    protocol 0, and asyncio then leaves Nagle's algorithm on for its connections, which
    costs a delayed-ACK wait (~40 ms) on every keep-alive request."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        typer.echo(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    sock.set_inheritable(True)
    return sock


def _read_password() -> str:
    if sys.stdin.isatty():
        text: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return text
    return sys.stdin.readline().rstrip("\r\n")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="The user name.")],
    role: Annotated[str, typer.Option(help="viewer, curator or admin.")] = "viewer",
    db: DbOption = None,
) -> None:
    """Add a user. The password is asked for (or read from the first line of stdin)."""
    from tkiresist.registry.opening import open_registry
    from tkiresist.web.store import WebStore, check_name, check_role, migrate_web

    try:
        check_name(name)
        check_role(role)
        password = _read_password()
        with open_registry(db) as registry:
            migrate_web(registry.engine)
            store = WebStore(registry.engine)
            user = store.add_user(name, password, role, who=_who())
            store.audit(_who(), "user.add", user.name, detail={"role": role, "via": "cli"})
    except TkiResistError as exc:
        raise error_exit(exc) from None
    typer.echo(f"added {user.role} {user.name!r}")


@user_app.command("list")
def user_list(db: DbOption = None) -> None:
    """List the users."""
    from tkiresist.registry.opening import open_registry
    from tkiresist.web.store import WebStore, migrate_web

    try:
        with open_registry(db) as registry:
            migrate_web(registry.engine)
            users = WebStore(registry.engine).list_users()
    except TkiResistError as exc:
        raise error_exit(exc) from None
    for u in users:
        state = "" if u.active else " (inactive)"
        typer.echo(f"{u.name}\t{u.role}{state}")


@user_app.command("password")
def user_password(
    name: Annotated[str, typer.Argument(help="The user name.")],
    db: DbOption = None,
) -> None:
    """Set a user's password (asked for, or read from stdin); their sessions end."""
    from tkiresist.registry.opening import open_registry
    from tkiresist.web.store import WebStore, migrate_web

    try:
        password = _read_password()
        with open_registry(db) as registry:
            migrate_web(registry.engine)
            store = WebStore(registry.engine)
            store.change_user(name, password=password)
            store.audit(_who(), "user.change", name, detail={"password": "changed", "via": "cli"})
    except TkiResistError as exc:
        raise error_exit(exc) from None
    typer.echo(f"password of {name!r} changed")


@user_app.command("locks")
def user_locks(
    show_all: Annotated[
        bool, typer.Option("--all", help="Also the streaks of failed logins below the limits.")
    ] = False,
    db: DbOption = None,
) -> None:
    """List the login throttles in force: a user name from an address, or an address."""
    import datetime as dt

    from tkiresist.registry.opening import open_registry
    from tkiresist.web.settings import Settings
    from tkiresist.web.store import WebStore, migrate_web

    s = Settings()
    try:
        with open_registry(db) as registry:
            migrate_web(registry.engine)
            locks = WebStore(registry.engine).login_locks(
                dt.datetime.now(dt.UTC) - s.login_window,
                s.login_window,
                s.login_max_per_user_address,
                s.login_max_per_address,
                include_unlocked=show_all,
            )
    except TkiResistError as exc:
        raise error_exit(exc) from None
    if not locks:
        typer.echo("no login throttles in force", err=True)
    for lock in locks:  # user names are whatever was typed at the login: shown quoted if odd
        until = lock.until.isoformat(timespec="seconds") if lock.until else "-"
        who = "-" if lock.user is None else lock.user
        who = who if who.isprintable() else repr(who)
        typer.echo(f"{lock.scope}\t{who}\t{lock.address}\t{lock.failures}/{lock.limit}\t{until}")


@user_app.command("unlock")
def user_unlock(
    name: Annotated[
        str | None, typer.Argument(help="The user name (all its addresses unless --address).")
    ] = None,
    address: Annotated[
        str | None, typer.Option(help="The client address (as `tkiresist user locks` lists).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Clear login throttles: a user's, an address's, or a user's from one address."""
    from tkiresist.registry.opening import open_registry
    from tkiresist.web.store import WebStore, migrate_web, throttle_key

    key = None if address is None else throttle_key(address.strip())
    detail = {k: v for k, v in (("user", name), ("address", key), ("via", "cli")) if v}
    try:
        with open_registry(db) as registry:
            migrate_web(registry.engine)
            store = WebStore(registry.engine)
            cleared = store.clear_locks(name=name, remote=key)
            store.audit(_who(), "login.unlock", name or key, detail={**detail, "cleared": cleared})
    except TkiResistError as exc:
        raise error_exit(exc) from None
    typer.echo(f"cleared {cleared} failed login{'s' if cleared != 1 else ''}")
