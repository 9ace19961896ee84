"""MAF, fusion callers, copy number and IHC tables: meaning kept, bad input located."""

from __future__ import annotations

from pathlib import Path

import pytest

from tkiresist.errors import FormatError
from tkiresist.io import cna, fusions, ihc, maf
from tkiresist.io.readers import read_file
from tkiresist.model.alterations import CopyNumber, Expression, Fusion, Histology, SequenceVariant

DATA = Path(__file__).resolve().parents[1] / "data" / "formats"
READERS = {r.name: r for r in (*fusions.READERS, *cna.READERS)}


def test_maf_egfr_exon19_delins_and_counts() -> None:
    result = maf.read(DATA / "maf/genome-nexus_minimal_example.out.mskcc.maf.txt")
    egfr = result.findings[2]
    assert isinstance(egfr.alteration, SequenceVariant)
    assert egfr.alteration.name == "EGFR p.L747_S752delinsQ"
    assert egfr.alteration.exon == 19 and egfr.alteration.reference == "ENST00000275493.2"
    splice = result.findings[1].alteration
    assert isinstance(splice, SequenceVariant) and splice.protein is None
    assert splice.cdna == "c.630G>T"  # p.X210_splice kept through its c. change
    runx1 = maf.read(DATA / "maf/vcf2maf_test_b38_output.maf").findings[0]
    assert (runx1.alt_reads, runx1.depth, runx1.vaf) == (21, 54, 0.388889)
    assert runx1.note == "Missense_Mutation"


def test_maf_mixed_builds_refused(tmp_path: Path) -> None:
    src = (DATA / "maf/genome-nexus_minimal_example.out.mskcc.maf.txt").read_text()
    lines = src.splitlines()
    lines[-1] = lines[-1].replace("GRCh37", "GRCh38", 1)
    path = tmp_path / "mixed.maf"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError) as err:
        maf.read(path)
    assert err.value.location.line == 6 and err.value.location.field == "NCBI_Build"
    assert "build mismatch" in err.value.message


def test_arriba_quality_frame_and_support() -> None:
    current = fusions.read_arriba(DATA / "arriba/arriba_test_fusions.tsv").findings[0]
    assert isinstance(current.alteration, Fusion) and current.alteration.name == "BCR::ABL1"
    assert current.alteration.in_frame is True and current.quality == "pass"
    assert (current.split_reads, current.spanning_pairs, current.alt_reads) == (11, 0, 11)
    old = fusions.read_arriba(DATA / "arriba/annoFuseData_arriba_example.tsv")
    assert old.sample == "BS_W97QQYKQ"  # appended tumor_id column tolerated
    assert {f.quality for f in old.findings} == {"pass", "low"}
    reasons = " ".join(u.reason for u in old.unannotated)
    assert "intragenic" in reasons and "intergenic" in reasons
    # an unknown gene is kept as written, with a located warning
    assert any(f.alteration.name == "AC009093.3::ANK2" for f in old.findings)
    assert any(w.location.line == 3 and "AC009093.3" in w.message for w in old.warnings)


def test_star_fusion_coding_effect_columns() -> None:
    (kiaa,) = fusions.read_star_fusion(
        DATA / "star_fusion/annoFuseData_starfusion_example.tsv"
    ).findings
    assert kiaa.alteration.name == "KIAA1549::BRAF"
    assert kiaa.alteration.in_frame is True
    assert (kiaa.split_reads, kiaa.spanning_pairs) == (16, 1)
    legacy = fusions.read_star_fusion(
        DATA / "star_fusion/STAR-Fusion_testing_saved.fusion_candidates.final.abridged.FFPM"
    )
    assert legacy.findings[0].alteration.name == "THRA::AC090627.1"
    assert legacy.findings[6].quality == "pass"  # NO_LDAS but 44 spanning fragments


def test_cbioportal_sv_exons_and_order() -> None:
    result = fusions.read_cbioportal_sv(DATA / "cbioportal/data_sv.txt")
    p1, p2, p3 = result.findings
    assert p1.alteration.detail == "EML4 exon 13::ALK exon 20"
    assert p2.alteration.detail == "KIF5B exon 15::RET exon 12"  # Event_Info gives the order
    assert isinstance(p3.alteration, Fusion) and p3.alteration.five_prime is None
    assert result.findings_by_sample["P1-T1"][0] is p1


def test_oncokb_tables_restore_kinase_order() -> None:
    result = fusions.read_oncokb_fusion(DATA / "oncokb/fusions.txt")
    s1 = result.findings_by_sample["S1"][0].alteration
    assert isinstance(s1, Fusion) and s1.name == "EML4::ALK" and s1.order_corrected
    assert result.findings_by_sample["S4"][0].alteration.name == "NKX2-1::ALK"
    sv = fusions.read_oncokb_sv(DATA / "oncokb/sv.txt")
    assert [f.alteration.name for f in sv.findings] == ["EML4::ALK", "CD74::ROS1"]


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        (
            "cbioportal/data_cna.txt",
            {
                ("P1-T1", "MET", "amplification"),
                ("P1-T1", "CDKN2A", "deletion"),
                ("P2-T1", "EGFR", "amplification"),
            },
        ),
        (
            "cbioportal/data_cna_long.txt",
            {
                ("P1-T1", "MET", "amplification"),
                ("P1-T1", "CDKN2A", "deletion"),
                ("P2-T1", "EGFR", "amplification"),
            },
        ),
        (
            "cbioportal/all_thresholded.by_genes.txt",
            {("P1-T1", "MET", "amplification"), ("P1-T1", "CDKN2A", "deletion")},
        ),
        (
            "oncokb/individual_cna.txt",
            {
                ("S1", "MET", "amplification"),
                ("S1", "CDKN2A", "deletion"),
                ("S2", "MET", "amplification"),
                ("S2", "ERBB2", "gain"),
            },
        ),
    ],
)
def test_discrete_copy_number_tables(file: str, expected: set[tuple[str, str, str]]) -> None:
    result = read_file(DATA / file)
    got = set()
    for sample, group in result.findings_by_sample.items():
        for f in group:
            assert isinstance(f.alteration, CopyNumber)
            got.add((sample, f.alteration.gene, f.alteration.change))
    assert got == expected


def test_discrete_gain_loss_on_request() -> None:
    result = cna.read_cbioportal_cna(DATA / "cbioportal/data_cna.txt", include_gain_loss=True)
    changes = {
        (s, f.alteration.gene, f.alteration.change)
        for s, g in result.findings_by_sample.items()
        for f in g
    }  # type: ignore[union-attr]
    assert ("P2-T1", "ERBB2", "loss") in changes and ("P3-T1", "ERBB2", "gain") in changes


def test_cnvkit_thresholds() -> None:
    called = cna.read_cnvkit(DATA / "cnvkit/cnvkit_p2-9_2.call.cns")
    amp = [f for f in called.findings if f.alteration.change == "amplification"]  # type: ignore[union-attr]
    assert [f.alteration.gene for f in amp] == ["EDNRB"]  # type: ignore[union-attr]
    assert amp[0].alteration.copy_number == 5  # type: ignore[union-attr]
    raw = cna.read_cnvkit(DATA / "cnvkit/cnvkit_p2-9_2.cns")
    assert any("cnvkit.py call" in w.message for w in raw.warnings)  # chrX from log2
    strict = cna.read_cnvkit(
        DATA / "cnvkit/cnvkit_p2-9_2.cns", thresholds=cna.CnvThresholds(amplification_log2=2.0)
    )
    assert len(strict.findings) < len(raw.findings)
    assert cna.CnvThresholds().from_cn(2.04) is None and cna.CnvThresholds().from_cn(1) == "loss"


def test_gene_calls_and_ihc() -> None:
    calls = cna.read_gene_calls(DATA / "cna/gene_calls.tsv")
    fish = calls.findings_by_sample["S2"][0]
    assert fish.method == "FISH" and fish.alteration.ratio == 2.6  # type: ignore[union-attr]
    seed = ihc.read(DATA / "ihc/seed_ihc.tsv")
    brain = seed.findings_by_sample["brain metastasis"][0].alteration
    assert isinstance(brain, Expression) and (brain.marker, brain.result, brain.clone) == (
        "ALK",
        "positive",
        "D5F3",
    )
    mixed = ihc.read(DATA / "ihc/mixed_methods.tsv").findings
    assert isinstance(mixed[0].alteration, Fusion) and mixed[0].method == "FISH"
    assert isinstance(mixed[2].alteration, Histology) and mixed[2].status == "not_detected"


BAD = [
    # (reader, text, line, column, needle)
    ("arriba", "#gene1,gene2,strand1\nA,B,C\n", 1, 1, "comma-separated"),
    ("cnvkit", "chromosome\tstart\tend\tgene\tlog2\nchr1\t1\t2\tEGFR", 2, 5, "truncated"),
    ("cnvkit", "chromosome\tstart\tend\tgene\nchr1\t1\t2\tEGFR\n", 1, None, "log2"),
    ("cnvkit", "", 1, None, "empty"),
    ("cnvkit", "chromosome\tstart\tend\tgene\tlog2\nchr1\t1\t2\tEGFR\thigh\n", 2, 5, "log2"),
    ("cbioportal-cna", "Hugo_Symbol\tS1\nEGFR\t3\n", 2, 2, "discrete"),
    ("oncokb-sv", "Tumor_Sample_Barcode\tGeneA\tGeneB\nS1\tALK\tEML4\n", 1, None, "Sv_Type"),
]


@pytest.mark.parametrize(("reader", "text", "line", "column", "needle"), BAD)
def test_bad_tables_are_located(
    tmp_path: Path, reader: str, text: str, line: int, column: int | None, needle: str
) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text(text)
    with pytest.raises(FormatError) as err:
        READERS[reader].read(path)
    loc = err.value.location
    assert loc.file == str(path) and loc.line == line
    if column is not None:
        assert loc.column == column
    assert needle in str(err.value)


def test_bad_maf_and_ihc(tmp_path: Path) -> None:
    path = tmp_path / "m.maf"
    path.write_text("#version 2.4\nHugo_Symbol\tVariant_Classification\nEGFR\tMissense_Mutation\n")
    with pytest.raises(FormatError) as err:
        maf.read(path)
    assert err.value.location.line == 2 and err.value.location.field == "Tumor_Sample_Barcode"
    path = tmp_path / "i.tsv"
    path.write_text("marker\tresult\nALK\tmaybe\n")
    with pytest.raises(FormatError) as err:
        ihc.read(path)
    assert (err.value.location.line, err.value.location.column) == (2, 2)
