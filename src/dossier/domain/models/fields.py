"""Field types shared by the models: money, rates, percentages, and the labelled field helper."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

from dossier.domain.money import parse_amount, to_fen


def _decimal_input(value: Any) -> Any:
    # YAML and JSON hand us floats; their shortest repr is exactly what the person typed, so it is
    # converted through str, never by binary value.
    if isinstance(value, bool):
        raise ValueError("a number is expected, not true/false (应为数字)")
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        return value.strip().replace(",", "")
    return value


def _money_input(value: Any) -> Any:
    if isinstance(value, str):
        return parse_amount(value)
    return _decimal_input(value)


def _fen_exact(value: Decimal) -> Decimal:
    try:
        rounded = to_fen(value)
    except InvalidOperation as exc:
        raise ValueError("not an amount (金额格式错误)") from exc
    if rounded != value:
        raise ValueError("at most two decimals, to the fen (金额最多两位小数，精确到分)")
    return rounded


_MONEY_SCHEMA = WithJsonSchema(
    {
        "anyOf": [{"type": "number"}, {"type": "string", "pattern": r"^-?[\d,]+(\.\d{1,2})?$"}],
        "description": "amount in yuan (元), up to the fen",
    }
)
_RATE_SCHEMA = WithJsonSchema(
    {
        "anyOf": [{"type": "number"}, {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}],
        "description": "percent, e.g. 4.35 means 4.35 %",
    }
)

Money = Annotated[Decimal, BeforeValidator(_money_input), AfterValidator(_fen_exact), _MONEY_SCHEMA]
"""An amount in yuan: Decimal, exactly to the fen."""

PositiveMoney = Annotated[Money, Field(gt=0)]
NonNegativeMoney = Annotated[Money, Field(ge=0)]

Rate = Annotated[
    Decimal, BeforeValidator(_decimal_input), Field(ge=0, le=100, decimal_places=6), _RATE_SCHEMA
]
"""An annual rate in percent: ``4.35`` means 4.35 %."""

Percent = Annotated[
    Decimal, BeforeValidator(_decimal_input), Field(ge=0, le=100, decimal_places=4), _RATE_SCHEMA
]
"""A share in percent (0–100)."""

SignedDecimal = Annotated[Decimal, BeforeValidator(_decimal_input)]


def labelled(label: str, *args: Any, **kwargs: Any) -> Any:
    """A pydantic Field whose title is its Chinese label, used by error messages and templates."""
    return Field(*args, title=label, **kwargs)
