"""Chinese date conventions: document dates, instrument capital dates, ID card validity, month shifts."""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from dossier.errors import DossierError

_DIGITS = "零壹贰叁肆伍陆柒捌玖"


class InvalidDate(DossierError, ValueError):
    """A date text cannot be read or names a day that does not exist."""


def format_cn_date(d: date) -> str:
    """``2026-11-28`` → ``2026年11月28日`` (no leading zeros)."""
    return f"{d.year}年{d.month}月{d.day}日"


def _capital_number(n: int) -> str:
    """1–31 in capital numerals with tens written 壹拾 (15 → 壹拾伍, 20 → 贰拾)."""
    tens, ones = divmod(n, 10)
    return (_DIGITS[tens] + "拾" if tens else "") + (_DIGITS[ones] if ones else "")


def _capital_month(month: int) -> str:
    # 零 before 1, 2 and 10 stops 壹月 being altered into 壹拾壹月 (or 贰月 into 壹拾贰月) on an instrument.
    text = _capital_number(month)
    return "零" + text if month in (1, 2, 10) else text


def _capital_day(day: int) -> str:
    # Same protection: 零 before 1–9 and before the round tens 10, 20, 30.
    text = _capital_number(day)
    return "零" + text if day < 10 or day % 10 == 0 else text


def format_capital_date(d: date) -> str:
    """Instrument-style date: ``2026-11-28`` → ``贰零贰陆年壹拾壹月贰拾捌日``."""
    year = "".join(_DIGITS[int(c)] for c in f"{d.year:04d}")
    return f"{year}年{_capital_month(d.month)}月{_capital_day(d.day)}日"


def _make_date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise InvalidDate(f"no such date (日期不存在): {text!r}") from exc


_SEP_RE = re.compile(r"^(\d{4})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})$")
_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_CN_RE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$")


def _normalise(text: str) -> str:
    # NFKC turns full-width digits and ．－／ into ASCII, so typed-in full-width input reads the same.
    return unicodedata.normalize("NFKC", text).strip()


def parse_date(text: str) -> date:
    """Read a date as people type it: ``2026-11-28``, ``2026/11/28``, ``2026.11.28``, ``20261128``,
    ``2026年11月28日`` (leading zeros and spaces optional, full-width characters accepted)."""
    cleaned = _normalise(text)
    for pattern in (_SEP_RE, _COMPACT_RE, _CN_RE):
        match = pattern.match(cleaned)
        if match:
            groups = [g for g in match.groups() if g.isdigit()]
            year, month, day = (int(g) for g in groups)
            return _make_date(year, month, day, text)
    raise InvalidDate(f"not a date (日期格式错误): {text!r}")


_CAPITAL_MONTHS = {_capital_month(m): m for m in range(1, 13)}
_CAPITAL_DAYS = {_capital_day(d): d for d in range(1, 32)}
_CAPITAL_DATE_RE = re.compile(r"^([零壹贰叁肆伍陆柒捌玖]{4})年(.+?)月(.+?)日$")


def parse_capital_date(text: str) -> date:
    """Read an instrument-style capital date (the form ``format_capital_date`` writes) back to a date.

    Only the canonical spelling is accepted: a month or day without its protective 零 is rejected, because on
    an instrument that form is itself a defect.
    """
    cleaned = "".join(text.split())
    match = _CAPITAL_DATE_RE.match(cleaned)
    if not match:
        raise InvalidDate(f"not a capital date (大写日期格式错误): {text!r}")
    year_text, month_text, day_text = match.groups()
    if month_text not in _CAPITAL_MONTHS:
        raise InvalidDate(f"month not written in instrument style (大写月份写法错误): {text!r}")
    if day_text not in _CAPITAL_DAYS:
        raise InvalidDate(f"day not written in instrument style (大写日写法错误): {text!r}")
    year = int("".join(str(_DIGITS.index(c)) for c in year_text))
    return _make_date(year, _CAPITAL_MONTHS[month_text], _CAPITAL_DAYS[day_text], text)


@dataclass(frozen=True)
class Validity:
    """An ID card's 有效期限. ``end`` None means 长期 (no expiry); ``end`` is the last valid day."""

    start: date
    end: date | None

    def __post_init__(self) -> None:
        if self.end is not None and self.end <= self.start:
            raise InvalidDate(
                f"validity ends before it starts (有效期限截止日早于起始日): {self.start}–{self.end}"
            )

    def covers(self, d: date) -> bool:
        """True when the card is valid on ``d`` (both ends inclusive)."""
        return self.start <= d and (self.end is None or d <= self.end)


_VALIDITY_DATE = r"\d{8}|\d{4}\s*[-./年]\s*\d{1,2}\s*[-./月]\s*\d{1,2}\s*日?"
_VALIDITY_RE = re.compile(rf"^({_VALIDITY_DATE})\s*(?:-|–|—|~|～|至)\s*({_VALIDITY_DATE}|长期(?:有效)?)$")


def _parse_validity_date(part: str, text: str) -> date:
    try:
        return parse_date(part.replace("-", ".") if "年" not in part else part)
    except InvalidDate as exc:
        raise InvalidDate(f"{exc} in ID validity (身份证有效期限): {text!r}") from exc


def parse_id_validity(text: str) -> Validity:
    """Read an ID card validity: ``2015.03.01-2035.03.01`` or ``2015.03.01-长期`` (full-width ．－ too)."""
    cleaned = _normalise(text)
    match = _VALIDITY_RE.match(cleaned)
    if not match:
        raise InvalidDate(f"not an ID card validity (身份证有效期限格式错误): {text!r}")
    start_text, end_text = match.groups()
    start = _parse_validity_date(start_text, text)
    end = None if end_text.startswith("长期") else _parse_validity_date(end_text, text)
    return Validity(start, end)


def add_months(d: date, months: int) -> date:
    """Shift ``d`` by whole months, clamping to the month end (2024-01-31 + 1 → 2024-02-29)."""
    year_shift, month_index = divmod(d.month - 1 + months, 12)
    year = d.year + year_shift
    if not 1 <= year <= 9999:
        raise InvalidDate(f"date out of range (日期超出范围): {d} + {months} months")
    month = month_index + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))
