"""One policy for what a structural-variant row means (#14), used by add-test's cBioPortal SV
reader, annotate and cohort: cohort made a fusion of any one gene, annotate only of 3' genes,
the reader only of its own kinase list; germline rows were dropped by cohort alone.

Rows are built from cBioPortal's own data_sv.txt example (tests/data/formats/cbioportal)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tkiresist.annotate.keys import fusion_pair
from tkiresist.io.readers import read_file
from tkiresist.nomenclature.fusions import sv_pair

from ..conftest import DATA

SV = DATA / "formats" / "cbioportal" / "data_sv.txt"


@pytest.mark.parametrize(
    ("site1", "site2", "name"),
    [
        ("EML4", "ALK", "EML4::ALK"),
        ("RET", "KIF5B", "KIF5B::RET"),  # the 3' kinase restored by knowledge
        ("ALK", None, "ALK fusion"),  # one gene that is a 3' partner: partner not given
        ("RAF1", None, "RAF1 fusion"),  # RAF1 was on one of the two 3' lists only
        ("TP53", None, None),  # one gene that is not: no fusion
        ("ALK", "ALK", None),  # intragenic
    ],
)
def test_the_policy_and_annotate_agree(site1: str, site2: str | None, name: str | None) -> None:
    pair = sv_pair(site1, site2)
    assert (pair.fusion.name if pair.fusion else None) == name
    ann = fusion_pair(site1, site2)
    assert ann.alteration == name
    if name is None:
        assert ann.problem == pair.reason


def _sv_file(tmp_path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """data_sv.txt with its first row's sample, status and genes replaced, once per row."""
    lines = SV.read_text(encoding="utf-8").splitlines()
    head = lines[0].split("\t")
    template = lines[1].split("\t")
    out = [lines[0]]
    for status, g1, g2 in rows:
        cells = list(template)
        cells[head.index("SV_Status")] = status
        cells[head.index("Site1_Hugo_Symbol")] = g1
        cells[head.index("Site2_Hugo_Symbol")] = g2
        cells[head.index("Event_Info")] = ""
        out.append("\t".join(cells))
    path = tmp_path / "data_sv.txt"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def test_add_test_reads_one_gene_rows_and_germline_rows_by_the_policy(tmp_path: Path) -> None:
    path = _sv_file(
        tmp_path,
        [("SOMATIC", "RAF1", "NA"), ("SOMATIC", "TP53", "NA"), ("GERMLINE", "EML4", "ALK")],
    )
    result = read_file(path)
    names = [f.alteration.name for f in result.findings]
    assert names == ["RAF1 fusion"]
    reasons = [u.reason for u in result.unannotated]
    assert any("not a kinase known as a 3' fusion partner" in r for r in reasons)
    assert any("germline" in r for r in reasons)
