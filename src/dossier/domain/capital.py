"""Capital-numeral amounts (大写金额) as written on Chinese payment and loan documents.

Rules follow 支付结算 practice (domain.md §3.1). ``to_capital`` writes one canonical form ("always 零");
``parse_capital`` reads every accepted form back to a number, so documents are checked by value, never by
string comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from dossier.domain.money import to_fen
from dossier.errors import InvalidAmount

MAX_AMOUNT = Decimal("999999999999.99")

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ("", "拾", "佰", "仟")
_UNIT_POS = {"拾": 1, "佰": 2, "仟": 3}
_SECTION_MARKS = {8: "亿", 4: "万"}
_JIAO_POS = -1
_FEN_POS = -2

# A zero run that ends on the 万 or 元 digit, followed by a non-zero 千 or 角 digit, may be written with or
# without 零 (支付结算办法 附一). We extend the same freedom to the 亿 digit (next digit 千万): the section
# mark makes the position just as unambiguous, and amounts in 亿 are simply absent from the 1997 examples.
_OPTIONAL_ZERO_BEFORE = frozenset({7, 3, _JIAO_POS})

# Lower-case numerals and variant characters accepted on input, mapped to the capital forms.
_NORMALISE = str.maketrans(
    {
        "〇": "零",
        "一": "壹",
        "二": "贰",
        "三": "叁",
        "四": "肆",
        "五": "伍",
        "六": "陆",
        "七": "柒",
        "八": "捌",
        "九": "玖",
        "十": "拾",
        "百": "佰",
        "千": "仟",
        "圆": "元",
        "正": "整",
    }
)


def _fail(text: str, reason: str) -> InvalidAmount:
    return InvalidAmount(f"not a capital-numeral amount (大写金额无法识别): {text!r}: {reason}")


def to_capital(amount: Decimal | int | str, *, prefix: str = "人民币") -> str:
    """Write ``amount`` in capital numerals, e.g. ``Decimal("1680.32")`` → ``人民币壹仟陆佰捌拾元零叁角贰分``.

    Rounds to the fen half-up. Every optional 零 is written; 整 follows only an amount ending at 元.
    """
    if isinstance(amount, float | bool):
        raise TypeError("money must not be a float or bool; pass a Decimal, int or str")
    try:
        raw = Decimal(amount)
        value = to_fen(raw)
    except (InvalidOperation, ValueError) as exc:
        raise InvalidAmount(f"not an amount (金额格式错误): {amount!r}") from exc
    if not value.is_finite():
        raise InvalidAmount(f"not an amount (金额格式错误): {amount!r}")
    if raw < 0:
        raise InvalidAmount(f"amount must not be negative (金额不能为负数): {amount!r}")
    if value > MAX_AMOUNT:
        raise InvalidAmount(
            f"amount too large for capital numerals (金额超出大写范围，最大 {MAX_AMOUNT}): {amount!r}"
        )

    yuan, cents = divmod(int(value * 100), 100)
    jiao, fen = divmod(cents, 10)
    if yuan == 0 and cents == 0:
        return f"{prefix}零元整"

    parts: list[str] = []
    pending_zero = False  # a zero run has been passed since the last digit written
    for pos in range(11, -1, -1):
        digit = yuan // 10**pos % 10
        if digit:
            if pending_zero:
                parts.append("零")
                pending_zero = False
            parts.append(_DIGITS[digit] + _UNITS[pos % 4])
        elif parts:
            pending_zero = True
        if pos in _SECTION_MARKS and yuan // 10**pos % 10_000:
            parts.append(_SECTION_MARKS[pos])
    if yuan:
        parts.append("元")

    # Below one yuan we write just 伍角 / 伍分, not 零元伍角: common 支付结算 practice omits the 零元,
    # and parse_capital accepts both.
    if jiao:
        if pending_zero:
            parts.append("零")
        pending_zero = False
        parts.append(_DIGITS[jiao] + "角")
    elif yuan:
        pending_zero = True  # 角 = 0 and 分 ≠ 0: the 零 after 元 is mandatory
    if fen:
        if pending_zero:
            parts.append("零")
        parts.append(_DIGITS[fen] + "分")
    elif not jiao:
        parts.append("整")
    return prefix + "".join(parts)


@dataclass(frozen=True)
class _Term:
    """One non-zero digit of the amount at its absolute position (元 = 0, 角 = -1, 分 = -2)."""

    digit: int
    pos: int
    zero_before: bool


def _parse_section(text: str, original: str, *, base: int, bare_ten_ok: bool) -> list[_Term]:
    """Parse one four-digit section (仟佰拾 and the ones digit) into terms, highest first."""
    terms: list[_Term] = []
    pending_zero = False
    prev_pos = 4
    i = 0
    while i < len(text):
        char = text[i]
        if char == "零":
            if pending_zero:
                raise _fail(original, "零 written twice in a row (零重复)")
            pending_zero = True
            i += 1
            continue
        digit = _DIGITS.find(char)
        if digit >= 1:
            i += 1
            pos = 0
            if i < len(text) and text[i] in _UNIT_POS:
                pos = _UNIT_POS[text[i]]
                i += 1
        elif char == "拾" and bare_ten_ok and i == 0:
            # 拾伍元 for 壹拾伍元: unambiguous only at the very start of the amount.
            digit, pos = 1, 1
            i += 1
        elif char in _UNIT_POS:
            raise _fail(original, f"unit {char} has no digit before it (单位{char}前缺少数字)")
        else:
            raise _fail(original, f"unexpected character {char!r} (无法识别的字符)")
        if pos >= prev_pos:
            raise _fail(original, "digits out of order or digit without a unit (数位顺序错误或数字缺少单位)")
        terms.append(_Term(digit, base + pos, pending_zero))
        pending_zero = False
        prev_pos = pos
    if pending_zero:
        raise _fail(original, "零 must be followed by a digit (零后缺少数字)")
    return terms


def _parse_integer(text: str, original: str) -> list[_Term]:
    """Parse the part before 元: optional 亿 and 万 sections, then the ones section."""
    terms: list[_Term] = []
    rest = text
    for base, mark in ((8, "亿"), (4, "万")):
        if rest.count(mark) > 1:
            raise _fail(original, f"{mark} appears more than once ({mark}重复)")
        if mark in rest:
            head, rest = rest.split(mark)
            section = _parse_section(head, original, base=base, bare_ten_ok=not terms)
            if not section:
                raise _fail(original, f"no digits before {mark} ({mark}前缺少数字)")
            terms.extend(section)
    if "亿" in rest:
        raise _fail(original, "亿 after 万 (亿与万顺序错误)")
    terms.extend(_parse_section(rest, original, base=0, bare_ten_ok=not terms))
    if not terms:
        raise _fail(original, "no digits before 元 (元前缺少数字)")
    return terms


def _parse_fraction(text: str, original: str) -> list[_Term]:
    """Parse the 角 and 分 digits after 元 (or the whole amount when it is below one yuan)."""
    terms: list[_Term] = []
    pending_zero = False
    prev_pos = 0
    i = 0
    while i < len(text):
        char = text[i]
        if char == "零":
            if pending_zero:
                raise _fail(original, "零 written twice in a row (零重复)")
            pending_zero = True
            i += 1
            continue
        digit = _DIGITS.find(char)
        if digit < 1:
            raise _fail(original, f"unexpected character {char!r} after 元 (元后字符无法识别)")
        unit = text[i + 1 : i + 2]
        if unit not in ("角", "分"):
            raise _fail(original, "digit after 元 without 角 or 分 (元后数字缺少角或分)")
        pos = _JIAO_POS if unit == "角" else _FEN_POS
        if pos >= prev_pos:
            raise _fail(original, "角 and 分 out of order (角分顺序错误)")
        terms.append(_Term(digit, pos, pending_zero))
        pending_zero = False
        prev_pos = pos
        i += 2
    if pending_zero:
        raise _fail(original, "零 must be followed by a digit (零后缺少数字)")
    return terms


def _check_zeros(terms: list[_Term], original: str, *, zero_yuan: bool) -> None:
    """A gap between digits needs one 零 unless it ends on 万/亿/元; no 零 where nothing is missing."""
    prev: _Term | None = None
    for term in terms:
        if prev is None:
            # 零元零伍分 is fine; a lone leading 零 (零伍分, 零壹元) stands between nothing.
            if term.zero_before and not zero_yuan:
                raise _fail(original, "amount starts with 零 (金额不能以零开头)")
        else:
            gap = prev.pos - term.pos - 1
            if gap == 0 and term.zero_before:
                raise _fail(original, "零 where no digit is zero (多余的零)")
            if gap > 0 and not term.zero_before and term.pos not in _OPTIONAL_ZERO_BEFORE:
                raise _fail(original, "missing 零 for a zero digit (缺少零)")
        prev = term


def parse_capital(text: str) -> Decimal:
    """Read a capital-numeral amount back to Decimal yuan (2 dp).

    Accepts the 人民币 prefix or none, optional 零s written or left out, 整/正 after 元 or 角, 圆 for 元,
    a leading bare 拾, and lower-case numerals (〇一二…十百千). Anything else raises InvalidAmount.
    """
    if not isinstance(text, str):
        raise TypeError("parse_capital expects a str")
    body = "".join(text.split()).translate(_NORMALISE).removeprefix("人民币")
    if not body:
        raise _fail(text, "empty (内容为空)")

    has_zheng = body.endswith("整")
    if has_zheng:
        body = body[:-1]
    if "整" in body:
        raise _fail(text, "整 only at the end (整只能在末尾)")
    if body.count("元") > 1:
        raise _fail(text, "元 appears more than once (元重复)")

    zero_yuan = False
    if "元" in body:
        int_text, frac_text = body.split("元")
        if int_text == "零":
            zero_yuan = True
            terms: list[_Term] = []
        else:
            terms = _parse_integer(int_text, text)
        terms.extend(_parse_fraction(frac_text, text))
    else:
        if not body:
            raise _fail(text, "no amount (缺少金额)")
        terms = _parse_fraction(body, text)
        if not terms:
            raise _fail(text, "no amount (缺少金额)")

    if has_zheng and terms and terms[-1].pos == _FEN_POS:
        raise _fail(text, "整 must not follow 分 (分后不能写整)")
    _check_zeros(terms, text, zero_yuan=zero_yuan)

    fen_total = sum(term.digit * 10 ** (term.pos + 2) for term in terms)
    return (Decimal(fen_total) / 100).quantize(Decimal("0.01"))
