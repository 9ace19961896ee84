"""The serial ctDNA table (``ctdna-csv``, #15): read, refused where invalid, and attached by
``add-test`` as one plasma test per date, giving the case a Dynamics reading."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tkiresist.cli import app
from tkiresist.errors import FormatError
from tkiresist.interpret.engine import interpret
from tkiresist.io.attach import attach_draws
from tkiresist.io.casefile import read_case
from tkiresist.io.readers import detect_format, read_file
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.model.timeline import MolecularTest, Specimen
from tkiresist.report.text import render_text

from ..conftest import DATA, EXAMPLES

SERIAL = DATA / "formats" / "ctdna" / "serial_plasma.csv"  # synthetic
runner = CliRunner()
HEADER = "date,gene,alteration,vaf,tumour_fraction,limit_of_detection,specimen\n"


def _csv(tmp_path: Path, rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "serial.csv"
    path.write_text(header + rows)
    return path


def test_the_table_is_detected_and_read_by_draw() -> None:
    reader = detect_format(SERIAL)
    assert reader is not None and reader.name == "ctdna-csv"
    result = read_file(SERIAL)
    assert result.samples == (
        "0 days after osi",
        "3 months after osi",
        "9 months after osi",
        "11 months after osi",
    )
    assert len(result.findings) == 8 and not result.warnings
    first = result.draws["0 days after osi"]
    assert (first.tumour_fraction, first.limit_of_detection) == (0.15, 0.001)
    assert result.draws["3 months after osi"].tumour_fraction is None  # blank: not given
    c797s = result.findings_by_sample["0 days after osi"][1]
    assert c797s.status == "not_detected" and c797s.vaf is None  # ND: never a VAF of 0
    assert c797s.provenance is not None and c797s.provenance.line == 5


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (
            "12.5",
            "vaf 12.5 is above 1: it is a fraction (0-1), not a percentage; for 12.5% write 0.125",
        ),
        ("12.5%", "for 12.5% write 0.125"),
        ("0.4%", "for 0.4% write 0.004"),
        ("0", "write ND"),
        ("NA", "expected a fraction 0-1"),
    ],
)
def test_a_percentage_or_a_zero_vaf_is_refused_at_its_cell(
    tmp_path: Path, cell: str, message: str
) -> None:
    path = _csv(tmp_path, f"2024-01-05,EGFR,L858R,{cell},,,\n")
    with pytest.raises(FormatError) as err:
        read_file(path)
    assert message in err.value.message
    loc = err.value.location
    assert (loc.line, loc.column, loc.field) == (2, 4, "vaf")


def test_a_percent_tumour_fraction_is_refused_too(tmp_path: Path) -> None:
    path = _csv(tmp_path, "2024-01-05,EGFR,L858R,0.1,8,,\n")
    with pytest.raises(FormatError, match=r"for 8% write 0\.08") as err:
        read_file(path)
    assert err.value.location.field == "tumour_fraction"


def test_one_draw_has_one_tumour_fraction_and_one_specimen_one_date(tmp_path: Path) -> None:
    path = _csv(tmp_path, "2024-01-05,EGFR,L858R,0.1,0.2,,\n2024-01-05,EGFR,T790M,ND,0.3,,\n")
    with pytest.raises(FormatError, match=r"differs from 0\.2") as err:
        read_file(path)
    assert err.value.location.line == 3
    path = _csv(tmp_path, "2024-01-05,EGFR,L858R,0.1,,,p1\n2024-02-05,EGFR,L858R,0.1,,,p1\n")
    with pytest.raises(FormatError, match="one specimen is one draw"):
        read_file(path)


def test_an_unparseable_alteration_is_located(tmp_path: Path) -> None:
    path = _csv(tmp_path, "2024-01-05,EGFR,L858R,0.1,,,\n2024-01-05,EGFR,wobble,0.1,,,\n")
    with pytest.raises(FormatError) as err:
        read_file(path)
    assert (err.value.location.line, err.value.location.field) == (3, "alteration")


def test_attach_draws_adds_one_plasma_test_per_date() -> None:
    case = read_case(EXAMPLES / "cheung2025" / "case.yaml")
    updated = attach_draws(case, read_file(SERIAL))
    new = [e for e in updated.events if e.id not in {x.id for x in case.events}]
    specimens = [e for e in new if isinstance(e, Specimen)]
    tests = [e for e in new if isinstance(e, MolecularTest)]
    assert len(specimens) == len(tests) == 4
    assert {s.kind for s in specimens} == {"plasma"}
    assert [t.specimen for t in tests] == [s.id for s in specimens]
    assert tests[0].tumour_fraction == 0.15 and tests[0].limit_of_detection == 0.001
    one = attach_draws(case, read_file(SERIAL), sample="9 months after osi")
    assert len(one.events) == len(case.events) + 2


def test_add_test_on_a_copy_of_the_seed_gives_a_dynamics_section(tmp_path: Path) -> None:
    copy = tmp_path / "case.yaml"
    shutil.copy(EXAMPLES / "cheung2025" / "case.yaml", copy)
    before = copy.read_text()
    out = runner.invoke(app, ["add-test", str(copy), "--file", str(SERIAL)])
    assert out.exit_code == 0, out.output
    assert out.output.count("added test") == 4
    text = copy.read_text()
    assert text.startswith(before.split("events:")[0])  # comments and layout kept
    result = interpret(read_case(copy), load_knowledge_base())
    (dyn,) = result.dynamics
    assert dyn.progression is not None and dyn.progression.lead_time_months == pytest.approx(4.0)
    report = render_text(result)
    assert "Dynamics (plasma, line osi; driver EGFR exon 19 deletion):" in report
    assert "EGFR p.C797S [new]" in report


def test_add_test_refuses_a_date_for_a_file_that_dates_its_draws(tmp_path: Path) -> None:
    copy = tmp_path / "case.yaml"
    shutil.copy(EXAMPLES / "cheung2025" / "case.yaml", copy)
    before = copy.read_bytes()
    out = runner.invoke(app, ["add-test", str(copy), "--file", str(SERIAL), "--date", "2024-01-01"])
    assert out.exit_code == 2 and "--date: not for a ctdna-csv file" in out.output
    out = runner.invoke(app, ["add-test", str(copy), "--file", str(SERIAL), "--sample", "x"])
    assert out.exit_code == 2 and "draws (dates) present" in out.output
    assert copy.read_bytes() == before


def test_other_formats_still_need_specimen_and_date(tmp_path: Path) -> None:
    copy = tmp_path / "case.yaml"
    shutil.copy(EXAMPLES / "cheung2025" / "case.yaml", copy)
    ihc = DATA / "formats" / "ihc" / "seed_ihc.tsv"
    out = runner.invoke(app, ["add-test", str(copy), "--file", str(ihc)])
    assert out.exit_code == 2 and "--specimen and --date required" in out.output
