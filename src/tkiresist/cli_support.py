"""What every command-line entry point shares: exit codes, error reporting, common options.

The main ``tkiresist`` app and the sub-apps that live beside their library modules
(``registry``, ``evidence``, ``export fhir``, ``cohort``, ``annotate``, ``serve``/``user``) all
report errors the same way: one line per located problem on stderr
(``file:line: field: message``), exit code 2. Importing this module loads typer only.

Exit codes: 0 success; 1 the command ran and the answer is "no" (lint found problems, the
audit found a mismatch); 2 bad input (a file, a field, an argument). Anything else is a bug.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from tkiresist.errors import TkiResistError

EXIT_NO = 1
EXIT_BAD_INPUT = 2

T = TypeVar("T")

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="TKIRESIST_DB",
        help="Registry database URL (sqlite:///path, postgresql://user@host/db) or a SQLite "
        "file path. Default: registry.sqlite in the user's data directory.",
    ),
]


def new_app(name: str, help: str, **kwargs: Any) -> typer.Typer:
    """A typer app with the project's settings: no completion, no pretty tracebacks."""
    return typer.Typer(
        name=name,
        help=help,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        **kwargs,
    )


def error_exit(exc: TkiResistError) -> typer.Exit:
    """Print each of ``exc``'s problems as one line on stderr; the Exit to raise (code 2)."""
    for problem in exc.problems:
        typer.echo(" ".join(str(problem).split()), err=True)
    return typer.Exit(EXIT_BAD_INPUT)


def guarded(fn: Callable[[], T]) -> T:
    """Run ``fn``; our errors become one located line each on stderr and exit code 2."""
    try:
        return fn()
    except TkiResistError as exc:
        raise error_exit(exc) from None


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """A one-line message for a bad argument, and exit."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)
