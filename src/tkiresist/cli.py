"""The ``tkiresist`` command: a thin shell over the library.

It translates arguments into library calls and library errors into one-line messages with a
non-zero exit code. Heavy modules are imported inside the commands, so that ``--help`` and
``--version`` start fast.

Exit codes: 0 success; 1 the command ran and the answer is "no" (e.g. lint found problems);
2 bad input (a file, a field, an argument); 3 an internal error (a bug: please report it).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer

from tkiresist import __version__
from tkiresist.errors import TkiResistError

EXIT_NO = 1
EXIT_BAD_INPUT = 2

app = typer.Typer(
    name="tkiresist",
    help=(
        "Acquired resistance to targeted therapy in lung cancer: serial comparison, cited "
        "mechanisms and options, and a registry of published cases. "
        "FOR RESEARCH USE ONLY, NOT FOR CLINICAL DECISIONS."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

T = TypeVar("T")


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def guarded(fn: Callable[[], T]) -> T:
    """Run ``fn``; turn our errors into located one-line messages and exit code 2."""
    try:
        return fn()
    except TkiResistError as exc:
        for problem in exc.problems:
            typer.echo(" ".join(str(problem).split()), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tkiresist {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """FOR RESEARCH USE ONLY, NOT FOR CLINICAL DECISIONS."""


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Case files (YAML or JSON).")],
) -> None:
    """Check case files. Exit 0 when all are valid; else exit 2 with one line per problem
    (file:line: field: message)."""
    from tkiresist.io.casefile import read_case

    bad = 0
    for f in files:
        try:
            case = read_case(f)
        except TkiResistError as exc:
            bad += 1
            for problem in exc.problems:
                typer.echo(" ".join(str(problem).split()), err=True)
        else:
            n = len(case.events)
            typer.echo(f"{f}: ok ({case.id}, {n} events)")
    if bad:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the case file format."""
    import json

    from tkiresist.model.case import Case

    typer.echo(json.dumps(Case.model_json_schema(), indent=2))


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(130)
