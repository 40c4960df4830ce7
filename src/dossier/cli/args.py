"""Reading command-line arguments into domain values; a bad one names itself and exits 2."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from dossier.domain.dates import parse_date
from dossier.domain.money import parse_amount
from dossier.errors import DossierError

T = TypeVar("T")


class BadArgument(DossierError):
    """An argument that cannot be read; the CLI prints it on one line and exits 2."""

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        self.problem = problem
        super().__init__(f"{name}: {problem}")


def read(name: str, value: str, parser: Callable[[str], T]) -> T:
    try:
        return parser(value)
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise BadArgument(name, str(exc) or f"cannot read {value!r}") from None


def amount(name: str, value: str) -> Decimal:
    result = read(name, value, parse_amount)
    if result <= 0:
        raise BadArgument(name, f"must be greater than zero (须大于零): {value}")
    return result


def day(name: str, value: str) -> date:
    return read(name, value, parse_date)


def percent(name: str, value: str) -> Decimal:
    def parse(text: str) -> Decimal:
        try:
            result = Decimal(text.strip().removesuffix("%"))
        except InvalidOperation:
            raise ValueError(f"not a number (应为数字): {text!r}") from None
        if not result.is_finite() or result < 0 or result > 100:
            raise ValueError(f"must be a percentage between 0 and 100 (应为0至100之间的百分数): {text}")
        return result

    return read(name, value, parse)


def positive_int(name: str, value: int, *, maximum: int | None = None) -> int:
    if value < 1:
        raise BadArgument(name, f"must be a positive whole number (须为正整数): {value}")
    if maximum is not None and value > maximum:
        raise BadArgument(name, f"must be at most {maximum} (不得超过{maximum}): {value}")
    return value


def non_negative_int(name: str, value: int) -> int:
    if value < 0:
        raise BadArgument(name, f"must not be negative (不得为负数): {value}")
    return value
