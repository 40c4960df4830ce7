"""Chinese dates: document format, instrument capital dates, typed-in dates, ID validity, month shifts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dossier.domain.dates import (
    InvalidDate,
    Validity,
    add_months,
    format_capital_date,
    format_cn_date,
    parse_capital_date,
    parse_date,
    parse_id_validity,
)
from dossier.errors import DossierError


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2026, 11, 28), "2026年11月28日"),
        (date(2024, 1, 5), "2024年1月5日"),
        (date(2024, 10, 1), "2024年10月1日"),
    ],
)
def test_format_cn_date(d: date, expected: str) -> None:
    assert format_cn_date(d) == expected


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2024, 1, 15), "贰零贰肆年零壹月壹拾伍日"),
        (date(2024, 10, 20), "贰零贰肆年零壹拾月零贰拾日"),
        (date(2024, 12, 10), "贰零贰肆年壹拾贰月零壹拾日"),
        (date(2026, 11, 28), "贰零贰陆年壹拾壹月贰拾捌日"),
        (date(2024, 2, 29), "贰零贰肆年零贰月贰拾玖日"),
        (date(2030, 3, 5), "贰零叁零年叁月零伍日"),
        (date(2025, 9, 30), "贰零贰伍年玖月零叁拾日"),
        (date(2025, 7, 31), "贰零贰伍年柒月叁拾壹日"),
        (date(2025, 5, 21), "贰零贰伍年伍月贰拾壹日"),
        (date(2025, 6, 11), "贰零贰伍年陆月壹拾壹日"),
        (date(2000, 1, 1), "贰零零零年零壹月零壹日"),
    ],
)
def test_format_capital_date(d: date, expected: str) -> None:
    assert format_capital_date(d) == expected
    assert parse_capital_date(expected) == d


def test_capital_months_and_days_exhaustive() -> None:
    months = [format_capital_date(date(2025, m, 1)).split("年")[1].split("月")[0] for m in range(1, 13)]
    assert months == [
        "零壹",
        "零贰",
        "叁",
        "肆",
        "伍",
        "陆",
        "柒",
        "捌",
        "玖",
        "零壹拾",
        "壹拾壹",
        "壹拾贰",
    ]
    days = [format_capital_date(date(2025, 1, d)).split("月")[1].removesuffix("日") for d in range(1, 32)]
    assert days[:10] == ["零壹", "零贰", "零叁", "零肆", "零伍", "零陆", "零柒", "零捌", "零玖", "零壹拾"]
    assert days[10:20] == ["壹拾" + c for c in "壹贰叁肆伍陆柒捌玖"] + ["零贰拾"]
    assert days[20:30] == ["贰拾" + c for c in "壹贰叁肆伍陆柒捌玖"] + ["零叁拾"]
    assert days[30] == "叁拾壹"


@settings(max_examples=1000, deadline=None)
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)))
def test_capital_date_round_trip(d: date) -> None:
    assert parse_capital_date(format_capital_date(d)) == d


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2024年1月15日",
        "贰零贰肆年壹月壹拾伍日",  # month 1 without its protective 零
        "贰零贰肆年零壹月拾伍日",
        "贰零贰肆年壹拾月零贰拾日",  # 10 without 零
        "贰零贰肆年零壹月伍日",  # day 5 without 零
        "贰零贰肆年零壹月零壹拾伍日",  # 零 where none belongs
        "贰零贰年零壹月零壹日",  # three-digit year
        "贰零贰肆年零壹月零壹",
    ],
)
def test_parse_capital_date_rejects_malformed(text: str) -> None:
    with pytest.raises(InvalidDate, match="大写"):
        parse_capital_date(text)


def test_parse_capital_date_rejects_nonexistent_day() -> None:
    with pytest.raises(InvalidDate, match=r"no such date \(日期不存在\)"):
        parse_capital_date("贰零贰伍年零贰月贰拾玖日")


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-28",
        "2026/11/28",
        "2026.11.28",
        "20261128",
        "2026年11月28日",
        "2026年11月28",
        " 2026 年 11 月 28 日 ",
        "2026 - 11 - 28",
        "２０２６－１１－２８",  # full-width
        "２０２６．１１．２８",
        "2026年１１月２８日",
    ],
)
def test_parse_date_forms(text: str) -> None:
    assert parse_date(text) == date(2026, 11, 28)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-1-5", date(2024, 1, 5)),
        ("2024/01/05", date(2024, 1, 5)),
        ("2024.1.05", date(2024, 1, 5)),
        ("2024年1月5日", date(2024, 1, 5)),
        ("2024年01月05日", date(2024, 1, 5)),
        ("20240105", date(2024, 1, 5)),
        ("2024-02-29", date(2024, 2, 29)),
    ],
)
def test_parse_date_leading_zeros_optional(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text", ["2025-02-29", "2025年2月29日", "20250229", "2024-13-01", "2024-04-31", "2024.00.10"]
)
def test_parse_date_nonexistent(text: str) -> None:
    with pytest.raises(InvalidDate, match=r"no such date \(日期不存在\)"):
        parse_date(text)


@pytest.mark.parametrize(
    "text", ["", "yesterday", "2024-01/05", "24-01-05", "2024105", "2024-001-05", "2024年1月", "2024-01-05x"]
)
def test_parse_date_unreadable(text: str) -> None:
    with pytest.raises(InvalidDate, match=r"not a date \(日期格式错误\)"):
        parse_date(text)


def test_invalid_date_is_value_error_and_dossier_error() -> None:
    with pytest.raises(ValueError):
        parse_date("2025-02-29")
    with pytest.raises(DossierError):
        parse_date("nonsense")


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)))
def test_parse_date_reads_formatted_dates(d: date) -> None:
    assert parse_date(d.isoformat()) == d
    assert parse_date(format_cn_date(d)) == d
    assert parse_date(d.strftime("%Y%m%d")) == d


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2015.03.01-2035.03.01", date(2015, 3, 1), date(2035, 3, 1)),
        ("2015.03.01-长期", date(2015, 3, 1), None),
        ("2015.03.01－2035.03.01", date(2015, 3, 1), date(2035, 3, 1)),  # full-width dash
        ("2015．03．01－2035．03．01", date(2015, 3, 1), date(2035, 3, 1)),  # full-width dots
        ("２０１５．０３．０１－长期", date(2015, 3, 1), None),
        ("2015.03.01—2035.03.01", date(2015, 3, 1), date(2035, 3, 1)),  # em dash
        ("2015.03.01 – 2035.03.01", date(2015, 3, 1), date(2035, 3, 1)),  # en dash with spaces
        ("2015.03.01至2035.03.01", date(2015, 3, 1), date(2035, 3, 1)),
        ("2015-03-01-2035-03-01", date(2015, 3, 1), date(2035, 3, 1)),
        ("20150301-20350301", date(2015, 3, 1), date(2035, 3, 1)),
        ("2015年3月1日-2035年3月1日", date(2015, 3, 1), date(2035, 3, 1)),
        ("2015.03.01-长期有效", date(2015, 3, 1), None),
    ],
)
def test_parse_id_validity(text: str, start: date, end: date | None) -> None:
    assert parse_id_validity(text) == Validity(start, end)


@pytest.mark.parametrize(
    "text", ["", "2015.03.01", "长期", "2015.03.01-", "2015.03.01-永久", "2015.03.01 2035.03.01"]
)
def test_parse_id_validity_unreadable(text: str) -> None:
    with pytest.raises(InvalidDate, match="身份证有效期限格式错误"):
        parse_id_validity(text)


def test_parse_id_validity_nonexistent_date() -> None:
    with pytest.raises(InvalidDate, match="日期不存在"):
        parse_id_validity("2015.02.30-2035.02.28")


def test_parse_id_validity_end_before_start() -> None:
    with pytest.raises(InvalidDate, match="截止日早于起始日"):
        parse_id_validity("2035.03.01-2015.03.01")
    with pytest.raises(InvalidDate):
        Validity(date(2015, 3, 1), date(2015, 3, 1))


def test_validity_covers_both_ends_inclusive() -> None:
    v = Validity(date(2015, 3, 1), date(2035, 3, 1))
    assert v.covers(date(2015, 3, 1))
    assert v.covers(date(2026, 11, 28))
    assert v.covers(date(2035, 3, 1))
    assert not v.covers(date(2035, 3, 2))
    assert not v.covers(date(2015, 2, 28))


def test_validity_long_term_never_expires() -> None:
    v = parse_id_validity("2015.03.01-长期")
    assert v.end is None
    assert v.covers(date(9999, 12, 31))
    assert not v.covers(date(2015, 2, 28))


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2100, 1, 31), 1, date(2100, 2, 28)),  # century, not leap
        (date(2000, 1, 31), 1, date(2000, 2, 29)),  # 400-year leap
        (date(2024, 1, 15), 6, date(2024, 7, 15)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 3, 31), 1, date(2024, 4, 30)),
        (date(2024, 1, 15), -1, date(2023, 12, 15)),
        (date(2024, 1, 15), -13, date(2022, 12, 15)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), -12, date(2023, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2024, 11, 30), 2, date(2025, 1, 30)),
        (date(2024, 8, 31), 0, date(2024, 8, 31)),
        (date(2024, 1, 31), 120, date(2034, 1, 31)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_add_months_out_of_range() -> None:
    with pytest.raises(InvalidDate, match="日期超出范围"):
        add_months(date(9999, 12, 1), 1)
    with pytest.raises(InvalidDate):
        add_months(date(1, 1, 1), -1)


@settings(max_examples=500, deadline=None)
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)), st.integers(-600, 600))
def test_add_months_properties(d: date, months: int) -> None:
    shifted = add_months(d, months)
    assert (shifted.year * 12 + shifted.month) - (d.year * 12 + d.month) == months
    assert shifted.day <= d.day
    # Clamping happens only when the target month is too short: the next day is in the following month.
    if shifted.day < d.day:
        assert (shifted + timedelta(days=1)).day == 1
