"""One discrete-CNA map (#14): the cBioPortal value -1.5 is a loss on every path. cohort rounded
it to -2 and called it a deletion, while annotate and add-test called it a loss."""

from __future__ import annotations

import shutil
from pathlib import Path

from tkiresist.cohort import CohortOptions, run_cohort
from tkiresist.io.casefile import read_case
from tkiresist.io.cbioportal import export_study
from tkiresist.io.cna import read_cbioportal_cna

from ..conftest import DATA, SEED_CASE


def test_the_real_cna_table_reads_minus_one_and_a_half_as_a_loss() -> None:
    """cBioPortal's own data_cna.txt example (tests/data/formats/cbioportal): ERBB2 at -1.5."""
    result = read_cbioportal_cna(
        DATA / "formats" / "cbioportal" / "data_cna.txt", include_gain_loss=True
    )
    changes = {f.alteration.name for f in result.findings if "ERBB2" in f.alteration.name}
    assert "ERBB2 loss" in changes and "ERBB2 deletion" not in changes, changes


def test_cohort_reads_minus_one_and_a_half_as_a_loss_not_a_deletion(tmp_path: Path) -> None:
    study = tmp_path / "study"
    export_study([read_case(SEED_CASE)], study, study_id="seed_case")
    cna = study / "data_cna.txt"
    lines = cna.read_text(encoding="utf-8").splitlines()
    head = lines[0].split("\t")
    progression = next(i for i, s in enumerate(head) if s.endswith("spec-brain"))
    baseline = next(i for i, s in enumerate(head) if s.endswith("spec-lung"))
    row = lines[1].split("\t")
    gene = row[0]
    row[progression], row[baseline] = "-1.5", "0"
    lines[1] = "\t".join(row)
    cna.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cohort(study, options=CohortOptions())
    (patient,) = result.per_patient.to_pylist()
    assert f"{gene} loss" in patient["acquired"], patient["acquired"]
    assert f"{gene} deletion" not in patient["acquired"]
    shutil.rmtree(study)
