"""Lowering the engine-neutral query tree of :mod:`indexer.query` into a small plan.

:func:`lower_query` gives :class:`Tokens`, :class:`Keyword`, :class:`Dates`, :class:`Everything`,
:class:`Nothing`, :class:`AllOf` and :class:`AnyOf`, which each engine maps one-to-one onto its own query
objects. A word with no searchable characters (only punctuation) is ignored inside an AND; a query with
nothing searchable left matches nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from indexer import analysis
from indexer import query as q
from indexer.engines.interface import DATE_PREFIX, KEYWORD_PREFIX, IndexSchema, UnknownField


@dataclass(frozen=True)
class Tokens:
    """Match a token sequence as a phrase on an analysed field (a term query if it is one token)."""

    field: str
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class Keyword:
    """Exact match of one value of a keyword field (engine field name)."""

    field: str
    value: str


@dataclass(frozen=True)
class Dates:
    """Inclusive date range on a date field (engine field name); None is an open end (both None: the
    document has a value)."""

    field: str
    start: date | None
    end: date | None


@dataclass(frozen=True)
class Everything:
    pass


@dataclass(frozen=True)
class Nothing:
    pass


@dataclass(frozen=True)
class AllOf:
    """Every item of ``must`` and none of ``must_not``; ``must`` is never empty."""

    must: tuple[Plan, ...]
    must_not: tuple[Plan, ...] = ()


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Plan, ...]


Plan = Tokens | Keyword | Dates | Everything | Nothing | AllOf | AnyOf


@dataclass(frozen=True)
class _Ignored:
    """A word with nothing searchable in it: no constraint inside an AND, nothing on its own."""


_IGNORED = _Ignored()


def lower_query(query: q.Query, schema: IndexSchema) -> Plan:
    """The plan for ``query``; raises :class:`UnknownField` for a field the schema does not have."""
    plan = _lower(query, schema)
    return Nothing() if isinstance(plan, _Ignored) else plan


def _lower(node: q.Query, schema: IndexSchema) -> Plan | _Ignored:
    if isinstance(node, q.Text):
        return _lower_text(node.text)
    if isinstance(node, q.MatchAll):
        return Everything()
    if isinstance(node, q.Field):
        if node.name not in schema.keyword_fields:
            raise UnknownField(
                f"no keyword field {node.name!r} in this index (索引中没有关键字段 {node.name})"
            )
        return Keyword(KEYWORD_PREFIX + node.name, node.value)
    if isinstance(node, q.DateRange):
        return Dates(date_field(schema, node.name), node.start, node.end)
    if isinstance(node, q.Not):
        inner = _lower(node.item, schema)
        if isinstance(inner, _Ignored):
            return _IGNORED
        return _all_of([], [inner])
    if isinstance(node, q.And):
        must: list[Plan] = []
        must_not: list[Plan] = []
        for item in node.items:
            if isinstance(item, q.Not):
                inner = _lower(item.item, schema)
                if not isinstance(inner, _Ignored):
                    must_not.append(inner)
                continue
            lowered = _lower(item, schema)
            if not isinstance(lowered, _Ignored):
                must.append(lowered)
        if not must and not must_not:
            return _IGNORED
        return _all_of(must, must_not)
    if isinstance(node, q.Or):
        items = [p for p in (_lower(i, schema) for i in node.items) if not isinstance(p, _Ignored)]
        if not items:
            return _IGNORED
        if any(isinstance(p, Everything) for p in items):
            return Everything()
        items = [p for p in items if not isinstance(p, Nothing)]
        if not items:
            return Nothing()
        return items[0] if len(items) == 1 else AnyOf(tuple(items))
    raise TypeError(f"not a query node: {node!r}")


def _lower_text(text: str) -> Plan | _Ignored:
    plans = [Tokens(p.field, tuple(p.tokens)) for p in analysis.query_plan(text) if p.tokens]
    if not plans:
        return _IGNORED
    # Alternatives: a word of word runs is found as written (bi) or joined across soft breaks (joined).
    return plans[0] if len(plans) == 1 else AnyOf(tuple(plans))


def _all_of(must: Sequence[Plan], must_not: Sequence[Plan]) -> Plan:
    if any(isinstance(p, Nothing) for p in must) or any(isinstance(p, Everything) for p in must_not):
        return Nothing()
    must = [p for p in must if not isinstance(p, Everything)]
    must_not = [p for p in must_not if not isinstance(p, Nothing)]
    if not must_not:
        if not must:
            return Everything()
        if len(must) == 1:
            return must[0]
    return AllOf(tuple(must) or (Everything(),), tuple(must_not))


def date_field(schema: IndexSchema, name: str) -> str:
    """The engine field name of date field ``name``; :class:`UnknownField` if there is none."""
    if name not in schema.date_fields:
        raise UnknownField(f"no date field {name!r} in this index (索引中没有日期字段 {name})")
    return DATE_PREFIX + name


def parse_sort(sort: str | None, schema: IndexSchema) -> tuple[str, bool] | None:
    """None for relevance, else (engine date field, descending)."""
    if sort is None or sort == "score":
        return None
    descending = sort.startswith("-")
    return date_field(schema, sort.lstrip("-")), descending
