"""The annotate command function, mounted on a Typer app as the CLI mounts it."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from tests.annotate.conftest import GENOME_NEXUS_MAF
from tkiresist.annotate.command import SHOWN_WARNINGS, annotate_command

app = typer.Typer()
app.command("annotate")(annotate_command)
app.command("other")(lambda: None)  # two commands, so 'annotate' is a subcommand as in the CLI


def test_annotate_command_writes_and_summarises(tmp_path: Path) -> None:
    out = tmp_path / "o.parquet"
    warnings = tmp_path / "warnings.txt"
    result = CliRunner().invoke(
        app,
        ["annotate", "--maf", str(GENOME_NEXUS_MAF), "--out", str(out), "--warnings",
         str(warnings)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "maf: 3 rows in, 3 rows out" in result.stdout
    assert out.exists() and out.read_bytes()[:4] == b"PAR1"  # --format auto: parquet
    text = warnings.read_text(encoding="utf-8")
    assert "Tumor_Sample_Barcode" in text and f"{GENOME_NEXUS_MAF}:4:17:" in text


def test_annotate_command_bad_input_exits_2_located(tmp_path: Path) -> None:
    maf = tmp_path / "m.maf"
    maf.write_text("Hugo_Symbol,HGVSp_Short\nEGFR,p.L858R\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["annotate", "--maf", str(maf), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert f"{maf}:1:1: expected tab-separated columns" in result.stderr
    assert "comma-separated" in result.stderr


def test_many_warnings_are_counted(tmp_path: Path) -> None:
    maf = tmp_path / "m.maf"
    rows = "".join(
        f"NOTAGENE{i}\tS1\tMissense_Mutation\tp.K4E\n" for i in range(SHOWN_WARNINGS + 5)
    )
    maf.write_text(
        "Hugo_Symbol\tTumor_Sample_Barcode\tVariant_Classification\tHGVSp_Short\n" + rows,
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["annotate", "--maf", str(maf), "--out", str(tmp_path / "o.tsv")]
    )
    assert result.exit_code == 0
    assert result.stderr.count("warning: ") == SHOWN_WARNINGS + 1
    assert "5 more warning(s)" in result.stderr


def test_timeline_option_is_repeatable(tmp_path: Path) -> None:
    maf = tmp_path / "m.maf"
    maf.write_text(
        "Hugo_Symbol\tTumor_Sample_Barcode\tVariant_Classification\tHGVSp_Short\n"
        "EGFR\tS1\tMissense_Mutation\tp.T790M\n",
        encoding="utf-8",
    )
    head = "PATIENT_ID\tSTART_DATE\tSTOP_DATE\tEVENT_TYPE\tAGENT\tSAMPLE_ID\n"
    treat = tmp_path / "treatment.txt"
    treat.write_text(head + "P1\t0\t\tTREATMENT\tGefitinib\t\n", encoding="utf-8")
    spec = tmp_path / "specimen.txt"
    spec.write_text(head + "P1\t200\t\tSPECIMEN\t\tS1\n", encoding="utf-8")
    out = tmp_path / "o.tsv"
    result = CliRunner().invoke(
        app,
        ["annotate", "--maf", str(maf), "--out", str(out), "--timeline", str(treat),
         "--timeline", str(spec)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    header, row = out.read_text(encoding="utf-8").splitlines()
    got = dict(zip(header.split("\t"), row.split("\t"), strict=True))
    assert got["TKIRESIST_PRIOR_DRUG_CLASSES"] == "egfr_tki"
