"""The one exception family of tkiresist.

Every error the library raises on purpose derives from :class:`TkiResistError`. Each carries
a :class:`Location` (file, line, column, field) when one is known, so that the CLI can print
``file:line: field: message`` and the web layer can return a typed JSON error. Nothing else
in the package raises bare ``ValueError`` or ``KeyError`` across a public boundary.

Hierarchy::

    TkiResistError
     ├── ParseError            a string (a variant, fusion, drug, date...) does not parse
     │    ├── UnknownGeneError  a gene symbol that HGNC does not know
     │    └── UnknownDrugError  a drug name that the curated dictionary does not know
     ├── CaseValidationError   a case (file) breaks the model's rules; holds many Problems
     ├── FormatError           an input file is not in the format it claims, or is malformed
     ├── KnowledgeBaseError    a knowledge-base file breaks its schema or the lint rules
     ├── InterpretationError   the engine cannot answer (e.g. no decision point)
     ├── RegistryError         the database refuses (e.g. schema too old)
     │    └── ConflictError     optimistic locking: someone saved first
     └── EvidenceError         a statistic or claim cannot be computed
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Location:
    """Where a problem is: any of file, line (1-based), column (1-based) and field path."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None

    def prefix(self) -> str:
        """``file:line:col: field: `` with the parts that are known."""
        parts: list[str] = []
        if self.file:
            head = self.file
            if self.line is not None:
                head += f":{self.line}"
                if self.column is not None:
                    head += f":{self.column}"
            parts.append(head)
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(self.field)
        return "".join(f"{p}: " for p in parts)

    def with_file(self, file: str) -> Location:
        return Location(file=file, line=self.line, column=self.column, field=self.field)


@dataclass(frozen=True, slots=True)
class Problem:
    """One located problem, as reported by validation."""

    message: str
    location: Location = field(default_factory=Location)

    def __str__(self) -> str:
        return f"{self.location.prefix()}{self.message}"

    def as_dict(self) -> dict[str, object]:
        loc: list[object] = []
        if self.location.file:
            loc.append(self.location.file)
        if self.location.line is not None:
            loc.append(self.location.line)
        if self.location.field:
            loc.extend(self.location.field.split("."))
        return {"loc": loc, "msg": self.message}


def collapse_repeats(problems: Iterable[Problem], *, show: int = 5) -> list[Problem]:
    """The problems for a person to read: one with the same message, file, column and field
    at several lines is given once, at its first line, saying how many more lines have it
    and the first ``show`` of them (``... (the same at 241 more lines: 14, 19, 23, 31, 40,
    ...)``). Order is that of first appearance. A reader reports each record it keeps
    unannotated (a VCF whose caller names 500 genes HGNC does not know has thousands); a
    machine reading the JSON gets them all, a terminal gets this."""
    groups: dict[tuple[str, str | None, int | None, str | None], list[Problem]] = {}
    for problem in problems:
        loc = problem.location
        groups.setdefault((problem.message, loc.file, loc.column, loc.field), []).append(problem)
    out: list[Problem] = []
    for same in groups.values():
        first = same[0]
        more = [p.location.line for p in same[1:] if p.location.line is not None]
        if not more:
            out.extend(same)
            continue
        lines = ", ".join(str(n) for n in more[:show]) + (", ..." if len(more) > show else "")
        noun = "line" if len(more) == 1 else "lines"
        message = f"{first.message} (the same at {len(more)} more {noun}: {lines})"
        out.append(Problem(message, first.location))
    return out


class TkiResistError(Exception):
    """Root of every error tkiresist raises on purpose."""

    code = "tkiresist_error"

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location or Location()

    @property
    def problems(self) -> tuple[Problem, ...]:
        return (Problem(self.message, self.location),)

    def __str__(self) -> str:
        return f"{self.location.prefix()}{self.message}"

    def one_line(self) -> str:
        """A single line for the CLI: newlines are folded."""
        return " ".join(str(self).split())


class ParseError(TkiResistError):
    """A string does not parse. Names the input, the character position and what was expected."""

    code = "parse_error"

    def __init__(
        self,
        what: str,
        text: str,
        position: int | None = None,
        expected: str | None = None,
        location: Location | None = None,
    ) -> None:
        self.what = what
        self.text = text
        self.position = position
        self.expected = expected
        msg = f"cannot parse {what} {text!r}"
        if position is not None:
            msg += f" at position {position}"
        if expected:
            msg += f": expected {expected}"
        super().__init__(msg, location)


class UnknownGeneError(ParseError):
    code = "unknown_gene"

    def __init__(self, symbol: str, location: Location | None = None) -> None:
        super().__init__(
            "gene symbol",
            symbol,
            None,
            "an HGNC-approved, alias or previous symbol",
            location,
        )
        self.message = (
            f"unknown gene symbol {symbol!r}: not an HGNC approved, alias or previous symbol"
        )


class UnknownDrugError(ParseError):
    """A drug name the curated dictionary does not know.

    ``within`` and ``position`` say where the name sits when it came from a longer text (a
    regimen such as ``osimertinib + foo``); ``suggestions`` are close known names, offered in
    the message only, never substituted.
    """

    code = "unknown_drug"

    def __init__(
        self,
        name: str,
        location: Location | None = None,
        *,
        within: str | None = None,
        position: int | None = None,
        suggestions: tuple[str, ...] = (),
    ) -> None:
        super().__init__("drug name", name, position, "a drug in the curated dictionary", location)
        self.within = within
        self.suggestions = suggestions
        msg = f"unknown drug {name!r}"
        if within is not None and position is not None:
            msg += f" at position {position} in {within!r}"
        msg += ": not a generic, brand or code name in the curated dictionary"
        if suggestions:
            msg += "; close known names: " + ", ".join(suggestions)
        self.message = msg


class ManyProblems(TkiResistError):
    """Base of the errors that report every located problem found, not just the first.

    Subclasses set ``code`` and ``what`` (used when the list is empty) and mix in the family
    they belong to, e.g. ``class StudyValidationError(ManyProblems, FormatError)``.
    """

    what = "invalid input"

    def __init__(self, problems: Iterable[Problem]) -> None:
        self._problems = tuple(problems)
        first = self._problems[0] if self._problems else Problem(self.what)
        super().__init__(first.message, first.location)

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self._problems

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self._problems)


class CaseValidationError(ManyProblems):
    """A case breaks the model's rules. Carries every problem found, each located."""

    code = "case_invalid"
    what = "invalid case"


class FormatError(TkiResistError):
    """An input file is malformed, or in no format we read."""

    code = "format_error"


class KnowledgeBaseError(TkiResistError):
    code = "knowledge_base_error"


class InterpretationError(TkiResistError):
    code = "interpretation_error"


class RegistryError(TkiResistError):
    code = "registry_error"


class ConflictError(RegistryError):
    code = "conflict"


class EvidenceError(TkiResistError):
    code = "evidence_error"
