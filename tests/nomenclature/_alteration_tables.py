"""The rules the alteration golden tables exercise, and the helpers that read those tables.

Each rule names a parser and the formatter that writes its canonical text. A table row names
its rule in the first column; ``test_alteration_tables.py`` fails if a rule has no rows.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tkiresist.errors import ParseError
from tkiresist.model.alterations import ProteinChange
from tkiresist.nomenclature.alterations import format_alteration, parse_alteration
from tkiresist.nomenclature.copynumber import format_copy_number, parse_copy_number
from tkiresist.nomenclature.fusions import (
    format_fusion,
    format_fusions,
    parse_fusion,
    parse_fusions,
)
from tkiresist.nomenclature.histology import format_histology, parse_histology
from tkiresist.nomenclature.histories import format_history, parse_history
from tkiresist.nomenclature.variants import (
    format_protein_change,
    format_variant,
    parse_cdna,
    parse_protein_change,
    parse_variant,
)

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Rule:
    parse: Callable[[str, str | None], Any]
    format: Callable[[Any], str]


def _protein(text: str, gene: str | None) -> ProteinChange:
    del gene
    return parse_protein_change(text)


RULES: dict[str, Rule] = {
    "protein_change": Rule(_protein, format_protein_change),
    "cdna": Rule(lambda t, g: parse_cdna(t), lambda c: str(c)),
    "variant": Rule(parse_variant, format_variant),
    "history": Rule(lambda t, g: parse_history(t, g or "EGFR"), format_history),
    "fusions": Rule(lambda t, g: parse_fusions(t), format_fusions),
    "fusion": Rule(lambda t, g: parse_fusion(t), format_fusion),
    "copy_number": Rule(parse_copy_number, format_copy_number),
    "histology": Rule(lambda t, g: parse_histology(t), format_histology),
    "alteration": Rule(parse_alteration, format_alteration),
}


def unescape(cell: str) -> str:
    """Table cells write a line break as ``\\n`` (nothing else is escaped)."""
    return cell.replace("\\n", "\n")


def read_table(name: str) -> list[dict[str, str]]:
    """Rows of a tab-separated table under ``data/``; ``#`` lines are comments."""
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if line.strip() and not line.startswith("#")]
    return [
        {k: unescape(v) for k, v in row.items()}
        for row in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    ]


def attr(value: Any, path: str) -> Any:
    """``fusions.0.five_prime`` on a value: attributes and tuple indexes."""
    for part in path.split("."):
        value = value[int(part)] if part.isdigit() else getattr(value, part)
    return value


def check_fields(value: Any, fields: str) -> list[str]:
    """Mismatches between ``value`` and ``key=value;...`` (compared as ``str``)."""
    problems = []
    for pair in filter(None, fields.split(";")):
        key, _, want = pair.partition("=")
        got = str(attr(value, key.strip()))
        if got != want.strip():
            problems.append(f"{key}: got {got!r}, want {want.strip()!r}")
    return problems


def refusal_is_well_formed(parse: Callable[[str], Any], text: str) -> None:
    """``parse(text)`` returns, or raises a ParseError whose position lies inside ``text``.

    Any other exception propagates and fails the calling test.
    """
    try:
        parse(text)
    except ParseError as err:
        assert err.position is None or 0 <= err.position <= len(text), (text, err.position)
        assert err.text == text or err.position is None, (text, err.text)
