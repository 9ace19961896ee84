"""p53 and Rb results in the IHC table as pathologists write them (#12 item 1).

A pathology report says "p53: null pattern", "p53: overexpression", "p53: wild-type",
"Rb: loss" or "Rb: retained". The IHC table reader keeps the staining pattern on the finding,
so that the interpreter reads a p53 null pattern as a TP53 alteration (aberrant) rather than as
"negative", and names ``p53`` and ``Rb`` as TP53 and RB1 (``Rb`` is not an HGNC symbol). Other
markers keep the plain positive/negative/equivocal vocabulary.

The tables and the case here are SYNTHETIC SCENARIOS written for these tests, not published
patients.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tkiresist.cli import app
from tkiresist.errors import FormatError
from tkiresist.interpret.engine import interpret
from tkiresist.io import ihc
from tkiresist.io.casefile import read_case
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.model.alterations import Expression

runner = CliRunner()


def _table(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "pathology.tsv"
    path.write_text("marker\tresult\tspecimen\n" + rows, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("marker", "result", "gene", "expected"),
    [
        ("p53", "null pattern", "TP53", ("negative", "absent")),
        ("p53", "complete absence", "TP53", ("negative", "absent")),
        ("TP53", "Overexpression", "TP53", ("positive", "overexpression")),
        ("p53", "strong diffuse", "TP53", ("positive", "overexpression")),
        ("p53", "cytoplasmic", "TP53", ("positive", "cytoplasmic")),
        ("p53", "wild-type", "TP53", ("positive", "wild_type")),
        ("p53", "patchy", "TP53", ("positive", "wild_type")),
        ("p53", "negative", "TP53", ("negative", None)),
        ("Rb", "loss", "RB1", ("negative", "loss")),
        ("Rb", "lost", "RB1", ("negative", "loss")),
        ("pRb", "retained", "RB1", ("positive", "retained")),
        ("RB1", "intact", "RB1", ("positive", "retained")),
        ("ALK", "positive", "ALK", ("positive", None)),
    ],
)
def test_pattern_words_become_a_result_and_a_pattern(
    tmp_path: Path, marker: str, result: str, gene: str, expected: tuple[str, str | None]
) -> None:
    """Synthetic table rows. What a pathologist writes for p53 and Rb is kept as a pattern;
    ALK stays as it was (positive, no pattern)."""
    read = ihc.read(_table(tmp_path, f"{marker}\t{result}\tbiopsy\n"))
    (finding,) = read.findings
    assert isinstance(finding.alteration, Expression)
    assert finding.alteration.marker == gene
    assert (finding.alteration.result, finding.pattern) == expected
    assert not read.warnings  # "Rb" and "p53" are names of the protein, not unknown genes


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        ("p53\tbanana\tbiopsy\n", "for p53 IHC"),
        ("Rb\toverexpression\tbiopsy\n", "for Rb IHC"),
        ("ALK\tnull pattern\tbiopsy\n", "expected positive, negative or equivocal"),
        ("ALK\tloss\tbiopsy\n", "expected positive, negative or equivocal"),
    ],
)
def test_words_that_do_not_fit_the_marker_are_refused_where_they_are(
    tmp_path: Path, row: str, needle: str
) -> None:
    """A pattern word for a marker not read by pattern (ALK "null"), or a word that is no
    pattern of its marker (Rb "overexpression"), is a located error, not a guess."""
    path = _table(tmp_path, row)
    with pytest.raises(FormatError) as err:
        ihc.read(path)
    assert needle in err.value.message
    assert (err.value.location.file, err.value.location.line) == (str(path), 2)


CASE = """schema_version: "1.0"
id: synthetic-add-ihc
pseudonym: SYNTHETIC
notes: Synthetic scenario for tests (#12 item 1); not a published patient.
events:
  - {id: dx, type: diagnosis, histology: adenocarcinoma}
  - {id: spec-dx, type: specimen, time: 0 months after dx, kind: tissue}
  - id: ngs-dx
    type: test
    specimen: spec-dx
    assay: oncomine-dx-target
    findings: ["EGFR L858R"]
  - id: osi
    type: therapy
    line: 1
    agents: [osimertinib]
    start: 0 months after dx
    stop: 18 months after osi
    stop_reason: progression
  - {id: pd, type: response, time: 18 months after osi, category: PD, therapy: osi}
  - {id: spec-pd, type: specimen, time: 0 days after pd, kind: tissue}
  - id: ngs-pd
    type: test
    specimen: spec-pd
    assay: oncomine-dx-target
    findings: ["EGFR L858R"]
"""


def test_add_test_keeps_the_pattern_and_the_risk_flag_fires(tmp_path: Path) -> None:
    """Synthetic scenario: a pathology table (p53 null pattern, Rb loss) from the progression
    biopsy of an EGFR L858R adenocarcinoma on osimertinib is attached with ``add-test``. The
    case file keeps the pattern, and a thoracic oncologist expects the TP53 + RB1
    co-inactivation to raise the small-cell transformation risk flag and a histology review."""
    case_file = tmp_path / "case.yaml"
    case_file.write_text(CASE, encoding="utf-8")
    table = _table(tmp_path, "p53\tnull pattern\tspec-pd\nRb\tloss\tspec-pd\n")
    done = runner.invoke(
        app,
        ["add-test", str(case_file), "--file", str(table), "--specimen", "spec-pd",
         "--date", "0 days after pd"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    written = yaml.safe_load(case_file.read_text(encoding="utf-8"))
    patterns = [
        f.get("pattern") for e in written["events"] for f in e.get("findings", ()) if "pattern" in f
    ]
    assert patterns == ["absent", "loss"]
    result = interpret(read_case(case_file), load_knowledge_base())
    names = {s.name: s.status for s in result.alterations}
    assert names["p53 IHC aberrant (null pattern)"] == "not_assessable"
    assert names["Rb IHC loss"] == "not_assessable"
    assert any(t.statement == "tp53-rb1-transformation-risk" and t.fired for t in result.trace)
    assert any(t.kind == "rebiopsy_histology" for t in result.recommended_tests)
