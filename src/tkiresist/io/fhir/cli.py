"""``tkiresist export fhir`` and ``tkiresist import fhir``: a typer sub-app.

``fhir_app`` holds both commands (``export``, ``import``); :func:`export_fhir` and
:func:`import_fhir` are the same commands as plain functions, for mounting under the
``export`` and ``import`` groups of the main CLI. Library modules are imported lazily.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tkiresist.cli_support import error_exit
from tkiresist.errors import TkiResistError
from tkiresist.io.atomic import write_text_atomically

fhir_app = typer.Typer(
    help="FHIR R4 Bundles (HL7 Genomics Reporting and mCODE).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@fhir_app.command("export")
def export_fhir(
    case_file: Annotated[Path, typer.Argument(help="A case file (YAML or JSON).")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the Bundle here (default: stdout).")
    ] = None,
    with_interpretation: Annotated[
        bool,
        typer.Option(
            "--with-interpretation",
            help="Also interpret the case and add TherapeuticImplication observations.",
        ),
    ] = False,
    shift_days: Annotated[
        int | None,
        typer.Option(
            "--shift-days",
            help="Shift of the timeline's origin in days (default: random per export).",
        ),
    ] = None,
    include_identifiers: Annotated[
        bool,
        typer.Option(
            "--include-identifiers",
            help="Write the case's real dates (not HIPAA Safe Harbor de-identified).",
        ),
    ] = False,
) -> None:
    """Write a case as a FHIR R4 collection Bundle (mCODE + Genomics Reporting)."""
    from tkiresist.io.casefile import read_case
    from tkiresist.io.fhir.export import case_to_bundle

    try:
        case = read_case(case_file)
        interpretation = None
        if with_interpretation:
            from tkiresist.interpret.engine import interpret
            from tkiresist.knowledge.loader import load_knowledge_base

            interpretation = interpret(case, load_knowledge_base())
        bundle = case_to_bundle(
            case,
            interpretation,
            shift_days=shift_days,
            include_identifiers=include_identifiers,
        )
    except TkiResistError as exc:
        raise error_exit(exc) from None
    text = json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_text_atomically(out, text)
        typer.echo(f"{out}: Bundle with {len(bundle['entry'])} entries ({case.id})", err=True)


@fhir_app.command("import")
def import_fhir(
    bundle_file: Annotated[Path, typer.Argument(help="A FHIR R4 Bundle (JSON).")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the case file here (.yaml or .json)."),
    ] = None,
    placeholder_diagnosis: Annotated[
        bool,
        typer.Option(
            "--placeholder-diagnosis",
            help="Accept a Bundle with no primary-cancer Condition (placeholder diagnosis).",
        ),
    ] = False,
) -> None:
    """Read a FHIR R4 Bundle into a case file."""
    from tkiresist.errors import FormatError, Location
    from tkiresist.io.casefile import case_to_data, write_case
    from tkiresist.io.fhir.imports import read_bundle

    try:
        try:
            raw = json.loads(bundle_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FormatError("no such file", Location(file=str(bundle_file))) from None
        except json.JSONDecodeError as exc:
            raise FormatError(
                f"not JSON: {exc.msg}", Location(str(bundle_file), exc.lineno, exc.colno)
            ) from None
        result = read_bundle(
            raw, placeholder_diagnosis=placeholder_diagnosis, file=str(bundle_file)
        )
    except TkiResistError as exc:
        raise error_exit(exc) from None
    for line in result.skipped:
        typer.echo(f"skipped: {line}", err=True)
    for line in result.approximated:
        typer.echo(f"approximated: {line}", err=True)
    if out is None:
        import yaml

        data = case_to_data(result.case)
        typer.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100), nl=False)
    else:
        write_case(result.case, out)
        typer.echo(f"{out}: case {result.case.id} ({len(result.case.events)} events)", err=True)
