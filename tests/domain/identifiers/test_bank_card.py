from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dossier.domain.identifiers.bank_card import luhn_check_digit, luhn_valid, parse_bank_card
from dossier.errors import InvalidIdentifier

# 4111…1111 is the classic test card; the others were completed with the Luhn rule independently of
# the code under test: 622202123456789012 + "0" sums to 72 → check digit 8; 621700001000123456 + "0"
# sums to 41 → check digit 9.
VALID = ["4111111111111111", "6222021234567890128", "6217000010001234569"]


@pytest.mark.parametrize("number", VALID)
def test_valid_samples(number: str) -> None:
    assert luhn_valid(number)
    assert parse_bank_card(number) == number


def test_check_digit_of_samples() -> None:
    assert luhn_check_digit("622202123456789012") == "8"
    assert luhn_check_digit("411111111111111") == "1"


@pytest.mark.parametrize("number", ["4111111111111112", "6222021234567890127", "6222021234567890182"])
def test_invalid_samples(number: str) -> None:
    assert not luhn_valid(number)
    with pytest.raises(InvalidIdentifier, match=r"Luhn.*校验位错误"):
        parse_bank_card(number)


def test_luhn_valid_rejects_non_digits() -> None:
    assert not luhn_valid("")
    assert not luhn_valid("0")
    assert not luhn_valid("4111 1111 1111 1111")
    assert not luhn_valid("４１１１１１１１１１１１１１１１")


def test_spaces_dashes_and_full_width_are_removed() -> None:
    assert parse_bank_card(" 6222 0212-3456 7890 128 ") == "6222021234567890128"
    assert parse_bank_card("４１１１　１１１１　１１１１　１１１１") == "4111111111111111"


def test_error_names_the_right_last_digit() -> None:
    with pytest.raises(InvalidIdentifier, match=r"should be 1, not 2.*末位应为 1"):
        parse_bank_card("4111111111111112")


@pytest.mark.parametrize("number", ["411111111111111", "41111111111111111111", ""])
def test_length_outside_16_to_19(number: str) -> None:
    with pytest.raises(InvalidIdentifier, match=rf"16–19 digits, got {len(number)}"):
        parse_bank_card(number)


def test_letters_are_rejected() -> None:
    with pytest.raises(InvalidIdentifier, match=r"only digits.*只能包含数字"):
        parse_bank_card("4111A11111111111")


def test_luhn_catches_every_single_digit_change() -> None:
    # Premise of the flip property: doubling-and-folding (0→0, 1→2, …, 5→1, …, 9→9) is a
    # permutation of 0–9, so changing one digit, doubled or not, always changes the sum mod 10.
    folded = [d * 2 - 9 if d * 2 > 9 else d * 2 for d in range(10)]
    assert sorted(folded) == list(range(10))


card_bodies = st.from_regex(r"\A[0-9]{15,18}\Z")


@settings(deadline=None)
@given(card_bodies)
def test_computed_check_digit_always_parses(body: str) -> None:
    number = body + luhn_check_digit(body)
    assert luhn_valid(number)
    assert parse_bank_card(number) == number


@settings(deadline=None)
@given(card_bodies, st.data())
def test_any_single_digit_change_fails(body: str, data: st.DataObject) -> None:
    number = body + luhn_check_digit(body)
    position = data.draw(st.integers(0, len(number) - 1))
    replacement = data.draw(st.sampled_from([d for d in "0123456789" if d != number[position]]))
    flipped = number[:position] + replacement + number[position + 1 :]
    assert not luhn_valid(flipped)
    with pytest.raises(InvalidIdentifier):
        parse_bank_card(flipped)
