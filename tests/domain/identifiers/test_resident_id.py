from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dossier.domain.identifiers.resident_id import (
    WEIGHTS,
    ResidentId,
    parse_resident_id,
    resident_check_digit,
)
from dossier.errors import InvalidIdentifier


def _with_check(body17: str) -> str:
    return body17 + resident_check_digit(body17)


# --- golden values (domain.md §3.3) -------------------------------------------------------------


def test_weights_match_the_standard() -> None:
    assert WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@pytest.mark.parametrize("number", ["11010519491231002X", "34052419800101001X"])
def test_golden_numbers_are_valid(number: str) -> None:
    assert parse_resident_id(number).number == number


def test_golden_body_gives_x() -> None:
    assert resident_check_digit("31010819840330008") == "X"


def test_fields_are_decoded() -> None:
    assert parse_resident_id("11010519491231002X") == ResidentId(
        number="11010519491231002X",
        area_code="110105",
        birth_date=date(1949, 12, 31),
        sequence="002",
        sex="女",
    )
    assert parse_resident_id("34052419800101001X").sex == "男"


# --- normalization ------------------------------------------------------------------------------


def test_lower_case_x_is_accepted_and_upper_cased() -> None:
    assert parse_resident_id("11010519491231002x").number == "11010519491231002X"


def test_spaces_are_stripped() -> None:
    assert parse_resident_id(" 110105 19491231 002X ").number == "11010519491231002X"


def test_full_width_input_is_folded() -> None:
    assert parse_resident_id("１１０１０５１９４９１２３１００２ｘ").number == "11010519491231002X"


# --- failures -----------------------------------------------------------------------------------


def test_wrong_check_digit_names_the_right_one() -> None:
    with pytest.raises(InvalidIdentifier, match=r"should be X.*应为 X"):
        parse_resident_id("110105194912310021")


@pytest.mark.parametrize("number", ["11010519491231002", "1101051949123100", "11010519491231002X1", ""])
def test_wrong_length(number: str) -> None:
    with pytest.raises(InvalidIdentifier, match=rf"got {len(number)} .*实际{len(number)}位"):
        parse_resident_id(number)


@pytest.mark.parametrize("number", ["11010519491231002A", "X1010519491231002X", "1101051949123100X2"])
def test_bad_characters(number: str) -> None:
    with pytest.raises(InvalidIdentifier, match=r"only digits.*只能由数字组成"):
        parse_resident_id(number)


@pytest.mark.parametrize("birth", ["19490230", "19491301", "19490000", "20230229"])
def test_impossible_birth_date(birth: str) -> None:
    number = _with_check("110105" + birth + "002")
    with pytest.raises(InvalidIdentifier, match=f"invalid birth date {birth}.*出生日期无效"):
        parse_resident_id(number)


def test_future_birth_date() -> None:
    with pytest.raises(InvalidIdentifier, match=r"future.*晚于今天"):
        parse_resident_id(_with_check("11010521000101002"))


def test_birth_before_1900() -> None:
    with pytest.raises(InvalidIdentifier, match=r"before 1900.*早于1900"):
        parse_resident_id(_with_check("11010518991231002"))


def test_leap_day_birth_is_valid() -> None:
    assert parse_resident_id(_with_check("11010520000229002")).birth_date == date(2000, 2, 29)


def test_check_digit_body_must_be_17_digits() -> None:
    with pytest.raises(InvalidIdentifier):
        resident_check_digit("1101051949123100")
    with pytest.raises(InvalidIdentifier):
        resident_check_digit("1101051949123100A")


# --- legacy 15-digit numbers --------------------------------------------------------------------


def test_fifteen_digits_convert_to_eighteen() -> None:
    parsed = parse_resident_id("110105491231002")
    assert parsed.number == "11010519491231002X"
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.sequence == "002"


def test_fifteen_digits_reject_letters() -> None:
    with pytest.raises(InvalidIdentifier, match=r"15-digit"):
        parse_resident_id("11010549123100X")


def test_fifteen_digits_check_the_birth_date() -> None:
    with pytest.raises(InvalidIdentifier, match=r"invalid birth date 19490230"):
        parse_resident_id("110105490230002")


# --- age ----------------------------------------------------------------------------------------


def test_age_counts_completed_years() -> None:
    person = parse_resident_id("11010519491231002X")
    assert person.age(date(2024, 12, 30)) == 74
    assert person.age(date(2024, 12, 31)) == 75
    assert person.age(date(1949, 12, 31)) == 0


def test_leap_day_birthday_ages_on_first_of_march() -> None:
    person = parse_resident_id(_with_check("11010520000229002"))
    assert person.age(date(2023, 2, 28)) == 22
    assert person.age(date(2023, 3, 1)) == 23
    assert person.age(date(2024, 2, 29)) == 24


def test_age_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"before the birth date"):
        parse_resident_id("11010519491231002X").age(date(1949, 12, 30))


# --- properties ---------------------------------------------------------------------------------


def test_every_single_digit_change_moves_the_mod_11_sum() -> None:
    # Premise of the flip property below: 11 is prime and every weight is in 1…10, so a change of
    # d ∈ ±1…±9 in one digit changes S by d·Wᵢ ≢ 0 (mod 11). Checked exhaustively, not assumed.
    for weight in WEIGHTS:
        for old in range(10):
            for new in range(10):
                if old != new:
                    assert (new - old) * weight % 11 != 0


bodies = st.builds(
    lambda area, born, seq: f"{area:06d}{born:%Y%m%d}{seq:03d}",
    st.integers(0, 999_999),
    st.dates(min_value=date(1900, 1, 1), max_value=date.today()),
    st.integers(0, 999),
)


@settings(deadline=None)
@given(bodies)
def test_computed_check_digit_always_parses(body: str) -> None:
    parsed = parse_resident_id(_with_check(body))
    assert parsed.number[:17] == body
    assert parsed.sex == ("男" if int(body[14:17]) % 2 else "女")


@settings(deadline=None)
@given(bodies, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_any_single_character_change_fails(body: str, position: int, replacement: str) -> None:
    number = _with_check(body)
    if position < 17 and replacement == "X":
        replacement = "0" if number[position] != "0" else "1"
    if replacement == number[position]:
        replacement = "0" if replacement != "0" else "1"
    flipped = number[:position] + replacement + number[position + 1 :]
    with pytest.raises(InvalidIdentifier):
        parse_resident_id(flipped)


@settings(deadline=None)
@given(
    st.integers(0, 999_999),
    st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)),
    st.integers(0, 999),
)
def test_fifteen_digit_form_converts_to_the_same_number(area: int, born: date, seq: int) -> None:
    legacy = f"{area:06d}{born:%y%m%d}{seq:03d}"
    assert parse_resident_id(legacy).number == _with_check(f"{area:06d}{born:%Y%m%d}{seq:03d}")
