"""A small, safe filter language over the case-facts columns (``--where``).

Grammar (EBNF; keywords and column names are case-insensitive)::

    filter  = clause , { ( "and" | "&" ) , clause } ;
    clause  = column , op , value
            | column , "in" , "(" , value , { "," , value } , ")"
            | column , "has" , value ;             (* list columns: an element *)
    op      = "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">=" ;
    value   = word | quoted | "null" ;
    word    = { letter | digit | "." | "_" | "+" | "-" | "/" } ;
    quoted  = '"' , { any but '"' } , '"' | "'" , { any but "'" } , "'" ;

Examples: ``egfr_baseline=ex19del``, ``osimertinib_exposed=true and age>=60``,
``best_response in (CR, PR)``, ``prior_tkis has afatinib``,
``first_post_regimen="osimertinib + alectinib"``, ``cns_involved != null``.

A missing value (SQL ``NULL``) satisfies no comparison, ``!=`` included: select missing values
with ``column = null`` and present ones with ``column != null``.

Columns are only those of :data:`tkiresist.evidence.facts.FACT_COLUMNS`; each value is checked
against its column's kind (a number for ``age``, ``true``/``false`` for a flag, a term of the
vocabulary for ``egfr_baseline``, a known drug for ``prior_tkis has``; a regimen is brought to
its canonical form). :func:`compile_filter` turns a filter into SQL whose only variable parts
are bound parameters: the column names come from the contract, never from the input. Every
error is a :class:`~tkiresist.errors.ParseError` naming the 0-based character position.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from tkiresist.errors import Location, ParseError, TkiResistError
from tkiresist.evidence.facts import (
    FACT_COLUMNS,
    VOCABULARY_ALIASES,
    FactColumn,
    list_member_pattern,
    list_member_sql,
)

Op = Literal["=", "!=", "<", "<=", ">", ">=", "in", "has"]
Scalar = str | float | int | bool | None

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<quoted>"[^"]*"|'[^']*')
      | (?P<op>==|!=|<>|<=|>=|=|<|>|&|\(|\)|,)
      | (?P<word>[A-Za-z0-9._+/\-:]+)
    )""",
    re.VERBOSE,
)

_OPS_BY_KIND: Mapping[str, tuple[Op, ...]] = {
    "text": ("=", "!=", "in"),
    "vocab": ("=", "!=", "in"),
    "bool": ("=", "!="),
    "int": ("=", "!=", "<", "<=", ">", ">=", "in"),
    "float": ("=", "!=", "<", "<=", ">", ">=", "in"),
    "list": ("=", "!=", "has"),
}
_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0")


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: Literal["quoted", "op", "word", "end"]
    text: str
    pos: int


@dataclass(frozen=True, slots=True)
class Clause:
    """One parsed condition: a contract column, an operator and checked value(s)."""

    column: str
    op: Op
    values: tuple[Scalar, ...]
    position: int


@dataclass(frozen=True, slots=True)
class Filter:
    """A parsed filter: its text and its clauses, all of which must hold."""

    text: str
    clauses: tuple[Clause, ...]

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class CompiledFilter:
    """SQL for a ``WHERE`` clause and its bound parameters."""

    sql: str
    params: Mapping[str, Scalar]


def _error(text: str, pos: int, expected: str) -> ParseError:
    return ParseError("filter", text, pos, expected, Location(field="where", column=pos + 1))


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            start = pos + (len(text[pos:]) - len(text[pos:].lstrip()))
            raise _error(text, start, "a column name, an operator or a value")
        kind = m.lastgroup
        assert kind is not None
        out.append(_Tok(kind, m.group(kind), m.start(kind)))  # type: ignore[arg-type]
        pos = m.end()
    out.append(_Tok("end", "", len(text)))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Filter:
        if self.peek().kind == "end":
            raise _error(self.text, 0, "a condition such as egfr_baseline=ex19del")
        clauses = [self.clause()]
        while self.peek().kind != "end":
            tok = self.take()
            if not (tok.kind == "op" and tok.text == "&") and not (
                tok.kind == "word" and tok.text.lower() == "and"
            ):
                raise _error(self.text, tok.pos, "'and' between conditions")
            clauses.append(self.clause())
        return Filter(self.text, tuple(clauses))

    def clause(self) -> Clause:
        tok = self.take()
        if tok.kind != "word":
            raise _error(self.text, tok.pos, "a column name")
        name = tok.text.lower()
        column = FACT_COLUMNS.get(name)
        if column is None:
            raise _error(
                self.text, tok.pos, "a known column (" + ", ".join(sorted(FACT_COLUMNS)) + ")"
            )
        op_tok = self.take()
        op = self.operator(op_tok)
        if op not in _OPS_BY_KIND[column.kind]:
            allowed = ", ".join(_OPS_BY_KIND[column.kind])
            raise _error(self.text, op_tok.pos, f"one of {allowed} for column {name}")
        values = self.value_list(column) if op == "in" else (self.value(column, op),)
        return Clause(name, op, values, tok.pos)

    def operator(self, tok: _Tok) -> Op:
        if tok.kind == "op" and tok.text in ("=", "=="):
            return "="
        if tok.kind == "op" and tok.text in ("!=", "<>"):
            return "!="
        if tok.kind == "op" and tok.text in ("<", "<=", ">", ">="):
            return tok.text  # type: ignore[return-value]
        if tok.kind == "word" and tok.text.lower() in ("in", "has"):
            return tok.text.lower()  # type: ignore[return-value]
        raise _error(self.text, tok.pos, "an operator (=, !=, <, <=, >, >=, in, has)")

    def value_list(self, column: FactColumn) -> tuple[Scalar, ...]:
        tok = self.take()
        if not (tok.kind == "op" and tok.text == "("):
            raise _error(self.text, tok.pos, "'(' to open the list of values")
        values = [self.value(column, "in")]
        while True:
            tok = self.take()
            if tok.kind == "op" and tok.text == ")":
                return tuple(values)
            if not (tok.kind == "op" and tok.text == ","):
                raise _error(self.text, tok.pos, "',' or ')'")
            values.append(self.value(column, "in"))

    def value(self, column: FactColumn, op: Op) -> Scalar:
        tok = self.take()
        if tok.kind == "quoted":
            raw = tok.text[1:-1]
        elif tok.kind == "word":
            raw = tok.text
        else:
            raise _error(self.text, tok.pos, f"a value for column {column.name}")
        if tok.kind == "word" and raw.lower() == "null":
            if op not in ("=", "!="):
                raise _error(self.text, tok.pos, "null only with = or !=")
            return None
        return _check_value(self.text, tok.pos, column, op, raw)


def _check_value(text: str, pos: int, column: FactColumn, op: Op, raw: str) -> Scalar:
    kind = column.kind
    if kind == "bool":
        low = raw.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise _error(text, pos, f"true or false for column {column.name}")
    if kind in ("int", "float"):
        try:
            number = float(raw)
        except ValueError:
            raise _error(text, pos, f"a number for column {column.name}") from None
        if not math.isfinite(number):
            raise _error(text, pos, f"a finite number for column {column.name}")
        return int(number) if kind == "int" and number.is_integer() else number
    if kind == "vocab":
        alias = VOCABULARY_ALIASES.get(column.name, {}).get(raw.lower())
        for term in column.vocabulary:
            if raw.lower() == term.lower() or alias == term:
                return term
        raise _error(text, pos, f"one of {', '.join(column.vocabulary)} for {column.name}")
    if kind == "list" and op == "has":
        return _check_element(text, pos, column, raw)
    if column.name in ("first_post_regimen", "last_egfr_tki"):
        return _canonical_regimen(text, pos, raw)
    return raw


def _check_element(text: str, pos: int, column: FactColumn, raw: str) -> str:
    if column.name == "prior_tkis":
        from tkiresist.nomenclature.drugs import lookup

        try:
            return lookup(raw).generic
        except TkiResistError:
            raise _error(text, pos, "a drug name the dictionary knows") from None
    if column.name == "alk_partners":
        from tkiresist.nomenclature.genes import resolve

        try:
            return resolve(raw)
        except TkiResistError:
            raise _error(text, pos, "an HGNC gene symbol") from None
    return raw


def _canonical_regimen(text: str, pos: int, raw: str) -> str:
    from tkiresist.nomenclature.regimens import format_regimen, parse_regimen

    try:
        return format_regimen(parse_regimen(raw))
    except ParseError as exc:
        raise _error(text, pos, f"a regimen of known drugs ({exc.message})") from None


def parse_filter(text: str) -> Filter:
    """Parse ``text`` by the grammar above; raise :class:`ParseError` with the position."""
    return _Parser(text).parse()


def compile_filter(flt: Filter | None, prefix: str = "w") -> CompiledFilter:
    """SQL (``AND``-joined conditions, ``TRUE`` for no filter) with ``:prefixN`` parameters."""
    if flt is None or not flt.clauses:
        return CompiledFilter("TRUE", {})
    parts: list[str] = []
    params: dict[str, Scalar] = {}

    def bind(value: Scalar) -> str:
        name = f"{prefix}{len(params)}"
        params[name] = value
        return ":" + name

    for clause in flt.clauses:
        col = FACT_COLUMNS[clause.column].name  # from the contract, never from the input
        value = clause.values[0]
        if clause.op == "has":
            parts.append(list_member_sql(col, bind(list_member_pattern(str(value)))[1:]))
        elif clause.op == "in":
            parts.append(f"{col} IN ({', '.join(bind(v) for v in clause.values)})")
        elif value is None:
            parts.append(f"{col} IS NULL" if clause.op == "=" else f"{col} IS NOT NULL")
        elif isinstance(value, bool):
            wanted = value if clause.op == "=" else not value
            parts.append(f"{col} IS {'TRUE' if wanted else 'FALSE'}")
        elif clause.op == "!=":
            parts.append(f"{col} <> {bind(value)}")
        else:
            parts.append(f"{col} {clause.op} {bind(value)}")
    return CompiledFilter(" AND ".join(f"({p})" for p in parts), params)
