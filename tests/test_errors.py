"""errors.collapse_repeats: the problems a person reads on a terminal."""

from __future__ import annotations

from tkiresist.errors import Location, Problem, collapse_repeats


def _p(message: str, line: int | None, column: int | None = 1, file: str = "f.vcf") -> Problem:
    return Problem(message, Location(file=file, line=line, column=column, field="INFO"))


def test_repeats_are_given_once_at_their_first_line_in_first_seen_order() -> None:
    problems = [_p("gene X", 10), _p("gene Y", 11), *(_p("gene X", n) for n in range(12, 20))]
    out = collapse_repeats(problems, show=3)
    assert [str(p) for p in out] == [
        "f.vcf:10:1: INFO: gene X (the same at 8 more lines: 12, 13, 14, ...)",
        "f.vcf:11:1: INFO: gene Y",
    ]


def test_only_the_same_message_file_column_and_field_are_merged() -> None:
    problems = [
        _p("gene X", 10),
        _p("gene X", 11, column=2),  # another column
        _p("gene X", 12, file="g.vcf"),  # another file
        _p("gene X", 13),
    ]
    out = [str(p) for p in collapse_repeats(problems)]
    assert out == [
        "f.vcf:10:1: INFO: gene X (the same at 1 more line: 13)",
        "f.vcf:11:2: INFO: gene X",
        "g.vcf:12:1: INFO: gene X",
    ]


def test_problems_without_a_line_are_kept_as_they_are() -> None:
    problems = [_p("whole file", None), _p("whole file", None)]
    assert collapse_repeats(problems) == problems
    assert collapse_repeats([]) == []
