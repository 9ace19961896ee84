"""A small character scanner shared by the nomenclature grammars.

The grammars in :mod:`~tkiresist.nomenclature.variants`, :mod:`.fusions`, :mod:`.copynumber` and
:mod:`.histories` are written as recursive-descent rules over a :class:`Scanner` (a PEG in
spirit: ordered choice, backtracking by resetting :attr:`Scanner.pos`). This module holds only the
mechanics; each concept's rules live in its own module.

Errors follow the "farthest failure" rule: every rule that fails records what it expected at the
position where it failed, and when the whole parse fails the error names the farthest position
any rule reached and everything that was expected there. Positions are 0-based character
offsets into the text as given (nothing is rewritten before parsing, so positions stay true).

A rule may call :meth:`Scanner.commit` once the text is recognisably of its kind ("this is a
fusion"); :mod:`~tkiresist.nomenclature.alterations` uses that to tell "not mine" from "mine but
invalid".

Only ASCII digits count as digits (``str.isdigit`` accepts superscripts that ``int`` refuses), and
numbers are bounded in length so that ``int`` never meets an over-long literal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol, TypeVar

import pydantic

from tkiresist.errors import Location, ParseError

T = TypeVar("T")

INT_RE = re.compile(r"[0-9]{1,9}(?![0-9])")
NUMBER_RE = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,9})?(?![0-9.])")

# Hyphens and dashes that PDF extraction produces where an author typed "-".
DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2212"


class Scanner:
    """A cursor over ``text`` with farthest-failure bookkeeping."""

    def __init__(self, text: str, what: str, location: Location | None = None) -> None:
        self.text = text
        self.what = what
        self.location = location
        self.pos = 0
        self.committed = False
        self._far = -1
        self._expected: list[str] = []

    # -- position -----------------------------------------------------------------------------
    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def rest(self) -> str:
        return self.text[self.pos :]

    def commit(self) -> None:
        """Mark the text as this grammar's kind: failures from now on are real errors."""
        self.committed = True

    # -- matching -----------------------------------------------------------------------------
    def ws(self) -> bool:
        """Skip whitespace (any Unicode space, newlines included); True if any was skipped."""
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1
        return self.pos > start

    def lit(self, s: str, *, ci: bool = False, expected: str | None = None) -> bool:
        """Match the literal ``s`` here (case-insensitive with ``ci``).

        On failure ``expected`` (default: the literal itself) is recorded; ``expected=""``
        records nothing, for alternatives that a caller describes once for all of them.
        """
        got = self.text[self.pos : self.pos + len(s)]
        if got == s or (ci and got.lower() == s.lower()):
            self.pos += len(s)
            return True
        if expected != "":
            self.expect(expected or repr(s))
        return False

    def word(self, s: str, *, ci: bool = True, expected: str | None = None) -> bool:
        """Match ``s`` as a whole word: not followed by a letter or digit."""
        start = self.pos
        if not self.lit(s, ci=ci, expected=expected):
            return False
        nxt = self.peek()
        if nxt and (nxt.isascii() and nxt.isalnum()):
            self.pos = start
            if expected != "":
                self.expect(expected or repr(s))
            return False
        return True

    def one_of(self, words: tuple[str, ...], *, ci: bool = True, expected: str) -> str | None:
        """The first of ``words`` (try longer ones first) that matches here as a whole word."""
        for w in words:
            if self.word(w, ci=ci, expected=expected):
                return w
        return None

    def rx(self, pattern: re.Pattern[str], expected: str) -> re.Match[str] | None:
        m = pattern.match(self.text, self.pos)
        if m is None or m.end() == self.pos:
            self.expect(expected)
            return None
        self.pos = m.end()
        return m

    def integer(self, expected: str = "a number") -> int | None:
        m = self.rx(INT_RE, expected)
        return int(m.group()) if m else None

    def number(self, expected: str = "a number") -> float | None:
        m = self.rx(NUMBER_RE, expected)
        return float(m.group()) if m else None

    def dash(self) -> bool:
        """Match one hyphen or dash character."""
        if self.peek() and self.peek() in DASHES:
            self.pos += 1
            return True
        self.expect("'-'")
        return False

    def attempt(self, rule: Callable[[], T | None]) -> T | None:
        """Run ``rule``; on None, put the cursor back where it was."""
        start = self.pos
        out = rule()
        if out is None:
            self.pos = start
        return out

    # -- errors -------------------------------------------------------------------------------
    def expect(self, what: str, pos: int | None = None) -> None:
        """Record that ``what`` was expected at ``pos`` (default: here)."""
        at = self.pos if pos is None else pos
        if at > self._far:
            self._far = at
            self._expected = [what]
        elif at == self._far and what not in self._expected:
            self._expected.append(what)

    def error(self) -> ParseError:
        """The farthest-failure error for this text."""
        if self._far < 0:
            return self.error_at(self.pos, "nothing more")
        if self._far >= len(self.text) and self.text.strip():
            expected = ", ".join(self._expected) + " (the text ended)"
        else:
            expected = ", ".join(self._expected)
        return self.error_at(self._far, expected)

    def error_at(self, pos: int, expected: str) -> ParseError:
        """An error at ``pos`` naming what was expected (for checks beyond syntax)."""
        loc = self.location
        if loc is not None:
            loc = Location(file=loc.file, line=loc.line, column=pos + 1, field=loc.field)
        return ParseError(self.what, self.text, pos, expected, loc)

    def expect_end(self) -> bool:
        self.ws()
        if self.at_end():
            return True
        self.expect("the end of the text")
        return False


def build(model: Callable[..., T], sc: Scanner, pos: int, **fields: object) -> T:
    """Construct a domain value; turn a validation failure into a located ParseError."""
    try:
        return model(**fields)
    except pydantic.ValidationError as exc:
        reasons = "; ".join(str(e.get("msg", e)) for e in exc.errors())
        raise sc.error_at(pos, f"a valid value ({reasons})") from None


T_co = TypeVar("T_co", covariant=True)


class _Grammar(Protocol[T_co]):
    @property
    def sc(self) -> Scanner: ...

    def parse(self) -> T_co: ...


def parse_or_none(grammar: _Grammar[T_co]) -> T_co | None:
    """``grammar.parse()``, or None when it failed before committing to its kind (the text is
    not of this kind at all). A failure after committing is a real error and is raised: this
    is the "not mine" / "mine but invalid" contract of the alteration registry."""
    try:
        return grammar.parse()
    except ParseError:
        if grammar.sc.committed:
            raise
        return None
