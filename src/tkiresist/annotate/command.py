"""The ``tkiresist annotate`` command function, for the CLI to register::

    from tkiresist.annotate.command import annotate_command
    app.command("annotate")(annotate_command)

It translates options into :func:`tkiresist.annotate.annotate_tables` and prints the summary
to stdout and the warnings to stderr (the first :data:`SHOWN_WARNINGS`, then a count;
``--warnings FILE`` writes them all, one per line). A library error is printed located
(``file:line:column: field: message``) and exits 2, as the other commands do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from tkiresist.cli_support import guarded

SHOWN_WARNINGS = 20


def annotate_command(
    maf: Annotated[Path, typer.Option("--maf", help="MAF (GDC, vcf2maf, cBioPortal, GENIE).")],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Output for the MAF; the SV and CNA outputs get .sv / .cna before its suffix.",
        ),
    ],
    sv: Annotated[
        Path | None,
        typer.Option(
            "--sv",
            help="cBioPortal data_sv.txt, an OncoKB-style fusion or SV table, a fusion "
            "caller's output (Arriba, STAR-Fusion, FusionCatcher), or a VCF with fusion records "
            "(one output row per detected fusion).",
        ),
    ] = None,
    sample: Annotated[
        str | None,
        typer.Option(
            "--sample",
            metavar="ID",
            help="Sample id of a fusion caller's output or a VCF without a sample column "
            "(default: the --sv file name up to its first dot).",
        ),
    ] = None,
    cna: Annotated[
        Path | None,
        typer.Option(
            "--cna",
            help="cBioPortal discrete CNA table (wide or DISCRETE_LONG) or GISTIC's "
            "all_thresholded.by_genes.txt.",
        ),
    ] = None,
    clinical: Annotated[
        Path | None,
        typer.Option(
            "--clinical",
            help="Clinical sample table: SAMPLE_ID, ONCOTREE_CODE, PRIOR_THERAPY (drugs).",
        ),
    ] = None,
    timeline: Annotated[
        list[Path] | None,
        typer.Option(
            "--timeline",
            help="cBioPortal timeline file(s) (TREATMENT with AGENT, SPECIMEN with SAMPLE_ID): "
            "the prior therapy of samples the clinical table gives none for. Repeatable.",
            show_default=False,
            metavar="<path>",
        ),
    ] = None,
    fmt: Annotated[
        Literal["auto", "tsv", "parquet"],
        typer.Option("--format", help="Output format; auto: parquet if OUT ends .parquet."),
    ] = "auto",
    warnings: Annotated[
        Path | None, typer.Option("--warnings", help="Write every warning to this file.")
    ] = None,
) -> None:
    """Annotate cohort tables offline, in context: normalised alteration, categories,
    highest sensitivity/resistance levels, matching statements, status."""
    from tkiresist.annotate.engine import annotate_tables

    auto: Literal["tsv", "parquet"] = "parquet" if out.suffix.lower() == ".parquet" else "tsv"
    chosen = auto if fmt == "auto" else fmt
    report = guarded(
        lambda: annotate_tables(
            maf,
            sv,
            cna,
            clinical,
            out=out,
            fmt=chosen,
            timelines=tuple(timeline or ()),
            sample=sample,
        )
    )
    typer.echo(report.summary())
    for problem in report.warnings[:SHOWN_WARNINGS]:
        typer.echo(f"warning: {problem}", err=True)
    hidden = len(report.warnings) - SHOWN_WARNINGS
    if hidden > 0:
        where = f"; all in {warnings}" if warnings else "; --warnings FILE writes them all"
        typer.echo(f"warning: {hidden:,} more warning(s){where}", err=True)
    if warnings is not None:
        warnings.write_text("".join(f"{p}\n" for p in report.warnings), encoding="utf-8")
