"""The whole-table core shared by ``annotate`` and ``cohort`` (issue #14): one header reader,
one ``read_csv`` builder with located errors, one cBioPortal timeline loader.

The cross-mode tests give the same timeline file to ``tkiresist annotate --timeline`` and to
``tkiresist cohort`` and expect the same located error; before the shared loader the two
disagreed (annotate accepted a STOP_DATE before its START_DATE, and placed a bad START_DATE
one line too early after a blank line)."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tkiresist.annotate import annotate_tables
from tkiresist.cohort import StudyValidationError, run_cohort
from tkiresist.errors import FormatError
from tkiresist.io.tables.read import load_table, read_header
from tkiresist.io.tables.timeline import (
    TimelineError,
    agents_before_sample,
    line_in_effect,
    line_key,
    load_timelines,
    timeline_header,
)

from ..cohort import test_cohort

seed_export = test_cohort.seed_export  # the exported seed case, a fixture shared with cohort
study = test_cohort.seed_copy


def _maf(tmp_path: Path) -> Path:
    path = tmp_path / "in.maf"
    path.write_text(
        "Hugo_Symbol\tTumor_Sample_Barcode\tVariant_Classification\tHGVSp_Short\n"
        "EGFR\tcheung2025-case1-spec-lung\tMissense_Mutation\tp.L858R\n",
        encoding="utf-8",
    )
    return path


def _both_errors(study: Path, tmp_path: Path) -> tuple[FormatError, FormatError]:
    timelines = (study / "data_timeline_treatment.txt", study / "data_timeline_specimen.txt")
    with pytest.raises(FormatError) as by_annotate:
        annotate_tables(_maf(tmp_path), out=tmp_path / "out.tsv", timelines=timelines)
    with pytest.raises(StudyValidationError) as by_cohort:
        run_cohort(study)
    assert not (tmp_path / "out.tsv").exists()
    return by_annotate.value, by_cohort.value


def _where(err: FormatError) -> tuple[str, str | None, int | None, int | None, str | None]:
    loc = err.location
    assert loc is not None
    return (err.message, loc.file, loc.line, loc.column, loc.field)


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_stop_date_before_its_start_is_refused_alike_by_annotate_and_cohort(
    study: Path, tmp_path: Path
) -> None:
    """Synthetic edit of the exported seed case: osimertinib "stopped" at day 609 having
    "started" at day 700. An oncologist reading the prior therapy from this timeline cannot
    tell when the drug was given, so neither mode may guess: both refuse the row at the same
    file, line and column (annotate once accepted it and dated the drug by its START_DATE)."""
    path = study / "data_timeline_treatment.txt"
    _replace(path, "cheung2025-case1\t0\t609\tTREATMENT", "cheung2025-case1\t700\t609\tTREATMENT")
    annotate_err, cohort_err = _both_errors(study, tmp_path)
    assert _where(annotate_err) == _where(cohort_err)
    assert _where(cohort_err) == (
        "STOP_DATE 609 is before START_DATE 700 (patient 'cheung2025-case1')",
        str(path),
        2,
        3,
        "STOP_DATE",
    )
    assert isinstance(annotate_err, TimelineError)


def test_a_bad_start_date_after_a_blank_line_is_located_on_its_own_line(
    study: Path, tmp_path: Path
) -> None:
    """A blank line inside a timeline (DuckDB skips it) must not shift the reported line:
    annotate once counted rows, not lines, and named the line above the bad cell."""
    path = study / "data_timeline_specimen.txt"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace("\t396\t", "\tday 396\t", 1)
    path.write_text("".join([*lines[:2], "\n", *lines[2:]]), encoding="utf-8")
    annotate_err, cohort_err = _both_errors(study, tmp_path)
    assert _where(annotate_err) == _where(cohort_err)
    assert _where(cohort_err)[1:] == (str(path), 4, 2, "START_DATE")
    assert "'day 396'" in cohort_err.message


def test_a_sample_given_two_patients_is_refused_by_the_shared_loader(tmp_path: Path) -> None:
    """Synthetic timeline: one specimen id under two patients. Whose tumour it is cannot be
    told, so it is refused at the second patient's row (annotate refused it before; cohort
    now does too, through the same loader)."""
    path = tmp_path / "t.txt"
    path.write_text(
        "PATIENT_ID\tSTART_DATE\tSTOP_DATE\tEVENT_TYPE\tSAMPLE_ID\n"
        "P1\t5\t\tSPECIMEN\tS1\nP2\t9\t\tSPECIMEN\tS1\n",
        encoding="utf-8",
    )
    con = duckdb.connect()
    problems = load_timelines(con, [timeline_header(path)])
    assert [(p.message, p.location.line, p.location.field) for p in problems] == [
        ("sample 'S1' is given two patients in the timelines ('P1' and 'P2')", 3, "PATIENT_ID")
    ]


def test_treatments_leave_out_radiation_and_rows_without_an_agent(tmp_path: Path) -> None:
    """Synthetic timeline. An oncologist counts the drugs a patient received before a
    biopsy: stereotactic radiotherapy is not a drug, and a TREATMENT row whose AGENT is
    ``NA`` or ``[Not Available]`` names no drug; only erlotinib is a treatment, and the
    specimen is dated by its START_DATE."""
    path = tmp_path / "t.txt"
    path.write_text(
        "PATIENT_ID\tSTART_DATE\tSTOP_DATE\tEVENT_TYPE\tTREATMENT_TYPE\tAGENT\tAGENT_CLASS\t"
        "SAMPLE_ID\n"
        "P1\t0\t300\tTREATMENT\tMedical Therapy\terlotinib\tegfr_tki\t\n"
        "P1\t100\t\tTREATMENT\tRadiation Therapy\tSRT 30 Gy\tradiotherapy\t\n"
        "P1\t120\t\tTREATMENT\tMedical Therapy\tNA\t\t\n"
        "P1\t130\t\tTREATMENT\tMedical Therapy\t[Not Available]\t\t\n"
        "P1\t400\t\tSPECIMEN\t\t\t\tS1\n",
        encoding="utf-8",
    )
    con = duckdb.connect()
    assert load_timelines(con, [timeline_header(path)]) == []
    assert con.execute(
        "SELECT patient_id, start_day, stop_day, agent FROM tl_treat"
    ).fetchall() == [("P1", 0, 300, "erlotinib")]
    assert con.execute("SELECT sample_id, patient_id, day FROM tl_specimen").fetchall() == [
        ("S1", "P1", 400)
    ]


def test_a_timeline_must_start_with_the_cbioportal_lead_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("START_DATE\tPATIENT_ID\tSTOP_DATE\tEVENT_TYPE\n0\tP1\t\tSTATUS\n")
    with pytest.raises(FormatError, match="starts with the columns PATIENT_ID, START_DATE") as e:
        timeline_header(path)
    assert (e.value.location.line, e.value.location.column) == (1, 1)


def test_a_short_row_of_a_gzipped_table_is_located(tmp_path: Path) -> None:
    path = tmp_path / "t.txt.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("#comment\nA\tB\tC\n1\t2\t3\n4\t5\n")
    header = read_header(path, "table", what="test")
    assert (header.header_line, header.columns, header.compressed) == (2, ("A", "B", "C"), True)
    with pytest.raises(FormatError) as e:
        load_table(duckdb.connect(), "t", header, "test")
    loc = e.value.location
    assert (loc.file, loc.line, loc.column, loc.field) == (str(path), 4, 3, "C")
    assert "expected 3 tab-separated fields" in e.value.message


def test_importing_the_table_core_does_not_import_duckdb() -> None:
    code = (
        "import sys, tkiresist.io.tables.read, tkiresist.io.tables.timeline; "
        "print('duckdb' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _lines_timeline(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """Synthetic timeline (a scenario, no published patient): erlotinib as line 1 from day 0
    to day 300; osimertinib with carboplatin as line 2 from day 310 (the chemotherapy row
    carries no LINE); amivantamab and lazertinib both begun on day 600, numbered 3 and 4; a
    biopsy on day 310, the day osimertinib began, one on day 500 and one on day 700."""
    path = tmp_path / "lines.txt"
    path.write_text(
        "PATIENT_ID\tSTART_DATE\tSTOP_DATE\tEVENT_TYPE\tAGENT\tAGENT_CLASS\tLINE\tSAMPLE_ID\n"
        "P1\t0\t300\tTREATMENT\terlotinib\tegfr_tki\t1\t\n"
        "P1\t310\t590\tTREATMENT\tosimertinib\tegfr_tki\t2\t\n"
        "P1\t310\t400\tTREATMENT\tcarboplatin\tchemotherapy\t\t\n"
        "P1\t600\t\tTREATMENT\tamivantamab\tegfr_antibody\t3\t\n"
        "P1\t600\t\tTREATMENT\tlazertinib\tegfr_tki\t4\t\n"
        "P1\t310\t\tSPECIMEN\t\t\t\tS310\n"
        "P1\t500\t\tSPECIMEN\t\t\t\tS500\n"
        "P1\t700\t\tSPECIMEN\t\t\t\tS700\n",
        encoding="utf-8",
    )
    con = duckdb.connect()
    assert load_timelines(con, [timeline_header(path)]) == []
    return con


def _in_effect(con: duckdb.DuckDBPyConnection, gap: int) -> dict[str, list[str]]:
    """Each sample's line in effect, as the agents sharing its line key."""
    rows = con.execute(
        f"""
        WITH l AS ({line_in_effect("tl_specimen", "tl_treat", max_gap_days=gap)})
        SELECT l.sample_id, list_sort(list(t.agent))
        FROM l JOIN tl_treat t ON t.patient_id = l.patient_id AND {line_key("t")} = l.pick
        GROUP BY l.sample_id ORDER BY l.sample_id
        """
    ).fetchall()
    return {str(s): list(a) for s, a in rows}


def test_the_line_in_effect_at_a_sample_is_the_latest_begun_before_it(tmp_path: Path) -> None:
    """Synthetic timeline (:func:`_lines_timeline`). An oncologist reading a biopsy asks what
    the patient was progressing on: the line begun most recently before the biopsy, not one
    begun that very day (it had not acted yet), and not one stopped long before it. So the
    day-310 biopsy is erlotinib's when a 10-day gap since its stop still counts, and no
    line's without that allowance; the day-500 biopsy is osimertinib's line (the
    carboplatin row begun with it, without a LINE number, is not a later line: the higher
    LINE of an equal start wins, none given counting lowest); the day-700 biopsy is on
    lazertinib, line 4 of the two begun on day 600."""
    con = _lines_timeline(tmp_path)
    assert _in_effect(con, gap=10) == {
        "S310": ["erlotinib"],
        "S500": ["osimertinib"],
        "S700": ["lazertinib"],
    }
    assert _in_effect(con, gap=0) == {"S500": ["osimertinib"], "S700": ["lazertinib"]}


def test_the_line_in_effect_and_the_agents_before_a_sample_agree_on_before(
    tmp_path: Path,
) -> None:
    """Synthetic timeline (:func:`_lines_timeline`). Prior therapy and the line in effect
    read "before the sample" alike: osimertinib, begun on the day of the day-310 biopsy, is
    neither prior therapy for it nor its line."""
    con = _lines_timeline(tmp_path)
    con.execute("CREATE TEMP TABLE known AS SELECT unnest(['erlotinib', 'osimertinib']) AS a")
    therapy = dict(con.execute(agents_before_sample("known")).fetchall())
    assert therapy["S310"] == "erlotinib"
    assert therapy["S500"] == "erlotinib, osimertinib"
    assert _in_effect(con, gap=10)["S310"] == ["erlotinib"]
