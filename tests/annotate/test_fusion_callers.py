"""``annotate --sv`` on fusion callers' outputs (Arriba, STAR-Fusion, FusionCatcher) (#14).

The files are the real outputs in ``tests/data/formats`` (Arriba's and STAR-Fusion's own test
outputs, annoFuse's examples; see its SOURCES.md) and the constructed FusionCatcher list. The
rows are read by the case-side readers of :mod:`tkiresist.io.fusions`, so the fusions are
those add-test reads (``tests/test_table_agreement.py`` compares every row).
"""

from __future__ import annotations

import csv
import gzip
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


# --- a VCF with fusion records (#14) ---------------------------------------------------------

ONCOMINE_PD = DATA / "oncomine" / "seed_progression_brain.vcf"
ONCOMINE_DX = DATA / "oncomine" / "seed_baseline_lung.vcf"
DELLY = DATA / "sv_bnd_vcf" / "vcf2maf_test_delly.vcf"


def _vcf_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_an_oncomine_vcf_gives_one_row_per_detected_fusion(tmp_path: Path) -> None:
    """The constructed Oncomine VCF of the seed patient's progression biopsy: its EML4::ALK
    (E13;A20) pair FILTER=PASS is one SV row naming both record lines, annotated with the ALK
    first-line statement a thoracic oncologist expects for a detected ALK fusion. The FAIL
    isoforms (ROS1, RET, NTRK1 not detected), the EGFR variants and the MET copy number are
    not SV rows, and the report says so: a negative assay result must never be matched as a
    fusion."""
    report = annotate_tables(GENOME_NEXUS_MAF, sv=ONCOMINE_PD, out=tmp_path / "o.tsv")
    rows = _rows(_sv_output(tmp_path))
    assert [(r["Sample_Id"], r["Fusion"], r["VCF_Lines"]) for r in rows] == [
        ("SEED-BRAIN-PD", "EML4::ALK", "39,40")
    ]
    source = _vcf_lines(ONCOMINE_PD)
    assert "EML4-ALK.E13A20.COSF408_1" in source[38] and "COSF408_2" in source[39]
    assert rows[0]["TKIRESIST_STATUS"] == "annotated"
    assert rows[0]["TKIRESIST_HIGHEST_SENSITIVE_LEVEL"] == "A"
    assert "alk-fusion-first-line" in rows[0]["TKIRESIST_STATEMENTS"]
    assert report.table("sv").rows_in == report.table("sv").rows_out == 1
    skipped = next(w for w in report.warnings if "not SV rows" in w.message)
    assert "3 not-detected fusion" in skipped.message
    assert "SequenceVariant" in skipped.message and "CopyNumber" in skipped.message
    assert skipped.location.file == str(ONCOMINE_PD)


def test_a_vcf_whose_fusion_isoforms_all_failed_gives_no_rows(tmp_path: Path) -> None:
    """The diagnostic biopsy's VCF: every targeted fusion isoform FILTER=FAIL. An oncologist
    reads that as "no ALK/ROS1/RET/NTRK1 fusion found", so the SV output has its header and no
    row, and the warning counts the not-detected fusions."""
    report = annotate_tables(GENOME_NEXUS_MAF, sv=ONCOMINE_DX, out=tmp_path / "o.tsv")
    lines = _sv_output(tmp_path).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("Sample_Id\tFusion\tVCF_Lines\tTKIRESIST_ALTERATION")
    assert lines[1:] == []
    assert report.table("sv").rows_out == 0
    assert any("not-detected fusion" in w.message for w in report.warnings)


def test_unannotated_breakends_give_no_rows_and_say_why(tmp_path: Path) -> None:
    """DELLY's somatic SV VCF has breakends without gene names: no fusion is claimed (the
    reader's own warnings are passed on, located at the record)."""
    report = annotate_tables(GENOME_NEXUS_MAF, sv=DELLY, out=tmp_path / "o.tsv")
    assert report.table("sv").rows_out == 0
    assert _rows(_sv_output(tmp_path)) == []
    assert any(
        "no gene annotation" in w.message and w.location.file == str(DELLY) and w.location.line
        for w in report.warnings
    )


def test_a_breakend_pair_is_one_row_naming_both_lines(tmp_path: Path) -> None:
    """Scenario (synthetic): a KIF5B/RET breakend pair annotated with GENE_NAME, its two
    records apart, with an unannotated small variant between them. One row, the 3' kinase
    partner last (KIF5B::RET), both record lines; parquet output has the same columns."""
    vcf = tmp_path / "pair.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n"
        '##INFO=<ID=SVTYPE,Number=1,Type=String,Description="type">\n'
        '##INFO=<ID=MATEID,Number=1,Type=String,Description="mate">\n'
        '##INFO=<ID=GENE_NAME,Number=1,Type=String,Description="gene">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        "chr10\t43612031\tbnd_R\tA\tA]chr10:32306071]\t.\tPASS\t"
        "SVTYPE=BND;MATEID=bnd_K;GENE_NAME=RET\n"
        "chr10\t40000000\t.\tC\tT\t.\tPASS\t.\n"
        "chr10\t32306071\tbnd_K\tG\t]chr10:43612031]G\t.\tPASS\t"
        "SVTYPE=BND;MATEID=bnd_R;GENE_NAME=KIF5B\n",
        encoding="utf-8",
    )
    report = annotate_tables(GENOME_NEXUS_MAF, sv=vcf, out=tmp_path / "o.tsv", sample="T-9")
    rows = _rows(_sv_output(tmp_path))
    assert [(r["Sample_Id"], r["Fusion"], r["VCF_Lines"]) for r in rows] == [
        ("T-9", "KIF5B::RET", "6,8")
    ]
    assert any(w.location.line == 7 and "kept unannotated" in w.message for w in report.warnings)
    skipped = next(w for w in report.warnings if "not SV rows" in w.message)
    assert "1 record(s) kept unannotated" in skipped.message
    annotate_tables(
        GENOME_NEXUS_MAF, sv=vcf, out=tmp_path / "p.parquet", fmt="parquet", sample="T-9"
    )
    got = duckdb.sql(
        f"SELECT Sample_Id, Fusion, VCF_Lines, TKIRESIST_ALTERATION "
        f"FROM read_parquet('{tmp_path / 'p.sv.parquet'}')"
    ).fetchall()
    assert got == [("T-9", "KIF5B::RET", "6,8", "KIF5B::RET")]


def test_a_vcf_sample_column_names_the_sample_and_sample_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FormatError) as err:
        annotate_tables(GENOME_NEXUS_MAF, sv=ONCOMINE_PD, out=tmp_path / "o.tsv", sample="x")
    loc = err.value.location
    assert (loc.file, loc.line, loc.field) == (str(ONCOMINE_PD), 35, "SEED-BRAIN-PD")


def test_a_bad_fusion_record_is_refused_where_it_is(tmp_path: Path) -> None:
    """The VCF reader's own check, located: a SVTYPE=Fusion record without READ_COUNT."""
    lines = _vcf_lines(ONCOMINE_PD)
    lines[39] = lines[39].replace("READ_COUNT=1843;", "")
    bad = tmp_path / "bad.vcf"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(FormatError) as err:
        annotate_tables(GENOME_NEXUS_MAF, sv=bad, out=tmp_path / "o.tsv")
    loc = err.value.location
    assert (loc.file, loc.line, loc.field) == (str(bad), 40, "INFO.READ_COUNT")


def test_a_gzipped_vcf_gives_the_same_rows(tmp_path: Path) -> None:
    packed = tmp_path / "pd.vcf.gz"
    packed.write_bytes(gzip.compress(ONCOMINE_PD.read_bytes()))
    annotate_tables(GENOME_NEXUS_MAF, sv=packed, out=tmp_path / "o.tsv")
    rows = _rows(_sv_output(tmp_path))
    assert [(r["Fusion"], r["VCF_Lines"], r["TKIRESIST_STATUS"]) for r in rows] == [
        ("EML4::ALK", "39,40", "annotated")
    ]


def test_a_vcf_without_its_chrom_line_is_refused_where_it_stops(tmp_path: Path) -> None:
    bad = tmp_path / "bad.vcf"
    bad.write_text("##fileformat=VCFv4.2\nchr1\t1\t.\tA\tT\t.\tPASS\t.\n", encoding="utf-8")
    with pytest.raises(FormatError, match="#CHROM") as err:
        annotate_tables(GENOME_NEXUS_MAF, sv=bad, out=tmp_path / "o.tsv")
    assert (err.value.location.file, err.value.location.line) == (str(bad), 2)
