"""The ``tkiresist`` command: a thin shell over the library.

It translates arguments into library calls and library errors into one-line messages with a
non-zero exit code (see :mod:`tkiresist.cli_support`). Heavy modules are imported inside the
commands, so that ``--help`` and ``--version`` start fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tkiresist import BUNDLED_DATASET, __version__
from tkiresist.cli_support import EXIT_BAD_INPUT, EXIT_NO, fail, guarded, new_app
from tkiresist.errors import Location, ManyProblems, TkiResistError

app = new_app(
    "tkiresist",
    "Acquired resistance to targeted therapy in lung cancer: serial comparison, cited "
    "mechanisms and options, and a registry of published cases. "
    "FOR RESEARCH USE ONLY, NOT FOR CLINICAL DECISIONS.",
)


def _in_file(exc: TkiResistError, case_file: Path) -> TkiResistError:
    """``exc`` located in ``case_file`` when it names no file: the engine is a pure function of
    a case and knows no files, so its refusals ("no decision point", an unknown ``--at``
    event) get the file here, and every refusal prints as ``FILE: message``. The field ``at``
    is the ``--at`` option."""
    loc = exc.location
    if loc.file is None and not isinstance(exc, ManyProblems):
        field = "--at" if loc.field == "at" else loc.field
        exc.location = Location(str(case_file), loc.line, loc.column, field)
    return exc


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


@app.command()
def interpret(
    case_file: Annotated[Path, typer.Argument(help="A case file (YAML or JSON).")],
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="text (default) or json")
    ] = "text",
    at: Annotated[
        str | None, typer.Option("--at", help="decision point: an event id (default: latest PD)")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="write to this file instead of stdout")
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="write a self-contained report (out.html or out.pdf) and print only where it "
            "went (the interpretation goes to --out, if given)",
        ),
    ] = None,
    pooled: Annotated[
        bool,
        typer.Option(
            "--pooled/--no-pooled",
            help="attach pooled registry evidence (n, ORR with exact CI) to each option",
        ),
    ] = True,
    pooled_dataset: Annotated[
        str, typer.Option("--pooled-dataset", help="registry dataset to pool")
    ] = BUNDLED_DATASET,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", envvar="TKIRESIST_DB", help="registry database URL (default: the user's)"
        ),
    ] = None,
) -> None:
    """Interpret a case at its latest progression: what changed, why, and what now."""
    if output_format not in ("text", "json"):
        fail(f"--format: expected 'text' or 'json', got {output_format!r}")
    if report is not None and report.suffix.lower() not in (".html", ".htm", ".pdf"):
        fail(f"--report: expected a .html or .pdf file name, got {str(report)!r}")

    def run() -> str:
        from tkiresist.interpret.engine import interpret as run_engine
        from tkiresist.io.casefile import read_case
        from tkiresist.knowledge.loader import load_knowledge_base

        case = read_case(case_file)
        lookup = None
        if pooled:
            from tkiresist.evidence.pooled import default_index

            lookup = default_index(pooled_dataset, db)
        try:
            result = run_engine(case, load_knowledge_base(), at=at, pooled=lookup)
        except TkiResistError as exc:
            raise _in_file(exc, case_file) from None
        if report is not None:
            from tkiresist.report import write_report

            write_report(case, result, report)
            if out is None:
                return ""  # stdout is one line saying where the report went (below)
        if output_format == "json":
            return result.model_dump_json(indent=2, by_alias=True) + "\n"
        from tkiresist.report.text import render_text

        return render_text(result)

    text = guarded(run)
    if out is not None:
        out.write_text(text, encoding="utf-8")
    if report is not None:
        typer.echo(f"report written to {report}")
    elif out is None:
        typer.echo(text, nl=False)


@app.command()
def timeline(
    case_file: Annotated[Path, typer.Argument(help="A case file (YAML or JSON).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="the figure: a .svg or .png file")],
    at: Annotated[
        str | None, typer.Option("--at", help="mark this event as the decision point")
    ] = None,
) -> None:
    """Draw the treatment timeline of a case (months from diagnosis) as SVG or PNG."""
    if out.suffix.lower() not in (".svg", ".png"):
        fail(f"--out: expected a .svg or .png file name, got {str(out)!r}")

    def run() -> None:
        from tkiresist.errors import InterpretationError
        from tkiresist.io.casefile import read_case
        from tkiresist.report.timeline_figure import write_timeline

        case = read_case(case_file)
        month = None
        if at is not None:
            months = case.months()
            if at not in months:
                raise InterpretationError(
                    f"no event {at!r} in case {case.id!r}", Location(str(case_file), field="--at")
                )
            month = months[at]
        write_timeline(case, out, decision_month=month)

    guarded(run)
    typer.echo(f"timeline written to {out}", err=True)


kb_app = typer.Typer(help="The cited knowledge base.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")


@kb_app.command("lint")
def kb_lint(
    path: Annotated[
        Path | None, typer.Argument(help="a knowledge-base folder (default: the packaged one)")
    ] = None,
    max_age: Annotated[
        int,
        typer.Option("--max-age", help="days after which a statement is due for review"),
    ] = 365,
    fail_stale: Annotated[
        bool, typer.Option("--fail-stale", help="exit 1 when a statement is due for review")
    ] = False,
) -> None:
    """Check the knowledge base: schema, genes, drugs, citations, duplicates, contradictions;
    name the statements due for review."""
    from tkiresist.knowledge.lint import lint, review_due
    from tkiresist.knowledge.loader import load_knowledge_base

    kb = guarded(lambda: load_knowledge_base(path))
    problems = lint(kb)
    due = review_due(kb, max_age)
    for p in problems:
        typer.echo(" ".join(str(p).split()), err=True)
    for p in due:
        typer.echo("review due: " + " ".join(str(p).split()), err=True)
    typer.echo(
        f"{kb.stamp}: {len(kb.statements)} statements, {len(problems)} problems, "
        f"{len(due)} due for review (older than {max_age} days or never reviewed)"
    )
    if problems or (fail_stale and due):
        raise typer.Exit(EXIT_NO)


@kb_app.command("show")
def kb_show(
    query: Annotated[
        str | None, typer.Argument(help="id, category, gene, drug or words of a title")
    ] = None,
    approval: Annotated[
        str | None,
        typer.Option(
            "--approval",
            help="list regimens by approval status instead: approved (incl. accelerated), "
            "accelerated, under_review, not_approved, withdrawn, or none (no decision recorded)",
        ),
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="with --approval: FDA, EMA, NMPA or PMDA")
    ] = None,
) -> None:
    """Print the statements matching QUERY, with their levels and citations; or, with
    --approval, the regimens of that approval status (in --region)."""
    from tkiresist.knowledge.loader import load_knowledge_base
    from tkiresist.knowledge.query import by_approval, search

    kb = guarded(lambda: load_knowledge_base())
    if approval is not None:
        rows = guarded(lambda: by_approval(kb, approval, region))
        typer.echo(f"# {kb.stamp}: regimens {approval}" + (f" ({region})" if region else ""))
        for line in rows:
            typer.echo(line)
        if not rows:
            typer.echo("no regimen has that approval status", err=True)
            raise typer.Exit(EXIT_NO)
        return
    if query is None:
        fail("kb show: give a QUERY, or --approval STATUS")
    found = search(kb, query)
    typer.echo(f"# {kb.stamp}")
    for st in found:
        flag = ", UNCERTAIN: " + (st.uncertain_note or "see the file") if st.uncertain else ""
        typer.echo(f"{st.id}  [level {st.evidence_level.value}, tier {st.amp_tier.value}{flag}]")
        typer.echo(f"  {st.title}")
        typer.echo(f"  match: {', '.join(st.match.any_of) or '(fallback)'}")
        for reg in st.regimens:
            drugs = " + ".join(f"{d.drug} ({d.role.value})" for d in reg.drugs)
            typer.echo(f"  {reg.effect.value}: {drugs}")
        for c in st.citations:
            ref = f"doi:{c.doi}" if c.doi else f"PMID {c.pmid}"
            unverified = " (citation not fully verified)" if c.uncertain else ""
            typer.echo(f"  - {c.short()}, {ref}{unverified}")
    if not found:
        typer.echo(f"no statement matches {query!r}", err=True)
        raise typer.Exit(EXIT_NO)


@app.command("add-test")
def add_test(
    case_file: Annotated[Path, typer.Argument(help="The case file (YAML or JSON) to update.")],
    file: Annotated[
        Path,
        typer.Option(
            "--file",
            help="A result file: VCF, MAF, fusion, CNA or IHC table, or serial ctDNA CSV.",
        ),
    ],
    specimen: Annotated[
        str | None,
        typer.Option(
            "--specimen",
            help="A specimen id of the case, or a new one (not for a serial ctDNA CSV, which "
            "adds one plasma specimen per date).",
            show_default=False,
        ),
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="When: 2024-03-05, 2024-03, or '13 months after osi' (an event id); not for "
            "a serial ctDNA CSV, which dates its draws.",
            show_default=False,
        ),
    ] = None,
    assay: Annotated[
        str | None,
        typer.Option(
            "--assay", help="Assay id (default: from the file's format).", show_default=False
        ),
    ] = None,
    sample: Annotated[
        str | None,
        typer.Option(
            "--sample", help="The sample, when the file holds several.", show_default=False
        ),
    ] = None,
    specimen_kind: Annotated[
        str | None,
        typer.Option(
            "--specimen-kind",
            help="For a new specimen: tissue, plasma, csf, pleural_fluid, cytology or other.",
            show_default=False,
        ),
    ] = None,
    specimen_site: Annotated[
        str | None,
        typer.Option("--specimen-site", help="For a new specimen: its site.", show_default=False),
    ] = None,
    test_id: Annotated[
        str | None,
        typer.Option(
            "--id",
            help="Id of the new test event (default: <method>-<specimen>).",
            show_default=False,
        ),
    ] = None,
    allow_build_mix: Annotated[
        bool,
        typer.Option(
            "--allow-build-mix",
            help="Attach a file on another genome build (GRCh37/GRCh38) than a test already "
            "in the case.",
        ),
    ] = False,
) -> None:
    """Attach the findings of a result file to a case as a new molecular test event.

    The case file is written atomically. A YAML case keeps its comments and layout: the new
    events are inserted as text (and the result read back to check it); where that cannot be
    done the case is rewritten in the canonical layout, and the command says so. On any
    problem the file is left unchanged and the command exits 2 with one line per problem.
    """

    def run() -> str:
        from tkiresist.errors import FormatError, Location, collapse_repeats
        from tkiresist.io.attach import (
            attach_draws,
            attach_test,
            select_sample,
            unknown_gene_findings,
        )
        from tkiresist.io.casefile import read_case, write_case_update
        from tkiresist.io.readers import read_file
        from tkiresist.model.timeline import MolecularTest

        case = read_case(case_file)
        before_text = case_file.read_bytes().decode("utf-8")  # line endings as they are
        result = read_file(file)
        if result.draws:  # a serial ctDNA table dates its draws: one test per date
            given = [n for n, v in (("--specimen", specimen), ("--date", date), ("--id", test_id))
                     if v is not None]  # fmt: skip
            if given:
                raise FormatError(
                    f"{' and '.join(given)}: not for a {result.format} file, which gives each "
                    "draw's date (and specimen): one test is added per date, on its own "
                    "specimen; --sample DATE adds one draw",
                    Location(file=str(file)),
                )
            updated = attach_draws(
                case,
                result,
                assay=assay,
                sample=sample,
                specimen_kind=specimen_kind or "plasma",
                specimen_site=specimen_site,
            )
        else:
            missing = [n for n, v in (("--specimen", specimen), ("--date", date)) if v is None]
            if missing or specimen is None or date is None:
                raise FormatError(
                    f"{' and '.join(missing)} required for a {result.format} file",
                    Location(file=str(file)),
                )
            updated = attach_test(
                case,
                result,
                specimen=specimen,
                date_or_time=date,
                assay=assay,
                sample=sample,
                test_id=test_id,
                specimen_kind=specimen_kind,
                specimen_site=specimen_site,
                allow_build_mix=allow_build_mix,
            )
        for warning in collapse_repeats(result.warnings):
            typer.echo("warning: " + " ".join(str(warning).split()), err=True)
        try:
            kept_layout = write_case_update(case, before_text, updated, case_file)
        except OSError as exc:
            raise FormatError(
                f"cannot write the case file: {exc.strerror or exc}", Location(str(case_file))
            ) from None
        old = {e.id for e in case.events}
        added = [e for e in updated.events if e.id not in old]
        tests = [e for e in added if isinstance(e, MolecularTest)]
        added_ids = {e.id for e in added}
        summary = f"{case_file}: " + "; ".join(
            f"added test {t.id!r} ({t.assay}) on specimen {t.specimen!r}"
            f"{' (new)' if t.specimen in added_ids else ''}: {len(t.findings)} findings, "
            f"{sum(f.detected for f in t.findings)} detected"
            for t in tests
        )
        samples = [sample] if not result.draws or sample is not None else list(result.draws)
        left_out = [f for s in samples for f in unknown_gene_findings(select_sample(result, s)[1])]
        if left_out:
            summary += (
                f"; {len(left_out)} left out, in genes HGNC does not know (listed in the "
                "test's note)"
            )
        if not kept_layout and case_file.suffix.lower() != ".json":
            summary += " (rewritten in the canonical layout: comments were not kept)"
        return summary

    typer.echo(guarded(run))


# -- sub-commands that live with their library modules (each imports only typer at start) --
def _mount() -> None:
    from tkiresist.annotate.command import annotate_command
    from tkiresist.cli_cbioportal import cohort, export_cbioportal
    from tkiresist.curate.command import draft_case_command
    from tkiresist.evidence.cli import evidence_app
    from tkiresist.io.fhir.cli import export_fhir, import_fhir
    from tkiresist.registry.cli import registry_app
    from tkiresist.web.cli import serve, user_app

    export_app = typer.Typer(help="Write a case or a dataset in an exchange format.")
    import_app = typer.Typer(help="Read a case from an exchange format.")
    export_app.command("fhir")(export_fhir)
    export_app.command("cbioportal")(export_cbioportal)
    app.command("cohort")(cohort)
    app.command("annotate")(annotate_command)
    app.command("draft-case")(draft_case_command)
    import_app.command("fhir")(import_fhir)
    app.add_typer(export_app, name="export")
    app.add_typer(import_app, name="import")
    app.add_typer(registry_app, name="registry")
    app.add_typer(evidence_app, name="evidence")
    app.command("serve")(serve)
    app.add_typer(user_app, name="user")


_mount()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(130)
