"""Property tests: line parsers fail only with FormatError/ParseError, never another crash."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tkiresist.errors import FormatError, ParseError
from tkiresist.io import vcf
from tkiresist.io._nomen import protein_change, split_fusion
from tkiresist.io.readers import READERS

DATA = Path(__file__).resolve().parents[1] / "data" / "formats"
cell = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\t\n\r"), max_size=12
)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=30))
def test_protein_change_raises_only_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        protein_change(text)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=30))
def test_split_fusion_raises_only_parse_error(text: str) -> None:
    try:
        name = split_fusion(text)
    except ParseError:
        return
    assert name.first and name.second


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(READERS), st.lists(st.lists(cell, min_size=1, max_size=6), max_size=4))
def test_table_readers_raise_only_format_error(reader: object, rows: list[list[str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.txt"
        path.write_text("\n".join("\t".join(r) for r in rows) + "\n")
        with contextlib.suppress(FormatError):
            reader.read(path)  # type: ignore[attr-defined]


@settings(max_examples=80, deadline=None)
@given(st.integers(min_value=34, max_value=50), st.integers(min_value=0, max_value=9), cell)
def test_vcf_record_mutations_raise_only_format_error(line: int, field: int, value: str) -> None:
    lines = (DATA / "oncomine/seed_progression_brain.vcf").read_text().splitlines()
    cells = lines[line].split("\t")
    cells[field] = value
    lines[line] = "\t".join(cells)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.vcf"
        path.write_text("\n".join(lines) + "\n")
        with contextlib.suppress(FormatError):
            vcf.read(path)
