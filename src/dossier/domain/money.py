"""Money is Decimal yuan rounded half-up to the fen; rates are annual percent as Decimal."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from dossier.errors import InvalidAmount

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)

_AMOUNT_RE = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")


def to_fen(value: Decimal | int | str) -> Decimal:
    """Round to the fen, half-up. Floats are refused: they cannot carry a fen exactly."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a Decimal, int or str")
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def parse_amount(text: str) -> Decimal:
    """Read an amount typed by a person: ``1234.5``, ``1,234.50``, ``￥1234``, ``1234元``."""
    cleaned = text.strip().replace("，", ",").replace("．", ".")
    cleaned = cleaned.removeprefix("¥").removeprefix("￥").removeprefix("RMB").removesuffix("元").strip()
    if not _AMOUNT_RE.match(cleaned):
        raise InvalidAmount(f"not an amount (金额格式错误): {text!r}")
    try:
        value = Decimal(cleaned.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid decimals
        raise InvalidAmount(f"not an amount (金额格式错误): {text!r}") from exc
    if value != value.quantize(FEN, rounding=ROUND_HALF_UP):
        raise InvalidAmount(f"amount has more than two decimals (金额最多两位小数): {text!r}")
    return to_fen(value)


def rate_fraction(annual_percent: Decimal) -> Decimal:
    """Annual rate in percent (4.35) as a fraction (0.0435)."""
    return Decimal(annual_percent) / HUNDRED


def format_amount(value: Decimal) -> str:
    """``1234567.8`` → ``1,234,567.80`` as printed in documents."""
    return f"{to_fen(value):,.2f}"
