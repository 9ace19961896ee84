"""Cohort mode: round trip from an export, agreement with the engine, coverage, bad input."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from tkiresist.cli_cbioportal import _standalone
from tkiresist.cohort import (
    CohortOptions,
    StudyValidationError,
    run_cohort,
    summarise,
)
from tkiresist.errors import FormatError
from tkiresist.evidence.stats import describe, proportion
from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import read_case
from tkiresist.io.cbioportal import export_study
from tkiresist.knowledge.loader import load_knowledge_base

from ..conftest import EXAMPLES, SEED_CASE


@pytest.fixture(scope="module")
def seed_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("seed") / "study"
    export_study([read_case(SEED_CASE)], out, study_id="seed_case")
    return out


@pytest.fixture
def seed_copy(seed_export: Path, tmp_path: Path) -> Path:
    study = tmp_path / "study"
    shutil.copytree(seed_export, study)
    return study


def _rows(study: Path, **options: Any) -> dict[str, dict[str, Any]]:
    result = run_cohort(study, options=CohortOptions(**options))
    return {r["patient_id"]: r for r in result.per_patient.to_pylist()}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line(path: Path, needle: str) -> int:
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in text:
            return number
    raise AssertionError(needle)


# --- round trip ------------------------------------------------------------------------------


def test_seed_round_trip_recovers_the_acquired_alk_fusion(
    seed_export: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cohort"
    result = run_cohort(seed_export, out)
    (row,) = result.per_patient.to_pylist()
    assert row["patient_id"] == "cheung2025-case1"
    assert row["prior_drug"] == "osimertinib"
    assert row["prior_generations"] == "3"
    assert row["progression_sample"] == "cheung2025-case1-spec-brain"
    assert row["baseline_samples"] == ["cheung2025-case1-spec-lung"]
    assert row["acquired"] == ["ALK IHC positive", "EML4::ALK"]  # the ALK IHC too (LAB_TEST)
    assert row["driver_state"] == "persistent"  # exon 19 deletion in both samples
    assert row["n_persistent"] == 1
    assert row["mechanisms"] == ["alk-fusion-after-egfr-tki"]
    assert row["mechanism_categories"] == ["alk_fusion"]
    assert row["months_from_therapy_start"] == pytest.approx(13.0, abs=0.05)
    assert sorted(p.name for p in out.iterdir()) == [
        "cooccurrence.tsv",
        "mechanisms.tsv",
        "patients.tsv",
        "plasma_lead_time.tsv",
        "summary.json",
        "time_to_progression.tsv",
    ]
    lines = (out / "patients.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t")[:2] == ["patient_id", "prior_drug"]
    assert "\tALK IHC positive; EML4::ALK\t" in lines[1]
    freq = result.summary.frequency("osimertinib", "alk_fusion")
    assert freq is not None and (freq.k, freq.n) == (1, 1)


def test_examples_agree_with_the_engine_on_acquired_mechanisms(tmp_path: Path) -> None:
    """For every bundled example, the set-based cohort names the mechanisms the engine names
    as acquired (the engine also names mechanisms it cannot show were acquired; cohort mode
    counts only acquired ones)."""
    cases = [read_case(p) for p in sorted(EXAMPLES.glob("*/case.yaml"))]
    export_study(cases, tmp_path / "study", study_id="examples")
    rows = _rows(tmp_path / "study")
    kb = load_knowledge_base()
    compared = 0
    for case in cases:
        engine = interpret(case, kb)
        expected = sorted(m.id for m in engine.mechanisms if m.acquired)
        got = rows[case.id]["mechanisms"] if case.id in rows else []
        assert got == expected, case.id
        compared += bool(expected)
    assert compared == 5


# --- coverage decides "acquired" vs "not assessable" -------------------------------------------


def test_baseline_not_profiled_for_fusions_makes_the_fusion_not_assessable(seed_copy: Path) -> None:
    _edit(
        seed_copy / "data_gene_panel_matrix.txt",
        "cheung2025-case1-spec-lung\tTKIRESIST_ONCOMINE_PRECISION_MUT\tTKIRESIST_ONCOMINE_PRECISION_SV",
        "cheung2025-case1-spec-lung\tTKIRESIST_ONCOMINE_PRECISION_MUT\tNA",
    )
    _edit(seed_copy / "case_lists" / "cases_sv.txt", "cheung2025-case1-spec-lung\t", "")
    row = _rows(seed_copy)["cheung2025-case1"]
    assert row["acquired"] == ["ALK IHC positive"]
    assert row["n_not_assessable"] == 1
    assert row["mechanisms"] == []


def test_panel_without_the_gene_makes_the_fusion_not_assessable(seed_copy: Path) -> None:
    panel = seed_copy / "data_gene_panel_tkiresist_oncomine_precision_sv.txt"
    _edit(panel, "gene_list: ALK\t", "gene_list: ")
    # both samples use the panel, so the progression sample lost ALK too; only the baseline
    # matters for "acquired"
    row = _rows(seed_copy)["cheung2025-case1"]
    assert row["acquired"] == ["ALK IHC positive"]
    assert row["n_not_assessable"] == 1


def test_whole_genome_baseline_covers_everything(seed_copy: Path) -> None:
    _edit(
        seed_copy / "data_gene_panel_matrix.txt",
        "cheung2025-case1-spec-lung\tTKIRESIST_ONCOMINE_PRECISION_MUT\tTKIRESIST_ONCOMINE_PRECISION_SV",
        "cheung2025-case1-spec-lung\tTKIRESIST_ONCOMINE_PRECISION_MUT\tWXS/WGS",
    )
    assert _rows(seed_copy)["cheung2025-case1"]["acquired"] == [
        "ALK IHC positive",
        "EML4::ALK",
    ]


def test_fusion_present_at_baseline_is_persistent_not_acquired(seed_copy: Path) -> None:
    sv = seed_copy / "data_sv.txt"
    text = sv.read_text(encoding="utf-8")
    row = text.splitlines()[1]
    sv.write_text(text + row.replace("spec-brain", "spec-lung") + "\n", encoding="utf-8")
    row2 = _rows(seed_copy)["cheung2025-case1"]
    assert row2["acquired"] == ["ALK IHC positive"]
    assert row2["n_persistent"] == 2
    assert row2["mechanisms"] == []


def test_long_format_cna_gives_the_same_answer(seed_copy: Path, seed_export: Path) -> None:
    wide = seed_copy / "data_cna.txt"
    lines = wide.read_text(encoding="utf-8").splitlines()
    samples = lines[0].split("\t")[1:]
    long_rows = ["Hugo_Symbol\tSample_Id\tValue"]
    for line in lines[1:]:
        cells = line.split("\t")
        long_rows += [f"{cells[0]}\t{s}\t{v}" for s, v in zip(samples, cells[1:], strict=True)]
    long_rows.append(f"MET\t{samples[1]}\t2")  # an amplification at progression
    long_rows = [r for r in long_rows if not r.startswith(f"MET\t{samples[1]}\t0")]
    wide.write_text("\n".join(long_rows) + "\n", encoding="utf-8")
    _edit(seed_copy / "meta_cna.txt", "datatype: DISCRETE\n", "datatype: DISCRETE_LONG\n")
    row = _rows(seed_copy)["cheung2025-case1"]
    assert row["acquired"] == ["ALK IHC positive", "EML4::ALK", "MET amplification"]
    assert row["mechanisms"] == ["alk-fusion-after-egfr-tki", "met-amplification-after-osimertinib"]
    assert row["mechanism_categories"] == ["alk_fusion", "met_amplification"]


def test_a_line_stopped_long_before_the_sample_is_not_the_prior_line(seed_copy: Path) -> None:
    _edit(
        seed_copy / "data_timeline_treatment.txt",
        "cheung2025-case1\t0\t609\tTREATMENT",
        "cheung2025-case1\t0\t200\tTREATMENT",
    )
    assert _rows(seed_copy, max_gap_days=90) == {}  # sample at day 396: 196 days after the stop
    assert _rows(seed_copy, max_gap_days=200)["cheung2025-case1"]["acquired"] == [
        "ALK IHC positive",
        "EML4::ALK",
    ]


def test_chemotherapy_alone_is_not_a_targeted_line(seed_copy: Path) -> None:
    path = seed_copy / "data_timeline_treatment.txt"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "Targeted Therapy\tosimertinib\tegfr_tki\t3",
            "Chemotherapy\tcisplatin\tchemotherapy\tNA",
        ),
        encoding="utf-8",
    )
    rows = _rows(seed_copy)
    # line 2 (alectinib) starts after the progression sample: nothing qualifies
    assert rows == {}


@pytest.mark.parametrize(
    ("treatment_type", "agent_class"),
    [("Radiation Therapy", "radiotherapy"), ("Radiation Therapy", "NA"), ("Other", "radiotherapy")],
)
def test_radiation_is_not_read_as_a_drug(
    seed_copy: Path, treatment_type: str, agent_class: str
) -> None:
    """Stereotactic radiotherapy given just before the brain biopsy is radiation, not a drug:
    its AGENT is not looked up in the drug dictionary (no warning), and osimertinib stays the
    line the fusion was acquired on. Radiation is a TREATMENT_TYPE naming it or an
    AGENT_CLASS ``radiotherapy`` (``io.cbioportal.radiation_sql``, the rule
    ``annotate --timeline`` uses too)."""
    _edit(
        seed_copy / "data_timeline_treatment.txt",
        "cheung2025-case1\t396\t\tTREATMENT\tRadiation Therapy\tSRT\tSRT 32.5 Gy/5 fr\t"
        "radiotherapy",
        f"cheung2025-case1\t380\t390\tTREATMENT\t{treatment_type}\tSRT\tSRT 32.5 Gy/5 fr\t"
        f"{agent_class}",
    )
    result = run_cohort(seed_copy, options=CohortOptions())
    rows = {r["patient_id"]: r for r in result.per_patient.to_pylist()}
    assert rows["cheung2025-case1"]["acquired"] == ["ALK IHC positive", "EML4::ALK"]
    # read as radiation, its AGENT ("SRT 32.5 Gy/5 fr") is never looked up as a drug
    assert not [w for w in result.summary.warnings if "drug dictionary" in w]


# --- bad input: located errors, nothing written -----------------------------------------------


def _fails(study: Path, tmp_path: Path) -> FormatError:
    out = tmp_path / "out" / "cohort"
    with pytest.raises(FormatError) as info:
        run_cohort(study, out)
    assert not out.exists()
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
    return info.value


def test_missing_meta_file_is_located(seed_copy: Path, tmp_path: Path) -> None:
    (seed_copy / "meta_mutations.txt").unlink()
    err = _fails(seed_copy, tmp_path)
    assert err.location.file == str(seed_copy / "data_mutations.txt")
    assert "has no meta file" in err.message


def test_missing_meta_study_is_located(seed_copy: Path, tmp_path: Path) -> None:
    (seed_copy / "meta_study.txt").unlink()
    err = _fails(seed_copy, tmp_path)
    assert err.location.file == str(seed_copy / "meta_study.txt")
    assert "missing meta file meta_study.txt" in err.message


def test_stop_date_before_start_date_is_located(seed_copy: Path, tmp_path: Path) -> None:
    path = seed_copy / "data_timeline_treatment.txt"
    _edit(path, "cheung2025-case1\t0\t609\tTREATMENT", "cheung2025-case1\t700\t609\tTREATMENT")
    err = _fails(seed_copy, tmp_path)
    assert isinstance(err, StudyValidationError)
    (problem,) = err.problems
    assert problem.location.file == str(path)
    assert problem.location.line == _line(path, "\t700\t609\t")
    assert (problem.location.column, problem.location.field) == (3, "STOP_DATE")
    assert problem.message == "STOP_DATE 609 is before START_DATE 700 (patient 'cheung2025-case1')"


def test_sample_referencing_an_unknown_patient_is_located(seed_copy: Path, tmp_path: Path) -> None:
    path = seed_copy / "data_clinical_sample.txt"
    _edit(
        path, "cheung2025-case1\tcheung2025-case1-spec-brain", "ghost\tcheung2025-case1-spec-brain"
    )
    err = _fails(seed_copy, tmp_path)
    (problem,) = err.problems
    assert (problem.location.file, problem.location.line, problem.location.column) == (
        str(path),
        _line(path, "ghost\t"),
        1,
    )
    assert "references patient 'ghost'" in problem.message


def test_genomic_row_for_an_unknown_sample_is_located(seed_copy: Path, tmp_path: Path) -> None:
    path = seed_copy / "data_sv.txt"
    _edit(path, "cheung2025-case1-spec-brain\tSOMATIC", "cheung2025-case1-spec-liver\tSOMATIC")
    err = _fails(seed_copy, tmp_path)
    (problem,) = err.problems
    assert (problem.location.file, problem.location.line, problem.location.field) == (
        str(path),
        2,
        "Sample_Id",
    )


def test_bad_cna_value_is_located(seed_copy: Path, tmp_path: Path) -> None:
    path = seed_copy / "data_cna.txt"
    _edit(path, "MET\t0\t0", "MET\t0\t7")
    err = _fails(seed_copy, tmp_path)
    (problem,) = err.problems
    assert (problem.location.line, problem.location.column) == (_line(path, "MET\t0\t7"), 3)
    assert "CNA value '7'" in problem.message


def test_ragged_row_is_located(seed_copy: Path, tmp_path: Path) -> None:
    path = seed_copy / "data_mutations.txt"
    text = path.read_text(encoding="utf-8").splitlines()
    text[2] = "\t".join(text[2].split("\t")[:5])
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    err = _fails(seed_copy, tmp_path)
    assert (err.location.file, err.location.line, err.location.column) == (str(path), 3, 6)


def test_existing_output_is_refused(seed_export: Path, tmp_path: Path) -> None:
    out = tmp_path / "cohort"
    out.mkdir()
    with pytest.raises(FormatError, match="output folder exists"):
        run_cohort(seed_export, out)
    assert list(out.iterdir()) == []


# --- the summary ------------------------------------------------------------------------------


def _pp(rows: list[tuple[str, str, bool, float, list[str]]]) -> pa.Table:
    return pa.table(
        {
            "patient_id": [r[0] for r in rows],
            "prior_drug": [r[1] for r in rows],
            "assessable": [r[2] for r in rows],
            "months_from_therapy_start": [r[3] for r in rows],
            "mechanism_categories": pa.array([r[4] for r in rows], pa.list_(pa.string())),
        }
    )


def test_summary_counts_cis_times_and_cooccurrence() -> None:
    table = _pp(
        [
            ("a", "osimertinib", True, 10.0, ["met_amplification", "egfr_c797x"]),
            ("b", "osimertinib", True, 20.0, ["met_amplification"]),
            ("c", "osimertinib", True, 30.0, []),
            ("d", "osimertinib", False, 40.0, []),
            ("e", "erlotinib", True, 8.0, ["egfr_t790m"]),
        ]
    )
    s = summarise(table)
    assert (s.patients, s.assessable) == (5, 4)
    assert s.by_drug["osimertinib"] == (4, 3)
    met = s.frequency("osimertinib", "met_amplification")
    ref = proportion(2, 3)
    assert met is not None and (met.k, met.n, met.value) == (2, 3, ref.value)
    assert (met.ci_low, met.ci_high) == ref.ci_exact
    none = s.frequency("osimertinib", "none_identified")
    assert none is not None and (none.k, none.n) == (1, 3)
    assert s.frequency("all", "egfr_t790m") is not None
    times = {t.prior_drug: t for t in s.times}
    d = describe([10.0, 20.0, 30.0, 40.0])
    assert (times["osimertinib"].median, times["osimertinib"].q1, times["osimertinib"].q3) == (
        d.median,
        d.q1,
        d.q3,
    )
    assert times["all"].n == 5
    assert s.cooccurrence == (("egfr_c797x", "met_amplification", 1),)


# --- CLI ---------------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_export_then_cohort(tmp_path: Path) -> None:
    app = _standalone()
    study = tmp_path / "study"
    result = runner.invoke(
        app, ["export", "cbioportal", "--out", str(study), "--cases", str(SEED_CASE)]
    )
    assert result.exit_code == 0, result.output
    assert "1 patients, 2 samples" in result.output
    result = runner.invoke(app, ["cohort", "--study", str(study), "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "osimertinib              alk_fusion               1/1" in result.output


def test_cli_bad_input_exits_2_with_a_located_message(seed_copy: Path, tmp_path: Path) -> None:
    path = seed_copy / "data_timeline_treatment.txt"
    _edit(path, "cheung2025-case1\t0\t609\tTREATMENT", "cheung2025-case1\t700\t609\tTREATMENT")
    result = runner.invoke(
        _standalone(), ["cohort", "--study", str(seed_copy), "--out", str(tmp_path / "c")]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}:{_line(path, chr(9) + '700' + chr(9))}:3: STOP_DATE: ")
    assert "Traceback" not in result.output
    assert not (tmp_path / "c").exists()


def test_cli_export_needs_one_source(tmp_path: Path) -> None:
    result = runner.invoke(_standalone(), ["export", "cbioportal", "--out", str(tmp_path / "s")])
    assert result.exit_code == 2
    assert "give either --dataset or --cases" in result.stderr


def test_sparse_literature_rows_take_the_last_line_and_read_absence_as_the_engine_does(
    tmp_path: Path,
) -> None:
    """Review-table rows date every pre-resistance line at day 0 (times not reported): the
    LINE number picks the line in effect. Their 'as reported' tests name findings, not assays,
    so the baseline did not look for ALK fusions: the fusion is not assessable, as the engine
    reads it, and no mechanism is claimed."""
    from tkiresist.registry.published import dataset_cases

    export_study(dataset_cases("cheung2025-table1"), tmp_path / "study", study_id="table1")
    rows = _rows(tmp_path / "study")
    assert rows["cheung2025-table1-row2"]["prior_drug"] == "osimertinib"  # erlotinib, then osi
    assert rows["cheung2025-table1-row12"]["prior_drug"] == "gefitinib"
    assert all(r["acquired"] == [] and r["mechanisms"] == [] for r in rows.values())
    assert rows["cheung2025-table1-row12"]["n_not_assessable"] == 2  # EML4::ALK and STRN::ALK


def test_the_summary_lists_prior_drugs_in_a_fixed_order(tmp_path: Path) -> None:
    """summary.json must be the same file for the same study on every run (a results file
    people diff and archive): its prior drugs come sorted, the all-drugs total last. The order
    used to be DuckDB's GROUP BY order, which varied between runs."""
    from tkiresist.cohort import ALL_DRUGS, run_cohort

    cases = [read_case(p) for p in sorted(EXAMPLES.glob("*/case.yaml"))]
    export_study(cases, tmp_path / "study", study_id="examples")
    summary = run_cohort(tmp_path / "study").summary
    keys = list(summary.by_drug)
    assert len(keys) > 2
    assert keys[-1] == ALL_DRUGS
    assert keys[:-1] == sorted(keys[:-1])
