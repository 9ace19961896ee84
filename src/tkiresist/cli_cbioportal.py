"""CLI commands for cBioPortal studies and cohort mode (issue #7), for ``tkiresist.cli`` to mount.

* ``tkiresist export cbioportal --out DIR [--dataset D | --cases FILE...]``:
  :func:`export_cbioportal` (also the ``cbioportal`` command of :data:`export_app`);
* ``tkiresist cohort --study DIR [--out OUT]``: :func:`cohort`.

Mounting, in ``cli.py``: ``app.add_typer(export_app, name="export")`` (or
``export_app.command("cbioportal")(export_cbioportal)`` on an existing ``export`` group) and
``app.command("cohort")(cohort)``. Only typer is imported here at start-up; the library
modules (and DuckDB) are imported inside the commands. ``python -m tkiresist.cli_cbioportal``
runs both commands standalone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tkiresist.cli_support import EXIT_BAD_INPUT, error_exit
from tkiresist.errors import TkiResistError

export_app = typer.Typer(
    help="Export cases to other systems' formats.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@export_app.command("cbioportal")
def export_cbioportal(
    out: Annotated[Path, typer.Option("--out", "-o", help="The study folder to write.")],
    dataset: Annotated[
        str | None,
        typer.Option("--dataset", help="A bundled literature dataset, e.g. cheung2025-table1."),
    ] = None,
    cases: Annotated[
        list[Path] | None,
        typer.Option(
            "--cases", help="Case files (YAML or JSON); repeat for several.", metavar="<path>"
        ),
    ] = None,
    study_id: Annotated[
        str | None, typer.Option("--study-id", help="cancer_study_identifier (default: derived).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="The study's name.")] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing output folder.")
    ] = False,
) -> None:
    """Write cases as a cBioPortal study folder (meta files, clinical data, timelines, MAF,
    structural variants, discrete CNA, gene panels, case lists). No names or dates are written:
    times are days from diagnosis. Exit 2 with located messages on bad input."""
    if (dataset is None) == (not cases):
        typer.echo("error: give either --dataset or --cases", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        from tkiresist.io.cbioportal import export_study
        from tkiresist.registry.published import dataset_cases

        if dataset is not None:
            chosen = dataset_cases(dataset)
            sid = study_id or dataset.replace("-", "_")
            title = name or f"tkiresist dataset {dataset}"
        else:
            from tkiresist.io.casefile import read_case

            chosen = [read_case(p) for p in cases or []]
            sid = study_id or "tkiresist_cases"
            title = name or "tkiresist cases"
        report = export_study(
            chosen,
            out,
            study_id=sid,
            name=title,
            description=f"{title}: exported by tkiresist (research use only, not for "
            "clinical decisions)",
            overwrite=overwrite,
        )
    except TkiResistError as exc:
        raise error_exit(exc) from None
    typer.echo(report.summary())


def cohort(
    study: Annotated[Path, typer.Option("--study", help="A cBioPortal study folder.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Output folder (default: cohort-<study folder name>)."),
    ] = None,
    max_gap_days: Annotated[
        int,
        typer.Option(
            "--max-gap-days",
            help="A targeted line stopped at most this many days before a progression sample "
            "still counts as the line it progressed on.",
        ),
    ] = 90,
    threads: Annotated[int | None, typer.Option("--threads", help="DuckDB threads.")] = None,
    memory_limit: Annotated[
        str | None, typer.Option("--memory-limit", help="DuckDB memory limit, e.g. 3GB.")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing output folder.")
    ] = False,
) -> None:
    """Acquired alterations and resistance mechanisms for every patient with a progression
    sample after a targeted therapy; a cohort summary with exact confidence intervals. Writes
    patients.tsv, mechanisms.tsv, time_to_progression.tsv, plasma_lead_time.tsv,
    cooccurrence.tsv and summary.json."""
    try:
        from tkiresist.cohort import CohortOptions, format_summary, run_cohort

        target = out if out is not None else Path(f"cohort-{study.resolve().name}")
        result = run_cohort(
            study,
            target,
            options=CohortOptions(
                max_gap_days=max_gap_days, threads=threads, memory_limit=memory_limit
            ),
            overwrite=overwrite,
        )
    except TkiResistError as exc:
        raise error_exit(exc) from None
    typer.echo(format_summary(result.summary), nl=False)
    typer.echo(f"written to {target}")


def _standalone() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
    app.add_typer(export_app, name="export")
    app.command("cohort")(cohort)
    return app


if __name__ == "__main__":  # pragma: no cover - exercised by the benchmark
    _standalone()()
