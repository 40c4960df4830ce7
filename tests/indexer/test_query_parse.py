"""The query language: syntax, dates, errors, the simplified tree engines rely on, and a fuzz test."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.analysis import query_plan
from indexer.query import (
    MAX_QUERY_CHARS,
    And,
    DateRange,
    Field,
    MatchAll,
    Not,
    Or,
    Query,
    QuerySyntaxError,
    Text,
    parse,
    terms_for_highlight,
)

KEYWORDS = {"borrower", "loan", "category", "type"}
DATES = {"date"}


def p(text: str) -> Query:
    return parse(text, keyword_fields=KEYWORDS, date_fields=DATES)


def test_words_are_anded() -> None:
    assert p("张三 借款合同") == And((Text("张三"), Text("借款合同")))
    assert p("张三 AND 借款合同") == p("张三 借款合同")


def test_single_word_and_empty_query() -> None:
    assert p("JK2026-000123") == Text("JK2026-000123")
    assert p("") == MatchAll()
    assert p("   \u3000 ") == MatchAll()


@pytest.mark.parametrize(
    "quoted", ['"中国 某某银行"', "“中国 某某银行”", "＂中国 某某银行＂", '“中国 某某银行"']
)
def test_quoted_phrases(quoted: str) -> None:
    assert p(quoted) == Text("中国 某某银行", phrase=True)


def test_a_quote_inside_a_word_starts_a_phrase() -> None:
    assert p('合同"第一条"') == And((Text("合同"), Text("第一条", phrase=True)))


def test_or_binds_tighter_than_the_implicit_and() -> None:
    either = Or((Text("张三"), Text("李四"), Text("王五")))
    assert p("担保 张三 OR 李四 OR 王五") == And((Text("担保"), either))


def test_exclusions() -> None:
    assert p("借款 -担保") == And((Text("借款"), Not(Text("担保"))))
    assert p("借款 NOT 担保") == p("借款 -担保")
    assert p('借款 -"某某 公司"') == And((Text("借款"), Not(Text("某某 公司", phrase=True))))
    assert p("借款 -borrower:B001") == And((Text("借款"), Not(Field("borrower", "B001"))))


def test_only_exclusions_get_a_match_all() -> None:
    assert p("-担保") == And((MatchAll(), Not(Text("担保"))))
    assert p("-担保 -抵押") == And((MatchAll(), Not(Text("担保")), Not(Text("抵押"))))


def test_negation_inside_or_stands_alone() -> None:
    assert p("借款 OR -担保") == Or((Text("借款"), And((MatchAll(), Not(Text("担保"))))))


def test_double_negation_cancels() -> None:
    assert p("NOT NOT 担保") == Text("担保")
    assert p("NOT -担保") == Text("担保")
    assert p("NOT " * 400 + "担保") == Text("担保")  # a loop, not recursion


def test_a_lone_dash_is_not_an_operator() -> None:
    assert p("借款 - 合同") == And((Text("借款"), Text("合同")))
    assert p("--x") == And((MatchAll(), Not(Text("-x"))))


def test_lower_case_operators_are_words() -> None:
    assert p("a or b") == And((Text("a"), Text("or"), Text("b")))


def test_punctuation_only_words_are_ignored() -> None:
    assert p("借款 ， 。") == Text("借款")
    assert p("借款 OR ，") == Text("借款")
    assert p("，。 -，") == MatchAll()


def test_keyword_fields() -> None:
    assert p("borrower:B001 type:借款合同") == And((Field("borrower", "B001"), Field("type", "借款合同")))
    assert p('category:"授信 资料"') == Field("category", "授信 资料")
    assert p("Borrower:B001") == Field("borrower", "B001")
    assert p("borrower:B001 OR borrower:B002") == Or((Field("borrower", "B001"), Field("borrower", "B002")))


def test_non_ascii_names_are_plain_text() -> None:
    assert p("借款人:张三") == Text("借款人:张三")
    assert p("10:30") == Text("10:30")


def test_unknown_field_is_an_error_naming_the_known_ones() -> None:
    with pytest.raises(QuerySyntaxError, match=r"unknown field 'borower'.*borrower.*未知字段"):
        p("borower:张三")
    assert p('"borower:张三"') == Text("borower:张三", phrase=True)


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        ("2025-01-01..2025-06-30", date(2025, 1, 1), date(2025, 6, 30)),
        ("..2025-06-30", None, date(2025, 6, 30)),
        ("2025-01-01..", date(2025, 1, 1), None),
        ("2025-03-01", date(2025, 3, 1), date(2025, 3, 1)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2025", date(2025, 1, 1), date(2025, 12, 31)),
        ("2025/3/1..2025/3/5", date(2025, 3, 1), date(2025, 3, 5)),
        ("20250301", date(2025, 3, 1), date(2025, 3, 1)),
        ("2025年3月..2025年4月2日", date(2025, 3, 1), date(2025, 4, 2)),
        ("２０２５－０３－０１", date(2025, 3, 1), date(2025, 3, 1)),
        ('"2025-01-01..2025-01-31"', date(2025, 1, 1), date(2025, 1, 31)),
    ],
)
def test_date_ranges(value: str, start: date | None, end: date | None) -> None:
    assert p(f"date:{value}") == DateRange("date", start, end)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("date:2025-02-30", "不是有效日期"),
        ("date:2025-13", "不是有效日期"),
        ("date:yesterday", "不是有效日期"),
        ("date:..", "至少需要一端"),
        ("date:2025-06-30..2025-01-01", "起始日期晚于结束日期"),
        ("borrower:", "缺少取值"),
        ('borrower:""', "缺少取值"),
        ('"借款合同', "引号未闭合"),
        ("OR 借款", "OR 前面"),
        ("借款 OR", "OR 后面"),
        ("借款 OR OR 合同", "OR 后面"),
        ("借款 NOT", "NOT 后面"),
        ("AND 借款", "AND 前面"),
        ("借款 AND", "AND 后面"),
        ("借款 AND OR 合同", "AND 后面"),
        ("x" * (MAX_QUERY_CHARS + 1), "超过"),
    ],
)
def test_syntax_errors_are_bilingual(text: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError, match=message) as raised:
        p(text)
    assert isinstance(raised.value, ValueError)
    assert re.search("[a-z]{3}", str(raised.value))  # the English half


def test_terms_for_highlight_skip_exclusions_and_repeats() -> None:
    query = p('张三 "某某 银行" 张三 OR JK2026 -担保 borrower:B001')
    assert terms_for_highlight(query) == ["张三", "某某 银行", "JK2026"]
    assert terms_for_highlight(MatchAll()) == []


# --- fuzz ------------------------------------------------------------------------------------------------


def check_shape(node: Query, parent: type | None = None) -> None:
    """The invariants the module docstring promises to engines."""
    if isinstance(node, MatchAll):
        assert parent in (None, And)
    elif isinstance(node, Text):
        assert query_plan(node.text)
    elif isinstance(node, Field):
        assert node.name in KEYWORDS and node.value.strip()
    elif isinstance(node, DateRange):
        assert node.name in DATES and (node.start or node.end)
        assert node.start is None or node.end is None or node.start <= node.end
    elif isinstance(node, Not):
        assert parent is And and not isinstance(node.item, Not | MatchAll)
        check_shape(node.item, Not)
    elif isinstance(node, And):
        assert len(node.items) >= 2
        assert any(not isinstance(i, Not) for i in node.items)
        assert not any(isinstance(i, And) for i in node.items)
        for item in node.items:
            check_shape(item, And)
    elif isinstance(node, Or):
        assert len(node.items) >= 2
        assert not any(isinstance(i, Or | Not) for i in node.items)
        for item in node.items:
            check_shape(item, Or)
    else:
        raise AssertionError(f"unexpected node {node!r}")


_FRAGMENTS = st.sampled_from(
    [" ", "  ", "OR", "AND", "NOT", "-", '"', "“", "”", "＂", ":", "..", "date:", "borrower:", "type:",
     "foo:", "2025-01-01", "2025", "13", "张三", "借款", "JK2026-000123", "，", "x", "\u3000", "\n",
     "\\", "(", ")"]
)  # fmt: skip
_QUERIES = st.one_of(st.lists(_FRAGMENTS, max_size=20).map("".join), st.text(max_size=60))


@settings(max_examples=1000, deadline=None)
@given(_QUERIES)
def test_any_text_parses_or_raises_query_syntax_error(text: str) -> None:
    try:
        query = p(text)
    except QuerySyntaxError as error:
        assert str(error)
        return
    check_shape(query)
    for term in terms_for_highlight(query):
        assert query_plan(term)
