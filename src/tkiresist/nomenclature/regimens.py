"""Regimens and therapy sequences: parse what a paper prints, format it canonically.

A *regimen* is what a patient takes at once (``osimertinib + alectinib``); a *therapy
sequence* is the regimens in the order given (``erlotinib → afatinib → osimertinib``). The
grammar, in EBNF (words are matched case-insensitively)::

    sequence  = regimen , { then , regimen } ;
    regimen   = component , { combine , component } ;
    component = drug , [ "(" , role , ")" ] ;
    drug      = word , { word } ;          (* one name in nomenclature.drugs *)
    combine   = "+" | "/" | "plus" | "and" | "with" ;
    then      = "→" | "⟶" | "⇒" | "➔" | "->" | "-->" | "=>" | ";"
              | "then" | "and then" | "followed by"
              | latex-arrow | "$" , latex-arrow , "$" ;
    latex-arrow = "\\rightarrow" | "\\to" | "\\longrightarrow" | "\\Rightarrow"
              | "\\Longrightarrow" ;          (* these survive PDF text extraction *)
    role      = "induction" | "maintenance" | "consolidation" | "continued" ;

Whitespace, newlines included, only separates words: a table cell broken across two lines
(``Erlotinib →`` / ``osimertinib``) reads as one sequence. A drug is one or more words that
together are a name in the drug dictionary (``EGFR antibody``, ``AMG 510``).

The canonical form is lower-case generic ids joined by `` + ``, lines joined by `` → ``;
``parse_sequence(format_sequence(s)) == s`` for every sequence ``s``.

Errors are :class:`~tkiresist.errors.ParseError` naming the input and the 0-based character
position; a drug name the dictionary does not know raises its subclass
:class:`~tkiresist.errors.UnknownDrugError` with the same two facts.

What is *not* a regimen is the caller's business: table cells such as ``NA``, ``N/A`` or
``No`` (no further treatment, or not reported) must be recognised before parsing;
``parse_sequence("NA")`` raises UnknownDrugError.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, field_validator, model_validator

from tkiresist.errors import Location, ParseError, UnknownDrugError
from tkiresist.model.base import Value
from tkiresist.model.vocabulary import DrugClass
from tkiresist.nomenclature.drugs import Drug, dictionary, is_known, lookup

ComponentRole = Literal["induction", "maintenance", "consolidation", "continued"]
ROLES: tuple[ComponentRole, ...] = ("induction", "maintenance", "consolidation", "continued")

CANONICAL_COMBINE = " + "
CANONICAL_THEN = " → "


class RegimenComponent(Value):
    """One drug of a regimen, by generic id, with an optional role."""

    drug: str
    role: ComponentRole | None = None

    @field_validator("drug")
    @classmethod
    def _generic_id(cls, value: str) -> str:
        try:
            generic = lookup(value).generic
        except ParseError as exc:
            raise ValueError(exc.message) from exc
        if generic != value:
            raise ValueError(f"{value!r} is a name of {generic!r}; components hold generic ids")
        return value

    @property
    def agent(self) -> Drug:
        return lookup(self.drug)


class Regimen(Value):
    """Drugs given together, in the order written; each drug at most once."""

    components: tuple[RegimenComponent, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _no_repeats(self) -> Regimen:
        seen: set[str] = set()
        for component in self.components:
            if component.drug in seen:
                raise ValueError(f"drug {component.drug!r} appears twice in one regimen")
            seen.add(component.drug)
        return self

    @classmethod
    def of(cls, *drugs: str) -> Regimen:
        """A regimen of generic ids without roles: ``Regimen.of("osimertinib", "alectinib")``."""
        return cls(components=tuple(RegimenComponent(drug=d) for d in drugs))

    @property
    def drugs(self) -> tuple[str, ...]:
        return tuple(c.drug for c in self.components)

    @property
    def agents(self) -> tuple[Drug, ...]:
        return tuple(c.agent for c in self.components)

    @property
    def is_combination(self) -> bool:
        return len(self.components) > 1

    def has_class(self, drug_class: DrugClass | str) -> bool:
        return any(agent.has_class(drug_class) for agent in self.agents)

    def __str__(self) -> str:
        return format_regimen(self)


class TherapySequence(Value):
    """Regimens in the order given (lines of therapy as a source lists them)."""

    lines: tuple[Regimen, ...] = Field(min_length=1)

    @property
    def drugs(self) -> tuple[str, ...]:
        """Every drug once, in order of first appearance."""
        return tuple(dict.fromkeys(d for line in self.lines for d in line.drugs))

    def __str__(self) -> str:
        return format_sequence(self)


def format_regimen(regimen: Regimen, combine: str = CANONICAL_COMBINE) -> str:
    """``osimertinib + alectinib``; a role follows its drug in parentheses."""
    return combine.join(
        c.drug if c.role is None else f"{c.drug} ({c.role})" for c in regimen.components
    )


def format_sequence(sequence: TherapySequence, then: str = CANONICAL_THEN) -> str:
    """``erlotinib → osimertinib + necitumumab`` (pass ``then=" -> "`` for ASCII)."""
    return then.join(format_regimen(line) for line in sequence.lines)


def parse_regimen(text: str, location: Location | None = None) -> Regimen:
    """Parse one regimen; a line separator (``→``) in ``text`` is an error."""
    parser = _Parser(text, "regimen", location)
    regimen = parser.regimen()
    token = parser.peek()
    if token is not None and token.kind == "then":
        raise ParseError(
            "regimen",
            text,
            token.start,
            f"'+' or the end of the regimen, not {token.text!r} (a sequence of regimens "
            "needs parse_sequence)",
            location,
        )
    parser.expect_end()
    return regimen


def parse_sequence(text: str, location: Location | None = None) -> TherapySequence:
    """Parse regimens separated by ``→``, ``->``, ``then``, ``;`` and the like."""
    parser = _Parser(text, "therapy sequence", location)
    lines = [parser.regimen()]
    while (token := parser.peek()) is not None and token.kind == "then":
        parser.advance()
        lines.append(parser.regimen())
    parser.expect_end()
    return TherapySequence(lines=tuple(lines))


def cell_drugs(text: str, location: Location | None = None) -> tuple[str, ...]:
    """The generic names a table cell lists, in order: one drug, a regimen (``osimertinib +
    alectinib``) or several (``erlotinib, osimertinib``; ``,`` and ``|`` separate like ``;``).
    The one reader of agent cells (cBioPortal timeline ``AGENT``, a clinical therapy column),
    for ``cohort`` and ``annotate`` alike. Raises ParseError (an unknown drug included)."""
    import re

    return parse_sequence(re.sub(r"\s*[,|]\s*", " ; ", text.strip()), location).drugs


# ----------------------------------------------------------------------------- the lexer

TokenKind = Literal["word", "combine", "then", "open", "close"]


@dataclass(frozen=True, slots=True)
class _Token:
    kind: TokenKind
    text: str
    start: int
    end: int


# Punctuation separators, longest first where one is a prefix of another.
_SYMBOLS: tuple[tuple[str, TokenKind], ...] = (
    ("-->", "then"),
    ("->", "then"),
    ("=>", "then"),
    ("→", "then"),
    ("⟶", "then"),
    ("⇒", "then"),
    ("➔", "then"),
    (";", "then"),
    ("+", "combine"),
    ("/", "combine"),
    ("(", "open"),
    (")", "close"),
)
_LATEX_ARROWS = frozenset({"rightarrow", "to", "longrightarrow", "Rightarrow", "Longrightarrow"})
_SEPARATOR_WORDS: dict[str, TokenKind] = {
    "plus": "combine",
    "and": "combine",
    "with": "combine",
    "then": "then",
}
_SEPARATOR_PAIRS: dict[tuple[str, str], TokenKind] = {
    ("followed", "by"): "then",
    ("and", "then"): "then",
}
_WORD_PUNCTUATION = frozenset("-.'_®™\u2010\u2011\u2012\u2013\u2014\u2212")


def _symbol_at(text: str, i: int) -> tuple[str, TokenKind] | None:
    for symbol, kind in _SYMBOLS:
        if text.startswith(symbol, i):
            return symbol, kind
    return None


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch in _WORD_PUNCTUATION


class _Lexer:
    def __init__(self, text: str, what: str, location: Location | None) -> None:
        self.text = text
        self.what = what
        self.location = location

    def error(self, position: int, expected: str) -> ParseError:
        return ParseError(self.what, self.text, position, expected, self.location)

    def tokens(self) -> list[_Token]:
        text, n, i = self.text, len(self.text), 0
        raw: list[_Token] = []
        while i < n:
            ch = text[i]
            if ch.isspace():
                i += 1
                continue
            symbol = _symbol_at(text, i)
            if symbol is not None:
                raw.append(_Token(symbol[1], symbol[0], i, i + len(symbol[0])))
                i += len(symbol[0])
            elif ch == "\\" or (ch == "$" and text.startswith("\\", i + 1)):
                end = self._latex_arrow(i)
                raw.append(_Token("then", text[i:end], i, end))
                i = end
            elif _is_word_char(ch):
                start = i
                while i < n and _is_word_char(text[i]) and _symbol_at(text, i) is None:
                    i += 1
                raw.append(_Token("word", text[start:i], start, i))
            else:
                raise self.error(i, f"a drug name or a separator, not {ch!r}")
        return _separator_words(raw)

    def _latex_arrow(self, i: int) -> int:
        text = self.text
        dollar = text[i] == "$"
        j = i + 1 if dollar else i
        k = j + 1
        while k < len(text) and text[k].isascii() and text[k].isalpha():
            k += 1
        command = text[j + 1 : k]
        if command not in _LATEX_ARROWS:
            raise self.error(j, f"a LaTeX arrow such as \\rightarrow, not {text[j:k]!r}")
        if dollar:
            while k < len(text) and text[k] in " \t":
                k += 1
            if not text.startswith("$", k):
                raise self.error(k, "'$' closing the LaTeX arrow")
            k += 1
        return k


def _separator_words(raw: list[_Token]) -> list[_Token]:
    out: list[_Token] = []
    i = 0
    while i < len(raw):
        token = raw[i]
        if token.kind == "word":
            word = token.text.casefold()
            if i + 1 < len(raw) and raw[i + 1].kind == "word":
                pair = _SEPARATOR_PAIRS.get((word, raw[i + 1].text.casefold()))
                if pair is not None:
                    nxt = raw[i + 1]
                    out.append(_Token(pair, f"{token.text} {nxt.text}", token.start, nxt.end))
                    i += 2
                    continue
            kind = _SEPARATOR_WORDS.get(word)
            if kind is not None:
                token = _Token(kind, token.text, token.start, token.end)
        out.append(token)
        i += 1
    return out


# ----------------------------------------------------------------------------- the parser


class _Parser:
    def __init__(self, text: str, what: str, location: Location | None) -> None:
        self.text = text
        self.what = what
        self.location = location
        self.tokens = _Lexer(text, what, location).tokens()
        self.i = 0

    def error(self, position: int, expected: str) -> ParseError:
        return ParseError(self.what, self.text, position, expected, self.location)

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def advance(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def here(self) -> int:
        token = self.peek()
        return token.start if token is not None else len(self.text)

    def expect_end(self) -> None:
        token = self.peek()
        if token is not None:
            raise self.error(token.start, f"a separator or the end, not {token.text!r}")

    def regimen(self) -> Regimen:
        components = [self.component()]
        while (token := self.peek()) is not None and token.kind == "combine":
            self.advance()
            start = self.here()
            component = self.component()
            if any(c.drug == component.drug for c in components):
                raise self.error(
                    start, f"a drug not already in this regimen; {component.drug!r} is repeated"
                )
            components.append(component)
        return Regimen(components=tuple(components))

    def component(self) -> RegimenComponent:
        words: list[_Token] = []
        while (token := self.peek()) is not None and token.kind == "word":
            words.append(self.advance())
        if not words:
            found = self.peek()
            expected = "a drug name" if found is None else f"a drug name, not {found.text!r}"
            raise self.error(self.here(), expected)
        drug = self.resolve(words)
        role: ComponentRole | None = None
        if (token := self.peek()) is not None and token.kind == "open":
            role = self.role()
        return RegimenComponent(drug=drug.generic, role=role)

    def role(self) -> ComponentRole:
        self.advance()
        token = self.peek()
        expected = "a role: " + ", ".join(ROLES)
        if token is None or token.kind != "word":
            raise self.error(self.here(), expected)
        word = token.text.casefold()
        role = next((r for r in ROLES if r == word), None)
        if role is None:
            raise self.error(token.start, f"{expected}; not {token.text!r}")
        self.advance()
        close = self.peek()
        if close is None or close.kind != "close":
            raise self.error(self.here(), "')' after the role")
        self.advance()
        return role

    def resolve(self, words: list[_Token]) -> Drug:
        text = self.text
        name = text[words[0].start : words[-1].end]
        if is_known(name):
            return lookup(name, self.location)
        for k in range(len(words) - 1, 0, -1):
            prefix = text[words[0].start : words[k - 1].end]
            if is_known(prefix):
                raise self.error(
                    words[k].start,
                    f"'+', '→' or the end after the drug {prefix!r}, not {words[k].text!r}",
                )
        raise UnknownDrugError(
            name,
            self.location,
            within=text,
            position=words[0].start,
            suggestions=dictionary().suggest(name),
        )
