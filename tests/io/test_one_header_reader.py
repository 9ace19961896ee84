"""One header reader (#14): a column given twice is refused, located, by every path that reads
a table: add-test's readers, annotate and cohort. Before, add-test silently kept the last of two
HGVSp_Short columns, and annotate crashed on other repeated names.

The inputs are cBioPortal's vcf2maf example MAF (tests/data/formats/maf, see SOURCES.md) with
one header name changed into another's."""

from __future__ import annotations

from pathlib import Path

import pytest

from tkiresist.errors import FormatError

from ..conftest import DATA

MAF = DATA / "formats" / "maf" / "vcf2maf_test_b38_output.maf"


def _repeat(tmp_path: Path, column: str) -> tuple[Path, int]:
    """The MAF with the column before ``column`` renamed to ``column``; returns the file and the
    1-based position of the second occurrence."""
    lines = MAF.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("Hugo_Symbol"))
    cols = lines[at].split("\t")
    i = cols.index(column)
    cols[i - 1] = column
    lines[at] = "\t".join(cols)
    out = tmp_path / "repeated.maf"
    out.write_text("\n".join(lines), encoding="utf-8")
    return out, i + 1


@pytest.mark.parametrize("column", ["HGVSp_Short", "Strand", "Tumor_Sample_Barcode"])
def test_add_test_readers_refuse_a_repeated_column(tmp_path: Path, column: str) -> None:
    from tkiresist.io.readers import read_file

    path, second = _repeat(tmp_path, column)
    with pytest.raises(FormatError) as info:
        read_file(path)
    loc = info.value.location
    assert (loc.file, loc.line, loc.column, loc.field) == (str(path), 2, second, column)
    assert "appears twice" in info.value.message


@pytest.mark.parametrize("column", ["HGVSp_Short", "Strand"])
def test_annotate_refuses_a_repeated_column(tmp_path: Path, column: str) -> None:
    from tkiresist.annotate import annotate_tables

    path, second = _repeat(tmp_path, column)
    with pytest.raises(FormatError) as info:
        annotate_tables(path, out=tmp_path / "out.tsv")
    assert (info.value.location.column, info.value.location.field) == (second, column)
    assert not (tmp_path / "out.tsv").exists()


def test_every_path_leaves_out_the_same_non_protein_classifications() -> None:
    """One list of MAF classifications that change no protein (io/maf), used by add-test,
    annotate and cohort: there were 10 in annotate, 8 in cohort and none in add-test, which
    made a silent EGFR change an "EGFR mutation" finding."""
    from tkiresist import cohort
    from tkiresist.annotate import keys
    from tkiresist.io.maf import NON_PROTEIN_CLASSIFICATIONS
    from tkiresist.io.readers import read_file

    assert keys.NON_PROTEIN_CLASSES is NON_PROTEIN_CLASSIFICATIONS
    assert set(cohort.FILTERED_CLASSIFICATIONS) == NON_PROTEIN_CLASSIFICATIONS
    result = read_file(MAF)
    kept = {f.note for f in result.findings}
    assert not kept & NON_PROTEIN_CLASSIFICATIONS
    assert any("Silent: changes no protein" in w.message for w in result.warnings)
