from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kit import config_with

from dossier.config import load_config
from dossier.domain.identifiers.credit_code import (
    CHARSET,
    WEIGHTS,
    credit_check_char,
    credit_code_warnings,
    org_check_char,
    parse_credit_code,
)
from dossier.errors import ConfigError, InvalidIdentifier

GOLDEN = ["91350200776049653A", "91440101MA5CJQ4N59", "9135021359498494XQ"]
KNOWN_EXCEPTION = "91350203M0001QAY9B"


def _with_check(body17: str) -> str:
    return body17 + credit_check_char(body17)


# --- golden values (domain.md §3.4) -------------------------------------------------------------


def test_weights_match_the_standard() -> None:
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@pytest.mark.parametrize("code", GOLDEN)
def test_golden_codes_pass_both_checks(code: str) -> None:
    for strict in (False, True):
        result = parse_credit_code(code, strict=strict, config=load_config())
        assert result.code == code
        assert result.check_ok and result.org_code_ok
        assert result.expected_check == code[17]
        assert result.warnings == ()
        assert not result.known_exception


def test_inner_check_digit_x() -> None:
    assert org_check_char("59498494") == "X"
    assert parse_credit_code("9135021359498494XQ", config=load_config()).org_code_ok


def test_inner_check_digit_letters_map_from_ten() -> None:
    # M=22 A=10 5 C=12 J=19 Q=26 4 N=23: S = 666, 666 mod 11 = 6, 11 − 6 = 5.
    assert org_check_char("MA5CJQ4N") == "5"


def test_inner_check_digit_eleven_becomes_zero() -> None:
    # All-zero body: S = 0, 11 − 0 = 11 → "0".
    assert org_check_char("00000000") == "0"


def test_decoded_fields() -> None:
    result = parse_credit_code("91440101MA5CJQ4N59", config=load_config())
    assert result.authority == "工商/市场监管"
    assert result.org_type == "企业"
    assert result.area_code == "440101"


@pytest.mark.parametrize(
    ("prefix", "authority", "org_type"),
    [
        ("92", "工商/市场监管", "个体工商户"),
        ("93", "工商/市场监管", "农民专业合作社"),
        ("12", "机构编制", "事业单位"),
        ("51", "民政", "社会团体"),
        ("Y1", "其他", "机构类别 1"),
    ],
)
def test_authority_and_type_tables(prefix: str, authority: str, org_type: str) -> None:
    result = parse_credit_code(_with_check(prefix + "350200776049653"), config=load_config())
    assert (result.authority, result.org_type) == (authority, org_type)


def test_unlisted_authority_gets_a_generic_label() -> None:
    result = parse_credit_code(_with_check("B1350200776049653"), config=load_config())
    assert result.authority == "未列明的登记管理部门 B"


# --- normalization ------------------------------------------------------------------------------


def test_lower_case_and_surrounding_space_are_normalized() -> None:
    assert parse_credit_code("  91440101ma5cjq4n59 ", config=load_config()).code == "91440101MA5CJQ4N59"


def test_full_width_input_is_folded() -> None:
    assert (
        parse_credit_code("９１４４０１０１ＭＡ５ＣＪＱ４Ｎ５９", config=load_config()).code
        == "91440101MA5CJQ4N59"
    )


# --- malformed codes always raise ---------------------------------------------------------------


@pytest.mark.parametrize("code", ["91350200776049653", "91350200776049653AA", ""])
@pytest.mark.parametrize("strict", [False, True])
def test_bad_length(code: str, strict: bool) -> None:
    with pytest.raises(InvalidIdentifier, match=rf"got {len(code)} .*实际{len(code)}位"):
        parse_credit_code(code, strict=strict, config=load_config())


@pytest.mark.parametrize("letter", list("IOSVZ"))
@pytest.mark.parametrize("strict", [False, True])
def test_forbidden_letters(letter: str, strict: bool) -> None:
    code = "91440101" + letter + "A5CJQ4N59"
    with pytest.raises(InvalidIdentifier, match=f"{letter}.*never used.*非法字符"):
        parse_credit_code(code, strict=strict, config=load_config())


def test_other_bad_characters() -> None:
    with pytest.raises(InvalidIdentifier, match=r"outside its character set: -") as info:
        parse_credit_code("91440101-A5CJQ4N59", config=load_config())
    assert "never used" not in str(info.value)


def test_area_code_must_be_digits() -> None:
    with pytest.raises(InvalidIdentifier, match=r"positions 3–8.*行政区划码"):
        parse_credit_code("9144A101MA5CJQ4N59", config=load_config())


# --- failing check: warning when lenient, error when strict -------------------------------------


def test_bad_check_is_a_warning_when_lenient() -> None:
    result = parse_credit_code("91350200776049653B", config=load_config())
    assert not result.check_ok
    assert result.expected_check == "A"
    assert result.org_code_ok
    assert len(result.warnings) == 1
    assert "should be A" in result.warnings[0] and "应为 A" in result.warnings[0]


def test_bad_check_is_an_error_when_strict() -> None:
    with pytest.raises(InvalidIdentifier, match=r"should be A.*a few real codes fail"):
        parse_credit_code("91350200776049653B", strict=True, config=load_config())


def test_bad_inner_check_is_a_warning_even_when_strict() -> None:
    code = _with_check("91350200776049654")  # inner check digit should be 3
    for strict in (False, True):
        result = parse_credit_code(code, strict=strict, config=load_config())
        assert result.check_ok and not result.org_code_ok
        assert len(result.warnings) == 1
        assert "should be 3" in result.warnings[0] and "主体标识码" in result.warnings[0]


def test_credit_code_warnings_helper() -> None:
    assert credit_code_warnings("91350200776049653A", config=load_config()) == ()
    assert len(credit_code_warnings("91350200776049653B", config=load_config())) == 1
    with pytest.raises(InvalidIdentifier):
        credit_code_warnings("9135020077604965", config=load_config())


# --- known exceptions ---------------------------------------------------------------------------


def test_known_exception_fails_the_check() -> None:
    assert credit_check_char(KNOWN_EXCEPTION[:17]) != KNOWN_EXCEPTION[17]


def test_known_exception_is_accepted_silently_when_lenient() -> None:
    result = parse_credit_code(KNOWN_EXCEPTION, config=load_config())
    assert result.known_exception
    assert not result.check_ok
    assert result.warnings == ()


def test_known_exception_is_accepted_with_a_note_when_strict() -> None:
    result = parse_credit_code(KNOWN_EXCEPTION.lower(), strict=True, config=load_config())
    assert result.known_exception
    assert len(result.warnings) == 1
    assert "known exception" in result.warnings[0] and "已知例外" in result.warnings[0]


def test_without_the_exception_in_config_the_code_is_flagged() -> None:
    config = config_with("identifiers", uscc_known_exceptions=[])
    result = parse_credit_code(KNOWN_EXCEPTION, config=config)
    assert not result.known_exception
    assert len(result.warnings) == 1
    with pytest.raises(InvalidIdentifier):
        parse_credit_code(KNOWN_EXCEPTION, strict=True, config=config)


def test_configured_exceptions_are_normalized() -> None:
    config = config_with("identifiers", uscc_known_exceptions=["91350200776049653b"])
    result = parse_credit_code("91350200776049653B", strict=True, config=config)
    assert result.known_exception


def test_bad_exception_list_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"uscc_known_exceptions"):
        parse_credit_code(
            GOLDEN[0], config=config_with("identifiers", uscc_known_exceptions="91350203M0001QAY9B")
        )


def test_check_char_body_must_be_17_charset_characters() -> None:
    with pytest.raises(InvalidIdentifier):
        credit_check_char("9135020077604965")
    with pytest.raises(InvalidIdentifier):
        credit_check_char("9135020077604965I")


# --- properties ---------------------------------------------------------------------------------


def test_every_single_character_change_moves_the_mod_31_sum() -> None:
    # Premise of the flip property: 31 is prime and every weight is in 1…30, so a change of one
    # character value by d ∈ ±1…±30 changes the sum by d·Wᵢ ≢ 0 (mod 31). Checked exhaustively.
    for weight in WEIGHTS:
        for old in range(31):
            for new in range(31):
                if old != new:
                    assert (new - old) * weight % 31 != 0


_code_chars = st.sampled_from(CHARSET)
bodies = st.builds(
    lambda head, area, subject: "".join(head) + area + "".join(subject),
    st.lists(_code_chars, min_size=2, max_size=2),
    st.from_regex(r"\A[0-9]{6}\Z"),
    st.lists(_code_chars, min_size=9, max_size=9),
)


@settings(deadline=None)
@given(bodies)
def test_computed_check_char_always_passes(body: str) -> None:
    result = parse_credit_code(
        _with_check(body), strict=True, config=config_with("identifiers", uscc_known_exceptions=[])
    )
    assert result.check_ok
    assert result.code[:17] == body


@settings(deadline=None)
@given(bodies, st.integers(0, 17), _code_chars)
def test_any_single_character_change_fails_strictly(body: str, position: int, replacement: str) -> None:
    code = _with_check(body)
    if replacement == code[position]:
        replacement = CHARSET[(CHARSET.index(replacement) + 1) % 31]
    flipped = code[:position] + replacement + code[position + 1 :]
    config = config_with("identifiers", uscc_known_exceptions=[])
    # A letter in the area code makes the code malformed; anything else fails only the check character.
    with pytest.raises(InvalidIdentifier):
        parse_credit_code(flipped, strict=True, config=config)
    if flipped[2:8].isdigit():
        assert not parse_credit_code(flipped, config=config).check_ok
