"""Driver rows get sensitivity levels from the first-line statements (#18), and a row with no
level says why (``TKIRESIST_LEVEL_REASON``). Real knowledge base; synthetic samples (invented
rows, not patients)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tkiresist.annotate import OUTPUT_COLUMNS, annotate_tables

MAF_HEADER = ("Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification", "HGVSp_Short")
ROWS = [
    ("EGFR", "S-EX19DEL-NAIVE", "In_Frame_Del", "p.E746_A750del"),
    ("EGFR", "S-L858R-UNKNOWN", "Missense_Mutation", "p.L858R"),
    ("EGFR", "S-EX20INS-NAIVE", "In_Frame_Ins", "p.A767_V769dup"),
    ("EGFR", "S-T790M-ALONE", "Missense_Mutation", "p.T790M"),
    ("EGFR", "S-EX19DEL-OSI", "In_Frame_Del", "p.E746_A750del"),
    ("EGFR", "S-T790M-PAIR", "In_Frame_Del", "p.E746_A750del"),
    ("EGFR", "S-T790M-PAIR", "Missense_Mutation", "p.T790M"),
]
CLINICAL = [
    ("S-EX19DEL-NAIVE", "LUAD", "none"),
    ("S-L858R-UNKNOWN", "LUAD", ""),
    ("S-EX20INS-NAIVE", "LUAD", "untreated"),
    ("S-T790M-ALONE", "LUAD", "NA"),
    ("S-EX19DEL-OSI", "LUAD", "osimertinib"),
    ("S-T790M-PAIR", "LUAD", "erlotinib"),
]


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, str]]:
    d: Path = tmp_path_factory.mktemp("drivers")
    maf = d / "data_mutations.txt"
    maf.write_text("\n".join("\t".join(r) for r in [MAF_HEADER, *ROWS]) + "\n", encoding="utf-8")
    clinical = d / "data_clinical_sample.txt"
    clinical.write_text(
        "SAMPLE_ID\tONCOTREE_CODE\tPRIOR_THERAPY\n"
        + "".join("\t".join(r) + "\n" for r in CLINICAL),
        encoding="utf-8",
    )
    out = d / "annotated.tsv"
    annotate_tables(maf, clinical=clinical, out=out)
    with out.open(encoding="utf-8", newline="") as fh:
        got = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert len(got) == len(ROWS)
    return got


def _row(rows: list[dict[str, str]], sample: str, change: str) -> dict[str, str]:
    return next(
        r for r in rows if r["Tumor_Sample_Barcode"] == sample and r["HGVSp_Short"] == change
    )


def test_the_reason_column_is_an_output_column() -> None:
    assert OUTPUT_COLUMNS[-1] == "TKIRESIST_LEVEL_REASON"


def test_ex19del_untreated_has_sensitivity_level_a(rows: list[dict[str, str]]) -> None:
    """An exon 19 deletion before any therapy: osimertinib, FLAURA2 and MARIPOSA (level A)."""
    r = _row(rows, "S-EX19DEL-NAIVE", "p.E746_A750del")
    assert r["TKIRESIST_STATUS"] == "annotated"
    assert r["TKIRESIST_HIGHEST_SENSITIVE_LEVEL"] == "A"
    assert r["TKIRESIST_HIGHEST_RESISTANCE_LEVEL"] == ""
    assert "egfr-classical-first-line" in r["TKIRESIST_STATEMENTS"].split(",")
    assert r["TKIRESIST_LEVEL_REASON"] == ""
    assert r["TKIRESIST_PRIOR_DRUG_CLASSES"] == "none"


def test_l858r_with_unknown_therapy_has_level_a(rows: list[dict[str, str]]) -> None:
    """Therapy not known: the therapy condition is not applied, as for every statement (the
    OncoKB-like reading of a driver row)."""
    r = _row(rows, "S-L858R-UNKNOWN", "p.L858R")
    assert r["TKIRESIST_HIGHEST_SENSITIVE_LEVEL"] == "A"
    assert r["TKIRESIST_PRIOR_DRUG_CLASSES"] == ""


def test_ex20ins_is_sensitive_to_amivantamab_chemo_and_resistant_to_classical_tkis(
    rows: list[dict[str, str]],
) -> None:
    r = _row(rows, "S-EX20INS-NAIVE", "p.A767_V769dup")
    assert r["TKIRESIST_HIGHEST_SENSITIVE_LEVEL"] == "A"
    assert r["TKIRESIST_HIGHEST_RESISTANCE_LEVEL"] == "D"
    assert set(r["TKIRESIST_STATEMENTS"].split(",")) == {
        "egfr-ex20ins-first-line",
        "egfr-ex20ins-classical-tki-resistance",
    }


def test_t790m_without_a_driver_gets_no_level_and_says_why(rows: list[dict[str, str]]) -> None:
    """T790M alone, therapy not known: the T790M statements need a sensitising EGFR mutation
    in the same sample (no EGFR TKI line is given from which to presume one)."""
    r = _row(rows, "S-T790M-ALONE", "p.T790M")
    assert r["TKIRESIST_HIGHEST_SENSITIVE_LEVEL"] == ""
    assert r["TKIRESIST_HIGHEST_RESISTANCE_LEVEL"] == ""
    assert r["TKIRESIST_STATUS"] == "no_match"
    reason = r["TKIRESIST_LEVEL_REASON"]
    assert "needs an EGFR sensitising mutation (any) in the same sample; none found" in reason


def test_t790m_with_its_driver_after_erlotinib_has_a_resistance_level(
    rows: list[dict[str, str]],
) -> None:
    r = _row(rows, "S-T790M-PAIR", "p.T790M")
    assert r["TKIRESIST_HIGHEST_RESISTANCE_LEVEL"] == "A"
    assert r["TKIRESIST_LEVEL_REASON"] == ""


def test_driver_after_osimertinib_has_no_first_line_level_and_says_why(
    rows: list[dict[str, str]],
) -> None:
    """After osimertinib the exon 19 deletion is context, not a first-line sensitivity: no
    level, and the reason names the first-line statement."""
    r = _row(rows, "S-EX19DEL-OSI", "p.E746_A750del")
    assert r["TKIRESIST_HIGHEST_SENSITIVE_LEVEL"] == ""
    assert (
        "egfr-classical-first-line: first-line statement: needs no targeted therapy before"
        in (r["TKIRESIST_LEVEL_REASON"])
    )
