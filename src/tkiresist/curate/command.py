"""``tkiresist draft-case REPORT.txt [--out draft.yaml]``: a thin shell over
:func:`tkiresist.curate.draft_case`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tkiresist.cli_support import EXIT_BAD_INPUT

__all__ = ["draft_case_command"]


def _read(report: Path) -> str:
    """The report's text, or one located line on stderr and exit 2."""
    try:
        data = report.read_bytes()
    except FileNotFoundError:
        why = "no such file"
    except IsADirectoryError:
        why = "is a directory, not a text file"
    except OSError as exc:
        why = f"cannot be read ({exc.strerror or exc})"
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            why = f"not UTF-8 text (byte {exc.start})"
        else:
            if "\x00" in text:
                why = f"not a text file (NUL byte at character {text.index(chr(0))})"
            elif not text.strip():
                why = "empty file: expected a case report's text"
            else:
                return text
    typer.echo(f"{report}: {why}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def _located(path: Path) -> list[str]:
    """The written draft's problems, with their line numbers in it."""
    from tkiresist.errors import TkiResistError
    from tkiresist.io.casefile import read_case

    try:
        read_case(path)
    except TkiResistError as exc:
        return [" ".join(str(p).split()) for p in exc.problems]
    return []


def draft_case_command(
    report: Annotated[Path, typer.Argument(help="The case report's text (UTF-8).")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the draft here (default: stdout).")
    ] = None,
) -> None:
    """Draft a case file from a case report's text. Every value carries its evidence (the
    verbatim span and its offsets, under provenance); what the text does not give is listed
    under provenance.to_check. Prints why the draft does not validate yet, if it does not.
    FOR RESEARCH USE ONLY."""
    from tkiresist.curate import draft_case, draft_yaml
    from tkiresist.io.atomic import write_text_atomically

    text = _read(report)
    draft = draft_case(text, report.name)
    rendered = draft_yaml(draft)
    if out is None:
        typer.echo(rendered, nl=False)
    else:
        write_text_atomically(out, rendered)
        typer.echo(
            f"{out}: draft with {len(draft.spans)} evidence spans, "
            f"{len(draft.to_check)} items to check",
            err=True,
        )
    where = out if out is not None else "the draft"
    problems = draft.problems
    if problems and out is not None:
        problems = _located(out) or problems
    if problems:
        typer.echo(f"{where} does not validate yet ({len(problems)} problems):", err=True)
        for p in problems:
            typer.echo(f"  {p}", err=True)
    else:
        typer.echo(f"{where} validates", err=True)
