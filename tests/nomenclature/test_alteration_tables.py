"""Table-driven tests over the golden files in ``data/``.

* ``*_valid.tsv``: each input parses; formatting gives ``expected``; ``fields`` hold on the value;
  the canonical text parses back to an equal value.
* ``*_invalid.tsv``: each input is refused with a ParseError that names the input, the
  position (when given) and contains the fragment.
* ``alterations_roundtrip.tsv``: canonical texts format back to themselves.
* ``seed_table1_strings.tsv``: every EGFR-mutation and ALK-fusion string of the seed paper's
  Table 1, exactly as printed.
* Every rule has valid, invalid and round-trip rows.
"""

from __future__ import annotations

import pytest

from tests.nomenclature._alteration_tables import RULES, check_fields, read_table
from tkiresist.errors import ParseError
from tkiresist.nomenclature.fusions import FusionReport

VALID = [row for name in ("variants", "fusions", "copynumber", "alterations")
         for row in read_table(f"{name}_valid.tsv")]  # fmt: skip
INVALID = [row for name in ("variants", "fusions", "copynumber", "alterations")
           for row in read_table(f"{name}_invalid.tsv")]  # fmt: skip
ROUNDTRIP = read_table("alterations_roundtrip.tsv")
SEED = read_table("seed_table1_strings.tsv")


def _id(row: dict[str, str]) -> str:
    return f"{row['rule']}:{row['input']!r}"


def _normalised(value: object) -> object:
    """A fusion formats in the corrected order, so the re-read value has the flag cleared."""
    if isinstance(value, FusionReport):
        fusions = tuple(f.model_copy(update={"order_corrected": False}) for f in value.fusions)
        return value.model_copy(update={"fusions": fusions, "order_corrected": False})
    if hasattr(value, "order_corrected") and getattr(value, "order_corrected", False):
        return value.model_copy(update={"order_corrected": False})  # type: ignore[attr-defined]
    return value


@pytest.mark.parametrize("row", VALID, ids=_id)
def test_valid(row: dict[str, str]) -> None:
    rule = RULES[row["rule"]]
    value = rule.parse(row["input"], row["gene"] or None)
    assert rule.format(value) == row["expected"]
    assert check_fields(value, row["fields"]) == []
    assert rule.parse(row["expected"], row["gene"] or None) == _normalised(value)


@pytest.mark.parametrize("row", INVALID, ids=_id)
def test_invalid(row: dict[str, str]) -> None:
    rule = RULES[row["rule"]]
    with pytest.raises(ParseError) as info:
        rule.parse(row["input"], row["gene"] or None)
    err = info.value
    assert repr(row["input"]) in str(err), "the message names the input"
    if row["position"]:
        assert err.position == int(row["position"]), str(err)
        assert f"at position {row['position']}" in str(err)
    assert row["fragment"] in str(err)


@pytest.mark.parametrize("row", ROUNDTRIP, ids=lambda r: f"{r['rule']}:{r['canonical']!r}")
def test_roundtrip(row: dict[str, str]) -> None:
    rule = RULES[row["rule"]]
    value = rule.parse(row["canonical"], None)
    text = rule.format(value)
    assert text == row["canonical"]
    assert rule.parse(text, None) == value


@pytest.mark.parametrize(
    "table", [VALID, INVALID, ROUNDTRIP], ids=["valid", "invalid", "roundtrip"]
)
def test_every_rule_has_rows(table: list[dict[str, str]]) -> None:
    covered = {row["rule"] for row in table}
    assert covered == set(RULES), f"rules without rows: {sorted(set(RULES) - covered)}"


@pytest.mark.parametrize("row", SEED, ids=lambda r: f"case{r['case']}:{r['text']!r}")
def test_seed_table1(row: dict[str, str]) -> None:
    rule = RULES[row["parser"]]
    value = rule.parse(row["text"], None)
    assert rule.format(value) == row["expected"]
    assert check_fields(value, row["fields"]) == []


def test_seed_table1_covers_both_columns_of_all_16_cases() -> None:
    for column in ("EGFR mutation", "ALK fusion"):
        cases = {int(r["case"]) for r in SEED if r["column"] == column}
        assert cases == set(range(1, 17)), column
    texts = {r["text"] for r in SEED}
    for printed in ("Exon 19 del", "Exon 19 deletion → T790M", "L858R → T790M",
                    "Exon 19 deletion + T790M (de novo)", "L747P", "EML4- ALK, STRN-ALK",
                    "PLEKHA7- ALK", "DCTN1- ALK"):  # fmt: skip
        assert printed in texts
