"""Bad input tables raise FormatErrors that name the file, the line and the column."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tkiresist.annotate import annotate_tables
from tkiresist.errors import FormatError

H = "Hugo_Symbol\tNCBI_Build\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\n"
ROW = "EGFR\tGRCh37\tMissense_Mutation\tS1\tp.L858R\n"
GOOD_MAF = H + ROW

# (id, which input, its text, expected line, column, field, message fragment)
CASES: list[tuple[str, str, str, int | None, int | None, str | None, str]] = [
    ("empty MAF", "maf", "", 1, None, None, "empty MAF file"),
    ("comments only", "maf", "#version 2.4\n#x\n", 3, None, None, "empty MAF file"),
    ("comma-separated", "maf", H.replace("\t", ","), 1, 1, None, "comma-separated"),
    ("missing required column", "maf", H.replace("Tumor_Sample_Barcode", "Sample") + ROW,
     1, None, "Tumor_Sample_Barcode", "missing required column"),
    ("no protein column", "maf", H.replace("HGVSp_Short", "Other") + ROW, 1, None,
     "HGVSp_Short", "HGVSp_Short"),
    ("duplicate column", "maf", H.replace("NCBI_Build", "Hugo_Symbol") + ROW, 1, 2,
     "Hugo_Symbol", "appears twice"),
    ("header only", "maf", "#version 2.4\n" + H, 3, None, None, "no data rows"),
    ("truncated last line", "maf", "#version 2.4\n" + H + ROW + ROW + "EGFR\tGRCh37\tMiss",
     5, 4, "Tumor_Sample_Barcode", "truncated"),
    ("short row inside", "maf", H + ROW + "EGFR\tGRCh37\n" + ROW, 3, 3,
     "Variant_Classification", "found 2"),
    ("extra field", "maf", H + ROW + ROW.rstrip("\n") + "\textra\n", 3, 6, None, "found 6"),
    ("comma-separated rows", "maf", H + ROW.replace("\t", ","), 2, 2, "NCBI_Build", "found 1"),
    ("mixed builds", "maf", H + ROW + ROW.replace("GRCh37", "GRCh38"), 3, 2, "NCBI_Build",
     "genome build mismatch"),
    ("unknown build", "maf", H + ROW.replace("GRCh37", "hg42"), 2, 2, "NCBI_Build",
     "unknown genome build"),
    ("SV of no known layout", "sv", "Sample\tGene\nS1\tALK\n", 1, None, None,
     "tried cBioPortal"),
    ("empty SV", "sv", "", 1, None, None, "empty SV file"),
    ("truncated SV", "sv", "Sample_Id\tSite1_Hugo_Symbol\tSite2_Hugo_Symbol\nS1\tEML4", 2, 3,
     "Site2_Hugo_Symbol", "truncated"),
    ("CNA value", "cna", "Hugo_Symbol\tS1\tS2\nMET\t2\t0\nEGFR\t0\t3\n", 3, 3, "S2",
     "CNA value '3'"),
    ("short CNA line", "cna", "Hugo_Symbol\tS1\tS2\nMET\t2\n", 2, 3, None, "found 2"),
    ("CNA without samples", "cna", "Hugo_Symbol\tEntrez_Gene_Id\nMET\t1\n", 1, None, None,
     "no sample columns"),
    ("CNA gene column not first", "cna", "S1\tHugo_Symbol\n2\tMET\n", 1, 1, "Hugo_Symbol",
     "starts with"),
    ("clinical without SAMPLE_ID", "clinical", "PATIENT_ID\tONCOTREE_CODE\nP1\tLUAD\n", 1, None,
     "SAMPLE_ID", "missing required column"),
    ("duplicate clinical sample", "clinical",
     "#a\tb\n#c\td\nSAMPLE_ID\tONCOTREE_CODE\nS1\tLUAD\nS2\tLUAD\nS1\tLUSC\n", 6, 1, "SAMPLE_ID",
     "appears twice"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("which", "text", "line", "column", "field", "fragment"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_bad_input_is_located(
    tmp_path: Path,
    which: str,
    text: str,
    line: int | None,
    column: int | None,
    field: str | None,
    fragment: str,
) -> None:
    files: dict[str, Path] = {}
    for kind in ("maf", which):
        path = tmp_path / f"{kind}.txt"
        path.write_text(text if kind == which else GOOD_MAF, encoding="utf-8")
        files[kind] = path
    kwargs: dict[str, Any] = {k: v for k, v in files.items() if k != "maf"}
    out = tmp_path / "out.tsv"
    with pytest.raises(FormatError) as info:
        annotate_tables(files["maf"], out=out, **kwargs)
    err = info.value
    assert fragment in err.message
    assert err.location.file == str(files[which])
    assert (err.location.line, err.location.column, err.location.field) == (line, column, field)
    assert str(err).startswith(f"{files[which]}:{line}")
    assert not out.exists()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no such MAF file"):
        annotate_tables(tmp_path / "nope.maf", out=tmp_path / "o.tsv")


def test_unknown_output_format(tmp_path: Path) -> None:
    maf = tmp_path / "m.maf"
    maf.write_text(GOOD_MAF, encoding="utf-8")
    with pytest.raises(FormatError, match="expected tsv or parquet"):
        annotate_tables(maf, out=tmp_path / "o.tsv", fmt="csv")  # type: ignore[arg-type]
