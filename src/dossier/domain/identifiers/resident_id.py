"""Resident ID numbers (公民身份号码, GB 11643-1999): layout, ISO 7064 MOD 11-2 check, birth date."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from dossier.errors import InvalidIdentifier

# Wᵢ = 2^(18−i) mod 11 for positions i = 1…17.
WEIGHTS: tuple[int, ...] = tuple(pow(2, 17 - i, 11) for i in range(17))
CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH_YEAR = 1900

_NAME = "resident ID number (身份证号码)"
_SPACES_RE = re.compile(r"\s+")
_ID18_RE = re.compile(r"\d{17}[\dX]")
_ID15_RE = re.compile(r"\d{15}")


@dataclass(frozen=True)
class ResidentId:
    """A checked 18-character resident ID number and what it encodes."""

    number: str
    area_code: str
    birth_date: date
    sequence: str
    sex: str

    def age(self, on: date) -> int:
        """Completed years on ``on``; someone born on 29 February ages on 1 March in common years."""
        if on < self.birth_date:
            raise ValueError(
                f"date {on.isoformat()} is before the birth date {self.birth_date.isoformat()} "
                f"(日期早于出生日期)"
            )
        before_birthday = (on.month, on.day) < (self.birth_date.month, self.birth_date.day)
        return on.year - self.birth_date.year - int(before_birthday)


def resident_check_digit(body17: str) -> str:
    """Check character for the first 17 digits: "10X98765432"[Σ aᵢWᵢ mod 11]."""
    if len(body17) != 17 or not body17.isascii() or not body17.isdigit():
        raise InvalidIdentifier(f"{_NAME} body must be 17 digits (身份证号码本体应为17位数字): {body17!r}")
    total = sum(int(ch) * weight for ch, weight in zip(body17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def _normalize(number: str) -> str:
    # NFKC folds full-width digits and Ｘ; ID numbers are often printed in groups, so drop all whitespace.
    return _SPACES_RE.sub("", unicodedata.normalize("NFKC", number)).upper()


def _birth_date(digits: str, original: str) -> date:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError as exc:
        raise InvalidIdentifier(
            f"{_NAME} has an invalid birth date {digits} (身份证号码中的出生日期无效：{digits}): {original!r}"
        ) from exc
    if born.year < EARLIEST_BIRTH_YEAR:
        raise InvalidIdentifier(
            f"{_NAME} has a birth date {digits} before {EARLIEST_BIRTH_YEAR} "
            f"(出生日期早于{EARLIEST_BIRTH_YEAR}年): {original!r}"
        )
    if born > date.today():
        raise InvalidIdentifier(
            f"{_NAME} has a birth date {digits} in the future (出生日期晚于今天): {original!r}"
        )
    return born


def parse_resident_id(number: str) -> ResidentId:
    """Check an 18-digit number, or convert a legacy 15-digit one (born 19YY) to its 18-digit form."""
    cleaned = _normalize(number)
    if len(cleaned) == 15:
        if not _ID15_RE.fullmatch(cleaned):
            raise InvalidIdentifier(
                f"a 15-digit {_NAME} may contain only digits (15位身份证号码只能由数字组成): {number!r}"
            )
        body = cleaned[:6] + "19" + cleaned[6:]
        given_check = None
    elif len(cleaned) == 18:
        if not _ID18_RE.fullmatch(cleaned):
            raise InvalidIdentifier(
                f"{_NAME} may contain only digits, with X allowed as the last character "
                f"(身份证号码只能由数字组成，末位可为X): {number!r}"
            )
        body, given_check = cleaned[:17], cleaned[17]
    else:
        raise InvalidIdentifier(
            f"{_NAME} must have 18 characters (or 15 for the legacy form), got {len(cleaned)} "
            f"(身份证号码应为18位或15位，实际{len(cleaned)}位): {number!r}"
        )
    born = _birth_date(body[6:14], number)
    expected = resident_check_digit(body)
    if given_check is not None and given_check != expected:
        raise InvalidIdentifier(
            f"{_NAME} check digit should be {expected}, not {given_check} "
            f"(身份证号码校验码错误，应为 {expected}): {number!r}"
        )
    sequence = body[14:17]
    return ResidentId(
        number=body + expected,
        area_code=body[:6],
        birth_date=born,
        sequence=sequence,
        sex="男" if int(sequence) % 2 else "女",
    )
