"""The search query language, parsed into an engine-neutral query tree.

Syntax (an auditor's query)::

    张三 借款合同                 words: all must match (AND is the default)
    "中国某某银行 授信"           a quoted phrase (“…” and ＂…＂ quotes work too)
    张三 OR 李四                  either; OR binds tighter than the implicit AND:
                                  ``a b OR c`` means a AND (b OR c)
    NOT 担保   -担保   -"某某"     exclusion
    AND                           optional, explicit conjunction
    borrower:KEY  type:"借款 合同" exact value of a keyword field (the fields the caller names)
    date:2025-01-01..2025-06-30   a date range on a date field, ends inclusive; open ends ``..2025-06-30``,
                                  ``2025-01-01..``; one day ``date:2025-03-01``, a month ``date:2025-03``,
                                  a year ``date:2025``; ``2025/3/1``, ``20250301`` and ``2025年3月1日`` too

OR, AND and NOT are operators only in upper case. A word or phrase is matched as the analyzer's phrase
(``analysis.query_plan``): ``JK2026-000123`` and ``"JK2026-000123"`` mean the same. Words with nothing
searchable in them (only punctuation) are ignored. ``name:value`` with an unknown ASCII field name is an
error (quote it to search it as text); a name that is not ASCII (``借款人:张三``) is plain text.

The tree returned by ``parse`` is simplified so engines can translate it directly:

* it is ``MatchAll()`` (nothing to constrain), or built from Text, Field, DateRange, And, Or, Not;
* And and Or have at least two items, and no And directly holds an And (nor Or an Or);
* Not appears only as an item of an And that also holds a positive item (``MatchAll()`` when the user
  wrote only exclusions: ``-担保`` → And(MatchAll(), Not(Text("担保")))), so must / must-not suffices;
* Not never holds a Not.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from indexer.analysis import query_plan

__all__ = [
    "MAX_QUERY_CHARS",
    "And",
    "DateRange",
    "Field",
    "MatchAll",
    "Not",
    "Or",
    "Query",
    "QuerySyntaxError",
    "Text",
    "parse",
    "terms_for_highlight",
]

MAX_QUERY_CHARS = 2000


class QuerySyntaxError(ValueError):
    """The query text cannot be parsed; the message names the problem in English and Chinese."""


@dataclass(frozen=True, slots=True)
class Text:
    """Full-text match of a word (phrase=False) or quoted phrase; engines use analysis.query_plan(text)."""

    text: str
    phrase: bool = False


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Query, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Query, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Query


@dataclass(frozen=True, slots=True)
class Field:
    """Exact match of a keyword field."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class DateRange:
    """Date field within [start, end], both inclusive; None is an open end."""

    name: str
    start: date | None
    end: date | None


@dataclass(frozen=True, slots=True)
class MatchAll:
    pass


Query = Text | And | Or | Not | Field | DateRange | MatchAll

_QUOTES = {'"': '"', "\u201c": "\u201d", "\uff02": "\uff02"}
_OPERATORS = {"OR", "AND", "NOT"}
_FIELD_RE = re.compile(r"([A-Za-z][A-Za-z0-9_]*):(.*)", re.DOTALL)
_DATE_RES = (
    re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
    re.compile(r"(\d{4})年(?:(\d{1,2})月(?:(\d{1,2})日)?)?"),
)


# --- lexer -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Lexeme:
    kind: str  # "word", "phrase", "field", "op"
    text: str  # the word, phrase, operator or field value
    negated: bool = False
    name: str = ""  # field name as written
    quoted: bool = False  # field value was quoted


def _read_quoted(text: str, i: int) -> tuple[str, int]:
    """The quoted string starting at text[i] (an opening quote) and the index after its closing quote."""
    close = _QUOTES[text[i]]
    end = text.find(close, i + 1)
    if end < 0 and close != '"':
        end = text.find('"', i + 1)  # “… closed with a plain quote
    if end < 0:
        raise QuerySyntaxError(
            f"unterminated quote {text[i]} at position {i + 1} (引号未闭合：第 {i + 1} 个字符处的 {text[i]})"
        )
    return text[i + 1 : end], end + 1


def _lex(text: str) -> Iterator[_Lexeme]:
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        negated = c == "-" and i + 1 < n and not text[i + 1].isspace()
        if negated:
            i += 1
            c = text[i]
        if c in _QUOTES:
            value, i = _read_quoted(text, i)
            yield _Lexeme("phrase", value, negated)
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in _QUOTES:
            j += 1
        word = text[i:j]
        field = _FIELD_RE.fullmatch(word)
        if field is not None:
            name, value = field.groups()
            quoted = False
            if not value and j < n and text[j] in _QUOTES:
                value, j = _read_quoted(text, j)
                quoted = True
            yield _Lexeme("field", value, negated, name, quoted)
        elif word in _OPERATORS and not negated:
            yield _Lexeme("op", word)
        else:
            yield _Lexeme("word", word, negated)
        i = j


# --- parser ----------------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, lexemes: list[_Lexeme], keyword_fields: Iterable[str], date_fields: Iterable[str]):
        self.lexemes = lexemes
        self.i = 0
        self.keyword = {f.lower(): f for f in keyword_fields}
        self.dates = {f.lower(): f for f in date_fields}

    def peek_op(self) -> str | None:
        if self.i < len(self.lexemes) and self.lexemes[self.i].kind == "op":
            return self.lexemes[self.i].text
        return None

    def parse(self) -> Query | None:
        items: list[Query | None] = []
        while self.i < len(self.lexemes):
            op = self.peek_op()
            if op == "AND":
                if not items:
                    raise QuerySyntaxError("AND needs a term before it (AND 前面缺少检索词)")
                self.i += 1
                if self.i >= len(self.lexemes) or self.peek_op() in {"AND", "OR"}:
                    raise QuerySyntaxError("AND needs a term after it (AND 后面缺少检索词)")
                continue
            if op == "OR":
                raise QuerySyntaxError("OR needs a term before it (OR 前面缺少检索词)")
            items.append(self.parse_or())
        return _simplify_and(items)

    def parse_or(self) -> Query | None:
        items = [self.parse_unary()]
        while self.peek_op() == "OR":
            self.i += 1
            if self.i >= len(self.lexemes) or self.peek_op() in {"AND", "OR"}:
                raise QuerySyntaxError("OR needs a term after it (OR 后面缺少检索词)")
            items.append(self.parse_unary())
        if len(items) == 1:
            return items[0]
        return _simplify_or(items)

    def parse_unary(self) -> Query | None:
        negations = 0
        while self.peek_op() == "NOT":  # a loop, not recursion: NOT NOT NOT … never overflows the stack
            negations += 1
            self.i += 1
        if self.i >= len(self.lexemes) or self.peek_op() is not None:
            raise QuerySyntaxError("NOT needs a term after it (NOT 后面缺少检索词)")
        lexeme = self.lexemes[self.i]
        self.i += 1
        atom = self.atom(lexeme)
        if lexeme.negated:
            negations += 1
        if atom is None or negations % 2 == 0:
            return atom
        return Not(atom)

    def atom(self, lexeme: _Lexeme) -> Query | None:
        if lexeme.kind == "field":
            return self.field(lexeme)
        node = Text(lexeme.text, phrase=lexeme.kind == "phrase")
        return node if query_plan(node.text) else None

    def field(self, lexeme: _Lexeme) -> Query:
        key = lexeme.name.lower()
        if not lexeme.text.strip():
            raise QuerySyntaxError(f"field {lexeme.name}: needs a value (字段 {lexeme.name}: 缺少取值)")
        if key in self.keyword:
            return Field(self.keyword[key], lexeme.text)
        if key in self.dates:
            start, end = _parse_date_range(lexeme.text.strip(), lexeme.name)
            return DateRange(self.dates[key], start, end)
        known = ", ".join(sorted([*self.keyword.values(), *self.dates.values()])) or "none"
        raise QuerySyntaxError(
            f'unknown field {lexeme.name!r} (known: {known}); put "{lexeme.name}:{lexeme.text}" in quotes '
            f"to search it as text (未知字段 {lexeme.name}，可用字段：{known}；如需按文字检索请加引号)"
        )


# --- dates -----------------------------------------------------------------------------------------------


def _parse_date_range(value: str, name: str) -> tuple[date | None, date | None]:
    value = unicodedata.normalize("NFKC", value)
    if ".." in value:
        left, _, right = value.partition("..")
        if not left and not right:
            raise QuerySyntaxError(f"{name}: a range needs at least one end ({name}: 日期范围至少需要一端)")
        start = _parse_date(left, name, first=True) if left else None
        end = _parse_date(right, name, first=False) if right else None
    else:
        start = _parse_date(value, name, first=True)
        end = _parse_date(value, name, first=False)
    if start is not None and end is not None and start > end:
        raise QuerySyntaxError(
            f"{name}: range starts after it ends, {start} > {end} ({name}: 起始日期晚于结束日期)"
        )
    return start, end


def _parse_date(text: str, name: str, *, first: bool) -> date:
    """A date, month or year; a month or year stands for its first (first=True) or last day."""
    for pattern in _DATE_RES:
        m = pattern.fullmatch(text)
        if m is None:
            continue
        year, month, day = m.groups()
        try:
            y = int(year)
            if month is None:
                return date(y, 1, 1) if first else date(y, 12, 31)
            mo = int(month)
            if day is None:
                return date(y, mo, 1) if first else date(y, mo, calendar.monthrange(y, mo)[1])
            return date(y, mo, int(day))
        except (ValueError, calendar.IllegalMonthError):
            break
    raise QuerySyntaxError(
        f"{name}: {text!r} is not a date, expected YYYY-MM-DD, YYYY-MM or YYYY "
        f"({name}: {text!r} 不是有效日期，应为 YYYY-MM-DD、YYYY-MM 或 YYYY)"
    )


# --- simplification --------------------------------------------------------------------------------------


def _positive(q: Query) -> Query:
    """A query that can stand alone: a bare Not becomes And(MatchAll(), Not(...))."""
    return And((MatchAll(), q)) if isinstance(q, Not) else q


def _simplify_and(items: Iterable[Query | None]) -> Query | None:
    flat: list[Query] = []
    for q in items:
        if q is None:
            continue
        flat.extend(q.items if isinstance(q, And) else (q,))
    if not flat:
        return None
    if len(flat) == 1:
        return flat[0]
    if all(isinstance(q, Not | MatchAll) for q in flat):
        flat = [MatchAll(), *(q for q in flat if not isinstance(q, MatchAll))]
    elif any(isinstance(q, MatchAll) for q in flat):
        flat = [q for q in flat if not isinstance(q, MatchAll)]
    return And(tuple(flat)) if len(flat) > 1 else flat[0]


def _simplify_or(items: Iterable[Query | None]) -> Query | None:
    flat: list[Query] = []
    for q in items:
        if q is None:
            continue  # an operand with nothing searchable is ignored, not "matches everything"
        flat.extend(q.items if isinstance(q, Or) else (_positive(q),))
    if not flat:
        return None
    if len(flat) == 1:
        return flat[0]
    return Or(tuple(flat))


def parse(text: str, *, keyword_fields: Iterable[str] = (), date_fields: Iterable[str] = ()) -> Query:
    """Parse a query; raises QuerySyntaxError (a ValueError) on bad syntax, never anything else."""
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(
            f"query longer than {MAX_QUERY_CHARS} characters (检索式超过 {MAX_QUERY_CHARS} 个字符)"
        )
    parser = _Parser(list(_lex(text)), keyword_fields, date_fields)
    result = parser.parse()
    if result is None:
        return MatchAll()
    return _positive(result)


def terms_for_highlight(query: Query) -> list[str]:
    """The literal texts to mark in snippets: every Text not under a Not, in order, without repeats."""
    seen: dict[str, None] = {}
    stack: list[Query] = [query]
    while stack:
        q = stack.pop()
        if isinstance(q, Text):
            seen.setdefault(q.text, None)
        elif isinstance(q, And | Or):
            stack.extend(reversed(q.items))
    return list(seen)
