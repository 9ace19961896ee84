"""Reading review tables: the seed's Table 1 as extracted text, CSV and XLSX, and mappings."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tkiresist.errors import FormatError
from tkiresist.registry.tables import (
    FIELDS,
    ColumnMapping,
    load_mapping,
    read_csv_table,
    read_seed_text,
    read_table,
)

BUNDLED = resources.files("tkiresist.data").joinpath("datasets/cheung2025-table1.txt")
HEADER = (
    "Case\tFirst author (year)\tAge/sex\tEGFR mutation\tEGFR-TKI\tALK fusion\t"
    "Interval to ALK resistance (months)\tPost-resistance regimen\tBest response\t"
    "Grade ≥3 adverse events\tBiopsy\tTesting\tCNS progression\tExtracranial progression site(s)"
)


@pytest.fixture(scope="module")
def table1() -> object:
    return read_seed_text(BUNDLED.read_text(encoding="utf-8"), "table1.txt")


def test_the_bundled_excerpt_is_the_seed_table_unchanged(seed_text: Path) -> None:
    seed = seed_text.read_text(encoding="utf-8").splitlines()
    bundled = BUNDLED.read_text(encoding="utf-8").splitlines()
    start = bundled.index(next(line for line in bundled if line.startswith("Case\t")))
    excerpt = bundled[start:]
    at = seed.index(excerpt[0])
    assert seed[at : at + len(excerpt)] == excerpt


def test_reads_the_whole_seed_paper(seed_text: Path) -> None:
    table = read_table(seed_text)
    assert table.name == "Table 1"
    assert [r.key for r in table.rows] == [str(i) for i in range(1, 17)]


def test_sixteen_rows_fourteen_fields(table1: object) -> None:
    t = table1
    assert t.name == "Table 1"  # type: ignore[attr-defined]
    assert t.fields == (  # type: ignore[attr-defined]
        "case_label", "study", "age_sex", "egfr_mutation", "egfr_tki", "alk_fusion",
        "interval_months", "post_regimen", "best_response", "grade3_ae", "biopsy", "testing",
        "cns_progression", "extracranial_sites",
    )  # fmt: skip
    assert len(t.rows) == 16  # type: ignore[attr-defined]


def test_case_6_is_rejoined_from_two_lines(table1: object) -> None:
    row = next(r for r in table1.rows if r.key == "6")  # type: ignore[attr-defined]
    assert row.joined and len(row.lines) == 2
    assert row.lines[0] < row.line == row.lines[1]  # the fragment comes first
    cells = {k: c.text for k, c in row.cells.items()}
    assert cells["study"] == "Schrock et al. (2018), Case 26"
    assert cells["egfr_mutation"] == "Exon 19 deletion"
    assert cells["egfr_tki"] == "Erlotinib → osimertinib"
    assert cells["alk_fusion"] == "STRN-ALK"
    assert row.cells["egfr_mutation"].lines == row.lines


def test_case_2_has_a_blank_response_and_case_12_two_fusions(table1: object) -> None:
    rows = {r.key: r for r in table1.rows}  # type: ignore[attr-defined]
    assert rows["2"].cells["best_response"].text == ""
    assert rows["2"].cells["post_regimen"].text == "NA"
    assert rows["12"].cells["alk_fusion"].text == "EML4- ALK, STRN-ALK"
    assert "\\rightarrow" in rows["13"].cells["post_regimen"].text


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([HEADER, "1\t" + "\t".join(["x"] * 14)], "15 cells, the header 14"),
        ([HEADER, "1\tA", "1\tB"], "row label '1' is used twice"),
        ([HEADER], "has a header but no rows"),
        (["no table here"], "no table header found"),
        ([HEADER.replace("Testing", "Sequencing platform"), "1\tA"], "'Sequencing platform'"),
    ],
)
def test_bad_tables_are_refused_with_a_location(lines: list[str], message: str) -> None:
    with pytest.raises(FormatError) as err:
        read_seed_text("\n".join(lines), "t.txt")
    assert message in str(err.value)
    assert str(err.value).startswith("t.txt")


def test_trailing_blank_cells_and_short_rows_are_tolerated() -> None:
    table = read_seed_text(
        "\n".join([HEADER, "1\tPresent\t65/M\t\t\t\t", "2\tX\t\t\t\t\t\t\t\t\t"])
    )
    assert [r.key for r in table.rows] == ["1", "2"]
    assert table.rows[0].cells["extracranial_sites"].text == ""


CSV = """Pt,Reference,Age,Sex,EGFR,Fusion,Months,Comments
A1,Smith et al. (2020),55,F,L858R,EML4-ALK,12,none
A2,Smith et al. (2020),61,M,Exon 19 deletion,STRN-ALK,NR,
"""


def test_csv_with_a_mapping(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "table: Table 2\ncolumns:\n  Pt: case_label\n  Reference: study\n  EGFR: egfr_mutation\n"
        "  Fusion: alk_fusion\n  Months: interval_months\nignore: [Comments]\n"
        "not_reported: [NR]\n"
    )
    table = read_csv_table(CSV, "t.csv", load_mapping(mapping))
    assert table.name == "Table 2"
    assert [r.key for r in table.rows] == ["A1", "A2"]
    assert table.rows[0].cells["sex"].text == "F"  # built-in alias
    assert "Comments" not in {c for r in table.rows for c in r.cells}
    assert table.not_reported == ("NR",)


def test_csv_unmappable_column_is_named(tmp_path: Path) -> None:
    with pytest.raises(FormatError) as err:
        read_csv_table(CSV, "t.csv")
    assert "column 1 'Pt' cannot be mapped" in str(err.value)
    assert "t.csv:1:1" in str(err.value)


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("columns:\n  Pt: patient_number\n", "maps to unknown field 'patient_number'"),
        ("columns: [1, 2]\n", "columns"),
        ("- a\n", "a YAML mapping"),
        ("columns: {Pt: case_label\n", "malformed YAML"),
    ],
)
def test_bad_mapping_files(tmp_path: Path, yaml_text: str, message: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(yaml_text)
    with pytest.raises(FormatError) as err:
        load_mapping(path)
    assert message in str(err.value)


def test_mapping_naming_a_missing_column() -> None:
    mapping = ColumnMapping(columns={"Patient ID": "case_label"}, ignore=("Pt", "Comments"))
    with pytest.raises(FormatError, match="names column 'Patient ID'"):
        read_csv_table(CSV, "t.csv", mapping)


def test_xlsx(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl", reason="openpyxl (the xlsx extra) is missing")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Cases"
    sheet.append(["Case", "Age/sex", "EGFR mutation", "ALK fusion", "Interval (months)"])
    sheet.append([1, "65/M", "L858R", "EML4-ALK", 13])
    sheet.append([2, "50/F", "Exon 19 deletion", "TFG-ALK", 7.5])
    path = tmp_path / "t.xlsx"
    book.save(path)
    table = read_table(path)
    assert table.format == "xlsx" and table.name == "Cases"
    assert [r.key for r in table.rows] == ["1", "2"]
    assert table.rows[0].cells["interval_months"].text == "13"
    assert table.rows[1].cells["interval_months"].text == "7.5"


def test_xlsx_without_openpyxl_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"PK")
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(FormatError, match=r"optional extra 'xlsx' \(openpyxl\)"):
        read_table(path)


def test_every_field_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "registry.md").read_text()
    missing = [name for name in FIELDS if f"`{name}`" not in doc]
    assert not missing


_CELL = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zl", "Zp"),
        blacklist_characters="\t\r\n\x0b\x0c\x1c\x1d\x1e\x85",
    ),
    max_size=12,
)


@given(st.lists(st.lists(_CELL, min_size=13, max_size=13), min_size=1, max_size=6))
def test_seed_text_round_trip(rows: list[list[str]]) -> None:
    """Any single-line cells written tab-separated under the seed's header read back exactly
    (labels 1..n; a trailing blank cell may be dropped but reads back as blank)."""
    lines = [HEADER] + [f"{i}\t" + "\t".join(cells) for i, cells in enumerate(rows, start=1)]
    table = read_seed_text("\n".join(lines) + "\nTABLE 1: caption\n")
    assert [r.key for r in table.rows] == [str(i) for i in range(1, len(rows) + 1)]
    for row, cells in zip(table.rows, rows, strict=True):
        got = [row.cells[f].text for f in table.fields[1:] if f is not None]
        assert got == cells
