"""``tkiresist evidence ...``: a typer sub-app, mounted by :mod:`tkiresist.cli` as ``evidence``.

Commands:

* ``summary [--dataset D] [--where FILTER] [--include-drafts] [--json] [--db URL]``: pooled
  statistics with numerators, denominators and 95% CIs (exact and Wilson), over reviewed cases
  unless ``--include-drafts``, each patient counted once;
* ``audit --claims CLAIMS.yaml [--dataset D] [--json] [--db URL]``: the claims of a paper
  against its cases; ``--claims cheung2025`` names the shipped claims file of the seed;
* ``figures --out DIR [--dataset D] [--where FILTER] [--format png,svg] [--db URL]``: the
  swimmer plot, the partner distribution and the ORR by regimen.

Every command reads the registry at ``--db URL`` (or ``TKIRESIST_DB``; default: the SQLite
file in the user's data directory, created with the bundled ``cheung2025-table1`` dataset on
first use). Exit codes: 0 success; 1 ``audit`` found a mismatch; 2 bad input (one located line
per problem on stderr). Heavy modules are imported inside the commands.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from tkiresist.cli_support import EXIT_NO, DbOption, guarded, new_app

EXIT_MISMATCH = EXIT_NO

evidence_app = new_app(
    "evidence",
    "Evidence synthesis over registry cases: pooled statistics, claims audit, figures.",
)
DatasetOption = Annotated[
    str | None,
    typer.Option("--dataset", help="Only the cases of this dataset (e.g. cheung2025-table1)."),
]
WhereOption = Annotated[
    str | None,
    typer.Option(
        "--where",
        help="Filter, e.g. 'egfr_baseline=ex19del and osimertinib_exposed=true' "
        "(columns of registry_case_facts; =, !=, <, <=, >, >=, in (...), has).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@contextmanager
def _engine(db: str | None) -> Iterator[Any]:
    from tkiresist.registry.opening import open_registry

    with open_registry(db) as registry:
        yield registry.engine


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@evidence_app.command()
def summary(
    dataset: DatasetOption = None,
    where: WhereOption = None,
    include_drafts: Annotated[
        bool,
        typer.Option(
            "--include-drafts",
            help="Pool draft cases too (default: reviewed cases only).",
        ),
    ] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Pooled statistics: each with its numerator, denominator and 95% CIs. Reviewed cases
    only unless --include-drafts; a likely duplicate of a patient is counted once."""
    from tkiresist.evidence.summary import summarize
    from tkiresist.evidence.where import parse_filter

    def run() -> None:
        flt = parse_filter(where) if where is not None else None  # bad filters fail first
        with _engine(db) as engine:
            result = summarize(engine, dataset=dataset, where=flt, include_drafts=include_drafts)
        if as_json:
            _echo_json(result.as_json())
        else:
            typer.echo(result.text())

    guarded(run)


def _claims_path(claims: str) -> Path:
    path = Path(claims)
    if path.exists() or path.suffix in (".yaml", ".yml"):
        return path
    from tkiresist.evidence.claims import packaged_claims

    return packaged_claims(claims)


@evidence_app.command()
def audit(
    claims: Annotated[
        str,
        typer.Option(
            "--claims",
            help="A claims file (YAML), or the name of a shipped one (cheung2025).",
        ),
    ],
    dataset: Annotated[
        str | None,
        typer.Option("--dataset", help="The dataset to audit (default: the claims file's)."),
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Compare a paper's claims with the numbers recomputed from its cases. Exit 1 when a
    claim does not match."""
    from tkiresist.evidence.claims import audit_file, load_claims

    def run() -> bool:
        path = _claims_path(claims)
        load_claims(path)  # a bad claims file fails before the database is opened
        with _engine(db) as engine:
            report = audit_file(path, engine, dataset=dataset)
        if as_json:
            _echo_json(report.as_json())
        else:
            typer.echo(report.text())
        return bool(report.mismatches)

    if guarded(run):
        raise typer.Exit(EXIT_MISMATCH)


@evidence_app.command()
def figures(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the figures into.")],
    dataset: DatasetOption = None,
    where: WhereOption = None,
    formats: Annotated[
        str, typer.Option("--format", help="Comma-separated formats: png, svg.")
    ] = "png,svg",
    db: DbOption = None,
) -> None:
    """Swimmer plot, ALK partner distribution and ORR by regimen, as PNG and SVG."""
    from tkiresist.errors import EvidenceError, Location
    from tkiresist.evidence.figures import FORMATS, write_figures
    from tkiresist.evidence.where import parse_filter

    def run() -> None:
        chosen = [f.strip().lower() for f in formats.split(",") if f.strip()]
        bad = [f for f in chosen if f not in FORMATS]
        if bad or not chosen:
            raise EvidenceError(
                f"unknown figure format {bad[0] if bad else formats!r}; formats are: "
                + ", ".join(FORMATS),
                Location(field="--format"),
            )
        if where is not None:
            parse_filter(where)
        with _engine(db) as engine:
            paths = write_figures(engine, out, dataset=dataset, where=where, formats=chosen)
        for path in paths:
            typer.echo(str(path))

    guarded(run)
