"""annotate_tables end to end on small real and constructed tables."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from tests.annotate.conftest import (
    CBIO_SV,
    GENOME_NEXUS_MAF,
    ONCOKB_FUSIONS,
    VCF2MAF_MAF,
)
from tkiresist.annotate import OUTPUT_COLUMNS, annotate_tables, inputs
from tkiresist.errors import FormatError
from tkiresist.knowledge.loader import KnowledgeBase

EX19 = "egfr_classical_sensitising,egfr_ex19del,egfr_mutation,egfr_sensitising"
L858R = "egfr_classical_sensitising,egfr_l858r,egfr_mutation,egfr_sensitising"


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def data_lines(path: Path) -> list[str]:
    return [x for x in path.read_text(encoding="utf-8").splitlines() if not x.startswith("#")]


def test_egfr_exon19_delins_from_a_real_maf(tmp_path: Path, fixture_kb: KnowledgeBase) -> None:
    out = tmp_path / "out.tsv"
    report = annotate_tables(GENOME_NEXUS_MAF, out=out, kb=fixture_kb)
    rows = read_rows(out)
    assert len(rows) == 3
    egfr = rows[2]
    assert egfr["HGVSp_Short"] == "p.L747_S752delinsQ"
    assert egfr["TKIRESIST_ALTERATION"] == "EGFR p.L747_S752delinsQ"
    assert egfr["TKIRESIST_CATEGORIES"] == EX19
    # the fixture's exon 19 sensitivity statement: regimen level A; prior therapy unknown
    assert egfr["TKIRESIST_HIGHEST_SENSITIVE_LEVEL"] == "A"
    assert egfr["TKIRESIST_HIGHEST_RESISTANCE_LEVEL"] == ""
    assert egfr["TKIRESIST_STATEMENTS"] == "ex19del-first-line"
    assert egfr["TKIRESIST_STATUS"] == "annotated"
    assert egfr["TKIRESIST_ONCOTREE_CODE"] == "NSCLC"
    assert egfr["TKIRESIST_PRIOR_DRUG_CLASSES"] == ""
    # the other two rows: a PIK3CA in-frame deletion, and an EGFR splice-region change read
    # through its c. change (p.X210_splice has no protein change)
    assert rows[0]["TKIRESIST_ALTERATION"] == "PIK3CA p.V105_E109delinsG"
    assert rows[0]["TKIRESIST_CATEGORIES"] == "pik3ca_mutation"
    assert rows[1]["TKIRESIST_ALTERATION"] == "EGFR c.630G>T"
    assert rows[1]["TKIRESIST_CATEGORIES"] == "egfr_mutation"
    assert [r["TKIRESIST_STATUS"] for r in rows[:2]] == ["no_match", "no_match"]
    maf = report.table("maf")
    assert (maf.rows_in, maf.rows_out) == (3, 3)
    assert maf.count("annotated") == 1
    # the empty Tumor_Sample_Barcode is reported, located
    assert any("Tumor_Sample_Barcode" in str(w) and ":4:17:" in str(w) for w in report.warnings)


def test_packaged_knowledge_base_categories(tmp_path: Path) -> None:
    out = tmp_path / "out.tsv"
    report = annotate_tables(GENOME_NEXUS_MAF, out=out)
    egfr = read_rows(out)[2]
    assert egfr["TKIRESIST_ALTERATION"] == "EGFR p.L747_S752delinsQ"
    assert egfr["TKIRESIST_CATEGORIES"] == EX19
    assert report.knowledge_base.startswith("tkiresist knowledge base ")


def test_output_is_the_input_line_plus_columns(tmp_path: Path) -> None:
    out = tmp_path / "out.tsv"
    annotate_tables(VCF2MAF_MAF, out=out)
    text = out.read_text(encoding="utf-8").splitlines()
    src = VCF2MAF_MAF.read_text(encoding="utf-8").splitlines()
    assert text[0] == src[0] == "#version 2.4"
    assert text[1] == src[1] + "\t" + "\t".join(OUTPUT_COLUMNS)
    assert len(text) == len(src)
    for got, original in zip(text[2:], src[2:], strict=True):
        assert got.startswith(original + "\t")
        assert got.count("\t") == original.count("\t") + len(OUTPUT_COLUMNS)


def test_unknown_gene_is_kept_and_reported_with_its_line(
    tmp_path: Path, write_maf: Callable[..., Path], fixture_kb: KnowledgeBase
) -> None:
    maf = write_maf(
        [
            ("EGFR", "GRCh37", "Missense_Mutation", "S1", "c.2573T>G", "p.L858R"),
            ("NOTAGENE1", "GRCh37", "Missense_Mutation", "S1", "c.10A>G", "p.K4E"),
            ("TP53", "GRCh37", "Nonsense_Mutation", "S1", "c.916C>T", "p.R306*"),
        ]
    )
    out = tmp_path / "out.tsv"
    report = annotate_tables(maf, out=out, kb=fixture_kb)
    rows = read_rows(out)
    assert [r["Hugo_Symbol"] for r in rows] == ["EGFR", "NOTAGENE1", "TP53"]
    unknown = rows[1]
    assert unknown["TKIRESIST_STATUS"] == "unknown_gene"
    assert all(unknown[c] == "" for c in OUTPUT_COLUMNS if c not in (
        "TKIRESIST_STATUS", "TKIRESIST_ONCOTREE_CODE", "TKIRESIST_PRIOR_DRUG_CLASSES"))  # fmt: skip
    assert rows[0]["TKIRESIST_CATEGORIES"] == L858R
    assert rows[2]["TKIRESIST_ALTERATION"] == "TP53 p.R306*"
    warning = next(w for w in report.warnings if "NOTAGENE1" in w.message)
    # line 1 is '#version 2.4', line 2 the header: the second data row is line 4
    assert (warning.location.file, warning.location.line) == (str(maf), 4)
    assert (warning.location.column, warning.location.field) == (1, "Hugo_Symbol")
    assert report.table("maf").count("unknown_gene") == 1


def test_tsv_and_parquet_have_the_same_rows(tmp_path: Path) -> None:
    tsv, parquet = tmp_path / "out.tsv", tmp_path / "out.parquet"
    annotate_tables(VCF2MAF_MAF, out=tsv)
    annotate_tables(VCF2MAF_MAF, out=parquet, fmt="parquet")
    con = duckdb.connect()
    from_tsv = con.execute(
        f"SELECT * FROM read_csv('{tsv}', delim='\t', skip=1, header=true, quote='', "
        "escape='', all_varchar=true)"
    ).fetchall()
    from_parquet = con.execute(f"SELECT * FROM '{parquet}'").fetchall()
    assert len(from_tsv) == len(from_parquet) == 25

    def norm(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
        return [tuple("" if v is None else v for v in r) for r in rows]

    assert norm(from_tsv) == norm(from_parquet)
    meta = dict(con.execute(f"SELECT key, value FROM parquet_kv_metadata('{parquet}')").fetchall())
    assert meta[b"comments"] == b"#version 2.4"
    assert meta[b"tkiresist_knowledge_base"].startswith(b"tkiresist knowledge base")


def test_row_order_and_count_over_many_rows(
    tmp_path: Path, write_maf: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every output row is its own input line plus its own annotation, with the file read in
    many buffers in parallel (small buffers here; a 200 MB file gets them at the default
    size). A join in the read once reordered the rows; every row is checked."""
    monkeypatch.setattr(inputs, "MIN_LINE_SIZE", 32_768)  # DuckDB buffers of 512 KB
    genes = ["EGFR", "TP53", "KRAS", "RUNX1", "NOTAGENE1", "PIK3CA", "BRAF"]
    changes = ["p.L858R", "p.R175H", "p.G12C", "p.L429R", "p.K4E", "p.E545K", "p.V600E"]
    classes = ["Missense_Mutation", "Silent", "Intron", "3'UTR", "Missense_Mutation", "RNA"]
    n = 150_000
    rows = [
        (genes[i % 7], "GRCh38", classes[(i // 7) % 6], f"S{i % 997}", "", changes[(i * 3) % 7])
        for i in range(n)
    ]
    maf = write_maf(rows)
    out = tmp_path / "out.tsv"
    report = annotate_tables(maf, out=out)
    got = data_lines(out)[1:]
    assert len(got) == n == report.table("maf").rows_out
    src = data_lines(maf)[1:]
    assert all(g.startswith(s + "\t") for g, s in zip(got, src, strict=True))
    annotated = read_rows(out)
    coding = 0
    for row in annotated:
        if row["Variant_Classification"] != "Missense_Mutation":
            assert row["TKIRESIST_ALTERATION"] == ""
        elif row["TKIRESIST_STATUS"] != "unknown_gene":
            assert row["TKIRESIST_ALTERATION"] == f"{row['Hugo_Symbol']} {row['HGVSp_Short']}"
            coding += 1
    assert coding == sum(1 for r in rows if r[2] == "Missense_Mutation" and r[0] != "NOTAGENE1")


def _clinical(write_table: Callable[[str, str], Path], rows: list[tuple[str, str, str]]) -> Path:
    head = (
        "#Sample\tCancer\tTherapy\n#STRING\tSTRING\tSTRING\n"
        "SAMPLE_ID\tONCOTREE_CODE\tPRIOR_THERAPY\n"
    )
    return write_table("clinical.txt", head + "".join("\t".join(r) + "\n" for r in rows))


def test_prior_therapy_and_tumour_type_change_the_levels(
    tmp_path: Path,
    write_maf: Callable[..., Path],
    write_table: Callable[[str, str], Path],
    fixture_kb: KnowledgeBase,
) -> None:
    samples = ["EARLY", "OSI", "UNKNOWN", "NAIVE", "BREAST", "NOCLIN"]
    rows = []
    for s in samples:
        rows.append(("EGFR", "GRCh37", "Missense_Mutation", s, "", "p.L858R"))
        rows.append(("EGFR", "GRCh37", "Missense_Mutation", s, "", "p.T790M"))
    rows.append(("EGFR", "GRCh37", "Missense_Mutation", "NODRIVER", "", "p.T790M"))
    maf = write_maf(rows)
    clinical = _clinical(
        write_table,
        [("EARLY", "LUAD", "erlotinib"), ("OSI", "LUAD", "osimertinib"), ("UNKNOWN", "NSCLC", ""),
         ("NAIVE", "LUAD", "none"), ("BREAST", "BRCA", "erlotinib"),
         ("NODRIVER", "LUAD", "erlotinib")],
    )  # fmt: skip
    out = tmp_path / "out.tsv"
    annotate_tables(maf, clinical=clinical, out=out, kb=fixture_kb)
    t790m = {r["Tumor_Sample_Barcode"]: r for r in read_rows(out) if r["HGVSp_Short"] == "p.T790M"}
    fired = {s: r["TKIRESIST_STATEMENTS"] for s, r in t790m.items()}
    assert fired == {
        "EARLY": "t790m-after-early",  # generation 1, driver present
        "OSI": "",  # generation 3 only
        "UNKNOWN": "t790m-after-early",  # prior therapy unknown: context not applied
        "NAIVE": "",  # no prior therapy
        "BREAST": "",  # not NSCLC
        "NOCLIN": "t790m-after-early",  # not in the clinical file: NSCLC, therapy unknown
        # no sensitising driver row, but erlotinib implies one (#12: the driver is presumed from
        # an EGFR TKI line, as in the case engine): T790M after erlotinib still means osimertinib
        "NODRIVER": "t790m-after-early",
    }
    early = t790m["EARLY"]
    assert early["TKIRESIST_HIGHEST_RESISTANCE_LEVEL"] == "A"  # the statement's level
    assert early["TKIRESIST_HIGHEST_SENSITIVE_LEVEL"] == "B"  # its osimertinib regimen
    assert early["TKIRESIST_PRIOR_DRUG_CLASSES"] == "egfr_tki"
    assert t790m["NAIVE"]["TKIRESIST_PRIOR_DRUG_CLASSES"] == "none"
    assert t790m["UNKNOWN"]["TKIRESIST_PRIOR_DRUG_CLASSES"] == ""
    assert t790m["NOCLIN"]["TKIRESIST_ONCOTREE_CODE"] == "NSCLC"
    assert t790m["BREAST"]["TKIRESIST_ONCOTREE_CODE"] == "BRCA"
    assert t790m["OSI"]["TKIRESIST_STATUS"] == "no_match"


def test_sv_and_cna_rows_take_context_from_the_maf(
    tmp_path: Path,
    write_maf: Callable[..., Path],
    write_table: Callable[[str, str], Path],
    fixture_kb: KnowledgeBase,
) -> None:
    maf = write_maf([("EGFR", "GRCh37", "In_Frame_Del", "P1-T1", "", "p.E746_A750del")])
    clinical = _clinical(write_table, [("P1-T1", "LUAD", "osimertinib")])
    out = tmp_path / "cohort.tsv"
    report = annotate_tables(maf, sv=CBIO_SV, clinical=clinical, out=out, kb=fixture_kb)
    sv_rows = read_rows(tmp_path / "cohort.sv.tsv")
    assert len(sv_rows) == 4
    eml4 = sv_rows[0]
    assert (eml4["Sample_Id"], eml4["TKIRESIST_ALTERATION"]) == ("P1-T1", "EML4::ALK")
    assert eml4["TKIRESIST_STATEMENTS"] == "alk-fusion-after-egfr"
    assert eml4["TKIRESIST_HIGHEST_RESISTANCE_LEVEL"] == "C"
    assert sv_rows[1]["TKIRESIST_ALTERATION"] == "KIF5B::RET"  # written RET first
    assert sv_rows[2]["TKIRESIST_ALTERATION"] == "ALK fusion"  # partner not given
    assert sv_rows[3]["TKIRESIST_STATUS"] == "unparsed"  # EGFR::EGFR, intragenic
    assert report.table("sv").rows_out == 4


def test_cna_long_output_and_context(
    tmp_path: Path,
    write_maf: Callable[..., Path],
    write_table: Callable[[str, str], Path],
    fixture_kb: KnowledgeBase,
) -> None:
    maf = write_maf([("EGFR", "GRCh37", "Missense_Mutation", "P1-T1", "", "p.L858R")])
    cna = write_table(
        "data_cna.txt",
        "Hugo_Symbol\tEntrez_Gene_Id\tP1-T1\tP2-T1\tP3-T1\n"
        "MET\t4233\t2\t0\tNA\nEGFR\t1956\t1\t2\t0\nCDKN2A\t1029\t-2\t-1.5\t\n"
        "NOTAGENE1\t0\t2\t0\t0\n",
    )
    out = tmp_path / "cohort.parquet"
    report = annotate_tables(maf, cna=cna, out=out, fmt="parquet", kb=fixture_kb)
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT Hugo_Symbol, Sample_Id, Value, TKIRESIST_ALTERATION, TKIRESIST_STATEMENTS, "
        f"TKIRESIST_STATUS FROM '{tmp_path / 'cohort.cna.parquet'}'"
    ).fetchall()
    assert rows == [
        ("MET", "P1-T1", "2", "MET amplification", "met-amp-after-egfr", "annotated"),
        ("EGFR", "P1-T1", "1", "EGFR gain", "", "no_match"),
        ("EGFR", "P2-T1", "2", "EGFR amplification", "", "no_match"),
        ("CDKN2A", "P1-T1", "-2", "CDKN2A deletion", "", "no_match"),
        ("CDKN2A", "P2-T1", "-1.5", "CDKN2A loss", "", "no_match"),
        ("NOTAGENE1", "P1-T1", "2", "", "", "unknown_gene"),
    ]
    assert report.table("cna").rows_out == 6
    warning = next(w for w in report.warnings if "NOTAGENE1" in w.message)
    assert (warning.location.line, warning.location.field) == (5, "Hugo_Symbol")


def test_oncokb_fusion_table(tmp_path: Path, write_maf: Callable[..., Path]) -> None:
    maf = write_maf([("EGFR", "GRCh37", "Missense_Mutation", "S1", "", "p.L858R")])
    out = tmp_path / "o.tsv"
    report = annotate_tables(maf, sv=ONCOKB_FUSIONS, out=out)
    rows = read_rows(tmp_path / "o.sv.tsv")
    assert [r["TKIRESIST_ALTERATION"] for r in rows] == [
        "EML4::ALK", "KIF5B::RET", "", "NKX2-1::ALK"]  # fmt: skip
    assert [r["TKIRESIST_STATUS"] for r in rows][2] == "unparsed"
    assert any("EGFR-intragenic" in w.message for w in report.warnings)


def test_unknown_drug_in_clinical_file_is_reported(
    tmp_path: Path, write_maf: Callable[..., Path], write_table: Callable[[str, str], Path]
) -> None:
    maf = write_maf([("EGFR", "GRCh37", "Missense_Mutation", "S1", "", "p.T790M")])
    clinical = _clinical(write_table, [("S1", "LUAD", "erlotinib, notadrugumab")])
    out = tmp_path / "o.tsv"
    report = annotate_tables(maf, clinical=clinical, out=out)
    warning = next(w for w in report.warnings if "notadrugumab" in w.message)
    assert (warning.location.line, warning.location.field) == (4, "PRIOR_THERAPY")
    assert read_rows(out)[0]["TKIRESIST_PRIOR_DRUG_CLASSES"] == ""  # taken as unknown


def test_a_failed_write_leaves_no_output(
    tmp_path: Path, write_maf: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the rows written do not line up with the rows read (here: the second read is made
    to skip a line), the run fails and leaves neither the output nor a temporary file."""
    from tkiresist.annotate import engine

    maf = write_maf([("EGFR", "GRCh37", "Missense_Mutation", f"S{i}", "", "p.L858R")
                     for i in range(3)])  # fmt: skip
    read_lines = engine._read_lines

    def skip_one(header: object) -> str:
        return read_lines(header).replace("skip=2", "skip=3")  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "_read_lines", skip_one)
    out = tmp_path / "out" / "o.tsv"
    out.parent.mkdir()
    with pytest.raises(FormatError, match="changed while it was read"):
        annotate_tables(maf, out=out)
    assert list(out.parent.iterdir()) == []


def test_a_refused_input_leaves_no_output(tmp_path: Path, write_maf: Callable[..., Path]) -> None:
    maf = write_maf(
        [("EGFR", "GRCh37", "Missense_Mutation", "S1", "", "p.L858R"),
         ("EGFR", "GRCh38", "Missense_Mutation", "S2", "", "p.L858R")]
    )  # fmt: skip
    out = tmp_path / "out" / "o.tsv"
    out.parent.mkdir()
    with pytest.raises(FormatError, match="genome build mismatch"):
        annotate_tables(maf, out=out)
    assert list(out.parent.iterdir()) == []


@pytest.mark.parametrize("encoding", ["bom+crlf", "gzip without .gz"])
def test_bom_crlf_and_gzip_inputs(tmp_path: Path, encoding: str) -> None:
    import gzip

    text = (
        "#version 2.4\nHugo_Symbol\tTumor_Sample_Barcode\tVariant_Classification\tHGVSp_Short\n"
        "EGFR\tS1\tMissense_Mutation\tp.L858R\nKRAS\tS1\tMissense_Mutation\tp.G12C\n"
    )
    maf = tmp_path / "in.maf"
    if encoding == "bom+crlf":
        maf.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    else:
        maf.write_bytes(gzip.compress(text.encode()))
    out = tmp_path / "out.tsv"
    annotate_tables(maf, out=out)
    written = out.read_bytes()
    assert b"\r" not in written
    rows = read_rows(out)
    assert [r["TKIRESIST_ALTERATION"] for r in rows] == ["EGFR p.L858R", "KRAS p.G12C"]
    assert written.startswith(b"#version 2.4\nHugo_Symbol\t")


def test_output_may_not_overwrite_an_input(tmp_path: Path) -> None:
    maf = tmp_path / "m.tsv"
    maf.write_bytes(VCF2MAF_MAF.read_bytes())
    with pytest.raises(FormatError, match="overwrite an input"):
        annotate_tables(maf, out=maf)
    assert maf.read_bytes() == VCF2MAF_MAF.read_bytes()


def test_met_exon14_splice_site_rows(tmp_path: Path, write_maf: Callable[..., Path]) -> None:
    """A MAF writes MET exon 14 skipping as a splice-site row (``p.X1010_splice``, which the
    protein grammar does not read); the c. change on NM_000245 gives the category."""
    rows = [
        ("MET", "GRCh37", "Splice_Site", "S1", "ENST00000397752.3:c.3028+1G>T", "p.X1010_splice"),
        ("MET", "GRCh37", "Splice_Site", "S2", "c.2888-2A>G", "p.X963_splice"),
        ("MET", "GRCh37", "Splice_Region", "S3", "c.3028+3A>G", ""),
    ]
    out = tmp_path / "out.tsv"
    annotate_tables(write_maf(rows), out=out)
    got = {r["Tumor_Sample_Barcode"]: r for r in read_rows(out)}
    assert got["S1"]["TKIRESIST_ALTERATION"] == "MET c.3028+1G>T"
    assert "met_ex14_skipping" in got["S1"]["TKIRESIST_CATEGORIES"].split(",")
    assert "met_ex14_skipping" in got["S2"]["TKIRESIST_CATEGORIES"].split(",")
    assert got["S3"]["TKIRESIST_CATEGORIES"] == ""  # +3: left out on purpose


def test_splice_notation_without_a_c_change(tmp_path: Path, write_maf: Callable[..., Path]) -> None:
    """vcf2maf's ``p.X125_splice`` with no HGVSc (cBioPortal's minimal MAF has none): a gene
    no category names, or one whose every variant has the same categories, is read as
    written, with no warning; MET stays unparsed, since exon 14 skipping depends on the
    change, and the warning says the c. change is needed. A c. change still wins."""
    rows = [
        ("TP53", "GRCh37", "Splice_Site", "S1", "", "p.X125_splice"),
        ("TP53", "GRCh37", "Splice_Site", "S2", "c.375+1G>A", "p.X125_splice"),
        ("PTEN", "GRCh37", "Splice_Site", "S3", "", "p.X70_splice"),
        ("MET", "GRCh37", "Splice_Site", "S4", "", "p.X1010_splice"),
        ("PTEN", "GRCh37", "Splice_Site", "S5", "", "p.X70_splicing"),
    ]
    out = tmp_path / "out.tsv"
    report = annotate_tables(write_maf(rows), out=out)
    got = {r["Tumor_Sample_Barcode"]: r for r in read_rows(out)}
    expected = {
        "S1": ("TP53 p.X125_splice", "tp53_alteration", "no_match"),
        "S2": ("TP53 c.375+1G>A", "tp53_alteration", "no_match"),
        "S3": ("PTEN p.X70_splice", "", "no_match"),
        "S4": ("", "", "unparsed"),
        "S5": ("", "", "unparsed"),
    }
    for sample, (alteration, cats, status) in expected.items():
        row = got[sample]
        assert (
            row["TKIRESIST_ALTERATION"],
            row["TKIRESIST_CATEGORIES"],
            row["TKIRESIST_STATUS"],
        ) == (alteration, cats, status), sample
    warned = [w.message for w in report.warnings]
    assert len(warned) == 2
    assert any("MET p.X1010_splice" in m and "HGVSc" in m for m in warned)
    assert any("PTEN p.X70_splicing" in m for m in warned)


TIMELINE_HEAD = "PATIENT_ID\tSTART_DATE\tSTOP_DATE\tEVENT_TYPE\tAGENT\tSAMPLE_ID\tTREATMENT_TYPE\n"


def test_prior_therapy_from_timelines(
    tmp_path: Path,
    write_maf: Callable[..., Path],
    write_table: Callable[[str, str], Path],
    fixture_kb: KnowledgeBase,
) -> None:
    """The prior therapy of a sample is every agent its patient started before the sample's
    day; the clinical table's own therapy wins where it gives one."""
    samples = ["P1-BASE", "P1-PROG", "P2-PROG", "P3-X", "P4-CLIN"]
    rows = []
    for s in samples:
        rows.append(("EGFR", "GRCh37", "Missense_Mutation", s, "", "p.L858R"))
        rows.append(("EGFR", "GRCh37", "Missense_Mutation", s, "", "p.T790M"))
    maf = write_maf(rows)
    treatments = write_table(
        "data_timeline_treatment.txt",
        TIMELINE_HEAD
        + "P1\t0\t300\tTREATMENT\tErlotinib\t\tTargeted\n"
        + "P1\t310\t\tTREATMENT\tOsimertinib\t\tTargeted\n"
        + "P1\t20\t40\tTREATMENT\tWBRT\t\tRadiation Therapy\n"  # left out: radiation
        + "P2\t0\t\tTREATMENT\tZapotinib\t\tTargeted\n"  # not in the dictionary
        + "P4\t0\t\tTREATMENT\tOsimertinib\t\tTargeted\n",
    )
    specimens = write_table(
        "data_timeline_specimen.txt",
        TIMELINE_HEAD
        + "P1\t-5\t\tSPECIMEN\t\tP1-BASE\t\n"
        + "P1\t700\t\tSPECIMEN\t\tP1-PROG\t\n"
        + "P2\t400\t\tSPECIMEN\t\tP2-PROG\t\n"
        + "P3\t100\t\tSPECIMEN\t\tP3-X\t\n"  # P3 has no treatment: unknown
        + "P4\t500\t\tSPECIMEN\t\tP4-CLIN\t\n",
    )
    clinical = _clinical(write_table, [("P4-CLIN", "LUAD", "erlotinib")])
    out = tmp_path / "out.tsv"
    report = annotate_tables(
        maf, clinical=clinical, out=out, kb=fixture_kb, timelines=(treatments, specimens)
    )
    t790m = {r["Tumor_Sample_Barcode"]: r for r in read_rows(out) if r["HGVSp_Short"] == "p.T790M"}
    classes = {s: r["TKIRESIST_PRIOR_DRUG_CLASSES"] for s, r in t790m.items()}
    assert classes == {
        "P1-BASE": "none",  # treated later, nothing before the baseline biopsy
        "P1-PROG": "egfr_tki",  # erlotinib and osimertinib
        "P2-PROG": "",  # its only agent is unknown: the therapy is unknown
        "P3-X": "",  # no treatment in the timelines: unknown
        "P4-CLIN": "egfr_tki",  # the clinical table's erlotinib, not the timeline's osimertinib
    }
    fired = {s: r["TKIRESIST_STATEMENTS"] for s, r in t790m.items()}
    assert fired["P1-BASE"] == ""  # no prior therapy
    assert fired["P1-PROG"] == "t790m-after-early"  # erlotinib counts
    assert fired["P4-CLIN"] == "t790m-after-early"  # erlotinib (clinical) counts
    zapotinib = [w for w in report.warnings if "Zapotinib" in str(w)]
    assert len(zapotinib) == 1
    assert zapotinib[0].location.file == str(treatments)
    assert zapotinib[0].location.line == 5 and zapotinib[0].location.field == "AGENT"


def test_bad_timelines_are_refused_with_their_line(
    tmp_path: Path, write_maf: Callable[..., Path], write_table: Callable[[str, str], Path]
) -> None:
    maf = write_maf([("EGFR", "GRCh37", "Missense_Mutation", "S1", "", "p.L858R")])
    out = tmp_path / "out.tsv"
    bad_day = write_table(
        "t1.txt",
        TIMELINE_HEAD + "P1\t0\t\tTREATMENT\tErlotinib\t\t\nP1\tday 3\t\tSPECIMEN\t\tS1\t\n",
    )
    with pytest.raises(FormatError) as exc:
        annotate_tables(maf, out=out, timelines=(bad_day,))
    loc = exc.value.location
    assert (loc.file, loc.line, loc.field) == (str(bad_day), 3, "START_DATE")
    assert "'day 3'" in str(exc.value)
    two = write_table(
        "t2.txt", TIMELINE_HEAD + "P1\t5\t\tSPECIMEN\t\tS1\t\nP2\t9\t\tSPECIMEN\t\tS1\t\n"
    )
    with pytest.raises(FormatError, match="sample 'S1' is given two patients"):
        annotate_tables(maf, out=out, timelines=(two,))
    no_lead = write_table("t3.txt", "PATIENT_ID\tEVENT_TYPE\nP1\tSPECIMEN\n")
    with pytest.raises(FormatError, match="START_DATE"):
        annotate_tables(maf, out=out, timelines=(no_lead,))
    assert not out.exists()


def test_timelines_of_an_exported_study(tmp_path: Path) -> None:
    """The seed patient exported as a cBioPortal study, annotated from its own MAF, sample
    table and timelines: the baseline lung biopsy precedes osimertinib, the brain progression
    follows it; the SRT row of the treatment timeline is radiation, not an unknown drug."""
    from tkiresist.io.casefile import read_case
    from tkiresist.io.cbioportal import export_study

    from ..conftest import SEED_CASE

    study = tmp_path / "study"
    export_study([read_case(SEED_CASE)], study, study_id="seed_case")
    out = tmp_path / "out.tsv"
    report = annotate_tables(
        study / "data_mutations.txt",
        clinical=study / "data_clinical_sample.txt",
        out=out,
        timelines=(study / "data_timeline_treatment.txt", study / "data_timeline_specimen.txt"),
    )
    assert "SRT" in (study / "data_timeline_treatment.txt").read_text(encoding="utf-8")
    assert not [w for w in report.warnings if "AGENT" in str(w)]
    rows = [r for r in read_rows(out) if not r["Hugo_Symbol"].startswith("#")]
    prior = {r["Tumor_Sample_Barcode"]: r["TKIRESIST_PRIOR_DRUG_CLASSES"] for r in rows}
    assert prior == {
        "cheung2025-case1-spec-lung": "none",
        "cheung2025-case1-spec-brain": "egfr_tki",
    }
