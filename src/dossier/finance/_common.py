"""Small helpers shared by the finance modules: number coercion and rounding conventions."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def as_decimal(value: Decimal | int | str, name: str) -> Decimal:
    """``value`` as a Decimal; floats are refused because they cannot carry a fen exactly."""
    if isinstance(value, float):
        raise TypeError(f"{name} must not be a float; pass a Decimal, int or str")
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number, not a bool")
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValueError(f"{name} is not a number (不是有效数字): {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"{name} must be a finite number (必须是有限数值): {value!r}")
    return result


def round2(value: Decimal) -> Decimal:
    """Half-up to two decimals, the rounding of every figure this package returns."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
