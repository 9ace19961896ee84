"""``tkiresist user ...`` and ``tkiresist serve``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tkiresist.cli import app

PASSWORD = "correct horse battery"


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'registry.sqlite'}"


def test_user_add_reads_the_password_from_stdin(db: str) -> None:
    runner = CliRunner()
    out = runner.invoke(
        app, ["user", "add", "ada", "--role", "admin", "--db", db], input=PASSWORD + "\n"
    )
    assert out.exit_code == 0, out.output
    assert "added admin 'ada'" in out.stdout
    listed = runner.invoke(app, ["user", "list", "--db", db])
    assert listed.exit_code == 0 and "ada\tadmin" in listed.stdout

    from tkiresist.registry.opening import open_registry
    from tkiresist.web.store import WebStore

    with open_registry(db) as registry:
        store = WebStore(registry.engine)
        assert store.authenticate("ada", PASSWORD) is not None
        assert store.authenticate("ada", "wrong") is None
        entry = store.audit_entries(action="user.add")[0]
        assert entry.target == "ada" and entry.user is not None and entry.user.startswith("cli:")


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["user", "add", "bob", "--role", "king"], PASSWORD, "unknown role 'king'"),
        (["user", "add", "bob"], "short", "too short"),
        (["user", "add", "bad name"], PASSWORD, "invalid user name"),
    ],
)
def test_user_add_refusals_exit_2(db: str, args: list[str], password: str, message: str) -> None:
    out = CliRunner().invoke(app, [*args, "--db", db], input=password + "\n")
    assert out.exit_code == 2
    assert message in out.output


def test_user_add_twice_exit_2(db: str) -> None:
    runner = CliRunner()
    args = ["user", "add", "ada", "--db", db]
    assert runner.invoke(app, args, input=PASSWORD + "\n").exit_code == 0
    again = runner.invoke(app, args, input=PASSWORD + "\n")
    assert again.exit_code == 2 and "exists" in again.output


def test_user_password_changes_it(db: str) -> None:
    runner = CliRunner()
    runner.invoke(app, ["user", "add", "ada", "--db", db], input=PASSWORD + "\n")
    out = runner.invoke(app, ["user", "password", "ada", "--db", db], input="another long one\n")
    assert out.exit_code == 0, out.output

    from tkiresist.registry.opening import open_registry
    from tkiresist.web.store import WebStore

    with open_registry(db) as registry:
        store = WebStore(registry.engine)
        assert store.authenticate("ada", "another long one") is not None
        assert store.authenticate("ada", PASSWORD) is None


def test_user_locks_and_unlock(db: str) -> None:
    from tkiresist.registry.opening import open_registry
    from tkiresist.web.store import WebStore, migrate_web

    runner = CliRunner()
    with open_registry(db) as registry:
        migrate_web(registry.engine)
        store = WebStore(registry.engine)
        for _ in range(5):
            store.record_failure("ada", "203.0.113.7")
        store.record_failure("ada\x1b[2J", "2001:db8:1:2::/64")
    listed = runner.invoke(app, ["user", "locks", "--db", db])
    assert listed.exit_code == 0, listed.output
    [line] = listed.stdout.splitlines()
    assert line.startswith("user+address\tada\t203.0.113.7\t5/5\t")
    everything = runner.invoke(app, ["user", "locks", "--all", "--db", db]).stdout
    assert "'ada\\x1b[2J'\t2001:db8:1:2::/64\t1/5\t-" in everything  # typed names are quoted
    assert "\x1b" not in everything

    one = runner.invoke(app, ["user", "unlock", "--address", "2001:db8:1:2::99", "--db", db])
    assert one.exit_code == 0 and "cleared 1 failed login" in one.stdout  # the address's /64
    out = runner.invoke(app, ["user", "unlock", "ada", "--db", db])
    assert out.exit_code == 0 and "cleared 5 failed logins" in out.stdout
    assert "no login throttles" in runner.invoke(app, ["user", "locks", "--db", db]).stderr
    again = runner.invoke(app, ["user", "unlock", "ada", "--db", db])
    assert again.exit_code != 0 and "no failed logins to clear" in again.output
    with open_registry(db) as registry:
        entry = WebStore(registry.engine).audit_entries(action="login.unlock")[0]
    assert entry.target == "ada" and entry.user is not None and entry.user.startswith("cli:")
    assert entry.detail == {"user": "ada", "via": "cli", "cleared": 5}


def test_serve_answers_health_on_loopback(tmp_path: Path, db: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tkiresist", "serve", "--db", db, "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if k != "TKIRESIST_DB"},
    )
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        assert r.json()["status"] == "ok"
        assert httpx.get(f"http://127.0.0.1:{port}/api/cases").status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
    text = (tmp_path / "serve.log").read_text()
    assert "no admin account yet" in text  # a hint to create the first admin
