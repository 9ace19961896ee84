"""VCF: Oncomine fusions and negatives, hotspot calls, breakends, and bad input."""

# ruff: noqa: E501

from __future__ import annotations

from pathlib import Path

import pytest

from tkiresist.errors import FormatError
from tkiresist.io import vcf
from tkiresist.model.alterations import CopyNumber, Fusion, SequenceVariant

DATA = Path(__file__).resolve().parents[1] / "data" / "formats"
BASELINE = DATA / "oncomine/seed_baseline_lung.vcf"
PROGRESSION = DATA / "oncomine/seed_progression_brain.vcf"


def _by_name(path: Path) -> dict[str, tuple[str, object]]:
    result = vcf.read(path)
    return {f.alteration.name: (f.status, f) for f in result.findings}


def test_oncomine_baseline_negatives_follow_the_assay() -> None:
    result = vcf.read(BASELINE)
    assert result.caller == "ion-reporter"
    assert result.sample == "SEED-LUNG-DX"
    names = {f.alteration.name: f for f in result.findings}
    ex19 = names["EGFR p.E746_A750del"]
    assert ex19.status == "detected" and ex19.quality == "pass"
    assert (ex19.vaf, ex19.depth, ex19.alt_reads) == (0.384, 2113, 812)  # FAO/FDP, AF
    assert isinstance(ex19.alteration, SequenceVariant) and ex19.alteration.exon == 19
    assert names["EGFR p.T790M"].status == "not_detected"  # hotspot GT 0/0
    assert names["MET amplification"].status == "not_detected"  # CN 2.04 on a covered gene
    for gene in ("ALK", "ROS1", "RET", "NTRK1"):
        finding = names[f"{gene} fusion"]
        assert finding.status == "not_detected"
        assert isinstance(finding.alteration, Fusion) and finding.alteration.five_prime is None
    assert {q.kind for q in result.qc} == {"5p3pAssays", "ExprControl"}
    assert not any(f.alteration.name.startswith(("LMNA", "ACTB")) for f in result.findings)


def test_oncomine_progression_detects_eml4_alk_with_exons_and_reads() -> None:
    result = vcf.read(PROGRESSION)
    fusions = [f for f in result.findings if isinstance(f.alteration, Fusion)]
    detected = [f for f in fusions if f.status == "detected"]
    assert len(detected) == 1
    alk = detected[0]
    assert alk.alteration.detail == "EML4 exon 13::ALK exon 20"
    assert alk.alt_reads == 1843 and alk.quality == "pass"
    assert alk.provenance is not None and alk.provenance.line == 39
    assert "COSF408" in (alk.note or "")
    # ALK is detected, so no "ALK fusion not detected" statement
    assert not any(f.alteration.name == "ALK fusion" for f in fusions)


def test_ion_cnv_amplification(tmp_path: Path) -> None:
    text = BASELINE.read_text().replace("./.:0:2.04", "./.:0:7.5")
    path = tmp_path / "amp.vcf"
    path.write_text(text)
    met = next(f for f in vcf.read(path).findings if isinstance(f.alteration, CopyNumber))
    assert met.status == "detected"
    assert met.alteration.change == "amplification" and met.alteration.copy_number == 7.5


def test_unannotated_breakends_are_kept_without_fusion() -> None:
    result = vcf.read(DATA / "sv_bnd_vcf/vcf2maf_test_delly.vcf")
    assert result.findings == ()
    bnds = [b for b in result.breakends if b.svtype == "BND"]
    assert next((b.chrom, b.mate_chrom, b.mate_pos) for b in bnds) == ("21", "15", 80623247)
    assert any("no gene annotation" in w.message for w in result.warnings)


def test_vcf44_breakends_pair_by_mateid_and_keep_svclaim() -> None:
    result = vcf.read(DATA / "sv_bnd_vcf/hts-specs_sv44.vcf")
    by_id = {b.id: b for b in result.breakends if b.id}
    assert by_id["delbp1"].mate_id == "delbp2" and by_id["delbp1"].mate_pos == 5
    assert {b.svclaim for b in result.breakends if b.svtype == "DEL"} == {"DJ", "D"}
    assert any(b.svtype == "single" for b in result.breakends)


HEADER = """##fileformat=VCFv4.2
##reference=GRCh38
##contig=<ID=chr1,length=248956422>
##INFO=<ID=ANN,Number=.,Type=String,Description="Functional annotations: 'Allele | Annotation | Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | Feature_ID | Transcript_BioType | Rank | HGVS.c | HGVS.p | cDNA.pos / cDNA.length | CDS.pos / CDS.length | AA.pos / AA.length | Distance | ERRORS / WARNINGS / INFO'">
##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: Allele|Consequence|SYMBOL|Feature|EXON|HGVSc|HGVSp|CANONICAL">
##INFO=<ID=MATEID,Number=A,Type=String,Description="mate">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNORMAL\tTUMOR
"""
ANN_REC = (
    "chr7\t55191822\t.\tT\tG\t50\tPASS\tANN=G|missense_variant|MODERATE|EGFR|ENSG00000146648|"
    "transcript|ENST00000275493.7|protein_coding|21/28|c.2573T>G|p.Leu858Arg|||||\t"
    "GT:AD\t0/0:40,0\t0/1:60,40\n"
)
CSQ_REC = (
    "chr7\t55181378\t.\tC\tT\t50\tclustered_events\tCSQ=T|missense_variant|EGFR|ENST00000275493|"
    "20/28|ENST00000275493.7:c.2369C>T|ENSP00000275493.2:p.Thr790Met|YES\t"
    "GT:AD\t0/0:40,0\t0/1:90,10\n"
)


def _write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "x.vcf"
    path.write_text(header + body)
    return path


def test_snpeff_and_vep_small_variants_take_tumour_counts(tmp_path: Path) -> None:
    result = vcf.read(_write(tmp_path, ANN_REC + CSQ_REC))
    assert result.genome_build == "GRCh38"
    assert result.sample == "TUMOR"
    l858r, t790m = result.findings
    assert l858r.alteration.name == "EGFR p.L858R"
    assert (l858r.vaf, l858r.depth, l858r.alt_reads, l858r.quality) == (0.4, 100, 40, "pass")
    assert t790m.alteration.name == "EGFR p.T790M" and t790m.quality == "fail"
    assert t790m.alteration.exon == 20 and t790m.vaf == 0.1


def test_annotated_breakend_pair_makes_a_fusion(tmp_path: Path) -> None:
    body = (
        "chr2\t29446394\tb1\tA\t]chr2:42522656]A\t.\tPASS\tMATEID=b2;ANN=A|gene_fusion|HIGH|"
        "ALK&EML4|x|gene_variant|x|||||\tGT:AD\t0/0:1,0\t0/1:1,1\n"
        "chr2\t42522656\tb2\tG\tG[chr2:29446394[\t.\tPASS\tMATEID=b1\tGT:AD\t0/0:1,0\t0/1:1,1\n"
    )
    result = vcf.read(_write(tmp_path, body))
    (fusion,) = result.findings
    assert fusion.alteration.name == "EML4::ALK"
    assert fusion.alteration.order_corrected is True
    assert len(result.breakends) == 2


@pytest.mark.parametrize(
    ("mutate", "line", "column", "needle"),
    [
        # truncated last record (no newline, fields missing)
        (lambda t: t.rstrip("\n")[:-60], 52, None, "truncated"),
        # wrong delimiter in the #CHROM line
        (lambda t: t.replace("#CHROM\tPOS\tID", "#CHROM POS ID"), 35, 1, "column"),
        # a fusion record without READ_COUNT: missing expected INFO field
        (
            lambda t: t.replace(
                "SVTYPE=Fusion;READ_COUNT=0;GENE_NAME=CD74", "SVTYPE=Fusion;GENE_NAME=CD74"
            ),
            43,
            8,
            "READ_COUNT",
        ),
        # build mismatch between ##reference and contig lengths
        (lambda t: t.replace("##reference=hg19", "##reference=GRCh38"), 5, None, "build mismatch"),
        # POS not a number
        (lambda t: t.replace("chr7\t55249071", "chr7\tx55249071"), 37, 2, "POS"),
    ],
    ids=["truncated", "delimiter", "missing-info", "build-mismatch", "bad-pos"],
)
def test_bad_oncomine_input_is_located(
    tmp_path: Path, mutate: object, line: int, column: int | None, needle: str
) -> None:
    path = tmp_path / "bad.vcf"
    path.write_text(mutate(BASELINE.read_text()))  # type: ignore[operator]
    with pytest.raises(FormatError) as err:
        vcf.read(path)
    loc = err.value.location
    assert loc.file == str(path)
    assert loc.line == line
    if column is not None:
        assert loc.column == column
    assert needle in str(err.value)


def test_unannotated_small_variant_vcf_is_refused(tmp_path: Path) -> None:
    body = "chr7\t55191822\t.\tT\tG\t50\tPASS\t.\tGT:AD\t0/0:40,0\t0/1:60,40\n"
    with pytest.raises(FormatError) as err:
        vcf.read(_write(tmp_path, body))
    assert "without the expected INFO fields" in err.value.message
    assert err.value.location.line == 10 and err.value.location.column == 8


def test_empty_and_non_vcf(tmp_path: Path) -> None:
    empty = tmp_path / "e.vcf"
    empty.write_text("")
    with pytest.raises(FormatError, match="empty"):
        vcf.read(empty)
    other = tmp_path / "o.vcf"
    other.write_text("#CHROM\tPOS\n")
    with pytest.raises(FormatError, match="fileformat"):
        vcf.read(other)
    header_only = tmp_path / "h.vcf"
    header_only.write_text("##fileformat=VCFv4.2\n##source=x\n")
    with pytest.raises(FormatError, match="truncated"):
        vcf.read(header_only)


def test_gzip_is_read(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "x.vcf.gz"
    path.write_bytes(gzip.compress(PROGRESSION.read_bytes()))
    assert len(vcf.read(path).findings) == 7
