"""Bank card numbers: 16–19 digits with a Luhn (ISO/IEC 7812) check digit."""

from __future__ import annotations

import re
import unicodedata

from dossier.errors import InvalidIdentifier

MIN_DIGITS = 16
MAX_DIGITS = 19

_NAME = "bank card number (银行卡号)"
# Card numbers are printed and typed in groups of four, separated by spaces or dashes.
_SEPARATORS_RE = re.compile(r"[\s\-]+")


def luhn_check_digit(body: str) -> str:
    """The digit that makes ``body`` + digit pass the Luhn check."""
    if not body or not body.isascii() or not body.isdigit():
        raise InvalidIdentifier(f"Luhn body must be digits (卡号本体应为数字): {body!r}")
    # Appending a digit shifts every position, so the digits doubled are those at even offsets from the right.
    return str(-_luhn_sum(body + "0") % 10)


def _luhn_sum(digits: str) -> int:
    total = 0
    for offset, ch in enumerate(reversed(digits)):
        value = int(ch)
        if offset % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` (ASCII digits only, at least two) passes the Luhn check."""
    if len(digits) < 2 or not digits.isascii() or not digits.isdigit():
        return False
    return _luhn_sum(digits) % 10 == 0


def parse_bank_card(number: str) -> str:
    """Digits of a card number after removing spaces and dashes; length and Luhn checked."""
    digits = _SEPARATORS_RE.sub("", unicodedata.normalize("NFKC", number))
    if digits and not (digits.isascii() and digits.isdigit()):
        raise InvalidIdentifier(
            f"{_NAME} may contain only digits, spaces and dashes (银行卡号只能包含数字): {number!r}"
        )
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        raise InvalidIdentifier(
            f"{_NAME} must have {MIN_DIGITS}–{MAX_DIGITS} digits, got {len(digits)} "
            f"(银行卡号应为{MIN_DIGITS}–{MAX_DIGITS}位，实际{len(digits)}位): {number!r}"
        )
    if not luhn_valid(digits):
        expected = luhn_check_digit(digits[:-1])
        raise InvalidIdentifier(
            f"{_NAME} fails the Luhn check: last digit should be {expected}, not {digits[-1]} "
            f"(银行卡号校验位错误，末位应为 {expected}): {number!r}"
        )
    return digits
