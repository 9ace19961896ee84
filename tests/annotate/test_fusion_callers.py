"""``annotate --sv`` on fusion callers' outputs (Arriba, STAR-Fusion, FusionCatcher) (#14).

The files are the real outputs in ``tests/data/formats`` (Arriba's and STAR-Fusion's own test
outputs, annoFuse's examples; see its SOURCES.md) and the constructed FusionCatcher list. The
rows are read by the case-side readers of :mod:`tkiresist.io.fusions`, so the fusions are
those add-test reads (``tests/test_table_agreement.py`` compares every row).
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
import typer
from typer.testing import CliRunner

from tkiresist.annotate import annotate_tables
from tkiresist.annotate.command import annotate_command
from tkiresist.errors import FormatError

from .conftest import DATA, GENOME_NEXUS_MAF

ARRIBA = DATA / "arriba" / "arriba_test_fusions.tsv"
ARRIBA_ANNOFUSE = DATA / "arriba" / "annoFuseData_arriba_example.tsv"
STAR = DATA / "star_fusion" / "STAR-Fusion_testing_saved.fusion_candidates.final.abridged.FFPM"
FUSIONCATCHER = DATA / "fusioncatcher" / "final-list_candidate-fusion-genes.txt"


def _sv_output(tmp_path: Path, suffix: str = ".tsv") -> Path:
    return tmp_path / f"o.sv{suffix}"


def _rows(path: Path) -> list[dict[str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_arriba_output_keeps_its_lines_and_header(tmp_path: Path) -> None:
    """Arriba's BCR::ABL1 record: each input line byte for byte, the ``#gene1`` header kept
    with the new columns appended; the sample is the file name up to its first dot."""
    report = annotate_tables(GENOME_NEXUS_MAF, sv=ARRIBA, out=tmp_path / "o.tsv")
    lines = _sv_output(tmp_path).read_text(encoding="utf-8").splitlines()
    source = ARRIBA.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith(source[0] + "\tTKIRESIST_ALTERATION\t")
    assert [line.split("\t")[: len(source[1].split("\t"))] for line in lines[1:]] == [
        s.split("\t") for s in source[1:]
    ]
    row = dict(zip(lines[0].split("\t"), lines[1].split("\t"), strict=True))
    assert row["TKIRESIST_ALTERATION"] == "BCR::ABL1"
    assert row["TKIRESIST_STATUS"] == "no_match"
    assert report.table("sv").rows_in == report.table("sv").rows_out == 1


def test_fusioncatcher_kinase_fusions_take_the_sample_context(tmp_path: Path) -> None:
    """FusionCatcher's EML4::ALK and KIF5B::RET are matched like any other table's fusions;
    ``--sample`` names the sample, so the clinical file's context applies to its rows."""
    clinical = tmp_path / "clinical.tsv"
    clinical.write_text(
        "SAMPLE_ID\tONCOTREE_CODE\tPRIOR_THERAPY\ntumour-7\tLUAD\tosimertinib\n", encoding="utf-8"
    )
    annotate_tables(
        GENOME_NEXUS_MAF,
        sv=FUSIONCATCHER,
        clinical=clinical,
        out=tmp_path / "o.tsv",
        sample="tumour-7",
    )
    rows = _rows(_sv_output(tmp_path))
    assert [r["TKIRESIST_ALTERATION"] for r in rows] == [
        "EML4::ALK", "KIF5B::RET", "TTC6::MIPOL1", ""]  # fmt: skip
    assert [r["TKIRESIST_STATUS"] for r in rows][3] == "unknown_gene"  # XYZ99
    assert rows[0]["TKIRESIST_ONCOTREE_CODE"] == "LUAD"
    assert "egfr_tki" in rows[0]["TKIRESIST_PRIOR_DRUG_CLASSES"]
    assert "alk_fusion" in rows[0]["TKIRESIST_CATEGORIES"]


def test_star_fusion_and_parquet_output(tmp_path: Path) -> None:
    """STAR-Fusion's ``GENE^ENSG`` cells read as the gene; Parquet has the same rows."""
    annotate_tables(GENOME_NEXUS_MAF, sv=STAR, out=tmp_path / "o.parquet", fmt="parquet")
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT LeftGene, TKIRESIST_ALTERATION FROM '{_sv_output(tmp_path, '.parquet')}'"
    ).fetchall()
    assert len(rows) == 29
    assert rows[2] == ("ACACA^ENSG00000132142.15", "ACACA::STAC2")


def test_a_sample_column_names_the_samples_and_sample_is_refused(tmp_path: Path) -> None:
    """annoFuse appends ``tumor_id`` to Arriba's output: that column names each row's sample,
    and ``--sample`` is refused, located at the column (the file already says whose rows)."""
    annotate_tables(GENOME_NEXUS_MAF, sv=ARRIBA_ANNOFUSE, out=tmp_path / "o.tsv")
    rows = _rows(_sv_output(tmp_path))
    assert len(rows) == 25
    assert rows[0]["TKIRESIST_ALTERATION"] == "KIAA1549::BRAF"
    assert "braf_fusion" in rows[0]["TKIRESIST_CATEGORIES"].split(",")
    statuses = [r["TKIRESIST_STATUS"] for r in rows]
    assert statuses.count("unparsed") == 6  # 3 intergenic, 3 intragenic
    with pytest.raises(FormatError) as err:
        annotate_tables(GENOME_NEXUS_MAF, sv=ARRIBA_ANNOFUSE, out=tmp_path / "o.tsv", sample="x")
    assert (err.value.location.line, err.value.location.field) == (1, "tumor_id")


def test_sample_without_sv_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="--sample"):
        annotate_tables(GENOME_NEXUS_MAF, out=tmp_path / "o.tsv", sample="x")


def test_a_bad_caller_row_is_refused_where_it_is(tmp_path: Path) -> None:
    """A confidence Arriba never writes: refused by the case-side reader, file, line, column."""
    lines = ARRIBA.read_text(encoding="utf-8").splitlines()
    head = lines[0].split("\t")
    cells = lines[1].split("\t")
    cells[head.index("confidence")] = "certain"
    bad = tmp_path / "sample9.fusions.tsv"
    bad.write_text(lines[0] + "\n" + "\t".join(cells) + "\n", encoding="utf-8")
    with pytest.raises(FormatError) as err:
        annotate_tables(GENOME_NEXUS_MAF, sv=bad, out=tmp_path / "o.tsv")
    loc = err.value.location
    assert (loc.file, loc.line, loc.column) == (str(bad), 2, head.index("confidence") + 1)


def test_a_caller_header_without_a_required_column_is_refused(tmp_path: Path) -> None:
    lines = FUSIONCATCHER.read_text(encoding="utf-8").splitlines()
    head = lines[0].split("\t")
    at = head.index("Predicted_effect")
    cut = ["\t".join(c for i, c in enumerate(line.split("\t")) if i != at) for line in lines]
    bad = tmp_path / "fc.txt"
    bad.write_text("\n".join(cut) + "\n", encoding="utf-8")
    with pytest.raises(FormatError) as err:
        annotate_tables(GENOME_NEXUS_MAF, sv=bad, out=tmp_path / "o.tsv")
    assert (err.value.location.line, err.value.location.field) == (1, "Predicted_effect")


def test_the_command_takes_sample(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command("annotate")(annotate_command)
    app.command("other")(lambda: None)
    out = tmp_path / "o.tsv"
    result = CliRunner().invoke(
        app,
        ["annotate", "--maf", str(GENOME_NEXUS_MAF), "--sv", str(ARRIBA), "--sample", "T-1",
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "sv: 1 rows in, 1 rows out" in result.stdout
    assert _rows(_sv_output(tmp_path))[0]["TKIRESIST_ALTERATION"] == "BCR::ABL1"
