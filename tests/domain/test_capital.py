"""Capital-numeral amounts: the domain.md §3.1 table, error cases and round trips."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dossier.domain.capital import parse_capital, to_capital
from dossier.errors import InvalidAmount

MAX_FEN = 99_999_999_999_999

# domain.md §3.1, Output column ("always 零" policy) and the "Also accepted" column.
DOMAIN_TABLE = [
    ("1409.50", "人民币壹仟肆佰零玖元伍角", ["人民币壹仟肆佰零玖元伍角整"]),
    ("6007.14", "人民币陆仟零柒元壹角肆分", []),
    ("1680.32", "人民币壹仟陆佰捌拾元零叁角贰分", ["人民币壹仟陆佰捌拾元叁角贰分"]),
    (
        "107000.53",
        "人民币壹拾万零柒仟元零伍角叁分",
        ["人民币壹拾万柒仟元零伍角叁分", "人民币壹拾万零柒仟元伍角叁分"],
    ),
    ("16409.02", "人民币壹万陆仟肆佰零玖元零贰分", []),
    ("100010000", "人民币壹亿零壹万元整", []),
    ("30000.05", "人民币叁万元零伍分", []),
]

EDGE_CASES = [
    ("0", "人民币零元整"),
    ("0.50", "人民币伍角"),
    ("0.05", "人民币伍分"),
    ("0.55", "人民币伍角伍分"),
    ("1", "人民币壹元整"),
    ("10", "人民币壹拾元整"),
    ("11", "人民币壹拾壹元整"),
    ("15", "人民币壹拾伍元整"),
    ("100", "人民币壹佰元整"),
    ("1001", "人民币壹仟零壹元整"),
    ("10010", "人民币壹万零壹拾元整"),
    ("100000", "人民币壹拾万元整"),
    ("100500", "人民币壹拾万零伍佰元整"),
    ("1005000", "人民币壹佰万零伍仟元整"),
    ("10.50", "人民币壹拾元零伍角"),
    ("1.05", "人民币壹元零伍分"),
    ("100000000", "人民币壹亿元整"),
    ("100000001", "人民币壹亿零壹元整"),
    ("200000000.00", "人民币贰亿元整"),
    ("1000000001", "人民币壹拾亿零壹元整"),
    ("1050000000", "人民币壹拾亿零伍仟万元整"),
    ("100001000", "人民币壹亿零壹仟元整"),
    ("100000000000", "人民币壹仟亿元整"),
    ("101010101010.10", "人民币壹仟零壹拾亿零壹仟零壹拾万零壹仟零壹拾元零壹角"),
    ("999999999999.99", "人民币玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
]


@pytest.mark.parametrize(("amount", "expected", "also"), DOMAIN_TABLE)
def test_domain_table_generates_output_column(amount: str, expected: str, also: list[str]) -> None:
    assert to_capital(Decimal(amount)) == expected


@pytest.mark.parametrize(("amount", "expected", "also"), DOMAIN_TABLE)
def test_domain_table_every_accepted_form_parses(amount: str, expected: str, also: list[str]) -> None:
    for text in [expected, *also]:
        assert parse_capital(text) == Decimal(amount), text


@pytest.mark.parametrize(("amount", "expected"), EDGE_CASES)
def test_edge_cases_generate_and_parse(amount: str, expected: str) -> None:
    assert to_capital(amount) == expected
    assert parse_capital(expected) == Decimal(amount)


def test_accepts_int_str_and_decimal_and_rounds_half_up() -> None:
    assert to_capital(15) == "人民币壹拾伍元整"
    assert to_capital("1680.32") == "人民币壹仟陆佰捌拾元零叁角贰分"
    assert to_capital(Decimal("0.005")) == "人民币壹分"
    assert to_capital(Decimal("0.004")) == "人民币零元整"
    assert to_capital(Decimal("1409.495")) == "人民币壹仟肆佰零玖元伍角"


def test_prefix_is_configurable() -> None:
    assert to_capital(Decimal("15"), prefix="") == "壹拾伍元整"
    assert to_capital(Decimal("15"), prefix="港币") == "港币壹拾伍元整"


def test_refuses_float() -> None:
    with pytest.raises(TypeError):
        to_capital(1409.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", ["-0.01", "-1", Decimal("-0.001"), -5])
def test_refuses_negative(amount: Decimal | int | str) -> None:
    with pytest.raises(InvalidAmount, match="负数"):
        to_capital(amount)


@pytest.mark.parametrize("amount", ["1000000000000", "999999999999.995", 10**13])
def test_refuses_too_large(amount: Decimal | int | str) -> None:
    with pytest.raises(InvalidAmount, match="超出大写范围"):
        to_capital(amount)


@pytest.mark.parametrize("amount", ["abc", "", "NaN", "Infinity"])
def test_refuses_non_numbers(amount: str) -> None:
    with pytest.raises(InvalidAmount, match="金额格式错误"):
        to_capital(amount)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("壹仟肆佰零玖元伍角", "1409.50"),  # no prefix
        ("人民币壹仟肆佰零玖元伍角正", "1409.50"),  # 正 for 整
        ("人民币壹仟肆佰零玖圆整", "1409.00"),  # 圆 for 元
        ("人民币壹仟肆佰零玖元", "1409.00"),  # 整 left out
        ("  人民币 壹仟肆佰零玖元 整 ", "1409.00"),  # stray spaces
        ("人民币\u3000壹拾伍元整", "15.00"),  # full-width space
        ("拾伍元整", "15.00"),  # bare leading 拾
        ("拾万元整", "100000.00"),
        ("一千〇五元", "1005.00"),  # lower case
        ("十五元", "15.00"),
        ("一万零二百元整", "10200.00"),
        ("零元整", "0.00"),
        ("零元", "0.00"),
        ("零元伍角", "0.50"),
        ("零元零伍分", "0.05"),
        ("零元伍分", "0.05"),
        ("伍角整", "0.50"),
        ("壹佰万伍仟元整", "1005000.00"),  # optional 零 after a zero run ending at 万
        ("壹亿壹仟元整", "100001000.00"),  # run from 千万 down to 万, then 千
        ("壹拾亿伍仟万元整", "1050000000.00"),  # same freedom at 亿
        ("壹拾元伍角", "10.50"),
    ],
)
def test_parse_accepted_variants(text: str, expected: str) -> None:
    assert parse_capital(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "内容为空"),
        ("人民币", "内容为空"),
        ("  ", "内容为空"),
        ("整", "缺少金额"),
        ("元整", "元前缺少数字"),
        ("人民币壹元零伍分整", "分后不能写整"),
        ("人民币伍分整", "分后不能写整"),
        ("人民币壹仟元整整", "整只能在末尾"),
        ("人民币壹整仟元", "整只能在末尾"),
        ("人民币壹仟伍元整", "缺少零"),  # 1005 needs 零
        ("人民币壹元伍分", "缺少零"),  # 零 after 元 is mandatory when 角 = 0
        ("人民币壹亿壹万元整", "缺少零"),  # zero run ends above 万: 零 mandatory
        ("人民币壹拾万伍佰元整", "缺少零"),  # zero run continues past 万
        ("人民币壹仟零贰佰元整", "多余的零"),
        ("人民币壹元零伍角", "多余的零"),
        ("人民币零壹元整", "不能以零开头"),
        ("人民币零伍分", "不能以零开头"),
        ("人民币壹仟零零壹元整", "零重复"),
        ("人民币壹拾零元整", "零后缺少数字"),
        ("人民币壹元零", "零后缺少数字"),
        ("人民币壹伍仟元整", "数位顺序错误"),  # digit with no unit before another digit
        ("人民币壹佰壹仟元整", "数位顺序错误"),
        ("人民币壹拾拾元整", "缺少数字"),
        ("人民币壹佰拾元整", "缺少数字"),  # bare 拾 only at the very start
        ("人民币壹万拾元整", "缺少数字"),
        ("人民币伍分伍角", "角分顺序错误"),
        ("人民币壹元伍", "缺少角或分"),
        ("人民币壹元壹元", "元重复"),
        ("人民币壹万壹万元整", "万重复"),
        ("人民币壹亿万元整", "万前缺少数字"),
        ("人民币壹万壹亿元整", "无法识别的字符"),
        ("人民币壹仟A元整", "无法识别的字符"),
        ("人民币1000元整", "无法识别的字符"),
        ("人民币两元整", "无法识别的字符"),
        ("人民币壹元叁厘", "缺少角或分"),
        ("人民币壹元A", "元后字符无法识别"),
        ("人民币壹万亿元整", "无法识别的字符"),  # beyond the supported range
    ],
)
def test_parse_rejects_garbage(text: str, reason: str) -> None:
    with pytest.raises(InvalidAmount, match=reason) as info:
        parse_capital(text)
    assert "大写金额无法识别" in str(info.value)


def test_parse_refuses_non_string() -> None:
    with pytest.raises(TypeError):
        parse_capital(1409)  # type: ignore[arg-type]


fen_amounts = st.integers(min_value=1, max_value=MAX_FEN).map(lambda n: Decimal(n) / 100)
# Amounts with many zero digits exercise the 零 rules far more than uniform integers do.
sparse_amounts = st.lists(st.sampled_from("0000000123456789"), min_size=14, max_size=14).map(
    lambda ds: Decimal(int("".join(ds))) / 100
)
any_amount = st.one_of(fen_amounts, sparse_amounts)

# A 零 is optional exactly when a zero run ends on the 万/亿/元 digit and the next digit is 千 or 角.
OPTIONAL_ZERO = re.compile(r"(?<=[万亿元])零(?=[壹贰叁肆伍陆柒捌玖][仟角])")
ANY_ZERO_BEFORE_DIGIT = re.compile(r"零(?=[壹贰叁肆伍陆柒捌玖])")


@settings(max_examples=2000, deadline=None)
@given(any_amount)
def test_round_trip(amount: Decimal) -> None:
    text = to_capital(amount)
    assert parse_capital(text) == amount


@settings(max_examples=600, deadline=None)
@given(any_amount, st.data())
def test_alternative_forms_parse(amount: Decimal, data: st.DataObject) -> None:
    text = to_capital(amount)
    optional = [m.start() for m in OPTIONAL_ZERO.finditer(text)]
    dropped = set(data.draw(st.lists(st.sampled_from(optional), unique=True)) if optional else [])
    variant = "".join(c for i, c in enumerate(text) if i not in dropped)
    if variant.endswith("角") and data.draw(st.booleans()):
        variant += data.draw(st.sampled_from("整正"))
    if data.draw(st.booleans()):
        variant = variant.removeprefix("人民币")
    if data.draw(st.booleans()):
        variant = variant.replace("元", "圆")
    if variant.endswith("元整") and data.draw(st.booleans()):
        variant = variant[:-1]
    assert parse_capital(variant) == amount, variant


@settings(max_examples=500, deadline=None)
@given(sparse_amounts, st.data())
def test_dropping_a_mandatory_zero_is_rejected(amount: Decimal, data: st.DataObject) -> None:
    text = to_capital(amount)
    optional = {m.start() for m in OPTIONAL_ZERO.finditer(text)}
    mandatory = [m.start() for m in ANY_ZERO_BEFORE_DIGIT.finditer(text) if m.start() not in optional]
    if not mandatory:
        return
    cut = data.draw(st.sampled_from(mandatory))
    with pytest.raises(InvalidAmount, match="缺少零"):
        parse_capital(text[:cut] + text[cut + 1 :])


@settings(max_examples=200, deadline=None)
@given(any_amount, st.data())
def test_appending_zheng_after_fen_is_rejected(amount: Decimal, data: st.DataObject) -> None:
    text = to_capital(amount)
    if text.endswith("分"):
        with pytest.raises(InvalidAmount, match="分后不能写整"):
            parse_capital(text + data.draw(st.sampled_from("整正")))
